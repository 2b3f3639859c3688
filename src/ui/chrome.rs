//! The title row (where you are) and the status row (what is happening).

use super::text::fit;
use super::theme::Styles;
use crate::app::keymap;
use crate::app::prompt::PromptKind;
use crate::app::views::logs::{FollowState, LogSource, LogsView, Older};
use crate::app::views::services::Table;
use crate::app::watch::Watch;
use crate::app::{State, View};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::correlate::Scope;
use triage_core::domain::text::width;
use triage_core::domain::time::NANOS_PER_SEC;

fn view_title(view: &View) -> String {
    match view {
        View::Home(_) => "home".into(),
        View::Logs(logs) => match logs.source {
            LogSource::Loki { .. } if logs.follow.is_some() => {
                format!("logs {} {}", logs.title, buffer(logs))
            }
            LogSource::Loki { .. } => format!("logs {}", logs.title),
            LogSource::Pod { .. } | LogSource::Merged { .. } => {
                format!("logs {} {}", logs.title, buffer(logs))
            }
        },
        View::Trace(trace) => format!("trace {}", &trace.trace_id.to_string()[..8]),
        View::Traces(traces) => format!("traces {}", traces.title),
        View::Metrics(metrics) => format!("metrics {}", metrics.title),
        View::Alerts(_) => "alerts".into(),
        View::Services(services) => match (&services.scope, services.table) {
            (_, Table::Edges) => "services: calls between them".into(),
            (Scope::Services, _) => "services".into(),
            (Scope::Operations { service }, _) => format!("{service} operations"),
        },
        View::Pods(pods) => {
            let context = pods
                .context
                .as_ref()
                .map_or(String::new(), |c| format!(" @{c}"));
            let marked = match pods.marked.len() {
                0 => String::new(),
                n => format!(", {n} marked"),
            };
            format!(
                "pods {}{context} ({}{marked})",
                pods.namespaces,
                pods.rows.len()
            )
        }
        View::Pod(pod) => format!("pod {}", pod.key),
        View::Patterns(patterns) => format!("patterns {}", patterns.title),
    }
}

/// How full a streamed log's buffer is, and what it let go; a followed
/// query's tail, and what Loki could not send.
fn buffer(logs: &LogsView) -> String {
    let mut parts = Vec::new();
    if let Some(follow) = &logs.follow {
        parts.push(match &follow.state {
            FollowState::Connecting => "connecting".to_owned(),
            FollowState::Live => "following".to_owned(),
            FollowState::Reconnecting { attempt, after, .. } => {
                format!(
                    "reconnecting in {}s (attempt {attempt})",
                    after.as_secs_f32().ceil()
                )
            }
        });
    }
    parts.push(format!("{}/{} lines", logs.rows.len(), logs.capacity));
    if logs.dropped > 0 {
        parts.push(format!("{} older dropped", logs.dropped));
    }
    if let Some(n) = logs
        .follow
        .as_ref()
        .map(|f| f.dropped_by_loki)
        .filter(|n| *n > 0)
    {
        parts.push(format!("{n} dropped by Loki"));
    }
    format!("({})", parts.join(", "))
}

/// The views opened, oldest first. Views behind the current one give way
/// to it: each is cut to 30 cells, and the oldest are left out (`…`) until
/// the current one fits whole, counts and all.
fn breadcrumb(state: &State, room: usize) -> String {
    let last = state.views.len().saturating_sub(2);
    let mut path: Vec<String> = (state.views.iter().skip(1).map(view_title).enumerate())
        .map(|(i, title)| if i < last { fit(&title, 30) } else { title })
        .collect();
    let mut joined = path.join(" › ");
    while path.len() > 1 && width(&joined) > room {
        path.remove(0);
        joined = format!("… › {}", path.join(" › "));
    }
    joined
}

pub fn title(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.settings.theme;
    let warning = if state.warnings.is_empty() {
        String::new()
    } else {
        format!(" ⚠ {} ", state.warnings.join(" · "))
    };
    let room = (area.width as usize).saturating_sub(width(&warning));
    let head = format!(" triage · {} │ ", state.settings.context);
    let path = breadcrumb(state, room.saturating_sub(width(&head)));
    let left = head + &path;
    let line = Line::from(vec![
        Span::styled(super::text::pad(&left, room), theme.title()),
        Span::styled(warning, theme.title().patch(theme.error())),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

pub fn status(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.settings.theme;
    // The PromQL editor sits in the metrics view, under its own title.
    if let Some(prompt) = state
        .prompt
        .as_ref()
        .filter(|p| !matches!(p.kind, PromptKind::Expression(_)))
    {
        let [mark, input] =
            Layout::horizontal([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        let symbol = match prompt.kind {
            PromptKind::Search | PromptKind::Filter => "/",
            PromptKind::Threshold => ">",
            _ => ":",
        };
        frame.render_widget(Paragraph::new(symbol).style(theme.accent()), mark);
        frame.render_widget(&prompt.textarea, input);
        return;
    }
    let mut hints = match &state.prompt {
        Some(_) => EDITOR_HINTS.to_owned(),
        None => keymap::hints(state.current().screen(), area.width as usize),
    };
    // A message is what the reader needs now: the hints give way to it.
    let said = state.notice.as_ref().map(super::notice::words);
    if said
        .as_ref()
        .is_some_and(|text| width(text) + 2 + width(&hints) > area.width as usize)
    {
        hints.clear();
    }
    let room = (area.width as usize).saturating_sub(width(&hints) + 1);
    let left = match (&state.notice, loading_since(state)) {
        (Some(notice), _) => {
            let style = if notice.is_error() {
                theme.error()
            } else {
                theme.accent()
            };
            let text = said.unwrap_or_default();
            Span::styled(fit(&format!(" {text}"), room), style)
        }
        (None, Some(since)) => {
            let seconds = (state.now - since).max(0) / NANOS_PER_SEC;
            Span::styled(format!(" loading… {seconds}s"), theme.dim())
        }
        (None, None) => Span::raw(""),
    };
    let gap = room.saturating_sub(width(&left.content));
    let line = Line::from(vec![
        left,
        Span::raw(" ".repeat(gap + 1)),
        Span::styled(hints, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}

fn loading_since(state: &State) -> Option<i64> {
    match state.current() {
        View::Logs(logs) => match logs.older {
            Older::Loading { since, .. } => Some(since),
            _ => None,
        },
        View::Trace(trace) => trace.load.loading_since(),
        View::Traces(traces) => traces.pending.map(|(_, since)| since),
        View::Metrics(metrics) => metrics.load.loading_since(),
        View::Alerts(alerts) => alerts.load.loading_since(),
        View::Pods(pods) => watch_since(&pods.watch),
        View::Pod(pod) => watch_since(&pod.watch).or(pod.events.loading_since()),
        View::Patterns(patterns) => patterns.load.loading_since(),
        View::Services(services) => services
            .red
            .loading_since()
            .or_else(|| services.edges.as_ref().and_then(|e| e.loading_since())),
        View::Home(_) => None,
    }
}

fn watch_since(watch: &Watch) -> Option<i64> {
    match watch {
        Watch::Listing { since, .. } => Some(*since),
        _ => None,
    }
}

/// The expression editor's keys, which are not actions of the keymap.
const EDITOR_HINTS: &str = "Enter run  Tab complete  ↑↓ choose/history  Esc cancel ";
