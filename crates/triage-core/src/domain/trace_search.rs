//! Searching traces: the question (a TraceQL expression over a window of
//! time), the traces that answer it, and the names a query can use.
//! Tempo's wire format stays in `backend::tempo::search`.

use super::{Attribute, Nanos, SafeText, SpanId, TimeRange, TraceId};

/// A TraceQL search over one window of time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceQuery {
    /// The expression; empty asks for any trace (without span sets).
    pub traceql: String,
    pub range: TimeRange,
    /// The most traces in one answer.
    pub limit: usize,
    /// Spans per span set: how many of the matching spans come back.
    pub spss: usize,
}

impl TraceQuery {
    /// The same search over the window just before this one, of the same
    /// length: "more results" as the list scrolls past its oldest trace.
    ///
    /// Tempo sends at most `limit` traces per window, and not always the
    /// newest of them, so a window that came back with `limit` traces may
    /// hold more than were shown: narrowing the window (or the expression)
    /// finds them. A trace that crosses the boundary can come back in both
    /// windows: keep the first one seen (see [`SearchResult::add_older`]).
    pub fn older(&self) -> TraceQuery {
        let length = self.range.end.saturating_sub(self.range.start).max(0);
        TraceQuery {
            range: TimeRange {
                start: self.range.start.saturating_sub(length),
                end: self.range.start,
            },
            ..self.clone()
        }
    }
}

/// What a search found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchResult {
    pub traces: Vec<TraceSummary>,
    pub completeness: Completeness,
}

impl SearchResult {
    /// Adds the answer for the next older window ([`TraceQuery::older`])
    /// below these traces, without the ones already listed; says how many
    /// were new. The completeness becomes the older window's: it is the one
    /// the end of the list shows.
    pub fn add_older(&mut self, older: SearchResult) -> usize {
        let before = self.traces.len();
        for trace in older.traces {
            if self.traces.iter().all(|t| t.id != trace.id) {
                self.traces.push(trace);
            }
        }
        self.completeness = older.completeness;
        self.traces.len() - before
    }
}

/// Whether the search looked everywhere it was asked to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    /// Tempo stopped once it had `limit` traces, after `completed_jobs` of
    /// its `total_jobs`: other traces may match too. Not an error.
    Partial {
        completed_jobs: u32,
        total_jobs: u32,
    },
}

/// One trace that matched, as a search describes it (not the whole trace).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceSummary {
    pub id: TraceId,
    /// Tempo says so when the root span has not arrived yet.
    pub root_service: SafeText,
    pub root_name: SafeText,
    pub start: Nanos,
    /// Tempo's `durationMs`, in nanoseconds; 0 when Tempo leaves it out
    /// (a trace still in flight, or shorter than a millisecond).
    pub duration: Nanos,
    /// The spans that matched, a set per matching spanset; none for a
    /// search without an expression.
    pub span_sets: Vec<SpanSet>,
    /// Spans and errors per service, by name.
    pub services: Vec<(SafeText, ServiceStats)>,
    /// A matched span has `status = error`, or a service counted errors.
    pub error: bool,
}

/// The spans of one spanset that came back, at most `spss` of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanSet {
    pub spans: Vec<MatchedSpan>,
    /// How many spans matched in all, beyond those that came back.
    pub matched: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MatchedSpan {
    pub span_id: SpanId,
    /// Empty unless the expression asked about the name.
    pub name: SafeText,
    pub start: Nanos,
    pub duration: Nanos,
    /// The attributes the expression tested or `select()`ed.
    pub attributes: Vec<Attribute>,
}

impl MatchedSpan {
    pub fn attribute(&self, key: &str) -> Option<&SafeText> {
        self.attributes
            .iter()
            .find(|a| a.key.as_str() == key)
            .map(|a| &a.value)
    }

    pub fn is_error(&self) -> bool {
        self.attribute("status")
            .is_some_and(|s| s.as_str() == "error")
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServiceStats {
    pub span_count: u32,
    pub error_count: u32,
}

/// Where an attribute lives, as TraceQL scopes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TagScope {
    Resource,
    Span,
    /// Fields every span has: `name`, `status`, `duration`, ...
    Intrinsic,
    Event,
    Link,
    Instrumentation,
    /// Either span or resource (`.name` in TraceQL); what Tempo before
    /// the v2 API lists.
    Unscoped,
}

impl TagScope {
    /// The scopes Tempo lists by name.
    pub const LISTED: [TagScope; 6] = [
        TagScope::Resource,
        TagScope::Span,
        TagScope::Intrinsic,
        TagScope::Event,
        TagScope::Link,
        TagScope::Instrumentation,
    ];

