//! The selected line's fields, under the list; and the fields chosen as
//! columns, in place of the raw lines.

use super::super::text::{fit, pad};
use super::super::theme::Styles;
use crate::app::State;
use crate::app::views::logs::{FieldsPane, LogsView};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use triage_core::domain::structured::{Fields, Format};
use triage_core::domain::text::width;

/// The widest a key or a column is drawn.
const MAX_KEY: usize = 32;
const MAX_COLUMN: usize = 40;

pub fn draw_pane(frame: &mut Frame, area: Rect, view: &LogsView, pane: &FieldsPane, state: &State) {
    let theme = &state.settings.theme;
    let Some(fields) = view.selected_fields() else {
        return;
    };
    let format = match fields.format {
        Format::Json => "JSON",
        Format::Logfmt => "logfmt",
    };
    let cut = if fields.cut {
        " · cut: the rest of the line is not read"
    } else {
        ""
    };
    let title = format!(" {format} · {} fields{cut} ", fields.fields.len());
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title, theme.accent()))
        .border_style(theme.dim());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = inner.height as usize;
    let key_width = (fields
        .fields
        .iter()
        .map(|f| width(&f.key))
        .max()
        .unwrap_or(0))
    .min(MAX_KEY)
        + 2;
    let top = pane.cursor.top_for(rows);
    let lines: Vec<Line> = (fields.fields.iter().enumerate().skip(top).take(rows))
        .map(|(i, field)| {
            let column = view.columns.iter().any(|c| *c == field.key.as_str());
            let mark = if column { "▣ " } else { "  " };
            let value_style = if field.filterable {
                theme.text()
            } else {
                theme.dim()
            };
            let line = Line::from(vec![
                Span::styled(mark, theme.accent()),
                Span::styled(pad(&field.key, key_width), theme.accent()),
                Span::styled(field.value.to_string(), value_style),
            ]);
            if i == pane.cursor.selected {
                line.patch_style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The chosen fields' values of a line, each in its column; None for a line
/// that is not structured (it is shown raw).
pub fn columns(
    fields: Option<Fields>,
    view: &LogsView,
    style: Style,
) -> Option<Vec<Span<'static>>> {
    let fields = fields?;
    let spans = view
        .columns
        .iter()
        .map(|key| {
            let value = fields.get(key).map_or("-", |v| v.as_str());
            Span::styled(pad(value, column_width(key)), style)
        })
        .collect();
    Some(spans)
}

/// The columns' names, over the lines.
pub fn header(view: &LogsView, lead: usize, state: &State) -> Line<'static> {
    let names: String = view
        .columns
        .iter()
        .map(|key| pad(key, column_width(key)))
        .collect();
    Line::styled(
        format!("{}{}", " ".repeat(lead), fit(&names, 1000)),
        state.settings.theme.dim(),
    )
}

/// A column is as wide as its name, at least 16 and at most 40 cells.
fn column_width(key: &str) -> usize {
    (width(key) + 2).clamp(16, MAX_COLUMN)
}
