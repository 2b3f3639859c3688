//! The part of LogQL the demo understands: a stream selector, line
//! filters, the `json` and `logfmt` parsers and label filters; and metric
//! queries over them: `count_over_time`, `rate`, `bytes_over_time` and
//! `bytes_rate`, optionally aggregated (`sum`, `min`, `max`, `avg`,
//! `count`, `by`/`without`). Enough for the demo to answer like Loki,
//! errors included. What a parsed line yields is in `loki/line.rs`.

use regex::Regex;
use std::collections::BTreeMap;
use std::fmt;
use triage_core::domain::Nanos;
use triage_core::domain::time::parse_duration;

/// Why a query is refused. Its words are Loki's: the demo sends them as the
/// body of its 400.
#[derive(Debug, PartialEq)]
pub enum ParseError {
    /// Where the parser stopped (a byte offset) and what it expected there.
    Syntax { at: usize, what: String },
    /// A matcher's or filter's pattern that is not a regex.
    Regex {
        pattern: String,
        source: regex::Error,
    },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Syntax { at, what } => {
                write!(f, "parse error at line 1, col {}: {what}", at + 1)
            }
            ParseError::Regex { pattern, source } => {
                write!(f, "invalid regex {pattern:?}: {source}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

pub type Labels = BTreeMap<String, String>;

pub struct LogQuery {
    matchers: Vec<(String, Match)>,
    stages: Vec<Stage>,
}

/// One step of a log pipeline, in the order written.
enum Stage {
    Line(Match),
    Json,
    Logfmt,
    Label(String, LabelTest),
}

enum LabelTest {
    Text(Match),
    Number(Ordering, f64),
}

#[derive(Clone, Copy)]
enum Ordering {
    Equal,
    NotEqual,
    Greater,
    GreaterOrEqual,
    Less,
    LessOrEqual,
}

enum Match {
    Equal(String),
    NotEqual(String),
    Regex(Regex),
    NotRegex(Regex),
}

impl Match {
    fn label(&self, value: &str) -> bool {
        match self {
            Match::Equal(v) => value == v,
            Match::NotEqual(v) => value != v,
            Match::Regex(r) => r.is_match(value),
            Match::NotRegex(r) => !r.is_match(value),
        }
    }

    fn line(&self, line: &str) -> bool {
        match self {
            Match::Equal(v) => line.contains(v.as_str()),
            Match::NotEqual(v) => !line.contains(v.as_str()),
            Match::Regex(r) => r.is_match(line),
            Match::NotRegex(r) => !r.is_match(line),
        }
    }
}

impl LabelTest {
    /// A missing label is the empty string, as in Loki; a value that is
    /// not a number fails a numeric test.
    fn passes(&self, value: Option<&str>) -> bool {
        let value = value.unwrap_or("");
        match self {
            LabelTest::Text(m) => m.label(value),
            LabelTest::Number(ordering, bound) => {
                value.parse::<f64>().is_ok_and(|v| match ordering {
                    Ordering::Equal => v == *bound,
                    Ordering::NotEqual => v != *bound,
                    Ordering::Greater => v > *bound,
                    Ordering::GreaterOrEqual => v >= *bound,
                    Ordering::Less => v < *bound,
                    Ordering::LessOrEqual => v <= *bound,
                })
            }
        }
    }
}

/// A query as `query_range` takes it: lines, or numbers over time.
pub enum Query {
    Log(LogQuery),
    Metric(MetricQuery),
}

impl Query {
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        let mut p = Parser { text, at: 0 };
        p.skip_space();
        let query = if p.rest().starts_with('{') {
            Query::Log(LogQuery::parse_at(&mut p, false)?)
        } else {
            Query::Metric(MetricQuery::parse_at(&mut p)?)
        };
        p.skip_space();
        p.end()?;
        Ok(query)
    }
}

/// What a range function makes of the lines in each window.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum RangeFunction {
    CountOverTime,
    Rate,
    BytesOverTime,
    BytesRate,
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Aggregate {
    Sum,
    Min,
    Max,
    Avg,
    Count,
}

/// Which labels an aggregation keeps.
#[derive(Clone, Debug, PartialEq)]
pub enum Grouping {
    By(Vec<String>),
    Without(Vec<String>),
}

impl Grouping {
    pub fn group(&self, labels: &Labels) -> Labels {
        let keep = |name: &String| match self {
            Grouping::By(names) => names.contains(name),
            Grouping::Without(names) => !names.contains(name),
        };
        labels
            .iter()
            .filter(|(k, _)| keep(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

pub struct MetricQuery {
    pub function: RangeFunction,
    pub log: LogQuery,
    /// The range in `[...]`.
    pub window: Nanos,
    pub aggregation: Option<(Aggregate, Grouping)>,
}

impl MetricQuery {
    fn parse_at(p: &mut Parser) -> Result<MetricQuery, ParseError> {
        let at = p.at;
        let name = p.identifier()?;
        let aggregate = match name.as_str() {
            "sum" => Some(Aggregate::Sum),
            "min" => Some(Aggregate::Min),
            "max" => Some(Aggregate::Max),
            "avg" => Some(Aggregate::Avg),
            "count" => Some(Aggregate::Count),
            _ => None,
        };
        let Some(aggregate) = aggregate else {
            p.at = at;
            return MetricQuery::range_at(p);
        };
        // `sum by (a) (...)` or `sum (...) by (a)`.
        let mut grouping = p.grouping()?;
        p.skip_space();
        p.expect("(")?;
        let mut inner = MetricQuery::range_at(p)?;
        p.skip_space();
        p.expect(")")?;
        if grouping.is_none() {
            grouping = p.grouping()?;
        }
        inner.aggregation = Some((aggregate, grouping.unwrap_or(Grouping::By(Vec::new()))));
        Ok(inner)
    }

    /// `function(<log query> [duration])`.
    fn range_at(p: &mut Parser) -> Result<MetricQuery, ParseError> {
        p.skip_space();
        let at = p.at;
        let function = match p.identifier()?.as_str() {
            "count_over_time" => RangeFunction::CountOverTime,
            "rate" => RangeFunction::Rate,
            "bytes_over_time" => RangeFunction::BytesOverTime,
            "bytes_rate" => RangeFunction::BytesRate,
            _ => {
                p.at = at;
                return Err(p.error("syntax error: unexpected IDENTIFIER"));
            }
        };
        p.skip_space();
        p.expect("(")?;
        p.skip_space();
        let log = LogQuery::parse_at(p, true)?;
        p.skip_space();
        p.expect("[")?;
        let at = p.at;
        let end = p.rest().find(']').unwrap_or(p.rest().len());
        let window = parse_duration(&p.rest()[..end])
            .and_then(|d| Nanos::try_from(d.as_nanos()).ok())
            .filter(|n| *n > 0)
            .ok_or_else(|| p.error("syntax error: unexpected IDENTIFIER, expecting DURATION"))?;
        p.at = at + end;
        p.expect("]")?;
        p.skip_space();
        p.expect(")")?;
        Ok(MetricQuery {
            function,
            log,
            window,
            aggregation: None,
        })
    }
}

impl LogQuery {
    pub fn parse(text: &str) -> Result<LogQuery, ParseError> {
        let mut p = Parser { text, at: 0 };
        p.skip_space();
        let query = LogQuery::parse_at(&mut p, false)?;
        p.end()?;
        Ok(query)
    }

    /// A selector and its pipeline; inside a range function it stops at
    /// the `[` of the range.
    fn parse_at(p: &mut Parser, in_range: bool) -> Result<LogQuery, ParseError> {
        let matchers = p.selector()?;
        let mut stages = Vec::new();
        loop {
            p.skip_space();
            if p.rest().is_empty() || (in_range && p.rest().starts_with('[')) {
                break;
            }
            if let Some(op) = ["|=", "|~", "!=", "!~"].into_iter().find(|op| p.eat(op)) {
                p.skip_space();
                let value = p.string()?;
                stages.push(Stage::Line(make(op, value, false)?));
            } else if let Some(op) = ["|>", "!>"].into_iter().find(|op| p.eat(op)) {
                // A pattern match (Loki 3): the whole line, `<_>` any text.
                p.skip_space();
                let pattern = p.string()?;
                let literal: Vec<String> = pattern.split("<_>").map(regex::escape).collect();
                let op = if op == "|>" { "|~" } else { "!~" };
                stages.push(Stage::Line(make(
                    op,
                    format!("^{}$", literal.join(".*")),
                    false,
                )?));
            } else if p.eat("|") {
                p.skip_space();
                stages.push(p.stage()?);
            } else {
                break;
            }
        }
        Ok(LogQuery { matchers, stages })
    }

    pub fn selects(&self, labels: &Labels) -> bool {
        self.matchers
            .iter()
            .all(|(name, m)| m.label(labels.get(name).map_or("", String::as_str)))
    }

    /// Runs the pipeline over one line of a stream whose labels (with
    /// `detected_level`) are `labels`: `None` if a stage drops it, else
    /// the labels its parsers extracted.
    pub fn process(&self, labels: &Labels, line: &str) -> Option<Labels> {
        let mut parsed = Labels::new();
        for stage in &self.stages {
            match stage {
                Stage::Line(m) => {
                    if !m.line(line) {
                        return None;
                    }
                }
                Stage::Json => extract(&mut parsed, labels, super::loki::line::json(line)),
                Stage::Logfmt => extract(&mut parsed, labels, super::loki::line::logfmt(line)),
                Stage::Label(name, test) => {
                    let value = parsed.get(name).or_else(|| labels.get(name));
                    if !test.passes(value.map(String::as_str)) {
                        return None;
                    }
                }
            }
        }
        Some(parsed)
    }
}

/// Adds what a parser found; a name an index label has already gets
/// `_extracted`, as Loki does.
fn extract(parsed: &mut Labels, labels: &Labels, found: Vec<(String, String)>) {
    for (name, value) in found {
        let name = if labels.contains_key(&name) && !name.starts_with("__") {
            format!("{name}_extracted")
        } else {
            name
        };
        parsed.insert(name, value);
    }
}

fn make(op: &str, value: String, anchored: bool) -> Result<Match, ParseError> {
    let regex = |v: &str| {
        let pattern = if anchored {
            format!("^(?:{v})$")
        } else {
            v.to_owned()
        };
        Regex::new(&pattern).map_err(|source| ParseError::Regex {
            pattern: v.to_owned(),
            source,
        })
    };
    Ok(match op {
        "=" | "|=" => Match::Equal(value),
        "!=" => Match::NotEqual(value),
        "=~" | "|~" => Match::Regex(regex(&value)?),
        _ => Match::NotRegex(regex(&value)?),
    })
}

struct Parser<'a> {
    text: &'a str,
    at: usize,
}

impl Parser<'_> {
    fn rest(&self) -> &str {
        &self.text[self.at..]
    }

    /// `{name op "value", ...}`: at least one matcher that is not empty-compatible.
    fn selector(&mut self) -> Result<Vec<(String, Match)>, ParseError> {
        self.expect("{")?;
        let mut matchers = Vec::new();
        loop {
            self.skip_space();
            if self.eat("}") {
                break;
            }
            let name = self.identifier()?;
            self.skip_space();
            let op = self.operator(&["=~", "!~", "!=", "="])?;
            self.skip_space();
            let value = self.string()?;
            matchers.push((name, make(op, value, true)?));
            self.skip_space();
            if !self.eat(",") {
                self.skip_space();
                self.expect_one_of("}", &["}", ","])?;
                break;
            }
        }
        if !matchers
            .iter()
            .any(|(_, m)| !matches!(m, Match::NotEqual(_) | Match::NotRegex(_)))
        {
            return Err(self.error("queries require at least one regexp or equality matcher that does not have an empty-compatible value. For instance, app=~\".*\" does not meet this requirement, but app=~\".+\" will"));
        }
        Ok(matchers)
    }

    /// What follows a `|`: a parser or a label filter.
    fn stage(&mut self) -> Result<Stage, ParseError> {
        let name = self.identifier()?;
        match name.as_str() {
            "json" => return Ok(Stage::Json),
            "logfmt" => return Ok(Stage::Logfmt),
            _ => {}
        }
        self.skip_space();
        let op = self.operator(&["=~", "!~", "!=", "==", ">=", "<=", "=", ">", "<"])?;
        self.skip_space();
        let ordering = match op {
            "=" | "==" => Ordering::Equal,
            "!=" => Ordering::NotEqual,
            ">" => Ordering::Greater,
            ">=" => Ordering::GreaterOrEqual,
            "<" => Ordering::Less,
            "<=" => Ordering::LessOrEqual,
            _ => {
                let value = self.string()?;
                return Ok(Stage::Label(name, LabelTest::Text(make(op, value, true)?)));
            }
        };
        if self.rest().starts_with(['"', '`']) {
            let op = match ordering {
                Ordering::Equal => "=",
                Ordering::NotEqual => "!=",
                _ => return Err(self.error("syntax error: unexpected STRING, expecting NUMBER")),
            };
            let value = self.string()?;
            return Ok(Stage::Label(name, LabelTest::Text(make(op, value, true)?)));
        }
        Ok(Stage::Label(
            name,
            LabelTest::Number(ordering, self.number()?),
        ))
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(self.rest().len());
        let number = self.rest()[..len]
            .parse()
            .map_err(|_| self.unexpected("NUMBER"))?;
        self.at += len;
        Ok(number)
    }

    /// `by (a, b)` or `without (a)`, if there.
    fn grouping(&mut self) -> Result<Option<Grouping>, ParseError> {
        self.skip_space();
        let by = if self.eat("by") {
            true
        } else if self.eat("without") {
            false
        } else {
            return Ok(None);
        };
        self.skip_space();
        self.expect("(")?;
        let mut names = Vec::new();
        loop {
            self.skip_space();
            if self.eat(")") {
                break;
            }
            names.push(self.identifier()?);
            self.skip_space();
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        Ok(Some(if by {
            Grouping::By(names)
        } else {
            Grouping::Without(names)
        }))
    }

    /// Nothing may follow a whole query.
    fn end(&self) -> Result<(), ParseError> {
        if self.rest().trim().is_empty() {
            Ok(())
        } else {
            Err(self.unexpected(""))
        }
    }

    /// `syntax error: unexpected X[, expecting what]`, X as Loki's lexer names it.
    fn unexpected(&self, expecting: &str) -> ParseError {
        let token = match self.rest().chars().next() {
            None => "$end".to_owned(),
            Some(c) if c.is_ascii_alphabetic() || c == '_' => "IDENTIFIER".to_owned(),
            Some(c) if c.is_ascii_digit() => "NUMBER".to_owned(),
            Some('"' | '`') => "STRING".to_owned(),
            Some(c) => c.to_string(),
        };
        let expecting = if expecting.is_empty() {
            String::new()
        } else {
            format!(", expecting {expecting}")
        };
        self.error(&format!("syntax error: unexpected {token}{expecting}"))
    }

    fn error(&self, what: &str) -> ParseError {
        ParseError::Syntax {
            at: self.at,
            what: what.to_owned(),
        }
    }

    fn skip_space(&mut self) {
        let trimmed = self.rest().trim_start();
        self.at = self.text.len() - trimmed.len();
    }

    fn eat(&mut self, token: &str) -> bool {
        let found = self.rest().starts_with(token);
        if found {
            self.at += token.len();
        }
        found
    }

    fn expect(&mut self, token: &str) -> Result<(), ParseError> {
        self.expect_one_of(token, &[token])
    }

    /// Eats `token`, or says what was there instead of any of `expected`.
    fn expect_one_of(&mut self, token: &str, expected: &[&str]) -> Result<(), ParseError> {
        if self.eat(token) {
            Ok(())
        } else {
            Err(self.unexpected(&expected.join(" or ")))
        }
    }

    fn operator<'o>(&mut self, ops: &[&'o str]) -> Result<&'o str, ParseError> {
        for op in ops {
            if self.eat(op) {
                return Ok(op);
            }
        }
        Err(self.unexpected(&ops.join(" or ")))
    }

    fn identifier(&mut self) -> Result<String, ParseError> {
        let len = self
            .rest()
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(self.rest().len());
        if len == 0 {
            return Err(self.error("syntax error: expecting a label name"));
        }
        let name = self.rest()[..len].to_owned();
        self.at += len;
        Ok(name)
    }

    /// A double-quoted string with backslash escapes, or a backtick string.
    fn string(&mut self) -> Result<String, ParseError> {
        if self.eat("`") {
            let end = self
                .rest()
                .find('`')
                .ok_or_else(|| self.error("unterminated raw string"))?;
            let value = self.rest()[..end].to_owned();
            self.at += end + 1;
            return Ok(value);
        }
        self.expect("\"")?;
        let mut value = String::new();
        let mut chars = self.rest().char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.at += i + 1;
                    return Ok(value);
                }
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                c => value.push(c),
            }
        }
        Err(self.error("syntax error: unterminated string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn keeps(q: &LogQuery, line: &str) -> bool {
        q.process(&Labels::new(), line).is_some()
    }

    fn error(text: &str) -> String {
        Query::parse(text)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    }

    #[test]
    fn selectors_and_filters() -> Result<(), ParseError> {
        let q = LogQuery::parse(r#"{namespace="shop", app=~"api|auth"} |= "trace" != "healthz""#)?;
        assert!(q.selects(&labels(&[("namespace", "shop"), ("app", "api")])));
        assert!(!q.selects(&labels(&[("namespace", "shop"), ("app", "frontend")])));
        assert!(keeps(&q, "a trace line"));
        assert!(!keeps(&q, "trace healthz"));
        Ok(())
    }

    #[test]
    fn parsers_and_label_filters_narrow_and_extract() -> Result<(), ParseError> {
        let json = r#"{"level":"info","http":{"status":200},"duration_ms":47.1}"#;
        let q = LogQuery::parse(r#"{app="api"} | json | http_status="200" | duration_ms > 40"#)?;
        let parsed = q.process(&labels(&[("app", "api")]), json);
        assert_eq!(
            parsed
                .as_ref()
                .and_then(|p| p.get("http_status"))
                .map(String::as_str),
            Some("200")
        );
        assert!(!keeps(
            &LogQuery::parse(r#"{app="api"} | json | http_status!="200""#)?,
            json
        ));
        assert!(!keeps(
            &LogQuery::parse(r#"{app="api"} | json | duration_ms >= 50"#)?,
            json
        ));
        assert!(keeps(
            &LogQuery::parse(r#"{app="api"} | json | level=~"inf.*""#)?,
            json
        ));
        let logfmt = r#"level=error msg="config check failed" key=token_ttl"#;
        let q =
            LogQuery::parse(r#"{app="auth"} |= "config" | logfmt | level!="info" | key!~"x.*""#)?;
        assert!(keeps(&q, logfmt));
        // A stream label's value is filtered on too; a parsed name that an
        // index label has gets `_extracted`.
        let q = LogQuery::parse(r#"{app="api"} | logfmt | detected_level="error""#)?;
        let stream = labels(&[("app", "api"), ("detected_level", "error")]);
        let parsed = q.process(&stream, "app=other level=error");
        assert_eq!(
            parsed
                .as_ref()
                .and_then(|p| p.get("app_extracted"))
                .map(String::as_str),
            Some("other")
        );
        Ok(())
    }

    #[test]
    fn metric_queries() -> Result<(), ParseError> {
        let Query::Metric(m) =
            Query::parse(r#"sum by (detected_level) (count_over_time({namespace="shop"}[1m]))"#)?
        else {
            panic!("not a metric query")
        };
        assert_eq!(m.function, RangeFunction::CountOverTime);
        assert_eq!(m.window, 60_000_000_000);
        assert_eq!(
            m.aggregation,
            Some((Aggregate::Sum, Grouping::By(vec!["detected_level".into()])))
        );
        let Query::Metric(m) = Query::parse(
            r#"max(rate({app="api"} |= "GET" | json | http_status=~"5.." [5m])) without (pod, app)"#,
        )?
        else {
            panic!("not a metric query")
        };
        assert_eq!(m.function, RangeFunction::Rate);
        assert_eq!(
            m.aggregation,
            Some((
                Aggregate::Max,
                Grouping::Without(vec!["pod".into(), "app".into()])
            ))
        );
        let Query::Metric(m) = Query::parse(r#"bytes_over_time({app="api"}[1h30m])"#)? else {
            panic!("not a metric query")
        };
        assert_eq!(
            (m.function, m.aggregation),
            (RangeFunction::BytesOverTime, None)
        );
        assert_eq!(m.window, 5_400_000_000_000);
        assert!(matches!(
            Query::parse(r#"sum(bytes_rate({a="b"}[10s]))"#)?,
            Query::Metric(_)
        ));
        assert!(matches!(Query::parse(r#"{a="b"} | json"#)?, Query::Log(_)));
        Ok(())
    }

    #[test]
    fn errors_read_like_lokis() {
        // As `fixtures/loki/error_bad_logql.txt`.
        assert_eq!(
            error(r#"{namespace="shop""#),
            "parse error at line 1, col 18: syntax error: unexpected $end, expecting } or ,"
        );
        let e = LogQuery::parse(r#"{app=~"("}"#).err();
        assert!(
            e.as_ref()
                .is_some_and(|e| e.to_string().starts_with(r#"invalid regex "(": "#)),
            "{e:?}"
        );
        assert!(LogQuery::parse(r#"{app!="x"}"#).is_err());
        assert_eq!(
            error("rate(x)"),
            "parse error at line 1, col 6: syntax error: unexpected IDENTIFIER, expecting {"
        );
        assert_eq!(
            error(r#"count_over_time({a="b"})"#),
            "parse error at line 1, col 24: syntax error: unexpected ), expecting ["
        );
        assert_eq!(
            error(r#"count_over_time({a="b"}[1x])"#),
            "parse error at line 1, col 25: syntax error: unexpected IDENTIFIER, expecting DURATION"
        );
        assert_eq!(
            error(r#"{a="b"} | json |"#),
            "parse error at line 1, col 17: syntax error: expecting a label name"
        );
        assert_eq!(
            error(r#"{a="b"} | x > "y""#),
            "parse error at line 1, col 15: syntax error: unexpected STRING, expecting NUMBER"
        );
        assert_eq!(
            error("nope({a=\"b\"}[1m])"),
            "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER"
        );
        assert_eq!(
            error(r#"{a="b"} [1m]"#),
            "parse error at line 1, col 9: syntax error: unexpected ["
        );
    }
}
