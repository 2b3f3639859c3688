//! A slot that waits for one request: loading, ready or failed.

use super::effect::RequestId;
use triage_core::backend::BackendError;
use triage_core::domain::Nanos;

/// A slot that waits for one request.
#[derive(Debug)]
pub enum Loadable<T> {
    Loading { id: RequestId, since: Nanos },
    Ready(T),
    Failed(BackendError),
}

impl<T> Loadable<T> {
    /// The request this slot waits for, if any.
    pub fn pending(&self) -> Option<RequestId> {
        match self {
            Loadable::Loading { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn failed(&self) -> Option<&BackendError> {
        match self {
            Loadable::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// When the wait began, for "loading… 3s".
    pub fn loading_since(&self) -> Option<Nanos> {
        match self {
            Loadable::Loading { since, .. } => Some(*since),
            _ => None,
        }
    }
}
