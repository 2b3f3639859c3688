//! Lines per level over time, for the logs view's histogram.
//!
//! Loki's own `index/volume_range` counts bytes, not lines, and answers
//! nothing for `targetLabels=detected_level` (not an index label): see the
//! recorded answers. So the volume is a metric query through
//! `query_range`, `sum by (detected_level) (count_over_time(<query>[<step>]))`,
//! which counts the lines of a whole log query, its pipeline included.

use super::{Decoded, LokiClient};
use crate::backend::error::{BackendError, ErrorKind, Part, Problem, Unreadable};
use crate::backend::prometheus::nanos;
use crate::domain::log_summary::Counts;
use crate::domain::{Level, Nanos, TimeRange, Volume};
use crate::secret::Redactor;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::time::Duration;

impl LokiClient {
    /// How many lines of `logql` (a log query, pipeline and all) each
    /// level has per `step` over `range`.
    pub async fn volume(
        &self,
        logql: &str,
        range: TimeRange,
        step: Duration,
    ) -> Result<Volume, BackendError> {
        let step = step.max(Duration::from_millis(1));
        let params = [
            ("query", volume_query(logql, step)),
            ("start", range.start.to_string()),
            ("end", range.end.to_string()),
            ("step", step.as_secs_f64().to_string()),
        ];
        let answer = self.http.get("loki/api/v1/query_range", &params).await?;
        if !answer.is_success() {
            return Err(self.http.status_error(&answer));
        }
        let series = decode_volume(&answer.body, self.http.redactor()).map_err(|e| match e {
            Decoded::Unsupported(result_type) => {
                let problem = Problem::Ungraphable { result_type };
                self.http.fail(ErrorKind::Unsupported, problem)
            }
            Decoded::Failed(why) => self.http.decode_error(Part::LokiAnswer, why),
        })?;
        Ok(Volume {
            range,
            step,
            series,
        })
    }
}

/// The metric query that counts `logql`'s lines per level.
fn volume_query(logql: &str, step: Duration) -> String {
    format!(
        "sum by (detected_level) (count_over_time({}[{}]))",
        logql.trim(),
        duration(step)
    )
}

/// A duration as LogQL (and Grafana) writes one: `1m`, `1m30s`, `1s500ms`.
fn duration(step: Duration) -> String {
    let mut left = step.as_millis().max(1);
    let mut text = String::new();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if left >= size {
            text.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    text
}

#[derive(Deserialize)]
struct Envelope {
    status: String,
    #[serde(default)]
    error: Option<String>,
    data: Option<Data>,
}

/// (`resultType` is read before, from the JSON value.)
#[derive(Deserialize)]
struct Data {
    #[serde(default)]
    result: Vec<WireSeries>,
}

#[derive(Deserialize)]
struct WireSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(serde_json::Number, String)>,
}

/// Reads the matrix answer of the volume query into a series per level,
/// sorted by level. Levels that read the same (`warn`, `warning`) are added
/// up; no `detected_level`, or `unknown`, is [`Level::Unknown`].
pub fn decode_volume(body: &[u8], secrets: &Redactor) -> Result<Vec<(Level, Counts)>, Decoded> {
    let json =
        |e: serde_json::Error| Decoded::Failed(Unreadable::Json(secrets.safe(&e.to_string())));
    // The result type is read first: a vector's points are not a matrix's.
    let head: serde_json::Value = serde_json::from_slice(body).map_err(json)?;
    let result_type = head.pointer("/data/resultType").and_then(|t| t.as_str());
    if let Some(other) = result_type.filter(|t| *t != "matrix") {
        return Err(Decoded::Unsupported(secrets.safe(other)));
    }
    let envelope: Envelope = serde_json::from_value(head).map_err(json)?;
    if envelope.status != "success" {
        let said = secrets.safe(&envelope.error.unwrap_or(envelope.status));
        return Err(Decoded::Failed(Unreadable::Failed(said)));
    }
    let data = envelope.data.ok_or(Decoded::Failed(Unreadable::NoData))?;
    let mut levels: BTreeMap<Level, BTreeMap<Nanos, u64>> = BTreeMap::new();
    for series in data.result {
        let level = series
            .metric
            .get("detected_level")
            .map_or(Level::Unknown, |w| Level::from_word(w));
        let points = levels.entry(level).or_default();
        for (time, count) in series.values {
            let time = time.as_f64().map(nanos).ok_or_else(|| {
                Decoded::Failed(Unreadable::BadTimestamp(secrets.safe(&time.to_string())))
            })?;
            let count = lines(&count)
                .ok_or_else(|| Decoded::Failed(Unreadable::BadNumber(secrets.safe(&count))))?;
            *points.entry(time).or_default() += count;
        }
    }
    Ok(levels
        .into_iter()
        .map(|(level, points)| (level, points.into_iter().collect()))
        .collect())
}

/// A count as Loki writes it, `"24"` (a float in form, whole in fact).
fn lines(text: &str) -> Option<u64> {
    text.parse().ok().or_else(|| {
        let value: f64 = text.parse().ok()?;
        (value.is_finite() && value >= 0.0).then_some(value.round() as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_query_counts_lines_by_level_over_the_step() {
        let q = volume_query(r#"{app="api"} | logfmt |= "x" "#, Duration::from_secs(60));
        assert_eq!(
            q,
            r#"sum by (detected_level) (count_over_time({app="api"} | logfmt |= "x"[1m]))"#
        );
        assert_eq!(duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(duration(Duration::ZERO), "1ms");
    }

    #[test]
    fn levels_that_read_the_same_are_added_up() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"detected_level":"warn"},"values":[[60,"2"],[120,"1"]]},
            {"metric":{"detected_level":"WARNING"},"values":[[60,"3"]]},
            {"metric":{},"values":[[60,"4.0"]]}]}}"#;
        let series = decode_volume(body, &Redactor::default()).ok();
        assert_eq!(
            series,
            Some(vec![
                (Level::Unknown, vec![(60_000_000_000, 4)]),
                (Level::Warn, vec![(60_000_000_000, 5), (120_000_000_000, 1)]),
            ])
        );
        let vector = br#"{"status":"success","data":{"resultType":"vector","result":[]}}"#;
        assert!(matches!(
            decode_volume(vector, &Redactor::default()),
            Err(Decoded::Unsupported(t)) if t.as_str() == "vector"
        ));
    }
}
