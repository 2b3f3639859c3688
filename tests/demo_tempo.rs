//! The demo's Tempo search through our real client, and the walk it makes
//! possible: a failed request found by TraceQL -> its trace -> the
//! database span on the critical path -> that pod's Loki lines of the trace.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use std::time::Duration;
use triage_core::backend::{Direction, Endpoint, LogQuery, LokiClient, Problem, TempoClient};
use triage_core::domain::{
    Completeness, SearchResult, Tag, TagScope, TimeRange, TraceId, TraceQuery,
};
use triage_demo::Demo;

const NOW: i64 = support::RECORDED_AT;

async fn demo() -> (Demo, TempoClient) {
    let demo = triage_demo::start(NOW).await.unwrap();
    let tempo = TempoClient::new(&Endpoint::new(&demo.tempo_url)).unwrap();
    (demo, tempo)
}

fn hour() -> TimeRange {
    TimeRange::last(Duration::from_secs(3600), NOW)
}

fn query(traceql: &str) -> TraceQuery {
    TraceQuery {
        traceql: traceql.into(),
        range: hour(),
        limit: 100,
        spss: 3,
    }
}

async fn search(tempo: &TempoClient, traceql: &str) -> SearchResult {
    tempo.search(&query(traceql)).await.unwrap()
}

fn failed_ids(demo: &Demo) -> Vec<String> {
    demo.data
        .traces
        .iter()
        .filter(|t| t.failed())
        .map(|t| t.hex_id())
        .collect()
}

#[tokio::test]
async fn the_demo_searches_like_tempo() {
    let (demo, tempo) = demo().await;
    let all = search(&tempo, "{ }").await;
    // The hour's sixty requests and the burst's.
    assert_eq!(all.traces.len(), demo.data.traces.len());
    assert!(all.traces.len() > 60);
    assert_eq!(all.completeness, Completeness::Complete);
    assert!(all.traces.windows(2).all(|w| w[0].start >= w[1].start));

    let errors = search(&tempo, "{ status = error }").await;
    let mut found: Vec<String> = errors.traces.iter().map(|t| t.id.to_string()).collect();
    let mut failed = failed_ids(&demo);
    found.sort();
    failed.sort();
    assert_eq!(found, failed);
    let newest = &errors.traces[0];
    assert!(newest.error);
    assert_eq!(newest.root_service.as_str(), "frontend");
    assert!(newest.duration >= 800_000_000);
    // Four spans failed; three of them came back.
    assert_eq!(newest.span_sets[0].matched, 4);
    assert_eq!(newest.span_sets[0].spans.len(), 3);
    assert!(newest.span_sets[0].spans.iter().all(|s| s.is_error()));
    let postgres = newest
        .services
        .iter()
        .find(|(name, _)| name.as_str() == "postgres")
        .unwrap();
    assert_eq!((postgres.1.span_count, postgres.1.error_count), (2, 1));

    let db = search(
        &tempo,
        r#"{ resource.service.name = "postgres" && status = error }"#,
    )
    .await;
    assert_eq!(db.traces.len(), failed.len());
    let slow = search(&tempo, "{ duration > 200ms }").await;
    assert!(slow.traces.len() > failed.len());
    assert!(slow.traces.iter().all(|t| t.duration > 200_000_000));
    let named = search(
        &tempo,
        r#"{ name = "SELECT shop.articles" && span.db.system = "postgresql" }"#,
    )
    .await;
    let span = &named.traces[0].span_sets[0].spans[0];
    assert_eq!(span.name.as_str(), "SELECT shop.articles");
    assert_eq!(span.attribute("db.system").unwrap().as_str(), "postgresql");
    let not_api = search(
        &tempo,
        r#"{ resource.service.name != "api" && span.http.route = "/verify" }"#,
    )
    .await;
    assert_eq!(not_api.traces.len(), all.traces.len());
}

#[tokio::test]
async fn limit_spss_and_the_window_are_honoured() {
    let (demo, tempo) = demo().await;
    let few = tempo
        .search(&TraceQuery {
            limit: 7,
            spss: 1,
            ..query("{ }")
        })
        .await
        .unwrap();
    assert_eq!(few.traces.len(), 7);
    assert!(few.traces.iter().all(|t| t.span_sets[0].spans.len() == 1));
    assert!(few.traces.iter().all(|t| t.span_sets[0].matched >= 6));

    // Ten minutes at a time, older and older: every trace once.
    let mut q = TraceQuery {
        range: TimeRange::last(Duration::from_secs(600), NOW),
        ..query("{ }")
    };
    let mut result = tempo.search(&q).await.unwrap();
    assert!(result.traces.len() < 20);
    for _ in 0..6 {
        q = q.older();
        result.add_older(tempo.search(&q).await.unwrap());
    }
    assert_eq!(result.traces.len(), demo.data.traces.len());
    assert!(result.traces.windows(2).all(|w| w[0].start >= w[1].start));
}

