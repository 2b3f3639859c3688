//! A loopback Loki with a big log: `query_range` pages through `history`
//! lines (newest first, as Loki answers `direction=backward`), and `tail`
//! sends `tailed` new lines, 1,000 a frame, as fast as the socket takes
//! them, then keeps the socket open. The lines are a request log in JSON,
//! about 230 bytes each, from five pods, each with a trace id.

use axum::extract::Query;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

const PODS: [&str; 5] = [
    "api-5c6b9d7f4-mz8wn",
    "api-5c6b9d7f4-7xk2p",
    "api-5c6b9d7f4-r9l4m",
    "api-5c6b9d7f4-b8x4n",
    "api-5c6b9d7f4-tq9zw",
];
const ROUTES: [&str; 4] = [
    "/api/articles",
    "/api/articles/{id}",
    "/api/cart/items",
    "/api/search",
];
/// Lines a tail frame carries.
const FRAME: usize = 1_000;
const MS: i64 = 1_000_000;

/// The `n`th line written at `at` (nanoseconds): its pod and text.
fn line(n: usize, at: i64) -> (usize, String) {
    let mix = (n as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    let status = if mix % 50 == 0 { 500 } else { 200 };
    let level = if status == 500 { "error" } else { "info" };
    let secs = at / 1_000_000_000;
    let millis = (at / MS) % 1000;
    let time = chrono::DateTime::from_timestamp(secs, 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default();
    let text = format!(
        r#"{{"level":"{level}","ts":"{time}.{millis:03}Z","msg":"request served","trace_id":"{:016x}{:016x}","span_id":"{:016x}","http":{{"method":"GET","route":"{}","status":{status}}},"ms":{}.{}}}"#,
        mix,
        mix.rotate_left(17),
        mix.rotate_left(31),
        ROUTES[(mix >> 8) as usize % ROUTES.len()],
        (mix >> 16) % 900,
        (mix >> 24) % 10,
    );
    ((mix >> 40) as usize % PODS.len(), text)
}

fn labels(pod: usize) -> Value {
    json!({"namespace": "shop", "app": "api", "container": "api", "pod": PODS[pod]})
}

/// Lines as Loki's streams: one stream object a pod, values in the order given.
fn streams(lines: &[(i64, usize, String)]) -> Vec<Value> {
    let mut by_pod: Vec<Vec<Value>> = vec![Vec::new(); PODS.len()];
    for (at, pod, text) in lines {
        by_pod[*pod].push(json!([at.to_string(), text]));
    }
    (by_pod.into_iter().enumerate())
        .filter(|(_, values)| !values.is_empty())
        .map(|(pod, values)| json!({"stream": labels(pod), "values": values}))
        .collect()
}

struct Log {
    /// Oldest first.
    history: Vec<(i64, usize, String)>,
    tailed: usize,
}

/// Serves the log on a free loopback port: the base URL. The history's
/// newest line is a second before `now`, the lines 30 ms apart.
pub async fn serve(history: usize, tailed: usize, now: i64) -> std::io::Result<String> {
    let lines = (0..history).rev().map(|n| {
        let at = now - 1_000 * MS - n as i64 * 30 * MS;
        let (pod, text) = line(n, at);
        (at, pod, text)
    });
    let log = Arc::new(Log {
        history: lines.collect(),
        tailed,
    });
    let ranged = Arc::clone(&log);
    let app = axum::Router::new()
        .route(
            "/loki/api/v1/query_range",
            get(move |q: Query<HashMap<String, String>>| {
                let log = Arc::clone(&ranged);
                async move { query_range(&log, &q.0) }
            }),
        )
        .route(
            "/loki/api/v1/tail",
            get(
                move |q: Query<HashMap<String, String>>, upgrade: WebSocketUpgrade| {
                    let log = Arc::clone(&log);
                    async move {
                        let start = q.get("start").and_then(|s| s.parse().ok()).unwrap_or(0);
                        upgrade.on_upgrade(move |socket| tail(socket, log.tailed, start))
                    }
                },
            ),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(url)
}

fn query_range(log: &Log, q: &HashMap<String, String>) -> Response {
    let query = q.get("query").map_or("", String::as_str);
    let data = if query.contains("count_over_time") {
        // The histogram: none drawn, as a Loki without level counts.
        json!({"resultType": "matrix", "result": []})
    } else {
        let number = |name: &str| q.get(name).and_then(|v| v.parse::<i64>().ok());
        let start = number("start").unwrap_or(i64::MIN);
        let end = number("end").unwrap_or(i64::MAX);
        let limit = number("limit").unwrap_or(100).max(0) as usize;
        let from = log.history.partition_point(|(at, _, _)| *at < start);
        let to = log.history.partition_point(|(at, _, _)| *at < end);
        let newest: Vec<_> = log.history[from.max(to.saturating_sub(limit))..to]
            .iter()
            .rev()
            .cloned()
            .collect();
        json!({"resultType": "streams", "result": streams(&newest)})
    };
    axum::Json(json!({"status": "success", "data": data})).into_response()
}

async fn tail(mut socket: WebSocket, lines: usize, start: i64) {
    for first in (0..lines).step_by(FRAME) {
        let batch: Vec<_> = (first..(first + FRAME).min(lines))
            .map(|n| {
                let at = start + (n as i64 + 1) * MS;
                let (pod, text) = line(n, at);
                (at, pod, text)
            })
            .collect();
        let frame = json!({"streams": streams(&batch), "dropped_entries": null});
        if socket.send(Message::text(frame.to_string())).await.is_err() {
            return;
        }
    }
    // Then quiet, pinged every second as Loki does, until the client goes.
    let mut ping = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if socket.send(Message::Ping(Vec::new().into())).await.is_err() {
                    return;
                }
            }
            received = socket.recv() => match received {
                Some(Ok(_)) => {}
                _ => return,
            }
        }
    }
}
