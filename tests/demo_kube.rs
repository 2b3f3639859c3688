//! The demo's Kubernetes API through the real `kube` client: pods, a
//! watcher that sees the crash-looping pod change, events, previous
//! containers' logs, errors, and the pods the demo's traces name.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Event, Namespace, Pod};
use kube::api::{Api, ListParams, LogParams};
use kube::runtime::watcher;
use std::collections::BTreeSet;
use std::time::Duration;
use triage_demo::{Demo, NAMESPACE, WORKLOADS};

const CRASHLOOP: &str = "auth-6f7c8d9b5-h8vcz";

async fn client(demo: &Demo) -> kube::Client {
    let mut config = kube::Config::new(demo.kube_url.parse().unwrap());
    config.default_namespace = NAMESPACE.into();
    kube::Client::try_from(config).unwrap()
}

fn waiting_reason(pod: &Pod) -> Option<String> {
    let statuses = pod.status.as_ref()?.container_statuses.as_ref()?;
    statuses[0].state.as_ref()?.waiting.as_ref()?.reason.clone()
}

#[tokio::test]
async fn kube_lists_the_cluster_and_reads_what_went_wrong() {
    let demo = triage_demo::start(triage::app::now()).await.unwrap();
    let client = client(&demo).await;
    let version = client.apiserver_version().await.unwrap();
    assert_eq!(
        (version.major.as_str(), version.minor.as_str()),
        ("1", "33")
    );

    let pods = Api::<Pod>::all(client.clone())
        .list(&Default::default())
        .await
        .unwrap();
    assert!(pods.items.len() >= 12, "{}", pods.items.len());
    assert!(pods.metadata.resource_version.is_some());
    let names: BTreeSet<String> = pods
        .items
        .iter()
        .filter_map(|p| p.metadata.name.clone())
        .collect();
    // Every pod a span of the demo's traces names is a pod of the cluster.
    for trace in &demo.data.traces {
        for span in &trace.spans {
            assert!(
                names.contains(WORKLOADS[span.service].1),
                "{}",
                WORKLOADS[span.service].1
            );
        }
    }
    let namespaces: BTreeSet<String> = Api::<Namespace>::all(client.clone())
        .list(&Default::default())
        .await
        .unwrap()
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    for ns in ["shop", "observability", "kube-system"] {
        assert!(namespaces.contains(ns), "{namespaces:?}");
    }

    let shop = Api::<Pod>::default_namespaced(client.clone());
    let postgres = shop.get("postgres-0").await.unwrap();
    let status = &postgres.status.unwrap().container_statuses.unwrap()[0];
    assert_eq!(status.restart_count, 2);
    assert!(status.ready);
    let killed = status
        .last_state
        .as_ref()
        .unwrap()
        .terminated
        .as_ref()
        .unwrap();
    assert_eq!(
        (killed.reason.as_deref(), killed.exit_code),
        (Some("OOMKilled"), 137)
    );
    let pending = shop
        .get("reports-6b7f9c8d4-tn4jd")
        .await
        .unwrap()
        .status
        .unwrap();
    assert_eq!(pending.phase.as_deref(), Some("Pending"));
    let scheduled = &pending.conditions.unwrap()[0];
    assert_eq!(
        (scheduled.type_.as_str(), scheduled.reason.as_deref()),
        ("PodScheduled", Some("Unschedulable"))
    );
    let pulling = shop.get("recommender-5f4d8c7b9-wq2zt").await.unwrap();
    assert_eq!(
        waiting_reason(&pulling).as_deref(),
        Some("ImagePullBackOff")
    );

    let selected = shop
        .list(&ListParams::default().labels("app=auth"))
        .await
        .unwrap();
    assert_eq!(selected.items.len(), 2);
    let on_node = Api::<Pod>::all(client.clone())
        .list(&ListParams::default().fields("spec.nodeName=node-c"))
        .await
        .unwrap();
    assert!(
        on_node
            .items
            .iter()
            .any(|p| p.metadata.name.as_deref() == Some(CRASHLOOP))
    );

    let events = Api::<Event>::namespaced(client.clone(), NAMESPACE)
        .list(
            &ListParams::default().fields("involvedObject.name=postgres-0,involvedObject.kind=Pod"),
        )
        .await
        .unwrap();
    assert!(!events.items.is_empty());
    assert!(
        events
            .items
            .iter()
            .all(|e| e.involved_object.name.as_deref() == Some("postgres-0"))
    );
    let reasons: BTreeSet<&str> = events
        .items
        .iter()
        .filter_map(|e| e.reason.as_deref())
        .collect();
    for reason in ["BackOff", "Pulled", "Started"] {
        assert!(reasons.contains(reason), "{reasons:?}");
    }
    let backoffs = Api::<Event>::namespaced(client.clone(), NAMESPACE)
        .list(
            &ListParams::default()
                .fields(&format!("involvedObject.name={CRASHLOOP},reason=BackOff")),
        )
        .await
        .unwrap();
    assert_eq!(backoffs.items[0].type_.as_deref(), Some("Warning"));
    assert!(backoffs.items[0].count.unwrap() > 10);

    let previous = |container: &str| LogParams {
        previous: true,
        container: Some(container.into()),
        ..Default::default()
    };
    let oom = shop
        .logs("postgres-0", &previous("postgres"))
        .await
        .unwrap();
    assert!(oom.contains("ERROR:  out of memory"), "{oom}");
    let crashed = shop.logs(CRASHLOOP, &previous("auth")).await.unwrap();
    assert!(crashed.contains("invalid config"), "{crashed}");
    let stamped = LogParams {
        timestamps: true,
        tail_lines: Some(2),
        ..Default::default()
    };
    let tail = shop
        .logs("frontend-7d9f8b6c5-x2kqp", &stamped)
        .await
        .unwrap();
    assert_eq!(tail.lines().count(), 2, "{tail}");
    assert!(
        tail.lines()
            .all(|l| l.starts_with("20") && l.contains("Z [INFO]")),
        "{tail}"
    );

    let Err(kube::Error::Api(status)) = shop.logs("api-5c6b9d7f4-mz8wn", &previous("api")).await
    else {
        panic!("a container that never restarted has no previous log");
    };
    assert_eq!(status.code, 400);
    assert!(
        status
            .message
            .contains("previous terminated container \"api\""),
        "{}",
        status.message
    );
    let Err(kube::Error::Api(status)) = shop.logs("api-5c6b9d7f4-mz8wn", &previous("nope")).await
    else {
        panic!("a container that does not exist");
    };
    assert_eq!(
        status.message,
        "container nope is not valid for pod api-5c6b9d7f4-mz8wn"
    );

    let Err(kube::Error::Api(status)) = shop.get("no-such-pod").await else {
        panic!("a missing pod is an error");
    };
    assert_eq!((status.code, status.reason.as_str()), (404, "NotFound"));
    assert_eq!(status.message, "pods \"no-such-pod\" not found");
}

