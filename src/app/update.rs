//! `update`: the only place state changes. Pure: no I/O, no clock (time
//! comes in as `now`); what should happen outside is returned as effects.

use super::action::Action;
use super::effect::{Effect, RequestId};
use super::layout;
use super::msg::Msg;
use super::state::{
    Loadable, LogsView, Message, Older, Prompt, PromptKind, Search, State, TraceModel, TraceView,
    View,
};
use crate::backend::{BackendError, ErrorKind};
use crate::domain::{LogLine, Nanos, TimeRange, Trace, TraceId};
use ratatui_textarea::TextArea;
use regex::Regex;

/// Rows from the end of the loaded lines at which the next page is asked for.
const PREFETCH_ROWS: usize = 50;

pub fn update(state: &mut State, msg: Msg, now: Nanos) -> Vec<Effect> {
    state.now = now;
    let mut effects = Vec::new();
    match msg {
        Msg::Action(action) => {
            if !matches!(action, Action::Input(_) | Action::Submit) {
                state.message = None;
            }
            act(state, action, &mut effects);
            state.dirty = true;
        }
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            keep_cursor_in_view(state);
            state.dirty = true;
        }
        Msg::Tick => state.dirty |= state.is_loading(),
        Msg::LogsLoaded { id, result } => logs_loaded(state, id, result, &mut effects),
        Msg::TraceLoaded { id, result } => trace_loaded(state, id, result),
    }
    effects
}

/// Opens a log query as a new view and asks for its first page.
pub fn open_logs(state: &mut State, logql: String, effects: &mut Vec<Effect>) {
    let range = TimeRange::last(state.settings.since, state.now);
    let mut view = LogsView::new(logql, range);
    let id = state.next_request_id();
    let query = view.next_page(state.settings.page_size);
    view.older = Older::Loading {
        id,
        since: state.now,
    };
    state.views.push(View::Logs(view));
    effects.push(Effect::FetchLogs { id, query });
}

/// Opens a trace as a new view and asks for it.
pub fn open_trace(state: &mut State, trace_id: TraceId, effects: &mut Vec<Effect>) {
    let id = state.next_request_id();
    state.views.push(View::Trace(TraceView {
        trace_id,
        load: Loadable::Loading {
            id,
            since: state.now,
        },
    }));
    effects.push(Effect::FetchTrace { id, trace_id });
}

fn act(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Quit => {
            state.quit = true;
            effects.push(Effect::Quit);
        }
        Action::ToggleHelp => state.help = !state.help,
        Action::Back => back(state, effects),
        Action::OpenCommand => state.input = Some(prompt(PromptKind::Command, "")),
        Action::OpenSearch => open_search(state),
        Action::Input(key) => typed(state, key),
        Action::Submit => submit(state, effects),
        Action::CancelInput => cancel_input(state),
        _ => match state.views.last_mut() {
            Some(View::Logs(_)) => logs_action(state, action, effects),
            Some(View::Trace(_)) => trace_action(state, action),
            _ => {}
        },
    }
}

fn back(state: &mut State, effects: &mut Vec<Effect>) {
    if state.views.len() < 2 {
        state.message = Some(info("nothing to go back to (q quits)"));
        return;
    }
    if let Some(id) = state.views.pop().and_then(|v| v.pending()) {
        effects.push(Effect::Cancel(id));
    }
}

fn prompt(kind: PromptKind, text: &str) -> Prompt {
    let mut textarea = TextArea::new(vec![text.to_owned()]);
    textarea.move_cursor(ratatui_textarea::CursorMove::End);
    Prompt { kind, textarea }
}

fn prompt_text(prompt: &Prompt) -> String {
    prompt.textarea.lines().join("")
}

fn open_search(state: &mut State) {
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let pattern = logs
        .search
        .as_ref()
        .map(|s| s.pattern.clone())
        .unwrap_or_default();
    let origin = logs.selected;
    logs.search = Some(Search {
        regex: compile(&pattern),
        pattern: pattern.clone(),
        origin,
    });
    state.input = Some(prompt(PromptKind::Search, &pattern));
}

fn compile(pattern: &str) -> Result<Regex, String> {
    // Lower-case patterns match either case, as in less and vim's smartcase.
    let case_insensitive = !pattern.chars().any(char::is_uppercase);
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("bad regex")
                .to_owned()
        })
}

fn typed(state: &mut State, key: crossterm::event::KeyEvent) {
    let Some(prompt) = state.input.as_mut() else {
        return;
    };
    prompt.textarea.input(key);
    if prompt.kind != PromptKind::Search {
        return;
    }
    // Incremental: every keystroke moves to the first match from where the
    // search started.
    let pattern = prompt_text(prompt);
    let (width, rows) = (state.width, layout::body_rows(state.height));
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let origin = logs.search.as_ref().map_or(logs.selected, |s| s.origin);
    logs.search = Some(Search {
        regex: compile(&pattern),
        pattern,
        origin,
    });
    if logs.filter {
        logs.refilter();
    }
    if let Some(hit) = logs
        .find_match(origin, true)
        .or_else(|| logs.find_match(origin, false))
    {
        logs.selected = hit;
    }
    logs.scroll_into_view(width, rows);
}

