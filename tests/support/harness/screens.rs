//! Every view, built through the app as a user reaches it: `Msg::Open` and
//! key presses, with the requests they make answered by the real clients
//! from loopback servers (answers made from the recordings, see `bodies`,
//! and the fake Kubernetes API). Each with no data, one item, a lot, a
//! failing backend, and data that shrank under the cursor; and the
//! overlays (help, the command prompt) over each.

use super::bodies::{self, Text, WINDOW};
use super::served::{self, Answer};
use crate::support::kube as fake;
use crate::support::{RECORDED_AT, clear_prompt, open, press, settle, type_text};
use k8s_openapi::api::core::v1::{Container, ContainerStatus};
use std::collections::HashMap;
use triage::app::views::alerts::AlertsView;
use triage::app::{Action, Clients, Effect, Loadable, Settings, State, Target, View, ViewKind};
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::domain::{PodKey, SafeText, TimeRange, TraceId};

/// A state to draw, what it shows, and the data it was built from.
pub struct Case {
    pub name: String,
    pub amount: Amount,
    pub text: Text,
    pub state: State,
}

/// Every kind of view, in the order they are built. `view_cases` is
/// exhaustive over `ViewKind`: a new view does not compile until it is
/// built there, and then belongs in this list.
pub const KINDS: [ViewKind; 10] = [
    ViewKind::Home,
    ViewKind::Logs,
    ViewKind::Trace,
    ViewKind::Traces,
    ViewKind::Metrics,
    ViewKind::Alerts,
    ViewKind::Pods,
    ViewKind::Pod,
    ViewKind::Patterns,
    ViewKind::Services,
];

/// How much the servers hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Amount {
    Empty,
    One,
    /// 100,000 log lines, a 10,000-span trace, 60 series (50 drawn),
    /// 1,000 exemplars and alerts, 10,000 pods, a pod of 30 containers
    /// with 100 events.
    Large,
    /// Every backend refuses, in its own words.
    Failing,
}

/// The expression graphed; the served answers do not depend on it.
pub const PROMQL: &str = "sum by (code) (rate(http_server_requests_total[1m]))";
/// The pod the detail and its container log are of.
pub const POD: (&str, &str) = ("shop", "api-0");

/// Backends holding `amount` of data, said by `text`, and clients for them.
pub struct World {
    pub amount: Amount,
    pub text: Text,
    pub clients: Clients,
}

impl World {
    pub async fn start(amount: Amount, text: Text) -> World {
        let url = served::start(answers(amount, text)).await;
        let (kube_url, _) = fake::start(cluster_of(amount, text)).await;
        let mut config = triage_core::config::Config::with_urls(Some(&url), Some(&url), Some(&url));
        config.kubernetes.cluster.url = Some(kube_url);
        World {
            amount,
            text,
            clients: Clients::from_config(&config),
        }
    }

    /// A fresh state at the sweep's largest size, the clock at the
    /// recording; a page of log lines large enough for the largest answer.
    fn state(&self) -> State {
        let settings = Settings {
            utc: true,
            page_size: 200_000,
            alerts_on_home: true,
            ..Settings::default()
        };
        State::new(settings, 250, 80, RECORDED_AT)
    }

    fn case(&self, what: &str, state: State) -> Case {
        Case {
            name: format!("{what} ({:?}, {:?})", self.amount, self.text),
            amount: self.amount,
            text: self.text,
            state,
        }
    }
}

/// What the served backends hold: items counted by `amount`.
struct Counts {
    lines: usize,
    spans: usize,
    traces: usize,
    series: usize,
    points: usize,
    exemplars: usize,
    alerts: usize,
    pods: usize,
    containers: usize,
    events: usize,
}

fn counts(amount: Amount) -> Counts {
    let (lines, spans, series, points, exemplars, alerts, pods, containers, events) = match amount {
        Amount::Empty | Amount::Failing => (0, 0, 0, 0, 0, 0, 0, 1, 0),
        Amount::One => (1, 1, 1, 1, 1, 1, 1, 1, 1),
        Amount::Large => (100_000, 10_000, 60, 240, 1_000, 1_000, 10_000, 30, 100),
    };
    Counts {
        lines,
        spans,
        traces: alerts,
        series,
        points,
        exemplars,
        alerts,
        pods,
        containers,
        events,
    }
}

