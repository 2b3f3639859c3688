//! The expression editor's memory: names for completion, asked of
//! Prometheus or Tempo the first time a word needs them and kept for the
//! session, and the history ↑/↓ walk, one per language.

use super::complete::{self, Context, Names};
use super::effect::{Effect, RequestId};
use super::loadable::Loadable;
use super::prompt::{Completion, Language, PromptKind};
use super::state::State;
use crossterm::event::{KeyCode, KeyEvent};
use triage_core::backend::BackendError;
use triage_core::domain::SafeText;

/// Shown at most in the completion list.
const COMPLETIONS: usize = 8;

/// A key in the editor: Tab accepts a name, ↑/↓ choose among names when
/// there are some and walk the history when not.
pub fn typed(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    match key.code {
        KeyCode::Tab => prompt.accept_completion(),
        KeyCode::Up | KeyCode::Down => {
            let up = key.code == KeyCode::Up;
            if !prompt.choose(up)
                && let PromptKind::Expression(language) = prompt.kind
            {
                prompt.recall(state.history.of(language), up);
            }
            return;
        }
        _ => prompt.edit(key),
    }
    refresh(state, effects);
}

/// The editor opened: names that failed to load are asked for again.
pub fn opened(state: &mut State, effects: &mut Vec<Effect>) {
    state.names.retain(|_, names| names.failed().is_none());
    refresh(state, effects);
}

/// An expression was run: kept in the history, here and on disk.
pub fn remember(
    state: &mut State,
    language: Language,
    expression: &str,
    effects: &mut Vec<Effect>,
) {
    crate::history::remember(state.history.of_mut(language), expression);
    effects.push(Effect::Remember {
        language,
        expression: expression.to_owned(),
    });
}

/// The names that fit the word at the editor's cursor.
fn refresh(state: &mut State, effects: &mut Vec<Effect>) {
    let Some((language, before)) = state.prompt.as_ref().and_then(|p| match p.kind {
        PromptKind::Expression(language) => Some((language, p.text_before_cursor())),
        _ => None,
    }) else {
        return;
    };
    let completion = complete::context(language, &before).map(|context| Completion {
        names: names_for(state, &context, effects),
        context,
        selected: 0,
    });
    if let Some(prompt) = state.prompt.as_mut() {
        prompt.completion = completion;
    }
}

fn names_for(state: &mut State, context: &Context, effects: &mut Vec<Effect>) -> Vec<String> {
    let fixed = context.fixed().iter().copied();
    let Some(names) = context.names() else {
        return complete::candidates(fixed, &context.prefix, COMPLETIONS);
    };
    match state.names.get(&names) {
        Some(Loadable::Ready(known)) => {
            let all = known.iter().map(String::as_str).chain(fixed);
            complete::candidates(all, &context.prefix, COMPLETIONS)
        }
        // Keywords (status = error) need no answer to be offered.
        Some(_) if !context.fixed().is_empty() && context.names().is_some() => {
            complete::candidates(fixed, &context.prefix, COMPLETIONS)
        }
        Some(_) => Vec::new(),
        None => {
            let (id, since) = (state.ids.take(), state.now);
            state
                .names
                .insert(names.clone(), Loadable::Loading { id, since });
            effects.push(Effect::FetchNames { id, names });
            Vec::new()
        }
    }
}

/// Names arrived; returns whether anyone waited for them.
pub fn names_loaded(
    state: &mut State,
    id: RequestId,
    names: Names,
    result: Result<Vec<SafeText>, BackendError>,
    effects: &mut Vec<Effect>,
) -> bool {
    let Some(slot) = state
        .names
        .get_mut(&names)
        .filter(|n| n.pending() == Some(id))
    else {
        return false;
    };
    *slot = match result {
        Ok(list) => Loadable::Ready(list.iter().map(ToString::to_string).collect()),
        Err(e) => Loadable::Failed(e),
    };
    // Only the list the open completion waits for: a late answer for an
    // earlier word must not reopen a closed list or move its cursor.
    let awaited = state.prompt.as_ref().and_then(|p| p.completion.as_ref());
    if awaited.is_some_and(|c| c.context.names() == Some(names)) {
        refresh(state, effects);
    }
    true
}
