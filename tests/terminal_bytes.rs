//! What reaches the terminal, byte for byte: views full of hostile text
//! (escape sequences, OSC 52 clipboard writes, OSC 8 links, 8-bit CSI,
//! bidi overrides, BEL) are drawn through crossterm into a recording, and
//! every control sequence in it must be one the UI writes itself: cursor
//! moves, erases, colours and styles. Nothing from outside gets through.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use std::sync::Arc;
use support::kube as fake;
use triage::app::state::{LogsView, View};
use triage::app::{Clients, State};
use triage::domain::{Labels, LogLine, TimeRange};

const HOSTILE: &str = "ok \u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{9b}31m evil\u{202e}txt\u{200b} \
     \u{1b}]8;;http://x\u{1b}\\link\u{1b}P+q544e\u{1b}\\ \u{1b}_apc\u{1b}\\ \u{90}dcs\u{9c} bell\u{7} del\u{7f} \u{1b}]0;title\u{7}";

/// A terminal that keeps what is written to it.
#[derive(Clone, Default)]
struct Recording(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Recording {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The bytes crossterm writes to draw `state` at its size.
fn drawn(state: &State) -> Vec<u8> {
    let recording = Recording::default();
    let backend = CrosstermBackend::new(recording.clone());
    let mut terminal = Terminal::with_options(
        backend,
        ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(
                0,
                0,
                state.width,
                state.height,
            )),
        },
    )
    .unwrap();
    terminal.draw(|f| triage::ui::draw(f, state)).unwrap();
    recording.0.lock().unwrap().clone()
}

/// Every control sequence in `bytes` that the UI would not write: anything
/// but CSI cursor, erase and SGR sequences, CR and LF. Returns them.
fn foreign_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("the terminal gets UTF-8");
    let mut foreign = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.next() != Some('[') {
                    foreign.push("ESC not followed by [".into());
                    continue;
                }
                let mut body = String::new();
                let mut last = None;
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        last = Some(c);
                        break;
                    }
                    body.push(c);
                }
                // H: cursor position; J/K: erase; m: colours and styles;
                // ?25h/l: show or hide the cursor.
                let ours = match last {
                    Some('H' | 'J' | 'K' | 'm') => body
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ';' || c == ':'),
                    Some('h' | 'l') => body == "?25",
                    _ => false,
                };
                if !ours {
                    foreign.push(format!("CSI {body:?} {last:?}"));
                }
            }
            '\r' | '\n' => {}
            c if c.is_control() => foreign.push(format!("{c:?}")),
            _ => {}
        }
    }
    foreign
}

fn assert_inert(what: &str, state: &State) {
    let bytes = drawn(state);
    let foreign = foreign_controls(&bytes);
    assert!(foreign.is_empty(), "{what}: {foreign:?}");
    assert!(
        String::from_utf8_lossy(&bytes).contains("evil"),
        "{what}: the hostile text was not drawn at all"
    );
}

#[test]
fn hostile_log_lines_and_labels_draw_only_our_sequences() {
    let line = LogLine {
        timestamp: support::RECORDED_AT,
        labels: Arc::new(Labels::from_pairs([("pod", HOSTILE)])),
        line: HOSTILE.into(),
    };
    let mut view = LogsView::new(HOSTILE.into(), TimeRange { start: 0, end: 1 });
    view.append(vec![line.clone(), line], &Default::default());
    for wrap in [false, true] {
        view.wrap = wrap;
        let mut state = support::state(90, 12);
        state.views.push(View::Logs(std::mem::replace(
            &mut view,
            LogsView::new(String::new(), TimeRange { start: 0, end: 1 }),
        )));
        assert_inert("logs", &state);
        let Some(View::Logs(back)) = state.views.pop() else { panic!("logs") };
        view = back;
    }
}

#[tokio::test]
async fn hostile_pod_fields_events_and_errors_draw_only_our_sequences() {
    let now = support::RECORDED_AT;
    let mut cluster = fake::Cluster::default();
    let mut pod = fake::crashing_pod("shop", "api-0", now, HOSTILE, 1);
    let status = fake::container_status(&mut pod);
    if let Some(waiting) = status.state.as_mut().and_then(|s| s.waiting.as_mut()) {
        waiting.reason = Some(HOSTILE.into());
        waiting.message = Some(HOSTILE.into());
    }
    status.image = HOSTILE.into();
    pod.metadata.annotations = Some([("note".to_owned(), HOSTILE.to_owned())].into());
    pod.metadata.labels = Some([(HOSTILE.to_owned(), HOSTILE.to_owned())].into());
    pod.spec.as_mut().unwrap().node_name = Some(HOSTILE.into());
    cluster.put(pod);
    cluster.events = vec![fake::event("shop", "api-0", "BackOff", HOSTILE, 5, now)];
    cluster.forbidden.push("secret".into());
    let (url, _) = fake::start(cluster).await;
    let mut config = triage::config::Config::with_urls(None, None, None);
    config.kubernetes.cluster.url = Some(url);
    let clients = Clients::from_config(&config);

    let mut list = support::state(160, 10);
    list.namespaces = triage::backend::cluster::Namespaces::All;
    let mut effects = Vec::new();
    triage::app::cluster::open_pods(&mut list, &mut effects);
    support::settle(&mut list, &clients, effects).await;
    assert_inert("pods", &list);

    let mut detail = support::state(160, 40);
    let mut effects = Vec::new();
    let key = triage::domain::PodKey::parse("shop", "api-0").unwrap();
    triage::app::cluster::open_pod(&mut detail, key, Vec::new(), &mut effects);
    support::settle(&mut detail, &clients, effects).await;
    assert_inert("pod detail", &detail);
}

#[test]
fn the_check_refuses_what_it_must() {
    for raw in [
        "\u{1b}]52;c;eA==\u{7}",
        "\u{1b}]0;title\u{1b}\\",
        "\u{1b}P+q\u{1b}\\",
        "\u{9b}31m",
        "\u{1b}[2J\u{1b}[6n",
        "bell\u{7}",
        "\u{1b}c",
    ] {
        assert!(!foreign_controls(raw.as_bytes()).is_empty(), "{raw:?}");
    }
    assert!(
        foreign_controls("\u{1b}[1;1H\u{1b}[38;5;6;49mok\u{1b}[0m\u{1b}[?25l\r\n".as_bytes())
            .is_empty()
    );
}
