//! Traces to metrics: PromQL queries about a span, as Grafana's Tempo data
//! source links them. Each query names `$__tags` where the span's mapped
//! attributes go as label matchers, and may name the span itself
//! (`$service`, `$span_name`; Grafana's `${__span.name}`,
//! `${__span.tags.KEY}`, its ids).

use crate::domain::{Span, TimeRange, TraceId};
use std::time::Duration;

/// `[contexts.NAME.traces_to_metrics]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TracesToMetrics {
    /// (attribute, Prometheus label), in the order tried.
    pub tags: Vec<(String, String)>,
    /// (name, PromQL), the first opened first.
    pub queries: Vec<(String, String)>,
    /// How long before the span's start the graph opens.
    pub start_shift: Duration,
    /// How long after the span's end it closes.
    pub end_shift: Duration,
}

/// Tempo's metrics generator labels its span metrics `service`,
/// `span_name`, `span_kind` and `status_code`.
const DEFAULT_QUERIES: [(&str, &str); 2] = [
    (
        "calls per second by status",
        "sum by (status_code) (rate(traces_spanmetrics_calls_total{$__tags, span_name=\"${__span.name}\"}[5m]))",
    ),
    (
        "p95 latency",
        "histogram_quantile(0.95, sum by (le) (rate(traces_spanmetrics_latency_bucket{$__tags, span_name=\"${__span.name}\"}[5m])))",
    ),
];

impl Default for TracesToMetrics {
    fn default() -> Self {
        TracesToMetrics {
            tags: vec![("service.name".into(), "service".into())],
            queries: DEFAULT_QUERIES
                .iter()
                .map(|(name, query)| (name.to_string(), query.to_string()))
                .collect(),
            // A graph of the span's own milliseconds shows one point.
            start_shift: Duration::from_secs(30 * 60),
            end_shift: Duration::from_secs(30 * 60),
        }
    }
}

/// One of the queries, filled in for a span, and the time it covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpanMetricsQuery {
    pub name: String,
    pub promql: String,
    pub range: TimeRange,
}

/// The `index`th query (wrapping) for `span`, or none when there are none.
pub fn metrics_query(
    settings: &TracesToMetrics,
    trace_id: TraceId,
    span: &Span,
    index: usize,
) -> Option<SpanMetricsQuery> {
    let (name, query) = settings
        .queries
        .get(index % settings.queries.len().max(1))?;
    Some(SpanMetricsQuery {
        name: name.clone(),
        promql: interpolate(query, &tags(settings, span), trace_id, span),
        range: window(settings, span),
    })
}

/// `label="value"` for each mapped attribute the span has, joined.
fn tags(settings: &TracesToMetrics, span: &Span) -> String {
    let mut taken: Vec<&str> = Vec::new();
    let mut matchers = Vec::new();
    for (attribute, label) in &settings.tags {
        let value = span.attribute(attribute).filter(|v| !v.is_empty());
        if let Some(value) = value.filter(|_| !taken.contains(&label.as_str())) {
            taken.push(label);
            matchers.push(format!("{label}={}", promql_string(value.as_str())));
        }
    }
    matchers.join(", ")
}

/// Grafana's variables, each form it accepts (`$__tags`, `${__tags}`); a
/// `$__tags` left empty takes its comma with it.
fn interpolate(query: &str, tags: &str, trace_id: TraceId, span: &Span) -> String {
    let mut out = query
        .replace("${__tags}", "$__tags")
        .replace("$__tags", tags);
    for (variable, value) in [
        ("$span_name", span.name.to_string()),
        ("$service", span.service.to_string()),
        ("${__span.name}", span.name.to_string()),
        ("${__span.spanId}", span.span_id.to_string()),
        ("${__span.traceId}", trace_id.to_string()),
        ("${__trace.traceId}", trace_id.to_string()),
    ] {
        out = out.replace(variable, &promql_escape(&value));
    }
    while let Some(start) = out.find("${__span.tags.") {
        let Some(length) = out[start..].find('}') else {
            break;
        };
        let key = &out[start + "${__span.tags.".len()..start + length];
        let value = span.attribute(key).map(|v| promql_escape(v.as_str()));
        out.replace_range(start..=start + length, &value.unwrap_or_default());
    }
    for (dangling, tidy) in [("{, ", "{"), ("{,", "{"), (", }", "}"), (",}", "}")] {
        out = out.replace(dangling, tidy);
    }
    out
}

