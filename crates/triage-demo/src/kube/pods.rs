//! The demo cluster's pods: who they are (a table), what their containers
//! have lived through (runs), and the `Pod` objects the API serves for
//! them, filled in the way the controllers, the scheduler and the kubelet
//! fill them.

use super::time;
use crate::incidents::{CRASHLOOP_AGE, CRASHLOOP_POD, MINUTE, SECOND};
use k8s_openapi::api::core::v1::{
    Container, ContainerPort, ContainerState, ContainerStateRunning, ContainerStateTerminated,
    ContainerStateWaiting, ContainerStatus, HostIP, Pod, PodCondition, PodIP, PodSpec, PodStatus,
    ResourceRequirements, Toleration,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use std::collections::BTreeMap;
use triage_core::domain::Nanos;

const DAY: Nanos = 24 * 60 * MINUTE;
/// How long after a pod was created its container first started (the
/// image pull, the sandbox).
pub const FIRST_START: Nanos = 8 * SECOND;

/// The scheduler's word for a pod that fits on no node.
pub const UNSCHEDULABLE: &str = "0/3 nodes are available: 3 Insufficient memory. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.";

/// The nodes: name and internal IP.
pub const NODES: [(&str, &str); 3] = [
    ("node-a", "10.0.1.11"),
    ("node-b", "10.0.1.12"),
    ("node-c", "10.0.1.13"),
];

/// The controller that made the pod, by its kind.
#[allow(clippy::enum_variant_names)] // the kinds as the API names them
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Owner {
    ReplicaSet,
    StatefulSet,
    DaemonSet,
}

/// What the pod has been through; the cluster builds its runs from this.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Health {
    Running,
    OomKilled,
    CrashLoop,
    ImagePullBackOff,
    Unschedulable,
}

pub struct Spec {
    pub namespace: &'static str,
    pub name: &'static str,
    /// The app label and the container's name.
    pub app: &'static str,
    pub owner: Owner,
    pub image: &'static str,
    pub port: i32,
    /// Index into `NODES`; unused for a pod that was never scheduled.
    pub node: usize,
    pub age: Nanos,
    pub memory: &'static str,
    pub health: Health,
    /// What the container writes as it starts, for pods whose lines the
    /// demo's Loki does not hold.
    pub start_lines: &'static [&'static str],
}

impl Spec {
    /// The controller's name: the pod's without its last part, for
    /// ReplicaSets, StatefulSets and DaemonSets alike.
    pub fn owner_name(&self) -> &'static str {
        self.name
            .rsplit_once('-')
            .map_or(self.name, |(owner, _)| owner)
    }
}

const fn spec(
    namespace: &'static str,
    name: &'static str,
    app: &'static str,
    owner: Owner,
    image: &'static str,
    (port, node, age): (i32, usize, Nanos),
    health: Health,
) -> Spec {
    Spec {
        namespace,
        name,
        app,
        owner,
        image,
        port,
        node,
        age,
        memory: "256Mi",
        health,
        start_lines: &[],
    }
}

use Health::*;
use Owner::*;

