//! Credentials, in a type that never prints what it holds, and the
//! [`Redactor`] that cuts them out of text coming back from outside (an
//! error body, a library's log line).

use crate::domain::{Labels, SafeText};
use std::borrow::Cow;
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A password or token. `Debug` and `Display` print `***`; only
/// [`Secret::expose`] gives the value, at the point of use.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Shorter values are not cut: they would garble every message that
/// happens to hold them, and are no secret anyway.
const SHORTEST_REDACTED: usize = 4;

/// The secret values to cut out of text from outside: a proxy or a
/// debugging endpoint may echo a request's headers in its answer. Built
/// once from the configuration, never changed, shared by cloning the Arc:
/// reading it takes no lock, so every log line can go through it.
#[derive(Clone, Default)]
pub struct Redactor(Arc<[Box<str>]>);

impl Redactor {
    /// The values of four characters or more, the longest first, so a
    /// value holding another is cut whole.
    pub fn new<S: AsRef<str>>(values: impl IntoIterator<Item = S>) -> Redactor {
        let mut kept: Vec<Box<str>> = Vec::new();
        for value in values {
            let value = value.as_ref().trim();
            if value.len() >= SHORTEST_REDACTED && !kept.iter().any(|k| &**k == value) {
                kept.push(value.into());
            }
        }
        kept.sort_by_key(|k| std::cmp::Reverse(k.len()));
        Redactor(kept.into())
    }

    /// These values and `more`: a client adds its own credentials, so they
    /// are cut however its endpoint was made.
    pub fn with<S: AsRef<str>>(&self, more: impl IntoIterator<Item = S>) -> Redactor {
        let more: Vec<S> = more.into_iter().collect();
        if more.iter().all(|m| self.holds(m.as_ref().trim())) {
            return self.clone();
        }
        let mine = self.0.iter().map(|k| &**k);
        Redactor::new(mine.chain(more.iter().map(AsRef::as_ref)))
    }

    fn holds(&self, value: &str) -> bool {
        value.len() < SHORTEST_REDACTED || self.0.iter().any(|k| &**k == value)
    }

    /// `text` with every secret value replaced by `***`.
    pub fn cut<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut text = Cow::Borrowed(text);
        for value in self.0.iter() {
            if text.contains(&**value) {
                text = Cow::Owned(text.replace(&**value, "***"));
            }
        }
        text
    }

    /// Text from outside, cut of secrets and made safe to draw.
    pub fn safe(&self, raw: &str) -> SafeText {
        SafeText::new(&self.cut(raw))
    }

    /// Labels from outside, each name and value cut and made safe.
    pub fn labels<'a>(&self, pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Labels {
        Labels::from_pairs(
            pairs
                .into_iter()
                .map(|(name, value)| (self.cut(name), self.cut(value))),
        )
    }
}

/// Never the values: only how many there are.
impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} values)", self.0.len())
    }
}

/// The set the log file and the panic report cut with. These two sinks are
/// process-wide (the tracing writer and the panic hook are made before the
/// configuration is read, and have no other way to be told), so they read
/// a global; set once after the configuration is loaded, then only read,
/// which a `OnceLock` does without a lock.
static SINKS: OnceLock<Redactor> = OnceLock::new();

/// Gives the log file and the panic report their set; the first call wins.
pub fn install_for_sinks(redactor: Redactor) {
    let _ = SINKS.set(redactor);
}

/// `text` cut with the set the sinks were given (none before it is set).
pub fn cut_for_sinks(text: &str) -> Cow<'_, str> {
    match SINKS.get() {
        Some(redactor) => redactor.cut(text),
        None => Cow::Borrowed(text),
    }
}

/// A writer that cuts credentials out of what passes through it: the log
/// file's, since libraries log bodies and headers at debug and trace.
pub struct Redacting<W>(pub W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter writes one event per call; cut within it.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(cut_for_sinks(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// A URL as it may be shown: any `user:password@` replaced by `***@`.
/// Everything up to the last `@` goes, so a password holding `/`, `?` or
/// `@` cannot survive; a path with an `@` is over-redacted, which is safe.
pub fn redact_url(url: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    match url[scheme_end..].rfind('@') {
        Some(at) => format!("{}***@{}", &url[..scheme_end], &url[scheme_end + at + 1..]),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("hunter2");
        assert_eq!(format!("{s} {s:?}"), "*** ***");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn echoed_credentials_are_cut_out() {
        let redactor = Redactor::new(["s3cret", "s3cret-token", "ops", " s3cret "]);
        assert_eq!(format!("{redactor:?}"), "Redactor(2 values)");
        assert_eq!(
            redactor.cut("401: bad header Bearer s3cret-token; also s3cret, ops"),
            "401: bad header Bearer ***; also ***, ops"
        );
        assert!(matches!(redactor.cut("nothing here"), Cow::Borrowed(_)));
        assert_eq!(
            redactor.safe("echo s3cret\u{1b}[2J").as_str(),
            "echo ***␛",
            "cut, then made safe"
        );
        let labels = redactor.labels([("tenant", "s3cret-token")]);
        assert_eq!(labels.get("tenant").map(|v| v.as_str()), Some("***"));
        assert_eq!(Redactor::default().cut("s3cret"), "s3cret");
    }

    #[test]
    fn a_client_adds_its_own_credentials() {
        let shared = Redactor::new(["shared-token"]);
        let own = shared.with(["own-password", "abc"]);
        assert_eq!(own.cut("shared-token own-password abc"), "*** *** abc");
        assert_eq!(shared.cut("own-password"), "own-password", "unchanged");
        assert!(Arc::ptr_eq(&shared.with(["shared-token"]).0, &shared.0));
    }

    #[test]
    fn the_log_file_is_cut_with_the_set_installed() {
        install_for_sinks(Redactor::new(["sink-secret"]));
        let mut log = Vec::new();
        std::io::Write::write_all(&mut Redacting(&mut log), b"sent sink-secret\n").ok();
        assert_eq!(log, b"sent ***\n");
    }

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("https://u:p@loki:3100/x"),
            "https://***@loki:3100/x"
        );
        assert_eq!(redact_url("https://u:p/a?b#c@loki/x"), "https://***@loki/x");
        assert_eq!(redact_url("u:p@loki:3100"), "***@loki:3100");
        assert_eq!(redact_url("http://loki:3100/x"), "http://loki:3100/x");
    }
}
