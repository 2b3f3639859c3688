//! Rate, errors and duration per service, per operation and per call
//! between services, from the span metrics and service graph a tracing
//! pipeline writes to Prometheus (Tempo's metrics generator, or the
//! OpenTelemetry collector's spanmetrics connector).

use crate::domain::{Series, TimeRange};
use std::collections::BTreeMap;

/// The names the series go by, which differ by who writes them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanMetricNames {
    /// The calls counter.
    pub calls: String,
    /// The latency histogram's buckets.
    pub latency: String,
    /// The label naming the service.
    pub service_label: String,
    /// The histogram's `le` is in milliseconds, not seconds.
    pub latency_millis: bool,
    /// The service graph's request counter; its `_failed_total` and
    /// `_server_seconds_bucket` are named from it.
    pub graph: String,
}

impl SpanMetricNames {
    /// Tempo's metrics generator.
    pub fn tempo() -> Self {
        SpanMetricNames {
            calls: "traces_spanmetrics_calls_total".into(),
            latency: "traces_spanmetrics_latency_bucket".into(),
            service_label: "service".into(),
            latency_millis: false,
            graph: "traces_service_graph_request".into(),
        }
    }

    /// The OpenTelemetry collector's spanmetrics connector, without a
    /// namespace (with one, its names carry that prefix).
    pub fn otel() -> Self {
        SpanMetricNames {
            calls: "calls_total".into(),
            latency: "duration_milliseconds_bucket".into(),
            service_label: "service_name".into(),
            latency_millis: true,
            graph: "traces_service_graph_request".into(),
        }
    }
}

impl Default for SpanMetricNames {
    fn default() -> Self {
        Self::tempo()
    }
}

/// What a table shows a row of: every service, or one service's operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    Services,
    Operations { service: String },
}

/// The spans a service's own rate counts: the requests it served (as
/// Grafana's RED panels count them), or, for a service that serves none (a
/// database seen only through its clients' spans), all of its spans. A
/// service's operations count every kind, so its calls out are there too.
const SERVED: &str = r#"span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER""#;
const FAILED: &str = r#"status_code="STATUS_CODE_ERROR""#;

/// The four PromQL expressions of a table: calls, failed calls, p50 and
/// p99 (in the histogram's unit), each by the row's labels.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RedQueries {
    pub rate: String,
    pub errors: String,
    pub p50: String,
    pub p99: String,
}

impl RedQueries {
    /// The queries of a table; for the services table, of the spans they
    /// served (see `all_kinds` for the rest).
    pub fn new(names: &SpanMetricNames, scope: &Scope) -> Self {
        Self::of(names, scope, true)
    }

    /// The services table's queries over spans of every kind.
    pub fn all_kinds(names: &SpanMetricNames) -> Self {
        Self::of(names, &Scope::Services, false)
    }

