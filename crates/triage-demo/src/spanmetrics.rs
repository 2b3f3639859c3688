//! What Tempo's metrics generator would have written to Prometheus about
//! the shop's spans, named and labelled as Tempo 2.7 writes them: span
//! metrics (`traces_spanmetrics_*`: calls, bytes and latency per service,
//! span name, span kind and status) and the service graph
//! (`traces_service_graph_*`: requests, failures and latency per edge
//! between two services), with exemplars under Tempo's label, `traceID`.
//!
//! The requests are `metrics.rs`'s traffic, told apart by kind (failed,
//! slow, neither). Each request of a kind is counted as one of the demo's
//! own traces of that kind, taking them in turn, so every span name,
//! duration, error and edge here is one a trace shows: the burst's
//! failures are the statement timeouts on postgres's query, and the
//! api's, and the frontend's, spans around it; the slow requests are slow
//! in the query. Each of those traces is an exemplar of the buckets its
//! spans and calls fell in. (The services' own latency histograms in
//! `metrics.rs` draw their durations themselves: there a failed request
//! is not the 800 ms statement timeout its trace shows; here it is.)
//!
//! Edges: a span whose parent is in another service is a call from that
//! service (a root span, a call from Tempo's virtual node `user`), and a
//! client span that no service answered is a call to its peer (Tempo's
//! `peer.service`, `db.name`, `db.system`: the api's cache read, to
//! `redis`). The demo's frontend writes no client span, and its database
//! spans carry postgres's name, so Tempo itself would pair fewer edges
//! (the recorded fixtures show `user -> frontend`, `api -> auth` and
//! `postgres -> shop`); the demo draws the calls the shop makes:
//! `user -> frontend -> api -> auth, postgres, redis`.
//!
//! The crash-looping auth replica serves no requests (it never becomes
//! ready, and no trace leads to it), so nothing here shows it: auth's
//! spans never fail.
//!
//! Kept compactly: a series' value at a sample is worked out when a query
//! asks, from how many requests of each kind were served by then and the
//! series' sums over each kind's traces, made once at start.

use super::data::{DemoSpan, DemoTrace, WORKLOADS};
use super::metrics::{DemoExemplar, DemoSeries, Labels, STEP, Values, number};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

pub const CALLS: &str = "traces_spanmetrics_calls_total";
pub const SIZE: &str = "traces_spanmetrics_size_total";
pub const LATENCY: &str = "traces_spanmetrics_latency";
pub const REQUESTS: &str = "traces_service_graph_request_total";
pub const FAILED: &str = "traces_service_graph_request_failed_total";
pub const SERVER_SECONDS: &str = "traces_service_graph_request_server_seconds";
pub const CLIENT_SECONDS: &str = "traces_service_graph_request_client_seconds";
/// The label Tempo's exemplars carry the trace id under.
pub const TRACE_LABEL: &str = "traceID";
/// The generator's instance (its pod, `tempo-0` in the demo's cluster) and
/// the external label Tempo's remote write adds.
const INSTANCE: (&str, &str) = ("__metrics_gen_instance", "tempo-0");
const SOURCE: (&str, &str) = ("source", "tempo");
/// A request slower than this is slow, as `metrics.rs` tells a slow trace.
pub const SLOW: Nanos = 200_000_000;

/// Tempo's default span metrics buckets: 2 ms, doubling 13 times.
const LATENCY_BUCKETS: [f64; 15] = [
    0.002,
    0.004,
    0.008,
    0.016,
    0.032,
    0.064,
    0.128,
    0.256,
    0.512,
    1.024,
    2.048,
    4.096,
    8.192,
    16.384,
    f64::INFINITY,
];
/// Tempo's default service graph buckets: 100 ms, doubling 7 times.
const GRAPH_BUCKETS: [f64; 9] = [0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, f64::INFINITY];

/// A span's columns: calls, bytes, the cumulative buckets, sum, count.
const SPAN_COLUMNS: usize = LATENCY_BUCKETS.len() + 4;
/// A histogram of a call's seconds: the cumulative buckets, sum, count.
const GRAPH_HISTOGRAM: usize = GRAPH_BUCKETS.len() + 2;
/// An edge's columns: requests, failed requests, the server's histogram,
/// the client's.
const EDGE_COLUMNS: usize = 2 + 2 * GRAPH_HISTOGRAM;

/// What kind of request the traffic served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Failed,
    Slow,
    Normal,
}

const KINDS: [Kind; 3] = [Kind::Failed, Kind::Slow, Kind::Normal];

/// Requests served, counted by `Kind`.
pub type Served = [u64; KINDS.len()];

