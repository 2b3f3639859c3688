//! Bad input from backends: every backend against every fault ends in a
//! clear, sanitised message within the deadline; the UI keeps answering
//! keys; failures that may pass are asked again (with back-off, capped,
//! cancellable), the others never; nothing panics.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::{Duration, Instant};
use support::faults::{self, Fault};
use support::{clients, press, screen, state};
use support::{open_alerts, open_logs, open_metrics, open_trace};
use triage::app::views::logs::Older;
use triage::app::{self, Action, Clients, Effect, State};
use triage::app::{Loadable, View};
use triage_core::backend::{BackendError, ErrorKind, RetryPolicy};
use triage_core::config::Config;
use triage_core::domain::TraceId;
use triage_core::domain::log::{CUT_MARK, MAX_LINE_BYTES};

const ID: &str = "651ca6325e6d780449e8af504f034ee5";
const DEADLINE: Duration = Duration::from_secs(1);
/// Quick enough for tests; the shape is the default's.
const RETRY: RetryPolicy = RetryPolicy {
    attempts: 3,
    base: Duration::from_millis(20),
    cap: Duration::from_secs(2),
};

/// Each backend, through the view that asks it.
#[derive(Clone, Copy, Debug)]
enum Backend {
    Loki,
    Tempo,
    Prometheus,
    Alerts,
}

impl Backend {
    fn clients(self, url: &str, retry: RetryPolicy) -> Clients {
        let mut config = match self {
            Backend::Loki => Config::with_urls(Some(url), None, None),
            Backend::Tempo => Config::with_urls(None, Some(url), None),
            Backend::Prometheus | Backend::Alerts => Config::with_urls(None, None, Some(url)),
        };
        for endpoint in [&mut config.loki, &mut config.tempo, &mut config.prometheus]
            .into_iter()
            .flatten()
        {
            endpoint.retry = retry;
        }
        // A trace's own cap, as small as the others', so that reading an
        // endless answer up to it fits the deadline on a loaded machine.
        config.trace_max_bytes = 64 * 1024 * 1024;
        Clients::from_config(&config)
    }

