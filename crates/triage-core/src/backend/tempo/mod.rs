//! Tempo's trace by id.
//! API: <https://grafana.com/docs/tempo/latest/api_docs/>

mod search;

use super::answer::{Answer, Reading, server_words};
use super::error::Unreadable;
use super::error::{BackendError, ErrorKind, Part, Problem, ServerWords, Source, TempoLimit};
use super::http::{Endpoint, HttpClient};
use super::otlp_json::{self, Decoded};
use super::otlp_proto::{self, Shape};
use crate::domain::{SafeText, Trace, TraceId};
use tokio::sync::watch;

/// The most bytes of one trace by id read unless the config says
/// otherwise: a 1,000,000-span trace is about 100 MB as protobuf.
pub const DEFAULT_TRACE_MAX_BYTES: u64 = 512 * 1024 * 1024;

/// Asked for, and what Tempo answers when it can: a third of the JSON's size.
const PROTOBUF: &str = "application/protobuf";

#[derive(Clone, Debug)]
pub struct TempoClient {
    http: HttpClient,
    trace_max_bytes: u64,
}

impl TempoClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(TempoClient {
            http: HttpClient::new(Source::Tempo, endpoint)?,
            trace_max_bytes: DEFAULT_TRACE_MAX_BYTES,
        })
    }

    /// The same client, reading a trace by id up to `bytes` (the config's
    /// `trace_max_bytes`); every other answer keeps the one cap of all.
    pub fn with_trace_max_bytes(self, bytes: u64) -> Self {
        TempoClient {
            trace_max_bytes: bytes,
            ..self
        }
    }

    /// A trace by id: `/api/v2/traces/<id>`, or `/api/traces/<id>` on
    /// servers older than Tempo 2.5 that do not have v2; in protobuf, or
    /// in JSON from a server (or a proxy) that does not answer protobuf.
    pub async fn trace(&self, id: TraceId) -> Result<Trace, BackendError> {
        self.read_trace(id, None).await
    }

    /// [`trace`](Self::trace), telling `progress` the bytes received as
    /// they arrive (from 0 again when it asks again).
    pub async fn trace_with_progress(
        &self,
        id: TraceId,
        progress: watch::Sender<u64>,
    ) -> Result<Trace, BackendError> {
        self.read_trace(id, Some(&progress)).await
    }

    async fn read_trace(
        &self,
        id: TraceId,
        progress: Option<&watch::Sender<u64>>,
    ) -> Result<Trace, BackendError> {
        let reading = Reading {
            limit: self.trace_max_bytes,
            progress,
        };
        let (answer, shape) = self.ask(id, reading).await.map_err(over_cap)?;
        if !answer.is_success() {
            return Err(self.refused(&answer));
        }
        match self.decode(id, answer, shape).await? {
            Decoded::Found(trace) => Ok(trace),
            Decoded::Empty => Err(self.not_found(id)),
        }
    }

    /// The v2 answer, else the v1 one where v2 is missing.
    async fn ask(
        &self,
        id: TraceId,
        reading: Reading<'_>,
    ) -> Result<(Answer, Shape), BackendError> {
        let accept = [("accept", PROTOBUF)];
        let v2 = format!("api/v2/traces/{id}");
        let answer = self.http.get_reading(&v2, &[], &accept, reading).await?;
        // v2 answers an unknown id with 200 and an empty trace, so a 404
        // here means the route itself is missing.
        if answer.status != 404 {
            return Ok((answer, Shape::Response));
        }
        let v1 = format!("api/traces/{id}");
        let answer = self.http.get_reading(&v1, &[], &accept, reading).await?;
        if answer.status == 404 {
            // Tempo's own "no such trace" is an empty 404; a router's is not.
            return Err(if answer.body.iter().all(u8::is_ascii_whitespace) {
                self.not_found(id)
            } else {
                self.http.fail(ErrorKind::NotFound, Problem::NoTempoApi)
            });
        }
        Ok((answer, Shape::Trace))
    }

    /// Decodes off the async task: a big trace takes a while.
    async fn decode(
        &self,
        id: TraceId,
        answer: Answer,
        shape: Shape,
    ) -> Result<Decoded, BackendError> {
        let protobuf = is_protobuf(&answer.content_type);
        let secrets = self.http.redactor().clone();
        let body = answer.body;
        let work = move || {
            if protobuf {
                otlp_proto::decode_trace(id, &body, shape, &secrets)
            } else {
                otlp_json::decode_trace(id, &body, &secrets)
            }
        };
        let unreadable = |why| self.http.decode_error(Part::TempoTrace, why);
        match tokio::task::spawn_blocking(work).await {
            Ok(decoded) => decoded.map_err(unreadable),
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(unreadable(Unreadable::Interrupted)),
        }
    }

    /// An error answer, told as one of Tempo's own limits when it names one.
    fn refused(&self, answer: &Answer) -> BackendError {
        let said = match server_words(answer, self.http.redactor()) {
            ServerWords::Said(words) => words,
            _ => return self.http.status_error(answer),
        };
        let Some(limit) = tempo_limit(&said).filter(|_| answer.status >= 400) else {
            return self.http.status_error(answer);
        };
        let problem = Problem::TempoLimit { limit, words: said };
        self.http
            .fail(ErrorKind::TooLarge, problem)
            .with_status(answer.status)
            .after_attempts(answer.attempts)
    }

    fn not_found(&self, id: TraceId) -> BackendError {
        self.http
            .fail(ErrorKind::NotFound, Problem::TraceNotFound(id))
    }
}

/// Over the cap of a trace by id: the config's `trace_max_bytes`, not
/// the cap of every other answer.
fn over_cap(mut e: BackendError) -> BackendError {
    if let Problem::TooLarge(what) = e.message.problem {
        e.message.problem = Problem::TraceTooLarge(what);
    }
    e
}

/// Tempo's words for its own limits (`pkg/model/trace` and the query
/// frontend's worker), as 2.x writes them.
fn tempo_limit(words: &SafeText) -> Option<TempoLimit> {
    let words = words.to_ascii_lowercase();
    if words.contains("trace exceeds max size") {
        Some(TempoLimit::MaxBytesPerTrace)
    } else if words.contains("response larger than the max") {
        Some(TempoLimit::MessageSize)
    } else {
        None
    }
}

/// `application/protobuf` (Tempo's), or its other common names.
fn is_protobuf(content_type: &str) -> bool {
    let media = content_type.split(';').next().unwrap_or("").trim();
    [
        "application/protobuf",
        "application/x-protobuf",
        "application/vnd.google.protobuf",
    ]
    .iter()
    .any(|name| media.eq_ignore_ascii_case(name))
}
