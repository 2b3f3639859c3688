//! The trace view: a span waterfall on a time ruler, and the selected
//! span's detail.

mod stats;

use super::format;
use super::text::{fit, pad, word_wrap};
use super::theme::Styles;
use crate::app::Loadable;
use crate::app::State;
use crate::app::layout::{TRACE_HEADER_ROWS, detail_rows, trace_list_rows};
use crate::app::views::trace::{TraceModel, TraceView};
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use triage_core::config::Theme;
use triage_core::correlate::Oddities;
use triage_core::domain::{Attribute, Span as TraceSpan, SpanStatus};

const DURATION_WIDTH: usize = 9;

pub fn natural_rows(view: &TraceView) -> usize {
    match &view.load {
        Loadable::Ready(model) => model.visible.len() + TRACE_HEADER_ROWS,
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &TraceView, state: &State) {
    let theme = &state.settings.theme;
    let what = match view.received {
        0 => format!("trace {}", view.trace_id),
        bytes => format!("trace {} ({} received)", view.trace_id, format::size(bytes)),
    };
    let Some(model) = super::loaded(frame, area, &view.load, &what, state) else {
        return;
    };
    let detail_height = if model.detail {
        detail_rows(state.height) as u16
    } else {
        0
    };
    let [list, detail] =
        Layout::vertical([Constraint::Fill(1), Constraint::Length(detail_height)]).areas(area);
    if let Some(table) = &model.statistics {
        let [head, table_area] =
            Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
        frame.render_widget(Paragraph::new(summary(model, theme)), head);
        return stats::draw(frame, table_area, table, theme);
    }
    let columns = Columns::new(list.width as usize);
    let mut lines = vec![
        summary(model, theme),
        breadcrumb(model, list.width as usize, theme),
        ruler(model, &columns, theme),
    ];
    let rows = trace_list_rows(state.height, model.detail);
    let end = (model.cursor.top + rows).min(model.visible.len());
    for position in model.cursor.top..end {
        lines.push(span_row(model, position, &columns, theme));
    }
    frame.render_widget(Paragraph::new(lines), list);
    if model.detail
        && let Some(span) = model
            .selected_row()
            .map(|r| &model.trace.spans[model.waterfall.rows[r].span as usize])
    {
        draw_detail(frame, detail, span, model, theme);
    }
}

struct Columns {
    tree: usize,
    bar: usize,
}

impl Columns {
    fn new(width: usize) -> Self {
        let tree = (width * 45 / 100).max(24).min(width);
        let bar = width.saturating_sub(tree + DURATION_WIDTH + 1);
        Columns { tree, bar }
    }
}

fn summary(model: &TraceModel, theme: &Theme) -> Line<'static> {
    // What is switched on comes first: on a narrow screen the end is cut.
    let mut spans = vec![Span::styled(format!(" {}", model.trace.id), theme.accent())];
    if let Some(filter) = filter_words(model) {
        spans.push(Span::styled(filter, theme.accent()));
    }
    if model.critical_only {
        spans.push(Span::styled(" · critical path only", theme.warn()));
    }
    spans.push(Span::raw(format!(
        " · {} spans · {} services · {}",
        model.trace.spans.len(),
        model.waterfall.services.len(),
        format::duration(model.waterfall.duration())
    )));
    if model.errors > 0 {
        spans.push(Span::styled(
            format!(" · {} errors", model.errors),
            theme.error(),
        ));
    }
    if let Some(warning) = &model.trace.partial {
        spans.push(Span::styled(format!(" · PARTIAL: {warning}"), theme.warn()));
    }
    spans.extend(oddities(model.oddities).map(|odd| Span::styled(odd, theme.warn())));
    Line::from(spans)
}

/// ` · 2 roots`, ` · 3 spans without their parent (?)`, ` · 1 span id used twice`.
fn oddities(odd: Oddities) -> impl Iterator<Item = String> {
    [
        (odd.roots > 1).then(|| format!(" · {} roots", odd.roots)),
        (odd.orphans > 0).then(|| format!(" · {} without their parent (?)", odd.orphans)),
        (odd.duplicate_ids > 0).then(|| format!(" · {} span ids used twice", odd.duplicate_ids)),
    ]
    .into_iter()
    .flatten()
}

