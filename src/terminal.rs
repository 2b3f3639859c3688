//! The terminal triage draws on: taken over at start and given back on
//! every way out: quitting, a panic on any thread, SIGINT, SIGTERM and
//! SIGHUP; given back and taken again around a suspend (SIGTSTP, then
//! SIGCONT), as a shell's job control expects.

use ratatui::DefaultTerminal;
use std::io;
use tokio::signal::unix::{Signal, SignalKind, signal};

/// Raw mode and the alternate screen. A panic anywhere gives the terminal
/// back, prints its message, and ends the program: a UI whose worker died
/// must not go on drawing into a terminal that is no longer raw.
pub fn take() -> io::Result<DefaultTerminal> {
    let terminal = ratatui::try_init()?;
    std::panic::set_hook(Box::new(|info| {
        let _ = give_back();
        // Our own words, not the default hook's: a panic's message is
        // cut of credentials like any other text that leaves the program.
        let payload = info.payload();
        let message = (payload.downcast_ref::<&str>().copied())
            .or(payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("no message");
        let place = info
            .location()
            .map_or_else(String::new, |l| format!(" at {}:{}", l.file(), l.line()));
        let report = format!("triage crashed: {message}{place}");
        let report = triage_core::secret::cut_for_sinks(&report);
        tracing::error!("{report}");
        eprintln!("{report}");
        std::process::exit(101);
    }));
    Ok(terminal)
}

/// Back to how the shell left it.
pub fn give_back() -> io::Result<()> {
    ratatui::try_restore()
}

/// What a signal asks of the UI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// SIGINT, SIGTERM, SIGHUP: give the terminal back and end.
    Quit,
    /// SIGTSTP: give the terminal back, stop until SIGCONT, take it again.
    Suspend,
}

/// The signals that stop or pause the program.
pub struct Signals {
    interrupt: Signal,
    terminate: Signal,
    hangup: Signal,
    suspend: Signal,
}

impl Signals {
    pub fn new() -> io::Result<Signals> {
        Ok(Signals {
            interrupt: signal(SignalKind::interrupt())?,
            terminate: signal(SignalKind::terminate())?,
            hangup: signal(SignalKind::hangup())?,
            // Handling SIGTSTP replaces the default stop, so `suspend`
            // stops the process itself once the terminal is given back.
            suspend: signal(SignalKind::from_raw(rustix::process::Signal::TSTP.as_raw()))?,
        })
    }

    pub async fn next(&mut self) -> Stop {
        tokio::select! {
            _ = self.interrupt.recv() => Stop::Quit,
            _ = self.terminate.recv() => Stop::Quit,
            _ = self.hangup.recv() => Stop::Quit,
            _ = self.suspend.recv() => Stop::Suspend,
        }
    }
}

/// Gives the terminal back, stops the process (as SIGTSTP would have), and
/// takes the terminal again when the shell continues it.
pub fn suspend(terminal: &mut DefaultTerminal) -> io::Result<()> {
    give_back()?;
    let me = rustix::process::getpid();
    rustix::process::kill_process(me, rustix::process::Signal::STOP).map_err(io::Error::from)?;
    // Continued (SIGCONT): raw mode and the alternate screen again, and a
    // full redraw, since the shell wrote over the screen meanwhile. A new
    // terminal redraws every cell; `Terminal::clear` would ask the cursor's
    // position of the terminal, whose answer the key reader may swallow.
    crossterm::terminal::enable_raw_mode()?;
    crossterm::execute!(
        io::stdout(),
        crossterm::terminal::EnterAlternateScreen,
        crossterm::terminal::Clear(crossterm::terminal::ClearType::All)
    )?;
    *terminal = ratatui::Terminal::new(ratatui::backend::CrosstermBackend::new(io::stdout()))?;
    Ok(())
}
