//! The router, driven with messages as the loop drives it: paging, the
//! editor's completion lists, and a new metrics window.
#![allow(clippy::unwrap_used)]

use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;
use std::time::Duration;
use triage::app::complete::Names;
use triage::app::{
    Action, Effect, Loadable, Msg, Notice, RequestId, Settings, State, Target, update,
};
use triage_core::domain::{Labels, LogLine, Nanos, SafeText};

fn page(timestamp: Nanos, count: usize) -> Vec<LogLine> {
    let labels = Arc::new(Labels::default());
    (0..count)
        .map(|i| LogLine {
            timestamp,
            labels: Arc::clone(&labels),
            line: format!("line {i}").into(),
        })
        .collect()
}

/// The page of lines asked for, if one was (a Loki view asks for its
/// volume beside it).
fn asked_end(effects: &[Effect]) -> Option<(RequestId, Nanos)> {
    let mut pages = effects.iter().filter_map(|e| match e {
        Effect::FetchLogs { id, query } => Some((*id, query.range.end)),
        _ => None,
    });
    let page = pages.next();
    assert!(pages.next().is_none(), "one page at a time: {effects:?}");
    page
}

#[test]
fn a_full_page_of_one_instant_does_not_loop() {
    let settings = Settings {
        page_size: 3,
        ..Settings::default()
    };
    let mut state = State::new(settings, 80, 20, 1_000);
    let effects = update(
        &mut state,
        Msg::Open(Target::Logs("{a=\"b\"}".into())),
        1_000,
    );
    let (id, _) = asked_end(&effects).unwrap_or((RequestId(0), 0));
    // Three lines at instant 500 fill the page: ask again from 500 inclusive.
    let effects = update(
        &mut state,
        Msg::LogsLoaded {
            id,
            result: Ok(page(500, 3)),
        },
        1_000,
    );
    let (id, end) = asked_end(&effects).unwrap_or((RequestId(0), 0));
    assert_eq!(end, 501);
    // Loki answers the same three: nothing new, so step past the instant.
    let effects = update(
        &mut state,
        Msg::LogsLoaded {
            id,
            result: Ok(page(500, 3)),
        },
        1_000,
    );
    assert_eq!(asked_end(&effects).map(|(_, end)| end), Some(500));
    assert!(matches!(state.notice, Some(Notice::SharedInstant(3))));
}

/// `up` over `span` ending at `now`.
fn graph_of_up(span: Duration, now: Nanos) -> Target {
    Target::Metrics {
        promql: "up".into(),
        span,
        end: now,
    }
}

#[test]
fn a_late_list_of_names_leaves_the_list_being_chosen_from_alone() {
    let now = 10_000 * 1_000_000_000;
    let mut state = State::new(Settings::default(), 100, 30, now);
    let metrics = graph_of_up(Duration::from_secs(300), now);
    let _ = update(&mut state, Msg::Open(metrics), now);
    let _ = update(&mut state, Msg::Action(Action::EditQuery), now);
    let mut asked = Vec::new();
    for key in [KeyCode::Char('{'), KeyCode::Char('u')].map(KeyEvent::from) {
        asked.extend(update(&mut state, Msg::Action(Action::Input(key)), now));
    }
    let [
        Effect::FetchNames {
            names: Names::Labels,
            id,
        },
    ] = asked.as_slice()
    else {
        panic!("{asked:?}")
    };
    let labels = ["uri", "url", "job"].map(SafeText::new).to_vec();
    let loaded = |id, names, list| Msg::NamesLoaded {
        id,
        names,
        result: Ok(list),
    };
    let _ = update(&mut state, loaded(*id, Names::Labels, labels), now);
    let down = Msg::Action(Action::Input(KeyEvent::from(KeyCode::Down)));
    let _ = update(&mut state, down, now);
    let chosen = |s: &State| {
        let c = s.prompt.as_ref().and_then(|p| p.completion.as_ref());
        c.map(|c| (c.names.clone(), c.selected))
    };
    assert_eq!(chosen(&state), Some((vec!["uri".into(), "url".into()], 1)));
    // Metric names asked for an earlier word arrive late: the list the
    // user is choosing from keeps its cursor.
    let late = RequestId(id.0 + 100);
    let waiting = Loadable::Loading {
        id: late,
        since: now,
    };
    state.names.insert(Names::Metrics, waiting);
    let _ = update(
        &mut state,
        loaded(late, Names::Metrics, vec![SafeText::new("up")]),
        now,
    );
    assert_eq!(chosen(&state), Some((vec!["uri".into(), "url".into()], 1)));
}

#[test]
fn a_new_window_cancels_the_old_request_and_asks_for_the_new_one() {
    let now = 10_000 * 1_000_000_000;
    let mut state = State::new(Settings::default(), 100, 30, now);
    let metrics = graph_of_up(Duration::from_secs(3600), now);
    let effects = update(&mut state, Msg::Open(metrics), now);
    assert!(
        matches!(effects.as_slice(), [Effect::FetchMetrics { .. }]),
        "{effects:?}"
    );
    let first = state.current().screen().pending();

    let effects = update(&mut state, Msg::Action(Action::ZoomOut), now);
    let [
        Effect::Cancel(old),
        Effect::FetchMetrics { range, step, .. },
    ] = effects.as_slice()
    else {
        panic!("{effects:?}")
    };
    assert_eq!(Some(*old), first);
    assert_eq!(range.end - range.start, 6 * 3600 * 1_000_000_000);
    assert!(*step >= Duration::from_secs(1));

    let effects = update(&mut state, Msg::Action(Action::Earlier), now);
    let Some(Effect::FetchMetrics { range, .. }) = effects.last() else { panic!("{effects:?}") };
    assert_eq!(range.end, now - 3 * 3600 * 1_000_000_000);
    // Forward twice from there: never past now.
    let _ = update(&mut state, Msg::Action(Action::Later), now);
    let effects = update(&mut state, Msg::Action(Action::Later), now);
    let Some(Effect::FetchMetrics { range, .. }) = effects.last() else { panic!("{effects:?}") };
    assert_eq!(range.end, now);
}
