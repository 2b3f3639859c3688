//! `triage config import-grafana`: Grafana's data sources turned into a
//! context of the config file. The change is shown as a diff before
//! anything is written, and written only when the user says so.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use triage_core::config::grafana::{self, Source};

/// What `import-grafana` was asked to do.
pub struct ImportGrafana<'a> {
    pub files: &'a [PathBuf],
    /// The context written (replaced if the file has one so named).
    pub name: &'a str,
    /// The config file: `--config`, else the default path.
    pub config: Option<PathBuf>,
    /// Write without asking.
    pub yes: bool,
    /// Show the change and write nothing.
    pub dry_run: bool,
}

/// What went wrong: in words, or the terminal's own error.
#[derive(Debug, thiserror::Error)]
pub enum Failed {
    #[error("{0}")]
    Said(String),
    #[error(transparent)]
    Io(#[from] std::io::Error),
}

pub fn import_grafana(args: ImportGrafana) -> Result<(), Failed> {
    let sources = args
        .files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path)
                .map_err(|e| failed(format!("cannot read {}: {e}", path.display())))?;
            let name = path.display().to_string();
            Ok(Source { name, text })
        })
        .collect::<Result<Vec<_>, Failed>>()?;
    let env = |name: &str| std::env::var(name).ok();
    let imported = grafana::import(&sources, args.name, &env).map_err(failed)?;
    let path = args
        .config
        .or_else(triage_core::config::default_path)
        .ok_or_else(|| failed("no config file: give --config FILE"))?;
    let existing = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => {
            return Err(failed(format!("cannot read {}: {e}", path.display())));
        }
    };
    let names: Vec<String> = sources.iter().map(|s| s.name.clone()).collect();
    let changed =
        grafana::with_context(&existing, args.name, imported.context, &names).map_err(failed)?;
    triage_core::config::check_file(&changed).map_err(failed)?;

    let mut out = std::io::stdout().lock();
    let shown = path.display().to_string();
    let diff = similar::TextDiff::from_lines(&existing, &changed);
    write!(out, "{}", diff.unified_diff().header(&shown, &shown))?;
    list(&mut out, "Notes", &imported.notes)?;
    list(&mut out, "Not mapped", &imported.unmapped)?;
    if args.dry_run {
        return Ok(writeln!(out, "\n--dry-run: {shown} was not changed")?);
    }
    if !args.yes && !confirmed(&mut out, &shown)? {
        return Ok(writeln!(out, "{shown} was not changed")?);
    }
    write_private(&path, &changed)?;
    writeln!(
        out,
        "\nWrote context {:?} to {shown}; use it with --context {}",
        args.name, args.name
    )?;
    Ok(())
}

fn failed(e: impl std::fmt::Display) -> Failed {
    Failed::Said(e.to_string())
}

fn list(out: &mut impl Write, heading: &str, items: &[String]) -> std::io::Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    writeln!(out, "\n{heading}:")?;
    for item in items {
        // Names and values came from the files: made safe to print.
        writeln!(out, "  - {}", triage_core::domain::SafeText::new(item))?;
    }
    Ok(())
}

/// Asks on the terminal; without one, the answer is no (`--yes` says yes).
fn confirmed(out: &mut impl Write, path: &str) -> Result<bool, Failed> {
    if !std::io::stdin().is_terminal() {
        return Err(failed(format!(
            "{path} was not changed: give --yes to write without a terminal to ask on"
        )));
    }
    write!(out, "\nWrite this to {path}? [y/N] ")?;
    out.flush()?;
    let mut answer = String::new();
    std::io::stdin().lock().read_line(&mut answer)?;
    Ok(matches!(answer.trim(), "y" | "Y" | "yes"))
}

/// Written whole or not at all, readable by its owner only (it may name
/// where credentials are).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temporary)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&temporary, path)
}
