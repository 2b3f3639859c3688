//! `GET .../pods/{name}/log`: a container's lines as `kubectl logs` gets
//! them from the kubelet, with its choice of which run's lines (current,
//! previous, or the last one while the container waits to start again)
//! and its errors.

use super::pods::DemoPod;
use super::{Cluster, bad_request, is_true, not_found};
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use triage_core::domain::Nanos;

/// Why the log is refused. Its words are the API server's and the
/// kubelet's: the demo sends them as the message of its 400 `Status`.
#[derive(Debug, PartialEq)]
enum LogError {
    /// A query parameter (its name, and its text) of the wrong form.
    InvalidValue { name: String, value: String },
    /// `previous` asked of a container (and pod) that never exited.
    NoPrevious {
        container: &'static str,
        pod: &'static str,
    },
    /// No run yet: the container (and pod) and why it waits.
    Waiting {
        container: &'static str,
        pod: &'static str,
        why: &'static str,
    },
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::InvalidValue { name, value } => {
                write!(f, "{name}: invalid value \"{value}\"")
            }
            LogError::NoPrevious { container, pod } => write!(
                f,
                "previous terminated container \"{container}\" in pod \"{pod}\" not found"
            ),
            LogError::Waiting {
                container,
                pod,
                why,
            } => write!(
                f,
                "container \"{container}\" in pod \"{pod}\" is waiting to start: {why}"
            ),
        }
    }
}

impl std::error::Error for LogError {}

/// The query as kubectl sends it.
struct Options {
    container: Option<String>,
    previous: bool,
    follow: bool,
    timestamps: bool,
    since: Option<Nanos>,
    tail: Option<usize>,
    limit_bytes: Option<usize>,
}

impl Options {
    fn parse(params: &HashMap<String, String>, now: Nanos) -> Result<Options, LogError> {
        let invalid = |name: &str, value: &str| LogError::InvalidValue {
            name: name.to_owned(),
            value: value.to_owned(),
        };
        let number = |name: &str| -> Result<Option<i64>, LogError> {
            params
                .get(name)
                .map(|v| v.parse().map_err(|_| invalid(name, v)))
                .transpose()
        };
        let since_time = match params.get("sinceTime") {
            Some(t) => Some(
                chrono::DateTime::parse_from_rfc3339(t)
                    .map_err(|_| invalid("sinceTime", t))?
                    .timestamp_nanos_opt()
                    .unwrap_or(0),
            ),
            None => None,
        };
        let since_seconds = number("sinceSeconds")?.map(|s| now - s * 1_000_000_000);
        Ok(Options {
            container: params.get("container").filter(|c| !c.is_empty()).cloned(),
            previous: is_true(params, "previous"),
            follow: is_true(params, "follow"),
            timestamps: is_true(params, "timestamps"),
            since: since_seconds.or(since_time),
            tail: number("tailLines")?.and_then(|n| usize::try_from(n).ok()),
            limit_bytes: number("limitBytes")?.and_then(|n| usize::try_from(n).ok()),
        })
    }
}

/// One line of the log, with its time first when `timestamps` asks.
fn write_line(out: &mut String, timestamps: bool, at: Nanos, line: &str) {
    if timestamps {
        out.push_str(&rfc3339_nano(at));
        out.push(' ');
    }
    out.push_str(line);
    out.push('\n');
}

/// A time as Go's `time.RFC3339Nano` writes it: trailing zeros of the
/// fraction dropped, as the kubelet prefixes lines.
pub fn rfc3339_nano(at: Nanos) -> String {
    let time = chrono::DateTime::from_timestamp_nanos(at);
    let fraction = format!("{:09}", at.rem_euclid(1_000_000_000));
    let fraction = fraction.trim_end_matches('0');
    let dot = if fraction.is_empty() { "" } else { "." };
    format!("{}{dot}{fraction}Z", time.format("%Y-%m-%dT%H:%M:%S"))
}

/// Which of the pod's runs the kubelet reads, or its refusal.
fn chosen_run(pod: &DemoPod, previous: bool) -> Result<usize, LogError> {
    let (container, pod_name) = (pod.spec.app, pod.spec.name);
    if previous {
        return pod.previous_index().ok_or(LogError::NoPrevious {
            container,
            pod: pod_name,
        });
    }
    let waiting = |why| LogError::Waiting {
        container,
        pod: pod_name,
        why,
    };
    match (pod.runs.len().checked_sub(1), &pod.waiting) {
        (Some(last), _) => Ok(last),
        (None, Some((reason, _))) => {
            let why = match *reason {
                "ImagePullBackOff" => "trying and failing to pull image",
                "ErrImagePull" => "image can't be pulled",
                other => other,
            };
            Err(waiting(why))
        }
        (None, None) => Err(waiting("ContainerCreating")),
    }
}

