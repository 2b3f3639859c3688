//! Command mode: `:logs`, `:trace`, `:q`, and what a mistyped command says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use crossterm::event::{KeyCode, KeyEvent};
use support::{FAILING_TRACE, clients, press, screen, state};
use triage::app::state::{Loadable, View};
use triage::app::{Action, Clients, State};

async fn command(s: &mut State, c: &Clients, text: &str) {
    press(s, c, &[Action::OpenCommand]).await;
    for ch in text.chars() {
        press(s, c, &[Action::Input(KeyEvent::from(KeyCode::Char(ch)))]).await;
    }
    press(s, c, &[Action::Submit]).await;
}

#[tokio::test]
async fn commands_open_views_and_quit() {
    let url = support::replay::start(Default::default()).await;
    let c = clients(Some(&url), Some(&url));
    let mut s = state(120, 20);
    command(&mut s, &c, r#"logs {namespace="shop"}"#).await;
    assert_eq!(support::logs_view(&s).rows.len(), 200);
    command(&mut s, &c, &format!("trace {FAILING_TRACE}")).await;
    assert!(matches!(s.current(), View::Trace(v) if matches!(v.load, Loadable::Ready(_))));
    assert_eq!(s.views.len(), 3, "home, logs, trace");
    command(&mut s, &c, "trace nope").await;
    assert!(screen(&s).contains("not a trace id: nope"));
    command(&mut s, &c, "frobnicate").await;
    assert!(screen(&s).contains("unknown command :frobnicate"));
    assert!(!s.quit);
    command(&mut s, &c, "q").await;
    assert!(s.quit);
}

#[tokio::test]
async fn escape_leaves_the_command_line_without_running_it() {
    let c = clients(None, None);
    let mut s = state(80, 10);
    press(
        &mut s,
        &c,
        &[
            Action::OpenCommand,
            Action::Input(KeyEvent::from(KeyCode::Char('q'))),
            Action::CancelInput,
        ],
    )
    .await;
    assert!(!s.quit && s.input.is_none());
    press(&mut s, &c, &[Action::Back]).await;
    assert!(screen(&s).contains("nothing to go back to"));
}

#[test]
fn keys_reach_the_actions_the_help_lists() {
    use crossterm::event::KeyModifiers;
    use triage::app::keymap::Scope;
    use triage::app::keymap::{BINDINGS, action_for};
    use triage::app::state::{LogsView, View};
    use triage_core::domain::TimeRange;
    let home = state(80, 10);
    let mut logs = state(80, 10);
    logs.views.push(View::Logs(LogsView::new(
        "{a=\"b\"}".into(),
        TimeRange { start: 0, end: 1 },
    )));
    let mut trace = state(80, 10);
    let mut effects = Vec::new();
    triage::app::update::open_trace(
        &mut trace,
        triage_core::domain::TraceId([1; 16]),
        &mut effects,
    );
    let mut pods = state(80, 10);
    triage::app::cluster::open_pods(&mut pods, &mut effects);
    let mut pod = state(80, 10);
    let key = triage_core::domain::PodKey {
        namespace: "shop".into(),
        name: "api-0".into(),
    };
    triage::app::cluster::open_pod(&mut pod, key, Vec::new(), &mut effects);
    // Every binding's keys mean its action in its view; a view's own
    // binding wins over a global one on the same key.
    for (scope, s) in [
        (Scope::Global, &home),
        (Scope::Logs, &logs),
        (Scope::Trace, &trace),
        (Scope::Pods, &pods),
        (Scope::Pod, &pod),
    ] {
        for binding in BINDINGS.iter().filter(|b| b.scope == scope) {
            for &(code, modifiers) in binding.keys {
                let action = action_for(s, KeyEvent::new(code, modifiers));
                assert_eq!(
                    action,
                    Some(binding.action),
                    "{} in {scope:?}",
                    binding.label
                );
            }
        }
    }
    // Terminals that report SHIFT with an upper-case letter still match.
    assert_eq!(
        action_for(
            &home,
            KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT)
        ),
        Some(Action::Bottom)
    );
}

#[test]
fn the_readme_lists_every_key() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for binding in triage::app::keymap::BINDINGS {
        let row = format!("| `{}` | {} |", binding.label, binding.help);
        assert!(readme.contains(&row), "README is missing the row: {row}");
    }
}