/// Loki's, Tempo's and Prometheus's answers, by path.
fn answers(amount: Amount, text: Text) -> HashMap<String, Answer> {
    if amount == Amount::Failing {
        return refusals(text);
    }
    let n = counts(amount);
    let trace = match n.spans {
        0 => br#"{"trace": {}}"#.to_vec(), // Tempo's v2 answer for an unknown id
        spans => bodies::tempo_trace(spans, text),
    };
    let (alerts, rules) = bodies::prometheus_alerts(n.alerts, text);
    let json = |path: &str, body| (path.to_owned(), Answer::json(body));
    HashMap::from([
        json(
            "/loki/api/v1/query_range",
            bodies::loki_lines(n.lines, text),
        ),
        json(
            "/loki/api/v1/patterns",
            bodies::loki_patterns(n.alerts, text),
        ),
        json(&format!("/api/v2/traces/{}", bodies::TRACE), trace),
        json("/api/search", bodies::tempo_search(n.traces, text)),
        json(
            "/api/v1/query_range",
            bodies::prometheus_range(n.series, n.points, text),
        ),
        // The service graph's instant queries: the same series.
        json(
            "/api/v1/query",
            bodies::prometheus_range(n.series, n.points, text),
        ),
        json(
            "/api/v1/query_exemplars",
            bodies::prometheus_exemplars(n.exemplars, text),
        ),
        json("/api/v1/metadata", bodies::prometheus_metadata(text)),
        json(
            "/api/v1/label/__name__/values",
            bodies::prometheus_names("prometheus/metric_names.json", text),
        ),
        json(
            "/api/v1/labels",
            bodies::prometheus_names("prometheus/labels.json", text),
        ),
        json("/api/v1/alerts", alerts),
        json("/api/v1/rules", rules),
    ])
}

/// Every path refused: Loki's and Tempo's plain-text 400, Prometheus's
/// `bad_data`.
fn refusals(text: Text) -> HashMap<String, Answer> {
    let plain = |body| Answer::with_status(400, "text/plain; charset=utf-8", body);
    let bad_data =
        || Answer::with_status(400, "application/json", bodies::prometheus_bad_data(text));
    let mut answers = HashMap::from([
        (
            "/loki/api/v1/query_range".to_owned(),
            plain(bodies::loki_error(text)),
        ),
        (
            format!("/api/v2/traces/{}", bodies::TRACE),
            plain(text.say("invalid trace id").into_bytes()),
        ),
        (
            "/loki/api/v1/patterns".to_owned(),
            plain(bodies::loki_error(text)),
        ),
        (
            "/api/search".to_owned(),
            plain(bodies::tempo_bad_traceql(text)),
        ),
    ]);
    for path in [
        "query",
        "query_range",
        "query_exemplars",
        "metadata",
        "label/__name__/values",
        "labels",
        "alerts",
        "rules",
    ] {
        answers.insert(format!("/api/v1/{path}"), bad_data());
    }
    answers
}

/// The fake cluster: `POD` (crash-looping, with events and a container
/// log) and as many other pods as `amount` says; refusing, when failing.
fn cluster_of(amount: Amount, text: Text) -> fake::Cluster {
    let n = counts(amount);
    let now = RECORDED_AT;
    let mut cluster = fake::Cluster::default();
    if amount == Amount::Failing {
        cluster.forbidden = vec![String::new(), POD.0.to_owned()];
        return cluster;
    }
    if n.pods > 0 {
        cluster.put(the_pod(n.containers, text));
    }
    for i in 1..n.pods {
        let namespace = format!("team-{:02}", i % 40);
        cluster.put(fake::running_pod(&namespace, &format!("web-{i:05}"), now));
    }
    cluster.events = (0..n.events)
        .map(|i| {
            let reason = if i % 2 == 0 { "BackOff" } else { "Pulled" };
            let message = text.say("Back-off restarting failed container app");
            fake::event(POD.0, POD.1, reason, &message, 5 + i as i64, now)
        })
        .collect();
    let key = (POD.0.into(), POD.1.into(), "app".into(), false);
    cluster.logs.insert(key, container_log(n.lines, text));
    cluster
}

