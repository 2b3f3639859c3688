//! Finding and reading traces through the app: the search list over the
//! recorded Tempo and the demo's, the TraceQL editor, and inside a trace
//! the critical path, the filter, folding, focus, statistics and the jump
//! to a span's logs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use crossterm::event::KeyCode;
use std::time::Duration;
use support::{RECORDED_AT, open, press, screen, settle, state, type_text};
use triage::app::views::logs::LogSource;
use triage::app::views::trace::{TraceModel, TraceView};
use triage::app::views::traces::TracesView;
use triage::app::{Action, Clients, State, Target, TraceColumn, View};
use triage_core::config::Config;
use triage_demo::Demo;

fn traces(s: &State) -> &TracesView {
    match s.current() {
        View::Traces(view) => view,
        _ => panic!("not the traces view"),
    }
}

fn trace(s: &State) -> &TraceModel {
    match s.current() {
        View::Trace(TraceView { load, .. }) => match load {
            triage::app::Loadable::Ready(model) => model,
            other => panic!("trace not loaded: {:?}", other.failed()),
        },
        _ => panic!("not the trace view"),
    }
}

async fn search(s: &mut State, c: &Clients, traceql: &str) {
    let effects = open(
        s,
        Target::Traces {
            traceql: traceql.into(),
            since: Duration::from_secs(3600),
        },
    );
    settle(s, c, effects).await;
}

async fn recorded() -> Clients {
    let url = support::replay::start(Default::default()).await;
    support::clients(Some(&url), Some(&url))
}

async fn demo() -> (Demo, Clients, State) {
    let demo = triage_demo::start(RECORDED_AT).await.unwrap();
    let clients = Clients::from_config(&Config::with_urls(
        Some(&demo.loki_url),
        Some(&demo.tempo_url),
        Some(&demo.prometheus_url),
    ));
    (demo, clients, state(160, 45))
}

/// The names of the spans shown, in order.
fn shown(model: &TraceModel) -> Vec<String> {
    model
        .visible
        .iter()
        .filter_map(|&r| model.span_at(r as usize))
        .map(|s| format!("{} {}", s.service, s.name))
        .collect()
}

