//! OTLP traces in JSON, in the shapes Tempo sends: `/api/v2/traces`
//! (`{"trace": {"resourceSpans": ...}}`) and `/api/traces` (`{"batches": ...}`),
//! ids in base64 (Tempo) or hex (the OTLP spec).

use super::error::Unreadable;
use super::texts::Texts;
use crate::domain::{
    Attribute, SafeText, Span, SpanEvent, SpanId, SpanKind, SpanStatus, Trace, TraceId,
};
use crate::secret::Redactor;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct TraceAnswer {
    trace: Option<Batches>,
    #[serde(flatten)]
    top_level: Batches,
    status: Option<String>,
    message: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Batches {
    #[serde(default, alias = "batches")]
    resource_spans: Vec<ResourceSpans>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ResourceSpans {
    #[serde(default)]
    resource: Resource,
    #[serde(default, alias = "instrumentationLibrarySpans")]
    scope_spans: Vec<ScopeSpans>,
}

#[derive(Deserialize, Default)]
struct Resource {
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct ScopeSpans {
    #[serde(default)]
    spans: Vec<OtlpSpan>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpSpan {
    span_id: String,
    #[serde(default)]
    parent_span_id: Option<String>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: Option<serde_json::Value>,
    start_time_unix_nano: Number,
    end_time_unix_nano: Number,
    #[serde(default)]
    attributes: Vec<KeyValue>,
    #[serde(default)]
    events: Vec<OtlpEvent>,
    #[serde(default)]
    status: Option<OtlpStatus>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OtlpEvent {
    time_unix_nano: Number,
    #[serde(default)]
    name: String,
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
struct OtlpStatus {
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default)]
    message: Option<String>,
}

/// An OTLP attribute; Tempo's search answers use it too.
#[derive(Deserialize)]
pub(super) struct KeyValue {
    key: String,
    #[serde(default)]
    value: AnyValue,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AnyValue {
    string_value: Option<String>,
    int_value: Option<Number>,
    double_value: Option<f64>,
    bool_value: Option<bool>,
    bytes_value: Option<String>,
    array_value: Option<ArrayValue>,
    kvlist_value: Option<KvList>,
}

#[derive(Deserialize)]
struct ArrayValue {
    #[serde(default)]
    values: Vec<AnyValue>,
}

#[derive(Deserialize)]
struct KvList {
    #[serde(default)]
    values: Vec<KeyValue>,
}

/// 64-bit integers arrive as strings in OTLP JSON, sometimes as numbers.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum Number {
    Text(String),
    Int(i64),
    Big(u64),
    Float(f64),
}

impl Number {
    /// As i64, saturating: OTLP's fields are u64 and may exceed i64.
    pub(super) fn get(&self, secrets: &Redactor) -> Result<i64, Unreadable> {
        let saturate = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
        match self {
            Number::Int(n) => Ok(*n),
            Number::Big(n) => Ok(saturate(*n)),
            Number::Float(f) => Ok(*f as i64),
            Number::Text(s) => s
                .parse::<i64>()
                .or_else(|_| s.parse::<u64>().map(saturate))
                .map_err(|_| Unreadable::BadNumber(secrets.safe(s))),
        }
    }
}

impl AnyValue {
    fn render(&self, secrets: &Redactor) -> String {
        if let Some(s) = &self.string_value {
            return s.clone();
        }
        if let Some(n) = &self.int_value {
            return n.get(secrets).map(|n| n.to_string()).unwrap_or_default();
        }
        if let Some(d) = self.double_value {
            return d.to_string();
        }
        if let Some(b) = self.bool_value {
            return b.to_string();
        }
        if let Some(b) = &self.bytes_value {
            return b.clone();
        }
        if let Some(array) = &self.array_value {
            let items: Vec<String> = array.values.iter().map(|v| v.render(secrets)).collect();
            return format!("[{}]", items.join(", "));
        }
        if let Some(list) = &self.kvlist_value {
            let items: Vec<String> = list
                .values
                .iter()
                .map(|kv| format!("{}={}", kv.key, kv.value.render(secrets)))
                .collect();
            return format!("{{{}}}", items.join(", "));
        }
        String::new()
    }
}

pub(super) fn attributes(list: &[KeyValue], texts: &mut Texts<'_>) -> Vec<Attribute> {
    list.iter()
        .map(|kv| Attribute {
            key: texts.safe(&kv.key),
            value: match &kv.value.string_value {
                Some(s) => texts.safe(s),
                None => {
                    let value = kv.value.render(texts.secrets());
                    texts.safe(&value)
                }
            },
        })
        .collect()
}

fn span_kind(kind: Option<&serde_json::Value>) -> SpanKind {
    match kind.map(|k| (k.as_str(), k.as_i64())) {
        Some((Some("SPAN_KIND_INTERNAL"), _) | (_, Some(1))) => SpanKind::Internal,
        Some((Some("SPAN_KIND_SERVER"), _) | (_, Some(2))) => SpanKind::Server,
        Some((Some("SPAN_KIND_CLIENT"), _) | (_, Some(3))) => SpanKind::Client,
        Some((Some("SPAN_KIND_PRODUCER"), _) | (_, Some(4))) => SpanKind::Producer,
        Some((Some("SPAN_KIND_CONSUMER"), _) | (_, Some(5))) => SpanKind::Consumer,
        _ => SpanKind::Unspecified,
    }
}

fn span_status(status: Option<&OtlpStatus>, texts: &mut Texts<'_>) -> SpanStatus {
    let Some(status) = status else {
        return SpanStatus::Unset;
    };
    match status.code.as_ref().map(|c| (c.as_str(), c.as_i64())) {
        Some((Some("STATUS_CODE_OK"), _) | (_, Some(1))) => SpanStatus::Ok,
        Some((Some("STATUS_CODE_ERROR"), _) | (_, Some(2))) => {
            SpanStatus::Error(texts.safe(status.message.as_deref().unwrap_or("")))
        }
        _ => SpanStatus::Unset,
    }
}

/// The outcome of reading a trace answer.
pub enum Decoded {
    Found(Trace),
    /// No spans: Tempo's v2 answer for an unknown id is `{"trace": {}}`.
    Empty,
}

/// Reads either JSON shape into a trace, cut of `secrets` and made safe
/// once, here.
pub fn decode_trace(id: TraceId, body: &[u8], secrets: &Redactor) -> Result<Decoded, Unreadable> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Decoded::Empty);
    }
    // serde quotes what it could not read: cut and made safe like the rest.
    let answer: TraceAnswer =
        serde_json::from_slice(body).map_err(|e| Unreadable::Json(secrets.safe(&e.to_string())))?;
    let batches = match answer.trace {
        Some(trace) if !trace.resource_spans.is_empty() => trace.resource_spans,
        _ => answer.top_level.resource_spans,
    };
    let mut texts = Texts::new(secrets);
    let mut spans = Vec::new();
    for batch in batches {
        let resource: Arc<[Attribute]> = attributes(&batch.resource.attributes, &mut texts).into();
        let service = service_of(&resource);
        for scope in batch.scope_spans {
            for span in scope.spans {
                spans.push(decode_span(span, &service, &resource, &mut texts)?);
            }
        }
    }
    if spans.is_empty() {
        return Ok(Decoded::Empty);
    }
    let partial = (answer.status.as_deref() == Some("PARTIAL"))
        .then(|| partial_words(answer.message.as_deref(), secrets));
    Ok(Decoded::Found(Trace { id, spans, partial }))
}

/// The `service.name` of a resource.
pub(crate) fn service_of(resource: &[Attribute]) -> SafeText {
    resource
        .iter()
        .find(|a| a.key.as_str() == "service.name")
        .map_or_else(|| SafeText::new("unknown service"), |a| a.value.clone())
}

/// What Tempo said of a partial trace, or that it may be incomplete.
pub(crate) fn partial_words(message: Option<&str>, secrets: &Redactor) -> SafeText {
    secrets.safe(message.unwrap_or("the trace may be incomplete"))
}

fn decode_span(
    span: OtlpSpan,
    service: &SafeText,
    resource: &Arc<[Attribute]>,
    texts: &mut Texts<'_>,
) -> Result<Span, Unreadable> {
    let secrets = texts.secrets();
    let span_id = SpanId::parse(&span.span_id)
        .ok_or_else(|| Unreadable::BadSpanId(secrets.safe(&span.span_id)))?;
    let parent_id = match span.parent_span_id.as_deref() {
        None | Some("") => None,
        Some(p) => {
            Some(SpanId::parse(p).ok_or_else(|| Unreadable::BadParentSpanId(secrets.safe(p)))?)
        }
    }
    .filter(|p| p.0 != [0; 8]); // all zeros means "no parent" to some SDKs
    let events = span
        .events
        .iter()
        .map(|e| {
            Ok(SpanEvent {
                time: e.time_unix_nano.get(secrets)?,
                name: texts.safe(&e.name),
                attributes: attributes(&e.attributes, texts),
            })
        })
        .collect::<Result<_, Unreadable>>()?;
    Ok(Span {
        span_id,
        parent_id,
        name: texts.safe(&span.name),
        service: service.clone(),
        kind: span_kind(span.kind.as_ref()),
        start: span.start_time_unix_nano.get(secrets)?,
        end: span.end_time_unix_nano.get(secrets)?,
        attributes: attributes(&span.attributes, texts).into(),
        resource: Arc::clone(resource),
        events,
        status: span_status(span.status.as_ref(), texts),
    })
}
