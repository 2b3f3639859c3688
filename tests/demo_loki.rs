//! The demo's Loki over HTTP and its websocket, as a client sees it: the
//! live tail, labels and values scoped by a selector, patterns, the volume
//! by level with its error burst, and narrowing by a JSON field.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use futures::StreamExt;
use serde_json::Value;
use std::time::Duration;
use tokio_tungstenite::tungstenite::{self, Message};
use triage_demo::Demo;

const SECOND: i64 = 1_000_000_000;
const MINUTE: i64 = 60 * SECOND;

async fn demo() -> (Demo, i64) {
    let now = triage::app::now();
    (triage_demo::start(now).await.unwrap(), now)
}

/// GET a Loki path with `params`; the status, content type and body.
async fn get(demo: &Demo, path: &str, params: &[(&str, String)]) -> (u16, String, String) {
    let response = reqwest::Client::new()
        .get(format!("{}{path}", demo.loki_url))
        .query(params)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap())
}

async fn get_json(demo: &Demo, path: &str, params: &[(&str, String)]) -> Value {
    let (status, _, body) = get(demo, path, params).await;
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

fn hour_before(now: i64) -> Vec<(&'static str, String)> {
    vec![
        ("start", (now - 60 * MINUTE).to_string()),
        ("end", now.to_string()),
    ]
}

fn strings(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn tail_url(demo: &Demo, query: &str, start: i64) -> String {
    let mut url = url::Url::parse(&demo.loki_url.replace("http://", "ws://")).unwrap();
    url.set_path("/loki/api/v1/tail");
    url.query_pairs_mut()
        .append_pair("query", query)
        .append_pair("limit", "10")
        .append_pair("start", &start.to_string());
    url.to_string()
}

/// Every entry of a tail frame: (time, line, labels).
fn entries(frame: &str) -> Vec<(i64, String, serde_json::Map<String, Value>)> {
    let frame: Value = serde_json::from_str(frame).unwrap();
    frame["streams"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let values = s["values"].as_array().unwrap();
            assert_eq!(values.len(), 1, "one entry per stream object: {s}");
            let time = values[0][0].as_str().unwrap().parse().unwrap();
            let line = values[0][1].as_str().unwrap().to_owned();
            (time, line, s["stream"].as_object().unwrap().clone())
        })
        .collect()
}

#[tokio::test]
async fn the_tail_sends_the_backlog_then_lines_as_they_are_written() {
    let (demo, now) = demo().await;
    let url = tail_url(&demo, r#"{namespace="shop"}"#, now - 10 * MINUTE);
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let next_frame = async |socket: &mut _| {
        let socket: &mut tokio_tungstenite::WebSocketStream<_> = socket;
        loop {
            match socket.next().await.unwrap().unwrap() {
                Message::Text(text) => return text.to_string(),
                Message::Close(c) => panic!("closed: {c:?}"),
                _ => {}
            }
        }
    };
    let first = entries(&next_frame(&mut socket).await);
    assert_eq!(first.len(), 10, "the newest `limit` lines");
    assert!(first.windows(2).all(|w| w[0].0 <= w[1].0), "oldest first");
    assert!(
        first
            .iter()
            .all(|(_, _, labels)| labels["namespace"] == "shop")
    );
    assert!(
        first
            .iter()
            .all(|(_, _, labels)| labels.contains_key("detected_level"))
    );
    let newest = first.last().unwrap().0;
    let later = tokio::time::timeout(Duration::from_secs(15), next_frame(&mut socket))
        .await
        .expect("no line written within 15 s");
    let later = entries(&later);
    assert!(!later.is_empty());
    assert!(later.iter().all(|(t, _, _)| *t > newest));
    assert!(
        later
            .iter()
            .all(|(_, _, labels)| !labels.contains_key("detected_level"))
    );
}

#[tokio::test]
async fn a_bad_tail_query_is_refused_before_the_upgrade() {
    let (demo, now) = demo().await;
    let url = tail_url(&demo, r#"{namespace="shop""#, now);
    let Err(tungstenite::Error::Http(response)) = tokio_tungstenite::connect_async(url).await
    else {
        panic!("upgraded a bad query");
    };
    assert_eq!(response.status().as_u16(), 400);
    let body = String::from_utf8(response.body().clone().unwrap()).unwrap();
    // As `fixtures/loki/error_tail_bad_query.txt`.
    assert_eq!(
        body,
        "parse error at line 1, col 18: syntax error: unexpected $end, expecting } or ,"
    );
    let (status, kind, _) = get(
        &demo,
        "/loki/api/v1/tail",
        &[("query", r#"{namespace="shop""#.into())],
    )
    .await;
    assert_eq!((status, kind.as_str()), (400, "text/plain; charset=utf-8"));
}

#[tokio::test]
async fn labels_and_values_are_scoped_by_a_selector() {
    let (demo, now) = demo().await;
    let range = hour_before(now);
    let names = get_json(&demo, "/loki/api/v1/labels", &range).await;
    assert_eq!(names["status"], "success");
    assert_eq!(
        strings(&names["data"]),
        ["app", "container", "namespace", "pod", "service_name"]
    );
    let pods = get_json(&demo, "/loki/api/v1/label/pod/values", &range).await;
    assert_eq!(strings(&pods["data"]).len(), 5);
    let mut scoped = range.clone();
    scoped.push(("query", r#"{app="auth"}"#.into()));
    let auth_pods = get_json(&demo, "/loki/api/v1/label/pod/values", &scoped).await;
    assert_eq!(
        strings(&auth_pods["data"]),
        ["auth-6f7c8d9b5-h8vcz", "auth-6f7c8d9b5-q4lrt"]
    );
    let mut scoped = range.clone();
    scoped.push(("query", r#"{pod="postgres-0"}"#.into()));
    let apps = get_json(&demo, "/loki/api/v1/label/app/values", &scoped).await;
    assert_eq!(strings(&apps["data"]), ["postgres"]);
}

#[tokio::test]
async fn patterns_count_the_lines_of_each_shape() {
    let (demo, now) = demo().await;
    let mut params = hour_before(now);
    params.push(("query", r#"{app="auth"}"#.into()));
    params.push(("step", "60s".into()));
    let answer = get_json(&demo, "/loki/api/v1/patterns", &params).await;
    assert_eq!(answer["status"], "success");
    let patterns = answer["data"].as_array().unwrap();
    let verified = patterns
        .iter()
        .find(|p| {
            p["pattern"] == r#"level=info msg="token verified" trace_id=<_> span_id=<_> user=<_>"#
        })
        .unwrap_or_else(|| panic!("{patterns:?}"));
    let samples = verified["samples"].as_array().unwrap();
    assert!(samples.iter().all(|s| s[0].as_i64().unwrap() % 60 == 0));
    let counted: u64 = samples.iter().map(|s| s[1].as_u64().unwrap()).sum();
    let lines = demo
        .data
        .streams
        .iter()
        .filter(|s| s.labels["app"] == "auth");
    let written = lines
        .flat_map(|s| &s.lines)
        .filter(|(t, l)| *t >= now - 60 * MINUTE && l.contains("token verified"))
        .count();
    assert_eq!(counted, written as u64);
}

#[tokio::test]
async fn the_volume_by_level_shows_the_error_burst() {
    let (demo, now) = demo().await;
    let mut params = hour_before(now);
    params.push((
        "query",
        r#"sum by (detected_level) (count_over_time({namespace="shop"}[1m]))"#.into(),
    ));
    params.push(("step", "60".into()));
    let answer = get_json(&demo, "/loki/api/v1/query_range", &params).await;
    assert_eq!(answer["data"]["resultType"], "matrix");
    let result = answer["data"]["result"].as_array().unwrap();
    let levels: Vec<&str> = result
        .iter()
        .map(|s| s["metric"]["detected_level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"info") && levels.contains(&"unknown"),
        "{levels:?}"
    );
    let errors = result
        .iter()
        .find(|s| s["metric"]["detected_level"] == "error")
        .unwrap();
    let points: Vec<(i64, f64)> = errors["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p[0].as_i64().unwrap(),
                p[1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    // The burst: from 19.5 to 16.5 minutes before the demo started.
    let burst = |t: i64| (now / SECOND - 20 * 60..now / SECOND - 16 * 60).contains(&t);
    let peak = points
        .iter()
        .filter(|p| burst(p.0))
        .map(|p| p.1)
        .fold(0.0, f64::max);
    let elsewhere = points
        .iter()
        .filter(|p| !burst(p.0))
        .map(|p| p.1)
        .fold(0.0, f64::max);
    assert!(peak >= 10.0 && peak > 3.0 * elsewhere, "{points:?}");
}

#[tokio::test]
async fn a_json_field_narrows_the_lines_and_labels_them() {
    let (demo, now) = demo().await;
    let mut params = hour_before(now);
    params.push(("query", r#"{app="api"} | json | http_status="200""#.into()));
    params.push(("limit", "1000".into()));
    let answer = get_json(&demo, "/loki/api/v1/query_range", &params).await;
    assert_eq!(answer["data"]["resultType"], "streams");
    let streams = answer["data"]["result"].as_array().unwrap();
    let mut lines = 0;
    for stream in streams {
        let labels = &stream["stream"];
        assert_eq!(labels["http_status"], "200", "{labels}");
        assert_eq!(labels["http_method"], "GET");
        assert_eq!(labels["detected_level"], "info");
        assert!(labels["traceId"].as_str().is_some_and(|id| id.len() == 32));
        for value in stream["values"].as_array().unwrap() {
            assert!(value[1].as_str().unwrap().contains(r#""status":200"#));
            lines += 1;
        }
    }
    let served = demo.data.traces.iter().filter(|t| !t.failed()).count();
    assert_eq!(lines, served, "one access line per request that succeeded");
    // The other way round, logfmt's `!=` on the auth lines.
    params[2] = ("query", r#"{app="auth"} | logfmt | level!="info""#.into());
    let answer = get_json(&demo, "/loki/api/v1/query_range", &params).await;
    let levels: Vec<&str> = answer["data"]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stream"]["level"].as_str().unwrap())
        .collect();
    assert!(!levels.is_empty() && levels.iter().all(|l| *l == "error" || *l == "fatal"));
}

#[tokio::test]
async fn a_followed_pod_log_keeps_growing_with_the_shops_traffic() {
    let (demo, _) = demo().await;
    let url = format!(
        "{}/api/v1/namespaces/shop/pods/api-5c6b9d7f4-mz8wn/log?follow=true&tailLines=0",
        demo.kube_url
    );
    let response = reqwest::get(url).await.unwrap();
    let mut body = response.bytes_stream();
    let chunk = tokio::time::timeout(Duration::from_secs(10), body.next())
        .await
        .expect("no line within 10 s")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(chunk.to_vec()).unwrap();
    let live = demo
        .data
        .upcoming
        .iter()
        .any(|t| text.contains(&t.hex_id()));
    assert!(live, "not a request served since the start: {text}");
}
