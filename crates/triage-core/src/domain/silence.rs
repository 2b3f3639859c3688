//! Alertmanager's silences: their matchers, the checks a silence passes
//! before triage sends it, and what a silence is at a given time.
//!
//! A matcher works as Alertmanager's does: a label the alert does not have
//! is the empty string, and a regex is anchored (`^(?:…)$`). The checks
//! are the ones amtool and Alertmanager's UI make, and one more: a matcher
//! set that would silence every alert is refused, with the reason.

use super::{Labels, Nanos, SafeText};
use std::fmt;
use std::time::Duration;

/// How long a silence made from an alert lasts unless changed (as
/// Alertmanager's UI and amtool default to).
pub const DEFAULT_SILENCE_DURATION: Duration = Duration::from_secs(2 * 3600);

/// A silence's id, as Alertmanager made it (a UUID).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SilenceId(SafeText);

impl SilenceId {
    /// An id typed or pasted by the user, or read from a server (made safe
    /// there, cut of secrets).
    pub fn new(id: &str) -> Self {
        SilenceId(SafeText::new(id.trim()))
    }

    pub(crate) fn from_safe(id: SafeText) -> Self {
        SilenceId(id)
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for SilenceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `=`, `!=`, `=~`, `!~`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MatchOp {
    Equal,
    NotEqual,
    Regex,
    NotRegex,
}

impl MatchOp {
    pub const ALL: [MatchOp; 4] = [
        MatchOp::Equal,
        MatchOp::NotEqual,
        MatchOp::Regex,
        MatchOp::NotRegex,
    ];

    pub fn symbol(self) -> &'static str {
        match self {
            MatchOp::Equal => "=",
            MatchOp::NotEqual => "!=",
            MatchOp::Regex => "=~",
            MatchOp::NotRegex => "!~",
        }
    }

    /// Alertmanager's wire form: `isRegex`, `isEqual`.
    pub fn is_regex(self) -> bool {
        matches!(self, MatchOp::Regex | MatchOp::NotRegex)
    }

    pub fn is_equal(self) -> bool {
        matches!(self, MatchOp::Equal | MatchOp::Regex)
    }

    pub fn from_flags(is_regex: bool, is_equal: bool) -> MatchOp {
        match (is_regex, is_equal) {
            (false, true) => MatchOp::Equal,
            (false, false) => MatchOp::NotEqual,
            (true, true) => MatchOp::Regex,
            (true, false) => MatchOp::NotRegex,
        }
    }

    /// The next operator, for a key that cycles through them.
    pub fn next(self) -> MatchOp {
        match self {
            MatchOp::Equal => MatchOp::NotEqual,
            MatchOp::NotEqual => MatchOp::Regex,
            MatchOp::Regex => MatchOp::NotRegex,
            MatchOp::NotRegex => MatchOp::Equal,
        }
    }
}

impl fmt::Display for MatchOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.symbol())
    }
}

/// One matcher of a silence: `name op "value"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Matcher {
    pub name: SafeText,
    pub op: MatchOp,
    pub value: SafeText,
}

impl Matcher {
    pub fn new(name: &str, op: MatchOp, value: &str) -> Self {
        Matcher {
            name: SafeText::new(name),
            op,
            value: SafeText::new(value),
        }
    }

    /// `name="value"` for each of an alert's labels: a silence of exactly
    /// that alert, as Alertmanager's UI prefills it.
    pub fn from_labels(labels: &Labels) -> Vec<Matcher> {
        (labels.0.iter())
            .map(|(name, value)| Matcher {
                name: name.clone(),
                op: MatchOp::Equal,
                value: value.clone(),
            })
            .collect()
    }

    /// Reads a matcher as amtool takes one: `name=value`, `name!="value"`,
    /// `name=~"re.*"`, `name!~re`; a quoted value may hold `\"` and `\\`.
    pub fn parse(text: &str) -> Result<Matcher, MatcherProblem> {
        let text = text.trim();
        let at = text.find(['=', '!']).ok_or(MatcherProblem::NoOperator)?;
        let (name, rest) = text.split_at(at);
        let (op, value) = [("=~", MatchOp::Regex), ("!~", MatchOp::NotRegex)]
            .into_iter()
            .chain([("!=", MatchOp::NotEqual), ("=", MatchOp::Equal)])
            .find_map(|(symbol, op)| rest.strip_prefix(symbol).map(|v| (op, v)))
            .ok_or(MatcherProblem::NoOperator)?;
        let value = value.trim();
        let value = match value.strip_prefix('"') {
            Some(quoted) => unquote(quoted).ok_or(MatcherProblem::BadQuotes)?,
            None => value.to_owned(),
        };
        let matcher = Matcher::new(name.trim(), op, &value);
        matcher.check()?;
        Ok(matcher)
    }

