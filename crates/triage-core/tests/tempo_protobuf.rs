//! Tempo's protobuf answers, as recorded from a real Tempo 2.7: the same
//! trace as its JSON answers, span for span; and the client against a
//! loopback server answering as Tempo does: protobuf or JSON, its own
//! limits, partial traces, the cap of a trace by id, progress.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::Response;
use futures::StreamExt;
use prost::Message;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use triage_core::backend::error::{Part, Problem, TempoLimit, TooLarge, Unreadable};
use triage_core::backend::otlp_json::{self, Decoded};
use triage_core::backend::otlp_proto::{self, Shape};
use triage_core::backend::otlp_proto::{PartialStatus, TraceByIdResponse};
use triage_core::backend::{Endpoint, ErrorKind, TempoClient};
use triage_core::domain::{Trace, TraceId};
use triage_core::secret::Redactor;

const FAILING: &str = "651ca6325e6d780449e8af504f034ee5";

/// The shared fixtures, beside the repository.
fn fixture(name: &str) -> Vec<u8> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/tempo");
    std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn found(decoded: Result<Decoded, Unreadable>) -> Trace {
    match decoded {
        Ok(Decoded::Found(trace)) => trace,
        Ok(Decoded::Empty) => panic!("no spans"),
        Err(e) => panic!("{e:?}"),
    }
}

fn id() -> TraceId {
    TraceId::from_hex(FAILING).unwrap()
}

fn from_json(name: &str) -> Trace {
    found(otlp_json::decode_trace(
        id(),
        &fixture(name),
        &Redactor::default(),
    ))
}

fn from_protobuf(name: &str, shape: Shape) -> Trace {
    found(otlp_proto::decode_trace(
        id(),
        &fixture(name),
        shape,
        &Redactor::default(),
    ))
}

#[test]
fn v2_protobuf_is_the_same_trace_as_v2_json() {
    let json = from_json(&format!("trace_v2_error_{FAILING}.json"));
    let proto = from_protobuf(&format!("trace_v2_error_{FAILING}.pb"), Shape::Response);
    assert_eq!(proto.spans.len(), 7);
    assert_eq!(proto, json);
}

#[test]
fn v1_protobuf_is_the_same_trace_as_v1_json() {
    let json = from_json(&format!("trace_v1_error_{FAILING}.json"));
    let proto = from_protobuf(&format!("trace_v1_error_{FAILING}.pb"), Shape::Trace);
    assert_eq!(proto.spans.len(), 7);
    assert_eq!(proto, json);
}

// The client against a loopback server answering as Tempo does.

/// What the server answers on one path.
#[derive(Clone)]
struct Canned {
    path: String,
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    /// Sent in this many pieces, without a length up front.
    pieces: usize,
}

impl Canned {
    fn new(path: &str, status: u16, content_type: &'static str, body: Vec<u8>) -> Self {
        Canned {
            path: path.into(),
            status,
            content_type,
            body,
            pieces: 0,
        }
    }
}

fn v2_path() -> String {
    format!("/api/v2/traces/{FAILING}")
}

fn v1_path() -> String {
    format!("/api/traces/{FAILING}")
}

