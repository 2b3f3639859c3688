//! A key binding: the keys, the action, and the words for the help screen
//! and the status bar. Each view declares its own in a table (`KEYS`).

use super::action::Action;
use crossterm::event::{KeyCode, KeyModifiers};

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    pub action: Action,
    /// What it does, on the help screen.
    pub help: &'static str,
    /// Its word in the status bar, when a view lists it there.
    pub hint: &'static str,
    /// How the help writes its keys, for a run of keys the help lists
    /// once (`1..9`); its siblings are `quiet`.
    written: Option<&'static str>,
    /// Left out of the help: a sibling of a binding written as a run.
    pub quiet: bool,
}

impl Binding {
    pub const fn new(
        keys: &'static [(KeyCode, KeyModifiers)],
        action: Action,
        help: &'static str,
    ) -> Self {
        Binding {
            keys,
            action,
            help,
            hint: "",
            written: None,
            quiet: false,
        }
    }

    pub const fn written(self, written: &'static str) -> Self {
        Binding {
            written: Some(written),
            ..self
        }
    }

    pub const fn quiet(self) -> Self {
        Binding {
            quiet: true,
            ..self
        }
    }

    pub const fn hint(self, hint: &'static str) -> Self {
        Binding { hint, ..self }
    }

    /// The keys as the help screen writes them: `q Ctrl-c`, `j ↓`.
    pub fn label(&self) -> String {
        if let Some(written) = self.written {
            return written.to_owned();
        }
        let names: Vec<String> = self.keys.iter().map(|&k| key_name(k)).collect();
        names.join(" ")
    }

    pub fn takes(&self, code: KeyCode, mods: KeyModifiers) -> bool {
        self.keys.iter().any(|&(c, m)| c == code && m == mods)
    }
}

const NONE: KeyModifiers = KeyModifiers::NONE;
pub const CTRL: KeyModifiers = KeyModifiers::CONTROL;

pub const fn ch(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), NONE)
}

pub const fn ctrl(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), CTRL)
}

pub const fn key(code: KeyCode) -> (KeyCode, KeyModifiers) {
    (code, NONE)
}

pub fn key_name((code, mods): (KeyCode, KeyModifiers)) -> String {
    let name = match code {
        KeyCode::Char(' ') => "Space".into(),
        KeyCode::Char(c) => c.to_string(),
        KeyCode::Up => "↑".into(),
        KeyCode::Down => "↓".into(),
        KeyCode::Left => "←".into(),
        KeyCode::Right => "→".into(),
        KeyCode::PageUp => "PgUp".into(),
        KeyCode::PageDown => "PgDn".into(),
        other => other.to_string(),
    };
    if mods.contains(CTRL) {
        format!("Ctrl-{name}")
    } else {
        name
    }
}
