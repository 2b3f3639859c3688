//! The cluster's core/v1 Events, as the scheduler, the kubelet and the
//! node-problem-detector write them. Real clusters keep an hour of events,
//! so only what happened in the last hour is here.

use super::pods::{DemoPod, Health, NODES, Run, UNSCHEDULABLE};
use super::time;
use crate::incidents::{OOM_KILLS_AGO, RESTART_DELAY, SECOND};
use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use triage_core::domain::Nanos;

/// One aggregated event before it becomes an object: what, who, how often.
pub struct Occurrence {
    pub warning: bool,
    pub reason: &'static str,
    pub message: String,
    /// The scheduler's events are about the pod, the kubelet's about its
    /// container.
    pub by_kubelet: bool,
    pub first: Nanos,
    pub last: Nanos,
    pub count: i32,
}

impl Occurrence {
    /// A Normal event of the kubelet's, `count` times over `(first, last)`.
    fn kubelet(
        reason: &'static str,
        message: String,
        (first, last): (Nanos, Nanos),
        count: usize,
    ) -> Self {
        Occurrence {
            warning: false,
            reason,
            message,
            by_kubelet: true,
            first,
            last,
            count: i32::try_from(count).unwrap_or(i32::MAX),
        }
    }

    fn scheduler(
        reason: &'static str,
        message: String,
        span: (Nanos, Nanos),
        count: usize,
    ) -> Self {
        let by_kubelet = false;
        Occurrence {
            by_kubelet,
            ..Occurrence::kubelet(reason, message, span, count)
        }
    }

    fn warning(self) -> Self {
        Occurrence {
            warning: true,
            ..self
        }
    }
}

/// The kubelet's message for a container in restart back-off.
pub fn restart_backoff(pod: &DemoPod) -> String {
    let s = pod.spec;
    format!(
        "Back-off restarting failed container {} in pod {}_{}({})",
        s.app, s.name, s.namespace, pod.uid
    )
}

pub fn already_present(pod: &DemoPod) -> String {
    format!(
        "Container image \"{}\" already present on machine",
        pod.spec.image
    )
}

pub fn created(pod: &DemoPod) -> String {
    format!("Created container: {}", pod.spec.app)
}

pub fn started(pod: &DemoPod) -> String {
    format!("Started container {}", pod.spec.app)
}

/// The scheduler's note that it placed the pod.
fn assigned(pod: &DemoPod) -> Occurrence {
    let s = pod.spec;
    let node = pod.node().unwrap_or_default();
    let message = format!("Successfully assigned {}/{} to {node}", s.namespace, s.name);
    Occurrence::scheduler("Scheduled", message, (pod.created, pod.created), 1)
}

/// What happened to `pod` in the hour before `now`.
pub fn occurrences(pod: &DemoPod, now: Nanos) -> Vec<Occurrence> {
    match pod.spec.health {
        Health::Running => Vec::new(),
        Health::Unschedulable => {
            let tries = (pod.created, now - 90 * SECOND);
            let failed = Occurrence::scheduler("FailedScheduling", UNSCHEDULABLE.into(), tries, 4);
            vec![failed.warning()]
        }
        Health::ImagePullBackOff => image_pull_backoff(pod, now),
        Health::OomKilled => {
            let kills = OOM_KILLS_AGO.map(|ago| now - ago);
            let backoffs = (kills[0] + SECOND, kills[1] + SECOND);
            let restarts = (kills[0] + RESTART_DELAY, kills[1] + RESTART_DELAY);
            vec![
                Occurrence::kubelet("BackOff", restart_backoff(pod), backoffs, 2).warning(),
                Occurrence::kubelet("Pulled", already_present(pod), restarts, 2),
                Occurrence::kubelet("Created", created(pod), restarts, 2),
                Occurrence::kubelet("Started", started(pod), restarts, 2),
            ]
        }
        Health::CrashLoop => crash_loop(pod),
    }
}

fn image_pull_backoff(pod: &DemoPod, now: Nanos) -> Vec<Occurrence> {
    let image = pod.spec.image;
    let pulls = (pod.created + SECOND, now - 70 * SECOND);
    let backoffs = (pod.created + 5 * SECOND, now - 10 * SECOND);
    let failed = format!(
        "Failed to pull image \"{image}\": rpc error: code = NotFound desc = failed to pull and unpack image \"{image}\": failed to resolve reference \"{image}\": {image}: not found"
    );
    vec![
        assigned(pod),
        Occurrence::kubelet("Pulling", format!("Pulling image \"{image}\""), pulls, 7),
        Occurrence::kubelet("Failed", failed, pulls, 7).warning(),
        Occurrence::kubelet("Failed", "Error: ErrImagePull".into(), pulls, 7).warning(),
        Occurrence::kubelet(
            "BackOff",
            format!("Back-off pulling image \"{image}\""),
            backoffs,
            48,
        ),
        Occurrence::kubelet("Failed", "Error: ImagePullBackOff".into(), backoffs, 48).warning(),
    ]
}

