//! The part of TraceQL the demo understands: one spanset filter, `{ }` or
//! conditions joined by `&&` and `||` (`&&` binding tighter), each an
//! intrinsic (`name`, `status`, `kind`, `duration`, `statusMessage`,
//! `traceDuration`, `rootName`, `rootServiceName`) or an attribute
//! (`span.`, `resource.`, `event.` or unscoped `.`) compared with `=`,
//! `!=`, `>`, `>=`, `<`, `<=`, `=~` or `!~` to a string, number, duration,
//! `nil`, `true`/`false` or a status or kind. Anything else is refused
//! with a parse error in Tempo's words, as the demo's 400 body.

use super::data::{DemoSpan, DemoTrace, resource};
use regex::Regex;
use std::fmt;
use triage_core::domain::Nanos;

/// Why an expression is refused: where (a byte offset) and what.
#[derive(Debug, PartialEq)]
pub struct ParseError {
    pub at: usize,
    pub what: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid TraceQL query: parse error at line 1, col {}: {}",
            self.at + 1,
            self.what
        )
    }
}

impl std::error::Error for ParseError {}

/// A spanset filter: the spans that satisfy every condition of one of
/// `any_of`; no conditions at all (`{ }`) is every span.
#[derive(Debug)]
pub struct Filter {
    any_of: Vec<Vec<Condition>>,
}

#[derive(Debug)]
struct Condition {
    field: Field,
    op: Op,
    value: Value,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    Name,
    Status,
    StatusMessage,
    Kind,
    Duration,
    TraceDuration,
    RootName,
    RootService,
    Attribute { scope: Scope, key: String },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scope {
    Span,
    Resource,
    Event,
    /// `.key`: the span's, else its resource's.
    Either,
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    Re,
    NotRe,
}

#[derive(Debug)]
enum Value {
    Text(String),
    Number(f64),
    Duration(Nanos),
    /// A status or kind: `error`, `server`, ...
    Keyword(&'static str),
    Bool(bool),
    Nil,
    Pattern(Regex),
}

const KEYWORDS: [&str; 9] = [
    "error",
    "ok",
    "unset",
    "server",
    "client",
    "internal",
    "producer",
    "consumer",
    "unspecified",
];

impl Filter {
    pub fn parse(text: &str) -> Result<Filter, ParseError> {
        let tokens = tokenize(text)?;
        Parser {
            tokens,
            at: 0,
            end: text.len(),
        }
        .query()
    }

    /// Does `span` of `trace` satisfy the filter?
    pub fn matches(&self, trace: &DemoTrace, span: &DemoSpan) -> bool {
        self.any_of.is_empty()
            || self
                .any_of
                .iter()
                .any(|all| all.iter().all(|c| c.holds(trace, span)))
    }

