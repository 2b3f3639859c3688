//! Tempo's trace by id.
//! API: <https://grafana.com/docs/tempo/latest/api_docs/>

mod search;

use super::error::{BackendError, ErrorKind, Part, Problem, Source};
use super::http::{Endpoint, HttpClient};
use super::otlp_json::{Decoded, decode_trace};
use crate::domain::{Trace, TraceId};

#[derive(Clone, Debug)]
pub struct TempoClient {
    http: HttpClient,
}

impl TempoClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(TempoClient {
            http: HttpClient::new(Source::Tempo, endpoint)?,
        })
    }

    /// A trace by id: `/api/v2/traces/<id>`, or `/api/traces/<id>` on
    /// servers older than Tempo 2.5 that do not have v2.
    pub async fn trace(&self, id: TraceId) -> Result<Trace, BackendError> {
        let accept = [("accept", "application/json")];
        let mut answer = self
            .http
            .get_with(&format!("api/v2/traces/{id}"), &[], &accept)
            .await?;
        if answer.status == 404 {
            // v2 answers an unknown id with 200 and an empty trace, so a 404
            // here means the route itself is missing.
            answer = self
                .http
                .get_with(&format!("api/traces/{id}"), &[], &accept)
                .await?;
        }
        if answer.status == 404 {
            // Tempo's own "no such trace" is an empty 404; a router's is not.
            return Err(if answer.body.iter().all(u8::is_ascii_whitespace) {
                self.not_found(id)
            } else {
                self.http.fail(ErrorKind::NotFound, Problem::NoTempoApi)
            });
        }
        if !answer.is_success() {
            return Err(self.http.status_error(&answer));
        }
        match decode_trace(id, &answer.body, self.http.redactor()) {
            Ok(Decoded::Found(trace)) => Ok(trace),
            Ok(Decoded::Empty) => Err(self.not_found(id)),
            Err(why) => Err(self.http.decode_error(Part::TempoTrace, why)),
        }
    }

    fn not_found(&self, id: TraceId) -> BackendError {
        self.http
            .fail(ErrorKind::NotFound, Problem::TraceNotFound(id))
    }
}
