//! Trace search: a TraceQL expression over a window of time, the traces
//! Tempo finds (newest first, or by duration), their matched spans under
//! them, and older windows asked for as the list scrolls past its end.

use crate::app::action::{Action, TraceColumn};
use crate::app::cursor::Cursor;
use crate::app::effect::{Effect, RequestId};
use crate::app::keys::{Binding, ch, key};
use crate::app::layout;
use crate::app::msg::Msg;
use crate::app::notice::Notice;
use crate::app::prompt::{Language, PromptKind};
use crate::app::screen::{Copied, Ctx, PromptEvent, Screen};
use crate::app::target::Target;
use crossterm::event::KeyCode;
use std::cmp::Reverse;
use std::collections::HashSet;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::domain::{
    Completeness, MatchedSpan, Nanos, SafeText, SearchResult, TimeRange, TraceId, TraceQuery,
    TraceSummary,
};

/// Traces a window answers with at most, and matched spans per trace.
pub const SEARCH_LIMIT: usize = 50;
pub const SPANS_PER_SET: usize = 3;
/// How far back scrolling keeps asking for older windows: Tempo's default
/// block retention is 14 days.
const SEARCH_BACK: Duration = Duration::from_secs(14 * 24 * 3600);

pub const KEYS: &[Binding] = &[
    Binding::new(
        &[key(KeyCode::Enter)],
        Action::Open,
        "open the trace's waterfall (at the matched span on one)",
    )
    .hint("open"),
    Binding::new(
        &[ch(' '), ch('l'), key(KeyCode::Right)],
        Action::ToggleCollapse,
        "show / hide the trace's matched spans",
    )
    .hint("spans"),
    Binding::new(
        &[ch('e')],
        Action::EditQuery,
        "edit the TraceQL (Tab completes tags and values)",
    )
    .hint("edit"),
    Binding::new(
        &[ch('T')],
        Action::SortTraces(TraceColumn::Start),
        "sort by start, newest first (again: reverse)",
    )
    .hint("sort"),
    Binding::new(
        &[ch('D')],
        Action::SortTraces(TraceColumn::Duration),
        "sort by duration, longest first (again: reverse)",
    )
    .hint("sort"),
];

/// A row of the list: a trace, or one of its matched spans under it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Row {
    Trace(u32),
    /// Trace, span set, span.
    Span(u32, u32, u32),
}

pub struct TracesView {
    /// The first window's search; older windows follow from it.
    pub query: TraceQuery,
    /// The expression as shown: typed text can hold anything.
    pub title: SafeText,
    /// What was found so far, over `searched`.
    pub found: Option<SearchResult>,
    /// The time searched so far: from the oldest window's start to now.
    pub searched: TimeRange,
    pub sort: TraceColumn,
    pub descending: bool,
    /// Traces whose matched spans are shown.
    pub open: HashSet<TraceId>,
    pub rows: Vec<Row>,
    pub cursor: Cursor,
    /// The window being asked for, and when.
    pub pending: Option<(RequestId, Nanos)>,
    /// Why the last window failed; what was found stays.
    pub failure: Option<BackendError>,
}

impl TracesView {
    pub fn open(traceql: String, since: Duration, cx: &mut Ctx) -> Self {
        let range = TimeRange::last(since, cx.now);
        let query = TraceQuery {
            traceql,
            range,
            limit: SEARCH_LIMIT,
            spss: SPANS_PER_SET,
        };
        let mut view = TracesView {
            searched: TimeRange {
                start: range.end,
                end: range.end,
            },
            title: SafeText::new(&query.traceql),
            query: query.clone(),
            found: None,
            sort: TraceColumn::Start,
            descending: true,
            open: HashSet::new(),
            rows: Vec::new(),
            cursor: Cursor::default(),
            pending: None,
            failure: None,
        };
        view.ask(query, cx);
        view
    }

    fn ask(&mut self, query: TraceQuery, cx: &mut Ctx) {
        let id = cx.ask(|id| Effect::SearchTraces { id, query });
        self.pending = Some((id, cx.now));
    }

    /// The next older window, when the cursor reaches the end of the list.
    fn ask_older(&mut self, cx: &mut Ctx) {
        let limit = self.query.range.end - SEARCH_BACK.as_nanos() as Nanos;
        if self.pending.is_some() || self.failure.is_some() || self.searched.start <= limit {
            return;
        }
        let older = TraceQuery {
            range: TimeRange {
                start: self.searched.start - self.window_length(),
                end: self.searched.start,
            },
            ..self.query.clone()
        };
        self.ask(older, cx);
    }

    pub fn trace(&self, index: u32) -> Option<&TraceSummary> {
        self.found.as_ref()?.traces.get(index as usize)
    }

    /// The trace under the cursor, and its matched span if the cursor is on one.
    fn selected(&self) -> Option<(&TraceSummary, Option<&MatchedSpan>)> {
        match *self.rows.get(self.cursor.selected)? {
            Row::Trace(t) => Some((self.trace(t)?, None)),
            Row::Span(t, s, i) => {
                let trace = self.trace(t)?;
                let span = trace.span_sets.get(s as usize)?.spans.get(i as usize);
                Some((trace, span))
            }
        }
    }

    pub fn selected_trace(&self) -> Option<&TraceSummary> {
        match self.rows.get(self.cursor.selected)? {
            Row::Trace(t) | Row::Span(t, _, _) => self.trace(*t),
        }
    }

