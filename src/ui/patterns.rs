//! The patterns of a log query's lines: how many lines each had, when (a
//! sparkline over the window), and the pattern with its `<_>` dimmed.

use super::text::{fit, pad};
use super::theme::Styles;
use crate::app::State;
use crate::app::views::patterns::PatternsView;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use triage_core::domain::log_summary::LogPattern;

/// Columns of a pattern's sparkline.
const SPARK: usize = 24;
const COUNT: usize = 9;
const LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

pub fn natural_rows(view: &PatternsView) -> usize {
    match &view.load {
        crate::app::Loadable::Ready(patterns) => patterns.len().max(1) + 1,
        _ => 2,
    }
}

pub fn draw(frame: &mut Frame, area: Rect, view: &PatternsView, state: &State) {
    let theme = &state.settings.theme;
    let [heading, list] =
        Layout::vertical([Constraint::Length(1), Constraint::Fill(1)]).areas(area);
    let Some(patterns) = super::loaded(frame, list, &view.load, "patterns", state) else {
        frame.render_widget(Paragraph::new(title(view, None, state)), heading);
        return;
    };
    frame.render_widget(
        Paragraph::new(title(view, Some(patterns.len()), state)),
        heading,
    );
    if patterns.is_empty() {
        let words = Line::styled(" no patterns: Loki found none in this window", theme.dim());
        return frame.render_widget(Paragraph::new(words), list);
    }
    let rows = list.height as usize;
    let top = view.cursor.top_for(rows);
    let lines: Vec<Line> = (patterns.iter().enumerate().skip(top).take(rows))
        .map(|(i, pattern)| {
            let line = row(pattern, view, list.width as usize, state);
            if i == view.cursor.selected {
                line.patch_style(theme.selection())
            } else {
                line
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), list);
}

fn title(view: &PatternsView, found: Option<usize>, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    let mut spans = vec![
        Span::styled(" patterns of ", theme.dim()),
        Span::raw(view.title.to_string()),
    ];
    if let Some(found) = found {
        spans.push(Span::styled(
            format!(" · {found} patterns, most lines first"),
            theme.dim(),
        ));
    }
    Line::from(spans)
}

fn row(pattern: &LogPattern, view: &PatternsView, room: usize, state: &State) -> Line<'static> {
    let theme = &state.settings.theme;
    let mut spans = vec![
        Span::raw(pad(&format!("{:>8}", pattern.total), COUNT)),
        Span::styled(sparkline(pattern, view), theme.accent()),
        Span::raw(" "),
    ];
    let room = room.saturating_sub(COUNT + SPARK + 1);
    let text = fit(&pattern.pattern, room);
    // The placeholders dimmed, so the words the lines share stand out.
    for (i, part) in text.split("<_>").enumerate() {
        if i > 0 {
            spans.push(Span::styled("<_>", theme.dim()));
        }
        spans.push(Span::raw(part.to_owned()));
    }
    Line::from(spans)
}

/// A pattern's lines over the window, a column per slice of it.
fn sparkline(pattern: &LogPattern, view: &PatternsView) -> String {
    let span = (view.range.end - view.range.start).max(1);
    let mut columns = [0u64; SPARK];
    for &(time, lines) in &pattern.samples {
        let at = ((time - view.range.start).clamp(0, span - 1) as i128 * SPARK as i128
            / span as i128) as usize;
        columns[at.min(SPARK - 1)] += lines;
    }
    let highest = columns.iter().copied().max().unwrap_or(0).max(1);
    columns
        .iter()
        .map(|&n| match n {
            0 => ' ',
            n => LEVELS[((n * 8 - 1) / highest).min(7) as usize],
        })
        .collect()
}