/// `POD`, crash-looping, with `containers` containers; every field that
/// comes from the cluster said by `text`.
fn the_pod(containers: usize, text: Text) -> k8s_openapi::api::core::v1::Pod {
    let now = RECORDED_AT;
    let mut pod = fake::crashing_pod(POD.0, POD.1, now, &text.say("OOMKilled"), 137);
    let status = fake::container_status(&mut pod);
    if let Some(waiting) = status.state.as_mut().and_then(|s| s.waiting.as_mut()) {
        waiting.reason = Some(text.say("CrashLoopBackOff"));
        waiting.message = Some(text.say("back-off 5m0s restarting failed container"));
    }
    status.image = text.say("registry.example/app:1.4.2");
    let template = status.clone();
    let spec = pod.spec.as_mut().expect("a spec");
    spec.node_name = Some(text.say("node-a"));
    let first = spec.containers[0].clone();
    let sidecar = |i| format!("sidecar-{i}");
    spec.containers.extend((1..containers).map(|i| Container {
        name: sidecar(i),
        ..first.clone()
    }));
    let statuses = pod
        .status
        .as_mut()
        .and_then(|s| s.container_statuses.as_mut());
    statuses
        .expect("statuses")
        .extend((1..containers).map(|i| ContainerStatus {
            name: sidecar(i),
            ..template.clone()
        }));
    pod.metadata.annotations = Some([("note".to_owned(), text.say("deployed by ci"))].into());
    pod.metadata.labels = Some([(text.say("app"), text.say("api"))].into());
    pod
}

/// A container's log as `kubectl logs --timestamps` writes it: `count`
/// lines, the recorded Loki lines cycled, oldest first, 10 ms apart.
fn container_log(count: usize, text: Text) -> Vec<String> {
    let recorded = bodies::loki_lines(200.min(count.max(1)), Text::Recorded);
    let answer: serde_json::Value = serde_json::from_slice(&recorded).expect("JSON");
    let lines: Vec<String> = answer["data"]["result"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|s| s["values"].as_array().into_iter().flatten())
        .map(|v| v[1].as_str().unwrap_or("").to_owned())
        .collect();
    (0..count)
        .map(|i| {
            let at = RECORDED_AT - (count - i) as i64 * 10_000_000;
            let time =
                k8s_openapi::jiff::Timestamp::from_nanosecond(i128::from(at)).expect("a time");
            format!("{time} {}", text.say(&lines[i % lines.len()]))
        })
        .collect()
}

/// The servers every case is built from: one world per amount, and a
/// world of one item that a large view's data shrinks to.
pub struct Worlds {
    pub worlds: Vec<World>,
    pub smaller: World,
}

impl Worlds {
    pub async fn start(text: Text, amounts: &[Amount]) -> Worlds {
        let mut worlds = Vec::new();
        for &amount in amounts {
            worlds.push(World::start(amount, text).await);
        }
        Worlds {
            worlds,
            smaller: World::start(Amount::One, text).await,
        }
    }
}

/// Every case of every view, in every world; and, in a world of one
/// item, help and the command prompt over each view.
pub async fn every_view(worlds: &Worlds) -> Vec<Case> {
    let mut cases = Vec::new();
    for kind in KINDS {
        for world in &worlds.worlds {
            cases.extend(view_cases(kind, world, &worlds.smaller).await);
            if world.amount == Amount::One {
                cases.extend(overlays(kind, world).await);
            }
        }
    }
    cases
}

/// The states one kind of view is drawn in. Exhaustive over `ViewKind`.
pub async fn view_cases(kind: ViewKind, world: &World, smaller: &World) -> Vec<Case> {
    match kind {
        ViewKind::Home => home(world, smaller).await,
        ViewKind::Logs => {
            let mut cases = loki_logs(world, smaller).await;
            cases.extend(pod_logs(world, smaller).await);
            cases
        }
        ViewKind::Trace => trace(world, smaller).await,
        ViewKind::Traces => traces(world, smaller).await,
        ViewKind::Metrics => metrics(world, smaller).await,
        ViewKind::Alerts => alerts(world, smaller).await,
        ViewKind::Pods => pods(world, smaller).await,
        ViewKind::Pod => pod(world, smaller).await,
        ViewKind::Patterns => patterns(world, smaller).await,
        ViewKind::Services => services(world, smaller).await,
    }
}

