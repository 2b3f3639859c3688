//! The shapes a log query's lines fall into, from Loki's pattern ingester:
//! a pattern a row, the most frequent first, with its lines over time.
//! Enter shows the lines of one pattern (the query with `|> "pattern"`).

use crate::app::action::Action;
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, key};
use crate::app::layout;
use crate::app::loadable::Loadable;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::screen::{Copied, Ctx, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::correlate::logql_string;
use triage_core::domain::log_summary::LogPattern;
use triage_core::domain::logql::selector_of;
use triage_core::domain::{SafeText, TimeRange};

pub const KEYS: &[Binding] = &[Binding::new(
    &[key(KeyCode::Enter)],
    Action::Open,
    "the lines of the selected pattern (the query filtered by it)",
)
.hint("lines")];

/// Samples a pattern is counted in over the window.
const SAMPLES: i64 = 60;

pub struct PatternsView {
    /// The log query whose lines these are.
    pub logql: String,
    pub title: SafeText,
    pub range: TimeRange,
    pub load: Loadable<Vec<LogPattern>>,
    pub cursor: Cursor,
}

impl PatternsView {
    /// The patterns of `logql`'s selector over `range`, asked at once.
    pub fn open(logql: String, range: TimeRange, cx: &mut Ctx) -> Self {
        let title = SafeText::new(&logql);
        let Some(selector) = selector_of(&logql).map(str::to_owned) else {
            cx.tell(Notice::NoLogQueryInside);
            let load = Loadable::Ready(Vec::new());
            return PatternsView {
                logql,
                title,
                range,
                load,
                cursor: Cursor::default(),
            };
        };
        let span = (range.end - range.start).max(1) as u64;
        let step = Duration::from_secs((span / SAMPLES as u64).div_ceil(1_000_000_000).max(1));
        let id = cx.ask(|id| Effect::FetchPatterns {
            id,
            selector,
            range,
            step,
        });
        PatternsView {
            logql,
            title,
            range,
            load: Loadable::Loading { id, since: cx.now },
            cursor: Cursor::default(),
        }
    }

    pub fn selected(&self) -> Option<&LogPattern> {
        match &self.load {
            Loadable::Ready(patterns) => patterns.get(self.cursor.selected),
            _ => None,
        }
    }

    fn len(&self) -> usize {
        match &self.load {
            Loadable::Ready(patterns) => patterns.len(),
            _ => 0,
        }
    }
}

impl Screen for PatternsView {
    fn copied(&self) -> Option<Copied> {
        Copied::new("pattern", &self.selected()?.pattern)
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[Action::Open, Action::ToggleHelp]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        if self
            .cursor
            .act(action, self.len(), layout::patterns_rows(cx.height))
        {
            return;
        }
        if action == Action::Open
            && let Some(pattern) = self.selected()
        {
            let logql = format!(
                "{} |> {}",
                self.logql.trim(),
                logql_string(&pattern.pattern)
            );
            cx.go(Target::LogsBetween {
                logql,
                range: self.range,
            });
        }
    }

    fn receive(&mut self, msg: Msg, _cx: &mut Ctx) {
        if let Msg::PatternsLoaded { result, .. } = msg {
            self.load = match result {
                Ok(patterns) => Loadable::Ready(patterns),
                Err(e) => Loadable::Failed(e),
            };
        }
    }

    fn pending(&self) -> Option<RequestId> {
        self.load.pending()
    }

    fn failure(&self) -> Option<&BackendError> {
        self.load.failed()
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Patterns {
            logql: self.logql.clone(),
            range: self.range,
        })
    }

    fn fit(&mut self, _width: u16, height: u16) {
        self.cursor.fit(self.len(), layout::patterns_rows(height));
    }
}
