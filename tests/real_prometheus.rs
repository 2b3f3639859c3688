//! Against a real Prometheus started for the test: exemplars scraped from
//! an OpenMetrics target come back through our client, and so does the
//! alert its rule fires.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;
use support::open_alerts;
use support::prometheus::{EXEMPLAR_TRACES, RealPrometheus};
use triage::app::{Action, Clients};
use triage::app::{Loadable, View};
use triage_core::backend::{Endpoint, PrometheusClient};
use triage_core::config::Config;
use triage_core::domain::{AlertState, TimeRange};

#[tokio::test(flavor = "multi_thread")]
async fn exemplars_alerts_and_rules_from_a_real_prometheus() {
    let prometheus = RealPrometheus::start().await;
    let client = PrometheusClient::new(&Endpoint::new(&prometheus.url)).unwrap();
    let now = triage::app::now();
    let range = TimeRange::last(Duration::from_secs(300), now + 1_000_000_000);

    let promql = "sum by (code) (rate(http_server_requests_total[1m]))";
    let series = client
        .query_range(promql, range, Duration::from_secs(1))
        .await
        .unwrap()
        .data;
    let codes: Vec<_> = series
        .iter()
        .map(|s| s.labels.get("code").unwrap().to_string())
        .collect();
    assert_eq!(codes, ["200", "500"]);
    assert!(
        series
            .iter()
            .all(|s| s.points.iter().any(|p| p.value > 0.0))
    );

    let exemplars = client
        .exemplars("http_server_requests_total", range)
        .await
        .unwrap()
        .data;
    let traces: std::collections::BTreeSet<String> = exemplars
        .iter()
        .filter_map(|e| e.trace_id("trace_id"))
        .map(|t| t.to_string())
        .collect();
    assert_eq!(
        traces,
        EXEMPLAR_TRACES.iter().map(|t| t.to_string()).collect()
    );
    assert!(
        exemplars
            .iter()
            .all(|e| e.time > range.start && e.time <= range.end)
    );

    let alerts = client.alerts().await.unwrap();
    let alert = alerts
        .iter()
        .find(|a| a.name() == "ApiErrors")
        .expect("ApiErrors fires");
    assert_eq!(alert.state, AlertState::Firing);
    assert_eq!(
        alert.labels.get("severity").map(|s| s.as_str()),
        Some("critical")
    );
    assert_eq!(
        alert.annotations.get("runbook_url").map(|s| s.as_str()),
        Some("https://runbooks.example/api-errors")
    );
    let rules = client.alert_rules().await.unwrap();
    assert_eq!(
        rules[0].query.as_str(),
        "sum(rate(http_server_requests_total{code=\"500\"}[1m])) > 0"
    );

    let err = client.query("sum(rate(", None).await.unwrap_err();
    assert!(
        triage::ui::notice::message(&err.message).starts_with("bad_data: "),
        "{err}"
    );

    graph_then_exemplar_to_trace(&prometheus.url).await;
    printed_graph_lists_exemplars(&prometheus.url).await;
    alert_list_then_graph(&prometheus.url).await;
    editor_on_a_real_prometheus(&prometheus.url).await;
    printed_alerts(&prometheus.url).await;
    services_of_real_span_metrics(&prometheus.url).await;
}

/// The services view over the span metrics and service graph the real
/// Prometheus scraped: the failing service first, the database that only
/// its clients' spans name, p99 interpolated in its bucket as Prometheus
/// does, and the failing call between services.
async fn services_of_real_span_metrics(prometheus: &str) {
    use triage::app::views::services::ServicesView;
    let c = Clients::from_config(&Config::with_urls(None, None, Some(prometheus)));
    let mut s = support::state(160, 45);
    s.now = triage::app::now();
    let now = s.now;
    let open = triage::app::Msg::Open(triage::app::Target::Services(None));
    let effects = triage::app::update(&mut s, open, now);
    support::settle(&mut s, &c, effects).await;
    let View::Services(view) = s.current() else { panic!("not the services view") };
    let Loadable::Ready(rows) = &view.red else { panic!("{:?}", view.red.failed()) };
    let order: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
    assert_eq!(order, ["checkout", "api", "db"]);
    assert!(
        (rows[0].error_ratio - 0.5).abs() < 1e-9,
        "{}",
        rows[0].error_ratio
    );
    assert!(
        (rows[1].error_ratio - 1.0 / 11.0).abs() < 1e-9,
        "{}",
        rows[1].error_ratio
    );
    // 99% of 10 calls is the 9.9th: 0.9 of the way through (0.1, 1.0].
    assert!((rows[1].p99 - 0.91).abs() < 1e-9, "{}", rows[1].p99);
    assert!(
        rows[2].rate > 0.0 && rows[2].p99.is_nan(),
        "db: its clients' calls, no histogram"
    );
    support::press(&mut s, &c, &[Action::ToggleEdges]).await;
    let View::Services(ServicesView {
        edges: Some(Loadable::Ready(edges)),
        ..
    }) = s.current()
    else {
        panic!("no calls between services")
    };
    assert!(edges.failed_counted);
    let db = &edges.edges[0];
    assert_eq!((db.client.as_str(), db.server.as_str()), ("api", "db"));
    assert!(
        (db.error_ratio.unwrap_or_default() - 1.0 / 3.0).abs() < 1e-9,
        "{db:?}"
    );
}

