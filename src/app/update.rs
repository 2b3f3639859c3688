//! `update`: the only place state changes, and the router. Pure: no I/O,
//! no clock (time comes in as `now`); what should happen outside is
//! returned as effects. Global keys, the prompt and the command line are
//! handled here, the stack in `navigate`; everything else goes to a view.

use super::action::Action;
use super::command::{self, Command};
use super::editor;
use super::effect::{Clip, Effect};
use super::msg::Msg;
use super::navigate::{back, deliver, on_top, open, reload};
use super::notice::Notice;
use super::prompt::{Prompt, PromptKind};
use super::screen::{Copied, PromptEvent};
use super::state::State;
use crossterm::event::KeyEvent;
use triage_core::domain::{Nanos, SafeText};

pub fn update(state: &mut State, msg: Msg, now: Nanos) -> Vec<Effect> {
    state.now = now;
    let mut effects = Vec::new();
    let changed = match msg {
        Msg::Action(action) => {
            act(state, action, &mut effects);
            true
        }
        Msg::Open(target) => {
            open(state, target, &mut effects);
            true
        }
        Msg::Resize { width, height } => {
            (state.width, state.height) = (width, height);
            for view in &mut state.views {
                view.screen_mut().fit(width, height);
            }
            true
        }
        Msg::Tick => state.shows_time(),
        Msg::NamesLoaded { id, names, result } => {
            editor::names_loaded(state, id, names, result, &mut effects)
        }
        result => deliver(state, result, &mut effects),
    };
    if changed {
        state.generation += 1;
    }
    effects
}

fn act(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    if !matches!(action, Action::Input(_) | Action::Submit) {
        state.notice = None;
    }
    match action {
        Action::Quit => state.quit = true,
        Action::Suspend => state.suspend = true,
        Action::ToggleHelp => state.help = !state.help,
        Action::Back => back(state, effects),
        Action::Reload => reload(state, effects),
        Action::Copy | Action::CopyView => copy(state, action == Action::CopyView, effects),
        Action::OpenCommand => state.prompt = Some(Prompt::new(PromptKind::Command, "")),
        Action::Input(key) => typed(state, key, effects),
        Action::Submit => submit(state, effects),
        Action::CancelInput => cancel_input(state, effects),
        _ => on_top(state, effects, |view, cx| view.act(action, cx)),
    }
    let (width, height) = (state.width, state.height);
    if let Some(view) = state.views.last_mut() {
        view.screen_mut().fit(width, height);
    }
}

/// `y`: the selection's value to the clipboard; `Y`: the view's text.
fn copy(state: &mut State, whole_view: bool, effects: &mut Vec<Effect>) {
    if !state.settings.clipboard {
        state.notice = Some(Notice::ClipboardOff);
        return;
    }
    let (what, clip) = if whole_view {
        ("the view", Clip::View)
    } else {
        match state.current().screen().copied() {
            Some(Copied { what, text }) if text.len() > crate::clipboard::MAX_BYTES => {
                state.notice = Some(Notice::TooLongToCopy(what));
                return;
            }
            Some(Copied { what, text }) => (what, Clip::Text(text)),
            None => {
                state.notice = Some(Notice::NothingToCopy);
                return;
            }
        }
    };
    let bytes = match &clip {
        Clip::Text(text) => Some(text.len()),
        Clip::View => None,
    };
    state.notice = Some(Notice::Copied { what, bytes });
    effects.push(Effect::Clipboard(clip));
}

fn typed(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    match prompt.kind {
        PromptKind::Expression(_) => return editor::typed(state, key, effects),
        PromptKind::Command => return prompt.edit(key),
        PromptKind::Search | PromptKind::Filter | PromptKind::Threshold => prompt.edit(key),
    }
    let text = prompt.text();
    to_view(state, effects, PromptEvent::Edited(text));
}

fn submit(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.take() else {
        return;
    };
    let mut text = prompt.text();
    if prompt.kind == PromptKind::Command {
        return run_command(state, &text, effects);
    }
    if let PromptKind::Expression(language) = prompt.kind {
        text = text.trim().to_owned();
        if !text.is_empty() {
            editor::remember(state, language, &text, effects);
        }
    }
    to_view(state, effects, PromptEvent::Submitted(text));
}

/// Esc in a prompt: an open completion list closes first; a search or
/// filter goes back to what it was before.
fn cancel_input(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.prompt.as_mut() else {
        return;
    };
    if prompt
        .completion
        .take()
        .is_some_and(|c| !c.names.is_empty())
    {
        return;
    }
    let kind = prompt.kind;
    state.prompt = None;
    if matches!(
        kind,
        PromptKind::Search | PromptKind::Filter | PromptKind::Threshold
    ) {
        to_view(state, effects, PromptEvent::Cancelled);
    }
}

/// The view on screen hears what happened to the prompt it opened.
fn to_view(state: &mut State, effects: &mut Vec<Effect>, event: PromptEvent) {
    on_top(state, effects, |view, cx| view.prompt(event, cx));
}

fn run_command(state: &mut State, line: &str, effects: &mut Vec<Effect>) {
    match command::parse(line, state.settings.since, state.now) {
        Command::Go(target) => open(state, target, effects),
        Command::Quit => state.quit = true,
        Command::Help => state.help = true,
        Command::Scope {
            namespaces,
            context,
        } => {
            state.kube.change(namespaces, context);
            let mut followed = false;
            on_top(state, effects, |view, cx| followed = view.follow_scope(cx));
            if !followed {
                state.notice = Some(Notice::Scope(scope_text(state)));
            }
        }
        Command::ShowScope => state.notice = Some(Notice::ScopeUsage(scope_text(state))),
        Command::Nothing => {}
        Command::Refused(notice) => state.notice = Some(notice),
    }
}

fn scope_text(state: &State) -> SafeText {
    SafeText::new(&state.kube.to_string())
}
