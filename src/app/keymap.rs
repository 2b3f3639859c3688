//! Keys to actions. Each view has its own table (its `KEYS`), this file
//! the global one; key handling, the `?` help and the status-bar hints are
//! all read from them, and a key's label is written from the key itself.

use super::action::Action;
use super::keys::{Binding, CTRL, ch, ctrl, key, key_name};
use super::screen::Screen;
use super::state::State;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

pub const GLOBAL: &[Binding] = &[
    Binding::new(&[ch('q'), ctrl('c')], Action::Quit, "quit").hint("quit"),
    Binding::new(
        &[ctrl('z')],
        Action::Suspend,
        "suspend to the shell (fg comes back)",
    ),
    Binding::new(&[ch('?')], Action::ToggleHelp, "this help").hint("help"),
    Binding::new(
        &[ch(':')],
        Action::OpenCommand,
        "command line: :logs, :logs-pods, :trace, :traces, :metrics, :alerts, :pods, :ns, :ctx, :q",
    )
    .hint("command"),
    Binding::new(
        &[key(KeyCode::Esc), key(KeyCode::Backspace)],
        Action::Back,
        "back to where you came from",
    )
    .hint("back"),
    Binding::new(
        &[ch('r'), ctrl('r')],
        Action::Reload,
        "reload: the query again up to now, or the trace again",
    )
    .hint("reload"),
    Binding::new(
        &[ch('y')],
        Action::Copy,
        "copy the selection's value: a trace id, a log line, a span's attributes, a pod, an expression",
    )
    .hint("copy"),
    Binding::new(
        &[ch('Y')],
        Action::CopyView,
        "copy the whole view as text, as --print draws it",
    ),
    Binding::new(&[ch('j'), key(KeyCode::Down)], Action::Down, "down"),
    Binding::new(&[ch('k'), key(KeyCode::Up)], Action::Up, "up"),
    Binding::new(
        &[key(KeyCode::PageDown), ctrl('f')],
        Action::PageDown,
        "page down",
    ),
    Binding::new(
        &[key(KeyCode::PageUp), ctrl('b')],
        Action::PageUp,
        "page up",
    ),
    Binding::new(&[ch('g'), key(KeyCode::Home)], Action::Top, "first"),
    Binding::new(
        &[ch('G'), key(KeyCode::End)],
        Action::Bottom,
        "last (logs: oldest loaded)",
    ),
];

/// The action a key means in the current state, if any.
pub fn action_for(state: &State, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl_c = event.code == KeyCode::Char('c') && event.modifiers.contains(CTRL);
    if state.prompt.is_some() {
        return Some(match event.code {
            KeyCode::Enter => Action::Submit,
            KeyCode::Esc => Action::CancelInput,
            _ if ctrl_c => Action::CancelInput,
            _ => Action::Input(event),
        });
    }
    if state.help {
        return match event.code {
            KeyCode::Char('q') if event.modifiers.is_empty() => Some(Action::Quit),
            _ if ctrl_c => Some(Action::Quit),
            _ => Some(Action::ToggleHelp), // any other key closes the help
        };
    }
    // A typed character carries its case already; terminals differ on SHIFT.
    let mut mods = event.modifiers;
    if matches!(event.code, KeyCode::Char(_)) {
        mods.remove(KeyModifiers::SHIFT);
    }
    bindings(state.current().screen())
        .find(|b| b.takes(event.code, mods))
        .map(|b| b.action)
}

/// The bindings that apply in a view: its own first, so they win over a
/// global one on the same key.
pub fn bindings(screen: &dyn Screen) -> impl Iterator<Item = &'static Binding> {
    screen.keys().iter().chain(GLOBAL)
}

/// The bindings the help screen lists: the view's, then the global ones
/// (on a short screen the view's are what is cut last).
pub fn help(screen: &dyn Screen) -> impl Iterator<Item = &'static Binding> {
    screen.keys().iter().chain(GLOBAL).filter(|b| !b.quiet)
}

/// The status bar's hints: each action the view lists, by its first key
/// and its word; neighbours with one word share it (`h/l exemplar`). On a
/// narrow screen the ones before the last (`? help`) are left out from the
/// end until the line fits `room` columns.
pub fn hints(screen: &dyn Screen, room: usize) -> String {
    let mut words: Vec<(String, &str)> = Vec::new();
    for &action in screen.hints() {
        let Some(binding) = bindings(screen).find(|b| b.action == action) else {
            continue;
        };
        let Some(&first) = binding.keys.first() else {
            continue;
        };
        let name = key_name(first);
        match words.last_mut() {
            Some((keys, word)) if *word == binding.hint => {
                keys.push('/');
                keys.push_str(&name);
            }
            _ => words.push((name, binding.hint)),
        }
    }
    let mut hints: Vec<String> = words
        .iter()
        .map(|(keys, word)| format!("{keys} {word}"))
        .collect();
    let fits = |hints: &[String]| {
        let len: usize = hints.iter().map(|h| h.chars().count() + 2).sum();
        len <= room
    };
    while hints.len() > 1 && !fits(&hints) {
        hints.remove(hints.len() - 2);
    }
    let mut line = hints.join("  ");
    line.push(' ');
    line
}
