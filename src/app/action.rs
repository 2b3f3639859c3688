//! What a key means, once the keymap has read it.

use crossterm::event::KeyEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-z: back to the shell, as job control does; `fg` returns.
    Suspend,
    ToggleHelp,
    Back,
    /// Ask the backend again: the same query ending now, the same trace.
    Reload,
    /// Copy the selection's value to the clipboard, or the whole view.
    Copy,
    CopyView,
    OpenCommand,
    OpenSearch,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Collapse the selected span, or move to its parent.
    Collapse,
    /// Expand the selected span, or move to its first child.
    Expand,
    ToggleCollapse,
    /// Follow what is under the cursor: a trace id, a span.
    Open,
    NextMatch,
    PrevMatch,
    ToggleWrap,
    ToggleFilter,
    ToggleDetail,
    /// Metrics: a longer or shorter window.
    ZoomOut,
    ZoomIn,
    /// Metrics: move the window back or forward in time.
    Earlier,
    Later,
    /// Metrics: the legend's cursor to the next series; show it alone.
    NextSeries,
    Isolate,
    /// Metrics: open the PromQL editor on the expression.
    EditQuery,
    /// Trace: fold every span deeper than this many levels; 0 unfolds all.
    CollapseToDepth(u8),
    /// Trace: the selected span's subtree as the whole view, and back.
    Focus,
    Unfocus,
    /// Trace: filter toggles.
    ErrorsOnly,
    SlowerThan,
    /// Trace: only the critical path.
    CriticalOnly,
    /// Trace: the statistics table, and back to the waterfall.
    Statistics,
    /// Trace and logs: open the pod the span or line came from.
    OpenPod,
    /// Pods: sort by a column (again: reverse).
    SortBy(PodColumn),
    /// Trace search: sort by start or duration (again: reverse).
    SortTraces(TraceColumn),
    /// Pods: the container's log from the API server, followed (of every
    /// marked pod, merged, when some are marked).
    PodLogs,
    /// Logs: the selected line's fields, or back to the lines.
    Fields,
    /// Logs' fields: narrow the query to the field's value, or leave it out.
    Narrow,
    Exclude,
    /// Logs' fields: the field as a column, or not.
    ToggleColumn,
    /// Logs: the patterns of the query's lines.
    Patterns,
    /// Logs: the volume histogram's bars take the keys, or let go.
    Volume,
    /// Logs: follow a Loki query live, or stop.
    Follow,
    /// Pods: mark or unmark the pod under the cursor.
    Mark,
    /// Pods: the log of the container's previous run.
    PreviousLogs,
    /// Pods: the pod's logs in Loki.
    LokiLogs,
    /// Trace: the span's graphs in Prometheus (traces to metrics).
    SpanMetrics,
    /// Services: the calls between services, or back to the services.
    ToggleEdges,
    /// Services: the row's failed traces.
    ErrorTraces,
    /// Services: the row's traces slower than its p99.
    SlowTraces,
    /// Services: graph the row's latency.
    GraphLatency,
    /// A key typed into the command line or search prompt.
    Input(KeyEvent),
    Submit,
    CancelInput,
}

/// A column of the trace search's list, to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TraceColumn {
    Start,
    Duration,
}

/// A column of the pods list, to sort by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PodColumn {
    Namespace,
    Name,
    Ready,
    Status,
    Restarts,
    Age,
    Node,
    Ip,
}
