//! One client per source. Wire formats stop here: what leaves is domain
//! values and typed errors.

pub mod answer;
pub mod cluster;
pub mod http;
pub mod loki;
pub mod otlp_json;
pub mod prometheus;
pub mod retry;
pub mod tempo;

pub use http::{Auth, Endpoint, HttpClient, Tls};
pub use loki::{Direction, LogQuery, LokiClient};
pub use prometheus::PrometheusClient;
pub use retry::RetryPolicy;
pub use tempo::TempoClient;

use crate::domain::SafeText;
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Loki,
    Tempo,
    Prometheus,
    Kubernetes,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Source::Loki => "Loki",
            Source::Tempo => "Tempo",
            Source::Prometheus => "Prometheus",
            Source::Kubernetes => "Kubernetes",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// No URL configured for this source.
    NotConfigured,
    /// The configuration cannot make a client (bad URL, unreadable CA file).
    Config,
    /// Connecting failed: refused, DNS, TLS.
    Unreachable,
    /// No answer within the deadline.
    Timeout,
    /// The server answered with an error status.
    Http,
    /// The answer could not be read as the API promises.
    Decode,
    /// The answer was larger than we keep.
    TooLarge,
    /// The thing asked for does not exist.
    NotFound,
    /// The request is valid but not something this view can show.
    Unsupported,
}

/// What went wrong talking to a backend, with the backend's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BackendError {
    pub source: Source,
    pub kind: ErrorKind,
    pub status: Option<u16>,
    /// Sanitised; never holds credentials.
    pub message: SafeText,
}

impl BackendError {
    pub fn new(source: Source, kind: ErrorKind, message: impl AsRef<str>) -> Self {
        BackendError {
            source,
            kind,
            status: None,
            message: SafeText::new(message.as_ref()),
        }
    }

    /// The same error, told as the backend's (a cluster error on the way
    /// to Tempo is Tempo's problem to the reader).
    pub fn with_source(self, source: Source) -> Self {
        BackendError { source, ..self }
    }
}

impl fmt::Display for BackendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.status {
            Some(status) => write!(f, "{}: HTTP {status}: {}", self.source, self.message),
            None => write!(f, "{}: {}", self.source, self.message),
        }
    }
}

impl std::error::Error for BackendError {}
