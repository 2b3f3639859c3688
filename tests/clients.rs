//! The Loki and Tempo clients against the recorded answers of real servers.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use support::FAILING_TRACE;
use support::replay::{self, Options};
use triage_core::backend::{
    Direction, Endpoint, ErrorKind, LogQuery, LokiClient, PrometheusClient, TempoClient,
};
use triage_core::correlate::DerivedFields;
use triage_core::domain::{SpanStatus, TimeRange, TraceId};

// The recording's window; the replay server does not compare times.
const RANGE: TimeRange = TimeRange {
    start: 1_795_285_321_000_000_000,
    end: 1_795_288_921_000_000_000,
};

fn query(logql: &str, limit: u32) -> LogQuery {
    LogQuery {
        logql: logql.into(),
        range: RANGE,
        limit,
        direction: Direction::Backward,
    }
}

async fn loki() -> LokiClient {
    LokiClient::new(&Endpoint::new(replay::start(Options::default()).await)).unwrap()
}

async fn tempo(options: Options) -> TempoClient {
    TempoClient::new(&Endpoint::new(replay::start(options).await)).unwrap()
}

fn failing_id() -> TraceId {
    TraceId::parse(FAILING_TRACE).unwrap()
}

#[tokio::test]
async fn loki_streams_become_lines_newest_first_with_trace_ids() {
    let lines = loki()
        .await
        .query_range(&query(r#"{namespace="shop"}"#, 200))
        .await
        .unwrap();
    assert_eq!(lines.len(), 200);
    assert!(lines.windows(2).all(|w| w[0].timestamp >= w[1].timestamp));
    assert_eq!(lines[0].timestamp, 1_795_288_808_461_243_832);
    assert_eq!(lines[0].source(), "frontend-7d9f8b6c5-x2kqp");
    let rules = DerivedFields::default();
    // Every line that holds a 32-hex id has it found; the others (debug
    // lines about a cache) have none.
    let hex_id = regex::Regex::new("[0-9a-f]{32}").unwrap();
    for line in &lines {
        assert_eq!(
            rules.find(&line.line).len(),
            usize::from(hex_id.is_match(&line.line)),
            "{}",
            line.line
        );
    }
    assert_eq!(
        lines.iter().filter(|l| hex_id.is_match(&l.line)).count(),
        161
    );
    // All four recorded formats are found.
    for marker in [
        "[INFO] [trace_id=",
        "level=info msg=",
        "INF] |",
        "\"traceId\":",
    ] {
        let line = lines.iter().find(|l| l.line.contains(marker)).unwrap();
        assert_eq!(rules.find(&line.line).len(), 1, "{marker}");
    }
}

#[tokio::test]
async fn loki_lines_of_one_trace() {
    let logql = format!(r#"{{namespace="shop"}} |= "{FAILING_TRACE}""#);
    let lines = loki().await.query_range(&query(&logql, 100)).await.unwrap();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l.line.contains(FAILING_TRACE)));
}

#[tokio::test]
async fn loki_metric_queries_are_refused_in_words() {
    let logql = r#"sum by (app) (count_over_time({namespace="shop"}[1m]))"#;
    let err = loki()
        .await
        .query_range(&query(logql, 100))
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::Unsupported);
    assert!(
        triage::ui::notice::message(&err.message).contains("metric query"),
        "{err}"
    );
}

