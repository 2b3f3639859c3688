//! Loki's live tail: the frames a real Loki 3.4 sent, read as the client
//! reads them; and the client against a loopback websocket server that
//! answers as Loki does: frames, dropped entries, a socket closed mid-frame
//! and opened again from the last line's time, refusals before the upgrade,
//! the limit on concurrent tails, garbage and oversized frames; directly and
//! through the API server's service proxy (`kube://`).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use triage_core::backend::cluster::{Cluster, ClusterSettings};
use triage_core::backend::error::{Part, Problem, ServerWords, TooLarge, Unreadable};
use triage_core::backend::loki::{TailEvent, TailQuery, decode_tail_frame};
use triage_core::backend::{Auth, BackendError, Endpoint, ErrorKind, LokiClient};
use triage_core::domain::LogLine;
use triage_core::secret::{Redactor, Secret};

const WAIT: Duration = Duration::from_secs(10);
const SELECTOR: &str = r#"{namespace="shop"}"#;

fn frames() -> Vec<String> {
    let path = support::replay::fixtures_dir().join("loki/tail_frames.json");
    let frames: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    frames.iter().map(|f| f.to_string()).collect()
}

fn texts(lines: &[LogLine]) -> Vec<&str> {
    lines.iter().map(|l| l.line.as_str()).collect()
}

