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
        self.fg(self.text)
    }
    fn dim(&self) -> Style {
        self.fg(self.dim).add_modifier(self.without(Modifier::DIM))
    }
    fn accent(&self) -> Style {
        self.fg(self.accent)
            .add_modifier(self.without(Modifier::BOLD))
    }
    fn title(&self) -> Style {
        self.bg(self.title_bg)
            .add_modifier(Modifier::BOLD | self.without(Modifier::REVERSED))
    }
    fn selection(&self) -> Style {
        // A reset background (the 16-colour theme's) is a reversed row: no
        // one of the sixteen is free to lie under every foreground.
        match self.selection_bg == Colour::Reset {
            true => Style::new().add_modifier(Modifier::REVERSED),
            false => self
                .bg(self.selection_bg)
                .add_modifier(self.without(Modifier::REVERSED)),
        }
    }
    fn search_match(&self) -> Style {
        match self.monochrome {
            true => Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
            false => Style::new().fg(Color::Black).bg(color(self.search_match)),
        }
    }
    fn trace_id(&self) -> Style {
        self.fg(self.trace_id).add_modifier(Modifier::UNDERLINED)
    }
    fn error(&self) -> Style {
        // Without colour an error is bold and reversed: never taken for a
        // success, which is plain.
        self.fg(self.error)
            .add_modifier(self.without(Modifier::BOLD | Modifier::REVERSED))
    }
    fn warn(&self) -> Style {
        self.fg(self.warn)
            .add_modifier(self.without(Modifier::BOLD))
    }
    fn debug(&self) -> Style {
        self.fg(self.debug)
            .add_modifier(self.without(Modifier::DIM))
    }
    fn ok(&self) -> Style {
        self.fg(self.ok)
    }
    fn series(&self, n: usize) -> Style {
        let colour = self.palette.get(n % self.palette.len().max(1));
        colour.map_or_else(Style::new, |&c| self.fg(c))
    }
}

/// Colour, or under `NO_COLOR` the modifiers that stand for it.
trait Paint {
    fn fg(&self, colour: Colour) -> Style;
    fn bg(&self, colour: Colour) -> Style;
    /// `modifier` when there is no colour to carry the meaning.
    fn without(&self, modifier: Modifier) -> Modifier;
}

impl Paint for Theme {
    fn fg(&self, colour: Colour) -> Style {
        match self.monochrome {
            true => Style::new(),
            false => Style::new().fg(color(colour)),
        }
    }
    fn bg(&self, colour: Colour) -> Style {
        match self.monochrome {
            true => Style::new(),
            false => Style::new().bg(color(colour)),
        }
    }
    fn without(&self, modifier: Modifier) -> Modifier {
        match self.monochrome {
            true => modifier,
            false => Modifier::empty(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_colour_meaning_is_carried_by_modifiers() {
        let theme = Theme {
            monochrome: true,
            ..Theme::default()
        };
        let styles = [
            theme.text(),
            theme.dim(),
            theme.accent(),
            theme.title(),
            theme.selection(),
            theme.search_match(),
            theme.trace_id(),
            theme.error(),
            theme.warn(),
            theme.debug(),
            theme.ok(),
            theme.series(3),
        ];
        assert!(
            styles.iter().all(|s| s.fg.is_none() && s.bg.is_none()),
            "{styles:?}"
        );
        // An error never reads as a success, a selection stands out, a
        // match and a trace id show.
        assert_ne!(theme.error(), theme.ok());
        assert_ne!(theme.error(), theme.text());
        assert!(theme.selection().add_modifier.contains(Modifier::REVERSED));
        assert_ne!(theme.search_match(), theme.text());
        assert!(theme.trace_id().add_modifier.contains(Modifier::UNDERLINED));
        assert_ne!(theme.warn(), theme.text());
    }

    #[test]
    fn every_built_in_theme_tells_errors_from_successes() {
        for (name, _) in triage_core::config::BUILT_IN_THEMES {
            let theme = Theme::load(name).unwrap_or_default();
            assert_ne!(theme.error(), theme.ok(), "{name}");
            assert_ne!(theme.selection(), Style::new(), "{name}");
        }
    }
}
