//! The key list, drawn from the keymap itself so it cannot drift.

use super::theme::Styles;
use crate::app::State;
use crate::app::keymap;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

pub fn draw(frame: &mut Frame, area: Rect, state: &State) {
    let theme = &state.settings.theme;
    let lines: Vec<Line> = keymap::help(state.current().screen())
        .map(|b| {
            Line::from(vec![
                Span::styled(format!(" {:<14}", b.label()), theme.accent()),
                Span::raw(b.help),
            ])
        })
        .collect();
    let width = area.width.min(76);
    let height = area.height.min(lines.len() as u16 + 2);
    let popup = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    super::clear_popup(frame, popup);
    let block = Block::bordered().title(" keys (any key closes) ");
    frame.render_widget(Paragraph::new(lines).block(block), popup);
}