/// How many items a view holds (lines, spans, series, alerts, pods, a
/// pod's containers): what a large case must be large in, and a shrunk
/// one small. Exhaustive over `View`, like `view_cases`.
pub fn items(view: &View) -> usize {
    let alerts = |a: &AlertsView| match &a.load {
        Loadable::Ready(model) => model.rows.len(),
        _ => 0,
    };
    match view {
        View::Home(home) => home.alerts.as_ref().map_or(0, alerts),
        View::Logs(logs) => logs.rows.len(),
        View::Trace(trace) => match &trace.load {
            Loadable::Ready(model) => model.trace.spans.len(),
            _ => 0,
        },
        View::Traces(traces) => traces.found.as_ref().map_or(0, |f| f.traces.len()),
        View::Metrics(metrics) => match &metrics.load {
            Loadable::Ready(model) => model.series.len() + model.left_out,
            _ => 0,
        },
        View::Alerts(list) => alerts(list),
        View::Pods(pods) => pods.pods.len(),
        View::Pod(pod) => pod.pod.containers.len(),
        View::Patterns(patterns) => match &patterns.load {
            Loadable::Ready(found) => found.len(),
            _ => 0,
        },
        View::Services(services) => match &services.red {
            Loadable::Ready(rows) => rows.len(),
            _ => 0,
        },
    }
}

/// The first state of a kind of view in `world`, as opened.
async fn opened(kind: ViewKind, world: &World) -> State {
    let mut state = world.state();
    let target = match kind {
        ViewKind::Home => None,
        ViewKind::Logs => Some(Target::Logs(r#"{namespace="shop"}"#.into())),
        ViewKind::Trace => Some(Target::Trace(
            TraceId::parse(bodies::TRACE).expect("a trace id"),
        )),
        ViewKind::Traces => Some(Target::Traces {
            traceql: "{ status = error }".into(),
            since: WINDOW,
        }),
        ViewKind::Metrics => Some(Target::Metrics {
            promql: PROMQL.into(),
            span: WINDOW,
            end: state.now,
        }),
        ViewKind::Alerts => Some(Target::Alerts),
        ViewKind::Services => Some(Target::Services(None)),
        ViewKind::Pods => Some(Target::Pods(Some((None, Namespaces::All)))),
        ViewKind::Patterns => Some(Target::Patterns {
            logql: r#"{namespace="shop"}"#.into(),
            range: TimeRange::last(WINDOW, state.now),
        }),
        ViewKind::Pod => Some(Target::Pod {
            context: None,
            key: PodKey::parse(POD.0, POD.1).expect("a pod's name"),
            known: Vec::new(),
        }),
    };
    // Home asks for its alerts as it does at start: a reload.
    let effects = match target {
        Some(target) => open(&mut state, target),
        None => {
            let now = state.now;
            triage::app::update(&mut state, triage::app::Msg::Action(Action::Reload), now)
        }
    };
    settle(&mut state, &world.clients, effects).await;
    assert_eq!(state.current().kind(), kind, "{kind:?} did not open");
    state
}

/// Presses keys, their requests answered by `world`.
async fn pressed(mut state: State, world: &World, actions: &[Action]) -> State {
    press(&mut state, &world.clients, actions).await;
    state
}

/// The cursor on the last row, then the view asks again (`r`) and gets
/// the smaller world's answer: fewer rows than the cursor was past.
async fn shrunk(state: State, world: &World, smaller: &World) -> State {
    let state = pressed(state, world, &[Action::Bottom]).await;
    pressed(state, smaller, &[Action::Reload]).await
}

async fn home(world: &World, smaller: &World) -> Vec<Case> {
    let mut cases = vec![world.case("home", opened(ViewKind::Home, world).await)];
    if world.amount == Amount::Empty {
        cases.push(world.case("home without Prometheus", world.state()));
    }
    if world.amount == Amount::Large {
        let last = pressed(
            opened(ViewKind::Home, world).await,
            world,
            &[Action::Bottom],
        )
        .await;
        cases.push(world.case("home, the last alert", last));
        let state = shrunk(opened(ViewKind::Home, world).await, world, smaller).await;
        cases.push(world.case("home, alerts shrunk", state));
    }
    cases
}

async fn patterns(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Patterns, world);
    let mut cases = vec![world.case("patterns", open().await)];
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("patterns, the last", last));
        cases.push(world.case(
            "patterns shrunk",
            shrunk(open().await, world, smaller).await,
        ));
    }
    cases
}

