//! `update`: the only place state changes. Pure: no I/O, no clock (time
//! comes in as `now`); what should happen outside is returned as effects.

use super::action::Action;
use super::alerts::{self, AlertsModel, AlertsView};
use super::cluster;
use super::complete::{self, Context, FUNCTIONS, Names, Slot};
use super::effect::{Effect, RequestId};
use super::layout;
use super::metrics::{self, MetricsModel, MetricsView};
use super::msg::{Alerts, Metrics, Msg};
use super::state::{
    Completion, Loadable, LogSource, LogsView, Message, Older, Prompt, PromptKind, Search, State,
    TraceModel, TraceView, View,
};
use crate::history;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::TextArea;
use std::time::Duration;
use triage_core::backend::cluster::Namespaces;
use triage_core::backend::{BackendError, ErrorKind};
use triage_core::domain::{LogLine, Nanos, SafeText, TimeRange, Trace, TraceId};

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
            keep_cursor_in_view(state);
            state.dirty = true;
        }
        Msg::Resize { width, height } => {
            state.width = width;
            state.height = height;
            for view in &mut state.views {
                if let View::Metrics(MetricsView {
                    load: Loadable::Ready(model),
                    ..
                }) = view
                {
                    model.fit(layout::metrics_chart_dots(width));
                }
            }
            keep_cursor_in_view(state);
            state.dirty = true;
        }
        Msg::Tick => state.dirty |= state.shows_time(),
        Msg::LogsLoaded { id, result } => logs_loaded(state, id, result, &mut effects),
        Msg::TraceLoaded { id, result } => trace_loaded(state, id, result),
        Msg::MetricsLoaded { id, result } => metrics_loaded(state, id, result, &mut effects),
        Msg::AlertsLoaded { id, result } => alerts_loaded(state, id, result),
        Msg::NamesLoaded { id, names, result } => {
            names_loaded(state, id, names, result, &mut effects)
        }
        Msg::PodsChanged { id, changes } => cluster::pods_changed(state, id, changes, &mut effects),
        Msg::EventsLoaded { id, result } => cluster::events_loaded(state, id, result),
        Msg::PodLogs { id, result } => cluster::pod_logs(state, id, result),
        Msg::PodLogsEnded { id } => cluster::pod_logs_ended(state, id),
    }
    effects
}

/// Opens a log query as a new view and asks for its first page.
pub fn open_logs(state: &mut State, logql: String, effects: &mut Vec<Effect>) {
    let view = LogsView::new(logql, TimeRange::last(state.settings.since, state.now));
    state.views.push(View::Logs(view));
    fetch_page(state, effects);
}

/// Opens a trace as a new view and asks for it.
pub fn open_trace(state: &mut State, trace_id: TraceId, effects: &mut Vec<Effect>) {
    let id = state.next_request_id();
    let load = Loadable::Loading {
        id,
        since: state.now,
    };
    state.views.push(View::Trace(TraceView { trace_id, load }));
    effects.push(Effect::FetchTrace { id, trace_id });
}

/// Opens a PromQL expression as a graph over `span` ending at `end`.
pub fn open_metrics(
    state: &mut State,
    promql: String,
    span: Duration,
    end: Nanos,
    effects: &mut Vec<Effect>,
) {
    let view = MetricsView::new(
        promql,
        span,
        end.min(state.now),
        Loadable::Loading {
            id: RequestId(0),
            since: state.now,
        },
    );
    state.views.push(View::Metrics(view));
    fetch_metrics(state, effects);
}

/// Opens the list of firing and pending alerts and asks for it.
pub fn open_alerts(state: &mut State, effects: &mut Vec<Effect>) {
    let id = state.next_request_id();
    state
        .views
        .push(View::Alerts(AlertsView::loading(id, state.now)));
    effects.push(Effect::FetchAlerts { id });
}

