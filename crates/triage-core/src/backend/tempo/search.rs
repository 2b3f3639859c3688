//! Tempo's search: TraceQL over a window (`/api/search`), and the names and
//! values a query can use (`/api/v2/search/tags`,
//! `/api/v2/search/tag/<tag>/values`; the v1 routes on servers without v2).
//! API: <https://grafana.com/docs/tempo/latest/api_docs/>

use super::TempoClient;
use crate::backend::answer::{Answer, server_words};
use crate::backend::error::{BackendError, ErrorKind, Part, Problem, ServerWords, Unreadable};
use crate::backend::otlp_json::{KeyValue, Number, attributes};
use crate::backend::texts::Texts;
use crate::domain::time::NANOS_PER_SEC;
use crate::domain::{
    Completeness, MatchedSpan, SafeText, SearchResult, ServiceStats, SpanId, SpanSet, Tag,
    TagScope, TimeRange, TraceId, TraceQuery, TraceSummary,
};
use crate::secret::Redactor;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;

/// What may stand in a path segment as it is: a tag's name has dots and
/// colons (`span.http.route`, `event:name`), and nothing else needs them.
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'.')
    .remove(b'-')
    .remove(b'_')
    .remove(b'~')
    .remove(b':');

impl TempoClient {
    /// The traces that match `q.traceql` in `q.range`, newest first, at
    /// most `q.limit`, each with at most `q.spss` of its matching spans.
    /// An empty expression asks without `q`: any trace, no span sets.
    ///
    /// Tempo's refusal of the expression is [`Problem::BadTraceQl`] with
    /// its words; a search that ran out of time (Tempo's 504) is
    /// [`ErrorKind::Timeout`] with its words.
    pub async fn search(&self, q: &TraceQuery) -> Result<SearchResult, BackendError> {
        let answer = self.http.get("api/search", &search_params(q)).await?;
        if !answer.is_success() {
            return Err(self.search_error(&answer));
        }
        decode_search(&answer.body, self.http.redactor())
            .map_err(|why| self.http.decode_error(Part::TempoSearch, why))
    }

    /// The tag names seen in `range`, of one scope or of all. Tempo without
    /// the v2 API (before 2.2) lists names without scopes: they come back
    /// [`TagScope::Unscoped`], whatever scope was asked for.
    pub async fn tags(
        &self,
        scope: Option<TagScope>,
        range: TimeRange,
    ) -> Result<Vec<Tag>, BackendError> {
        let scope = scope.filter(|s| s.name().is_some());
        let mut params: Vec<(&str, String)> = scope
            .and_then(TagScope::name)
            .map(|name| ("scope", name.to_owned()))
            .into_iter()
            .collect();
        params.extend(window(range));
        let answer = self.http.get("api/v2/search/tags", &params).await?;
        if answer.status == 404 {
            let answer = self.http.get("api/search/tags", &window(range)).await?;
            let names: TagNames = self.read(&answer)?;
            return Ok(unscoped(names, self.http.redactor()));
        }
        let scopes: Scopes = self.read(&answer)?;
        Ok(scoped(scopes, scope, self.http.redactor()))
    }

