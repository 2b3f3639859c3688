//! A logs view's model: where its lines come from, the lines (paged back
//! through, or streamed on top) and which of them are shown (the search
//! and its filter, scrolling).

use super::fields::FieldsPane;
use super::follow::Follow;
use super::merged::merged_source;
use super::volume::VolumePanel;
use crate::app::cursor::Cursor;
use crate::app::effect::RequestId;
use crate::app::layout;
use crate::app::prompt::Pattern;
use crate::app::target::PodPick;
use std::borrow::Cow;
use std::collections::VecDeque;
use triage_core::backend::cluster::PodLogRequest;
use triage_core::backend::{BackendError, Direction, LogQuery};
use triage_core::correlate::{DerivedFields, TraceMatch};
use triage_core::domain::structured;
use triage_core::domain::text::width;
use triage_core::domain::{Level, LogLine, Nanos, SafeText, TimeRange};

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

/// A search over the lines: the pattern, and where the prompt opened (the
/// row the cursor was on, the search before it), which Esc goes back to.
pub struct Search {
    pub pattern: Pattern,
    pub origin: usize,
    pub previous: Option<String>,
}

impl Search {
    pub fn new(pattern: String, origin: usize, previous: Option<String>) -> Self {
        Search {
            pattern: Pattern::new(pattern),
            origin,
            previous,
        }
    }

    pub fn matches(&self, text: &str) -> bool {
        self.pattern.matches(text)
    }
}

/// Where a logs view's lines come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogSource {
    /// A LogQL query, sent to Loki as written, paged back through;
    /// `pinned`: over a given time (a span's), not the last `since` up to now.
    Loki { logql: String, pinned: bool },
    /// A container's log, streamed from the Kubernetes API.
    Pod {
        context: Option<String>,
        request: PodLogRequest,
    },
    /// Several containers' logs, merged; `containers` are those followed
    /// (none yet while a selector's pods are asked for).
    Merged {
        context: Option<String>,
        pick: PodPick,
        containers: Vec<PodLogRequest>,
    },
}

pub struct LogsView {
    pub source: LogSource,
    /// The query as shown: typed or pasted text can hold anything.
    pub title: SafeText,
    pub range: TimeRange,
    /// Newest first.
    pub rows: VecDeque<LogRow>,
    pub older: Older,
    /// Whether the first page has arrived.
    pub loaded: bool,
    /// Over the shown rows.
    pub cursor: Cursor,
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
    /// Whether the prompt open is the query's editor (not the search).
    pub editing: bool,
    /// Loki's tail, while the query is followed.
    pub follow: Option<Follow>,
    /// The histogram of lines per level over the window (Loki only).
    pub volume: Option<VolumePanel>,
    /// Where the list starts when it was moved to a time (a volume bar),
    /// not the window's end.
    pub until: Option<Nanos>,
    /// The selected line's fields, while `J` shows them.
    pub fields: Option<FieldsPane>,
    /// Fields shown as columns in place of the raw lines, in order.
    pub columns: Vec<String>,
}