#[tokio::test]
async fn a_watcher_sees_the_crash_looping_pod_change() {
    let demo = triage_demo::start(triage::app::now()).await.unwrap();
    let shop = Api::<Pod>::default_namespaced(client(&demo).await);
    let mut events = watcher(shop, watcher::Config::default()).boxed();
    let mut initial = BTreeSet::new();
    let mut changes = Vec::new();
    let watching = async {
        while let Some(event) = events.try_next().await.unwrap() {
            match event {
                watcher::Event::InitApply(pod) => {
                    initial.insert(pod.metadata.name.unwrap());
                }
                watcher::Event::Apply(pod) if pod.metadata.name.as_deref() == Some(CRASHLOOP) => {
                    changes.push(pod);
                    if changes.len() == 3 {
                        return;
                    }
                }
                _ => {}
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(20), watching)
        .await
        .expect("three changes of the crash-looping pod within 20 s");
    assert!(
        initial.contains(CRASHLOOP) && initial.contains("postgres-0"),
        "{initial:?}"
    );
    let versions: Vec<u64> = changes
        .iter()
        .map(|p| {
            p.metadata
                .resource_version
                .as_ref()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert!(versions.windows(2).all(|w| w[0] < w[1]), "{versions:?}");
    // Running, exited and backing off, in some order, with restarts counting up.
    let states: BTreeSet<String> = changes
        .iter()
        .map(|p| {
            let state = p
                .status
                .as_ref()
                .unwrap()
                .container_statuses
                .as_ref()
                .unwrap()[0]
                .state
                .clone()
                .unwrap();
            match (state.running, state.terminated, state.waiting) {
                (Some(_), _, _) => "running".to_owned(),
                (_, Some(t), _) => t.reason.unwrap(),
                (_, _, Some(w)) => w.reason.unwrap(),
                _ => "none".to_owned(),
            }
        })
        .collect();
    assert_eq!(
        states,
        BTreeSet::from(["running".into(), "Error".into(), "CrashLoopBackOff".into()])
    );
}

#[tokio::test]
async fn a_watch_from_a_forgotten_version_is_gone_and_a_followed_log_grows() {
    let demo = triage_demo::start(triage::app::now()).await.unwrap();
    let shop = Api::<Pod>::default_namespaced(client(&demo).await);
    let params = kube::api::WatchParams::default().timeout(5);
    let mut stream = shop.watch(&params, "1").await.unwrap().boxed();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .unwrap();
    let Some(Ok(kube::api::WatchEvent::Error(status))) = first else {
        panic!("expected a 410, got {first:?}");
    };
    assert_eq!((status.code, status.reason.as_str()), (410, "Expired"));

    let follow = LogParams {
        follow: true,
        tail_lines: Some(0),
        ..Default::default()
    };
    let lines = shop
        .log_stream("frontend-7d9f8b6c5-x2kqp", &follow)
        .await
        .unwrap();
    // The frontend's requests and the kubelet's health checks (every 10 s).
    let mut lines = futures::io::AsyncBufReadExt::lines(lines);
    let healthz = async {
        while let Some(line) = lines.next().await {
            if line.unwrap().contains("GET /healthz") {
                return true;
            }
        }
        false
    };
    let seen = tokio::time::timeout(Duration::from_secs(15), healthz).await;
    assert_eq!(seen, Ok(true));
}

/// The demo's walk: a failed request's trace, `p` on its database span
/// opens postgres-0 (OOM-killed), `p` its previous container's log (why),
/// and `L` the same pod's logs in Loki.
#[tokio::test]
async fn from_a_failed_trace_to_its_pod_its_logs_and_its_loki_logs() {
    use triage::app::views::logs::LogSource;
    use triage::app::views::trace::TraceView;
    use triage::app::{self, Action, Clients};
    use triage::app::{Loadable, View};
    let now = triage::app::now();
    let demo = triage_demo::start(now).await.unwrap();
    let mut config =
        triage_core::config::Config::with_urls(Some(&demo.loki_url), Some(&demo.tempo_url), None);
    config.kubernetes.cluster.url = Some(demo.kube_url.clone());
    let clients = Clients::from_config(&config);
    let mut state = app::State::new(app::Settings::default(), 160, 40, now);
    let failed = demo.data.traces.iter().find(|t| t.failed()).unwrap();
    let id = triage_core::domain::TraceId::from_hex(&failed.hex_id()).unwrap();
    let mut effects = Vec::new();
    support::open_trace(&mut state, id, &mut effects);
    support::settle(&mut state, &clients, effects).await;
    // The cursor to the first span postgres served.
    let Some(View::Trace(TraceView {
        load: Loadable::Ready(model),
        ..
    })) = state.views.last_mut()
    else {
        panic!("no trace");
    };
    model.cursor.selected = (0..model.visible.len())
        .find(|&i| {
            let node = model.waterfall.rows[model.visible[i] as usize];
            model.trace.spans[node.span as usize].service.as_str() == "postgres"
        })
        .unwrap();
    let press = support::press;
    press(&mut state, &clients, &[Action::OpenPod]).await;
    let View::Pod(pod) = state.current() else { panic!("not on the pod") };
    assert_eq!(pod.key.name.as_str(), "postgres-0");
    assert!(!pod.gone);
    let last = pod.pod.last_restart.as_ref().unwrap();
    assert_eq!((last.reason.as_str(), last.exit_code), ("OOMKilled", 137));
    let screen = triage::ui::print::render_text(&state, 160, 40);
    assert!(screen.contains("OOMKilled (exit 137)"), "{screen}");

    press(&mut state, &clients, &[Action::PreviousLogs]).await;
    let View::Logs(logs) = state.current() else { panic!("not on the logs") };
    assert!(matches!(&logs.source, LogSource::Pod { request, .. } if request.previous));
    assert!(
        logs.rows
            .iter()
            .any(|r| r.line.line.contains("out of memory")),
        "{}",
        triage::ui::print::render_text(&state, 160, 40)
    );

    press(&mut state, &clients, &[Action::Back, Action::LokiLogs]).await;
    let View::Logs(logs) = state.current() else { panic!("not on the logs") };
    assert!(
        matches!(&logs.source, LogSource::Loki { logql: q, .. } if q.contains("pod=\"postgres-0\""))
    );
    assert!(!logs.rows.is_empty());
    assert!(
        logs.rows
            .iter()
            .all(|r| r.line.labels.get("pod").map(|p| p.as_str()) == Some("postgres-0"))
    );
}
