//! The logs view: one row per line (or more, wrapped), newest first; the
//! volume histogram above a Loki query's lines.

mod fields;
mod volume;

use super::editor;
use super::format::clock;
use super::text::{fit, highlight, pad, word_wrap, wrap};
use super::theme::Styles;
use crate::app::State;
use crate::app::layout::{self, LOG_TIME_WIDTH, log_prefix_width};
use crate::app::prompt::Language;
use crate::app::views::logs::{FollowState, LogRow, LogsView, Older};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Margin, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::backend::BackendError;
use triage_core::config::Theme;
use triage_core::domain::{Level, structured};

pub fn draw(frame: &mut Frame, area: Rect, view: &LogsView, state: &State) {
    let editor = editor::open(state, Language::LogQl);
    let banner = follow_banner(view, state);
    let volume_rows = view.volume_rows(state.height);
    let pane_rows = view
        .fields
        .as_ref()
        .map_or(0, |_| layout::fields_rows(state.height));
    let header = !view.columns.is_empty();
    let [
        editor_area,
        volume_area,
        banner_area,
        header_area,
        list_area,
        pane_area,
    ] = Layout::vertical([
        Constraint::Length(u16::from(editor.is_some())),
        Constraint::Length(volume_rows as u16),
        Constraint::Length(u16::from(banner.is_some())),
        Constraint::Length(u16::from(header)),
        Constraint::Fill(1),
        Constraint::Length(pane_rows as u16),
    ])
    .areas(area);
    if header {
        let lead = log_prefix_width(view.source_width);
        frame.render_widget(
            Paragraph::new(fields::header(view, lead, state)),
            header_area,
        );
    }
    if let Some(pane) = &view.fields {
        fields::draw_pane(frame, pane_area, view, pane, state);
    }
    if let Some(panel) = view.volume.as_ref().filter(|_| volume_rows > 0) {
        volume::draw(frame, volume_area, view, panel, state);
    }
    if let Some(banner) = banner {
        frame.render_widget(Paragraph::new(banner), banner_area);
    }
    draw_lines(frame, list_area, view, state);
    if let Some(prompt) = editor {
        editor::draw(frame, editor_area, prompt, state);
        // Below Loki's complaint, when there is one, not over it.
        let below = match view.older {
            Older::Failed(_) if view.rows.is_empty() => list_area.inner(Margin::new(0, 1)),
            _ => list_area,
        };
        editor::draw_completion(frame, below, prompt, state);
    }
}

/// Above a followed query's lines: how many new ones wait while the
/// cursor is away from the top, or why the tail is down.
fn follow_banner(view: &LogsView, state: &State) -> Option<Line<'static>> {
    let theme = &state.settings.theme;
    let follow = view.follow.as_ref()?;
    if let FollowState::Reconnecting { error, .. } = &follow.state {
        let words = format!(
            " tail down, reconnecting: {}",
            super::notice::backend_error(error)
        );
        return Some(Line::styled(words, theme.warn()));
    }
    let waiting = follow.waiting.len() as u64 + follow.waiting_dropped;
    (waiting > 0).then(|| {
        let words = format!(" ▲ {waiting} new lines wait: following is paused while the cursor is away from the top (g)");
        Line::styled(words, theme.accent())
    })
}

/// The lines, from the cursor's top down; or why there are none.
fn draw_lines(frame: &mut Frame, area: Rect, view: &LogsView, state: &State) {
    let theme = &state.settings.theme;
    if view.rows.is_empty() {
        let text = match &view.older {
            Older::Loading { .. } => format!(" loading {} …", view.title),
            Older::Failed(e) => failure(e),
            _ => format!(
                " no lines for {} between {} and {}",
                view.title,
                clock(view.range.start, state.settings.utc),
                clock(view.range.end, state.settings.utc)
            ),
        };
        let style = if matches!(view.older, Older::Failed(_)) {
            theme.error()
        } else {
            theme.dim()
        };
        let lines = word_wrap(vec![Line::raw(text)], area.width as usize);
        frame.render_widget(Paragraph::new(lines).style(style), area);
        return;
    }
    let rows = area.height as usize;
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    let mut position = view.cursor.top;
    while lines.len() < rows {
        let Some(row) = view.shown_row(position) else {
            lines.push(end_of_lines(view, state));
            break;
        };
        lines.extend(row_lines(
            row,
            position == view.cursor.selected,
            view,
            state,
            area.width,
        ));
        position += 1;
    }
    lines.truncate(rows);
    frame.render_widget(Paragraph::new(lines).style(theme.text()), area);
}