impl Kind {
    /// A request that failed, else one that took longer than `SLOW`.
    pub fn of(failed: bool, seconds: f64) -> Kind {
        if failed {
            Kind::Failed
        } else if seconds > SLOW as f64 / NANOS_PER_SEC as f64 {
            Kind::Slow
        } else {
            Kind::Normal
        }
    }

    fn of_trace(trace: &DemoTrace) -> Option<Kind> {
        let root = trace.spans.iter().find(|s| s.parent.is_none())?;
        Some(Kind::of(trace.failed(), seconds(root)))
    }
}

/// What a span is counted under: `service`, `span_name`, `span_kind` and
/// `status_code`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct SpanKey {
    service: &'static str,
    name: String,
    kind: &'static str,
    failed: bool,
}

/// An edge of the service graph: `client`, `server`, `connection_type`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Edge {
    client: &'static str,
    server: String,
    connection: Option<&'static str>,
}

/// One span as the span metrics count it.
struct SpanSeen {
    key: SpanKey,
    seconds: f64,
    bytes: f64,
    end: Nanos,
}

/// One call between services as the service graph counts it.
struct CallSeen {
    edge: Edge,
    server: f64,
    client: f64,
    failed: bool,
    /// When the later of its two spans ended.
    end: Nanos,
}

fn seconds(span: &DemoSpan) -> f64 {
    (span.end - span.start) as f64 / NANOS_PER_SEC as f64
}

fn service(span: &DemoSpan) -> &'static str {
    WORKLOADS[span.service].0
}

fn attribute<'s>(span: &'s DemoSpan, key: &str) -> Option<&'s str> {
    span.attributes
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v.as_str())
}

fn span_seen(span: &DemoSpan, trace: &DemoTrace) -> SpanSeen {
    SpanSeen {
        key: SpanKey {
            service: service(span),
            name: span.name.clone(),
            kind: span.kind,
            failed: span.error.is_some(),
        },
        seconds: seconds(span),
        bytes: encoded_len(span, trace) as f64,
        end: span.end,
    }
}

/// The calls between services a trace's spans show (see the module's
/// words on edges).
fn calls_seen(trace: &DemoTrace) -> Vec<CallSeen> {
    let by_id = |id: [u8; 8]| trace.spans.iter().find(|s| s.id == id);
    let mut calls = Vec::new();
    for span in &trace.spans {
        let failed = span.error.is_some();
        match span.parent.and_then(by_id) {
            None => calls.push(CallSeen {
                edge: Edge {
                    client: "user",
                    server: service(span).into(),
                    connection: Some("virtual_node"),
                },
                server: seconds(span),
                // Tempo has no client span to time a virtual node's call by.
                client: 0.0,
                failed,
                end: span.end,
            }),
            Some(parent) if parent.service != span.service => {
                let database = attribute(span, "db.system").is_some();
                let client_span = parent.kind == "SPAN_KIND_CLIENT";
                calls.push(CallSeen {
                    edge: Edge {
                        client: service(parent),
                        server: service(span).into(),
                        connection: database.then_some("database"),
                    },
                    server: seconds(span),
                    client: if client_span {
                        seconds(parent)
                    } else {
                        seconds(span)
                    },
                    failed: failed || (client_span && parent.error.is_some()),
                    end: span.end.max(parent.end),
                });
            }
            Some(_) => {
                let answered = trace
                    .spans
                    .iter()
                    .any(|s| s.parent == Some(span.id) && s.service != span.service);
                let peer = ["peer.service", "db.name", "db.system"]
                    .into_iter()
                    .find_map(|key| attribute(span, key));
                if let (false, "SPAN_KIND_CLIENT", Some(peer)) = (answered, span.kind, peer) {
                    calls.push(CallSeen {
                        edge: Edge {
                            client: service(span),
                            server: peer.into(),
                            connection: Some("virtual_node"),
                        },
                        server: seconds(span),
                        client: seconds(span),
                        failed,
                        end: span.end,
                    });
                }
            }
        }
    }
    calls
}

