//! Trace statistics, as Jaeger UI's "Trace Statistics" view has them: per
//! service, then per operation of that service, how many spans, how long,
//! and how much of it was the spans' own time rather than waiting on a child.

use super::Waterfall;
use crate::domain::{Nanos, SafeText, Trace};
use std::cmp::Ordering;
use std::collections::HashMap;

/// One row of the table: a service's total, or one of its operations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatRow {
    pub service: SafeText,
    /// `None` on the service's total row.
    pub operation: Option<SafeText>,
    pub count: usize,
    /// The spans' durations, summed.
    pub total: Nanos,
    /// The spans' self times (see [`self_times`]), summed.
    pub self_time: Nanos,
    pub errors: usize,
    /// Index into `trace.spans` of the row's longest span, the first in the
    /// trace on a tie.
    pub largest: u32,
    pub largest_duration: Nanos,
}

/// Each span's self time, indexed like `trace.spans`: its duration less
/// the union of its children's intervals, each clipped to the span's own,
/// so overlapping children count once and a child outliving its parent
/// counts only up to the parent's end. Never negative. The children are the
/// waterfall's: an orphan is a child of no one.
pub fn self_times(trace: &Trace, waterfall: &Waterfall) -> Vec<Nanos> {
    let mut own = vec![0; trace.spans.len()];
    if !waterfall.lays_out(trace) {
        return own;
    }
    for (row, node) in waterfall.rows.iter().enumerate() {
        let (start, end) = waterfall.interval(trace, row);
        let waited = covered(trace, waterfall, row, end);
        own[node.span as usize] = end.saturating_sub(start).saturating_sub(waited).max(0);
    }
    own
}

/// How much of the row's own interval (up to `end`) its children cover.
/// They come in start order, so one sweep merges them.
fn covered(trace: &Trace, waterfall: &Waterfall, row: usize, end: Nanos) -> Nanos {
    let mut reached = waterfall.interval(trace, row).0;
    let mut total: Nanos = 0;
    for child in waterfall.children(row) {
        let (start, child_end) = waterfall.interval(trace, child);
        let (from, to) = (start.max(reached), child_end.min(end));
        if to > from {
            total = total.saturating_add(to.saturating_sub(from));
            reached = to;
        }
    }
    total
}

/// The table: services by self time, most first, each followed by its
/// operations by self time; names break ties.
pub fn statistics(trace: &Trace, waterfall: &Waterfall) -> Vec<StatRow> {
    let mut services: Vec<_> = by_service(trace, waterfall).into_iter().collect();
    services.sort_by(|a, b| most_self_time((a.0, &a.1.total), (b.0, &b.1.total)));
    let mut rows = Vec::new();
    for (service, mut group) in services {
        group
            .operations
            .sort_by(|a, b| most_self_time((a.0, &a.1), (b.0, &b.1)));
        rows.push(group.total.row(service, None));
        let operations = group.operations.iter();
        rows.extend(operations.map(|(op, sums)| sums.row(service, Some(op))));
    }
    rows
}

/// A service's total and its operations'.
#[derive(Default)]
struct Group<'a> {
    total: Sums,
    operations: Vec<(&'a SafeText, Sums)>,
}

fn by_service<'a>(trace: &'a Trace, waterfall: &Waterfall) -> HashMap<&'a SafeText, Group<'a>> {
    let own = self_times(trace, waterfall);
    let mut operations: HashMap<(&SafeText, &SafeText), Sums> = HashMap::new();
    for (index, span) in trace.spans.iter().enumerate() {
        let sums = operations.entry((&span.service, &span.name)).or_default();
        sums.add(index as u32, span.duration(), own[index], span.is_error());
    }
    let mut services: HashMap<&SafeText, Group> = HashMap::new();
    for ((service, operation), sums) in operations {
        let group = services.entry(service).or_default();
        group.total.merge(&sums);
        group.operations.push((operation, sums));
    }
    services
}

fn most_self_time(a: (&SafeText, &Sums), b: (&SafeText, &Sums)) -> Ordering {
    (b.1.self_time.cmp(&a.1.self_time)).then_with(|| a.0.cmp(b.0))
}

/// A row's figures as they are summed up.
#[derive(Clone, Copy, Debug, Default)]
struct Sums {
    count: usize,
    total: Nanos,
    self_time: Nanos,
    errors: usize,
    largest: u32,
    largest_duration: Nanos,
}

impl Sums {
    fn add(&mut self, index: u32, duration: Nanos, own: Nanos, error: bool) {
        // Spans come in the trace's order: the first of equals stays.
        if self.count == 0 || duration > self.largest_duration {
            (self.largest, self.largest_duration) = (index, duration);
        }
        self.count += 1;
        self.total = self.total.saturating_add(duration);
        self.self_time = self.self_time.saturating_add(own);
        self.errors += usize::from(error);
    }

    fn merge(&mut self, other: &Sums) {
        let longer = (other.largest_duration, std::cmp::Reverse(other.largest))
            > (self.largest_duration, std::cmp::Reverse(self.largest));
        if self.count == 0 || longer {
            (self.largest, self.largest_duration) = (other.largest, other.largest_duration);
        }
        self.count += other.count;
        self.total = self.total.saturating_add(other.total);
        self.self_time = self.self_time.saturating_add(other.self_time);
        self.errors += other.errors;
    }

