//! What Loki reads in a line: the fields its `json` and `logfmt` parsers
//! extract, and the `detected_level` it gives each line as it arrives.

use serde_json::Value;

/// The label Loki's `json` parser sets on a line that is not an object.
const JSON_ERROR: [(&str, &str); 2] = [
    ("__error__", "JSONParserErr"),
    (
        "__error_details__",
        "Value looks like object, but can't find closing '}' symbol",
    ),
];

/// `| json`: every scalar of an object, nested keys joined with `_`
/// (`http.status` is `http_status`); arrays are skipped, as Loki does.
pub fn json(line: &str) -> Vec<(String, String)> {
    let Ok(Value::Object(object)) = serde_json::from_str::<Value>(line) else {
        return JSON_ERROR
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
    };
    let mut fields = Vec::new();
    flatten("", &Value::Object(object), &mut fields);
    fields
}

fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let text = match value {
        Value::Object(object) => {
            for (key, inner) in object {
                let name = if prefix.is_empty() {
                    label_name(key)
                } else {
                    format!("{prefix}_{}", label_name(key))
                };
                flatten(&name, inner, out);
            }
            return;
        }
        Value::Array(_) | Value::Null => return,
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    out.push((prefix.to_owned(), text));
}

/// `| logfmt`: `key=value` and `key="quoted value"` pairs; a key without
/// a value, or an empty one, gives nothing (so bracketed or JSON lines
/// give nothing, and no error, as in Loki).
pub fn logfmt(line: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut rest = line.trim_start();
    while !rest.is_empty() {
        let key_end = rest.find(['=', ' ']).unwrap_or(rest.len());
        let key = &rest[..key_end];
        rest = &rest[key_end..];
        let value = match rest.strip_prefix('=') {
            Some(after) => {
                let (value, after) = logfmt_value(after);
                rest = after;
                value
            }
            None => String::new(),
        };
        if !key.is_empty() && !value.is_empty() {
            fields.push((label_name(key), value));
        }
        rest = rest.trim_start();
    }
    fields
}

/// A value and what follows it: quoted with escapes, or up to a space.
fn logfmt_value(text: &str) -> (String, &str) {
    let Some(quoted) = text.strip_prefix('"') else {
        let end = text.find(' ').unwrap_or(text.len());
        return (text[..end].to_owned(), &text[end..]);
    };
    let mut value = String::new();
    let mut chars = quoted.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &quoted[i + 1..]),
            '\\' => value.extend(chars.next().map(|(_, c)| c)),
            c => value.push(c),
        }
    }
    (value, "")
}

/// A key as a label name: what is not a letter, digit or `_` becomes `_`
/// (`[trace_id` is `_trace_id`), and a leading digit gets a `_` before it.
fn label_name(key: &str) -> String {
    let name: String = key
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        format!("_{name}")
    } else {
        name
    }
}

/// The level Loki 3.4 gives a line as it arrives: a JSON or logfmt line's
/// `level` (or `lvl`, `severity`) field, else words in the line, else
/// `unknown`.
pub fn detected_level(line: &str) -> &'static str {
    let structured = if line.starts_with('{') && line.ends_with('}') {
        json(line)
    } else if line.contains('=') {
        logfmt(line)
    } else {
        Vec::new()
    };
    let field = structured
        .iter()
        .find(|(k, _)| ["level", "lvl", "severity"].contains(&k.to_ascii_lowercase().as_str()));
    field
        .and_then(|(_, v)| level_word(v))
        .unwrap_or_else(|| level_in_text(line))
}

fn level_word(value: &str) -> Option<&'static str> {
    Some(match value.to_ascii_lowercase().as_str() {
        "trace" | "trc" => "trace",
        "debug" | "dbg" => "debug",
        "info" | "inf" => "info",
        "warn" | "wrn" | "warning" => "warn",
        "error" | "err" => "error",
        "critical" => "critical",
        "fatal" => "fatal",
        _ => return None,
    })
}

/// Loki's last resort: words in the line, in this order.
fn level_in_text(line: &str) -> &'static str {
    let has = |words: &[&str]| words.iter().any(|w| line.contains(w));
    if has(&["info", "INFO"]) {
        "info"
    } else if has(&["err:", "ERR:", "error", "ERROR"]) {
        "error"
    } else if has(&["warn:", "WARN:", "warning", "WARNING"]) {
        "warn"
    } else if has(&["CRITICAL:", "critical:"]) {
        "critical"
    } else if has(&["debug:", "DEBUG:"]) {
        "debug"
    } else {
        "unknown"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
        fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    #[test]
    fn json_flattens_nested_keys_and_marks_what_is_not_json() {
        let line = r#"{"level":"info","http":{"method":"GET","status":200},"ms":47.1,"tags":[1],"x":null}"#;
        assert_eq!(
            pairs(&json(line)),
            [
                ("http_method", "GET"),
                ("http_status", "200"),
                ("level", "info"),
                ("ms", "47.1")
            ]
        );
        let error = json("[08:41:20 INF] |abc| Fetching");
        assert_eq!(error[0], ("__error__".into(), "JSONParserErr".into()));
    }

    #[test]
    fn logfmt_reads_pairs_and_skips_bare_words() {
        let line =
            r#"level=info msg="token \"verified\"" user=user-5 [trace_id=ab span_id=cd] done"#;
        assert_eq!(
            pairs(&logfmt(line)),
            [
                ("level", "info"),
                ("msg", "token \"verified\""),
                ("user", "user-5"),
                ("_trace_id", "ab"),
                ("span_id", "cd]")
            ]
        );
        assert!(logfmt("[08:41:20 INF] |abc| HTTP GET /api/articles responded 200").is_empty());
    }

    #[test]
    fn levels_as_loki_detects_them() {
        let cases = [
            (r#"{"level": "error", "msg": "query failed"}"#, "error"),
            ("level=fatal msg=\"invalid config\"", "fatal"),
            ("[INFO] [trace_id=ab span_id=cd] request finished", "info"),
            ("[08:41:20 INF] |ab| Fetching items", "unknown"),
            (
                "ERROR:  canceling statement due to statement timeout",
                "error",
            ),
            ("LOG:  checkpoint starting: time", "unknown"),
        ];
        for (line, level) in cases {
            assert_eq!(detected_level(line), level, "{line}");
        }
    }
}
