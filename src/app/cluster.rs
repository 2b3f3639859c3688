//! What Kubernetes keys and answers do to the state: the pods list, a pod's
//! detail, container logs, and the jumps into them from spans and lines.

use super::action::Action;
use super::effect::{Effect, RequestId};
use super::layout;
use super::pods::{PodView, PodsView, Watch};
use super::state::{Loadable, LogSource, LogsView, Older, State, TraceView, View};
use super::update::{describe, error, info, moved, open_logs};
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::domain::{LogLine, Pod, PodChange, PodEvent, PodKey, SafeText, TimeRange};

/// How far back a container's log starts, `-`/`+` stepping through them.
pub const LOG_SPANS: [Duration; 6] = [
    Duration::from_secs(5 * 60),
    Duration::from_secs(15 * 60),
    Duration::from_secs(3600),
    Duration::from_secs(6 * 3600),
    Duration::from_secs(24 * 3600),
    Duration::from_secs(7 * 24 * 3600),
];

/// Opens the pods of the current context and namespaces, watched.
pub fn open_pods(state: &mut State, effects: &mut Vec<Effect>) {
    let (context, namespaces) = (state.kube_context.clone(), state.namespaces.clone());
    open_pods_in(state, context, namespaces, effects);
}

/// Opens the pods of a context and namespaces, watched.
pub fn open_pods_in(
    state: &mut State,
    context: Option<String>,
    namespaces: Namespaces,
    effects: &mut Vec<Effect>,
) {
    let (id, now) = (state.next_request_id(), state.now);
    effects.push(Effect::WatchPods {
        id,
        context: context.clone(),
        namespaces: namespaces.clone(),
        name: None,
    });
    state
        .views
        .push(View::Pods(PodsView::new(context, namespaces, id, now)));
}

/// Opens one pod of the current context, watched, with its events.
/// `known` is what the place the jump came from knew of it, shown if the
/// pod is gone.
pub fn open_pod(
    state: &mut State,
    key: PodKey,
    known: Vec<(String, SafeText)>,
    effects: &mut Vec<Effect>,
) {
    let context = state.kube_context.clone();
    open_pod_in(state, context, key, known, effects);
}

/// Opens one pod of a context (the one of the list it was chosen from).
pub fn open_pod_in(
    state: &mut State,
    context: Option<String>,
    key: PodKey,
    known: Vec<(String, SafeText)>,
    effects: &mut Vec<Effect>,
) {
    let (watch, events, now) = (state.next_request_id(), state.next_request_id(), state.now);
    let mut view = PodView::new(key.clone(), context.clone(), watch, events, now);
    view.known = known;
    // A list underneath already knows it: show that while the watch starts.
    if let Some(pod) = state.views.iter().rev().find_map(|v| match v {
        View::Pods(pods) => pods.get(&key),
        _ => None,
    }) {
        view.pod = pod.clone();
    }
    effects.push(Effect::WatchPods {
        id: watch,
        context: context.clone(),
        namespaces: Namespaces::One(key.namespace.to_string()),
        name: Some(key.name.to_string()),
    });
    effects.push(Effect::FetchEvents {
        id: events,
        context,
        pod: key,
    });
    state.views.push(View::Pod(view));
}

/// Opens a container's log, streamed from the API server, newest on top.
pub fn open_pod_logs(
    state: &mut State,
    context: Option<String>,
    request: PodLogRequest,
    effects: &mut Vec<Effect>,
) {
    let (id, now) = (state.next_request_id(), state.now);
    let start = request.since.map_or(0, |since| {
        now.saturating_sub(since.as_nanos().min(i64::MAX as u128) as i64)
    });
    let mut view = LogsView::of_pod(
        context.clone(),
        request.clone(),
        TimeRange { start, end: now },
        state.settings.log_buffer,
    );
    view.stream = Some(id);
    view.older = Older::Loading { id, since: now };
    effects.push(Effect::StreamPodLogs {
        id,
        context,
        request,
    });
    state.views.push(View::Logs(view));
}

