//! The program measured from outside (BENCHMARKS.md, "The program
//! measured from outside"): the release binary run under a pseudo-terminal
//! at 200x50 and 80x24, as a person runs it, timed and counted by what it
//! writes to the terminal.
//!
//!     cargo run --release --example outside -- [BINARY] [--runs N] [--only LIST] [--sizes LIST]
//!
//! BINARY defaults to the portable build (`scripts/release.sh`),
//! target/x86_64-unknown-linux-gnu/dist/triage; `target/release/triage`
//! works as well. `--runs` is how many times each first frame is timed
//! (9); `--only` takes some of home, demo, trace, pods, bigtrace, biglog
//! (default: all); `--sizes` e.g. 200x50,80x24 (the default). It prints
//! each figure as it is measured, then a table of them all.
//!
//! Three helpers, for looking closer:
//! - `-- dump ARGS...`: every frame the binary draws at 200x50 in five
//!   seconds, run with ARGS, as text (and the bytes of small frames);
//!   OUTSIDE_KEYS=... types those keys after two seconds. How the screens
//!   waited for below were chosen.
//! - `-- serve`: the big trace and the big logs on loopback for ten
//!   minutes, with the commands that open them.
//! - `-- demo-cost`: what `triage_demo::start` takes, in time and in
//!   memory kept, measured in this process.
//!
//! What is measured, each at both sizes:
//! - time to first frame: from starting the process to the end of the
//!   first frame (synchronized output, `CSI ? 2026 l`), and to the end of
//!   the first frame that shows the view's data (the demo's log lines;
//!   the big trace's waterfall). The big trace (`triage_demo::big_trace`,
//!   100,000 spans) is served by a loopback Tempo in this process; each
//!   run also times a bare HTTP GET of the same bytes, for comparison.
//! - bytes written per key: from typing the key to the end of the frame
//!   that answers it: `j` while the cursor moves down the screen, `j`
//!   once it is at the bottom and the list moves a row under it (where the
//!   list is longer than the screen), PageDown; in the demo's logs, a demo
//!   trace, the demo's pods, the big trace and a 100,000-line log (a
//!   loopback Loki in this process: followed, and paged from its history).
//! - bytes written while idle: five seconds with no input, once the
//!   screen has settled.
//! - peak memory: VmHWM of the triage process (/proc/PID/status).
//!
//! Not run by `cargo test`: it takes minutes and wants an idle machine.

mod loki;
mod pty;
mod screen;

use cap::Cap;
use pty::{Idle, Session};
use std::alloc::System;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use triage_demo::big_trace::{big_trace, serve_as_tempo};

pub type Res<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

pub fn fail(words: String) -> Box<dyn std::error::Error + Send + Sync> {
    words.into()
}

/// Counts what this process allocates (for `demo-cost`).
#[global_allocator]
static ALLOCATED: Cap<System> = Cap::new(System, usize::MAX);
const MIB: f64 = 1024.0 * 1024.0;

const DEFAULT_BINARY: &str = "target/x86_64-unknown-linux-gnu/dist/triage";
const BIG: usize = 100_000;
const PAGE_DOWN: &[u8] = b"\x1b[6~";
const IDLE: Duration = Duration::from_secs(5);

struct Options {
    binary: PathBuf,
    runs: usize,
    only: Vec<String>,
    sizes: Vec<(u16, u16)>,
}

fn main() {
    if let Err(e) = run() {
        eprintln!("outside: {e}");
        std::process::exit(1);
    }
}

fn run() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut options = Options {
        binary: PathBuf::from(DEFAULT_BINARY),
        runs: 9,
        only: ["home", "demo", "trace", "pods", "bigtrace", "biglog"]
            .map(String::from)
            .to_vec(),
        sizes: vec![(200, 50), (80, 24)],
    };
    let mut dump = None;
    let mut words = args.iter();
    while let Some(word) = words.next() {
        let mut value = || {
            words
                .next()
                .cloned()
                .ok_or_else(|| fail(format!("{word}: a value")))
        };
        match word.as_str() {
            "--runs" => options.runs = value()?.parse()?,
            "--only" => options.only = value()?.split(',').map(String::from).collect(),
            "--sizes" => options.sizes = sizes(&value()?)?,
            "serve" => return serve(),
            "demo-cost" => return demo_cost(),
            "dump" => {
                dump = Some(words.by_ref().cloned().collect::<Vec<_>>());
            }
            path => options.binary = PathBuf::from(path),
        }
    }
    let home = std::env::temp_dir().join(format!("triage-outside-{}", std::process::id()));
    std::fs::create_dir_all(&home)?;
    let binary = std::fs::canonicalize(&options.binary)
        .map_err(|e| fail(format!("{}: {e}", options.binary.display())))?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let outcome = match dump {
        Some(args) => dump_frames(&binary, &args, &home),
        None => measure(&binary, &options, &home, &runtime),
    };
    let _ = std::fs::remove_dir_all(&home);
    outcome
}

