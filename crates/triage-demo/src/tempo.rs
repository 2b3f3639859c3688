//! The demo's Tempo: trace by id, v2 and v1, ids in base64 as Tempo sends
//! them; search, tags and tag values (`tempo_search.rs`).

use super::data::{DemoData, DemoTrace, WORKLOADS, resource};
use super::tempo_search;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Value, json};
use std::sync::Arc;
use triage_core::domain::TraceId;

pub fn router(data: Arc<DemoData>) -> Router {
    Router::new()
        .route("/api/v2/traces/{id}", get(trace_v2))
        .route("/api/traces/{id}", get(trace_v1))
        .route("/api/search", get(tempo_search::search))
        .route("/api/v2/search/tags", get(tempo_search::tags_v2))
        .route("/api/search/tags", get(tempo_search::tags_v1))
        .route(
            "/api/v2/search/tag/{tag}/values",
            get(tempo_search::tag_values_v2),
        )
        .route(
            "/api/search/tag/{tag}/values",
            get(tempo_search::tag_values_v1),
        )
        .route("/ready", get(|| async { "ready" }))
        .with_state(data)
}

/// Tempo's answer to an id that is not hex.
fn bad_id() -> Response {
    let message = "trace IDs can only contain hex characters: invalid character";
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn trace_v2(State(data): State<Arc<DemoData>>, Path(id): Path<String>) -> Response {
    let Some(TraceId(id)) = TraceId::from_hex(&id) else {
        return bad_id();
    };
    let trace = data
        .trace(&id)
        .map_or(json!({}), |t| json!({ "resourceSpans": resource_spans(t) }));
    axum::Json(json!({ "trace": trace })).into_response()
}

async fn trace_v1(State(data): State<Arc<DemoData>>, Path(id): Path<String>) -> Response {
    let Some(TraceId(id)) = TraceId::from_hex(&id) else {
        return bad_id();
    };
    match data.trace(&id) {
        Some(t) => axum::Json(json!({ "batches": resource_spans(t) })).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

fn string_attribute(key: &str, value: &str) -> Value {
    json!({ "key": key, "value": { "stringValue": value } })
}

/// One resource per service, as an OpenTelemetry SDK in each pod sends them.
fn resource_spans(trace: &DemoTrace) -> Vec<Value> {
    WORKLOADS
        .iter()
        .enumerate()
        .filter(|(i, _)| trace.spans.iter().any(|s| s.service == *i))
        .map(|(i, _)| {
            let spans: Vec<Value> = trace
                .spans
                .iter()
                .filter(|s| s.service == i)
                .map(|s| {
                    let mut span = json!({
                        "traceId": STANDARD.encode(trace.id),
                        "spanId": STANDARD.encode(s.id),
                        "name": s.name,
                        "kind": s.kind,
                        "startTimeUnixNano": s.start.to_string(),
                        "endTimeUnixNano": s.end.to_string(),
                        "attributes": s.attributes.iter().map(|(k, v)| string_attribute(k, v)).collect::<Vec<_>>(),
                        "status": s.error.as_ref().map_or(json!({}), |m| json!({ "code": "STATUS_CODE_ERROR", "message": m })),
                    });
                    if let Some(parent) = s.parent {
                        span["parentSpanId"] = json!(STANDARD.encode(parent));
                    }
                    if !s.events.is_empty() {
                        span["events"] = s.events.iter().map(|(t, name, attributes)| json!({
                            "timeUnixNano": t.to_string(),
                            "name": name,
                            "attributes": attributes.iter().map(|(k, v)| string_attribute(k, v)).collect::<Vec<_>>(),
                        })).collect();
                    }
                    span
                })
                .collect();
            let resource: Vec<Value> = resource(i)
                .iter()
                .map(|(k, v)| string_attribute(k, v))
                .collect();
            json!({
                "resource": { "attributes": resource },
                "scopeSpans": [{ "scope": { "name": "triage-demo" }, "spans": spans }],
            })
        })
        .collect()
}
