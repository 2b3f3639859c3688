//! The demo's Tempo search: `/api/search` (TraceQL, see `traceql.rs`),
//! `/api/v2/search/tags` and `/api/v2/search/tag/<tag>/values`, and their
//! v1 forms, in the shapes Tempo 2.7 answers with (see the recordings in
//! `../shared/fixtures/tempo/search_*`).

use super::data::{DemoData, DemoSpan, DemoTrace, WORKLOADS, resource};
use super::traceql::{self, Field, Filter, Scope};
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use triage_core::domain::Nanos;
use triage_core::domain::time::{NANOS_PER_SEC, parse_duration};

type Params = Query<HashMap<String, String>>;

/// The intrinsics Tempo 2.7 lists, as it lists them.
const INTRINSICS: [&str; 20] = [
    "duration",
    "event:name",
    "event:timeSinceStart",
    "instrumentation:name",
    "instrumentation:version",
    "kind",
    "name",
    "rootName",
    "rootServiceName",
    "span:duration",
    "span:kind",
    "span:name",
    "span:status",
    "span:statusMessage",
    "status",
    "statusMessage",
    "trace:duration",
    "trace:rootName",
    "trace:rootService",
    "traceDuration",
];

/// Tempo's refusals are plain text.
fn refuse(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

/// The traces that overlap `start`..`end` (unix seconds), all without them,
/// of those that ended by the demo's now.
fn in_window<'a>(data: &'a DemoData, params: &HashMap<String, String>) -> Vec<&'a DemoTrace> {
    let seconds = |name: &str| params.get(name).and_then(|v| v.parse::<i64>().ok());
    let start = seconds("start").map_or(Nanos::MIN, |s| s.saturating_mul(NANOS_PER_SEC));
    let end = seconds("end").map_or(Nanos::MAX, |s| s.saturating_mul(NANOS_PER_SEC));
    data.traces_until(data.clock.now())
        .filter(|t| t.spans.iter().any(|s| s.start <= end && s.end >= start))
        .collect()
}

fn number(params: &HashMap<String, String>, name: &str, default: usize) -> usize {
    params
        .get(name)
        .and_then(|v| v.parse().ok())
        .filter(|n| *n > 0)
        .unwrap_or(default)
}

pub async fn search(State(data): State<Arc<DemoData>>, Query(params): Params) -> Response {
    // Not trimmed: Tempo counts the columns of what it was sent.
    let q = params.get("q").map_or("", String::as_str);
    let filter = match q {
        q if q.trim().is_empty() => None,
        q => match Filter::parse(q) {
            Ok(filter) => Some(filter),
            Err(e) => return refuse(e.to_string()),
        },
    };
    let bound = |name: &str| params.get(name).and_then(|d| parse_duration(d));
    let (shortest, longest) = (bound("minDuration"), bound("maxDuration"));
    let lasting = |t: &DemoTrace| {
        let took = std::time::Duration::from_nanos(u64::try_from(root_duration(t)).unwrap_or(0));
        shortest.is_none_or(|d| took >= d) && longest.is_none_or(|d| took <= d)
    };
    let window = in_window(&data, &params);
    let inspected = window.len();
    let mut found: Vec<(&DemoTrace, Vec<&DemoSpan>)> = window
        .into_iter()
        .filter(|t| lasting(t))
        .filter_map(|t| match &filter {
            None => Some((t, Vec::new())),
            Some(f) => {
                let spans: Vec<&DemoSpan> = t.spans.iter().filter(|s| f.matches(t, s)).collect();
                (!spans.is_empty()).then_some((t, spans))
            }
        })
        .collect();
    found.sort_by_key(|(t, _)| std::cmp::Reverse(root_start(t)));
    found.truncate(number(&params, "limit", 20));
    let spss = number(&params, "spss", 3);
    let traces: Vec<Value> = found
        .iter()
        .map(|(t, spans)| summary(t, spans, filter.as_ref(), spss))
        .collect();
    axum::Json(json!({
        "traces": traces,
        "metrics": {
            "inspectedTraces": inspected,
            "inspectedBytes": (inspected * 4_096).to_string(),
            "completedJobs": 1,
            "totalJobs": 1,
        }
    }))
    .into_response()
}

