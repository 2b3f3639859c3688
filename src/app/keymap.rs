//! Keys to actions, in one table that the help screen is drawn from.

use super::action::Action;
use super::pods::PodColumn;
use super::state::{State, ViewKind};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// Where a binding applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Global,
    Logs,
    Trace,
    Metrics,
    /// Home's alert list and the alerts view.
    Alerts,
    Pods,
    /// One pod's detail.
    Pod,
}

pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written on the help screen.
    pub label: &'static str,
    pub action: Action,
    pub scope: Scope,
    pub help: &'static str,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn ch(c: char) -> (KeyCode, KeyModifiers) {
    (KeyCode::Char(c), NONE)
}

const fn key(code: KeyCode) -> (KeyCode, KeyModifiers) {
    (code, NONE)
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[ch('q'), (KeyCode::Char('c'), CTRL)],
        label: "q Ctrl-c",
        action: Action::Quit,
        scope: Scope::Global,
        help: "quit",
    },
    Binding {
        keys: &[(KeyCode::Char('z'), CTRL)],
        label: "Ctrl-z",
        action: Action::Suspend,
        scope: Scope::Global,
        help: "suspend to the shell (fg comes back)",
    },
    Binding {
        keys: &[ch('?')],
        label: "?",
        action: Action::ToggleHelp,
        scope: Scope::Global,
        help: "this help",
    },
    Binding {
        keys: &[ch(':')],
        label: ":",
        action: Action::OpenCommand,
        scope: Scope::Global,
        help: "command line: :logs, :trace, :metrics, :alerts, :pods, :ns, :ctx, :q",
    },
    Binding {
        keys: &[key(KeyCode::Esc), key(KeyCode::Backspace)],
        label: "Esc Backspace",
        action: Action::Back,
        scope: Scope::Global,
        help: "back to where you came from",
    },
    Binding {
        keys: &[ch('r'), (KeyCode::Char('r'), CTRL)],
        label: "r Ctrl-r",
        action: Action::Reload,
        scope: Scope::Global,
        help: "reload: the query again up to now, or the trace again",
    },
    Binding {
        keys: &[ch('j'), key(KeyCode::Down)],
        label: "j ↓",
        action: Action::Down,
        scope: Scope::Global,
        help: "down",
    },
    Binding {
        keys: &[ch('k'), key(KeyCode::Up)],
        label: "k ↑",
        action: Action::Up,
        scope: Scope::Global,
        help: "up",
    },
    Binding {
        keys: &[key(KeyCode::PageDown), (KeyCode::Char('f'), CTRL)],
        label: "PgDn Ctrl-f",
        action: Action::PageDown,
        scope: Scope::Global,
        help: "page down",
    },
    Binding {
        keys: &[key(KeyCode::PageUp), (KeyCode::Char('b'), CTRL)],
        label: "PgUp Ctrl-b",
        action: Action::PageUp,
        scope: Scope::Global,
        help: "page up",
    },
    Binding {
        keys: &[ch('g'), key(KeyCode::Home)],
        label: "g Home",
        action: Action::Top,
        scope: Scope::Global,
        help: "first",
    },
    Binding {
        keys: &[ch('G'), key(KeyCode::End)],
        label: "G End",
        action: Action::Bottom,
        scope: Scope::Global,
        help: "last (logs: oldest loaded)",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "Enter",
        action: Action::Open,
        scope: Scope::Logs,
        help: "open the trace of the line's trace id",
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        action: Action::OpenSearch,
        scope: Scope::Logs,
        help: "search lines (regex, incremental)",
    },
    Binding {
        keys: &[ch('n')],
        label: "n",
        action: Action::NextMatch,
        scope: Scope::Logs,
        help: "next match (older)",
    },
    Binding {
        keys: &[ch('N')],
        label: "N",
        action: Action::PrevMatch,
        scope: Scope::Logs,
        help: "previous match (newer)",
    },
    Binding {
        keys: &[ch('f')],
        label: "f",
        action: Action::ToggleFilter,
        scope: Scope::Logs,
        help: "show only matching lines / all lines",
    },
    Binding {
        keys: &[ch('w')],
        label: "w",
        action: Action::ToggleWrap,
        scope: Scope::Logs,
        help: "wrap long lines",
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::OpenPod,
        scope: Scope::Logs,
        help: "open the line's pod (its namespace and pod labels)",
    },
    Binding {
        keys: &[ch('-')],
        label: "-",
        action: Action::ZoomOut,
        scope: Scope::Logs,
        help: "container log: look further back (5m 15m 1h 6h 24h 7d)",
    },
    Binding {
        keys: &[ch('+'), ch('=')],
        label: "+",
        action: Action::ZoomIn,
        scope: Scope::Logs,
        help: "container log: look less far back",
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::OpenPod,
        scope: Scope::Trace,
        help: "open the span's pod (k8s.namespace.name, k8s.pod.name)",
    },
    Binding {
        keys: &[ch(' ')],
        label: "Space",
        action: Action::ToggleCollapse,
        scope: Scope::Trace,
        help: "collapse / expand the span",
    },
    Binding {
        keys: &[ch('h'), key(KeyCode::Left)],
        label: "h ←",
        action: Action::Collapse,
        scope: Scope::Trace,
        help: "collapse, or go to the parent",
    },
    Binding {
        keys: &[ch('l'), key(KeyCode::Right)],
        label: "l →",
        action: Action::Expand,
        scope: Scope::Trace,
        help: "expand, or go to the first child",
    },
    Binding {
        keys: &[ch('d'), key(KeyCode::Enter)],
        label: "d Enter",
        action: Action::ToggleDetail,
        scope: Scope::Trace,
        help: "span detail: attributes, events, status",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "Enter",
        action: Action::Open,
        scope: Scope::Metrics,
        help: "open the selected exemplar's trace",
    },
    Binding {
        keys: &[ch('h'), key(KeyCode::Left)],
        label: "h ←",
        action: Action::Up,
        scope: Scope::Metrics,
        help: "previous exemplar (earlier on the chart)",
    },
    Binding {
        keys: &[ch('l'), key(KeyCode::Right)],
        label: "l →",
        action: Action::Down,
        scope: Scope::Metrics,
        help: "next exemplar (later on the chart)",
    },
    Binding {
        keys: &[ch('-')],
        label: "-",
        action: Action::ZoomOut,
        scope: Scope::Metrics,
        help: "longer window: 5m 15m 1h 6h 24h 7d",
    },
    Binding {
        keys: &[ch('+'), ch('=')],
        label: "+",
        action: Action::ZoomIn,
        scope: Scope::Metrics,
        help: "shorter window",
    },
    Binding {
        keys: &[ch('[')],
        label: "[",
        action: Action::Earlier,
        scope: Scope::Metrics,
        help: "move the window back by half",
    },
    Binding {
        keys: &[ch(']')],
        label: "]",
        action: Action::Later,
        scope: Scope::Metrics,
        help: "move the window forward by half (not past now)",
    },
    Binding {
        keys: &[key(KeyCode::Tab)],
        label: "Tab",
        action: Action::NextSeries,
        scope: Scope::Metrics,
        help: "select the next series in the legend",
    },
    Binding {
        keys: &[ch('i')],
        label: "i",
        action: Action::Isolate,
        scope: Scope::Metrics,
        help: "show only the selected series / all",
    },
    Binding {
        keys: &[ch('e')],
        label: "e",
        action: Action::EditQuery,
        scope: Scope::Metrics,
        help: "edit the expression: Tab completes, ↑↓ history, Enter runs",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "Enter",
        action: Action::Open,
        scope: Scope::Alerts,
        help: "graph the alert's expression around when it started",
    },
    Binding {
        keys: &[key(KeyCode::Enter)],
        label: "Enter",
        action: Action::Open,
        scope: Scope::Pods,
        help: "the pod's detail: containers, conditions, events, labels",
    },
    Binding {
        keys: &[ch('/')],
        label: "/",
        action: Action::OpenSearch,
        scope: Scope::Pods,
        help: "filter by name, namespace, status, node or IP (regex)",
    },
    Binding {
        keys: &[ch('l')],
        label: "l",
        action: Action::PodLogs,
        scope: Scope::Pods,
        help: "the pod's log (its main container), followed",
    },
    Binding {
        keys: &[ch('L')],
        label: "L",
        action: Action::LokiLogs,
        scope: Scope::Pods,
        help: "the pod's logs in Loki",
    },
    Binding {
        keys: &[ch('P')],
        label: "P",
        action: Action::SortBy(PodColumn::Namespace),
        scope: Scope::Pods,
        help: "sort by namespace (again: reverse)",
    },
    Binding {
        keys: &[ch('N')],
        label: "N",
        action: Action::SortBy(PodColumn::Name),
        scope: Scope::Pods,
        help: "sort by name",
    },
    Binding {
        keys: &[ch('R')],
        label: "R",
        action: Action::SortBy(PodColumn::Ready),
        scope: Scope::Pods,
        help: "sort by ready",
    },
    Binding {
        keys: &[ch('S')],
        label: "S",
        action: Action::SortBy(PodColumn::Status),
        scope: Scope::Pods,
        help: "sort by status, failing first",
    },
    Binding {
        keys: &[ch('T')],
        label: "T",
        action: Action::SortBy(PodColumn::Restarts),
        scope: Scope::Pods,
        help: "sort by restarts, most first",
    },
    Binding {
        keys: &[ch('A')],
        label: "A",
        action: Action::SortBy(PodColumn::Age),
        scope: Scope::Pods,
        help: "sort by age",
    },
    Binding {
        keys: &[ch('O')],
        label: "O",
        action: Action::SortBy(PodColumn::Node),
        scope: Scope::Pods,
        help: "sort by node",
    },
    Binding {
        keys: &[ch('I')],
        label: "I",
        action: Action::SortBy(PodColumn::Ip),
        scope: Scope::Pods,
        help: "sort by IP",
    },
    Binding {
        keys: &[ch('l')],
        label: "l",
        action: Action::PodLogs,
        scope: Scope::Pod,
        help: "the selected container's log (j/k choose), followed",
    },
    Binding {
        keys: &[ch('p')],
        label: "p",
        action: Action::PreviousLogs,
        scope: Scope::Pod,
        help: "the log of the container's previous run (why it restarted)",
    },
    Binding {
        keys: &[ch('L')],
        label: "L",
        action: Action::LokiLogs,
        scope: Scope::Pod,
        help: "the container's logs in Loki",
    },
];