/// Opens the pod's logs in Loki, by the labels that name it there.
pub fn open_loki_logs(
    state: &mut State,
    pod: &PodKey,
    container: Option<&str>,
    effects: &mut Vec<Effect>,
) {
    let names = &state.settings.pod_labels;
    let matcher = |label: &str, value: &str| {
        // A LogQL string: backslashes and quotes escaped, as in Go.
        let quoted = value.replace('\\', "\\\\").replace('"', "\\\"");
        format!("{label}=\"{quoted}\"")
    };
    let mut selector = vec![
        matcher(&names.namespace, &pod.namespace),
        matcher(&names.pod, &pod.name),
    ];
    if let Some(container) = container {
        selector.push(matcher(&names.container, container));
    }
    open_logs(state, format!("{{{}}}", selector.join(", ")), effects);
}

pub fn pods_changed(
    state: &mut State,
    id: RequestId,
    changes: Vec<Result<PodChange, BackendError>>,
    effects: &mut Vec<Effect>,
) {
    // Taken before the views are borrowed; unused ids cost nothing.
    let (events, now) = (state.next_request_id(), state.now);
    let Some(view) = state.views.iter_mut().find(|v| watch_of(v) == Some(id)) else {
        return; // stale: the view is gone
    };
    match view {
        View::Pods(pods) => pods.apply(changes),
        View::Pod(pod) => {
            let was_live = !matches!(pod.watch, Watch::Listing { .. });
            pod.apply(changes);
            // The pod changed: its events likely did too.
            if was_live && pod.events.pending().is_none() && pod.events_refresh.is_none() {
                ask_events(pod, events, now, effects);
            }
        }
        _ => {}
    }
    state.dirty = true;
}

fn watch_of(view: &View) -> Option<RequestId> {
    match view {
        View::Pods(pods) => Some(pods.watch.id()),
        View::Pod(pod) => Some(pod.watch.id()),
        _ => None,
    }
}

fn ask_events(
    view: &mut PodView,
    id: RequestId,
    now: triage_core::domain::Nanos,
    effects: &mut Vec<Effect>,
) {
    // What is shown stays until the new list arrives.
    if !matches!(view.events, Loadable::Ready(_)) {
        view.events = Loadable::Loading { id, since: now };
    } else {
        view.events_refresh = Some(id);
    }
    effects.push(Effect::FetchEvents {
        id,
        context: view.context.clone(),
        pod: view.key.clone(),
    });
}

pub fn events_loaded(
    state: &mut State,
    id: RequestId,
    result: Result<Vec<PodEvent>, BackendError>,
) {
    let waiting = state.views.iter_mut().find_map(|v| match v {
        View::Pod(pod) if pod.events.pending() == Some(id) || pod.events_refresh == Some(id) => {
            Some(pod)
        }
        _ => None,
    });
    let Some(view) = waiting else { return };
    view.events_refresh = None;
    view.events = match result {
        Ok(events) => Loadable::Ready(events),
        Err(e) => Loadable::Failed(e),
    };
    state.dirty = true;
}

/// Lines of a container's log arrived (oldest first), or its stream failed.
pub fn pod_logs(state: &mut State, id: RequestId, result: Result<Vec<LogLine>, BackendError>) {
    let rules = state.settings.derived_fields.clone();
    let Some(logs) = streaming(state, id) else { return };
    match result {
        Ok(lines) => {
            logs.prepend(lines, &rules);
            logs.loaded = true;
            logs.older = Older::Exhausted;
        }
        Err(e) => {
            state.message = Some(error(describe(&e)));
            if let Some(logs) = streaming(state, id) {
                logs.older = Older::Failed(e);
                logs.stream = None;
            }
        }
    }
    state.dirty = true;
}

/// The stream ended: the log is all there (not followed, or the container
/// stopped).
pub fn pod_logs_ended(state: &mut State, id: RequestId) {
    let Some(logs) = streaming(state, id) else { return };
    logs.stream = None;
    logs.loaded = true;
    if matches!(logs.older, Older::Loading { .. }) {
        logs.older = Older::Exhausted;
    }
    state.dirty = true;
}