    /// Sorts the traces and lays out the rows, the cursor staying on its row.
    fn arrange(&mut self) {
        let selected = self.rows.get(self.cursor.selected).copied();
        let traces = self.found.as_ref().map_or(&[][..], |f| &f.traces[..]);
        let mut order: Vec<u32> = (0..traces.len() as u32).collect();
        let key = |i: &u32| {
            let t = &traces[*i as usize];
            match self.sort {
                TraceColumn::Start => (t.start, t.duration),
                TraceColumn::Duration => (t.duration, t.start),
            }
        };
        if self.descending {
            order.sort_by_key(|i| Reverse(key(i)));
        } else {
            order.sort_by_key(key);
        }
        let mut rows = Vec::with_capacity(order.len());
        for &t in &order {
            rows.push(Row::Trace(t));
            let trace = &traces[t as usize];
            if self.open.contains(&trace.id) {
                for (s, set) in trace.span_sets.iter().enumerate() {
                    rows.extend((0..set.spans.len()).map(|i| Row::Span(t, s as u32, i as u32)));
                }
            }
        }
        self.rows = rows;
        if let Some(at) = selected.and_then(|r| self.rows.iter().position(|&x| x == r)) {
            self.cursor.selected = at;
        }
    }

    /// A window's answer: its traces join the list (older windows below).
    fn received(&mut self, result: Result<SearchResult, BackendError>, cx: &mut Ctx) {
        self.pending = None;
        let answer = match result {
            Ok(answer) => answer,
            Err(e) if self.found.is_none() => return self.failure = Some(e),
            Err(e) => {
                self.failure = Some(e.clone());
                return cx.tell(Notice::Failed(e));
            }
        };
        self.searched.start -= self.window_length();
        if let Completeness::Partial { .. } = answer.completeness {
            cx.tell(Notice::PartialSearch(answer.completeness));
        }
        match &mut self.found {
            Some(found) => {
                found.add_older(answer);
            }
            None => self.found = Some(answer),
        }
        self.arrange();
    }

    fn window_length(&self) -> Nanos {
        self.query.range.end - self.query.range.start
    }

    fn since(&self) -> Duration {
        Duration::from_nanos(self.window_length().max(0) as u64)
    }

    fn toggle_spans(&mut self) {
        let Some(id) = self.selected_trace().map(|t| t.id) else {
            return;
        };
        if !self.open.remove(&id) {
            self.open.insert(id);
        }
        // The cursor goes back to the trace's own row.
        if let Some(at) = self
            .rows
            .iter()
            .position(|r| matches!(r, Row::Trace(t) if self.trace(*t).is_some_and(|x| x.id == id)))
        {
            self.cursor.selected = at;
        }
        self.arrange();
    }

    fn sort_by(&mut self, column: TraceColumn) {
        if self.sort == column {
            self.descending = !self.descending;
        } else {
            self.sort = column;
            self.descending = true;
        }
        self.arrange();
    }
}

impl Screen for TracesView {
    fn copied(&self) -> Option<Copied> {
        Copied::new("trace id", self.selected_trace()?.id)
    }

    fn keys(&self) -> &'static [Binding] {
        KEYS
    }

    fn hints(&self) -> &'static [Action] {
        &[
            Action::Open,
            Action::ToggleCollapse,
            Action::EditQuery,
            Action::SortTraces(TraceColumn::Start),
            Action::SortTraces(TraceColumn::Duration),
            Action::Back,
            Action::ToggleHelp,
        ]
    }

    fn act(&mut self, action: Action, cx: &mut Ctx) {
        let page = layout::traces_list_rows(cx.height);
        if self.cursor.act(action, self.rows.len(), page) {
            if self.cursor.selected + 1 >= self.rows.len() {
                self.ask_older(cx);
            }
            return;
        }
        match action {
            Action::Open => match self.selected() {
                Some((trace, Some(span))) => cx.go(Target::TraceAt {
                    trace_id: trace.id,
                    span_id: span.span_id,
                }),
                Some((trace, None)) => cx.go(Target::Trace(trace.id)),
                None => cx.tell(Notice::NoTraceSelected),
            },
            Action::ToggleCollapse => self.toggle_spans(),
            Action::SortTraces(column) => self.sort_by(column),
            Action::EditQuery => cx.open_prompt(
                PromptKind::Expression(Language::TraceQl),
                &self.query.traceql,
            ),
            _ => {}
        }
    }

    fn receive(&mut self, msg: Msg, cx: &mut Ctx) {
        if let Msg::TracesFound { result, .. } = msg {
            self.received(result, cx);
        }
    }

    fn prompt(&mut self, event: PromptEvent, cx: &mut Ctx) {
        if let PromptEvent::Submitted(traceql) = event {
            let since = self.since();
            cx.go_instead(Target::Traces { traceql, since });
        }
    }

    fn pending(&self) -> Option<RequestId> {
        self.pending.map(|(id, _)| id)
    }

    fn target(&self) -> Option<Target> {
        Some(Target::Traces {
            traceql: self.query.traceql.clone(),
            since: self.since(),
        })
    }

    fn failure(&self) -> Option<&BackendError> {
        self.failure.as_ref()
    }

    fn fit(&mut self, _width: u16, height: u16) {
        self.cursor
            .fit(self.rows.len(), layout::traces_list_rows(height));
    }
}
