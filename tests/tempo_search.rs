//! Tempo's search, tags and tag values against the recorded answers of a
//! real Tempo 2.7 (`../shared/fixtures/tempo/search_*`), and against
//! answers made here for what was not recorded.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use support::faults::{self, Fault};
use support::replay::{self, Options};
use triage_core::backend::{Endpoint, ErrorKind, Problem, TempoClient};
use triage_core::domain::{
    Completeness, SearchResult, Tag, TagScope, TimeRange, TraceId, TraceQuery, TraceSummary,
};

// The two recordings' windows; the replay server does not compare times.
const FIRST_SET: TimeRange = TimeRange {
    start: 1_795_285_321_000_000_000,
    end: 1_795_288_921_000_000_000,
};
const SECOND_SET: TimeRange = TimeRange {
    start: 1_796_283_682_000_000_000,
    end: 1_796_287_282_000_000_000,
};

async fn tempo(options: Options) -> TempoClient {
    TempoClient::new(&Endpoint::new(replay::start(options).await)).unwrap()
}

fn query(traceql: &str, range: TimeRange, limit: usize, spss: usize) -> TraceQuery {
    TraceQuery {
        traceql: traceql.into(),
        range,
        limit,
        spss,
    }
}

async fn search(q: TraceQuery) -> SearchResult {
    tempo(Options::default()).await.search(&q).await.unwrap()
}

fn tag(scope: TagScope, name: &str) -> Tag {
    Tag {
        scope,
        name: name.into(),
    }
}

fn names(tags: &[Tag], scope: TagScope) -> Vec<&str> {
    tags.iter()
        .filter(|t| t.scope == scope)
        .map(|t| t.name.as_str())
        .collect()
}

fn service(trace: &TraceSummary, name: &str) -> (u32, u32) {
    let (_, stats) = trace
        .services
        .iter()
        .find(|(n, _)| n.as_str() == name)
        .unwrap();
    (stats.span_count, stats.error_count)
}

#[tokio::test]
async fn search_errors() {
    let traceql = r#"{ resource.service.name = "api" && status = error }"#;
    let result = search(query(traceql, FIRST_SET, 20, 3)).await;
    assert_eq!(result.completeness, Completeness::Complete);
    assert_eq!(result.traces.len(), 5);
    assert!(result.traces.iter().all(|t| t.error));
    let first = &result.traces[0];
    assert_eq!(first.id.to_string(), "76c4761179f921c96590a30536afd736");
    assert_eq!(
        (first.root_service.as_str(), first.root_name.as_str()),
        ("frontend", "GET /api/articles")
    );
    assert_eq!(first.start, 1_795_288_757_504_293_832);
    assert_eq!(first.duration, 43_000_000);
    assert_eq!(first.span_sets.len(), 1);
    let set = &first.span_sets[0];
    assert_eq!((set.spans.len(), set.matched), (2, 2));
    let span = &set.spans[0];
    assert_eq!(span.span_id.to_string(), "f21b961f33818491");
    assert_eq!(span.start, 1_795_288_757_506_293_832);
    assert_eq!(span.duration, 39_000_000);
    assert_eq!(span.attribute("service.name").unwrap().as_str(), "api");
    assert!(span.is_error());
    assert_eq!(span.name.as_str(), "", "Tempo names spans only when asked");
    let services: Vec<&str> = first.services.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(services, ["api", "auth", "frontend", "postgres"]);
    assert_eq!(service(first, "api"), (3, 2));
    assert_eq!(service(first, "auth"), (1, 0));
    // Newest first.
    assert!(result.traces.windows(2).all(|w| w[0].start >= w[1].start));
}

#[tokio::test]
async fn search_slow() {
    let result = search(query("{ duration > 200ms }", FIRST_SET, 20, 3)).await;
    assert_eq!(result.completeness, Completeness::Complete);
    assert_eq!(result.traces.len(), 9);
    for trace in &result.traces {
        assert!(trace.duration > 200_000_000, "{trace:?}");
        let set = &trace.span_sets[0];
        assert_eq!((set.spans.len(), set.matched), (3, 4));
        assert!(set.spans.iter().all(|s| s.duration > 200_000_000));
        assert!(set.spans.iter().all(|s| s.attributes.is_empty()));
    }
    // One slow trace also failed: its services counted errors.
    assert_eq!(result.traces.iter().filter(|t| t.error).count(), 1);
}

#[tokio::test]
async fn search_spss3() {
    let traceql = r#"{ resource.service.name = "api" }"#;
    let result = search(query(traceql, SECOND_SET, 20, 3)).await;
    assert_eq!(result.traces.len(), 20);
    for trace in &result.traces {
        let set = &trace.span_sets[0];
        assert!(set.spans.len() <= 3 && set.matched >= set.spans.len());
        assert!(
            set.spans
                .iter()
                .all(|s| s.attribute("service.name").map(|v| v.as_str()) == Some("api"))
        );
    }
}

