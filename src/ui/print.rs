//! A view drawn once as plain text, for `--print`: to paste into an
//! incident channel or read from a script.

use crate::app::State;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;

/// The current view at `width` x `height`, as lines without trailing spaces.
pub fn render_text(state: &State, width: u16, height: u16) -> String {
    let mut terminal = match Terminal::new(TestBackend::new(width, height)) {
        Ok(terminal) => terminal,
        Err(never) => match never {},
    };
    let drawn = terminal.draw(|frame| super::draw(frame, state));
    if let Err(never) = drawn {
        match never {}
    }
    buffer_text(terminal.backend().buffer())
}

/// The cells of a buffer as text; the second cell of a wide character is skipped.
pub fn buffer_text(buffer: &Buffer) -> String {
    let area = buffer.area;
    let mut out = String::new();
    for y in area.top()..area.bottom() {
        let mut line = String::new();
        let mut skip = 0;
        for x in area.left()..area.right() {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = triage_core::domain::text::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}
