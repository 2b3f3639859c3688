//! Expressions run from the editor, kept across runs: one expression a
//! line in `$XDG_STATE_HOME/triage/promql_history` (and `traceql_history`),
//! oldest first.

use crate::app::prompt::Language;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Entries kept; the file is rewritten down to this when it grows past twice.
pub const MAX_ENTRIES: usize = 500;

pub fn default_dir() -> Option<PathBuf> {
    triage_core::config::state_dir()
}

/// The file a language's history is kept in.
pub fn file(dir: &Path, language: Language) -> PathBuf {
    dir.join(match language {
        Language::PromQl => "promql_history",
        Language::TraceQl => "traceql_history",
        Language::LogQl => "logql_history",
    })
}

/// The newest `MAX_ENTRIES`, oldest first, each once (where it was last
/// run); no file is no history.
pub fn load(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut history = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        remember(&mut history, line);
    }
    history
}

/// Adds an expression (on one line) at the end, readable by the user only:
/// expressions can name customers, hosts and the like.
pub fn append(path: &Path, promql: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let line = promql.split_whitespace().collect::<Vec<_>>().join(" ");
    writeln!(options.open(path)?, "{line}")?;
    if std::fs::read_to_string(path)?.lines().count() > 2 * MAX_ENTRIES {
        std::fs::write(path, load(path).join("\n") + "\n")?;
    }
    Ok(())
}

/// The history with `promql` moved to its end, as the newest.
pub fn remember(history: &mut Vec<String>, promql: &str) {
    history.retain(|h| h != promql);
    history.push(promql.to_owned());
    let excess = history.len().saturating_sub(MAX_ENTRIES);
    history.drain(..excess);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_across_runs_newest_last_and_bounded() {
        let dir = std::env::temp_dir().join(format!("triage-history-{}", std::process::id()));
        let path = dir.join("promql_history");
        let _ = std::fs::remove_dir_all(&dir);
        assert!(load(&path).is_empty());
        append(&path, "up").unwrap();
        append(&path, "sum by (code)\n  (rate(x[1m]))").unwrap();
        append(&path, "up").unwrap();
        assert_eq!(load(&path), ["sum by (code) (rate(x[1m]))", "up"]);
        for i in 0..2 * MAX_ENTRIES {
            append(&path, &format!("q{i}")).unwrap();
        }
        let kept = load(&path);
        assert_eq!(kept.len(), MAX_ENTRIES);
        assert_eq!(kept.last().map(String::as_str), Some("q999"));
        let lines = std::fs::read_to_string(&path).unwrap().lines().count();
        assert!(lines <= 2 * MAX_ENTRIES, "{lines}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{mode:o}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn remembering_moves_a_repeat_to_the_end() {
        let mut history = vec!["a".to_owned(), "b".to_owned()];
        remember(&mut history, "a");
        assert_eq!(history, ["b", "a"]);
    }
}
