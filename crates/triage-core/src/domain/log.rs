//! Log lines as Loki returns them, once made safe.

use super::{Labels, Nanos, SafeText};
use std::sync::Arc;

/// The longest log line kept whole; the rest of it is cut, with a mark:
/// a megabyte on one line helps nobody and costs every frame that wraps it.
pub const MAX_LINE_BYTES: usize = 64 * 1024;
/// Where a line was cut.
pub const CUT_MARK: &str = " [… cut: longer than 64 KiB]";

/// A line from outside as it is kept: at most [`MAX_LINE_BYTES`] of it,
/// made safe.
pub fn line_text(raw: &str) -> SafeText {
    if raw.len() <= MAX_LINE_BYTES {
        return SafeText::new(raw);
    }
    let mut end = MAX_LINE_BYTES;
    while !raw.is_char_boundary(end) {
        end -= 1;
    }
    SafeText::new(&format!("{}{CUT_MARK}", &raw[..end]))
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogLine {
    pub timestamp: Nanos,
    pub labels: Arc<Labels>,
    pub line: SafeText,
}

impl LogLine {
    /// Where the line came from, as an engineer names it: the pod, else the
    /// container, app or service, else the job.
    pub fn source(&self) -> &str {
        ["pod", "container", "app", "service_name", "job"]
            .iter()
            .find_map(|name| self.labels.get(name))
            .map_or("", |v| v.as_str())
    }

    /// The level Loki detected, else one read from the line itself.
    pub fn level(&self) -> Level {
        let from_label = ["level", "detected_level", "severity"]
            .iter()
            .find_map(|name| self.labels.get(name))
            .map_or(Level::Unknown, |v| Level::from_word(v));
        if from_label != Level::Unknown {
            return from_label;
        }
        Level::sniff(&self.line)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Unknown,
    Trace,
    Debug,
    Info,
    Warn,
    Error,
    Fatal,
}

impl Level {
    pub fn from_word(word: &str) -> Level {
        match word.to_ascii_lowercase().as_str() {
            "trace" | "trc" | "verbose" | "vrb" => Level::Trace,
            "debug" | "dbg" => Level::Debug,
            "info" | "inf" | "information" | "notice" => Level::Info,
            "warn" | "wrn" | "warning" => Level::Warn,
            "error" | "err" | "eror" => Level::Error,
            "fatal" | "ftl" | "critical" | "crit" | "panic" | "emerg" | "alert" => Level::Fatal,
            _ => Level::Unknown,
        }
    }

    /// Finds a level in the first words of a line: `level=warn`,
    /// `"level": "error"`, `[INFO]`, `[12:00:01 ERR]`, `E0102 ...`.
    pub fn sniff(line: &str) -> Level {
        let head = line.get(..line.len().min(120)).unwrap_or(line);
        for key in ["level=", "\"level\":", "\"level\" :", "lvl=", "severity="] {
            if let Some(at) = head.find(key) {
                let value = head[at + key.len()..]
                    .trim_start_matches([' ', '"'])
                    .split(|c: char| !c.is_ascii_alphabetic())
                    .next()
                    .unwrap_or("");
                return Level::from_word(value);
            }
        }
        head.split(|c: char| !c.is_ascii_alphabetic())
            .filter(|word| !word.is_empty())
            .take(6)
            .map(Level::from_word)
            .find(|level| *level != Level::Unknown)
            .unwrap_or(Level::Unknown)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_found_in_common_formats() {
        assert_eq!(Level::sniff("level=warn msg=\"slow\""), Level::Warn);
        assert_eq!(
            Level::sniff("{\"level\": \"error\", \"msg\": \"x\"}"),
            Level::Error
        );
        assert_eq!(Level::sniff("[INFO] [trace_id=abc] done"), Level::Info);
        assert_eq!(Level::sniff("[19:22:57 ERR] |abc| boom"), Level::Error);
        assert_eq!(Level::sniff("just some words here"), Level::Unknown);
    }

    #[test]
    fn source_prefers_the_pod() {
        let labels = Labels(vec![
            ("app".into(), "api".into()),
            ("pod".into(), "api-1".into()),
        ]);
        let line = LogLine {
            timestamp: 0,
            labels: Arc::new(labels),
            line: "x".into(),
        };
        assert_eq!(line.source(), "api-1");
    }
}
