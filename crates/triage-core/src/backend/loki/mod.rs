//! Loki's `query_range` for log streams, and its label names; each other
//! call in a file of its own: a label's values, the live tail, the volume
//! of lines by level, log patterns.
//! API: <https://grafana.com/docs/loki/latest/reference/loki-http-api/>

mod label_values;
mod patterns;
mod tail;
mod volume;

pub use patterns::decode_patterns;
pub use tail::{TailEvent, TailFrame, TailQuery, decode_tail_frame};
pub use volume::by_level;

use super::answer::Answer;
use super::error::{BackendError, ErrorKind, Part, Problem, Source, Unreadable};
use super::http::{Endpoint, HttpClient};
use super::prometheus::{Answered, Refused, decode_series};
use crate::domain::log::line_text;
use crate::domain::{LogLine, SafeText, Series, TimeRange};
use crate::secret::Redactor;
use serde::Deserialize;
use serde::de::{self, IgnoredAny, SeqAccess, Visitor};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Newest first: what an engineer looking at an incident wants.
    Backward,
    Forward,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogQuery {
    pub logql: String,
    pub range: TimeRange,
    pub limit: u32,
    pub direction: Direction,
}

#[derive(Clone, Debug)]
pub struct LokiClient {
    http: HttpClient,
}

impl LokiClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(LokiClient {
            http: HttpClient::new(Source::Loki, endpoint)?,
        })
    }

    /// The lines of a log query, in the query's direction.
    pub async fn query_range(&self, query: &LogQuery) -> Result<Vec<LogLine>, BackendError> {
        let params = [
            ("query", query.logql.clone()),
            ("start", query.range.start.to_string()),
            ("end", query.range.end.to_string()),
            ("limit", query.limit.to_string()),
            (
                "direction",
                match query.direction {
                    Direction::Backward => "backward",
                    Direction::Forward => "forward",
                }
                .to_owned(),
            ),
        ];
        let answer = self.http.get("loki/api/v1/query_range", &params).await?;
        if !answer.is_success() {
            return Err(self.http.status_error(&answer));
        }
        let lines = decode_streams(&answer.body, self.http.redactor()).map_err(|e| match e {
            Decoded::Unsupported(result_type) => {
                let problem = Problem::MetricQuery { result_type };
                self.http.fail(ErrorKind::Unsupported, problem)
            }
            Decoded::Failed(why) => self.http.decode_error(Part::LokiAnswer, why),
        })?;
        Ok(sort(lines, query.direction))
    }

    /// A metric query's series over `range`, a point every `step`: Loki
    /// answers them as Prometheus does a range query.
    pub async fn metric_range(
        &self,
        logql: &str,
        range: TimeRange,
        step: Duration,
    ) -> Result<Answered<Vec<Series>>, BackendError> {
        let params = [
            ("query", logql.to_owned()),
            ("start", range.start.to_string()),
            ("end", range.end.to_string()),
            ("step", format!("{}s", step.as_secs().max(1))),
        ];
        let answer = self.http.get("loki/api/v1/query_range", &params).await?;
        if !answer.is_success() {
            return Err(self.http.status_error(&answer));
        }
        decode_series(&answer.body, self.http.redactor()).map_err(|refused| match refused {
            // A log query: lines, not numbers.
            Refused::Unsupported(result_type) => {
                let problem = Problem::Ungraphable { result_type };
                self.http.fail(ErrorKind::Unsupported, problem)
            }
            Refused::Unreadable { what, why } => self.http.decode_error(what, why),
            Refused::Error { error, .. } => {
                let said = error.unwrap_or_else(|| SafeText::new("status: error"));
                self.http
                    .decode_error(Part::LokiAnswer, Unreadable::Failed(said))
            }
        })
    }

    /// The label names Loki has seen in `range` (a span's logs keep only
    /// the labels it has); with `query` (a stream selector), only those of
    /// the streams it selects.
    pub async fn labels(
        &self,
        query: Option<&str>,
        range: TimeRange,
    ) -> Result<Vec<SafeText>, BackendError> {
        let answer = self
            .http
            .get("loki/api/v1/labels", &scoped(query, range))
            .await?;
        self.names(&answer)
    }

    /// An answer that is a list of names or values: `{"data": [...]}`,
    /// each made safe.
    fn names(&self, answer: &Answer) -> Result<Vec<SafeText>, BackendError> {
        if !answer.is_success() {
            return Err(self.http.status_error(answer));
        }
        #[derive(Deserialize)]
        struct Names {
            #[serde(default)]
            data: Vec<String>,
        }
        let names: Names = serde_json::from_slice(&answer.body).map_err(|e| {
            let why = Unreadable::Json(self.http.redactor().safe(&e.to_string()));
            self.http.decode_error(Part::LokiAnswer, why)
        })?;
        let secrets = self.http.redactor();
        Ok(names.data.iter().map(|n| secrets.safe(n)).collect())
    }
}

