//! Colours, read from a TOML theme; `themes/default.toml` is built in.

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;
use std::str::FromStr;

const DEFAULT: &str = include_str!("../../themes/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    text: ThemeColor,
    dim: ThemeColor,
    accent: ThemeColor,
    title_bg: ThemeColor,
    selection_bg: ThemeColor,
    search_match: ThemeColor,
    trace_id: ThemeColor,
    error: ThemeColor,
    warn: ThemeColor,
    debug: ThemeColor,
    ok: ThemeColor,
    palette: Vec<ThemeColor>,
}

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(try_from = "String")]
struct ThemeColor(Color);

impl TryFrom<String> for ThemeColor {
    type Error = String;
    fn try_from(name: String) -> Result<Self, String> {
        Color::from_str(&name)
            .map(ThemeColor)
            .map_err(|_| format!("{name:?} is not a colour"))
    }
}

impl Default for Theme {
    fn default() -> Self {
        // The built-in theme is tested to parse; this fallback is never used.
        Theme::parse(DEFAULT).unwrap_or_else(|_| Theme {
            text: ThemeColor(Color::Reset),
            dim: ThemeColor(Color::DarkGray),
            accent: ThemeColor(Color::Cyan),
            title_bg: ThemeColor(Color::Reset),
            selection_bg: ThemeColor(Color::DarkGray),
            search_match: ThemeColor(Color::Yellow),
            trace_id: ThemeColor(Color::LightBlue),
            error: ThemeColor(Color::LightRed),
            warn: ThemeColor(Color::Yellow),
            debug: ThemeColor(Color::Gray),
            ok: ThemeColor(Color::Green),
            palette: vec![ThemeColor(Color::Cyan)],
        })
    }
}

impl Theme {
    pub fn parse(text: &str) -> Result<Theme, String> {
        let theme: Theme = toml::from_str(text).map_err(|e| e.message().to_owned())?;
        if theme.palette.is_empty() {
            return Err("palette needs at least one colour".into());
        }
        Ok(theme)
    }

    pub fn text(&self) -> Style {
        Style::new().fg(self.text.0)
    }
    pub fn dim(&self) -> Style {
        Style::new().fg(self.dim.0)
    }
    pub fn accent(&self) -> Style {
        Style::new().fg(self.accent.0)
    }
    pub fn title(&self) -> Style {
        Style::new()
            .bg(self.title_bg.0)
            .add_modifier(Modifier::BOLD)
    }
    pub fn selection(&self) -> Style {
        Style::new().bg(self.selection_bg.0)
    }
    pub fn search_match(&self) -> Style {
        Style::new().fg(Color::Black).bg(self.search_match.0)
    }
    pub fn trace_id(&self) -> Style {
        Style::new()
            .fg(self.trace_id.0)
            .add_modifier(Modifier::UNDERLINED)
    }
    pub fn error(&self) -> Style {
        Style::new().fg(self.error.0)
    }
    pub fn warn(&self) -> Style {
        Style::new().fg(self.warn.0)
    }
    pub fn debug(&self) -> Style {
        Style::new().fg(self.debug.0)
    }
    pub fn ok(&self) -> Style {
        Style::new().fg(self.ok.0)
    }
    /// The n-th colour of the palette, for services and log sources.
    pub fn series(&self, n: usize) -> Style {
        Style::new().fg(self.palette[n % self.palette.len()].0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_theme_parses() {
        assert!(Theme::parse(DEFAULT).is_ok());
        assert!(Theme::parse(&DEFAULT.replace("\"cyan\"", "\"no-such-colour\"")).is_err());
    }
}
