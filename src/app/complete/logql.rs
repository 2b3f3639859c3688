//! LogQL: what the word at the cursor is: a stream label or its value
//! inside `{...}` (scoped by the matchers before it, as Loki's `query`
//! parameter scopes label names and values), a line filter or parser after
//! the selector, a stage after `|`, or a function in a metric query.

use super::{Context, Slot, promql};

/// Range and vector aggregations a metric query starts with.
pub const FUNCTIONS: &[&str] = &[
    "absent_over_time",
    "avg",
    "avg_over_time",
    "bottomk",
    "bytes_over_time",
    "bytes_rate",
    "count",
    "count_over_time",
    "first_over_time",
    "last_over_time",
    "max",
    "max_over_time",
    "min",
    "min_over_time",
    "quantile_over_time",
    "rate",
    "rate_counter",
    "sort",
    "sort_desc",
    "stddev",
    "stddev_over_time",
    "stdvar",
    "stdvar_over_time",
    "sum",
    "sum_over_time",
    "topk",
];

/// What may follow a selector or a stage: line filters, then parsers and
/// other stages written with their `|`.
pub const PIPE: &[&str] = &[
    "|=",
    "!=",
    "|~",
    "!~",
    "|>",
    "!>",
    "| json",
    "| logfmt",
    "| pattern",
    "| regexp",
    "| unpack",
    "| line_format",
    "| label_format",
    "| keep",
    "| drop",
    "| decolorize",
];

/// Stages after a `|` already typed.
pub const STAGES: &[&str] = &[
    "json",
    "logfmt",
    "pattern",
    "regexp",
    "unpack",
    "line_format",
    "label_format",
    "keep",
    "drop",
    "decolorize",
    "unwrap",
];

/// Keywords whose parentheses hold label names.
const GROUPING: [&str; 2] = ["by", "without"];

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn last_word(text: &str) -> &str {
    super::last_word_of(text, is_name_char)
}

/// Where the text stands, read once from the start.
#[derive(Default)]
struct Scan {
    /// The open quote and where its text starts.
    quote: Option<(char, usize)>,
    /// Where the text of the open braces starts.
    braces: Option<usize>,
    /// Where the last matcher inside the open braces ended (a comma).
    last_comma: Option<usize>,
    /// Whether a selector was closed before the cursor.
    selector_closed: bool,
    /// Does each open paren hold label names?
    parens: Vec<bool>,
    brackets: usize,
}

