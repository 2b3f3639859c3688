//! The one owner of everything on screen.

use super::alerts::AlertsView;
use super::complete::{Context, Names};
use super::effect::RequestId;
use super::layout;
use super::metrics::MetricsView;
use super::pods::{PodView, PodsView};
use ratatui_textarea::TextArea;
use regex::Regex;
use std::collections::BTreeMap;
use std::time::Duration;
use triage_core::backend::cluster::{Namespaces, PodLogRequest};
use triage_core::backend::{BackendError, Direction, LogQuery};
use triage_core::config::PodLabels;
use triage_core::config::Theme;
use triage_core::correlate::{DerivedFields, TraceMatch, Waterfall};
use triage_core::domain::text::width;
use triage_core::domain::{Level, LogLine, Nanos, SafeText, TimeRange, Trace, TraceId};

/// What does not change while the program runs.
#[derive(Clone, Debug)]
pub struct Settings {
    pub context: String,
    /// (name, URL safe to show) of each configured backend.
    pub backends: Vec<(String, String)>,
    pub derived_fields: DerivedFields,
    pub utc: bool,
    /// How far back a new log query looks.
    pub since: Duration,
    /// The exemplar label that holds a trace id.
    pub exemplar_trace_label: String,
    /// Lines asked of Loki per page.
    pub page_size: u32,
    pub theme: Theme,
    /// The Loki labels that name a pod.
    pub pod_labels: PodLabels,
    /// The most lines a streamed log keeps; older ones are dropped.
    pub log_buffer: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            context: "default".into(),
            backends: Vec::new(),
            derived_fields: DerivedFields::default(),
            utc: false,
            since: Duration::from_secs(3600),
            exemplar_trace_label: "trace_id".into(),
            page_size: 1000,
            theme: Theme::default(),
            pod_labels: PodLabels::default(),
            log_buffer: DEFAULT_LOG_BUFFER,
        }
    }
}

pub struct State {
    /// The navigation stack: the last view is on screen, Esc pops it.
    pub views: Vec<View>,
    pub input: Option<Prompt>,
    pub help: bool,
    pub message: Option<Message>,
    pub warnings: Vec<String>,
    pub settings: Settings,
    pub width: u16,
    pub height: u16,
    /// The time of the last message, for "loading… 3s".
    pub now: Nanos,
    pub quit: bool,
    /// Ctrl-z was pressed: the loop gives the terminal back and stops.
    pub suspend: bool,
    /// PromQL run from the editor, oldest first, kept across runs.
    pub promql_history: Vec<String>,
    /// Metric names, label names and label values asked of Prometheus
    /// for completion, kept for the session.
    pub names: BTreeMap<Names, Loadable<Vec<String>>>,
    /// The kubeconfig context and namespaces `:pods` lists; `:ctx` and
    /// `:ns` change them.
    pub kube_context: Option<String>,
    pub namespaces: Namespaces,
    /// Something changed since the last draw.
    pub dirty: bool,
    next_request: u64,
}

pub enum View {
    /// Where triage is pointed, with the active alerts on top once asked for.
    Home {
        alerts: Option<AlertsView>,
    },
    Logs(LogsView),
    Trace(TraceView),
    Metrics(MetricsView),
    Alerts(AlertsView),
    Pods(PodsView),
    Pod(PodView),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ViewKind {
    Home,
    Logs,
    Trace,
    Metrics,
    Alerts,
    Pods,
    Pod,
}

impl View {
    pub fn kind(&self) -> ViewKind {
        match self {
            View::Home { .. } => ViewKind::Home,
            View::Logs(_) => ViewKind::Logs,
            View::Trace(_) => ViewKind::Trace,
            View::Metrics(_) => ViewKind::Metrics,
            View::Alerts(_) => ViewKind::Alerts,
            View::Pods(_) => ViewKind::Pods,
            View::Pod(_) => ViewKind::Pod,
        }
    }

    /// The request this view waits for, if any.
    pub fn pending(&self) -> Option<RequestId> {
        match self {
            View::Home { alerts } => alerts.as_ref().and_then(|a| a.load.pending()),
            View::Logs(logs) => logs.pending(),
            View::Trace(trace) => trace.pending(),
            View::Metrics(metrics) => metrics.pending(),
            View::Alerts(alerts) => alerts.load.pending(),
            View::Pods(pods) => pods.pending(),
            View::Pod(pod) => pod.pending(),
        }
    }

