//! The navigation stack: opening a view, going back, reloading, and
//! handing a key or an answer to the view it is for, with what it may
//! touch (`Ctx`) and where it asks to go next.

use super::action::Action;
use super::editor;
use super::effect::Effect;
use super::msg::Msg;
use super::notice::Notice;
use super::prompt::PromptKind;
use super::screen::{Ctx, Go, Screen};
use super::state::State;
use super::target::Target;
use super::views::{self, View};

/// What a view may touch, borrowed from the state beside the views.
macro_rules! ctx {
    ($state:ident, $effects:ident, $on_top:expr, $go:expr) => {
        Ctx {
            settings: &$state.settings,
            now: $state.now,
            width: $state.width,
            height: $state.height,
            kube: &$state.kube,
            on_top: $on_top,
            ids: &mut $state.ids,
            effects: $effects,
            notice: &mut $state.notice,
            prompt: &mut $state.prompt,
            go: $go,
        }
    };
}

/// Opens a view on top of the stack.
pub fn open(state: &mut State, target: Target, effects: &mut Vec<Effect>) {
    let view = views::open(
        target,
        &state.views,
        &mut ctx!(state, effects, true, &mut None),
    );
    state.views.push(view);
}

/// Esc: the view on screen goes, and what it asked with it.
pub fn back(state: &mut State, effects: &mut Vec<Effect>) {
    if state.views.len() < 2 {
        state.notice = Some(Notice::NothingToGoBack);
        return;
    }
    close_top(state, effects);
}

/// Asks again: the view is replaced, so a late answer to the old request
/// finds nobody waiting. A view with no target (home) reloads itself.
pub fn reload(state: &mut State, effects: &mut Vec<Effect>) {
    match state.current().screen().target() {
        Some(target) => {
            close_top(state, effects);
            open(state, target, effects);
        }
        None => on_top(state, effects, |view, cx| view.act(Action::Reload, cx)),
    }
}

/// Gives an answer to the view that waits for it; returns whether one did
/// (a stale answer, for a view that is gone, changes nothing).
pub fn deliver(state: &mut State, msg: Msg, effects: &mut Vec<Effect>) -> bool {
    let Some(id) = msg.request_id() else {
        return false;
    };
    let waiting = |v: &View| v.screen().requests().contains(&id);
    let Some(at) = state.views.iter().position(waiting) else {
        return false;
    };
    dispatch(state, at, effects, |view, cx| view.receive(msg, cx));
    true
}

/// Runs `f` on the view on screen.
pub fn on_top(
    state: &mut State,
    effects: &mut Vec<Effect>,
    f: impl FnOnce(&mut dyn Screen, &mut Ctx),
) {
    if let Some(top) = state.views.len().checked_sub(1) {
        dispatch(state, top, effects, f);
    }
}

/// Runs `f` on the view at `at`, then goes where it asked to.
fn dispatch(
    state: &mut State,
    at: usize,
    effects: &mut Vec<Effect>,
    f: impl FnOnce(&mut dyn Screen, &mut Ctx),
) {
    let (mut go, had_prompt) = (None, state.prompt.is_some());
    let on_top = at + 1 == state.views.len();
    let Some(view) = state.views.get_mut(at) else {
        return;
    };
    f(
        view.screen_mut(),
        &mut ctx!(state, effects, on_top, &mut go),
    );
    // The expression editor opened: its completion starts at once.
    let opened = state.prompt.as_ref().map(|p| p.kind);
    if !had_prompt && matches!(opened, Some(PromptKind::Expression(_))) {
        editor::opened(state, effects);
    }
    if let Some(Go { target, instead }) = go {
        if instead {
            close_top(state, effects);
        }
        open(state, target, effects);
    }
}

/// Takes the view on screen off the stack, cancelling what it asked.
fn close_top(state: &mut State, effects: &mut Vec<Effect>) {
    if let Some(view) = state.views.pop() {
        effects.extend(view.screen().requests().into_iter().map(Effect::Cancel));
    }
}