#[tokio::test]
async fn partial_when_tempo_stopped_early() {
    // Tempo had its 20 traces after 2 of its 3 jobs: not an error.
    let traceql = r#"{ resource.service.name = "api" }"#;
    let result = search(query(traceql, SECOND_SET, 20, 3)).await;
    assert_eq!(
        result.completeness,
        Completeness::Partial {
            completed_jobs: 2,
            total_jobs: 3
        }
    );
}

#[tokio::test]
async fn search_select_route() {
    let traceql =
        "{ span.http.route != nil } | select(span.http.route, span.http.response.status_code)";
    let result = search(query(traceql, SECOND_SET, 10, 5)).await;
    assert_eq!(result.traces.len(), 10);
    // 31 digits on the wire: the leading zero is back.
    assert_eq!(
        result.traces[0].id.to_string(),
        "068e2e24d474ecfe8fbe44272c522c55"
    );
    let spans = &result.traces[0].span_sets[0].spans;
    let routes: Vec<&str> = spans
        .iter()
        .map(|s| s.attribute("http.route").unwrap().as_str())
        .collect();
    assert_eq!(routes, ["/api/articles", "/articles", "/verify"]);
    // `{"intValue": "200"}`: an integer sent as a string.
    assert!(
        spans
            .iter()
            .all(|s| s.attribute("http.response.status_code").unwrap().as_str() == "200")
    );
}

#[tokio::test]
async fn search_structural() {
    let traceql = r#"{ resource.service.name = "frontend" } >> { status = error }"#;
    let result = search(query(traceql, SECOND_SET, 20, 3)).await;
    assert_eq!(result.traces.len(), 20);
    assert!(result.traces.iter().all(|t| t.error));
    // The spans that matched are the right-hand side's: the failing ones.
    assert!(
        result
            .traces
            .iter()
            .flat_map(|t| &t.span_sets[0].spans)
            .all(|s| s.is_error())
    );
}

#[tokio::test]
async fn search_min_max_duration() {
    // Without an expression the client sends no `q`, as the recorded
    // `tags=` search did not: traces come back without span sets.
    let result = search(query("", SECOND_SET, 20, 3)).await;
    assert_eq!(result.traces.len(), 20);
    assert!(result.traces.iter().all(|t| t.span_sets.is_empty()));
    assert!(
        result
            .traces
            .iter()
            .all(|t| t.services.is_empty() && !t.error)
    );
    assert_eq!(result.traces[0].duration, 377_000_000);
    assert_eq!(
        result.traces[3].id.to_string(),
        "0c0345940525d05a3f034ec0b33c0e4c"
    );
}

#[tokio::test]
async fn search_leading_zero_trace_id() {
    let client = tempo(Options::default()).await;
    let traceql = r#"{ resource.service.name = "frontend" }"#;
    let window = TimeRange {
        start: 1_796_286_538_000_000_000,
        end: 1_796_286_548_000_000_000,
    };
    let result = client.search(&query(traceql, window, 20, 3)).await.unwrap();
    let padded = TraceId::from_hex("0bfd123d35c3d2e202956e394efcab4f").unwrap();
    assert_eq!(result.traces[0].id, padded);
    // The id found opens the trace.
    let trace = client.trace(result.traces[0].id).await.unwrap();
    assert_eq!(trace.id, result.traces[0].id);
}

#[tokio::test]
async fn tags_v2_with_scopes() {
    let tags = tempo(Options::default())
        .await
        .tags(None, FIRST_SET)
        .await
        .unwrap();
    assert_eq!(
        names(&tags, TagScope::Resource),
        [
            "deployment.environment",
            "k8s.container.name",
            "k8s.namespace.name",
            "k8s.pod.name",
            "service.name",
            "service.namespace"
        ]
    );
    assert_eq!(names(&tags, TagScope::Span).len(), 10);
    assert_eq!(
        names(&tags, TagScope::Event),
        ["exception.message", "exception.type"]
    );
    assert!(names(&tags, TagScope::Intrinsic).contains(&"status"));
    assert_eq!(tags.len(), 6 + 10 + 2 + 20);
    let route = tags
        .iter()
        .find(|t| t.name.as_str() == "http.route")
        .unwrap();
    assert_eq!(route.traceql(), "span.http.route");
}

#[tokio::test]
async fn tags_v2_scope_span() {
    let tags = tempo(Options::default())
        .await
        .tags(Some(TagScope::Span), SECOND_SET)
        .await
        .unwrap();
    assert_eq!(tags.len(), 12);
    assert!(tags.iter().all(|t| t.scope == TagScope::Span));
    assert!(names(&tags, TagScope::Span).contains(&"url.full"));
}

#[tokio::test]
async fn tags_v1_when_v2_answers_404() {
    let tags = tempo(Options {
        without_tempo_v2: true,
    })
    .await
    .tags(Some(TagScope::Resource), FIRST_SET)
    .await
    .unwrap();
    assert_eq!(tags.len(), 18);
    assert!(tags.iter().all(|t| t.scope == TagScope::Unscoped));
    let service = tags
        .iter()
        .find(|t| t.name.as_str() == "service.name")
        .unwrap();
    assert_eq!(service.traceql(), ".service.name");
}

