//! Loki's calls for completion and the logs view's summaries, against the
//! recorded answers of a real Loki 3.4: label names (scoped by a selector)
//! and a label's values, lines by level over time, log patterns; and every
//! recorded `query_range` answer, categorized labels included, read as
//! lines.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use axum::response::IntoResponse;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::replay::{self, Options, fixtures_dir};
use triage_core::backend::error::Problem;
use triage_core::backend::loki::{Decoded, decode_streams};
use triage_core::backend::{Endpoint, ErrorKind, LokiClient};
use triage_core::domain::{Level, TimeRange};
use triage_core::secret::Redactor;

/// The second set's window (the replay server does not compare times).
const RANGE: TimeRange = TimeRange {
    start: 1_796_283_682_000_000_000,
    end: 1_796_287_282_000_000_000,
};
const SECOND: i64 = 1_000_000_000;

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixtures_dir().join("loki").join(name)).unwrap()
}

/// A Loki that answers the recorded label lists by path, an empty 404
/// (what Loki without a pattern ingester answers for patterns) to
/// anything else, and keeps each request's path and query as sent.
async fn recording_loki() -> (String, Arc<Mutex<Vec<String>>>) {
    let asked = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&asked);
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        let kept = Arc::clone(&kept);
        async move {
            kept.lock().unwrap().push(request.uri().to_string());
            let file = match request.uri().path() {
                "/loki/api/v1/labels" => "labels.json",
                "/loki/api/v1/label/pod/values" => "label_pod_values.json",
                _ => return StatusCode::NOT_FOUND.into_response(),
            };
            let json = [(header::CONTENT_TYPE, "application/json; charset=UTF-8")];
            (json, fixture(file)).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, asked)
}

