//! Colours, read from a TOML theme (`themes/default.toml` is built in).
//! Data only: the UI turns them into styles.

use serde::Deserialize;

const DEFAULT: &str = include_str!("../../../../themes/default.toml");

/// The themes built in, by the name `--theme` and `theme =` know them by.
pub const BUILT_IN: [(&str, &str); 3] = [
    ("default", DEFAULT),
    ("light", include_str!("../../../../themes/light.toml")),
    ("ansi16", include_str!("../../../../themes/ansi16.toml")),
];

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub text: Colour,
    pub dim: Colour,
    pub accent: Colour,
    pub title_bg: Colour,
    pub selection_bg: Colour,
    pub search_match: Colour,
    pub trace_id: Colour,
    pub error: Colour,
    pub warn: Colour,
    pub debug: Colour,
    pub ok: Colour,
    pub palette: Vec<Colour>,
    /// No colour at all (`NO_COLOR`): meaning is carried by bold,
    /// underline, reverse and dim instead.
    #[serde(default)]
    pub monochrome: bool,
}

/// A terminal colour as a theme names it: one of the 16 named colours, the
/// terminal's own (`reset`), a 0-255 index or `#rrggbb`.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(try_from = "String")]
pub enum Colour {
    Reset,
    Named(Named),
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The 16 colours every terminal has, in ANSI order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Named {
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
}

const NAMES: [(&str, Named); 16] = [
    ("black", Named::Black),
    ("red", Named::Red),
    ("green", Named::Green),
    ("yellow", Named::Yellow),
    ("blue", Named::Blue),
    ("magenta", Named::Magenta),
    ("cyan", Named::Cyan),
    ("gray", Named::Gray),
    ("darkgray", Named::DarkGray),
    ("lightred", Named::LightRed),
    ("lightgreen", Named::LightGreen),
    ("lightyellow", Named::LightYellow),
    ("lightblue", Named::LightBlue),
    ("lightmagenta", Named::LightMagenta),
    ("lightcyan", Named::LightCyan),
    ("white", Named::White),
];

/// A colour name that is none.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a colour")]
pub struct NotAColour(pub String);

/// Why a theme cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ThemeError {
    /// TOML's own words (they name the key and the line).
    #[error("{0}")]
    Toml(String),
    #[error("palette needs at least one colour")]
    EmptyPalette,
    #[error("not a theme ({names}) nor a file that can be read: {cause}")]
    Unreadable { names: String, cause: String },
}

impl TryFrom<String> for Colour {
    type Error = NotAColour;
    fn try_from(name: String) -> Result<Self, NotAColour> {
        name.parse()
    }
}

impl std::str::FromStr for Colour {
    type Err = NotAColour;
    fn from_str(text: &str) -> Result<Self, NotAColour> {
        let name = text
            .trim()
            .to_ascii_lowercase()
            .replace([' ', '-', '_'], "");
        let name = name.replace("grey", "gray");
        let bad = || NotAColour(text.to_owned());
        if name == "reset" {
            return Ok(Colour::Reset);
        }
        if let Some(&(_, named)) = NAMES.iter().find(|(n, _)| *n == name) {
            return Ok(Colour::Named(named));
        }
        if let Some(hex) = name.strip_prefix('#') {
            let byte = |i: usize| {
                hex.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            };
            return match (hex.len(), byte(0), byte(2), byte(4)) {
                (6, Some(r), Some(g), Some(b)) => Ok(Colour::Rgb(r, g, b)),
                _ => Err(bad()),
            };
        }
        name.parse().map(Colour::Indexed).map_err(|_| bad())
    }
}

impl Default for Theme {
    fn default() -> Self {
        // The built-in theme is tested to parse; this fallback is never used.
        Theme::parse(DEFAULT).unwrap_or_else(|_| {
            let named = Colour::Named;
            Theme {
                text: Colour::Reset,
                dim: named(Named::DarkGray),
                accent: named(Named::Cyan),
                title_bg: Colour::Reset,
                selection_bg: named(Named::DarkGray),
                search_match: named(Named::Yellow),
                trace_id: named(Named::LightBlue),
                error: named(Named::LightRed),
                warn: named(Named::Yellow),
                debug: named(Named::Gray),
                ok: named(Named::Green),
                palette: vec![named(Named::Cyan)],
                monochrome: false,
            }
        })
    }
}

impl Theme {
    /// A built-in theme by name, else a theme file at that path.
    pub fn load(spec: &str) -> Result<Theme, ThemeError> {
        let text = match BUILT_IN.iter().find(|(name, _)| *name == spec) {
            Some((_, text)) => (*text).to_owned(),
            None => std::fs::read_to_string(spec).map_err(|e| ThemeError::Unreadable {
                names: BUILT_IN.map(|(name, _)| name).join(", "),
                cause: e.to_string(),
            })?,
        };
        Theme::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Theme, ThemeError> {
        let theme: Theme =
            toml::from_str(text).map_err(|e| ThemeError::Toml(e.message().to_owned()))?;
        if theme.palette.is_empty() {
            return Err(ThemeError::EmptyPalette);
        }
        Ok(theme)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_themes_parse() {
        for (name, _) in BUILT_IN {
            assert!(Theme::load(name).is_ok(), "{name}");
        }
        assert!(matches!(
            Theme::load("no-such-theme"),
            Err(ThemeError::Unreadable { .. })
        ));
        assert!(Theme::parse(&DEFAULT.replace("\"cyan\"", "\"no-such-colour\"")).is_err());
    }

    #[test]
    fn colours_are_read_as_ratatui_reads_them() {
        let parse = |t: &str| t.parse::<Colour>();
        assert_eq!(parse("Light-Blue"), Ok(Colour::Named(Named::LightBlue)));
        assert_eq!(parse("dark grey"), Ok(Colour::Named(Named::DarkGray)));
        assert_eq!(parse("#1f2b3a"), Ok(Colour::Rgb(0x1f, 0x2b, 0x3a)));
        assert_eq!(parse("208"), Ok(Colour::Indexed(208)));
        assert_eq!(parse("reset"), Ok(Colour::Reset));
        assert!(parse("#12345").is_err());
        assert!(parse("256").is_err());
        assert!(parse("mauve").is_err());
    }
}
