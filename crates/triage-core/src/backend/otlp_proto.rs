//! OTLP traces in protobuf, as Tempo sends them when asked with
//! `Accept: application/protobuf`: `/api/v2/traces/<id>` answers a
//! `tempopb.TraceByIDResponse`, `/api/traces/<id>` a bare `tempopb.Trace`
//! (Tempo's `pkg/tempopb/tempo.proto`); the OTLP messages inside are
//! opentelemetry-proto's.
//!
//! A big trace is not decoded into prost's structs whole: the repeated
//! fields are walked and one span at a time is decoded and made a domain
//! span, so what is held is the answer's bytes and the spans made so far.

use super::error::Unreadable;
use super::otlp_json::{Decoded, partial_words, service_of};
use super::texts::Texts;
use crate::domain::{
    Attribute, SafeText, Span, SpanEvent, SpanId, SpanKind, SpanStatus, Trace, TraceId,
};
use crate::secret::Redactor;
use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value::Value};
use opentelemetry_proto::tonic::resource::v1::Resource;
use opentelemetry_proto::tonic::trace::v1::{ResourceSpans, Span as OtlpSpan, Status};
use prost::Message;
use prost::encoding::{DecodeContext, WireType, decode_key, decode_varint, skip_field};
use std::sync::Arc;

/// `tempopb.Trace`: the v1 answer, and the trace in the v2 one.
#[derive(Clone, PartialEq, Message)]
pub struct TempoTrace {
    #[prost(message, repeated, tag = "1")]
    pub batches: Vec<ResourceSpans>,
}

/// `tempopb.TraceByIDResponse`: the v2 answer.
#[derive(Clone, PartialEq, Message)]
pub struct TraceByIdResponse {
    #[prost(message, optional, tag = "1")]
    pub trace: Option<TempoTrace>,
    #[prost(message, optional, tag = "2")]
    pub metrics: Option<TraceByIdMetrics>,
    #[prost(enumeration = "PartialStatus", tag = "3")]
    pub status: i32,
    /// Why the trace is partial.
    #[prost(string, tag = "4")]
    pub message: String,
}

/// `tempopb.TraceByIDMetrics` (bytes inspected, ...): not read.
#[derive(Clone, Copy, PartialEq, Message)]
pub struct TraceByIdMetrics {}

/// `tempopb.PartialStatus`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, prost::Enumeration)]
#[repr(i32)]
pub enum PartialStatus {
    Complete = 0,
    Partial = 1,
}

/// The field numbers the walk reads, as in the messages above and OTLP's.
mod tag {
    pub const RESPONSE_TRACE: u32 = 1;
    pub const RESPONSE_STATUS: u32 = 3;
    pub const RESPONSE_MESSAGE: u32 = 4;
    pub const TRACE_BATCHES: u32 = 1;
    pub const BATCH_RESOURCE: u32 = 1;
    pub const BATCH_SCOPE_SPANS: u32 = 2;
    pub const SCOPE_SPANS: u32 = 2;
}

/// Which message an answer is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shape {
    /// `/api/v2/traces/<id>`: a `TraceByIDResponse`.
    Response,
    /// `/api/traces/<id>`: a bare `Trace`.
    Trace,
}

/// Reads a protobuf answer of `shape` into a trace, its text cut of
/// `secrets` and made safe once, here.
pub fn decode_trace(
    id: TraceId,
    body: &[u8],
    shape: Shape,
    secrets: &Redactor,
) -> Result<Decoded, Unreadable> {
    let envelope = match shape {
        Shape::Response => Envelope::read(body)?,
        Shape::Trace => Envelope {
            traces: vec![body],
            ..Envelope::default()
        },
    };
    let mut texts = Texts::new(secrets);
    let mut spans = Vec::with_capacity(envelope.count_spans()?);
    for batch in envelope.batches() {
        read_batch(batch?, &mut texts, &mut spans)?;
    }
    if spans.is_empty() {
        return Ok(Decoded::Empty);
    }
    let partial = envelope.partial.then(|| {
        let message = envelope.message.map(String::from_utf8_lossy);
        partial_words(message.as_deref().filter(|m| !m.is_empty()), secrets)
    });
    Ok(Decoded::Found(Trace { id, spans, partial }))
}