    /// Every request this view started that may still run: what it waits
    /// for, and the watches and log streams that keep it live. They stop
    /// when the view goes.
    pub fn requests(&self) -> Vec<RequestId> {
        let live = match self {
            View::Logs(logs) => vec![logs.stream],
            View::Pods(pods) => vec![Some(pods.watch.id())],
            View::Pod(pod) => vec![Some(pod.watch.id()), pod.events_refresh],
            _ => Vec::new(),
        };
        let mut ids: Vec<RequestId> = self
            .pending()
            .into_iter()
            .chain(live.into_iter().flatten())
            .collect();
        ids.dedup();
        ids
    }

    /// The alerts list this view shows, if any.
    pub fn alerts_mut(&mut self) -> Option<&mut AlertsView> {
        match self {
            View::Home { alerts } => alerts.as_mut(),
            View::Alerts(alerts) => Some(alerts),
            _ => None,
        }
    }
}

pub struct Prompt {
    pub kind: PromptKind,
    pub textarea: TextArea<'static>,
    /// PromQL: names that fit the word at the cursor.
    pub completion: Option<Completion>,
    /// PromQL: the history entry ↑/↓ are on, and what was typed before it.
    pub recalled: Option<(usize, String)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromptKind {
    Command,
    Search,
    /// The metrics view's expression editor.
    Promql,
}

#[derive(Debug)]
pub struct Completion {
    pub context: Context,
    /// The names that fit, best first; empty while they load.
    pub names: Vec<String>,
    pub selected: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub text: String,
    pub is_error: bool,
}

/// A slot that waits for one request.
#[derive(Debug)]
pub enum Loadable<T> {
    Loading { id: RequestId, since: Nanos },
    Ready(T),
    Failed(BackendError),
}

impl<T> Loadable<T> {
    /// The request this slot waits for, if any.
    pub fn pending(&self) -> Option<RequestId> {
        match self {
            Loadable::Loading { id, .. } => Some(*id),
            _ => None,
        }
    }

    pub fn failed(&self) -> Option<&BackendError> {
        match self {
            Loadable::Failed(e) => Some(e),
            _ => None,
        }
    }

    /// When the wait began, for "loading… 3s".
    pub fn loading_since(&self) -> Option<Nanos> {
        match self {
            Loadable::Loading { since, .. } => Some(*since),
            _ => None,
        }
    }
}

impl State {
    pub fn new(settings: Settings, width: u16, height: u16, now: Nanos) -> Self {
        State {
            views: vec![View::Home { alerts: None }],
            input: None,
            help: false,
            message: None,
            warnings: Vec::new(),
            settings,
            width,
            height,
            now,
            quit: false,
            suspend: false,
            promql_history: Vec::new(),
            names: BTreeMap::new(),
            kube_context: None,
            namespaces: Namespaces::Default,
            dirty: true,
            next_request: 1,
        }
    }

    pub fn current(&self) -> &View {
        // The stack is never empty: `Back` keeps the last view.
        static HOME: View = View::Home { alerts: None };
        self.views.last().unwrap_or(&HOME)
    }

    pub fn next_request_id(&mut self) -> RequestId {
        let id = RequestId(self.next_request);
        self.next_request += 1;
        id
    }

    pub fn is_loading(&self) -> bool {
        self.views.iter().any(|v| v.pending().is_some())
    }

