//! PromQL: what the word at the cursor is (a metric or function, a label
//! name, a label's value).

use super::{Context, Slot};

/// Functions and aggregations offered beside metric names.
pub const FUNCTIONS: &[&str] = &[
    "abs",
    "absent",
    "avg",
    "avg_over_time",
    "bottomk",
    "ceil",
    "changes",
    "clamp_max",
    "clamp_min",
    "count",
    "count_over_time",
    "delta",
    "deriv",
    "floor",
    "group",
    "histogram_quantile",
    "idelta",
    "increase",
    "irate",
    "label_replace",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "predict_linear",
    "quantile",
    "quantile_over_time",
    "rate",
    "resets",
    "round",
    "scalar",
    "sort",
    "sort_desc",
    "stddev",
    "sum",
    "sum_over_time",
    "time",
    "topk",
    "vector",
];

/// Keywords whose parentheses hold label names.
const GROUPING: [&str; 6] = [
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == ':'
}

/// The name-like word at the end of `text`.
fn last_word(text: &str) -> &str {
    super::last_word_of(text, is_name_char)
}

/// The label a value belongs to: `text` ends with `label op`, op being
/// `=`, `!=`, `=~` or `!~`.
pub(super) fn label_before_operator(text: &str) -> Option<String> {
    let text = text.trim_end();
    let head = text
        .strip_suffix("=~")
        .or_else(|| text.strip_suffix("!~"))
        .or_else(|| text.strip_suffix("!="))
        .or_else(|| text.strip_suffix('='))?;
    let label = last_word(head.trim_end());
    (!label.is_empty()).then(|| label.to_owned())
}

/// What completes the text before the cursor, if anything does. A bare
/// metric position needs one typed character: all names at once help nobody.
pub fn context(before: &str) -> Option<Context> {
    let mut quote: Option<(char, usize)> = None;
    let mut escaped = false;
    let mut braces = 0usize;
    let mut brackets = 0usize;
    let mut parens: Vec<bool> = Vec::new(); // does each open paren hold label names?
    for (i, c) in before.char_indices() {
        if let Some((open, _)) = quote {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                _ if c == open => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '\'' | '`' => quote = Some((c, i + 1)),
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '[' => brackets += 1,
            ']' => brackets = brackets.saturating_sub(1),
            '(' => parens.push(GROUPING.contains(&last_word(before[..i].trim_end()))),
            ')' => drop(parens.pop()),
            _ => {}
        }
    }
    if let Some((open, start)) = quote {
        let label = label_before_operator(&before[..start - 1]).filter(|_| braces > 0)?;
        let slot = Slot::Value {
            label,
            quote: Some(open),
        };
        return Some(Context {
            slot,
            prefix: before[start..].to_owned(),
        });
    }
    let prefix = last_word(before);
    if brackets > 0 || prefix.starts_with(|c: char| c.is_ascii_digit()) {
        return None; // a duration or a number
    }
    let head = &before[..before.len() - prefix.len()];
    let slot = if braces > 0 {
        match label_before_operator(head) {
            Some(label) => Slot::Value { label, quote: None },
            None => Slot::SelectorLabel,
        }
    } else if parens.last() == Some(&true) {
        Slot::GroupingLabel
    } else if prefix.is_empty() {
        return None;
    } else {
        Slot::Metric
    };
    Some(Context {
        slot,
        prefix: prefix.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(before: &str) -> Option<(Slot, String)> {
        context(before).map(|c| (c.slot, c.prefix))
    }

    fn value(label: &str, quote: Option<char>) -> Slot {
        Slot::Value {
            label: label.into(),
            quote,
        }
    }

    #[test]
    fn the_word_at_the_cursor_is_read_in_its_place() {
        assert_eq!(
            slot("sum(rate(http_re"),
            Some((Slot::Metric, "http_re".into()))
        );
        assert_eq!(slot(""), None);
        assert_eq!(slot("sum("), None);
        assert_eq!(slot("up{"), Some((Slot::SelectorLabel, String::new())));
        assert_eq!(
            slot("up{job=\"api\", co"),
            Some((Slot::SelectorLabel, "co".into()))
        );
        assert_eq!(
            slot("up{code=\"5"),
            Some((value("code", Some('"')), "5".into()))
        );
        assert_eq!(
            slot("up{code=~\""),
            Some((value("code", Some('"')), String::new()))
        );
        assert_eq!(slot("up{code != 4"), None); // a number
        assert_eq!(slot("up{code!=a"), Some((value("code", None), "a".into())));
        assert_eq!(
            slot("up{a=\"}{\", b"),
            Some((Slot::SelectorLabel, "b".into()))
        );
        assert_eq!(
            slot("up{a=\"x\\\"y\", b=\"q"),
            Some((value("b", Some('"')), "q".into()))
        );
        assert_eq!(slot("sum by (co"), Some((Slot::GroupingLabel, "co".into())));
        assert_eq!(slot("sum by (code) (ra"), Some((Slot::Metric, "ra".into())));
        assert_eq!(
            slot("a / on(job"),
            Some((Slot::GroupingLabel, "job".into()))
        );
        assert_eq!(slot("rate(x[5"), None);
        assert_eq!(slot("rate(x[5m]) > 0.0"), None);
        assert_eq!(slot("x # \"quoted"), None); // a quote outside braces
    }

    #[test]
    fn accepting_writes_what_comes_next() {
        let at = |before: &str| context(before).unwrap_or_else(|| panic!("{before}"));
        assert_eq!(at("ra").insertion("rate"), "rate(");
        assert_eq!(
            at("ht").insertion("http_requests_total"),
            "http_requests_total"
        );
        assert_eq!(at("up{c").insertion("code"), "code=\"");
        assert_eq!(at("up{code=\"5").insertion("500"), "500\"");
        assert_eq!(at("up{code=a").insertion("a\"b"), "\"a\\\"b\"");
        assert_eq!(at("sum by (c").insertion("code"), "code");
        // The value closes with the quote it was opened with.
        assert_eq!(at("up{code='5").insertion("5'0"), "5\\'0'");
        assert_eq!(at("up{code=`5").insertion("5\\0"), "5\\0`");
    }

    #[test]
    fn names_starting_with_the_prefix_come_first() {
        use super::super::candidates;
        let names = ["code", "container", "job", "status_code"];
        let found = candidates(names.iter().copied(), "co", 10);
        assert_eq!(found, ["code", "container", "status_code"]);
        assert_eq!(
            candidates(names.iter().copied(), "code", 10),
            ["status_code"]
        );
        assert_eq!(
            candidates(names.iter().copied(), "", 2),
            ["code", "container"]
        );
    }
}
