//! A loaded trace and where the user is in it: which spans are folded,
//! filtered out or focused, and so which rows are on screen.

use super::filter::{Haystacks, SpanFilter};
use super::stats::Statistics;
use crate::app::cursor::Cursor;
use std::ops::Range;
use triage_core::correlate::{Oddities, Waterfall, critical_path};
use triage_core::domain::{Nanos, Span, SpanId, Trace};

#[derive(Debug)]
pub struct TraceModel {
    pub trace: Trace,
    pub waterfall: Waterfall,
    /// Several roots, orphans, duplicate ids: said beside the trace.
    pub oddities: Oddities,
    /// Spans with an error status, counted once (not at every frame).
    pub errors: usize,
    /// Per span: on the critical path.
    pub critical: Vec<bool>,
    /// The statistics table, when shown (worked out the first time).
    pub statistics: Option<Statistics>,
    /// Per waterfall row.
    pub collapsed: Vec<bool>,
    pub filter: SpanFilter,
    /// Built the first time a filter needs it.
    haystacks: Option<Haystacks>,
    /// Per waterfall row: the filter takes it (all, with no filter).
    pub matched: Vec<bool>,
    pub match_count: usize,
    /// Spans the filter does not take are hidden (their ancestors stay),
    /// not only dimmed.
    pub hide_unmatched: bool,
    /// Only the critical path is shown.
    pub critical_only: bool,
    /// Rows whose subtree is shown as if it were the trace, innermost last.
    pub focus: Vec<u32>,
    /// Waterfall rows shown, in order.
    pub visible: Vec<u32>,
    /// Over `visible`.
    pub cursor: Cursor,
    pub detail: bool,
}

impl TraceModel {
    pub fn new(trace: Trace) -> Self {
        let waterfall = Waterfall::new(&trace);
        let rows = waterfall.rows.len();
        let mut model = TraceModel {
            critical: critical_path(&trace, &waterfall),
            oddities: waterfall.oddities(&trace),
            errors: trace.spans.iter().filter(|s| s.is_error()).count(),
            statistics: None,
            trace,
            waterfall,
            collapsed: vec![false; rows],
            filter: SpanFilter::default(),
            haystacks: None,
            matched: vec![true; rows],
            match_count: rows,
            hide_unmatched: false,
            critical_only: false,
            focus: Vec::new(),
            visible: Vec::new(),
            cursor: Cursor::default(),
            detail: false,
        };
        model.refresh();
        model
    }

    /// The waterfall row under the cursor.
    pub fn selected_row(&self) -> Option<usize> {
        self.visible.get(self.cursor.selected).map(|&r| r as usize)
    }

    pub fn selected_span(&self) -> Option<&Span> {
        let row = self.selected_row()?;
        self.span_at(row)
    }

    pub fn span_at(&self, row: usize) -> Option<&Span> {
        let node = self.waterfall.rows.get(row)?;
        self.trace.spans.get(node.span as usize)
    }

    /// The rows in focus: the focused span's subtree, or all of them.
    pub fn scope(&self) -> Range<usize> {
        match self.focus.last() {
            Some(&root) => root as usize..self.waterfall.rows[root as usize].subtree_end as usize,
            None => 0..self.waterfall.rows.len(),
        }
    }

    /// The time the ruler spans: the focused span's, or the trace's.
    pub fn window(&self) -> (Nanos, Nanos) {
        match self.focus.last().and_then(|&r| self.span_at(r as usize)) {
            Some(span) => (span.start, span.end.max(span.start + 1)),
            None => (
                self.waterfall.start,
                self.waterfall.end.max(self.waterfall.start + 1),
            ),
        }
    }

    /// The selected span's ancestors, root first.
    pub fn ancestors(&self) -> Vec<usize> {
        let mut chain = Vec::new();
        let mut row = self.selected_row();
        while let Some(r) = row.and_then(|r| self.waterfall.parent_row(r)) {
            chain.push(r);
            row = Some(r);
        }
        chain.reverse();
        chain
    }

    pub fn set_collapsed(&mut self, row: usize, collapsed: bool) {
        if !self.waterfall.has_children(row) || self.collapsed[row] == collapsed {
            return;
        }
        self.collapsed[row] = collapsed;
        self.refresh_at(Some(row));
    }