    /// The fields the conditions test: Tempo sends them back with each
    /// matching span.
    pub fn fields(&self) -> Vec<&Field> {
        let mut fields: Vec<&Field> = Vec::new();
        for condition in self.any_of.iter().flatten() {
            if !fields.contains(&&condition.field) {
                fields.push(&condition.field);
            }
        }
        fields
    }
}

/// A tag as the v2 API names it (`resource.service.name`, `status`).
pub fn parse_field(text: &str) -> Option<Field> {
    let intrinsic = |name: &str| match name {
        "name" => Some(Field::Name),
        "status" => Some(Field::Status),
        "statusMessage" => Some(Field::StatusMessage),
        "kind" => Some(Field::Kind),
        "duration" => Some(Field::Duration),
        _ => None,
    };
    let attribute = |scope, key: &str| {
        (!key.is_empty()).then(|| Field::Attribute {
            scope,
            key: key.to_owned(),
        })
    };
    if let Some(name) = text.strip_prefix("span:") {
        return intrinsic(name);
    }
    match text {
        "traceDuration" | "trace:duration" => return Some(Field::TraceDuration),
        "rootName" | "trace:rootName" => return Some(Field::RootName),
        "rootServiceName" | "trace:rootService" => return Some(Field::RootService),
        _ => {}
    }
    if let Some(key) = text.strip_prefix("span.") {
        return attribute(Scope::Span, key);
    }
    if let Some(key) = text.strip_prefix("resource.") {
        return attribute(Scope::Resource, key);
    }
    if let Some(key) = text.strip_prefix("event.") {
        return attribute(Scope::Event, key);
    }
    if let Some(key) = text.strip_prefix('.') {
        return attribute(Scope::Either, key);
    }
    intrinsic(text)
}

/// What `field` is on `span`, as text: none when the span has no such
/// attribute. Durations are nanoseconds.
pub fn field_values(field: &Field, trace: &DemoTrace, span: &DemoSpan) -> Vec<String> {
    let root = trace.spans.iter().find(|s| s.parent.is_none());
    match field {
        Field::Name => vec![span.name.clone()],
        Field::Status => vec![status(span).to_owned()],
        Field::StatusMessage => span.error.iter().cloned().collect(),
        Field::Kind => vec![kind(span).to_owned()],
        Field::Duration => vec![(span.end - span.start).to_string()],
        Field::TraceDuration => root
            .map(|r| (r.end - r.start).to_string())
            .into_iter()
            .collect(),
        Field::RootName => root.map(|r| r.name.clone()).into_iter().collect(),
        Field::RootService => root
            .map(|r| resource(r.service)[0].1.to_owned())
            .into_iter()
            .collect(),
        Field::Attribute { scope, key } => attribute(*scope, key, span),
    }
}

fn attribute(scope: Scope, key: &str, span: &DemoSpan) -> Vec<String> {
    let own = || {
        span.attributes
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .collect::<Vec<_>>()
    };
    let of_resource = || {
        resource(span.service)
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
            .collect::<Vec<_>>()
    };
    match scope {
        Scope::Span => own(),
        Scope::Resource => of_resource(),
        Scope::Either => Some(own())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(of_resource),
        Scope::Event => span
            .events
            .iter()
            .flat_map(|(_, _, attributes)| attributes)
            .filter(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
            .collect(),
    }
}

pub fn status(span: &DemoSpan) -> &'static str {
    if span.error.is_some() {
        "error"
    } else {
        "unset"
    }
}

pub fn kind(span: &DemoSpan) -> &'static str {
    match span.kind {
        "SPAN_KIND_SERVER" => "server",
        "SPAN_KIND_CLIENT" => "client",
        "SPAN_KIND_INTERNAL" => "internal",
        "SPAN_KIND_PRODUCER" => "producer",
        "SPAN_KIND_CONSUMER" => "consumer",
        _ => "unspecified",
    }
}

impl Condition {
    fn holds(&self, trace: &DemoTrace, span: &DemoSpan) -> bool {
        let values = field_values(&self.field, trace, span);
        match (&self.value, self.op) {
            (Value::Nil, Op::Eq) => values.is_empty(),
            (Value::Nil, _) => !values.is_empty(),
            _ => values.iter().any(|v| self.compare(v)),
        }
    }