    /// Whether this matcher is one Alertmanager takes: a label name
    /// (letters, digits and `_`, not starting with a digit) and, for `=~`
    /// and `!~`, a regex that compiles. Go's RE2 and Rust's regex share
    /// their syntax, all but a few corners.
    pub fn check(&self) -> Result<(), MatcherProblem> {
        self.compile().map(drop)
    }

    fn compile(&self) -> Result<Option<regex::Regex>, MatcherProblem> {
        if self.name.is_empty() {
            return Err(MatcherProblem::NoName);
        }
        if !super::labels::is_label_name(&self.name) {
            return Err(MatcherProblem::BadName(self.name.clone()));
        }
        if !self.op.is_regex() {
            return Ok(None);
        }
        regex::Regex::new(&format!("^(?:{})$", self.value))
            .map(Some)
            .map_err(|e| MatcherProblem::BadRegex {
                regex: self.value.clone(),
                words: SafeText::new(&regex_words(&e)),
            })
    }
}

/// The regex crate's message, without the pattern it repeats (which is
/// the value wrapped in `^(?:…)$`).
fn regex_words(e: &regex::Error) -> String {
    let text = e.to_string();
    let last = text
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or(&text);
    last.trim().trim_start_matches("error: ").to_owned()
}

/// The value of a quoted string, after its opening quote.
fn unquote(quoted: &str) -> Option<String> {
    let mut out = String::new();
    let mut chars = quoted.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return chars.as_str().trim().is_empty().then_some(out),
            '\\' => match chars.next()? {
                'n' => out.push('\n'),
                't' => out.push('\t'),
                other => out.push(other),
            },
            c => out.push(c),
        }
    }
    None
}

/// `name="value"`, with `"` and `\` escaped, as Alertmanager writes it.
impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}\"", self.name, self.op)?;
        for c in self.value.chars() {
            match c {
                '"' => f.write_str("\\\"")?,
                '\\' => f.write_str("\\\\")?,
                c => write!(f, "{c}")?,
            }
        }
        f.write_str("\"")
    }
}

/// What is wrong with one matcher.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MatcherProblem {
    /// No `=`, `!=`, `=~` or `!~` in the text.
    NoOperator,
    /// A quoted value without its closing quote, or text after it.
    BadQuotes,
    NoName,
    /// Not a label name: letters, digits and `_`, not starting with a digit.
    BadName(SafeText),
    /// The regex does not compile; the regex library's words.
    BadRegex {
        regex: SafeText,
        words: SafeText,
    },
}

impl fmt::Display for MatcherProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MatcherProblem::NoOperator => f.write_str("no =, !=, =~ or !~"),
            MatcherProblem::BadQuotes => f.write_str("the value's quotes do not close"),
            MatcherProblem::NoName => f.write_str("no label name"),
            MatcherProblem::BadName(name) => write!(
                f,
                "{name:?} is not a label name: letters, digits and _, not starting with a digit"
            ),
            MatcherProblem::BadRegex { regex, words } => {
                write!(f, "{regex:?} is not a regex: {words}")
            }
        }
    }
}

/// Matchers made ready to match: checked, their regexes compiled once
/// (the form shows which alerts they would silence at every keystroke).
#[derive(Clone, Debug)]
pub struct Selector {
    matchers: Vec<(Matcher, Option<regex::Regex>)>,
}

/// Values a regex that matches "anything" matches; see
/// [`Selector::silences_everything`].
const PROBES: [&str; 8] = [
    "a",
    "Z",
    "0",
    "ApiErrors",
    "critical",
    "x-y_z.1:2/3",
    "with space",
    "ünïcödé",
];

impl Selector {
    /// Each matcher checked; the first that is not one Alertmanager takes
    /// is said, with its place.
    pub fn new(matchers: &[Matcher]) -> Result<Selector, SilenceRefusal> {
        let matchers = (matchers.iter().enumerate())
            .map(|(index, m)| {
                let compiled = m.compile().map_err(|problem| SilenceRefusal::BadMatcher {
                    index,
                    matcher: m.clone(),
                    problem,
                })?;
                Ok((m.clone(), compiled))
            })
            .collect::<Result<_, _>>()?;
        Ok(Selector { matchers })
    }

