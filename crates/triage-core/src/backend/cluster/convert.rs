//! Kubernetes objects (k8s-openapi) into domain values, cut of secrets and
//! sanitised here.
//! Public so that the fuzz targets convert objects as the client does.

use super::PodLogRequest;
use crate::domain::pod::{Condition, Container, ContainerState, Health, Termination};
use crate::domain::{Labels, LogLine, Nanos, Pod, PodEvent, PodKey, SafeText};
use crate::secret::Redactor;
use k8s_openapi::api::core::v1 as core;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::jiff::Timestamp;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

fn text(value: &Option<String>, secrets: &Redactor) -> SafeText {
    value
        .as_deref()
        .map(|v| secrets.safe(v))
        .unwrap_or_default()
}

fn labels(map: &Option<BTreeMap<String, String>>, secrets: &Redactor) -> Labels {
    map.as_ref().map_or_else(Labels::default, |m| {
        secrets.labels(m.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    })
}

pub fn key(pod: &core::Pod, secrets: &Redactor) -> PodKey {
    PodKey {
        namespace: text(&pod.metadata.namespace, secrets),
        name: text(&pod.metadata.name, secrets),
    }
}

/// Annotations kept of a pod: not kubectl's copy of the whole applied
/// object, which is kilobytes a pod and never read here.
const SKIPPED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

pub fn pod(pod: &core::Pod, secrets: &Redactor) -> Pod {
    let meta = &pod.metadata;
    let (spec, status) = (pod.spec.as_ref(), pod.status.as_ref());
    let init_specs = list(spec.and_then(|s| s.init_containers.as_ref()));
    let init_statuses = list(status.and_then(|s| s.init_container_statuses.as_ref()));
    let specs = list(spec.map(|s| &s.containers));
    let statuses = list(status.and_then(|s| s.container_statuses.as_ref()));
    let containers: Vec<Container> = containers(init_specs, init_statuses, true, secrets)
        .chain(containers(specs, statuses, false, secrets))
        .collect();
    let app: Vec<&Container> = containers.iter().filter(|c| !c.init || c.sidecar).collect();
    let last_restart = containers
        .iter()
        .filter_map(|c| c.last_termination.as_ref())
        .max_by_key(|t| t.finished)
        .cloned();
    let (status_text, health) = pod_status(pod, &containers);
    Pod {
        key: key(pod, secrets),
        status: secrets.safe(&status_text),
        health,
        ready: (count(app.iter().filter(|c| c.ready)), count(app.iter())),
        // Saturating: an API server may claim anything (a sum overflowed).
        restarts: app.iter().fold(0, |sum, c| sum.saturating_add(c.restarts)),
        last_restart,
        created: meta.creation_timestamp.as_ref().map(nanos),
        node: spec.map_or_else(SafeText::default, |s| text(&s.node_name, secrets)),
        ip: status.map_or_else(SafeText::default, |s| text(&s.pod_ip, secrets)),
        containers,
        conditions: status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .map(|c| Condition {
                kind: secrets.safe(&c.type_),
                status: secrets.safe(&c.status),
                reason: text(&c.reason, secrets),
                message: text(&c.message, secrets),
                since: c.last_transition_time.as_ref().map(nanos),
            })
            .collect(),
        labels: labels(&meta.labels, secrets),
        annotations: meta.annotations.as_ref().map_or_else(Labels::default, |m| {
            secrets.labels(
                m.iter()
                    .filter(|(k, _)| k.as_str() != SKIPPED_ANNOTATION)
                    .map(|(k, v)| (k.as_str(), v.as_str())),
            )
        }),
    }
}

/// How many, as the READY column counts (saturating, not wrapping).
fn count<T>(items: impl Iterator<Item = T>) -> u16 {
    u16::try_from(items.count()).unwrap_or(u16::MAX)
}

/// The containers of a spec, with their statuses where the kubelet gave them.
fn list<T>(items: Option<&Vec<T>>) -> &[T] {
    items.map_or(&[], Vec::as_slice)
}

fn containers<'a>(
    specs: &'a [core::Container],
    statuses: &'a [core::ContainerStatus],
    init: bool,
    secrets: &'a Redactor,
) -> impl Iterator<Item = Container> + 'a {
    // Indexed once: a search per container was quadratic in a pod that
    // lists thousands (8,000 in 1 MB took 0.7 s). The first status wins.
    let mut by_name = HashMap::with_capacity(statuses.len());
    for status in statuses {
        by_name.entry(status.name.as_str()).or_insert(status);
    }
    specs.iter().map(move |spec| {
        let status = by_name.get(spec.name.as_str()).copied();
        Container {
            name: secrets.safe(&spec.name),
            image: secrets.safe(status.map_or(spec.image.as_deref().unwrap_or(""), |s| &s.image)),
            init,
            sidecar: init && spec.restart_policy.as_deref() == Some("Always"),
            ready: status.is_some_and(|s| s.ready),
            restarts: status.map_or(0, |s| s.restart_count.max(0) as u32),
            state: status
                .and_then(|s| s.state.as_ref())
                .map_or(ContainerState::Unknown, |s| state(s, secrets)),
            last_termination: status
                .and_then(|s| s.last_state.as_ref())
                .and_then(|s| s.terminated.as_ref())
                .map(|t| termination(t, secrets)),
        }
    })
}

