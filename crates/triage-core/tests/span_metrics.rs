//! The services table against span metrics and a service graph written by
//! a real Tempo 2.7 metrics generator (the shared fixtures): its rows are
//! what the same sums give by hand.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::collections::BTreeMap;
use std::path::PathBuf;
use triage_core::backend::prometheus::{decode_exemplars, decode_series};
use triage_core::correlate::red::{self, RedAnswers, SpanMetricNames};
use triage_core::domain::{Labels, Point, Series};
use triage_core::secret::Redactor;

fn recorded(name: &str) -> Vec<Series> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/prometheus");
    let body = std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
    decode_series(&body, &Redactor::default())
        .ok()
        .unwrap()
        .data
}

/// `sum by (service)` of the series `keep` takes, point by point: the
/// PromQL the view sends, done by hand on the recorded answer.
fn sum_by_service(all: &[Series], keep: impl Fn(&Series) -> bool) -> Vec<Series> {
    let mut sums: BTreeMap<String, Vec<Point>> = BTreeMap::new();
    for series in all.iter().filter(|s| keep(s)) {
        let service = series.labels.get("service").unwrap().to_string();
        let sum = sums.entry(service).or_insert_with(|| {
            series
                .points
                .iter()
                .map(|p| Point { value: 0.0, ..*p })
                .collect()
        });
        for (total, point) in sum.iter_mut().zip(&series.points) {
            total.value += point.value;
        }
    }
    sums.into_iter()
        .map(|(service, points)| Series {
            labels: Labels::from_pairs([("service", service)]),
            points,
        })
        .collect()
}

#[test]
fn the_services_rows_are_the_recorded_sums() {
    let calls = recorded("spanmetrics_calls_range.json");
    let failed = |s: &Series| {
        s.labels
            .get("status_code")
            .is_some_and(|c| c.as_str() == "STATUS_CODE_ERROR")
    };
    let answers = RedAnswers {
        rate: sum_by_service(&calls, |_| true),
        errors: sum_by_service(&calls, failed),
        p50: Vec::new(),
        p99: recorded("spanmetrics_p99_range.json"),
    };
    let rows = red::red_rows(&SpanMetricNames::tempo(), &answers);
    let order: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
    // frontend fails 0.0456 of 0.4982 calls a second, api 0.0912 of 1.4947,
    // postgres 0.0456 of 0.9965, auth never.
    assert_eq!(order, ["frontend", "api", "postgres", "auth"]);
    let api = &rows[1];
    assert!((api.rate - 1.494_736_8).abs() < 1e-6, "{}", api.rate);
    assert!(
        (api.error_ratio - 0.091_228_07 / 1.494_736_8).abs() < 1e-6,
        "{}",
        api.error_ratio
    );
    assert!((api.p99 - 0.946_102_857).abs() < 1e-9, "{}", api.p99);
    assert!(api.p50.is_nan(), "no p50 asked: none shown");
    assert_eq!(api.rate_line.len(), calls[0].points.len());
    assert_eq!(rows[3].error_ratio, 0.0);
}

/// Tempo's metrics generator labels exemplars `traceID`; they are read
/// with the default configuration (`trace_id`), which is tried first.
#[test]
fn tempos_exemplar_label_is_read_without_configuration() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/prometheus");
    let body = std::fs::read(dir.join("query_exemplars_spanmetrics.json")).unwrap();
    let exemplars = decode_exemplars(&body, &Redactor::default())
        .ok()
        .unwrap()
        .data;
    assert!(!exemplars.is_empty());
    for exemplar in &exemplars {
        let written = exemplar.labels.get("traceID").unwrap();
        let found = exemplar.trace_id("trace_id").map(|id| id.to_string());
        assert!(
            found
                .as_deref()
                .is_some_and(|id| id.ends_with(written.as_str())),
            "{written}"
        );
        assert_eq!(exemplar.labels.get("trace_id"), None);
    }
}

#[test]
fn the_recorded_service_graph_gives_its_edges() {
    let rate = recorded("service_graph_rate.json");
    let failed = recorded("service_graph_failed.json");
    let p99 = recorded("service_graph_p99.json");
    let edges = red::edges(&rate, Some(&failed), &p99);
    let pairs: Vec<(String, String)> = edges
        .iter()
        .map(|e| (e.client.clone(), e.server.clone()))
        .collect();
    for pair in [("user", "frontend"), ("api", "auth"), ("postgres", "shop")] {
        assert!(
            pairs.contains(&(pair.0.into(), pair.1.into())),
            "{pair:?} in {pairs:?}"
        );
    }
    // api -> auth has no failed series (it never failed): 0, not unknown.
    let auth = edges.iter().find(|e| e.server == "auth").unwrap();
    assert_eq!(auth.error_ratio, Some(0.0));
    assert!(
        edges[0].error_ratio.unwrap() > 0.0,
        "the failing edge first: {edges:?}"
    );
}