/// How often a followed log looks for lines that came due.
const FOLLOW_TICK: std::time::Duration = std::time::Duration::from_millis(500);

/// Where a followed log is: which pod and run, how many lines were sent.
struct Following {
    cluster: Arc<Cluster>,
    pod: usize,
    run: usize,
    sent: usize,
    timestamps: bool,
    steps: tokio::sync::watch::Receiver<u64>,
    first: Option<String>,
}

pub async fn logs(
    State(cluster): State<Arc<Cluster>>,
    Path((ns, name)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let steps = cluster.steps();
    let (text, following) = {
        let state = cluster.state();
        let Some(index) = state
            .pods
            .iter()
            .position(|p| p.spec.namespace == ns && p.spec.name == name)
        else {
            return not_found("pods", &name);
        };
        let pod = &state.pods[index];
        let options = match Options::parse(&params, state.now()) {
            Ok(o) => o,
            Err(e) => return bad_request(e.to_string()),
        };
        if let Some(c) = options.container.as_ref().filter(|c| *c != pod.spec.app) {
            return bad_request(format!("container {c} is not valid for pod {name}"));
        }
        if pod.node().is_none() {
            // The API server has no kubelet to ask: an empty log.
            return text_response(Body::empty());
        }
        let run = match chosen_run(pod, options.previous) {
            Ok(run) => run,
            Err(e) => return bad_request(e.to_string()),
        };
        let lines = due(&pod.runs[run].lines, state.now());
        let text = initial_text(lines, &options);
        let live = options.follow && pod.runs[run].exit.is_none();
        let following = live.then_some((index, run, lines.len(), options.timestamps));
        (text, following)
    };
    let Some((pod, run, sent, timestamps)) = following else {
        return text_response(Body::from(text));
    };
    let following = Following {
        cluster,
        pod,
        run,
        sent,
        timestamps,
        steps,
        first: Some(text),
    };
    text_response(Body::from_stream(futures::stream::unfold(
        following, next_lines,
    )))
}

fn text_response(body: Body) -> Response {
    ([(header::CONTENT_TYPE, "text/plain")], body).into_response()
}

/// The lines written by `now`: a run's lines are in time order, and the
/// demo's upcoming ones are there before they are due.
fn due(lines: &[(Nanos, String)], now: Nanos) -> &[(Nanos, String)] {
    &lines[..lines.partition_point(|(t, _)| *t <= now)]
}

/// The lines the options pick, as text.
fn initial_text(lines: &[(Nanos, String)], options: &Options) -> String {
    let since = options.since.unwrap_or(Nanos::MIN);
    let picked: Vec<&(Nanos, String)> = lines.iter().filter(|(t, _)| *t >= since).collect();
    let skip = options.tail.map_or(0, |n| picked.len().saturating_sub(n));
    let mut text = String::new();
    for (at, line) in &picked[skip..] {
        write_line(&mut text, options.timestamps, *at, line);
    }
    if let Some(limit) = options.limit_bytes.filter(|l| *l < text.len()) {
        let mut cut = limit;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
    }
    text
}

/// The next lines of a followed run, as they come due; the stream ends
/// when the container exits or the demo stops, as the kubelet's does.
async fn next_lines(mut f: Following) -> Option<(Result<Bytes, Infallible>, Following)> {
    if let Some(first) = f.first.take().filter(|t| !t.is_empty()) {
        return Some((Ok(Bytes::from(first)), f));
    }
    loop {
        let (text, exited) = {
            let state = f.cluster.state();
            let run = state.pods.get(f.pod).and_then(|p| p.runs.get(f.run))?;
            let lines = due(&run.lines, state.now());
            let mut text = String::new();
            for (at, line) in lines.iter().skip(f.sent) {
                write_line(&mut text, f.timestamps, *at, line);
            }
            f.sent = f.sent.max(lines.len());
            (text, run.exit.is_some())
        };
        if !text.is_empty() {
            return Some((Ok(Bytes::from(text)), f));
        }
        if exited {
            return None;
        }
        // A step of the cluster, or half a second for the next lines due.
        tokio::select! {
            changed = f.steps.changed() => changed.ok()?,
            () = tokio::time::sleep(FOLLOW_TICK) => {}
        }
    }
}