/// What starting the demo's servers costs, in this process: the time of
/// `DemoData::generate` and of `triage_demo::start`, and the bytes they
/// keep allocated.
fn demo_cost() -> Res<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    for _ in 0..5 {
        let base = ALLOCATED.allocated();
        let started = Instant::now();
        let data = triage_demo::DemoData::generate(now_nanos());
        let generated = started.elapsed();
        let kept = ALLOCATED.allocated().saturating_sub(base);
        drop(data);
        std::thread::sleep(Duration::from_millis(200));
        let base = ALLOCATED.allocated();
        let started = Instant::now();
        let demo = runtime.block_on(triage_demo::start(now_nanos()))?;
        let whole = started.elapsed();
        let running = ALLOCATED.allocated().saturating_sub(base);
        drop(demo);
        // The servers' tasks end on the runtime once aborted.
        std::thread::sleep(Duration::from_millis(200));
        println!(
            "DemoData::generate {:.1} ms, keeps {:.1} MiB; triage_demo::start {:.1} ms, keeps {:.1} MiB",
            generated.as_secs_f64() * 1e3,
            kept as f64 / MIB,
            whole.as_secs_f64() * 1e3,
            running as f64 / MIB
        );
    }
    Ok(())
}

/// Serves the big trace and the big logs, and says how to open them.
fn serve() -> Res<()> {
    let runtime = tokio::runtime::Runtime::new()?;
    let made = big_trace(BIG, 42);
    let (tempo, _server) = runtime.block_on(serve_as_tempo(made.body))?;
    let now = now_nanos();
    let follow = runtime.block_on(loki::serve(0, BIG, now))?;
    let history = runtime.block_on(loki::serve(BIG, 0, now))?;
    println!("triage trace {} --tempo {tempo}", made.id);
    println!("triage logs '{{app=\"api\"}}' --loki {follow}    # then F: {BIG} lines come");
    println!("triage logs '{{app=\"api\"}}' --loki {history}    # {BIG} lines of history");
    std::thread::sleep(Duration::from_secs(600));
    Ok(())
}

fn sizes(list: &str) -> Res<Vec<(u16, u16)>> {
    (list.split(','))
        .map(|size| {
            let (w, h) = (size.split_once('x')).ok_or_else(|| fail(format!("{size}: WxH")))?;
            Ok((w.parse()?, h.parse()?))
        })
        .collect()
}

fn dump_frames(binary: &Path, args: &[String], home: &Path) -> Res<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut session = Session::start(binary, &args, 200, 50, home)?;
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut last = 0;
    // Keys to type after two seconds (to see what they draw).
    let mut keys = std::env::var("OUTSIDE_KEYS").ok();
    while Instant::now() < deadline {
        if session.started.elapsed() > Duration::from_secs(2) {
            if let Some(keys) = keys.take() {
                println!("--- typed {keys:?}");
                session.type_keys(keys.as_bytes())?;
            }
        }
        if let Some((at, end, text)) = session.next_frame(Duration::from_millis(50))? {
            let ms = at.duration_since(session.started).as_secs_f64() * 1e3;
            println!("--- frame at {ms:.1} ms, {} bytes", end - last);
            if end - last < 300 {
                let raw = session.bytes(last, end);
                println!("{}", raw.escape_ascii());
            }
            println!("{text}");
            last = end;
        }
    }
    session.quit()
}

/// Figures by what was measured, then by size.
#[derive(Default)]
struct Report {
    rows: BTreeMap<String, BTreeMap<String, String>>,
    order: Vec<String>,
}

