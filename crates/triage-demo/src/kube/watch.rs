//! `?watch=true`: a chunked response of one JSON watch event per line,
//! every change after the asked resourceVersion and then each change as it
//! happens, until `timeoutSeconds` or the demo stops.

use super::cluster::{Cluster, Expired};
use super::object::Object;
use super::select::Filter;
use super::table;
use super::{bad_request, is_true};
use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use k8s_openapi::Resource;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ListMeta, Status, WatchEvent};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::convert::Infallible;
use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::{Instant, sleep_until};

/// The API server's default when the client gives no timeout.
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1800);
/// How often a watch that allows bookmarks gets one, about as often as
/// the API server sends them.
const BOOKMARK_EVERY: Duration = Duration::from_secs(60);

/// One watch in progress.
struct Watching<T> {
    cluster: Arc<Cluster>,
    filter: Filter,
    table: bool,
    /// Everything up to this resourceVersion has been sent.
    sent: u64,
    /// Lines to send before any change: the initial events, or an error.
    first: Option<Vec<u8>>,
    /// Whether the watch ends after `first`: it was an error.
    done: bool,
    ends: Instant,
    bookmark_at: Option<Instant>,
    steps: tokio::sync::watch::Receiver<u64>,
    kind: PhantomData<T>,
}

pub fn watch<T>(
    cluster: Arc<Cluster>,
    filter: Filter,
    params: &HashMap<String, String>,
    table: bool,
) -> Response
where
    T: Object + Resource + Serialize,
{
    let timeout = params
        .get("timeoutSeconds")
        .and_then(|t| t.parse().ok())
        .map_or(DEFAULT_TIMEOUT, Duration::from_secs);
    let bookmarks = is_true(params, "allowWatchBookmarks");
    let initial_events = is_true(params, "sendInitialEvents");
    let asked = params.get("resourceVersion").map_or("", String::as_str);
    let steps = cluster.steps();
    let (first, sent, done) = {
        let state = cluster.state();
        let now = state.now();
        if asked.is_empty() || asked == "0" || initial_events {
            // Any version will do: the objects as they are now, then changes.
            let mut lines = Vec::new();
            for object in T::current(&state).iter().filter(|o| filter.selects(*o)) {
                lines.extend(line(&added(object, table, now)));
            }
            if initial_events {
                lines.extend(line(&bookmark::<T>(state.rv, true)));
            }
            (lines, state.rv, false)
        } else {
            let Ok(from) = asked.parse::<u64>() else {
                return bad_request(format!("invalid resource version: {asked}"));
            };
            match state.changes_after(from) {
                Ok(_) => (Vec::new(), from, false),
                Err(Expired) => (line(&expired::<T>(from, state.rv)), from, true),
            }
        }
    };
    let now = Instant::now();
    let watching = Watching::<T> {
        cluster,
        filter,
        table,
        sent,
        first: Some(first),
        done,
        ends: now + timeout,
        bookmark_at: bookmarks.then(|| now + BOOKMARK_EVERY),
        steps,
        kind: PhantomData,
    };
    let stream = futures::stream::unfold(watching, next_chunk);
    (
        [(header::CONTENT_TYPE, "application/json")],
        Body::from_stream(stream),
    )
        .into_response()
}

fn line(event: &impl Serialize) -> Vec<u8> {
    let mut bytes = serde_json::to_vec(event).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// The object as a watch event carries it: itself, or kubectl's one-row table.
fn shown<T: Object + Serialize>(object: &T, table: bool, now: i64) -> Value {
    if table {
        table::table(std::slice::from_ref(object), None, now)
    } else {
        serde_json::to_value(object).unwrap_or_default()
    }
}

fn added<T: Object + Serialize>(object: &T, table: bool, now: i64) -> WatchEvent<Value> {
    WatchEvent::Added(shown(object, table, now))
}

/// A bookmark, written by hand: k8s-openapi's leaves out the kind and
/// apiVersion that kube's watcher requires.
fn bookmark<T: Resource>(rv: u64, initial_events_end: bool) -> Value {
    let mut metadata = json!({ "resourceVersion": rv.to_string() });
    if initial_events_end {
        metadata["annotations"] = json!({ "k8s.io/initial-events-end": "true" });
    }
    json!({
        "type": "BOOKMARK",
        "object": { "kind": T::KIND, "apiVersion": T::API_VERSION, "metadata": metadata },
    })
}

/// The 410 Gone that tells a client to list again.
fn expired<T>(from: u64, now: u64) -> WatchEvent<T> {
    WatchEvent::ErrorStatus(Status {
        status: Some("Failure".into()),
        reason: Some("Expired".into()),
        code: Some(410),
        message: Some(format!("too old resource version: {from} ({now})")),
        details: None,
        metadata: ListMeta::default(),
    })
}

impl<T: Object + Resource + Serialize> Watching<T> {
    /// The lines for the changes not sent yet; `None` when the changes
    /// since `sent` are no longer kept.
    fn changes(&mut self) -> Option<Vec<u8>> {
        let state = self.cluster.state();
        let now = state.now();
        let mut lines = Vec::new();
        for change in state.changes_after(self.sent).ok()? {
            let Some(object) = T::changed(change).filter(|o| self.filter.selects(*o)) else {
                continue;
            };
            let object = shown(object, self.table, now);
            lines.extend(line(&WatchEvent::Modified(object)));
        }
        // Every resourceVersion after the first is a kept change.
        self.sent = state.rv;
        Some(lines)
    }
}

async fn next_chunk<T>(mut w: Watching<T>) -> Option<(Result<Bytes, Infallible>, Watching<T>)>
where
    T: Object + Resource + Serialize,
{
    if let Some(first) = w.first.take().filter(|f| !f.is_empty()) {
        return Some((Ok(Bytes::from(first)), w));
    }
    if w.done {
        return None;
    }
    loop {
        match w.changes() {
            Some(lines) if lines.is_empty() => {}
            Some(lines) => return Some((Ok(Bytes::from(lines)), w)),
            None => {
                let error = line(&expired::<T>(w.sent, w.cluster.state().rv));
                w.done = true;
                return Some((Ok(Bytes::from(error)), w));
            }
        }
        let bookmark_at = w.bookmark_at.unwrap_or(w.ends);
        tokio::select! {
            () = sleep_until(w.ends) => return None,
            changed = w.steps.changed() => {
                if changed.is_err() {
                    return None; // the demo stopped
                }
            }
            () = sleep_until(bookmark_at), if w.bookmark_at.is_some() => {
                w.bookmark_at = Some(Instant::now() + BOOKMARK_EVERY);
                return Some((Ok(Bytes::from(line(&bookmark::<T>(w.sent, false)))), w));
            }
        }
    }
}
