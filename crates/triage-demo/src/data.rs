//! A small shop, generated: frontend -> api -> auth, and postgres. Some
//! requests fail on a database timeout, some are slow; every log line a
//! request writes carries its trace id, in the formats real services use.

use super::clock::Clock;
use super::incidents::{self, CRASHLOOP_POD, MINUTE, SECOND};
use super::metrics::DemoMetrics;
use std::collections::BTreeMap;
use triage_core::domain::Nanos;

const MS: i64 = 1_000_000;
/// What the api sets before its query; a failing request's query runs
/// this long before postgres cancels it.
const STATEMENT_TIMEOUT_MS: i64 = 800;
pub const NAMESPACE: &str = "shop";

/// (service, pod) of the shop's workloads.
pub const WORKLOADS: [(&str, &str); 4] = [
    ("frontend", "frontend-7d9f8b6c5-x2kqp"),
    ("api", "api-5c6b9d7f4-mz8wn"),
    ("auth", "auth-6f7c8d9b5-q4lrt"),
    ("postgres", "postgres-0"),
];
pub(super) const FRONTEND: usize = 0;
pub(super) const API: usize = 1;
const AUTH: usize = 2;
pub(super) const POSTGRES: usize = 3;

/// The resource attributes of a service's spans, as the OpenTelemetry SDK
/// in its pod sets them: the same names as the pod and its Loki stream.
pub fn resource(service: usize) -> [(&'static str, &'static str); 4] {
    let (name, pod) = WORKLOADS[service];
    [
        ("service.name", name),
        ("k8s.namespace.name", NAMESPACE),
        ("k8s.pod.name", pod),
        ("k8s.container.name", name),
    ]
}

