use clap::Parser;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = triage::cli::Cli::parse();
    if let Some(path) = init_logging() {
        tracing::info!(version = env!("CARGO_PKG_VERSION"), log = %path.display(), "starting");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("triage: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(triage::cli::run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("triage: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Our own diagnostics go to a file, never to the terminal the UI owns:
/// `$XDG_STATE_HOME/triage/triage.log`, level from `TRIAGE_LOG` (default info).
fn init_logging() -> Option<PathBuf> {
    let dir = triage_core::config::state_dir()?;
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join("triage.log");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("TRIAGE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(triage_core::secret::Redacting(file)))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init()
        .ok()?;
    Some(path)
}