async fn loki_logs(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Logs, world);
    let mut cases = vec![world.case("logs", open().await)];
    if world.amount == Amount::Failing || world.amount == Amount::Empty {
        return cases;
    }
    let wrapped = pressed(open().await, world, &[Action::ToggleWrap, Action::Bottom]).await;
    cases.push(world.case("logs wrapped, the oldest line", wrapped));
    cases.push(world.case(
        "logs filtered under the cursor",
        filtered(open().await, world).await,
    ));
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("logs, the oldest line", last));
        cases.push(world.case("logs shrunk", shrunk(open().await, world, smaller).await));
    }
    cases
}

/// The cursor on the oldest line, then a search whose filter shows fewer
/// lines than that.
async fn filtered(state: State, world: &World) -> State {
    let mut state = pressed(state, world, &[Action::Bottom, Action::OpenSearch]).await;
    type_text(&mut state, &world.clients, "request finished").await;
    pressed(
        state,
        world,
        &[Action::Submit, Action::Bottom, Action::ToggleFilter],
    )
    .await
}

/// `POD`'s container log, streamed from the API server.
async fn pod_log(world: &World) -> State {
    let mut state = world.state();
    let request = PodLogRequest {
        pod: PodKey::parse(POD.0, POD.1).expect("a pod's name"),
        container: "app".into(),
        previous: false,
        follow: false,
        since: None,
    };
    let effects = open(
        &mut state,
        Target::PodLogs {
            context: None,
            request,
        },
    );
    settle(&mut state, &world.clients, effects).await;
    state
}

async fn pod_logs(world: &World, smaller: &World) -> Vec<Case> {
    let mut cases = vec![world.case("container log", pod_log(world).await)];
    if world.amount == Amount::Large {
        let wrapped = pressed(
            pod_log(world).await,
            world,
            &[Action::ToggleWrap, Action::Bottom],
        );
        cases.push(world.case("container log wrapped, the oldest line", wrapped.await));
        // `-`: the log again from further back, which now holds one line.
        let last = pressed(pod_log(world).await, world, &[Action::Bottom]).await;
        let state = pressed(last, smaller, &[Action::ZoomOut]).await;
        cases.push(world.case("container log shrunk", state));
    }
    cases
}

async fn trace(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Trace, world);
    let detail = pressed(open().await, world, &[Action::Bottom, Action::ToggleDetail]).await;
    let mut cases = vec![
        world.case("trace", open().await),
        world.case("trace, the last span's detail", detail),
    ];
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("trace, the last span", last));
        cases.push(world.case("trace shrunk", shrunk(open().await, world, smaller).await));
    }
    cases
}

async fn traces(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Traces, world);
    let spans = pressed(open().await, world, &[Action::ToggleCollapse]).await;
    let mut cases = vec![
        world.case("traces", open().await),
        world.case("traces, the first one's spans", spans),
    ];
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("traces, the last one", last));
        cases.push(world.case("traces shrunk", shrunk(open().await, world, smaller).await));
    }
    cases
}

async fn metrics(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Metrics, world);
    let mut cases = vec![world.case("metrics", open().await)];
    // The editor over a large graph draws as over a small one.
    if world.amount != Amount::Large {
        let state = editing(open().await, world).await;
        cases.push(world.case("metrics, the editor completing", state));
    }
    if world.amount == Amount::Large {
        // The last exemplar, and the legend's cursor on the last series.
        let tabs = vec![Action::NextSeries; 49];
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case(
            "metrics, the last exemplar and series",
            pressed(last, world, &tabs).await,
        ));
        let state = pressed(open().await, world, &tabs).await;
        cases.push(world.case("metrics shrunk", shrunk(state, world, smaller).await));
    }
    cases
}

