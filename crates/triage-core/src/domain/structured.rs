//! Structured log lines: a JSON object or logfmt pairs, read as fields.
//!
//! What is read mirrors what Loki's own `| json` and `| logfmt` extract
//! (Loki 3.4, `pkg/logql/log/parser.go`), so narrowing a query on a field
//! asks Loki for what the user sees. Where the two part, the field is still
//! shown but is not [`Field::filterable`]: arrays, `null`, a quote that
//! never closes, a value that had to be made safe.
//!
//! Both readers walk the line once, without recursion: nesting costs a
//! string, never stack, and stops at [`MAX_DEPTH`].

use super::{Level, SafeText};
use std::borrow::Cow;

/// Objects nested deeper than this are not read: the line is cut there.
pub const MAX_DEPTH: usize = 128;
/// Fields read from one line at most; the rest of the line is cut.
pub const MAX_FIELDS: usize = 1_000;
/// The longest dotted key kept; a longer one cuts the line (each field
/// copies its key, so long keys times many fields would stall).
pub const MAX_KEY_BYTES: usize = 1024;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Json,
    Logfmt,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Field {
    /// In line order; nested JSON objects as dotted keys (`http.method`).
    pub key: SafeText,
    /// JSON strings unescaped; numbers, `true`, `false`, `null` and arrays
    /// as written (an array is one field, its JSON text; an empty object,
    /// as in Loki, is no field).
    pub value: SafeText,
    /// Loki's parser extracts this field with this very value, so a label
    /// filter on it can match. False for arrays and `null` (Loki's `| json`
    /// skips them), a logfmt quote left open (Loki drops it; here it runs
    /// to the end of the line), an escape that could not be read, and any
    /// key or value that making it safe changed.
    pub filterable: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fields {
    pub format: Format,
    pub fields: Vec<Field>,
    /// The line was not read to its end: broken or cut JSON, nesting deeper
    /// than [`MAX_DEPTH`], more than [`MAX_FIELDS`] fields. The fields are
    /// those before that point.
    pub cut: bool,
}

/// The fields of a line that is a JSON object (trimmed, it starts with `{`)
/// or has at least two logfmt `key=value` pairs; None for any other line.
/// JSON that breaks off after some fields gives those, marked `cut`; JSON
/// that breaks off before any is tried as logfmt.
pub fn parse(line: &str) -> Option<Fields> {
    let trimmed = line.trim_start();
    if trimmed.starts_with('{') {
        let (fields, complete) = json(trimmed);
        if complete || !fields.is_empty() {
            return Some(Fields {
                format: Format::Json,
                fields,
                cut: !complete,
            });
        }
    }
    let (fields, complete) = logfmt(line);
    (fields.len() >= 2).then_some(Fields {
        format: Format::Logfmt,
        fields,
        cut: !complete,
    })
}

/// Keys a level is read from, in this order, whatever their case: the
/// common ones, Loki's own, Elastic's (`log.level`) and Python's.
const LEVEL_KEYS: [&str; 6] = [
    "level",
    "lvl",
    "severity",
    "detected_level",
    "log.level",
    "levelname",
];

impl Fields {
    /// The level a field names; None when no field names a known one.
    pub fn level(&self) -> Option<Level> {
        LEVEL_KEYS.iter().find_map(|name| {
            self.fields
                .iter()
                .rev()
                .find(|f| f.key.eq_ignore_ascii_case(name))
                .map(|f| level_of(&f.value))
                .filter(|level| *level != Level::Unknown)
        })
    }

    /// The value of `key`; the last one when a line repeats a key, as Loki
    /// (and most JSON readers) keep the last.
    pub fn get(&self, key: &str) -> Option<&SafeText> {
        self.fields
            .iter()
            .rev()
            .find(|f| f.key.as_str() == key)
            .map(|f| &f.value)
    }
}

/// A level word, or pino's and bunyan's numbers (`"level":30`).
fn level_of(value: &str) -> Level {
    match value {
        "10" => Level::Trace,
        "20" => Level::Debug,
        "30" => Level::Info,
        "40" => Level::Warn,
        "50" => Level::Error,
        "60" => Level::Fatal,
        word => Level::from_word(word),
    }
}

impl Field {
    /// Made safe; `loki` says whether Loki reads the same value, which
    /// stays true only if making it safe changed nothing.
    fn new(key: &str, value: &str, loki: bool) -> Field {
        let (key, key_unchanged) = SafeText::new_unchanged(key);
        let (value, value_unchanged) = SafeText::new_unchanged(value);
        let filterable =
            loki && key_unchanged && value_unchanged && !replaced(&key) && !replaced(&value);
        Field {
            key,
            value,
            filterable,
        }
    }
}

/// Holds U+FFFD, which Loki drops (Prometheus refuses it in a label).
fn replaced(text: &str) -> bool {
    !text.is_ascii() && text.contains('\u{FFFD}')
}

/// About how many fields a line has (one `:` or `=` each), to allocate
/// the list once.
fn about(text: &str, separator: u8) -> usize {
    let count = text.bytes().filter(|&b| b == separator).count();
    count.min(MAX_FIELDS)
}

/// A slice that is never out of bounds or inside a character: the
/// readers only cut at ASCII bytes, but a wrong cut must not panic.
fn slice(text: &str, start: usize, end: usize) -> &str {
    text.get(start..end).unwrap_or_default()
}

// ---- JSON ----

/// The object's fields, and whether it was read to its closing brace.
fn json(text: &str) -> (Vec<Field>, bool) {
    let mut reader = Json {
        text,
        bytes: text.as_bytes(),
        at: 0,
        fields: Vec::with_capacity(about(text, b':')),
    };
    let complete = reader.object().is_some();
    (reader.fields, complete)
}

struct Json<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    fields: Vec<Field>,
}

