//! What `update` asks the runner to do. Every request carries the id of
//! the slot that waits for it.

use super::complete::Names;
use super::prompt::Language;
use std::time::Duration;
use triage_core::backend::LogQuery;
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::backend::loki::TailQuery;
use triage_core::correlate::{Scope, SpanMetricNames};
use triage_core::domain::{Nanos, PodKey, TimeRange, TraceId, TraceQuery};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(pub u64);

/// Hands out request ids, each once.
#[derive(Debug)]
pub struct RequestIds(u64);

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds(1)
    }
}

impl RequestIds {
    pub fn take(&mut self) -> RequestId {
        let id = RequestId(self.0);
        self.0 += 1;
        id
    }
}

/// Who answers a graph's expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetricSource {
    /// PromQL, asked of Prometheus.
    Prometheus,
    /// A LogQL metric query, asked of Loki.
    Loki,
}

impl MetricSource {
    pub fn language(self) -> Language {
        match self {
            MetricSource::Prometheus => Language::PromQl,
            MetricSource::Loki => Language::LogQl,
        }
    }
}

/// What to copy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clip {
    Text(String),
    /// The view on screen as `--print` draws it.
    View,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Effect {
    FetchLogs {
        id: RequestId,
        query: LogQuery,
    },
    FetchTrace {
        id: RequestId,
        trace_id: TraceId,
    },
    /// A range query and the exemplars of the same expression and window.
    FetchMetrics {
        id: RequestId,
        source: MetricSource,
        expression: String,
        range: TimeRange,
        step: Duration,
    },
    /// A TraceQL search over one window of time.
    SearchTraces {
        id: RequestId,
        query: TraceQuery,
    },
    /// Active alerts, and the rules that hold their expressions.
    FetchAlerts {
        id: RequestId,
    },
    /// Rate, errors and latency per service or operation, over a window.
    FetchRed {
        id: RequestId,
        names: SpanMetricNames,
        scope: Scope,
        range: TimeRange,
    },
    /// The calls between services, from the service graph, as of `at`
    /// (one instant for all three queries, so their ratios hold).
    FetchEdges {
        id: RequestId,
        names: SpanMetricNames,
        at: Nanos,
    },
    /// Names for completion: metrics, labels, or one label's values.
    FetchNames {
        id: RequestId,
        names: Names,
    },
    /// The label names Loki has over a time (a span's logs keep only those).
    FetchLokiLabels {
        id: RequestId,
        range: TimeRange,
    },
    /// Pods, then every change to them, until cancelled; with `name`,
    /// only that pod.
    WatchPods {
        id: RequestId,
        context: Option<String>,
        namespaces: Namespaces,
        name: Option<String>,
    },
    /// A pod's events.
    FetchEvents {
        id: RequestId,
        context: Option<String>,
        pod: PodKey,
    },
    /// Containers' logs (one or many, merged), and with `follow` their
    /// new lines until cancelled.
    StreamPodLogs {
        id: RequestId,
        context: Option<String>,
        requests: Vec<PodLogRequest>,
    },
    /// A log query's lines per level over its window, in steps.
    FetchVolume {
        id: RequestId,
        logql: String,
        range: TimeRange,
        step: Duration,
    },
    /// The patterns of a selector's lines over a window, counted per step.
    FetchPatterns {
        id: RequestId,
        selector: String,
        range: TimeRange,
        step: Duration,
    },
    /// A LogQL query's new lines as Loki's tail sends them, until cancelled.
    TailLogs {
        id: RequestId,
        query: TailQuery,
    },
    /// The pods whose labels match a selector, once.
    ListPods {
        id: RequestId,
        context: Option<String>,
        namespaces: Namespaces,
        selector: String,
    },
    /// Add an expression to its language's history file.
    Remember {
        language: Language,
        expression: String,
    },
    /// Put text on the terminal's clipboard (the loop writes it: it owns
    /// the terminal).
    Clipboard(Clip),
    /// The slot waiting for this request is gone: stop the work if it still runs.
    Cancel(RequestId),
}

impl Effect {
    /// The request this effect starts, if it is one.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Effect::FetchLogs { id, .. }
            | Effect::FetchTrace { id, .. }
            | Effect::SearchTraces { id, .. }
            | Effect::FetchMetrics { id, .. }
            | Effect::FetchAlerts { id }
            | Effect::FetchRed { id, .. }
            | Effect::FetchEdges { id, .. }
            | Effect::FetchNames { id, .. }
            | Effect::FetchLokiLabels { id, .. }
            | Effect::WatchPods { id, .. }
            | Effect::FetchEvents { id, .. }
            | Effect::StreamPodLogs { id, .. }
            | Effect::ListPods { id, .. }
            | Effect::TailLogs { id, .. }
            | Effect::FetchVolume { id, .. }
            | Effect::FetchPatterns { id, .. } => Some(*id),
            Effect::Remember { .. } | Effect::Cancel(_) | Effect::Clipboard(_) => None,
        }
    }
}
