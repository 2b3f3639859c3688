//! One client per source. Wire formats stop here: what leaves is domain
//! values and typed errors.

pub mod alertmanager;
pub mod answer;
pub mod call;
pub mod cluster;
pub mod error;
pub mod http;
pub mod loki;
pub mod otlp_json;
pub mod otlp_proto;
pub mod prometheus;
pub mod retry;
pub mod tempo;
mod texts;
pub mod websocket;

pub use alertmanager::{AlertmanagerClient, Expiry};
pub use error::{BackendError, ErrorKind, Problem, Source};
pub use http::{Auth, Endpoint, HttpClient, Tls};
pub use loki::{Direction, LogQuery, LokiClient};
pub use prometheus::PrometheusClient;
pub use retry::RetryPolicy;
pub use tempo::{DEFAULT_TRACE_MAX_BYTES, TempoClient};
