//! OTLP traces in protobuf, as Tempo sends them when asked with
//! `Accept: application/protobuf`: `/api/v2/traces/<id>` answers a
//! `tempopb.TraceByIDResponse`, `/api/traces/<id>` a bare `tempopb.Trace`
//! (Tempo's `pkg/tempopb/tempo.proto`); the OTLP messages inside are
//! opentelemetry-proto's.
//!
//! The answer is walked field by field, borrowing from its bytes: each
//! span's fields are read straight into a domain span, with no owned
//! OTLP message (strings, attribute vectors) made and thrown away on the
//! way: allocating and freeing those was about 40% of decoding a big
//! trace. What is held is the answer's bytes and the spans made so far.
//!
//! Where a message that is not repeated is given twice (no encoder does
//! it), its fields are read in turn, the last of each winning, as prost
//! merges them; an `AnyValue` given twice is the last one. A known field
//! of another wire type than its own is skipped like an unknown one.

use super::error::Unreadable;
use super::otlp_json::{Decoded, partial_words, service_of};
use super::texts::{self, Texts};
use crate::domain::{
    Attribute, SafeText, Span, SpanEvent, SpanId, SpanKind, SpanStatus, Trace, TraceId,
};
use crate::secret::Redactor;
use opentelemetry_proto::tonic::trace::v1::ResourceSpans;
use prost::Message;
use prost::encoding::{DecodeContext, WireType, skip_field};
use std::collections::HashMap;
use std::fmt::Write as _;
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