    /// Whether the screen shows time passing: "loading… 3s", or the ages
    /// of pods and restarts, which grow without any message arriving.
    pub fn shows_time(&self) -> bool {
        self.is_loading() || matches!(self.current(), View::Pods(_) | View::Pod(_))
    }
}

/// A log line with what was found in it once, when it arrived.
#[derive(Clone, Debug)]
pub struct LogRow {
    pub line: LogLine,
    pub level: Level,
    pub traces: Vec<TraceMatch>,
}

/// The state of paging back through older lines.
#[derive(Debug)]
pub enum Older {
    Loading {
        id: RequestId,
        since: Nanos,
    },
    /// The last page was full: there may be more.
    More,
    /// The last page was short: the range is exhausted.
    Exhausted,
    Failed(BackendError),
}

pub struct Search {
    pub pattern: String,
    pub regex: Result<Regex, String>,
    /// The row (index into `rows`) the cursor was on when the prompt
    /// opened, and the search before it: what Esc goes back to.
    pub origin: usize,
    pub previous: Option<String>,
}

impl Search {
    pub fn new(pattern: String, origin: usize, previous: Option<String>) -> Self {
        Search {
            regex: compile(&pattern),
            pattern,
            origin,
            previous,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        self.regex.as_ref().is_ok_and(|r| r.is_match(text))
    }
}

fn compile(pattern: &str) -> Result<Regex, String> {
    // Lower-case patterns match either case, as with smartcase in vim.
    let case_insensitive = !pattern.chars().any(char::is_uppercase);
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| {
            e.to_string()
                .lines()
                .last()
                .unwrap_or("bad regex")
                .to_owned()
        })
}

/// The most lines a streamed log keeps unless the config says otherwise.
pub use triage_core::config::DEFAULT_LOG_BUFFER;

/// Where a logs view's lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSource {
    /// A LogQL query, sent to Loki as written, paged back through.
    Loki(String),
    /// A container's log, streamed from the Kubernetes API.
    Pod {
        context: Option<String>,
        request: PodLogRequest,
    },
}

pub struct LogsView {
    pub source: LogSource,
    /// The query as shown: typed or pasted text can hold anything.
    pub title: SafeText,
    pub range: TimeRange,
    /// Newest first.
    pub rows: Vec<LogRow>,
    pub older: Older,
    /// Whether the first page has arrived.
    pub loaded: bool,
    /// Index into the shown rows.
    pub selected: usize,
    pub top: usize,
    pub wrap: bool,
    pub search: Option<Search>,
    /// Show only the rows that match the search.
    pub filter: bool,
    /// Indices of the rows that match, when `filter` is on.
    pub filtered: Vec<u32>,
    pub source_width: usize,
    /// The last page was all lines of the oldest instant, already held:
    /// the next page starts before that instant.
    pub skip_instant: bool,
    /// The container log stream that adds lines at the top.
    pub stream: Option<RequestId>,
    /// The most rows a stream keeps: memory stays flat however long it runs.
    pub capacity: usize,
    /// Rows dropped off the bottom to keep within `capacity`.
    pub dropped: u64,
}

impl LogsView {
    pub fn new(logql: String, range: TimeRange) -> Self {
        Self::of(SafeText::new(&logql), LogSource::Loki(logql), range)
    }

    /// A container's log, streamed; `range` starts where it looks back to;
    /// at most `capacity` lines are kept.
    pub fn of_pod(
        context: Option<String>,
        request: PodLogRequest,
        range: TimeRange,
        capacity: usize,
    ) -> Self {
        let previous = if request.previous { " (previous)" } else { "" };
        let title = format!("{} [{}]{previous}", request.pod, request.container);
        LogsView {
            capacity: capacity.max(1),
            ..Self::of(
                SafeText::new(&title),
                LogSource::Pod { context, request },
                range,
            )
        }
    }

    fn of(title: SafeText, source: LogSource, range: TimeRange) -> Self {
        LogsView {
            title,
            source,
            range,
            rows: Vec::new(),
            older: Older::More,
            loaded: false,
            selected: 0,
            top: 0,
            wrap: false,
            search: None,
            filter: false,
            filtered: Vec::new(),
            source_width: 0,
            skip_instant: false,
            stream: None,
            capacity: usize::MAX,
            dropped: 0,
        }
    }

    pub fn pending(&self) -> Option<RequestId> {
        match self.older {
            Older::Loading { id, .. } => Some(id),
            _ => None,
        }
    }

    /// The next page: older than the oldest line held, or the first page.
    pub fn next_page(&self, limit: u32) -> LogQuery {
        let end = match self.rows.last() {
            // Inclusive of the oldest timestamp: lines that share it may
            // have been cut by the limit. Duplicates are dropped on arrival.
            Some(oldest) if !self.skip_instant => oldest.line.timestamp.saturating_add(1),
            Some(oldest) => oldest.line.timestamp,
            None => self.range.end,
        };
        let logql = match &self.source {
            LogSource::Loki(logql) => logql.clone(),
            LogSource::Pod { .. } => String::new(), // streamed, not paged
        };
        LogQuery {
            logql,
            range: TimeRange {
                start: self.range.start,
                end,
            },
            limit,
            direction: Direction::Backward,
        }
    }

