//! Shared by the integration tests: real servers' recorded answers, a
//! fault-injecting server, and driving the app without a terminal.
#![allow(dead_code, clippy::expect_used, clippy::unwrap_used)]

pub mod faults;
pub mod kube;
pub mod prometheus;
pub mod pty;
pub mod replay;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::time::Duration;
use triage::app::{self, Action, Clients, Effect, Msg, Settings, State, Target, View};
use triage_core::config::Config;

pub const FAILING_TRACE: &str = "651ca6325e6d780449e8af504f034ee5";

/// The end of the window the fixtures were recorded in.
pub const RECORDED_AT: i64 = 1_795_288_921_000_000_000;

/// A state at a fixed size and time, in UTC, so screens are reproducible.
pub fn state(width: u16, height: u16) -> State {
    let settings = Settings {
        utc: true,
        ..Settings::default()
    };
    State::new(settings, width, height, RECORDED_AT)
}

pub fn clients(loki: Option<&str>, tempo: Option<&str>) -> Clients {
    Clients::from_config(&Config::with_urls(loki, tempo, None))
}

/// Does what the runner would, one effect at a time, until nothing is left.
pub async fn settle(state: &mut State, clients: &Clients, effects: Vec<Effect>) {
    app::settle(state, clients, Duration::from_secs(5), effects).await;
}

/// Presses keys (as actions) and carries out what they ask.
pub async fn press(state: &mut State, clients: &Clients, actions: &[Action]) {
    for action in actions {
        let effects = app::update(state, Msg::Action(*action), state.now);
        settle(state, clients, effects).await;
    }
}

/// Types a command line (without its `:`) and carries out what it asks.
pub async fn command(state: &mut State, clients: &Clients, text: &str) {
    press(state, clients, &[Action::OpenCommand]).await;
    type_text(state, clients, text).await;
    press(state, clients, &[Action::Submit]).await;
}

/// Graphs an expression over `span` ending at the state's time, loaded.
pub async fn graph(state: &mut State, clients: &Clients, promql: &str, span: Duration) {
    let end = state.now;
    let effects = open(
        state,
        Target::Metrics {
            promql: promql.into(),
            span,
            end,
        },
    );
    settle(state, clients, effects).await;
}

/// Goes somewhere as a jump or the command line would; the effects to
/// carry out.
pub fn open(state: &mut State, target: Target) -> Vec<Effect> {
    app::update(state, Msg::Open(target), state.now)
}

/// Presses one key in a prompt.
pub async fn key(state: &mut State, clients: &Clients, code: KeyCode) {
    let event = KeyEvent::new(code, KeyModifiers::NONE);
    press(state, clients, &[Action::Input(event)]).await;
}

/// Types text into a prompt, a key at a time.
pub async fn type_text(state: &mut State, clients: &Clients, text: &str) {
    for ch in text.chars() {
        key(state, clients, KeyCode::Char(ch)).await;
    }
}

/// Empties a prompt with backspaces.
pub async fn clear_prompt(state: &mut State, clients: &Clients) {
    let typed = state
        .prompt
        .as_ref()
        .map_or(0, |p| p.textarea.lines()[0].chars().count());
    for _ in 0..typed {
        key(state, clients, KeyCode::Backspace).await;
    }
}

pub fn screen(state: &State) -> String {
    triage::ui::print::render_text(state, state.width, state.height)
}

pub fn logs_view_mut(state: &mut State) -> &mut app::views::logs::LogsView {
    match state.views.last_mut() {
        Some(View::Logs(view)) => view,
        _ => panic!("not on the logs view"),
    }
}

pub fn logs_view(state: &State) -> &app::views::logs::LogsView {
    match state.current() {
        View::Logs(view) => view,
        _ => panic!("not on the logs view"),
    }
}

/// The jumps and commands of the app, as messages: each opens a view and
/// adds the effects it asks for.
pub fn open_logs(state: &mut State, logql: String, effects: &mut Vec<Effect>) {
    effects.extend(open(state, Target::Logs(logql)));
}

pub fn open_trace(state: &mut State, id: triage_core::domain::TraceId, effects: &mut Vec<Effect>) {
    effects.extend(open(state, Target::Trace(id)));
}

pub fn open_metrics(
    state: &mut State,
    promql: String,
    span: Duration,
    end: i64,
    effects: &mut Vec<Effect>,
) {
    effects.extend(open(state, Target::Metrics { promql, span, end }));
}

pub fn open_alerts(state: &mut State, effects: &mut Vec<Effect>) {
    effects.extend(open(state, Target::Alerts));
}

/// Home asks for the alerts again, as it does at start with a Prometheus.
pub fn ask_home_alerts(state: &mut State, effects: &mut Vec<Effect>) {
    state.settings.alerts_on_home = true;
    effects.extend(app::update(state, Msg::Action(Action::Reload), state.now));
}

pub fn open_pods(state: &mut State, effects: &mut Vec<Effect>) {
    effects.extend(open(state, Target::Pods(None)));
}

pub fn open_pod(
    state: &mut State,
    key: triage_core::domain::PodKey,
    known: Vec<(String, triage_core::domain::SafeText)>,
    effects: &mut Vec<Effect>,
) {
    let context = state.kube.context.clone();
    effects.extend(open(
        state,
        Target::Pod {
            context,
            key,
            known,
        },
    ));
}

pub fn open_pod_logs(
    state: &mut State,
    context: Option<String>,
    request: triage_core::backend::cluster::PodLogRequest,
    effects: &mut Vec<Effect>,
) {
    effects.extend(open(state, Target::PodLogs { context, request }));
}