/// The span's size in OTLP protobuf (`opentelemetry.proto.trace.v1.Span`),
/// which Tempo's `size_total` adds up; worked out without encoding it.
fn encoded_len(span: &DemoSpan, trace: &DemoTrace) -> usize {
    // A field of `n` bytes behind its tag and length (every tag here is
    // below 16); a text field left empty is left out.
    let field = |n: usize| 1 + prost::length_delimiter_len(n) + n;
    let text = |n: usize| if n == 0 { 0 } else { field(n) };
    // `KeyValue { key, value: AnyValue { string_value } }`: the value is
    // one of several, written even when empty.
    let attribute =
        |(key, value): &(&str, String)| field(text(key.len()) + field(field(value.len())));
    let attributes = |list: &[(&str, String)]| list.iter().map(attribute).sum::<usize>();
    let kind = usize::from(span.kind != "SPAN_KIND_UNSPECIFIED") * 2;
    let events: usize = span
        .events
        .iter()
        .map(|(_, name, list)| field(9 + text(name.len()) + attributes(list)))
        .sum();
    let status = span
        .error
        .as_ref()
        .map_or(0, |message| field(text(message.len()) + 2));
    field(trace.id.len())
        + field(span.id.len())
        + span.parent.map_or(0, |p| field(p.len()))
        + text(span.name.len())
        + kind
        + 2 * 9
        + attributes(&span.attributes)
        + events
        + status
}

/// The first bucket (index) whose bound holds `seconds`.
fn bucket(bounds: &[f64], seconds: f64) -> usize {
    bounds
        .iter()
        .position(|le| seconds <= *le)
        .unwrap_or(bounds.len() - 1)
}

/// Adds one observation to a histogram's columns (buckets, sum, count).
fn observe(columns: &mut [f64], bounds: &[f64], seconds: f64) {
    let (buckets, rest) = columns.split_at_mut(bounds.len());
    for count in &mut buckets[bucket(bounds, seconds)..] {
        *count += 1.0;
    }
    rest[0] += seconds;
    rest[1] += 1.0;
}

/// The columns: every span key's, then every edge's.
struct Layout {
    spans: BTreeMap<SpanKey, usize>,
    edges: BTreeMap<Edge, usize>,
}

impl Layout {
    fn width(&self) -> usize {
        self.spans.len() * SPAN_COLUMNS + self.edges.len() * EDGE_COLUMNS
    }

    fn span(&self, key: &SpanKey) -> usize {
        self.spans.get(key).map_or(0, |i| i * SPAN_COLUMNS)
    }

    fn edge(&self, edge: &Edge) -> usize {
        let first = self.spans.len() * SPAN_COLUMNS;
        self.edges.get(edge).map_or(0, |i| first + i * EDGE_COLUMNS)
    }

    /// What counting a trace once adds to each column.
    fn row(&self, spans: &[SpanSeen], calls: &[CallSeen]) -> Vec<f64> {
        let mut row = vec![0.0; self.width()];
        for seen in spans {
            let columns = &mut row[self.span(&seen.key)..][..SPAN_COLUMNS];
            columns[0] += 1.0;
            columns[1] += seen.bytes;
            observe(&mut columns[2..], &LATENCY_BUCKETS, seen.seconds);
        }
        for call in calls {
            let columns = &mut row[self.edge(&call.edge)..][..EDGE_COLUMNS];
            columns[0] += 1.0;
            columns[1] += f64::from(u8::from(call.failed));
            let (server, client) = columns[2..].split_at_mut(GRAPH_HISTOGRAM);
            observe(server, &GRAPH_BUCKETS, call.server);
            observe(client, &GRAPH_BUCKETS, call.client);
        }
        row
    }
}

/// The labels of a span key's column's series.
fn span_labels(key: &SpanKey, column: usize) -> Labels {
    let (name, le) = match column {
        0 => (CALLS.to_owned(), None),
        1 => (SIZE.to_owned(), None),
        c if c < 2 + LATENCY_BUCKETS.len() => {
            (format!("{LATENCY}_bucket"), Some(LATENCY_BUCKETS[c - 2]))
        }
        c if c == 2 + LATENCY_BUCKETS.len() => (format!("{LATENCY}_sum"), None),
        _ => (format!("{LATENCY}_count"), None),
    };
    let status = if key.failed {
        "STATUS_CODE_ERROR"
    } else {
        "STATUS_CODE_UNSET"
    };
    let mut labels = labels(&[
        ("__name__", &name),
        INSTANCE,
        SOURCE,
        ("service", key.service),
        ("span_name", &key.name),
        ("span_kind", key.kind),
        ("status_code", status),
    ]);
    labels.extend(le.map(|le| ("le".to_owned(), number(le))));
    labels
}