    fn compare(&self, actual: &str) -> bool {
        let ordering = match &self.value {
            Value::Text(expected) => Some(actual.cmp(expected.as_str())),
            Value::Keyword(expected) => Some(actual.cmp(expected)),
            Value::Bool(expected) => Some(actual.cmp(if *expected { "true" } else { "false" })),
            Value::Number(expected) => actual
                .parse::<f64>()
                .ok()
                .and_then(|a| a.partial_cmp(expected)),
            Value::Duration(expected) => actual.parse::<Nanos>().ok().map(|a| a.cmp(expected)),
            Value::Pattern(pattern) => {
                return pattern.is_match(actual) == (self.op == Op::Re);
            }
            Value::Nil => None,
        };
        let Some(ordering) = ordering else {
            return false;
        };
        use std::cmp::Ordering::{Equal, Greater, Less};
        match self.op {
            Op::Eq => ordering == Equal,
            Op::Ne => ordering != Equal,
            Op::Gt => ordering == Greater,
            Op::Ge => ordering != Less,
            Op::Lt => ordering == Less,
            Op::Le => ordering != Greater,
            Op::Re | Op::NotRe => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Op(Op),
    Text(String),
    Number(f64),
    Duration(Nanos),
    Word(String),
    /// Something TraceQL has that the demo does not: `|`, `>>`, `(`...
    Other(String),
}

impl Token {
    /// How Tempo's parser names a token it did not expect.
    fn shown(&self) -> String {
        match self {
            Token::Open => "{".into(),
            Token::Close => "}".into(),
            Token::And => "&&".into(),
            Token::Or => "||".into(),
            Token::Op(op) => op_text(*op).into(),
            Token::Text(_) => "STRING".into(),
            Token::Number(_) => "INTEGER".into(),
            Token::Duration(_) => "DURATION".into(),
            Token::Word(_) => "IDENTIFIER".into(),
            Token::Other(text) => text.clone(),
        }
    }
}

fn op_text(op: Op) -> &'static str {
    match op {
        Op::Eq => "=",
        Op::Ne => "!=",
        Op::Gt => ">",
        Op::Ge => ">=",
        Op::Lt => "<",
        Op::Le => "<=",
        Op::Re => "=~",
        Op::NotRe => "!~",
    }
}

/// Operators and punctuation, longest first.
const SYMBOLS: [(&str, Option<Op>); 14] = [
    (">>", None),
    ("<<", None),
    ("!=", Some(Op::Ne)),
    ("!~", Some(Op::NotRe)),
    ("=~", Some(Op::Re)),
    (">=", Some(Op::Ge)),
    ("<=", Some(Op::Le)),
    ("=", Some(Op::Eq)),
    (">", Some(Op::Gt)),
    ("<", Some(Op::Lt)),
    ("|", None),
    ("(", None),
    (")", None),
    (",", None),
];

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, ParseError> {
    let mut tokens = Vec::new();
    let mut at = 0;
    while let Some(c) = text[at..].chars().next() {
        let rest = &text[at..];
        let (token, length) = if c.is_whitespace() {
            at += c.len_utf8();
            continue;
        } else if let Some(found) = punctuation(rest) {
            found
        } else if c == '"' {
            string(text, at)?
        } else if c.is_ascii_digit()
            || (c == '-' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            number(rest)
        } else if c.is_alphabetic() || c == '.' || c == '_' {
            let length = rest
                .find(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
                .unwrap_or(rest.len());
            (Token::Word(rest[..length].to_owned()), length)
        } else {
            (Token::Other(c.to_string()), c.len_utf8())
        };
        tokens.push((at, token));
        at += length;
    }
    Ok(tokens)
}

fn punctuation(rest: &str) -> Option<(Token, usize)> {
    for (word, token) in [
        ("{", Token::Open),
        ("}", Token::Close),
        ("&&", Token::And),
        ("||", Token::Or),
    ] {
        if rest.starts_with(word) {
            return Some((token, word.len()));
        }
    }
    SYMBOLS
        .iter()
        .find(|(symbol, _)| rest.starts_with(symbol))
        .map(|(symbol, op)| {
            let token = op.map_or_else(|| Token::Other((*symbol).to_owned()), Token::Op);
            (token, symbol.len())
        })
}

/// A quoted string from `text[at]`, with `\"` and `\\` escapes.
fn string(text: &str, at: usize) -> Result<(Token, usize), ParseError> {
    let mut value = String::new();
    let mut chars = text[at + 1..].char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Ok((Token::Text(value), i + 2)),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 't')) => value.push('\t'),
                Some((_, escaped)) => value.push(escaped),
                None => break,
            },
            c => value.push(c),
        }
    }
    Err(ParseError {
        at: text.len(),
        what: "syntax error: unexpected $end".into(),
    })
}

