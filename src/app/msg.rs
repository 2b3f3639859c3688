//! Everything `update` reacts to.

use super::action::Action;
use super::effect::RequestId;
use crate::backend::BackendError;
use crate::backend::prometheus::Answered;
use crate::domain::{Exemplar, LogLine, Series, Trace};

#[derive(Debug)]
pub enum Msg {
    Action(Action),
    Resize {
        width: u16,
        height: u16,
    },
    /// Time passed; sent only while something on screen shows elapsed time.
    Tick,
    LogsLoaded {
        id: RequestId,
        result: Result<Vec<LogLine>, BackendError>,
    },
    TraceLoaded {
        id: RequestId,
        result: Result<Trace, BackendError>,
    },
    MetricsLoaded {
        id: RequestId,
        result: Result<Metrics, BackendError>,
    },
}

/// A graph's data: the series, and its exemplars, which may fail alone
/// (a server without exemplar storage must not lose the graph).
#[derive(Debug)]
pub struct Metrics {
    pub series: Answered<Vec<Series>>,
    pub exemplars: Result<Vec<Exemplar>, BackendError>,
}

impl Msg {
    /// The request a backend result answers.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Msg::LogsLoaded { id, .. }
            | Msg::TraceLoaded { id, .. }
            | Msg::MetricsLoaded { id, .. } => Some(*id),
            _ => None,
        }
    }
}
