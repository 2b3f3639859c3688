//! The patterns Loki's pattern ingester found in a selector's lines:
//! `GET /loki/api/v1/patterns`. A Loki without a pattern ingester (it is
//! off by default) answers `404` with an empty body.

use super::LokiClient;
use crate::backend::error::{BackendError, ErrorKind, Part, Problem, Unreadable};
use crate::backend::prometheus::nanos;
use crate::domain::{LogPattern, TimeRange};
use crate::secret::Redactor;
use serde::Deserialize;
use std::time::Duration;

impl LokiClient {
    /// The patterns of the lines `selector` selects in `range`, counted
    /// per `step`, the most frequent first. [`Problem::NoPatterns`] when
    /// this Loki has no pattern ingester.
    pub async fn patterns(
        &self,
        selector: &str,
        range: TimeRange,
        step: Duration,
    ) -> Result<Vec<LogPattern>, BackendError> {
        let step = step.max(Duration::from_secs(1));
        let params = [
            ("query", selector.trim().to_owned()),
            ("start", range.start.to_string()),
            ("end", range.end.to_string()),
            ("step", format!("{}s", step.as_secs())),
        ];
        let answer = self.http.get("loki/api/v1/patterns", &params).await?;
        if answer.status == 404 {
            return Err(self
                .http
                .fail(ErrorKind::NotFound, Problem::NoPatterns)
                .with_status(404)
                .after_attempts(answer.attempts));
        }
        if !answer.is_success() {
            return Err(self.http.status_error(&answer));
        }
        decode_patterns(&answer.body, self.http.redactor())
            .map_err(|why| self.http.decode_error(Part::LokiAnswer, why))
    }
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    data: Option<Vec<WirePattern>>,
}

#[derive(Deserialize)]
struct WirePattern {
    pattern: String,
    #[serde(default)]
    samples: Vec<(serde_json::Number, u64)>,
}

/// Reads a patterns answer, most lines first (ties by pattern, so the
/// order does not change between two asks); each pattern made safe.
pub fn decode_patterns(body: &[u8], secrets: &Redactor) -> Result<Vec<LogPattern>, Unreadable> {
    let envelope: Envelope =
        serde_json::from_slice(body).map_err(|e| Unreadable::Json(secrets.safe(&e.to_string())))?;
    if envelope.status != "success" {
        return Err(Unreadable::Failed(
            secrets.safe(&envelope.error.unwrap_or(envelope.status)),
        ));
    }
    let mut patterns = Vec::new();
    for wire in envelope.data.unwrap_or_default() {
        let mut samples = Vec::with_capacity(wire.samples.len());
        for (time, count) in wire.samples {
            let seconds = time
                .as_f64()
                .ok_or_else(|| Unreadable::BadTimestamp(secrets.safe(&time.to_string())))?;
            samples.push((nanos(seconds), count));
        }
        samples.sort_by_key(|(time, _)| *time);
        patterns.push(LogPattern {
            pattern: secrets.safe(&wire.pattern),
            total: samples.iter().map(|(_, n)| n).sum(),
            samples,
        });
    }
    patterns.sort_by(|a, b| {
        b.total
            .cmp(&a.total)
            .then_with(|| a.pattern.cmp(&b.pattern))
    });
    Ok(patterns)
}
