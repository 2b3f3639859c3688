//! The demo's Prometheus: queries on the generated metrics, exemplars from
//! the demo's traces, the shop's alerting rules, labels and metadata, in
//! Prometheus's envelope. The demo is a snapshot: "now" is its last sample.

use super::data::DemoData;
use super::metrics::{DURATION, DemoMetrics, Labels, REQUESTS, STEP, number};
use super::promql::{Promql, QueryError, Value};
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::sync::Arc;
use std::time::Instant;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

type Params = HashMap<String, String>;
type Answer = Result<serde_json::Value, BadData>;

/// Why a request is refused: Prometheus's `bad_data`, in its words, which
/// the demo sends as the `error` of the envelope.
#[derive(Debug)]
enum BadData {
    Query(QueryError),
    /// A time parameter (its name, and its text) that is no time.
    Time {
        name: &'static str,
        text: String,
    },
    /// A `step` (its text) that is no duration.
    Step(String),
    NonPositiveStep,
    EndBeforeStart,
    TooManyPoints,
    /// A rules `type` other than `alert` and `record`.
    RuleType(String),
    /// The evaluation panicked or was cancelled.
    Task(tokio::task::JoinError),
}

impl fmt::Display for BadData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BadData::Query(e) => e.fmt(f),
            BadData::Time { name, text } => write!(
                f,
                "invalid parameter \"{name}\": cannot parse \"{text}\" to a valid timestamp"
            ),
            BadData::Step(text) => write!(
                f,
                "invalid parameter \"step\": cannot parse \"{text}\" to a valid duration"
            ),
            BadData::NonPositiveStep => f.write_str(
                "zero or negative query resolution step widths are not accepted. Try a positive integer",
            ),
            BadData::EndBeforeStart => f.write_str("end timestamp must not be before start time"),
            BadData::TooManyPoints => f.write_str(
                "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)",
            ),
            BadData::RuleType(other) => write!(f, "not supported value \"{other}\""),
            BadData::Task(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for BadData {}

impl From<QueryError> for BadData {
    fn from(e: QueryError) -> BadData {
        BadData::Query(e)
    }
}

/// Prometheus refuses longer ranges, so a client must cope with it.
const MAX_POINTS: i64 = 11_000;

pub fn router(data: Arc<DemoData>) -> Router {
    Router::new()
        .route("/api/v1/query", endpoint(query))
        .route("/api/v1/query_range", endpoint(query_range))
        .route("/api/v1/query_exemplars", endpoint(exemplars))
        .route("/api/v1/alerts", endpoint(alerts))
        .route("/api/v1/rules", endpoint(rules))
        .route("/api/v1/labels", endpoint(labels))
        .route("/api/v1/label/{name}/values", get(label_values))
        .route("/api/v1/metadata", endpoint(|_, _| Ok(metadata())))
        .route(
            "/-/ready",
            get(|| async { "Prometheus Server is Ready.\n" }),
        )
        .with_state(data)
}

/// A GET endpoint answering from the data and the query string. It runs
/// off the async workers: a long range takes a moment to evaluate.
fn endpoint(answer: fn(&DemoData, &Params) -> Answer) -> MethodRouter<Arc<DemoData>> {
    get(
        move |State(data): State<Arc<DemoData>>, Query(params): Query<Params>| async move {
            let result = tokio::task::spawn_blocking(move || answer(&data, &params)).await;
            envelope(result.unwrap_or_else(|e| Err(BadData::Task(e))))
        },
    )
}

/// Prometheus's envelope, or its `bad_data` error.
fn envelope(answer: Answer) -> Response {
    match answer {
        Ok(data) => axum::Json(json!({ "status": "success", "data": data })).into_response(),
        Err(error) => (
            StatusCode::BAD_REQUEST,
            axum::Json(
                json!({ "status": "error", "errorType": "bad_data", "error": error.to_string() }),
            ),
        )
            .into_response(),
    }
}

fn promql(params: &Params) -> Result<Promql, QueryError> {
    Promql::parse(params.get("query").map_or("", String::as_str))
}

/// A time parameter: Unix seconds with a fraction, or RFC 3339.
fn time(params: &Params, name: &'static str, default: Option<Nanos>) -> Result<Nanos, BadData> {
    let text = params.get(name).map(String::as_str);
    let parsed = text.and_then(|text| match text.parse::<f64>() {
        Ok(seconds) => Some(((seconds * 1000.0).round() as Nanos).saturating_mul(1_000_000)),
        Err(_) => chrono::DateTime::parse_from_rfc3339(text)
            .ok()?
            .timestamp_nanos_opt(),
    });
    parsed
        .or(default.filter(|_| text.is_none()))
        .ok_or_else(|| BadData::Time {
            name,
            text: text.unwrap_or("").to_owned(),
        })
}

/// The step: seconds with a fraction, or a duration such as "15s".
fn step(params: &Params) -> Result<Nanos, BadData> {
    let text = params.get("step").map_or("", String::as_str);
    let step = match text.parse::<f64>() {
        Ok(seconds) => Some((seconds * NANOS_PER_SEC as f64) as Nanos),
        Err(_) => promql_parser::util::parse_duration(text)
            .ok()
            .and_then(|d| Nanos::try_from(d.as_nanos()).ok()),
    };
    match step {
        None => Err(BadData::Step(text.to_owned())),
        Some(step) if step <= 0 => Err(BadData::NonPositiveStep),
        Some(step) => Ok(step),
    }
}

/// Unix seconds, to the millisecond, as Prometheus writes times.
fn seconds(t: Nanos) -> f64 {
    t.div_euclid(1_000_000) as f64 / 1000.0
}

fn point(t: Nanos, value: f64) -> serde_json::Value {
    json!([seconds(t), number(value)])
}

fn query(data: &DemoData, params: &Params) -> Answer {
    let t = time(params, "time", Some(data.metrics.end()))?;
    Ok(match promql(params)?.at(&data.metrics, t)? {
        Value::Scalar(v) => json!({ "resultType": "scalar", "result": point(t, v) }),
        Value::Vector(samples) => {
            let result: Vec<_> = samples
                .iter()
                .map(|s| json!({ "metric": s.labels, "value": point(t, s.value) }))
                .collect();
            json!({ "resultType": "vector", "result": result })
        }
    })
}

fn query_range(data: &DemoData, params: &Params) -> Answer {
    let start = time(params, "start", None)?;
    let end = time(params, "end", None)?;
    if end < start {
        return Err(BadData::EndBeforeStart);
    }
    let step = step(params)?;
    if end.saturating_sub(start) / step > MAX_POINTS {
        return Err(BadData::TooManyPoints);
    }
    let lines = promql(params)?.range(&data.metrics, start, end, step)?;
    let result: Vec<_> = lines
        .iter()
        .map(|(labels, points)| {
            let values: Vec<_> = points.iter().map(|(t, v)| point(*t, *v)).collect();
            json!({ "metric": labels, "values": values })
        })
        .collect();
    Ok(json!({ "resultType": "matrix", "result": result }))
}

/// Exemplars of every series the query's selectors pick, in `[start, end]`.
fn exemplars(data: &DemoData, params: &Params) -> Answer {
    let start = time(params, "start", Some(Nanos::MIN))?;
    let end = time(params, "end", Some(Nanos::MAX))?;
    let groups: Vec<_> = promql(params)?
        .selected(&data.metrics)
        .into_iter()
        .filter_map(|series| {
            let exemplars: Vec<_> = series
                .exemplars
                .iter()
                .filter(|e| (start..=end).contains(&e.time))
                .map(|e| {
                    json!({
                        "labels": { e.label: e.trace_id },
                        "value": number(e.value),
                        "timestamp": seconds(e.time),
                    })
                })
                .collect();
            let labels = &series.labels;
            (!exemplars.is_empty())
                .then(|| json!({ "seriesLabels": labels, "exemplars": exemplars }))
        })
        .collect();
    Ok(json!(groups))
}

fn labels(data: &DemoData, _: &Params) -> Answer {
    let names: BTreeSet<&String> = data
        .metrics
        .series
        .iter()
        .flat_map(|s| s.labels.keys())
        .collect();
    Ok(json!(names))
}

/// Values of one label; `__name__` gives the metric names.
async fn label_values(State(data): State<Arc<DemoData>>, Path(name): Path<String>) -> Response {
    let values: BTreeSet<&String> = data
        .metrics
        .series
        .iter()
        .filter_map(|s| s.labels.get(&name))
        .collect();
    envelope(Ok(json!(values)))
}

/// Keyed by metric family, as Prometheus keys what it scraped from
/// OpenMetrics (the format that carries exemplars).
fn metadata() -> serde_json::Value {
    json!({
        DURATION: [{
            "type": "histogram",
            "help": "Duration of HTTP server requests.",
            "unit": "seconds",
        }],
        REQUESTS.trim_end_matches("_total"): [{
            "type": "counter",
            "help": "HTTP server requests, by status code.",
            "unit": "",
        }],
    })
}

/// An alerting rule of the shop's group.
struct Rule {
    name: &'static str,
    query: &'static str,
    /// How long the condition must hold before the alert fires.
    hold: Nanos,
    severity: &'static str,
    /// Templates, as written in a rules file.
    annotations: &'static [(&'static str, &'static str)],
}

const RULES: [Rule; 2] = [
    Rule {
        name: "HighErrorRate",
        query: r#"sum(rate(http_server_requests_total{namespace="shop",code=~"5.."}[5m])) / sum(rate(http_server_requests_total{namespace="shop"}[5m])) > 0.05"#,
        hold: 2 * 60 * NANOS_PER_SEC,
        severity: "page",
        annotations: &[
            ("summary", "More than 5% of shop requests fail"),
            (
                "description",
                "{{ $value | humanizePercentage }} of requests to the shop have failed over the last 5 minutes.",
            ),
            (
                "runbook_url",
                "https://runbooks.example.com/shop/high-error-rate",
            ),
        ],
    },
    Rule {
        name: "SlowRequests",
        query: r#"histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{namespace="shop"}[5m]))) > 1"#,
        hold: 5 * 60 * NANOS_PER_SEC,
        severity: "ticket",
        annotations: &[
            ("summary", "The slowest shop requests take over a second"),
            (
                "description",
                "p99 latency of shop requests is {{ $value }}s.",
            ),
        ],
    },
];

/// An alert of a rule: its series' labels, since when its condition has
/// held without a break, and its value now.
struct Active {
    labels: Labels,
    since: Nanos,
    value: f64,
}

impl Rule {
    /// The rule evaluated at the snapshot's end, looking back every 15 s
    /// (the evaluation interval) for when each alert became active.
    fn evaluate(&self, metrics: &DemoMetrics) -> Result<Vec<Active>, QueryError> {
        let query = Promql::parse(self.query)?;
        let holds_at = |t: Nanos, labels: &Labels| -> Result<bool, QueryError> {
            Ok(match query.at(metrics, t)? {
                Value::Vector(samples) => samples.iter().any(|s| &s.labels == labels),
                Value::Scalar(_) => false,
            })
        };
        let now = metrics.end();
        let Value::Vector(samples) = query.at(metrics, now)? else {
            return Ok(Vec::new());
        };
        let mut alerts = Vec::new();
        for s in samples {
            let mut since = now;
            while since - STEP >= metrics.first && holds_at(since - STEP, &s.labels)? {
                since -= STEP;
            }
            alerts.push(Active {
                labels: s.labels,
                since,
                value: s.value,
            });
        }
        Ok(alerts)
    }

    fn state(&self, alert: &Active, now: Nanos) -> &'static str {
        if now - alert.since >= self.hold {
            "firing"
        } else {
            "pending"
        }
    }

    fn alert(&self, alert: &Active, now: Nanos) -> serde_json::Value {
        let mut labels = alert.labels.clone();
        labels.insert("alertname".into(), self.name.into());
        labels.insert("severity".into(), self.severity.into());
        let annotations: Labels = self
            .annotations
            .iter()
            .map(|(k, v)| (k.to_string(), expand(v, alert.value)))
            .collect();
        json!({
            "labels": labels,
            "annotations": annotations,
            "state": self.state(alert, now),
            "activeAt": rfc3339(alert.since),
            "value": exponent(alert.value),
        })
    }
}

