//! The terminal is given back on every way out: the binary runs under a
//! pseudo-terminal, is ended by `q`, a panic in the main task or in a
//! spawned one, SIGINT, SIGTERM or SIGHUP, or suspended (SIGTSTP) and
//! continued (SIGCONT); the terminal's settings afterwards equal those
//! before it started, and it left the alternate screen.
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
