//! Time as the backends count it: nanoseconds since the Unix epoch.

use std::time::Duration;

/// Nanoseconds since the Unix epoch.
pub type Nanos = i64;

pub const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A window of time, `start` inclusive, `end` exclusive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub start: Nanos,
    pub end: Nanos,
}

impl TimeRange {
    /// The `span` of time that ends at `now`.
    pub fn last(span: Duration, now: Nanos) -> Self {
        let span = i64::try_from(span.as_nanos()).unwrap_or(i64::MAX);
        TimeRange {
            start: now.saturating_sub(span),
            end: now,
        }
    }
}

/// Parses a short duration such as `90s`, `15m`, `1h`, `7d` or `1h30m`.
pub fn parse_duration(text: &str) -> Option<Duration> {
    let mut total = Duration::ZERO;
    let mut rest = text.trim();
    if rest.is_empty() {
        return None;
    }
    while !rest.is_empty() {
        let digits = rest.find(|c: char| !c.is_ascii_digit())?;
        let value: u64 = rest[..digits].parse().ok()?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let seconds = match &rest[..unit_len] {
            "ms" => {
                total += Duration::from_millis(value);
                rest = &rest[unit_len..];
                continue;
            }
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            "w" => 604_800,
            _ => return None,
        };
        total += Duration::from_secs(value.checked_mul(seconds)?);
        rest = &rest[unit_len..];
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Some(Duration::from_millis(250)));
        assert_eq!(parse_duration("7d"), Some(Duration::from_secs(604_800)));
        assert_eq!(parse_duration("soon"), None);
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration(""), None);
    }
}
