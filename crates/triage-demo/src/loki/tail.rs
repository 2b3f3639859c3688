//! `/loki/api/v1/tail`: a websocket of text frames, each one JSON object
//! `{"streams": [...]}`. The first frame is the backlog since `start` (the
//! newest `limit` lines); then, every half second, the lines that came due
//! on the demo's clock. As in Loki, every entry is its own stream object
//! and only the backlog's streams carry `detected_level`. A query Loki
//! would refuse is refused before the upgrade, as plain text.

use super::{Args, MAX_ENTRIES, Selected, Shared, parse_time, plain_error, select};
use crate::data::DemoData;
use crate::logql::LogQuery;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use triage_core::domain::Nanos;

/// How often new lines are looked for.
const TICK: Duration = Duration::from_millis(500);
const HOUR: Nanos = 3_600_000_000_000;

pub async fn tail(
    State(data): Shared,
    Query(params): Args,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let query = match LogQuery::parse(params.get("query").map_or("", String::as_str)) {
        Ok(q) => q,
        Err(e) => return plain_error(e.to_string()),
    };
    let limit = params
        .get("limit")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(100);
    if limit > MAX_ENTRIES {
        return plain_error(format!(
            "max entries limit per query exceeded, limit > max_entries_limit_per_query ({limit} > {MAX_ENTRIES})"
        ));
    }
    let delay = params.get("delay_for").and_then(|v| v.parse::<u64>().ok());
    if delay.is_some_and(|d| d > 5) {
        return plain_error("delay_for can't be greater than 5".into());
    }
    let start = params
        .get("start")
        .and_then(|t| parse_time(t))
        .unwrap_or_else(|| data.clock.now() - HOUR);
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let limit = usize::try_from(limit).unwrap_or(0);
    upgrade.on_upgrade(move |socket| follow(socket, data, query, start, limit))
}

async fn follow(
    mut socket: WebSocket,
    data: Arc<DemoData>,
    query: LogQuery,
    start: Nanos,
    limit: usize,
) {
    let mut sent_until = data.clock.now();
    let backlog = select(&data, &query, start, sent_until + 1);
    let newest = &backlog[backlog.len().saturating_sub(limit)..];
    if !newest.is_empty() && socket.send(frame(newest, true)).await.is_err() {
        return;
    }
    let mut ticks = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                let now = data.clock.now();
                let due = select(&data, &query, sent_until + 1, now + 1);
                sent_until = now;
                if !due.is_empty() && socket.send(frame(&due, false)).await.is_err() {
                    return;
                }
            }
            message = socket.recv() => match message {
                None | Some(Err(_) | Ok(Message::Close(_))) => return,
                Some(Ok(_)) => {}
            },
        }
    }
}

/// One frame: each line in its own stream object, oldest first.
fn frame(lines: &[Selected], with_level: bool) -> Message {
    let streams: Vec<Value> = lines
        .iter()
        .map(|s| {
            let mut labels = s.all_labels();
            if !with_level {
                labels.remove("detected_level");
            }
            json!({ "stream": labels, "values": [[s.at.to_string(), s.line]] })
        })
        .collect();
    Message::Text(json!({ "streams": streams }).to_string().into())
}