fn scan(before: &str) -> Scan {
    let mut scan = Scan::default();
    let mut escaped = false;
    for (i, c) in before.char_indices() {
        if let Some((open, _)) = scan.quote {
            match c {
                _ if escaped => escaped = false,
                '\\' if open != '`' => escaped = true,
                _ if c == open => scan.quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' | '`' => scan.quote = Some((c, i + 1)),
            '{' => {
                scan.braces = Some(i + 1);
                scan.last_comma = None;
            }
            '}' => {
                scan.braces = None;
                scan.selector_closed = true;
            }
            ',' if scan.braces.is_some() => scan.last_comma = Some(i),
            '[' => scan.brackets += 1,
            ']' => scan.brackets = scan.brackets.saturating_sub(1),
            '(' => (scan.parens).push(GROUPING.contains(&last_word(before[..i].trim_end()))),
            ')' => drop(scan.parens.pop()),
            _ => {}
        }
    }
    scan
}

/// The matchers typed before the one at the cursor, as a selector that
/// scopes Loki's label names and values; none when there are none.
fn selector_before(before: &str, scan: &Scan) -> Option<String> {
    let inner = &before[scan.braces?..scan.last_comma?];
    Some(format!("{{{}}}", inner.trim()))
}

pub fn context(before: &str) -> Option<Context> {
    let scan = scan(before);
    if let Some((open, start)) = scan.quote {
        // A value inside the selector; a line filter's text is free.
        scan.braces?;
        let label = promql::label_before_operator(&before[..start - 1])?;
        return Some(Context {
            slot: Slot::StreamValue {
                label,
                quote: Some(open),
                selector: selector_before(before, &scan),
            },
            prefix: before[start..].to_owned(),
        });
    }
    let prefix = last_word(before);
    if scan.brackets > 0 || prefix.starts_with(|c: char| c.is_ascii_digit()) {
        return None; // a range or a number
    }
    let head = &before[..before.len() - prefix.len()];
    let selector = selector_before(before, &scan);
    let slot = if scan.braces.is_some() {
        match promql::label_before_operator(head) {
            Some(label) => Slot::StreamValue {
                label,
                quote: None,
                selector,
            },
            None => Slot::StreamLabel { selector },
        }
    } else if scan.parens.last() == Some(&true) {
        Slot::StreamLabel { selector: None }
    } else if head.trim_end().ends_with('|') && !head.trim_end().ends_with("||") {
        Slot::Stage
    } else if scan.selector_closed && prefix.is_empty() && head.ends_with(' ') {
        Slot::Pipe
    } else if scan.selector_closed || prefix.is_empty() {
        return None;
    } else {
        Slot::LogFunction
    };
    Some(Context {
        slot,
        prefix: prefix.to_owned(),
    })
}

/// The text that replaces the prefix when `name` of `PIPE` is chosen.
pub fn pipe_insertion(name: &str) -> String {
    if name.starts_with("| ") {
        format!("{name} ")
    } else {
        format!("{name} \"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slot(before: &str) -> Option<(Slot, String)> {
        context(before).map(|c| (c.slot, c.prefix))
    }

    fn label(selector: Option<&str>) -> Slot {
        Slot::StreamLabel {
            selector: selector.map(str::to_owned),
        }
    }

    fn value(label: &str, quote: Option<char>, selector: Option<&str>) -> Slot {
        Slot::StreamValue {
            label: label.into(),
            quote,
            selector: selector.map(str::to_owned),
        }
    }

    #[test]
    fn the_word_at_the_cursor_is_read_in_its_place() {
        assert_eq!(slot(""), None);
        assert_eq!(slot("{"), Some((label(None), String::new())));
        assert_eq!(slot("{ap"), Some((label(None), "ap".into())));
        assert_eq!(
            slot("{app=\"a"),
            Some((value("app", Some('"'), None), "a".into()))
        );
        assert_eq!(
            slot("{app=\"api\", po"),
            Some((label(Some("{app=\"api\"}")), "po".into()))
        );
        assert_eq!(
            slot("{app=\"api\", namespace=~\"shop\", pod=\"api-"),
            Some((
                value("pod", Some('"'), Some("{app=\"api\", namespace=~\"shop\"}")),
                "api-".into()
            ))
        );
        assert_eq!(
            slot("{app=\"a,}\", p"),
            Some((label(Some("{app=\"a,}\"}")), "p".into())),
            "a comma in a value is not a matcher's end"
        );
        assert_eq!(slot("{app=\"api\"} "), Some((Slot::Pipe, String::new())));
        assert_eq!(slot("{app=\"api\"} |= \"time"), None, "a filter's text");
        assert_eq!(slot("{app=\"api\"} | js"), Some((Slot::Stage, "js".into())));
        assert_eq!(
            slot("{app=\"api\"} |= \"x\" |"),
            Some((Slot::Stage, String::new()))
        );
        assert_eq!(slot("count_o"), Some((Slot::LogFunction, "count_o".into())));
        assert_eq!(slot("sum by (lev"), Some((label(None), "lev".into())));
        assert_eq!(
            slot("sum(count_over_time({app=\"api\", le"),
            Some((label(Some("{app=\"api\"}")), "le".into()))
        );
        assert_eq!(slot("rate({app=\"api\"}[5"), None, "a range");
    }

    #[test]
    fn a_pipe_entry_inserts_what_follows_it() {
        assert_eq!(pipe_insertion("|="), "|= \"");
        assert_eq!(pipe_insertion("| json"), "| json ");
    }
}