/// The PromQL editor open on a word that metric names complete.
async fn editing(state: State, world: &World) -> State {
    let mut state = pressed(state, world, &[Action::EditQuery]).await;
    if state.prompt.is_none() {
        return state; // a refused expression already reopened it
    }
    clear_prompt(&mut state, &world.clients).await;
    type_text(&mut state, &world.clients, "rate(http_").await;
    state
}

async fn alerts(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Alerts, world);
    let mut cases = vec![world.case("alerts", open().await)];
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("alerts, the last one", last));
        cases.push(world.case("alerts shrunk", shrunk(open().await, world, smaller).await));
    }
    cases
}

async fn services(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Services, world);
    let mut cases = vec![world.case("services", open().await)];
    let calls = pressed(open().await, world, &[Action::ToggleEdges]).await;
    cases.push(world.case("services: the calls between them", calls));
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("services, the last one", last));
        let shrunk = shrunk(open().await, world, smaller).await;
        cases.push(world.case("services shrunk", shrunk));
    }
    cases
}

async fn pods(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Pods, world);
    let mut cases = vec![world.case("pods", open().await)];
    if world.amount == Amount::Large {
        let last = pressed(open().await, world, &[Action::Bottom]).await;
        cases.push(world.case("pods, the last one", last));
        let mut state = pressed(open().await, world, &[Action::Bottom]).await;
        relist(&mut state, smaller).await;
        cases.push(world.case("pods shrunk", state));
        let mut state = pressed(open().await, world, &[Action::Bottom, Action::OpenSearch]).await;
        type_text(&mut state, &world.clients, "api").await;
        cases.push(world.case("pods filtered under the cursor", state));
    }
    cases
}

async fn pod(world: &World, smaller: &World) -> Vec<Case> {
    let open = || opened(ViewKind::Pod, world);
    let mut cases = vec![world.case("pod", open().await)];
    if world.amount == Amount::Large {
        // The last container, scrolled far down.
        let down = [vec![Action::Bottom], vec![Action::PageDown; 40]].concat();
        cases.push(world.case(
            "pod, the last container, scrolled",
            pressed(open().await, world, &down).await,
        ));
        let mut state = pressed(open().await, world, &down).await;
        relist(&mut state, smaller).await;
        cases.push(world.case("pod shrunk", state));
    }
    cases
}

/// The view's watch starts over, as after a dropped or expired watch,
/// and lists what `world` holds.
async fn relist(state: &mut State, world: &World) {
    let effect = match state.current() {
        View::Pods(pods) => Effect::WatchPods {
            id: pods.watch.id(),
            context: pods.context.clone(),
            namespaces: pods.namespaces.clone(),
            name: None,
        },
        View::Pod(pod) => Effect::WatchPods {
            id: pod.watch.id(),
            context: pod.context.clone(),
            namespaces: Namespaces::One(pod.key.namespace.to_string()),
            name: Some(pod.key.name.to_string()),
        },
        _ => return,
    };
    settle(state, &world.clients, vec![effect]).await;
}

/// Help, and the command prompt holding a long command, over the view.
async fn overlays(kind: ViewKind, world: &World) -> Vec<Case> {
    let help = pressed(opened(kind, world).await, world, &[Action::ToggleHelp]).await;
    let mut prompt = pressed(opened(kind, world).await, world, &[Action::OpenCommand]).await;
    type_text(&mut prompt, &world.clients, &typed_command(world.text)).await;
    vec![
        world.case(&format!("{kind:?} under help"), help),
        world.case(&format!("{kind:?} under the command prompt"), prompt),
    ]
}

/// What is typed into a prompt: a long command; when hostile, with every
/// character of the hostile text a key can carry that is not invisible or
/// direction-changing (C0 controls and DEL arrive as other keys; typed
/// text is the user's own, drawn as typed, while C1 controls, which a
/// key can carry, must still never reach the terminal).
pub fn typed_command(text: Text) -> String {
    let visible = |c: char| SafeText::new(c.encode_utf8(&mut [0; 4])).chars().eq([c]);
    text.say("logs {namespace=\"shop\"} |= \"timeout\" or a much longer query pasted in")
        .chars()
        .filter(|&c| ('\u{80}'..='\u{9f}').contains(&c) || visible(c))
        .collect()
}
