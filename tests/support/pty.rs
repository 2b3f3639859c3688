//! triage under a pseudo-terminal, as a person runs it: keys typed,
//! signals sent, what it printed and the terminal's settings read back.

use portable_pty::{Child, CommandBuilder, MasterPty, PtySize, native_pty_system};
use rustix::process::{Pid, Signal, kill_process};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(20);

pub struct Session {
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
pub fn start(crash: Option<&str>) -> Session {
    let mut command = triage(&[]);
    if let Some(crash) = crash {
        command.env("TRIAGE_CRASH_TEST", crash);
    }
    let session = spawn(command);
    if crash.is_none() {
        session.wait_until_drawn();
    }
    session
}

/// triage with these arguments, no config file or log of the user's own
/// (a folder of its own under the temporary directory), and no backend
/// from the environment.
pub fn triage(args: &[&str]) -> CommandBuilder {
    let home = std::env::temp_dir().join(format!("triage-pty-{}", std::process::id()));
    let mut command = CommandBuilder::new(env!("CARGO_BIN_EXE_triage"));
    command.args(args);
    command.env("XDG_CONFIG_HOME", home.join("config"));
    command.env("XDG_STATE_HOME", home.join("state"));
    command.env("TERM", "xterm-256color");
    for name in [
        "TRIAGE_LOKI_URL",
        "TRIAGE_TEMPO_URL",
        "TRIAGE_PROMETHEUS_URL",
        "TRIAGE_ALERTMANAGER_URL",
        "TRIAGE_CONFIG",
    ] {
        command.env_remove(name);
    }
    command
}

/// Runs `command` under a new 80x24 pseudo-terminal.
pub fn spawn(command: CommandBuilder) -> Session {
    let pair = native_pty_system()
        .openpty(PtySize {
            rows: 24,
            cols: 80,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    let before = settings(pair.master.as_ref());
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
    Session {
        master: pair.master,
        child,
        output,
        writer,
        before,
    }
}

impl Session {
    /// Waits until triage has taken the terminal and drawn its first frame.
    pub fn wait_until_drawn(&self) {
        self.wait_until("raw mode", |s| !s.restored());
        self.wait_until("the first frame", |s| s.printed().contains("q quit"));
    }

    /// Whether the terminal's settings are those it had before triage.
    pub fn restored(&self) -> bool {
        settings(self.master.as_ref()) == self.before
    }

    pub fn type_keys(&mut self, keys: &[u8]) {
        self.writer.write_all(keys).unwrap();
    }

    /// How many bytes triage has written so far.
    pub fn written(&self) -> usize {
        self.output.lock().unwrap().len()
    }

    /// What triage wrote after the first `from` bytes.
    pub fn printed_since(&self, from: usize) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()[from..]).into_owned()
    }

    pub fn printed(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    pub fn wait_until(&self, what: &str, done: impl Fn(&Session) -> bool) {
        let start = Instant::now();
        while !done(self) {
            assert!(
                start.elapsed() < WAIT,
                "waited too long for {what}: {:?}",
                self.printed()
            );
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Whether the program has stopped itself (job control): a `CONT` sent
    /// before it has would be lost, and it would then stop for good.
    pub fn stopped(&self) -> bool {
        let Some(pid) = self.child.process_id() else {
            return false;
        };
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // The state follows the command's closing parenthesis: `T` is stopped.
        stat.rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('T'))
    }

    pub fn signal(&self, signal: Signal) {
        let pid = Pid::from_raw(self.child.process_id().unwrap() as i32).unwrap();
        kill_process(pid, signal).unwrap();
    }

    /// Waits for the program to end; then the terminal must be as before.
    /// What it printed, all of it.
    pub fn ends_restored(mut self, what: &str) -> String {
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(start.elapsed() < WAIT, "{what}: triage did not end");
            std::thread::sleep(Duration::from_millis(1));
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
        printed
    }
}