#[test]
fn every_recorded_frame_reads_oldest_first() {
    let frames: Vec<_> = frames()
        .iter()
        .map(|f| decode_tail_frame(f.as_bytes(), &Redactor::default()).unwrap())
        .collect();
    let counts: Vec<usize> = frames.iter().map(|f| f.lines.len()).collect();
    assert_eq!(counts, [10, 5, 1, 6, 1]);
    assert!(
        frames.iter().all(|f| f.dropped == 0),
        "no dropped_entries recorded"
    );
    // The backlog (first frame): since `start`, each line's stream with the
    // level Loki detected; the later frames carry no detected_level.
    let backlog = &frames[0].lines;
    assert_eq!(backlog[0].timestamp, 1_796_287_280_766_242_187);
    assert_eq!(
        backlog[0].line.as_str(),
        "[08:41:20 DBG] cache hit ratio 0.98"
    );
    assert_eq!(backlog[0].source(), "api-5c6b9d7f4-mz8wn");
    assert_eq!(
        backlog[0].labels.get("detected_level").map(|l| l.as_str()),
        Some("unknown")
    );
    assert_eq!(backlog[9].timestamp, 1_796_287_282_854_352_385);
    assert!(
        backlog
            .iter()
            .all(|l| l.labels.get("detected_level").is_some())
    );
    assert!(
        frames[1..]
            .iter()
            .flat_map(|f| &f.lines)
            .all(|l| l.labels.get("detected_level").is_none())
    );
    let all: Vec<&LogLine> = frames.iter().flat_map(|f| &f.lines).collect();
    assert!(all.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let probes: Vec<&str> = all
        .iter()
        .map(|l| l.line.as_str())
        .filter(|l| l.contains("tail probe"))
        .collect();
    assert_eq!(
        probes,
        [
            "[08:41:26 INF] tail probe 1 of 3",
            "[08:41:27 INF] tail probe 2 of 3",
            "[08:41:29 INF] tail probe 3 of 3"
        ]
    );
}

// A loopback Loki that serves `/loki/api/v1/tail` as a script says.

/// What the server does with one connection.
enum Step {
    /// Answers the upgrade request with this status and text.
    Refuse(u16, &'static str),
    /// Switches to a websocket, then acts.
    Accept(Vec<Act>),
}

enum Act {
    Text(String),
    /// Bytes written as they are, past the websocket's framing.
    Raw(Vec<u8>),
    Close(u16, &'static str),
    /// Ends the connection without a close frame.
    Drop,
}

#[derive(Default)]
struct Script {
    steps: Mutex<VecDeque<Step>>,
    /// Each request's path and query, and its headers.
    asked: Mutex<Vec<(String, http::HeaderMap)>>,
}

impl Script {
    fn asked(&self) -> Vec<(String, http::HeaderMap)> {
        self.asked.lock().unwrap().clone()
    }

    /// The `start` of the `n`th request.
    fn start(&self, n: usize) -> Option<String> {
        let (uri, _) = self.asked().get(n)?.clone();
        let url = url::Url::parse(&format!("http://x{uri}")).unwrap();
        url.query_pairs()
            .find(|(k, _)| k == "start")
            .map(|(_, v)| v.into_owned())
    }
}

/// Serves `steps`, one per connection; past the last, connections are held
/// open and sent nothing.
async fn loki(steps: Vec<Step>) -> (String, Arc<Script>) {
    let script = Arc::new(Script {
        steps: Mutex::new(steps.into()),
        ..Script::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let served = Arc::clone(&script);
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.unwrap();
            let script = Arc::clone(&served);
            tokio::spawn(async move { serve(tcp, &script).await });
        }
    });
    (url, script)
}

async fn serve(tcp: tokio::net::TcpStream, script: &Script) {
    let step = script.steps.lock().unwrap().pop_front();
    let refusal = match &step {
        Some(Step::Refuse(status, text)) => Some((*status, *text)),
        _ => None,
    };
    #[allow(clippy::result_large_err)] // tungstenite's own type
    let callback = |request: &Request, response: Response| {
        let asked = (request.uri().to_string(), request.headers().clone());
        script.asked.lock().unwrap().push(asked);
        match refusal {
            Some((status, text)) => Err(refuse(status, text)),
            None => Ok(response),
        }
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, callback).await else {
        return; // refused: the connection ends with the answer
    };
    let Some(Step::Accept(acts)) = step else {
        // Held open: read until the client goes.
        while ws.next().await.is_some_and(|m| m.is_ok()) {}
        return;
    };
    for act in acts {
        match act {
            Act::Text(text) => ws.send(Message::text(text)).await.unwrap(),
            Act::Raw(bytes) => ws.get_mut().write_all(&bytes).await.unwrap(),
            Act::Close(code, reason) => {
                let frame = CloseFrame {
                    code: CloseCode::from(code),
                    reason: reason.into(),
                };
                let _ = ws.close(Some(frame)).await;
            }
            Act::Drop => return,
        }
    }
    while ws.next().await.is_some_and(|m| m.is_ok()) {}
}

fn refuse(status: u16, text: &str) -> ErrorResponse {
    let mut response = ErrorResponse::new(Some(text.to_owned()));
    *response.status_mut() = http::StatusCode::from_u16(status).unwrap();
    let headers = response.headers_mut();
    headers.insert("content-type", "text/plain; charset=utf-8".parse().unwrap());
    headers.insert("content-length", text.len().to_string().parse().unwrap());
    response
}

/// A frame of one stream's lines, as Loki writes them: each entry in a
/// stream object of its own.
fn frame(lines: &[(i64, &str)], detected_level: bool) -> String {
    let streams: Vec<serde_json::Value> = lines
        .iter()
        .map(|(ts, line)| {
            let mut stream = serde_json::json!({"app": "api", "namespace": "shop"});
            if detected_level {
                stream["detected_level"] = "info".into();
            }
            serde_json::json!({"stream": stream, "values": [[ts.to_string(), line]]})
        })
        .collect();
    serde_json::json!({ "streams": streams }).to_string()
}

/// A text frame's head that says 256 bytes follow, and 10 of them.
fn half_a_frame() -> Vec<u8> {
    let mut bytes = vec![0x81, 126, 0x01, 0x00];
    bytes.extend_from_slice(b"{\"streams\"");
    bytes
}

fn tail(client: &LokiClient, start: i64) -> BoxStream<'static, Result<TailEvent, BackendError>> {
    client.tail(TailQuery {
        logql: SELECTOR.into(),
        start,
        limit: 10,
    })
}

async fn next(
    stream: &mut BoxStream<'static, Result<TailEvent, BackendError>>,
) -> Option<Result<TailEvent, BackendError>> {
    tokio::time::timeout(WAIT, stream.next())
        .await
        .expect("the tail said something in time")
}

async fn event(stream: &mut BoxStream<'static, Result<TailEvent, BackendError>>) -> TailEvent {
    next(stream).await.expect("the tail goes on").unwrap()
}

async fn lines(stream: &mut BoxStream<'static, Result<TailEvent, BackendError>>) -> Vec<LogLine> {
    match event(stream).await {
        TailEvent::Lines(lines) => lines,
        other => panic!("lines, not {other:?}"),
    }
}

async fn reconnecting(
    stream: &mut BoxStream<'static, Result<TailEvent, BackendError>>,
) -> (u32, Duration, BackendError) {
    match event(stream).await {
        TailEvent::Reconnecting {
            attempt,
            after,
            error,
        } => (attempt, after, error),
        other => panic!("reconnecting, not {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_socket_is_opened_again_from_the_last_lines_time_without_duplicates() {
    let (url, script) = loki(vec![
        Step::Accept(vec![
            Act::Text(frame(&[(100, "one"), (200, "two"), (200, "two, again")], false)),
            Act::Text(r#"{"dropped_entries":[{"labels":{"app":"api"},"timestamp":"150"},{"labels":{"app":"api"},"timestamp":"160"}]}"#.into()),
            Act::Raw(half_a_frame()),
            Act::Drop,
        ]),
        // Loki's backlog from `start` sends the lines at that instant again,
        // with `detected_level` (which live frames lack): the same lines.
        Step::Accept(vec![Act::Text(frame(
            &[(200, "two"), (200, "two, again"), (200, "two, new"), (300, "three")],
            true,
        ))]),
    ])
    .await;
    let client = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let mut stream = tail(&client, 50);
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    assert_eq!(
        texts(&lines(&mut stream).await),
        ["one", "two", "two, again"]
    );
    assert_eq!(event(&mut stream).await, TailEvent::Dropped(2));
    let (attempt, after, error) = reconnecting(&mut stream).await;
    assert_eq!(attempt, 1);
    assert!(after <= Duration::from_millis(500), "{after:?}");
    assert_eq!(error.source, triage_core::backend::Source::Loki);
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    assert_eq!(texts(&lines(&mut stream).await), ["two, new", "three"]);
    assert_eq!(script.start(0).as_deref(), Some("50"));
    assert_eq!(
        script.start(1).as_deref(),
        Some("200"),
        "from the last line's time"
    );
    let (first, _) = &script.asked()[0];
    assert!(first.starts_with("/loki/api/v1/tail?"), "{first}");
    assert!(first.contains("limit=10"), "{first}");
}

#[tokio::test]
async fn the_recorded_frames_survive_a_reconnect_each_line_once() {
    let frames = frames();
    let recorded: Vec<serde_json::Value> = frames
        .iter()
        .map(|f| serde_json::from_str(f).unwrap())
        .collect();
    // After the third frame the socket drops. Loki's backlog from the last
    // line's time holds that line again (with detected_level, as backlogs
    // do) and the fourth frame's; then the fifth frame.
    let mut backlog = recorded[2].clone();
    backlog["streams"][0]["stream"]["detected_level"] = "info".into();
    let streams = backlog["streams"].as_array_mut().unwrap();
    streams.extend(recorded[3]["streams"].as_array().unwrap().iter().cloned());
    let (url, script) = loki(vec![
        Step::Accept(vec![
            Act::Text(frames[0].clone()),
            Act::Text(frames[1].clone()),
            Act::Text(frames[2].clone()),
            Act::Drop,
        ]),
        Step::Accept(vec![
            Act::Text(backlog.to_string()),
            Act::Text(frames[4].clone()),
        ]),
    ])
    .await;
    let client = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let mut stream = tail(&client, 1_796_287_254_524_999_199);
    let mut told = Vec::new();
    while told.len() < 23 {
        match event(&mut stream).await {
            TailEvent::Lines(lines) => told.extend(lines),
            TailEvent::Live | TailEvent::Reconnecting { .. } => {}
            TailEvent::Dropped(n) => panic!("{n} dropped"),
        }
    }
    assert_eq!(
        script.start(1).as_deref(),
        Some("1796287286047199845"),
        "tail probe 1's time"
    );
    let probes: Vec<&str> = texts(&told)
        .into_iter()
        .filter(|l| l.contains("tail probe"))
        .collect();
    assert_eq!(probes.len(), 3, "{probes:?}");
    assert!(told.windows(2).all(|w| w[0].timestamp <= w[1].timestamp));
    let mut unique: Vec<_> = told.iter().map(|l| (l.timestamp, l.line.clone())).collect();
    unique.dedup();
    assert_eq!(unique.len(), 23);
}

#[tokio::test]
async fn a_query_loki_cannot_parse_ends_the_tail_in_lokis_words() {
    let words = std::fs::read_to_string(
        support::replay::fixtures_dir().join("loki/error_tail_bad_query.txt"),
    )
    .unwrap();
    let words: &'static str = Box::leak(words.into_boxed_str());
    let (url, script) = loki(vec![Step::Refuse(400, words)]).await;
    let client = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let mut stream = tail(&client, 0);
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert_eq!(error.status, Some(400));
    assert_eq!(error.kind, ErrorKind::Http);
    let Problem::Answered {
        words: ServerWords::Said(said),
        ..
    } = error.problem()
    else {
        panic!("Loki's words: {error:?}");
    };
    assert_eq!(
        said.as_str(),
        "parse error at line 1, col 18: syntax error: unexpected $end, expecting } or ,"
    );
    assert!(next(&mut stream).await.is_none(), "the tail ended");
    assert_eq!(script.asked().len(), 1, "not asked again");
}

#[tokio::test]
async fn credentials_tenant_and_headers_go_with_the_upgrade_and_stay_out_of_errors() {
    let (url, script) = loki(vec![Step::Refuse(401, "no such token: s3cr3t-token")]).await;
    let endpoint = Endpoint {
        auth: Auth::Bearer(Secret::new("s3cr3t-token")),
        tenant: Some("team-a".into()),
        headers: vec![("x-extra".into(), "yes".into())],
        ..Endpoint::new(&url)
    };
    let client = LokiClient::new(&endpoint).unwrap();
    let mut stream = tail(&client, 0);
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert_eq!(error.status, Some(401));
    assert!(!format!("{error:?}").contains("s3cr3t"), "{error:?}");
    assert!(
        format!("{error:?}").contains("no such token: ***"),
        "{error:?}"
    );
    assert!(next(&mut stream).await.is_none());
    let (_, headers) = &script.asked()[0];
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(header("authorization"), Some("Bearer s3cr3t-token"));
    assert_eq!(header("x-scope-orgid"), Some("team-a"));
    assert_eq!(header("x-extra"), Some("yes"));
    assert_eq!(header("upgrade"), Some("websocket"));
}

#[tokio::test]
async fn a_busy_loki_is_asked_again_and_its_limit_on_tails_ends_the_tail() {
    let limit = "rpc error: code = Code(400) desc = max concurrent tail requests limit exceeded, count > limit (11 > 10)";
    let (url, script) = loki(vec![
        Step::Refuse(503, "too busy"),
        Step::Accept(vec![Act::Close(1011, limit)]),
    ])
    .await;
    let client = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let mut stream = tail(&client, 0);
    let (attempt, _, error) = reconnecting(&mut stream).await;
    assert_eq!((attempt, error.status), (1, Some(503)));
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    let error = next(&mut stream).await.unwrap().unwrap_err();
    let Problem::SocketClosed {
        code: 1011,
        reason: Some(reason),
    } = error.problem()
    else {
        panic!("closed with Loki's reason: {error:?}");
    };
    assert!(reason.contains("max concurrent tail requests limit exceeded"));
    assert!(next(&mut stream).await.is_none(), "the tail ended");
    assert_eq!(script.asked().len(), 2);
}

#[tokio::test]
async fn garbage_and_oversized_frames_are_told_and_the_socket_opened_again() {
    // A text frame whose head says it is 32 MiB: refused before it is read.
    let mut huge = vec![0x81, 127];
    huge.extend_from_slice(&(32u64 << 20).to_be_bytes());
    let (url, script) = loki(vec![
        Step::Accept(vec![Act::Text("<html>oops</html>".into())]),
        Step::Accept(vec![Act::Raw(huge)]),
        Step::Accept(vec![
            Act::Text(frame(&[(7, "fine")], false)),
            Act::Close(1011, "reached tail max duration limit"),
        ]),
        Step::Accept(vec![Act::Text(frame(&[(8, "after an hour")], false))]),
    ])
    .await;
    let client = LokiClient::new(&Endpoint::new(&url)).unwrap();
    let mut stream = tail(&client, 0);
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    let (attempt, _, error) = reconnecting(&mut stream).await;
    assert_eq!((attempt, error.kind), (1, ErrorKind::Decode));
    assert!(
        matches!(
            error.problem(),
            Problem::Unreadable {
                what: Part::LokiAnswer,
                why: Unreadable::Json(_)
            }
        ),
        "{error:?}"
    );
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    let (attempt, after, error) = reconnecting(&mut stream).await;
    assert_eq!((attempt, error.kind), (2, ErrorKind::TooLarge), "{error:?}");
    assert!(
        after >= Duration::from_millis(250),
        "the wait grows: {after:?}"
    );
    assert!(matches!(
        error.problem(),
        Problem::TooLarge(TooLarge::Read { limit: 16_777_216 })
    ));
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    assert_eq!(texts(&lines(&mut stream).await), ["fine"]);
    // Loki's close after `tail_max_duration`: opened again at once, and the
    // frame read before started the waits over.
    let (attempt, after, _) = reconnecting(&mut stream).await;
    assert_eq!((attempt, after), (1, Duration::ZERO));
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    assert_eq!(texts(&lines(&mut stream).await), ["after an hour"]);
    assert_eq!(script.start(3).as_deref(), Some("7"));
}

#[tokio::test]
async fn kube_urls_tail_through_the_service_proxy() {
    let (loki_url, script) = loki(vec![
        Step::Accept(vec![Act::Text(frame(&[(5, "through the proxy")], false))]),
        Step::Refuse(400, "parse error at line 1, col 2: syntax error"),
    ])
    .await;
    let mut fake_cluster = support::kube::Cluster::default();
    fake_cluster.token = Some("s3cr3t-token".into());
    fake_cluster
        .services
        .insert("observability/loki:3100".into(), loki_url);
    fake_cluster.forbidden_proxy.push("monitoring/loki".into());
    let (api_url, shared) = support::kube::start(fake_cluster).await;
    let dir = std::env::temp_dir().join(format!("triage-loki-tail-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let settings = ClusterSettings {
        kubeconfig: Some(support::kube::kubeconfig(
            &dir,
            &api_url,
            "    token: s3cr3t-token",
        )),
        ..ClusterSettings::default()
    };
    let cluster = Arc::new(Cluster::new(settings));
    let endpoint = |url: &str| Endpoint {
        cluster: Some(Arc::clone(&cluster)),
        tenant: Some("team-a".into()),
        ..Endpoint::new(url)
    };
    let client = LokiClient::new(&endpoint("kube://observability/loki:3100")).unwrap();

    let mut stream = tail(&client, 1);
    assert_eq!(event(&mut stream).await, TailEvent::Live);
    let told = lines(&mut stream).await;
    assert_eq!(texts(&told), ["through the proxy"]);
    assert_eq!(told[0].timestamp, 5);
    drop(stream);
    let (path, auth) = shared.lock().unwrap().requests.last().cloned().unwrap();
    assert!(
        path.starts_with("/namespaces/observability/services/loki:3100/proxy/loki/api/v1/tail?"),
        "{path}"
    );
    assert_eq!(auth.as_deref(), Some("Bearer s3cr3t-token"));
    let (_, headers) = &script.asked()[0];
    assert_eq!(
        headers.get("x-scope-orgid").and_then(|v| v.to_str().ok()),
        Some("team-a")
    );
    assert!(
        headers.get("authorization").is_none(),
        "the API server's, not Loki's"
    );

    // Loki's refusal comes through the proxy in its words.
    let mut stream = tail(&client, 1);
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert_eq!(error.status, Some(400));
    assert!(
        format!("{error:?}").contains("parse error at line 1, col 2"),
        "{error:?}"
    );
    assert_eq!(
        error.message.via.as_deref(),
        Some("kube://observability/loki:3100/")
    );
    assert!(next(&mut stream).await.is_none());

    // The API server's own refusal (RBAC) ends the tail too.
    let forbidden = LokiClient::new(&endpoint("kube://monitoring/loki:3100")).unwrap();
    let mut stream = tail(&forbidden, 1);
    let error = next(&mut stream).await.unwrap().unwrap_err();
    assert_eq!(error.status, Some(403));
    assert!(matches!(
        error.problem(),
        Problem::ProxyRefused { status: 403, .. }
    ));
    assert!(next(&mut stream).await.is_none());
    let _ = std::fs::remove_dir_all(&dir);
}
