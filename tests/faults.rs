//! Bad input from backends: each case ends in a clear message on screen,
//! the UI keeps answering keys, and nothing panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;
use support::faults::{self, Fault};
use support::{clients, press, screen, state};
use triage::app::state::{Loadable, Older, View};
use triage::app::update::{open_logs, open_trace};
use triage::app::{self, Action, Clients, State};
use triage::backend::ErrorKind;
use triage::domain::TraceId;

const ID: &str = "651ca6325e6d780449e8af504f034ee5";

async fn logs_against(c: &Clients) -> State {
    let mut s = state(120, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, r#"{namespace="shop"}"#.into(), &mut effects);
    app::settle(&mut s, c, Duration::from_millis(500), effects).await;
    s
}

async fn trace_against(c: &Clients) -> State {
    let mut s = state(120, 20);
    let mut effects = Vec::new();
    open_trace(&mut s, TraceId::parse(ID).unwrap(), &mut effects);
    app::settle(&mut s, c, Duration::from_millis(500), effects).await;
    s
}

fn logs_error(s: &State) -> ErrorKind {
    match s.current() {
        View::Logs(view) => match &view.older {
            Older::Failed(e) => e.kind,
            other => panic!("logs did not fail: {other:?}"),
        },
        _ => panic!("not on logs"),
    }
}

fn trace_error(s: &State) -> ErrorKind {
    match s.current() {
        View::Trace(view) => match &view.load {
            Loadable::Failed(e) => e.kind,
            _ => panic!("trace did not fail"),
        },
        _ => panic!("not on the trace view"),
    }
}

/// After a failure the keys still work: help opens and closes, and `:`
/// opens the command line.
async fn still_answers(s: &mut State, c: &Clients) {
    press(s, c, &[Action::ToggleHelp]).await;
    assert!(screen(s).contains("keys (any key closes)"));
    press(s, c, &[Action::ToggleHelp, Action::OpenCommand]).await;
    assert!(s.input.is_some());
    press(s, c, &[Action::CancelInput]).await;
}

/// Each fault, against Loki then Tempo: (fault, what the screen must say, kind).
fn cases() -> Vec<(Fault, &'static str, ErrorKind)> {
    vec![
        (Fault::Hang, "did not answer in time", ErrorKind::Timeout),
        (
            Fault::Status(500, "text/plain", "internal error: ingester down\n".into()),
            "HTTP 500: internal error: ingester down",
            ErrorKind::Http,
        ),
        (
            Fault::Status(
                502,
                "text/html",
                "<html><head><title>502 Bad Gateway</title></head></html>".into(),
            ),
            "HTTP 502: an HTML page, probably from a proxy in front of the server: 502 Bad Gateway",
            ErrorKind::Http,
        ),
        (
            Fault::Status(429, "text/plain", "too many outstanding requests".into()),
            "HTTP 429: too many outstanding requests",
            ErrorKind::Http,
        ),
        (
            Fault::Status(
                200,
                "application/json",
                "{\"status\": \"success\", \"data\": [".into(),
            ),
            "unreadable",
            ErrorKind::Decode,
        ),
        (
            Fault::Truncated("{\"status\":".into()),
            "broken answer",
            ErrorKind::Decode,
        ),
        (
            Fault::Status(401, "text/plain", "no org id\u{1b}]0;pwned\u{7}".into()),
            "HTTP 401: no org id␛",
            ErrorKind::Http,
        ),
    ]
}

#[tokio::test]
async fn loki_faults_end_in_a_message() {
    for (fault, words, kind) in cases() {
        let url = faults::start(fault).await;
        let c = clients(Some(&url), None);
        let mut s = logs_against(&c).await;
        assert_eq!(logs_error(&s), kind, "{words}");
        let text = screen(&s);
        assert!(text.contains(words), "expected {words:?} in\n{text}");
        assert!(!text.contains('\u{1b}'));
        still_answers(&mut s, &c).await;
    }
}

#[tokio::test]
async fn tempo_faults_end_in_a_message() {
    for (fault, words, kind) in cases() {
        let url = faults::start(fault).await;
        let c = clients(None, Some(&url));
        let mut s = trace_against(&c).await;
        assert_eq!(trace_error(&s), kind, "{words}");
        let text = screen(&s);
        assert!(text.contains(words), "expected {words:?} in\n{text}");
        still_answers(&mut s, &c).await;
    }
}

#[tokio::test]
async fn unreachable_backends_say_where() {
    let url = faults::refusing_url().await;
    let c = clients(Some(&url), Some(&url));
    let s = logs_against(&c).await;
    assert_eq!(logs_error(&s), ErrorKind::Unreachable);
    assert!(
        screen(&s).contains(&format!("Loki: cannot connect to {url}/")),
        "{}",
        screen(&s)
    );
    let s = trace_against(&c).await;
    assert_eq!(trace_error(&s), ErrorKind::Unreachable);
}

#[tokio::test]
async fn missing_backends_say_how_to_configure_them() {
    let c = clients(None, None);
    let s = logs_against(&c).await;
    assert_eq!(logs_error(&s), ErrorKind::NotConfigured);
    assert!(
        screen(&s).contains("no Loki URL: pass --loki URL, set TRIAGE_LOKI_URL"),
        "{}",
        screen(&s)
    );
}

#[tokio::test]
async fn bad_logql_and_unknown_traces_read_plainly() {
    let url = support::replay::start(Default::default()).await;
    let c = clients(Some(&url), Some(&url));
    let mut s = state(120, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, r#"{namespace="shop""#.into(), &mut effects);
    app::settle(&mut s, &c, Duration::from_secs(2), effects).await;
    assert!(
        screen(&s).contains("Loki: HTTP 400: parse error at line 1, col 18"),
        "{}",
        screen(&s)
    );

    let mut effects = Vec::new();
    open_trace(
        &mut s,
        TraceId::parse("0123456789abcdef0123456789abcdef").unwrap(),
        &mut effects,
    );
    app::settle(&mut s, &c, Duration::from_secs(2), effects).await;
    assert!(
        screen(&s).contains("trace 0123456789abcdef0123456789abcdef not found"),
        "{}",
        screen(&s)
    );
}

#[tokio::test]
async fn a_hanging_request_times_out_on_its_own_task_while_keys_are_handled() {
    // The interactive runner: the request hangs on its task while the
    // state keeps taking keys.
    let url = faults::start(Fault::Hang).await;
    let (mut runner, mut results) =
        app::Runner::new(clients(Some(&url), None), Duration::from_millis(300));
    let mut s = state(80, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, "{app=\"x\"}".into(), &mut effects);
    effects.into_iter().for_each(|e| runner.run(e));
    for _ in 0..10 {
        let _ = app::update(&mut s, app::Msg::Action(Action::Down), app::now());
    }
    assert!(s.is_loading());
    let msg = tokio::time::timeout(Duration::from_secs(5), results.recv())
        .await
        .unwrap()
        .unwrap();
    let _ = app::update(&mut s, msg, app::now());
    assert!(!s.is_loading());
    assert!(screen(&s).contains("did not answer in time"));
}
