//! The demo's Kubernetes API server: the part of core/v1 that the `kube`
//! crate and kubectl use to look at pods, their events and their logs,
//! over a small live cluster whose shop pods are the ones in the demo's
//! traces and logs. Objects are k8s-openapi types, serialised as the API
//! server writes them; errors are `Status` bodies.

mod cluster;
mod events;
mod logs;
mod object;
mod pods;
mod select;
mod table;
mod watch;

pub use cluster::Cluster;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use k8s_openapi::api::core::v1::{Event, Namespace, NamespaceSpec, NamespaceStatus, Pod};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    APIGroupList, APIResource, APIResourceList, APIVersions, ListMeta, ObjectMeta, Status,
    StatusDetails, Time,
};
use k8s_openapi::apimachinery::pkg::version::Info;
use k8s_openapi::jiff::Timestamp;
use k8s_openapi::{List, ListableResource};
use object::Object;
use select::Filter;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use table::Tabular;
use triage_core::domain::Nanos;

type Params = Query<HashMap<String, String>>;
type Shared = State<Arc<Cluster>>;

pub fn router(cluster: Arc<Cluster>) -> Router {
    Router::new()
        .route("/version", get(version))
        .route("/api", get(api_versions))
        .route("/api/v1", get(api_resources))
        .route("/apis", get(api_groups))
        .route("/api/v1/namespaces", get(namespaces))
        .route("/api/v1/namespaces/{ns}", get(namespace))
        .route("/api/v1/pods", get(all_pods))
        .route("/api/v1/namespaces/{ns}/pods", get(pods))
        .route("/api/v1/namespaces/{ns}/pods/{name}", get(pod))
        .route("/api/v1/namespaces/{ns}/pods/{name}/log", get(logs::logs))
        .route("/api/v1/events", get(all_events))
        .route("/api/v1/namespaces/{ns}/events", get(events))
        .route("/api/v1/namespaces/{ns}/events/{name}", get(event))
        .fallback(|| async {
            let message = "the server could not find the requested resource";
            status(StatusCode::NOT_FOUND, "NotFound", message.into(), None)
        })
        .method_not_allowed_fallback(|| async {
            let message = "the server does not allow this method on the requested resource";
            status(
                StatusCode::METHOD_NOT_ALLOWED,
                "MethodNotAllowed",
                message.into(),
                None,
            )
        })
        .with_state(cluster)
}

/// A Kubernetes timestamp from nanoseconds since the epoch.
pub fn time(at: Nanos) -> Time {
    Time(Timestamp::from_nanosecond(i128::from(at)).unwrap_or(Timestamp::UNIX_EPOCH))
}

fn json(body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "application/json")], bytes).into_response(),
        Err(e) => status(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            e.to_string(),
            None,
        ),
    }
}

/// A failure as the API server answers it: a `Status` body.
pub fn status(
    code: StatusCode,
    reason: &str,
    message: String,
    details: Option<StatusDetails>,
) -> Response {
    let body = Status {
        status: Some("Failure".into()),
        code: Some(i32::from(code.as_u16())),
        reason: Some(reason.into()),
        message: Some(message),
        details,
        metadata: ListMeta::default(),
    };
    let mut response = json(&body);
    *response.status_mut() = code;
    response
}

pub fn bad_request(message: String) -> Response {
    status(StatusCode::BAD_REQUEST, "BadRequest", message, None)
}

/// `pods "x" not found`, with the details kubectl prints.
pub fn not_found(kind: &str, name: &str) -> Response {
    let details = StatusDetails {
        name: Some(name.into()),
        kind: Some(kind.into()),
        ..Default::default()
    };
    let message = format!("{kind} \"{name}\" not found");
    status(StatusCode::NOT_FOUND, "NotFound", message, Some(details))
}

/// Whether the client asked for kubectl's server-side printed table.
fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("as=Table"))
}

fn is_true(params: &HashMap<String, String>, name: &str) -> bool {
    params.get(name).is_some_and(|v| v == "true" || v == "1")
}

/// A list, or kubectl's table of it.
fn list<T>(items: Vec<T>, rv: u64, now: Nanos, table: bool) -> Response
where
    T: ListableResource + Serialize + Tabular,
{
    if table {
        return json(&table::table(&items, Some(rv), now));
    }
    json(&List {
        items,
        metadata: ListMeta {
            resource_version: Some(rv.to_string()),
            ..Default::default()
        },
    })
}

/// Lists or watches pods or events in `namespace` (or all), as `watch`
/// in the query says.
fn list_or_watch<T>(
    cluster: Arc<Cluster>,
    namespace: Option<String>,
    params: &HashMap<String, String>,
    headers: &HeaderMap,
) -> Response
where
    T: ListableResource + Serialize + Object,
{
    let filter = match Filter::new::<T>(namespace, params) {
        Ok(filter) => filter,
        Err(e) => return bad_request(e.to_string()),
    };
    let table = wants_table(headers);
    if is_true(params, "watch") {
        return watch::watch::<T>(cluster, filter, params, table);
    }
    let state = cluster.state();
    let items: Vec<T> = T::current(&state)
        .into_iter()
        .filter(|o| filter.selects(o))
        .collect();
    list(items, state.rv, state.now(), table)
}

async fn all_pods(State(cluster): Shared, Query(params): Params, headers: HeaderMap) -> Response {
    list_or_watch::<Pod>(cluster, None, &params, &headers)
}