/// A PromQL double-quoted string.
fn promql_string(value: &str) -> String {
    format!("\"{}\"", promql_escape(value))
}

fn promql_escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The span, widened by the shifts.
fn window(settings: &TracesToMetrics, span: &Span) -> TimeRange {
    let nanos = |d: Duration| d.as_nanos().min(i64::MAX as u128) as i64;
    let start = span.start.saturating_sub(nanos(settings.start_shift));
    let end = span
        .end
        .max(span.start)
        .saturating_add(nanos(settings.end_shift));
    TimeRange {
        start,
        end: end.max(start.saturating_add(1)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::test_traces::span;
    use crate::domain::Attribute;
    use std::sync::Arc;

    const TRACE: TraceId = TraceId([0xab; 16]);

    fn checkout() -> Span {
        let mut s = span(1, None, 1_000_000_000, 3_000_000_000);
        s.name = "GET /cart \"x\"".into();
        s.resource = Arc::from(vec![Attribute {
            key: "service.name".into(),
            value: "checkout".into(),
        }]);
        s
    }

    fn settings(query: &str) -> TracesToMetrics {
        TracesToMetrics {
            queries: vec![("q".into(), query.into())],
            ..TracesToMetrics::default()
        }
    }

    #[test]
    fn tags_and_span_variables_are_filled_in_and_escaped() {
        let trace_id = TRACE;
        let found = metrics_query(&TracesToMetrics::default(), trace_id, &checkout(), 0);
        assert_eq!(
            found.map(|q| q.promql).as_deref(),
            Some(
                r#"sum by (status_code) (rate(traces_spanmetrics_calls_total{service="checkout", span_name="GET /cart \"x\""}[5m]))"#
            )
        );
        let q = |query: &str| {
            metrics_query(&settings(query), trace_id, &checkout(), 0).map(|q| q.promql)
        };
        assert_eq!(
            q("up{${__tags}}").as_deref(),
            Some("up{service=\"checkout\"}")
        );
        assert_eq!(
            q("x{a=\"${__span.tags.service.name}\", t=\"${__trace.traceId}\"}").as_deref(),
            Some("x{a=\"checkout\", t=\"abababababababababababababababab\"}")
        );
        // No mapped attribute: the matcher list closes up.
        let mut bare = checkout();
        bare.resource = Arc::from(Vec::new());
        let found = metrics_query(&settings("x{$__tags, job=\"a\"}"), trace_id, &bare, 0);
        assert_eq!(found.map(|q| q.promql).as_deref(), Some("x{job=\"a\"}"));
    }

    #[test]
    fn the_window_and_the_query_chosen_wrap() {
        let trace_id = TRACE;
        let settings = TracesToMetrics::default();
        let second = metrics_query(&settings, trace_id, &checkout(), 3);
        assert_eq!(
            second.as_ref().map(|q| q.name.as_str()),
            Some("p95 latency")
        );
        let range = second.map(|q| q.range);
        let half_hour = 30 * 60 * 1_000_000_000;
        assert_eq!(
            range,
            Some(TimeRange {
                start: 1_000_000_000 - half_hour,
                end: 3_000_000_000 + half_hour
            })
        );
        let none = TracesToMetrics {
            queries: Vec::new(),
            ..settings
        };
        assert_eq!(metrics_query(&none, trace_id, &checkout(), 0), None);
    }
}
