//! Trace search: the TraceQL (or its editor) and Tempo's complaint under
//! it, then a row per trace (start, id, root, duration, matched spans) and
//! its matched spans under it when opened.

use super::editor;
use super::format::{self, clock};
use super::text::{fit, pad, word_wrap};
use super::theme::Styles;
use crate::app::State;
use crate::app::layout::TRACES_HEADER_ROWS;
use crate::app::prompt::Language;
use crate::app::views::traces::{Row, TracesView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::config::Theme;
use triage_core::domain::text::width;
use triage_core::domain::{Completeness, MatchedSpan, TraceSummary};

const START_WIDTH: usize = 13;
const DURATION_WIDTH: usize = 9;
const MATCHED_WIDTH: usize = 8;
/// Below this width a trace id is shown by its first 16 digits.
const FULL_ID_WIDTH: u16 = 120;

pub fn natural_rows(view: &TracesView) -> usize {
    TRACES_HEADER_ROWS + view.rows.len().max(1) + 1
}

pub fn draw(frame: &mut Frame, area: Rect, view: &TracesView, state: &State) {
    let theme = &state.settings.theme;
    let [query_area, complaint_area, list_area] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Fill(1),
    ])
    .areas(area);
    match editor::open(state, Language::TraceQl) {
        Some(prompt) => editor::draw(frame, query_area, prompt, state),
        None => frame.render_widget(Paragraph::new(query_line(view, theme)), query_area),
    }
    let complaint = match &view.failure {
        Some(e) => Line::styled(
            format!(" {}", super::notice::backend_error(e)),
            theme.error(),
        ),
        None => header(area.width, theme),
    };
    frame.render_widget(Paragraph::new(complaint), complaint_area);
    draw_list(frame, list_area, view, state);
    if let Some(prompt) = editor::open(state, Language::TraceQl) {
        editor::draw_completion(frame, complaint_area.union(list_area), prompt, state);
    }
}

/// ` TraceQL { status = error } · 1h back · 12 traces`
fn query_line(view: &TracesView, theme: &Theme) -> Line<'static> {
    let found = view.found.as_ref().map_or(0, |f| f.traces.len());
    let back = format::age(view.searched.end - view.searched.start);
    let mut spans = vec![
        Span::styled(" TraceQL ", theme.accent()),
        Span::raw(view.title.to_string()),
        Span::styled(format!(" · {back} back · {found} traces"), theme.dim()),
    ];
    if let Some(Completeness::Partial {
        completed_jobs,
        total_jobs,
    }) = view.found.as_ref().map(|f| f.completeness)
    {
        spans.push(Span::styled(
            format!(" · partial: {completed_jobs}/{total_jobs} jobs"),
            theme.warn(),
        ));
    }
    Line::from(spans)
}

fn header(screen_width: u16, theme: &Theme) -> Line<'static> {
    let id = if screen_width >= FULL_ID_WIDTH {
        32
    } else {
        16
    };
    Line::styled(
        format!(
            "   {}{} {:>DURATION_WIDTH$} {:>MATCHED_WIDTH$}  root",
            pad("start", START_WIDTH),
            pad("trace id", id),
            "duration",
            "matched",
        ),
        theme.dim(),
    )
}

fn draw_list(frame: &mut Frame, area: Rect, view: &TracesView, state: &State) {
    let theme = &state.settings.theme;
    if view.rows.is_empty() {
        let text = match (&view.pending, &view.failure) {
            (Some(_), _) => " searching …",
            (None, Some(_)) => "",
            (None, None) => " no trace matches in this window (scroll or r to ask again)",
        };
        let lines = word_wrap(vec![Line::raw(text)], area.width as usize);
        frame.render_widget(Paragraph::new(lines).style(theme.dim()), area);
        return;
    }
    let rows = area.height as usize;
    let top = view.cursor.top_for(rows);
    let mut lines: Vec<Line> = (top..view.rows.len().min(top + rows))
        .map(|i| {
            let line = row_line(view, view.rows[i], area.width, state);
            if i == view.cursor.selected {
                line.style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    if lines.len() < rows && view.pending.is_some() {
        lines.push(Line::styled(" searching an older window …", theme.dim()));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line(view: &TracesView, row: Row, screen_width: u16, state: &State) -> Line<'static> {
    match row {
        Row::Trace(t) => match view.trace(t) {
            Some(trace) => trace_line(view, trace, screen_width, state),
            None => Line::default(),
        },
        Row::Span(t, s, i) => {
            let span = view
                .trace(t)
                .and_then(|trace| trace.span_sets.get(s as usize))
                .and_then(|set| set.spans.get(i as usize));
            match span {
                Some(span) => span_line(span, screen_width, state),
                None => Line::default(),
            }
        }
    }
}

fn trace_line(
    view: &TracesView,
    trace: &TraceSummary,
    screen_width: u16,
    state: &State,
) -> Line<'static> {
    let theme = &state.settings.theme;
    let id = trace.id.to_string();
    let id = if screen_width >= FULL_ID_WIDTH {
        &id[..]
    } else {
        &id[..16]
    };
    let matched: usize = trace.span_sets.iter().map(|s| s.matched).sum();
    let open = match (trace.span_sets.is_empty(), view.open.contains(&trace.id)) {
        (true, _) => " ",
        (false, true) => "▾",
        (false, false) => "▸",
    };
    let (mark, mark_style) = if trace.error {
        ("!", theme.error())
    } else {
        (" ", theme.text())
    };
    let lead = format!(
        "{open}{mark} {} {id} {:>DURATION_WIDTH$} {:>MATCHED_WIDTH$}  ",
        pad(&clock(trace.start, state.settings.utc), START_WIDTH - 1),
        format::duration(trace.duration),
        matched,
    );
    let room = (screen_width as usize).saturating_sub(width(&lead));
    let root = fit(&format!("{} {}", trace.root_service, trace.root_name), room);
    Line::from(vec![
        Span::styled(lead, mark_style),
        Span::styled(root, theme.accent()),
    ])
}

/// A matched span, indented under its trace: name, duration, and the
/// attributes the query tested or selected.
fn span_line(span: &MatchedSpan, screen_width: u16, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    let attributes: Vec<String> = span
        .attributes
        .iter()
        .map(|a| format!("{}={}", a.key, a.value))
        .collect();
    let name = if span.name.is_empty() {
        span.span_id.to_string()
    } else {
        span.name.to_string()
    };
    let text = format!(
        "     └ {} {:>DURATION_WIDTH$}  {name}  {}",
        pad(&clock(span.start, state.settings.utc), START_WIDTH - 1),
        format::duration(span.duration),
        attributes.join(" ")
    );
    let style = if span.is_error() {
        theme.error()
    } else {
        theme.dim()
    };
    Line::styled(fit(&text, screen_width as usize), style)
}