/// Asks for the alerts home shows on top (again, on reload).
pub fn ask_home_alerts(state: &mut State, effects: &mut Vec<Effect>) {
    let (id, now) = (state.next_request_id(), state.now);
    let Some(View::Home { alerts }) = state.views.first_mut() else {
        return;
    };
    if let Some(old) = alerts.as_ref().and_then(|a| a.load.pending()) {
        effects.push(Effect::Cancel(old));
    }
    *alerts = Some(AlertsView::loading(id, now));
    effects.push(Effect::FetchAlerts { id });
}

/// Asks for the current metrics view's window, a point per braille dot.
fn fetch_metrics(state: &mut State, effects: &mut Vec<Effect>) {
    let (id, now, columns) = (
        state.next_request_id(),
        state.now,
        layout::metrics_chart_columns(state.width),
    );
    let Some(View::Metrics(view)) = state.views.last_mut() else {
        return;
    };
    let (range, step) = (view.range(), metrics::step_for(view.span, columns));
    view.load = Loadable::Loading { id, since: now };
    effects.push(Effect::FetchMetrics {
        id,
        promql: view.promql.clone(),
        range,
        step,
    });
}

/// Asks for the next page of the current logs view.
fn fetch_page(state: &mut State, effects: &mut Vec<Effect>) {
    let (id, now, page_size) = (state.next_request_id(), state.now, state.settings.page_size);
    if let Some(View::Logs(logs)) = state.views.last_mut() {
        effects.push(Effect::FetchLogs {
            id,
            query: logs.next_page(page_size),
        });
        logs.older = Older::Loading { id, since: now };
    }
}

fn act(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    match action {
        Action::Quit => state.quit = true,
        Action::Suspend => state.suspend = true,
        Action::ToggleHelp => state.help = !state.help,
        Action::Back => back(state, effects),
        Action::Reload => reload(state, effects),
        Action::OpenCommand => state.input = Some(prompt(PromptKind::Command, "")),
        Action::OpenSearch => open_search(state),
        Action::Input(key) => typed(state, key, effects),
        Action::Submit => submit(state, effects),
        Action::CancelInput => cancel_input(state),
        _ => match state.views.last() {
            Some(View::Logs(_)) => logs_action(state, action, effects),
            Some(View::Trace(_)) => trace_action(state, action, effects),
            Some(View::Metrics(_)) => metrics_action(state, action, effects),
            Some(View::Home { .. } | View::Alerts(_)) => alerts_action(state, action, effects),
            Some(View::Pods(_)) => cluster::pods_action(state, action, effects),
            Some(View::Pod(_)) => cluster::pod_action(state, action, effects),
            None => {}
        },
    }
}

fn back(state: &mut State, effects: &mut Vec<Effect>) {
    if state.views.len() < 2 {
        state.message = Some(info("nothing to go back to (q quits)"));
        return;
    }
    if let Some(view) = state.views.pop() {
        effects.extend(view.requests().into_iter().map(Effect::Cancel));
    }
}

/// Asks again: a log query over the same span of time ending now, or the
/// same trace. The view is replaced, so a late answer to the old request
/// finds nobody waiting.
fn reload(state: &mut State, effects: &mut Vec<Effect>) {
    // Home reloads its alerts, if it shows any (no Prometheus, none).
    if let View::Home { alerts } = state.current() {
        if alerts.is_some() {
            ask_home_alerts(state, effects);
        }
        return;
    }
    effects.extend(state.current().requests().into_iter().map(Effect::Cancel));
    let Some(view) = state.views.pop() else {
        return;
    };
    match view {
        View::Logs(logs) => match logs.source {
            LogSource::Loki(logql) => open_logs(state, logql, effects),
            LogSource::Pod { context, request } => {
                cluster::open_pod_logs(state, context, request, effects)
            }
        },
        View::Pods(pods) => cluster::open_pods_in(state, pods.context, pods.namespaces, effects),
        View::Pod(pod) => cluster::open_pod_in(state, pod.context, pod.key, pod.known, effects),
        View::Trace(trace) => open_trace(state, trace.trace_id, effects),
        View::Metrics(metrics) => {
            let now = state.now;
            open_metrics(state, metrics.promql, metrics.span, now, effects)
        }
        View::Alerts(_) => open_alerts(state, effects),
        home @ View::Home { .. } => state.views.push(home),
    }
}