    /// `1`..`9`: spans deeper than `depth` levels (of the focus) fold away;
    /// `0` unfolds them all.
    pub fn collapse_to_depth(&mut self, depth: u32) {
        let scope = self.scope();
        let base =
            self.waterfall.rows[scope.start.min(self.waterfall.rows.len().saturating_sub(1))].depth;
        for row in scope {
            let level = self.waterfall.rows[row].depth - base;
            self.collapsed[row] = depth > 0 && level + 1 >= depth;
        }
        // The selection moves up to the ancestor that stays shown.
        let mut selected = self.selected_row();
        while let Some(row) = selected.filter(|&r| self.hidden_by_fold(r)) {
            selected = self.waterfall.parent_row(row);
        }
        self.refresh_at(selected);
    }

    fn hidden_by_fold(&self, row: usize) -> bool {
        let mut at = row;
        while let Some(parent) = self.waterfall.parent_row(at) {
            if self.collapsed[parent] {
                return true;
            }
            at = parent;
        }
        false
    }

    /// `f`: the selected span's subtree becomes the whole view.
    pub fn focus_selected(&mut self) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        if self.focus.last() == Some(&(row as u32)) || !self.waterfall.has_children(row) {
            return false;
        }
        self.focus.push(row as u32);
        self.collapsed[row] = false;
        self.refresh_at(Some(row));
        true
    }

    /// `F`: back out of the innermost focus, the cursor staying on its span.
    pub fn unfocus(&mut self) -> bool {
        let selected = self.selected_row();
        let Some(root) = self.focus.pop() else {
            return false;
        };
        self.refresh_at(selected.or(Some(root as usize)));
        true
    }

    pub fn set_filter(&mut self, edit: impl FnOnce(&mut SpanFilter)) {
        edit(&mut self.filter);
        if !self.filter.is_active() {
            self.matched.fill(true);
            self.match_count = self.matched.len();
            return self.refresh();
        }
        let haystacks = self
            .haystacks
            .get_or_insert_with(|| Haystacks::new(&self.trace));
        let has_words = haystacks.with_words(&self.filter);
        let (spans, rows) = (&self.trace.spans, &self.waterfall.rows);
        for (row, node) in rows.iter().enumerate() {
            let span = node.span as usize;
            self.matched[row] = self.filter.matches(&spans[span], has_words[span]);
        }
        self.match_count = self.matched.iter().filter(|&&m| m).count();
        self.refresh();
    }

    pub fn toggle_hidden(&mut self) {
        self.hide_unmatched = !self.hide_unmatched;
        self.refresh();
    }

    pub fn toggle_critical_only(&mut self) {
        self.critical_only = !self.critical_only;
        self.refresh();
    }

    /// The next (or previous) row the filter takes, from the selection;
    /// folded ancestors unfold to show it.
    pub fn step_match(&mut self, forward: bool) -> bool {
        let from = self.selected_row().unwrap_or(0);
        let candidates = self
            .scope()
            .filter(|&r| self.matched[r] && self.shown_by_modes(r));
        let next = if forward {
            candidates.filter(|&r| r > from).min()
        } else {
            candidates.filter(|&r| r < from).max()
        };
        let Some(row) = next else {
            return false;
        };
        let mut at = row;
        while let Some(parent) = self.waterfall.parent_row(at) {
            self.collapsed[parent] = false;
            at = parent;
        }
        self.refresh_at(Some(row));
        true
    }

    /// Puts the cursor on the span with this id, if the trace has it.
    pub fn select_span(&mut self, id: SpanId) {
        let found = (self.waterfall.rows.iter())
            .position(|node| self.trace.spans[node.span as usize].span_id == id);
        if let Some(row) = found {
            self.select_row(row);
        }
    }

    /// Puts the cursor on a waterfall row, or the nearest shown row before it.
    pub fn select_row(&mut self, row: usize) {
        self.cursor.selected = match self.visible.binary_search(&(row as u32)) {
            Ok(position) => position,
            Err(position) => position.saturating_sub(1),
        };
    }

    fn refresh(&mut self) {
        self.refresh_at(self.selected_row());
    }

    /// Works out the rows shown, keeping the cursor on `row` if it can.
    fn refresh_at(&mut self, row: Option<usize>) {
        let kept = self.kept_rows();
        let scope = self.scope();
        let mut visible = Vec::with_capacity(scope.len());
        let mut at = scope.start;
        while at < scope.end {
            let node = self.waterfall.rows[at];
            if kept.as_ref().is_some_and(|k| !k[at]) {
                at = node.subtree_end as usize; // nothing below it is kept either
                continue;
            }
            visible.push(at as u32);
            at = if self.collapsed[at] {
                node.subtree_end as usize
            } else {
                at + 1
            };
        }
        self.visible = visible;
        self.select_row(row.unwrap_or(scope.start));
    }

    /// Rows the filter and the critical-path switch leave: those that pass,
    /// and their ancestors. None: every row.
    fn kept_rows(&self) -> Option<Vec<bool>> {
        let hide = self.hide_unmatched && self.filter.is_active();
        if !hide && !self.critical_only {
            return None;
        }
        let passes = |r: usize| (!hide || self.matched[r]) && self.shown_by_modes(r);
        // below[i]: rows passing among rows[..i], so a subtree's count is a difference.
        let mut below = Vec::with_capacity(self.waterfall.rows.len() + 1);
        below.push(0u32);
        for r in 0..self.waterfall.rows.len() {
            below.push(below[r] + passes(r) as u32);
        }
        let kept = self
            .waterfall
            .rows
            .iter()
            .enumerate()
            .map(|(r, node)| below[node.subtree_end as usize] > below[r]);
        Some(kept.collect())
    }

    fn shown_by_modes(&self, row: usize) -> bool {
        !self.critical_only || self.critical[self.waterfall.rows[row].span as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use triage_core::domain::{SpanId, SpanKind, SpanStatus, TraceId};

    fn span(id: u8, parent: Option<u8>, start: i64, end: i64, name: &str) -> Span {
        Span {
            span_id: SpanId([id; 8]),
            parent_id: parent.map(|p| SpanId([p; 8])),
            name: name.into(),
            service: "svc".into(),
            kind: SpanKind::Internal,
            start,
            end,
            attributes: Box::default(),
            resource: Arc::from(Vec::new()),
            events: Box::default(),
            status: SpanStatus::Unset,
        }
    }

    /// root(1) -> a(2) -> db(4); root -> b(3) -> db(5)
    fn model() -> TraceModel {
        TraceModel::new(Trace {
            id: TraceId([1; 16]),
            spans: vec![
                span(1, None, 0, 100, "root"),
                span(2, Some(1), 0, 40, "a"),
                span(3, Some(1), 50, 100, "bee"),
                span(4, Some(2), 10, 30, "db"),
                span(5, Some(3), 60, 90, "db"),
            ],
            partial: None,
        })
    }

    fn names(m: &TraceModel) -> Vec<String> {
        m.visible
            .iter()
            .filter_map(|&r| m.span_at(r as usize))
            .map(|s| s.name.to_string())
            .collect()
    }

    #[test]
    fn depth_focus_and_breadcrumb() {
        let mut m = model();
        assert_eq!(names(&m), ["root", "a", "db", "bee", "db"]);
        m.collapse_to_depth(1);
        assert_eq!(names(&m), ["root"]);
        m.collapse_to_depth(2);
        assert_eq!(names(&m), ["root", "a", "bee"]);
        m.collapse_to_depth(0);
        m.select_row(3); // bee
        assert_eq!(m.ancestors(), [0]);
        assert!(m.focus_selected());
        assert_eq!(names(&m), ["bee", "db"]);
        assert_eq!(m.window(), (50, 100));
        m.collapse_to_depth(1);
        assert_eq!(names(&m), ["bee"], "depth counts from the focus");
        assert!(m.unfocus());
        assert_eq!(
            m.selected_span().map(|s| s.name.to_string()).as_deref(),
            Some("bee")
        );
        assert!(!m.unfocus());
    }

    #[test]
    fn filter_hides_but_keeps_ancestors_and_steps() {
        let mut m = model();
        m.set_filter(|f| f.set_text("db"));
        assert_eq!(m.match_count, 2);
        assert_eq!(names(&m).len(), 5, "dimmed, not hidden");
        m.toggle_hidden();
        assert_eq!(
            names(&m),
            ["root", "a", "db", "bee", "db"],
            "ancestors stay"
        );
        m.set_filter(|f| f.set_text("bee"));
        assert_eq!(names(&m), ["root", "bee"]);
        m.toggle_hidden();
        m.set_filter(|f| f.set_text("db"));
        m.collapse_to_depth(1);
        m.select_row(0);
        assert!(m.step_match(true));
        assert_eq!(m.selected_row(), Some(2), "unfolded to the match");
        assert!(m.step_match(true));
        assert_eq!(m.selected_row(), Some(4));
        assert!(!m.step_match(true));
        assert!(m.step_match(false));
        assert_eq!(m.selected_row(), Some(2));
    }

    #[test]
    fn critical_only_shows_the_path() {
        let mut m = model();
        m.critical = vec![true, false, true, false, true];
        m.toggle_critical_only();
        assert_eq!(names(&m), ["root", "bee", "db"]);
    }
}
