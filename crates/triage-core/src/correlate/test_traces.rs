//! Traces built by hand and at random for the tests of this folder.

use crate::domain::{Nanos, Span, SpanId, SpanKind, SpanStatus, Trace, TraceId};
use proptest::prelude::*;
use std::sync::Arc;

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