async fn pods(
    State(cluster): Shared,
    Path(ns): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    list_or_watch::<Pod>(cluster, Some(ns), &params, &headers)
}

async fn all_events(State(cluster): Shared, Query(params): Params, headers: HeaderMap) -> Response {
    list_or_watch::<Event>(cluster, None, &params, &headers)
}

async fn events(
    State(cluster): Shared,
    Path(ns): Path<String>,
    Query(params): Params,
    headers: HeaderMap,
) -> Response {
    list_or_watch::<Event>(cluster, Some(ns), &params, &headers)
}

/// One object by namespace and name, or a table of it.
fn one<T: Object + Serialize>(
    cluster: &Cluster,
    ns: &str,
    name: &str,
    headers: &HeaderMap,
) -> Response {
    let state = cluster.state();
    let found = T::current(&state).into_iter().find(|o| {
        let meta = o.meta();
        meta.namespace.as_deref() == Some(ns) && meta.name.as_deref() == Some(name)
    });
    match found {
        Some(o) if wants_table(headers) => json(&table::table(&[o], None, state.now())),
        Some(o) => json(&o),
        None => not_found(T::PLURAL, name),
    }
}

async fn pod(
    State(cluster): Shared,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    one::<Pod>(&cluster, &ns, &name, &headers)
}

async fn event(
    State(cluster): Shared,
    Path((ns, name)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    one::<Event>(&cluster, &ns, &name, &headers)
}

/// The namespaces a kubeadm cluster has, and the demo's two: name, age in days.
const NAMESPACES: [(&str, Nanos); 6] = [
    ("default", 30),
    ("kube-node-lease", 30),
    ("kube-public", 30),
    ("kube-system", 30),
    ("observability", 21),
    ("shop", 9),
];

fn namespace_objects(now: Nanos) -> Vec<Namespace> {
    const DAY: Nanos = 86_400 * 1_000_000_000;
    NAMESPACES
        .iter()
        .zip(1u64..)
        .map(|(&(name, days), i)| Namespace {
            metadata: ObjectMeta {
                name: Some(name.into()),
                uid: Some(format!("5e0c{i:04x}-7a1d-4c2b-9f3e-00000000{i:04x}")),
                resource_version: Some((10 * i).to_string()),
                creation_timestamp: Some(time(now - days * DAY - i as Nanos * 60_000_000_000)),
                labels: Some(BTreeMap::from([(
                    "kubernetes.io/metadata.name".to_owned(),
                    name.to_owned(),
                )])),
                ..Default::default()
            },
            spec: Some(NamespaceSpec {
                finalizers: Some(vec!["kubernetes".into()]),
            }),
            status: Some(NamespaceStatus {
                phase: Some("Active".into()),
                ..Default::default()
            }),
        })
        .collect()
}

async fn namespaces(State(cluster): Shared, headers: HeaderMap) -> Response {
    let (rv, now) = {
        let state = cluster.state();
        (state.rv, state.now())
    };
    list(namespace_objects(now), rv, now, wants_table(&headers))
}

async fn namespace(
    State(cluster): Shared,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    let now = cluster.state().now();
    match namespace_objects(now)
        .into_iter()
        .find(|n| n.metadata.name.as_deref() == Some(&name))
    {
        Some(n) if wants_table(&headers) => json(&table::table(&[n], None, now)),
        Some(n) => json(&n),
        None => not_found("namespaces", &name),
    }
}

async fn version() -> Response {
    json(&Info {
        major: "1".into(),
        minor: "33".into(),
        emulation_major: Some("1".into()),
        emulation_minor: Some("33".into()),
        min_compatibility_major: Some("1".into()),
        min_compatibility_minor: Some("32".into()),
        git_version: "v1.33.1".into(),
        git_commit: "8adc0f041b8e7ad1d30e29cc59c6ae7a15e19828".into(),
        git_tree_state: "clean".into(),
        build_date: "2025-05-15T08:19:08Z".into(),
        go_version: "go1.24.2".into(),
        compiler: "gc".into(),
        platform: "linux/amd64".into(),
    })
}

/// Discovery, which kubectl reads before anything else: core/v1 only.
async fn api_versions() -> Response {
    json(&APIVersions {
        versions: vec!["v1".into()],
        server_address_by_client_cidrs: Vec::new(),
    })
}

async fn api_groups() -> Response {
    json(&APIGroupList { groups: Vec::new() })
}

async fn api_resources() -> Response {
    let resource =
        |name: &str, kind: &str, namespaced, verbs: &[&str], short: &[&str]| APIResource {
            name: name.into(),
            singular_name: if name.contains('/') {
                String::new()
            } else {
                kind.to_lowercase()
            },
            kind: kind.into(),
            namespaced,
            verbs: verbs.iter().map(|v| (*v).into()).collect(),
            short_names: (!short.is_empty()).then(|| short.iter().map(|s| (*s).into()).collect()),
            categories: (name == "pods").then(|| vec!["all".into()]),
            ..Default::default()
        };
    json(&APIResourceList {
        group_version: "v1".into(),
        resources: vec![
            resource("events", "Event", true, &["get", "list", "watch"], &["ev"]),
            resource("namespaces", "Namespace", false, &["get", "list"], &["ns"]),
            resource("pods", "Pod", true, &["get", "list", "watch"], &["po"]),
            resource("pods/log", "Pod", true, &["get"], &[]),
        ],
    })
}