/// What the reader expects next inside an object.
enum Next {
    KeyOrEnd,
    Key,
    CommaOrEnd,
    Done,
}

impl<'a> Json<'a> {
    /// Reads the top-level object; None where the text stops being JSON.
    /// Nesting is a stack of key lengths, not recursion.
    fn object(&mut self) -> Option<()> {
        self.skip_space();
        self.eat(b'{')?;
        let mut path = String::new();
        let mut opened: Vec<usize> = vec![0]; // path length before each open object
        let mut next = Next::KeyOrEnd;
        loop {
            self.skip_space();
            next = match next {
                Next::KeyOrEnd if self.eat(b'}').is_some() => Self::close(&mut path, &mut opened),
                Next::KeyOrEnd | Next::Key => self.member(&mut path, &mut opened)?,
                Next::CommaOrEnd if self.eat(b',').is_some() => Next::Key,
                Next::CommaOrEnd => {
                    self.eat(b'}')?;
                    Self::close(&mut path, &mut opened)
                }
                Next::Done => return Some(()), // what follows the object is ignored
            };
        }
    }

    /// Leaves an object; done once the outermost closes.
    fn close(path: &mut String, opened: &mut Vec<usize>) -> Next {
        path.truncate(opened.pop().unwrap_or(0));
        match opened.is_empty() {
            true => Next::Done,
            false => Next::CommaOrEnd,
        }
    }

    /// `"key": value`: a leaf becomes a field, an object is entered.
    fn member(&mut self, path: &mut String, opened: &mut Vec<usize>) -> Option<Next> {
        let (key, _) = self.string()?;
        self.skip_space();
        self.eat(b':')?;
        self.skip_space();
        if self.eat(b'{').is_some() {
            if opened.len() >= MAX_DEPTH {
                return None;
            }
            opened.push(path.len());
            join(path, &key);
            return (path.len() <= MAX_KEY_BYTES).then_some(Next::KeyOrEnd);
        }
        let (value, loki) = self.leaf()?;
        if self.fields.len() >= MAX_FIELDS || path.len() + key.len() > MAX_KEY_BYTES {
            return None;
        }
        let full = match path.is_empty() {
            true => key,
            false => {
                let mut full = String::with_capacity(path.len() + 1 + key.len());
                join(&mut full, path);
                join(&mut full, &key);
                Cow::Owned(full)
            }
        };
        self.fields.push(Field::new(&full, &value, loki));
        Some(Next::CommaOrEnd)
    }