fn failure(e: &BackendError) -> String {
    format!(" {}", super::notice::backend_error(e))
}

fn level_style(level: Level, theme: &Theme) -> Style {
    match level {
        Level::Error | Level::Fatal => theme.error(),
        Level::Warn => theme.warn(),
        Level::Debug | Level::Trace => theme.debug(),
        Level::Info | Level::Unknown => theme.text(),
    }
}

fn row_lines<'a>(
    row: &'a LogRow,
    selected: bool,
    view: &LogsView,
    state: &State,
    screen_width: u16,
) -> Vec<Line<'a>> {
    let theme = &state.settings.theme;
    let text = row.line.line.as_str();
    let mut layers: Vec<_> = row
        .traces
        .iter()
        .map(|m| (m.range.clone(), theme.trace_id()))
        .collect();
    if let Some(Ok(regex)) = view.search.as_ref().map(|s| &s.pattern.regex) {
        layers.extend(
            regex
                .find_iter(text)
                .map(|m| (m.range(), theme.search_match())),
        );
    }
    let style = level_style(row.level, theme);
    let body = match view.columns.is_empty() {
        true => None,
        false => fields::columns(structured::parse(text), view, style),
    }
    .unwrap_or_else(|| highlight(text, style, &layers));
    let source = view.source(&row.line);
    let source_colour = theme.series(
        source
            .bytes()
            .fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(b as usize)),
    );
    let prefix = vec![
        Span::styled(
            pad(
                &clock(row.line.timestamp, state.settings.utc),
                LOG_TIME_WIDTH,
            ),
            theme.dim(),
        ),
        // Cut to its column, and a space after it however long it is.
        Span::styled(
            pad(&fit(&source, view.source_width), view.source_width + 1),
            source_colour,
        ),
    ];
    let room = (screen_width as usize).saturating_sub(log_prefix_width(view.source_width));
    let mut lines: Vec<Line> = if view.wrap {
        let indent = " ".repeat(log_prefix_width(view.source_width));
        wrap(body, room)
            .into_iter()
            .enumerate()
            .map(|(i, line)| {
                let lead = if i == 0 {
                    prefix.clone()
                } else {
                    vec![Span::raw(indent.clone())]
                };
                Line::from([lead, line.spans].concat())
            })
            .collect()
    } else {
        vec![Line::from([prefix, body].concat())]
    };
    if selected {
        lines = lines
            .into_iter()
            .map(|l| l.style(theme.selection()))
            .collect();
    }
    lines
}

fn end_of_lines(view: &LogsView, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    match &view.older {
        Older::Loading { .. } => Line::styled(" loading older lines…", theme.dim()),
        Older::More => Line::styled(
            " more lines older than these: move down to load",
            theme.dim(),
        ),
        Older::Exhausted if view.dropped > 0 => Line::styled(
            format!(
                " — {} older lines dropped: the buffer keeps the newest {} (log_buffer in the config file) —",
                view.dropped, view.capacity
            ),
            theme.dim(),
        ),
        Older::Exhausted => Line::styled(
            format!(
                " — start of the range ({}) —",
                clock(view.range.start, state.settings.utc)
            ),
            theme.dim(),
        ),
        Older::Failed(e) => {
            Line::styled(format!(" older lines failed:{}", failure(e)), theme.error())
        }
    }
}
