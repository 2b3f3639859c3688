//! A Kubernetes watch as a view holds it: waiting for its first list, live,
//! or failing (it goes on trying; what it had is kept).

use super::effect::RequestId;
use triage_core::backend::BackendError;
use triage_core::domain::Nanos;

#[derive(Debug)]
pub enum Watch {
    Listing { id: RequestId, since: Nanos },
    Live { id: RequestId },
    Failing { id: RequestId, error: BackendError },
}

impl Watch {
    pub fn id(&self) -> RequestId {
        match self {
            Watch::Listing { id, .. } | Watch::Live { id } | Watch::Failing { id, .. } => *id,
        }
    }

    pub fn error(&self) -> Option<&BackendError> {
        match self {
            Watch::Failing { error, .. } => Some(error),
            _ => None,
        }
    }

    /// Moves on with what a watch sent: live after a change, failing after
    /// an error.
    pub fn record(&mut self, error: Option<BackendError>) {
        let id = self.id();
        *self = match error {
            Some(error) => Watch::Failing { id, error },
            None => Watch::Live { id },
        };
    }
}