/// The two template functions the rules use.
fn expand(template: &str, value: f64) -> String {
    template
        .replace(
            "{{ $value | humanizePercentage }}",
            &format!("{:.2}%", value * 100.0),
        )
        .replace("{{ $value }}", &number(value))
}

fn rfc3339(t: Nanos) -> String {
    chrono::DateTime::from_timestamp_nanos(t).to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// An alert's value as Prometheus writes it, in Go's `%e`: "1.95e-01".
fn exponent(value: f64) -> String {
    let text = format!("{value:e}");
    match text.split_once('e') {
        Some((mantissa, exp)) if value.is_finite() => {
            let exp: i32 = exp.parse().unwrap_or(0);
            let sign = if exp < 0 { '-' } else { '+' };
            format!("{mantissa}e{sign}{:02}", exp.abs())
        }
        _ => number(value),
    }
}

fn alerts(data: &DemoData, _: &Params) -> Answer {
    let now = data.metrics.end();
    let mut alerts = Vec::new();
    for rule in &RULES {
        alerts.extend(
            rule.evaluate(&data.metrics)?
                .iter()
                .map(|a| rule.alert(a, now)),
        );
    }
    Ok(json!({ "alerts": alerts }))
}

/// The shop's group; all its rules are alerting rules, so `type=record`
/// leaves none, and the group is left out as Prometheus leaves it.
fn rules(data: &DemoData, params: &Params) -> Answer {
    match params.get("type").map(String::as_str) {
        None | Some("alert") => {}
        Some("record") => return Ok(json!({ "groups": [] })),
        Some(other) => return Err(BadData::RuleType(other.to_owned())),
    }
    let now = data.metrics.end();
    let started = Instant::now();
    let mut rules = Vec::new();
    for rule in &RULES {
        let started = Instant::now();
        let active = rule.evaluate(&data.metrics)?;
        let states: Vec<&str> = active.iter().map(|a| rule.state(a, now)).collect();
        let state = ["firing", "pending"]
            .into_iter()
            .find(|s| states.contains(s))
            .unwrap_or("inactive");
        rules.push(json!({
            "state": state,
            "name": rule.name,
            "query": rule.query,
            "duration": rule.hold / NANOS_PER_SEC,
            "keepFiringFor": 0,
            "labels": { "severity": rule.severity },
            "annotations": rule.annotations.iter().copied().collect::<BTreeMap<_, _>>(),
            "alerts": active.iter().map(|a| rule.alert(a, now)).collect::<Vec<_>>(),
            "health": "ok",
            "evaluationTime": started.elapsed().as_secs_f64(),
            "lastEvaluation": rfc3339(now),
            "type": "alerting",
        }));
    }
    Ok(json!({ "groups": [{
        "name": "shop",
        "file": "/etc/prometheus/rules/shop.yml",
        "rules": rules,
        "interval": STEP / NANOS_PER_SEC,
        "limit": 0,
        "evaluationTime": started.elapsed().as_secs_f64(),
        "lastEvaluation": rfc3339(now),
    }]}))
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Nanos = 60 * NANOS_PER_SEC;

    fn data() -> DemoData {
        DemoData::generate(1_800_000_000 * NANOS_PER_SEC)
    }

    fn params(pairs: &[(&str, &str)]) -> Params {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn the_error_burst_fires_high_error_rate_and_only_it() {
        let data = data();
        let metrics = &data.metrics;
        let [errors, slow] = &RULES;
        let active = errors.evaluate(metrics).unwrap();
        assert_eq!(active.len(), 1);
        // Not before the burst; within a minute or two of its start.
        let since = active[0].since;
        assert!(since > metrics.end() - 20 * MINUTE, "{since}");
        assert!(since < metrics.end() - 15 * MINUTE, "{since}");
        assert_eq!(errors.state(&active[0], metrics.end()), "firing");
        assert!(active[0].value > 0.1);
        assert!(slow.evaluate(metrics).unwrap().is_empty());
        let listed = alerts(&data, &Params::new()).unwrap();
        assert_eq!(listed["alerts"][0]["labels"]["alertname"], "HighErrorRate");
    }

    #[test]
    fn rules_can_be_filtered_by_type() {
        let data = data();
        let all = rules(&data, &params(&[("type", "alert")])).unwrap();
        let names: Vec<&str> = all["groups"][0]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["HighErrorRate", "SlowRequests"]);
        assert_eq!(all["groups"][0]["rules"][1]["state"], "inactive");
        let recording = rules(&data, &params(&[("type", "record")])).unwrap();
        assert_eq!(recording["groups"], json!([]));
        assert!(rules(&data, &params(&[("type", "x")])).is_err());
    }

    #[test]
    fn ranges_and_times_are_checked_as_prometheus_checks_them() {
        let data = data();
        let end = seconds(data.metrics.end()).to_string();
        let range = |start: &str, step: &str| {
            query_range(
                &data,
                &params(&[
                    ("query", "1"),
                    ("start", start),
                    ("end", &end),
                    ("step", step),
                ]),
            )
        };
        let day_ago = (seconds(data.metrics.end()) - 86_400.0).to_string();
        assert!(range(&day_ago, "1m").is_ok());
        let refusal = |start: &str, step: &str| range(start, step).unwrap_err().to_string();
        assert!(refusal(&day_ago, "1").contains("11,000 points"));
        assert!(refusal(&day_ago, "0").contains("zero or negative"));
        assert!(refusal("x", "15").starts_with("invalid parameter \"start\""));
        assert!(refusal("2100-01-01T00:00:00Z", "15").contains("before start"));
        let scalar = query(&data, &params(&[("query", "1 + 1"), ("time", "1.5")])).unwrap();
        assert_eq!(scalar["result"], json!([1.5, "2"]));
    }

    #[test]
    fn tempos_exemplars_lead_to_traces_the_demos_tempo_serves() {
        use triage_core::domain::TraceId;
        let data = data();
        let query = r#"traces_spanmetrics_latency_bucket{service="api"}"#;
        let answer = exemplars(&data, &params(&[("query", query)])).unwrap();
        let groups = answer.as_array().unwrap();
        assert!(groups.len() >= 5, "{answer}");
        let mut traces = BTreeSet::new();
        for group in groups {
            let series = &group["seriesLabels"];
            assert_eq!(series["service"], "api");
            let le = match series["le"].as_str().unwrap() {
                "+Inf" => f64::INFINITY,
                le => le.parse().unwrap(),
            };
            for exemplar in group["exemplars"].as_array().unwrap() {
                let labels = exemplar["labels"].as_object().unwrap();
                let names: Vec<&String> = labels.keys().collect();
                assert_eq!(names, ["traceID"]);
                // Without leading zeros, as Tempo writes them.
                let id = labels["traceID"].as_str().unwrap();
                assert!(!id.starts_with('0'));
                let TraceId(bytes) = TraceId::from_hex(id).unwrap();
                let trace = data.trace(&bytes).expect("a trace the demo's Tempo serves");
                // An exemplar of a failed span is a failed request.
                let failed = series["status_code"] == "STATUS_CODE_ERROR";
                assert!(trace.failed() || !failed, "{id}");
                let span = trace
                    .spans
                    .iter()
                    .find(|s| s.name == series["span_name"] && s.error.is_some() == failed)
                    .expect("the span the exemplar is of");
                let seconds = (span.end - span.start) as f64 / NANOS_PER_SEC as f64;
                let value: f64 = exemplar["value"].as_str().unwrap().parse().unwrap();
                assert!((value - seconds).abs() < 1e-9 && value <= le, "{exemplar}");
                traces.insert(id.to_owned());
            }
        }
        // Every trace the demo served before its start has api spans.
        assert_eq!(traces.len(), data.traces.len());
        // And the window holds.
        let end = seconds(data.metrics.end());
        let window = [("query", query), ("start", &(end - 300.0).to_string())];
        let recent = exemplars(&data, &params(&window)).unwrap();
        let times = recent.as_array().unwrap().iter().flat_map(|g| {
            g["exemplars"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["timestamp"].as_f64().unwrap())
        });
        assert!(times.clone().count() > 0 && times.clone().count() < 100);
        assert!(times.clone().all(|t| t >= end - 300.0 && t <= end));
    }

    #[tokio::test]
    async fn the_metric_names_hold_tempos() {
        let response = label_values(State(Arc::new(data())), Path("__name__".into())).await;
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .unwrap();
        let answer: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let names: Vec<&str> = answer["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_str().unwrap())
            .collect();
        // Those `fixtures/prometheus/metric_names_with_tempo.json` lists,
        // where Tempo 2.7's metrics generator wrote to Prometheus.
        let tempo: Vec<&str> = names
            .iter()
            .copied()
            .filter(|n| n.starts_with("traces_"))
            .collect();
        assert_eq!(
            tempo,
            [
                "traces_service_graph_request_client_seconds_bucket",
                "traces_service_graph_request_client_seconds_count",
                "traces_service_graph_request_client_seconds_sum",
                "traces_service_graph_request_failed_total",
                "traces_service_graph_request_server_seconds_bucket",
                "traces_service_graph_request_server_seconds_count",
                "traces_service_graph_request_server_seconds_sum",
                "traces_service_graph_request_total",
                "traces_spanmetrics_calls_total",
                "traces_spanmetrics_latency_bucket",
                "traces_spanmetrics_latency_count",
                "traces_spanmetrics_latency_sum",
                "traces_spanmetrics_size_total",
            ]
        );
        assert!(names.contains(&"http_server_requests_total"));
    }

    #[test]
    fn values_are_written_as_prometheus_writes_them() {
        assert_eq!(exponent(0.9624999999999999), "9.624999999999999e-01");
        assert_eq!(exponent(12.0), "1.2e+01");
        assert_eq!(exponent(f64::NAN), "NaN");
        assert_eq!(number(f64::NEG_INFINITY), "-Inf");
        assert_eq!(
            expand("{{ $value | humanizePercentage }}", 0.1953),
            "19.53%"
        );
    }
}