#[tokio::test]
async fn ids_lose_their_leading_zeros_as_tempo_writes_them() {
    let (demo, tempo) = demo().await;
    let zeroed = demo
        .data
        .traces
        .iter()
        .find(|t| t.failed() && t.hex_id().starts_with('0'))
        .expect("a failed trace whose id starts with 0");
    let wire = reqwest::get(format!(
        "{}/api/search?q={}&limit=100",
        demo.tempo_url, "%7B%20status%20%3D%20error%20%7D"
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    let short = zeroed.hex_id().trim_start_matches('0').to_owned();
    assert!(wire.contains(&format!("\"traceID\":\"{short}\"")), "{wire}");
    let result = search(&tempo, "{ status = error }").await;
    let id = TraceId::from_hex(&zeroed.hex_id()).unwrap();
    let found = result.traces.iter().find(|t| t.id == id).unwrap();
    assert_eq!(tempo.trace(found.id).await.unwrap().id, id);
}

#[tokio::test]
async fn what_the_demo_cannot_read_is_refused_like_tempo() {
    let (_demo, tempo) = demo().await;
    let err = tempo
        .search(&query("{ resource.service.name = "))
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(400));
    let Problem::BadTraceQl(words) = err.problem() else { panic!("{err}") };
    assert_eq!(
        words.as_str(),
        "invalid TraceQL query: parse error at line 1, col 27: syntax error: unexpected $end"
    );
    let err = tempo
        .search(&query("{ status = error } | select(name)"))
        .await
        .unwrap_err();
    assert!(matches!(err.problem(), Problem::BadTraceQl(_)), "{err}");
}

#[tokio::test]
async fn tags_and_values() {
    let (_demo, tempo) = demo().await;
    let tags = tempo.tags(None, hour()).await.unwrap();
    let names = |scope| -> Vec<&str> {
        tags.iter()
            .filter(|t| t.scope == scope)
            .map(|t| t.name.as_str())
            .collect()
    };
    assert_eq!(
        names(TagScope::Resource),
        [
            "k8s.container.name",
            "k8s.namespace.name",
            "k8s.pod.name",
            "service.name"
        ]
    );
    assert!(names(TagScope::Span).contains(&"http.route"));
    assert!(names(TagScope::Event).contains(&"exception.type"));
    assert!(names(TagScope::Intrinsic).contains(&"status"));
    let span_only = tempo.tags(Some(TagScope::Span), hour()).await.unwrap();
    assert!(span_only.iter().all(|t| t.scope == TagScope::Span));
    assert_eq!(span_only.len(), names(TagScope::Span).len());

    let tag = |scope, name: &str| Tag {
        scope,
        name: name.into(),
    };
    let services = tempo
        .tag_values(&tag(TagScope::Resource, "service.name"), None, hour())
        .await
        .unwrap();
    assert_eq!(
        services,
        ["frontend", "api", "auth", "postgres"].map(Into::into)
    );
    let routes = tempo
        .tag_values(
            &tag(TagScope::Span, "http.route"),
            Some(r#"{ resource.service.name = "api" }"#),
            hour(),
        )
        .await
        .unwrap();
    assert_eq!(routes, ["/articles".into()]);
    let pods = tempo
        .tag_values(&tag(TagScope::Unscoped, "k8s.pod.name"), None, hour())
        .await
        .unwrap();
    assert_eq!(pods.len(), 4);
    let mut statuses = tempo
        .tag_values(&tag(TagScope::Intrinsic, "status"), None, hour())
        .await
        .unwrap();
    statuses.sort();
    assert_eq!(statuses, ["error", "unset"].map(Into::into));
}

#[tokio::test]
async fn the_v1_routes_answer_too() {
    let (demo, _tempo) = demo().await;
    let url = demo.tempo_url.clone();
    let get = |path: &str| {
        let url = format!("{url}{path}");
        async move {
            let body = reqwest::get(url).await.unwrap().text().await.unwrap();
            serde_json::from_str::<serde_json::Value>(&body).unwrap()
        }
    };
    let tags = get("/api/search/tags").await;
    let names = tags["tagNames"].as_array().unwrap();
    assert!(names.iter().any(|n| n == "service.name"));
    assert!(names.iter().any(|n| n == "exception.message"));
    let values = get("/api/search/tag/service.name/values").await;
    assert_eq!(values["tagValues"].as_array().unwrap().len(), 4);
    assert_eq!(values["tagValues"][0], "frontend");
}

/// The walk a lead can show: find the failures, open one, follow its
/// critical path to the database span, and read that pod's lines of the
/// trace in Loki over the span's window.
#[tokio::test]
async fn from_a_search_to_the_database_spans_pod_logs() {
    let (demo, tempo) = demo().await;
    let loki = LokiClient::new(&Endpoint::new(&demo.loki_url)).unwrap();
    let found = search(&tempo, "{ status = error }").await;
    let trace = tempo.trace(found.traces[0].id).await.unwrap();
    let root = trace.spans.iter().find(|s| s.parent_id.is_none()).unwrap();
    // The longest span below the root: the query postgres cancelled.
    let slowest = trace
        .spans
        .iter()
        .filter(|s| s.service.as_str() == "postgres")
        .max_by_key(|s| s.duration())
        .unwrap();
    assert!(slowest.duration() * 10 > root.duration() * 9);
    assert!(slowest.is_error());
    let attribute = |key| slowest.attribute(key).unwrap().to_string();
    assert_eq!(attribute("k8s.namespace.name"), "shop");
    assert_eq!(attribute("k8s.pod.name"), "postgres-0");
    assert_eq!(attribute("k8s.container.name"), "postgres");
    assert_eq!(attribute("service.name"), "postgres");
    let logql = format!(
        r#"{{namespace="{}", pod="{}"}} |= "{}""#,
        attribute("k8s.namespace.name"),
        attribute("k8s.pod.name"),
        trace.id
    );
    let lines = loki
        .query_range(&LogQuery {
            logql,
            range: TimeRange {
                start: slowest.start,
                end: slowest.end,
            },
            limit: 100,
            direction: Direction::Backward,
        })
        .await
        .unwrap();
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].line.contains("STATEMENT:"), "{:?}", lines[0]);
    assert_eq!(
        lines[0].labels.get("container").unwrap().as_str(),
        "postgres"
    );
    assert_eq!(
        lines[0].labels.get("service_name").unwrap().as_str(),
        "postgres"
    );
}