/// What the filter is and what it takes: ` · filter db errors >200ms: 3 of 40 (hidden)`.
fn filter_words(model: &TraceModel) -> Option<String> {
    let filter = &model.filter;
    if !filter.is_active() {
        return None;
    }
    let mut words = vec![" · filter".to_owned()];
    if !filter.text.trim().is_empty() {
        words.push(format!("\"{}\"", filter.text.trim()));
    }
    if filter.errors_only {
        words.push("errors".into());
    }
    if let Some(limit) = filter.slower_than {
        words.push(format!(">{}", format::duration(limit)));
    }
    let shown = if model.hide_unmatched {
        "hidden"
    } else {
        "dimmed"
    };
    Some(format!(
        "{}: {} of {} ({shown} the rest)",
        words.join(" "),
        model.match_count,
        model.waterfall.rows.len()
    ))
}

/// The selected span's ancestors, root first, cut from the left to fit;
/// under a focus it starts with the focused span.
fn breadcrumb(model: &TraceModel, width: usize, theme: &Theme) -> Line<'static> {
    let names: Vec<String> = model
        .ancestors()
        .into_iter()
        .chain(model.selected_row())
        .filter_map(|row| model.span_at(row))
        .map(|span| format!("{} {}", span.service, span.name))
        .collect();
    let mark = if model.focus.is_empty() {
        " "
    } else {
        " focus ▸ "
    };
    let mut text = names.join(" › ");
    let room = width.saturating_sub(width_of(mark) + 1);
    if width_of(&text) > room {
        let cut: String = text.chars().rev().collect();
        let kept: String = fit(&cut, room.saturating_sub(1)).chars().rev().collect();
        text = format!("…{}", kept.trim_start_matches('…'));
    }
    Line::from(vec![
        Span::styled(mark.to_owned(), theme.accent()),
        Span::styled(text, theme.dim()),
    ])
}

fn width_of(text: &str) -> usize {
    triage_core::domain::text::width(text)
}

fn ruler(model: &TraceModel, columns: &Columns, theme: &Theme) -> Line<'static> {
    let mut scale = vec![' '; columns.bar];
    let mut write = |at: usize, label: &str| {
        for (i, c) in label.chars().enumerate() {
            if let Some(cell) = scale.get_mut(at + i) {
                *cell = c;
            }
        }
    };
    let (from, to) = model.window();
    let total = to - from;
    let end = format!("{}|", format::duration(total));
    let end_at = columns.bar.saturating_sub(end.chars().count());
    write(end_at, &end);
    // Tick labels at each quarter, where they do not run into the end label.
    for quarter in 0..4 {
        let label = format!("|{}", format::duration(total * quarter / 4));
        let at = columns.bar * quarter as usize / 4;
        if at + label.chars().count() < end_at {
            write(at, &label);
        }
    }
    Line::styled(
        format!(
            "{}{:>DURATION_WIDTH$} {}",
            pad(" service  span  (◆ critical path)", columns.tree),
            "duration",
            scale.into_iter().collect::<String>()
        ),
        theme.dim(),
    )
}

fn span_row<'a>(
    model: &'a TraceModel,
    position: usize,
    columns: &Columns,
    theme: &Theme,
) -> Line<'a> {
    let row = model.visible[position] as usize;
    let node = model.waterfall.rows[row];
    let span = &model.trace.spans[node.span as usize];
    let marker = match (model.waterfall.has_children(row), model.collapsed[row]) {
        (true, true) => "▸ ",
        (true, false) => "▾ ",
        (false, _) if node.orphan => "? ", // its parent is not in the trace
        (false, _) => "  ",
    };
    let level = node.depth - model.waterfall.rows[model.scope().start].depth;
    let indent = " ".repeat((level as usize * 2).min(columns.tree / 2));
    let service_style = theme.series(node.service as usize);
    let dimmed = !model.matched[row];
    let name_style = match (dimmed, span.is_error()) {
        (true, _) => theme.dim(),
        (false, true) => theme.error(),
        (false, false) => theme.text(),
    };
    let service_style = if dimmed { theme.dim() } else { service_style };
    let critical = if model.critical[node.span as usize] {
        "◆"
    } else {
        " "
    };
    let lead = format!("{indent}{marker}");
    let service = format!("{} ", span.service);
    let error_mark = if span.is_error() { "! " } else { "" };
    let room = columns.tree.saturating_sub(width_of(&lead) + 1);
    let label = fit(&format!("{service}{error_mark}{}", span.name), room);
    let (service_part, name_part) = split_at_width(&label, service.chars().count());
    let used = 1 + width_of(&lead) + width_of(&label);
    let mut spans = vec![
        Span::styled(critical, theme.warn()),
        Span::raw(lead),
        Span::styled(service_part, service_style),
        Span::styled(name_part, name_style),
        Span::raw(" ".repeat(columns.tree.saturating_sub(used))),
        Span::styled(
            format!("{:>DURATION_WIDTH$} ", format::duration(span.duration())),
            theme.dim(),
        ),
    ];
    let bar_style = if span.is_error() && !dimmed {
        theme.error()
    } else {
        service_style
    };
    spans.extend(bar(span, model, columns.bar, bar_style));
    let line = Line::from(spans);
    if position == model.cursor.selected {
        line.style(theme.selection())
    } else {
        line
    }
}

