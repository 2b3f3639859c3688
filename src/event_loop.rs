//! The loop: terminal events become actions, `update` changes the state and
//! returns effects, the runner carries them out, and the screen is drawn
//! only when something changed. It ties the app to the UI and the
//! terminal, so it stands above both.

use crate::app::effect::Clip;
use crate::app::{Effect, Msg, Runner, State, keymap, now, update};
use crate::clipboard;
use crate::terminal::{Signals, Stop};
use crossterm::event::{Event, EventStream};
use crossterm::terminal::{BeginSynchronizedUpdate, EndSynchronizedUpdate};
use crossterm::{execute, queue};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{DefaultTerminal, Terminal};
use std::io::Write;
use std::time::Duration;
use tokio::time::Instant;

/// The least time between two frames drawn for streamed answers (lines
/// pouring in, a watch): ten a second, so a fast stream costs a slow ssh
/// link little; keys are answered at once.
const STREAM_FRAME: Duration = Duration::from_millis(100);

/// What the terminal shows: the frames are drawn here, each only if it
/// changes a cell.
#[derive(Default)]
pub struct Frames {
    /// The last frame written to the terminal; None when the terminal has
    /// not been drawn on yet, or was given back and taken again.
    shown: Option<Buffer>,
}

impl Frames {
    /// Draws a frame inside the terminal's synchronized-update mode (`CSI ?
    /// 2026 h` ... `l`, as yazi does): a terminal that knows it shows the
    /// frame whole, so a slow link never shows half of one; others ignore
    /// it. A frame that changes no cell of the one shown (a tick where no
    /// age moved) writes nothing at all: not the markers, the style reset
    /// or the hidden cursor that `Terminal::draw` writes around an empty
    /// diff. The frame is drawn at the size the loop last heard of
    /// (`State::width`, `height`); a new size is taken (`autoresize`, which
    /// clears the screen) inside the update. The UI never places the
    /// cursor, so it stays hidden, as `Terminal::draw` leaves it when the
    /// frame sets no position. Whether anything was written.
    pub fn draw<W: Write>(
        &mut self,
        terminal: &mut Terminal<CrosstermBackend<W>>,
        state: &State,
    ) -> std::io::Result<bool> {
        let area = Rect::new(0, 0, state.width, state.height);
        if let Some(shown) = self.shown.as_ref().filter(|b| b.area == area) {
            crate::ui::draw(&mut terminal.get_frame(), state);
            let next = terminal.current_buffer_mut();
            if shown.diff_iter(next).next().is_none() {
                // The next frame is drawn into this buffer again: from
                // nothing, as after `Terminal::draw`'s swap.
                next.reset();
                return Ok(false);
            }
            queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
        } else {
            queue!(terminal.backend_mut(), BeginSynchronizedUpdate)?;
            terminal.autoresize()?;
            crate::ui::draw(&mut terminal.get_frame(), state);
        }
        let frame = terminal.apply_buffer()?;
        match &mut self.shown {
            Some(shown) => shown.clone_from(frame.buffer),
            None => self.shown = Some(frame.buffer.clone()),
        }
        execute!(terminal.backend_mut(), EndSynchronizedUpdate)?;
        Ok(true)
    }

    /// The terminal was given back and taken again: what it shows is no
    /// longer known, so the next frame is drawn whole.
    pub fn forget(&mut self) {
        self.shown = None;
    }
}

/// Writes OSC 52 for the clipboard straight to the terminal: the only
/// OSC triage writes. The whole view is its `--print` text, cut to what a
/// terminal's clipboard takes.
fn copy(terminal: &mut DefaultTerminal, state: &State, clip: Clip) -> std::io::Result<()> {
    let text = match clip {
        Clip::Text(text) => text,
        Clip::View => {
            let height = crate::ui::natural_height(state).min(2_000);
            let mut text = crate::ui::print::render_text(state, state.width, height);
            while text.len() > clipboard::MAX_BYTES {
                text.truncate(text[..text.len() - 1].rfind('\n').unwrap_or(0));
            }
            text
        }
    };
    if let Some(bytes) = clipboard::osc52(&text, clipboard::Multiplexer::from_env()) {
        terminal.backend_mut().write_all(&bytes)?;
        terminal.backend_mut().flush()?;
    }
    Ok(())
}

/// Runs the interactive loop until the user quits or a signal ends it.
pub async fn run(
    terminal: &mut DefaultTerminal,
    mut state: State,
    mut runner: Runner,
    mut results: tokio::sync::mpsc::Receiver<Msg>,
    first: Vec<Effect>,
) -> std::io::Result<()> {
    let mut events = EventStream::new();
    let mut signals = Signals::new()?;
    // Once a second while the screen shows time passing.
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    first.into_iter().for_each(|e| runner.run(e));
    // The generation last drawn; None after the terminal was given back.
    let mut drawn = None;
    let mut frames = Frames::default();
    let mut last_frame = Instant::now();
    // Whether the last change came from a stream, and when its frame is due.
    let mut streamed = false;
    let mut due: Option<Instant> = None;
    loop {
        if drawn != Some(state.generation) {
            let next = last_frame + STREAM_FRAME;
            if streamed && Instant::now() < next {
                due = Some(next);
            } else {
                if frames.draw(terminal, &state)? {
                    last_frame = Instant::now();
                }
                drawn = Some(state.generation);
                due = None;
            }
        }
        if state.quit {
            return Ok(());
        }
        if std::mem::take(&mut state.suspend) {
            crate::terminal::suspend(terminal)?;
            frames.forget();
            drawn = None;
            continue;
        }
        let msg = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => keymap::action_for(&state, key).map(Msg::Action),
                Some(Ok(Event::Resize(width, height))) => Some(Msg::Resize { width, height }),
                Some(Ok(_)) => None,
                Some(Err(e)) => return Err(e),
                None => return Ok(()), // no more input: the terminal is gone
            },
            Some(msg) = results.recv() => {
                if let Some(id) = msg.finishes() {
                    runner.finished(id);
                }
                Some(msg)
            }
            _ = tick.tick(), if state.shows_time() => Some(Msg::Tick),
            _ = tokio::time::sleep_until(due.unwrap_or_else(Instant::now)), if due.is_some() => {
                streamed = false; // the frame is due: drawn on the next turn
                None
            }
            stop = signals.next() => match stop {
                Stop::Quit => return Ok(()),
                Stop::Suspend => {
                    crate::terminal::suspend(terminal)?;
                    frames.forget();
                    drawn = None;
                    None
                }
            },
        };
        if let Some(msg) = msg {
            streamed = msg.pours();
            for effect in update(&mut state, msg, now()) {
                match effect {
                    Effect::Clipboard(clip) => copy(terminal, &state, clip)?,
                    effect => runner.run(effect),
                }
            }
        }
    }
}