    /// A value that is not an object, and whether Loki extracts it as is.
    fn leaf(&mut self) -> Option<(Cow<'a, str>, bool)> {
        let start = self.at;
        match *self.bytes.get(self.at)? {
            b'"' => self.string(),
            b'[' => {
                self.skip_array()?;
                Some((slice(self.text, start, self.at).into(), false))
            }
            b't' => self.literal("true", true),
            b'f' => self.literal("false", true),
            b'n' => self.literal("null", false),
            b'-' | b'0'..=b'9' => {
                self.at += 1;
                while self
                    .bytes
                    .get(self.at)
                    .is_some_and(|b| matches!(b, b'0'..=b'9' | b'.' | b'e' | b'E' | b'+' | b'-'))
                {
                    self.at += 1;
                }
                Some((slice(self.text, start, self.at).into(), true))
            }
            _ => None,
        }
    }

    fn literal(&mut self, word: &'static str, loki: bool) -> Option<(Cow<'a, str>, bool)> {
        self.bytes
            .get(self.at..)?
            .starts_with(word.as_bytes())
            .then_some(())?;
        self.at += word.len();
        Some((Cow::Borrowed(word), loki))
    }

    /// A string, unescaped; one whose escapes cannot be read (a lone
    /// surrogate) is kept as written, and Loki would not read it the same.
    fn string(&mut self) -> Option<(Cow<'a, str>, bool)> {
        self.eat(b'"')?;
        let start = self.at;
        let mut escapes = false;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => break,
                b'\\' => {
                    escapes = true;
                    self.at += 2;
                }
                _ => self.at += 1,
            }
        }
        let raw = slice(self.text, start, self.at);
        self.at += 1;
        if !escapes {
            return Some((Cow::Borrowed(raw), true));
        }
        let quoted = slice(self.text, start - 1, self.at);
        Some(match serde_json::from_str::<String>(quoted) {
            Ok(unescaped) => (Cow::Owned(unescaped), true),
            Err(_) => (Cow::Borrowed(raw), false),
        })
    }

    /// Past an array, strings in it included; it is shown as written.
    fn skip_array(&mut self) -> Option<()> {
        let mut depth = 0usize;
        loop {
            match *self.bytes.get(self.at)? {
                b'"' => {
                    self.string()?;
                    continue;
                }
                b'[' | b'{' => depth += 1,
                b']' | b'}' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        self.at += 1;
                        return Some(());
                    }
                }
                _ => {}
            }
            self.at += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> Option<()> {
        (self.bytes.get(self.at) == Some(&byte)).then(|| self.at += 1)
    }

    fn skip_space(&mut self) {
        while self.bytes.get(self.at).is_some_and(u8::is_ascii_whitespace) {
            self.at += 1;
        }
    }
}

fn join(path: &mut String, key: &str) {
    if !path.is_empty() {
        path.push('.');
    }
    path.push_str(key);
}

// ---- logfmt ----

/// The pairs Loki's `| logfmt` reads (its decoder, not strict, empty values
/// dropped), in line order, and whether the line was read to its end.
fn logfmt(text: &str) -> (Vec<Field>, bool) {
    let mut reader = Logfmt {
        text,
        bytes: text.as_bytes(),
        at: 0,
    };
    let mut fields = Vec::with_capacity(about(text, b'='));
    while let Some(token) = reader.token() {
        if let Some((key, value, loki)) = token {
            if fields.len() >= MAX_FIELDS || key.len() > MAX_KEY_BYTES {
                return (fields, false);
            }
            fields.push(Field::new(key, &value, loki));
        }
    }
    (fields, true)
}

struct Logfmt<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
}

/// A pair: key, value, and whether Loki reads it the same.
type Pair<'a> = (&'a str, Cow<'a, str>, bool);