fn scope_of(view: ViewKind) -> Scope {
    match view {
        ViewKind::Home | ViewKind::Alerts => Scope::Alerts,
        ViewKind::Logs => Scope::Logs,
        ViewKind::Trace => Scope::Trace,
        ViewKind::Metrics => Scope::Metrics,
        ViewKind::Pods => Scope::Pods,
        ViewKind::Pod => Scope::Pod,
    }
}

/// The action a key means in the current state, if any.
pub fn action_for(state: &State, event: KeyEvent) -> Option<Action> {
    if event.kind == KeyEventKind::Release {
        return None;
    }
    if state.input.is_some() {
        return Some(match event.code {
            KeyCode::Enter => Action::Submit,
            KeyCode::Esc => Action::CancelInput,
            _ if event.code == KeyCode::Char('c') && event.modifiers.contains(CTRL) => {
                Action::CancelInput
            }
            _ => Action::Input(event),
        });
    }
    if state.help {
        return match event.code {
            KeyCode::Char('q') if event.modifiers.is_empty() => Some(Action::Quit),
            KeyCode::Char('c') if event.modifiers.contains(CTRL) => Some(Action::Quit),
            _ => Some(Action::ToggleHelp), // any other key closes the help
        };
    }
    // A typed character carries its case already; terminals differ on SHIFT.
    let mut mods = event.modifiers;
    if matches!(event.code, KeyCode::Char(_)) {
        mods.remove(KeyModifiers::SHIFT);
    }
    let scope = scope_of(state.current().kind());
    // A view's own binding wins over a global one on the same key.
    [scope, Scope::Global]
        .iter()
        .flat_map(|s| BINDINGS.iter().filter(move |b| b.scope == *s))
        .find(|b| {
            b.keys
                .iter()
                .any(|&(code, m)| code == event.code && mods == m)
        })
        .map(|b| b.action)
}

/// The bindings that apply in a view, for the help screen.
pub fn bindings_for(view: ViewKind) -> impl Iterator<Item = &'static Binding> {
    let scope = scope_of(view);
    BINDINGS
        .iter()
        .filter(move |b| b.scope == Scope::Global || b.scope == scope)
}