    fn of(names: &SpanMetricNames, scope: &Scope, served: bool) -> Self {
        let service = &names.service_label;
        let (by, matchers) = match scope {
            Scope::Services if served => (service.clone(), SERVED.to_owned()),
            Scope::Services => (service.clone(), String::new()),
            Scope::Operations { service: name } => (
                format!("{service}, span_name"),
                format!("{service}={}", super::logql_string(name)),
            ),
        };
        let rate = |extra: &str| {
            let matchers = [matchers.as_str(), extra]
                .iter()
                .filter(|m| !m.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            format!("sum by ({by}) (rate({}{{{matchers}}}[5m]))", names.calls)
        };
        let quantile = |q: &str| {
            format!(
                "histogram_quantile({q}, sum by (le, {by}) (rate({}{{{matchers}}}[5m])))",
                names.latency
            )
        };
        RedQueries {
            rate: rate(""),
            errors: rate(FAILED),
            p50: quantile("0.5"),
            p99: quantile("0.99"),
        }
    }
}

/// One row: a service, or an operation of one.
#[derive(Clone, Debug, PartialEq)]
pub struct RedRow {
    pub service: String,
    /// The operation (span name); none on a services row.
    pub operation: Option<String>,
    /// Calls per second, now, and over the window.
    pub rate: f64,
    pub rate_line: Vec<f64>,
    /// Failed calls over all calls, 0 to 1, now and over the window.
    pub error_ratio: f64,
    pub error_line: Vec<f64>,
    /// Seconds; NaN where there is no histogram.
    pub p50: f64,
    pub p99: f64,
    pub p99_line: Vec<f64>,
}

/// The answers of the four queries, over the window.
pub struct RedAnswers {
    pub rate: Vec<Series>,
    pub errors: Vec<Series>,
    pub p50: Vec<Series>,
    pub p99: Vec<Series>,
}

/// The rows, the worst first: by error ratio, then by rate.
pub fn red_rows(names: &SpanMetricNames, answers: &RedAnswers) -> Vec<RedRow> {
    let key = |series: &Series| {
        let get = |label: &str| series.labels.get(label).map(|v| v.to_string());
        (
            get(&names.service_label).unwrap_or_default(),
            get("span_name"),
        )
    };
    let by_key = |all: &[Series]| -> BTreeMap<(String, Option<String>), Vec<f64>> {
        all.iter()
            .map(|s| (key(s), s.points.iter().map(|p| p.value).collect()))
            .collect()
    };
    let (errors, p50, p99) = (
        by_key(&answers.errors),
        by_key(&answers.p50),
        by_key(&answers.p99),
    );
    let mut rows: Vec<RedRow> = by_key(&answers.rate)
        .into_iter()
        .map(|(key, rate_line)| {
            let failed = errors.get(&key).cloned().unwrap_or_default();
            let error_line = ratios(&failed, &rate_line);
            let scaled = |line: Option<&Vec<f64>>| -> Vec<f64> {
                let scale = if names.latency_millis { 0.001 } else { 1.0 };
                line.map(|l| l.iter().map(|v| v * scale).collect())
                    .unwrap_or_default()
            };
            let p99_line = scaled(p99.get(&key));
            RedRow {
                rate: last(&rate_line),
                error_ratio: last(&error_line),
                p50: last(&scaled(p50.get(&key))),
                p99: last(&p99_line),
                service: key.0,
                operation: key.1,
                rate_line,
                error_line,
                p99_line,
            }
        })
        .collect();
    worst_first(&mut rows);
    rows
}

/// The services of `served` (rows of the spans they served), and of
/// `all_kinds` those that served none.
pub fn with_the_rest(mut served: Vec<RedRow>, all_kinds: Vec<RedRow>) -> Vec<RedRow> {
    let known: std::collections::BTreeSet<String> =
        served.iter().map(|r| r.service.clone()).collect();
    served.extend(
        all_kinds
            .into_iter()
            .filter(|r| !known.contains(&r.service)),
    );
    worst_first(&mut served);
    served
}

/// By error ratio, then rate, the highest first.
fn worst_first(rows: &mut [RedRow]) {
    rows.sort_by(|a, b| {
        let worse = |r: &RedRow| (finite(r.error_ratio), finite(r.rate));
        worse(b)
            .partial_cmp(&worse(a))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.service.cmp(&b.service))
            .then_with(|| a.operation.cmp(&b.operation))
    });
}

/// Failed over all, point by point; where there were no calls, 0.
fn ratios(failed: &[f64], all: &[f64]) -> Vec<f64> {
    all.iter()
        .enumerate()
        .map(|(i, &n)| {
            let f = failed.get(i).copied().unwrap_or(0.0);
            if n > 0.0 && f.is_finite() { f / n } else { 0.0 }
        })
        .collect()
}

fn last(line: &[f64]) -> f64 {
    line.last().copied().unwrap_or(f64::NAN)
}

fn finite(value: f64) -> f64 {
    if value.is_finite() { value } else { 0.0 }
}

/// A call between two services, from the service graph.
#[derive(Clone, Debug, PartialEq)]
pub struct Edge {
    pub client: String,
    pub server: String,
    pub rate: f64,
    /// None when the graph has no failed counter for the edge (Tempo
    /// writes one only once a call failed).
    pub error_ratio: Option<f64>,
    /// Seconds, as the server saw it.
    pub p99: f64,
}

/// The service graph's three instant queries: calls, failed calls, p99.
pub fn edge_queries(names: &SpanMetricNames) -> [String; 3] {
    let graph = &names.graph;
    [
        format!("sum by (client, server) (rate({graph}_total[5m]))"),
        format!("sum by (client, server) (rate({graph}_failed_total[5m]))"),
        format!(
            "histogram_quantile(0.99, sum by (le, client, server) (rate({graph}_server_seconds_bucket[5m])))"
        ),
    ]
}

