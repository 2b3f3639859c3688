//! The binary under a pseudo-terminal: every byte it writes kept with the
//! moment it was read, frames found by their end (`CSI ? 2026 l`: the app
//! draws each frame inside synchronized output), keys typed.

use crate::screen::Screen;
use crate::{Res, fail};
use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// The end of a frame: synchronized output off.
const FRAME_END: &[u8] = b"\x1b[?2026l";

/// What the binary wrote, and where each frame ended.
#[derive(Default)]
struct Output {
    bytes: Vec<u8>,
    /// Offset just past each frame's end, and when it was read.
    frames: Vec<(usize, Instant)>,
    /// When the last bytes were read.
    last: Option<Instant>,
    closed: bool,
}

/// What an idle screen wrote.
pub struct Idle {
    pub bytes: usize,
    pub frames: usize,
    pub unchanged: usize,
}

pub struct Session {
    /// Just before the process was started.
    pub started: Instant,
    output: Arc<Mutex<Output>>,
    writer: Box<dyn Write + Send>,
    child: Box<dyn Child + Send + Sync>,
    _master: Box<dyn MasterPty + Send>,
    /// The screen as of the end of frame `seen` (frames before it read).
    screen: Screen,
    seen: usize,
    applied: usize,
    /// When the last frame read ended.
    last_at: Option<Instant>,
}

fn lock(output: &Mutex<Output>) -> MutexGuard<'_, Output> {
    output.lock().unwrap_or_else(|e| e.into_inner())
}

