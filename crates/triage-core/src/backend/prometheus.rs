//! Prometheus's HTTP API, and the many that speak it (Thanos, Mimir,
//! VictoriaMetrics, Grafana Cloud).
//! API: <https://prometheus.io/docs/prometheus/latest/querying/api/>

use super::answer::Answer;
use super::error::{BackendError, ErrorKind, Part, Problem, ServerWords, Source, Unreadable};
use super::http::{Endpoint, HttpClient};
use crate::domain::time::NANOS_PER_SEC;
use crate::domain::{
    Alert, AlertRule, AlertState, Exemplar, Labels, Nanos, Point, SafeText, Series, TimeRange,
};
use crate::secret::Redactor;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// An answer's data with the warnings and infos Prometheus attached to it.
#[derive(Clone, Debug, PartialEq)]
pub struct Answered<T> {
    pub data: T,
    pub warnings: Vec<SafeText>,
}

#[derive(Clone, Debug)]
pub struct PrometheusClient {
    http: HttpClient,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope<T> {
    status: String,
    data: Option<T>,
    error_type: Option<String>,
    error: Option<String>,
    #[serde(default)]
    warnings: Vec<String>,
    #[serde(default)]
    infos: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryData {
    result_type: String,
    result: serde_json::Value,
}

#[derive(Deserialize)]
struct WireSeries {
    #[serde(default)]
    metric: BTreeMap<String, String>,
    #[serde(default)]
    values: Vec<(f64, String)>,
    value: Option<(f64, String)>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireExemplars {
    series_labels: BTreeMap<String, String>,
    exemplars: Vec<WireExemplar>,
}

#[derive(Deserialize)]
struct WireExemplar {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    value: String,
    timestamp: f64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireAlert {
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    annotations: BTreeMap<String, String>,
    state: String,
    active_at: Option<String>,
    #[serde(default)]
    value: String,
}

#[derive(Deserialize)]
struct AlertsData {
    alerts: Vec<WireAlert>,
}

#[derive(Deserialize)]
struct RulesData {
    groups: Vec<RuleGroup>,
}

#[derive(Deserialize)]
struct RuleGroup {
    rules: Vec<WireRule>,
}

#[derive(Deserialize)]
struct WireRule {
    name: String,
    query: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    alerts: Vec<WireAlert>,
}

#[derive(Deserialize)]
struct WireMetadata {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    help: String,
}

/// Metric metadata: its type and unit, for axis labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub kind: SafeText,
    pub unit: SafeText,
    pub help: SafeText,
}

fn labels(map: &BTreeMap<String, String>, secrets: &Redactor) -> Labels {
    secrets.labels(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf".
fn sample(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// Unix seconds with a fraction, as nanoseconds. Prometheus keeps
/// milliseconds; rounding there undoes the float's error below them.
/// A time past what i64 nanoseconds hold (the year 2262) saturates: a
/// server's answer must not overflow us (the fuzzer found it).
pub(crate) fn nanos(seconds: f64) -> Nanos {
    let millis = (seconds * 1000.0).round() as Nanos; // `as` saturates; NaN is 0
    millis.saturating_mul(NANOS_PER_SEC / 1000)
}

fn seconds(nanos: Nanos) -> String {
    format!("{:.3}", nanos as f64 / NANOS_PER_SEC as f64)
}

fn alert(wire: &WireAlert, secrets: &Redactor) -> Alert {
    Alert {
        labels: labels(&wire.labels, secrets),
        annotations: labels(&wire.annotations, secrets),
        state: match wire.state.as_str() {
            "firing" => AlertState::Firing,
            "pending" => AlertState::Pending,
            _ => AlertState::Inactive,
        },
        active_since: wire
            .active_at
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .and_then(|t| t.timestamp_nanos_opt()),
        value: secrets.safe(&wire.value),
    }
}

/// Why an answer gave no data; the client turns each into its error.
#[derive(Debug)]
pub enum Refused {
    /// Not the JSON the API promises; `what` names the part.
    Unreadable { what: Part, why: Unreadable },
    /// `"status": "error"`, with Prometheus's errorType and error.
    Error {
        kind: Option<SafeText>,
        error: Option<SafeText>,
    },
    /// A result type that cannot be graphed.
    Unsupported(SafeText),
}

/// serde quotes what it could not read: cut and made safe like the rest.
fn unreadable(what: Part, e: &serde_json::Error, secrets: &Redactor) -> Refused {
    let why = Unreadable::Json(secrets.safe(&e.to_string()));
    Refused::Unreadable { what, why }
}

/// Opens the envelope, keeping its warnings and infos.
fn open<T: DeserializeOwned>(body: &[u8], secrets: &Redactor) -> Result<Answered<T>, Refused> {
    let envelope: Envelope<T> = serde_json::from_slice(body)
        .map_err(|e| unreadable(Part::PrometheusAnswer, &e, secrets))?;
    if envelope.status != "success" {
        let safe = |words: Option<String>| words.map(|w| secrets.safe(&w));
        return Err(Refused::Error {
            kind: safe(envelope.error_type),
            error: safe(envelope.error),
        });
    }
    let data = envelope.data.ok_or(Refused::Unreadable {
        what: Part::PrometheusAnswer,
        why: Unreadable::NoData,
    })?;
    let warnings = envelope
        .warnings
        .iter()
        .chain(&envelope.infos)
        .map(|w| secrets.safe(w))
        .collect();
    Ok(Answered { data, warnings })
}

// The decoders below are public so that the fuzz targets read answers
// exactly as the client does.

/// A `query` or `query_range` answer: a matrix, a vector or a scalar.
pub fn decode_series(body: &[u8], secrets: &Redactor) -> Result<Answered<Vec<Series>>, Refused> {
    let answer: Answered<QueryData> = open(body, secrets)?;
    let QueryData {
        result_type,
        result,
    } = answer.data;
    let series = match result_type.as_str() {
        "matrix" | "vector" => {
            let wire: Vec<WireSeries> = serde_json::from_value(result)
                .map_err(|e| unreadable(Part::PrometheusSeries, &e, secrets))?;
            wire.iter().map(|w| series(w, secrets)).collect()
        }
        "scalar" => {
            let (t, v): (f64, String) = serde_json::from_value(result)
                .map_err(|e| unreadable(Part::PrometheusScalar, &e, secrets))?;
            vec![Series {
                labels: Labels::default(),
                points: vec![Point {
                    time: nanos(t),
                    value: sample(&v),
                }],
            }]
        }
        other => return Err(Refused::Unsupported(secrets.safe(other))),
    };
    Ok(Answered {
        data: series,
        warnings: answer.warnings,
    })
}

fn series(wire: &WireSeries, secrets: &Redactor) -> Series {
    Series {
        labels: labels(&wire.metric, secrets),
        points: wire
            .values
            .iter()
            .chain(&wire.value)
            .map(|(t, v)| Point {
                time: nanos(*t),
                value: sample(v),
            })
            .collect(),
    }
}

/// A `query_exemplars` answer.
pub fn decode_exemplars(
    body: &[u8],
    secrets: &Redactor,
) -> Result<Answered<Vec<Exemplar>>, Refused> {
    let answer: Answered<Vec<WireExemplars>> = open(body, secrets)?;
    let exemplars = answer
        .data
        .iter()
        .flat_map(|group| {
            let series = Arc::new(labels(&group.series_labels, secrets));
            group.exemplars.iter().map(move |e| Exemplar {
                series: Arc::clone(&series),
                labels: labels(&e.labels, secrets),
                value: sample(&e.value),
                time: nanos(e.timestamp),
            })
        })
        .collect();
    Ok(Answered {
        data: exemplars,
        warnings: answer.warnings,
    })
}

/// An `alerts` answer.
pub fn decode_alerts(body: &[u8], secrets: &Redactor) -> Result<Vec<Alert>, Refused> {
    let answer: Answered<AlertsData> = open(body, secrets)?;
    Ok(answer
        .data
        .alerts
        .iter()
        .map(|a| alert(a, secrets))
        .collect())
}

/// A `rules` answer: its alerting rules (recording rules are left out).
pub fn decode_alert_rules(body: &[u8], secrets: &Redactor) -> Result<Vec<AlertRule>, Refused> {
    let answer: Answered<RulesData> = open(body, secrets)?;
    Ok(answer
        .data
        .groups
        .iter()
        .flat_map(|g| &g.rules)
        .filter(|r| r.kind == "alerting")
        .map(|r| AlertRule {
            name: secrets.safe(&r.name),
            query: secrets.safe(&r.query),
            alerts: r.alerts.iter().map(|a| alert(a, secrets)).collect(),
        })
        .collect())
}

/// A `labels` or `label/<name>/values` answer.
pub fn decode_names(body: &[u8], secrets: &Redactor) -> Result<Vec<SafeText>, Refused> {
    let answer: Answered<Vec<String>> = open(body, secrets)?;
    Ok(answer.data.iter().map(|n| secrets.safe(n)).collect())
}

/// A `metadata` answer: each family's first entry.
pub fn decode_metadata(
    body: &[u8],
    secrets: &Redactor,
) -> Result<BTreeMap<String, Metadata>, Refused> {
    let answer: Answered<BTreeMap<String, Vec<WireMetadata>>> = open(body, secrets)?;
    Ok(answer
        .data
        .iter()
        .filter_map(|(metric, list)| {
            let first = list.first()?;
            let metadata = Metadata {
                kind: secrets.safe(&first.kind),
                unit: secrets.safe(&first.unit),
                help: secrets.safe(&first.help),
            };
            Some((secrets.safe(metric).to_string(), metadata))
        })
        .collect())
}

impl PrometheusClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(PrometheusClient {
            http: HttpClient::new(Source::Prometheus, endpoint)?,
        })
    }

    /// GETs an API path and decodes the answer, keeping Prometheus's words
    /// on error.
    async fn get<T>(
        &self,
        path: &str,
        query: &[(&str, String)],
        decode: fn(&[u8], &Redactor) -> Result<T, Refused>,
    ) -> Result<T, BackendError> {
        let answer = self.http.get(path, query).await?;
        decode(&answer.body, self.http.redactor()).map_err(|refused| self.refused(&answer, refused))
    }

    fn refused(&self, answer: &Answer, refused: Refused) -> BackendError {
        match refused {
            // An error page from a proxy in front, most likely: its status says more.
            Refused::Unreadable { .. } if !answer.is_success() => self.http.status_error(answer),
            Refused::Unreadable { what, why } => self.http.decode_error(what, why),
            Refused::Error { kind, error } => {
                let words = ServerWords::Prometheus {
                    error_type: kind,
                    error,
                };
                self.http.answer_error(answer, ErrorKind::Http, words)
            }
            Refused::Unsupported(result_type) => {
                let problem = Problem::Ungraphable { result_type };
                self.http.fail(ErrorKind::Unsupported, problem)
            }
        }
    }

    /// The value of an expression at one instant (now, if `at` is none).
    pub async fn query(
        &self,
        promql: &str,
        at: Option<Nanos>,
    ) -> Result<Answered<Vec<Series>>, BackendError> {
        let mut params = vec![("query", promql.to_owned())];
        params.extend(at.map(|t| ("time", seconds(t))));
        self.get("api/v1/query", &params, decode_series).await
    }

    /// An expression over a range, a point every `step`.
    pub async fn query_range(
        &self,
        promql: &str,
        range: TimeRange,
        step: Duration,
    ) -> Result<Answered<Vec<Series>>, BackendError> {
        let params = [
            ("query", promql.to_owned()),
            ("start", seconds(range.start)),
            ("end", seconds(range.end)),
            ("step", format!("{}", step.as_secs_f64().max(0.001))),
        ];
        self.get("api/v1/query_range", &params, decode_series).await
    }

    /// Exemplars of the series an expression selects. A server without
    /// exemplar storage answers an empty list, which is not an error.
    pub async fn exemplars(
        &self,
        promql: &str,
        range: TimeRange,
    ) -> Result<Answered<Vec<Exemplar>>, BackendError> {
        let params = [
            ("query", promql.to_owned()),
            ("start", seconds(range.start)),
            ("end", seconds(range.end)),
        ];
        self.get("api/v1/query_exemplars", &params, decode_exemplars)
            .await
    }

    pub async fn alerts(&self) -> Result<Vec<Alert>, BackendError> {
        self.get("api/v1/alerts", &[], decode_alerts).await
    }

    /// The alerting rules (recording rules are left out).
    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>, BackendError> {
        let params = [("type", "alert".to_owned())];
        self.get("api/v1/rules", &params, decode_alert_rules).await
    }

    pub async fn label_names(&self) -> Result<Vec<SafeText>, BackendError> {
        self.get("api/v1/labels", &[], decode_names).await
    }

    /// Values of one label; `__name__` gives the metric names.
    pub async fn label_values(&self, label: &str) -> Result<Vec<SafeText>, BackendError> {
        // Label names are [a-zA-Z_][a-zA-Z0-9_]*; anything else is escaped.
        const ESCAPED: &percent_encoding::AsciiSet =
            &percent_encoding::NON_ALPHANUMERIC.remove(b'_');
        let path = format!(
            "api/v1/label/{}/values",
            percent_encoding::utf8_percent_encode(label, ESCAPED)
        );
        self.get(&path, &[], decode_names).await
    }

    /// Type, unit and help of every metric family, or of the one named.
    pub async fn metadata(
        &self,
        family: Option<&str>,
    ) -> Result<BTreeMap<String, Metadata>, BackendError> {
        let params: Vec<_> = family
            .map(|f| ("metric", f.to_owned()))
            .into_iter()
            .collect();
        self.get("api/v1/metadata", &params, decode_metadata).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_past_2262_saturate_instead_of_overflowing() {
        let body = br#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{},"values":[[1e12,"1"],[-1e12,"2"],[1795288846.5,"3"]]}]}}"#;
        let series = decode_series(body, &Redactor::default())
            .map(|a| a.data)
            .unwrap_or_default();
        let times: Vec<Nanos> = series[0].points.iter().map(|p| p.time).collect();
        assert_eq!(times, [Nanos::MAX, Nanos::MIN, 1_795_288_846_500_000_000]);
    }
}