fn root(trace: &DemoTrace) -> Option<&DemoSpan> {
    trace.spans.iter().find(|s| s.parent.is_none())
}

fn root_start(trace: &DemoTrace) -> Nanos {
    root(trace).map_or(0, |r| r.start)
}

fn root_duration(trace: &DemoTrace) -> Nanos {
    root(trace).map_or(0, |r| r.end - r.start)
}

/// One trace as Tempo sums it up; fields that are zero are left out, as
/// Tempo's JSON does.
fn summary(trace: &DemoTrace, spans: &[&DemoSpan], filter: Option<&Filter>, spss: usize) -> Value {
    let mut summary = json!({
        // Tempo drops the leading zeros of trace ids in search results.
        "traceID": trace.hex_id().trim_start_matches('0'),
        "startTimeUnixNano": root_start(trace).to_string(),
    });
    if let Some(root) = root(trace) {
        summary["rootServiceName"] = json!(WORKLOADS[root.service].0);
        summary["rootTraceName"] = json!(root.name);
    }
    let duration_ms = root_duration(trace) / 1_000_000;
    if duration_ms > 0 {
        summary["durationMs"] = json!(duration_ms);
    }
    let Some(filter) = filter else {
        return summary; // a search without TraceQL has no span sets
    };
    let set = json!({
        "spans": spans.iter().take(spss).map(|s| matched_span(trace, s, filter)).collect::<Vec<_>>(),
        "matched": spans.len(),
    });
    summary["spanSet"] = set.clone();
    summary["spanSets"] = json!([set]);
    summary["serviceStats"] = service_stats(trace);
    summary
}

/// A matching span with the attributes the filter tested, as Tempo sends
/// it; its name only when the filter asked about it.
fn matched_span(trace: &DemoTrace, span: &DemoSpan, filter: &Filter) -> Value {
    let hex: String = span.id.iter().map(|b| format!("{b:02x}")).collect();
    let mut out = json!({
        "spanID": hex,
        "startTimeUnixNano": span.start.to_string(),
        "durationNanos": (span.end - span.start).to_string(),
    });
    let mut attributes = Vec::new();
    for field in filter.fields() {
        match field {
            Field::Name => out["name"] = json!(span.name),
            Field::Duration | Field::TraceDuration => {}
            field => {
                let key = tested_key(field);
                let values = traceql::field_values(field, trace, span);
                attributes.extend(values.into_iter().take(1).map(|v| attribute(&key, &v)));
            }
        }
    }
    if !attributes.is_empty() {
        out["attributes"] = json!(attributes);
    }
    out
}

/// The key Tempo sends a tested field back under: an attribute's own name,
/// an intrinsic's.
fn tested_key(field: &Field) -> String {
    match field {
        Field::Attribute { key, .. } => key.clone(),
        Field::Status => "status".into(),
        Field::StatusMessage => "statusMessage".into(),
        Field::Kind => "kind".into(),
        Field::RootName => "rootName".into(),
        Field::RootService => "rootServiceName".into(),
        Field::Name | Field::Duration | Field::TraceDuration => String::new(),
    }
}

fn attribute(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

fn service_stats(trace: &DemoTrace) -> Value {
    let mut stats: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for span in &trace.spans {
        let entry = stats.entry(WORKLOADS[span.service].0).or_default();
        entry.0 += 1;
        entry.1 += usize::from(span.error.is_some());
    }
    let services: serde_json::Map<String, Value> = stats
        .into_iter()
        .map(|(service, (spans, errors))| {
            let mut counts = json!({ "spanCount": spans });
            if errors > 0 {
                counts["errorCount"] = json!(errors);
            }
            (service.to_owned(), counts)
        })
        .collect();
    Value::Object(services)
}

/// The attribute names of the spans in the window, by scope.
fn names_by_scope(traces: &[&DemoTrace]) -> BTreeMap<&'static str, Vec<String>> {
    let mut scopes: BTreeMap<&'static str, Vec<String>> = BTreeMap::new();
    let mut add = |scope: &'static str, key: &str| {
        let names = scopes.entry(scope).or_default();
        if !names.iter().any(|n| n == key) {
            names.push(key.to_owned());
        }
    };
    for span in traces.iter().flat_map(|t| &t.spans) {
        resource(span.service)
            .iter()
            .for_each(|(k, _)| add("resource", k));
        span.attributes.iter().for_each(|(k, _)| add("span", k));
        for (_, _, attributes) in &span.events {
            attributes.iter().for_each(|(k, _)| add("event", k));
        }
    }
    scopes.values_mut().for_each(|names| names.sort());
    scopes
}

