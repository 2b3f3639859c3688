//! Kubernetes pods and their events, as the pods view and the pod detail
//! show them. Every string is sanitised on the way in (backend/kube).

use super::{Labels, Nanos, SafeText};
use std::fmt;

/// Where a pod is: its namespace and name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PodKey {
    pub namespace: SafeText,
    pub name: SafeText,
}

impl PodKey {
    /// A key from names found elsewhere (span attributes, log labels), if
    /// they are names Kubernetes could have given: they go into API paths.
    pub fn parse(namespace: &str, name: &str) -> Option<PodKey> {
        (is_dns_name(namespace, 63) && is_dns_name(name, 253)).then(|| PodKey {
            namespace: namespace.into(),
            name: name.into(),
        })
    }
}

/// A DNS-1123 name as Kubernetes names objects: lower-case letters,
/// digits, `-` and `.`, starting and ending with a letter or digit.
pub fn is_dns_name(text: &str, max: usize) -> bool {
    let edge = |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    text.len() <= max
        && edge(text.chars().next())
        && edge(text.chars().last())
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
}

impl fmt::Display for PodKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Pod {
    pub key: PodKey,
    /// What `kubectl get pods` shows as STATUS: the phase, or the reason
    /// that matters more (CrashLoopBackOff, OOMKilled, Init:0/1, Terminating).
    pub status: SafeText,
    pub health: Health,
    /// Ready containers, and all containers.
    pub ready: (u16, u16),
    pub restarts: u32,
    /// The newest restart: when the container last ended, and why.
    pub last_restart: Option<Termination>,
    pub created: Option<Nanos>,
    pub node: SafeText,
    pub ip: SafeText,
    pub containers: Vec<Container>,
    pub conditions: Vec<Condition>,
    pub labels: Labels,
    pub annotations: Labels,
}

/// How a status reads at a glance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Health {
    /// Failing: crash loops, bad images, OOM kills, failed pods.
    Failing,
    /// On its way somewhere: pending, creating, terminating, not ready.
    Pending,
    /// Running and ready.
    Healthy,
    /// Done: succeeded or completed.
    Done,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Container {
    pub name: SafeText,
    pub image: SafeText,
    pub init: bool,
    /// An init container that keeps running beside the others (a native
    /// sidecar, `restartPolicy: Always`): counted as the pod's own.
    pub sidecar: bool,
    pub ready: bool,
    pub restarts: u32,
    pub state: ContainerState,
    /// How the previous run of this container ended.
    pub last_termination: Option<Termination>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ContainerState {
    Waiting {
        reason: SafeText,
        message: SafeText,
    },
    Running {
        since: Option<Nanos>,
    },
    Terminated(Termination),
    /// The kubelet has not reported it yet.
    Unknown,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Termination {
    pub reason: SafeText,
    pub exit_code: i32,
    pub signal: Option<i32>,
    pub message: SafeText,
    pub finished: Option<Nanos>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub kind: SafeText,
    pub status: SafeText,
    pub reason: SafeText,
    pub message: SafeText,
    pub since: Option<Nanos>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PodEvent {
    pub warning: bool,
    pub reason: SafeText,
    pub message: SafeText,
    pub count: u32,
    /// When it last happened.
    pub last: Option<Nanos>,
    pub source: SafeText,
}

/// A change a watch saw.
#[derive(Clone, Debug)]
pub enum PodChange {
    /// The whole list, as a (re)list returns it: what is not in it is gone.
    Reset(Vec<Pod>),
    Applied(Box<Pod>),
    Deleted(PodKey),
}

impl Pod {
    /// A pod known only by name, for a jump to a pod that is not (or no
    /// longer) in the cluster.
    pub fn unknown(key: PodKey) -> Pod {
        Pod {
            key,
            status: "Unknown".into(),
            health: Health::Pending,
            ready: (0, 0),
            restarts: 0,
            last_restart: None,
            created: None,
            node: SafeText::default(),
            ip: SafeText::default(),
            containers: Vec::new(),
            conditions: Vec::new(),
            labels: Labels::default(),
            annotations: Labels::default(),
        }
    }

    /// The container logs open on: the one named, else the first that is
    /// not an init container.
    pub fn container(&self, name: Option<&str>) -> Option<&Container> {
        match name {
            Some(name) => self.containers.iter().find(|c| c.name.as_str() == name),
            None => self
                .containers
                .iter()
                .find(|c| !c.init)
                .or(self.containers.first()),
        }
    }
}
