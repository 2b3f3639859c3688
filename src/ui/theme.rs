//! The theme's colours (data in `triage_core::config`) as ratatui styles.

use ratatui::style::{Color, Modifier, Style};
use triage_core::config::{Colour, Named, Theme};

/// Styles for each kind of text on screen.
pub trait Styles {
    fn text(&self) -> Style;
    fn dim(&self) -> Style;
    fn accent(&self) -> Style;
    fn title(&self) -> Style;
    fn selection(&self) -> Style;
    fn search_match(&self) -> Style;
    fn trace_id(&self) -> Style;
    fn error(&self) -> Style;
    fn warn(&self) -> Style;
    fn debug(&self) -> Style;
    fn ok(&self) -> Style;
    /// The n-th colour of the palette, for services and log sources.
    fn series(&self, n: usize) -> Style;
}

impl Styles for Theme {
    fn text(&self) -> Style {
        fg(self.text)
    }
    fn dim(&self) -> Style {
        fg(self.dim)
    }
    fn accent(&self) -> Style {
        fg(self.accent)
    }
    fn title(&self) -> Style {
        Style::new()
            .bg(color(self.title_bg))
            .add_modifier(Modifier::BOLD)
    }
    fn selection(&self) -> Style {
        Style::new().bg(color(self.selection_bg))
    }
    fn search_match(&self) -> Style {
        Style::new().fg(Color::Black).bg(color(self.search_match))
    }
    fn trace_id(&self) -> Style {
        fg(self.trace_id).add_modifier(Modifier::UNDERLINED)
    }
    fn error(&self) -> Style {
        fg(self.error)
    }
    fn warn(&self) -> Style {
        fg(self.warn)
    }
    fn debug(&self) -> Style {
        fg(self.debug)
    }
    fn ok(&self) -> Style {
        fg(self.ok)
    }
    fn series(&self, n: usize) -> Style {
        let colour = self.palette.get(n % self.palette.len().max(1));
        colour.map_or_else(Style::new, |&c| fg(c))
    }
}

fn fg(colour: Colour) -> Style {
    Style::new().fg(color(colour))
}

fn color(colour: Colour) -> Color {
    match colour {
        Colour::Reset => Color::Reset,
        Colour::Indexed(i) => Color::Indexed(i),
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
        Colour::Named(named) => match named {
            Named::Black => Color::Black,
            Named::Red => Color::Red,
            Named::Green => Color::Green,
            Named::Yellow => Color::Yellow,
            Named::Blue => Color::Blue,
            Named::Magenta => Color::Magenta,
            Named::Cyan => Color::Cyan,
            Named::Gray => Color::Gray,
            Named::DarkGray => Color::DarkGray,
            Named::LightRed => Color::LightRed,
            Named::LightGreen => Color::LightGreen,
            Named::LightYellow => Color::LightYellow,
            Named::LightBlue => Color::LightBlue,
            Named::LightMagenta => Color::LightMagenta,
            Named::LightCyan => Color::LightCyan,
            Named::White => Color::White,
        },
    }
}