fn streaming(state: &mut State, id: RequestId) -> Option<&mut LogsView> {
    state.views.iter_mut().find_map(|v| match v {
        View::Logs(logs) if logs.stream == Some(id) => Some(logs),
        _ => None,
    })
}

pub fn pods_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let rows = layout::pods_rows(state.height);
    let Some(View::Pods(pods)) = state.views.last_mut() else {
        return;
    };
    if let Some(to) = moved(pods.selected, pods.rows.len(), rows, action) {
        pods.selected = to;
        return;
    }
    if let Action::SortBy(column) = action {
        return pods.sort_by(column);
    }
    let Some(pod) = pods.selected_pod().cloned() else {
        if matches!(action, Action::Open | Action::PodLogs | Action::LokiLogs) {
            state.message = Some(info("no pod selected"));
        }
        return;
    };
    let context = pods.context.clone();
    match action {
        Action::Open => open_pod_in(state, context, pod.key, Vec::new(), effects),
        Action::PodLogs => container_logs(state, context, &pod, None, false, effects),
        Action::LokiLogs => open_loki_logs(state, &pod.key, None, effects),
        _ => {}
    }
}

pub fn pod_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let Some(View::Pod(view)) = state.views.last_mut() else {
        return;
    };
    match action {
        Action::Up | Action::Down | Action::Top | Action::Bottom => {
            let len = view.pod.containers.len();
            view.container = moved(view.container, len, 1, action).unwrap_or(view.container);
        }
        Action::PageDown => view.scroll += layout::body_rows(state.height) / 2,
        Action::PageUp => {
            view.scroll = view
                .scroll
                .saturating_sub(layout::body_rows(state.height) / 2)
        }
        Action::PodLogs | Action::PreviousLogs => {
            let (pod, context) = (view.pod.clone(), view.context.clone());
            let container = view.selected_container().map(|c| c.name.to_string());
            let previous = action == Action::PreviousLogs;
            container_logs(
                state,
                context,
                &pod,
                container.as_deref(),
                previous,
                effects,
            );
        }
        Action::LokiLogs => {
            let key = view.key.clone();
            let container = view.selected_container().map(|c| c.name.to_string());
            open_loki_logs(state, &key, container.as_deref(), effects);
        }
        _ => {}
    }
}

/// Streams a container's log: the one named, else the pod's main one.
fn container_logs(
    state: &mut State,
    context: Option<String>,
    pod: &Pod,
    container: Option<&str>,
    previous: bool,
    effects: &mut Vec<Effect>,
) {
    let Some(chosen) = pod.container(container) else {
        state.message = Some(info(format!("{} has no containers known yet", pod.key)));
        return;
    };
    if previous && chosen.last_termination.is_none() && chosen.restarts == 0 {
        state.message = Some(info(format!(
            "{} has not restarted: there is no previous container",
            chosen.name
        )));
        return;
    }
    let request = PodLogRequest {
        pod: pod.key.clone(),
        container: chosen.name.to_string(),
        previous,
        follow: !previous,
        since: Some(state.settings.since),
    };
    open_pod_logs(state, context, request, effects);
}

/// A streamed container log over a longer or shorter span: started again.
pub fn restream(state: &mut State, longer: bool, effects: &mut Vec<Effect>) {
    let Some(View::Logs(LogsView {
        source: LogSource::Pod { context, request },
        ..
    })) = state.views.last()
    else {
        return;
    };
    let (context, mut request) = (context.clone(), request.clone());
    let current = request.since.unwrap_or(Duration::MAX);
    request.since = if longer {
        LOG_SPANS.iter().copied().find(|s| *s > current)
    } else {
        LOG_SPANS
            .iter()
            .rev()
            .copied()
            .find(|s| *s < current)
            .or(Some(LOG_SPANS[0]))
    };
    if let Some(View::Logs(old)) = state.views.pop() {
        effects.extend(old.stream.map(Effect::Cancel));
    }
    let span = request.since.map_or("the whole log".into(), |s| {
        format!(
            "the last {}",
            triage_core::domain::time::format_duration(s.as_nanos() as i64)
        )
    });
    state.message = Some(info(format!("showing {span}")));
    open_pod_logs(state, context, request, effects);
}