fn prompt(kind: PromptKind, text: &str) -> Prompt {
    Prompt {
        kind,
        textarea: one_line(text),
        completion: None,
        recalled: None,
    }
}

/// A key typed into a prompt. Ctrl-u clears to the start, as in a shell
/// (the text area would undo).
fn edit(textarea: &mut TextArea<'static>, key: KeyEvent) {
    if key.code == KeyCode::Char('u') && key.modifiers.contains(KeyModifiers::CONTROL) {
        textarea.delete_line_by_head();
    } else {
        textarea.input(key);
    }
}

/// A one-line text area holding `text`, the cursor at its end.
fn one_line(text: &str) -> TextArea<'static> {
    let mut textarea = TextArea::new(vec![text.to_owned()]);
    textarea.move_cursor(ratatui_textarea::CursorMove::End);
    textarea
}

fn prompt_text(prompt: &Prompt) -> String {
    prompt.textarea.lines().join("")
}

fn open_search(state: &mut State) {
    if let Some(View::Pods(pods)) = state.views.last_mut() {
        let pattern = pods.open_filter();
        state.input = Some(prompt(PromptKind::Search, &pattern));
        return;
    }
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let previous = logs.search.as_ref().map(|s| s.pattern.clone());
    let origin = logs.row_index(logs.selected).unwrap_or(0);
    let pattern = previous.clone().unwrap_or_default();
    logs.search = Some(Search::new(pattern.clone(), origin, previous));
    state.input = Some(prompt(PromptKind::Search, &pattern));
}

fn typed(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.input.as_mut() else {
        return;
    };
    if prompt.kind == PromptKind::Promql {
        return promql_typed(state, key, effects);
    }
    edit(&mut prompt.textarea, key);
    if prompt.kind != PromptKind::Search {
        return;
    }
    // Incremental: every keystroke moves to the first match from where the
    // search started (pods: filters the list).
    let pattern = prompt_text(prompt);
    if let Some(View::Pods(pods)) = state.views.last_mut() {
        return pods.filter_by(pattern);
    }
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let Some(Search {
        origin, previous, ..
    }) = logs.search.take()
    else {
        return;
    };
    logs.reshow(|l| l.search = Some(Search::new(pattern, origin, previous)));
    let from = logs.position_of(origin);
    if let Some(hit) = logs
        .find_match(from, true)
        .or_else(|| logs.find_match(from, false))
    {
        logs.selected = hit;
    }
}

fn submit(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.input.take() else {
        return;
    };
    let text = prompt_text(&prompt);
    match prompt.kind {
        PromptKind::Command => run_command(state, text.trim(), effects),
        PromptKind::Promql => run_promql(state, text.trim().to_owned(), effects),
        PromptKind::Search => {
            if let Some(View::Pods(pods)) = state.views.last_mut() {
                if let Some(Search { regex: Err(e), .. }) = &pods.filter {
                    state.message = Some(error(format!("filter: {e}")));
                }
                return;
            }
            let Some(View::Logs(logs)) = state.views.last_mut() else {
                return;
            };
            if text.is_empty() {
                logs.reshow(|l| {
                    l.search = None;
                    l.filter = false;
                });
            } else if let Some(Search { regex: Err(e), .. }) = &logs.search {
                state.message = Some(error(format!("search: {e}")));
            } else if logs.find_match(0, true).is_none() {
                state.message = Some(info(format!("no loaded line matches /{text}/")));
            }
        }
    }
}