    /// Adds a page of older lines, skipping those already held; returns
    /// how many were new.
    pub fn append(&mut self, lines: Vec<LogLine>, rules: &DerivedFields) -> usize {
        let first_new = self.rows.len();
        let boundary = self.rows.last().map(|r| r.line.timestamp);
        // Rows held at the oldest instant, each able to absorb one equal
        // line of the new page (Loki may repeat them; equal lines are legal).
        let mut held: Vec<usize> = (0..first_new)
            .rev()
            .take_while(|&i| Some(self.rows[i].line.timestamp) == boundary)
            .collect();
        for line in lines {
            // Older pages hold nothing newer than the oldest line held; a
            // server that sends it anyway must not make duplicates.
            if boundary.is_some_and(|b| line.timestamp > b) {
                continue;
            }
            if Some(line.timestamp) == boundary
                && let Some(at) = held.iter().position(|&i| self.rows[i].line == line)
            {
                held.swap_remove(at);
                continue;
            }
            let row = self.row(line, rules);
            self.rows.push(row);
        }
        if self.filter {
            self.extend_filter(first_new..self.rows.len());
        }
        self.rows.len() - first_new
    }

    fn row(&mut self, line: LogLine, rules: &DerivedFields) -> LogRow {
        self.source_width = self
            .source_width
            .max(width(line.source()).min(layout::MAX_SOURCE_WIDTH));
        LogRow {
            traces: rules.find(&line.line),
            level: line.level(),
            line,
        }
    }

    /// Adds streamed lines (oldest first) on top, where the newest go. The
    /// cursor stays on its line, or on the newest when it was there (as
    /// `tail -f` follows); past `capacity` the oldest are dropped.
    pub fn prepend(&mut self, lines: Vec<LogLine>, rules: &DerivedFields) {
        let added = lines.len();
        let following = self.selected == 0 && self.top == 0;
        let held = self.row_index(self.selected);
        let mut rows: Vec<LogRow> = lines
            .into_iter()
            .rev()
            .map(|l| self.row(l, rules))
            .collect();
        rows.append(&mut self.rows);
        self.dropped += rows.len().saturating_sub(self.capacity) as u64;
        rows.truncate(self.capacity);
        self.rows = rows;
        if self.filter {
            // Only the new rows are searched; the old matches move down.
            let kept = self.rows.len() as u32;
            let old = std::mem::take(&mut self.filtered);
            self.extend_filter(0..added.min(self.rows.len()));
            let moved = old.into_iter().map(|i| i + added as u32);
            self.filtered.extend(moved.filter(|&i| i < kept));
        }
        if let Some(row) = held.filter(|_| !following) {
            let before = self.selected;
            self.selected = self.position_of(row + added);
            self.top += self.selected.saturating_sub(before);
        }
        self.clamp();
    }

    /// How many rows are shown: all, or the matching ones.
    pub fn shown_len(&self) -> usize {
        if self.filter {
            self.filtered.len()
        } else {
            self.rows.len()
        }
    }

    /// The row at a shown position.
    pub fn shown_row(&self, position: usize) -> Option<&LogRow> {
        let index = if self.filter {
            *self.filtered.get(position)? as usize
        } else {
            position
        };
        self.rows.get(index)
    }

    pub fn selected_row(&self) -> Option<&LogRow> {
        self.shown_row(self.selected)
    }

    /// Changes what is shown (the filter, the search it filters by),
    /// keeping the cursor on the same line where it can.
    pub fn reshow(&mut self, change: impl FnOnce(&mut Self)) {
        let row = self.row_index(self.selected);
        change(self);
        self.filtered.clear();
        if self.filter {
            self.extend_filter(0..self.rows.len());
        }
        self.selected = row.map_or(0, |row| self.position_of(row));
        self.clamp();
    }