pub async fn tags_v2(State(data): State<Arc<DemoData>>, Query(params): Params) -> Response {
    let scope = params
        .get("scope")
        .map(String::as_str)
        .filter(|s| *s != "all");
    let known = [
        "resource",
        "span",
        "intrinsic",
        "event",
        "link",
        "instrumentation",
    ];
    if let Some(scope) = scope.filter(|s| !known.contains(s)) {
        return refuse(format!("invalid scope: {scope}"));
    }
    let mut names = names_by_scope(&in_window(&data, &params));
    names.insert("intrinsic", INTRINSICS.map(str::to_owned).to_vec());
    let scopes: Vec<Value> = ["resource", "span", "event", "intrinsic"]
        .into_iter()
        .filter(|s| scope.is_none_or(|asked| asked == *s))
        .filter_map(|s| names.get(s).map(|tags| json!({ "name": s, "tags": tags })))
        .collect();
    axum::Json(json!({ "scopes": scopes, "metrics": { "inspectedBytes": "4096" } })).into_response()
}

pub async fn tags_v1(State(data): State<Arc<DemoData>>, Query(params): Params) -> Response {
    let mut names: Vec<String> = names_by_scope(&in_window(&data, &params))
        .into_values()
        .flatten()
        .collect();
    names.sort();
    names.dedup();
    axum::Json(json!({ "tagNames": names, "metrics": { "inspectedBytes": "4096" } }))
        .into_response()
}

/// The values `field` takes on the spans in the window that `filter`
/// keeps, each once, in the order first seen.
fn values_of(traces: &[&DemoTrace], field: &Field, filter: Option<&Filter>) -> Vec<String> {
    let mut values: Vec<String> = Vec::new();
    for trace in traces {
        for span in trace
            .spans
            .iter()
            .filter(|s| filter.is_none_or(|f| f.matches(trace, s)))
        {
            for value in traceql::field_values(field, trace, span) {
                if !values.contains(&value) {
                    values.push(value);
                }
            }
        }
    }
    values
}

pub async fn tag_values_v2(
    State(data): State<Arc<DemoData>>,
    Path(tag): Path<String>,
    Query(params): Params,
) -> Response {
    let Some(field) = traceql::parse_field(&tag) else {
        return refuse(format!("invalid TraceQL identifier: {tag}"));
    };
    let filter = match params.get("q").filter(|q| !q.trim().is_empty()) {
        Some(q) => match Filter::parse(q) {
            Ok(filter) => Some(filter),
            Err(e) => return refuse(e.to_string()),
        },
        None => None,
    };
    let kind = match field {
        Field::Status | Field::Kind => "keyword",
        Field::Duration | Field::TraceDuration => "duration",
        _ => "string",
    };
    let traces = in_window(&data, &params);
    let values: Vec<Value> = match field {
        // Every span has one: Tempo lists no values for durations.
        Field::Duration | Field::TraceDuration => Vec::new(),
        _ => values_of(&traces, &field, filter.as_ref())
            .into_iter()
            .map(|v| json!({ "type": kind, "value": v }))
            .collect(),
    };
    axum::Json(json!({ "tagValues": values, "metrics": { "inspectedBytes": "4096" } }))
        .into_response()
}

pub async fn tag_values_v1(
    State(data): State<Arc<DemoData>>,
    Path(tag): Path<String>,
    Query(params): Params,
) -> Response {
    // v1 names are bare: the span's attribute, else its resource's, else
    // an event's.
    let traces = in_window(&data, &params);
    let mut values = Vec::new();
    for scope in [Scope::Either, Scope::Event] {
        let field = Field::Attribute {
            scope,
            key: tag.clone(),
        };
        for value in values_of(&traces, &field, None) {
            if !values.contains(&value) {
                values.push(value);
            }
        }
    }
    axum::Json(json!({ "tagValues": values, "metrics": { "inspectedBytes": "4096" } }))
        .into_response()
}
