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

/// A duration for people: `850µs`, `12.3ms`, `4.20s`, `3m05s`.
pub fn format_duration(nanos: i64) -> String {
    let n = nanos.max(0) as f64;
    match nanos.max(0) {
        0..1_000 => format!("{nanos}ns"),
        1_000..1_000_000 => format!("{:.0}µs", n / 1e3),
        1_000_000..10_000_000 => format!("{:.2}ms", n / 1e6),
        10_000_000..1_000_000_000 => format!("{:.1}ms", n / 1e6),
        1_000_000_000..60_000_000_000 => format!("{:.2}s", n / 1e9),
        _ => {
            let secs = nanos / NANOS_PER_SEC;
            format!("{}m{:02}s", secs / 60, secs % 60)
        }
    }
}

/// How long something has been going on, to a glance: `45s`, `12m`,
/// `3h05m`, `2d04h`.
pub fn format_age(nanos: i64) -> String {
    let secs = nanos.max(0) / NANOS_PER_SEC;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
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

    #[test]
    fn durations_format() {
        assert_eq!(format_duration(500), "500ns");
        assert_eq!(format_duration(850_000), "850µs");
        assert_eq!(format_duration(4_000_000), "4.00ms");
        assert_eq!(format_duration(115_000_000), "115.0ms");
        assert_eq!(format_duration(4_200_000_000), "4.20s");
        assert_eq!(format_duration(185 * NANOS_PER_SEC), "3m05s");
    }

    #[test]
    fn ages_format() {
        assert_eq!(format_age(-5), "0s");
        assert_eq!(format_age(45 * NANOS_PER_SEC), "45s");
        assert_eq!(format_age(750 * NANOS_PER_SEC), "12m");
        assert_eq!(format_age(11_100 * NANOS_PER_SEC), "3h05m");
        assert_eq!(format_age(187_200 * NANOS_PER_SEC), "2d04h");
    }
}
