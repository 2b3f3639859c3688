//! The demo's Loki: `query_range` (log queries, and metric queries in
//! `metric.rs`), `labels` and label values, `patterns` (`patterns.rs`) and
//! the live `tail` over a websocket (`tail.rs`), in the shapes Loki 3.4
//! answers with (see the recordings in `../shared/fixtures/loki/`).

pub mod line;
mod metric;
mod patterns;
mod tail;

use super::data::DemoData;
use super::logql::{Labels, LogQuery, Query};
use axum::Router;
use axum::extract::{Path, Query as Params, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use triage_core::domain::Nanos;
use triage_core::domain::time::{NANOS_PER_SEC, parse_duration};

type Shared = State<Arc<DemoData>>;
type Args = Params<HashMap<String, String>>;

/// Loki's `max_entries_limit_per_query` default.
const MAX_ENTRIES: i64 = 5000;
const HOUR: Nanos = 3600 * NANOS_PER_SEC;

pub fn router(data: Arc<DemoData>) -> Router {
    Router::new()
        .route("/loki/api/v1/query_range", get(query_range))
        .route("/loki/api/v1/labels", get(labels))
        .route("/loki/api/v1/label/{name}/values", get(label_values))
        .route("/loki/api/v1/patterns", get(patterns::patterns))
        .route("/loki/api/v1/tail", get(tail::tail))
        .route("/ready", get(|| async { "ready" }))
        .with_state(data)
}

/// Loki's refusals are plain text.
fn plain_error(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// A time as Loki reads one: nanoseconds, seconds with a fraction, or RFC 3339.
fn parse_time(text: &str) -> Option<Nanos> {
    if let Ok(nanos) = text.parse::<i64>() {
        return Some(nanos);
    }
    if let Ok(seconds) = text.parse::<f64>() {
        return Some((seconds * 1e9) as Nanos);
    }
    chrono::DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| t.timestamp_nanos_opt())
}

/// `start` and `end`: by default the hour before the demo's now.
fn time_range(data: &DemoData, params: &HashMap<String, String>) -> Result<(Nanos, Nanos), String> {
    let time = |name: &str| match params.get(name) {
        None => Ok(None),
        Some(t) => parse_time(t)
            .map(Some)
            .ok_or_else(|| format!("invalid {name}: cannot parse \"{t}\" to a valid timestamp")),
    };
    let end = time("end")?.unwrap_or_else(|| data.clock.now());
    let start = time("start")?.unwrap_or(end - HOUR);
    if end < start {
        return Err("end timestamp must not be before or equal to start time".into());
    }
    Ok((start, end))
}

/// A step as Loki reads one: seconds (`60`, `0.5`) or a duration (`1m`).
fn parse_step(text: &str) -> Option<Nanos> {
    let nanos = match text.parse::<f64>() {
        Ok(seconds) => (seconds * 1e9) as Nanos,
        Err(_) => Nanos::try_from(parse_duration(text)?.as_nanos()).ok()?,
    };
    (nanos > 0).then_some(nanos)
}

/// One line a query kept, with what Loki knows of it.
pub struct Selected<'a> {
    pub at: Nanos,
    pub line: &'a str,
    /// The stream's labels and the line's `detected_level`.
    pub labels: Labels,
    /// What the query's parsers extracted.
    pub parsed: Labels,
}

impl Selected<'_> {
    /// The labels Loki answers the line under without `categorize-labels`:
    /// all of them, so lines with different ones are different streams.
    pub fn all_labels(&self) -> Labels {
        let mut labels = self.labels.clone();
        labels.extend(self.parsed.clone());
        labels
    }
}

/// The lines of `from..to` (and written by the demo's now) that `query`
/// keeps, oldest first.
pub fn select<'a>(
    data: &'a DemoData,
    query: &LogQuery,
    from: Nanos,
    to: Nanos,
) -> Vec<Selected<'a>> {
    let now = data.clock.now();
    let mut selected: Vec<Selected> = data
        .streams
        .iter()
        .filter(|s| query.selects(&s.labels))
        .flat_map(|s| {
            s.lines_until(now)
                .filter(|(t, _)| (from..to).contains(t))
                .filter_map(|(t, line)| {
                    let mut labels = s.labels.clone();
                    labels.insert("detected_level".into(), line::detected_level(line).into());
                    let parsed = query.process(&labels, line)?;
                    Some(Selected {
                        at: *t,
                        line,
                        labels,
                        parsed,
                    })
                })
        })
        .collect();
    selected.sort_by_key(|s| s.at);
    selected
}

async fn query_range(State(data): Shared, Params(params): Args, headers: HeaderMap) -> Response {
    let text = params.get("query").map_or("", String::as_str);
    let query = match Query::parse(text) {
        Ok(q) => q,
        Err(e) => return plain_error(e.to_string()),
    };
    let (start, end) = match time_range(&data, &params) {
        Ok(range) => range,
        Err(e) => return plain_error(e),
    };
    let body = match query {
        Query::Log(query) => {
            let categorize = headers
                .get("X-Loki-Response-Encoding-Flags")
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("categorize-labels"));
            log_answer(&data, &query, &params, (start, end), categorize)
        }
        Query::Metric(query) => {
            let step = match params.get("step") {
                Some(s) => match parse_step(s) {
                    Some(step) => step,
                    None => {
                        return plain_error(format!(
                            "invalid step: cannot parse \"{s}\" to a valid duration"
                        ));
                    }
                },
                // Loki's default: about 250 points.
                None => ((end - start) / 250).max(NANOS_PER_SEC),
            };
            metric::answer(&data, &query, start, end, step)
        }
    };
    match body {
        Ok(body) => axum::Json(body).into_response(),
        Err(message) => plain_error(message),
    }
}

