//! Where a jump, a command or the command line can go.

use std::time::Duration;
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::domain::{Nanos, PodKey, SafeText, SpanId, TimeRange, TraceId};

/// What the place a jump came from knew of a pod (span attributes, log
/// labels), shown if the pod is gone.
pub type Known = Vec<(String, SafeText)>;

/// Which pods' logs a merged view follows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PodPick {
    /// These containers (the pods the pods view marked).
    Containers(Vec<PodLogRequest>),
    /// Every container of the pods whose labels match, in the current
    /// namespaces.
    Selector(String),
}

/// A place to go: what a jump, a command or the command line opens.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A LogQL query over the configured span up to now.
    Logs(String),
    /// A LogQL query over a given time (a span's logs).
    LogsBetween {
        logql: String,
        range: TimeRange,
    },
    /// A container's log from the API server, in a kubeconfig context.
    PodLogs {
        context: Option<String>,
        request: PodLogRequest,
    },
    /// The logs of several containers, merged in time order.
    MergedLogs {
        context: Option<String>,
        pods: PodPick,
    },
    Trace(TraceId),
    /// A trace with one of its spans selected (a search's matched span).
    TraceAt {
        trace_id: TraceId,
        span_id: SpanId,
    },
    /// A TraceQL search over the last `since`.
    Traces {
        traceql: String,
        since: Duration,
    },
    /// A PromQL graph over `span` ending at `end` (never past now).
    Metrics {
        promql: String,
        span: Duration,
        end: Nanos,
    },
    /// A LogQL metric query's graph, asked of Loki, as `Metrics`.
    LokiMetrics {
        logql: String,
        span: Duration,
        end: Nanos,
    },
    /// The patterns of a log query's lines over a time.
    Patterns {
        logql: String,
        range: TimeRange,
    },
    Alerts,
    /// Rate, errors and latency per service, or (named) per operation of one.
    Services(Option<String>),
    /// The pods list with a filter typed in (a service's pods).
    PodsFiltered(String),
    /// Pods of a context and namespaces; None: the current scope.
    Pods(Option<(Option<String>, Namespaces)>),
    /// One pod; `known` is what the jump's origin knew of it, shown if it
    /// is gone.
    Pod {
        context: Option<String>,
        key: PodKey,
        known: Known,
    },
}
