//! The demo's Prometheus through our real client: the graph, exemplars that
//! lead to the demo's traces, the firing alert and its rule, names, units
//! and errors.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::collections::BTreeSet;
use std::time::Duration;
use triage_core::backend::{Endpoint, PrometheusClient};
use triage_core::domain::{AlertState, TimeRange};

const MINUTE: i64 = 60_000_000_000;

#[tokio::test]
async fn the_demo_answers_like_prometheus() {
    let now = triage::app::now();
    let demo = triage_demo::start(now).await.unwrap();
    let client = PrometheusClient::new(&Endpoint::new(&demo.prometheus_url)).unwrap();
    let hour = TimeRange::last(Duration::from_secs(3600), now);

    let series = client
        .query_range(
            "sum(rate(http_server_requests_total[1m])) by (code)",
            hour,
            Duration::from_secs(15),
        )
        .await
        .unwrap()
        .data;
    let codes: Vec<_> = series
        .iter()
        .map(|s| s.labels.get("code").unwrap().to_string())
        .collect();
    assert_eq!(codes, ["200", "500"]);
    for s in &series {
        assert!(s.points.len() > 200, "{}", s.points.len());
        assert!(
            s.points
                .iter()
                .all(|p| p.value.is_finite() && p.value > 0.0),
            "{:?}",
            s.points
        );
    }

    let exemplars = client
        .exemplars("http_server_request_duration_seconds_bucket", hour)
        .await
        .unwrap()
        .data;
    let known: BTreeSet<String> = demo.data.traces.iter().map(|t| t.hex_id()).collect();
    let found: BTreeSet<String> = exemplars
        .iter()
        .map(|e| e.trace_id("trace_id").expect("a trace id").to_string())
        .collect();
    assert!(found.len() >= 55, "{}", found.len());
    assert!(found.is_subset(&known));
    assert!(exemplars.iter().all(|e| e.series.get("le").is_some()));

    let alerts = client.alerts().await.unwrap();
    let firing: Vec<_> = alerts
        .iter()
        .filter(|a| a.name() == "HighErrorRate")
        .collect();
    assert_eq!(firing.len(), 1, "{alerts:?}");
    let alert = firing[0];
    assert_eq!(alert.state, AlertState::Firing);
    assert_eq!(alert.labels.get("severity").unwrap().as_str(), "page");
    assert!(alert.annotations.get("runbook_url").is_some());
    let since = alert.active_since.expect("activeAt");
    assert!(
        since > now - 30 * MINUTE && since < now - 2 * MINUTE,
        "{since}"
    );

    let rules = client.alert_rules().await.unwrap();
    let rule = rules
        .iter()
        .find(|r| r.name.as_str() == "HighErrorRate")
        .unwrap();
    assert_eq!(
        rule.query.as_str(),
        r#"sum(rate(http_server_requests_total{namespace="shop",code=~"5.."}[5m])) / sum(rate(http_server_requests_total{namespace="shop"}[5m])) > 0.05"#
    );
    assert_eq!(rule.alerts.len(), 1);
    assert!(rules.len() >= 2);

    let names: Vec<String> = client
        .label_values("__name__")
        .await
        .unwrap()
        .iter()
        .map(|n| n.to_string())
        .collect();
    for name in [
        "http_server_requests_total",
        "http_server_request_duration_seconds_bucket",
        "http_server_request_duration_seconds_sum",
        "http_server_request_duration_seconds_count",
    ] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }

    let metadata = client.metadata(None).await.unwrap();
    assert_eq!(
        metadata["http_server_request_duration_seconds"]
            .unit
            .as_str(),
        "seconds"
    );

    let err = client.query("sum(rate(", None).await.unwrap_err();
    assert!(err.to_string().contains("bad_data"), "{err}");
    let err = client.query("topk(3, up)", None).await.unwrap_err();
    assert!(err.to_string().contains("bad_data"), "{err}");
}

/// The whole path on the demo, as a user walks it: home's firing alert,
/// Enter graphs it, an exemplar of a failed request, Enter opens its trace.
#[tokio::test]
async fn from_the_demos_alert_to_a_failed_trace() {
    use triage::app::{self, Action, Clients, Msg, Settings, State, update};
    use triage::app::{Loadable, View};
    use triage_core::config::Config;
    let now = triage::app::now();
    let demo = triage_demo::start(now).await.unwrap();
    let clients = Clients::from_config(&Config::with_urls(
        Some(&demo.loki_url),
        Some(&demo.tempo_url),
        Some(&demo.prometheus_url),
    ));
    let mut state = State::new(Settings::default(), 160, 45, now);
    let mut effects = Vec::new();
    support::ask_home_alerts(&mut state, &mut effects);
    let deadline = Duration::from_secs(10);
    app::settle(&mut state, &clients, deadline, effects).await;
    let screen = triage::ui::print::render_text(&state, 160, 45);
    assert!(
        screen.contains("firing  page     HighErrorRate"),
        "{screen}"
    );

    let press = async |state: &mut State, action| {
        let effects = update(state, Msg::Action(action), now);
        app::settle(state, &clients, deadline, effects).await;
    };
    press(&mut state, Action::Open).await;
    let View::Metrics(graph) = state.current() else { panic!("no graph") };
    assert!(
        graph.expression.contains("code=~\"5..\""),
        "{}",
        graph.expression
    );
    let Loadable::Ready(model) = &graph.load else { panic!("{:?}", graph.load) };
    let failed = model
        .exemplars
        .iter()
        .position(|e| e.series.get("code").is_some_and(|c| c.as_str() == "500"))
        .expect("an exemplar of a failed request");
    let trace_id = model.exemplars[failed].trace_id("trace_id").unwrap();
    for _ in 0..failed {
        press(&mut state, Action::Down).await;
    }
    press(&mut state, Action::Open).await;
    let View::Trace(trace) = state.current() else { panic!("no trace") };
    assert_eq!(trace.trace_id, trace_id);
    let Loadable::Ready(model) = &trace.load else { panic!("{:?}", trace.load) };
    assert!(model.trace.spans.iter().any(|s| s.is_error()));
}