/// A number, or a duration when a unit follows (`200ms`, `1.5s`).
fn number(rest: &str) -> (Token, usize) {
    let digits = rest[1..]
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .map_or(rest.len(), |i| i + 1);
    let value: f64 = rest[..digits].parse().unwrap_or(f64::NAN);
    let units = [
        ("ns", 1.0),
        ("us", 1e3),
        ("µs", 1e3),
        ("ms", 1e6),
        ("s", 1e9),
        ("m", 60e9),
        ("h", 3600e9),
    ];
    for (unit, nanos) in units {
        let Some(tail) = rest[digits..].strip_prefix(unit) else {
            continue;
        };
        // `5min` is not five minutes and something: it is not a duration.
        if !tail.starts_with(|c: char| c.is_alphanumeric()) {
            return (
                Token::Duration((value * nanos) as Nanos),
                digits + unit.len(),
            );
        }
    }
    (Token::Number(value), digits)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    at: usize,
    /// Where the text ends: `$end` is reported there.
    end: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at).map(|(_, t)| t)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).map(|(_, t)| t.clone());
        self.at += 1;
        token
    }

    /// The error for the token just taken (or the end).
    fn unexpected(&self) -> ParseError {
        let index = self.at.saturating_sub(1);
        match self.tokens.get(index) {
            Some((at, token)) => ParseError {
                at: *at,
                what: format!("syntax error: unexpected {}", token.shown()),
            },
            None => ParseError {
                at: self.end,
                what: "syntax error: unexpected $end".into(),
            },
        }
    }

    fn query(mut self) -> Result<Filter, ParseError> {
        if self.next() != Some(Token::Open) {
            return Err(self.unexpected());
        }
        let mut any_of = Vec::new();
        if self.peek() != Some(&Token::Close) {
            any_of.push(self.all_of()?);
            while self.peek() == Some(&Token::Or) {
                self.next();
                any_of.push(self.all_of()?);
            }
        }
        if self.next() != Some(Token::Close) {
            return Err(self.unexpected());
        }
        if self.next().is_some() {
            return Err(self.unexpected());
        }
        Ok(Filter { any_of })
    }

    fn all_of(&mut self) -> Result<Vec<Condition>, ParseError> {
        let mut all = vec![self.condition()?];
        while self.peek() == Some(&Token::And) {
            self.next();
            all.push(self.condition()?);
        }
        Ok(all)
    }

    fn condition(&mut self) -> Result<Condition, ParseError> {
        let field = match self.next() {
            Some(Token::Word(word)) => parse_field(&word).ok_or_else(|| self.unexpected())?,
            _ => return Err(self.unexpected()),
        };
        let Some(Token::Op(op)) = self.next() else {
            return Err(self.unexpected());
        };
        let value = self.value(op)?;
        Ok(Condition { field, op, value })
    }

    fn value(&mut self, op: Op) -> Result<Value, ParseError> {
        let token = self.next();
        let value = match token {
            Some(Token::Text(text)) if matches!(op, Op::Re | Op::NotRe) => {
                let anchored = format!("^(?:{text})$");
                let pattern = Regex::new(&anchored).map_err(|e| ParseError {
                    at: self.tokens[self.at - 1].0,
                    what: format!("error parsing regexp: {e}"),
                })?;
                Value::Pattern(pattern)
            }
            Some(Token::Text(text)) => Value::Text(text),
            Some(Token::Number(n)) if n.is_finite() => Value::Number(n),
            Some(Token::Duration(d)) => Value::Duration(d),
            Some(Token::Word(word)) => match word.as_str() {
                "nil" => Value::Nil,
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                word => match KEYWORDS.iter().find(|k| **k == word) {
                    Some(keyword) => Value::Keyword(keyword),
                    None => return Err(self.unexpected()),
                },
            },
            _ => return Err(self.unexpected()),
        };
        if matches!(op, Op::Re | Op::NotRe) && !matches!(value, Value::Pattern(_)) {
            return Err(self.unexpected());
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DemoData;

    fn data() -> DemoData {
        DemoData::generate(1_800_000_000 * 1_000_000_000)
    }

    fn count(data: &DemoData, query: &str) -> usize {
        let filter = Filter::parse(query).unwrap_or_else(|e| panic!("{query}: {e}"));
        data.traces
            .iter()
            .flat_map(|t| t.spans.iter().map(move |s| (t, s)))
            .filter(|(t, s)| filter.matches(t, s))
            .count()
    }

    #[test]
    fn the_demos_traceql_selects_spans() {
        let data = data();
        let spans: usize = data.traces.iter().map(|t| t.spans.len()).sum();
        assert_eq!(count(&data, "{ }"), spans);
        assert_eq!(count(&data, "{}"), spans);
        let failed = data.traces.iter().filter(|t| t.failed()).count();
        // The frontend, api, list and query spans of each failure.
        assert_eq!(count(&data, "{ status = error }"), 4 * failed);
        assert_eq!(
            count(&data, r#"{ resource.service.name = "auth" }"#),
            data.traces.len()
        );
        assert_eq!(
            count(&data, r#"{ .service.name = "auth" }"#),
            data.traces.len()
        );
        assert_eq!(
            count(&data, r#"{ name = "SET statement_timeout" }"#),
            data.traces.len()
        );
        assert_eq!(
            count(
                &data,
                r#"{ resource.service.name = "postgres" && status = error }"#
            ),
            failed
        );
        assert_eq!(
            count(
                &data,
                r#"{ span.http.route = "/verify" || span.http.route = "/articles" }"#
            ),
            2 * data.traces.len()
        );
        assert!(count(&data, "{ duration > 200ms }") > count(&data, "{ duration > 700ms }"));
        assert_eq!(count(&data, "{ kind = server && duration < 1ns }"), 0);
        assert_eq!(
            count(&data, r#"{ span.db.system = "postgresql" }"#),
            count(&data, r#"{ .db.name = "shop" }"#)
        );
        assert_eq!(
            count(&data, r#"{ span.db.system != nil }"#),
            count(&data, r#"{ .db.name = "shop" }"#) + data.traces.len(),
            "and the cache reads"
        );
        assert_eq!(
            count(&data, r#"{ span.http.route =~ "/ver.*" }"#),
            data.traces.len()
        );
        assert_eq!(
            count(&data, r#"{ span.http.response.status_code >= 500 }"#),
            2 * failed
        );
        assert_eq!(
            count(
                &data,
                r#"{ event.exception.type = "Npgsql.PostgresException" }"#
            ),
            failed
        );
    }

    #[test]
    fn what_it_cannot_read_is_refused_in_tempos_words() {
        let error = |q: &str| {
            Filter::parse(q)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert_eq!(
            error("{ resource.service.name = "),
            "invalid TraceQL query: parse error at line 1, col 27: syntax error: unexpected $end"
        );
        let structural = error("{ status = error } >> { }");
        assert!(
            structural.contains("col 20: syntax error: unexpected >>"),
            "{structural}"
        );
        assert!(error("{ foo = 1 }").contains("col 3: syntax error: unexpected IDENTIFIER"));
        assert!(error("{ name = }").contains("col 10: syntax error: unexpected }"));
        assert!(error(r#"{ name = "x }"#).contains("unexpected $end"));
        assert!(error(r#"{ name =~ "(" }"#).contains("error parsing regexp"));
        assert!(error("status = error").contains("col 1:"));
        // Odd text is refused, never a panic.
        for odd in [
            "{ duration > 1aµ }",
            "{ µ",
            "\"",
            "{ name = \"\\",
            "-",
            "{ -5 }",
            "{ 5min }",
            "{ . = 1 }",
        ] {
            assert!(!error(odd).is_empty(), "{odd}");
        }
    }
}
