//! The shop's metrics, generated: what the frontend and api would have
//! exposed to Prometheus. A sample every 15 s (a common scrape interval)
//! over the last 24 hours: 5,760 per series, 48 series, about 2 MB of
//! values, generated in well under a second; enough to see the daily wave
//! of traffic. The last 20 minutes hold an error burst, latency rises
//! around the demo's slow requests, and every demo trace is an exemplar.
//! The same requests, counted again by Tempo's metrics generator from
//! their spans, are `spanmetrics.rs`'s series, after these.

use super::data::{API, DemoTrace, FRONTEND, NAMESPACE, WORKLOADS};
use super::spanmetrics::{self, Served};
use std::collections::BTreeMap;
use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

pub type Labels = BTreeMap<String, String>;

pub const STEP: Nanos = 15 * NANOS_PER_SEC;
pub const SAMPLES: usize = 5_760;
pub const REQUESTS: &str = "http_server_requests_total";
pub const DURATION: &str = "http_server_request_duration_seconds";
/// The label exemplars carry their trace id under, the app's default.
pub const TRACE_LABEL: &str = "trace_id";
/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 9] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, f64::INFINITY];
/// How long before the end the error burst starts.
const BURST: Nanos = 20 * 60 * NANOS_PER_SEC;
/// How near a slow demo trace other requests are slow too.
const SLOW_SPELL: Nanos = 2 * 60 * NANOS_PER_SEC;
/// The services that expose metrics, frontend then api, and the route
/// each serves, as their spans name it.
const SERVED: [(usize, &str); 2] = [(FRONTEND, "/api/articles"), (API, "/articles")];
const CODES: [&str; 2] = ["200", "500"];

pub struct DemoExemplar {
    /// The label the trace id is under: `trace_id` (`TRACE_LABEL`) from
    /// the services' own client libraries, `traceID` from Tempo.
    pub label: &'static str,
    pub trace_id: String,
    pub value: f64,
    pub time: Nanos,
}

pub struct DemoSeries {
    /// With `__name__`, as Prometheus stores them.
    pub labels: Labels,
    pub values: Values,
    pub exemplars: Vec<DemoExemplar>,
}

/// A series' values, one per sample time, oldest first.
pub enum Values {
    Samples(Vec<f64>),
    /// Tempo's, worked out when asked.
    Counted(spanmetrics::Column),
}

impl Values {
    pub fn len(&self) -> usize {
        match self {
            Values::Samples(values) => values.len(),
            Values::Counted(column) => column.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The value at sample `i` (NaN past the end).
    pub fn get(&self, i: usize) -> f64 {
        match self {
            Values::Samples(values) => values.get(i).copied().unwrap_or(f64::NAN),
            Values::Counted(column) => column.get(i),
        }
    }
}

impl FromIterator<f64> for Values {
    fn from_iter<I: IntoIterator<Item = f64>>(values: I) -> Values {
        Values::Samples(values.into_iter().collect())
    }
}

pub struct DemoMetrics {
    /// The time of the first sample; the others follow every `STEP`.
    pub first: Nanos,
    pub series: Vec<DemoSeries>,
}

/// What one service's instrumentation has counted for one status code.
#[derive(Clone, Copy, Default)]
struct Totals {
    requests: f64,
    seconds: f64,
    buckets: [f64; BUCKETS.len()],
}

impl Totals {
    fn observe(&mut self, seconds: f64) {
        self.requests += 1.0;
        self.seconds += seconds;
        for (count, le) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= le {
                *count += 1.0;
            }
        }
    }
}

impl DemoMetrics {
    /// Samples up to `now`, the same every run for the same `now`.
    pub fn generate(now: Nanos, traces: &[DemoTrace]) -> DemoMetrics {
        // Prometheus keeps milliseconds.
        let last = now - now.rem_euclid(1_000_000);
        let first = last - (SAMPLES as i64 - 1) * STEP;
        let slow: Vec<Nanos> = traces
            .iter()
            .filter_map(root)
            .filter(|(start, end)| end - start > spanmetrics::SLOW)
            .map(|(start, _)| start)
            .collect();
        let mut traffic = Traffic {
            rng: fastrand::Rng::with_seed(11),
            totals: Default::default(),
            errors_due: 0.0,
        };
        let mut history: Vec<Vec<Totals>> = (0..SERVED.len() * CODES.len())
            .map(|_| Vec::with_capacity(SAMPLES))
            .collect();
        // How many requests of each kind were served by each sample.
        let mut served: Vec<Served> = Vec::with_capacity(SAMPLES);
        let mut so_far = Served::default();
        for i in 0..SAMPLES as i64 {
            let t = first + i * STEP;
            if i > 0 {
                let error_ratio = if t > last - BURST { 0.2 } else { 0.02 };
                let slow_spell = slow.iter().any(|s| (t - s).abs() < SLOW_SPELL);
                let kinds = traffic.interval(requests_per_second(t), error_ratio, slow_spell);
                for (total, n) in so_far.iter_mut().zip(kinds) {
                    *total += n;
                }
            }
            for (column, totals) in history.iter_mut().zip(traffic.totals.iter().flatten()) {
                column.push(*totals);
            }
            served.push(so_far);
        }
        let mut metrics = DemoMetrics {
            first,
            series: Vec::new(),
        };
        for (k, column) in history.iter().enumerate() {
            let (service, route) = SERVED[k / CODES.len()];
            metrics
                .series
                .extend(family(service, route, CODES[k % CODES.len()], column));
        }
        traces.iter().for_each(|t| metrics.add_exemplars(t));
        let tempo = spanmetrics::series(first, &served, traces);
        metrics.series.extend(tempo);
        metrics
    }

