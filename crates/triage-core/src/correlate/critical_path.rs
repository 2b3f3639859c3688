//! The critical path of a trace: the chain of spans that decided when it
//! ended, computed as Jaeger UI's trace page does.
//!
//! From the root, take the child that finished last; inside it, do the same;
//! when a span has no child left that ends before the point reached, go back
//! to its parent and continue from that span's start among the siblings that
//! finished before it. Children are first clipped to their parent (which is
//! itself clipped): one that outlives its parent ends at the parent's end,
//! one that starts before it (clock skew between services) starts at the
//! parent's start, and one wholly outside is dropped with its subtree.

use super::Waterfall;
use crate::domain::{Nanos, Trace};

/// `true` for the spans on the critical path, indexed like `trace.spans`.
///
/// The tree is the waterfall's, so orphans, parent cycles and duplicate ids
/// are handled as it lays them out. Of several top-level spans (roots,
/// orphans, spans caught in a cycle) the path starts at the one whose
/// subtree ends last, the earliest laid out on a tie: that subtree is what
/// the trace was waiting for.
///
/// One difference from Jaeger: it takes a sibling only if it ends strictly
/// before the point reached, which leaves out a child that ends exactly
/// when the next one starts (back-to-back calls); such a child is taken
/// here, unless it has no length.
pub fn critical_path(trace: &Trace, waterfall: &Waterfall) -> Vec<bool> {
    let mut on_path = vec![false; trace.spans.len()];
    if !waterfall.lays_out(trace) {
        return on_path;
    }
    if let Some(root) = last_ending_root(trace, waterfall) {
        Walk::new(trace, waterfall).run(root, &mut on_path);
    }
    on_path
}

/// The top-level row whose subtree has the latest end.
fn last_ending_root(trace: &Trace, waterfall: &Waterfall) -> Option<usize> {
    let mut next = 0;
    let roots = std::iter::from_fn(|| {
        let root = next;
        next = waterfall.rows.get(root)?.subtree_end as usize;
        Some(root)
    });
    let mut best: Option<(usize, Nanos)> = None;
    for root in roots {
        let end = (root..waterfall.rows[root].subtree_end as usize)
            .map(|row| waterfall.interval(trace, row).1)
            .max()
            .unwrap_or(Nanos::MIN);
        if best.is_none_or(|(_, latest)| end > latest) {
            best = Some((root, end));
        }
    }
    best.map(|(root, _)| root)
}

/// A child's interval inside its parent's, or `None` when it lies wholly
/// outside (Jaeger's rules, its edges included).
fn clip(child: (Nanos, Nanos), parent: (Nanos, Nanos)) -> Option<(Nanos, Nanos)> {
    let ((start, end), (parent_start, parent_end)) = (child, parent);
    let outside = if start >= parent_start {
        start >= parent_end
    } else {
        end <= parent_start
    };
    (!outside).then(|| (start.max(parent_start), end.min(parent_end)))
}

#[derive(Clone, Copy)]
struct Clipped {
    row: usize,
    start: Nanos,
    end: Nanos,
}

/// A span the walk is inside: its clipped children, latest end first, are
/// `children[next..top]` of the walk's shared buffer.
struct Frame {
    base: usize,
    next: usize,
    top: usize,
    /// Where the path has reached inside this span, going back in time;
    /// none until a child was taken: then any child will do.
    cursor: Option<Nanos>,
}

/// The walk down and back up, on an explicit stack: a trace can be deeper
/// than the thread's stack. Each span's children are sorted once, when it
/// is entered, and each is passed over once: O(n log n) in all.
struct Walk<'a> {
    trace: &'a Trace,
    waterfall: &'a Waterfall,
    children: Vec<Clipped>,
    frames: Vec<Frame>,
}

impl<'a> Walk<'a> {
    fn new(trace: &'a Trace, waterfall: &'a Waterfall) -> Self {
        Walk {
            trace,
            waterfall,
            children: Vec::new(),
            frames: Vec::new(),
        }
    }

    fn run(mut self, root: usize, on_path: &mut [bool]) {
        let (start, end) = self.waterfall.interval(self.trace, root);
        self.mark(root, on_path);
        self.enter(Clipped {
            row: root,
            start,
            end,
        });
        while let Some(frame) = self.frames.last_mut() {
            match next_child(frame, &self.children) {
                Some(child) => {
                    // Back from the child, the path goes on from its start.
                    frame.cursor = Some(child.start);
                    self.mark(child.row, on_path);
                    self.enter(child);
                }
                None => {
                    self.children.truncate(frame.base);
                    self.frames.pop();
                }
            }
        }
    }

