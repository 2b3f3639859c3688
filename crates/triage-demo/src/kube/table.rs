//! kubectl's server-side printing: `kubectl get` asks for a meta.k8s.io/v1
//! `Table` and prints its cells as they come. Without it kubectl shows only
//! names and ages, so the demo prints pods, events and namespaces the way
//! the API server's printers do.

use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use serde_json::{Value, json};
use triage_core::domain::Nanos;

/// A column: name, type, and priority (1: shown only with `-o wide`).
type Column = (&'static str, &'static str, u8);

pub trait Tabular {
    const COLUMNS: &'static [Column];
    fn meta(&self) -> &ObjectMeta;
    fn cells(&self, now: Nanos) -> Vec<Value>;
}

/// The table of `items`, each row with its object's metadata (kubectl
/// reads the namespace there for `-A`).
pub fn table<T: Tabular>(items: &[T], rv: Option<u64>, now: Nanos) -> Value {
    let columns: Vec<Value> = T::COLUMNS
        .iter()
        .map(|(name, kind, priority)| {
            let format = if *name == "Name" { "name" } else { "" };
            json!({ "name": name, "type": kind, "format": format, "description": "", "priority": priority })
        })
        .collect();
    let rows: Vec<Value> = items
        .iter()
        .map(|o| {
            let object = json!({ "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o.meta() });
            json!({ "cells": o.cells(now), "object": object })
        })
        .collect();
    let metadata = rv.map_or(json!({}), |rv| json!({ "resourceVersion": rv.to_string() }));
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": metadata,
        "columnDefinitions": columns,
        "rows": rows,
    })
}

fn nanos(time: &Time) -> Nanos {
    i64::try_from(time.0.as_nanosecond()).unwrap_or(i64::MAX)
}

/// How long ago `time` was, as kubectl writes ages (Go's
/// `duration.HumanDuration`).
pub fn age(time: Option<&Time>, now: Nanos) -> String {
    let Some(time) = time else { return "<unknown>".into() };
    human(now.saturating_sub(nanos(time)) / 1_000_000_000)
}

fn human(seconds: i64) -> String {
    let both = |n: i64, a: &str, m: i64, b: &str| {
        if m == 0 {
            format!("{n}{a}")
        } else {
            format!("{n}{a}{m}{b}")
        }
    };
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
    match seconds {
        s if s < -1 => "<invalid>".into(),
        s if s < 0 => "0s".into(),
        s if s < 120 => format!("{s}s"),
        _ if minutes < 10 => both(minutes, "m", seconds % 60, "s"),
        _ if minutes < 180 => format!("{minutes}m"),
        _ if hours < 8 => both(hours, "h", minutes % 60, "m"),
        _ if hours < 48 => format!("{hours}h"),
        _ if hours < 192 => both(days, "d", hours % 24, "h"),
        _ if days < 730 => format!("{days}d"),
        _ if days < 2920 => both(days / 365, "y", days % 365, "d"),
        _ => format!("{}y", days / 365),
    }
}

fn or_none(value: Option<&String>) -> String {
    value
        .filter(|v| !v.is_empty())
        .cloned()
        .unwrap_or_else(|| "<none>".into())
}

