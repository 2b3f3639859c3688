//! Credentials, in a type that never prints what it holds.

use std::fmt;

/// A password, token or tenant credential. `Debug` and `Display` print `***`;
/// only [`Secret::expose`] gives the value, at the point of use.
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
