//! Everything `update` reacts to.

use super::action::Action;
use super::effect::RequestId;
use crate::backend::BackendError;
use crate::domain::{LogLine, Trace};

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
}

impl Msg {
    /// The request a backend result answers.
    pub fn request_id(&self) -> Option<RequestId> {
        match self {
            Msg::LogsLoaded { id, .. } | Msg::TraceLoaded { id, .. } => Some(*id),
            _ => None,
        }
    }
}
