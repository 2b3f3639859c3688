//! The demo's Loki: `/loki/api/v1/query_range` for log queries.

use super::data::DemoData;
use super::logql::LogQuery;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;

pub fn router(data: Arc<DemoData>) -> Router {
    Router::new()
        .route("/loki/api/v1/query_range", get(query_range))
        .route("/ready", get(|| async { "ready" }))
        .with_state(data)
}

fn plain_error(message: String) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        message,
    )
        .into_response()
}

async fn query_range(
    State(data): State<Arc<DemoData>>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let query = match LogQuery::parse(params.get("query").map_or("", String::as_str)) {
        Ok(q) => q,
        Err(e) => return plain_error(e.to_string()),
    };
    let number = |name: &str, default: i64| {
        params
            .get(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let end = number("end", i64::MAX);
    let start = number("start", end.saturating_sub(3_600_000_000_000));
    let limit = number("limit", 100);
    if limit > 5000 {
        return plain_error(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > 5000)"
        ));
    }
    let forward = params.get("direction").is_some_and(|d| d == "forward");
    // Pick the `limit` lines nearest the chosen end, across all streams.
    let mut picked: Vec<(i64, usize, &str)> = data
        .streams
        .iter()
        .enumerate()
        .filter(|(_, s)| query.selects(&s.labels))
        .flat_map(|(i, s)| s.lines.iter().map(move |(t, l)| (*t, i, l.as_str())))
        .filter(|(t, _, l)| (start..end).contains(t) && query.keeps(l))
        .collect();
    picked.sort_by_key(|(t, _, _)| if forward { *t } else { -*t });
    picked.truncate(limit.max(0) as usize);
    let mut by_stream: HashMap<usize, Vec<[String; 2]>> = HashMap::new();
    for (t, i, line) in picked {
        by_stream
            .entry(i)
            .or_default()
            .push([t.to_string(), line.to_owned()]);
    }
    let result: Vec<_> = by_stream
        .into_iter()
        .map(|(i, values)| json!({ "stream": data.streams[i].labels, "values": values }))
        .collect();
    let body = json!({
        "status": "success",
        "data": { "resultType": "streams", "result": result, "stats": {} }
    });
    axum::Json(body).into_response()
}