fn param(uri: &str, name: &str) -> Option<String> {
    let url = url::Url::parse(&format!("http://x{uri}")).unwrap();
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn texts(texts: &[triage_core::domain::SafeText]) -> Vec<&str> {
    texts.iter().map(|t| t.as_str()).collect()
}

#[tokio::test]
async fn label_names_and_values_scoped_by_a_selector() {
    let (url, asked) = recording_loki().await;
    let loki = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let names = loki.labels(None, RANGE).await.unwrap();
    assert_eq!(
        texts(&names),
        ["app", "container", "namespace", "pod", "service_name"]
    );
    let selector = r#"{app="api"}"#;
    loki.labels(Some(selector), RANGE).await.unwrap();
    let pods = loki
        .label_values("pod", Some(selector), RANGE)
        .await
        .unwrap();
    assert_eq!(
        texts(&pods),
        [
            "api-5c6b9d7f4-mz8wn",
            "auth-6f7c8d9b5-q4lrt",
            "frontend-7d9f8b6c5-x2kqp"
        ]
    );
    let weird = loki
        .label_values("a/../b?c", None, RANGE)
        .await
        .unwrap_err();
    assert_eq!(weird.kind, ErrorKind::NotFound);
    assert_eq!(loki.label_values("..", None, RANGE).await.unwrap(), []);

    let asked = asked.lock().unwrap().clone();
    assert_eq!(asked.len(), 4, "{asked:?}");
    assert_eq!(param(&asked[0], "query"), None, "unscoped");
    assert_eq!(param(&asked[0], "start"), Some(RANGE.start.to_string()));
    assert_eq!(param(&asked[0], "end"), Some(RANGE.end.to_string()));
    assert_eq!(param(&asked[1], "query").as_deref(), Some(selector));
    assert!(asked[2].starts_with("/loki/api/v1/label/pod/values?"));
    assert_eq!(param(&asked[2], "query").as_deref(), Some(selector));
    assert!(
        asked[3].starts_with("/loki/api/v1/label/a%2F%2E%2E%2Fb%3Fc/values?"),
        "one segment: {}",
        asked[3]
    );
}

#[tokio::test]
async fn volume_counts_a_querys_lines_per_level_and_step() {
    let loki = LokiClient::new(&Endpoint::new(replay::start(Options::default()).await)).unwrap();
    let step = Duration::from_secs(60);
    let volume = loki
        .volume(r#"{namespace="shop"}"#, RANGE, step)
        .await
        .unwrap();
    assert_eq!((volume.range, volume.step), (RANGE, step));
    let levels: Vec<Level> = volume.series.iter().map(|(level, _)| *level).collect();
    assert_eq!(levels, [Level::Unknown, Level::Info, Level::Error]);
    let totals: Vec<u64> = (volume.series.iter())
        .map(|(_, points)| points.iter().map(|(_, n)| n).sum())
        .collect();
    assert_eq!(totals, [1127, 738, 33]);
    assert_eq!(volume.total(), 1898);
    assert!(volume.series.iter().all(|(_, points)| points.len() == 16));
    let (_, info) = &volume.series[1];
    assert_eq!(info[0], (1_796_286_420 * SECOND, 24));
    assert_eq!(info[15], (1_796_287_320 * SECOND, 22));
    assert!(info.windows(2).all(|w| w[1].0 - w[0].0 == 60 * SECOND));
}

#[tokio::test]
async fn patterns_most_frequent_first_and_none_without_a_pattern_ingester() {
    let loki = LokiClient::new(&Endpoint::new(replay::start(Options::default()).await)).unwrap();
    let step = Duration::from_secs(60);
    let patterns = loki
        .patterns(r#"{namespace="shop"}"#, RANGE, step)
        .await
        .unwrap();
    let totals: Vec<u64> = patterns.iter().map(|p| p.total).collect();
    assert_eq!(totals, [369, 369, 364, 363, 363, 33]);
    assert_eq!(
        patterns[0].pattern.as_str(),
        r#"[INFO] [trace_id=<_> span_id=<_>] request finished {"status": <_>, "ms": <_>}"#
    );
    assert_eq!(
        patterns[1].pattern.as_str(),
        r#"level=info msg="token verified" trace_id=<_> span_id=<_> user=<_>"#
    );
    assert_eq!(patterns[0].samples.len(), 16);
    assert_eq!(patterns[0].samples[0], (1_796_286_360 * SECOND, 12));
    assert_eq!(patterns[0].samples[15], (1_796_287_260 * SECOND, 11));
    for p in &patterns {
        assert_eq!(p.total, p.samples.iter().map(|(_, n)| n).sum::<u64>());
    }

    let (url, _) = recording_loki().await;
    let without = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let error = without
        .patterns(r#"{namespace="shop"}"#, RANGE, step)
        .await
        .unwrap_err();
    assert_eq!((error.kind, error.status), (ErrorKind::NotFound, Some(404)));
    assert_eq!(error.problem(), &Problem::NoPatterns);
    let words = triage::ui::notice::message(&error.message);
    assert!(words.contains("no pattern ingester"), "{words}");
    assert!(!words.contains('\n'), "one line: {words}");
}

#[test]
fn every_recorded_query_range_answer_reads_categorized_or_not() {
    let secrets = Redactor::default();
    let lines = |name: &str| decode_streams(&fixture(name), &secrets).unwrap();
    for (name, count) in [
        ("query_range_streams.json", 200),
        ("query_range_by_trace.json", 5),
        ("query_range_json_filter.json", 5),
        ("query_range_logfmt.json", 100),
        ("query_range_logfmt_categorized.json", 100),
        ("query_range_json.json", 100),
        ("query_range_json_categorized.json", 100),
        ("query_range_auth_logfmt.json", 100),
        ("query_range_auth_logfmt_categorized.json", 100),
    ] {
        assert_eq!(lines(name).len(), count, "{name}");
    }
    for name in [
        "query_range_matrix.json",
        "query_range_by_detected_level.json",
    ] {
        assert!(
            matches!(decode_streams(&fixture(name), &secrets), Err(Decoded::Unsupported(t)) if t.as_str() == "matrix"),
            "{name}"
        );
    }
    // Every recorded answer is read: none is left out of the list above.
    let recorded = std::fs::read_dir(fixtures_dir().join("loki"))
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("query_range_") && n.ends_with(".json"))
        .count();
    assert_eq!(recorded, 11);

    // Categorized: the same lines, labels of the index only (the parsed
    // ones and detected_level travel in the third element, not read).
    for plain in ["logfmt", "json", "auth_logfmt"] {
        let key = |name: String| {
            let mut lines: Vec<_> = lines(&name)
                .into_iter()
                .map(|l| (l.timestamp, l.line))
                .collect();
            lines.sort();
            lines
        };
        let categorized = format!("query_range_{plain}_categorized.json");
        assert_eq!(
            key(format!("query_range_{plain}.json")),
            key(categorized.clone()),
            "{plain}"
        );
        for line in lines(&categorized) {
            let names: Vec<&str> = line.labels.0.iter().map(|(k, _)| k.as_str()).collect();
            assert_eq!(
                names,
                ["app", "container", "namespace", "pod", "service_name"]
            );
        }
    }
    // Without the header, `| logfmt` on auth's lines makes a stream of each.
    let auth = lines("query_range_auth_logfmt.json");
    assert!(auth.iter().all(|l| l.labels.get("user").is_some()));
}
