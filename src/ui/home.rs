//! The first screen: where triage is pointed, and how to start.

use crate::app::State;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

/// Rows the home screen uses.
pub const ROWS: usize = 12;

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.settings.theme;
    let mut lines = vec![
        Line::styled(
            " triage: follow an incident across logs and traces",
            theme.accent(),
        ),
        Line::raw(""),
        Line::from(vec![
            Span::styled(" context  ", theme.dim()),
            Span::raw(state.settings.context.clone()),
        ]),
    ];
    for (name, url) in &state.settings.backends {
        lines.push(Line::from(vec![
            Span::styled(format!(" {name:<8} "), theme.dim()),
            Span::raw(url.clone()),
        ]));
    }
    lines.push(Line::raw(""));
    for (command, what) in [
        (":logs {app=\"api\"} |= \"error\"", "search logs (LogQL)"),
        (":trace <trace id>", "open a trace"),
        ("?", "all keys"),
    ] {
        lines.push(Line::from(vec![
            Span::styled(format!(" {command:<34}"), theme.accent()),
            Span::styled(what, theme.dim()),
        ]));
    }
    frame.render_widget(Paragraph::new(lines), area);
}