    /// Whether an alert with these labels is silenced (every matcher
    /// matches; a missing label is the empty string).
    pub fn matches(&self, labels: &Labels) -> bool {
        !self.matchers.is_empty()
            && (self.matchers.iter()).all(|(m, re)| {
                let value = labels.get(&m.name).map_or("", |v| v.as_str());
                matches_value(m, re.as_ref(), value)
            })
    }

    /// Whether these matchers would silence every alert: there are none,
    /// or each matches any alert: it matches the empty string (so every
    /// alert without that label: `.*`, `=""`, `!="x"`, `!~"x"`; Alertmanager
    /// refuses these too) or it matches every value tried (`=~".+"`).
    pub fn silences_everything(&self) -> bool {
        self.matchers.iter().all(|(m, re)| {
            let matches = |v| matches_value(m, re.as_ref(), v);
            matches("") || PROBES.into_iter().all(matches)
        })
    }

    pub fn matchers(&self) -> impl Iterator<Item = &Matcher> {
        self.matchers.iter().map(|(m, _)| m)
    }
}

fn matches_value(m: &Matcher, re: Option<&regex::Regex>, value: &str) -> bool {
    let hit = match re {
        Some(re) => re.is_match(value),
        None => m.value.as_str() == value,
    };
    hit == m.op.is_equal()
}

/// A silence as Alertmanager holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Silence {
    pub id: SilenceId,
    pub matchers: Vec<Matcher>,
    pub starts_at: Nanos,
    pub ends_at: Nanos,
    pub created_by: SafeText,
    pub comment: SafeText,
    /// As Alertmanager said when asked; [`Silence::state_at`] tells it
    /// for another time.
    pub state: SilenceState,
    pub updated_at: Option<Nanos>,
    /// Every matcher is shown as the server sent it: posting it back
    /// (editing, extending) keeps the same matchers. False when making a
    /// name or value safe to show changed it (a control character, an
    /// escape sequence): a copy would silence something else.
    pub verbatim: bool,
}

/// Alertmanager's three states of a silence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SilenceState {
    Active,
    /// It starts later.
    Pending,
    Expired,
}

impl Silence {
    /// Its state at `now`, from its times (a silence's state moves with
    /// the clock: pending becomes active, active expires).
    pub fn state_at(&self, now: Nanos) -> SilenceState {
        if self.ends_at <= now {
            SilenceState::Expired
        } else if self.starts_at > now {
            SilenceState::Pending
        } else {
            SilenceState::Active
        }
    }

    /// How long until it ends, if it has not.
    pub fn time_left(&self, now: Nanos) -> Option<Duration> {
        let left = self.ends_at.checked_sub(now).filter(|&n| n > 0)?;
        Some(Duration::from_nanos(u64::try_from(left).ok()?))
    }

    /// The same silence, to edit: posting it replaces this one (as
    /// Alertmanager's UI does; Alertmanager may give it a new id).
    pub fn to_edit(&self) -> NewSilence {
        NewSilence {
            replaces: Some(self.id.clone()),
            matchers: self.matchers.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            created_by: self.created_by.to_string(),
            comment: self.comment.to_string(),
        }
    }

    /// This silence lasting `more` past its end, or past `now` when it
    /// has ended (an expired one comes back, from now).
    pub fn extended(&self, more: Duration, now: Nanos) -> NewSilence {
        let more = i64::try_from(more.as_nanos()).unwrap_or(i64::MAX);
        let from = self.ends_at.max(now);
        let expired = self.ends_at <= now;
        NewSilence {
            starts_at: if expired { now } else { self.starts_at },
            ends_at: from.saturating_add(more),
            ..self.to_edit()
        }
    }
}

/// A silence to create, or to replace one with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewSilence {
    /// The silence this one replaces (editing, extending): sent as its
    /// `id`, so Alertmanager updates it or expires it for the new one.
    pub replaces: Option<SilenceId>,
    pub matchers: Vec<Matcher>,
    pub starts_at: Nanos,
    pub ends_at: Nanos,
    /// The author (the config's `author`, else `$USER`).
    pub created_by: String,
    pub comment: String,
}

impl NewSilence {
    /// A silence of exactly the alert with these labels, from `now` for
    /// `duration` (see [`DEFAULT_SILENCE_DURATION`]).
    pub fn for_alert(labels: &Labels, now: Nanos, duration: Duration, author: &str) -> Self {
        let duration = i64::try_from(duration.as_nanos()).unwrap_or(i64::MAX);
        NewSilence {
            replaces: None,
            matchers: Matcher::from_labels(labels),
            starts_at: now,
            ends_at: now.saturating_add(duration),
            created_by: author.to_owned(),
            comment: String::new(),
        }
    }

