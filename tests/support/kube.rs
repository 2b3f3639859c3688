//! A loopback Kubernetes API server for the tests: pods (list and watch,
//! with resourceVersions and a replayable history), events, container logs
//! and the service proxy, serialised with k8s-openapi types; and the faults
//! the client must survive (refused credentials, RBAC, dropped watches).

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures::StreamExt;
use k8s_openapi::api::core::v1::{
    ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting,
    ContainerStatus, Event, ObjectReference, Pod, PodCondition, PodSpec, PodStatus,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use serde_json::json;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use tokio::sync::broadcast;

/// What the fake cluster holds and how it misbehaves; tests change it
/// while the server runs.
#[derive(Default)]
pub struct Cluster {
    pub pods: BTreeMap<(String, String), Pod>,
    /// Every change, for watches that resume from a resourceVersion.
    history: Vec<(u64, &'static str, Pod)>,
    version: u64,
    pub events: Vec<Event>,
    /// (namespace, pod, container, previous) → lines, each with its time.
    pub logs: HashMap<(String, String, String, bool), Vec<String>>,
    /// A bearer token the server accepts; none accepts anything.
    pub token: Option<String>,
    /// Namespaces (or "" for all) the user may not list pods in.
    pub forbidden: Vec<String>,
    /// Services that may not be proxied to (`namespace/name`).
    pub forbidden_proxy: Vec<String>,
    /// `namespace/service:port` → the upstream the proxy forwards to.
    pub services: HashMap<String, String>,
    /// Close each watch after this many events (a dropped connection).
    pub drop_watch_after: Option<usize>,
    /// What the server was asked: path with query, and Authorization.
    pub requests: Vec<(String, Option<String>)>,
    changes: Option<broadcast::Sender<u64>>,
}

pub type Shared = Arc<Mutex<Cluster>>;

impl Cluster {
    /// Adds or replaces a pod, as a MODIFIED or ADDED watch event.
    pub fn put(&mut self, mut pod: Pod) {
        self.version += 1;
        pod.metadata.resource_version = Some(self.version.to_string());
        let key = key(&pod);
        let kind = if self.pods.contains_key(&key) {
            "MODIFIED"
        } else {
            "ADDED"
        };
        self.pods.insert(key, pod.clone());
        self.history.push((self.version, kind, pod));
        self.notify();
    }

    pub fn delete(&mut self, namespace: &str, name: &str) {
        if let Some(mut pod) = self.pods.remove(&(namespace.into(), name.into())) {
            self.version += 1;
            pod.metadata.resource_version = Some(self.version.to_string());
            self.history.push((self.version, "DELETED", pod));
            self.notify();
        }
    }

    fn notify(&self) {
        if let Some(changes) = &self.changes {
            let _ = changes.send(self.version);
        }
    }
}

fn key(pod: &Pod) -> (String, String) {
    (
        pod.metadata.namespace.clone().unwrap_or_default(),
        pod.metadata.name.clone().unwrap_or_default(),
    )
}

/// Starts the server on a free loopback port; returns its URL and state.
pub async fn start(cluster: Cluster) -> (String, Shared) {
    let (changes, _) = broadcast::channel(1024);
    let shared = Arc::new(Mutex::new(Cluster {
        changes: Some(changes),
        ..cluster
    }));
    let app = Router::new()
        .route("/api/v1/pods", get(all_pods))
        .route("/api/v1/namespaces/{ns}/pods", get(namespace_pods))
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(log))
        .route("/api/v1/namespaces/{ns}/events", get(events))
        .route(
            "/api/v1/namespaces/{ns}/services/{service}/proxy/{*rest}",
            get(proxy),
        )
        .with_state(Arc::clone(&shared));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, shared)
}

/// A Kubernetes `Status` error, as the API server writes it.
fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code,
    });
    let code = StatusCode::from_u16(code).unwrap();
    (code, axum::Json(body)).into_response()
}

/// Records the request; the refusal (401) when the token is wrong.
fn admit(cluster: &mut Cluster, path: String, headers: &HeaderMap) -> Option<Response> {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    cluster.requests.push((path, auth.clone()));
    match &cluster.token {
        Some(token) if auth.as_deref() != Some(&format!("Bearer {token}")) => {
            Some(status(401, "Unauthorized", "Unauthorized"))
        }
        _ => None,
    }
}

