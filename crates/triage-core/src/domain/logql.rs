//! What triage reads of a LogQL query's text: whether it is a metric
//! query, the log query inside one and the range it counts over (the
//! logs behind a point).

use super::time::parse_duration;
use std::time::Duration;

/// A metric query (`rate(...)`, `sum by (level) (count_over_time(...))`)
/// answers numbers over time; a log query starts with its selector.
pub fn is_metric_query(logql: &str) -> bool {
    let text = logql.trim_start();
    !text.is_empty() && !text.starts_with('{')
}

/// The log query a metric query counts over: its selector and pipeline,
/// without the range and without `| unwrap` (which only a metric query
/// takes). None when there is no selector.
pub fn log_query_of(metric: &str) -> Option<String> {
    let start = unquoted(metric).find(|&(_, c)| c == '{')?.0;
    let mut depth = 0usize;
    let mut end = metric.len();
    for (i, c) in unquoted(&metric[start..]) {
        match c {
            '(' => depth += 1,
            ')' if depth == 0 => {
                end = start + i;
                break;
            }
            ')' => depth -= 1,
            '[' if depth == 0 => {
                end = start + i;
                break;
            }
            _ => {}
        }
    }
    let query = metric[start..end].trim_end();
    let query = match query.find("| unwrap") {
        Some(at) => query[..at].trim_end(),
        None => query,
    };
    Some(query.to_owned())
}

/// The stream selector a log query starts with (`{app="api"}`), which is
/// all Loki's pattern and label calls take.
pub fn selector_of(logql: &str) -> Option<&str> {
    let start = unquoted(logql).find(|&(_, c)| c == '{')?.0;
    let end = start + unquoted(&logql[start..]).find(|&(_, c)| c == '}')?.0;
    Some(&logql[start..=end])
}

/// The range a metric query counts each point over (`[5m]`): a point at
/// `t` counts the lines between `t` less it and `t`.
pub fn range_of(metric: &str) -> Option<Duration> {
    let open = unquoted(metric).find(|&(_, c)| c == '[')?.0;
    let close = open + metric[open..].find(']')?;
    parse_duration(&metric[open + 1..close])
}

/// The characters outside quoted strings, with their byte offsets.
fn unquoted(text: &str) -> impl Iterator<Item = (usize, char)> + '_ {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    text.char_indices().filter(move |&(_, c)| {
        if let Some(open) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' if open != '`' => escaped = true,
                _ if c == open => quote = None,
                _ => {}
            }
            return false;
        }
        if c == '"' || c == '`' {
            quote = Some(c);
            return false;
        }
        true
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_queries_are_told_from_log_queries() {
        assert!(!is_metric_query(r#"{app="api"} |= "x""#));
        assert!(!is_metric_query(r#"  {app="api"}"#));
        assert!(is_metric_query(r#"rate({app="api"}[5m])"#));
        assert!(is_metric_query(
            r#"sum by (level) (count_over_time({app="api"}[1m]))"#
        ));
        assert!(!is_metric_query(""));
    }

    #[test]
    fn the_log_query_inside_a_metric_query() {
        let of = |q: &str| log_query_of(q);
        assert_eq!(
            of(r#"sum by (detected_level) (count_over_time({app="api"} |= "a[b)" | json [1m]))"#)
                .as_deref(),
            Some(r#"{app="api"} |= "a[b)" | json"#)
        );
        assert_eq!(
            of(r#"rate({app="api", pod=~"api-.*"}[5m])"#).as_deref(),
            Some(r#"{app="api", pod=~"api-.*"}"#)
        );
        assert_eq!(
            of(r#"sum_over_time({app="api"} | logfmt | unwrap duration_ms [1m])"#).as_deref(),
            Some(r#"{app="api"} | logfmt"#)
        );
        assert_eq!(
            of(r#"count_over_time({a="}"} | line_format "{{.msg}}" [1m])"#).as_deref(),
            Some(r#"{a="}"} | line_format "{{.msg}}""#)
        );
        assert_eq!(of("vector(1)"), None);
    }

    #[test]
    fn the_selector_of_a_query() {
        assert_eq!(
            selector_of(r#"{app="a}b", pod=~"x"} |= "}" | json"#),
            Some(r#"{app="a}b", pod=~"x"}"#)
        );
        assert_eq!(selector_of("rate(x[1m])"), None);
    }

    #[test]
    fn the_range_a_point_counts_over() {
        let minutes = |m: u64| Some(Duration::from_secs(60 * m));
        assert_eq!(range_of(r#"rate({a="[x]"} |= "[2m]" [5m])"#), minutes(5));
        assert_eq!(
            range_of(r#"sum(count_over_time({a="b"}[1h]))"#),
            minutes(60)
        );
        assert_eq!(range_of(r#"{a="b"}"#), None);
    }
}