fn state(state: &core::ContainerState, secrets: &Redactor) -> ContainerState {
    if let Some(t) = &state.terminated {
        ContainerState::Terminated(termination(t, secrets))
    } else if let Some(w) = &state.waiting {
        ContainerState::Waiting {
            reason: text(&w.reason, secrets),
            message: text(&w.message, secrets),
        }
    } else if let Some(r) = &state.running {
        ContainerState::Running {
            since: r.started_at.as_ref().map(nanos),
        }
    } else {
        ContainerState::Unknown
    }
}

fn termination(t: &core::ContainerStateTerminated, secrets: &Redactor) -> Termination {
    Termination {
        reason: text(&t.reason, secrets),
        exit_code: t.exit_code,
        signal: t.signal,
        message: text(&t.message, secrets),
        finished: t.finished_at.as_ref().map(nanos),
    }
}

/// STATUS as `kubectl get pods` prints it (its printPod), and how it reads.
fn pod_status(pod: &core::Pod, containers: &[Container]) -> (String, Health) {
    let status = pod.status.as_ref();
    let phase = status.and_then(|s| s.phase.as_deref()).unwrap_or("Unknown");
    let mut reason = status
        .and_then(|s| s.reason.clone())
        .unwrap_or_else(|| phase.to_owned());
    let terminal = matches!(phase, "Succeeded" | "Failed");
    if pod.metadata.deletion_timestamp.is_some() && !terminal {
        let lost = status.and_then(|s| s.reason.as_deref()) == Some("NodeLost");
        let word = if lost { "Unknown" } else { "Terminating" };
        return (word.into(), Health::Pending);
    }
    let init: Vec<&Container> = containers.iter().filter(|c| c.init).collect();
    let mut initializing = false;
    for (i, c) in init.iter().enumerate() {
        match &c.state {
            ContainerState::Running { .. } if c.sidecar => continue,
            ContainerState::Terminated(t) if t.exit_code == 0 => continue,
            ContainerState::Terminated(t) => {
                reason = format!("Init:{}", exit_reason(t));
            }
            ContainerState::Waiting { reason: r, .. }
                if !r.is_empty() && r.as_str() != "PodInitializing" =>
            {
                reason = format!("Init:{r}");
            }
            _ => reason = format!("Init:{i}/{}", init.len()),
        }
        initializing = true;
        break;
    }
    let mut running = false;
    if !initializing {
        for c in containers.iter().filter(|c| !c.init).rev() {
            match &c.state {
                ContainerState::Waiting { reason: r, .. } if !r.is_empty() => {
                    reason = r.to_string()
                }
                ContainerState::Terminated(t) => reason = exit_reason(t),
                ContainerState::Running { .. } if c.ready => running = true,
                _ => {}
            }
        }
        if reason == "Completed" && running {
            reason = "Running".into();
        }
    }
    if phase == "Pending" && reason == "Pending" {
        // Why it waits, which kubectl leaves to `describe`.
        let unscheduled = status
            .and_then(|s| s.conditions.as_ref())
            .into_iter()
            .flatten()
            .find(|c| c.type_ == "PodScheduled" && c.status == "False");
        if let Some(why) = unscheduled.and_then(|c| c.reason.as_deref()) {
            reason = format!("Pending:{why}");
        }
    }
    let health = health(&reason, phase, containers);
    (reason, health)
}

fn exit_reason(t: &Termination) -> String {
    match (t.reason.is_empty(), t.signal) {
        (false, _) => t.reason.to_string(),
        (true, Some(signal)) if signal != 0 => format!("Signal:{signal}"),
        _ => format!("ExitCode:{}", t.exit_code),
    }
}

fn health(reason: &str, phase: &str, containers: &[Container]) -> Health {
    const FAILING: [&str; 12] = [
        "CrashLoopBackOff",
        "Error",
        "OOMKilled",
        "ImagePullBackOff",
        "ErrImagePull",
        "InvalidImageName",
        "CreateContainerConfigError",
        "CreateContainerError",
        "RunContainerError",
        "ContainerCannotRun",
        "Evicted",
        "Failed",
    ];
    let reason = reason.strip_prefix("Init:").unwrap_or(reason);
    if FAILING.contains(&reason) || reason.starts_with("ExitCode") || reason.starts_with("Signal") {
        Health::Failing
    } else if phase == "Succeeded" || reason == "Completed" {
        Health::Done
    } else if reason == "Running" && containers.iter().filter(|c| !c.init).all(|c| c.ready) {
        Health::Healthy
    } else {
        Health::Pending
    }
}