/// The cluster's pods; the first four shop pods are `data::WORKLOADS`.
#[rustfmt::skip]
pub const PODS: [Spec; 15] = [
    spec("shop", "frontend-7d9f8b6c5-x2kqp", "frontend", ReplicaSet, "registry.shop.example/frontend:2.3.1", (8080, 0, 3 * DAY), Running),
    spec("shop", "api-5c6b9d7f4-mz8wn", "api", ReplicaSet, "registry.shop.example/api:4.8.0", (8080, 1, 3 * DAY), Running),
    spec("shop", "auth-6f7c8d9b5-q4lrt", "auth", ReplicaSet, "registry.shop.example/auth:1.14.2", (8080, 0, 2 * DAY), Running),
    Spec {
        memory: "1Gi",
        ..spec("shop", "postgres-0", "postgres", StatefulSet, "postgres:16.4", (5432, 1, 9 * DAY), OomKilled)
    },
    spec("shop", CRASHLOOP_POD, "auth", ReplicaSet, "registry.shop.example/auth:1.14.2", (8080, 2, CRASHLOOP_AGE), CrashLoop),
    spec("shop", "recommender-5f4d8c7b9-wq2zt", "recommender", ReplicaSet, "registry.shop.example/recommender:1.4.0", (8080, 2, 12 * MINUTE), ImagePullBackOff),
    Spec {
        memory: "24Gi",
        ..spec("shop", "reports-6b7f9c8d4-tn4jd", "reports", ReplicaSet, "registry.shop.example/reports:0.9.2", (8080, 0, 7 * MINUTE), Unschedulable)
    },
    Spec {
        memory: "2Gi",
        start_lines: &["level=info caller=main.go:126 msg=\"Starting Loki\" version=\"(version=3.4.2, branch=HEAD, revision=e4f8b3f0)\""],
        ..spec("observability", "loki-0", "loki", StatefulSet, "grafana/loki:3.4.2", (3100, 2, 21 * DAY), Running)
    },
    Spec {
        memory: "1Gi",
        start_lines: &["level=info caller=app.go:188 msg=\"Tempo started\""],
        ..spec("observability", "tempo-0", "tempo", StatefulSet, "grafana/tempo:2.7.1", (3200, 0, 21 * DAY), Running)
    },
    Spec {
        memory: "2Gi",
        start_lines: &["level=info caller=main.go:1150 msg=\"Server is ready to receive web requests.\""],
        ..spec("observability", "prometheus-0", "prometheus", StatefulSet, "quay.io/prometheus/prometheus:v2.53.1", (9090, 1, 21 * DAY), Running)
    },
    Spec {
        memory: "170Mi",
        start_lines: &[".:53", "[INFO] plugin/reload: Running configuration SHA512 = 1b226df79860026c6a52e67daa10d7f0d57ec5b023288ec00c5e05f93523c894564e15b91770d3a07ae1cfbe861d15b37d4a0027e69c546ab112970993a3b03b", "CoreDNS-1.12.0", "linux/amd64, go1.23.3, 51e11f1"],
        ..spec("kube-system", "coredns-668d6bf9bc-7xk2p", "coredns", ReplicaSet, "registry.k8s.io/coredns/coredns:v1.12.0", (53, 0, 30 * DAY), Running)
    },
    Spec {
        memory: "170Mi",
        start_lines: &[".:53", "CoreDNS-1.12.0", "linux/amd64, go1.23.3, 51e11f1"],
        ..spec("kube-system", "coredns-668d6bf9bc-r9l4m", "coredns", ReplicaSet, "registry.k8s.io/coredns/coredns:v1.12.0", (53, 1, 30 * DAY), Running)
    },
    Spec {
        start_lines: &["I0101 00:00:00.000000       1 server_linux.go:66] \"Using iptables proxy\""],
        ..spec("kube-system", "kube-proxy-7m2kq", "kube-proxy", DaemonSet, "registry.k8s.io/kube-proxy:v1.33.1", (10249, 0, 30 * DAY), Running)
    },
    Spec {
        start_lines: &["I0101 00:00:00.000000       1 server_linux.go:66] \"Using iptables proxy\""],
        ..spec("kube-system", "kube-proxy-b8x4n", "kube-proxy", DaemonSet, "registry.k8s.io/kube-proxy:v1.33.1", (10249, 1, 30 * DAY), Running)
    },
    Spec {
        start_lines: &["I0101 00:00:00.000000       1 server_linux.go:66] \"Using iptables proxy\""],
        ..spec("kube-system", "kube-proxy-tq9zw", "kube-proxy", DaemonSet, "registry.k8s.io/kube-proxy:v1.33.1", (10249, 2, 30 * DAY), Running)
    },
];

/// How a run of a container ended.
#[derive(Clone, Debug)]
pub struct Exit {
    pub at: Nanos,
    pub code: i32,
    pub reason: &'static str,
}

/// One run of a container: one container id, what it wrote, how it ended.
#[derive(Clone, Debug)]
pub struct Run {
    pub id: String,
    pub started: Nanos,
    pub exit: Option<Exit>,
    pub lines: Vec<(Nanos, String)>,
}

/// A pod as the demo keeps it; `object` renders what the API serves.
pub struct DemoPod {
    pub spec: &'static Spec,
    pub uid: String,
    pub owner_uid: String,
    pub created: Nanos,
    pub ip: String,
    pub image_id: String,
    /// The container's runs, oldest first.
    pub runs: Vec<Run>,
    /// Why the container is not running, while the kubelet waits.
    pub waiting: Option<(&'static str, String)>,
    pub resource_version: u64,
}

impl DemoPod {
    pub fn node(&self) -> Option<&'static str> {
        (self.spec.health != Unschedulable).then(|| NODES[self.spec.node].0)
    }