/// Esc in a prompt: an open completion list closes first; a search goes
/// back to the search and line before it.
fn cancel_input(state: &mut State) {
    if let Some(prompt) = state.input.as_mut()
        && prompt
            .completion
            .take()
            .is_some_and(|c| !c.names.is_empty())
    {
        return;
    }
    let Some(prompt) = state.input.take() else {
        return;
    };
    if prompt.kind != PromptKind::Search {
        return;
    }
    if let Some(View::Pods(pods)) = state.views.last_mut() {
        return pods.cancel_filter();
    }
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    let Some(Search {
        origin, previous, ..
    }) = logs.search.take()
    else {
        return;
    };
    logs.reshow(|l| {
        l.search = previous.map(|p| Search::new(p, origin, None));
        l.filter &= l.search.is_some();
    });
    logs.selected = logs.position_of(origin);
    logs.clamp();
}

fn run_command(state: &mut State, command: &str, effects: &mut Vec<Effect>) {
    let (verb, rest) = command
        .split_once(char::is_whitespace)
        .unwrap_or((command, ""));
    let rest = rest.trim();
    match verb {
        "" => {}
        "q" | "q!" | "quit" => state.quit = true,
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
        "metrics" | "m" if !rest.is_empty() => {
            let (span, now) = (state.settings.since, state.now);
            open_metrics(state, rest.to_owned(), span, now, effects)
        }
        "alerts" | "a" => open_alerts(state, effects),
        "pods" | "po" | "p" => cluster::open_pods(state, effects),
        "ns" | "namespace" if !rest.is_empty() => {
            let namespaces = match rest {
                "all" | "-A" | "*" => Namespaces::All,
                ns if triage_core::domain::pod::is_dns_name(ns, 63) => {
                    Namespaces::One(ns.to_owned())
                }
                ns => {
                    let ns = SafeText::new(ns);
                    state.message = Some(error(format!("not a namespace's name: {ns}")));
                    return;
                }
            };
            cluster::set_scope(state, Some(namespaces), None, effects)
        }
        "ctx" | "context" if !rest.is_empty() => {
            cluster::set_scope(state, None, Some(rest.to_owned()), effects)
        }
        "ns" | "namespace" | "ctx" | "context" => {
            state.message = Some(info(format!(
                "pods: {} (:ns NAME or :ns all, :ctx NAME)",
                cluster::scope_text(state)
            )))
        }
        "metrics" | "m" => {
            state.message = Some(error(
                "usage: :metrics PROMQL, e.g. :metrics sum by (code) (rate(http_requests_total[5m]))",
            ))
        }
        "logs" | "l" => {
            state.message = Some(error(
                "usage: :logs LOGQL, e.g. :logs {app=\"api\"} |= \"error\"",
            ))
        }
        "trace" | "t" => state.message = Some(error("usage: :trace TRACE-ID")),
        _ => {
            state.message = Some(error(format!(
                "unknown command :{verb} (try :logs, :trace, :metrics, :alerts, :pods, :ns, :ctx, :q)"
            )))
        }
    }
}

/// Where a movement takes a cursor in a list of `len` rows, `page` to a screen.
pub(super) fn moved(selected: usize, len: usize, page: usize, action: Action) -> Option<usize> {
    let last = len.saturating_sub(1);
    let page = page.max(1);
    Some(match action {
        Action::Down => (selected + 1).min(last),
        Action::Up => selected.saturating_sub(1),
        Action::PageDown => (selected + page).min(last),
        Action::PageUp => selected.saturating_sub(page),
        Action::Top => 0,
        Action::Bottom => last,
        _ => return None,
    })
}

fn logs_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let rows = layout::body_rows(state.height);
    let Some(View::Logs(logs)) = state.views.last_mut() else {
        return;
    };
    if let Some(to) = moved(logs.selected, logs.shown_len(), rows, action) {
        logs.selected = to;
        return fetch_older_if_near_end(state, effects);
    }
    match action {
        Action::ToggleWrap => logs.wrap = !logs.wrap,
        Action::OpenPod => cluster::pod_of_line(state, effects),
        Action::ZoomOut | Action::ZoomIn if matches!(logs.source, LogSource::Pod { .. }) => {
            cluster::restream(state, action == Action::ZoomOut, effects)
        }
        Action::ToggleFilter if logs.search.is_none() => {
            state.message = Some(info(
                "search first (/), then f shows only the matching lines",
            ));
        }
        Action::ToggleFilter => logs.reshow(|l| l.filter = !l.filter),
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
        Action::Open => match logs
            .selected_row()
            .map(|r| r.traces.first().map(|m| m.trace_id))
        {
            Some(Some(trace_id)) => open_trace(state, trace_id, effects),
            Some(None) => state.message = Some(info("no trace id on this line")),
            None => {}
        },
        _ => {}
    }
}

