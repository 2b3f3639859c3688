//! Tempo's protobuf answers, as recorded from a real Tempo 2.7: the same
//! trace as its JSON answers, span for span.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use std::path::PathBuf;
use triage_core::backend::error::Unreadable;
use triage_core::backend::otlp_json::{self, Decoded};
use triage_core::backend::otlp_proto::{self, Shape};
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
