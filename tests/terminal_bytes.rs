//! What reaches the terminal, byte for byte: every view, its fields from
//! outside full of hostile text (escape sequences, OSC 52 clipboard writes,
//! OSC 8 links, 8-bit CSI, bidi overrides, BEL, wide CJK, emoji), is drawn
//! through crossterm into a recording. Every control sequence in it must
//! be one the UI writes itself: cursor moves, erases, colours and styles.
//! And a terminal that replays the bytes must put every character where
//! ratatui drew it: no row wider than the screen, no border pushed aside or
//! covered by a wide character. And a screen at rest writes nothing: a
//! tick that changes no cell is not a frame.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

#[path = "support/harness/mod.rs"]
mod harness;
mod support;

use harness::bodies::Text;
use harness::screens::{Amount, Case, Worlds, every_view, view_cases};
use harness::terminal::{drawn, foreign_controls, intended, replay};
use ratatui::backend::CrosstermBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::sync::{Arc, Mutex};
use triage::app::{Msg, ViewKind, update};
use triage::event_loop::Frames;

/// Every width from the smallest the UI draws to a wide screen, each at a
/// different height, so wide characters fall on every edge: a row's end,
/// a column's, the help box's and the completion list's borders.
fn sizes() -> impl Iterator<Item = (u16, u16)> {
    (20..=160).rev().map(|w| (w, 4 + (w * 7) % 45))
}

/// Draws the case at `width` x `height` and checks the bytes; whether
/// the hostile text was drawn (recognisable by its word "evil").
fn check(case: &mut Case, width: u16, height: u16) -> bool {
    let now = case.state.now;
    let _ = update(&mut case.state, Msg::Resize { width, height }, now);
    let (bytes, buffer) = drawn(&case.state);
    let at = format!("{} at {width}x{height}", case.name);
    let foreign = foreign_controls(&bytes);
    assert!(foreign.is_empty(), "{at}: {foreign:?}");
    assert_shows_what_was_drawn(&at, &bytes, &buffer);
    String::from_utf8_lossy(&bytes).contains("evil")
}

/// A terminal replaying `bytes` puts each character where `buffer` has it.
fn assert_shows_what_was_drawn(at: &str, bytes: &[u8], buffer: &Buffer) {
    let Rect { width, height, .. } = buffer.area;
    let (shown, beyond) = replay(bytes, width, height);
    assert!(
        beyond.is_empty(),
        "{at}: rows wider than the screen: {beyond:?}"
    );
    let (meant, hidden) = intended(buffer);
    assert!(
        hidden.is_empty(),
        "{at}: cells under wide characters: {hidden:?}"
    );
    for (y, (shown, meant)) in shown.iter().zip(&meant).enumerate() {
        assert_eq!(shown, meant, "{at}: row {y} as the terminal shows it");
    }
}

#[tokio::test]
async fn every_view_full_of_hostile_text_draws_only_our_sequences_in_place() {
    let amounts = [Amount::Empty, Amount::One, Amount::Failing];
    let mut cases = every_view(&Worlds::start(Text::Hostile, &amounts).await).await;
    for case in &mut cases {
        let drew_it = check(case, 160, 48);
        for (width, height) in sizes() {
            check(case, width, height);
        }
        // Refusals of the fake cluster and the empty answers hold no text
        // from outside; everything else shows it.
        let quiet = case.amount == Amount::Empty
            || (case.amount == Amount::Failing && case.name.starts_with("pod"))
            || case.name.starts_with("container log (Failing");
        let screen = support::screen(&case.state);
        assert!(
            drew_it || quiet,
            "{}: no hostile text drawn:\n{screen}",
            case.name
        );
    }
}

#[test]
fn the_check_refuses_what_it_must() {
    for raw in [
        "\u{1b}]52;c;eA==\u{7}",
        "\u{1b}]0;title\u{1b}\\",
        "\u{1b}P+q\u{1b}\\",
        "\u{9b}31m",
        "\u{1b}[2J\u{1b}[6n",
        "bell\u{7}",
        "\u{1b}c",
        "turned\u{202e}around",
        "zero\u{200b}width",
        "\u{feff}bom",
    ] {
        assert!(!foreign_controls(raw.as_bytes()).is_empty(), "{raw:?}");
    }
    assert!(
        foreign_controls("\u{1b}[1;1H\u{1b}[38;5;6;49mok\u{1b}[0m\u{1b}[?25l\r\n".as_bytes())
            .is_empty()
    );
}

