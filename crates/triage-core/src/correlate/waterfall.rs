//! The span tree of a trace, laid out once as rows in depth-first order, so
//! that collapsing, scrolling and drawing touch only what is visible.

use crate::domain::{Nanos, SafeText, Span, SpanId, Trace};
use std::collections::HashMap;

/// One span's row in the tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node {
    /// Index into `Trace::spans`.
    pub span: u32,
    pub depth: u32,
    /// The row after this span's last descendant: `rows[i+1..subtree_end]`
    /// are its descendants.
    pub subtree_end: u32,
    /// Index into `Waterfall::services`, for a stable colour per service.
    pub service: u32,
    /// The row of its parent, `NO_PARENT` for a top-level span: kept so
    /// that a breadcrumb or a fold walks up without scanning back.
    pub parent: u32,
    /// The span names a parent the trace does not contain.
    pub orphan: bool,
}

/// `Node::parent` of a span at the top.
pub const NO_PARENT: u32 = u32::MAX;

/// See [`Waterfall::oddities`]; a well-formed trace has one root and no
/// orphans or duplicate ids.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Oddities {
    pub roots: usize,
    pub orphans: usize,
    pub duplicate_ids: usize,
}

#[derive(Clone, Debug, Default)]
pub struct Waterfall {
    pub rows: Vec<Node>,
    pub start: Nanos,
    pub end: Nanos,
    /// Distinct service names, in order of first appearance in the tree.
    pub services: Vec<SafeText>,
}

impl Waterfall {
    pub fn new(trace: &Trace) -> Self {
        let spans = &trace.spans;
        let parents = parent_indices(trace);
        let children = Children::of(&parents, spans);
        let mut roots: Vec<(u32, bool)> = Vec::new();
        for (i, parent) in parents.iter().enumerate() {
            match *parent {
                Parent::Span(_) => {}
                Parent::None => roots.push((i as u32, false)),
                Parent::Missing => roots.push((i as u32, true)),
            }
        }
        roots.sort_by(|a, b| by_start(spans, a.0, b.0));

        let mut layout = Layout {
            trace,
            children: &children,
            visited: vec![false; spans.len()],
            rows: Vec::with_capacity(spans.len()),
            services: Vec::new(),
        };
        for (root, orphan) in roots {
            layout.visit(root, orphan);
        }
        // Spans caught in a parent cycle were reached from no root.
        for i in 0..spans.len() as u32 {
            if !layout.visited[i as usize] {
                layout.visit(i, true);
            }
        }
        let start = spans.iter().map(|s| s.start).min().unwrap_or(0);
        let end = spans
            .iter()
            .map(|s| s.end)
            .max()
            .unwrap_or(start)
            .max(start);
        Waterfall {
            rows: layout.rows,
            start,
            end,
            services: layout.services,
        }
    }

    /// What is odd about the trace's shape, said beside it so that a
    /// broken trace is read as one: several roots, spans whose parent is
    /// missing (or in a cycle), span ids used twice.
    pub fn oddities(&self, trace: &Trace) -> Oddities {
        let roots = (self.rows.iter())
            .filter(|n| n.depth == 0 && !n.orphan)
            .count();
        let orphans = self.rows.iter().filter(|n| n.orphan).count();
        let mut ids: Vec<SpanId> = trace.spans.iter().map(|s| s.span_id).collect();
        ids.sort_unstable();
        ids.dedup();
        Oddities {
            roots,
            orphans,
            duplicate_ids: trace.spans.len() - ids.len(),
        }
    }

    pub fn duration(&self) -> Nanos {
        self.end - self.start
    }

    /// Whether this layout was made from `trace` (one row per span): what
    /// reads both asks first, so a layout kept from another trace cannot
    /// index out of bounds.
    pub fn lays_out(&self, trace: &Trace) -> bool {
        let spans = trace.spans.len();
        self.rows.len() == spans && self.rows.iter().all(|n| (n.span as usize) < spans)
    }

    /// A row's span as an interval, an end before the start read as none.
    pub(crate) fn interval(&self, trace: &Trace, row: usize) -> (Nanos, Nanos) {
        let span = &trace.spans[self.rows[row].span as usize];
        (span.start, span.end.max(span.start))
    }