fn submit(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.input.take() else {
        return;
    };
    let text = prompt_text(&prompt);
    match prompt.kind {
        PromptKind::Command => run_command(state, text.trim(), effects),
        PromptKind::Search => {
            if let Some(View::Logs(logs)) = state.views.last_mut() {
                if text.is_empty() {
                    logs.search = None;
                    logs.filter = false;
                    logs.refilter();
                } else if let Some(Search { regex: Err(e), .. }) = &logs.search {
                    state.message = Some(error(format!("search: {e}")));
                } else if logs.find_match(0, true).is_none() {
                    state.message = Some(info(format!("no loaded line matches /{text}/")));
                }
            }
        }
    }
}

fn cancel_input(state: &mut State) {
    let Some(prompt) = state.input.take() else {
        return;
    };
    if prompt.kind == PromptKind::Search
        && let Some(View::Logs(logs)) = state.views.last_mut()
    {
        let origin = logs.search.take().map_or(logs.selected, |s| s.origin);
        logs.filter = false;
        logs.refilter();
        logs.selected = origin;
        logs.clamp();
    }
}

fn run_command(state: &mut State, command: &str, effects: &mut Vec<Effect>) {
    let (verb, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let rest = rest.trim();
    match verb {
        "" => {}
        "q" | "q!" | "quit" => act(state, Action::Quit, effects),
        "help" => state.help = true,
        "logs" | "l" if !rest.is_empty() => open_logs(state, rest.to_owned(), effects),
        "trace" | "t" if !rest.is_empty() => match TraceId::parse(rest) {
            Some(id) => open_trace(state, id, effects),
            None => {
                state.message = Some(error(format!(
                    "not a trace id: {rest} (32 or 16 hex digits)"
                )))
            }
        },
        "logs" | "l" => {
            state.message = Some(error(
                "usage: :logs <logql>, e.g. :logs {app=\"api\"} |= \"error\"",
            ))
        }
        "trace" | "t" => state.message = Some(error("usage: :trace <trace id>")),
        _ => {
            state.message = Some(error(format!(
                "unknown command :{verb} (try :logs, :trace, :q)"
            )))
        }
    }
}

fn logs_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let (width, rows) = (state.width, layout::body_rows(state.height));
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let last = logs.shown_len().saturating_sub(1);
    match action {
        Action::Down => logs.selected = (logs.selected + 1).min(last),
        Action::Up => logs.selected = logs.selected.saturating_sub(1),
        Action::PageDown => logs.selected = (logs.selected + rows.max(1)).min(last),
        Action::PageUp => logs.selected = logs.selected.saturating_sub(rows.max(1)),
        Action::Top => logs.selected = 0,
        Action::Bottom => logs.selected = last,
        Action::ToggleWrap => logs.wrap = !logs.wrap,
        Action::ToggleFilter => {
            if logs.search.is_none() {
                state.message = Some(info(
                    "search first (/), then f shows only the matching lines",
                ));
                return;
            }
            logs.filter = !logs.filter;
            logs.refilter();
        }
        Action::NextMatch | Action::PrevMatch => {
            let forward = action == Action::NextMatch;
            let from = if forward {
                logs.selected + 1
            } else {
                logs.selected.saturating_sub(1)
            };
            match logs.find_match(from, forward) {
                Some(hit) if hit != logs.selected || forward => logs.selected = hit,
                _ if logs.search.is_none() => {
                    state.message = Some(info("no search: press / first"))
                }
                _ => state.message = Some(info("no more matches in the loaded lines")),
            }
        }
        Action::Open => {
            let target = logs
                .selected_row()
                .map(|r| r.traces.first().map(|m| m.trace_id));
            match target {
                Some(Some(trace_id)) => return open_trace(state, trace_id, effects),
                Some(None) => state.message = Some(info("no trace id on this line")),
                None => {}
            }
        }
        _ => {}
    }
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    logs.scroll_into_view(width, rows);
    fetch_older_if_near_end(state, effects);
}

/// Asks for the next older page when the cursor nears the oldest line.
fn fetch_older_if_near_end(state: &mut State, effects: &mut Vec<Effect>) {
    let page_size = state.settings.page_size;
    let now = state.now;
    let Some(View::Logs(logs)) = state.views.last() else {
        return;
    };
    let near_end = logs.selected + PREFETCH_ROWS >= logs.shown_len();
    if !(logs.loaded && matches!(logs.older, Older::More) && near_end) {
        return;
    }
    let id = state.next_request_id();
    if let Some(View::Logs(logs)) = state.views.last_mut() {
        effects.push(Effect::FetchLogs {
            id,
            query: logs.next_page(page_size),
        });
        logs.older = Older::Loading { id, since: now };
    }
}