    /// The values `tag` takes in `range`; with `query`, only on the spans
    /// that match it (`{ resource.service.name = "api" }`). Without the v2
    /// API the tag is asked by its bare name and the query cannot filter.
    pub async fn tag_values(
        &self,
        tag: &Tag,
        query: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<SafeText>, BackendError> {
        let mut params: Vec<(&str, String)> = query
            .filter(|q| !q.trim().is_empty())
            .map(|q| ("q", q.to_owned()))
            .into_iter()
            .collect();
        params.extend(window(range));
        let path = format!("api/v2/search/tag/{}/values", segment(&tag.traceql()));
        let mut answer = self.http.get(&path, &params).await?;
        if answer.status == 404 {
            let path = format!("api/search/tag/{}/values", segment(&tag.name));
            answer = self.http.get(&path, &window(range)).await?;
        }
        let values: TagValues = self.read(&answer)?;
        Ok(values
            .tag_values
            .iter()
            .map(|v| value_text(v, self.http.redactor()))
            .collect())
    }

    /// A successful answer's JSON, or the error it is.
    fn read<T: DeserializeOwned>(&self, answer: &Answer) -> Result<T, BackendError> {
        if !answer.is_success() {
            return Err(self.search_error(answer));
        }
        let secrets = self.http.redactor();
        serde_json::from_slice(&answer.body).map_err(|e| {
            let why = Unreadable::Json(secrets.safe(&e.to_string()));
            self.http.decode_error(Part::TempoSearch, why)
        })
    }

    /// An error answer to a search or a filtered tag query, typed where
    /// Tempo's answer says what it is.
    fn search_error(&self, answer: &Answer) -> BackendError {
        let words = server_words(answer, self.http.redactor());
        match (answer.status, words) {
            (400, ServerWords::Said(words)) if about_traceql(&words) => self
                .http
                .fail(ErrorKind::Http, Problem::BadTraceQl(words))
                .with_status(400)
                .after_attempts(answer.attempts),
            // Tempo's query frontend answers 504 when a search outlives
            // its timeout (grafana/tempo#2680).
            (504, words) => self.http.answer_error(answer, ErrorKind::Timeout, words),
            _ => self.http.status_error(answer),
        }
    }
}

/// Tempo's plain-text 400 for an expression it cannot read names it
/// (`invalid TraceQL query: parse error at line 1, col 27: ...`); its other
/// 400s (a window too long, a bad limit) are ordinary refusals.
fn about_traceql(words: &str) -> bool {
    let words = words.to_ascii_lowercase();
    words.contains("traceql") || words.contains("parse error")
}

/// The query, in the order Tempo's own clients send it.
fn search_params(q: &TraceQuery) -> Vec<(&'static str, String)> {
    let mut params = Vec::new();
    if !q.traceql.trim().is_empty() {
        params.push(("q", q.traceql.clone()));
        params.push(("spss", q.spss.to_string()));
    }
    params.push(("limit", q.limit.to_string()));
    params.extend(window(q.range));
    params
}

/// `start` and `end` in whole seconds, as Tempo takes them: widened, never
/// narrowed, so nothing in the window is left out.
fn window(range: TimeRange) -> [(&'static str, String); 2] {
    let start = range.start.div_euclid(NANOS_PER_SEC);
    let end =
        range.end.div_euclid(NANOS_PER_SEC) + i64::from(range.end.rem_euclid(NANOS_PER_SEC) != 0);
    [("start", start.to_string()), ("end", end.to_string())]
}

fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

#[derive(Deserialize)]
struct SearchAnswer {
    #[serde(default)]
    traces: Vec<WireTrace>,
    #[serde(default)]
    metrics: Option<WireMetrics>,
}

// Tempo's JSON leaves out every zero and empty field (protobuf's rules):
// hence the defaults.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireTrace {
    #[serde(rename = "traceID")]
    trace_id: String,
    #[serde(default)]
    root_service_name: String,
    #[serde(default)]
    root_trace_name: String,
    start_time_unix_nano: Option<Number>,
    duration_ms: Option<Number>,
    /// The first of `spanSets`, kept for older clients; the only one older
    /// servers send.
    span_set: Option<WireSpanSet>,
    #[serde(default)]
    span_sets: Vec<WireSpanSet>,
    #[serde(default)]
    service_stats: BTreeMap<String, WireStats>,
}

#[derive(Deserialize)]
struct WireSpanSet {
    #[serde(default)]
    spans: Vec<WireSpan>,
    matched: Option<Number>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireSpan {
    #[serde(rename = "spanID")]
    span_id: String,
    #[serde(default)]
    name: String,
    start_time_unix_nano: Option<Number>,
    duration_nanos: Option<Number>,
    #[serde(default)]
    attributes: Vec<KeyValue>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireStats {
    span_count: Option<Number>,
    error_count: Option<Number>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMetrics {
    completed_jobs: Option<Number>,
    total_jobs: Option<Number>,
}

/// Reads a search answer, cut of `secrets` and made safe once, here.
fn decode_search(body: &[u8], secrets: &Redactor) -> Result<SearchResult, Unreadable> {
    let answer: SearchAnswer =
        serde_json::from_slice(body).map_err(|e| Unreadable::Json(secrets.safe(&e.to_string())))?;
    let mut traces = Vec::with_capacity(answer.traces.len());
    for wire in answer.traces {
        if let Some(trace) = summary(wire, secrets)? {
            traces.push(trace);
        }
    }
    // Newest first, so the next older window's traces go below.
    traces.sort_by_key(|t| std::cmp::Reverse(t.start));
    let completeness = match answer.metrics {
        Some(m) => completeness(&m, secrets)?,
        None => Completeness::Complete,
    };
    Ok(SearchResult {
        traces,
        completeness,
    })
}

fn completeness(metrics: &WireMetrics, secrets: &Redactor) -> Result<Completeness, Unreadable> {
    let completed = count(metrics.completed_jobs.as_ref(), secrets)?;
    let total = count(metrics.total_jobs.as_ref(), secrets)?;
    Ok(if completed < total {
        Completeness::Partial {
            completed_jobs: completed,
            total_jobs: total,
        }
    } else {
        Completeness::Complete
    })
}

fn number(n: Option<&Number>, secrets: &Redactor) -> Result<i64, Unreadable> {
    n.map_or(Ok(0), |n| n.get(secrets))
}

fn count(n: Option<&Number>, secrets: &Redactor) -> Result<u32, Unreadable> {
    Ok(u32::try_from(number(n, secrets)?.max(0)).unwrap_or(u32::MAX))
}

/// One trace of the answer; none when its id is not one (it could not be
/// opened), rather than losing the whole answer to it.
fn summary(wire: WireTrace, secrets: &Redactor) -> Result<Option<TraceSummary>, Unreadable> {
    // Tempo drops the id's leading zeros; from_hex pads them back.
    let Some(id) = TraceId::from_hex(&wire.trace_id) else {
        tracing::warn!(id = %secrets.safe(&wire.trace_id), "a search result without a trace id");
        return Ok(None);
    };
    let sets = if wire.span_sets.is_empty() {
        wire.span_set.into_iter().collect()
    } else {
        wire.span_sets
    };
    let span_sets = sets
        .into_iter()
        .map(|set| span_set(set, secrets))
        .collect::<Result<Vec<_>, _>>()?;
    let mut services = Vec::with_capacity(wire.service_stats.len());
    for (name, stats) in &wire.service_stats {
        let stats = ServiceStats {
            span_count: count(stats.span_count.as_ref(), secrets)?,
            error_count: count(stats.error_count.as_ref(), secrets)?,
        };
        services.push((secrets.safe(name), stats));
    }
    let error = services.iter().any(|(_, s)| s.error_count > 0)
        || span_sets
            .iter()
            .flat_map(|s| &s.spans)
            .any(MatchedSpan::is_error);
    Ok(Some(TraceSummary {
        id,
        root_service: secrets.safe(&wire.root_service_name),
        root_name: secrets.safe(&wire.root_trace_name),
        start: number(wire.start_time_unix_nano.as_ref(), secrets)?,
        duration: number(wire.duration_ms.as_ref(), secrets)?.saturating_mul(1_000_000),
        span_sets,
        services,
        error,
    }))
}

fn span_set(set: WireSpanSet, secrets: &Redactor) -> Result<SpanSet, Unreadable> {
    let mut spans = Vec::with_capacity(set.spans.len());
    let mut texts = Texts::new(secrets);
    for span in set.spans {
        let Some(span_id) = span_id(&span.span_id) else {
            tracing::warn!(id = %secrets.safe(&span.span_id), "a matched span without a span id");
            continue;
        };
        spans.push(MatchedSpan {
            span_id,
            name: secrets.safe(&span.name),
            start: number(span.start_time_unix_nano.as_ref(), secrets)?,
            duration: number(span.duration_nanos.as_ref(), secrets)?,
            attributes: attributes(&span.attributes, &mut texts),
        });
    }
    let matched = usize::try_from(number(set.matched.as_ref(), secrets)?.max(0)).unwrap_or(0);
    Ok(SpanSet {
        matched: matched.max(spans.len()),
        spans,
    })
}

/// Tempo pads span ids to 16 digits; an id that came without its zeros
/// gets them back.
fn span_id(text: &str) -> Option<SpanId> {
    if text.len() < 16 && !text.is_empty() && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return SpanId::parse(&format!("{text:0>16}"));
    }
    SpanId::parse(text)
}

/// v2: `{"scopes": [{"name": "resource", "tags": [...]}, ...]}`.
#[derive(Deserialize)]
struct Scopes {
    #[serde(default)]
    scopes: Vec<WireScope>,
}

#[derive(Deserialize)]
struct WireScope {
    name: String,
    #[serde(default)]
    tags: Vec<String>,
}

/// v1: `{"tagNames": [...]}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagNames {
    #[serde(default)]
    tag_names: Vec<String>,
}

/// The tags of the scopes triage knows (a newer Tempo may list more), of
/// the one asked for only: a server that ignored `scope=` lists them all.
fn scoped(answer: Scopes, asked: Option<TagScope>, secrets: &Redactor) -> Vec<Tag> {
    answer
        .scopes
        .iter()
        .filter_map(|s| Some((TagScope::from_name(&s.name)?, &s.tags)))
        .filter(|(scope, _)| asked.is_none_or(|a| a == *scope))
        .flat_map(|(scope, tags)| {
            tags.iter().map(move |name| Tag {
                scope,
                name: secrets.safe(name),
            })
        })
        .collect()
}

fn unscoped(answer: TagNames, secrets: &Redactor) -> Vec<Tag> {
    answer
        .tag_names
        .iter()
        .map(|name| Tag {
            scope: TagScope::Unscoped,
            name: secrets.safe(name),
        })
        .collect()
}

/// v2's values are `{"type": "string", "value": "..."}`, v1's bare strings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TagValues {
    #[serde(default)]
    tag_values: Vec<serde_json::Value>,
}

fn value_text(value: &serde_json::Value, secrets: &Redactor) -> SafeText {
    let value = value.get("value").unwrap_or(value);
    match value {
        serde_json::Value::String(text) => secrets.safe(text),
        other => secrets.safe(&other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_is_widened_to_whole_seconds() {
        let range = TimeRange {
            start: 10 * NANOS_PER_SEC + 5,
            end: 20 * NANOS_PER_SEC + 1,
        };
        assert_eq!(window(range)[0].1, "10");
        assert_eq!(window(range)[1].1, "21");
        let whole = TimeRange {
            start: 10 * NANOS_PER_SEC,
            end: 20 * NANOS_PER_SEC,
        };
        assert_eq!(window(whole)[1].1, "20");
    }

    #[test]
    fn tag_names_are_escaped_in_the_path() {
        assert_eq!(segment("span.http.route"), "span.http.route");
        assert_eq!(segment("event:name"), "event:name");
        assert_eq!(segment("a/b c?"), "a%2Fb%20c%3F");
    }

    #[test]
    fn short_span_ids_are_padded() {
        assert_eq!(
            span_id("f21b961f3381849").map(|s| s.to_string()).as_deref(),
            Some("0f21b961f3381849")
        );
        assert_eq!(span_id("zz"), None);
    }

    #[test]
    fn a_trace_in_flight_has_no_duration_and_no_root_yet() {
        let body =
            br#"{"traces": [{"traceID": "1", "rootServiceName": "<root span not yet received>",
            "startTimeUnixNano": "5"}, {"traceID": "not hex"}]}"#;
        let result = decode_search(body, &Redactor::default()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(result.traces.len(), 1);
        let trace = &result.traces[0];
        assert_eq!(trace.id.to_string(), format!("{:0>32}", "1"));
        assert_eq!(trace.duration, 0);
        assert_eq!(trace.root_service.as_str(), "<root span not yet received>");
        assert!(trace.span_sets.is_empty());
        assert_eq!(result.completeness, Completeness::Complete);
    }
}