impl LogsView {
    pub fn new(logql: String, range: TimeRange) -> Self {
        let source = LogSource::Loki {
            logql: logql.clone(),
            pinned: false,
        };
        Self::of(SafeText::new(&logql), source, range)
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

    pub(super) fn of(title: SafeText, source: LogSource, range: TimeRange) -> Self {
        LogsView {
            title,
            source,
            range,
            rows: VecDeque::new(),
            older: Older::More,
            loaded: false,
            cursor: Cursor::default(),
            wrap: false,
            search: None,
            filter: false,
            filtered: Vec::new(),
            source_width: 0,
            skip_instant: false,
            stream: None,
            capacity: usize::MAX,
            dropped: 0,
            editing: false,
            follow: None,
            volume: None,
            until: None,
            fields: None,
            columns: Vec::new(),
        }
    }

    /// The next page: older than the oldest line held, or the first page.
    pub fn next_page(&self, limit: u32) -> LogQuery {
        let end = match self.rows.back() {
            // Inclusive of the oldest timestamp: lines that share it may
            // have been cut by the limit. Duplicates are dropped on arrival.
            Some(oldest) if !self.skip_instant => oldest.line.timestamp.saturating_add(1),
            Some(oldest) => oldest.line.timestamp,
            None => self.until.unwrap_or(self.range.end),
        };
        let logql = match &self.source {
            LogSource::Loki { logql, .. } => logql.clone(),
            LogSource::Pod { .. } | LogSource::Merged { .. } => String::new(), // streamed, not paged
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
        let boundary = self.rows.back().map(|r| r.line.timestamp);
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
            self.rows.push_back(row);
        }
        if self.filter {
            self.extend_filter(first_new..self.rows.len());
        }
        self.rows.len() - first_new
    }

    /// Where a line came from, as its row leads with it.
    pub fn source<'a>(&self, line: &'a LogLine) -> Cow<'a, str> {
        match self.source {
            LogSource::Merged { .. } => merged_source(line),
            _ => Cow::Borrowed(line.source()),
        }
    }

    fn row(&mut self, line: LogLine, rules: &DerivedFields) -> LogRow {
        let source = width(&self.source(&line)).min(layout::MAX_SOURCE_WIDTH);
        self.source_width = self.source_width.max(source);
        // A level a structured line names outranks the stream's.
        let level = structured::parse(&line.line)
            .and_then(|f| f.level())
            .unwrap_or_else(|| line.level());
        LogRow {
            traces: rules.find_in(&line.line, &line.labels),
            level,
            line,
        }
    }

    /// Adds streamed lines, each where its time puts it: on top as a
    /// rule, a little lower when streams of several pods interleave. The
    /// cursor stays on its line, or on the newest when it was there (as
    /// `tail -f` follows); past `capacity` the oldest are dropped.
    pub fn prepend(&mut self, mut lines: Vec<LogLine>, rules: &DerivedFields) {
        let added = lines.len();
        let following = self.cursor.selected == 0 && self.cursor.top == 0;
        let held = self.row_index(self.cursor.selected);
        let held_time = held.map(|i| self.rows[i].line.timestamp);
        lines.sort_by_key(|l| l.timestamp);
        let above_held = held_time.map_or(0, |t| lines.iter().filter(|l| l.timestamp >= t).count());
        // The rows from the top down to the deepest new one: only they
        // are searched again.
        let mut touched = 0;
        for line in lines {
            let at = self
                .rows
                .partition_point(|r| r.line.timestamp > line.timestamp);
            let row = self.row(line, rules);
            self.rows.insert(at, row);
            touched = touched.max(at) + 1;
        }
        let dropped = self.rows.len().saturating_sub(self.capacity);
        self.dropped += dropped as u64;
        self.rows.truncate(self.capacity);
        if self.filter {
            let kept = self.rows.len() as u32;
            let old = std::mem::take(&mut self.filtered);
            self.extend_filter(0..touched.min(self.rows.len()));
            let untouched = (touched - added) as u32;
            let moved = old
                .into_iter()
                .filter(|&i| i >= untouched)
                .map(|i| i + added as u32);
            self.filtered.extend(moved.filter(|&i| i < kept));
        }
        if let Some(row) = held.filter(|_| !following) {
            let before = self.cursor.selected;
            self.cursor.selected = self.position_of(row + above_held);
            self.cursor.top += self.cursor.selected.saturating_sub(before);
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
        self.shown_row(self.cursor.selected)
    }

    /// Changes what is shown (the filter, the search it filters by),
    /// keeping the cursor on the same line where it can.
    pub fn reshow(&mut self, change: impl FnOnce(&mut Self)) {
        let row = self.row_index(self.cursor.selected);
        change(self);
        self.filtered.clear();
        if self.filter {
            self.extend_filter(0..self.rows.len());
        }
        self.cursor.selected = row.map_or(0, |row| self.position_of(row));
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
        let matching = (self.rows.range(rows))
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
        self.cursor.selected = self.cursor.selected.min(self.shown_len().saturating_sub(1));
    }

    /// Rows above the lines: the volume histogram, the line that says
    /// what a paused or broken tail waits for, the columns' names.
    pub fn header_rows(&self, height: u16) -> usize {
        self.volume_rows(height)
            + usize::from(self.follow.as_ref().is_some_and(Follow::has_news))
            + usize::from(!self.columns.is_empty())
    }

    /// Rows of the volume histogram: none when there is none, when the
    /// screen is short, or when the query itself failed (its error says
    /// it, right under the query).
    pub fn volume_rows(&self, height: u16) -> usize {
        let failed = self.rows.is_empty() && matches!(self.older, Older::Failed(_));
        match &self.volume {
            Some(_) if !failed => layout::volume_rows(height),
            _ => 0,
        }
    }

    /// Rows the lines take: the body less what is above them and the
    /// fields pane under them.
    pub fn list_rows(&self, height: u16) -> usize {
        let pane = self
            .fields
            .as_ref()
            .map_or(0, |_| layout::fields_rows(height));
        (layout::body_rows(height).saturating_sub(self.header_rows(height))).saturating_sub(pane)
    }

    /// Moves `top` so the selected line is on screen.
    pub fn scroll_into_view(&mut self, screen_width: u16, rows: usize) {
        if !self.wrap {
            // No empty rows below the end while lines above are hidden (the
            // list may have shrunk); the +1 is the row after the last line.
            self.cursor.top = self
                .cursor
                .top
                .min((self.shown_len() + 1).saturating_sub(rows));
        }
        if self.cursor.selected < self.cursor.top {
            self.cursor.top = self.cursor.selected;
            return;
        }
        // On the last line, keep a row for what comes after it (loading,
        // or the start of the range).
        let at_end = self.cursor.selected + 1 == self.shown_len();
        let rows = rows.saturating_sub(usize::from(at_end)).max(1);
        if !self.wrap {
            if self.cursor.selected >= self.cursor.top + rows {
                self.cursor.top = self.cursor.selected + 1 - rows;
            }
            return;
        }
        let height = |p: usize| {
            self.shown_row(p).map_or(1, |r| {
                layout::log_line_rows(&r.line.line, screen_width, self.source_width, true)
            })
        };
        let mut top = self.cursor.top;
        let mut used: usize = (top..=self.cursor.selected).map(height).sum();
        while used > rows && top < self.cursor.selected {
            used -= height(top);
            top += 1;
        }
        self.cursor.top = top;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use triage_core::domain::Labels;
    use triage_core::domain::TimeRange;

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
        view.cursor.selected = 6; // timestamp 3, a match
        view.reshow(|v| v.filter = true);
        assert_eq!(view.shown_len(), 4);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(3));
        view.reshow(|v| v.filter = false);
        assert_eq!(view.cursor.selected, 6);
        view.cursor.selected = 7; // timestamp 2, not a match: the next match below
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
        assert_eq!(view.cursor.selected, 0);
        // Not following: the cursor stays on its line.
        view.cursor.selected = 1;
        view.prepend(vec![line(5, "match c")], &rules);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(1));
        assert_eq!(view.shown_len(), 3);
    }

    #[test]
    fn interleaved_streams_land_in_time_order_under_the_filter_and_cursor() {
        let rules = DerivedFields::default();
        let mut view = LogsView::new("{app=\"api\"}".into(), TimeRange { start: 0, end: 100 });
        view.prepend(
            vec![line(10, "match a"), line(30, "other"), line(50, "match b")],
            &rules,
        );
        view.search = Some(Search::new("match".into(), 0, None));
        view.reshow(|v| v.filter = true);
        view.cursor.selected = 1; // "match a", at 10
        // A second pod's lines, some older than the newest held.
        view.prepend(
            vec![line(40, "match c"), line(20, "other"), line(60, "match d")],
            &rules,
        );
        let times: Vec<_> = view.rows.iter().map(|r| r.line.timestamp).collect();
        assert_eq!(times, [60, 50, 40, 30, 20, 10]);
        let shown: Vec<_> = (0..view.shown_len())
            .filter_map(|p| view.shown_row(p).map(|r| r.line.timestamp))
            .collect();
        assert_eq!(shown, [60, 50, 40, 10]);
        assert_eq!(view.selected_row().map(|r| r.line.timestamp), Some(10));
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
        view.cursor.selected = 2;
        // 100 cells in a 50-cell room: 2 rows a line; 4 rows show 2 lines.
        let width = (layout::log_prefix_width(view.source_width) + 50) as u16;
        view.scroll_into_view(width, 4);
        assert_eq!(view.cursor.top, 1);
    }
}