/// The alerts view lists the firing alert; Enter graphs its rule's
/// expression over a window that holds the moment it started.
async fn alert_list_then_graph(prometheus: &str) {
    let config = Config::with_urls(None, None, Some(prometheus));
    let clients = Clients::from_config(&config);
    let mut s = support::state(120, 40);
    s.now = triage::app::now();
    let mut effects = Vec::new();
    open_alerts(&mut s, &mut effects);
    support::settle(&mut s, &clients, effects).await;
    let text = support::screen(&s);
    assert!(text.contains("1 firing"), "{text}");
    assert!(text.contains("firing  critical ApiErrors"), "{text}");
    assert!(
        text.contains("https://runbooks.example/api-errors"),
        "{text}"
    );
    let View::Alerts(alerts) = s.current() else { panic!("not the alerts view") };
    let Loadable::Ready(model) = &alerts.load else { panic!("{:?}", alerts.load) };
    let started = model.rows[0].alert.active_since.expect("activeAt");

    support::press(&mut s, &clients, &[Action::Open]).await;
    let View::Metrics(graph) = s.current() else { panic!("Enter did not graph the alert") };
    assert_eq!(
        graph.expression,
        "sum(rate(http_server_requests_total{code=\"500\"}[1m])) > 0"
    );
    assert!(graph.range().start < started && started <= graph.range().end);
    let Loadable::Ready(model) = &graph.load else { panic!("{:?}", graph.load) };
    assert!(
        model
            .series
            .iter()
            .any(|s| s.points.iter().any(|p| p.value > 0.0))
    );
}

async fn printed_alerts(prometheus: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args([
            "alerts",
            "--print",
            "--width",
            "140",
            "--prometheus",
            prometheus,
        ])
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("triage-no-config"),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("ApiErrors") && text.contains("critical"),
        "{text}"
    );
}

/// The metrics view on the real Prometheus: the chart with its exemplars,
/// and Enter on an exemplar opens its trace from Tempo (recorded answers).
async fn graph_then_exemplar_to_trace(prometheus: &str) {
    let tempo = support::replay::start(Default::default()).await;
    let config = Config::with_urls(None, Some(&tempo), Some(prometheus));
    let clients = Clients::from_config(&config);
    let mut s = support::state(120, 40);
    s.now = triage::app::now();
    support::graph(
        &mut s,
        &clients,
        "sum by (code) (rate(http_server_requests_total[1m]))",
        Duration::from_secs(300),
    )
    .await;
    let text = support::screen(&s);
    assert!(
        text.contains("{code=\"200\"}") && text.contains("{code=\"500\"}"),
        "{text}"
    );
    assert!(
        text.contains('⣿') || text.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c)),
        "no braille line:\n{text}"
    );
    let View::Metrics(view) = s.current() else { panic!("not the metrics view") };
    let Loadable::Ready(model) = &view.load else { panic!("not loaded: {:?}", view.load) };
    let target = model
        .exemplars
        .iter()
        .position(|e| e.trace_id("trace_id").is_some())
        .expect("an exemplar");
    let trace_id = model.exemplars[target].trace_id("trace_id").unwrap();
    assert!(
        text.contains(&trace_id.to_string()),
        "the list shows full trace ids:\n{text}"
    );
    for _ in 0..target {
        support::press(&mut s, &clients, &[Action::Down]).await;
    }
    support::press(&mut s, &clients, &[Action::Open]).await;
    let View::Trace(trace) = s.current() else { panic!("Enter did not open a trace") };
    assert_eq!(trace.trace_id, trace_id);
    assert!(matches!(trace.load, Loadable::Ready(_)), "{:?}", trace.load);
}

async fn printed_graph_lists_exemplars(prometheus: &str) {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_triage"))
        .args([
            "metrics",
            "sum by (code) (rate(http_server_requests_total[1m]))",
            "--since",
            "5m",
        ])
        .args(["--print", "--width", "140", "--prometheus", prometheus])
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("triage-no-config"),
        )
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for trace in EXEMPLAR_TRACES {
        assert!(
            text.contains(trace),
            "{trace} missing from the printed list:\n{text}"
        );
    }
}

/// Invalid PromQL puts Prometheus's bad_data words right under the editor;
/// label values complete from what the target exposes.
async fn editor_on_a_real_prometheus(prometheus: &str) {
    let config = Config::with_urls(None, None, Some(prometheus));
    let clients = Clients::from_config(&config);
    let mut s = support::state(120, 30);
    s.now = triage::app::now();
    support::graph(&mut s, &clients, "sum(rate(", Duration::from_secs(300)).await;
    let text = support::screen(&s);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[1], " PromQL sum(rate(", "{text}");
    assert!(lines[2].contains("bad_data"), "{text}");

    support::clear_prompt(&mut s, &clients).await;
    support::type_text(&mut s, &clients, "http_server_requests_total{code=\"").await;
    let text = support::screen(&s);
    let offered = |v: &str| text.lines().any(|l| l.trim() == v);
    assert!(offered("200") && offered("500"), "{text}");
    // The list opens under Prometheus's complaint, not over it.
    assert!(text.contains("bad_data"), "{text}");
    support::key(&mut s, &clients, crossterm::event::KeyCode::Down).await;
    support::key(&mut s, &clients, crossterm::event::KeyCode::Tab).await;
    assert_eq!(
        s.prompt.as_ref().unwrap().textarea.lines()[0],
        "http_server_requests_total{code=\"500\""
    );
}
