//! Prometheus's HTTP API, and the many that speak it (Thanos, Mimir,
//! VictoriaMetrics, Grafana Cloud).
//! API: <https://prometheus.io/docs/prometheus/latest/querying/api/>

use super::http::{Answer, Endpoint, HttpClient};
use super::{BackendError, ErrorKind, Source};
use crate::domain::time::NANOS_PER_SEC;
use crate::domain::{
    Alert, AlertRule, AlertState, Exemplar, Labels, Nanos, Point, SafeText, Series, TimeRange,
};
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

fn labels(map: &BTreeMap<String, String>) -> Labels {
    Labels::from_pairs(map.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// Prometheus writes sample values as strings: "1.5", "NaN", "+Inf".
fn sample(text: &str) -> f64 {
    text.parse().unwrap_or(f64::NAN)
}

/// Unix seconds with a fraction, as nanoseconds. Prometheus keeps
/// milliseconds; rounding there undoes the float's error below them.
fn nanos(seconds: f64) -> Nanos {
    (seconds * 1000.0).round() as Nanos * (NANOS_PER_SEC / 1000)
}

fn seconds(nanos: Nanos) -> String {
    format!("{:.3}", nanos as f64 / NANOS_PER_SEC as f64)
}

fn alert(wire: &WireAlert) -> Alert {
    Alert {
        labels: labels(&wire.labels),
        annotations: labels(&wire.annotations),
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
        value: SafeText::new(&wire.value),
    }
}

impl PrometheusClient {
    pub fn new(endpoint: &Endpoint) -> Result<Self, BackendError> {
        Ok(PrometheusClient {
            http: HttpClient::new(Source::Prometheus, endpoint)?,
        })
    }

    /// GETs an API path and opens the envelope, keeping Prometheus's words
    /// on error and its warnings on success.
    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Answered<T>, BackendError> {
        let answer = self.http.get(path, query).await?;
        let envelope: Envelope<T> = match serde_json::from_slice(&answer.body) {
            Ok(envelope) => envelope,
            Err(_) if !answer.is_success() => return Err(self.http.status_error(&answer)),
            Err(e) => return Err(self.http.decode_error("Prometheus answer", e)),
        };
        if envelope.status != "success" {
            return Err(self.envelope_error(&answer, envelope.error_type, envelope.error));
        }
        let data = envelope
            .data
            .ok_or_else(|| self.http.decode_error("Prometheus answer", "no data"))?;
        let warnings = envelope
            .warnings
            .iter()
            .chain(&envelope.infos)
            .map(|w| SafeText::new(w))
            .collect();
        Ok(Answered { data, warnings })
    }

    fn envelope_error(
        &self,
        answer: &Answer,
        kind: Option<String>,
        error: Option<String>,
    ) -> BackendError {
        let words = match (kind, error) {
            (Some(kind), Some(error)) => format!("{kind}: {error}"),
            (None, Some(error)) => error,
            (kind, None) => kind.unwrap_or_else(|| "error without a message".into()),
        };
        BackendError {
            status: Some(answer.status),
            ..self.http.error(ErrorKind::Http, words)
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
        let answer: Answered<QueryData> = self.get("api/v1/query", &params).await?;
        self.series(answer)
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
        let answer: Answered<QueryData> = self.get("api/v1/query_range", &params).await?;
        self.series(answer)
    }

    fn series(&self, answer: Answered<QueryData>) -> Result<Answered<Vec<Series>>, BackendError> {
        let QueryData {
            result_type,
            result,
        } = answer.data;
        let series: Vec<Series> = match result_type.as_str() {
            "matrix" | "vector" => {
                let wire: Vec<WireSeries> = serde_json::from_value(result)
                    .map_err(|e| self.http.decode_error("Prometheus series", e))?;
                wire.iter()
                    .map(|s| Series {
                        labels: labels(&s.metric),
                        points: s
                            .values
                            .iter()
                            .chain(&s.value)
                            .map(|(t, v)| Point {
                                time: nanos(*t),
                                value: sample(v),
                            })
                            .collect(),
                    })
                    .collect()
            }
            "scalar" => {
                let (t, v): (f64, String) = serde_json::from_value(result)
                    .map_err(|e| self.http.decode_error("Prometheus scalar", e))?;
                vec![Series {
                    labels: Labels::default(),
                    points: vec![Point {
                        time: nanos(t),
                        value: sample(&v),
                    }],
                }]
            }
            other => {
                return Err(self.http.error(
                    ErrorKind::Unsupported,
                    format!("a {other} result cannot be graphed"),
                ));
            }
        };
        Ok(Answered {
            data: series,
            warnings: answer.warnings,
        })
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
        let answer: Answered<Vec<WireExemplars>> =
            self.get("api/v1/query_exemplars", &params).await?;
        let exemplars = answer
            .data
            .iter()
            .flat_map(|group| {
                let series = Arc::new(labels(&group.series_labels));
                group.exemplars.iter().map(move |e| Exemplar {
                    series: Arc::clone(&series),
                    labels: labels(&e.labels),
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

    pub async fn alerts(&self) -> Result<Vec<Alert>, BackendError> {
        let answer: Answered<AlertsData> = self.get("api/v1/alerts", &[]).await?;
        Ok(answer.data.alerts.iter().map(alert).collect())
    }

    /// The alerting rules (recording rules are left out).
    pub async fn alert_rules(&self) -> Result<Vec<AlertRule>, BackendError> {
        let params = [("type", "alert".to_owned())];
        let answer: Answered<RulesData> = self.get("api/v1/rules", &params).await?;
        Ok(answer
            .data
            .groups
            .iter()
            .flat_map(|g| &g.rules)
            .filter(|r| r.kind == "alerting")
            .map(|r| AlertRule {
                name: SafeText::new(&r.name),
                query: SafeText::new(&r.query),
                alerts: r.alerts.iter().map(alert).collect(),
            })
            .collect())
    }

    pub async fn label_names(&self) -> Result<Vec<SafeText>, BackendError> {
        let answer: Answered<Vec<String>> = self.get("api/v1/labels", &[]).await?;
        Ok(answer.data.iter().map(|n| SafeText::new(n)).collect())
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
        let answer: Answered<Vec<String>> = self.get(&path, &[]).await?;
        Ok(answer.data.iter().map(|v| SafeText::new(v)).collect())
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
        let answer: Answered<BTreeMap<String, Vec<WireMetadata>>> =
            self.get("api/v1/metadata", &params).await?;
        Ok(answer
            .data
            .iter()
            .filter_map(|(metric, list)| {
                let first = list.first()?;
                let metadata = Metadata {
                    kind: SafeText::new(&first.kind),
                    unit: SafeText::new(&first.unit),
                    help: SafeText::new(&first.help),
                };
                Some((SafeText::new(metric).to_string(), metadata))
            })
            .collect())
    }
}