    /// Rows left visible when the rows flagged in `collapsed` hide their
    /// descendants.
    pub fn visible_rows(&self, collapsed: &[bool]) -> Vec<u32> {
        let mut visible = Vec::with_capacity(self.rows.len());
        let mut row = 0usize;
        while row < self.rows.len() {
            visible.push(row as u32);
            row = if collapsed.get(row).copied().unwrap_or(false) {
                self.rows[row].subtree_end as usize
            } else {
                row + 1
            };
        }
        visible
    }

    pub fn has_children(&self, row: usize) -> bool {
        self.rows
            .get(row)
            .is_some_and(|n| n.subtree_end as usize > row + 1)
    }

    /// The rows of a row's children, in start order: each child's subtree
    /// is skipped in one step, so listing them costs their number.
    pub fn children(&self, row: usize) -> impl Iterator<Item = usize> + '_ {
        let end = self.rows.get(row).map_or(0, |n| n.subtree_end as usize);
        let mut next = row + 1;
        std::iter::from_fn(move || {
            let child = next;
            next = self.rows.get(child).filter(|_| child < end)?.subtree_end as usize;
            Some(child)
        })
    }

    /// The row of the nearest ancestor, if any.
    pub fn parent_row(&self, row: usize) -> Option<usize> {
        let parent = self.rows.get(row)?.parent;
        (parent != NO_PARENT).then_some(parent as usize)
    }
}

/// Where a span hangs in the tree.
#[derive(Clone, Copy)]
enum Parent {
    Span(u32),
    /// At the top.
    None,
    /// Names a parent the trace does not hold, or itself.
    Missing,
}

/// Each span's parent, by index.
fn parent_indices(trace: &Trace) -> Vec<Parent> {
    let spans = &trace.spans;
    // foldhash, not std's SipHash: this table is most of the layout's
    // time at 100,000 spans; its seed keeps crafted ids from colliding.
    let mut index: HashMap<SpanId, u32, foldhash::fast::RandomState> =
        HashMap::with_capacity_and_hasher(spans.len(), Default::default());
    for (i, span) in spans.iter().enumerate() {
        index.insert(span.span_id, i as u32); // of an id given twice, the last span
    }
    (spans.iter().enumerate())
        .map(|(i, span)| match span.parent_id.map(|p| index.get(&p)) {
            None => Parent::None,
            Some(Some(&parent)) if parent as usize != i => Parent::Span(parent),
            Some(_) => Parent::Missing,
        })
        .collect()
}

/// Every span's children, in start order, in one vector: a vector each
/// was one allocation a span.
struct Children {
    /// `list[starts[i]..starts[i + 1]]` are span `i`'s children.
    starts: Vec<u32>,
    list: Vec<u32>,
}

impl Children {
    fn of(parents: &[Parent], spans: &[Span]) -> Self {
        let mut starts = vec![0u32; parents.len() + 1];
        for parent in parents {
            if let Parent::Span(p) = parent {
                starts[*p as usize + 1] += 1;
            }
        }
        for i in 1..starts.len() {
            starts[i] += starts[i - 1];
        }
        let mut next = starts.clone();
        let mut list = vec![0u32; starts[parents.len()] as usize];
        for (i, parent) in parents.iter().enumerate() {
            if let Parent::Span(p) = parent {
                list[next[*p as usize] as usize] = i as u32;
                next[*p as usize] += 1;
            }
        }
        for window in starts.windows(2) {
            let children = &mut list[window[0] as usize..window[1] as usize];
            children.sort_by(|a, b| by_start(spans, *a, *b));
        }
        Children { starts, list }
    }

    fn of_span(&self, span: u32) -> &[u32] {
        let span = span as usize;
        &self.list[self.starts[span] as usize..self.starts[span + 1] as usize]
    }
}

/// Earlier first, the longer of two that start together first; equal
/// ones keep their order in the trace (the sorts are stable).
fn by_start(spans: &[Span], a: u32, b: u32) -> std::cmp::Ordering {
    let (a, b) = (&spans[a as usize], &spans[b as usize]);
    a.start.cmp(&b.start).then(a.end.cmp(&b.end).reverse())
}

struct Layout<'a> {
    trace: &'a Trace,
    children: &'a Children,
    visited: Vec<bool>,
    rows: Vec<Node>,
    services: Vec<SafeText>,
}