/// `p` on a span: its pod, named by the resource's `k8s.namespace.name`
/// and `k8s.pod.name`.
pub fn pod_of_span(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(View::Trace(TraceView {
        load: Loadable::Ready(model),
        ..
    })) = state.views.last()
    else {
        return;
    };
    let Some(span) = model
        .selected_row()
        .and_then(|row| model.waterfall.rows.get(row))
        .and_then(|node| model.trace.spans.get(node.span as usize))
    else {
        return;
    };
    let (namespace, name) = (
        span.attribute("k8s.namespace.name"),
        span.attribute("k8s.pod.name"),
    );
    let (Some(namespace), Some(name)) = (namespace, name) else {
        state.message = Some(info(
            "this span's resource names no pod (k8s.namespace.name and k8s.pod.name)",
        ));
        return;
    };
    let (namespace, name) = (namespace.clone(), name.clone());
    let known = span
        .resource
        .iter()
        .filter(|a| {
            a.key.starts_with("k8s.") || a.key.starts_with("service.") || a.key.starts_with("host.")
        })
        .map(|a| (a.key.to_string(), a.value.clone()))
        .collect();
    if let Some(key) = named_pod(state, &namespace, &name) {
        open_pod(state, key, known, effects);
    }
}

/// `p` on a log line: its pod, from the line's labels (or the pod whose
/// log this is).
pub fn pod_of_line(state: &mut State, effects: &mut Vec<Effect>) {
    let names = state.settings.pod_labels.clone();
    let Some(View::Logs(logs)) = state.views.last() else {
        return;
    };
    if let LogSource::Pod { context, request } = &logs.source {
        let (context, key) = (context.clone(), request.pod.clone());
        return open_pod_in(state, context, key, Vec::new(), effects);
    }
    let Some(row) = logs.selected_row() else {
        return;
    };
    let labels = &row.line.labels;
    let (Some(namespace), Some(name)) = (labels.get(&names.namespace), labels.get(&names.pod))
    else {
        state.message = Some(info(format!(
            "this line has no {} and {} labels to name its pod",
            names.namespace, names.pod
        )));
        return;
    };
    let (namespace, name) = (namespace.clone(), name.clone());
    let known = labels
        .0
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    if let Some(key) = named_pod(state, &namespace, &name) {
        open_pod(state, key, known, effects);
    }
}

/// The pod that names found elsewhere point at, if they are names
/// Kubernetes could have given (they go into API paths); else says so.
fn named_pod(state: &mut State, namespace: &str, name: &str) -> Option<PodKey> {
    let key = PodKey::parse(namespace, name);
    if key.is_none() {
        state.message = Some(error(format!(
            "not a pod's namespace and name: {namespace}/{name}"
        )));
    }
    key
}

/// `:ns NAME` (`:ns all` for every namespace) and `:ctx NAME`: the pods
/// view on screen follows.
pub fn set_scope(
    state: &mut State,
    namespaces: Option<Namespaces>,
    context: Option<String>,
    effects: &mut Vec<Effect>,
) {
    if let Some(namespaces) = namespaces {
        state.namespaces = namespaces;
    }
    if context.is_some() {
        state.kube_context = context;
    }
    if let Some(View::Pods(_)) = state.views.last() {
        if let Some(old) = state.views.pop() {
            effects.extend(old.requests().into_iter().map(Effect::Cancel));
        }
        open_pods(state, effects);
    } else {
        state.message = Some(info(
            SafeText::new(&format!("pods: {}", scope_text(state))).to_string(),
        ));
    }
}

/// The context and namespaces, as the title shows them.
pub fn scope_text(state: &State) -> String {
    match &state.kube_context {
        Some(context) => format!("{} in context {context}", state.namespaces),
        None => state.namespaces.to_string(),
    }
}
