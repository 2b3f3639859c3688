//! The span filter: words typed into the filter line, matched against a
//! span's name, service and attribute values, plus two toggles (errors
//! only, slower than a duration).

use triage_core::domain::{Nanos, SafeText, Span, Trace};

/// What spans must be to match; nothing set matches every span.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpanFilter {
    /// Lower-cased words, all of which a span must contain.
    words: Vec<String>,
    pub text: String,
    pub errors_only: bool,
    pub slower_than: Option<Nanos>,
    /// A statistics row chosen: its service, and its operation if one.
    pub only: Option<(SafeText, Option<SafeText>)>,
}

impl SpanFilter {
    pub fn is_active(&self) -> bool {
        !self.words.is_empty()
            || self.errors_only
            || self.slower_than.is_some()
            || self.only.is_some()
    }

    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_owned();
        self.words = text.split_whitespace().map(str::to_lowercase).collect();
    }

    pub fn matches(&self, span: &Span, haystack: &str) -> bool {
        (!self.errors_only || span.is_error())
            && self.only.as_ref().is_none_or(|(service, operation)| {
                span.service == *service && operation.as_ref().is_none_or(|o| span.name == *o)
            })
            && self.slower_than.is_none_or(|t| span.duration() >= t)
            && self.words.iter().all(|w| haystack.contains(w.as_str()))
    }
}

/// Each span's searchable text, lower-cased once, in one buffer: a
/// keystroke then scans bytes instead of lower-casing every attribute.
#[derive(Debug, Default)]
pub struct Haystacks {
    text: String,
    /// `text[ends[i-1]..ends[i]]` is span i's.
    ends: Vec<usize>,
}

impl Haystacks {
    pub fn new(trace: &Trace) -> Self {
        let mut text = String::new();
        let mut ends = Vec::with_capacity(trace.spans.len());
        for span in &trace.spans {
            push_lower(&mut text, &span.name);
            push_lower(&mut text, &span.service);
            for a in span.attributes.iter().chain(span.resource.iter()) {
                text.extend(a.key.chars().flat_map(char::to_lowercase));
                text.push('=');
                push_lower(&mut text, &a.value);
            }
            ends.push(text.len());
        }
        Haystacks { text, ends }
    }

    pub fn of(&self, span: usize) -> &str {
        let start = span.checked_sub(1).map_or(0, |i| self.ends[i]);
        &self.text[start..self.ends[span]]
    }
}

/// Adds a field and a separator no typed word contains, so that a word
/// never matches across two fields.
fn push_lower(text: &mut String, field: &str) {
    text.extend(field.chars().flat_map(char::to_lowercase));
    text.push('\u{1}');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use triage_core::domain::{Attribute, SpanId, SpanKind, SpanStatus, TraceId};

    fn span(name: &str, service: &str, ms: i64, error: bool) -> Span {
        Span {
            span_id: SpanId([1; 8]),
            parent_id: None,
            name: name.into(),
            service: service.into(),
            kind: SpanKind::Server,
            start: 0,
            end: ms * 1_000_000,
            attributes: Box::new([Attribute {
                key: "http.route".into(),
                value: "/Checkout".into(),
            }]),
            resource: Arc::from(Vec::new()),
            events: Box::default(),
            status: if error {
                SpanStatus::Error("boom".into())
            } else {
                SpanStatus::Unset
            },
        }
    }

    #[test]
    fn words_toggles_and_fields() {
        let trace = Trace {
            id: TraceId([1; 16]),
            spans: vec![
                span("GET", "Frontend", 5, false),
                span("SELECT", "postgres", 300, true),
            ],
            partial: None,
        };
        let hay = Haystacks::new(&trace);
        let hits = |f: &SpanFilter| {
            (0..2)
                .filter(|&i| f.matches(&trace.spans[i], hay.of(i)))
                .collect::<Vec<_>>()
        };
        let mut filter = SpanFilter::default();
        assert!(!filter.is_active());
        assert_eq!(hits(&filter), [0, 1]);
        filter.set_text("frontend checkout");
        assert_eq!(hits(&filter), [0], "every word, any case, any field");
        filter.set_text("route=/checkout");
        assert_eq!(hits(&filter), [0, 1], "key=value");
        filter.set_text("getfrontend");
        assert_eq!(hits(&filter), Vec::<usize>::new(), "not across fields");
        filter.set_text("");
        filter.errors_only = true;
        assert_eq!(hits(&filter), [1]);
        filter.errors_only = false;
        filter.slower_than = Some(100_000_000);
        assert_eq!(hits(&filter), [1]);
        assert!(filter.is_active());
    }
}