    /// The name Tempo gives the scope (`scope=`), none for unscoped.
    pub fn name(self) -> Option<&'static str> {
        match self {
            TagScope::Resource => Some("resource"),
            TagScope::Span => Some("span"),
            TagScope::Intrinsic => Some("intrinsic"),
            TagScope::Event => Some("event"),
            TagScope::Link => Some("link"),
            TagScope::Instrumentation => Some("instrumentation"),
            TagScope::Unscoped => None,
        }
    }

    pub fn from_name(name: &str) -> Option<TagScope> {
        TagScope::LISTED
            .into_iter()
            .find(|s| s.name() == Some(name))
    }
}

/// An attribute name a query can test.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag {
    pub scope: TagScope,
    pub name: SafeText,
}

impl Tag {
    /// Reads a tag as TraceQL writes it: `resource.service.name`,
    /// `.service.name` (either scope), `status` (an intrinsic).
    pub fn parse(text: &str) -> Tag {
        let (scope, name) = match text.split_once('.') {
            Some(("", name)) => (TagScope::Unscoped, name),
            Some((scope, name)) => match TagScope::from_name(scope) {
                Some(scope) => (scope, name),
                None => (TagScope::Unscoped, text),
            },
            None => (TagScope::Intrinsic, text),
        };
        Tag {
            scope,
            name: SafeText::new(name),
        }
    }

    /// How TraceQL writes it: `resource.service.name`, `.service.name`,
    /// `status` (intrinsics are bare).
    pub fn traceql(&self) -> String {
        match self.scope {
            TagScope::Intrinsic => self.name.to_string(),
            TagScope::Unscoped => format!(".{}", self.name),
            scope => format!("{}.{}", scope.name().unwrap_or_default(), self.name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(start: Nanos, end: Nanos) -> TraceQuery {
        TraceQuery {
            traceql: "{ status = error }".into(),
            range: TimeRange { start, end },
            limit: 20,
            spss: 3,
        }
    }

    use crate::domain::time::NANOS_PER_SEC;

    #[test]
    fn older_is_the_window_just_before_of_the_same_length() {
        let q = query(1_000 * NANOS_PER_SEC, 4_600 * NANOS_PER_SEC);
        let older = q.older();
        assert_eq!(older.range.end, q.range.start);
        assert_eq!(older.range.start, -2_600 * NANOS_PER_SEC);
        assert_eq!(older.traceql, q.traceql);
        assert_eq!(older.older().range.end, older.range.start);
    }

    #[test]
    fn tags_read_back_as_written() {
        for text in ["resource.service.name", ".http.route", "status", "span.a.b"] {
            assert_eq!(Tag::parse(text).traceql(), text);
        }
        assert_eq!(Tag::parse("span.http.route").scope, TagScope::Span);
        assert_eq!(Tag::parse("status").scope, TagScope::Intrinsic);
    }

    #[test]
    fn tags_are_written_as_traceql_writes_them() {
        let tag = |scope, name: &str| Tag {
            scope,
            name: SafeText::new(name),
        };
        assert_eq!(
            tag(TagScope::Resource, "service.name").traceql(),
            "resource.service.name"
        );
        assert_eq!(
            tag(TagScope::Span, "http.route").traceql(),
            "span.http.route"
        );
        assert_eq!(
            tag(TagScope::Unscoped, "service.name").traceql(),
            ".service.name"
        );
        assert_eq!(tag(TagScope::Intrinsic, "status").traceql(), "status");
        assert_eq!(TagScope::from_name("event"), Some(TagScope::Event));
        assert_eq!(TagScope::from_name("unscoped"), None);
    }

    #[test]
    fn older_answers_are_added_once() {
        let summary = |hex: &str| TraceSummary {
            id: TraceId::from_hex(hex).unwrap_or(TraceId([0; 16])),
            root_service: SafeText::new("frontend"),
            root_name: SafeText::new("GET /"),
            start: 0,
            duration: 0,
            span_sets: Vec::new(),
            services: Vec::new(),
            error: false,
        };
        let mut result = SearchResult {
            traces: vec![summary("a1"), summary("b2")],
            completeness: Completeness::Complete,
        };
        let older = SearchResult {
            traces: vec![summary("b2"), summary("c3")],
            completeness: Completeness::Partial {
                completed_jobs: 1,
                total_jobs: 2,
            },
        };
        assert_eq!(result.add_older(older), 1);
        let ids: Vec<String> = result.traces.iter().map(|t| t.id.to_string()).collect();
        assert_eq!(ids.len(), 3);
        assert!(ids[2].ends_with("c3"));
        assert!(matches!(result.completeness, Completeness::Partial { .. }));
    }
}