#[test]
fn the_replay_sees_a_border_pushed_aside_or_covered() {
    // ratatui measures an emoji ZWJ sequence as one wide cell; a terminal
    // that measures each character draws it four cells wide, and the
    // border written after it lands two cells to the right.
    let mut buffer = Buffer::empty(Rect::new(0, 0, 6, 1));
    buffer[(0, 0)].set_symbol("👩\u{200d}💻");
    buffer[(2, 0)].set_symbol("│");
    let bytes = "\u{1b}[1;1H👩\u{200d}💻│".as_bytes();
    assert_ne!(replay(bytes, 6, 1).0, intended(&buffer).0);
    // A border cell under the second half of a wide character is hidden.
    let mut buffer = Buffer::empty(Rect::new(0, 0, 4, 1));
    buffer[(0, 0)].set_symbol("日");
    buffer[(1, 0)].set_symbol("│");
    assert!(!intended(&buffer).1.is_empty());
    // A wide character in the last column does not fit.
    assert!(!replay("\u{1b}[1;4H日".as_bytes(), 4, 1).1.is_empty());
}

/// `NO_COLOR`: every view drawn with no colour sequence at all (the
/// defaults, 39 and 49, only), its meaning in bold, underline, reverse.
#[tokio::test]
async fn with_no_colour_every_view_draws_no_colour() {
    let mut cases =
        every_view(&Worlds::start(Text::Recorded, &[Amount::One, Amount::Failing]).await).await;
    for case in &mut cases {
        case.state.settings.theme.monochrome = true;
        let (bytes, _) = drawn(&case.state);
        let text = String::from_utf8_lossy(&bytes);
        // Each SGR (`CSI ... m`): its first code names no colour but the
        // defaults (39, 49).
        let coloured: Vec<&str> = (text.split('\u{1b}'))
            .filter_map(|sequence| {
                let csi = sequence.strip_prefix('[')?;
                let end = csi.find(|c: char| ('@'..='~').contains(&c))?;
                (csi.as_bytes()[end] == b'm').then_some(&csi[..end])
            })
            .filter(|codes| {
                codes.split(';').any(|code| {
                    matches!(code, "38" | "48")
                        || (code.len() == 2
                            && (code.starts_with('3') || code.starts_with('4'))
                            && !code.ends_with('9'))
                })
            })
            .collect();
        assert!(coloured.is_empty(), "{}: {coloured:?}", case.name);
    }
}

/// What the loop writes to the terminal, kept to be taken frame by frame.
#[derive(Clone, Default)]
struct Written(Arc<Mutex<Vec<u8>>>);

impl Written {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

impl std::io::Write for Written {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Whether `bytes` are one synchronized update, with something in it.
fn one_frame(bytes: &str) -> bool {
    let (begin, end) = ("\u{1b}[?2026h", "\u{1b}[?2026l");
    bytes.len() > begin.len() + end.len()
        && bytes.starts_with(begin)
        && bytes.ends_with(end)
        && bytes.matches(begin).count() == 1
        && bytes.matches(end).count() == 1
}

/// The views that show ages (the pods, a pod) tick once a second, and the
/// loop draws each tick; where no age on the screen moved, the frame is
/// the one shown and the loop writes 0 bytes for it: not the synchronized
/// update's markers, nor the style reset and hidden cursor ratatui writes
/// around an empty diff. An hour later the ages have moved: one frame.
#[tokio::test]
async fn a_tick_that_changes_no_cell_writes_nothing() {
    let worlds = Worlds::start(Text::Recorded, &[Amount::One]).await;
    let world = &worlds.worlds[0];
    let mut cases = view_cases(ViewKind::Pods, world, &worlds.smaller).await;
    cases.extend(view_cases(ViewKind::Pod, world, &worlds.smaller).await);
    assert!(cases.len() >= 2);
    for case in &mut cases {
        let state = &mut case.state;
        let name = &case.name;
        assert!(state.shows_time(), "{name}: does not tick");
        let written = Written::default();
        let viewport = Viewport::Fixed(Rect::new(0, 0, state.width, state.height));
        let mut terminal = Terminal::with_options(
            CrosstermBackend::new(written.clone()),
            TerminalOptions { viewport },
        )
        .unwrap();
        let mut frames = Frames::default();
        assert!(frames.draw(&mut terminal, state).unwrap());
        let first = written.take();
        assert!(one_frame(&first), "{name}: the first frame: {first:?}");
        let now = state.now;
        for tick in 0..3 {
            let generation = state.generation;
            let _ = update(state, Msg::Tick, now);
            assert_ne!(state.generation, generation, "{name}: a tick is drawn");
            assert!(!frames.draw(&mut terminal, state).unwrap());
            let idle = written.take();
            assert_eq!(idle, "", "{name}: tick {tick} changed nothing");
        }
        let later = now + 3_600 * 1_000_000_000;
        let _ = update(state, Msg::Tick, later);
        assert!(frames.draw(&mut terminal, state).unwrap());
        let moved = written.take();
        assert!(one_frame(&moved), "{name}: an hour later: {moved:?}");
        // And at rest again.
        let _ = update(state, Msg::Tick, later);
        assert!(!frames.draw(&mut terminal, state).unwrap());
        assert_eq!(written.take(), "", "{name}: at rest an hour later");
    }
}
