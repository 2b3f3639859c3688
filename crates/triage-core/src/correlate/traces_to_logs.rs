//! Traces to logs: the Loki query for a span's logs, built as Grafana's
//! Tempo data source builds it. The span's resource attributes (else its
//! own) become label matchers, the window is the span widened by a shift on
//! each side, and line filters keep the lines that name the trace or span.

use crate::domain::{Nanos, Span, TimeRange, TraceId};
use std::fmt::Write;
use std::time::Duration;

/// How a span's logs are found; `[contexts.NAME.traces_to_logs]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracesToLogs {
    /// (attribute, Loki label), in the order tried: of two attributes for
    /// one label, the first the span has wins.
    pub tags: Vec<(String, String)>,
    /// How long before the span's start the window opens.
    pub start_shift: Duration,
    /// How long after the span's end it closes.
    pub end_shift: Duration,
    /// Keep only lines containing the trace id (32 hex digits).
    pub filter_by_trace_id: bool,
    /// Keep only lines containing the span id (16 hex digits).
    pub filter_by_span_id: bool,
}

/// Where OpenTelemetry's Kubernetes attributes land in Loki as the Helm
/// chart's agents label them, and Loki's own name for the service.
const DEFAULT_TAGS: [(&str, &str); 4] = [
    ("k8s.namespace.name", "namespace"),
    ("k8s.pod.name", "pod"),
    ("k8s.container.name", "container"),
    ("service.name", "service_name"),
];

impl Default for TracesToLogs {
    fn default() -> Self {
        TracesToLogs {
            tags: DEFAULT_TAGS
                .iter()
                .map(|(attribute, label)| (attribute.to_string(), label.to_string()))
                .collect(),
            start_shift: Duration::from_secs(60),
            end_shift: Duration::from_secs(60),
            filter_by_trace_id: true,
            filter_by_span_id: false,
        }
    }
}

/// A query for a span's logs and the time it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanLogsQuery {
    pub logql: String,
    pub range: TimeRange,
}

/// No attribute of the span maps to a label the Loki server has: Loki
/// refuses a query without a matcher.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("no attribute of the span maps to a Loki label")]
pub struct NoLabels {
    /// Labels the span had a value for that the server does not have.
    pub unknown_to_loki: Vec<String>,
}

/// The query for `span`'s logs. `known_labels` are the labels the Loki
/// server has (its `/labels` answer); with `None` every mapped label is
/// kept.
pub fn logs_query(
    settings: &TracesToLogs,
    trace_id: TraceId,
    span: &Span,
    known_labels: Option<&[String]>,
) -> Result<SpanLogsQuery, NoLabels> {
    let mut logql = format!("{{{}}}", matchers(settings, span, known_labels)?.join(", "));
    if settings.filter_by_trace_id {
        let _ = write!(logql, " |= \"{trace_id}\"");
    }
    if settings.filter_by_span_id {
        let _ = write!(logql, " |= \"{}\"", span.span_id);
    }
    Ok(SpanLogsQuery {
        logql,
        range: window(settings, span),
    })
}

/// `label="value"` for each mapped attribute the span has.
fn matchers(
    settings: &TracesToLogs,
    span: &Span,
    known_labels: Option<&[String]>,
) -> Result<Vec<String>, NoLabels> {
    let mut taken: Vec<&str> = Vec::new();
    let mut matchers = Vec::new();
    let mut unknown_to_loki: Vec<String> = Vec::new();
    for (attribute, label) in &settings.tags {
        if taken.contains(&label.as_str()) {
            continue;
        }
        let Some(value) = value_of(span, attribute) else {
            continue;
        };
        if known_labels.is_some_and(|known| !known.contains(label)) {
            if !unknown_to_loki.contains(label) {
                unknown_to_loki.push(label.clone());
            }
            continue;
        }
        taken.push(label);
        matchers.push(format!("{label}={}", logql_string(value)));
    }
    if matchers.is_empty() {
        return Err(NoLabels { unknown_to_loki });
    }
    Ok(matchers)
}

/// The resource's value first: it names where the span ran, which is how
/// the logs are labelled. An empty value matches nothing useful in Loki
/// (it means "no such label"), so it does not count.
fn value_of<'a>(span: &'a Span, attribute: &str) -> Option<&'a str> {
    span.resource
        .iter()
        .chain(&span.attributes)
        .filter(|a| a.key.as_str() == attribute)
        .map(|a| a.value.as_str())
        .find(|value| !value.is_empty())
}