/// The v2 answer without its trace read: where the trace is, and whether
/// Tempo says it is partial.
#[derive(Default)]
struct Envelope<'a> {
    /// `trace` fields (a message given twice is merged: its batches add up).
    traces: Vec<&'a [u8]>,
    partial: bool,
    message: Option<&'a [u8]>,
}

impl<'a> Envelope<'a> {
    fn read(body: &'a [u8]) -> Result<Self, Unreadable> {
        let mut envelope = Envelope::default();
        for field in Fields::new(body) {
            match field? {
                (tag::RESPONSE_TRACE, Field::Bytes(trace)) => envelope.traces.push(trace),
                (tag::RESPONSE_STATUS, Field::Varint(status)) => {
                    envelope.partial = status == PartialStatus::Partial as u64;
                }
                (tag::RESPONSE_MESSAGE, Field::Bytes(message)) => envelope.message = Some(message),
                _ => {}
            }
        }
        Ok(envelope)
    }

    /// Each `ResourceSpans`, not yet read.
    fn batches(&self) -> impl Iterator<Item = Result<&'a [u8], Unreadable>> + '_ {
        let traces = self.traces.iter().flat_map(|trace| Fields::new(trace));
        traces.filter_map(|field| match field {
            Ok((tag::TRACE_BATCHES, Field::Bytes(batch))) => Some(Ok(batch)),
            Ok(_) => None,
            Err(e) => Some(Err(e)),
        })
    }

    /// How many spans there are, so that they are kept in a vector of
    /// that size: one that grows by doubling holds up to twice as much.
    fn count_spans(&self) -> Result<usize, Unreadable> {
        let mut count = 0;
        for batch in self.batches() {
            each_span(batch?, |_| {
                count += 1;
                Ok(())
            })?;
        }
        Ok(count)
    }
}

/// Calls `f` with the bytes of each span of a `ResourceSpans`.
fn each_span(
    batch: &[u8],
    mut f: impl FnMut(&[u8]) -> Result<(), Unreadable>,
) -> Result<(), Unreadable> {
    for field in Fields::new(batch) {
        let (tag::BATCH_SCOPE_SPANS, Field::Bytes(scope)) = field? else {
            continue;
        };
        for field in Fields::new(scope) {
            if let (tag::SCOPE_SPANS, Field::Bytes(span)) = field? {
                f(span)?;
            }
        }
    }
    Ok(())
}

/// One `ResourceSpans`: its resource first (wherever it is), then its
/// spans one by one.
fn read_batch(
    batch: &[u8],
    texts: &mut Texts<'_>,
    spans: &mut Vec<Span>,
) -> Result<(), Unreadable> {
    let mut resource = Resource::default();
    for field in Fields::new(batch) {
        if let (tag::BATCH_RESOURCE, Field::Bytes(bytes)) = field? {
            resource.merge(bytes).map_err(|e| not_protobuf(&e, texts))?;
        }
    }
    let resource: Arc<[Attribute]> = attributes(&resource.attributes, texts).into();
    let service = service_of(&resource);
    each_span(batch, |bytes| {
        let span = OtlpSpan::decode(bytes).map_err(|e| not_protobuf(&e, texts))?;
        spans.push(domain_span(span, &service, &resource, texts)?);
        Ok(())
    })
}

fn domain_span(
    span: OtlpSpan,
    service: &SafeText,
    resource: &Arc<[Attribute]>,
    texts: &mut Texts<'_>,
) -> Result<Span, Unreadable> {
    let id = span_id(&span.span_id).ok_or_else(|| Unreadable::BadSpanId(hex(&span.span_id)))?;
    let parent_id = match span.parent_span_id.as_slice() {
        [] => None,
        parent => Some(span_id(parent).ok_or_else(|| Unreadable::BadParentSpanId(hex(parent)))?),
    }
    .filter(|p| p.0 != [0; 8]); // all zeros means "no parent" to some SDKs
    let events = (span.events.iter())
        .map(|e| SpanEvent {
            time: nanos(e.time_unix_nano),
            name: texts.safe(&e.name),
            attributes: attributes(&e.attributes, texts),
        })
        .collect();
    Ok(Span {
        span_id: id,
        parent_id,
        name: texts.safe(&span.name),
        service: service.clone(),
        kind: span_kind(span.kind),
        start: nanos(span.start_time_unix_nano),
        end: nanos(span.end_time_unix_nano),
        attributes: attributes(&span.attributes, texts).into(),
        resource: Arc::clone(resource),
        events,
        status: span_status(span.status.as_ref(), texts),
    })
}

