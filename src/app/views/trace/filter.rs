//! The span filter: words typed into the filter line, matched against a
//! span's name, service and attribute values (its resource's too), plus
//! two toggles (errors only, slower than a duration) and a statistics row.

use memchr::memmem::Finder;
use std::collections::HashMap;
use std::sync::Arc;
use triage_core::domain::{Attribute, Nanos, SafeText, Span, Trace};

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

    /// Whether `span` passes; `has_words` says whether its text holds
    /// every word (see [`Haystacks::with_words`]).
    pub fn matches(&self, span: &Span, has_words: bool) -> bool {
        has_words
            && (!self.errors_only || span.is_error())
            && self.slower_than.is_none_or(|t| span.duration() >= t)
            && self.only.as_ref().is_none_or(|(service, operation)| {
                span.service == *service && operation.as_ref().is_none_or(|o| span.name == *o)
            })
    }
}

/// The searchable text of every span, lower-cased once, in one buffer; a
/// resource's attributes once per resource, not once per span: a keystroke
/// then scans bytes instead of lower-casing every attribute again.
#[derive(Debug, Default)]
pub struct Haystacks {
    text: String,
    /// `text[ends[i-1]..ends[i]]` is span i's own text.
    ends: Vec<usize>,
    /// Each distinct resource's attributes, and which one a span has.
    resources: Vec<String>,
    resource_of: Vec<u32>,
}

impl Haystacks {
    pub fn new(trace: &Trace) -> Self {
        let mut hay = Haystacks::default();
        let mut seen: HashMap<*const [Attribute], u32> = HashMap::new();
        for span in &trace.spans {
            push_lower(&mut hay.text, &span.name);
            push_lower(&mut hay.text, &span.service);
            push_attributes(&mut hay.text, &span.attributes);
            hay.ends.push(hay.text.len());
            let resource = *seen.entry(Arc::as_ptr(&span.resource)).or_insert_with(|| {
                let mut text = String::new();
                push_attributes(&mut text, &span.resource);
                hay.resources.push(text);
                (hay.resources.len() - 1) as u32
            });
            hay.resource_of.push(resource);
        }
        hay
    }

    /// Per span: whether its text and its resource's hold every one of
    /// `filter`'s words between them.
    pub fn with_words(&self, filter: &SpanFilter) -> Vec<bool> {
        let words: Vec<Finder> = filter.words.iter().take(64).map(Finder::new).collect();
        let all = if words.len() == 64 {
            u64::MAX
        } else {
            (1u64 << words.len()) - 1
        };
        let found = |text: &str| {
            (words.iter().enumerate())
                .filter(|(_, w)| w.find(text.as_bytes()).is_some())
                .fold(0u64, |mask, (i, _)| mask | 1 << i)
        };
        let by_resource: Vec<u64> = self.resources.iter().map(|r| found(r)).collect();
        (0..self.ends.len())
            .map(|span| {
                let start = span.checked_sub(1).map_or(0, |i| self.ends[i]);
                let own = found(&self.text[start..self.ends[span]]);
                own | by_resource[self.resource_of[span] as usize] == all
            })
            .collect()
    }
}

fn push_attributes(text: &mut String, attributes: &[Attribute]) {
    for a in attributes {
        text.extend(a.key.chars().flat_map(char::to_lowercase));
        text.push('=');
        push_lower(text, &a.value);
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
    use triage_core::domain::{SpanId, SpanKind, SpanStatus, TraceId};

    fn span(name: &str, service: &str, ms: i64, error: bool, resource: &Arc<[Attribute]>) -> Span {
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
            resource: Arc::clone(resource),
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
        let pod: Arc<[Attribute]> = Arc::new([Attribute {
            key: "k8s.pod.name".into(),
            value: "frontend-7d9f".into(),
        }]);
        let none: Arc<[Attribute]> = Arc::new([]);
        let trace = Trace {
            id: TraceId([1; 16]),
            spans: vec![
                span("GET", "Frontend", 5, false, &pod),
                span("SELECT", "postgres", 300, true, &none),
            ],
            partial: None,
        };
        let hay = Haystacks::new(&trace);
        let hits = |f: &SpanFilter| {
            let words = hay.with_words(f);
            (0..2)
                .filter(|&i| f.matches(&trace.spans[i], words[i]))
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
        filter.set_text("7d9f select");
        assert_eq!(
            hits(&filter),
            Vec::<usize>::new(),
            "the resource's words are its spans'"
        );
        filter.set_text("7d9f get");
        assert_eq!(
            hits(&filter),
            [0],
            "a word in the span, one in its resource"
        );
        filter.set_text("");
        filter.errors_only = true;
        assert_eq!(hits(&filter), [1]);
        filter.errors_only = false;
        filter.slower_than = Some(100_000_000);
        assert_eq!(hits(&filter), [1]);
        filter.slower_than = None;
        filter.only = Some(("postgres".into(), None));
        assert_eq!(hits(&filter), [1]);
        assert!(filter.is_active());
    }
}
