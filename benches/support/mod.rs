//! Shared by the benches: an in-memory terminal the size the budgets name.

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use triage::app::State;

pub const WIDTH: u16 = 200;
pub const HEIGHT: u16 = 50;

pub fn terminal() -> Terminal<TestBackend> {
    match Terminal::new(TestBackend::new(WIDTH, HEIGHT)) {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

pub fn draw(terminal: &mut Terminal<TestBackend>, state: &State) {
    if let Err(never) = terminal.draw(|f| triage::ui::draw(f, state)) {
        match never {}
    }
}