#[tokio::test]
async fn tag_values() {
    let client = tempo(Options::default()).await;
    let route = tag(TagScope::Span, "http.route");
    let all = client.tag_values(&route, None, SECOND_SET).await.unwrap();
    assert_eq!(
        all,
        ["/articles", "/verify", "/api/articles"].map(Into::into)
    );
    let api = r#"{ resource.service.name = "api" }"#;
    let filtered = client
        .tag_values(&route, Some(api), SECOND_SET)
        .await
        .unwrap();
    assert_eq!(filtered, ["/articles".into()]);
    let services = client
        .tag_values(&tag(TagScope::Resource, "service.name"), None, FIRST_SET)
        .await
        .unwrap();
    assert_eq!(
        services,
        ["frontend", "api", "auth", "postgres"].map(Into::into)
    );
}

/// A Tempo without the v2 API that answers v1's tag values with the
/// name it was asked, as `{"tagValues": [...]}`.
async fn tempo_v1_only() -> String {
    use axum::extract::Path;
    let app = axum::Router::new().route(
        "/api/search/tag/{name}/values",
        axum::routing::get(|Path(name): Path<String>| async move {
            axum::Json(serde_json::json!({ "tagValues": [format!("value of {name}")] }))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

#[tokio::test]
async fn tag_values_fall_back_to_v1_with_the_bare_name() {
    let client = TempoClient::new(&Endpoint::new(tempo_v1_only().await)).unwrap();
    let values = client
        .tag_values(&tag(TagScope::Resource, "service.name"), None, FIRST_SET)
        .await
        .unwrap();
    assert_eq!(values, ["value of service.name".into()]);
}

#[tokio::test]
async fn bad_traceql_is_typed_with_tempos_words() {
    let err = tempo(Options::default())
        .await
        .search(&query("{ resource.service.name = ", FIRST_SET, 20, 3))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Http, Some(400)));
    let Problem::BadTraceQl(words) = err.problem() else { panic!("not typed: {err}") };
    let tempo_said =
        "invalid TraceQL query: parse error at line 1, col 27: syntax error: unexpected $end";
    assert_eq!(words.as_str(), tempo_said);
    assert_eq!(
        triage::ui::notice::backend_error(&err),
        format!("Tempo: HTTP 400: {tempo_said}")
    );
}

#[tokio::test]
async fn other_refusals_stay_refusals_and_a_timeout_is_a_timeout() {
    let refused = "range specified by start and end exceeds 168h0m0s";
    let url = faults::start(Fault::Status(400, "text/plain", refused.into())).await;
    let client = TempoClient::new(&Endpoint::new(url)).unwrap();
    let err = client
        .search(&query("{ }", FIRST_SET, 20, 3))
        .await
        .unwrap_err();
    assert!(matches!(err.problem(), Problem::Answered { .. }), "{err}");
    assert!(triage::ui::notice::backend_error(&err).contains(refused));

    let url = faults::start(Fault::Status(504, "text/plain", "timeout".into())).await;
    let endpoint = Endpoint {
        retry: triage_core::backend::RetryPolicy {
            attempts: 1,
            ..Default::default()
        },
        ..Endpoint::new(url)
    };
    let err = TempoClient::new(&endpoint)
        .unwrap()
        .search(&query("{ }", FIRST_SET, 20, 3))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Timeout, Some(504)));
    assert!(triage::ui::notice::backend_error(&err).contains("timeout"));
}

#[tokio::test]
async fn hostile_text_in_results_is_made_safe() {
    let hostile = "evil\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{202e}x";
    let body = serde_json::json!({
        "traces": [{
            "traceID": "1",
            "rootServiceName": hostile,
            "rootTraceName": hostile,
            "startTimeUnixNano": "1",
            "spanSets": [{
                "spans": [{
                    "spanID": "0000000000000001",
                    "name": hostile,
                    "attributes": [{ "key": hostile, "value": { "stringValue": hostile } }]
                }],
                "matched": 1
            }],
            "serviceStats": { hostile: { "spanCount": 1 } }
        }],
        "scopes": [{ "name": "span", "tags": [hostile] }],
        "tagValues": [{ "type": "string", "value": hostile }]
    })
    .to_string();
    let url = faults::start(Fault::Status(200, "application/json", body)).await;
    let client = TempoClient::new(&Endpoint::new(url)).unwrap();
    let result = client
        .search(&query("{ }", FIRST_SET, 20, 3))
        .await
        .unwrap();
    let tags = client.tags(None, FIRST_SET).await.unwrap();
    let values = client
        .tag_values(&tag(TagScope::Span, "x"), None, FIRST_SET)
        .await
        .unwrap();
    let trace = &result.traces[0];
    let span = &trace.span_sets[0].spans[0];
    let texts = [
        &trace.root_service,
        &trace.root_name,
        &trace.services[0].0,
        &span.name,
        &span.attributes[0].key,
        &span.attributes[0].value,
        &tags[0].name,
        &values[0],
    ];
    for text in texts {
        assert!(text.starts_with("evil"), "{text:?}");
        assert!(
            !text.chars().any(|c| c.is_control() || c == '\u{202e}'),
            "{text:?}"
        );
    }
}
