//! Keys keep answering while a backend misbehaves: triage runs under a
//! pseudo-terminal against a server that hangs or drips one byte a
//! second, and each keypress is timed until its frame is written.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};
use support::faults::{self, Fault};
use support::pty;

const PRESSES: usize = 20;
/// The budget from the issue: a key answered within a frame or three.
const BUDGET: Duration = Duration::from_millis(50);

/// Opens and closes help `PRESSES` times; how long each opening took to
/// reach the terminal.
fn time_keys(session: &mut pty::Session) -> Vec<Duration> {
    let mut took = Vec::new();
    for _ in 0..PRESSES {
        let mark = session.written();
        let pressed = Instant::now();
        session.type_keys(b"?");
        // The help box's corners: its words may come cell by cell where
        // the screen under it has the same characters (ratatui writes only
        // the cells that change), its corners never do.
        session.wait_until("help drawn", |s| {
            let frame = s.printed_since(mark);
            frame.contains('┌') && frame.contains('┘')
        });
        took.push(pressed.elapsed());
        let mark = session.written();
        session.type_keys(b"?");
        session.wait_until("help closed", |s| s.written() > mark);
        std::thread::sleep(Duration::from_millis(20)); // the rest of that frame
    }
    took.sort();
    took
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_answer_within_the_budget_while_a_backend_misbehaves() {
    let cases = [
        ("hangs", Fault::Hang),
        ("drips", Fault::Drip("{\"status\":\"success\"}".into())),
    ];
    for (what, fault) in cases {
        let url = faults::start(fault).await;
        let command = pty::triage(&["logs", "{app=\"api\"}", "--loki", &url]);
        let mut session = pty::spawn(command);
        session.wait_until("the logs view", |s| s.printed().contains("loading"));
        let took = time_keys(&mut session);
        let (median, p90, max) = (took[PRESSES / 2], took[PRESSES * 9 / 10], took[PRESSES - 1]);
        println!(
            "while Loki {what}: keypress to frame median {median:?}, p90 {p90:?}, max {max:?}"
        );
        assert!(p90 < BUDGET, "while Loki {what}: {took:?}");
        // All of it happened while the request was still out.
        assert!(
            !session.printed().contains("did not answer in time"),
            "{what}: the request ended before the keys were timed"
        );
        session.type_keys(b"q");
        session.ends_restored(what);
    }
}
