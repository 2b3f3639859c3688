//! The part of LogQL the demo understands: a stream selector and line
//! filters. Enough for the demo to answer like Loki, errors included.

use regex::Regex;
use std::fmt;

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

pub struct LogQuery {
    matchers: Vec<(String, Match)>,
    filters: Vec<Match>,
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

impl LogQuery {
    pub fn parse(text: &str) -> Result<LogQuery, ParseError> {
        let mut p = Parser { text, at: 0 };
        p.skip_space();
        p.expect("{")?;
        let mut matchers = Vec::new();
        loop {
            p.skip_space();
            if p.eat("}") {
                break;
            }
            let name = p.identifier()?;
            p.skip_space();
            let op = p.operator(&["=~", "!~", "!=", "="])?;
            p.skip_space();
            let value = p.string()?;
            matchers.push((name, make(op, value, true)?));
            p.skip_space();
            if !p.eat(",") {
                p.skip_space();
                p.expect("}")?;
                break;
            }
        }
        if !matchers
            .iter()
            .any(|(_, m)| !matches!(m, Match::NotEqual(_) | Match::NotRegex(_)))
        {
            return Err(p.error("queries require at least one regexp or equality matcher that does not have an empty-compatible value"));
        }
        let mut filters = Vec::new();
        loop {
            p.skip_space();
            if p.at == text.len() {
                break;
            }
            let op = p.operator(&["|=", "|~", "!=", "!~"])?;
            p.skip_space();
            let value = p.string()?;
            filters.push(make(op, value, false)?);
        }
        Ok(LogQuery { matchers, filters })
    }

    pub fn selects(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        self.matchers
            .iter()
            .all(|(name, m)| m.label(labels.get(name).map_or("", String::as_str)))
    }

    pub fn keeps(&self, line: &str) -> bool {
        self.filters.iter().all(|f| f.line(line))
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
        if self.eat(token) {
            Ok(())
        } else if self.rest().is_empty() {
            Err(self.error(&format!("syntax error: unexpected $end, expecting {token}")))
        } else {
            Err(self.error(&format!(
                "syntax error: unexpected {}, expecting {token}",
                self.rest().chars().next().unwrap_or(' ')
            )))
        }
    }

    fn operator<'o>(&mut self, ops: &[&'o str]) -> Result<&'o str, ParseError> {
        for op in ops {
            if self.eat(op) {
                return Ok(op);
            }
        }
        Err(self.error("syntax error: unexpected input, expecting an operator"))
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
    use std::collections::BTreeMap;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn selectors_and_filters() -> Result<(), ParseError> {
        let q = LogQuery::parse(r#"{namespace="shop", app=~"api|auth"} |= "trace" != "healthz""#)?;
        assert!(q.selects(&labels(&[("namespace", "shop"), ("app", "api")])));
        assert!(!q.selects(&labels(&[("namespace", "shop"), ("app", "frontend")])));
        assert!(q.keeps("a trace line"));
        assert!(!q.keeps("trace healthz"));
        Ok(())
    }

    #[test]
    fn errors_read_like_lokis() {
        let e = LogQuery::parse(r#"{namespace="shop""#).err();
        assert_eq!(
            e.map(|e| e.to_string()).as_deref(),
            Some("parse error at line 1, col 18: syntax error: unexpected $end, expecting }")
        );
        let e = LogQuery::parse(r#"{app=~"("}"#).err();
        assert!(
            e.as_ref()
                .is_some_and(|e| e.to_string().starts_with(r#"invalid regex "(": "#)),
            "{e:?}"
        );
        assert!(LogQuery::parse(r#"{app!="x"}"#).is_err());
        assert!(LogQuery::parse("rate(x)").is_err());
    }
}