/// Serves `answers` on a free loopback port; what else is asked is a
/// router's 404. Hands back the base URL and the headers each request had.
async fn serve(answers: Vec<Canned>) -> (String, Arc<Mutex<Vec<HeaderMap>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let heard = Arc::clone(&seen);
    let app = axum::Router::new().fallback(move |request: Request<Body>| {
        heard.lock().unwrap().push(request.headers().clone());
        let found = answers
            .iter()
            .find(|a| a.path == request.uri().path())
            .cloned();
        async move { answer(found) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

fn answer(canned: Option<Canned>) -> Response {
    let Some(canned) = canned else {
        let mut missing = Response::new(Body::from("404 page not found\n"));
        *missing.status_mut() = StatusCode::NOT_FOUND;
        return missing;
    };
    let body = if canned.pieces == 0 {
        Body::from(canned.body)
    } else {
        let size = canned.body.len().div_ceil(canned.pieces).max(1);
        let pieces: Vec<Vec<u8>> = canned.body.chunks(size).map(<[u8]>::to_vec).collect();
        let stream = futures::stream::iter(pieces).then(|piece| async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            Ok::<_, std::io::Error>(piece)
        });
        Body::from_stream(stream)
    };
    let mut response = Response::new(body);
    *response.status_mut() = StatusCode::from_u16(canned.status).unwrap();
    if !canned.content_type.is_empty() {
        let value = canned.content_type.parse().unwrap();
        response.headers_mut().insert(header::CONTENT_TYPE, value);
    }
    response
}

fn sendable<T: Send>(_: &T) {}

fn client(url: &str) -> TempoClient {
    TempoClient::new(&Endpoint::new(url)).unwrap()
}

const PROTOBUF: &str = "application/protobuf";
const JSON: &str = "application/json";

fn v2_pb() -> Vec<u8> {
    fixture(&format!("trace_v2_error_{FAILING}.pb"))
}

#[tokio::test]
async fn protobuf_is_asked_for_and_read_on_v2_and_v1() {
    let (url, seen) = serve(vec![Canned::new(&v2_path(), 200, PROTOBUF, v2_pb())]).await;
    let v2 = client(&url).trace(id()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0]["accept"], PROTOBUF);
    assert_eq!(v2, from_json(&format!("trace_v2_error_{FAILING}.json")));

    let v1_pb = fixture(&format!("trace_v1_error_{FAILING}.pb"));
    let (url, _) = serve(vec![Canned::new(&v1_path(), 200, PROTOBUF, v1_pb)]).await;
    let v1 = client(&url).trace(id()).await.unwrap();
    assert_eq!(v1, v2);
}

#[tokio::test]
async fn a_server_that_answers_json_is_read_as_json() {
    let json = fixture(&format!("trace_v2_error_{FAILING}.json"));
    let (url, seen) = serve(vec![Canned::new(&v2_path(), 200, JSON, json)]).await;
    let trace = client(&url).trace(id()).await.unwrap();
    assert_eq!(seen.lock().unwrap()[0]["accept"], PROTOBUF);
    assert_eq!(
        trace,
        from_protobuf(&format!("trace_v2_error_{FAILING}.pb"), Shape::Response)
    );
}

#[tokio::test]
async fn a_trace_over_trace_max_bytes_is_its_own_error() {
    let body = v2_pb();
    let small = body.len() as u64 - 1;
    let declared = Canned::new(&v2_path(), 200, PROTOBUF, body.clone());
    let (url, _) = serve(vec![declared]).await;
    let err = client(&url)
        .with_trace_max_bytes(small)
        .trace(id())
        .await
        .unwrap_err();
    assert_eq!(err.kind, ErrorKind::TooLarge);
    assert_eq!(
        err.problem(),
        &Problem::TraceTooLarge(TooLarge::Declared {
            size: body.len() as u64,
            limit: small
        })
    );
    let streamed = Canned {
        pieces: 4,
        ..Canned::new(&v2_path(), 200, PROTOBUF, body.clone())
    };
    let (url, _) = serve(vec![streamed]).await;
    let client = client(&url).with_trace_max_bytes(small);
    let err = client.trace(id()).await.unwrap_err();
    assert_eq!(
        err.problem(),
        &Problem::TraceTooLarge(TooLarge::Read { limit: small })
    );
    // The default is far above the 64 MiB of every other answer.
    let (url, _) = serve(vec![Canned::new(&v2_path(), 200, PROTOBUF, body)]).await;
    assert!(self::client(&url).trace(id()).await.is_ok());
}

#[tokio::test]
async fn tempos_own_limits_are_told_as_such() {
    let cases = [
        // The querier's combiner over max_bytes_per_trace (400, 422 or 500 by version).
        (
            500,
            "trace exceeds max size\n",
            TempoLimit::MaxBytesPerTrace,
        ),
        (
            422,
            "trace exceeds max size\n",
            TempoLimit::MaxBytesPerTrace,
        ),
        (
            400,
            "trace exceeds max size\n",
            TempoLimit::MaxBytesPerTrace,
        ),
        // The querier worker's answer over the gRPC message size.
        (
            413,
            "response larger than the max (36329178 vs 16777216)",
            TempoLimit::MessageSize,
        ),
        (
            500,
            "response larger than the max message size (36329178 vs 16777216)",
            TempoLimit::MessageSize,
        ),
    ];
    for (status, words, limit) in cases {
        let refusal = Canned::new(
            &v2_path(),
            status,
            "text/plain; charset=utf-8",
            words.into(),
        );
        let (url, _) = serve(vec![refusal]).await;
        let err = client(&url).trace(id()).await.unwrap_err();
        assert_eq!(err.status, Some(status));
        assert_eq!(err.kind, ErrorKind::TooLarge);
        let Problem::TempoLimit {
            limit: told,
            words: said,
        } = err.problem()
        else {
            panic!("{err}");
        };
        assert_eq!((*told, said.as_str()), (limit, words.trim()));
    }
    let other = Canned::new(&v2_path(), 500, "text/plain", "internal error".into());
    let (url, _) = serve(vec![other]).await;
    let err = client(&url).trace(id()).await.unwrap_err();
    assert!(matches!(err.problem(), Problem::Answered { .. }), "{err}");
}

#[tokio::test]
async fn a_partial_protobuf_answer_keeps_tempos_words() {
    let mut answer = TraceByIdResponse::decode(v2_pb().as_slice()).unwrap();
    let words = "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned";
    answer.status = PartialStatus::Partial as i32;
    answer.message = words.into();
    let partial = Canned::new(&v2_path(), 200, PROTOBUF, answer.encode_to_vec());
    let (url, _) = serve(vec![partial]).await;
    let trace = client(&url).trace(id()).await.unwrap();
    assert_eq!(trace.partial.as_deref(), Some(words));
    assert_eq!(trace.spans.len(), 7);
}

#[tokio::test]
async fn malformed_protobuf_is_a_decode_error() {
    let mut cut = v2_pb();
    cut.truncate(cut.len() / 2);
    let garbage = vec![0xff; 64];
    for body in [cut, garbage] {
        let (url, _) = serve(vec![Canned::new(&v2_path(), 200, PROTOBUF, body)]).await;
        let err = client(&url).trace(id()).await.unwrap_err();
        assert_eq!(err.kind, ErrorKind::Decode);
        assert!(
            matches!(
                err.problem(),
                Problem::Unreadable {
                    what: Part::TempoTrace,
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[tokio::test]
async fn progress_tells_the_bytes_received_as_they_arrive() {
    let body = v2_pb();
    let streamed = Canned {
        pieces: 8,
        ..Canned::new(&v2_path(), 200, PROTOBUF, body.clone())
    };
    let (url, _) = serve(vec![streamed]).await;
    let (progress, mut told) = tokio::sync::watch::channel(0);
    let heard = tokio::spawn(async move {
        let mut seen = Vec::new();
        while told.changed().await.is_ok() {
            seen.push(*told.borrow_and_update());
        }
        seen
    });
    let client = client(&url);
    let loading = client.trace_with_progress(id(), progress);
    sendable(&loading); // the app runs it on a task of its own
    let trace = loading.await;
    assert_eq!(trace.unwrap().spans.len(), 7);
    let seen = heard.await.unwrap(); // the sender is dropped with the request
    assert_eq!(seen.last(), Some(&(body.len() as u64)));
    assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert!(seen.len() >= 3, "told as it arrived, not once: {seen:?}");
}