    fn host_ip(&self) -> Option<&'static str> {
        (self.spec.health != Unschedulable).then(|| NODES[self.spec.node].1)
    }

    /// The run whose lines `kubectl logs` shows by default.
    pub fn current(&self) -> Option<&Run> {
        self.runs.last()
    }

    /// The run `kubectl logs --previous` shows, as the kubelet picks it:
    /// the one before the current, or the last one while waiting.
    pub fn previous(&self) -> Option<&Run> {
        self.previous_index().map(|i| &self.runs[i])
    }

    pub fn previous_index(&self) -> Option<usize> {
        let back = if self.waiting.is_some() { 1 } else { 2 };
        let i = self.runs.len().checked_sub(back)?;
        self.runs[i].exit.is_some().then_some(i)
    }

    pub fn running(&self) -> bool {
        self.waiting.is_none() && self.current().is_some_and(|r| r.exit.is_none())
    }

    /// Ready: running, and not the one that exits before its probe passes.
    pub fn ready(&self) -> bool {
        self.running() && self.spec.health != CrashLoop
    }

    pub fn restarts(&self) -> i32 {
        i32::try_from(self.runs.len().saturating_sub(1)).unwrap_or(i32::MAX)
    }

    /// The `Pod` the API serves.
    pub fn object(&self) -> Pod {
        Pod {
            metadata: self.metadata(),
            spec: Some(self.pod_spec()),
            status: Some(self.status()),
        }
    }

    /// The controller that owns the pod: its kind and name.
    pub fn owner(&self) -> (&'static str, &'static str) {
        let name = self.spec.owner_name();
        let kind = match self.spec.owner {
            ReplicaSet => "ReplicaSet",
            StatefulSet => "StatefulSet",
            DaemonSet => "DaemonSet",
        };
        (kind, name)
    }

    fn metadata(&self) -> ObjectMeta {
        let s = self.spec;
        let (kind, owner) = self.owner();
        let ordinal = s.name.rsplit('-').next().unwrap_or_default();
        // kube-system's add-ons label themselves k8s-app, as kubeadm's do.
        let app_key = if s.namespace == "kube-system" {
            "k8s-app"
        } else {
            "app"
        };
        let mut labels = BTreeMap::from([(app_key.to_owned(), s.app.to_owned())]);
        let extra: Vec<(&str, String)> = match s.owner {
            ReplicaSet => vec![(
                "pod-template-hash",
                owner.rsplit('-').next().unwrap_or_default().to_owned(),
            )],
            StatefulSet => vec![
                ("apps.kubernetes.io/pod-index", ordinal.to_owned()),
                ("controller-revision-hash", format!("{owner}-6d4cf56db6")),
                ("statefulset.kubernetes.io/pod-name", s.name.to_owned()),
            ],
            DaemonSet => vec![
                ("controller-revision-hash", "5d8f6b7c9".to_owned()),
                ("pod-template-generation", "1".to_owned()),
            ],
        };
        labels.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        let annotations = (s.namespace == "shop").then(|| {
            BTreeMap::from([
                ("prometheus.io/scrape".to_owned(), "true".to_owned()),
                ("prometheus.io/port".to_owned(), s.port.to_string()),
            ])
        });
        ObjectMeta {
            name: Some(s.name.to_owned()),
            generate_name: (s.owner != StatefulSet).then(|| format!("{owner}-")),
            namespace: Some(s.namespace.to_owned()),
            uid: Some(self.uid.clone()),
            resource_version: Some(self.resource_version.to_string()),
            creation_timestamp: Some(time(self.created)),
            labels: Some(labels),
            annotations,
            owner_references: Some(vec![OwnerReference {
                api_version: "apps/v1".into(),
                kind: kind.into(),
                name: owner.into(),
                uid: self.owner_uid.clone(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }]),
            ..Default::default()
        }
    }

    fn pod_spec(&self) -> PodSpec {
        let s = self.spec;
        let quantity = |v: &str| Quantity(v.to_owned());
        let container = Container {
            name: s.app.into(),
            image: Some(s.image.into()),
            image_pull_policy: Some("IfNotPresent".into()),
            ports: Some(vec![ContainerPort {
                container_port: s.port,
                protocol: Some("TCP".into()),
                ..Default::default()
            }]),
            resources: Some(ResourceRequirements {
                requests: Some(BTreeMap::from([
                    ("cpu".into(), quantity("100m")),
                    ("memory".into(), quantity(s.memory)),
                ])),
                limits: Some(BTreeMap::from([("memory".into(), quantity(s.memory))])),
                ..Default::default()
            }),
            termination_message_path: Some("/dev/termination-log".into()),
            termination_message_policy: Some("File".into()),
            ..Default::default()
        };
        // The tolerations the DefaultTolerationSeconds admission adds.
        let toleration = |key: &str| Toleration {
            key: Some(key.into()),
            operator: Some("Exists".into()),
            effect: Some("NoExecute".into()),
            toleration_seconds: Some(300),
            ..Default::default()
        };
        PodSpec {
            containers: vec![container],
            node_name: self.node().map(Into::into),
            host_network: (s.owner == DaemonSet).then_some(true),
            restart_policy: Some("Always".into()),
            termination_grace_period_seconds: Some(30),
            dns_policy: Some("ClusterFirst".into()),
            service_account_name: Some("default".into()),
            scheduler_name: Some("default-scheduler".into()),
            enable_service_links: Some(true),
            preemption_policy: Some("PreemptLowerPriority".into()),
            priority: Some(0),
            tolerations: Some(vec![
                toleration("node.kubernetes.io/not-ready"),
                toleration("node.kubernetes.io/unreachable"),
            ]),
            ..Default::default()
        }
    }

    fn status(&self) -> PodStatus {
        let scheduled = self.created + SECOND;
        if self.spec.health == Unschedulable {
            return PodStatus {
                phase: Some("Pending".into()),
                conditions: Some(vec![condition(
                    "PodScheduled",
                    false,
                    self.created,
                    Some(("Unschedulable", UNSCHEDULABLE)),
                )]),
                qos_class: Some("Burstable".into()),
                ..Default::default()
            };
        }
        let ready_since = match self.current() {
            Some(run) if self.ready() => Some(run.started + 5 * SECOND),
            _ => None,
        };
        let not_ready = format!("containers with unready status: [{}]", self.spec.app);
        let readiness = |kind| match ready_since {
            Some(t) => condition(kind, true, t, None),
            None => condition(
                kind,
                false,
                scheduled,
                Some(("ContainersNotReady", &not_ready)),
            ),
        };
        let host_ip = self.host_ip().map(str::to_owned);
        PodStatus {
            phase: Some(
                if self.runs.is_empty() {
                    "Pending"
                } else {
                    "Running"
                }
                .into(),
            ),
            conditions: Some(vec![
                condition(
                    "PodReadyToStartContainers",
                    true,
                    scheduled + 2 * SECOND,
                    None,
                ),
                condition("Initialized", true, scheduled, None),
                readiness("Ready"),
                readiness("ContainersReady"),
                condition("PodScheduled", true, scheduled, None),
            ]),
            host_ip: host_ip.clone(),
            host_ips: host_ip.clone().map(|ip| vec![HostIP { ip }]),
            pod_ip: Some(self.ip.clone()),
            pod_ips: Some(vec![PodIP {
                ip: self.ip.clone(),
            }]),
            start_time: Some(time(scheduled)),
            container_statuses: Some(vec![self.container_status()]),
            qos_class: Some("Burstable".into()),
            ..Default::default()
        }
    }

    fn container_status(&self) -> ContainerStatus {
        let current = self.current();
        let state = match (&self.waiting, current) {
            (Some((reason, message)), _) => ContainerState {
                waiting: Some(ContainerStateWaiting {
                    reason: Some((*reason).into()),
                    message: Some(message.clone()),
                }),
                ..Default::default()
            },
            (None, Some(run)) => match &run.exit {
                Some(exit) => terminated(run, exit),
                None => ContainerState {
                    running: Some(ContainerStateRunning {
                        started_at: Some(time(run.started)),
                    }),
                    ..Default::default()
                },
            },
            (None, None) => ContainerState::default(),
        };
        let last_state = self
            .previous()
            .and_then(|run| run.exit.as_ref().map(|exit| terminated(run, exit)))
            .unwrap_or_default();
        ContainerStatus {
            name: self.spec.app.into(),
            image: full_image(self.spec.image),
            image_id: self.image_id.clone(),
            container_id: current.map(|r| r.id.clone()),
            state: Some(state),
            last_state: Some(last_state),
            ready: self.ready(),
            started: Some(self.running()),
            restart_count: self.restarts(),
            ..Default::default()
        }
    }
}