impl Session {
    /// Starts `binary` with `args` under a `cols` x `rows` pseudo-terminal,
    /// with a configuration and state directory of its own (`home`) and no
    /// backend from the environment.
    pub fn start(binary: &Path, args: &[&str], cols: u16, rows: u16, home: &Path) -> Res<Session> {
        let pair = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| fail(format!("openpty: {e}")))?;
        let mut command = CommandBuilder::new(binary);
        command.args(args);
        command.cwd(home);
        command.env("XDG_CONFIG_HOME", home.join("config"));
        command.env("XDG_STATE_HOME", home.join("state"));
        command.env("TERM", "xterm-256color");
        for name in [
            "TRIAGE_LOKI_URL",
            "TRIAGE_TEMPO_URL",
            "TRIAGE_PROMETHEUS_URL",
            "TRIAGE_CONFIG",
            "TRIAGE_CONTEXT",
            "TRIAGE_LOG",
            "NO_COLOR",
            "TMUX",
            "STY",
        ] {
            command.env_remove(name);
        }
        let mut reader = (pair.master.try_clone_reader()).map_err(|e| fail(format!("{e}")))?;
        let writer = pair
            .master
            .take_writer()
            .map_err(|e| fail(format!("{e}")))?;
        let output = Arc::new(Mutex::new(Output::default()));
        let sink = Arc::clone(&output);
        std::thread::spawn(move || {
            let mut buffer = vec![0u8; 1 << 16];
            loop {
                let n = match reader.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => n,
                };
                let at = Instant::now();
                let mut out = lock(&sink);
                let from = out.bytes.len().saturating_sub(FRAME_END.len() - 1);
                out.bytes.extend_from_slice(&buffer[..n]);
                let mut search = from;
                while let Some(i) = find(&out.bytes[search..], FRAME_END) {
                    search += i + FRAME_END.len();
                    out.frames.push((search, at));
                }
                out.last = Some(at);
            }
            lock(&sink).closed = true;
        });
        let started = Instant::now();
        let child = (pair.slave.spawn_command(command)).map_err(|e| fail(format!("spawn: {e}")))?;
        drop(pair.slave);
        Ok(Session {
            started,
            output,
            writer,
            child,
            _master: pair.master,
            screen: Screen::new(cols, rows),
            seen: 0,
            applied: 0,
            last_at: None,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        lock(&self.output).bytes.len()
    }

    /// The next frame not yet read, within `timeout`: when it ended, and
    /// the screen's text after it.
    pub fn next_frame(&mut self, timeout: Duration) -> Res<Option<(Instant, usize, String)>> {
        let deadline = Instant::now() + timeout;
        loop {
            let frame = {
                let out = lock(&self.output);
                match out.frames.get(self.seen) {
                    Some(&(end, at)) => Some((end, at, out.bytes[self.applied..end].to_vec())),
                    None if out.closed => return Err(fail("the program ended".into())),
                    None => None,
                }
            };
            if let Some((end, at, bytes)) = frame {
                self.screen.feed(&bytes);
                self.applied = end;
                self.seen += 1;
                self.last_at = Some(at);
                return Ok(Some((at, end, self.screen.text())));
            }
            if Instant::now() >= deadline {
                return Ok(None);
            }
            std::thread::sleep(Duration::from_micros(500));
        }
    }

    /// Reads frames until one whose screen `shows` (the last one read, if
    /// it does); when it ended.
    pub fn until(&mut self, what: &str, shows: impl Fn(&str) -> bool) -> Res<Instant> {
        if let Some(at) = self.last_at.filter(|_| shows(&self.screen.text())) {
            return Ok(at);
        }
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Some((at, _, text)) = self.next_frame(Duration::from_millis(100))? {
                if shows(&text) {
                    return Ok(at);
                }
                last = text;
            }
        }
        Err(fail(format!(
            "waited in vain for {what}; the screen:\n{last}"
        )))
    }

    /// The bytes written from `from` to `to`.
    pub fn bytes(&self, from: usize, to: usize) -> Vec<u8> {
        let out = lock(&self.output);
        out.bytes
            .get(from..to)
            .map(<[u8]>::to_vec)
            .unwrap_or_default()
    }

    /// The screen as of the last frame read.
    pub fn text(&self) -> String {
        self.screen.text()
    }

    /// Waits until nothing was written for `still` (at most `within`),
    /// reading the frames; whether it got that quiet.
    pub fn quiet(&mut self, still: Duration, within: Duration) -> Res<bool> {
        let deadline = Instant::now() + within;
        loop {
            while self.next_frame(Duration::ZERO)?.is_some() {}
            let last = lock(&self.output).last;
            let now = Instant::now();
            if last.is_none_or(|l| now.duration_since(l) >= still) {
                return Ok(true);
            }
            if now >= deadline {
                return Ok(false);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Types `keys` and reads until the frame that answers them has ended:
    /// the bytes written from the key to that frame's end, and how long it
    /// took. None when no frame came within a second (the key changed
    /// nothing on the screen).
    pub fn press(&mut self, keys: &[u8]) -> Res<Option<(usize, Duration)>> {
        while self.next_frame(Duration::ZERO)?.is_some() {}
        let before = self.written();
        let sent = Instant::now();
        self.type_keys(keys)?;
        match self.next_frame(Duration::from_secs(1))? {
            Some((at, end, _)) => Ok(Some((end - before, at.duration_since(sent)))),
            None => Ok(None),
        }
    }

    pub fn type_keys(&mut self, keys: &[u8]) -> Res<()> {
        self.writer.write_all(keys)?;
        Ok(self.writer.flush()?)
    }

    /// What was written over `span` with no input: the bytes, the frames,
    /// and how many of those frames changed nothing on the screen.
    pub fn idle(&mut self, span: Duration) -> Res<Idle> {
        while self.next_frame(Duration::ZERO)?.is_some() {}
        let before = self.written();
        let deadline = Instant::now() + span;
        let (mut frames, mut unchanged) = (0, 0);
        let mut screen = self.text();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            if let Some((at, _, text)) = self.next_frame(left)? {
                if at > deadline {
                    break;
                }
                frames += 1;
                unchanged += usize::from(text == screen);
                screen = text;
            }
        }
        let bytes = self.bytes_between(before, deadline);
        Ok(Idle {
            bytes,
            frames,
            unchanged,
        })
    }

    /// Bytes written after offset `from`, read no later than `until`.
    fn bytes_between(&self, from: usize, until: Instant) -> usize {
        let out = lock(&self.output);
        // Frames end where they were read; count whole frames that ended in time.
        let end = (out.frames.iter())
            .filter(|(_, at)| *at <= until)
            .map(|(end, _)| *end)
            .max()
            .unwrap_or(from);
        end.saturating_sub(from)
    }

    /// The process's peak resident size so far (VmHWM), and its resident
    /// size now (VmRSS), in KiB.
    pub fn memory(&self) -> Res<(u64, u64)> {
        let pid = self.pid().ok_or_else(|| fail("no pid".into()))?;
        let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
        let field = |name: &str| {
            (status.lines())
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .ok_or_else(|| fail(format!("{name} not in /proc/{pid}/status")))
        };
        Ok((field("VmHWM:")?, field("VmRSS:")?))
    }

    /// Quits with `q` and waits for the process to end (killed after 5 s).
    pub fn quit(mut self) -> Res<()> {
        self.type_keys(b"q")?;
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.child.kill()?;
        let _ = self.child.wait();
        Err(fail("did not quit on q within 5 s; killed".into()))
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A session left without `quit` (an error, a panic) takes its process
/// with it: a triage whose terminal closes under it may spin reading the
/// dead tty (crossterm's event source retries a read of 0 bytes), and
/// would go on using a core after this program ended.
impl Drop for Session {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            // SIGHUP, then SIGKILL after a grace period.
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