/// The `limit` lines nearest the chosen end, as streams.
fn log_answer(
    data: &DemoData,
    query: &LogQuery,
    params: &HashMap<String, String>,
    (start, end): (Nanos, Nanos),
    categorize: bool,
) -> Result<Value, String> {
    let limit = params
        .get("limit")
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    if limit > MAX_ENTRIES {
        return Err(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {MAX_ENTRIES})"
        ));
    }
    let forward = params.get("direction").is_some_and(|d| d == "forward");
    let mut picked = select(data, query, start, end);
    if !forward {
        picked.reverse();
    }
    picked.truncate(usize::try_from(limit).unwrap_or(0));
    let mut data_field =
        json!({ "resultType": "streams", "result": streams(&picked, categorize), "stats": {} });
    if categorize {
        data_field["encodingFlags"] = json!(["categorize-labels"]);
    }
    Ok(json!({ "status": "success", "data": data_field }))
}

/// Lines grouped into Loki's stream objects. Without `categorize-labels`
/// every distinct label set (parsed labels and `detected_level` included)
/// is a stream; with it, the index labels are, and each value carries the
/// rest as its third element.
fn streams(picked: &[Selected], categorize: bool) -> Vec<Value> {
    let mut by_labels: BTreeMap<Labels, Vec<Value>> = BTreeMap::new();
    for s in picked {
        let (labels, value) = if categorize {
            let mut index = s.labels.clone();
            let level = index.remove("detected_level").unwrap_or_default();
            let mut extra = json!({ "structuredMetadata": { "detected_level": level } });
            if !s.parsed.is_empty() {
                extra["parsed"] = json!(s.parsed);
            }
            (index, json!([s.at.to_string(), s.line, extra]))
        } else {
            (s.all_labels(), json!([s.at.to_string(), s.line]))
        };
        by_labels.entry(labels).or_default().push(value);
    }
    by_labels
        .into_iter()
        .map(|(labels, values)| json!({ "stream": labels, "values": values }))
        .collect()
}

/// The index labels of the streams with lines in the range that the
/// optional `query` selects.
fn stream_labels<'a>(
    data: &'a DemoData,
    params: &HashMap<String, String>,
) -> Result<Vec<&'a Labels>, String> {
    let (start, end) = time_range(data, params)?;
    let query = match params.get("query").filter(|q| !q.trim().is_empty()) {
        Some(q) => Some(LogQuery::parse(q).map_err(|e| e.to_string())?),
        None => None,
    };
    let now = data.clock.now();
    Ok(data
        .streams
        .iter()
        .filter(|s| query.as_ref().is_none_or(|q| q.selects(&s.labels)))
        .filter(|s| s.lines_until(now).any(|(t, _)| (start..=end).contains(t)))
        .map(|s| &s.labels)
        .collect())
}

async fn labels(State(data): Shared, Params(params): Args) -> Response {
    match stream_labels(&data, &params) {
        Ok(streams) => {
            let names: BTreeSet<&String> = streams.iter().flat_map(|l| l.keys()).collect();
            axum::Json(json!({ "status": "success", "data": names })).into_response()
        }
        Err(e) => plain_error(e),
    }
}

async fn label_values(
    State(data): Shared,
    Path(name): Path<String>,
    Params(params): Args,
) -> Response {
    match stream_labels(&data, &params) {
        Ok(streams) => {
            let values: BTreeSet<&String> = streams.iter().filter_map(|l| l.get(&name)).collect();
            axum::Json(json!({ "status": "success", "data": values })).into_response()
        }
        Err(e) => plain_error(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Nanos = 1_800_000_000 * NANOS_PER_SEC;

    fn picked<'a>(data: &'a DemoData, query: &str) -> Vec<Selected<'a>> {
        let query = LogQuery::parse(query).unwrap_or_else(|e| panic!("{e}"));
        select(data, &query, NOW - HOUR, NOW)
    }

    #[test]
    fn parsed_labels_are_stream_labels_unless_categorized() {
        let data = DemoData::generate(NOW);
        let lines = picked(&data, r#"{app="api"} |= "request served" | json"#);
        assert!(lines.len() >= 60);
        let plain = streams(&lines, false);
        // Every request has its own trace id, so its own stream.
        assert_eq!(plain.len(), lines.len());
        let first = &plain[0];
        assert_eq!(first["stream"]["http_route"], "/api/articles");
        assert!(first["stream"]["detected_level"].is_string());
        assert_eq!(first["values"][0].as_array().map(Vec::len), Some(2));

        let categorized = streams(&lines, true);
        assert_eq!(categorized.len(), 1, "one stream of index labels");
        let stream = &categorized[0]["stream"];
        assert!(stream.get("detected_level").is_none() && stream.get("http_route").is_none());
        let extra = &categorized[0]["values"][0][2];
        assert!(extra["structuredMetadata"]["detected_level"].is_string());
        assert_eq!(extra["parsed"]["http_method"], "GET");
    }

    #[test]
    fn only_lines_the_clock_reached_are_selected() {
        let data = DemoData::generate(NOW);
        let future = picked(&data, r#"{namespace="shop"}"#);
        assert!(future.iter().all(|s| s.at < NOW));
        let query = LogQuery::parse(r#"{namespace="shop"}"#).unwrap_or_else(|e| panic!("{e}"));
        let ahead = select(&data, &query, NOW, NOW + HOUR);
        // The clock is a moment past NOW: at most the first live lines.
        assert!(ahead.len() < 10, "{}", ahead.len());
    }
}
