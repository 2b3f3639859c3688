//! Traces and spans, whichever way Tempo encoded them.

use super::{Nanos, SafeText};
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// A 128-bit trace id. Shown and sent as 32 lower-case hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TraceId(pub [u8; 16]);

/// A 64-bit span id.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SpanId(pub [u8; 8]);

impl TraceId {
    /// Parses 1 to 32 hex digits, padded on the left as Tempo does: 16 are
    /// a 64-bit id (Jaeger, Zipkin), and Tempo's search results and its
    /// metrics generator's exemplars drop leading zeros.
    pub fn from_hex(text: &str) -> Option<TraceId> {
        if text.is_empty() || text.len() > 32 {
            return None;
        }
        let mut digits = [b'0'; 32];
        digits[32 - text.len()..].copy_from_slice(text.as_bytes());
        let mut bytes = [0u8; 16];
        decode_hex(std::str::from_utf8(&digits).ok()?, &mut bytes)?;
        Some(TraceId(bytes))
    }

    /// Hex, or the base64 that Tempo's JSON uses.
    pub fn parse(text: &str) -> Option<TraceId> {
        TraceId::from_hex(text).or_else(|| Some(TraceId(decode_base64(text)?)))
    }
}

impl SpanId {
    pub fn parse(text: &str) -> Option<SpanId> {
        let mut bytes = [0u8; 8];
        if text.len() == 16 && decode_hex(text, &mut bytes).is_some() {
            return Some(SpanId(bytes));
        }
        Some(SpanId(decode_base64(text)?))
    }
}

fn decode_hex(text: &str, out: &mut [u8]) -> Option<()> {
    let digits = text.as_bytes();
    if digits.len() != out.len() * 2 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        let pair = std::str::from_utf8(pair).ok()?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(())
}

fn decode_base64<const N: usize>(text: &str) -> Option<[u8; N]> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()?;
    bytes.try_into().ok()
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    bytes.iter().try_for_each(|b| write!(f, "{b:02x}"))
}

impl fmt::Display for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for TraceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TraceId({self})")
    }
}

impl fmt::Display for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.0)
    }
}

impl fmt::Debug for SpanId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpanId({self})")
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribute {
    pub key: SafeText,
    pub value: SafeText,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Unspecified,
    Internal,
    Server,
    Client,
    Producer,
    Consumer,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SpanStatus {
    Unset,
    Ok,
    Error(SafeText),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanEvent {
    pub time: Nanos,
    pub name: SafeText,
    pub attributes: Vec<Attribute>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    pub span_id: SpanId,
    pub parent_id: Option<SpanId>,
    pub name: SafeText,
    /// `service.name` of the span's resource.
    pub service: SafeText,
    pub kind: SpanKind,
    pub start: Nanos,
    pub end: Nanos,
    /// Boxed slices, not vectors: 16 bytes a span less, in traces of a
    /// million spans.
    pub attributes: Box<[Attribute]>,
    /// The resource's attributes, shared by the spans of one resource.
    pub resource: Arc<[Attribute]>,
    pub events: Box<[SpanEvent]>,
    pub status: SpanStatus,
}

impl Span {
    pub fn duration(&self) -> Nanos {
        self.end.saturating_sub(self.start).max(0)
    }

    pub fn is_error(&self) -> bool {
        matches!(self.status, SpanStatus::Error(_))
    }

    /// A span or resource attribute, span first.
    pub fn attribute(&self, key: &str) -> Option<&SafeText> {
        self.attributes
            .iter()
            .chain(self.resource.iter())
            .find(|a| a.key.as_str() == key)
            .map(|a| &a.value)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trace {
    pub id: TraceId,
    pub spans: Vec<Span>,
    /// Set when the backend said the trace is incomplete, with its words.
    pub partial: Option<SafeText>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trace_ids_read_hex_and_base64() {
        let hex = "651ca6325e6d780449e8af504f034ee5";
        let id = TraceId::parse(hex);
        assert_eq!(id, TraceId::parse("ZRymMl5teARJ6K9QTwNO5Q=="));
        assert_eq!(id.map(|i| i.to_string()).as_deref(), Some(hex));
        assert_eq!(
            TraceId::from_hex("49e8af504f034ee5")
                .map(|i| i.to_string())
                .as_deref(),
            Some("000000000000000049e8af504f034ee5")
        );
        assert_eq!(
            TraceId::from_hex("b2f6df1f9ff27b17f4340319f1a9c6")
                .map(|i| i.to_string())
                .as_deref(),
            Some("00b2f6df1f9ff27b17f4340319f1a9c6"),
            "Tempo drops leading zeros"
        );
        assert_eq!(TraceId::from_hex(""), None);
        assert_eq!(TraceId::from_hex(&"1".repeat(33)), None);
        assert_eq!(TraceId::parse("not-a-trace-id"), None);
        assert_eq!(TraceId::from_hex("zz1ca6325e6d780449e8af504f034ee5"), None);
    }

    #[test]
    fn span_ids_read_hex_and_base64() {
        assert_eq!(
            SpanId::parse("oOPPn4+j/pQ=")
                .map(|s| s.to_string())
                .as_deref(),
            Some("a0e3cf9f8fa3fe94")
        );
        assert_eq!(
            SpanId::parse("a0e3cf9f8fa3fe94"),
            SpanId::parse("oOPPn4+j/pQ=")
        );
    }
}