/// Asks for the next older page when the cursor nears the oldest line.
fn fetch_older_if_near_end(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(View::Logs(logs)) = state.views.last() else {
        return;
    };
    let near_end = logs.selected + PREFETCH_ROWS >= logs.shown_len();
    if logs.loaded && matches!(logs.older, Older::More) && near_end {
        fetch_page(state, effects);
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
    state.dirty = true;
    let lines = match result {
        Ok(lines) => lines,
        Err(e) => {
            state.message = Some(error(describe(&e)));
            logs.older = Older::Failed(e);
            return;
        }
    };
    let full = lines.len() >= page_size;
    let added = logs.append(lines, &rules);
    logs.loaded = true;
    logs.older = if full { Older::More } else { Older::Exhausted };
    // A full page that added nothing is a page of lines that all share the
    // oldest instant: step past it rather than ask for it again.
    logs.skip_instant = full && added == 0;
    if logs.skip_instant {
        state.message = Some(info(format!(
            "more than {page_size} lines share one timestamp; the rest of them are skipped"
        )));
    }
    // The cursor may already be waiting at the end for more. Not when
    // filtering: a rare match would pull in the whole range.
    if matches!(state.views.last(), Some(View::Logs(l)) if l.pending().is_none() && !l.filter) {
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

fn trace_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    if action == Action::OpenPod {
        return cluster::pod_of_span(state, effects);
    }
    let height = state.height;
    let Some(View::Trace(TraceView {
        load: Loadable::Ready(model),
        ..
    })) = state.views.last_mut()
    else {
        return;
    };
    let page = layout::trace_list_rows(height, model.detail);
    if let Some(to) = moved(model.selected, model.visible.len(), page, action) {
        model.selected = to;
        return;
    }
    let Some(row) = model.selected_row() else {
        return;
    };
    let has_children = model.waterfall.has_children(row);
    match action {
        Action::ToggleDetail => model.detail = !model.detail,
        Action::ToggleCollapse => model.set_collapsed(row, !model.collapsed[row]),
        Action::Collapse if has_children && !model.collapsed[row] => model.set_collapsed(row, true),
        Action::Collapse => {
            if let Some(parent) = model.waterfall.parent_row(row) {
                model.select_row(parent);
            }
        }
        Action::Expand if model.collapsed[row] => model.set_collapsed(row, false),
        Action::Expand if has_children => model.select_row(row + 1),
        _ => {}
    }
}

fn metrics_loaded(
    state: &mut State,
    id: RequestId,
    result: Result<Metrics, BackendError>,
    effects: &mut Vec<Effect>,
) {
    let waiting = state
        .views
        .iter()
        .position(|v| matches!(v, View::Metrics(m) if m.pending() == Some(id)));
    let Some(at) = waiting else { return }; // stale
    let dots = layout::metrics_chart_dots(state.width);
    let Some(View::Metrics(view)) = state.views.get_mut(at) else {
        return;
    };
    // Prometheus refused the expression (bad_data): back into the editor,
    // with its words right under it.
    let refused = matches!(&result, Err(e) if e.status == Some(400));
    view.load = match result {
        Ok(Metrics {
            series,
            exemplars,
            unit,
        }) => {
            let mut model =
                MetricsModel::new(series.data, series.warnings, exemplars, view.range(), dots);
            model.unit = unit;
            Loadable::Ready(model)
        }
        Err(e) => Loadable::Failed(e),
    };
    if refused && at + 1 == state.views.len() && state.input.is_none() {
        edit_promql(state, effects);
    }
    state.dirty = true;
}

/// Opens the editor on the metrics view's expression. Names that failed
/// to load are asked for again.
fn edit_promql(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(View::Metrics(view)) = state.views.last() else {
        return;
    };
    state.input = Some(prompt(PromptKind::Promql, &view.promql));
    state.names.retain(|_, names| names.failed().is_none());
    refresh_completion(state, effects);
}

/// A key in the PromQL editor: Tab accepts a name, ↑/↓ choose among names
/// when there are some and walk the history when not.
fn promql_typed(state: &mut State, key: KeyEvent, effects: &mut Vec<Effect>) {
    let Some(prompt) = state.input.as_mut() else {
        return;
    };
    let choices = prompt.completion.as_ref().map_or(0, |c| c.names.len());
    match key.code {
        KeyCode::Tab => accept_completion(prompt),
        KeyCode::Up | KeyCode::Down if choices > 0 => {
            if let Some(c) = prompt.completion.as_mut() {
                let step = if key.code == KeyCode::Up {
                    choices - 1
                } else {
                    1
                };
                c.selected = (c.selected + step) % choices;
            }
            return;
        }
        KeyCode::Up | KeyCode::Down => {
            return recall(prompt, &state.promql_history, key.code == KeyCode::Up);
        }
        _ => {
            edit(&mut prompt.textarea, key);
            prompt.recalled = None;
        }
    }
    refresh_completion(state, effects);
}

/// Replaces the word at the cursor with the chosen name.
fn accept_completion(prompt: &mut Prompt) {
    let Some(completion) = prompt.completion.take() else {
        return;
    };
    let Some(name) = completion.names.get(completion.selected) else {
        return;
    };
    for _ in completion.context.prefix.chars() {
        prompt.textarea.delete_char();
    }
    prompt
        .textarea
        .insert_str(completion.context.insertion(name));
}

/// ↑ an older expression, ↓ a newer one, and past the newest what was
/// being typed.
fn recall(prompt: &mut Prompt, history: &[String], older: bool) {
    let (at, draft) = prompt
        .recalled
        .take()
        .unwrap_or_else(|| (history.len(), prompt_text(prompt)));
    let at = if older {
        at.saturating_sub(1)
    } else {
        (at + 1).min(history.len())
    };
    prompt.textarea = one_line(history.get(at).unwrap_or(&draft));
    prompt.completion = None;
    prompt.recalled = Some((at, draft));
}

/// The names that fit the word at the editor's cursor, asking Prometheus
/// for a list the first time it is needed.
fn refresh_completion(state: &mut State, effects: &mut Vec<Effect>) {
    let Some(before) = state
        .input
        .as_ref()
        .filter(|p| p.kind == PromptKind::Promql)
        .map(text_before_cursor)
    else {
        return;
    };
    let completion = complete::context(&before).map(|context| Completion {
        names: names_for(state, &context, effects),
        context,
        selected: 0,
    });
    if let Some(prompt) = state.input.as_mut() {
        prompt.completion = completion;
    }
}

fn text_before_cursor(prompt: &Prompt) -> String {
    let cursor = prompt.textarea.cursor();
    let (row, col) = (cursor.0, cursor.1);
    let line = prompt.textarea.lines().get(row).map_or("", String::as_str);
    line.chars().take(col).collect()
}

/// Shown at most in the completion list.
const COMPLETIONS: usize = 8;

fn names_for(state: &mut State, context: &Context, effects: &mut Vec<Effect>) -> Vec<String> {
    let names = context.names();
    match state.names.get(&names) {
        Some(Loadable::Ready(known)) => {
            let functions = if context.slot == Slot::Metric {
                FUNCTIONS
            } else {
                &[]
            };
            let all = known
                .iter()
                .map(String::as_str)
                .chain(functions.iter().copied());
            complete::candidates(all, &context.prefix, COMPLETIONS)
        }
        Some(_) => Vec::new(),
        None => {
            let (id, since) = (state.next_request_id(), state.now);
            state
                .names
                .insert(names.clone(), Loadable::Loading { id, since });
            effects.push(Effect::FetchNames { id, names });
            Vec::new()
        }
    }
}

fn names_loaded(
    state: &mut State,
    id: RequestId,
    names: Names,
    result: Result<Vec<SafeText>, BackendError>,
    effects: &mut Vec<Effect>,
) {
    let Some(slot) = state
        .names
        .get_mut(&names)
        .filter(|n| n.pending() == Some(id))
    else {
        return;
    };
    *slot = match result {
        Ok(list) => Loadable::Ready(list.iter().map(ToString::to_string).collect()),
        Err(e) => Loadable::Failed(e),
    };
    // Only the list the open completion waits for: a late answer for an
    // earlier word must not reopen a closed list or move its cursor.
    let awaited = state.input.as_ref().and_then(|p| p.completion.as_ref());
    if awaited.is_some_and(|c| c.context.names() == names) {
        refresh_completion(state, effects);
    }
    state.dirty = true;
}

/// Runs an edited expression in place of the shown one, and keeps it in
/// the history.
fn run_promql(state: &mut State, promql: String, effects: &mut Vec<Effect>) {
    if promql.is_empty() {
        state.message = Some(error("no expression: e to edit, Esc to keep the one shown"));
        return;
    }
    history::remember(&mut state.promql_history, &promql);
    effects.push(Effect::RememberPromql(promql.clone()));
    let Some(View::Metrics(view)) = state.views.last_mut() else {
        return;
    };
    effects.extend(view.pending().map(Effect::Cancel));
    view.title = SafeText::new(&promql);
    view.promql = promql;
    fetch_metrics(state, effects);
}

fn metrics_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    if action == Action::EditQuery {
        return edit_promql(state, effects);
    }
    let now = state.now;
    let Some(View::Metrics(view)) = state.views.last_mut() else {
        return;
    };
    // A new window replaces the request still out for the old one.
    let replaced = view.pending().map(Effect::Cancel);
    match action {
        Action::ZoomOut | Action::ZoomIn => {
            effects.extend(replaced);
            view.span = metrics::zoom(view.span, action == Action::ZoomOut);
            return fetch_metrics(state, effects);
        }
        Action::Earlier | Action::Later => {
            // Half a window at a time, never past now.
            let half = i64::try_from(view.span.as_nanos() / 2).unwrap_or(i64::MAX);
            let end = if action == Action::Earlier {
                view.end.saturating_sub(half)
            } else {
                view.end.saturating_add(half)
            };
            view.end = end.min(now);
            effects.extend(replaced);
            return fetch_metrics(state, effects);
        }
        _ => {}
    }
    let Loadable::Ready(model) = &mut view.load else {
        return;
    };
    if let Some(to) = moved(model.selected, model.exemplars.len(), 10, action) {
        model.selected = to;
        return;
    }
    match action {
        Action::NextSeries if !model.series.is_empty() => {
            model.focus = (model.focus + 1) % model.series.len()
        }
        Action::Isolate => model.isolated = !model.isolated,
        Action::Open => {
            let label = &state.settings.exemplar_trace_label;
            match model
                .exemplars
                .get(model.selected)
                .map(|e| e.trace_id(label))
            {
                Some(Some(trace_id)) => open_trace(state, trace_id, effects),
                Some(None) => {
                    state.message = Some(info(format!("this exemplar has no {label} label")))
                }
                None => state.message = Some(info("no exemplars to open")),
            }
        }
        _ => {}
    }
}

fn alerts_loaded(state: &mut State, id: RequestId, result: Result<Alerts, BackendError>) {
    let waiting = state
        .views
        .iter_mut()
        .filter_map(View::alerts_mut)
        .find(|a| a.load.pending() == Some(id));
    let Some(view) = waiting else { return }; // stale
    view.load = match result {
        Ok(Alerts { alerts, rules }) => Loadable::Ready(AlertsModel::new(alerts, rules)),
        Err(e) => Loadable::Failed(e),
    };
    state.dirty = true;
}

/// Home and the alerts view: walk the list; Enter graphs the alert's
/// expression around when it started.
fn alerts_action(state: &mut State, action: Action, effects: &mut Vec<Effect>) {
    let rows = layout::body_rows(state.height);
    let Some(AlertsView {
        load: Loadable::Ready(model),
        selected,
    }) = state.views.last_mut().and_then(View::alerts_mut)
    else {
        return;
    };
    if let Some(to) = moved(*selected, model.rows.len(), rows, action) {
        *selected = to;
        return;
    }
    if action != Action::Open {
        return;
    }
    let Some(row) = model.rows.get(*selected) else {
        state.message = Some(info("no alert to graph"));
        return;
    };
    let Some(query) = row.query.as_ref().map(ToString::to_string) else {
        let why = model
            .rules_error
            .as_ref()
            .map_or("no rule of that name".to_owned(), describe);
        state.message = Some(error(format!(
            "the expression of {} is not known: {why}",
            row.alert.name()
        )));
        return;
    };
    let (span, end) = alerts::graph_window(row.alert.active_since, state.now, state.settings.since);
    open_metrics(state, query, span, end, effects);
}

fn keep_cursor_in_view(state: &mut State) {
    let (width, height) = (state.width, state.height);
    match state.views.last_mut() {
        Some(View::Logs(logs)) => {
            logs.clamp();
            logs.scroll_into_view(width, layout::body_rows(height));
        }
        Some(View::Trace(TraceView {
            load: Loadable::Ready(model),
            ..
        })) => model.scroll_into_view(layout::trace_list_rows(height, model.detail)),
        Some(View::Pods(pods)) => pods.scroll_into_view(layout::pods_rows(height)),
        _ => {}
    }
}

pub(super) fn info(text: impl Into<String>) -> Message {
    Message {
        text: text.into(),
        is_error: false,
    }
}

pub(super) fn error(text: impl Into<String>) -> Message {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::state::Settings;
    use std::sync::Arc;
    use triage_core::domain::Labels;

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

    fn asked_end(effects: &[Effect]) -> Option<(RequestId, Nanos)> {
        match effects {
            [Effect::FetchLogs { id, query }] => Some((*id, query.range.end)),
            _ => None,
        }
    }

    #[test]
    fn a_full_page_of_one_instant_does_not_loop() {
        let settings = Settings {
            page_size: 3,
            ..Settings::default()
        };
        let mut state = State::new(settings, 80, 20, 1_000);
        let mut effects = Vec::new();
        open_logs(&mut state, "{a=\"b\"}".into(), &mut effects);
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
        assert!(
            state
                .message
                .as_ref()
                .is_some_and(|m| m.text.contains("share one timestamp"))
        );
    }

    #[test]
    fn a_late_list_of_names_leaves_the_list_being_chosen_from_alone() {
        let now = 10_000 * 1_000_000_000;
        let mut state = State::new(Settings::default(), 100, 30, now);
        open_metrics(
            &mut state,
            "up".into(),
            Duration::from_secs(300),
            now,
            &mut Vec::new(),
        );
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
            let c = s.input.as_ref().and_then(|p| p.completion.as_ref());
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
        let mut effects = Vec::new();
        open_metrics(
            &mut state,
            "up".into(),
            Duration::from_secs(3600),
            now,
            &mut effects,
        );
        assert!(
            matches!(effects.as_slice(), [Effect::FetchMetrics { .. }]),
            "{effects:?}"
        );
        let first = state.current().pending();

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
        let Some(Effect::FetchMetrics { range, .. }) = effects.last() else {
            panic!("{effects:?}")
        };
        assert_eq!(range.end, now - 3 * 3600 * 1_000_000_000);
        // Forward twice from there: never past now.
        let _ = update(&mut state, Msg::Action(Action::Later), now);
        let effects = update(&mut state, Msg::Action(Action::Later), now);
        let Some(Effect::FetchMetrics { range, .. }) = effects.last() else {
            panic!("{effects:?}")
        };
        assert_eq!(range.end, now);
    }
}