async fn all_pods(
    State(shared): State<Shared>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    pods(shared, None, params, headers).await
}

async fn namespace_pods(
    State(shared): State<Shared>,
    Path(ns): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    pods(shared, Some(ns), params, headers).await
}

async fn pods(
    shared: Shared,
    namespace: Option<String>,
    params: HashMap<String, String>,
    headers: HeaderMap,
) -> Response {
    let name = params
        .get("fieldSelector")
        .and_then(|f| f.strip_prefix("metadata.name="))
        .map(str::to_owned);
    let scope = namespace.clone();
    let selector = match label_selector(params.get("labelSelector")) {
        Ok(selector) => selector,
        Err(refused) => return refused,
    };
    let wanted = move |pod: &Pod| {
        let (ns, n) = key(pod);
        let labels = pod.metadata.labels.clone().unwrap_or_default();
        namespace.as_ref().is_none_or(|want| *want == ns)
            && name.as_ref().is_none_or(|want| *want == n)
            && (selector.iter()).all(|(k, v, equal)| (labels.get(k) == Some(v)) == *equal)
    };
    let mut cluster = shared.lock().unwrap();
    let path = format!("/pods?{}", query_text(&params));
    if let Some(refused) = admit(&mut cluster, path, &headers) {
        return refused;
    }
    if cluster
        .forbidden
        .iter()
        .any(|f| f.is_empty() || Some(f) == scope.as_ref())
    {
        let where_ = scope.map_or("at the cluster scope".into(), |ns| {
            format!("in the namespace \"{ns}\"")
        });
        return status(
            403,
            "Forbidden",
            &format!(
                "pods is forbidden: User \"alice\" cannot list resource \"pods\" in API group \"\" {where_}"
            ),
        );
    }
    if params.get("watch").is_some_and(|w| w == "true" || w == "1") {
        let from: u64 = params
            .get("resourceVersion")
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        drop(cluster);
        return watch(shared, from, wanted);
    }
    let items: Vec<&Pod> = cluster.pods.values().filter(|p| wanted(p)).collect();
    // Written straight from the pods: a `json!` value of 10,000 pods would
    // make the bench measure this server more than the client.
    let body = format!(
        r#"{{"apiVersion":"v1","kind":"PodList","metadata":{{"resourceVersion":"{}"}},"items":{}}}"#,
        cluster.version,
        serde_json::to_string(&items).unwrap()
    );
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// An equality-based label selector (`a=b,c!=d`) as the API server reads
/// it; anything else is refused as it refuses it.
#[allow(clippy::result_large_err)]
fn label_selector(selector: Option<&String>) -> Result<Vec<(String, String, bool)>, Response> {
    let Some(selector) = selector.filter(|s| !s.is_empty()) else {
        return Ok(Vec::new());
    };
    selector
        .split(',')
        .map(|term| {
            let (key, value, equal) = if let Some((k, v)) = term.split_once("!=") {
                (k, v, false)
            } else if let Some((k, v)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (k, v, true)
            } else {
                ("", "", true)
            };
            let name = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_./".contains(c));
            if name(key) && (value.is_empty() || name(value)) {
                Ok((key.to_owned(), value.to_owned(), equal))
            } else {
                Err(status(
                    400,
                    "BadRequest",
                    &format!("unable to parse requirement: found '{term}', expected: '=', '!=', '==', 'in', notin'"),
                ))
            }
        })
        .collect()
}

fn query_text(params: &HashMap<String, String>) -> String {
    let mut pairs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    pairs.sort();
    pairs.join("&")
}

/// A watch: every change after `from` from the history, then live ones,
/// one JSON event a line; closed early when the test asks for drops.
fn watch(shared: Shared, from: u64, wanted: impl Fn(&Pod) -> bool + Send + 'static) -> Response {
    let (mut changes, drop_after) = {
        let cluster = shared.lock().unwrap();
        let changes = cluster.changes.as_ref().unwrap().subscribe();
        (changes, cluster.drop_watch_after)
    };
    let stream = async_stream(move |sender| async move {
        let mut sent_up_to = from;
        let mut sent = 0usize;
        loop {
            let batch: Vec<(u64, &'static str, Pod)> = {
                let cluster = shared.lock().unwrap();
                cluster
                    .history
                    .iter()
                    .filter(|(v, _, p)| *v > sent_up_to && wanted(p))
                    .cloned()
                    .collect()
            };
            for (version, kind, pod) in batch {
                let line = format!("{}\n", json!({ "type": kind, "object": pod }));
                if sender.send(line).await.is_err() {
                    return;
                }
                sent_up_to = version;
                sent += 1;
                if drop_after.is_some_and(|n| sent >= n) {
                    return; // the connection drops
                }
            }
            if changes.recv().await.is_err() {
                return;
            }
        }
    });
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream.map(Ok::<_, std::io::Error>)))
        .unwrap()
}

