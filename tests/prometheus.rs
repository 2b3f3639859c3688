//! The Prometheus client against the recorded answers of a real
//! Prometheus 2.42 (with exemplar storage).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;
use support::replay::{self, Options};
use triage_core::backend::{Endpoint, ErrorKind, PrometheusClient};
use triage_core::domain::{AlertState, TimeRange};

// The recording's window; the replay server does not compare times.
const RANGE: TimeRange = TimeRange {
    start: 1_795_288_321_000_000_000,
    end: 1_795_288_921_000_000_000,
};
const RATE_BY_CODE: &str = "sum by (code) (rate(http_server_requests_total[1m]))";

async fn prometheus() -> PrometheusClient {
    PrometheusClient::new(&Endpoint::new(replay::start(Options::default()).await)).unwrap()
}

#[tokio::test]
async fn range_queries_become_series_with_nan_kept() {
    let client = prometheus().await;
    let answer = client
        .query_range(RATE_BY_CODE, RANGE, Duration::from_secs(15))
        .await
        .unwrap();
    let codes: Vec<_> = answer
        .data
        .iter()
        .map(|s| s.labels.get("code").unwrap().to_string())
        .collect();
    assert_eq!(codes, ["200", "500"]);
    assert!(answer.data.iter().all(|s| !s.points.is_empty()));
    assert!(answer.warnings.is_empty());

    let p99 = "histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket[1m])))";
    let answer = client
        .query_range(p99, RANGE, Duration::from_secs(15))
        .await
        .unwrap();
    let points = &answer.data[0].points;
    assert_eq!(points.len(), 7);
    assert!(points[0].value.is_nan());
    assert_eq!(points[0].time, 1_795_288_831_000_000_000);
    assert!((points[3].value - 0.9625).abs() < 1e-12);
}

#[tokio::test]
async fn instant_queries_become_one_point_series() {
    let answer = prometheus()
        .await
        .query("http_server_requests_total", None)
        .await
        .unwrap();
    assert!(!answer.data.is_empty());
    assert!(answer.data.iter().all(|s| s.points.len() == 1));
    assert_eq!(
        answer.data[0].labels.get("__name__").map(|n| n.as_str()),
        Some("http_server_requests_total")
    );
}

#[tokio::test]
async fn exemplars_carry_trace_ids_recorded_in_tempo() {
    let client = prometheus().await;
    let answer = client
        .exemplars("http_server_request_duration_seconds_bucket", RANGE)
        .await
        .unwrap();
    assert!(!answer.data.is_empty());
    let first = &answer.data[0];
    assert_eq!(first.series.get("le").map(|v| v.as_str()), Some("0.05"));
    assert_eq!(first.value, 0.05);
    assert_eq!(first.time, 1_795_288_815_770_000_000);
    // Every exemplar names a trace, and each of those is recorded from Tempo.
    let tempo = replay::fixtures_dir().join("tempo");
    for exemplar in &answer.data {
        let id = exemplar.trace_id("trace_id").expect("a trace id");
        assert!(
            tempo.join(format!("trace_v2_exemplar_{id}.json")).exists(),
            "{id}"
        );
        assert_eq!(
            exemplar.trace_id("traceID"),
            Some(id),
            "a label the exemplar lacks: the usual ones after it"
        );
    }
}

#[tokio::test]
async fn alerts_and_their_rules() {
    let client = prometheus().await;
    let alerts = client.alerts().await.unwrap();
    let names: Vec<_> = alerts.iter().map(|a| a.name()).collect();
    assert_eq!(names, ["ApiHighLatency", "ApiErrors"]);
    assert!(alerts.iter().all(|a| a.state == AlertState::Firing));
    assert_eq!(
        alerts[0].annotations.get("summary").map(|s| s.as_str()),
        Some("p99 latency of api above 200ms")
    );
    assert_eq!(alerts[0].active_since, Some(1_795_288_866_668_118_422));
    let rules = client.alert_rules().await.unwrap();
    let rule = rules
        .iter()
        .find(|r| r.name.as_str() == "ApiErrors")
        .unwrap();
    assert_eq!(
        rule.query.as_str(),
        "sum(rate(http_server_requests_total{code=\"500\"}[1m])) > 0"
    );
    assert_eq!(rule.alerts.len(), 1);
}

#[tokio::test]
async fn names_labels_and_metadata_for_completion() {
    let client = prometheus().await;
    let labels = client.label_names().await.unwrap();
    assert!(labels.iter().any(|l| l.as_str() == "code"));
    let metrics = client.label_values("__name__").await.unwrap();
    assert!(
        metrics
            .iter()
            .any(|m| m.as_str() == "http_server_requests_total")
    );
    let metadata = client.metadata(None).await.unwrap();
    assert_eq!(
        metadata["http_server_request_duration_seconds"]
            .unit
            .as_str(),
        "seconds"
    );
    assert_eq!(metadata["http_server_requests"].kind.as_str(), "counter");
}

#[tokio::test]
async fn bad_promql_keeps_prometheus_words() {
    let err = prometheus()
        .await
        .query("sum(rate(http_server_requests_total[1m]", None)
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Http, Some(400)));
    assert_eq!(
        triage::ui::notice::message(&err.message),
        "bad_data: invalid parameter \"query\": 1:40: parse error: unclosed left parenthesis"
    );
}

#[tokio::test]
async fn a_proxy_error_page_reads_as_one() {
    use support::faults::{self, Fault};
    let html = "<html><title>502 Bad Gateway</title></html>".to_owned();
    let url = faults::start(Fault::Status(502, "text/html", html)).await;
    let err = PrometheusClient::new(&Endpoint::new(url))
        .unwrap()
        .alerts()
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(502));
    assert!(
        triage::ui::notice::message(&err.message).contains("proxy")
            && triage::ui::notice::message(&err.message).contains("502 Bad Gateway"),
        "{err}"
    );
}

#[tokio::test]
async fn warnings_are_kept() {
    let body = r#"{"status":"success","data":{"resultType":"vector","result":[]},"warnings":["partial response: store unreachable"],"infos":["PromQL info: metric might not be a counter"]}"#;
    let url = support::faults::start(support::faults::Fault::Status(
        200,
        "application/json",
        body.into(),
    ))
    .await;
    let answer = PrometheusClient::new(&Endpoint::new(url))
        .unwrap()
        .query("up", None)
        .await
        .unwrap();
    let words: Vec<_> = answer.warnings.iter().map(|w| w.as_str()).collect();
    assert_eq!(
        words,
        [
            "partial response: store unreachable",
            "PromQL info: metric might not be a counter"
        ]
    );
}