    fn row(&self, service: &SafeText, operation: Option<&SafeText>) -> StatRow {
        StatRow {
            service: service.clone(),
            operation: operation.cloned(),
            count: self.count,
            total: self.total,
            self_time: self.self_time,
            errors: self.errors,
            largest: self.largest,
            largest_duration: self.largest_duration,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::test_traces::{random_trace, span, trace};
    use crate::domain::{Span, SpanStatus};
    use proptest::prelude::*;

    fn own(spans: Vec<Span>) -> Vec<Nanos> {
        let t = trace(spans);
        self_times(&t, &Waterfall::new(&t))
    }

    #[test]
    fn overlapping_children_are_counted_once() {
        // 2 and 3 cover [10,70] together; 4 is 3's child and not 1's.
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 50),
            span(3, Some(1), 30, 70),
            span(4, Some(3), 40, 60),
        ];
        assert_eq!(own(spans), [40, 40, 20, 20]);
    }

    #[test]
    fn children_outside_the_parent_count_only_inside_it() {
        // 2 runs past 1's end, 3 starts before 1 (skew), 4 is wholly after.
        let spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 80, 150),
            span(3, Some(1), -20, 10),
            span(4, Some(1), 200, 300),
        ];
        assert_eq!(own(spans), [70, 70, 30, 100]);
    }

    #[test]
    fn orphans_keep_their_time_and_lend_none() {
        // 3's parent is missing: it is nobody's child, 1 keeps all its time.
        let spans = vec![
            span(1, None, 0, 100),
            span(3, Some(9), 10, 60),
            span(4, Some(3), 20, 30),
        ];
        assert_eq!(own(spans), [100, 40, 10]);
    }

    #[test]
    fn spans_without_length_have_no_self_time() {
        let spans = vec![span(1, None, 50, 10), span(2, Some(1), 0, 100)];
        assert_eq!(own(spans), [0, 100]);
        assert_eq!(own(Vec::new()), Vec::<Nanos>::new());
    }

    fn named(mut s: Span, service: &str, name: &str, failed: bool) -> Span {
        s.service = service.into();
        s.name = name.into();
        if failed {
            s.status = SpanStatus::Error("boom".into());
        }
        s
    }

    #[test]
    fn rows_group_by_service_then_operation() {
        let t = trace(vec![
            named(span(1, None, 0, 100), "front", "GET /", false),
            named(span(2, Some(1), 10, 60), "api", "query", true),
            named(span(3, Some(1), 60, 90), "api", "query", false),
            named(span(4, Some(2), 20, 40), "db", "select", false),
            named(span(5, Some(3), 60, 70), "api", "cache", false),
        ]);
        let rows = statistics(&t, &Waterfall::new(&t));
        let row = |service: &str, op: Option<&str>, figures: [i64; 6]| StatRow {
            service: service.into(),
            operation: op.map(SafeText::from),
            count: figures[0] as usize,
            total: figures[1],
            self_time: figures[2],
            errors: figures[3] as usize,
            largest: figures[4] as u32,
            largest_duration: figures[5],
        };
        // front: 100 - (80 covered) = 20. api: query 30 + 20, cache 10.
        assert_eq!(
            rows,
            [
                row("api", None, [3, 90, 60, 1, 1, 50]),
                row("api", Some("query"), [2, 80, 50, 1, 1, 50]),
                row("api", Some("cache"), [1, 10, 10, 0, 4, 10]),
                row("db", None, [1, 20, 20, 0, 3, 20]),
                row("db", Some("select"), [1, 20, 20, 0, 3, 20]),
                row("front", None, [1, 100, 20, 0, 0, 100]),
                row("front", Some("GET /"), [1, 100, 20, 0, 0, 100]),
            ]
        );
    }

    /// Self time counted the slow way: each nanosecond of the span that no
    /// child covers (the random traces are short).
    fn counted(t: &Trace, w: &Waterfall, row: usize) -> Nanos {
        let (start, end) = w.interval(t, row);
        let children: Vec<_> = w.children(row).map(|c| w.interval(t, c)).collect();
        (start..end)
            .filter(|&at| !children.iter().any(|&(s, e)| s <= at && at < e))
            .count() as Nanos
    }

    proptest! {
        #[test]
        fn self_time_is_what_no_child_covers(t in random_trace()) {
            let w = Waterfall::new(&t);
            let own = self_times(&t, &w);
            for (row, node) in w.rows.iter().enumerate() {
                let span = &t.spans[node.span as usize];
                let mine = own[node.span as usize];
                prop_assert!(0 <= mine && mine <= span.duration());
                prop_assert_eq!(mine, counted(&t, &w, row));
            }
        }

        #[test]
        fn services_add_up_their_operations(t in random_trace()) {
            let rows = statistics(&t, &Waterfall::new(&t));
            let services: Vec<&StatRow> = rows.iter().filter(|r| r.operation.is_none()).collect();
            prop_assert_eq!(services.iter().map(|r| r.count).sum::<usize>(), t.spans.len());
            for service in services {
                let ops: Vec<&StatRow> = rows
                    .iter()
                    .filter(|r| r.service == service.service && r.operation.is_some())
                    .collect();
                prop_assert_eq!(ops.iter().map(|r| r.count).sum::<usize>(), service.count);
                prop_assert_eq!(ops.iter().map(|r| r.total).sum::<Nanos>(), service.total);
                prop_assert_eq!(ops.iter().map(|r| r.self_time).sum::<Nanos>(), service.self_time);
                prop_assert_eq!(ops.iter().map(|r| r.errors).sum::<usize>(), service.errors);
                let longest = ops.iter().map(|r| r.largest_duration).max();
                prop_assert_eq!(longest, Some(service.largest_duration));
                let largest = &t.spans[service.largest as usize];
                prop_assert_eq!(largest.duration(), service.largest_duration);
                prop_assert_eq!(&largest.service, &service.service);
            }
        }
    }
}