fn async_stream<F, Fut>(body: F) -> impl futures::Stream<Item = String>
where
    F: FnOnce(tokio::sync::mpsc::Sender<String>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (sender, receiver) = tokio::sync::mpsc::channel(64);
    tokio::spawn(body(sender));
    tokio_stream_from(receiver)
}

fn tokio_stream_from(
    receiver: tokio::sync::mpsc::Receiver<String>,
) -> impl futures::Stream<Item = String> {
    futures::stream::unfold(receiver, |mut r| async move { Some((r.recv().await?, r)) })
}

async fn log(
    State(shared): State<Shared>,
    Path((ns, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut cluster = shared.lock().unwrap();
    let path = format!("/namespaces/{ns}/pods/{name}/log?{}", query_text(&params));
    if let Some(refused) = admit(&mut cluster, path, &headers) {
        return refused;
    }
    let container = params.get("container").cloned().unwrap_or_default();
    let previous = params.get("previous").is_some_and(|p| p == "true");
    match cluster
        .logs
        .get(&(ns, name.clone(), container.clone(), previous))
    {
        Some(lines) => lines
            .iter()
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .into_response(),
        None if previous => status(
            400,
            "BadRequest",
            &format!("previous terminated container \"{container}\" in pod \"{name}\" not found"),
        ),
        None => status(404, "NotFound", &format!("pods \"{name}\" not found")),
    }
}

async fn events(
    State(shared): State<Shared>,
    Path(ns): Path<String>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let mut cluster = shared.lock().unwrap();
    let path = format!("/namespaces/{ns}/events?{}", query_text(&params));
    if let Some(refused) = admit(&mut cluster, path, &headers) {
        return refused;
    }
    let fields = params.get("fieldSelector").cloned().unwrap_or_default();
    let items: Vec<&Event> = cluster
        .events
        .iter()
        .filter(|e| {
            let object = &e.involved_object;
            fields.split(',').all(|f| match f.split_once('=') {
                Some(("involvedObject.name", v)) => object.name.as_deref() == Some(v),
                Some(("involvedObject.namespace", v)) => object.namespace.as_deref() == Some(v),
                _ => true,
            })
        })
        .collect();
    let body = json!({ "apiVersion": "v1", "kind": "EventList", "metadata": {}, "items": items });
    axum::Json(body).into_response()
}

/// The service proxy: forwards to the upstream registered for the service;
/// a websocket upgrade is passed on, byte for byte, as the API server does.
async fn proxy(
    State(shared): State<Shared>,
    Path((ns, service, rest)): Path<(String, String, String)>,
    Query(params): Query<Vec<(String, String)>>,
    mut request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let upstream = {
        let mut cluster = shared.lock().unwrap();
        let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let path = format!(
            "/namespaces/{ns}/services/{service}/proxy/{rest}?{}",
            query.join("&")
        );
        if let Some(refused) = admit(&mut cluster, path, &headers) {
            return refused;
        }
        let name = service.split(':').next().unwrap_or_default();
        if cluster.forbidden_proxy.contains(&format!("{ns}/{name}")) {
            return status(
                403,
                "Forbidden",
                &format!(
                    "services \"{name}\" is forbidden: User \"alice\" cannot get resource \"services/proxy\" in API group \"\" in the namespace \"{ns}\""
                ),
            );
        }
        match cluster.services.get(&format!("{ns}/{service}")) {
            Some(url) => url.clone(),
            None => return status(404, "NotFound", &format!("services \"{name}\" not found")),
        }
    };
    if headers
        .get(header::UPGRADE)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"websocket"))
    {
        let target = match request.uri().query() {
            Some(query) => format!("/{rest}?{query}"),
            None => format!("/{rest}"),
        };
        let client = hyper::upgrade::on(&mut request);
        return upgrade(&upstream, &target, &headers, client).await;
    }
    let answer = reqwest::Client::new()
        .get(format!("{upstream}/{rest}"))
        .query(&params)
        .send()
        .await
        .unwrap();
    let code = answer.status();
    let content_type = answer
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(header::HeaderValue::from_static("text/plain"));
    let body = answer.bytes().await.unwrap();
    (code, [(header::CONTENT_TYPE, content_type)], body).into_response()
}