impl Report {
    fn put(&mut self, what: &str, size: (u16, u16), figure: String) {
        println!("  {what} at {}x{}: {figure}", size.0, size.1);
        if !self.rows.contains_key(what) {
            self.order.push(what.to_owned());
        }
        let row = self.rows.entry(what.to_owned()).or_default();
        row.insert(format!("{}x{}", size.0, size.1), figure);
    }

    fn print(&self, sizes: &[(u16, u16)]) {
        let names: Vec<String> = sizes.iter().map(|(w, h)| format!("{w}x{h}")).collect();
        println!("\n| what | {} |", names.join(" | "));
        println!("|---|{}", "---|".repeat(names.len()));
        for what in &self.order {
            let row = &self.rows[what];
            let cells: Vec<&str> = (names.iter())
                .map(|n| row.get(n).map_or("", String::as_str))
                .collect();
            println!("| {what} | {} |", cells.join(" | "));
        }
    }
}

/// Median, least and most, in milliseconds.
fn millis(times: &[Duration]) -> String {
    let mut ms: Vec<f64> = times.iter().map(|t| t.as_secs_f64() * 1e3).collect();
    ms.sort_by(f64::total_cmp);
    match (ms.first(), ms.last()) {
        (Some(least), Some(most)) => format!(
            "{:.1} ms ({least:.1} to {most:.1}, {} runs)",
            ms[ms.len() / 2],
            ms.len()
        ),
        _ => "none".into(),
    }
}

fn median(times: &[Duration]) -> f64 {
    let mut s: Vec<f64> = times.iter().map(Duration::as_secs_f64).collect();
    s.sort_by(f64::total_cmp);
    s.get(s.len() / 2).copied().unwrap_or(0.0)
}

/// Bytes written per key: median, least and most (and keys that drew nothing).
fn bytes(counts: &[Option<usize>]) -> String {
    let mut drawn: Vec<usize> = counts.iter().flatten().copied().collect();
    drawn.sort_unstable();
    let nothing = counts.len() - drawn.len();
    let none = if nothing > 0 {
        format!("; {nothing} of {} drew no frame", counts.len())
    } else {
        String::new()
    };
    match (drawn.first(), drawn.last()) {
        (Some(least), Some(most)) => format!(
            "{} B ({least} to {most}, {} keys{none})",
            drawn[drawn.len() / 2],
            counts.len()
        ),
        _ => format!("no frame drawn ({} keys)", counts.len()),
    }
}

/// Kibibytes (as /proc says them) in MB and MiB.
fn mb(kib: u64) -> String {
    format!(
        "{:.1} MB ({:.1} MiB)",
        kib as f64 * 1024.0 / 1e6,
        kib as f64 / 1024.0
    )
}

fn memory_words(session: &Session) -> Res<String> {
    let (hwm, rss) = session.memory()?;
    Ok(format!("{}; resident at the end {}", mb(hwm), mb(rss)))
}

fn idle_words(idle: &Idle) -> String {
    let mut words = format!("{} B in {} s", idle.bytes, IDLE.as_secs());
    if idle.frames > 0 {
        words += &format!(
            " ({} frames, {} of them changing nothing on the screen)",
            idle.frames, idle.unchanged
        );
    }
    words
}

/// Presses `key` `times` times, letting the screen settle before each.
fn presses(session: &mut Session, key: &[u8], times: usize) -> Res<Vec<Option<usize>>> {
    let mut counts = Vec::new();
    for _ in 0..times {
        session.quiet(Duration::from_millis(150), Duration::from_secs(2))?;
        counts.push(session.press(key)?.map(|(n, _)| n));
    }
    Ok(counts)
}

/// One-row scrolls and pages in a list longer than the screen: `j` while
/// the cursor moves down the screen, `j` once the cursor is at its bottom
/// and the list itself moves a row, and PageDown.
fn scrolling(session: &mut Session, rows: u16, name: &str) -> Res<Vec<(String, String)>> {
    let within = presses(session, b"j", 10)?;
    // Down to the bottom of the screen: from there on the list moves.
    session.type_keys(&vec![b'j'; usize::from(rows)])?;
    session.quiet(Duration::from_millis(300), Duration::from_secs(10))?;
    let moved = presses(session, b"j", 20)?;
    let page = presses(session, PAGE_DOWN, 8)?;
    Ok(vec![
        (
            format!("{name}: one-row scroll, the cursor moving down the screen (j)"),
            bytes(&within),
        ),
        (
            format!("{name}: one-row scroll, the list moving a row under the cursor (j)"),
            bytes(&moved),
        ),
        (format!("{name}: page (PageDown)"), bytes(&page)),
    ])
}

