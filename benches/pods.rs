//! The pods budget from issue 4 (see BENCHMARKS.md): 10,000 pods in one
//! namespace, listed over loopback by the real client (kube's watcher) and
//! decoded, then the first frame at 200x50; and one filter keystroke.

mod support;

#[allow(dead_code, clippy::unwrap_used, clippy::expect_used)]
#[path = "../tests/support/kube.rs"]
mod fake;

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use support::{HEIGHT, WIDTH, draw, terminal};
use triage::app::{self, Action, Clients, Msg, Settings, State, Target};
use triage_core::backend::cluster::Namespaces;
use triage_core::config::Config;

const PODS: usize = 10_000;
const NOW: i64 = 1_795_288_921_000_000_000;

fn state() -> State {
    let mut state = State::new(Settings::default(), WIDTH, HEIGHT, NOW);
    state.kube.namespaces = Namespaces::One("big".into());
    state
}

/// The pods view, listed and settled.
async fn listed(clients: &Clients) -> State {
    let mut state = state();
    let effects = app::update(&mut state, Msg::Open(Target::Pods(None)), NOW);
    app::settle(&mut state, clients, Duration::from_secs(30), effects).await;
    state
}

fn key(c: KeyCode) -> Msg {
    Msg::Action(Action::Input(KeyEvent::new(c, KeyModifiers::NONE)))
}

fn pods(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let clients = runtime.block_on(async {
        let mut cluster = fake::Cluster::default();
        for i in 0..PODS {
            let mut pod = fake::running_pod("big", &format!("worker-{i:05}"), NOW);
            if i % 97 == 0 {
                pod = fake::crashing_pod("big", &format!("worker-{i:05}"), NOW, "OOMKilled", 137);
            }
            cluster.put(pod);
        }
        let (url, _) = fake::start(cluster).await;
        let mut config = Config::with_urls(None, None, None);
        config.kubernetes.cluster.url = Some(url);
        Clients::from_config(&config)
    });
    let mut terminal = terminal();
    c.bench_function("pods 10k: list over loopback + decode + first frame", |b| {
        b.iter(|| {
            let state = runtime.block_on(listed(&clients));
            draw(&mut terminal, &state);
        })
    });
    // A filter keystroke: the prompt is open on `worker-0`; a digit is
    // typed (and taken back, so each iteration filters all 10,000).
    let mut state = runtime.block_on(listed(&clients));
    let _ = app::update(&mut state, Msg::Action(Action::OpenSearch), NOW);
    for c in "worker-0".chars() {
        let _ = app::update(&mut state, key(KeyCode::Char(c)), NOW);
    }
    c.bench_function("pods 10k: filter keystroke (update + frame)", |b| {
        let mut typed = false;
        b.iter(|| {
            let k = if typed {
                KeyCode::Backspace
            } else {
                KeyCode::Char('1')
            };
            typed = !typed;
            let _ = app::update(&mut state, key(k), NOW);
            draw(&mut terminal, &state);
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(10));
    targets = pods
}
criterion_main!(benches);