    /// Whether triage sends this silence at `now`: matchers Alertmanager
    /// takes, not silencing every alert, a comment and an author, an end
    /// after its start and after now. The first problem found, or the
    /// matchers ready to match.
    pub fn check(&self, now: Nanos) -> Result<Selector, SilenceRefusal> {
        let selector = check_matchers(&self.matchers)?;
        if self.created_by.trim().is_empty() {
            return Err(SilenceRefusal::NoAuthor);
        }
        if self.comment.trim().is_empty() {
            return Err(SilenceRefusal::NoComment);
        }
        if self.ends_at <= self.starts_at {
            return Err(SilenceRefusal::EndsBeforeStart);
        }
        if self.ends_at <= now {
            return Err(SilenceRefusal::EndsInThePast);
        }
        Ok(selector)
    }
}

/// The matchers alone (the form checks them while they are typed):
/// each one Alertmanager takes, and together not silencing every alert.
pub fn check_matchers(matchers: &[Matcher]) -> Result<Selector, SilenceRefusal> {
    if matchers.is_empty() {
        return Err(SilenceRefusal::NoMatchers);
    }
    let selector = Selector::new(matchers)?;
    if selector.silences_everything() {
        return Err(SilenceRefusal::SilencesEverything);
    }
    Ok(selector)
}

/// Why triage will not send a silence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SilenceRefusal {
    NoMatchers,
    /// Every matcher matches any alert (see [`Selector::silences_everything`]).
    SilencesEverything,
    /// Matcher `index` (from 0) is not one Alertmanager takes.
    BadMatcher {
        index: usize,
        matcher: Matcher,
        problem: MatcherProblem,
    },
    NoAuthor,
    NoComment,
    EndsBeforeStart,
    EndsInThePast,
}