/// The edges, the worst first; `failed` is none when the graph has no
/// failed counter at all.
pub fn edges(rate: &[Series], failed: Option<&[Series]>, p99: &[Series]) -> Vec<Edge> {
    let key = |s: &Series| {
        let get = |l: &str| s.labels.get(l).map(|v| v.to_string()).unwrap_or_default();
        (get("client"), get("server"))
    };
    let now = |s: &Series| s.points.last().map_or(f64::NAN, |p| p.value);
    let index = |all: &[Series]| -> BTreeMap<(String, String), f64> {
        all.iter().map(|s| (key(s), now(s))).collect()
    };
    let (failed_now, p99_now) = (failed.map(index), index(p99));
    let mut edges: Vec<Edge> = rate
        .iter()
        .map(|s| {
            let (client, server) = key(s);
            let calls = now(s);
            let error_ratio = failed_now.as_ref().map(|f| {
                let failed = f
                    .get(&(client.clone(), server.clone()))
                    .copied()
                    .unwrap_or(0.0);
                if calls > 0.0 { failed / calls } else { 0.0 }
            });
            let p99 = p99_now
                .get(&(client.clone(), server.clone()))
                .copied()
                .unwrap_or(f64::NAN);
            Edge {
                client,
                server,
                rate: calls,
                error_ratio,
                p99,
            }
        })
        .collect();
    edges.sort_by(|a, b| {
        let worse = |e: &Edge| (finite(e.error_ratio.unwrap_or(0.0)), finite(e.p99));
        worse(b)
            .partial_cmp(&worse(a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    edges
}

/// A piece of a drawn graph's line, and whether it is a failing call.
pub type Piece = (String, bool);

/// The service graph as lines of text: from each service nothing calls,
/// its calls to the right (`api ─┬▶ auth`, then `└▶ postgres` below),
/// each service drawn once (`↺` where it was drawn already).
pub fn graph_lines(edges: &[Edge]) -> Vec<Vec<Piece>> {
    let mut calls: BTreeMap<&str, Vec<(&str, bool)>> = BTreeMap::new();
    for edge in edges {
        let failing = edge.error_ratio.is_some_and(|r| r > 0.0);
        calls
            .entry(&edge.client)
            .or_default()
            .push((&edge.server, failing));
        calls.entry(&edge.server).or_default();
    }
    for servers in calls.values_mut() {
        servers.sort_unstable();
        servers.dedup_by_key(|(server, _)| *server);
    }
    let called: std::collections::BTreeSet<&str> = calls
        .values()
        .flatten()
        .map(|(server, _)| *server)
        .collect();
    let roots = calls.keys().filter(|n| !called.contains(*n));
    // A ring has no root: its first service stands for one.
    let rest = calls.keys();
    let mut graph = Graph {
        calls: &calls,
        drawn: std::collections::BTreeSet::new(),
        lines: Vec::new(),
    };
    for node in roots.chain(rest) {
        if !graph.drawn.contains(node) {
            let width = node.chars().count();
            graph.walk(node, vec![(node.to_string(), false)], " ".repeat(width));
        }
    }
    graph.lines
}

struct Graph<'a> {
    calls: &'a BTreeMap<&'a str, Vec<(&'a str, bool)>>,
    drawn: std::collections::BTreeSet<&'a str>,
    lines: Vec<Vec<Piece>>,
}

impl<'a> Graph<'a> {
    /// `line` ends with `node`; `under` is what a line below it starts
    /// with, as wide as `line`.
    fn walk(&mut self, node: &'a str, mut line: Vec<Piece>, under: String) {
        self.drawn.insert(node);
        let servers = self.calls.get(node).map(Vec::as_slice).unwrap_or_default();
        if servers.is_empty() {
            return self.lines.push(line);
        }
        for (i, &(server, failing)) in servers.iter().enumerate() {
            let last = i + 1 == servers.len();
            let (arrow, bar) = match (i, last) {
                (0, true) => (" ──▶ ", "     "),
                (0, false) => (" ─┬▶ ", "  │  "),
                (_, false) => ("  ├▶ ", "  │  "),
                (_, true) => ("  └▶ ", "     "),
            };
            if i > 0 {
                line = vec![(under.clone(), false)];
            }
            line.push((arrow.to_owned(), failing));
            if self.drawn.contains(server) {
                line.push((format!("{server} ↺"), failing));
                self.lines.push(std::mem::take(&mut line));
                continue;
            }
            line.push((server.to_owned(), failing));
            let below = format!("{under}{bar}{}", " ".repeat(server.chars().count()));
            self.walk(server, std::mem::take(&mut line), below);
        }
    }
}

/// The window's step: about 30 points, for a sparkline.
pub fn sparkline_step(range: TimeRange) -> std::time::Duration {
    let nanos = (range.end - range.start).max(1) as u64 / 30;
    std::time::Duration::from_nanos(nanos).max(std::time::Duration::from_secs(15))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Labels, Point};

    fn series(labels: &[(&str, &str)], values: &[f64]) -> Series {
        Series {
            labels: Labels::from_pairs(labels.iter().copied()),
            points: values
                .iter()
                .enumerate()
                .map(|(i, &value)| Point {
                    time: i as i64,
                    value,
                })
                .collect(),
        }
    }

    #[test]
    fn queries_name_the_series_and_the_scope() {
        let q = RedQueries::new(&SpanMetricNames::tempo(), &Scope::Services);
        assert_eq!(
            q.errors,
            r#"sum by (service) (rate(traces_spanmetrics_calls_total{span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER", status_code="STATUS_CODE_ERROR"}[5m]))"#
        );
        let scope = Scope::Operations {
            service: "api".into(),
        };
        let q = RedQueries::new(&SpanMetricNames::otel(), &scope);
        assert_eq!(
            q.p99,
            r#"histogram_quantile(0.99, sum by (le, service_name, span_name) (rate(duration_milliseconds_bucket{service_name="api"}[5m])))"#
        );
        assert_eq!(
            q.rate,
            r#"sum by (service_name, span_name) (rate(calls_total{service_name="api"}[5m]))"#
        );
    }

    #[test]
    fn rows_join_the_answers_and_put_the_failing_first() {
        let names = SpanMetricNames::otel();
        let answers = RedAnswers {
            rate: vec![
                series(&[("service_name", "api")], &[10.0, 20.0]),
                series(&[("service_name", "auth")], &[4.0, 4.0]),
                series(&[("service_name", "idle")], &[0.0, 0.0]),
            ],
            errors: vec![series(&[("service_name", "auth")], &[0.0, 1.0])],
            p50: vec![series(&[("service_name", "api")], &[5.0, 8.0])],
            p99: vec![series(&[("service_name", "api")], &[50.0, 120.0])],
        };
        let rows = red_rows(&names, &answers);
        let order: Vec<&str> = rows.iter().map(|r| r.service.as_str()).collect();
        assert_eq!(order, ["auth", "api", "idle"]);
        assert_eq!(rows[0].error_ratio, 0.25);
        assert_eq!(rows[0].error_line, [0.0, 0.25]);
        assert!(rows[0].p99.is_nan(), "no histogram: no latency");
        assert_eq!(
            (rows[1].rate, rows[1].p50, rows[1].p99),
            (20.0, 0.008, 0.12)
        );
        assert_eq!(rows[2].error_ratio, 0.0, "no calls: no error ratio");
        // A database seen only through its clients' spans joins from the
        // all-kinds answer; a service that served keeps its served row.
        let all = red_rows(
            &names,
            &RedAnswers {
                rate: vec![
                    series(&[("service_name", "api")], &[99.0]),
                    series(&[("service_name", "db")], &[3.0]),
                ],
                errors: Vec::new(),
                p50: Vec::new(),
                p99: Vec::new(),
            },
        );
        let merged = with_the_rest(rows, all);
        let rates: Vec<(&str, f64)> = merged
            .iter()
            .map(|r| (r.service.as_str(), r.rate))
            .collect();
        assert_eq!(
            rates,
            [("auth", 4.0), ("api", 20.0), ("db", 3.0), ("idle", 0.0)]
        );
    }

    fn edge(client: &str, server: &str, failing: bool) -> Edge {
        Edge {
            client: client.into(),
            server: server.into(),
            rate: 1.0,
            error_ratio: Some(if failing { 0.5 } else { 0.0 }),
            p99: 0.1,
        }
    }

    #[test]
    fn the_graph_is_drawn_from_the_callers_each_service_once() {
        let edges = [
            edge("user", "frontend", false),
            edge("frontend", "api", false),
            edge("api", "postgres", true),
            edge("api", "auth", false),
            edge("auth", "postgres", false),
            edge("cron", "api", false),
        ];
        let text: Vec<String> = graph_lines(&edges)
            .iter()
            .map(|line| {
                line.iter()
                    .map(|(text, failing)| {
                        if *failing {
                            format!("<{text}>")
                        } else {
                            text.clone()
                        }
                    })
                    .collect()
            })
            .collect();
        assert_eq!(
            text,
            [
                "cron ──▶ api ─┬▶ auth ──▶ postgres",
                "            <  └▶ ><postgres ↺>",
                "user ──▶ frontend ──▶ api ↺",
            ]
        );
        let ring = [edge("a", "b", false), edge("b", "a", false)];
        assert_eq!(graph_lines(&ring).len(), 1);
    }

    #[test]
    fn edges_without_a_failed_counter_say_so() {
        let rate = [
            series(&[("client", "api"), ("server", "postgres")], &[5.0]),
            series(&[("client", "api"), ("server", "auth")], &[5.0]),
        ];
        let failed = [series(&[("client", "api"), ("server", "postgres")], &[1.0])];
        let p99 = [series(&[("client", "api"), ("server", "postgres")], &[0.8])];
        let found = edges(&rate, Some(&failed), &p99);
        assert_eq!(
            (found[0].server.as_str(), found[0].error_ratio),
            ("postgres", Some(0.2))
        );
        assert_eq!(found[1].error_ratio, Some(0.0));
        assert!(
            edges(&rate, None, &p99)
                .iter()
                .all(|e| e.error_ratio.is_none())
        );
    }
}