/// The screen shows log lines (a row that starts with a time).
fn shows_log_lines(text: &str) -> bool {
    text.lines().any(|l| {
        let b = l.as_bytes();
        b.len() > 13 && b[2] == b':' && b[5] == b':' && b[8] == b'.'
    })
}

fn now_nanos() -> i64 {
    let since = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    since.map_or(0, |d| d.as_nanos() as i64)
}

fn measure(
    binary: &Path,
    options: &Options,
    home: &Path,
    runtime: &tokio::runtime::Runtime,
) -> Res<()> {
    println!("binary: {}", binary.display());
    println!("load average at the start: {}", load_average());
    let mut report = Report::default();
    let wants = |name: &str| options.only.iter().any(|o| o == name);
    let big = if wants("bigtrace") {
        println!("making the {BIG}-span trace");
        let made = big_trace(BIG, 42);
        let size = made.body.len();
        let (url, _server) = runtime.block_on(serve_as_tempo(made.body))?;
        Some((made.id.to_string(), url, size))
    } else {
        None
    };
    let (follow_loki, history_loki) = if wants("biglog") {
        let now = now_nanos();
        (
            Some(runtime.block_on(loki::serve(0, BIG, now))?),
            Some(runtime.block_on(loki::serve(BIG, 0, now))?),
        )
    } else {
        (None, None)
    };
    for &size in &options.sizes {
        println!("at {}x{}", size.0, size.1);
        if wants("home") {
            home_figures(binary, options.runs, size, home, &mut report)?;
        }
        if wants("demo") {
            demo(binary, options.runs, size, home, &mut report)?;
        }
        if wants("trace") {
            demo_trace(binary, size, home, &mut report)?;
        }
        if wants("pods") {
            pods(binary, size, home, &mut report)?;
        }
        if let Some((id, url, body)) = &big {
            big_trace_figures(binary, options.runs, size, home, runtime, (id, url, *body)).map(
                |figures| {
                    figures
                        .into_iter()
                        .for_each(|(w, f)| report.put(&w, size, f))
                },
            )?;
        }
        if let (Some(follow), Some(history)) = (&follow_loki, &history_loki) {
            big_log(binary, size, home, follow, history, &mut report)?;
        }
    }
    report.print(&options.sizes);
    println!("\nload average at the end: {}", load_average());
    Ok(())
}

