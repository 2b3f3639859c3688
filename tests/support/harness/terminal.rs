//! A terminal that records the bytes crossterm writes to it, and reads
//! them back the way a terminal would: which control sequences they hold,
//! and where each character lands.

use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use std::sync::{Arc, Mutex};
use triage::app::State;
use triage_core::domain::SafeText;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// A terminal that keeps what is written to it.
#[derive(Clone, Default)]
struct Recording(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Recording {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One frame of `state` at its size, drawn through crossterm as the app
/// draws: the bytes written, and the buffer ratatui meant them to show.
pub fn drawn(state: &State) -> (Vec<u8>, Buffer) {
    let recording = Recording::default();
    let viewport = ratatui::Viewport::Fixed(Rect::new(0, 0, state.width, state.height));
    let mut terminal = Terminal::with_options(
        CrosstermBackend::new(recording.clone()),
        ratatui::TerminalOptions { viewport },
    )
    .unwrap();
    let buffer = terminal
        .draw(|f| triage::ui::draw(f, state))
        .unwrap()
        .buffer
        .clone();
    let bytes = recording.0.lock().unwrap().clone();
    (bytes, buffer)
}

/// Every control sequence in `bytes` that the UI would not write: anything
/// but CSI cursor, erase and SGR sequences, CR and LF; and any character
/// the sanitiser would not let through (bidi controls, zero-width ones).
pub fn foreign_controls(bytes: &[u8]) -> Vec<String> {
    let text = String::from_utf8(bytes.to_vec()).expect("the terminal gets UTF-8");
    let mut foreign = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => {
                if chars.next() != Some('[') {
                    foreign.push("ESC not followed by [".into());
                    continue;
                }
                let (body, last) = csi(&mut chars);
                // H: cursor position; J/K: erase; m: colours and styles;
                // ?25h/l: show or hide the cursor.
                let ours = match last {
                    Some('H' | 'J' | 'K' | 'm') => body
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ';' || c == ':'),
                    Some('h' | 'l') => body == "?25",
                    _ => false,
                };
                if !ours {
                    foreign.push(format!("CSI {body:?} {last:?}"));
                }
            }
            '\r' | '\n' => {}
            c if c.is_control() => foreign.push(format!("{c:?}")),
            c if !c.is_ascii() && !sanitised(c) => foreign.push(format!("{c:?} (not sanitised)")),
            _ => {}
        }
    }
    foreign
}

/// Whether the sanitiser leaves `c` as it is.
fn sanitised(c: char) -> bool {
    SafeText::new(c.encode_utf8(&mut [0; 4])).chars().eq([c])
}

/// A CSI's parameters and final character, read after `ESC [`.
fn csi(chars: &mut impl Iterator<Item = char>) -> (String, Option<char>) {
    let mut body = String::new();
    for c in chars {
        if ('\u{40}'..='\u{7e}').contains(&c) {
            return (body, Some(c));
        }
        body.push(c);
    }
    (body, None)
}

/// A character where a terminal put it: its column, and the text the
/// cell holds (the character and any zero-width ones after it).
pub type Placed = (u16, String);

/// Where a terminal that measures each character by its own width (as
/// xterm, VTE and tmux do) puts the characters of `bytes`, row by row
/// (blanks left out); and the characters that would not fit in `width`.
pub fn replay(bytes: &[u8], width: u16, height: u16) -> (Vec<Vec<Placed>>, Vec<String>) {
    let text = String::from_utf8_lossy(bytes);
    let mut rows: Vec<Vec<Placed>> = vec![Vec::new(); height as usize];
    let mut beyond = Vec::new();
    let (mut x, mut y) = (0u16, 0u16);
    // Zero-width characters join the cell of the character before them.
    let mut joins = false;
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            chars.next(); // '['; the scan refuses anything else
            if let (body, Some('H')) = csi(&mut chars) {
                let mut at = body.split(';').map(|n| n.parse::<u16>().unwrap_or(1));
                y = at.next().unwrap_or(1).saturating_sub(1);
                x = at.next().unwrap_or(1).saturating_sub(1);
            }
            joins = false;
            continue;
        }
        let Some(row) = rows.get_mut(y as usize) else {
            beyond.push(format!("{c:?} below the last row"));
            continue;
        };
        let w = c.width().unwrap_or(0) as u16;
        if w == 0 {
            if let Some((_, cell)) = row.last_mut().filter(|_| joins) {
                cell.push(c);
            }
            continue;
        }
        if x + w > width {
            beyond.push(format!("{c:?} at column {x} of {width}, {w} wide"));
        }
        // What was under the new character is gone, a wide one's half too.
        row.retain(|(at, cell)| *at + cell_width(cell) <= x || *at >= x + w);
        joins = c != ' ';
        if joins {
            row.push((x, c.to_string()));
        }
        x += w;
    }
    for row in &mut rows {
        row.sort();
    }
    (rows, beyond)
}