    /// The shown position of a row, or of the next shown row after it.
    pub fn position_of(&self, row: usize) -> usize {
        if self.filter {
            self.filtered.partition_point(|&i| (i as usize) < row)
        } else {
            row
        }
    }

    /// Adds the rows in `rows` that match to the filtered ones.
    fn extend_filter(&mut self, rows: std::ops::Range<usize>) {
        let from = rows.start;
        let Some(search) = &self.search else {
            self.filtered.extend(rows.start as u32..rows.end as u32);
            return;
        };
        let matching = self.rows[rows]
            .iter()
            .enumerate()
            .filter(|(_, r)| search.matches(&r.line.line))
            .map(|(i, _)| (from + i) as u32);
        self.filtered.extend(matching);
    }

    /// The index into `rows` of a shown position.
    pub fn row_index(&self, position: usize) -> Option<usize> {
        if self.filter {
            self.filtered.get(position).map(|&i| i as usize)
        } else {
            (position < self.rows.len()).then_some(position)
        }
    }

    /// The next shown position at or after `from` (or before, going back)
    /// whose line matches the search.
    pub fn find_match(&self, from: usize, forward: bool) -> Option<usize> {
        let search = self.search.as_ref()?;
        let hit = |p: &usize| {
            self.shown_row(*p)
                .is_some_and(|r| search.matches(&r.line.line))
        };
        if forward {
            (from..self.shown_len()).find(hit)
        } else {
            (0..=from.min(self.shown_len().saturating_sub(1)))
                .rev()
                .find(hit)
        }
    }

    pub fn clamp(&mut self) {
        self.selected = self.selected.min(self.shown_len().saturating_sub(1));
    }

    /// Moves `top` so the selected line is on screen.
    pub fn scroll_into_view(&mut self, screen_width: u16, rows: usize) {
        if !self.wrap {
            // No empty rows below the end while lines above are hidden (the
            // list may have shrunk); the +1 is the row after the last line.
            self.top = self.top.min((self.shown_len() + 1).saturating_sub(rows));
        }
        if self.selected < self.top {
            self.top = self.selected;
            return;
        }
        // On the last line, keep a row for what comes after it (loading,
        // or the start of the range).
        let at_end = self.selected + 1 == self.shown_len();
        let rows = rows.saturating_sub(usize::from(at_end)).max(1);
        if !self.wrap {
            if self.selected >= self.top + rows {
                self.top = self.selected + 1 - rows;
            }
            return;
        }
        let height = |p: usize| {
            self.shown_row(p).map_or(1, |r| {
                layout::log_line_rows(&r.line.line, screen_width, self.source_width, true)
            })
        };
        let mut top = self.top;
        let mut used: usize = (top..=self.selected).map(height).sum();
        while used > rows && top < self.selected {
            used -= height(top);
            top += 1;
        }
        self.top = top;
    }
}

pub struct TraceView {
    pub trace_id: TraceId,
    pub load: Loadable<TraceModel>,
}

impl TraceView {
    pub fn pending(&self) -> Option<RequestId> {
        self.load.pending()
    }
}

/// A loaded trace and where the user is in it.
#[derive(Debug)]
pub struct TraceModel {
    pub trace: Trace,
    pub waterfall: Waterfall,
    /// Per waterfall row.
    pub collapsed: Vec<bool>,
    /// Waterfall rows not hidden by a collapsed ancestor.
    pub visible: Vec<u32>,
    /// Index into `visible`.
    pub selected: usize,
    pub top: usize,
    pub detail: bool,
}

impl TraceModel {
    pub fn new(trace: Trace) -> Self {
        let waterfall = Waterfall::new(&trace);
        let collapsed = vec![false; waterfall.rows.len()];
        let visible = waterfall.visible_rows(&collapsed);
        TraceModel {
            trace,
            waterfall,
            collapsed,
            visible,
            selected: 0,
            top: 0,
            detail: false,
        }
    }

