//! A log query narrowed to one field's value, as Grafana's "filter for
//! value" does: Loki's parser for the line's format, then a label filter.

use super::logql_string;
use crate::domain::Format;
use std::fmt::Write;

/// What Loki adds to a field's label name when a stream label already has it.
const DUPLICATE_SUFFIX: &str = "_extracted";

/// `logql` asking only for lines whose field `key` is `value` (`keep`), or
/// is not: `| json` or `| logfmt` appended unless the pipeline already has
/// that parser (bare: `| json` with no expressions, `| logfmt` with flags
/// at most), then `| name="value"` or `| name!="value"`. None for a metric
/// query (only a log query, `{…} …`, can be narrowed so) and for a key Loki
/// makes no label of.
///
/// The label is named as Loki names it ([`label_name`]); if the query's
/// selector names that label, Loki calls the field `<name>_extracted`, and
/// so does this. A stream label the selector does not name (`pod`, say)
/// can collide too, which cannot be seen from the query.
pub fn narrow(logql: &str, format: Format, key: &str, value: &str, keep: bool) -> Option<String> {
    let query = logql.trim();
    if !query.starts_with('{') {
        return None;
    }
    let mut name = label_name(key);
    if name.is_empty() {
        return None;
    }
    if selector_labels(query).contains(&name.as_str()) {
        name.push_str(DUPLICATE_SUFFIX);
    }
    let mut narrowed = query.to_owned();
    if !has_parser(query, format) {
        narrowed.push_str(match format {
            Format::Json => " | json",
            Format::Logfmt => " | logfmt",
        });
    }
    let op = if keep { "=" } else { "!=" };
    let _ = write!(narrowed, " | {name}{op}{}", logql_string(value));
    Some(narrowed)
}

/// The label Loki's `| json` and `| logfmt` make of a field's key (Loki's
/// `sanitizeLabelKey`): trimmed of white space, `_` before a leading digit,
/// every character but ASCII letters, digits and `_` as `_` (one per
/// character, not per byte). A dotted JSON key (`http.method`) so becomes
/// Loki's flattened name (`http_method`). An empty name is no label.
pub fn label_name(key: &str) -> String {
    let key = key.trim();
    let mut name = String::with_capacity(key.len() + 1);
    if key.starts_with(|c: char| c.is_ascii_digit()) {
        name.push('_');
    }
    name.extend(key.chars().map(|c| match c.is_ascii_alphanumeric() {
        true => c,
        false => '_',
    }));
    name
}

/// Whether a stage of the pipeline is already this parser, extracting
/// every field (Loki runs the stages in order; a second one would only
/// read the line again).
fn has_parser(query: &str, format: Format) -> bool {
    stages(query).into_iter().any(|stage| {
        let mut words = stage.split_whitespace();
        match (format, words.next()) {
            (Format::Json, Some("json")) => words.next().is_none(),
            (Format::Logfmt, Some("logfmt")) => words.all(|w| w.starts_with("--")),
            _ => false,
        }
    })
}

/// The text of each pipeline stage after a `|` (not the `|=`, `|~` and
/// `|>` line filters), strings skipped.
fn stages(query: &str) -> Vec<&str> {
    let bytes = query.as_bytes();
    let mut stages = Vec::new();
    let mut start = None;
    for (at, byte) in unquoted(query) {
        if byte != b'|' {
            continue;
        }
        if let Some(from) = start.take() {
            stages.push(query.get(from..at).unwrap_or_default());
        }
        if !matches!(bytes.get(at + 1), Some(b'=' | b'~' | b'>')) {
            start = Some(at + 1);
        }
    }
    if let Some(from) = start {
        stages.push(query.get(from..).unwrap_or_default());
    }
    stages
}

/// The label names the stream selector (`{app="api", pod=~"x.*"}`) matches on.
fn selector_labels(query: &str) -> Vec<&str> {
    let end = unquoted(query)
        .find(|&(_, byte)| byte == b'}')
        .map_or(query.len(), |(at, _)| at);
    let mut names = Vec::new();
    let mut from = 1; // after the `{`
    let commas = unquoted(query).filter(|&(at, b)| b == b',' && at < end);
    for at in commas.map(|(at, _)| at).chain([end]) {
        let matcher = query.get(from..at).unwrap_or_default();
        let name = matcher.split(['=', '!', '~']).next().unwrap_or_default();
        names.push(name.trim());
        from = at + 1;
    }
    names
}