    /// The time of the last sample.
    pub fn end(&self) -> Nanos {
        self.first + (SAMPLES as i64 - 1) * STEP
    }

    /// The samples of a series in `(from, to]`, oldest first.
    pub fn window<'a>(
        &self,
        series: &'a DemoSeries,
        from: Nanos,
        to: Nanos,
    ) -> impl DoubleEndedIterator<Item = (Nanos, f64)> + 'a {
        let index = |t: Nanos| t.saturating_sub(self.first).div_euclid(STEP);
        let low = index(from).saturating_add(1).max(0) as usize;
        let high = index(to)
            .saturating_add(1)
            .clamp(0, series.values.len() as i64) as usize;
        let first = self.first;
        (low..high).map(move |i| (first + i as i64 * STEP, series.values.get(i)))
    }

    /// A trace is an exemplar of the frontend's latency bucket it fell in,
    /// and of its request counter (value 1, the increment, as client
    /// libraries record it).
    fn add_exemplars(&mut self, trace: &DemoTrace) {
        let Some((start, end)) = root(trace) else { return };
        let seconds = (end - start) as f64 / NANOS_PER_SEC as f64;
        let le = BUCKETS
            .into_iter()
            .find(|le| seconds <= *le)
            .unwrap_or(f64::INFINITY);
        let code = if trace.failed() { "500" } else { "200" };
        let frontend = WORKLOADS[FRONTEND].0;
        for series in &mut self.series {
            let label = |name: &str| series.labels.get(name).map_or("", String::as_str);
            if label("service") != frontend || label("code") != code {
                continue;
            }
            let value = match label("__name__") {
                REQUESTS => 1.0,
                name if name == format!("{DURATION}_bucket") && label("le") == number(le) => {
                    seconds
                }
                _ => continue,
            };
            series.exemplars.push(DemoExemplar {
                label: TRACE_LABEL,
                trace_id: trace.hex_id(),
                value,
                time: end,
            });
        }
    }
}

/// Start and end of a trace's root span.
fn root(trace: &DemoTrace) -> Option<(Nanos, Nanos)> {
    let root = trace.spans.iter().find(|s| s.parent.is_none())?;
    Some((root.start, root.end))
}

/// Requests per second at `t`: a daily wave between 1.5 and 4.5.
fn requests_per_second(t: Nanos) -> f64 {
    let day = (t / NANOS_PER_SEC).rem_euclid(86_400) as f64 / 86_400.0;
    3.0 + 1.5 * (std::f64::consts::TAU * day).sin()
}

/// The shop's requests, as the frontend's and the api's instrumentation
/// count them.
struct Traffic {
    rng: fastrand::Rng,
    /// Per service (frontend, api) and code; from zero, as if the pods
    /// started a day ago.
    totals: [[Totals; CODES.len()]; SERVED.len()],
    /// Failures owed: spreading them evenly keeps the 5xx rate a steady
    /// trickle rather than mostly zero.
    errors_due: f64,
}

