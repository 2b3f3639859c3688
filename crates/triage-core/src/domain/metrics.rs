//! What Prometheus answers: series of points, exemplars, alerts and rules.

use super::{Labels, Nanos, SafeText, TraceId};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub time: Nanos,
    /// May be NaN or infinite: Prometheus says so as often as it means it.
    pub value: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub labels: Labels,
    pub points: Vec<Point>,
}

/// Where exemplars keep a trace id when the config names another label.
const TRACE_LABELS: [&str; 3] = ["trace_id", "traceID", "traceId"];

/// A sample that carries labels of its own, typically a trace id.
#[derive(Clone, Debug, PartialEq)]
pub struct Exemplar {
    /// The series the exemplar was recorded on; shared by its exemplars.
    pub series: Arc<Labels>,
    pub labels: Labels,
    pub value: f64,
    pub time: Nanos,
}

impl Exemplar {
    /// The trace it points at, under the label the context names
    /// (`trace_id` and `traceID` are both common).
    /// The trace id under the configured label, else under the names the
    /// usual writers give it (OpenTelemetry SDKs' `trace_id`, Tempo's
    /// metrics generator's `traceID`).
    pub fn trace_id(&self, configured: &str) -> Option<TraceId> {
        std::iter::once(configured)
            .chain(TRACE_LABELS)
            .find_map(|label| self.labels.get(label))
            .and_then(|value| TraceId::from_hex(value))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlertState {
    Firing,
    Pending,
    Inactive,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: Labels,
    pub state: AlertState,
    pub active_since: Option<Nanos>,
    pub value: SafeText,
}

impl Alert {
    pub fn name(&self) -> &str {
        self.labels.get("alertname").map_or("", |n| n.as_str())
    }

    pub fn severity(&self) -> &str {
        self.labels.get("severity").map_or("", |n| n.as_str())
    }

    /// An annotation such as `summary`, `description` or `runbook_url`.
    pub fn annotation(&self, name: &str) -> Option<&str> {
        self.annotations.get(name).map(SafeText::as_str)
    }
}

/// An alerting rule: the expression to graph when its alert fires.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRule {
    pub name: SafeText,
    /// The rule's expression, made safe like any text from outside (the
    /// printable PromQL a rule holds is unchanged by it).
    pub query: SafeText,
    pub alerts: Vec<Alert>,
}

/// What a metric's values measure, as far as an axis needs to know.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Bytes,
    None,
}

impl Unit {
    /// A unit named by metadata that the axis knows how to write.
    pub fn from_metadata(unit: &str) -> Option<Unit> {
        match unit {
            "seconds" => Some(Unit::Seconds),
            "bytes" => Some(Unit::Bytes),
            _ => None,
        }
    }

    /// The unit, read from the metric's name by Prometheus's naming rules.
    pub fn of_expression(promql: &str) -> Unit {
        if promql.contains("_seconds") && !promql.contains("_count") {
            Unit::Seconds
        } else if promql.contains("_bytes") {
            Unit::Bytes
        } else {
            Unit::None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_is_read_from_the_metric_name() {
        let of = Unit::of_expression;
        assert_eq!(
            of("histogram_quantile(0.99, rate(x_seconds_bucket[1m]))"),
            Unit::Seconds
        );
        assert_eq!(of("rate(x_seconds_count[1m])"), Unit::None);
        assert_eq!(of("node_memory_MemFree_bytes"), Unit::Bytes);
        assert_eq!(of("rate(http_requests_total[1m])"), Unit::None);
        assert_eq!(Unit::from_metadata("bytes"), Some(Unit::Bytes));
        assert_eq!(Unit::from_metadata("requests"), None);
    }
}
