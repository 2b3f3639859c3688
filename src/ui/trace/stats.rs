//! The trace's statistics: a row per service (its total) and per operation
//! under it: spans, total time, self time, errors, the largest span.

use super::super::format;
use super::super::text::{fit, pad};
use super::super::theme::Styles;
use crate::app::views::trace::stats::Statistics;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::config::Theme;
use triage_core::correlate::StatRow;

const NUMBER: usize = 9;

pub fn draw(frame: &mut Frame, area: Rect, table: &Statistics, theme: &Theme) {
    let width = area.width as usize;
    let name_width = width.saturating_sub(5 * (NUMBER + 1) + 2).max(12);
    let mut lines = vec![Line::styled(
        format!(
            " {}{:>NUMBER$} {:>NUMBER$} {:>NUMBER$} {:>NUMBER$} {:>NUMBER$}",
            pad("service / operation", name_width),
            "spans",
            "total",
            "self",
            "errors",
            "largest"
        ),
        theme.dim(),
    )];
    let rows = (area.height as usize).saturating_sub(1);
    let top = table.cursor.top_for(rows);
    for (i, row) in table.rows.iter().enumerate().skip(top).take(rows) {
        let line = row_line(row, name_width, theme);
        lines.push(if i == table.cursor.selected {
            line.style(theme.selection())
        } else {
            line
        });
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn row_line(row: &StatRow, name_width: usize, theme: &Theme) -> Line<'static> {
    let (name, style) = match &row.operation {
        None => (row.service.to_string(), theme.accent()),
        Some(operation) => (format!("  {operation}"), theme.text()),
    };
    let errors_style = if row.errors > 0 {
        theme.error()
    } else {
        theme.dim()
    };
    Line::from(vec![
        Span::styled(
            format!(" {}", pad(&fit(&name, name_width), name_width)),
            style,
        ),
        Span::raw(format!(
            "{:>NUMBER$} {:>NUMBER$} {:>NUMBER$} ",
            row.count,
            format::duration(row.total),
            format::duration(row.self_time)
        )),
        Span::styled(format!("{:>NUMBER$} ", row.errors), errors_style),
        Span::raw(format!(
            "{:>NUMBER$}",
            format::duration(row.largest_duration)
        )),
    ])
}