    fn open(self, s: &mut State, effects: &mut Vec<Effect>) {
        match self {
            Backend::Loki => open_logs(s, r#"{namespace="shop"}"#.into(), effects),
            Backend::Tempo => open_trace(s, TraceId::parse(ID).unwrap(), effects),
            Backend::Prometheus => {
                let now = s.now;
                open_metrics(s, "up".into(), Duration::from_secs(3600), now, effects);
            }
            Backend::Alerts => open_alerts(s, effects),
        }
    }
}

/// Opens the backend's view against `c` and lets it settle; how long that took.
async fn open(backend: Backend, c: &Clients) -> (State, Duration) {
    let mut s = state(140, 20);
    let mut effects = Vec::new();
    backend.open(&mut s, &mut effects);
    let started = Instant::now();
    app::settle(&mut s, c, DEADLINE, effects).await;
    (s, started.elapsed())
}

/// The error the current view shows, whichever view it is.
fn failure(s: &State) -> Option<&BackendError> {
    match s.current() {
        View::Logs(view) => match &view.older {
            Older::Failed(e) => Some(e),
            _ => None,
        },
        View::Trace(view) => failed(&view.load),
        View::Metrics(view) => failed(&view.load),
        View::Alerts(view) => failed(&view.load),
        _ => None,
    }
}

fn failed<T>(load: &Loadable<T>) -> Option<&BackendError> {
    match load {
        Loadable::Failed(e) => Some(e),
        _ => None,
    }
}

/// After a failure the keys still work: help opens and closes, and `:`
/// opens the command line.
async fn still_answers(s: &mut State, c: &Clients) {
    press(s, c, &[Action::ToggleHelp]).await;
    assert!(screen(s).contains("keys (any key closes)"));
    press(s, c, &[Action::ToggleHelp, Action::OpenCommand]).await;
    assert!(s.prompt.is_some());
    press(s, c, &[Action::CancelInput]).await;
}

/// Each fault: what the screen must say, and of what kind the error is.
fn cases() -> Vec<(Fault, &'static str, ErrorKind)> {
    let in_an_hour = chrono::Utc::now() + chrono::Duration::hours(1);
    let http_date = in_an_hour.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
    vec![
        (Fault::Hang, "did not answer in time", ErrorKind::Timeout),
        (
            Fault::Drip(r#"{"status":"success","data":{}}"#.into()),
            "did not answer in time",
            ErrorKind::Timeout,
        ),
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
            "HTTP 502: an HTML page, probably from a proxy in front of the server: 502 Bad Gateway (asked 3 times)",
            ErrorKind::Http,
        ),
        (
            Fault::Status(
                503,
                "application/json",
                r#"{"status":"error","error":"ingesters overloaded"}"#.into(),
            ),
            "HTTP 503: ingesters overloaded (asked 3 times)",
            ErrorKind::Http,
        ),
        (
            Fault::Status(429, "text/plain", "too many outstanding requests".into()),
            "HTTP 429: too many outstanding requests (asked 3 times)",
            ErrorKind::Http,
        ),
        (
            Fault::RetryAfter(429, "3600".into()),
            "HTTP 429: slow down; the server asks to wait 1h00m before asking again",
            ErrorKind::Http,
        ),
        (
            Fault::RetryAfter(503, http_date),
            "HTTP 503: slow down; the server asks to wait 59m before asking again",
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
            Fault::Bytes(
                200,
                "application/json",
                b"{\"status\":\"\xff\xfe\"}".to_vec(),
            ),
            "unreadable",
            ErrorKind::Decode,
        ),
        (
            Fault::Bytes(500, "text/plain", b"bad \xff\xfe bytes".to_vec()),
            "HTTP 500: bad \u{fffd}\u{fffd} bytes",
            ErrorKind::Http,
        ),
        (
            Fault::Endless,
            "the answer is larger than 64 MiB; stopped reading there and kept none of it",
            ErrorKind::TooLarge,
        ),
        (
            Fault::Declared(1 << 40),
            "the answer is 1024.0 GiB, more than the 64 MiB triage reads; not read",
            ErrorKind::TooLarge,
        ),
        (
            Fault::Redirect("http://user:pw@login.example/".into()),
            "redirected to http://***@login.example/; not followed",
            ErrorKind::Http,
        ),
        (
            Fault::Status(401, "text/plain", "no org id\u{1b}]0;pwned\u{7}".into()),
            "HTTP 401: no org id␛",
            ErrorKind::Http,
        ),
    ]
}

async fn every_fault_against(backend: Backend) {
    for (fault, words, kind) in cases() {
        let what = format!("{backend:?} against {fault:?}");
        // A trace by id has its own cap, and says which setting raises it.
        let words = match (&fault, backend) {
            (Fault::Endless, Backend::Tempo) => {
                "the trace is larger than trace_max_bytes (64 MiB); stopped reading there"
            }
            (Fault::Declared(_), Backend::Tempo) => {
                "the trace is 1024.0 GiB, more than trace_max_bytes (64 MiB); not read"
            }
            _ => words,
        };
        let url = faults::start(fault).await;
        let c = backend.clients(&url, RETRY);
        let (mut s, took) = open(backend, &c).await;
        let error = failure(&s).unwrap_or_else(|| panic!("{what}: no error shown"));
        assert_eq!(error.kind, kind, "{what}: {error}");
        let text = screen(&s);
        assert!(
            text.contains(words),
            "{what}: expected {words:?} in\n{text}"
        );
        assert!(!text.contains('\u{1b}'), "{what}");
        // The deadline holds, retries and all (generous: a loaded machine).
        assert!(took < DEADLINE * 3, "{what}: took {took:?}");
        still_answers(&mut s, &c).await;
    }
}

#[tokio::test]
async fn loki_faults_end_in_a_message() {
    every_fault_against(Backend::Loki).await;
}

#[tokio::test]
async fn tempo_faults_end_in_a_message() {
    every_fault_against(Backend::Tempo).await;
}

#[tokio::test]
async fn prometheus_graph_faults_end_in_a_message() {
    every_fault_against(Backend::Prometheus).await;
}

#[tokio::test]
async fn prometheus_alerts_faults_end_in_a_message() {
    every_fault_against(Backend::Alerts).await;
}

/// The pods list against an API server that misbehaves. kube's client and
/// watcher do their own retrying (429 and 503 until the deadline) and say
/// other things than the HTTP backends.
fn kubernetes_cases() -> Vec<(Fault, &'static str)> {
    let html = "<html><head><title>502 Bad Gateway</title></head></html>";
    vec![
        (Fault::Hang, "Kubernetes did not answer in time"),
        (
            Fault::Drip(r#"{"kind":"PodList"}"#.into()),
            "Kubernetes did not answer in time",
        ),
        (
            Fault::Status(500, "text/plain", "internal error: etcd down\n".into()),
            "Kubernetes: HTTP 500: internal error: etcd down",
        ),
        (
            Fault::Status(502, "text/html", html.into()),
            "Kubernetes: HTTP 502: an HTML page, probably from a proxy in front of the server: 502 Bad Gateway",
        ),
        (
            Fault::RetryAfter(429, "3600".into()),
            "Kubernetes did not answer in time",
        ),
        (
            Fault::Status(
                200,
                "application/json",
                "{\"kind\": \"PodList\", \"items\": [".into(),
            ),
            "Kubernetes: unreadable answer: EOF while parsing a list",
        ),
        (
            Fault::Truncated("{\"kind\":".into()),
            "Kubernetes: cannot reach the cluster: end of file",
        ),
        (
            Fault::Bytes(200, "application/json", b"{\"kind\":\"\xff\xfe\"}".to_vec()),
            "Kubernetes: cannot reach the cluster: invalid utf-8",
        ),
        (
            Fault::Declared(1 << 40),
            "Kubernetes: cannot reach the cluster: end of file",
        ),
        (
            Fault::Status(401, "text/plain", "no org id\u{1b}]0;pwned\u{7}".into()),
            "Kubernetes: HTTP 401: no org id␛ (the cluster refused the credentials",
        ),
    ]
}

#[tokio::test]
async fn kubernetes_faults_end_in_a_message() {
    for (fault, words) in kubernetes_cases() {
        let what = format!("Kubernetes against {fault:?}");
        let mut config = Config::with_urls(None, None, None);
        config.kubernetes.cluster.url = Some(faults::start(fault).await);
        let c = Clients::from_config(&config);
        let mut s = state(160, 20);
        let mut effects = Vec::new();
        support::open_pods(&mut s, &mut effects);
        let started = Instant::now();
        app::settle(&mut s, &c, DEADLINE, effects).await;
        let took = started.elapsed();
        let View::Pods(pods) = s.current() else { panic!("{what}: not on the pods list") };
        assert!(pods.watch.error().is_some(), "{what}: no error");
        let text = screen(&s);
        assert!(
            text.contains(words),
            "{what}: expected {words:?} in\n{text}"
        );
        assert!(!text.contains('\u{1b}'), "{what}");
        assert!(took < DEADLINE * 3, "{what}: took {took:?}");
        still_answers(&mut s, &c).await;
    }
}

#[tokio::test]
async fn unreachable_backends_are_asked_again_then_say_where() {
    let url = faults::refusing_url().await;
    for backend in [
        Backend::Loki,
        Backend::Tempo,
        Backend::Prometheus,
        Backend::Alerts,
    ] {
        let (s, _) = open(backend, &backend.clients(&url, RETRY)).await;
        let error = failure(&s).unwrap_or_else(|| panic!("{backend:?}: no error"));
        assert_eq!(error.kind, ErrorKind::Unreachable, "{backend:?}");
        let text = screen(&s);
        assert!(
            text.contains(&format!("cannot connect to {url}/")) && text.contains("(asked 3 times)"),
            "{backend:?}: {text}"
        );
    }
}

fn loki_page() -> String {
    let path = support::replay::fixtures_dir().join("loki/query_range_streams.json");
    std::fs::read_to_string(path).unwrap()
}

#[tokio::test]
async fn a_passing_failure_is_asked_again_and_the_lines_arrive() {
    let ok = Fault::Status(200, "application/json", loki_page());
    let busy = Fault::Status(503, "text/plain", "busy".into());
    let served = faults::serve(vec![busy.clone(), busy, ok]).await;
    let (s, _) = open(Backend::Loki, &Backend::Loki.clients(&served.url, RETRY)).await;
    assert!(failure(&s).is_none(), "{}", screen(&s));
    assert!(!support::logs_view(&s).rows.is_empty());
    assert_eq!(served.requests(), 3);
}

#[tokio::test]
async fn four_hundreds_are_never_asked_again() {
    for status in [400, 401, 403, 404, 422] {
        let served = faults::serve(vec![Fault::Status(status, "text/plain", "no".into())]).await;
        let (s, _) = open(Backend::Loki, &Backend::Loki.clients(&served.url, RETRY)).await;
        assert!(failure(&s).is_some());
        assert_eq!(served.requests(), 1, "{status}");
    }
}

#[tokio::test]
async fn retries_are_capped() {
    let served = faults::serve(vec![Fault::Status(503, "text/plain", "busy".into())]).await;
    let (_, _) = open(Backend::Loki, &Backend::Loki.clients(&served.url, RETRY)).await;
    assert_eq!(served.requests(), RETRY.attempts as usize);
}

#[tokio::test]
async fn retry_after_is_waited_for_in_seconds_and_as_a_date() {
    for as_date in [false, true] {
        let after = if as_date {
            let soon = chrono::Utc::now() + chrono::Duration::seconds(2);
            soon.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
        } else {
            "1".to_owned()
        };
        let ok = Fault::Status(200, "application/json", loki_page());
        let served = faults::serve(vec![Fault::RetryAfter(429, after.clone()), ok]).await;
        let c = Backend::Loki.clients(&served.url, RETRY);
        let mut s = state(140, 20);
        let mut effects = Vec::new();
        open_logs(&mut s, r#"{namespace="shop"}"#.into(), &mut effects);
        app::settle(&mut s, &c, Duration::from_secs(5), effects).await;
        assert!(failure(&s).is_none(), "{after}: {}", screen(&s));
        let gaps = served.gaps();
        // A date has whole seconds: two seconds ahead is one to two away.
        assert!(
            gaps.len() == 1 && gaps[0] >= Duration::from_millis(900),
            "{after}: {gaps:?}"
        );
    }
}

#[tokio::test]
async fn waits_between_retries_grow() {
    let policy = RetryPolicy {
        attempts: 4,
        base: Duration::from_millis(100),
        cap: Duration::from_secs(2),
    };
    let served = faults::serve(vec![Fault::Status(503, "text/plain", "busy".into())]).await;
    let c = Backend::Loki.clients(&served.url, policy);
    let mut s = state(140, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, r#"{namespace="shop"}"#.into(), &mut effects);
    app::settle(&mut s, &c, Duration::from_secs(5), effects).await;
    // Equal jitter: each wait is at least half its ceiling of 100, 200, 400 ms.
    let gaps = served.gaps();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    for (gap, least) in gaps.iter().zip([50, 100, 200]) {
        assert!(*gap >= Duration::from_millis(least), "{gaps:?}");
    }
}

#[tokio::test]
async fn leaving_a_view_cancels_its_retries() {
    let policy = RetryPolicy {
        attempts: 50,
        base: Duration::from_millis(100),
        cap: Duration::from_millis(100),
    };
    let served = faults::serve(vec![Fault::Status(503, "text/plain", "busy".into())]).await;
    let (mut runner, _results) =
        app::Runner::new(Backend::Loki.clients(&served.url, policy), DEADLINE * 30);
    let mut s = state(80, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, "{app=\"x\"}".into(), &mut effects);
    effects.into_iter().for_each(|e| runner.run(e));
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(served.requests() >= 2, "it was retrying");
    // Esc: the view goes, and its request is cancelled.
    for effect in app::update(&mut s, app::Msg::Action(Action::Back), app::now()) {
        runner.run(effect);
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let at_cancel = served.requests();
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(served.requests(), at_cancel, "no request after cancelling");
}

#[tokio::test]
async fn missing_backends_say_how_to_configure_them() {
    let c = clients(None, None);
    let (s, _) = open(Backend::Loki, &c).await;
    assert_eq!(failure(&s).map(|e| e.kind), Some(ErrorKind::NotConfigured));
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
    // The lines' request and the volume's both time out; the lines' ends
    // the loading.
    for _ in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), results.recv())
            .await
            .unwrap()
            .unwrap();
        let _ = app::update(&mut s, msg, app::now());
    }
    assert!(!s.is_loading());
    assert!(screen(&s).contains("did not answer in time"));
}

/// A Loki answer with one stream: these lines, newest first.
fn streams(lines: &[String]) -> String {
    let values: Vec<serde_json::Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            serde_json::json!([(1_795_288_900_000_000_000i64 - i as i64).to_string(), line])
        })
        .collect();
    serde_json::json!({
        "status": "success",
        "data": {"resultType": "streams", "result": [{"stream": {"app": "api"}, "values": values}]}
    })
    .to_string()
}

#[tokio::test]
async fn a_megabyte_line_is_cut_and_the_lines_after_it_arrive() {
    let huge = format!("start {} end", "é".repeat(512 * 1024)); // 1 MiB, two bytes a character
    let lines = ["after".to_owned(), huge, "before".to_owned()];
    let url = faults::start(Fault::Status(200, "application/json", streams(&lines))).await;
    let c = clients(Some(&url), None);
    let mut s = state(120, 20);
    let mut effects = Vec::new();
    open_logs(&mut s, "{app=\"api\"}".into(), &mut effects);
    app::settle(&mut s, &c, Duration::from_secs(5), effects).await;
    let rows = &support::logs_view(&s).rows;
    let texts: Vec<&str> = rows.iter().map(|r| r.line.line.as_str()).collect();
    assert_eq!(texts.len(), 3, "every line arrived");
    assert_eq!((texts[0], texts[2]), ("after", "before"));
    assert!(texts[1].starts_with("start éé") && texts[1].ends_with(CUT_MARK));
    assert!(texts[1].len() <= MAX_LINE_BYTES + CUT_MARK.len());
}