/// Asks the upstream for the websocket with the client's headers (but its
/// credentials for the API server), and answers what the upstream did: on
/// `101`, the bytes of both connections are copied across until one ends.
async fn upgrade(
    upstream: &str,
    target: &str,
    headers: &HeaderMap,
    client: hyper::upgrade::OnUpgrade,
) -> Response {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let authority = upstream.trim_start_matches("http://").trim_end_matches('/');
    let mut backend = tokio::net::TcpStream::connect(authority).await.unwrap();
    let mut head = format!("GET {target} HTTP/1.1\r\nhost: {authority}\r\n");
    for (name, value) in headers {
        if name != header::AUTHORIZATION && name != header::HOST {
            head.push_str(&format!("{name}: {}\r\n", value.to_str().unwrap()));
        }
    }
    head.push_str("\r\n");
    backend.write_all(head.as_bytes()).await.unwrap();
    // The answer's head, byte by byte: what follows it is the backend's.
    let mut answer = Vec::new();
    while !answer.ends_with(b"\r\n\r\n") {
        let mut byte = [0u8];
        if backend.read(&mut byte).await.unwrap() == 0 {
            return status(
                502,
                "ServiceUnavailable",
                "the backend closed the connection",
            );
        }
        answer.push(byte[0]);
    }
    let answer = String::from_utf8(answer).unwrap();
    let mut lines = answer.split("\r\n");
    let code: u16 = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|c| c.parse().ok())
        .unwrap();
    let mut response = Response::builder().status(code);
    for line in lines.filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':').unwrap();
        response = response.header(name.trim(), value.trim());
    }
    if code != 101 {
        let mut body = Vec::new();
        backend.read_to_end(&mut body).await.unwrap();
        return response.body(Body::from(body)).unwrap();
    }
    tokio::spawn(async move {
        let Ok(client) = client.await else { return };
        let mut client = hyper_util::rt::TokioIo::new(client);
        let _ = tokio::io::copy_bidirectional(&mut client, &mut backend).await;
    });
    response.body(Body::empty()).unwrap()
}

/// A timestamp `seconds_ago` before `now`, as Kubernetes writes times.
pub fn time(now: i64, seconds_ago: i64) -> Time {
    Time(Timestamp::from_nanosecond(i128::from(now - seconds_ago * 1_000_000_000)).unwrap())
}