/// The span, widened by the shifts; never empty, as the end is exclusive.
fn window(settings: &TracesToLogs, span: &Span) -> TimeRange {
    let start = span.start.saturating_sub(nanos(settings.start_shift));
    let end = span.end.max(span.start);
    let end = end.saturating_add(nanos(settings.end_shift));
    TimeRange {
        start,
        end: end.max(start.saturating_add(1)),
    }
}

fn nanos(duration: Duration) -> Nanos {
    Nanos::try_from(duration.as_nanos()).unwrap_or(Nanos::MAX)
}

/// `value` as a LogQL string literal. Loki unquotes it as Go does (with
/// Prometheus' `strutil.Unquote`): a quote and a backslash are escaped, and
/// a line break may not appear raw, nor should any control character.
pub fn logql_string(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            '\r' => quoted.push_str("\\r"),
            '\t' => quoted.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(quoted, "\\u{:04x}", u32::from(c));
            }
            c => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::test_traces::span;
    use crate::domain::time::NANOS_PER_SEC;
    use crate::domain::{Attribute, SpanId};
    use std::sync::Arc;

    const TRACE: &str = "651ca6325e6d780449e8af504f034ee5";

    fn attributes(pairs: &[(&str, &str)]) -> Vec<Attribute> {
        pairs
            .iter()
            .map(|(key, value)| Attribute {
                key: (*key).into(),
                value: (*value).into(),
            })
            .collect()
    }

    /// A span of a pod in `shop`, from 100 s to 101 s.
    fn pod_span(resource: &[(&str, &str)], own: &[(&str, &str)]) -> Span {
        let mut s = span(
            0xa0e3_cf9f_8fa3_fe94,
            None,
            100 * NANOS_PER_SEC,
            101 * NANOS_PER_SEC,
        );
        s.resource = Arc::from(attributes(resource));
        s.attributes = attributes(own).into();
        s
    }

    fn query(
        settings: &TracesToLogs,
        s: &Span,
        known: Option<&[String]>,
    ) -> Result<String, NoLabels> {
        let id = TraceId::from_hex(TRACE).unwrap_or(TraceId([0; 16]));
        logs_query(settings, id, s, known).map(|q| q.logql)
    }

    const K8S: [(&str, &str); 4] = [
        ("k8s.namespace.name", "shop"),
        ("k8s.pod.name", "checkout-7d9f"),
        ("k8s.container.name", "app"),
        ("service.name", "checkout"),
    ];

    #[test]
    fn the_default_mapping_names_the_pod_and_filters_on_the_trace() {
        let q = query(&TracesToLogs::default(), &pod_span(&K8S, &[]), None);
        assert_eq!(
            q.as_deref(),
            Ok(concat!(
                r#"{namespace="shop", pod="checkout-7d9f", container="app", service_name="checkout"}"#,
                r#" |= "651ca6325e6d780449e8af504f034ee5""#
            ))
        );
    }

    #[test]
    fn a_custom_mapping_replaces_the_default() {
        let settings = TracesToLogs {
            tags: vec![
                ("k8s.pod.name".into(), "k8s_pod_name".into()),
                ("cluster".into(), "cluster".into()),
            ],
            ..TracesToLogs::default()
        };
        let s = pod_span(&K8S, &[("cluster", "eu-1")]);
        assert_eq!(
            query(&settings, &s, None).as_deref(),
            Ok(
                r#"{k8s_pod_name="checkout-7d9f", cluster="eu-1"} |= "651ca6325e6d780449e8af504f034ee5""#
            )
        );
    }

    #[test]
    fn missing_attributes_are_left_out_and_span_attributes_fill_in() {
        // No namespace anywhere; the pod only on the span; the resource's
        // service wins over the span's; an empty value counts as missing.
        let s = pod_span(
            &[("service.name", "checkout"), ("k8s.container.name", "")],
            &[
                ("k8s.pod.name", "checkout-7d9f"),
                ("service.name", "other"),
                ("k8s.container.name", "app"),
            ],
        );
        let settings = TracesToLogs {
            filter_by_trace_id: false,
            ..TracesToLogs::default()
        };
        assert_eq!(
            query(&settings, &s, None).as_deref(),
            Ok(r#"{pod="checkout-7d9f", container="app", service_name="checkout"}"#)
        );
    }

    #[test]
    fn of_two_attributes_for_one_label_the_first_found_wins() {
        let settings = TracesToLogs {
            tags: vec![
                ("app.name".into(), "app".into()),
                ("service.name".into(), "app".into()),
            ],
            filter_by_trace_id: false,
            ..TracesToLogs::default()
        };
        let s = pod_span(&K8S, &[]);
        assert_eq!(
            query(&settings, &s, None).as_deref(),
            Ok(r#"{app="checkout"}"#)
        );
        let s = pod_span(&K8S, &[("app.name", "shop-ui")]);
        assert_eq!(
            query(&settings, &s, None).as_deref(),
            Ok(r#"{app="shop-ui"}"#)
        );
    }

    #[test]
    fn labels_loki_does_not_have_are_dropped() {
        let known: Vec<String> = ["namespace", "pod", "job"].map(String::from).to_vec();
        let q = query(&TracesToLogs::default(), &pod_span(&K8S, &[]), Some(&known));
        assert_eq!(
            q.as_deref(),
            Ok(r#"{namespace="shop", pod="checkout-7d9f"} |= "651ca6325e6d780449e8af504f034ee5""#)
        );
    }

    #[test]
    fn no_label_at_all_is_an_error_that_says_what_loki_lacks() {
        let settings = TracesToLogs::default();
        assert_eq!(
            query(&settings, &pod_span(&[], &[("http.method", "GET")]), None),
            Err(NoLabels {
                unknown_to_loki: Vec::new()
            })
        );
        let known = vec!["job".to_string()];
        assert_eq!(
            query(&settings, &pod_span(&K8S, &[]), Some(&known)),
            Err(NoLabels {
                unknown_to_loki: ["namespace", "pod", "container", "service_name"]
                    .map(String::from)
                    .to_vec()
            })
        );
        let nothing = TracesToLogs {
            tags: Vec::new(),
            ..settings
        };
        assert!(query(&nothing, &pod_span(&K8S, &[]), None).is_err());
    }

    #[test]
    fn hostile_values_stay_inside_their_string() {
        let s = pod_span(
            &[
                ("k8s.pod.name", r#"a"} |= "x\"#),
                ("k8s.namespace.name", "line\nbreak"),
            ],
            &[],
        );
        let settings = TracesToLogs {
            filter_by_trace_id: false,
            ..TracesToLogs::default()
        };
        // The span's text was made safe on the way in: the line break is a mark.
        assert_eq!(
            query(&settings, &s, None).as_deref(),
            Ok(r#"{namespace="line↵break", pod="a\"} |= \"x\\"}"#)
        );
        assert_eq!(logql_string("a\nb\r\tc"), r#""a\nb\r\tc""#);
        assert_eq!(
            logql_string("\u{1}\u{7f}\u{85}é"),
            r#""\u0001\u007f\u0085é""#
        );
        assert_eq!(logql_string(r#"\""#), r#""\\\"""#);
    }

    #[test]
    fn the_window_is_the_span_widened_by_the_shifts() {
        let s = pod_span(&K8S, &[]);
        let id = TraceId([1; 16]);
        let range =
            |settings: &TracesToLogs, s: &Span| logs_query(settings, id, s, None).map(|q| q.range);
        let sec = NANOS_PER_SEC;
        assert_eq!(
            range(&TracesToLogs::default(), &s),
            Ok(TimeRange {
                start: 40 * sec,
                end: 161 * sec
            })
        );
        let exact = TracesToLogs {
            start_shift: Duration::ZERO,
            end_shift: Duration::from_millis(500),
            ..TracesToLogs::default()
        };
        assert_eq!(
            range(&exact, &s),
            Ok(TimeRange {
                start: 100 * sec,
                end: 101 * sec + sec / 2
            })
        );
        // No length and no shift: still the instant itself.
        let none = TracesToLogs {
            end_shift: Duration::ZERO,
            ..exact
        };
        let mut point = s.clone();
        point.end = point.start - 5;
        assert_eq!(
            range(&none, &point),
            Ok(TimeRange {
                start: 100 * sec,
                end: 100 * sec + 1
            })
        );
    }

    #[test]
    fn filters_on_the_trace_and_span_ids_can_be_chosen() {
        let s = pod_span(&[("k8s.pod.name", "p")], &[]);
        let with = |trace, span| TracesToLogs {
            filter_by_trace_id: trace,
            filter_by_span_id: span,
            ..TracesToLogs::default()
        };
        assert_eq!(
            query(&with(false, false), &s, None).as_deref(),
            Ok(r#"{pod="p"}"#)
        );
        assert_eq!(
            query(&with(false, true), &s, None).as_deref(),
            Ok(r#"{pod="p"} |= "a0e3cf9f8fa3fe94""#)
        );
        assert_eq!(
            query(&with(true, true), &s, None).as_deref(),
            Ok(r#"{pod="p"} |= "651ca6325e6d780449e8af504f034ee5" |= "a0e3cf9f8fa3fe94""#)
        );
        assert_eq!(s.span_id, SpanId(0xa0e3_cf9f_8fa3_fe94u64.to_be_bytes()));
    }
}