#[tokio::test]
async fn loki_errors_keep_lokis_words() {
    let err = loki()
        .await
        .query_range(&query(r#"{namespace="shop""#, 100))
        .await
        .unwrap_err();
    assert_eq!((err.kind, err.status), (ErrorKind::Http, Some(400)));
    assert_eq!(
        triage::ui::notice::message(&err.message),
        "parse error at line 1, col 18: syntax error: unexpected $end, expecting } or ,"
    );
    let err = loki()
        .await
        .query_range(&query(r#"{namespace="shop"}"#, 10_000))
        .await
        .unwrap_err();
    assert!(
        triage::ui::notice::message(&err.message).contains("max entries limit per query exceeded"),
        "{err}"
    );
}

#[tokio::test]
async fn tempo_v2_trace_is_read_with_base64_ids() {
    let trace = tempo(Options::default())
        .await
        .trace(failing_id())
        .await
        .unwrap();
    assert_eq!(trace.id.to_string(), FAILING_TRACE);
    assert_eq!(trace.spans.len(), 7);
    assert_eq!(trace.partial, None);
    let root = trace.spans.iter().find(|s| s.parent_id.is_none()).unwrap();
    assert_eq!(
        (root.name.as_str(), root.service.as_str()),
        ("GET /api/articles", "frontend")
    );
    assert_eq!(root.span_id.to_string(), "a0e3cf9f8fa3fe94");
    assert_eq!(root.status, SpanStatus::Error("boom".into()));
    assert_eq!(root.duration(), 115_000_000);
    assert_eq!(
        root.attribute("http.response.status_code")
            .map(|v| v.as_str()),
        Some("500")
    );
    assert_eq!(
        root.attribute("k8s.pod.name").map(|v| v.as_str()),
        Some("frontend-7d9f8b6c5-x2kqp")
    );
    let services: std::collections::BTreeSet<_> =
        trace.spans.iter().map(|s| s.service.as_str()).collect();
    assert_eq!(
        services.into_iter().collect::<Vec<_>>(),
        ["api", "auth", "frontend", "postgres"]
    );
    let failing = trace
        .spans
        .iter()
        .find(|s| s.name.as_str() == "ArticlesRepository.List")
        .unwrap();
    assert_eq!(failing.events[0].name.as_str(), "exception");
    assert!(
        failing.events[0]
            .attributes
            .iter()
            .any(|a| a.value.contains("statement timeout"))
    );
}

#[tokio::test]
async fn tempo_falls_back_to_v1_on_older_servers_with_the_same_result() {
    let v2 = tempo(Options::default())
        .await
        .trace(failing_id())
        .await
        .unwrap();
    let v1 = tempo(Options {
        without_tempo_v2: true,
    })
    .await
    .trace(failing_id())
    .await
    .unwrap();
    assert_eq!(v1, v2);
}

#[tokio::test]
async fn unknown_traces_read_not_found_on_v2_and_v1() {
    let unknown = TraceId::parse("0123456789abcdef0123456789abcdef").unwrap();
    for options in [
        Options::default(),
        Options {
            without_tempo_v2: true,
        },
    ] {
        let err = tempo(options).await.trace(unknown).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::NotFound);
        assert_eq!(
            triage::ui::notice::message(&err.message),
            "trace 0123456789abcdef0123456789abcdef not found"
        );
    }
}

#[tokio::test]
async fn every_recorded_exemplar_trace_is_readable() {
    let client = tempo(Options::default()).await;
    let names = std::fs::read_dir(replay::fixtures_dir().join("tempo")).unwrap();
    let (mut read, mut recorded) = (0, 0);
    for name in names
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
    {
        recorded += usize::from(name.starts_with("trace_v2_exemplar_") && name.ends_with(".json"));
        let Some(hex) = name
            .strip_prefix("trace_v2_exemplar_")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let trace = client.trace(TraceId::parse(hex).unwrap()).await.unwrap();
        assert!(trace.spans.len() >= 5, "{hex}");
        read += 1;
    }
    // Some ids have lost their leading zeros, as Tempo writes them.
    assert!(recorded >= 6);
    assert_eq!(read, recorded);
}

/// Answers an empty Loki result and hands back the headers it was sent.
async fn header_echo() -> (String, tokio::sync::mpsc::Receiver<axum::http::HeaderMap>) {
    let (tx, rx) = tokio::sync::mpsc::channel(4);
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let tx = tx.clone();
        async move {
            let _ = tx.send(headers).await;
            r#"{"status":"success","data":{"resultType":"streams","result":[]}}"#
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, rx)
}

#[tokio::test]
async fn credentials_tenant_and_headers_are_sent() {
    use triage_core::backend::Auth;
    use triage_core::secret::Secret;
    let (url, mut seen) = header_echo().await;
    let endpoint = Endpoint {
        auth: Auth::Basic {
            user: "ops".into(),
            password: Secret::new("s3cret"),
        },
        tenant: Some("team-a".into()),
        headers: vec![("X-Extra".into(), "yes".into())],
        ..Endpoint::new(format!("{url}/loki-prefix"))
    };
    LokiClient::new(&endpoint)
        .unwrap()
        .query_range(&query("{a=\"b\"}", 10))
        .await
        .unwrap();
    let headers = seen.recv().await.unwrap();
    assert_eq!(headers["authorization"], "Basic b3BzOnMzY3JldA=="); // ops:s3cret
    assert_eq!(headers["x-scope-orgid"], "team-a");
    assert_eq!(headers["x-extra"], "yes");

    let bearer = Endpoint {
        auth: Auth::Bearer(Secret::new("tok")),
        ..Endpoint::new(url)
    };
    LokiClient::new(&bearer)
        .unwrap()
        .query_range(&query("{a=\"b\"}", 10))
        .await
        .unwrap();
    assert_eq!(seen.recv().await.unwrap()["authorization"], "Bearer tok");
}

#[tokio::test]
async fn a_partial_trace_says_so() {
    let body = std::fs::read(
        replay::fixtures_dir().join(format!("tempo/trace_v2_error_{FAILING_TRACE}.json")),
    )
    .unwrap();
    let mut json: serde_json::Value = serde_json::from_slice(&body).unwrap();
    json["status"] = "PARTIAL".into();
    json["message"] = "some blocks could not be read".into();
    let decoded = triage_core::backend::otlp_json::decode_trace(
        failing_id(),
        &serde_json::to_vec(&json).unwrap(),
        &triage_core::secret::Redactor::default(),
    );
    let Ok(triage_core::backend::otlp_json::Decoded::Found(trace)) = decoded else {
        panic!("not decoded")
    };
    assert_eq!(
        trace.partial.as_deref(),
        Some("some blocks could not be read")
    );
    assert_eq!(trace.spans.len(), 7);
}

#[tokio::test]
async fn credentials_in_the_url_are_decoded_and_sent_as_basic_auth() {
    let (url, mut seen) = header_echo().await;
    let with_credentials = url.replace("http://", "http://ops:p%40ss%2Fword@");
    LokiClient::new(&Endpoint::new(with_credentials))
        .unwrap()
        .query_range(&query("{a=\"b\"}", 10))
        .await
        .unwrap();
    use base64::Engine;
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("ops:p@ss/word")
    );
    assert_eq!(
        seen.recv().await.unwrap()["authorization"],
        expected.as_str()
    );
}

#[tokio::test]
async fn redirects_are_reported_not_followed() {
    let url = support::faults::start(support::faults::Fault::Redirect(
        "https://sso.example/login?next=x".into(),
    ))
    .await;
    let err = LokiClient::new(&Endpoint::new(url))
        .unwrap()
        .query_range(&query("{a=\"b\"}", 10))
        .await
        .unwrap_err();
    assert_eq!(err.status, Some(302));
    assert!(
        triage::ui::notice::message(&err.message)
            .contains("redirected to https://sso.example/login?next=x; not followed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_url_that_is_not_tempo_says_so() {
    let url = replay::start(Options::default()).await;
    let err = TempoClient::new(&Endpoint::new(format!("{url}/grafana")))
        .unwrap()
        .trace(failing_id())
        .await
        .unwrap_err();
    assert!(
        triage::ui::notice::message(&err.message).contains("no Tempo API here"),
        "{err}"
    );
}

/// A multi-tenant Loki, Tempo or Mimir asked without a tenant answers 401
/// "no org id": the words name the config key that gives one.
#[tokio::test]
async fn a_missing_tenant_is_named_with_its_config_key() {
    use support::faults::{self, Fault};
    use triage::ui::notice::backend_error;
    let url = faults::start(Fault::Status(401, "text/plain", "no org id\n".into())).await;
    let endpoint = Endpoint::new(&url);
    let loki = LokiClient::new(&endpoint).unwrap();
    let loki = loki.query_range(&query("{a=\"b\"}", 10)).await.unwrap_err();
    let tempo = TempoClient::new(&endpoint).unwrap();
    let tempo = tempo.trace(failing_id()).await.unwrap_err();
    let mimir = PrometheusClient::new(&endpoint).unwrap();
    let mimir = mimir.alerts().await.unwrap_err();
    for (error, key) in [(loki, "loki"), (tempo, "tempo"), (mimir, "prometheus")] {
        let words = backend_error(&error);
        assert!(words.contains("HTTP 401: no org id"), "{words}");
        let config = format!("[contexts.NAME.{key}] tenant = \"...\"");
        assert!(words.contains(&config), "{words}");
    }
}
