//! The first promise end to end: a log line's trace id -> Enter -> the
//! trace's waterfall -> Esc -> back on the same line. Against the demo's
//! servers and against real servers' recorded answers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use support::open_logs;
use support::{FAILING_TRACE, clients, logs_view, press, screen, settle, state};
use triage::app::views::logs::Older;
use triage::app::{self, Action, Msg};
use triage::app::{Loadable, View};

fn open(state: &mut triage::app::State, logql: &str) -> Vec<triage::app::Effect> {
    let mut effects = Vec::new();
    open_logs(state, logql.into(), &mut effects);
    effects
}

/// Moves the cursor down to the first line that satisfies `pick`.
async fn go_to_line(
    state: &mut triage::app::State,
    c: &triage::app::Clients,
    pick: impl Fn(&str) -> bool,
) -> usize {
    let target = logs_view(state)
        .rows
        .iter()
        .position(|r| pick(&r.line.line))
        .expect("a matching line");
    for _ in 0..target {
        press(state, c, &[Action::Down]).await;
    }
    assert_eq!(logs_view(state).cursor.selected, target);
    target
}

#[tokio::test]
async fn demo_log_line_to_waterfall_and_back() {
    let demo = triage_demo::start(support::RECORDED_AT).await.unwrap();
    let c = clients(Some(&demo.loki_url), Some(&demo.tempo_url));
    let mut s = state(160, 45);
    let effects = open(&mut s, r#"{namespace="shop"}"#);
    settle(&mut s, &c, effects).await;
    assert!(logs_view(&s).rows.len() > 100);
    let line = go_to_line(&mut s, &c, |l| l.contains("query failed")).await;
    let trace_id = logs_view(&s).rows[line].traces[0].trace_id;

    press(&mut s, &c, &[Action::Open]).await;
    let View::Trace(view) = s.current() else { panic!("Enter did not open a trace") };
    assert_eq!(view.trace_id, trace_id);
    let Loadable::Ready(model) = &view.load else { panic!("trace not loaded: {:?}", view.load) };
    assert!(model.waterfall.services.len() >= 3);
    assert!(model.trace.spans.iter().any(|span| span.is_error()));
    let text = screen(&s);
    assert!(text.contains(&trace_id.to_string()), "{text}");
    for service in ["frontend", "api", "auth", "postgres"] {
        assert!(text.contains(service), "{service} missing:\n{text}");
    }

    press(&mut s, &c, &[Action::Back]).await;
    assert_eq!(logs_view(&s).cursor.selected, line);
}

/// Opens `logql` against the recordings, goes to the first line holding
/// `trace`, presses Enter, and returns the trace it opened.
async fn recorded_jump(logql: &str, trace: &str) -> triage_core::domain::Trace {
    let url = support::replay::start(Default::default()).await;
    let c = clients(Some(&url), Some(&url));
    let mut s = state(160, 45);
    let effects = open(&mut s, logql);
    settle(&mut s, &c, effects).await;
    go_to_line(&mut s, &c, |l| l.contains(trace)).await;
    press(&mut s, &c, &[Action::Open]).await;
    let View::Trace(view) = s.current() else { panic!("no trace view") };
    let Loadable::Ready(model) = &view.load else { panic!("trace not loaded: {:?}", view.load) };
    assert_eq!(model.trace.id.to_string(), trace);
    model.trace.clone()
}

#[tokio::test]
async fn recorded_loki_line_of_a_failing_trace_opens_the_recorded_trace() {
    // In the newest 200 lines: a request that failed with a 500.
    let trace = recorded_jump(r#"{namespace="shop"}"#, "76c4761179f921c96590a30536afd736").await;
    assert_eq!(trace.spans.len(), 7);
    assert!(trace.spans.iter().any(|s| s.is_error()));
    // The recorded search for the failing trace's own lines.
    let logql = format!(r#"{{namespace="shop"}} |= "{FAILING_TRACE}""#);
    let trace = recorded_jump(&logql, FAILING_TRACE).await;
    assert_eq!(trace.spans.len(), 7);
}

#[tokio::test]
async fn a_late_answer_for_a_view_left_behind_is_dropped() {
    let demo = triage_demo::start(support::RECORDED_AT).await.unwrap();
    let c = clients(Some(&demo.loki_url), Some(&demo.tempo_url));
    let mut s = state(120, 30);
    let effects = open(&mut s, r#"{namespace="shop"}"#);
    settle(&mut s, &c, effects).await;
    go_to_line(&mut s, &c, |l| l.contains("trace_id=")).await;
    // Enter, then Esc before the trace arrives.
    let fetch = app::update(&mut s, Msg::Action(Action::Open), app::now());
    let cancel = app::update(&mut s, Msg::Action(Action::Back), app::now());
    assert!(
        matches!(cancel.as_slice(), [app::Effect::Cancel(_)]),
        "{cancel:?}"
    );
    // A trace comes as a stream: bytes received, then the trace.
    let stream = app::runner::open_stream(&c, &fetch[0], std::time::Duration::from_secs(5));
    let late = futures::StreamExt::collect::<Vec<Msg>>(stream.unwrap())
        .await
        .into_iter()
        .find(|msg| matches!(msg, Msg::TraceLoaded { .. }))
        .unwrap();
    // The same trace opened again waits for a new request: the old answer
    // is not its answer, even for the same trace id.
    let again = app::update(&mut s, Msg::Action(Action::Open), app::now());
    assert_ne!(again, fetch);
    let drawn = s.generation;
    let effects = app::update(&mut s, late, app::now());
    assert!(effects.is_empty());
    assert_eq!(
        s.generation, drawn,
        "a stale answer must not change the screen"
    );
    let View::Trace(view) = s.current() else { panic!("not on the trace") };
    assert!(matches!(view.load, Loadable::Loading { .. }));
}

#[tokio::test]
async fn paging_back_loads_every_line_once() {
    let demo = triage_demo::start(support::RECORDED_AT).await.unwrap();
    let total: usize = demo.data.streams.iter().map(|s| s.lines.len()).sum();
    let c = clients(Some(&demo.loki_url), Some(&demo.tempo_url));
    let mut s = state(120, 30);
    s.settings.page_size = 37;
    let effects = open(&mut s, r#"{namespace="shop"}"#);
    settle(&mut s, &c, effects).await;
    assert!(logs_view(&s).rows.len() < total);
    for _ in 0..100 {
        press(&mut s, &c, &[Action::Bottom]).await;
        if matches!(logs_view(&s).older, Older::Exhausted) {
            break;
        }
    }
    press(&mut s, &c, &[Action::Bottom]).await;
    let view = logs_view(&s);
    assert!(matches!(view.older, Older::Exhausted));
    assert_eq!(view.rows.len(), total);
    assert!(
        (view.rows.iter().zip(view.rows.iter().skip(1)))
            .all(|(newer, older)| newer.line.timestamp >= older.line.timestamp)
    );
    let text = screen(&s);
    assert!(text.contains("start of the range"), "{text}");
}
