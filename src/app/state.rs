//! The one owner of everything on screen.

use super::complete::Names;
use super::effect::RequestIds;
use super::histories::Histories;
use super::loadable::Loadable;
use super::notice::Notice;
use super::prompt::Prompt;
use super::settings::{KubeScope, Settings};
use super::views::View;
use super::views::home::HomeView;
use std::collections::BTreeMap;
use triage_core::domain::Nanos;

pub struct State {
    /// The navigation stack: the last view is on screen, Esc pops it.
    pub views: Vec<View>,
    pub prompt: Option<Prompt>,
    pub help: bool,
    pub notice: Option<Notice>,
    pub warnings: Vec<String>,
    pub settings: Settings,
    pub width: u16,
    pub height: u16,
    /// The time of the last message, for "loading… 3s".
    pub now: Nanos,
    pub quit: bool,
    /// Ctrl-z was pressed: the loop gives the terminal back and stops.
    pub suspend: bool,
    /// Expressions run from the editor, oldest first, kept across runs.
    pub history: Histories,
    /// Metric names, label names and label values asked of Prometheus
    /// for completion, kept for the session.
    pub names: BTreeMap<Names, Loadable<Vec<String>>>,
    /// What `:pods` lists; `:ctx` and `:ns` change it.
    pub kube: KubeScope,
    /// Counts the changes worth a redraw; the loop draws when it moved.
    pub generation: u64,
    pub(super) ids: RequestIds,
}

impl State {
    pub fn new(settings: Settings, width: u16, height: u16, now: Nanos) -> Self {
        State {
            views: vec![View::Home(HomeView::EMPTY)],
            prompt: None,
            help: false,
            notice: None,
            warnings: Vec::new(),
            settings,
            width,
            height,
            now,
            quit: false,
            suspend: false,
            history: Histories::default(),
            names: BTreeMap::new(),
            kube: KubeScope::default(),
            generation: 0,
            ids: RequestIds::default(),
        }
    }

    pub fn current(&self) -> &View {
        // The stack is never empty: `Back` keeps the last view.
        static HOME: View = View::Home(HomeView::EMPTY);
        self.views.last().unwrap_or(&HOME)
    }

    pub fn is_loading(&self) -> bool {
        self.views.iter().any(|v| v.screen().pending().is_some())
    }

    /// Whether the screen shows time passing: "loading… 3s", or the ages
    /// of pods and restarts, which grow without any message arriving.
    pub fn shows_time(&self) -> bool {
        self.is_loading() || self.current().screen().shows_time()
    }
}