    /// The waterfall row under the cursor.
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.selected).map(|&r| r as usize)
    }

    pub fn set_collapsed(&mut self, row: usize, collapsed: bool) {
        if !self.waterfall.has_children(row) || self.collapsed[row] == collapsed {
            return;
        }
        self.collapsed[row] = collapsed;
        self.visible = self.waterfall.visible_rows(&self.collapsed);
        self.select_row(row);
    }

    /// Puts the cursor on a waterfall row, if it is visible.
    pub fn select_row(&mut self, row: usize) {
        if let Ok(position) = self.visible.binary_search(&(row as u32)) {
            self.selected = position;
        }
    }

    pub fn scroll_into_view(&mut self, rows: usize) {
        self.top = layout::scrolled(self.top, self.selected, rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use triage_core::domain::Labels;

    fn line(timestamp: Nanos, text: &str) -> LogLine {
        LogLine {
            timestamp,
            labels: Arc::new(Labels(vec![("app".into(), "api".into())])),
            line: text.into(),
        }
    }

    fn texts(view: &LogsView) -> Vec<String> {
        view.rows
            .iter()
            .map(|r| format!("{}:{}", r.line.timestamp, r.line.line))
            .collect()
    }

    #[test]
    fn a_page_repeats_the_boundary_instant_and_only_held_copies_are_dropped() {
        let rules = DerivedFields::default();
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        assert_eq!(
            view.append(vec![line(9, "a"), line(5, "x"), line(5, "x")], &rules),
            3
        );
        assert_eq!(
            view.next_page(10).range.end,
            6,
            "the next page includes the oldest instant"
        );
        // Loki sends the instant again, with a third equal line the first
        // page's limit cut off, and a line newer than asked for.
        let added = view.append(
            vec![
                line(7, "newer"),
                line(5, "x"),
                line(5, "x"),
                line(5, "x"),
                line(4, "y"),
            ],
            &rules,
        );
        assert_eq!(added, 2);
        assert_eq!(texts(&view), ["9:a", "5:x", "5:x", "5:x", "4:y"]);
    }

    #[test]
    fn after_a_page_of_one_instant_the_next_page_steps_past_it() {
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        view.append(vec![line(5, "x")], &DerivedFields::default());
        view.skip_instant = true;
        assert_eq!(view.next_page(10).range.end, 5);
    }

    #[test]
    fn the_filter_keeps_the_cursor_on_its_line() {
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        let page = (0..10)
            .rev()
            .map(|t| line(t, if t % 3 == 0 { "match" } else { "other" }))
            .collect();
        view.append(page, &DerivedFields::default());
        view.search = Some(Search::new("match".into(), 0, None));
        view.selected = 6; // timestamp 3, a match
        view.reshow(|v| v.filter = true);
        assert_eq!(view.shown_len(), 4);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(3));
        view.reshow(|v| v.filter = false);
        assert_eq!(view.selected, 6);
        view.selected = 7; // timestamp 2, not a match: the next match below
        view.reshow(|v| v.filter = true);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(0));
    }

    #[test]
    fn streamed_lines_go_on_top_and_the_filter_and_cursor_keep_up() {
        let rules = DerivedFields::default();
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        view.prepend(vec![line(1, "match a"), line(2, "other")], &rules);
        view.search = Some(Search::new("match".into(), 0, None));
        view.reshow(|v| v.filter = true);
        assert_eq!(view.shown_len(), 1);
        // Following: the cursor on the newest stays on the newest.
        view.prepend(vec![line(3, "match b"), line(4, "other")], &rules);
        let shown: Vec<_> = (0..view.shown_len())
            .map(|p| view.shown_row(p).map(|r| r.line.line.to_string()))
            .collect();
        assert_eq!(shown, [Some("match b".into()), Some("match a".into())]);
        assert_eq!(view.selected, 0);
        // Not following: the cursor stays on its line.
        view.selected = 1;
        view.prepend(vec![line(5, "match c")], &rules);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(1));
        assert_eq!(view.shown_len(), 3);
    }

    #[test]
    fn wrapped_lines_scroll_by_the_rows_they_take() {
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        let long = "x".repeat(100);
        view.append(
            (0..5).rev().map(|t| line(t, &long)).collect(),
            &DerivedFields::default(),
        );
        view.wrap = true;
        view.selected = 2;
        // 100 cells in a 50-cell room: 2 rows a line; 4 rows show 2 lines.
        let width = (layout::log_prefix_width(view.source_width) + 50) as u16;
        view.scroll_into_view(width, 4);
        assert_eq!(view.top, 1);
    }
}
