//! Kubernetes through our client and the `kube` crate, against a loopback
//! API server (tests/support/kube.rs): pods listed and watched, events,
//! container logs, the service proxy behind `kube://` URLs, and the faults:
//! refused credentials, RBAC, unreachable and TLS failures, dropped watches,
//! deleted pods, 10,000 pods.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use futures::StreamExt;
use std::sync::Arc;
use std::time::Duration;
use support::kube::{self as fake, Cluster as FakeCluster};
use support::{RECORDED_AT, screen, settle};
use triage::app::View;
use triage::app::views::pod::PodView;
use triage::app::views::pods::PodsView;
use triage::app::watch::Watch;
use triage::app::{self, Action, Clients};
use triage_core::backend::cluster::{Cluster, ClusterSettings, Namespaces, PodLogRequest};
use triage_core::backend::{Endpoint, ErrorKind, TempoClient};
use triage_core::config::Config;
use triage_core::domain::{PodChange, PodKey, TraceId};

const NOW: i64 = RECORDED_AT;
const WAIT: Duration = Duration::from_secs(10);

fn through(url: &str) -> Arc<Cluster> {
    Arc::new(Cluster::new(ClusterSettings {
        url: Some(url.into()),
        ..ClusterSettings::default()
    }))
}

fn clients_for(url: &str) -> Clients {
    let mut config = Config::with_urls(None, None, None);
    config.kubernetes.cluster.url = Some(url.into());
    Clients::from_config(&config)
}