impl Layout<'_> {
    /// Depth-first, without recursion: a trace can be deeper than the stack.
    fn visit(&mut self, root: u32, orphan: bool) {
        // (span, depth, row of the node whose subtree_end is pending)
        let mut stack: Vec<(u32, u32, bool)> = vec![(root, 0, orphan)];
        let mut open: Vec<(usize, u32)> = Vec::new(); // (row, depth)
        while let Some((span, depth, orphan)) = stack.pop() {
            if std::mem::replace(&mut self.visited[span as usize], true) {
                continue;
            }
            while open.last().is_some_and(|&(_, d)| d >= depth) {
                if let Some((row, _)) = open.pop() {
                    self.rows[row].subtree_end = self.rows.len() as u32;
                }
            }
            let service = self.service_index(span);
            let parent = open.last().map_or(NO_PARENT, |&(row, _)| row as u32);
            open.push((self.rows.len(), depth));
            self.rows.push(Node {
                span,
                depth,
                subtree_end: 0,
                service,
                parent,
                orphan,
            });
            for &child in self.children.of_span(span).iter().rev() {
                stack.push((child, depth + 1, false));
            }
        }
        for (row, _) in open {
            self.rows[row].subtree_end = self.rows.len() as u32;
        }
    }

    fn service_index(&mut self, span: u32) -> u32 {
        let name = &self.trace.spans[span as usize].service;
        match self.services.iter().position(|s| s == name) {
            Some(i) => i as u32,
            None => {
                self.services.push(name.clone());
                (self.services.len() - 1) as u32
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{SpanKind, SpanStatus, TraceId};
    use std::sync::Arc;

    fn span(id: u8, parent: Option<u8>, start: i64, end: i64, service: &str) -> Span {
        Span {
            span_id: SpanId([id; 8]),
            parent_id: parent.map(|p| SpanId([p; 8])),
            name: format!("op{id}").into(),
            service: service.into(),
            kind: SpanKind::Internal,
            start,
            end,
            attributes: Box::default(),
            resource: Arc::from(Vec::new()),
            events: Box::default(),
            status: SpanStatus::Unset,
        }
    }

    fn trace(spans: Vec<Span>) -> Trace {
        Trace {
            id: TraceId([1; 16]),
            spans,
            partial: None,
        }
    }

    fn shape(w: &Waterfall, t: &Trace) -> Vec<(String, u32, u32)> {
        w.rows
            .iter()
            .map(|n| {
                (
                    t.spans[n.span as usize].name.to_string(),
                    n.depth,
                    n.subtree_end,
                )
            })
            .collect()
    }

    #[test]
    fn rows_are_depth_first_children_by_start() {
        let t = trace(vec![
            span(3, Some(1), 50, 60, "db"),
            span(1, None, 0, 100, "front"),
            span(2, Some(1), 10, 40, "api"),
            span(4, Some(2), 20, 30, "db"),
        ]);
        let w = Waterfall::new(&t);
        assert_eq!(
            shape(&w, &t),
            vec![
                ("op1".into(), 0, 4),
                ("op2".into(), 1, 3),
                ("op4".into(), 2, 3),
                ("op3".into(), 1, 4),
            ]
        );
        assert_eq!(
            w.services.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            ["front", "api", "db"]
        );
        assert_eq!((w.start, w.end), (0, 100));
        assert_eq!(w.visible_rows(&[false, true, false, false]), vec![0, 1, 3]);
        assert_eq!(w.visible_rows(&[true, false, false, false]), vec![0]);
        assert_eq!(w.parent_row(2), Some(1));
        assert_eq!(w.parent_row(3), Some(0));
        assert_eq!(w.parent_row(0), None);
        assert_eq!(w.children(0).collect::<Vec<_>>(), [1, 3]);
        assert_eq!(w.children(1).collect::<Vec<_>>(), [2]);
        assert_eq!(w.children(3).count(), 0);
        assert_eq!(w.children(9).count(), 0);
    }

    #[test]
    fn orphans_and_cycles_still_show() {
        let t = trace(vec![
            span(1, Some(9), 0, 10, "a"), // parent missing
            span(2, Some(3), 0, 10, "b"), // 2 and 3 name each other
            span(3, Some(2), 0, 10, "b"),
        ]);
        let w = Waterfall::new(&t);
        assert_eq!(w.rows.len(), 3);
        assert!(w.rows[0].orphan);
        let odd = w.oddities(&t);
        assert_eq!((odd.roots, odd.orphans, odd.duplicate_ids), (0, 2, 0));
        let twice = trace(vec![
            span(1, None, 0, 10, "a"),
            span(1, None, 0, 10, "a"),
            span(2, None, 0, 10, "b"),
        ]);
        let odd = Waterfall::new(&twice).oddities(&twice);
        assert_eq!((odd.roots, odd.duplicate_ids), (3, 1));
    }

    #[test]
    fn a_very_deep_trace_does_not_overflow() {
        let spans: Vec<Span> = (0..50_000u32)
            .map(|i| {
                let mut s = span(0, None, i as i64, 100_000, "svc");
                s.span_id = SpanId((i as u64 + 1).to_be_bytes());
                s.parent_id = (i > 0).then(|| SpanId((i as u64).to_be_bytes()));
                s
            })
            .collect();
        let w = Waterfall::new(&trace(spans));
        assert_eq!(w.rows.len(), 50_000);
        assert_eq!(w.rows[49_999].depth, 49_999);
        assert_eq!(w.rows[0].subtree_end, 50_000);
    }

    /// The layout written plainly: parents found by scanning (of an id
    /// given twice, the last span), children sorted by start, depth first
    /// by recursion, then what a cycle left unvisited.
    fn reference(t: &Trace) -> Vec<(u32, u32, bool)> {
        let spans = &t.spans;
        let parent_of = |i: usize| {
            let p = spans[i].parent_id?;
            let found = spans.iter().rposition(|s| s.span_id == p);
            Some(found.filter(|&p| p != i))
        };
        let sorted = |mut list: Vec<usize>| {
            list.sort_by(|&a, &b| by_start(spans, a as u32, b as u32));
            list
        };
        let roots = sorted(
            (0..spans.len())
                .filter(|&i| !matches!(parent_of(i), Some(Some(_))))
                .collect(),
        );
        fn visit(
            i: usize,
            depth: u32,
            orphan: bool,
            children: &dyn Fn(usize) -> Vec<usize>,
            seen: &mut Vec<bool>,
            rows: &mut Vec<(u32, u32, bool)>,
        ) {
            if std::mem::replace(&mut seen[i], true) {
                return;
            }
            rows.push((i as u32, depth, orphan));
            for child in children(i) {
                visit(child, depth + 1, false, children, seen, rows);
            }
        }
        let children = |i: usize| {
            sorted(
                (0..spans.len())
                    .filter(|&c| parent_of(c) == Some(Some(i)))
                    .collect(),
            )
        };
        let (mut seen, mut rows) = (vec![false; spans.len()], Vec::new());
        for root in roots {
            let orphan = parent_of(root).is_some();
            visit(root, 0, orphan, &children, &mut seen, &mut rows);
        }
        for i in 0..spans.len() {
            visit(i, 0, true, &children, &mut seen, &mut rows);
        }
        rows
    }

    /// Traces with ids given twice, spans their own parent, cycles and
    /// missing parents, and ties in time.
    fn tangled_trace() -> impl proptest::strategy::Strategy<Value = Trace> {
        use proptest::prelude::*;
        let one = (1u8..12, prop::option::of(1u8..14), 0i64..6, 0i64..4);
        prop::collection::vec(one, 1..40).prop_map(|raw| {
            let spans = (raw.iter().enumerate())
                .map(|(i, &(id, parent, start, length))| {
                    let mut s = span(id, parent, start, start + length, "svc");
                    s.name = format!("op{i}").into();
                    s
                })
                .collect();
            trace(spans)
        })
    }

    proptest::proptest! {
        #[test]
        fn rows_are_as_the_plain_layout_makes_them(t in tangled_trace()) {
            let w = Waterfall::new(&t);
            let rows: Vec<(u32, u32, bool)> = w.rows.iter().map(|n| (n.span, n.depth, n.orphan)).collect();
            proptest::prop_assert_eq!(rows, reference(&t));
        }
    }
}