fn crash_loop(pod: &DemoPod) -> Vec<Occurrence> {
    let (Some(first), Some(last)) = (pod.runs.first(), pod.runs.last()) else {
        return Vec::new();
    };
    let image = pod.spec.image;
    let pulled = format!(
        "Successfully pulled image \"{image}\" in 6.873s (6.873s including waiting). Image size: 21794816 bytes."
    );
    let runs = (first.started, last.started);
    let restarts = (
        pod.runs.get(1).map_or(last.started, |r| r.started),
        last.started,
    );
    let exited = |r: &Run| r.exit.as_ref().map_or(r.started, |e| e.at) + SECOND;
    let count = pod.runs.len();
    vec![
        assigned(pod),
        Occurrence::kubelet(
            "Pulling",
            format!("Pulling image \"{image}\""),
            (pod.created + SECOND, pod.created + SECOND),
            1,
        ),
        Occurrence::kubelet(
            "Pulled",
            pulled,
            (first.started - SECOND, first.started - SECOND),
            1,
        ),
        Occurrence::kubelet("Created", created(pod), runs, count),
        Occurrence::kubelet("Started", started(pod), runs, count),
        Occurrence::kubelet("Pulled", already_present(pod), restarts, count - 1),
        // The kubelet reports the back-off on each sync while it waits.
        Occurrence::kubelet(
            "BackOff",
            restart_backoff(pod),
            (exited(first), exited(last)),
            2 * count,
        )
        .warning(),
    ]
}

/// The Event object for an occurrence about `pod`.
pub fn object(pod: &DemoPod, o: &Occurrence, index: usize, rv: u64) -> Event {
    let s = pod.spec;
    let (component, host) = if o.by_kubelet {
        ("kubelet", pod.node())
    } else {
        ("default-scheduler", None)
    };
    let involved = ObjectReference {
        api_version: Some("v1".into()),
        kind: Some("Pod".into()),
        name: Some(s.name.into()),
        namespace: Some(s.namespace.into()),
        uid: Some(pod.uid.clone()),
        resource_version: Some(pod.resource_version.to_string()),
        field_path: o
            .by_kubelet
            .then(|| format!("spec.containers{{{}}}", s.app)),
    };
    build(
        s.namespace,
        s.name,
        involved,
        o,
        (component, host),
        index,
        rv,
    )
}

/// node-problem-detector's record of the kernel killing postgres, on the
/// node, not the pod: a container's OOM kill shows on the pod only as its
/// last state, `OOMKilled`.
pub fn oom_kills(pod: &DemoPod, now: Nanos, rv: &mut u64) -> Vec<Event> {
    let node = NODES[pod.spec.node].0;
    let involved = ObjectReference {
        kind: Some("Node".into()),
        name: Some(node.into()),
        uid: Some(node.into()),
        ..Default::default()
    };
    OOM_KILLS_AGO
        .iter()
        .zip([48_213, 51_877])
        .enumerate()
        .map(|(i, (ago, pid))| {
            let at = now - ago;
            let message = format!(
                "Memory cgroup out of memory: Killed process {pid} (postgres) total-vm:1342208kB, anon-rss:1046528kB, file-rss:9344kB, shmem-rss:131072kB, UID:999 pgtables:2352kB oom_score_adj:936"
            );
            let o = Occurrence::kubelet("OOMKilling", message, (at, at), 1).warning();
            *rv += 1;
            build("default", node, involved.clone(), &o, ("kernel-monitor", Some(node)), i, *rv)
        })
        .collect()
}

fn build(
    namespace: &str,
    about: &str,
    involved_object: ObjectReference,
    o: &Occurrence,
    (component, host): (&str, Option<&str>),
    index: usize,
    rv: u64,
) -> Event {
    // Real names are the object's name and the creation time in hex; the
    // index keeps two events made at once apart.
    let name = format!("{about}.{:x}", o.first + index as Nanos);
    Event {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.into()),
            uid: Some(format!(
                "{:08x}-{:04x}-4e1b-9c3a-{:012x}",
                o.first as u64 >> 32,
                index,
                o.first as u64 & 0xffff_ffff_ffff
            )),
            resource_version: Some(rv.to_string()),
            creation_timestamp: Some(time(o.first)),
            ..Default::default()
        },
        involved_object,
        reason: Some(o.reason.into()),
        message: Some(o.message.clone()),
        source: Some(EventSource {
            component: Some(component.into()),
            host: host.map(Into::into),
        }),
        first_timestamp: Some(time(o.first)),
        last_timestamp: Some(time(o.last)),
        count: Some(o.count),
        type_: Some(if o.warning { "Warning" } else { "Normal" }.into()),
        reporting_component: Some(component.into()),
        reporting_instance: Some(host.unwrap_or(component).into()),
        ..Default::default()
    }
}

/// One more of `pod`'s events with `reason` and a message starting with
/// `message`, as the kubelet's aggregation counts it.
pub fn recur<'a>(
    events: &'a mut [Event],
    pod: &DemoPod,
    reason: &str,
    message: &str,
    at: Nanos,
    rv: u64,
) -> Option<&'a Event> {
    let event = events.iter_mut().find(|e| {
        e.involved_object.uid.as_deref() == Some(pod.uid.as_str())
            && e.reason.as_deref() == Some(reason)
            && e.message.as_deref().is_some_and(|m| m.starts_with(message))
    })?;
    event.count = Some(event.count.unwrap_or(0) + 1);
    event.last_timestamp = Some(time(at));
    event.metadata.resource_version = Some(rv.to_string());
    Some(event)
}