fn key(namespace: &str, name: &str) -> PodKey {
    PodKey {
        namespace: namespace.into(),
        name: name.into(),
    }
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("triage-kube-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A cluster reached through a kubeconfig whose user runs `script` as its
/// exec credential plugin (`extra`: more YAML under `exec:`).
fn with_plugin(dir: &std::path::Path, url: &str, script: &str, extra: &str) -> Cluster {
    use std::os::unix::fs::PermissionsExt;
    let plugin = dir.join("credential-plugin");
    std::fs::write(&plugin, script).unwrap();
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let user = format!(
        "    exec:\n      apiVersion: client.authentication.k8s.io/v1beta1\n      command: {}\n{extra}",
        plugin.display()
    );
    Cluster::new(ClusterSettings {
        kubeconfig: Some(fake::kubeconfig(dir, url, &user)),
        ..ClusterSettings::default()
    })
}

fn shop() -> FakeCluster {
    let mut cluster = FakeCluster::default();
    cluster.put(fake::running_pod("shop", "api-5c6b9d7f4-mz8wn", NOW));
    cluster.put(fake::crashing_pod(
        "shop",
        "auth-6f7c8d9b5-h8vcz",
        NOW,
        "Error",
        1,
    ));
    let mut oom = fake::running_pod("shop", "postgres-0", NOW);
    let status = fake::container_status(&mut oom);
    status.restart_count = 2;
    status.last_state = Some(k8s_openapi::api::core::v1::ContainerState {
        terminated: Some(k8s_openapi::api::core::v1::ContainerStateTerminated {
            reason: Some("OOMKilled".into()),
            exit_code: 137,
            finished_at: Some(fake::time(NOW, 25 * 60)),
            ..Default::default()
        }),
        ..Default::default()
    });
    cluster.put(oom);
    let mut pending = fake::running_pod("shop", "worker-0", NOW);
    let status = pending.status.as_mut().unwrap();
    status.phase = Some("Pending".into());
    status.container_statuses = None;
    status.conditions = Some(vec![k8s_openapi::api::core::v1::PodCondition {
        type_: "PodScheduled".into(),
        status: "False".into(),
        reason: Some("Unschedulable".into()),
        message: Some("0/3 nodes are available: 3 Insufficient memory.".into()),
        ..Default::default()
    }]);
    cluster.put(pending);
    let mut image = fake::crashing_pod("shop", "cart-0", NOW, "Error", 1);
    let status = fake::container_status(&mut image);
    status.restart_count = 0;
    status.last_state = None;
    status.state = Some(k8s_openapi::api::core::v1::ContainerState {
        waiting: Some(k8s_openapi::api::core::v1::ContainerStateWaiting {
            reason: Some("ImagePullBackOff".into()),
            message: Some("Back-off pulling image \"registry.example/cart:9.9\"".into()),
        }),
        ..Default::default()
    });
    cluster.put(image);
    cluster.events = vec![
        fake::event(
            "shop",
            "postgres-0",
            "Started",
            "Started container postgres",
            24 * 60,
            NOW,
        ),
        fake::event(
            "shop",
            "postgres-0",
            "OOMKilling",
            "Memory cgroup out of memory: Killed process 4242 (postgres)",
            25 * 60,
            NOW,
        ),
        fake::event(
            "shop",
            "auth-6f7c8d9b5-h8vcz",
            "BackOff",
            "Back-off restarting failed container",
            60,
            NOW,
        ),
    ];
    cluster
}

async fn first_list(
    stream: &mut (
             impl futures::Stream<Item = Result<PodChange, triage_core::backend::BackendError>> + Unpin
         ),
) -> Vec<triage_core::domain::Pod> {
    match tokio::time::timeout(WAIT, stream.next())
        .await
        .unwrap()
        .unwrap()
    {
        Ok(PodChange::Reset(pods)) => pods,
        other => panic!("expected the list first, got {other:?}"),
    }
}

#[tokio::test]
async fn pods_come_with_the_reasons_kubectl_shows_and_stay_live() {
    let (url, shared) = fake::start(shop()).await;
    let cluster = through(&url);
    let mut watch = Box::pin(cluster.watch_pods(None, Namespaces::All, None, WAIT));
    let pods = first_list(&mut watch).await;
    let status = |name: &str| {
        pods.iter()
            .find(|p| p.key.name.as_str() == name)
            .map(|p| p.status.to_string())
            .unwrap()
    };
    assert_eq!(status("api-5c6b9d7f4-mz8wn"), "Running");
    assert_eq!(status("auth-6f7c8d9b5-h8vcz"), "CrashLoopBackOff");
    assert_eq!(status("worker-0"), "Pending:Unschedulable");
    assert_eq!(status("cart-0"), "ImagePullBackOff");
    let postgres = pods
        .iter()
        .find(|p| p.key.name.as_str() == "postgres-0")
        .unwrap();
    assert_eq!(postgres.restarts, 2);
    let last = postgres.last_restart.as_ref().unwrap();
    assert_eq!((last.reason.as_str(), last.exit_code), ("OOMKilled", 137));

    // A change on the server arrives as a change, not a new list.
    let mut crashed = fake::crashing_pod("shop", "api-5c6b9d7f4-mz8wn", NOW, "OOMKilled", 137);
    fake::container_status(&mut crashed).state = Some(k8s_openapi::api::core::v1::ContainerState {
        terminated: Some(k8s_openapi::api::core::v1::ContainerStateTerminated {
            reason: Some("OOMKilled".into()),
            exit_code: 137,
            ..Default::default()
        }),
        ..Default::default()
    });
    shared.lock().unwrap().put(crashed);
    match tokio::time::timeout(WAIT, watch.next())
        .await
        .unwrap()
        .unwrap()
    {
        Ok(PodChange::Applied(pod)) => assert_eq!(pod.status.as_str(), "OOMKilled"),
        other => panic!("expected the change, got {other:?}"),
    }
    shared.lock().unwrap().delete("shop", "cart-0");
    match tokio::time::timeout(WAIT, watch.next())
        .await
        .unwrap()
        .unwrap()
    {
        Ok(PodChange::Deleted(gone)) => assert_eq!(gone, key("shop", "cart-0")),
        other => panic!("expected the deletion, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_watch_resumes_without_losing_or_repeating_rows() {
    let mut cluster = shop();
    cluster.drop_watch_after = Some(1);
    let (url, shared) = fake::start(cluster).await;
    let cluster = through(&url);
    let mut watch = Box::pin(cluster.watch_pods(None, Namespaces::All, None, WAIT));
    let mut view = PodsView::new(None, Namespaces::All, app::RequestId(1), NOW);
    view.apply(vec![Ok(PodChange::Reset(first_list(&mut watch).await))]);
    // Three changes; the server drops the watch after each one it sends.
    for name in ["new-1", "new-2", "new-3"] {
        shared
            .lock()
            .unwrap()
            .put(fake::running_pod("shop", name, NOW));
    }
    shared.lock().unwrap().delete("shop", "worker-0");
    while view.pods.len() != 7 || view.get(&key("shop", "worker-0")).is_some() {
        let change = tokio::time::timeout(WAIT, watch.next())
            .await
            .unwrap()
            .unwrap();
        view.apply(vec![change]);
    }
    let mut names: Vec<String> = view.pods.iter().map(|p| p.key.name.to_string()).collect();
    names.sort();
    let mut expected: Vec<String> = shared
        .lock()
        .unwrap()
        .pods
        .keys()
        .map(|k| k.1.clone())
        .collect();
    expected.sort();
    assert_eq!(names, expected);
    let watches = shared
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(path, _)| path.contains("watch=true"))
        .count();
    assert!(
        watches >= 3,
        "the watch was resumed after each drop: {watches}"
    );
}

#[tokio::test]
async fn forbidden_and_unreachable_clusters_say_so() {
    let mut cluster = shop();
    cluster.forbidden.push("kube-system".into());
    let (url, _shared) = fake::start(cluster).await;
    let cluster = through(&url);
    let mut watch =
        Box::pin(cluster.watch_pods(None, Namespaces::One("kube-system".into()), None, WAIT));
    let error = tokio::time::timeout(WAIT, watch.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(error.status, Some(403));
    assert!(
        triage::ui::notice::message(&error.message).contains("cannot list resource \"pods\"")
            && triage::ui::notice::message(&error.message).contains("RBAC"),
        "{:?}",
        error.message
    );

    let cluster = through(&support::faults::refusing_url().await);
    let error = cluster.events(None, &key("shop", "x")).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unreachable);
    assert!(
        triage::ui::notice::message(&error.message).contains("cannot reach the cluster"),
        "{:?}",
        error.message
    );

    // TLS spoken to a server that does not speak it.
    let cluster = through(&url.replace("http://", "https://"));
    let error = cluster.events(None, &key("shop", "x")).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Unreachable);
    assert!(
        triage::ui::notice::message(&error.message)
            .to_lowercase()
            .contains("tls")
            || triage::ui::notice::message(&error.message).contains("message"),
        "{:?}",
        error.message
    );
}

#[tokio::test]
async fn an_expired_token_is_renewed_by_running_the_credential_plugin_again() {
    let mut cluster = shop();
    cluster.token = Some("fresh".into());
    let (url, shared) = fake::start(cluster).await;
    let dir = temp_dir("exec");
    let runs = dir.join("runs");
    // The plugin's first token has expired by the time it is used.
    let script = format!(
        "#!/bin/sh\necho run >> {runs}\nif [ $(wc -l < {runs}) -eq 1 ]; then t=stale; else t=fresh; fi\n\
             printf '{{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\",\"status\":{{\"token\":\"%s\"}}}}' $t\n",
        runs = runs.display()
    );
    let cluster = with_plugin(&dir, &url, &script, "");
    let events = cluster
        .events(None, &key("shop", "postgres-0"))
        .await
        .unwrap();
    assert_eq!(events.len(), 2);
    // kube runs the plugin as it builds a client (more than once); what
    // matters is that the refused request made it run again.
    assert!(std::fs::read_to_string(&runs).unwrap().lines().count() >= 2);
    let auths: Vec<Option<String>> = shared
        .lock()
        .unwrap()
        .requests
        .iter()
        .map(|r| r.1.clone())
        .collect();
    assert_eq!(
        auths,
        [
            Some("Bearer stale".to_owned()),
            Some("Bearer fresh".to_owned())
        ]
    );
}

#[tokio::test]
async fn events_come_newest_first_and_logs_come_from_the_api_server() {
    let mut cluster = shop();
    cluster.logs.insert(
        ("shop".into(), "postgres-0".into(), "app".into(), false),
        vec![
            "2026-11-21T03:00:00.000000001Z LOG:  database system is ready".into(),
            "2026-11-21T03:00:01Z \u{1b}[31mLOG:  checkpoint starting\u{1b}[0m".into(),
        ],
    );
    cluster.logs.insert(
        ("shop".into(), "postgres-0".into(), "app".into(), true),
        vec!["2026-11-21T02:35:00Z FATAL:  out of memory".into()],
    );
    let (url, shared) = fake::start(cluster).await;
    let cluster = through(&url);
    let events = cluster
        .events(None, &key("shop", "postgres-0"))
        .await
        .unwrap();
    let reasons: Vec<&str> = events.iter().map(|e| e.reason.as_str()).collect();
    assert_eq!(reasons, ["Started", "OOMKilling"]);

    let request = |previous| PodLogRequest {
        pod: key("shop", "postgres-0"),
        container: "app".into(),
        previous,
        follow: false,
        since: Some(Duration::from_secs(3600)),
    };
    let lines: Vec<_> = Arc::clone(&cluster)
        .logs(None, request(false), WAIT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0].timestamp % 1_000_000_000, 1, "nanoseconds kept");
    assert_eq!(
        lines[1].line.as_str(),
        "␛LOG:  checkpoint starting␛",
        "escapes made visible"
    );
    assert_eq!(
        lines[1].labels.get("pod").map(|p| p.as_str()),
        Some("postgres-0")
    );
    let asked = &shared.lock().unwrap().requests.last().unwrap().0.clone();
    assert!(
        asked.contains("container=app")
            && asked.contains("sinceSeconds=3600")
            && asked.contains("timestamps=true"),
        "{asked}"
    );

    let previous: Vec<_> = Arc::clone(&cluster)
        .logs(None, request(true), WAIT)
        .collect()
        .await;
    // First an empty batch (connected), then the lines.
    assert!(previous[0].as_ref().unwrap().is_empty());
    assert_eq!(
        previous[1].as_ref().unwrap()[0].line.as_str(),
        "FATAL:  out of memory"
    );
    let mut none = request(true);
    none.pod = key("shop", "api-5c6b9d7f4-mz8wn");
    let failed: Vec<_> = Arc::clone(&cluster).logs(None, none, WAIT).collect().await;
    let error = failed[0].as_ref().unwrap_err();
    assert!(
        triage::ui::notice::message(&error.message).contains("previous terminated container"),
        "{:?}",
        error.message
    );
}

#[tokio::test]
async fn kube_urls_reach_backends_through_the_service_proxy_with_the_kubeconfigs_credentials() {
    let tempo = support::replay::start(support::replay::Options::default()).await;
    let mut cluster = shop();
    cluster.token = Some("s3cr3t-token".into());
    cluster
        .services
        .insert("observability/tempo:3200".into(), tempo);
    cluster.forbidden_proxy.push("monitoring/prometheus".into());
    let (url, shared) = fake::start(cluster).await;
    let dir = temp_dir("proxy");
    let settings = ClusterSettings {
        kubeconfig: Some(fake::kubeconfig(&dir, &url, "    token: s3cr3t-token")),
        ..ClusterSettings::default()
    };
    let cluster = Arc::new(Cluster::new(settings));
    let endpoint = |url: &str| Endpoint {
        cluster: Some(Arc::clone(&cluster)),
        ..Endpoint::new(url)
    };

    let tempo = TempoClient::new(&endpoint("kube://observability/tempo:3200")).unwrap();
    let id = TraceId::from_hex(support::FAILING_TRACE).unwrap();
    let trace = tempo.trace(id).await.unwrap();
    assert!(!trace.spans.is_empty());
    let (path, auth) = shared.lock().unwrap().requests.last().cloned().unwrap();
    assert!(
        path.starts_with(&format!(
            "/namespaces/observability/services/tempo:3200/proxy/api/v2/traces/{}",
            support::FAILING_TRACE
        )),
        "{path}"
    );
    assert_eq!(auth.as_deref(), Some("Bearer s3cr3t-token"));

    let prometheus =
        triage_core::backend::PrometheusClient::new(&endpoint("kube://monitoring/prometheus:9090"))
            .unwrap();
    let error = prometheus.alerts().await.unwrap_err();
    assert_eq!(error.status, Some(403));
    assert!(
        triage::ui::notice::message(&error.message).contains("kube://monitoring/prometheus:9090")
            && triage::ui::notice::message(&error.message).contains("`get` on `services/proxy`"),
        "{:?}",
        error.message
    );
    assert!(!error.to_string().contains("s3cr3t"));

    let missing = TempoClient::new(&endpoint("kube://observability/jaeger:16686")).unwrap();
    let error = missing.trace(id).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::NotFound);
    assert!(
        triage::ui::notice::message(&error.message).contains("no such service"),
        "{:?}",
        error.message
    );
}

