//! Against a real Prometheus started for the test: exemplars scraped from
//! an OpenMetrics target come back through our client, and so does the
//! alert its rule fires.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;
use support::prometheus::{EXEMPLAR_TRACES, RealPrometheus};
use triage::backend::{Endpoint, PrometheusClient};
use triage::domain::{AlertState, TimeRange};

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
        rules[0].query,
        "sum(rate(http_server_requests_total{code=\"500\"}[1m])) > 0"
    );

    let err = client.query("sum(rate(", None).await.unwrap_err();
    assert!(err.message.starts_with("bad_data: "), "{err}");
}