fn span_id(bytes: &[u8]) -> Option<SpanId> {
    Some(SpanId(bytes.try_into().ok()?))
}

/// A bad id, in hex, at most 16 bytes of it.
fn hex(bytes: &[u8]) -> SafeText {
    let shown: String = bytes.iter().take(16).map(|b| format!("{b:02x}")).collect();
    SafeText::new(&shown)
}

/// OTLP's times are u64; past i64 they saturate.
fn nanos(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

fn span_kind(kind: i32) -> SpanKind {
    match kind {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

fn span_status(status: Option<&Status>, texts: &mut Texts<'_>) -> SpanStatus {
    match status.map(|s| (s.code, s)) {
        Some((1, _)) => SpanStatus::Ok,
        Some((2, s)) => SpanStatus::Error(texts.safe(&s.message)),
        _ => SpanStatus::Unset,
    }
}

fn attributes(list: &[KeyValue], texts: &mut Texts<'_>) -> Vec<Attribute> {
    list.iter()
        .map(|kv| Attribute {
            key: texts.safe(&kv.key),
            value: match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => texts.safe(s),
                _ => texts.safe(&render(kv.value.as_ref())),
            },
        })
        .collect()
}

/// A value as the JSON decoder writes it: bytes in base64, as OTLP JSON
/// carries them, arrays as `[a, b]`, maps as `{k=v}`.
fn render(value: Option<&AnyValue>) -> String {
    let Some(value) = value.and_then(|v| v.value.as_ref()) else {
        return String::new();
    };
    match value {
        Value::StringValue(s) => s.clone(),
        Value::BoolValue(b) => b.to_string(),
        Value::IntValue(n) => n.to_string(),
        Value::DoubleValue(d) => d.to_string(),
        Value::BytesValue(b) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(b)
        }
        Value::ArrayValue(array) => {
            let items: Vec<String> = array.values.iter().map(|v| render(Some(v))).collect();
            format!("[{}]", items.join(", "))
        }
        Value::KvlistValue(list) => {
            let items: Vec<String> = (list.values.iter())
                .map(|kv| format!("{}={}", kv.key, render(kv.value.as_ref())))
                .collect();
            format!("{{{}}}", items.join(", "))
        }
        Value::StringValueStrindex(_) => String::new(), // profiles' string table: not in traces
    }
}

fn not_protobuf(e: &prost::DecodeError, texts: &Texts<'_>) -> Unreadable {
    Unreadable::Protobuf(texts.secrets().safe(&e.to_string()))
}

/// One field of a message, its value not yet decoded.
enum Field<'a> {
    Bytes(&'a [u8]),
    Varint(u64),
    Other,
}

/// The fields of one message, in the order they were written.
struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    fn new(message: &'a [u8]) -> Self {
        Fields { rest: message }
    }

    fn field(&mut self) -> Result<(u32, Field<'a>), Unreadable> {
        let wire = |e: prost::DecodeError| Unreadable::Protobuf(SafeText::new(&e.to_string()));
        let (tag, wire_type) = decode_key(&mut self.rest).map_err(wire)?;
        let field = match wire_type {
            WireType::LengthDelimited => {
                let len = decode_varint(&mut self.rest).map_err(wire)?;
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                if len > self.rest.len() {
                    return Err(Unreadable::CutShort);
                }
                let (bytes, rest) = self.rest.split_at(len);
                self.rest = rest;
                Field::Bytes(bytes)
            }
            WireType::Varint => Field::Varint(decode_varint(&mut self.rest).map_err(wire)?),
            other => {
                skip_field(other, tag, &mut self.rest, DecodeContext::default()).map_err(wire)?;
                Field::Other
            }
        };
        Ok((tag, field))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), Unreadable>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let field = self.field();
        if field.is_err() {
            self.rest = &[]; // one error, then the end
        }
        Some(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use opentelemetry_proto::tonic::trace::v1::ScopeSpans;

    fn span(id: u8, parent: Option<u8>) -> OtlpSpan {
        OtlpSpan {
            span_id: vec![id; 8],
            parent_span_id: parent.map(|p| vec![p; 8]).unwrap_or_default(),
            name: format!("op {id}"),
            start_time_unix_nano: 10,
            end_time_unix_nano: 20,
            ..OtlpSpan::default()
        }
    }

    fn batch(service: &str, spans: Vec<OtlpSpan>) -> ResourceSpans {
        let name = KeyValue {
            key: "service.name".into(),
            value: Some(AnyValue {
                value: Some(Value::StringValue(service.into())),
            }),
            ..KeyValue::default()
        };
        ResourceSpans {
            resource: Some(Resource {
                attributes: vec![name],
                ..Resource::default()
            }),
            scope_spans: vec![ScopeSpans {
                spans,
                ..ScopeSpans::default()
            }],
            ..ResourceSpans::default()
        }
    }

    fn decode(body: &[u8], shape: Shape) -> Result<Decoded, Unreadable> {
        decode_trace(TraceId([1; 16]), body, shape, &Redactor::default())
    }

    fn response(batches: Vec<ResourceSpans>, status: PartialStatus, message: &str) -> Vec<u8> {
        TraceByIdResponse {
            trace: Some(TempoTrace { batches }),
            metrics: Some(TraceByIdMetrics {}),
            status: status as i32,
            message: message.into(),
        }
        .encode_to_vec()
    }

    #[test]
    fn both_shapes_read_the_same_spans_with_their_services() -> Result<(), Unreadable> {
        let batches = vec![
            batch("api", vec![span(1, None), span(2, Some(1))]),
            batch("db", vec![span(3, Some(2))]),
        ];
        let v1 = TempoTrace {
            batches: batches.clone(),
        }
        .encode_to_vec();
        let v2 = response(batches, PartialStatus::Complete, "");
        let (Decoded::Found(one), Decoded::Found(two)) =
            (decode(&v1, Shape::Trace)?, decode(&v2, Shape::Response)?)
        else {
            panic!("spans expected");
        };
        assert_eq!(one, two);
        let services: Vec<&str> = one.spans.iter().map(|s| s.service.as_str()).collect();
        assert_eq!(services, ["api", "api", "db"]);
        assert_eq!(one.spans[1].parent_id, Some(SpanId([1; 8])));
        assert_eq!(one.partial, None);
        Ok(())
    }

    #[test]
    fn a_partial_answer_says_so_in_tempos_words() -> Result<(), Unreadable> {
        let words = "Trace exceeds maximum size of 5000000 bytes, a partial trace is returned";
        let body = response(
            vec![batch("api", vec![span(1, None)])],
            PartialStatus::Partial,
            words,
        );
        let Decoded::Found(trace) = decode(&body, Shape::Response)? else {
            panic!("spans expected");
        };
        assert_eq!(trace.partial.as_deref(), Some(words));
        Ok(())
    }

    #[test]
    fn no_spans_is_empty_and_garbage_is_an_error_not_a_panic() {
        assert!(matches!(decode(b"", Shape::Response), Ok(Decoded::Empty)));
        assert!(matches!(
            decode(&[0x0a, 0x00], Shape::Response),
            Ok(Decoded::Empty)
        ));
        let body = response(
            vec![batch("api", vec![span(1, None)])],
            PartialStatus::Complete,
            "",
        );
        for cut in 1..body.len() {
            let _ = decode(&body[..cut], Shape::Response); // no panic
        }
        assert_eq!(
            decode(&body[..body.len() - 3], Shape::Response).err(),
            Some(Unreadable::CutShort)
        );
        assert!(matches!(
            decode(&[0xff; 12], Shape::Trace),
            Err(Unreadable::Protobuf(_))
        ));
        let mut bad = span(1, None);
        bad.span_id = vec![1, 2, 3];
        let body = TempoTrace {
            batches: vec![batch("api", vec![bad])],
        }
        .encode_to_vec();
        assert_eq!(
            decode(&body, Shape::Trace).err(),
            Some(Unreadable::BadSpanId(SafeText::new("010203")))
        );
    }
}