#[tokio::test]
async fn a_pod_deleted_while_viewed_says_so_and_keeps_what_was_known() {
    let (url, shared) = fake::start(shop()).await;
    let clients = clients_for(&url);
    let (runner, mut results) = app::Runner::new(clients, WAIT);
    let mut runner = runner;
    let mut state = support::state(120, 30);
    let mut effects = Vec::new();
    support::open_pod(
        &mut state,
        key("shop", "postgres-0"),
        Vec::new(),
        &mut effects,
    );
    effects.into_iter().for_each(|e| runner.run(e));
    let pod_view = |state: &triage::app::State| -> bool {
        matches!(
            state.current(),
            View::Pod(PodView {
                watch: Watch::Live { .. },
                ..
            })
        )
    };
    while !pod_view(&state) {
        let msg = tokio::time::timeout(WAIT, results.recv())
            .await
            .unwrap()
            .unwrap();
        app::update(&mut state, msg, NOW)
            .into_iter()
            .for_each(|e| runner.run(e));
    }
    assert!(
        screen(&state).contains("OOMKilled (exit 137) 25m ago"),
        "{}",
        screen(&state)
    );
    shared.lock().unwrap().delete("shop", "postgres-0");
    while !matches!(state.current(), View::Pod(PodView { gone: true, .. })) {
        let msg = tokio::time::timeout(WAIT, results.recv())
            .await
            .unwrap()
            .unwrap();
        app::update(&mut state, msg, NOW)
            .into_iter()
            .for_each(|e| runner.run(e));
    }
    let text = screen(&state);
    assert!(text.contains("this pod no longer exists"), "{text}");
    assert!(text.contains("postgres-0"), "what was known stays: {text}");
}