/// `key = value` attributes of a span or event.
pub type Attributes = Vec<(&'static str, String)>;

pub struct DemoSpan {
    pub id: [u8; 8],
    pub parent: Option<[u8; 8]>,
    /// Index into `WORKLOADS`.
    pub service: usize,
    pub name: String,
    pub kind: &'static str,
    pub start: Nanos,
    pub end: Nanos,
    pub attributes: Attributes,
    pub error: Option<String>,
    pub events: Vec<(Nanos, &'static str, Attributes)>,
}

pub struct DemoTrace {
    pub id: [u8; 16],
    pub spans: Vec<DemoSpan>,
}

impl DemoTrace {
    pub fn hex_id(&self) -> String {
        self.id.iter().map(|b| format!("{b:02x}")).collect()
    }

    pub fn failed(&self) -> bool {
        self.spans.iter().any(|s| s.error.is_some())
    }
}

/// One log stream: its labels and its lines, oldest first.
pub struct DemoStream {
    pub labels: BTreeMap<String, String>,
    /// Written before the demo started.
    pub lines: Vec<(Nanos, String)>,
    /// Written after: each is served once the demo's clock reaches it.
    pub upcoming: Vec<(Nanos, String)>,
}

impl DemoStream {
    /// The lines written by `now`, oldest first.
    pub fn lines_until(&self, now: Nanos) -> impl DoubleEndedIterator<Item = &(Nanos, String)> {
        let due = self.upcoming.partition_point(|(t, _)| *t <= now);
        self.lines.iter().chain(&self.upcoming[..due])
    }
}

pub struct DemoData {
    /// The requests served before the demo started.
    pub traces: Vec<DemoTrace>,
    /// The requests served after, in the order they end: each is known
    /// once the demo's clock passes its end.
    pub upcoming: Vec<DemoTrace>,
    pub streams: Vec<DemoStream>,
    /// Made at start, from the traces before it.
    pub metrics: DemoMetrics,
    pub clock: Clock,
}

struct Gen {
    rng: fastrand::Rng,
}

impl Gen {
    fn span_id(&mut self) -> [u8; 8] {
        self.rng.u64(1..).to_be_bytes()
    }

    fn trace_id(&mut self) -> [u8; 16] {
        self.rng.u128(1..).to_be_bytes()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Each workload's lines, by index into `WORKLOADS`.
type Logs = Vec<Vec<(Nanos, String)>>;

/// The requests of one stretch of time and the lines they wrote.
#[derive(Default)]
struct Served {
    traces: Vec<DemoTrace>,
    logs: Logs,
}

impl Served {
    fn new() -> Served {
        Served {
            traces: Vec::new(),
            logs: vec![Vec::new(); WORKLOADS.len()],
        }
    }

    /// Request number `request` starting at `start`: one in nine fails on
    /// the database timeout, one in seven is slow, unless `fails` says.
    fn serve(&mut self, generator: &mut Gen, start: Nanos, request: i64, fails: Option<bool>) {
        let fails = fails.unwrap_or(request % 9 == 4);
        let slow = !fails && request % 7 == 3;
        let trace = request_trace(generator, start, fails, slow, request);
        write_logs(&trace, &mut self.logs, request);
        self.traces.push(trace);
    }
}

/// How long before the demo starts the error burst begins: half a minute
/// after postgres-0's last OOM kill, once it is back but its cache is cold,
/// so most queries time out for a few minutes.
pub const BURST_AGO: Nanos = incidents::OOM_KILLS_AGO[1] - 30 * SECOND;
/// How long the burst lasts, and how often a request comes meanwhile.
pub const BURST_FOR: Nanos = 3 * MINUTE;
const BURST_EVERY: Nanos = 7_500 * MS;
/// How far past the start the demo's traffic goes on.
pub const LIVE_FOR: Nanos = 2 * 60 * MINUTE;
/// The kubelet's health check of the frontend, while the demo runs.
const HEALTHZ_EVERY: Nanos = 10 * SECOND;
const HEALTHZ: &str = "[INFO] GET /healthz 200 (0.4 ms)";

impl DemoData {
    /// Sixty requests over the hour before `now`, a burst of failing ones
    /// 20 minutes before it, a request every few seconds for two hours
    /// after it (shown as the demo's clock reaches them), and a day of
    /// metrics; the same every run.
    pub fn generate(now: Nanos) -> DemoData {
        let mut generator = Gen {
            rng: fastrand::Rng::with_seed(7),
        };
        let mut past = Served::new();
        for request in 0..60i64 {
            let start = now - (59 - request) * 60_000 * MS - generator.rng.i64(0..30_000) * MS;
            past.serve(&mut generator, start, request, None);
        }
        let mut request = 60;
        for at in (0..BURST_FOR).step_by(BURST_EVERY as usize) {
            let start = now - BURST_AGO + at + generator.rng.i64(0..2_000) * MS;
            past.serve(&mut generator, start, request, Some(request % 6 != 5));
            request += 1;
        }
        // Lines that belong to no request, as every real service has.
        for minute in 0..60i64 {
            let at = now - (60 - minute) * 60_000 * MS + 15_000 * MS;
            past.logs[FRONTEND].push((at, HEALTHZ.into()));
            if minute % 20 == 0 {
                past.logs[POSTGRES].push((at, "LOG:  checkpoint starting: time".into()));
            }
        }
        past.logs[POSTGRES].extend(incidents::postgres_oom_lines(now));
        past.traces.sort_by_key(root_start);
        let mut live = live(&mut generator, now, request);
        live.traces.sort_by_key(trace_end);
        let metrics = DemoMetrics::generate(now, &past.traces);
        DemoData {
            traces: past.traces,
            upcoming: live.traces,
            streams: streams(past.logs, live.logs, now),
            metrics,
            clock: Clock::start(now),
        }
    }

    pub fn trace(&self, id: &[u8; 16]) -> Option<&DemoTrace> {
        self.traces
            .iter()
            .chain(&self.upcoming)
            .find(|t| &t.id == id)
    }

    /// The traces that ended by `now`.
    pub fn traces_until(&self, now: Nanos) -> impl Iterator<Item = &DemoTrace> {
        let due = self.upcoming.partition_point(|t| trace_end(t) <= now);
        self.traces.iter().chain(&self.upcoming[..due])
    }
}

/// The traffic after `now`: a request every two to five seconds, and
/// the frontend's health checks.
fn live(generator: &mut Gen, now: Nanos, mut request: i64) -> Served {
    let mut live = Served::new();
    let mut start = now + SECOND;
    while start < now + LIVE_FOR {
        live.serve(generator, start, request, None);
        request += 1;
        start += generator.rng.i64(2_000..5_000) * MS;
    }
    for at in (HEALTHZ_EVERY..LIVE_FOR).step_by(HEALTHZ_EVERY as usize) {
        live.logs[FRONTEND].push((now + at, HEALTHZ.into()));
        if at % (20 * MINUTE) == 0 {
            let line = "LOG:  checkpoint starting: time".into();
            live.logs[POSTGRES].push((now + at, line));
        }
    }
    live
}

/// One stream per pod, its past and upcoming lines in time order. The
/// crash-looping auth replica writes its own stream; it serves no
/// requests, so no trace leads to it.
fn streams(past: Logs, live: Logs, now: Nanos) -> Vec<DemoStream> {
    let pods = WORKLOADS
        .iter()
        .zip(past.into_iter().zip(live))
        .map(|(&(service, pod), lines)| (service, pod, lines))
        .chain([(
            "auth",
            CRASHLOOP_POD,
            (incidents::crashloop_lines(now), Vec::new()),
        )]);
    pods.map(|(service, pod, (mut lines, mut upcoming))| {
        lines.sort_by_key(|(t, _)| *t);
        upcoming.sort_by_key(|(t, _)| *t);
        let labels = [
            ("namespace", NAMESPACE),
            ("app", service),
            ("container", service),
            ("pod", pod),
            ("service_name", service),
        ];
        DemoStream {
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            lines,
            upcoming,
        }
    })
    .collect()
}

fn root_start(trace: &DemoTrace) -> Nanos {
    trace.spans.iter().map(|s| s.start).min().unwrap_or(0)
}

/// When a trace's last span ended.
pub fn trace_end(trace: &DemoTrace) -> Nanos {
    trace.spans.iter().map(|s| s.end).max().unwrap_or(0)
}

fn request_trace(
    generator: &mut Gen,
    start: Nanos,
    fails: bool,
    slow: bool,
    request: i64,
) -> DemoTrace {
    let id = generator.trace_id();
    let mut spans = Vec::new();
    let user = format!("user-{}", request % 40);
    // A failing request waits out postgres's statement timeout, set just
    // before: its query is most of the trace, the critical path.
    let query_ms = if fails {
        STATEMENT_TIMEOUT_MS + generator.rng.i64(0..8)
    } else if slow {
        250 + generator.rng.i64(0..600)
    } else {
        5 + generator.rng.i64(0..40)
    };
    let count_ms = 2 + generator.rng.i64(0..10);
    let root = generator.span_id();
    let api = generator.span_id();
    let verify = generator.span_id();
    let list = generator.span_id();
    let t_api = start + 2 * MS;
    let t_verify_end = t_api + 4 * MS;
    let t_list = t_verify_end + MS / 2;
    let t_query_end = t_list + query_ms * MS;
    let t_count_end = t_query_end + count_ms * MS;
    let t_list_end = if fails {
        t_query_end + MS
    } else {
        t_count_end + MS
    };
    let t_api_end = t_list_end + 2 * MS;
    let t_end = t_api_end + 2 * MS;
    let status = if fails { "500" } else { "200" };
    let error = |on: bool| on.then(|| "boom".to_owned());
    let mut span = |id,
                    parent,
                    service,
                    name: &str,
                    kind,
                    start,
                    end,
                    attributes: Vec<(&'static str, String)>,
                    error| {
        spans.push(DemoSpan {
            id,
            parent,
            service,
            name: name.into(),
            kind,
            start,
            end,
            attributes,
            error,
            events: Vec::new(),
        });
    };
    span(
        root,
        None,
        FRONTEND,
        "GET /api/articles",
        "SPAN_KIND_SERVER",
        start,
        t_end,
        vec![
            ("http.request.method", "GET".into()),
            ("url.path", "/api/articles".into()),
            ("http.response.status_code", status.into()),
        ],
        error(fails),
    );
    span(
        api,
        Some(root),
        API,
        "GET /articles",
        "SPAN_KIND_SERVER",
        t_api,
        t_api_end,
        vec![
            ("http.request.method", "GET".into()),
            ("http.route", "/articles".into()),
            ("http.response.status_code", status.into()),
        ],
        error(fails),
    );
    span(
        verify,
        Some(api),
        API,
        "POST /verify",
        "SPAN_KIND_CLIENT",
        t_api,
        t_verify_end,
        vec![
            ("server.address", "auth.shop.svc".into()),
            ("http.request.method", "POST".into()),
        ],
        None,
    );
    let auth_span = generator.span_id();
    span(
        auth_span,
        Some(verify),
        AUTH,
        "POST /verify",
        "SPAN_KIND_SERVER",
        t_api + MS / 4,
        t_verify_end - MS / 4,
        vec![("http.route", "/verify".into()), ("enduser.id", user)],
        None,
    );
    // A cache read beside the list: it overlaps the query, so it is not on
    // the critical path. Its id comes from the root's, not the generator,
    // so the ids of every other trace stay as they were.
    let mut cache = root;
    cache[0] ^= 0x5a;
    span(
        cache,
        Some(api),
        API,
        "GET articles:cache",
        "SPAN_KIND_CLIENT",
        t_list,
        t_list + 3 * MS / 2,
        vec![
            ("db.system", "redis".into()),
            ("db.operation", "GET".into()),
        ],
        None,
    );
    span(
        list,
        Some(api),
        API,
        "ArticlesRepository.List",
        "SPAN_KIND_INTERNAL",
        t_list,
        t_list_end,
        vec![("code.function", "List".into())],
        error(fails),
    );
    let set_timeout = generator.span_id();
    span(
        set_timeout,
        Some(list),
        POSTGRES,
        "SET statement_timeout",
        "SPAN_KIND_CLIENT",
        t_list + MS / 10,
        t_list + MS * 3 / 10,
        vec![
            ("db.system", "postgresql".into()),
            ("db.name", "shop".into()),
            (
                "db.statement",
                format!("SET statement_timeout = '{STATEMENT_TIMEOUT_MS}ms'"),
            ),
        ],
        None,
    );
    let select = generator.span_id();
    span(
        select,
        Some(list),
        POSTGRES,
        "SELECT shop.articles",
        "SPAN_KIND_CLIENT",
        t_list + MS * 2 / 5,
        t_query_end,
        vec![
            ("db.system", "postgresql".into()),
            ("db.name", "shop".into()),
            (
                "db.statement",
                "SELECT a.id, a.title FROM articles a ORDER BY a.id DESC LIMIT 20 OFFSET 0".into(),
            ),
        ],
        error(fails),
    );
    if !fails {
        let count = generator.span_id();
        span(
            count,
            Some(list),
            POSTGRES,
            "SELECT shop.articles",
            "SPAN_KIND_CLIENT",
            t_query_end + MS / 5,
            t_count_end,
            vec![
                ("db.system", "postgresql".into()),
                ("db.name", "shop".into()),
                ("db.statement", "SELECT count(*) FROM articles".into()),
            ],
            None,
        );
    }
    if fails && let Some(list_span) = spans.iter_mut().find(|s| s.id == list) {
        list_span.events.push((
            t_query_end,
            "exception",
            vec![
                ("exception.type", "Npgsql.PostgresException".into()),
                (
                    "exception.message",
                    "57014: canceling statement due to statement timeout".into(),
                ),
            ],
        ));
    }
    DemoTrace { id, spans }
}

/// A request's lines, each inside the span of the pod that wrote it, so
/// that asking a pod's logs for a trace id over a span's window finds them.
fn write_logs(trace: &DemoTrace, logs: &mut [Vec<(Nanos, String)>], request: i64) {
    let id = trace.hex_id();
    let span = |service: usize| trace.spans.iter().find(|s| s.service == service);
    let (Some(root), Some(api), Some(auth)) = (span(FRONTEND), span(API), span(AUTH)) else {
        return;
    };
    // Written as the span ends, a little before the caller sees it end.
    let ending = |s: &DemoSpan| s.end - MS / 10;
    let ms = |s: &DemoSpan| (s.end - s.start) as f64 / 1e6;
    let status: u16 = if trace.failed() { 500 } else { 200 };
    let clock = chrono::DateTime::from_timestamp_nanos(api.start)
        .format("%H:%M:%S")
        .to_string();
    logs[AUTH].push((
        ending(auth),
        format!(
            "level=info msg=\"token verified\" trace_id={id} span_id={} user=user-{}",
            hex(&auth.id),
            request % 40
        ),
    ));
    logs[API].push((
        api.start + MS,
        format!("[{clock} INF] |{id}| Fetching items with offset 0 and limit 20."),
    ));
    if let Some(query) = trace.spans.iter().find(|s| s.name.starts_with("SELECT")) {
        query_logs(trace, query, &clock, logs);
    }
    logs[API].push((
        ending(api),
        format!(
            "[{clock} INF] |{id}| HTTP GET /api/articles responded {status} in {:.4} ms",
            ms(api)
        ),
    ));
    logs[API].push((ending(api), access_line(trace, api, status)));
    logs[FRONTEND].push((ending(root), format!(
        "[INFO] [trace_id={id} span_id={}] request finished {{\"status\": {status}, \"ms\": {:.1}}}",
        hex(&root.id), ms(root)
    )));
}

/// The api's access log: one JSON object per request, nested as a
/// structured logger writes it, so Loki's `| json` flattens `http_status`.
fn access_line(trace: &DemoTrace, api: &DemoSpan, status: u16) -> String {
    let level = if status >= 500 { "error" } else { "info" };
    let ts =
        chrono::DateTime::from_timestamp_nanos(api.end - MS / 10).format("%Y-%m-%dT%H:%M:%S%.3fZ");
    let ms = (api.end - api.start) as f64 / 1e6;
    format!(
        "{{\"level\":\"{level}\",\"ts\":\"{ts}\",\"msg\":\"request served\",\"http\":{{\"method\":\"GET\",\"route\":\"/api/articles\",\"status\":{status}}},\"duration_ms\":{ms:.1},\"traceId\":\"{}\",\"spanId\":\"{}\"}}",
        trace.hex_id(),
        hex(&api.id)
    )
}

/// What postgres and the api write of a query that failed or was slow.
/// The api tags its SQL with a comment naming the trace and span, so
/// postgres's own lines carry the trace id too.
fn query_logs(trace: &DemoTrace, query: &DemoSpan, clock: &str, logs: &mut [Vec<(Nanos, String)>]) {
    let id = trace.hex_id();
    let span = hex(&query.id);
    let sql = format!(
        "SELECT a.id, a.title FROM articles a ORDER BY a.id DESC LIMIT 20 OFFSET 0 /* trace_id={id} span_id={span} */"
    );
    let ms = (query.end - query.start) as f64 / 1e6;
    let at = query.end - MS / 10;
    if trace.failed() {
        logs[POSTGRES].push((
            at,
            "ERROR:  canceling statement due to statement timeout".into(),
        ));
        logs[POSTGRES].push((at, format!("STATEMENT:  {sql}")));
        logs[API].push((query.end, format!(
            "{{\"level\": \"error\", \"msg\": \"query failed\", \"error\": \"57014: canceling statement due to statement timeout\", \"traceId\": \"{id}\", \"spanId\": \"{span}\"}}"
        )));
    } else if ms > 200.0 {
        // log_min_duration_statement = 200ms
        logs[POSTGRES].push((at, format!("LOG:  duration: {ms:.3} ms  statement: {sql}")));
        logs[API].push((
            query.end,
            format!("[{clock} WRN] |{id}| Slow query: SELECT shop.articles took {ms:.1} ms"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_request_logs_its_trace_and_some_fail_or_are_slow() {
        let data = DemoData::generate(1_800_000_000 * 1_000_000_000);
        assert_eq!(data.traces.len(), 60 + (BURST_FOR / BURST_EVERY) as usize);
        assert!(data.traces.iter().filter(|t| t.failed()).count() >= 5);
        let all_lines: Vec<&str> = data
            .streams
            .iter()
            .flat_map(|s| s.lines.iter().map(|(_, l)| l.as_str()))
            .collect();
        for trace in &data.traces {
            let id = trace.hex_id();
            assert!(
                all_lines.iter().filter(|l| l.contains(&id)).count() >= 4,
                "{id}"
            );
            let services: std::collections::BTreeSet<usize> =
                trace.spans.iter().map(|s| s.service).collect();
            assert!(services.len() >= 3);
        }
        assert!(all_lines.iter().any(|l| l.contains("Slow query")));
    }

    #[test]
    fn a_failed_request_waits_on_its_query() {
        let data = DemoData::generate(1_800_000_000 * 1_000_000_000);
        for trace in data.traces.iter().filter(|t| t.failed()) {
            let root = trace.spans.iter().find(|s| s.parent.is_none()).unwrap();
            let query = trace
                .spans
                .iter()
                .find(|s| s.name == "SELECT shop.articles")
                .unwrap();
            assert_eq!((query.service, query.kind), (POSTGRES, "SPAN_KIND_CLIENT"));
            assert!(query.error.is_some());
            let took = |s: &DemoSpan| s.end - s.start;
            assert!(took(query) * 10 > took(root) * 9, "{}", trace.hex_id());
            let siblings = trace
                .spans
                .iter()
                .filter(|s| s.parent == query.parent && s.id != query.id);
            for sibling in siblings {
                assert!(sibling.end <= query.start && took(sibling) < MS);
            }
        }
    }

    #[test]
    fn a_pods_lines_of_a_trace_are_inside_its_spans() {
        let data = DemoData::generate(1_800_000_000 * 1_000_000_000);
        let stream = |pod: &str| {
            data.streams
                .iter()
                .find(|s| s.labels["pod"] == pod)
                .unwrap()
        };
        // Those served before the start and after it alike.
        for trace in data.traces.iter().chain(&data.upcoming) {
            let id = trace.hex_id();
            let logged = |span: &DemoSpan| {
                let labels = &stream(WORKLOADS[span.service].1).labels;
                assert_eq!(labels["namespace"], NAMESPACE);
                assert_eq!(labels["container"], WORKLOADS[span.service].0);
                assert_eq!(labels["service_name"], WORKLOADS[span.service].0);
                let stream = stream(WORKLOADS[span.service].1);
                stream
                    .lines
                    .iter()
                    .chain(&stream.upcoming)
                    .any(|(t, l)| (span.start..span.end).contains(t) && l.contains(&id))
            };
            let servers = trace.spans.iter().filter(|s| s.kind == "SPAN_KIND_SERVER");
            assert!(servers.clone().count() == 3 && servers.into_iter().all(logged));
            let query = trace
                .spans
                .iter()
                .find(|s| s.name.starts_with("SELECT"))
                .unwrap();
            let slow = query.end - query.start > 200 * MS;
            assert_eq!(logged(query), trace.failed() || slow, "{id}");
        }
    }

    #[test]
    fn the_traffic_goes_on_after_the_start_and_shows_as_it_comes_due() {
        let now = 1_800_000_000 * 1_000_000_000;
        let data = DemoData::generate(now);
        assert!(data.traces.iter().all(|t| trace_end(t) <= now));
        assert!(data.upcoming.len() > 1000, "{}", data.upcoming.len());
        assert!(data.upcoming.iter().all(|t| root_start(t) > now));
        assert!(
            data.upcoming
                .windows(2)
                .all(|w| trace_end(&w[0]) <= trace_end(&w[1]))
        );
        let later = now + 60 * SECOND;
        let known = data.traces_until(later).count() - data.traces.len();
        let ended = data
            .upcoming
            .iter()
            .filter(|t| trace_end(t) <= later)
            .count();
        assert_eq!(known, ended);
        assert!(known >= 10, "{known}");
        for stream in &data.streams {
            assert!(stream.lines.iter().all(|(t, _)| *t <= now));
            assert!(stream.upcoming.iter().all(|(t, _)| *t > now));
            let due = stream.lines_until(later).count() - stream.lines.len();
            let upcoming = stream.upcoming.iter().filter(|(t, _)| *t <= later).count();
            assert_eq!(due, upcoming);
        }
        let frontend = &data.streams[FRONTEND];
        assert!(
            frontend
                .lines_until(later)
                .any(|(t, l)| *t > now && l.contains("healthz"))
        );
    }

    #[test]
    fn the_burst_fails_most_requests_in_its_minutes() {
        let now = 1_800_000_000 * 1_000_000_000;
        let data = DemoData::generate(now);
        let in_burst = |t: &&DemoTrace| {
            (now - BURST_AGO..now - BURST_AGO + BURST_FOR).contains(&root_start(t))
        };
        let burst: Vec<&DemoTrace> = data.traces.iter().filter(in_burst).collect();
        assert!(burst.len() >= 20, "{}", burst.len());
        assert!(burst.iter().filter(|t| t.failed()).count() * 4 > burst.len() * 3);
        // After postgres-0 came back from its OOM kill.
        let killed = now - incidents::OOM_KILLS_AGO[1];
        assert!(
            burst
                .iter()
                .all(|t| root_start(t) > killed + incidents::RESTART_DELAY)
        );
    }
}