/// The labels of an edge's column's series (`None`: it has none).
fn edge_labels(edge: &Edge, column: usize, failing: bool) -> Option<Labels> {
    let histogram = |name: &str, c: usize| match c {
        c if c < GRAPH_BUCKETS.len() => (format!("{name}_bucket"), Some(GRAPH_BUCKETS[c])),
        c if c == GRAPH_BUCKETS.len() => (format!("{name}_sum"), None),
        _ => (format!("{name}_count"), None),
    };
    let (name, le) = match column {
        0 => (REQUESTS.to_owned(), None),
        // Tempo writes a failed counter once an edge has failed.
        1 if !failing => return None,
        1 => (FAILED.to_owned(), None),
        c if c < 2 + GRAPH_HISTOGRAM => histogram(SERVER_SECONDS, c - 2),
        c => histogram(CLIENT_SECONDS, c - 2 - GRAPH_HISTOGRAM),
    };
    let mut labels = labels(&[
        ("__name__", &name),
        INSTANCE,
        SOURCE,
        ("client", edge.client),
        ("server", &edge.server),
    ]);
    labels.extend(
        edge.connection
            .map(|c| ("connection_type".to_owned(), c.to_owned())),
    );
    labels.extend(le.map(|le| ("le".to_owned(), number(le))));
    Some(labels)
}

/// The distinct keys, in order, each with its place.
fn numbered<'k, K: Ord + Clone + 'k>(keys: impl Iterator<Item = &'k K>) -> BTreeMap<K, usize> {
    let distinct: BTreeSet<&K> = keys.collect();
    distinct
        .into_iter()
        .enumerate()
        .map(|(i, k)| (k.clone(), i))
        .collect()
}

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Tempo's counts, kept compact: a column's value at a sample is worked
/// out when asked, from how many requests of each kind were served by
/// then and the column's sums over each kind's traces.
pub struct Counts {
    /// Per kind: the traces it is counted as, in turn.
    lens: [usize; KINDS.len()],
    /// Per kind, column after column: the column's total over the kind's
    /// first `j` traces, for `j` from 0 to the kind's `len`.
    sums: [Vec<f64>; KINDS.len()],
    /// Per sample and kind: whole turns through its traces, and how far
    /// into the next.
    turns: Vec<[(f64, usize); KINDS.len()]>,
}

impl Counts {
    fn value(&self, column: usize, sample: usize) -> f64 {
        let Some(turns) = self.turns.get(sample) else { return f64::NAN };
        let mut value = 0.0;
        for (k, (whole, part)) in turns.iter().enumerate() {
            let width = self.lens[k] + 1;
            let sums = &self.sums[k][column * width..][..width];
            value += whole * sums[width - 1] + sums[*part];
        }
        value
    }
}

/// One column of the counts: one series' values.
#[derive(Clone)]
pub struct Column {
    counts: Arc<Counts>,
    column: usize,
}

impl Column {
    pub fn len(&self) -> usize {
        self.counts.turns.len()
    }

    pub fn get(&self, sample: usize) -> f64 {
        self.counts.value(self.column, sample)
    }
}

