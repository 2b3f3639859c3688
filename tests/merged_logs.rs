//! Several pods' container logs at once, merged in time order, against the
//! loopback Kubernetes API server (tests/support/kube.rs): pods marked in
//! the pods view, a label selector (`:logs-pods`), more pods than are
//! followed at once, a pod deleted while merged, a selector refused.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use support::kube::{self as fake, Cluster as FakeCluster};
use support::{RECORDED_AT, screen, settle};
use triage::app::screen::Screen;
use triage::app::views::logs::{LogSource, MAX_STREAMS};
use triage::app::{Action, Clients, View};
use triage_core::backend::cluster::Namespaces;
use triage_core::config::Config;

const NOW: i64 = RECORDED_AT;

fn clients_for(url: &str) -> Clients {
    let mut config = Config::with_urls(None, None, None);
    config.kubernetes.cluster.url = Some(url.to_owned());
    Clients::from_config(&config)
}

/// `replicas` api pods and one db pod, each logging `lines` lines a second
/// apart, the replicas' lines interleaving in time.
fn shop(replicas: usize, lines: usize) -> FakeCluster {
    let mut cluster = FakeCluster::default();
    let mut pods: Vec<String> = (0..replicas).map(|i| format!("api-{i}")).collect();
    pods.push("db-0".into());
    for (p, name) in pods.iter().enumerate() {
        cluster.put(fake::running_pod("shop", name, NOW));
        let log = (0..lines)
            .map(|l| {
                format!(
                    "2026-11-21T03:00:{:02}.{p:03}Z line {l} of {name}",
                    l * 3 + p % 3
                )
            })
            .collect();
        let key = ("shop".into(), name.clone(), "app".into(), false);
        cluster.logs.insert(key, log);
    }
    cluster
}

#[tokio::test]
async fn three_marked_pods_stream_merged_in_time_order_each_line_led_by_its_pod() {
    let (url, _shared) = fake::start(shop(3, 5)).await;
    let clients = clients_for(&url);
    let mut state = support::state(160, 40);
    state.kube.namespaces = Namespaces::One("shop".into());
    let mut effects = Vec::new();
    support::open_pods(&mut state, &mut effects);
    settle(&mut state, &clients, effects).await;
    // Sorted by name: api-0, api-1, api-2, db-0. Mark the three replicas.
    support::press(
        &mut state,
        &clients,
        &[Action::Mark, Action::Mark, Action::Mark],
    )
    .await;
    let View::Pods(pods) = state.current() else { panic!("{}", screen(&state)) };
    assert_eq!(pods.marked.len(), 3);
    assert!(screen(&state).contains("3 marked"), "{}", screen(&state));
    support::press(&mut state, &clients, &[Action::PodLogs]).await;
    let logs = support::logs_view(&state);
    let LogSource::Merged { containers, .. } = &logs.source else { panic!("{:?}", logs.source) };
    assert_eq!(containers.len(), 3);
    assert_eq!(logs.rows.len(), 15, "five lines from each of three pods");
    let times: Vec<i64> = logs.rows.iter().map(|r| r.line.timestamp).collect();
    assert!(
        times.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {times:?}"
    );
    let sources: Vec<String> = logs
        .rows
        .iter()
        .take(3)
        .map(|r| logs.source(&r.line).into_owned())
        .collect();
    assert_eq!(
        sources,
        ["api-2/app", "api-1/app", "api-0/app"],
        "interleaved, not one pod after another"
    );
    let text = screen(&state);
    assert!(
        text.contains("api-2/app") && text.contains("line 4 of api-2"),
        "{text}"
    );
    assert!(!text.contains("db-0"), "the unmarked pod stays out: {text}");
}

#[tokio::test]
async fn a_selector_follows_at_most_fifty_logs_and_says_how_many_matched() {
    let (url, shared) = fake::start(shop(200, 1)).await;
    let clients = clients_for(&url);
    let mut state = support::state(160, 40);
    state.kube.namespaces = Namespaces::One("shop".into());
    support::command(&mut state, &clients, "logs-pods app=api").await;
    let logs = support::logs_view(&state);
    let LogSource::Merged { containers, .. } = &logs.source else { panic!("{:?}", logs.source) };
    assert_eq!(containers.len(), MAX_STREAMS);
    assert_eq!(logs.rows.len(), MAX_STREAMS);
    assert!(
        logs.rows.iter().all(|r| r.line.line.contains("of api-")),
        "db-0 does not match"
    );
    let text = screen(&state);
    assert!(
        text.contains(&format!("following {MAX_STREAMS} of 200")),
        "{text}"
    );
    let asked = shared
        .lock()
        .unwrap()
        .requests
        .iter()
        .any(|(path, _)| path.contains("labelSelector=app=api"));
    assert!(asked, "the selector is the API server's to apply");
}

#[tokio::test]
async fn a_pod_deleted_while_merged_is_said_and_the_others_go_on() {
    let mut cluster = shop(2, 3);
    // api-1 is listed but its log is gone: the API server answers 404.
    cluster.logs.retain(|(_, pod, _, _), _| pod != "api-1");
    let (url, _shared) = fake::start(cluster).await;
    let clients = clients_for(&url);
    let mut state = support::state(160, 40);
    state.kube.namespaces = Namespaces::One("shop".into());
    support::command(&mut state, &clients, "logs-pods app=api").await;
    let logs = support::logs_view(&state);
    assert_eq!(logs.rows.len(), 3, "api-0's lines");
    assert!(logs.failure().is_none(), "the view has not failed");
    let text = screen(&state);
    assert!(
        text.contains("api-1/app's log stopped, the others go on"),
        "{text}"
    );
    assert!(text.contains("line 2 of api-0"), "{text}");
}

#[tokio::test]
async fn a_selector_the_api_server_refuses_or_that_matches_nothing_says_so() {
    let (url, _shared) = fake::start(shop(1, 1)).await;
    let clients = clients_for(&url);
    let mut state = support::state(160, 40);
    state.kube.namespaces = Namespaces::One("shop".into());
    support::command(&mut state, &clients, "logs-pods app=nothing").await;
    assert!(
        screen(&state).contains("no pods match app=nothing"),
        "{}",
        screen(&state)
    );
    support::command(&mut state, &clients, "logs-pods app in (").await;
    let text = screen(&state);
    assert!(text.contains("unable to parse requirement"), "{text}");
}
