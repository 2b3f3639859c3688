//! The terminal is given back on every way out: the binary runs under a
//! pseudo-terminal, is ended by `q`, a panic in the main task or in a
//! spawned one, SIGINT, SIGTERM or SIGHUP, or suspended (SIGTSTP) and
//! continued (SIGCONT); the terminal's settings afterwards equal those
//! before it started, and it left the alternate screen.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use rustix::process::{Pid, Signal, kill_process};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

struct Session {
    master: Box<dyn MasterPty + Send>,
    child: Box<dyn Child + Send + Sync>,
    output: Arc<Mutex<Vec<u8>>>,
    writer: Box<dyn Write + Send>,
    before: String,
}

/// The terminal settings that raw mode changes, as text to compare.
fn settings(master: &dyn MasterPty) -> String {
    let t = master.get_termios().expect("termios");
    format!(
        "{:?} {:?} {:?} {:?} {:?}",
        t.input_flags, t.output_flags, t.control_flags, t.local_flags, t.control_chars
    )
}

/// Starts triage (home, no backends) under a new pseudo-terminal and waits
/// until it has taken the terminal (raw mode).
fn start(crash: Option<&str>) -> Session {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let before = settings(pair.master.as_ref());
    let home = std::env::temp_dir().join(format!("triage-pty-{}", std::process::id()));
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_triage"));
    command.env("XDG_CONFIG_HOME", home.join("config"));
    command.env("XDG_STATE_HOME", home.join("state"));
    command.env("TERM", "xterm-256color");
    for name in [
        "TRIAGE_LOKI_URL",
        "TRIAGE_TEMPO_URL",
        "TRIAGE_PROMETHEUS_URL",
        "TRIAGE_CONFIG",
    ] {
        command.env_remove(name);
    }
    if let Some(crash) = crash {
        command.env("TRIAGE_CRASH_TEST", crash);
    }
    let child = pair.slave.spawn_command(command).unwrap();
    drop(pair.slave);
    let output = Arc::new(Mutex::new(Vec::new()));
    let mut reader = pair.master.try_clone_reader().unwrap();
    let sink = Arc::clone(&output);
    std::thread::spawn(move || {
        let mut buffer = [0u8; 4096];
        while let Ok(n) = reader.read(&mut buffer) {
            if n == 0 {
                break;
            }
            sink.lock().unwrap().extend_from_slice(&buffer[..n]);
        }
    });
    let writer = pair.master.take_writer().unwrap();
    let session = Session {
        master: pair.master,
        child,
        output,
        writer,
        before,
    };
    if crash.is_none() {
        session.wait_until("raw mode", |s| settings(s.master.as_ref()) != s.before);
        session.wait_until("the first frame", |s| s.printed().contains("q quit"));
    }
    session
}

impl Session {
    fn printed(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    fn wait_until(&self, what: &str, done: impl Fn(&Session) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < WAIT,
                "waited too long for {what}: {:?}",
                self.printed()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn signal(&self, signal: Signal) {
        let pid = Pid::from_raw(self.child.process_id().unwrap() as i32).unwrap();
        kill_process(pid, signal).unwrap();
    }

    /// Waits for the program to end; then the terminal must be as before.
    fn ends_restored(mut self, what: &str) {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < WAIT, "{what}: triage did not end");
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(
            settings(self.master.as_ref()),
            self.before,
            "{what}: {status:?}"
        );
        // Give the reader a moment for the last bytes.
        std::thread::sleep(Duration::from_millis(100));
        let printed = self.printed();
        assert!(
            printed.contains("\u{1b}[?1049l"),
            "{what}: still on the alternate screen: {printed:?}"
        );
    }
}

#[test]
fn quitting_gives_the_terminal_back() {
    let mut session = start(None);
    session.writer.write_all(b"q").unwrap();
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
    session.wait_until("the terminal given back", |s| {
        settings(s.master.as_ref()) == s.before
    });
    session.signal(Signal::CONT);
    session.wait_until("the terminal taken again", |s| {
        settings(s.master.as_ref()) != s.before
    });
    // Ctrl-z, as a user presses it (raw mode turns it into a key).
    session.writer.write_all(b"\x1a").unwrap();
    session.wait_until("the terminal given back on Ctrl-z", |s| {
        settings(s.master.as_ref()) == s.before
    });
    session.signal(Signal::CONT);
    session.wait_until("the terminal taken again", |s| {
        settings(s.master.as_ref()) != s.before
    });
    session.writer.write_all(b"q").unwrap();
    session.ends_restored("suspend, continue, q");
}