#[tokio::test]
async fn the_recorded_search_lists_sorts_opens_and_pads_ids() {
    let c = recorded().await;
    let mut s = state(120, 30);
    search(&mut s, &c, r#"{ resource.service.name = "frontend" }"#).await;
    let view = traces(&s);
    let found = &view.found.as_ref().unwrap().traces;
    assert!(!found.is_empty());
    assert_eq!(
        view.rows.len(),
        found.len(),
        "one row a trace, spans closed"
    );
    // The recorded answer drops a leading zero; the list shows all 32 digits.
    let screen_text = screen(&s);
    assert!(screen_text.contains("0bfd123d35c3d2e2"), "{screen_text}");

    press(&mut s, &c, &[Action::SortTraces(TraceColumn::Duration)]).await;
    let durations: Vec<i64> = (traces(&s).rows.iter())
        .filter_map(|r| match r {
            triage::app::views::traces::Row::Trace(t) => traces(&s).trace(*t).map(|t| t.duration),
            _ => None,
        })
        .collect();
    assert!(durations.windows(2).all(|w| w[0] >= w[1]), "{durations:?}");
    press(&mut s, &c, &[Action::SortTraces(TraceColumn::Duration)]).await;
    assert!(!traces(&s).descending, "again: reversed");

    press(&mut s, &c, &[Action::Top, Action::Open]).await;
    assert_eq!(
        trace(&s).trace.id.to_string(),
        "0bfd123d35c3d2e202956e394efcab4f",
        "the short id opened the recorded trace"
    );
}

#[tokio::test]
async fn matched_spans_open_under_their_trace() {
    let c = recorded().await;
    let mut s = state(120, 30);
    search(&mut s, &c, r#"{ resource.service.name = "api" }"#).await;
    let closed = traces(&s).rows.len();
    press(&mut s, &c, &[Action::ToggleCollapse]).await;
    let first = traces(&s).selected_trace().unwrap();
    let spans: usize = first.span_sets.iter().map(|set| set.spans.len()).sum();
    assert!(spans > 0);
    assert_eq!(traces(&s).rows.len(), closed + spans);
    press(&mut s, &c, &[Action::ToggleCollapse]).await;
    assert_eq!(traces(&s).rows.len(), closed);
}

#[tokio::test]
async fn tempos_refusal_shows_under_the_expression() {
    let c = recorded().await;
    let mut s = state(120, 30);
    search(&mut s, &c, "{ resource.service.name = ").await;
    assert!(traces(&s).failure.is_some());
    let text = screen(&s);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[1].contains("TraceQL { resource.service.name ="),
        "{text}"
    );
    assert!(lines[2].contains("parse error"), "{text}");
}

#[tokio::test]
async fn the_traceql_editor_completes_tags_and_values_from_tempo() {
    let c = recorded().await;
    let mut s = state(120, 30);
    search(&mut s, &c, "{ }").await;
    press(&mut s, &c, &[Action::EditQuery]).await;
    support::clear_prompt(&mut s, &c).await;
    type_text(&mut s, &c, "{ resource.servi").await;
    let names = |s: &State| {
        s.prompt
            .as_ref()
            .and_then(|p| p.completion.as_ref())
            .map(|c| c.names.clone())
            .unwrap_or_default()
    };
    assert!(
        names(&s).contains(&"resource.service.name".to_owned()),
        "{:?}",
        names(&s)
    );
    support::key(&mut s, &c, KeyCode::Tab).await;
    type_text(&mut s, &c, "= \"").await;
    assert!(
        names(&s).contains(&"frontend".to_owned()),
        "{:?}",
        names(&s)
    );
    let screen_text = screen(&s);
    assert!(
        screen_text.contains(" TraceQL { resource.service.name = \""),
        "{screen_text}"
    );
    let chosen = names(&s)[0].clone();
    support::key(&mut s, &c, KeyCode::Tab).await;
    type_text(&mut s, &c, " }").await;
    press(&mut s, &c, &[Action::Submit]).await;
    let run = format!(r#"{{ resource.service.name = "{chosen}" }}"#);
    assert_eq!(traces(&s).query.traceql, run);
    assert_eq!(s.history.traceql, [run]);
    assert!(s.history.promql.is_empty(), "a history per language");
}

#[tokio::test]
async fn the_demo_walk_failing_trace_critical_path_logs_and_statistics() {
    let (_demo, c, mut s) = demo().await;
    search(&mut s, &c, "{ status = error }").await;
    let found = traces(&s).found.as_ref().unwrap().traces.len();
    assert!(found > 0);
    assert!(
        traces(&s)
            .found
            .as_ref()
            .unwrap()
            .traces
            .iter()
            .all(|t| t.error)
    );
    // Enter on a matched span opens its trace with the cursor on it.
    press(
        &mut s,
        &c,
        &[
            Action::ToggleCollapse,
            Action::Down,
            Action::Down,
            Action::Down,
        ],
    )
    .await;
    let matched = traces(&s).selected_trace().unwrap().span_sets[0].spans[2].span_id;
    press(&mut s, &c, &[Action::Open]).await;
    assert_eq!(trace(&s).selected_span().map(|s| s.span_id), Some(matched));
    assert_ne!(
        trace(&s).selected_row(),
        Some(0),
        "not the root, where it would be anyway"
    );

    // The critical path runs through the database query, not the cache read
    // beside it.
    let model = trace(&s);
    let on_path = |name: &str| {
        let span = model
            .trace
            .spans
            .iter()
            .position(|s| s.name.as_str() == name)
            .unwrap();
        model.critical[span]
    };
    assert!(on_path("SELECT shop.articles"));
    assert!(on_path("ArticlesRepository.List"));
    assert!(!on_path("GET articles:cache"));
    press(&mut s, &c, &[Action::CriticalOnly]).await;
    let path = shown(trace(&s));
    assert!(
        path.contains(&"postgres SELECT shop.articles".to_owned()),
        "{path:?}"
    );
    assert!(!path.iter().any(|n| n.contains("cache")), "{path:?}");
    assert!(screen(&s).contains("◆"));

    // Statistics: postgres took the time; Enter keeps its spans.
    press(&mut s, &c, &[Action::CriticalOnly, Action::Statistics]).await;
    let table = trace(&s).statistics.as_ref().unwrap();
    assert_eq!(table.rows[0].service.as_str(), "postgres");
    assert_eq!(table.rows[0].operation, None);
    assert!(screen(&s).contains("self"));
    press(&mut s, &c, &[Action::Open]).await;
    let model = trace(&s);
    assert!(model.statistics.is_none());
    let kept: Vec<String> = (model.visible.iter())
        .filter(|&&r| model.matched[r as usize])
        .filter_map(|&r| model.span_at(r as usize))
        .map(|s| s.service.to_string())
        .collect();
    assert!(
        !kept.is_empty() && kept.iter().all(|s| s == "postgres"),
        "{kept:?}"
    );

    // L on the query: postgres's lines of this trace, around the span.
    let id = model.trace.id.to_string();
    let select = model
        .visible
        .iter()
        .position(|&r| {
            model
                .span_at(r as usize)
                .is_some_and(|s| s.name.as_str() == "SELECT shop.articles")
        })
        .unwrap();
    press(&mut s, &c, &[Action::Top]).await;
    for _ in 0..select {
        press(&mut s, &c, &[Action::Down]).await;
    }
    press(&mut s, &c, &[Action::LokiLogs]).await;
    let logs = support::logs_view(&s);
    match &logs.source {
        LogSource::Loki { logql, pinned } => {
            assert!(*pinned);
            assert!(logql.contains(r#"pod="postgres-0""#), "{logql}");
            assert!(logql.contains(&format!(r#"|= "{id}""#)), "{logql}");
        }
        _ => panic!("not Loki"),
    }
    assert!(
        !logs.rows.is_empty(),
        "the demo's Loki has the trace's lines"
    );
    assert!(logs.rows.iter().all(|r| r.line.line.contains(&id)));
    assert!(
        logs.range.end - logs.range.start < 3 * 60 * 1_000_000_000,
        "the span's window"
    );
}

#[tokio::test]
async fn filter_fold_focus_and_breadcrumb_in_a_recorded_trace() {
    let c = recorded().await;
    let mut s = state(120, 30);
    let id = triage_core::domain::TraceId::parse(support::FAILING_TRACE).unwrap();
    let effects = open(&mut s, Target::Trace(id));
    settle(&mut s, &c, effects).await;
    let all = trace(&s).visible.len();

    // Filter: typed words, live; ancestors stay when the rest is hidden.
    press(&mut s, &c, &[Action::OpenSearch]).await;
    type_text(&mut s, &c, "postgres").await;
    assert_eq!(trace(&s).match_count, 2);
    press(&mut s, &c, &[Action::Submit, Action::ToggleFilter]).await;
    let kept = shown(trace(&s));
    assert_eq!(
        kept.first().map(String::as_str),
        Some("frontend GET /api/articles")
    );
    assert_eq!(kept.iter().filter(|n| n.starts_with("postgres")).count(), 2);
    assert!(kept.len() < all);
    assert!(screen(&s).contains("2 of 7"), "{}", screen(&s));
    press(&mut s, &c, &[Action::Top, Action::NextMatch]).await;
    assert!(trace(&s).selected_span().unwrap().service.as_str() == "postgres");
    // Esc in the filter line goes back to the filter before it.
    press(&mut s, &c, &[Action::OpenSearch]).await;
    type_text(&mut s, &c, " nothing").await;
    assert_eq!(trace(&s).match_count, 0);
    press(&mut s, &c, &[Action::CancelInput]).await;
    assert_eq!(trace(&s).match_count, 2);

    // Errors only and slower than a duration.
    press(&mut s, &c, &[Action::OpenSearch]).await;
    support::clear_prompt(&mut s, &c).await;
    press(&mut s, &c, &[Action::Submit, Action::ErrorsOnly]).await;
    assert_eq!(trace(&s).match_count, 4);
    press(&mut s, &c, &[Action::SlowerThan]).await;
    type_text(&mut s, &c, "100ms").await;
    press(&mut s, &c, &[Action::Submit]).await;
    assert_eq!(trace(&s).match_count, 3, "{}", screen(&s));
    press(&mut s, &c, &[Action::SlowerThan]).await;
    type_text(&mut s, &c, "soon").await;
    press(&mut s, &c, &[Action::Submit]).await;
    assert!(screen(&s).contains("not a duration: soon"));
    press(
        &mut s,
        &c,
        &[
            Action::ErrorsOnly,
            Action::SlowerThan,
            Action::Submit,
            Action::ToggleFilter,
        ],
    )
    .await;
    assert_eq!(trace(&s).visible.len(), all);

    // Fold to two levels, then focus the repository span's subtree.
    press(&mut s, &c, &[Action::CollapseToDepth(2)]).await;
    assert_eq!(trace(&s).visible.len(), 2);
    press(
        &mut s,
        &c,
        &[Action::CollapseToDepth(0), Action::Bottom, Action::Up],
    )
    .await;
    let text = screen(&s);
    assert!(
        text.contains(
            "frontend GET /api/articles › api GET /articles › api ! ArticlesRepository.List"
        ) || text.contains("› api ArticlesRepository.List"),
        "{text}"
    );
    press(&mut s, &c, &[Action::Collapse, Action::Focus]).await;
    let focused = shown(trace(&s));
    assert!(
        focused[0].contains("ArticlesRepository.List"),
        "{focused:?}"
    );
    assert!(focused.iter().all(|n| !n.starts_with("frontend")));
    assert!(screen(&s).contains("focus ▸"));
    press(&mut s, &c, &[Action::Unfocus]).await;
    assert_eq!(trace(&s).visible.len(), all);
}

/// Serves the recorded protobuf trace in four parts, 300 ms apart.
async fn slow_protobuf_tempo() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let body = std::fs::read(support::replay::fixtures_dir().join(format!(
        "tempo/trace_v2_error_{}.pb",
        support::FAILING_TRACE
    )))
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut request = vec![0u8; 16 * 1024];
                let _ = socket.read(&mut request).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/protobuf\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = socket.write_all(head.as_bytes()).await;
                for part in body.chunks(body.len().div_ceil(4)) {
                    let _ = socket.write_all(part).await;
                    let _ = socket.flush().await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            });
        }
    });
    url
}

#[tokio::test]
async fn a_trace_on_its_way_shows_the_bytes_received() {
    use futures::StreamExt;
    let url = slow_protobuf_tempo().await;
    let c = support::clients(None, Some(&url));
    let mut s = state(120, 30);
    let id = triage_core::domain::TraceId::parse(support::FAILING_TRACE).unwrap();
    let effects = open(&mut s, Target::Trace(id));
    let fetch = effects.into_iter().next().unwrap();
    let mut messages =
        triage::app::runner::open_stream(&c, &fetch, Duration::from_secs(10)).unwrap();
    let mut told = Vec::new();
    while let Some(msg) = messages.next().await {
        let loaded = matches!(msg, triage::app::Msg::TraceLoaded { .. });
        if let triage::app::Msg::TraceProgress { bytes, .. } = &msg {
            told.push(*bytes);
            let now = s.now;
            triage::app::update(&mut s, msg, now);
            assert!(screen(&s).contains("received"), "{}", screen(&s));
            continue;
        }
        let now = s.now;
        triage::app::update(&mut s, msg, now);
        if loaded {
            break;
        }
    }
    assert!(
        !told.is_empty() && told.windows(2).all(|w| w[0] <= w[1]),
        "{told:?}"
    );
    assert_eq!(trace(&s).trace.spans.len(), 7, "read as protobuf, whole");
}

#[test]
fn a_broken_trace_is_shown_whole_with_a_note() {
    use std::sync::Arc;
    use triage_core::domain::{Span, SpanId, SpanKind, SpanStatus, Trace, TraceId};
    let span = |id: u8, parent: Option<u8>, start: i64| Span {
        span_id: SpanId([id; 8]),
        parent_id: parent.map(|p| SpanId([p; 8])),
        name: format!("op{id}").into(),
        service: "svc".into(),
        kind: SpanKind::Internal,
        start,
        end: start + 10,
        attributes: Box::default(),
        resource: Arc::from(Vec::new()),
        events: Box::default(),
        status: SpanStatus::Unset,
    };
    let broken = Trace {
        id: TraceId([9; 16]),
        spans: vec![
            span(1, None, 0),    // a root
            span(2, None, 5),    // another
            span(3, Some(7), 1), // its parent is not in the trace
            span(4, Some(5), 2), // 4 and 5 name each other
            span(5, Some(4), 3),
            span(1, Some(2), 6), // an id used twice
        ],
        partial: None,
    };
    let mut s = state(160, 20);
    s.views.push(View::Trace(TraceView::ready(broken)));
    let model = trace(&s);
    assert_eq!(model.visible.len(), 6, "every span shown");
    let text = screen(&s);
    assert!(text.contains("roots"), "{text}");
    assert!(text.contains("without their parent (?)"), "{text}");
    assert!(text.contains("1 span ids used twice"), "{text}");
}