impl Tabular for Pod {
    const COLUMNS: &'static [Column] = &[
        ("Name", "string", 0),
        ("Ready", "string", 0),
        ("Status", "string", 0),
        ("Restarts", "string", 0),
        ("Age", "string", 0),
        ("IP", "string", 1),
        ("Node", "string", 1),
        ("Nominated Node", "string", 1),
        ("Readiness Gates", "string", 1),
    ];

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    /// As the API server's `printPod`, for pods without init containers.
    fn cells(&self, now: Nanos) -> Vec<Value> {
        let status = self.status.clone().unwrap_or_default();
        let containers = self.spec.as_ref().map_or(0, |s| s.containers.len());
        let mut reason = status
            .reason
            .clone()
            .or(status.phase.clone())
            .unwrap_or_default();
        let (mut ready, mut restarts, mut last_restart) = (0, 0, None::<Nanos>);
        for c in status.container_statuses.iter().flatten().rev() {
            restarts += c.restart_count;
            let finished = c
                .last_state
                .as_ref()
                .and_then(|s| s.terminated.as_ref())
                .and_then(|t| t.finished_at.as_ref());
            if let Some(at) = finished.map(nanos) {
                last_restart = Some(last_restart.map_or(at, |l: Nanos| l.max(at)));
            }
            let state = c.state.clone().unwrap_or_default();
            if let Some(why) = state
                .waiting
                .and_then(|w| w.reason)
                .filter(|r| !r.is_empty())
            {
                reason = why;
            } else if let Some(t) = state.terminated {
                reason = t
                    .reason
                    .unwrap_or_else(|| format!("ExitCode:{}", t.exit_code));
            } else if c.ready && state.running.is_some() {
                ready += 1;
            }
        }
        let restarts = match last_restart {
            Some(at) => format!(
                "{restarts} ({} ago)",
                human(now.saturating_sub(at) / 1_000_000_000)
            ),
            None => restarts.to_string(),
        };
        let node = self.spec.as_ref().and_then(|s| s.node_name.as_ref());
        vec![
            json!(self.metadata.name),
            json!(format!("{ready}/{containers}")),
            json!(reason),
            json!(restarts),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
            json!(or_none(status.pod_ip.as_ref())),
            json!(or_none(node)),
            json!("<none>"),
            json!("<none>"),
        ]
    }
}

impl Tabular for Event {
    const COLUMNS: &'static [Column] = &[
        ("Last Seen", "string", 0),
        ("Type", "string", 0),
        ("Reason", "string", 0),
        ("Object", "string", 0),
        ("Subobject", "string", 1),
        ("Source", "string", 1),
        ("Message", "string", 0),
        ("First Seen", "string", 1),
        ("Count", "string", 1),
        ("Name", "string", 1),
    ];

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn cells(&self, now: Nanos) -> Vec<Value> {
        let o = &self.involved_object;
        let kind = o.kind.as_deref().unwrap_or_default().to_lowercase();
        let source = self.source.clone().unwrap_or_default();
        let source = [source.component, source.host]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", ");
        vec![
            json!(age(self.last_timestamp.as_ref(), now)),
            json!(self.type_),
            json!(self.reason),
            json!(format!("{kind}/{}", o.name.as_deref().unwrap_or_default())),
            json!(o.field_path.clone().unwrap_or_default()),
            json!(source),
            json!(self.message.as_deref().unwrap_or_default().trim()),
            json!(age(self.first_timestamp.as_ref(), now)),
            json!(self.count.unwrap_or(1).to_string()),
            json!(self.metadata.name),
        ]
    }
}

impl Tabular for Namespace {
    const COLUMNS: &'static [Column] = &[
        ("Name", "string", 0),
        ("Status", "string", 0),
        ("Age", "string", 0),
    ];

    fn meta(&self) -> &ObjectMeta {
        &self.metadata
    }

    fn cells(&self, now: Nanos) -> Vec<Value> {
        let phase = self.status.as_ref().and_then(|s| s.phase.clone());
        vec![
            json!(self.metadata.name),
            json!(phase),
            json!(age(self.metadata.creation_timestamp.as_ref(), now)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::human;

    #[test]
    fn ages_read_as_kubectl_writes_them() {
        let cases = [
            (59, "59s"),
            (119, "119s"),
            (432, "7m12s"),
            (600, "10m"),
            (3000, "50m"),
            (3 * 3600 + 120, "3h2m"),
            (30 * 3600, "30h"),
            (3 * 86_400, "3d"),
            (9 * 86_400, "9d"),
        ];
        for (seconds, text) in cases {
            assert_eq!(human(seconds), text);
        }
    }
}