pub fn event(event: &core::Event, secrets: &Redactor) -> PodEvent {
    let last = event
        .last_timestamp
        .as_ref()
        .or(event.first_timestamp.as_ref())
        .map(nanos)
        .or_else(|| event.event_time.as_ref().map(|t| at(&t.0)));
    let source = event
        .source
        .as_ref()
        .and_then(|s| s.component.clone())
        .or_else(|| event.reporting_component.clone());
    PodEvent {
        warning: event.type_.as_deref() == Some("Warning"),
        reason: text(&event.reason, secrets),
        message: text(&event.message, secrets),
        count: event
            .series
            .as_ref()
            .and_then(|s| s.count)
            .or(event.count)
            .unwrap_or(1)
            .max(1) as u32,
        last,
        source: text(&source, secrets),
    }
}

fn nanos(time: &Time) -> Nanos {
    at(&time.0)
}

/// Nanoseconds since the epoch, as the domain counts time.
fn at(timestamp: &Timestamp) -> Nanos {
    timestamp
        .as_nanosecond()
        .clamp(i64::MIN as i128, i64::MAX as i128) as Nanos
}

/// The labels a container's lines carry, named as Loki's usually are.
pub fn log_labels(request: &PodLogRequest) -> Arc<Labels> {
    Arc::new(Labels::from_pairs([
        ("namespace", request.pod.namespace.as_str()),
        ("pod", request.pod.name.as_str()),
        ("container", request.container.as_str()),
    ]))
}

/// A line of `kubectl logs --timestamps`: an RFC 3339 time, a space, the line.
pub fn log_line(raw: &str, labels: &Arc<Labels>, secrets: &Redactor) -> LogLine {
    let (timestamp, line) = raw
        .split_once(' ')
        .and_then(|(time, rest)| Some((at(&time.parse::<Timestamp>().ok()?), rest)))
        .unwrap_or((0, raw));
    LogLine {
        timestamp,
        labels: Arc::clone(labels),
        line: secrets.safe(line),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn container(name: &str) -> core::Container {
        core::Container {
            name: name.to_owned(),
            ..core::Container::default()
        }
    }

    fn status(name: &str, restarts: i32, ready: bool) -> core::ContainerStatus {
        core::ContainerStatus {
            name: name.to_owned(),
            restart_count: restarts,
            ready,
            ..core::ContainerStatus::default()
        }
    }

    fn pod_of(specs: Vec<core::Container>, statuses: Vec<core::ContainerStatus>) -> core::Pod {
        core::Pod {
            spec: Some(core::PodSpec {
                containers: specs,
                ..core::PodSpec::default()
            }),
            status: Some(core::PodStatus {
                container_statuses: Some(statuses),
                ..core::PodStatus::default()
            }),
            ..core::Pod::default()
        }
    }

    #[test]
    fn restarts_saturate_instead_of_overflowing() {
        let names = ["a", "b", "c"];
        let wire = pod_of(
            names.map(container).to_vec(),
            names.map(|n| status(n, i32::MAX, true)).to_vec(),
        );
        assert_eq!(pod(&wire, &Redactor::default()).restarts, u32::MAX);
    }

    #[test]
    fn statuses_are_matched_by_name_the_first_winning() {
        let wire = pod_of(
            vec![container("a"), container("b")],
            vec![
                status("b", 2, true),
                status("a", 1, false),
                status("a", 9, true),
            ],
        );
        let converted = pod(&wire, &Redactor::default());
        let restarts: Vec<u32> = converted.containers.iter().map(|c| c.restarts).collect();
        assert_eq!(restarts, [1, 2]);
        assert_eq!((converted.ready, converted.restarts), ((1, 2), 3));
    }

    /// Timed, against DESIGN's habit, because the bug was time: 70,000
    /// containers take a fraction of a second matched once, half a minute
    /// matched each against all. The count also passes u16.
    #[test]
    fn many_containers_convert_in_linear_time() {
        let names: Vec<String> = (0..70_000).map(|i| format!("c{i}")).collect();
        let wire = pod_of(
            names.iter().map(|n| container(n)).collect(),
            names.iter().rev().map(|n| status(n, 1, true)).collect(),
        );
        let started = std::time::Instant::now();
        let converted = pod(&wire, &Redactor::default());
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(converted.ready, (u16::MAX, u16::MAX));
        assert_eq!(converted.restarts, 70_000);
    }
}
