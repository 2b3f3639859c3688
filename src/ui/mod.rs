//! Views: pure functions from state to a frame. They never wait, lock, or
//! read the clock; large lists build only the rows on screen.

mod alerts;
mod chrome;
mod editor;
mod format;
mod help;
mod home;
mod logs;
mod metrics;
pub mod notice;
mod patterns;
mod pods;
pub mod print;
mod services;
mod text;
pub mod theme;
mod trace;
mod traces;

use crate::app::{Loadable, State, View};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::layout::{Constraint, Layout};
use ratatui::text::Line;
use ratatui::widgets::{Clear, Paragraph};
use theme::Styles;

/// Smaller than this, only a request to enlarge the terminal is drawn.
const MIN_WIDTH: u16 = 20;
const MIN_HEIGHT: u16 = 4;

pub fn draw(frame: &mut Frame, state: &State) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        frame.render_widget(Paragraph::new("enlarge the terminal"), area);
        return;
    }
    let [title, body, status] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Fill(1),
        Constraint::Length(1),
    ])
    .areas(area);
    chrome::title(frame, title, state);
    match state.current() {
        View::Home(home) => home::draw(frame, body, home.alerts.as_ref(), state),
        View::Logs(view) => logs::draw(frame, body, view, state),
        View::Trace(view) => trace::draw(frame, body, view, state),
        View::Traces(view) => traces::draw(frame, body, view, state),
        View::Metrics(view) => metrics::draw(frame, body, view, state),
        View::Alerts(view) => alerts::draw(frame, body, view, state),
        View::Pods(view) => pods::draw(frame, body, view, state),
        View::Pod(view) => pods::draw_detail(frame, body, view, state),
        View::Patterns(view) => patterns::draw(frame, body, view, state),
        View::Services(view) => services::draw(frame, body, view, state),
    }
    chrome::status(frame, status, state);
    if state.help {
        help::draw(frame, body, state);
    }
}

/// Clears `area` for a popup over the view. A wide character that the
/// area's left edge cuts in two goes too: ratatui would skip the cell after
/// it, the popup's border, and the terminal would draw the character's
/// second half there.
fn clear_popup(frame: &mut Frame, area: Rect) {
    frame.render_widget(Clear, area);
    let Some(left) = area.x.checked_sub(1) else {
        return;
    };
    let buffer = frame.buffer_mut();
    for y in area.top()..area.bottom() {
        let cell = &mut buffer[(left, y)];
        if triage_core::domain::text::width(cell.symbol()) > 1 {
            cell.set_symbol(" ");
        }
    }
}

/// Rows the current view needs to show all it holds, for `--print`.
pub fn natural_height(state: &State) -> u16 {
    let content = match state.current() {
        View::Home(home) => home::natural_rows(home.alerts.as_ref()),
        View::Logs(view) => view.shown_len() + 1,
        View::Trace(view) => trace::natural_rows(view),
        View::Traces(view) => traces::natural_rows(view),
        View::Metrics(view) => metrics::natural_rows(view),
        View::Alerts(view) => alerts::natural_rows(view),
        View::Pods(view) => pods::natural_rows(view),
        View::Pod(view) => pods::natural_detail_rows(view, state),
        View::Patterns(view) => patterns::natural_rows(view),
        View::Services(view) => services::natural_rows(view),
    };
    (content + crate::app::layout::CHROME_ROWS as usize).clamp(MIN_HEIGHT as usize, 10_000) as u16
}

/// The loaded value, or, drawn in its place, what stands in for it: a
/// loading line naming `what`, or the error in words.
fn loaded<'a, T>(
    frame: &mut Frame,
    area: Rect,
    load: &'a Loadable<T>,
    what: &str,
    state: &State,
) -> Option<&'a T> {
    let theme = &state.settings.theme;
    let (text, style) = match load {
        Loadable::Ready(value) => return Some(value),
        Loadable::Loading { .. } => (format!(" loading {what} …"), theme.dim()),
        Loadable::Failed(e) => (format!(" {}", notice::backend_error(e)), theme.error()),
    };
    let lines = text::word_wrap(vec![Line::raw(text)], area.width as usize);
    frame.render_widget(Paragraph::new(lines).style(style), area);
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    #[test]
    fn a_popup_takes_the_wide_character_its_left_edge_cuts() {
        let mut terminal = Terminal::new(TestBackend::new(6, 1)).expect("a test terminal");
        let frame = terminal
            .draw(|frame| {
                frame
                    .buffer_mut()
                    .set_string(0, 0, "a障b", ratatui::style::Style::new());
                clear_popup(frame, Rect::new(2, 0, 3, 1));
                frame.buffer_mut()[(2, 0)].set_symbol("│");
            })
            .expect("drawn");
        // Left as it was, 障 would cover the border in cell 2.
        assert_eq!(frame.buffer[(1, 0)].symbol(), " ");
        assert_eq!(frame.buffer[(2, 0)].symbol(), "│");
    }
}
