//! TraceQL: what the word at the cursor is inside `{ ... }` (a scope, an
//! attribute or intrinsic, an operator, a value) or inside `select(...)`
//! and `by(...)` (an attribute).

use super::{Context, Slot};

/// Fields every span has, and the scopes an attribute name starts with.
pub const INTRINSICS: &[&str] = &[
    "resource.",
    "span.",
    "event.",
    "link.",
    "instrumentation.",
    "status",
    "statusMessage",
    "duration",
    "name",
    "kind",
    "rootName",
    "rootServiceName",
    "traceDuration",
    "event:name",
    "link:traceID",
    "instrumentation:name",
];

pub const OPERATORS: &[&str] = &["=", "!=", ">", ">=", "<", "<=", "=~", "!~"];

/// Keywords an intrinsic compares with; other tags take strings.
pub fn keywords(tag: &str) -> &'static [&'static str] {
    match tag {
        "status" | "span:status" => &["error", "ok", "unset"],
        "kind" | "span:kind" => &[
            "server",
            "client",
            "producer",
            "consumer",
            "internal",
            "unspecified",
        ],
        _ => &[],
    }
}

/// Words after which the parentheses hold attribute names.
const ATTRIBUTE_LISTS: [&str; 2] = ["select", "by"];

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | ':' | '-' | '/')
}

/// The tag-like word at the end of `text`.
fn last_word(text: &str) -> &str {
    super::last_word_of(text, is_tag_char)
}

/// `text` ends with `tag op`: the tag.
fn tag_before_operator(text: &str) -> Option<String> {
    let text = text.trim_end();
    let op = OPERATORS
        .iter()
        .filter(|op| text.ends_with(*op))
        .max_by_key(|op| op.len())?;
    let tag = last_word(text[..text.len() - op.len()].trim_end());
    (!tag.is_empty()).then(|| tag.to_owned())
}

/// Whether a condition starts after `head`: after `{`, `(`, `&&` or `||`.
fn starts_condition(head: &str) -> bool {
    let head = head.trim_end();
    head.is_empty()
        || ["{", "(", "&&", "||", ","]
            .iter()
            .any(|t| head.ends_with(t))
}

pub fn context(before: &str) -> Option<Context> {
    let mut quote: Option<usize> = None;
    let mut escaped = false;
    let mut braces = 0usize;
    let mut lists: Vec<bool> = Vec::new(); // does each open paren hold attribute names?
    for (i, c) in before.char_indices() {
        if quote.is_some() {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => quote = None,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => quote = Some(i + 1),
            '{' => braces += 1,
            '}' => braces = braces.saturating_sub(1),
            '(' => lists.push(ATTRIBUTE_LISTS.contains(&last_word(before[..i].trim_end()))),
            ')' => drop(lists.pop()),
            _ => {}
        }
    }
    if let Some(start) = quote {
        let tag = tag_before_operator(&before[..start - 1]).filter(|_| braces > 0)?;
        let slot = Slot::TagValue {
            tag,
            quote: Some('"'),
            bare: false,
        };
        return Some(Context {
            slot,
            prefix: before[start..].to_owned(),
        });
    }
    let prefix = last_word(before);
    let head = &before[..before.len() - prefix.len()];
    let slot = if lists.last() == Some(&true) && braces == 0 {
        Slot::Tag
    } else if braces == 0 || prefix.starts_with(|c: char| c.is_ascii_digit()) {
        return None; // outside a spanset, or a number or duration
    } else if let Some(tag) = tag_before_operator(head) {
        let bare = !keywords(&tag).is_empty();
        Slot::TagValue {
            tag,
            quote: None,
            bare,
        }
    } else if starts_condition(head) {
        Slot::Tag
    } else if prefix.is_empty() && head.ends_with(char::is_whitespace) {
        let word = last_word(head.trim_end());
        let tag_head = &head.trim_end()[..head.trim_end().len() - word.len()];
        if word.is_empty() || !starts_condition(tag_head) {
            return None;
        }
        Slot::Operator
    } else {
        return None;
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

    fn value(tag: &str, quote: Option<char>, bare: bool) -> Slot {
        Slot::TagValue {
            tag: tag.into(),
            quote,
            bare,
        }
    }

    #[test]
    fn the_word_at_the_cursor_is_read_in_its_place() {
        assert_eq!(slot(""), None);
        assert_eq!(slot("{ "), Some((Slot::Tag, String::new())));
        assert_eq!(
            slot("{ resource.ser"),
            Some((Slot::Tag, "resource.ser".into()))
        );
        assert_eq!(
            slot("{ resource.service.name "),
            Some((Slot::Operator, String::new()))
        );
        assert_eq!(
            slot("{ resource.service.name = \"ap"),
            Some((
                value("resource.service.name", Some('"'), false),
                "ap".into()
            ))
        );
        assert_eq!(
            slot("{ status = err"),
            Some((value("status", None, true), "err".into()))
        );
        assert_eq!(slot("{ duration > 2"), None, "a duration");
        assert_eq!(
            slot("{ .a = \"x\" && span.http.ro"),
            Some((Slot::Tag, "span.http.ro".into()))
        );
        assert_eq!(slot("{ status = error "), None, "after a value");
        assert_eq!(slot("{ a = \"}{\" || na"), Some((Slot::Tag, "na".into())));
        assert_eq!(
            slot("{ } | select(span.h"),
            Some((Slot::Tag, "span.h".into()))
        );
        assert_eq!(slot("{ } | count() > 2"), None);
        assert_eq!(
            slot("{ span.http.route =~ \""),
            Some((value("span.http.route", Some('"'), false), String::new()))
        );
    }

    #[test]
    fn accepting_writes_what_comes_next() {
        let at = |before: &str| context(before).unwrap_or_else(|| panic!("{before}"));
        assert_eq!(
            at("{ resource.service").insertion("resource.service.name"),
            "resource.service.name "
        );
        assert_eq!(at("{ re").insertion("resource."), "resource.");
        assert_eq!(at("{ status ").insertion("="), "= ");
        assert_eq!(at("{ status = e").insertion("error"), "error ");
        assert_eq!(at("{ .x = a").insertion("a\"b"), "\"a\\\"b\"");
        assert_eq!(at("{ .x = \"a").insertion("api"), "api\"");
    }
}