fn load_average() -> String {
    let loads = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    loads
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// `triage` with no backend (home): what the program costs without
/// the demo's servers, to set the demo's figures against.
fn home_figures(
    binary: &Path,
    runs: usize,
    size: (u16, u16),
    home: &Path,
    report: &mut Report,
) -> Res<()> {
    let mut first = Vec::new();
    for _ in 0..runs {
        let mut session = Session::start(binary, &[], size.0, size.1, home)?;
        let at = session.until("a frame", |_| true)?;
        first.push(at.duration_since(session.started));
        session.quit()?;
    }
    report.put(
        "triage, no backend (home): first frame",
        size,
        millis(&first),
    );
    let mut session = Session::start(binary, &[], size.0, size.1, home)?;
    session.until("a frame", |_| true)?;
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    report.put(
        "triage, no backend (home): bytes written while idle",
        size,
        idle_words(&idle),
    );
    let memory = memory_words(&session)?;
    report.put(
        "triage, no backend (home), at rest: peak memory (VmHWM)",
        size,
        memory,
    );
    session.quit()
}

/// `triage demo`: first frame, then a session in its logs view.
fn demo(binary: &Path, runs: usize, size: (u16, u16), home: &Path, report: &mut Report) -> Res<()> {
    let (mut first, mut lines) = (Vec::new(), Vec::new());
    for _ in 0..runs {
        let mut session = Session::start(binary, &["demo"], size.0, size.1, home)?;
        let at = session.until("a frame", |_| true)?;
        first.push(at.duration_since(session.started));
        let at = session.until("the demo's log lines", shows_log_lines)?;
        lines.push(at.duration_since(session.started));
        session.quit()?;
    }
    report.put("demo: first frame", size, millis(&first));
    report.put("demo: first frame with the log lines", size, millis(&lines));
    let mut session = Session::start(binary, &["demo"], size.0, size.1, home)?;
    session.until("the demo's log lines", shows_log_lines)?;
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    report.put(
        "demo logs (not following): bytes written while idle",
        size,
        idle_words(&idle),
    );
    let memory = memory_words(&session)?;
    report.put(
        "demo at rest (logs view): peak memory (VmHWM)",
        size,
        memory,
    );
    for (what, figure) in scrolling(&mut session, size.1, "demo logs: bytes written per")? {
        report.put(&what, size, figure);
    }
    session.quit()
}

/// A trace of the demo's, the one with the most spans of the past hour.
fn demo_trace_id() -> Option<(String, usize)> {
    let data = triage_demo::DemoData::generate(now_nanos());
    (data.traces.iter())
        .max_by_key(|t| t.spans.len())
        .map(|t| (t.hex_id(), t.spans.len()))
}

fn demo_trace(binary: &Path, size: (u16, u16), home: &Path, report: &mut Report) -> Res<()> {
    let (id, spans) = demo_trace_id().ok_or_else(|| fail("the demo has no trace".into()))?;
    let args = ["--demo", "trace", id.as_str()];
    let mut session = Session::start(binary, &args, size.0, size.1, home)?;
    session.until("the waterfall", |t| {
        t.contains("frontend") && t.contains("ms")
    })?;
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    report.put(
        "demo trace: bytes written while idle",
        size,
        idle_words(&idle),
    );
    // The whole trace fits on the screen: the cursor moves, the list does not.
    let row = presses(&mut session, b"j", (spans - 1).min(20))?;
    report.put(
        &format!("demo trace ({spans} spans): bytes per one-row scroll (j)"),
        size,
        bytes(&row),
    );
    presses(&mut session, b"g", 1)?;
    let page = presses(&mut session, PAGE_DOWN, 1)?;
    report.put(
        &format!("demo trace ({spans} spans): bytes per page (PageDown, from the top)"),
        size,
        bytes(&page),
    );
    session.quit()
}

fn pods(binary: &Path, size: (u16, u16), home: &Path, report: &mut Report) -> Res<()> {
    let args = ["--demo", "pods"];
    let mut session = Session::start(binary, &args, size.0, size.1, home)?;
    session.until("the pods", |t| t.contains("coredns"))?;
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    report.put(
        "demo pods: bytes written while idle",
        size,
        idle_words(&idle),
    );
    // All 15 fit on the screen: the cursor moves, the list does not.
    let row = presses(&mut session, b"j", 10)?;
    report.put("demo pods: bytes per one-row scroll (j)", size, bytes(&row));
    presses(&mut session, b"g", 1)?;
    let page = presses(&mut session, PAGE_DOWN, 1)?;
    report.put(
        "demo pods: bytes per page (PageDown, from the top)",
        size,
        bytes(&page),
    );
    session.quit()
}

/// The screen shows the big trace's waterfall: its spans' names.
fn shows_waterfall(text: &str) -> bool {
    text.contains("GET /articles") && text.contains("frontend")
}

fn big_trace_figures(
    binary: &Path,
    runs: usize,
    size: (u16, u16),
    home: &Path,
    runtime: &tokio::runtime::Runtime,
    (id, url, body): (&str, &str, usize),
) -> Res<Vec<(String, String)>> {
    let mut figures = Vec::new();
    let args = ["trace", id, "--tempo", url];
    let (mut get, mut first, mut waterfall) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..runs {
        get.push(runtime.block_on(bare_get(url, id, body))?);
        let mut session = Session::start(binary, &args, size.0, size.1, home)?;
        let at = session.until("a frame", |_| true)?;
        first.push(at.duration_since(session.started));
        let at = session.until("the waterfall", shows_waterfall)?;
        waterfall.push(at.duration_since(session.started));
        session.quit()?;
    }
    let mb = body as f64 / 1e6;
    figures.push((
        format!("{BIG}-span trace ({mb:.1} MB protobuf, loopback Tempo): bare HTTP GET of the same bytes, same run"),
        millis(&get),
    ));
    figures.push((format!("{BIG}-span trace: first frame"), millis(&first)));
    let ratio = median(&waterfall) / median(&get).max(1e-9);
    figures.push((
        format!("{BIG}-span trace: first frame with the waterfall"),
        format!("{}; {ratio:.1}x the bare GET", millis(&waterfall)),
    ));
    let mut session = Session::start(binary, &args, size.0, size.1, home)?;
    session.until("the waterfall", shows_waterfall)?;
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    figures.push((
        format!("{BIG}-span trace: bytes written while idle"),
        idle_words(&idle),
    ));
    let name = format!("{BIG}-span trace: bytes written per");
    figures.extend(scrolling(&mut session, size.1, &name)?);
    let memory = memory_words(&session)?;
    figures.push((format!("{BIG}-span trace: peak memory (VmHWM)"), memory));
    session.quit()?;
    Ok(figures)
}

/// A bare GET of the trace, as the app asks it: how long until the last byte.
async fn bare_get(url: &str, id: &str, size: usize) -> Res<Duration> {
    let started = Instant::now();
    let answer = reqwest::Client::new()
        .get(format!("{url}/api/v2/traces/{id}"))
        .header("accept", "application/protobuf")
        .send()
        .await?;
    let got = answer.bytes().await?;
    let took = started.elapsed();
    if got.len() != size {
        return Err(fail(format!("the GET read {} bytes of {size}", got.len())));
    }
    Ok(took)
}

fn big_log(
    binary: &Path,
    size: (u16, u16),
    home: &Path,
    follow: &str,
    history: &str,
    report: &mut Report,
) -> Res<()> {
    let query = r#"{app="api"}"#;
    // Followed: the tail brings 100,000 lines into the buffer (100,000 by default).
    let args = ["logs", query, "--loki", follow];
    let mut session = Session::start(binary, &args, size.0, size.1, home)?;
    session.until("the empty history", |t| t.contains("no lines for"))?;
    let asked = Instant::now();
    session.type_keys(b"F")?;
    let full = format!("{BIG}/{BIG} lines");
    let at = session.until("the buffer full", |t| t.contains(&full))?;
    report.put(
        &format!(
            "{BIG}-line log, followed (Loki's tail over loopback): F to the frame with {BIG} lines"
        ),
        size,
        format!("{:.0} ms", at.duration_since(asked).as_secs_f64() * 1e3),
    );
    session.quiet(Duration::from_secs(1), Duration::from_secs(10))?;
    let idle = session.idle(IDLE)?;
    report.put(
        &format!("{BIG}-line log, following, no new lines: bytes written while idle"),
        size,
        idle_words(&idle),
    );
    let name = format!("{BIG}-line log: bytes written per");
    for (what, figure) in scrolling(&mut session, size.1, &name)? {
        report.put(&what, size, figure);
    }
    let memory = memory_words(&session)?;
    report.put(
        &format!("{BIG}-line log, followed: peak memory (VmHWM)"),
        size,
        memory,
    );
    session.quit()?;

    // Paged: Loki's history read 1,000 lines a page, End pressed until its start.
    let args = ["logs", query, "--loki", history];
    let mut session = Session::start(binary, &args, size.0, size.1, home)?;
    session.until("the first page", shows_log_lines)?;
    let started = Instant::now();
    let mut pages = 0;
    while !session.text().contains("start of the range") {
        if pages > 2 * BIG / 1000 {
            return Err(fail(format!(
                "End pressed {pages} times:\n{}",
                session.text()
            )));
        }
        // The frame that answers End, then the one with the page.
        session.press(b"G")?;
        session.until("the page", |t| !t.contains("loading older lines"))?;
        pages += 1;
    }
    report.put(
        &format!("{BIG}-line log, paged from Loki's history: End pressed until the start"),
        size,
        format!("{pages} presses, {:.1} s", started.elapsed().as_secs_f64()),
    );
    let memory = memory_words(&session)?;
    report.put(
        &format!("{BIG}-line log, paged: peak memory (VmHWM)"),
        size,
        memory,
    );
    session.quit()
}