impl Traffic {
    /// One 15 s interval. Each frontend request calls the api, which
    /// answers with the same code a little sooner. Says how many requests
    /// of each `spanmetrics::Kind` it served.
    fn interval(&mut self, rate: f64, error_ratio: f64, slow_spell: bool) -> Served {
        let rng = &mut self.rng;
        let requests = (rate * 15.0 * (0.85 + 0.3 * rng.f64())).round() as usize;
        self.errors_due += requests as f64 * error_ratio;
        let errors = self.errors_due.floor();
        self.errors_due -= errors;
        let [frontend, api] = &mut self.totals;
        let mut kinds = Served::default();
        for request in 0..requests {
            let code = usize::from((request as f64) < errors);
            let seconds = if slow_spell && rng.f64() < 0.3 {
                // The slow query the slow traces show, 250 to 850 ms.
                0.25 + 0.6 * rng.f64()
            } else if rng.f64() < 0.03 {
                0.01 + 0.15 * rng.f64()
            } else {
                0.004 + 0.04 * rng.f64()
            };
            api[code].observe(seconds);
            frontend[code].observe(seconds + 0.004);
            kinds[spanmetrics::Kind::of(code == 1, seconds) as usize] += 1;
        }
        kinds
    }
}

/// The counter and histogram series of one service and code.
fn family(service: usize, route: &str, code: &str, history: &[Totals]) -> Vec<DemoSeries> {
    let (name, pod) = WORKLOADS[service];
    let series = |metric: &str, le: Option<f64>, value: &dyn Fn(&Totals) -> f64| {
        let mut labels: Labels = [
            ("__name__", metric),
            ("namespace", NAMESPACE),
            ("service", name),
            ("pod", pod),
            ("route", route),
            ("code", code),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        labels.extend(le.map(|le| ("le".to_owned(), number(le))));
        DemoSeries {
            labels,
            values: history.iter().map(value).collect(),
            exemplars: Vec::new(),
        }
    };
    let bucket = format!("{DURATION}_bucket");
    let mut family = vec![series(REQUESTS, None, &|t| t.requests)];
    for (b, le) in BUCKETS.into_iter().enumerate() {
        family.push(series(&bucket, Some(le), &|t| t.buckets[b]));
    }
    family.push(series(&format!("{DURATION}_sum"), None, &|t| t.seconds));
    family.push(series(&format!("{DURATION}_count"), None, &|t| t.requests));
    family
}

/// A number as Prometheus writes one: "0.25", "1", "NaN", "+Inf".
pub fn number(value: f64) -> String {
    match value {
        f64::INFINITY => "+Inf".into(),
        f64::NEG_INFINITY => "-Inf".into(),
        v => v.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use crate::DemoData;
    use triage_core::domain::time::NANOS_PER_SEC;

    #[test]
    fn counters_rise_buckets_accumulate_and_every_trace_is_an_exemplar() {
        let data = DemoData::generate(1_800_000_000 * NANOS_PER_SEC);
        let metrics = &data.metrics;
        // The services' own; Tempo's follow them (spanmetrics.rs).
        let http: Vec<_> = metrics
            .series
            .iter()
            .filter(|s| s.labels["__name__"].starts_with("http_"))
            .collect();
        assert_eq!(http.len(), 48);
        for series in &metrics.series {
            let values = &series.values;
            assert_eq!(values.len(), super::SAMPLES);
            assert!((1..super::SAMPLES).all(|i| values.get(i - 1) <= values.get(i)));
        }
        // A family: the counter, nine buckets, _sum and _count.
        for family in http.chunks(12) {
            let last = |i: usize| family[i].values.get(super::SAMPLES - 1);
            assert!(last(0) > 1000.0);
            assert!((1..9).all(|b| last(b) <= last(b + 1)));
            assert_eq!(last(9), last(0));
            assert_eq!(last(11), last(0));
        }
        let mut exemplars = 0;
        for series in &http {
            let le: f64 = series
                .labels
                .get("le")
                .map_or(f64::INFINITY, |le| le.parse().unwrap());
            assert!(series.exemplars.iter().all(|e| e.value <= le));
            assert!(series.exemplars.iter().all(|e| e.label == "trace_id"));
            exemplars += series.exemplars.len();
        }
        assert_eq!(exemplars, 2 * data.traces.len());
    }
}