/// The field numbers the walk reads: Tempo's messages above, and OTLP's
/// as opentelemetry-proto defines them (`opentelemetry/proto/trace/v1/
/// trace.proto`, `common/v1/common.proto`, `resource/v1/resource.proto`;
/// the generated `opentelemetry_proto::tonic` structs carry the same
/// numbers in their `#[prost(tag)]`).
mod tag {
    pub const RESPONSE_TRACE: u32 = 1;
    pub const RESPONSE_STATUS: u32 = 3;
    pub const RESPONSE_MESSAGE: u32 = 4;
    pub const TRACE_BATCHES: u32 = 1;
    /// `ResourceSpans`
    pub const BATCH_RESOURCE: u32 = 1;
    pub const BATCH_SCOPE_SPANS: u32 = 2;
    /// `ScopeSpans`
    pub const SCOPE_SPANS: u32 = 2;
    /// `Resource`
    pub const RESOURCE_ATTRIBUTES: u32 = 1;
    /// `Span`
    pub const SPAN_SPAN_ID: u32 = 2;
    pub const SPAN_PARENT_SPAN_ID: u32 = 4;
    pub const SPAN_NAME: u32 = 5;
    pub const SPAN_KIND: u32 = 6;
    pub const SPAN_START: u32 = 7;
    pub const SPAN_END: u32 = 8;
    pub const SPAN_ATTRIBUTES: u32 = 9;
    pub const SPAN_EVENTS: u32 = 11;
    pub const SPAN_STATUS: u32 = 15;
    /// `Span.Event`
    pub const EVENT_TIME: u32 = 1;
    pub const EVENT_NAME: u32 = 2;
    pub const EVENT_ATTRIBUTES: u32 = 3;
    /// `Status`
    pub const STATUS_MESSAGE: u32 = 2;
    pub const STATUS_CODE: u32 = 3;
    /// `KeyValue`
    pub const KEY_VALUE_KEY: u32 = 1;
    pub const KEY_VALUE_VALUE: u32 = 2;
    /// `AnyValue`, a oneof
    pub const VALUE_STRING: u32 = 1;
    pub const VALUE_BOOL: u32 = 2;
    pub const VALUE_INT: u32 = 3;
    pub const VALUE_DOUBLE: u32 = 4;
    pub const VALUE_ARRAY: u32 = 5;
    pub const VALUE_KVLIST: u32 = 6;
    pub const VALUE_BYTES: u32 = 7;
    /// `ArrayValue` and `KeyValueList`
    pub const LIST_VALUES: u32 = 1;
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
    let mut walk = Walk::new(secrets);
    let mut spans = Vec::with_capacity(envelope.count_spans()?);
    for batch in envelope.batches() {
        walk.batch(batch?, &mut spans)?;
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
fn each_span<'a>(
    batch: &'a [u8],
    mut f: impl FnMut(&'a [u8]) -> Result<(), Unreadable>,
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

/// Values nested deeper than this (an array in an array in ...) are
/// refused, as prost refuses messages nested past its recursion limit,
/// so that no answer can run the stack out.
const DEEPEST_VALUE: usize = 100;

/// What reading one answer's spans keeps between them: its texts, its
/// attributes by their bytes, and room reused so that a span costs only
/// the allocations it keeps.
struct Walk<'s, 'b> {
    texts: Texts<'s>,
    /// Attributes already read, by their `KeyValue`'s bytes in the answer:
    /// most of a big trace's attributes are repeats, and one look-up then
    /// stands for reading the pair and two in `texts`. Kept like `texts`
    /// keeps strings: up to a bound, short ones.
    seen: HashMap<&'b [u8], Attribute, texts::Hasher>,
    /// Attributes being read; each list is taken off the end when done
    /// (an event's, inside a span's).
    attributes: Vec<Attribute>,
    /// A value that is not a string, written out.
    rendered: String,
}

impl<'s, 'b> Walk<'s, 'b> {
    fn new(secrets: &'s Redactor) -> Self {
        Walk {
            texts: Texts::new(secrets),
            seen: HashMap::default(),
            attributes: Vec::new(),
            rendered: String::new(),
        }
    }

    /// One `ResourceSpans`: its resource first (wherever it is), then its
    /// spans one by one.
    fn batch(&mut self, batch: &'b [u8], spans: &mut Vec<Span>) -> Result<(), Unreadable> {
        let from = self.attributes.len();
        for field in Fields::new(batch) {
            if let (tag::BATCH_RESOURCE, Field::Bytes(resource)) = field? {
                for field in Fields::new(resource) {
                    if let (tag::RESOURCE_ATTRIBUTES, Field::Bytes(kv)) = field? {
                        self.attribute(kv)?;
                    }
                }
            }
        }
        let resource: Arc<[Attribute]> = self.attributes.drain(from..).collect();
        let service = service_of(&resource);
        each_span(batch, |bytes| {
            spans.push(self.span(bytes, &service, &resource)?);
            Ok(())
        })
    }

    fn span(
        &mut self,
        bytes: &'b [u8],
        service: &SafeText,
        resource: &Arc<[Attribute]>,
    ) -> Result<Span, Unreadable> {
        let (mut id, mut parent, mut name) = (&[][..], &[][..], "");
        let (mut kind, mut start, mut end) = (0, 0, 0);
        let mut events = Vec::new();
        let mut status = StatusFields::default();
        let from = self.attributes.len();
        for field in Fields::new(bytes) {
            match field? {
                (tag::SPAN_SPAN_ID, Field::Bytes(b)) => id = b,
                (tag::SPAN_PARENT_SPAN_ID, Field::Bytes(b)) => parent = b,
                (tag::SPAN_NAME, Field::Bytes(b)) => name = utf8(b)?,
                (tag::SPAN_KIND, Field::Varint(n)) => kind = n,
                (tag::SPAN_START, Field::Fixed64(n)) => start = n,
                (tag::SPAN_END, Field::Fixed64(n)) => end = n,
                (tag::SPAN_ATTRIBUTES, Field::Bytes(kv)) => self.attribute(kv)?,
                (tag::SPAN_EVENTS, Field::Bytes(b)) => events.push(self.event(b)?),
                (tag::SPAN_STATUS, Field::Bytes(b)) => status.merge(b)?,
                _ => {}
            }
        }
        let id = span_id(id).ok_or_else(|| Unreadable::BadSpanId(hex(id)))?;
        let parent_id = match parent {
            [] => None,
            parent => {
                Some(span_id(parent).ok_or_else(|| Unreadable::BadParentSpanId(hex(parent)))?)
            }
        }
        .filter(|p| p.0 != [0; 8]); // all zeros means "no parent" to some SDKs
        Ok(Span {
            span_id: id,
            parent_id,
            name: self.texts.safe(name),
            service: service.clone(),
            kind: span_kind(kind),
            start: nanos(start),
            end: nanos(end),
            attributes: self.attributes.drain(from..).collect(),
            resource: Arc::clone(resource),
            events: events.into(),
            status: match status.code {
                1 => SpanStatus::Ok,
                2 => SpanStatus::Error(self.texts.safe(status.message)),
                _ => SpanStatus::Unset,
            },
        })
    }

    fn event(&mut self, bytes: &'b [u8]) -> Result<SpanEvent, Unreadable> {
        let (mut time, mut name) = (0, "");
        let from = self.attributes.len();
        for field in Fields::new(bytes) {
            match field? {
                (tag::EVENT_TIME, Field::Fixed64(n)) => time = n,
                (tag::EVENT_NAME, Field::Bytes(b)) => name = utf8(b)?,
                (tag::EVENT_ATTRIBUTES, Field::Bytes(kv)) => self.attribute(kv)?,
                _ => {}
            }
        }
        Ok(SpanEvent {
            time: nanos(time),
            name: self.texts.safe(name),
            attributes: self.attributes.drain(from..).collect(),
        })
    }

    /// A `KeyValue`, added to `self.attributes`: a string value as it is,
    /// any other written out as the JSON decoder writes it.
    fn attribute(&mut self, bytes: &'b [u8]) -> Result<(), Unreadable> {
        if let Some(seen) = self.seen.get(bytes) {
            self.attributes.push(seen.clone());
            return Ok(());
        }
        let (key, value) = key_value(bytes)?;
        let key = self.texts.safe(key);
        let value = match any_value(value)? {
            Some(Value::String(s)) => self.texts.safe(s),
            value => {
                self.rendered.clear();
                render(value, &mut self.rendered, 0)?;
                self.texts.safe(&self.rendered)
            }
        };
        let attribute = Attribute { key, value };
        if self.seen.len() < texts::MOST_KEPT && bytes.len() <= texts::LONGEST_KEPT {
            self.seen.insert(bytes, attribute.clone());
        }
        self.attributes.push(attribute);
        Ok(())
    }
}

/// A `Status`'s fields, each message given merged into it.
#[derive(Default)]
struct StatusFields<'a> {
    code: u64,
    message: &'a str,
}

impl<'a> StatusFields<'a> {
    fn merge(&mut self, bytes: &'a [u8]) -> Result<(), Unreadable> {
        for field in Fields::new(bytes) {
            match field? {
                (tag::STATUS_CODE, Field::Varint(n)) => self.code = n,
                (tag::STATUS_MESSAGE, Field::Bytes(b)) => self.message = utf8(b)?,
                _ => {}
            }
        }
        Ok(())
    }
}

/// A `KeyValue`'s key, and its `AnyValue` not yet read.
fn key_value(bytes: &[u8]) -> Result<(&str, &[u8]), Unreadable> {
    let (mut key, mut value) = ("", &[][..]);
    for field in Fields::new(bytes) {
        match field? {
            (tag::KEY_VALUE_KEY, Field::Bytes(b)) => key = utf8(b)?,
            (tag::KEY_VALUE_VALUE, Field::Bytes(b)) => value = b,
            _ => {}
        }
    }
    Ok((key, value))
}

/// What an `AnyValue` holds, its lists not yet read.
enum Value<'a> {
    String(&'a str),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(&'a [u8]),
    Array(&'a [u8]),
    KvList(&'a [u8]),
}

/// The last of an `AnyValue`'s oneof fields, as prost reads it; none for
/// an empty value (or one the trace signal does not use).
fn any_value(bytes: &[u8]) -> Result<Option<Value<'_>>, Unreadable> {
    let mut value = None;
    for field in Fields::new(bytes) {
        value = match field? {
            (tag::VALUE_STRING, Field::Bytes(b)) => Some(Value::String(utf8(b)?)),
            (tag::VALUE_BOOL, Field::Varint(n)) => Some(Value::Bool(n != 0)),
            (tag::VALUE_INT, Field::Varint(n)) => Some(Value::Int(n as i64)),
            (tag::VALUE_DOUBLE, Field::Fixed64(n)) => Some(Value::Double(f64::from_bits(n))),
            (tag::VALUE_ARRAY, Field::Bytes(b)) => Some(Value::Array(b)),
            (tag::VALUE_KVLIST, Field::Bytes(b)) => Some(Value::KvList(b)),
            (tag::VALUE_BYTES, Field::Bytes(b)) => Some(Value::Bytes(b)),
            _ => continue,
        };
    }
    Ok(value)
}

/// A value written out as the JSON decoder writes it: bytes in base64,
/// as OTLP JSON carries them, arrays as `[a, b]`, maps as `{k=v}`.
fn render(value: Option<Value<'_>>, out: &mut String, depth: usize) -> Result<(), Unreadable> {
    if depth > DEEPEST_VALUE {
        return Err(wire_error("values nested too deep"));
    }
    let Some(value) = value else {
        return Ok(());
    };
    match value {
        Value::String(s) => out.push_str(s),
        Value::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        // Writing to a String cannot fail.
        Value::Int(n) => drop(write!(out, "{n}")),
        Value::Double(d) => drop(write!(out, "{d}")),
        Value::Bytes(b) => {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode_string(b, out);
        }
        Value::Array(list) => {
            out.push('[');
            for (i, item) in list_values(list).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                render(any_value(item?)?, out, depth + 1)?;
            }
            out.push(']');
        }
        Value::KvList(list) => {
            out.push('{');
            for (i, kv) in list_values(list).enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                let (key, value) = key_value(kv?)?;
                out.push_str(key);
                out.push('=');
                render(any_value(value)?, out, depth + 1)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The items of an `ArrayValue` or a `KeyValueList`.
fn list_values(list: &[u8]) -> impl Iterator<Item = Result<&[u8], Unreadable>> {
    Fields::new(list).filter_map(|field| match field {
        Ok((tag::LIST_VALUES, Field::Bytes(item))) => Some(Ok(item)),
        Ok(_) => None,
        Err(e) => Some(Err(e)),
    })
}

/// A string field: protobuf's strings are UTF-8, as prost insists.
fn utf8(bytes: &[u8]) -> Result<&str, Unreadable> {
    std::str::from_utf8(bytes).map_err(|_| wire_error("a string field is not UTF-8"))
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

/// An enum's varint, read as prost reads an `int32`.
fn span_kind(kind: u64) -> SpanKind {
    match kind as i32 {
        1 => SpanKind::Internal,
        2 => SpanKind::Server,
        3 => SpanKind::Client,
        4 => SpanKind::Producer,
        5 => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

/// Words of ours or prost's: they quote nothing from the answer.
fn wire_error(words: &str) -> Unreadable {
    Unreadable::Protobuf(SafeText::new(words))
}

/// One field of a message, its value not yet decoded.
enum Field<'a> {
    Bytes(&'a [u8]),
    Varint(u64),
    Fixed64(u64),
    /// A fixed32 or a group: skipped.
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

    #[inline]
    fn field(&mut self) -> Result<(u32, Field<'a>), Unreadable> {
        let key = self.varint()?;
        let tag = u32::try_from(key >> 3)
            .ok()
            .filter(|&tag| tag > 0)
            .ok_or_else(|| wire_error("a field number out of range"))?;
        let field = match key & 7 {
            0 => Field::Varint(self.varint()?),
            1 => Field::Fixed64(u64::from_le_bytes(self.array()?)),
            2 => {
                let len = self.varint()?;
                Field::Bytes(self.take(usize::try_from(len).unwrap_or(usize::MAX))?)
            }
            5 => {
                self.array::<4>()?;
                Field::Other
            }
            // Groups, deprecated and in no OTLP message: prost skips them.
            wire_type => {
                let wire = |e: prost::DecodeError| wire_error(&e.to_string());
                let wire_type = WireType::try_from(wire_type).map_err(wire)?;
                skip_field(wire_type, tag, &mut self.rest, DecodeContext::default())
                    .map_err(wire)?;
                Field::Other
            }
        };
        Ok((tag, field))
    }

    /// A base-128 varint, at most ten bytes, read here rather than by
    /// prost's generic `Buf` reader: this loop is most of the walk.
    #[inline]
    fn varint(&mut self) -> Result<u64, Unreadable> {
        let mut value = 0;
        for (i, &byte) in self.rest.iter().take(10).enumerate() {
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                self.rest = &self.rest[i + 1..];
                return Ok(value);
            }
        }
        Err(if self.rest.len() < 10 {
            Unreadable::CutShort
        } else {
            wire_error("a varint longer than ten bytes")
        })
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], Unreadable> {
        let bytes = self.take(N)?;
        Ok(bytes.try_into().unwrap_or([0; N]))
    }

    #[inline]
    fn take(&mut self, len: usize) -> Result<&'a [u8], Unreadable> {
        if len > self.rest.len() {
            return Err(Unreadable::CutShort);
        }
        let (bytes, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(bytes)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Field<'a>), Unreadable>;

    #[inline]
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
    use opentelemetry_proto::tonic::common::v1::{
        AnyValue, ArrayValue, KeyValue, KeyValueList, any_value,
    };
    use opentelemetry_proto::tonic::resource::v1::Resource;
    use opentelemetry_proto::tonic::trace::v1::span::Event;
    use opentelemetry_proto::tonic::trace::v1::{ScopeSpans, Span as OtlpSpan, Status};
    use proptest::prelude::*;

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
                value: Some(any_value::Value::StringValue(service.into())),
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

    /// A length-delimited field: `tag` and `bytes`, as a message holds it.
    fn field(tag: u32, bytes: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        prost::encoding::encode_key(tag, WireType::LengthDelimited, &mut out);
        prost::encoding::encode_varint(bytes.len() as u64, &mut out);
        out.extend_from_slice(bytes);
        out
    }

    /// A bare `tempopb.Trace` of one span given as its bytes.
    fn trace_of_span(span: &[u8]) -> Vec<u8> {
        let scope = field(tag::SCOPE_SPANS, span);
        field(tag::TRACE_BATCHES, &field(tag::BATCH_SCOPE_SPANS, &scope))
    }

    #[test]
    fn unknown_fields_of_every_wire_type_are_skipped() -> Result<(), Unreadable> {
        let plain = span(1, None).encode_to_vec();
        let mut extra = plain.clone();
        extra.extend([99 << 3, 7]); // a varint (field numbers under 16 fit a byte)
        extra.extend([(14 << 3) | 5, 1, 2, 3, 4]); // a fixed32
        extra.extend([(13 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]); // a fixed64
        extra.extend(field(96, b"unknown"));
        extra.extend([(12 << 3) | 3, 8, 1, (12 << 3) | 4]); // a group holding a varint
        let (Decoded::Found(one), Decoded::Found(two)) = (
            decode(&trace_of_span(&plain), Shape::Trace)?,
            decode(&trace_of_span(&extra), Shape::Trace)?,
        ) else {
            panic!("spans expected");
        };
        assert_eq!(one, two);
        Ok(())
    }

    #[test]
    fn malformed_wire_is_an_error() {
        let wire_error = |body: &[u8]| {
            let decoded = decode(body, Shape::Trace);
            matches!(decoded, Err(Unreadable::Protobuf(_)))
        };
        let mut not_utf8 = span(1, None).encode_to_vec();
        not_utf8.extend(field(tag::SPAN_NAME, &[b'a', 0xff]));
        assert!(wire_error(&trace_of_span(&not_utf8)));
        let mut long_varint = vec![(tag::SPAN_KIND << 3) as u8];
        long_varint.extend([0xff; 10]);
        long_varint.push(1);
        assert!(wire_error(&trace_of_span(&long_varint)), "11 bytes");
        assert!(wire_error(&[0x07, 0x00]), "wire type 7");
        assert!(wire_error(&[0x02, 0x00]), "field number 0");
        assert!(wire_error(&[0x0c]), "a group's end without its start");
        let mut cut = span(1, None).encode_to_vec();
        cut.extend([(tag::SPAN_START << 3) as u8 | 1, 1, 2, 3]); // 3 bytes of a fixed64
        let decoded = decode(&trace_of_span(&cut), Shape::Trace);
        assert_eq!(decoded.err(), Some(Unreadable::CutShort));
        assert_eq!(
            decode(&[0x0a], Shape::Trace).err(),
            Some(Unreadable::CutShort)
        );
    }

    #[test]
    fn values_nested_too_deep_are_refused_not_a_stack_overflow() {
        let mut value = AnyValue::default();
        for _ in 0..=DEEPEST_VALUE + 1 {
            let values = vec![value];
            value = AnyValue {
                value: Some(any_value::Value::ArrayValue(ArrayValue { values })),
            };
        }
        let mut deep = span(1, None);
        deep.attributes = vec![key_value("deep", Some(value))];
        let body = TempoTrace {
            batches: vec![batch("api", vec![deep])],
        }
        .encode_to_vec();
        assert!(matches!(
            decode(&body, Shape::Trace),
            Err(Unreadable::Protobuf(_))
        ));
    }

    #[test]
    fn repeated_attributes_share_their_text_and_secrets_are_cut_each_time() {
        let secrets = Redactor::new(["hunter22"]);
        let mut spans = vec![span(1, None), span(2, Some(1))];
        for span in &mut spans {
            span.attributes = vec![
                key_value("http.route", Some(string("/cart"))),
                key_value("url.full", Some(string("https://x/?pw=hunter22"))),
            ];
        }
        let body = TempoTrace {
            batches: vec![batch("api", spans)],
        }
        .encode_to_vec();
        let decoded = decode_trace(TraceId([1; 16]), &body, Shape::Trace, &secrets);
        let Ok(Decoded::Found(trace)) = decoded else {
            panic!("spans expected");
        };
        let (one, two) = (&trace.spans[0].attributes, &trace.spans[1].attributes);
        assert!(std::ptr::eq(one[0].value.as_str(), two[0].value.as_str()));
        assert_eq!(one[1].value.as_str(), "https://x/?pw=***");
        assert_eq!(two[1].value.as_str(), "https://x/?pw=***");
    }

    fn string(s: &str) -> AnyValue {
        AnyValue {
            value: Some(any_value::Value::StringValue(s.into())),
        }
    }

    fn key_value(key: &str, value: Option<AnyValue>) -> KeyValue {
        KeyValue {
            key: key.into(),
            value,
            ..KeyValue::default()
        }
    }

    /// Any value, a few levels of arrays and maps deep, with text that
    /// needs sanitising.
    fn any_value_strategy() -> impl Strategy<Value = AnyValue> {
        use any_value::Value as V;
        let leaf = prop_oneof![
            Just(None),
            "(?s).{0,12}".prop_map(|s| Some(V::StringValue(s))),
            any::<bool>().prop_map(|b| Some(V::BoolValue(b))),
            any::<i64>().prop_map(|n| Some(V::IntValue(n))),
            any::<f64>().prop_map(|d| Some(V::DoubleValue(d))),
            prop::collection::vec(any::<u8>(), 0..8).prop_map(|b| Some(V::BytesValue(b))),
            any::<i32>().prop_map(|i| Some(V::StringValueStrindex(i))),
        ]
        .prop_map(|value| AnyValue { value });
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(|values| AnyValue {
                    value: Some(V::ArrayValue(ArrayValue { values })),
                }),
                prop::collection::vec(("[a-z.]{0,6}", prop::option::of(inner)), 0..4).prop_map(
                    |pairs| {
                        let values = (pairs.into_iter()).map(|(k, v)| key_value(&k, v)).collect();
                        AnyValue {
                            value: Some(V::KvlistValue(KeyValueList { values })),
                        }
                    }
                ),
            ]
        })
    }

    fn attributes_strategy() -> impl Strategy<Value = Vec<KeyValue>> {
        let key = prop_oneof!["http.route", "service.name", "(?s).{0,8}"];
        let pair = (key, prop::option::of(any_value_strategy()));
        prop::collection::vec(pair.prop_map(|(k, v)| key_value(&k, v)), 0..5)
    }

    fn otlp_span_strategy() -> impl Strategy<Value = OtlpSpan> {
        let ids = (
            any::<[u8; 8]>(),
            prop_oneof![
                Just(vec![]),
                Just(vec![0; 8]),
                any::<[u8; 8]>().prop_map(Vec::from)
            ],
        );
        let times = (any::<u64>(), any::<u64>(), -1i32..7);
        let text = (any::<String>(), prop::option::of((0i32..4, "(?s).{0,12}")));
        let event = (any::<u64>(), "(?s).{0,8}", attributes_strategy()).prop_map(
            |(time_unix_nano, name, attributes)| Event {
                time_unix_nano,
                name,
                attributes,
                ..Event::default()
            },
        );
        let events = prop::collection::vec(event, 0..3);
        (ids, times, text, attributes_strategy(), events).prop_map(
            |((id, parent), (start, end, kind), (name, status), attributes, events)| OtlpSpan {
                span_id: id.to_vec(),
                parent_span_id: parent,
                name,
                kind,
                start_time_unix_nano: start,
                end_time_unix_nano: end,
                attributes,
                events,
                status: status.map(|(code, message)| Status { code, message }),
                ..OtlpSpan::default()
            },
        )
    }

    /// The model the walk is checked against: what each field of prost's
    /// structs should become, written out plainly.
    fn expected(span: &OtlpSpan, resource: &Arc<[Attribute]>) -> Span {
        let id = |bytes: &[u8]| SpanId(bytes.try_into().unwrap());
        let time = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        Span {
            span_id: id(&span.span_id),
            parent_id: Some(&span.parent_span_id)
                .filter(|p| !p.is_empty() && **p != [0; 8])
                .map(|p| id(p)),
            name: SafeText::new(&span.name),
            service: service_of(resource),
            kind: match span.kind {
                1 => SpanKind::Internal,
                2 => SpanKind::Server,
                3 => SpanKind::Client,
                4 => SpanKind::Producer,
                5 => SpanKind::Consumer,
                _ => SpanKind::Unspecified,
            },
            start: time(span.start_time_unix_nano),
            end: time(span.end_time_unix_nano),
            attributes: model_attributes(&span.attributes).into(),
            resource: Arc::clone(resource),
            events: (span.events.iter())
                .map(|e| SpanEvent {
                    time: time(e.time_unix_nano),
                    name: SafeText::new(&e.name),
                    attributes: model_attributes(&e.attributes),
                })
                .collect(),
            status: match &span.status {
                Some(s) if s.code == 1 => SpanStatus::Ok,
                Some(s) if s.code == 2 => SpanStatus::Error(SafeText::new(&s.message)),
                _ => SpanStatus::Unset,
            },
        }
    }

    fn model_attributes(list: &[KeyValue]) -> Vec<Attribute> {
        (list.iter())
            .map(|kv| Attribute {
                key: SafeText::new(&kv.key),
                value: SafeText::new(&model_render(kv.value.as_ref())),
            })
            .collect()
    }

    fn model_render(value: Option<&AnyValue>) -> String {
        use any_value::Value as V;
        match value.and_then(|v| v.value.as_ref()) {
            None | Some(V::StringValueStrindex(_)) => String::new(),
            Some(V::StringValue(s)) => s.clone(),
            Some(V::BoolValue(b)) => b.to_string(),
            Some(V::IntValue(n)) => n.to_string(),
            Some(V::DoubleValue(d)) => d.to_string(),
            Some(V::BytesValue(b)) => {
                use base64::Engine;
                base64::engine::general_purpose::STANDARD.encode(b)
            }
            Some(V::ArrayValue(a)) => {
                let items: Vec<String> = a.values.iter().map(|v| model_render(Some(v))).collect();
                format!("[{}]", items.join(", "))
            }
            Some(V::KvlistValue(l)) => {
                let items: Vec<String> = (l.values.iter())
                    .map(|kv| format!("{}={}", kv.key, model_render(kv.value.as_ref())))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
        }
    }

    proptest! {
        #[test]
        fn the_walk_reads_what_prost_wrote(
            spans in prop::collection::vec(otlp_span_strategy(), 1..6),
            resource in attributes_strategy(),
        ) {
            let batch = ResourceSpans {
                resource: Some(Resource { attributes: resource.clone(), ..Resource::default() }),
                scope_spans: vec![ScopeSpans { spans: spans.clone(), ..ScopeSpans::default() }],
                ..ResourceSpans::default()
            };
            let body = TempoTrace { batches: vec![batch] }.encode_to_vec();
            let Ok(Decoded::Found(trace)) = decode(&body, Shape::Trace) else {
                return Err(TestCaseError::fail("spans expected"));
            };
            let resource: Arc<[Attribute]> = model_attributes(&resource).into();
            let expected: Vec<Span> = spans.iter().map(|s| expected(s, &resource)).collect();
            prop_assert_eq!(trace.spans, expected);
        }

        #[test]
        fn any_bytes_are_a_trace_or_an_error_never_a_panic(
            bytes in prop::collection::vec(any::<u8>(), 0..300),
        ) {
            let _ = decode(&bytes, Shape::Response);
            let _ = decode(&bytes, Shape::Trace);
        }

        #[test]
        fn a_damaged_answer_is_a_trace_or_an_error_never_a_panic(
            span in otlp_span_strategy(),
            at in any::<prop::sample::Index>(),
            byte in any::<u8>(),
            cut in any::<prop::sample::Index>(),
        ) {
            let mut body = response(vec![batch("api", vec![span])], PartialStatus::Complete, "");
            let at = at.index(body.len());
            body[at] = byte;
            let _ = decode(&body, Shape::Response);
            body.truncate(cut.index(body.len()));
            let _ = decode(&body, Shape::Response);
        }
    }
}