impl<'a> Logfmt<'a> {
    /// The next word: a pair, or Some(None) for one Loki skips (a bare key,
    /// an empty value, a misplaced `=` or `"`); None at the end.
    fn token(&mut self) -> Option<Option<Pair<'a>>> {
        while self.byte()? <= b' ' {
            self.at += 1;
        }
        let start = self.at;
        while let Some(b) = self.byte() {
            match b {
                b'=' if self.at == start => return Some(self.skip()),
                b'=' => {
                    let key = slice(self.text, start, self.at);
                    self.at += 1;
                    return Some(self.value(key));
                }
                b'"' => return Some(self.skip()),
                b if b <= b' ' => return Some(None),
                _ => self.at += 1,
            }
        }
        Some(None) // a bare key at the end
    }

    fn value(&mut self, key: &'a str) -> Option<Pair<'a>> {
        match self.byte() {
            None => return None,
            Some(b) if b <= b' ' => return None,
            Some(b'"') => return self.quoted(key),
            Some(_) => {}
        }
        let start = self.at;
        while let Some(b) = self.byte() {
            match b {
                b'=' | b'"' => return self.skip(),
                b if b <= b' ' => break,
                _ => self.at += 1,
            }
        }
        Some((key, slice(self.text, start, self.at).into(), true))
    }

    /// `"…"` with `\` escapes. Unbalanced, the value runs to the end of
    /// the line (Loki drops it; shown, it is not filterable).
    fn quoted(&mut self, key: &'a str) -> Option<Pair<'a>> {
        let open = self.at;
        self.at += 1;
        let mut escapes = false;
        loop {
            let Some(b) = self.byte() else {
                let rest = slice(self.text, open + 1, self.at.min(self.bytes.len()));
                return Some((key, rest.into(), false));
            };
            self.at += 1;
            match b {
                b'\\' => {
                    escapes = true;
                    self.at += 1;
                }
                b'"' => break,
                _ => {}
            }
        }
        let inner = slice(self.text, open + 1, self.at - 1);
        if inner.is_empty() {
            return None;
        }
        if !escapes {
            return Some((key, inner.into(), true));
        }
        // Loki unquotes as JSON does (Go's encoding/json unquote).
        Some(
            match serde_json::from_str::<String>(slice(self.text, open, self.at)) {
                Ok(value) => (key, value.into(), true),
                Err(_) => (key, inner.into(), false),
            },
        )
    }

    /// Past the rest of a word Loki cannot read.
    fn skip(&mut self) -> Option<Pair<'a>> {
        while self.byte().is_some_and(|b| b > b' ') {
            self.at += 1;
        }
        None
    }

    fn byte(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn pairs(line: &str) -> Vec<(String, String)> {
        parse(line)
            .map(|f| f.fields)
            .unwrap_or_default()
            .into_iter()
            .map(|f| (f.key.to_string(), f.value.to_string()))
            .collect()
    }

    fn owned(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn json_is_flattened_in_line_order() {
        let line = r#"{"ts":"2026-01-02T03:04:05Z","level":"info","http":{"method":"GET","req":{"size":12}},"ok":true,"ms":957.0,"none":null,"tags":["a", "b\"]"],"empty":{}}"#;
        let fields = parse(line).unwrap();
        assert_eq!(fields.format, Format::Json);
        assert!(!fields.cut);
        assert_eq!(
            pairs(line),
            owned(&[
                ("ts", "2026-01-02T03:04:05Z"),
                ("level", "info"),
                ("http.method", "GET"),
                ("http.req.size", "12"),
                ("ok", "true"),
                ("ms", "957.0"),
                ("none", "null"),
                ("tags", r#"["a", "b\"]"]"#),
            ])
        );
        let filterable: Vec<bool> = fields.fields.iter().map(|f| f.filterable).collect();
        assert_eq!(
            filterable,
            [true, true, true, true, true, true, false, false]
        );
    }

    #[test]
    fn json_strings_are_unescaped_then_made_safe() {
        let line = r#"{"msg":"caf\u00e9 \ud83d\ude00 \"q\" \\ a\/b","evil":"x\u001b[2Jy\u0007","k\u001b]0;t\u0007":1}"#;
        let fields = parse(line).unwrap();
        assert_eq!(fields.get("msg").unwrap().as_str(), "café 😀 \"q\" \\ a/b");
        assert!(fields.fields[0].filterable);
        assert_eq!(fields.get("evil").unwrap().as_str(), "x␛y␇");
        assert!(
            !fields.fields[1].filterable,
            "the shown value is not Loki's"
        );
        assert_eq!(fields.fields[2].key.as_str(), "k␛");
        for field in &fields.fields {
            assert!(!field.key.contains('\u{1b}') && !field.value.contains('\u{1b}'));
        }
    }

    #[test]
    fn a_lone_surrogate_is_kept_as_written() {
        let fields = parse(r#"{"a":"x\ud800y","b":"c"}"#).unwrap();
        assert_eq!(fields.get("a").unwrap().as_str(), r"x\ud800y");
        assert!(!fields.fields[0].filterable);
        assert_eq!(fields.get("b").unwrap().as_str(), "c");
    }

    #[test]
    fn broken_json_gives_the_fields_before_the_break() {
        let fields =
            parse(r#"{"level":"warn","msg":"long line [… cut: longer than 64 KiB]"#).unwrap();
        assert!(fields.cut);
        assert_eq!(
            pairs(r#"{"level":"warn","msg":"unterminated"#),
            owned(&[("level", "warn")])
        );
        assert_eq!(parse(r#"{"a":1,}"#).map(|f| f.cut), Some(true));
        assert_eq!(parse(r#"{"a":tru}"#), None);
        // Nothing read as JSON: tried as logfmt.
        let fields = parse("{oops level=info msg=hi").unwrap();
        assert_eq!(fields.format, Format::Logfmt);
        assert_eq!(
            pairs("{oops level=info msg=hi"),
            owned(&[("level", "info"), ("msg", "hi")])
        );
    }

    #[test]
    fn an_empty_object_is_json_without_fields() {
        let fields = parse("  {  } ").unwrap();
        assert_eq!(
            (fields.format, fields.fields.len(), fields.cut),
            (Format::Json, 0, false)
        );
    }

    #[test]
    fn deep_nesting_stops_at_the_limit_without_recursion() {
        let depth = 100_000;
        let deep = format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth));
        assert_eq!(parse(&deep), None, "no field before the limit");
        let deep = format!(
            r#"{{"level":"error","x":{}1{}}}"#,
            r#"{"a":"#.repeat(depth),
            "}".repeat(depth)
        );
        let fields = parse(&deep).unwrap();
        assert!(fields.cut);
        assert_eq!(pairs(&deep), owned(&[("level", "error")]));
        let arrays = format!(
            r#"{{"a":{}1{},"b":2}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        assert_eq!(parse(&arrays).unwrap().get("b").unwrap().as_str(), "2");
        let just_under = format!("{}1{}", r#"{"a":"#.repeat(MAX_DEPTH), "}".repeat(MAX_DEPTH));
        let key = parse(&just_under).unwrap().fields[0].key.clone();
        assert_eq!(key.split('.').count(), MAX_DEPTH);
    }

    #[test]
    fn ten_megabyte_lines_finish() {
        let value = "x".repeat(10 << 20);
        let json = format!(r#"{{"level":"info","msg":"{value}"}}"#);
        assert_eq!(parse(&json).unwrap().get("msg").unwrap().len(), 10 << 20);
        let many = format!("{{{}\"z\":1}}", r#""k":1,"#.repeat(2 << 20));
        assert!(parse(&many).unwrap().cut, "more than MAX_FIELDS");
        let logfmt = format!("level=info msg=\"{value}");
        assert_eq!(parse(&logfmt).unwrap().get("msg").unwrap().len(), 10 << 20);
        let words = "word ".repeat(2 << 20);
        assert_eq!(parse(&words), None);
        let pairs = "a=b ".repeat(3 << 20);
        assert!(parse(&pairs).unwrap().cut);
        let long_key = format!("{}=1 b=2", "k".repeat(10 << 20));
        assert!(parse(&long_key).is_none_or(|f| f.cut));
    }

    #[test]
    fn logfmt_reads_as_loki_does() {
        let line = r#"level=info msg="token \"ok\" \\ done" trace_id=abc user= bare dur=3ms"#;
        let fields = parse(line).unwrap();
        assert_eq!(fields.format, Format::Logfmt);
        assert_eq!(
            pairs(line),
            owned(&[
                ("level", "info"),
                ("msg", r#"token "ok" \ done"#),
                ("trace_id", "abc"),
                ("dur", "3ms"),
            ])
        );
        assert!(fields.fields.iter().all(|f| f.filterable));
    }

    #[test]
    fn logfmt_in_brackets_keeps_the_brackets() {
        let line = r#"[INFO] [trace_id=4ca2f529 span_id=59d7023c] request finished {"status": 200, "ms": 957.0}"#;
        assert_eq!(
            pairs(line),
            owned(&[("[trace_id", "4ca2f529"), ("span_id", "59d7023c]")])
        );
    }

    #[test]
    fn logfmt_skips_what_loki_cannot_read() {
        // `=` or `"` inside a bare value, a key starting with `=` or holding `"`.
        assert_eq!(
            pairs(r#"a=1 b=x=y c=x"y =v k"ey=1 d="" e=2"#),
            owned(&[("a", "1"), ("e", "2")])
        );
    }

    #[test]
    fn an_unbalanced_quote_runs_to_the_end_of_the_line() {
        let fields = parse(r#"level=error msg="connection refused at=10.0.0.1"#).unwrap();
        assert_eq!(
            fields.get("msg").unwrap().as_str(),
            "connection refused at=10.0.0.1"
        );
        assert!(!fields.fields[1].filterable);
        assert!(!fields.cut);
        let fields = parse(r#"a=1 b="tail \"#).unwrap();
        assert_eq!(fields.get("b").unwrap().as_str(), r#"tail \"#);
    }

    #[test]
    fn lines_that_are_neither_give_none() {
        for line in [
            "",
            "   ",
            "[08:41:20 INF] |d18370b6| HTTP GET /api/articles responded 200 in 47.0000 ms",
            "GET /search?q=a&page=2 200",
            "only=one pair here",
            "[1, 2, 3]",
            "\"a string\"",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
    }

    #[test]
    fn the_level_comes_from_a_field() {
        let level = |line: &str| parse(line).and_then(|f| f.level());
        assert_eq!(level(r#"{"Level":"WARN","msg":"x"}"#), Some(Level::Warn));
        assert_eq!(level("lvl=eror msg=x"), Some(Level::Error));
        assert_eq!(level(r#"{"severity":"critical"}"#), Some(Level::Fatal));
        assert_eq!(level(r#"{"log":{"level":"debug"}}"#), Some(Level::Debug));
        assert_eq!(level(r#"{"levelname":"INFO"}"#), Some(Level::Info));
        assert_eq!(level(r#"{"level":50,"msg":"pino"}"#), Some(Level::Error));
        assert_eq!(level("detected_level=warn a=b"), Some(Level::Warn));
        // `level` first, whatever the line order; an unknown word is skipped.
        assert_eq!(level("severity=error level=info"), Some(Level::Info));
        assert_eq!(level("level=loud severity=error"), Some(Level::Error));
        assert_eq!(level("msg=x user=y"), None);
    }

    #[test]
    fn get_gives_the_last_of_a_repeated_key() {
        let fields = parse("a=1 b=2 a=3").unwrap();
        assert_eq!(fields.get("a").unwrap().as_str(), "3");
        assert_eq!(fields.get("c"), None);
    }

    proptest! {
        #[test]
        fn parse_never_panics(line in any::<String>()) {
            let _ = parse(&line);
        }

        #[test]
        fn parse_never_panics_on_near_misses(line in r#"[{}\[\]":,=\\ a-z0-9u.]{0,60}"#) {
            if let Some(fields) = parse(&line) {
                for field in fields.fields {
                    prop_assert_eq!(SafeText::new(&field.value), field.value);
                }
            }
        }
    }
}
