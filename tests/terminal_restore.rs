//! The terminal is given back on every way out: the binary runs under a
//! pseudo-terminal, is ended by `q`, a panic in the main task or in a
//! spawned one, SIGINT, SIGTERM or SIGHUP, or suspended (SIGTSTP) and
//! continued (SIGCONT); the terminal's settings afterwards equal those
//! before it started, and it left the alternate screen. And while it runs,
//! every frame is one synchronized update.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use rustix::process::Signal;
use support::pty::{Session, start};

#[test]
fn quitting_gives_the_terminal_back() {
    let mut session = start(None);
    session.type_keys(b"q");
    session.ends_restored("q");
}

/// Each frame between `CSI ? 2026 h` and `l`, none nested, and nothing
/// drawn outside them: a terminal that knows the mode never shows half a
/// frame.
#[test]
fn every_frame_is_one_synchronized_update() {
    let mut session = start(None);
    session.type_keys(b"?");
    session.wait_until("help drawn", |s| s.printed().contains('┘'));
    session.type_keys(b"?:");
    session.wait_until("the command line", |s| {
        s.printed().matches("\u{1b}[?2026l").count() >= 3
    });
    // `:q` quits from the command line (an Esc right before a key would
    // read as Alt and that key).
    session.type_keys(b"q\r");
    let printed = session.ends_restored(":q");
    let (begin, end) = ("\u{1b}[?2026h", "\u{1b}[?2026l");
    let frames = printed.matches(begin).count();
    assert!(frames >= 3, "{frames} frames in {printed:?}");
    assert_eq!(frames, printed.matches(end).count(), "{printed:?}");
    let mut outside = String::new();
    let mut rest = printed.as_str();
    while let Some(at) = rest.find(begin) {
        outside.push_str(&rest[..at]);
        let frame = &rest[at + begin.len()..];
        let close = frame
            .find(end)
            .unwrap_or_else(|| panic!("a frame not closed: {frame:?}"));
        assert!(!frame[..close].contains(begin), "nested: {frame:?}");
        rest = &frame[close + end.len()..];
    }
    outside.push_str(rest);
    // Outside the frames: taking and giving back the terminal, no text.
    let text: String = strip_escapes(&outside)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    assert!(
        text.is_empty(),
        "drawn outside a frame: {text:?} in {outside:?}"
    );
}

/// The text of `bytes` without its escape sequences (CSI, OSC, two-byte).
fn strip_escapes(bytes: &str) -> String {
    let mut text = String::new();
    let mut chars = bytes.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            text.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                for c in chars.by_ref() {
                    if ('@'..='~').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' || (c == '\u{1b}' && chars.next_if_eq(&'\\').is_some()) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    text
}

#[test]
fn signals_that_end_the_program_give_the_terminal_back() {
    for signal in [Signal::INT, Signal::TERM, Signal::HUP] {
        let session = start(None);
        session.signal(signal);
        session.ends_restored(&format!("{signal:?}"));
    }
}

#[test]
fn a_panic_in_the_main_task_or_a_spawned_one_gives_the_terminal_back() {
    for place in ["main", "task"] {
        let session = start(Some(place));
        session.wait_until("the panic's message", |s| {
            s.printed().contains(&format!(
                "crash test in {}",
                if place == "main" {
                    "the main task"
                } else {
                    "a spawned task"
                }
            ))
        });
        session.ends_restored(place);
    }
}

#[test]
fn suspend_gives_the_terminal_back_and_continue_takes_it_again() {
    let mut session = start(None);
    session.signal(Signal::TSTP);
    session.wait_until("the terminal given back", Session::restored);
    session.wait_until("the program stopped", Session::stopped);
    session.signal(Signal::CONT);
    session.wait_until("the terminal taken again", |s| !s.restored());
    // Ctrl-z, as a user presses it (raw mode turns it into a key).
    session.type_keys(b"\x1a");
    session.wait_until("the terminal given back on Ctrl-z", Session::restored);
    session.wait_until("the program stopped on Ctrl-z", Session::stopped);
    session.signal(Signal::CONT);
    session.wait_until("the terminal taken again", |s| !s.restored());
    session.type_keys(b"q");
    session.ends_restored("suspend, continue, q");
}