#[tokio::test]
async fn ten_thousand_pods_in_one_namespace_list_and_filter() {
    let mut cluster = FakeCluster::default();
    for i in 0..10_000 {
        cluster.put(fake::running_pod("big", &format!("worker-{i:05}"), NOW));
    }
    let (url, _shared) = fake::start(cluster).await;
    let clients = clients_for(&url);
    let mut state = support::state(200, 50);
    state.kube.namespaces = Namespaces::One("big".into());
    let mut effects = Vec::new();
    support::open_pods(&mut state, &mut effects);
    settle(&mut state, &clients, effects).await;
    let View::Pods(view) = state.current() else { panic!("pods") };
    assert_eq!(view.rows.len(), 10_000);
    assert!(screen(&state).contains("worker-00000"));
    support::press(&mut state, &clients, &[Action::OpenSearch]).await;
    support::type_text(&mut state, &clients, "9999").await;
    let View::Pods(view) = state.current() else { panic!("pods") };
    assert_eq!(view.rows.len(), 1);
    assert!(screen(&state).contains("worker-09999"));
}

#[tokio::test]
async fn from_a_span_to_its_pod_then_its_logs_and_from_a_line_to_a_pod_that_is_gone() {
    let recorded = support::replay::start(Default::default()).await;
    let mut cluster = shop();
    cluster.put(fake::running_pod("shop", "frontend-7d9f8b6c5-x2kqp", NOW));
    cluster.logs.insert(
        (
            "shop".into(),
            "frontend-7d9f8b6c5-x2kqp".into(),
            "app".into(),
            false,
        ),
        vec!["2026-11-21T03:00:00Z [INFO] GET /checkout 500".into()],
    );
    let (url, shared) = fake::start(cluster).await;
    let mut config = Config::with_urls(Some(&recorded), Some(&recorded), None);
    config.kubernetes.cluster.url = Some(url);
    let clients = Clients::from_config(&config);
    let mut state = support::state(140, 30);
    let mut effects = Vec::new();
    support::open_trace(
        &mut state,
        TraceId::from_hex(support::FAILING_TRACE).unwrap(),
        &mut effects,
    );
    settle(&mut state, &clients, effects).await;

    support::press(&mut state, &clients, &[Action::OpenPod]).await;
    let View::Pod(pod) = state.current() else { panic!("{}", screen(&state)) };
    assert_eq!(pod.key, key("shop", "frontend-7d9f8b6c5-x2kqp"));
    assert!(!pod.gone);
    assert!(screen(&state).contains("Running"), "{}", screen(&state));

    support::press(&mut state, &clients, &[Action::PodLogs]).await;
    let logs = support::logs_view(&state);
    assert_eq!(logs.rows.len(), 1);
    assert!(
        screen(&state).contains("GET /checkout 500"),
        "{}",
        screen(&state)
    );

    support::press(&mut state, &clients, &[Action::Back, Action::LokiLogs]).await;
    match &support::logs_view(&state).source {
        triage::app::views::logs::LogSource::Loki { logql, .. } => assert_eq!(
            logql,
            r#"{namespace="shop", pod="frontend-7d9f8b6c5-x2kqp", container="app"}"#
        ),
        other => panic!("{other:?}"),
    }

    // A line of a pod that has since been deleted.
    shared
        .lock()
        .unwrap()
        .delete("shop", "frontend-7d9f8b6c5-x2kqp");
    let mut effects = Vec::new();
    support::open_logs(&mut state, r#"{namespace="shop"}"#.into(), &mut effects);
    settle(&mut state, &clients, effects).await;
    let labels = &support::logs_view(&state)
        .selected_row()
        .unwrap()
        .line
        .labels;
    assert_eq!(
        labels.get("pod").unwrap().as_str(),
        "frontend-7d9f8b6c5-x2kqp"
    );
    support::press(&mut state, &clients, &[Action::OpenPod]).await;
    let View::Pod(pod) = state.current() else { panic!("{}", screen(&state)) };
    assert_eq!(pod.key, key("shop", "frontend-7d9f8b6c5-x2kqp"));
    assert!(pod.gone);
    let text = screen(&state);
    assert!(
        text.contains("no longer exists") && text.contains("namespace = shop"),
        "{text}"
    );
}

#[tokio::test]
async fn credentials_never_reach_the_error_a_broken_plugin_or_kubeconfig_gives() {
    let (url, _shared) = fake::start(shop()).await;
    let dir = temp_dir("canary");
    // A plugin that prints a token and fails, as a half-broken one does.
    let script = "#!/bin/sh\necho 'token: CANARY-TOKEN-1' ; echo 'CANARY-TOKEN-2' >&2; exit 3\n";
    let env = "      env:\n      - name: SECRET\n        value: CANARY-TOKEN-3";
    let cluster = with_plugin(&dir, &url, script, env);
    let error = cluster
        .events(None, &key("shop", "postgres-0"))
        .await
        .unwrap_err();
    assert!(
        triage::ui::notice::message(&error.message).contains("credential plugin failed"),
        "{:?}",
        error.message
    );
    assert!(!error.to_string().contains("CANARY"), "{error}");

    let broken = dir.join("broken-kubeconfig");
    std::fs::write(
        &broken,
        "users:\n- name: a\n  user:\n    token: CANARY-TOKEN-4\n  : [\n",
    )
    .unwrap();
    let cluster = Cluster::new(ClusterSettings {
        kubeconfig: Some(broken),
        ..ClusterSettings::default()
    });
    let error = cluster.events(None, &key("shop", "x")).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::Config);
    assert!(!error.to_string().contains("CANARY"), "{error}");
}

#[tokio::test]
async fn a_megabyte_log_line_is_cut_and_the_lines_after_it_arrive() {
    let mut cluster = shop();
    let huge = format!("2026-11-21T03:00:01Z {}", "x".repeat(1024 * 1024));
    cluster.logs.insert(
        ("shop".into(), "postgres-0".into(), "app".into(), false),
        vec![
            "2026-11-21T03:00:00Z before".into(),
            huge,
            "2026-11-21T03:00:02Z after the big one".into(),
        ],
    );
    let (url, _shared) = fake::start(cluster).await;
    let request = PodLogRequest {
        pod: key("shop", "postgres-0"),
        container: "app".into(),
        previous: false,
        follow: false,
        since: None,
    };
    let lines: Vec<_> = through(&url)
        .logs(None, request, WAIT)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .flat_map(Result::unwrap)
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[1].line.len() < 70 * 1024 && lines[1].line.ends_with("longer than 64 KiB]"));
    assert_eq!(lines[2].line.as_str(), "after the big one");
}
