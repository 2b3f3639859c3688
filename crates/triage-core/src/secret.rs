//! Credentials, in a type that never prints what it holds, and that
//! remembers every value it was given so that text coming back from
//! outside (an error body, a library's log line) can be cleaned of them.

use std::borrow::Cow;
use std::fmt;
use std::sync::{Mutex, PoisonError};

/// A password, token or tenant credential. `Debug` and `Display` print `***`;
/// only [`Secret::expose`] gives the value, at the point of use.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        let value = value.into();
        remember(&value);
        Secret(value)
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

/// Every credential this process holds. A proxy or a debugging endpoint
/// may echo a request's headers in its answer, and libraries log answers
/// at debug level: what reaches the screen, an error or the log file is
/// cut against this list. One list for the process, like the panic hook:
/// the log writer has no other way to know.
static KNOWN: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Shorter values are not cut: they would garble every message that
/// happens to hold them, and are no secret anyway.
const SHORTEST_REDACTED: usize = 4;

fn remember(value: &str) {
    let value = value.trim();
    if value.len() < SHORTEST_REDACTED {
        return;
    }
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    if !known.iter().any(|k| k == value) {
        known.push(value.to_owned());
        // The longest first, so a value holding another is cut whole.
        known.sort_by_key(|k| std::cmp::Reverse(k.len()));
    }
}

/// `text` with every credential this process holds replaced by `***`.
pub fn redact(text: &str) -> Cow<'_, str> {
    let known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    let mut text = Cow::Borrowed(text);
    for value in known.iter() {
        if text.contains(value.as_str()) {
            text = Cow::Owned(text.replace(value.as_str(), "***"));
        }
    }
    text
}

/// A writer that cuts credentials out of what passes through it: the log
/// file's, since libraries log bodies and headers at debug and trace.
pub struct Redacting<W>(pub W);

impl<W: std::io::Write> std::io::Write for Redacting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The formatter writes one event per call; cut within it.
        let text = String::from_utf8_lossy(buf);
        self.0.write_all(redact(&text).as_bytes())?;
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
        let _held = [
            Secret::new("s3cret-token"),
            Secret::new("s3cret"),
            Secret::new("ops"),
        ];
        assert_eq!(
            redact("401: bad header Bearer s3cret-token; also s3cret, ops"),
            "401: bad header Bearer ***; also ***, ops"
        );
        let mut log = Vec::new();
        std::io::Write::write_all(&mut Redacting(&mut log), b"sent s3cret\n").ok();
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