/// `start` and `end`, and the selector that scopes a names or values
/// question when there is one.
fn scoped(query: Option<&str>, range: TimeRange) -> Vec<(&'static str, String)> {
    let mut params = vec![
        ("start", range.start.to_string()),
        ("end", range.end.to_string()),
    ];
    if let Some(query) = query.map(str::trim).filter(|q| !q.is_empty()) {
        params.push(("query", query.to_owned()));
    }
    params
}

fn sort(mut lines: Vec<LogLine>, direction: Direction) -> Vec<LogLine> {
    // Streams arrive one after another; interleave them by time. Stable, so
    // lines of one stream with equal timestamps keep Loki's order.
    match direction {
        Direction::Backward => lines.sort_by_key(|l| std::cmp::Reverse(l.timestamp)),
        Direction::Forward => lines.sort_by_key(|l| l.timestamp),
    }
    lines
}

/// Why an answer gave no lines.
#[derive(Debug)]
pub enum Decoded {
    /// A metric query's answer (the result type is named).
    Unsupported(SafeText),
    Failed(Unreadable),
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    error: Option<String>,
    data: Option<Data>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "resultType")]
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct Stream {
    stream: BTreeMap<String, String>,
    values: Vec<Entry>,
}

/// `[timestamp, line]`, or `[timestamp, line, {structured metadata}]`.
struct Entry(String, String);

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct EntryVisitor;
        impl<'de> Visitor<'de> for EntryVisitor {
            type Value = Entry;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("[timestamp, line]")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Entry, A::Error> {
                let ts = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(0, &self))?;
                let line = seq
                    .next_element()?
                    .ok_or_else(|| de::Error::invalid_length(1, &self))?;
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Entry(ts, line))
            }
        }
        deserializer.deserialize_seq(EntryVisitor)
    }
}

/// Reads a `streams` answer into lines, each cut of `secrets` and made
/// safe once, here. Public so that the fuzz targets read answers as the
/// client does.
pub fn decode_streams(body: &[u8], secrets: &Redactor) -> Result<Vec<LogLine>, Decoded> {
    // serde quotes what it could not read: cut and made safe like the rest.
    let json =
        |e: serde_json::Error| Decoded::Failed(Unreadable::Json(secrets.safe(&e.to_string())));
    let envelope: Envelope = serde_json::from_slice(body).map_err(json)?;
    if envelope.status != "success" {
        let said = secrets.safe(&envelope.error.unwrap_or(envelope.status));
        return Err(Decoded::Failed(Unreadable::Failed(said)));
    }
    let data = (envelope.data).ok_or(Decoded::Failed(Unreadable::NoData))?;
    if data.result_type != "streams" {
        return Err(Decoded::Unsupported(secrets.safe(&data.result_type)));
    }
    let streams: Vec<Stream> = serde_json::from_value(data.result).map_err(json)?;
    stream_lines(streams, secrets).map_err(Decoded::Failed)
}

/// The lines of `streams`, in the order they came, each cut of `secrets`
/// and made safe.
fn stream_lines(streams: Vec<Stream>, secrets: &Redactor) -> Result<Vec<LogLine>, Unreadable> {
    let mut lines = Vec::with_capacity(streams.iter().map(|s| s.values.len()).sum());
    for stream in streams {
        let labels =
            Arc::new(secrets.labels(stream.stream.iter().map(|(k, v)| (k.as_str(), v.as_str()))));
        for Entry(ts, line) in stream.values {
            let timestamp = ts
                .parse()
                .map_err(|_| Unreadable::BadTimestamp(secrets.safe(&ts)))?;
            lines.push(LogLine {
                timestamp,
                labels: Arc::clone(&labels),
                // Cut before it is shortened, so no part of a secret stays.
                line: line_text(&secrets.cut(&line)),
            });
        }
    }
    Ok(lines)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_with_structured_metadata_are_read() {
        let body = br#"{"status":"success","data":{"resultType":"streams","result":[
            {"stream":{"app":"a"},"values":[["2","two",{"trace_id":"x"}],["1","one"]]}]}}"#;
        let lines = decode_streams(body, &Redactor::default()).map(|l| sort(l, Direction::Forward));
        let texts: Vec<_> = lines.iter().flatten().map(|l| l.line.to_string()).collect();
        assert_eq!(texts, ["one", "two"]);
    }

    #[test]
    fn metric_results_are_unsupported_not_garbage() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[]}}"#;
        assert!(
            matches!(decode_streams(body, &Redactor::default()), Err(Decoded::Unsupported(k)) if k.as_str() == "matrix")
        );
    }

    #[test]
    fn hostile_lines_are_sanitised_here() {
        let body = br#"{"status":"success","data":{"resultType":"streams","result":[
            {"stream":{"app":"\u001b[2Jx"},"values":[["1","a\u001b]0;title\u0007b"]]}]}}"#;
        let lines = decode_streams(body, &Redactor::default()).unwrap_or_default();
        assert_eq!(lines[0].line.as_str(), "a␛b");
        assert_eq!(lines[0].labels.get("app").map(|v| v.as_str()), Some("␛x"));
    }
}
