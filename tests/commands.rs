//! Command mode: `:logs`, `:trace`, `:q`, and what a mistyped command says.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use crossterm::event::{KeyCode, KeyEvent};
use support::{FAILING_TRACE, clients, command, press, screen, state};
use triage::app::Action;
use triage::app::{Loadable, View};

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
    // A context's name goes to the kubeconfig and the title: one that
    // sanitising would change is refused, not kept.
    command(&mut s, &c, "ctx prod\u{1b}]0;x\u{7}").await;
    assert!(screen(&s).contains("not a kubeconfig context's name"));
    assert_eq!(s.kube.context, None);
    command(&mut s, &c, "ctx prod-eu").await;
    assert_eq!(s.kube.context.as_deref(), Some("prod-eu"));
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
    assert!(!s.quit && s.prompt.is_none());
    press(&mut s, &c, &[Action::Back]).await;
    assert!(screen(&s).contains("nothing to go back to"));
}

#[test]
fn keys_reach_the_actions_the_help_lists() {
    use crossterm::event::KeyModifiers;
    use triage::app::keymap::{GLOBAL, action_for};
    let home = state(80, 10);
    let mut effects = Vec::new();
    let mut logs = state(80, 10);
    support::open_logs(&mut logs, "{a=\"b\"}".into(), &mut effects);
    let mut trace = state(80, 10);
    support::open_trace(
        &mut trace,
        triage_core::domain::TraceId([1; 16]),
        &mut effects,
    );
    let mut metrics = state(80, 10);
    let span = std::time::Duration::from_secs(60);
    support::open_metrics(&mut metrics, "up".into(), span, 0, &mut effects);
    let mut pods = state(80, 10);
    support::open_pods(&mut pods, &mut effects);
    let mut pod = state(80, 10);
    let key = triage_core::domain::PodKey {
        namespace: "shop".into(),
        name: "api-0".into(),
    };
    support::open_pod(&mut pod, key, Vec::new(), &mut effects);
    // Every binding's keys mean its action in its view; a view's own
    // binding wins over a global one on the same key.
    for s in [&home, &logs, &trace, &metrics, &pods, &pod] {
        let view = s.current();
        for binding in view.screen().keys() {
            for &(code, modifiers) in binding.keys {
                let action = action_for(s, KeyEvent::new(code, modifiers));
                let label = binding.label();
                assert_eq!(action, Some(binding.action), "{label} in {:?}", view.kind());
            }
        }
    }
    for binding in GLOBAL {
        for &(code, modifiers) in binding.keys {
            let action = action_for(&home, KeyEvent::new(code, modifiers));
            assert_eq!(action, Some(binding.action), "{}", binding.label());
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
    use triage::app::keymap::GLOBAL;
    use triage::app::views::{
        alerts, home, logs, metrics, patterns, pod, pods, services, trace, traces,
    };
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let tables = [
        GLOBAL,
        home::KEYS,
        logs::KEYS,
        trace::KEYS,
        traces::KEYS,
        metrics::KEYS,
        metrics::LOKI_KEYS,
        patterns::KEYS,
        alerts::KEYS,
        pods::KEYS,
        pod::KEYS,
        services::KEYS,
    ];
    for binding in tables.into_iter().flatten().filter(|b| !b.quiet) {
        let row = format!("| `{}` | {} |", binding.label(), binding.help);
        assert!(readme.contains(&row), "README is missing the row: {row}");
    }
}