/// The cells a placed character takes: its first character's width.
fn cell_width(cell: &str) -> u16 {
    cell.chars().next().and_then(|c| c.width()).unwrap_or(0) as u16
}

/// What ratatui means a terminal to show: each cell's characters at the
/// columns a character-measuring terminal gives them (blanks left out);
/// and the cells it would hide, drawn under the second half of a wide
/// character (a border cut by a wide character, say).
pub fn intended(buffer: &Buffer) -> (Vec<Vec<Placed>>, Vec<String>) {
    let area = buffer.area;
    let mut rows = Vec::new();
    let mut hidden = Vec::new();
    for y in area.top()..area.bottom() {
        let mut row: Vec<Placed> = Vec::new();
        let mut covered_until = 0;
        for x in area.left()..area.right() {
            let symbol = buffer[(x, y)].symbol();
            if x < covered_until {
                if symbol != " " {
                    hidden.push(format!("{symbol:?} at {x},{y} under a wide character"));
                }
                continue;
            }
            let mut column = x;
            for c in symbol.chars() {
                match c.width().unwrap_or(0) {
                    0 => match row.last_mut() {
                        Some((_, cell)) => cell.push(c),
                        None => row.push((column, c.to_string())),
                    },
                    w => {
                        if c != ' ' {
                            row.push((column, c.to_string()));
                        }
                        column += w as u16;
                    }
                }
            }
            covered_until = x + (UnicodeWidthStr::width(symbol) as u16).max(1);
        }
        rows.push(row);
    }
    (rows, hidden)
}

/// A terminal of any size that shows nothing: the size sweep needs each
/// frame drawn, not shown, and a new `Terminal` for each of 20,000 sizes
/// costs more than the drawing (measured: about half the time).
pub struct Sheet(Terminal<Nowhere>);

impl Sheet {
    pub fn new() -> Sheet {
        let area = Rect::new(0, 0, 1, 1);
        let options = ratatui::TerminalOptions {
            viewport: ratatui::Viewport::Fixed(area),
        };
        Sheet(Terminal::with_options(Nowhere(area.as_size()), options).unwrap())
    }

    /// Draws `state` at its size into a blank buffer of that size, as
    /// `Terminal::draw` does after a resize.
    pub fn draw(&mut self, state: &State) {
        let area = Rect::new(0, 0, state.width, state.height);
        self.0.backend_mut().0 = area.as_size();
        self.0.resize(area).unwrap();
        self.0.current_buffer_mut().reset();
        triage::ui::draw(&mut self.0.get_frame(), state);
    }
}

/// A backend that writes nowhere, of the size it is told.
struct Nowhere(ratatui::layout::Size);

impl ratatui::backend::Backend for Nowhere {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, _: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a ratatui::buffer::Cell)>,
    {
        Ok(())
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn get_cursor_position(&mut self) -> Result<ratatui::layout::Position, Self::Error> {
        Ok(ratatui::layout::Position::ORIGIN)
    }
    fn set_cursor_position<P: Into<ratatui::layout::Position>>(
        &mut self,
        _: P,
    ) -> Result<(), Self::Error> {
        Ok(())
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
    fn clear_region(&mut self, _: ratatui::backend::ClearType) -> Result<(), Self::Error> {
        Ok(())
    }
    fn size(&self) -> Result<ratatui::layout::Size, Self::Error> {
        Ok(self.0)
    }
    fn window_size(&mut self) -> Result<ratatui::backend::WindowSize, Self::Error> {
        Ok(ratatui::backend::WindowSize {
            columns_rows: self.0,
            pixels: ratatui::layout::Size::default(),
        })
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}
