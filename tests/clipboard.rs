//! Copying with OSC 52, the binary under a pseudo-terminal against the
//! recorded Tempo: `y` puts the selected span's attributes on the
//! clipboard, `Y` the view as text; inside tmux the sequence is wrapped
//! for it; `clipboard = false` writes none. OSC 52 is the only OSC triage
//! writes, and it writes nothing else of the kind.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use support::FAILING_TRACE;
use support::pty;

/// What each OSC 52 in `printed` puts on the clipboard.
fn copied(printed: &str) -> Vec<String> {
    printed
        .split("]52;c;")
        .skip(1)
        .map(|rest| {
            let encoded = &rest[..rest.find('\u{7}').unwrap()];
            String::from_utf8(STANDARD.decode(encoded).unwrap()).unwrap()
        })
        .collect()
}

/// Opens the failing trace, presses `keys`, quits; what was written.
async fn run(keys: &[u8], env: &[(&str, &str)], config: Option<&str>) -> String {
    let url = support::replay::start(Default::default()).await;
    let mut command = pty::triage(&["trace", FAILING_TRACE, "--tempo", &url]);
    command.env_remove("TMUX");
    command.env_remove("STY");
    for (name, value) in env {
        command.env(name, value);
    }
    if let Some(config) = config {
        let dir = std::env::temp_dir().join(format!("triage-clipboard-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("triage")).unwrap();
        std::fs::write(dir.join("triage/config.toml"), config).unwrap();
        command.env("XDG_CONFIG_HOME", &dir);
    }
    let mut session = pty::spawn(command);
    session.wait_until("the trace", |s| s.printed().contains("frontend"));
    session.type_keys(keys);
    session.wait_until("the message", |s| {
        let printed = s.printed();
        printed.contains("to the clipboard") || printed.contains("copying is off")
    });
    session.type_keys(b"q");
    session.ends_restored("q")
}

#[tokio::test(flavor = "multi_thread")]
async fn y_copies_the_spans_attributes_and_capital_y_the_view() {
    let printed = run(b"yY", &[], None).await;
    let copies = copied(&printed);
    assert_eq!(copies.len(), 2, "{printed:?}");
    assert!(copies[0].contains("service.name=frontend"), "{}", copies[0]);
    let said = format!(
        "copied span's attributes ({} bytes) to the clipboard",
        copies[0].len()
    );
    assert!(printed.contains(&said), "{printed:?}");
    assert!(
        copies[1].contains(&FAILING_TRACE[..8]) && copies[1].contains("frontend"),
        "{}",
        copies[1]
    );
    // The only OSC written is the clipboard's.
    assert_eq!(printed.matches("\u{1b}]").count(), 2, "{printed:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn inside_tmux_the_sequence_is_wrapped_for_it() {
    let printed = run(b"y", &[("TMUX", "/tmp/tmux-0/default,1,0")], None).await;
    assert!(
        printed.contains("\u{1b}Ptmux;\u{1b}\u{1b}]52;c;"),
        "{printed:?}"
    );
    // Plain for tmux's set-clipboard, and wrapped for its passthrough.
    let copies = copied(&printed.replace("\u{1b}\u{1b}", "\u{1b}"));
    assert_eq!(copies.len(), 2);
    assert_eq!(copies[0], copies[1]);
}

#[tokio::test(flavor = "multi_thread")]
async fn clipboard_false_copies_nothing() {
    let printed = run(b"y", &[], Some("clipboard = false\n")).await;
    assert!(copied(&printed).is_empty(), "{printed:?}");
    assert!(!printed.contains("\u{1b}]"), "{printed:?}");
}
