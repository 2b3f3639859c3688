//! The loop: terminal events become actions, `update` changes the state and
//! returns effects, the runner carries them out, and the screen is drawn
//! only when something changed.

pub mod action;
pub mod alerts;
pub mod cluster;
pub mod complete;
pub mod effect;
pub mod keymap;
pub mod layout;
pub mod metrics;
pub mod msg;
pub mod pods;
pub mod runner;
pub mod state;
pub mod update;

pub use action::Action;
pub use effect::{Effect, RequestId};
pub use msg::Msg;
pub use runner::{Clients, Runner};
pub use state::{Settings, State, View};
pub use update::update;

use crate::domain::Nanos;
use crate::terminal::{Signals, Stop};
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::DefaultTerminal;
use std::time::Duration;

pub fn now() -> Nanos {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
}

/// Runs the interactive loop until the user quits or a signal ends it.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut state: State,
    mut runner: Runner,
    mut results: tokio::sync::mpsc::Receiver<Msg>,
    first: Vec<Effect>,
) -> std::io::Result<()> {
    let mut events = EventStream::new();
    let mut signals = Signals::new()?;
    // Once a second while the screen shows time passing.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    first.into_iter().for_each(|e| runner.run(e));
    loop {
        if state.dirty {
            terminal.draw(|frame| crate::ui::draw(frame, &state))?;
            state.dirty = false;
        }
        if state.quit {
            return Ok(());
        }
        if std::mem::take(&mut state.suspend) {
            crate::terminal::suspend(terminal)?;
            state.dirty = true;
            continue;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => keymap::action_for(&state, key).map(Msg::Action),
                Some(Ok(Event::Resize(width, height))) => Some(Msg::Resize { width, height }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e),
                None => return Ok(()), // no more input: the terminal is gone
            },
            Some(msg) = results.recv() => {
                if let Some(id) = msg.finishes() {
                    runner.finished(id);
                }
                Some(msg)
            }
            _ = tick.tick(), if state.shows_time() => Some(Msg::Tick),
            stop = signals.next() => match stop {
                Stop::Quit => return Ok(()),
                Stop::Suspend => {
                    crate::terminal::suspend(terminal)?;
                    state.dirty = true;
                    None
                }
            },
        };
        if let Some(msg) = msg {
            for effect in update(&mut state, msg, now()) {
                runner.run(effect);
            }
        }
    }
}

/// What a stream says before it goes quiet: a watch's first list (or its
/// error), a log up to now. Streams go on; a printed view takes what is there.
async fn first_answers(
    mut stream: futures::stream::BoxStream<'static, Msg>,
    deadline: Duration,
) -> Vec<Msg> {
    const QUIET: Duration = Duration::from_millis(300);
    let mut answers = Vec::new();
    // A stream says itself when it is silent past the deadline: wait for that.
    let mut wait = deadline + QUIET;
    while let Ok(Some(msg)) = tokio::time::timeout(wait, stream.next()).await {
        let done = matches!(msg, Msg::PodsChanged { .. } | Msg::PodLogsEnded { .. });
        answers.push(msg);
        if done {
            break;
        }
        wait = QUIET;
    }
    answers
}

/// Carries out effects one after another until none are left, as `--print`
/// and tests need: the state ends as the user would see it once loaded.
/// The clock stands still at `state.now`, so what is drawn is reproducible.
pub async fn settle(
    state: &mut State,
    clients: &Clients,
    deadline: Duration,
    mut effects: Vec<Effect>,
) {
    // Bounded: paging could otherwise go on for as long as a range has lines.
    for _ in 0..16 {
        let mut next = Vec::new();
        for effect in effects {
            if let Some(stream) = runner::open_stream(clients, &effect, deadline) {
                for msg in first_answers(stream, deadline).await {
                    next.extend(update(state, msg, state.now));
                }
            } else if let Some(msg) = runner::execute(clients, effect, deadline).await {
                next.extend(update(state, msg, state.now));
            }
        }
        if next.is_empty() {
            return;
        }
        effects = next;
    }
}
