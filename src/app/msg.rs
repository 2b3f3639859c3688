//! Everything `update` reacts to.

use super::action::Action;
use super::complete::Names;
use super::effect::RequestId;
use super::target::Target;
use triage_core::backend::BackendError;
use triage_core::backend::loki::TailEvent;
use triage_core::backend::prometheus::Answered;
use triage_core::correlate::{Edge, RedRow};
use triage_core::domain::log_summary::{LogPattern, Volume};
use triage_core::domain::{
    Alert, AlertRule, Exemplar, LogLine, Pod, PodChange, PodEvent, SafeText, SearchResult, Series,
    Trace,
};

#[derive(Debug)]
pub enum Msg {
    Action(Action),
    /// Go somewhere, as a jump or the command line would: the CLI's first
    /// view, and tests.
    Open(Target),
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed; sent only while the screen shows time passing.
    Tick,
    LogsLoaded {
        id: RequestId,
        result: Result<Vec<LogLine>, BackendError>,
    },
    TraceLoaded {
        id: RequestId,
        result: Result<Trace, BackendError>,
    },
    /// Bytes of a trace received so far; the trace follows.
    TraceProgress {
        id: RequestId,
        bytes: u64,
    },
    TracesFound {
        id: RequestId,
        result: Result<SearchResult, BackendError>,
    },
    MetricsLoaded {
        id: RequestId,
        result: Result<Metrics, BackendError>,
    },
    AlertsLoaded {
        id: RequestId,
        result: Result<Alerts, BackendError>,
    },
    RedLoaded {
        id: RequestId,
        result: Result<Vec<RedRow>, BackendError>,
        /// No rows, yet the calls series exist: the window holds too few
        /// samples for a rate.
        unrated: bool,
    },
    EdgesLoaded {
        id: RequestId,
        result: Result<Edges, BackendError>,
    },
    NamesLoaded {
        id: RequestId,
        names: Names,
        result: Result<Vec<SafeText>, BackendError>,
    },
    LokiLabelsLoaded {
        id: RequestId,
        result: Result<Vec<SafeText>, BackendError>,
    },
    /// What a pod watch saw since its last message; it goes on.
    PodsChanged {
        id: RequestId,
        changes: Vec<Result<PodChange, BackendError>>,
    },
    EventsLoaded {
        id: RequestId,
        result: Result<Vec<PodEvent>, BackendError>,
    },
    /// Lines of a container's log, oldest first; more may follow.
    PodLogs {
        id: RequestId,
        /// Which of the effect's containers.
        stream: usize,
        result: Result<Vec<LogLine>, BackendError>,
    },
    PatternsLoaded {
        id: RequestId,
        result: Result<Vec<LogPattern>, BackendError>,
    },
    VolumeLoaded {
        id: RequestId,
        result: Result<Volume, BackendError>,
    },
    /// What a followed query's tail told.
    Tailed {
        id: RequestId,
        event: Result<TailEvent, BackendError>,
    },
    /// The tail ended (refused, or cancelled).
    TailEnded {
        id: RequestId,
    },
    PodsListed {
        id: RequestId,
        result: Result<Vec<Pod>, BackendError>,
    },
    /// The container's log has no more lines (not followed, or it ended).
    PodLogsEnded {
        id: RequestId,
    },
}

/// Active alerts, and the rules that name their expressions; the rules may
/// fail alone (the list is still worth showing).
#[derive(Debug)]
pub struct Alerts {
    pub alerts: Vec<Alert>,
    pub rules: Result<Vec<AlertRule>, BackendError>,
}

/// A graph's data: the series, and its exemplars, which may fail alone
/// (a server without exemplar storage must not lose the graph).
#[derive(Debug)]
pub struct Metrics {
    pub series: Answered<Vec<Series>>,
    pub exemplars: Result<Vec<Exemplar>, BackendError>,
    /// The unit metadata gives the expression's metric, when it gives one.
    pub unit: Option<SafeText>,
}

/// The calls between services; `failed_counted`: the graph had failed
/// calls to read (Tempo writes the counter only once a call failed).
#[derive(Clone, Debug)]
pub struct Edges {
    pub edges: Vec<Edge>,
    pub failed_counted: bool,
}

impl Msg {
    /// The request a backend result answers.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Msg::LogsLoaded { id, .. }
            | Msg::TraceLoaded { id, .. }
            | Msg::TracesFound { id, .. }
            | Msg::TraceProgress { id, .. }
            | Msg::MetricsLoaded { id, .. }
            | Msg::AlertsLoaded { id, .. }
            | Msg::RedLoaded { id, .. }
            | Msg::EdgesLoaded { id, .. }
            | Msg::NamesLoaded { id, .. }
            | Msg::LokiLabelsLoaded { id, .. }
            | Msg::PodsChanged { id, .. }
            | Msg::EventsLoaded { id, .. }
            | Msg::PodLogs { id, .. }
            | Msg::PodsListed { id, .. }
            | Msg::Tailed { id, .. }
            | Msg::VolumeLoaded { id, .. }
            | Msg::PatternsLoaded { id, .. }
            | Msg::TailEnded { id }
            | Msg::PodLogsEnded { id } => Some(*id),
            _ => None,
        }
    }

    /// Whether it is one of many answers that may come quickly (lines of a
    /// followed log, a watch's changes): the screen is redrawn for them at
    /// a measured pace.
    pub fn pours(&self) -> bool {
        self.request_id().is_some() && self.finishes().is_none()
    }

    /// The request this message is the last answer of: streams answer
    /// many times and end only when cancelled or done.
    pub fn finishes(&self) -> Option<RequestId> {
        match self {
            Msg::PodsChanged { .. }
            | Msg::PodLogs { .. }
            | Msg::TraceProgress { .. }
            | Msg::Tailed { .. } => None,
            _ => self.request_id(),
        }
    }
}
