//! The volume histogram above a Loki logs view: a bar a column, stacked by
//! level (errors at the bottom, where they show), with the lines held and
//! the cursor's time marked under it.

use super::super::format::clock;
use super::super::theme::Styles;
use super::level_style;
use crate::app::State;
use crate::app::loadable::Loadable;
use crate::app::views::logs::{Bars, LEVELS, LogsView, VolumePanel};
use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;
use triage_core::config::Theme;
use triage_core::domain::Level;

/// Eighths of a cell, from empty to full.
const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];

/// Levels from the bottom of a bar up.
const STACK: [Level; LEVELS] = [
    Level::Fatal,
    Level::Error,
    Level::Warn,
    Level::Info,
    Level::Debug,
    Level::Trace,
    Level::Unknown,
];

pub fn draw(frame: &mut Frame, area: Rect, view: &LogsView, panel: &VolumePanel, state: &State) {
    let theme = &state.settings.theme;
    let bars = match &panel.load {
        Loadable::Ready(bars) => bars,
        Loadable::Loading { .. } => {
            let words = Line::styled(" counting lines per level …", theme.dim());
            return frame.render_widget(Paragraph::new(words), area);
        }
        Loadable::Failed(e) => {
            let words = format!(" no volume: {}", super::super::notice::backend_error(e));
            return frame.render_widget(Paragraph::new(Line::styled(words, theme.dim())), area);
        }
    };
    let bars_area = Rect {
        height: area.height.saturating_sub(1),
        ..area
    };
    draw_bars(frame.buffer_mut(), bars_area, bars, panel.bar, theme);
    let marks = Rect {
        y: area.y + bars_area.height,
        height: 1,
        ..area
    };
    let held = (view.rows.back())
        .zip(view.rows.front())
        .map(|(oldest, newest)| {
            (
                bars.bar_at(oldest.line.timestamp),
                bars.bar_at(newest.line.timestamp),
            )
        });
    let cursor = view
        .selected_row()
        .and_then(|r| bars.bar_at(r.line.timestamp));
    frame.render_widget(
        Paragraph::new(marks_line(bars, held, cursor, marks.width, state)),
        marks,
    );
}

fn draw_bars(buffer: &mut Buffer, area: Rect, bars: &Bars, picked: Option<usize>, theme: &Theme) {
    if bars.highest == 0 || area.height == 0 {
        return;
    }
    let eighths = u64::from(area.height) * 8;
    for (column, counts) in bars.counts.iter().enumerate().take(area.width as usize) {
        let total: u64 = counts.iter().sum();
        let height = (total * eighths).div_ceil(bars.highest);
        let x = area.x + column as u16;
        for row in 0..area.height {
            let filled = height.saturating_sub(u64::from(row) * 8).min(8) as usize;
            let cell_middle = (u64::from(row) * 8 + 4) * total / height.max(1);
            let mut style = level_style(level_at(counts, cell_middle), theme);
            if picked == Some(column) {
                style = style.patch(theme.selection());
            }
            let y = area.y + area.height - 1 - row;
            if filled > 0 || picked == Some(column) {
                buffer.set_string(x, y, EIGHTHS[filled], style);
            }
        }
    }
}

/// The level whose part of a stacked bar holds the `nth` line from the
/// bottom.
fn level_at(counts: &[u64; LEVELS], nth: u64) -> Level {
    let mut below = 0;
    for level in STACK {
        below += counts[level as usize];
        if nth < below {
            return level;
        }
    }
    Level::Unknown
}

/// Under the bars: the window's start and end, the bars whose lines the
/// list holds (`─`), and the cursor's (`▲`).
fn marks_line(
    bars: &Bars,
    held: Option<(Option<usize>, Option<usize>)>,
    cursor: Option<usize>,
    width: u16,
    state: &State,
) -> Line<'static> {
    let theme = &state.settings.theme;
    let width = (width as usize).min(bars.counts.len());
    let mut cells: Vec<(char, Style)> = vec![(' ', theme.dim()); width];
    if let Some((oldest, newest)) = held {
        let from = oldest.unwrap_or(0);
        let to = newest.unwrap_or(width.saturating_sub(1));
        for cell in cells.iter_mut().take(to + 1).skip(from) {
            *cell = ('─', theme.accent());
        }
    }
    // The window's start and end at its ends, where the cursor's mark is not.
    let start = clock(bars.range.start, state.settings.utc);
    let end = clock(bars.range.end, state.settings.utc);
    let (start_len, end_len) = (start.chars().count(), end.chars().count());
    let end_at = width.saturating_sub(end_len);
    let free = |from: usize, len: usize| cursor.is_none_or(|c| !(from..from + len).contains(&c));
    if start_len <= width && free(0, start_len) {
        for (i, c) in start.chars().enumerate() {
            cells[i] = (c, theme.dim());
        }
    }
    if end_at > start_len + 1 && free(end_at, end_len) {
        for (i, c) in end.chars().enumerate() {
            cells[end_at + i] = (c, theme.dim());
        }
    }
    if let Some(at) = cursor.filter(|&c| c < width) {
        cells[at] = ('▲', theme.accent());
    }
    let spans: Vec<_> = cells
        .into_iter()
        .map(|(c, style)| ratatui::text::Span::styled(c.to_string(), style))
        .collect();
    Line::from(spans)
}