/// Tempo's series for the traffic `served` (how many requests of each
/// kind by each sample, the first at `first`), each request counted as
/// one of `traces` of its kind; those traces are the exemplars.
pub fn series(first: Nanos, served: &[Served], traces: &[DemoTrace]) -> Vec<DemoSeries> {
    let seen: Vec<(Kind, &DemoTrace, Vec<SpanSeen>, Vec<CallSeen>)> = traces
        .iter()
        .filter_map(|t| {
            let spans = t.spans.iter().map(|s| span_seen(s, t)).collect();
            Some((Kind::of_trace(t)?, t, spans, calls_seen(t)))
        })
        .collect();
    let layout = Layout {
        spans: numbered(seen.iter().flat_map(|s| &s.2).map(|s| &s.key)),
        edges: numbered(seen.iter().flat_map(|s| &s.3).map(|c| &c.edge)),
    };
    let failing: BTreeSet<&Edge> = seen
        .iter()
        .flat_map(|s| &s.3)
        .filter(|c| c.failed)
        .map(|c| &c.edge)
        .collect();
    let rows: Vec<Vec<f64>> = seen.iter().map(|s| layout.row(&s.2, &s.3)).collect();

    // The traces each kind is counted as; a kind without traces of its
    // own is counted as the ordinary ones.
    let pool =
        |kind: Kind| -> Vec<usize> { (0..seen.len()).filter(|&i| seen[i].0 == kind).collect() };
    let mut fallback = pool(Kind::Normal);
    if fallback.is_empty() {
        fallback = (0..seen.len()).collect();
    }
    if fallback.is_empty() {
        return Vec::new();
    }
    let pools: [Vec<usize>; KINDS.len()] = KINDS.map(|k| {
        let own = pool(k);
        if own.is_empty() {
            fallback.clone()
        } else {
            own
        }
    });
    let sums = std::array::from_fn(|k| {
        let width = pools[k].len() + 1;
        let mut sums = vec![0.0; layout.width() * width];
        for (j, &t) in pools[k].iter().enumerate() {
            for (c, value) in rows[t].iter().enumerate() {
                let at = c * width + j + 1;
                sums[at] = sums[at - 1] + value;
            }
        }
        sums
    });
    let lens = std::array::from_fn(|k| pools[k].len());
    let turns = served
        .iter()
        .map(|n| {
            std::array::from_fn(|k| {
                let len = lens[k] as u64;
                ((n[k] / len) as f64, (n[k] % len) as usize)
            })
        })
        .collect();
    let counts = Arc::new(Counts { lens, sums, turns });

    let mut series = Vec::new();
    // Each column's series, where it has one.
    let mut index = vec![None; layout.width()];
    let mut add = |column: usize, labels: Option<Labels>| {
        if let Some(labels) = labels {
            index[column] = Some(series.len());
            let counts = Arc::clone(&counts);
            series.push(DemoSeries {
                labels,
                values: Values::Counted(Column { counts, column }),
                exemplars: Vec::new(),
            });
        }
    };
    for key in layout.spans.keys() {
        let start = layout.span(key);
        for c in 0..SPAN_COLUMNS {
            add(start + c, Some(span_labels(key, c)));
        }
    }
    for edge in layout.edges.keys() {
        let start = layout.edge(edge);
        for c in 0..EDGE_COLUMNS {
            add(start + c, edge_labels(edge, c, failing.contains(edge)));
        }
    }

    // Tempo drops the id's leading zeros; an exemplar is stamped when the
    // generator collects what it counted.
    let last = first + (served.len() as i64 - 1) * STEP;
    let collected =
        |end: Nanos| (first + (end - first + STEP - 1).div_euclid(STEP) * STEP).min(last);
    for (_, trace, spans, calls) in &seen {
        let hex = trace.hex_id();
        let trace_id = hex.trim_start_matches('0');
        let mut exemplar = |column: usize, value: f64, end: Nanos| {
            let Some(Some(i)) = index.get(column) else { return };
            series[*i].exemplars.push(DemoExemplar {
                label: TRACE_LABEL,
                trace_id: trace_id.to_owned(),
                value,
                time: collected(end),
            });
        };
        for span in spans {
            let column = layout.span(&span.key) + 2 + bucket(&LATENCY_BUCKETS, span.seconds);
            exemplar(column, span.seconds, span.end);
        }
        for call in calls {
            let server = layout.edge(&call.edge) + 2;
            let client = server + GRAPH_HISTOGRAM;
            exemplar(
                server + bucket(&GRAPH_BUCKETS, call.server),
                call.server,
                call.end,
            );
            exemplar(
                client + bucket(&GRAPH_BUCKETS, call.client),
                call.client,
                call.end,
            );
        }
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoData;
    use crate::promql::{Promql, Value};

    const HOUR: Nanos = 3600 * NANOS_PER_SEC;

    fn data() -> DemoData {
        DemoData::generate(1_800_000_000 * NANOS_PER_SEC)
    }

    /// The query's samples at `t`, each keyed by its labels' values.
    fn at(data: &DemoData, query: &str, t: Nanos) -> BTreeMap<String, f64> {
        let Value::Vector(samples) = Promql::parse(query).unwrap().at(&data.metrics, t).unwrap()
        else {
            panic!("{query}: a scalar")
        };
        samples
            .into_iter()
            .map(|s| {
                let key: Vec<&str> = s.labels.values().map(String::as_str).collect();
                (key.join(" "), s.value)
            })
            .collect()
    }

    fn now(data: &DemoData, query: &str) -> BTreeMap<String, f64> {
        at(data, query, data.metrics.end())
    }

    /// The label names and each label's values over the series of `name`.
    fn labels_of(data: &DemoData, name: &str) -> BTreeMap<String, BTreeSet<String>> {
        let mut labels: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for series in data
            .metrics
            .series
            .iter()
            .filter(|s| s.labels["__name__"] == name)
        {
            for (k, v) in &series.labels {
                labels.entry(k.clone()).or_default().insert(v.clone());
            }
        }
        labels
    }

    fn set(values: &[&str]) -> BTreeSet<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[test]
    fn the_series_are_named_and_labelled_as_tempo_writes_them() {
        let data = data();
        let calls = labels_of(&data, CALLS);
        let names: Vec<&str> = calls.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "__metrics_gen_instance",
                "__name__",
                "service",
                "source",
                "span_kind",
                "span_name",
                "status_code"
            ]
        );
        assert_eq!(
            calls["service"],
            set(&["api", "auth", "frontend", "postgres"])
        );
        assert_eq!(
            calls["span_kind"],
            set(&["SPAN_KIND_CLIENT", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER"])
        );
        assert_eq!(
            calls["status_code"],
            set(&["STATUS_CODE_ERROR", "STATUS_CODE_UNSET"])
        );
        // The operations of the demo's traces, and no others.
        let operations: BTreeSet<String> = data
            .traces
            .iter()
            .flat_map(|t| t.spans.iter().map(|s| s.name.clone()))
            .collect();
        assert_eq!(calls["span_name"], operations);
        let buckets = labels_of(&data, &format!("{LATENCY}_bucket"));
        assert_eq!(buckets["le"].len(), 15);
        assert!(buckets["le"].contains("1.024") && buckets["le"].contains("+Inf"));
        for suffix in ["sum", "count"] {
            assert_eq!(
                labels_of(&data, &format!("{LATENCY}_{suffix}"))["service"].len(),
                4
            );
        }
        assert_eq!(labels_of(&data, SIZE)["span_name"], operations);

        let edges = |name: &str| -> BTreeSet<String> {
            data.metrics
                .series
                .iter()
                .filter(|s| s.labels["__name__"] == name)
                .map(|s| format!("{} -> {}", s.labels["client"], s.labels["server"]))
                .collect()
        };
        let all = [
            "api -> auth",
            "api -> postgres",
            "api -> redis",
            "frontend -> api",
            "user -> frontend",
        ];
        assert_eq!(edges(REQUESTS), set(&all));
        // Only the edges that failed have a failed counter.
        assert_eq!(
            edges(FAILED),
            set(&["api -> postgres", "frontend -> api", "user -> frontend"])
        );
        for name in [SERVER_SECONDS, CLIENT_SECONDS] {
            for suffix in ["bucket", "sum", "count"] {
                assert_eq!(edges(&format!("{name}_{suffix}")), set(&all), "{name}");
            }
            assert_eq!(labels_of(&data, &format!("{name}_bucket"))["le"].len(), 9);
        }
        let requests = labels_of(&data, REQUESTS);
        assert_eq!(
            requests["connection_type"],
            set(&["database", "virtual_node"])
        );
        assert_eq!(requests["source"], set(&["tempo"]));
    }

    #[test]
    fn the_same_requests_as_the_services_own_metrics() {
        let data = data();
        let spans = now(
            &data,
            "sum by (service) (rate(traces_spanmetrics_calls_total[5m]))",
        );
        let http = now(
            &data,
            "sum by (service) (rate(http_server_requests_total[5m]))",
        );
        // One frontend span and one api server span per request.
        assert!(
            (spans["frontend"] - http["frontend"]).abs() < 1e-9,
            "{spans:?} {http:?}"
        );
        let api = now(
            &data,
            r#"sum(rate(traces_spanmetrics_calls_total{service="api", span_kind="SPAN_KIND_SERVER"}[5m]))"#,
        );
        assert!((api[""] - http["api"]).abs() < 1e-9);
        // Every request calls auth once; postgres two or three times.
        let edges = now(
            &data,
            "sum by (client, server) (rate(traces_service_graph_request_total[5m]))",
        );
        assert!((edges["api auth"] - http["api"]).abs() < 1e-9);
        assert!(
            edges["api postgres"] > 2.0 * http["api"] && edges["api postgres"] < 3.0 * http["api"]
        );
        assert!(http["api"] > 1.0, "{http:?}");
    }

    #[test]
    fn the_burst_fails_the_frontend_api_and_postgres_never_auth() {
        let data = data();
        let error = r#"{status_code="STATUS_CODE_ERROR"}"#;
        let ratio = |t: Nanos| {
            at(
                &data,
                &format!(
                    "sum by (service) (rate(traces_spanmetrics_calls_total{error}[5m])) / sum by (service) (rate(traces_spanmetrics_calls_total[5m]))"
                ),
                t,
            )
        };
        let http = now(
            &data,
            r#"sum(rate(http_server_requests_total{service="frontend", code="500"}[5m])) / sum(rate(http_server_requests_total{service="frontend"}[5m]))"#,
        );
        let burst = ratio(data.metrics.end());
        // Where the failed requests show: the frontend's spans fail as
        // often as its requests (the HighErrorRate alert's ratio).
        assert!(
            (burst["frontend"] - http[""]).abs() < 1e-9,
            "{burst:?} {http:?}"
        );
        assert!(burst["frontend"] > 0.15, "{burst:?}");
        let highest = burst.iter().max_by(|a, b| a.1.total_cmp(b.1)).unwrap();
        assert_eq!(highest.0, "frontend", "{burst:?}");
        // Where they start: postgres's query fails in every one of them.
        let failed = now(
            &data,
            &format!(
                "sum by (service, span_name) (rate(traces_spanmetrics_calls_total{error}[5m]))"
            ),
        );
        let keys: Vec<&str> = failed.keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "api ArticlesRepository.List",
                "api GET /articles",
                "frontend GET /api/articles",
                "postgres SELECT shop.articles"
            ]
        );
        assert!(
            failed
                .values()
                .all(|v| (v - failed["frontend GET /api/articles"]).abs() < 1e-9)
        );
        // auth's spans never fail: its failing replica serves nothing.
        assert!(!burst.contains_key("auth"));
        assert!(!failed.keys().any(|k| k.starts_with("auth")));
        // Three hours before, the ordinary trickle.
        let before = ratio(data.metrics.end() - 3 * HOUR);
        assert!(before["frontend"] < 0.05 && before["postgres"] < burst["postgres"] / 5.0);

        let edges = now(
            &data,
            "sum by (client, server) (rate(traces_service_graph_request_failed_total[5m])) / sum by (client, server) (rate(traces_service_graph_request_total[5m]))",
        );
        let keys: Vec<&str> = edges.keys().map(String::as_str).collect();
        assert_eq!(keys, ["api postgres", "frontend api", "user frontend"]);
        assert!((edges["user frontend"] - burst["frontend"]).abs() < 1e-9);
    }

    #[test]
    fn the_slow_database_is_the_slow_edge_under_the_api() {
        let data = data();
        let p = |q: f64, t: Nanos| {
            at(
                &data,
                &format!(
                    "histogram_quantile({q}, sum by (le, client, server) (rate(traces_service_graph_request_server_seconds_bucket[5m])))"
                ),
                t,
            )
        };
        let end = data.metrics.end();
        let p99 = p(0.99, end);
        // Of the api's calls, the database's are the slow ones; every edge
        // above it waits on it, so none is faster than it.
        let api = ["api auth", "api postgres", "api redis"].map(|edge| p99[edge]);
        assert!(api[1] > 10.0 * api[0] && api[1] > 10.0 * api[2], "{p99:?}");
        assert!(api[1] > 1.0, "{p99:?}");
        assert!(p99["frontend api"] >= api[1] && p99["user frontend"] >= api[1]);
        // It is slow now (the burst's statement timeouts, the slow spell
        // around the last slow trace), not three hours before.
        let before = p(0.99, end - 3 * HOUR);
        assert!(before["api postgres"] < 0.2, "{before:?}");
        assert!(p(0.5, end)["api postgres"] < 0.1);

        // The same in postgres's spans: its query is the slowest of the
        // spans that call nothing.
        let spans = now(
            &data,
            "histogram_quantile(0.99, sum by (le, service, span_name) (rate(traces_spanmetrics_latency_bucket[5m])))",
        );
        let leaves = [
            "api GET articles:cache",
            "api POST /verify",
            "auth POST /verify",
            "postgres SELECT shop.articles",
            "postgres SET statement_timeout",
        ];
        let slowest = leaves
            .into_iter()
            .max_by(|a, b| spans[*a].total_cmp(&spans[*b]))
            .unwrap();
        assert_eq!(slowest, "postgres SELECT shop.articles", "{spans:?}");
        assert!(spans[slowest] > 0.5);
        let by_service = now(
            &data,
            r#"histogram_quantile(0.99, sum by (le, service) (rate(traces_spanmetrics_latency_bucket{service=~"auth|postgres"}[5m])))"#,
        );
        assert!(
            by_service["postgres"] > 100.0 * by_service["auth"],
            "{by_service:?}"
        );
    }

    #[test]
    fn a_services_views_queries_answer_at_an_instant_and_over_a_range() {
        let data = data();
        let end = data.metrics.end();
        for (query, lines) in [
            (
                "sum by (service) (rate(traces_spanmetrics_calls_total[5m]))",
                4,
            ),
            (
                r#"sum by (service) (rate(traces_spanmetrics_calls_total{status_code="STATUS_CODE_ERROR"}[5m]))"#,
                3,
            ),
            (
                "histogram_quantile(0.99, sum by (le, service) (rate(traces_spanmetrics_latency_bucket[5m])))",
                4,
            ),
            (
                "histogram_quantile(0.5, sum by (le, service) (rate(traces_spanmetrics_latency_bucket[5m])))",
                4,
            ),
            (
                "sum by (service, span_name) (rate(traces_spanmetrics_calls_total[5m]))",
                8,
            ),
            (
                r#"histogram_quantile(0.99, sum by (le, service, span_name) (rate(traces_spanmetrics_latency_bucket{service="api"}[5m])))"#,
                4,
            ),
            (
                r#"sum by (service, span_name) (rate(traces_spanmetrics_calls_total{service="api"}[5m]))"#,
                4,
            ),
            (
                "sum by (client, server) (rate(traces_service_graph_request_total[5m]))",
                5,
            ),
            (
                "sum by (client, server) (rate(traces_service_graph_request_failed_total[5m]))",
                3,
            ),
            (
                "histogram_quantile(0.99, sum by (le, client, server) (rate(traces_service_graph_request_server_seconds_bucket[5m])))",
                5,
            ),
            (
                "histogram_quantile(0.99, sum by (le, client, server) (rate(traces_service_graph_request_client_seconds_bucket[5m])))",
                5,
            ),
        ] {
            let instant = now(&data, query);
            assert_eq!(instant.len(), lines, "{query}: {instant:?}");
            assert!(
                instant.values().all(|v| v.is_finite() && *v >= 0.0),
                "{query}"
            );
            let range = Promql::parse(query)
                .unwrap()
                .range(&data.metrics, end - HOUR, end, 60 * NANOS_PER_SEC)
                .unwrap();
            assert_eq!(range.len(), lines, "{query}");
            for (labels, points) in &range {
                assert_eq!(points.len(), 61, "{query} {labels:?}");
                assert!(
                    points.iter().all(|(_, v)| v.is_finite()),
                    "{query} {labels:?}"
                );
            }
        }
    }

    #[test]
    fn counters_only_rise_and_histograms_add_up() {
        let data = data();
        let tempo = || {
            data.metrics
                .series
                .iter()
                .filter(|s| s.labels["__name__"].starts_with("traces_"))
        };
        assert_eq!(tempo().count(), 12 * SPAN_COLUMNS + 5 * EDGE_COLUMNS - 2);
        let last = crate::metrics::SAMPLES - 1;
        for series in tempo() {
            let values = &series.values;
            assert_eq!(values.get(0), 0.0, "{:?}", series.labels);
            assert!((1..=last).all(|i| values.get(i - 1) <= values.get(i)));
            if !series.labels.contains_key("le") && !series.labels["__name__"].ends_with("_sum") {
                // Counts are whole, and every series counted something.
                assert!(values.get(last) > 0.0, "{:?}", series.labels);
                assert_eq!(values.get(last).fract(), 0.0, "{:?}", series.labels);
            }
        }
        // The +Inf bucket is the count, and the count the calls.
        let value = |query: &str| now(&data, query).into_values().sum::<f64>();
        let calls = value("sum(traces_spanmetrics_calls_total)");
        assert_eq!(
            value(r#"sum(traces_spanmetrics_latency_bucket{le="+Inf"})"#),
            calls
        );
        assert_eq!(value("sum(traces_spanmetrics_latency_count)"), calls);
    }

    #[test]
    fn sizes_are_the_spans_protobuf_sizes() {
        use opentelemetry_proto::tonic::common::v1::{AnyValue, KeyValue, any_value};
        use opentelemetry_proto::tonic::trace::v1::{Span, Status, span::Event};
        use prost::Message;
        let text = |(key, value): &(&str, String)| KeyValue {
            key: (*key).into(),
            value: Some(AnyValue {
                value: Some(any_value::Value::StringValue(value.clone())),
            }),
            ..KeyValue::default()
        };
        let data = data();
        for trace in data.traces.iter().chain(&data.upcoming).take(500) {
            for span in &trace.spans {
                let kind = ["SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT"]
                    .iter()
                    .position(|k| *k == span.kind)
                    .unwrap() as i32
                    + 1;
                let proto = Span {
                    trace_id: trace.id.to_vec(),
                    span_id: span.id.to_vec(),
                    parent_span_id: span.parent.map(|p| p.to_vec()).unwrap_or_default(),
                    name: span.name.clone(),
                    kind,
                    start_time_unix_nano: span.start as u64,
                    end_time_unix_nano: span.end as u64,
                    attributes: span.attributes.iter().map(text).collect(),
                    events: span
                        .events
                        .iter()
                        .map(|(t, name, attributes)| Event {
                            time_unix_nano: *t as u64,
                            name: (*name).into(),
                            attributes: attributes.iter().map(text).collect(),
                            ..Event::default()
                        })
                        .collect(),
                    status: span.error.as_ref().map(|message| Status {
                        code: 2,
                        message: message.clone(),
                    }),
                    ..Span::default()
                };
                assert_eq!(
                    encoded_len(span, trace),
                    proto.encoded_len(),
                    "{}",
                    span.name
                );
            }
        }
    }
}