/// The bytes of a query outside its string literals (`"…"` with `\`
/// escapes, and raw `` `…` ``), with their offsets.
fn unquoted(query: &str) -> impl Iterator<Item = (usize, u8)> + '_ {
    let mut quote: Option<u8> = None;
    let mut escaped = false;
    query.bytes().enumerate().filter(move |&(_, byte)| {
        let Some(q) = quote else {
            if byte == b'"' || byte == b'`' {
                quote = Some(byte);
                return false;
            }
            return true;
        };
        if escaped {
            escaped = false;
        } else if byte == b'\\' && q == b'"' {
            escaped = true;
        } else if byte == q {
            quote = None;
        }
        false
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(query: &str, key: &str, value: &str) -> Option<String> {
        narrow(query, Format::Json, key, value, true)
    }

    #[test]
    fn the_parser_and_a_filter_are_appended() {
        assert_eq!(
            json(r#"{app="api"}"#, "level", "error").unwrap(),
            r#"{app="api"} | json | level="error""#
        );
        assert_eq!(
            narrow(
                r#"{app="auth"} |= "token""#,
                Format::Logfmt,
                "user",
                "u-1",
                false
            )
            .unwrap(),
            r#"{app="auth"} |= "token" | logfmt | user!="u-1""#
        );
    }

    #[test]
    fn values_are_quoted_as_logql_strings() {
        assert_eq!(
            json("{a=\"b\"}", "msg", "say \"hi\" \\ bye\n").unwrap(),
            r#"{a="b"} | json | msg="say \"hi\" \\ bye\n""#
        );
    }

    #[test]
    fn a_parser_already_there_is_not_added_again() {
        let once = |query: &str, format| narrow(query, format, "a", "1", true).unwrap();
        assert_eq!(
            once(r#"{app="api"} | json"#, Format::Json),
            r#"{app="api"} | json | a="1""#
        );
        assert_eq!(
            once(r#"{app="api"} | json | level="error" |= "x""#, Format::Json),
            r#"{app="api"} | json | level="error" |= "x" | a="1""#
        );
        assert_eq!(
            once(r#"{app="api"} | logfmt --strict | b="2""#, Format::Logfmt),
            r#"{app="api"} | logfmt --strict | b="2" | a="1""#
        );
        // Another parser, a json that extracts only some fields, the word
        // in a string: not the parser asked for.
        assert_eq!(
            once(r#"{app="api"} | logfmt"#, Format::Json),
            r#"{app="api"} | logfmt | json | a="1""#
        );
        assert_eq!(
            once(r#"{app="api"} | json b="x.y""#, Format::Json),
            r#"{app="api"} | json b="x.y" | json | a="1""#
        );
        assert_eq!(
            once(r#"{app="a|json"} |= "| json""#, Format::Json),
            r#"{app="a|json"} |= "| json" | json | a="1""#
        );
        assert_eq!(
            once(r#"{app="api"} |~ `| json`"#, Format::Json),
            r#"{app="api"} |~ `| json` | json | a="1""#
        );
    }

    #[test]
    fn keys_are_named_as_loki_names_them() {
        assert_eq!(label_name("http.method"), "http_method");
        assert_eq!(label_name("[trace_id"), "_trace_id");
        assert_eq!(label_name("span-id"), "span_id");
        assert_eq!(label_name("2xx"), "_2xx");
        assert_eq!(label_name(" żółw "), "___w");
        assert_eq!(label_name("a.0b"), "a_0b");
        assert_eq!(label_name("   "), "");
        assert_eq!(
            json("{a=\"b\"}", "http.req.size", "12").unwrap(),
            r#"{a="b"} | json | http_req_size="12""#
        );
        assert_eq!(json("{a=\"b\"}", " ", "x"), None);
    }

    #[test]
    fn a_field_named_like_a_selector_label_is_extracted() {
        assert_eq!(
            json(r#"{app="api", pod=~"api-.*"}"#, "app", "web").unwrap(),
            r#"{app="api", pod=~"api-.*"} | json | app_extracted="web""#
        );
        assert_eq!(
            json(r#"{ pod != "x,y" , app="api"}"#, "pod", "p").unwrap(),
            r#"{ pod != "x,y" , app="api"} | json | pod_extracted="p""#
        );
        assert_eq!(
            json(r#"{app="api"}"#, "application", "x").unwrap(),
            r#"{app="api"} | json | application="x""#
        );
    }

    #[test]
    fn metric_queries_are_not_narrowed() {
        assert_eq!(
            json(
                r#"sum by (level) (count_over_time({app="api"} | json [5m]))"#,
                "a",
                "b"
            ),
            None
        );
        assert_eq!(json("", "a", "b"), None);
    }
}