    fn mark(&self, row: usize, on_path: &mut [bool]) {
        on_path[self.waterfall.rows[row].span as usize] = true;
    }

    fn enter(&mut self, span: Clipped) {
        let base = self.children.len();
        for row in self.waterfall.children(span.row) {
            let child = self.waterfall.interval(self.trace, row);
            if let Some((start, end)) = clip(child, (span.start, span.end)) {
                self.children.push(Clipped { row, start, end });
            }
        }
        // Stable: of children ending together, the earliest starting first.
        self.children[base..].sort_by_key(|c| std::cmp::Reverse(c.end));
        self.frames.push(Frame {
            base,
            next: base,
            top: self.children.len(),
            cursor: None,
        });
    }
}

/// The child that ended last by the frame's cursor. The cursor only moves
/// back, so a child passed over now is never taken later.
fn next_child(frame: &mut Frame, children: &[Clipped]) -> Option<Clipped> {
    while frame.next < frame.top {
        let child = children[frame.next];
        frame.next += 1;
        let Some(cursor) = frame.cursor else {
            return Some(child);
        };
        let before = child.end < cursor;
        let touching = child.end == cursor && child.start < child.end;
        if before || touching {
            return Some(child);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::test_traces::{random_trace, span, trace};
    use crate::domain::Span;
    use proptest::prelude::*;

    /// The ids of the spans on the path, in the trace's order.
    fn path(spans: Vec<Span>) -> Vec<u64> {
        let t = trace(spans);
        let on = critical_path(&t, &Waterfall::new(&t));
        t.spans
            .iter()
            .zip(on)
            .filter(|(_, on)| *on)
            .map(|(s, _)| u64::from_be_bytes(s.span_id.0))
            .collect()
    }

    #[test]
    fn sequential_children_are_all_on_the_path() {
        // 1 [0,100]: 2 [0,30], 3 [30,60] back to back, 4 [70,90].
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 0, 30),
            span(3, Some(1), 30, 60),
            span(4, Some(1), 70, 90),
        ];
        assert_eq!(path(spans), [1, 2, 3, 4]);
    }

    #[test]
    fn of_overlapping_children_the_last_to_finish_wins() {
        // 3 ends last; 2 ends after 3 started, so it did not hold 3 up;
        // 4 ended before 3 started and did.
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 70),
            span(3, Some(1), 40, 80),
            span(4, Some(1), 5, 20),
            span(5, Some(3), 50, 60),
        ];
        assert_eq!(path(spans), [1, 3, 4, 5]);
    }

    #[test]
    fn a_child_past_its_parents_end_is_clipped() {
        // 3 runs past 2's end: clipped to [55,60], it is still 2's last
        // child, and 4 (ending at 50) comes before it.
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 20, 60),
            span(3, Some(2), 55, 200),
            span(4, Some(2), 30, 50),
            span(5, Some(1), 70, 80),
        ];
        assert_eq!(path(spans), [1, 2, 3, 4, 5]);
    }

    #[test]
    fn a_child_starting_before_its_parent_is_clipped_to_its_start() {
        // Skew: 2 seems to start before 1. Clipped to [0,40], it leaves
        // nothing before it, so 3 [0,10] is not on the path, and 4, wholly
        // before the parent, is dropped.
        let spans = vec![
            span(1, None, 0, 50),
            span(2, Some(1), -20, 40),
            span(3, Some(1), 0, 10),
            span(4, Some(1), -30, -10),
            span(5, Some(2), -15, 5),
        ];
        assert_eq!(path(spans), [1, 2, 5]);
    }

    #[test]
    fn orphans_form_their_own_tree_and_the_latest_ending_one_is_chosen() {
        // The orphan 10 ends last, through its child: the path is there.
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 90),
            span(10, Some(99), 50, 60),
            span(11, Some(10), 55, 150),
        ];
        assert_eq!(path(spans), [10, 11]);
    }

    #[test]
    fn of_several_roots_the_one_ending_last_is_chosen() {
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 90),
            span(3, None, 20, 120),
            span(4, Some(3), 30, 40),
            span(5, None, 20, 120), // ends as late: the first laid out wins
        ];
        assert_eq!(path(spans), [3, 4]);
    }

    #[test]
    fn a_cycle_is_walked_from_where_the_waterfall_entered_it() {
        // 1 and 2 name each other: the waterfall enters at 1, 2 its child.
        let spans = vec![span(1, Some(2), 0, 100), span(2, Some(1), 10, 50)];
        assert_eq!(path(spans), [1, 2]);
    }

    #[test]
    fn an_empty_trace_has_no_path() {
        assert_eq!(path(Vec::new()), Vec::<u64>::new());
        let t = trace(vec![span(1, None, 0, 10)]);
        let other = Waterfall::new(&trace(Vec::new()));
        assert_eq!(critical_path(&t, &other), [false], "another trace's layout");
    }

    #[test]
    fn a_very_deep_trace_does_not_overflow() {
        let spans: Vec<Span> = (1..=50_000u64)
            .map(|i| span(i, (i > 1).then(|| i - 1), i as i64, 100_000))
            .collect();
        assert_eq!(path(spans).len(), 50_000);
    }

    /// Jaeger's algorithm as it reads, recursion turned into a loop and
    /// children searched in full each time: slow, and plain enough to
    /// check the walk against.
    fn reference(t: &Trace, w: &Waterfall) -> Vec<bool> {
        let mut on = vec![false; t.spans.len()];
        let Some(root) = last_ending_root(t, w) else {
            return on;
        };
        let mut clipped = vec![None; w.rows.len()];
        clipped[root] = Some(w.interval(t, root));
        let mut parent = vec![usize::MAX; w.rows.len()];
        for row in root..w.rows[root].subtree_end as usize {
            for child in w.children(row) {
                parent[child] = row;
                clipped[child] = clipped[row].and_then(|p| clip(w.interval(t, child), p));
            }
        }
        let (mut row, mut cursor) = (root, None::<Nanos>);
        loop {
            on[w.rows[row].span as usize] = true;
            let (start, end) = clipped[row].unwrap_or_default();
            let limit = cursor.unwrap_or(end);
            let fits =
                |c: &(Nanos, Nanos)| cursor.is_none() || c.1 < limit || (c.1 == limit && c.0 < c.1);
            let best = w
                .children(row)
                .filter_map(|c| clipped[c].map(|i| (c, i)))
                .filter(|(_, i)| fits(i))
                .fold(None::<(usize, (Nanos, Nanos))>, |best, (c, i)| match best {
                    Some((_, b)) if b.1 > i.1 || (b.1 == i.1 && b.0 <= i.0) => best,
                    _ => Some((c, i)),
                });
            match best {
                Some((child, _)) => (row, cursor) = (child, None),
                None if row == root => return on,
                None => (row, cursor) = (parent[row], Some(start)),
            }
        }
    }

    proptest! {
        #[test]
        fn the_path_is_a_chain_from_the_chosen_root(t in random_trace()) {
            let w = Waterfall::new(&t);
            let on = critical_path(&t, &w);
            prop_assert_eq!(&on, &reference(&t, &w));
            let root = last_ending_root(&t, &w);
            prop_assert!(root.is_some());
            let root = root.unwrap_or_default();
            let on_row = |row: usize| on[w.rows[row].span as usize];
            prop_assert!(on_row(root));
            let subtree = root..w.rows[root].subtree_end as usize;
            for row in (0..w.rows.len()).filter(|&r| on_row(r) && r != root) {
                prop_assert!(subtree.contains(&row), "row {} outside the root's subtree", row);
                let parent = w.parent_row(row);
                prop_assert!(parent.is_some_and(on_row), "row {}: parent off the path", row);
            }
        }

        #[test]
        fn siblings_on_the_path_do_not_overlap_once_clipped(t in random_trace()) {
            let w = Waterfall::new(&t);
            let on = critical_path(&t, &w);
            let root = last_ending_root(&t, &w).unwrap_or_default();
            let mut clipped = vec![None; w.rows.len()];
            clipped[root] = Some(w.interval(&t, root));
            for row in root..w.rows[root].subtree_end as usize {
                let mut taken: Vec<(Nanos, Nanos)> = Vec::new();
                for child in w.children(row) {
                    clipped[child] = clipped[row].and_then(|p| clip(w.interval(&t, child), p));
                    if on[w.rows[child].span as usize] {
                        prop_assert!(clipped[child].is_some(), "a dropped child is on the path");
                        taken.extend(clipped[child]);
                    }
                }
                taken.sort();
                for pair in taken.windows(2) {
                    prop_assert!(pair[0].1 <= pair[1].0, "{:?} overlaps {:?}", pair[0], pair[1]);
                }
            }
        }
    }
}
