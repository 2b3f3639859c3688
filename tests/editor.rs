//! The PromQL editor on the recorded Prometheus: completion of metric and
//! label names from its answers, running an edited expression, and the
//! history kept in a file across runs.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use crossterm::event::KeyCode;
use support::{clear_prompt as clear, key, press, screen, state, type_text as typed};
use triage::app::{Action, Clients, State};
use triage::app::{Loadable, View};
use triage_core::config::Config;

const COUNTER: &str = "sum by (code) (rate(http_server_requests_total[1m]))";
const P99: &str =
    "histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[1m])))";

async fn recorded(history_dir: &std::path::Path) -> Clients {
    let url = support::replay::start(Default::default()).await;
    Clients::from_config(&Config {
        history_dir: Some(history_dir.to_owned()),
        ..Config::with_urls(None, Some(&url), Some(&url))
    })
}

fn graph(s: &State) -> &triage::app::views::metrics::MetricsView {
    match s.current() {
        View::Metrics(view) => view,
        _ => panic!("not the metrics view"),
    }
}

#[tokio::test]
async fn edit_complete_run_and_recall() {
    let dir = std::env::temp_dir().join(format!("triage-editor-{}", std::process::id()));
    let history = dir.join("promql_history");
    let _ = std::fs::remove_dir_all(&dir);
    let c = recorded(&dir).await;
    let mut s = state(120, 30);
    support::graph(&mut s, &c, COUNTER, std::time::Duration::from_secs(600)).await;

    // e opens the editor on the expression shown.
    press(&mut s, &c, &[Action::EditQuery]).await;
    assert!(
        screen(&s).contains(&format!(" PromQL {COUNTER}")),
        "{}",
        screen(&s)
    );

    // Metric names come from Prometheus, functions beside them.
    clear(&mut s, &c).await;
    typed(
        &mut s,
        &c,
        "histogram_quantile(0.99, sum by (le) (rate(http_server_req",
    )
    .await;
    let text = screen(&s);
    assert!(
        text.contains(" http_server_request_duration_seconds_bucket"),
        "{text}"
    );
    assert!(text.contains(" http_server_requests_total "), "{text}");
    assert!(!text.contains(" up "), "{text}");
    key(&mut s, &c, KeyCode::Tab).await;
    typed(&mut s, &c, "[1m])))").await;
    press(&mut s, &c, &[Action::Submit]).await;
    let view = graph(&s);
    assert_eq!(view.expression, P99);
    let Loadable::Ready(model) = &view.load else { panic!("{:?}", view.load) };
    assert!(!model.series.is_empty());
    // The unit comes from the histogram family's metadata.
    assert_eq!(model.unit.as_ref().map(|u| u.as_str()), Some("seconds"));
    assert_eq!(s.history.promql, [P99]);
    assert_eq!(triage::history::load(&history), [P99]);

    // Label names inside braces; accepting one opens its value.
    press(&mut s, &c, &[Action::EditQuery]).await;
    clear(&mut s, &c).await;
    typed(&mut s, &c, "http_server_requests_total{co").await;
    assert!(screen(&s).contains(" code "), "{}", screen(&s));
    key(&mut s, &c, KeyCode::Tab).await;
    let line = s.prompt.as_ref().unwrap().textarea.lines()[0].clone();
    assert_eq!(line, "http_server_requests_total{code=\"");
    // The recording has no values of `code`: the list says why.
    assert!(screen(&s).contains("no names: "), "{}", screen(&s));

    // ↑ walks the history, ↓ comes back to what was typed.
    key(&mut s, &c, KeyCode::Up).await;
    assert_eq!(s.prompt.as_ref().unwrap().textarea.lines()[0], P99);
    key(&mut s, &c, KeyCode::Down).await;
    assert_eq!(s.prompt.as_ref().unwrap().textarea.lines()[0], line);
    // Esc leaves the graph as it was.
    press(&mut s, &c, &[Action::CancelInput]).await;
    assert!(s.prompt.is_none());
    assert_eq!(graph(&s).expression, P99);
    std::fs::remove_dir_all(&dir).unwrap();
}