fn terminated(run: &Run, exit: &Exit) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            container_id: Some(run.id.clone()),
            exit_code: exit.code,
            reason: Some(exit.reason.into()),
            started_at: Some(time(run.started)),
            finished_at: Some(time(exit.at)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn condition(kind: &str, status: bool, since: Nanos, why: Option<(&str, &str)>) -> PodCondition {
    PodCondition {
        type_: kind.into(),
        status: if status { "True" } else { "False" }.into(),
        last_transition_time: Some(time(since)),
        reason: why.map(|(reason, _)| reason.into()),
        message: why.map(|(_, message)| message.into()),
        ..Default::default()
    }
}

/// The image as containerd reports it: with its registry and, for Docker
/// Hub's official images, `library/`.
pub fn full_image(image: &str) -> String {
    let registry = image
        .split_once('/')
        .is_some_and(|(first, _)| first.contains(['.', ':']) || first == "localhost");
    if registry {
        image.to_owned()
    } else if image.contains('/') {
        format!("docker.io/{image}")
    } else {
        format!("docker.io/library/{image}")
    }
}

/// The repository part of the image, to which a digest is added.
pub fn repository(image: &str) -> String {
    let full = full_image(image);
    match full.rsplit_once(':') {
        Some((repo, tag)) if !tag.contains('/') => repo.to_owned(),
        _ => full,
    }
}
