//! The app: one owner of state (`State`), a pure `update` that returns
//! effects, the runner that carries them out, and `settle`, which runs
//! effects to the end for `--print` and tests.

pub mod action;
mod command;
pub mod complete;
mod cursor;
mod editor;
pub mod effect;
pub mod histories;
pub mod keymap;
pub mod keys;
pub mod layout;
pub mod loadable;
pub mod msg;
mod navigate;
pub mod notice;
pub mod prompt;
pub mod runner;
pub mod screen;
pub mod settings;
pub mod state;
pub mod target;
pub mod update;
pub mod views;
pub mod watch;

pub use action::{Action, TraceColumn};
pub use cursor::Cursor;
pub use effect::{Effect, RequestId};
pub use loadable::Loadable;
pub use msg::Msg;
pub use notice::Notice;
pub use runner::{Clients, Runner};
pub use settings::Settings;
pub use state::State;
pub use target::Target;
pub use update::update;
pub use views::{View, ViewKind};

use futures::StreamExt;
use std::time::Duration;
use triage_core::domain::Nanos;

pub fn now() -> Nanos {
    chrono::Utc::now().timestamp_nanos_opt().unwrap_or(i64::MAX)
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
        let done = matches!(
            msg,
            Msg::PodsChanged { .. } | Msg::PodLogsEnded { .. } | Msg::TraceLoaded { .. }
        );
        // A trace on its way is waited for however long it reads.
        let arriving = matches!(msg, Msg::TraceProgress { .. });
        answers.push(msg);
        if done {
            break;
        }
        if !arriving {
            wait = QUIET;
        }
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