/// A running, ready pod of one container.
pub fn running_pod(namespace: &str, name: &str, now: i64) -> Pod {
    Pod {
        metadata: ObjectMeta {
            namespace: Some(namespace.into()),
            name: Some(name.into()),
            uid: Some(format!("uid-{namespace}-{name}")),
            creation_timestamp: Some(time(now, 3 * 86_400)),
            labels: Some(BTreeMap::from([(
                "app".to_owned(),
                name.split('-').next().unwrap_or(name).to_owned(),
            )])),
            ..ObjectMeta::default()
        },
        spec: Some(PodSpec {
            node_name: Some("node-a".into()),
            containers: vec![k8s_openapi::api::core::v1::Container {
                name: "app".into(),
                image: Some("registry.example/app:1.4.2".into()),
                ..Default::default()
            }],
            ..PodSpec::default()
        }),
        status: Some(PodStatus {
            phase: Some("Running".into()),
            pod_ip: Some("10.0.1.7".into()),
            start_time: Some(time(now, 3 * 86_400)),
            conditions: Some(vec![PodCondition {
                type_: "Ready".into(),
                status: "True".into(),
                last_transition_time: Some(time(now, 3 * 86_400)),
                ..PodCondition::default()
            }]),
            container_statuses: Some(vec![ContainerStatus {
                name: "app".into(),
                image: "registry.example/app:1.4.2".into(),
                image_id: "sha256:1".into(),
                ready: true,
                restart_count: 0,
                started: Some(true),
                state: Some(ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(time(now, 3 * 86_400)),
                    }),
                    ..ContainerState::default()
                }),
                ..ContainerStatus::default()
            }]),
            ..PodStatus::default()
        }),
    }
}

/// The pod's one container, as the kubelet reports it.
pub fn container_status(pod: &mut Pod) -> &mut ContainerStatus {
    &mut pod
        .status
        .as_mut()
        .unwrap()
        .container_statuses
        .as_mut()
        .unwrap()[0]
}

/// A pod whose container keeps crashing: waiting in CrashLoopBackOff,
/// the last run ended with `reason`.
pub fn crashing_pod(namespace: &str, name: &str, now: i64, reason: &str, exit_code: i32) -> Pod {
    let mut pod = running_pod(namespace, name, now);
    let status = container_status(&mut pod);
    status.ready = false;
    status.restart_count = 7;
    status.state = Some(ContainerState {
        waiting: Some(ContainerStateWaiting {
            reason: Some("CrashLoopBackOff".into()),
            message: Some("back-off 5m0s restarting failed container".into()),
        }),
        ..ContainerState::default()
    });
    status.last_state = Some(ContainerState {
        terminated: Some(ContainerStateTerminated {
            reason: Some(reason.into()),
            exit_code,
            finished_at: Some(time(now, 120)),
            ..ContainerStateTerminated::default()
        }),
        ..ContainerState::default()
    });
    pod
}

pub fn event(
    namespace: &str,
    pod: &str,
    reason: &str,
    message: &str,
    seconds_ago: i64,
    now: i64,
) -> Event {
    Event {
        metadata: ObjectMeta {
            namespace: Some(namespace.into()),
            name: Some(format!("{pod}.{reason}")),
            ..ObjectMeta::default()
        },
        involved_object: ObjectReference {
            kind: Some("Pod".into()),
            namespace: Some(namespace.into()),
            name: Some(pod.into()),
            ..ObjectReference::default()
        },
        reason: Some(reason.into()),
        message: Some(message.into()),
        type_: Some(
            if reason == "BackOff" {
                "Warning"
            } else {
                "Normal"
            }
            .into(),
        ),
        count: Some(1),
        last_timestamp: Some(time(now, seconds_ago)),
        ..Event::default()
    }
}

/// A kubeconfig in `dir` naming the server, a user `alice` and how she
/// authenticates (`user`: the YAML under `user:`, indented four spaces);
/// its context's namespace is `shop`.
pub fn kubeconfig(dir: &std::path::Path, server: &str, user: &str) -> std::path::PathBuf {
    let text = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: fake\n\
         clusters:\n- name: fake\n  cluster:\n    server: {server}\n\
         contexts:\n- name: fake\n  context:\n    cluster: fake\n    user: alice\n    namespace: shop\n\
         users:\n- name: alice\n  user:\n{user}\n"
    );
    let path = dir.join("kubeconfig");
    std::fs::write(&path, text).unwrap();
    path
}

/// A small shop: one pod running, one crash-looping, coredns elsewhere.
pub fn small_shop(now: i64) -> Cluster {
    let mut cluster = Cluster::default();
    cluster.put(running_pod("shop", "api-5c6b9d7f4-mz8wn", now));
    cluster.put(crashing_pod(
        "shop",
        "auth-6f7c8d9b5-h8vcz",
        now,
        "Error",
        1,
    ));
    cluster.put(running_pod("kube-system", "coredns-5d78c9869d-4xwzq", now));
    cluster
}
