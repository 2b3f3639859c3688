//! Traces built by hand and at random for the tests of this folder.

use crate::domain::{Nanos, Span, SpanId, SpanKind, SpanStatus, Trace, TraceId};
use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;

/// A span of service `svc` named `op<id>`; ids and parents are numbers.
pub fn span(id: u64, parent: Option<u64>, start: Nanos, end: Nanos) -> Span {
    Span {
        span_id: SpanId(id.to_be_bytes()),
        parent_id: parent.map(|p| SpanId(p.to_be_bytes())),
        name: format!("op{id}").into(),
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

pub fn trace(spans: Vec<Span>) -> Trace {
    Trace {
        id: TraceId([1; 16]),
        spans,
        partial: None,
    }
}

/// `n` spans in one tree, each the child of one of the 50 spans before it,
/// inside its parent or overlapping its end, over 20 services and 200
/// operations: the shape of a big fan-out trace, for timings.
pub fn big(n: u64) -> Trace {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut spans: Vec<Span> = Vec::with_capacity(n as usize);
    for id in 1..=n {
        let (parent, start) = match spans.len() {
            0 => (None, 0),
            len => {
                let parent = &spans[rng.usize(len.saturating_sub(50)..len)];
                let room = parent.end - parent.start;
                let start = parent.start + rng.i64(0..=room);
                (Some(u64::from_be_bytes(parent.span_id.0)), start)
            }
        };
        let mut s = span(id, parent, start, start + rng.i64(1_000..100_000_000));
        s.service = format!("service-{}", id % 20).into();
        s.name = format!("operation-{}", id % 200).into();
        spans.push(s);
    }
    trace(spans)
}

/// Random trees: a few roots, some orphans, times with ties, skew and
/// children outliving their parents, over 3 services with 2 operations
/// each, some spans failed.
pub fn random_trace() -> impl Strategy<Value = Trace> {
    let one = (0u64..100, 0u64..8, 0i64..60, 0i64..40, 0u8..12);
    prop::collection::vec(one, 1..60).prop_map(|raw| {
        let spans = raw
            .iter()
            .enumerate()
            .map(|(i, &(pick, kind, start, length, label))| {
                let id = i as u64 + 1;
                let parent = match kind {
                    0 => None,
                    1 => Some(1_000 + pick),
                    _ if id > 1 => Some(1 + pick % (id - 1)),
                    _ => None,
                };
                let mut s = span(id, parent, start, start + length);
                s.service = format!("svc{}", label % 3).into();
                s.name = format!("op{}", label % 2).into();
                if label >= 9 {
                    s.status = SpanStatus::Error("failed".into());
                }
                s
            })
            .collect();
        trace(spans)
    })
}

/// The first of 11 runs of `work` (cold caches) and their median, for the
/// ignored timing tests.
pub fn timings(mut work: impl FnMut()) -> (Duration, Duration) {
    let mut times: Vec<Duration> = (0..11)
        .map(|_| {
            let clock = std::time::Instant::now();
            work();
            clock.elapsed()
        })
        .collect();
    let first = times[0];
    times.sort();
    (first, times[times.len() / 2])
}
