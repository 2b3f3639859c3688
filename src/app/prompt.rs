//! One prompt for everything typed: the command line, a search, a filter
//! and the expression editor. It edits text, walks the history and the
//! completion list; what the text means is the router's (commands) or the
//! view's (the rest).

use super::complete::Context;
pub use super::complete::Language;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};
use regex::Regex;
use triage_core::domain::SafeText;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Search,
    Filter,
    /// A duration a filter needs (spans slower than it).
    Threshold,
    /// An expression, with completion and history.
    Expression(Language),
}

pub struct Prompt {
    pub kind: PromptKind,
    pub textarea: TextArea<'static>,
    /// Names that fit the word at the cursor.
    pub completion: Option<Completion>,
    /// The history entry ↑/↓ are on, and what was typed before it.
    pub recalled: Option<(usize, String)>,
}

#[derive(Debug)]
pub struct Completion {
    pub context: Context,
    /// The names that fit, best first; empty while they load.
    pub names: Vec<String>,
    pub selected: usize,
}

impl Prompt {
    pub fn new(kind: PromptKind, text: &str) -> Self {
        Prompt {
            kind,
            textarea: one_line(text),
            completion: None,
            recalled: None,
        }
    }

    pub fn text(&self) -> String {
        self.textarea.lines().join("")
    }

    /// A key typed into it. Ctrl-u clears to the start, as in a shell (the
    /// text area would undo).
    pub fn edit(&mut self, key: KeyEvent) {
        if key.code == KeyCode::Char('u') && key.modifiers.contains(KeyModifiers::CONTROL) {
            self.textarea.delete_line_by_head();
        } else {
            self.textarea.input(key);
        }
        self.recalled = None;
    }

    /// ↑/↓ move in the completion list when it has names. Returns whether
    /// the key was taken.
    pub fn choose(&mut self, up: bool) -> bool {
        let Some(c) = self.completion.as_mut().filter(|c| !c.names.is_empty()) else {
            return false;
        };
        let step = if up { c.names.len() - 1 } else { 1 };
        c.selected = (c.selected + step) % c.names.len();
        true
    }

    /// ↑ an older entry, ↓ a newer one, and past the newest what was
    /// being typed.
    pub fn recall(&mut self, history: &[String], older: bool) {
        let (at, draft) = self
            .recalled
            .take()
            .unwrap_or_else(|| (history.len(), self.text()));
        let at = if older {
            at.saturating_sub(1)
        } else {
            (at + 1).min(history.len())
        };
        self.textarea = one_line(history.get(at).unwrap_or(&draft));
        self.completion = None;
        self.recalled = Some((at, draft));
    }

    /// Replaces the word at the cursor with the chosen name.
    pub fn accept_completion(&mut self) {
        let Some(completion) = self.completion.take() else {
            return;
        };
        let Some(name) = completion.names.get(completion.selected) else {
            return;
        };
        for _ in completion.context.prefix.chars() {
            self.textarea.delete_char();
        }
        self.textarea.insert_str(completion.context.insertion(name));
    }

    pub fn text_before_cursor(&self) -> String {
        let cursor = self.textarea.cursor();
        let (row, col) = (cursor.0, cursor.1);
        let line = self.textarea.lines().get(row).map_or("", String::as_str);
        line.chars().take(col).collect()
    }
}

/// A one-line text area holding `text`, the cursor at its end.
fn one_line(text: &str) -> TextArea<'static> {
    let mut textarea = TextArea::new(vec![text.to_owned()]);
    textarea.move_cursor(CursorMove::End);
    textarea
}

/// A search or filter pattern as typed, compiled once.
pub struct Pattern {
    pub text: String,
    pub regex: Result<Regex, BadPattern>,
}

/// Why a pattern is not a regex, in the regex crate's words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BadPattern(pub SafeText);

impl Pattern {
    pub fn new(text: String) -> Self {
        Pattern {
            regex: compile(&text),
            text,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        self.regex.as_ref().is_ok_and(|r| r.is_match(text))
    }

    pub fn error(&self) -> Option<&BadPattern> {
        self.regex.as_ref().err()
    }
}

fn compile(pattern: &str) -> Result<Regex, BadPattern> {
    // Lower-case patterns match either case, as with smartcase in vim.
    let case_insensitive = !pattern.chars().any(char::is_uppercase);
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            let words = e.to_string();
            BadPattern(SafeText::new(words.lines().last().unwrap_or("bad regex")))
        })
}