fn logs_loaded(
    state: &mut State,
    id: RequestId,
    result: Result<Vec<LogLine>, BackendError>,
    effects: &mut Vec<Effect>,
) {
    let page_size = state.settings.page_size as usize;
    let rules = state.settings.derived_fields.clone();
    let waiting = state.views.iter_mut().find_map(|v| match v {
        View::Logs(logs) if logs.pending() == Some(id) => Some(logs),
        _ => None,
    });
    let Some(logs) = waiting else { return }; // stale: the user moved on
    match result {
        Ok(lines) => {
            logs.older = if lines.len() < page_size {
                Older::Exhausted
            } else {
                Older::More
            };
            logs.loaded = true;
            logs.append(lines, &rules);
        }
        Err(e) => {
            let message = describe(&e);
            logs.older = Older::Failed(e);
            state.message = Some(error(message));
        }
    }
    state.dirty = true;
    // The cursor may already be waiting at the end for more.
    if matches!(state.views.last(), Some(View::Logs(l)) if l.pending().is_none()) {
        fetch_older_if_near_end(state, effects);
    }
}

fn trace_loaded(state: &mut State, id: RequestId, result: Result<Trace, BackendError>) {
    let waiting = state.views.iter_mut().find_map(|v| match v {
        View::Trace(trace) if trace.pending() == Some(id) => Some(trace),
        _ => None,
    });
    let Some(view) = waiting else { return }; // stale
    view.load = match result {
        Ok(trace) => {
            if let Some(warning) = &trace.partial {
                state.message = Some(error(format!("partial trace: {warning}")));
            }
            Loadable::Ready(TraceModel::new(trace))
        }
        Err(e) => Loadable::Failed(e),
    };
    state.dirty = true;
}

fn trace_action(state: &mut State, action: Action) {
    let height = state.height;
    let Some(View::Trace(TraceView {
        load: Loadable::Ready(model),
        ..
    })) = state.views.last_mut()
    else {
        return;
    };
    let last = model.visible.len().saturating_sub(1);
    let page = layout::trace_list_rows(height, model.detail).max(1);
    let row = model.selected_row();
    match action {
        Action::Down => model.selected = (model.selected + 1).min(last),
        Action::Up => model.selected = model.selected.saturating_sub(1),
        Action::PageDown => model.selected = (model.selected + page).min(last),
        Action::PageUp => model.selected = model.selected.saturating_sub(page),
        Action::Top => model.selected = 0,
        Action::Bottom => model.selected = last,
        Action::ToggleDetail => model.detail = !model.detail,
        Action::ToggleCollapse => {
            if let Some(row) = row {
                model.set_collapsed(row, !model.collapsed[row]);
            }
        }
        Action::Collapse => {
            if let Some(row) = row {
                if model.waterfall.has_children(row) && !model.collapsed[row] {
                    model.set_collapsed(row, true);
                } else if let Some(parent) = model.waterfall.parent_row(row) {
                    model.select_row(parent);
                }
            }
        }
        Action::Expand => {
            if let Some(row) = row {
                if model.collapsed[row] {
                    model.set_collapsed(row, false);
                } else if model.waterfall.has_children(row) {
                    model.select_row(row + 1);
                }
            }
        }
        _ => {}
    }
    model.scroll_into_view(layout::trace_list_rows(height, model.detail));
}

fn keep_cursor_in_view(state: &mut State) {
    let (width, height) = (state.width, state.height);
    match state.views.last_mut() {
        Some(View::Logs(logs)) => logs.scroll_into_view(width, layout::body_rows(height)),
        Some(View::Trace(TraceView {
            load: Loadable::Ready(model),
            ..
        })) => model.scroll_into_view(layout::trace_list_rows(height, model.detail)),
        _ => {}
    }
}

fn info(text: impl Into<String>) -> Message {
    Message {
        text: text.into(),
        is_error: false,
    }
}

fn error(text: impl Into<String>) -> Message {
    Message {
        text: text.into(),
        is_error: true,
    }
}

/// An error in words an engineer at 3 a.m. can act on.
pub fn describe(e: &BackendError) -> String {
    match e.kind {
        ErrorKind::NotConfigured => format!(
            "no {} URL: pass --{} URL, set TRIAGE_{}_URL, or add it to the config",
            e.source,
            e.source.to_string().to_lowercase(),
            e.source.to_string().to_uppercase()
        ),
        ErrorKind::Timeout => format!("{} did not answer in time: {}", e.source, e.message),
        _ => e.to_string(),
    }
}