impl fmt::Display for SilenceRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SilenceRefusal::NoMatchers => {
                f.write_str("no matchers: it would silence every alert")
            }
            SilenceRefusal::SilencesEverything => f.write_str(
                "every matcher matches any alert (an empty value, .*, != or !~ alone): it would silence every alert; add a matcher that names what to silence",
            ),
            SilenceRefusal::BadMatcher {
                index,
                matcher,
                problem,
            } => write!(f, "matcher {} ({matcher}): {problem}", index + 1),
            SilenceRefusal::NoAuthor => f.write_str("no author: set `author` in the config"),
            SilenceRefusal::NoComment => f.write_str("a comment is required: say why"),
            SilenceRefusal::EndsBeforeStart => f.write_str("it ends before it starts"),
            SilenceRefusal::EndsInThePast => f.write_str("its end is in the past"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(text: &str) -> Matcher {
        Matcher::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        Labels::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn matchers_parse_and_print_as_amtool_writes_them() {
        assert_eq!(
            m("alertname=ApiErrors"),
            Matcher::new("alertname", MatchOp::Equal, "ApiErrors")
        );
        assert_eq!(m(" severity != \"info\" ").op, MatchOp::NotEqual);
        assert_eq!(m("job=~\"api|web\"").op, MatchOp::Regex);
        assert_eq!(m("job!~api.*").op, MatchOp::NotRegex);
        let quoted = m(r#"msg="say \"hi\" \\ bye""#);
        assert_eq!(quoted.value.as_str(), r#"say "hi" \ bye"#);
        assert_eq!(quoted.to_string(), r#"msg="say \"hi\" \\ bye""#);
        assert_eq!(m(&quoted.to_string()), quoted);
        assert_eq!(Matcher::parse("alertname"), Err(MatcherProblem::NoOperator));
        assert_eq!(Matcher::parse("a=\"open"), Err(MatcherProblem::BadQuotes));
        assert_eq!(Matcher::parse("=x"), Err(MatcherProblem::NoName));
        assert!(matches!(
            Matcher::parse("foo bar=x"),
            Err(MatcherProblem::BadName(_))
        ));
        assert!(matches!(
            Matcher::parse("9lives=x"),
            Err(MatcherProblem::BadName(_))
        ));
        let Err(MatcherProblem::BadRegex { words, .. }) = Matcher::parse("alertname=~Api(Errors")
        else {
            panic!("a bad regex");
        };
        assert!(words.contains("unclosed group"), "{words}");
    }

    #[test]
    fn matching_is_alertmanagers_anchored_and_missing_is_empty() -> Result<(), SilenceRefusal> {
        let alert = labels(&[("alertname", "ApiErrors"), ("severity", "critical")]);
        let yes = |ms: &[&str]| {
            let ms: Vec<Matcher> = ms.iter().map(|t| m(t)).collect();
            Selector::new(&ms).map(|s| s.matches(&alert))
        };
        assert!(yes(&["alertname=ApiErrors"])?);
        assert!(!yes(&["alertname=Api"])?);
        assert!(!yes(&["alertname=~Api"])?, "anchored");
        assert!(yes(&["alertname=~Api.*", "severity!=info"])?);
        assert!(yes(&["team!~.+"])?, "a missing label is empty");
        assert!(!yes(&["team=~.+"])?);
        assert!(!yes(&["alertname!~Api.*"])?);
        assert!(
            !yes(&[])?,
            "no matchers match nothing here: they are refused"
        );
        Ok(())
    }

    #[test]
    fn a_silence_of_everything_is_refused() {
        let refused = |ms: &[&str]| {
            let ms: Vec<Matcher> = ms.iter().map(|t| m(t)).collect();
            check_matchers(&ms).err()
        };
        assert_eq!(refused(&[]), Some(SilenceRefusal::NoMatchers));
        for everything in [
            &["alertname=~.*"][..],
            &["alertname=~\".*\"", "severity=~\"(.*)\""],
            &["alertname=\"\""],
            &["severity!=info"],
            &["severity!~crit.*"],
            &["alertname=~.+"],
            &["alertname=~.+", "job=~\".*\""],
            &["alertname=~\"(?s).+\""],
        ] {
            assert_eq!(
                refused(everything),
                Some(SilenceRefusal::SilencesEverything),
                "{everything:?}"
            );
        }
        for some in [
            &["alertname=ApiErrors"][..],
            &["alertname=~Api.*"],
            &["alertname=~.+", "severity=critical"],
            &["severity!=info", "namespace=shop"],
        ] {
            assert_eq!(refused(some), None, "{some:?}");
        }
        let bad = check_matchers(&[
            m("alertname=ApiErrors"),
            Matcher::new("job", MatchOp::Regex, "("),
        ])
        .err();
        assert!(
            matches!(bad, Some(SilenceRefusal::BadMatcher { index: 1, .. })),
            "{bad:?}"
        );
    }

    #[test]
    fn a_new_silence_needs_a_comment_an_author_and_a_future_end() {
        const HOUR: Nanos = 3_600_000_000_000;
        let alert = labels(&[("alertname", "ApiErrors")]);
        let now = 1_000 * HOUR;
        let mut silence = NewSilence::for_alert(&alert, now, DEFAULT_SILENCE_DURATION, "ann");
        assert_eq!(silence.ends_at - silence.starts_at, 2 * HOUR);
        assert_eq!(silence.check(now).err(), Some(SilenceRefusal::NoComment));
        silence.comment = "on it".into();
        assert!(silence.check(now).is_ok());
        assert_eq!(
            silence.check(now + 3 * HOUR).err(),
            Some(SilenceRefusal::EndsInThePast)
        );
        let backwards = NewSilence {
            ends_at: now - HOUR,
            ..silence.clone()
        };
        assert_eq!(
            backwards.check(now).err(),
            Some(SilenceRefusal::EndsBeforeStart)
        );
        let anonymous = NewSilence {
            created_by: " ".into(),
            ..silence
        };
        assert_eq!(anonymous.check(now).err(), Some(SilenceRefusal::NoAuthor));
    }

    #[test]
    fn extending_replaces_and_counts_from_now_once_expired() {
        const HOUR: Nanos = 3_600_000_000_000;
        let silence = Silence {
            id: SilenceId::new("19511d58-3d68-4fe9-8a1a-30bf5fd08b4b"),
            matchers: vec![m("alertname=ApiErrors")],
            starts_at: 0,
            ends_at: 2 * HOUR,
            created_by: "ann".into(),
            comment: "on it".into(),
            state: SilenceState::Active,
            updated_at: None,
            verbatim: true,
        };
        assert_eq!(silence.time_left(HOUR), Some(Duration::from_secs(3600)));
        assert_eq!(silence.time_left(2 * HOUR), None);
        assert_eq!(silence.state_at(HOUR), SilenceState::Active);
        assert_eq!(silence.state_at(-1), SilenceState::Pending);
        assert_eq!(silence.state_at(2 * HOUR), SilenceState::Expired);
        let longer = silence.extended(Duration::from_secs(3600), HOUR);
        assert_eq!(longer.replaces.as_ref(), Some(&silence.id));
        assert_eq!((longer.starts_at, longer.ends_at), (0, 3 * HOUR));
        let again = silence.extended(Duration::from_secs(3600), 5 * HOUR);
        assert_eq!((again.starts_at, again.ends_at), (5 * HOUR, 6 * HOUR));
    }
}