fn split_at_width(text: &str, chars: usize) -> (String, String) {
    let at = text
        .char_indices()
        .nth(chars)
        .map_or(text.len(), |(i, _)| i);
    (text[..at].to_owned(), text[at..].to_owned())
}

/// The span's place on the ruler (the focus's time, under a focus): at
/// least one cell, so short spans show.
fn bar(span: &TraceSpan, model: &TraceModel, width: usize, style: Style) -> Vec<Span<'static>> {
    let (start, end) = model.window();
    let total = (end - start).max(1) as f64;
    let cells = width as f64;
    let at = |t: i64| (t.clamp(start, end) - start) as f64 / total * cells;
    let from = (at(span.start).floor() as usize).min(width.saturating_sub(1));
    let to = (at(span.end).round() as usize).clamp(from + 1, width.max(from + 1));
    vec![
        Span::raw(" ".repeat(from)),
        Span::styled("█".repeat(to - from), style),
    ]
}

fn draw_detail(frame: &mut Frame, area: Rect, span: &TraceSpan, model: &TraceModel, theme: &Theme) {
    let offset = |t: i64| format!("+{}", format::duration(t - model.window().0));
    let field = |name: &str, value: String| {
        Line::from(vec![
            Span::styled(format!(" {name:<9}"), theme.dim()),
            Span::raw(value),
        ])
    };
    let (status, status_style) = match &span.status {
        SpanStatus::Unset => ("unset".to_owned(), theme.dim()),
        SpanStatus::Ok => ("ok".to_owned(), theme.ok()),
        SpanStatus::Error(message) => (format!("error {message}"), theme.error()),
    };
    let mut lines = vec![
        field("name", span.name.to_string()),
        field("service", span.service.to_string()),
        field(
            "span id",
            format!(
                "{}   parent {}",
                span.span_id,
                span.parent_id.map_or("none".to_owned(), |p| p.to_string())
            ),
        ),
        field(
            "time",
            format!(
                "{} for {}   kind {:?}",
                offset(span.start),
                format::duration(span.duration()),
                span.kind
            ),
        ),
        Line::from(vec![
            Span::styled(" status   ", theme.dim()),
            Span::styled(status, status_style),
        ]),
    ];
    let attribute_lines = |title: &str, attributes: &[Attribute]| {
        let mut out = vec![Line::styled(format!(" {title}"), theme.accent())];
        out.extend(attributes.iter().map(|a| {
            Line::from(vec![
                Span::styled(format!("   {} = ", a.key), theme.dim()),
                Span::raw(a.value.to_string()),
            ])
        }));
        out
    };
    lines.extend(attribute_lines("attributes", &span.attributes));
    if !span.events.is_empty() {
        lines.push(Line::styled(" events", theme.accent()));
        for event in &span.events {
            let attributes: Vec<String> = event
                .attributes
                .iter()
                .map(|a| format!("{}={}", a.key, a.value))
                .collect();
            lines.push(Line::raw(format!(
                "   {} {} {}",
                offset(event.time),
                event.name,
                attributes.join(" ")
            )));
        }
    }
    lines.extend(attribute_lines("resource", &span.resource));
    let block = Block::new()
        .borders(Borders::TOP)
        .title(" span detail (d closes) ");
    frame.render_widget(
        Paragraph::new(word_wrap(lines, area.width as usize)).block(block),
        area,
    );
}
