//! Numbers and times as the screen writes them: clocks, ages, durations,
//! values with their units.

use triage_core::domain::time::NANOS_PER_SEC;
use triage_core::domain::{Nanos, Unit};

/// A time of day to the millisecond, in UTC or the local zone.
pub fn clock(timestamp: Nanos, utc: bool) -> String {
    let time = chrono::DateTime::from_timestamp_nanos(timestamp);
    if utc {
        time.format("%H:%M:%S%.3f").to_string()
    } else {
        time.with_timezone(&chrono::Local)
            .format("%H:%M:%S%.3f")
            .to_string()
    }
}

/// A duration for people: `850µs`, `12.3ms`, `4.20s`, `3m05s`.
pub fn duration(nanos: i64) -> String {
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
pub fn age(nanos: i64) -> String {
    let secs = nanos.max(0) / NANOS_PER_SEC;
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h{:02}m", secs / 3600, secs % 3600 / 60),
        _ => format!("{}d{:02}h", secs / 86_400, secs % 86_400 / 3600),
    }
}

/// A size as the messages give it: MiB rounded up, or GiB with a decimal.
pub fn size(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    match n {
        n if n >= 1024 * MIB => format!("{:.1} GiB", n as f64 / (1024 * MIB) as f64),
        n => format!("{} MiB", n.div_ceil(MIB)),
    }
}

/// A value with its unit, short enough for an axis label.
pub fn value(value: f64, unit: Unit) -> String {
    let magnitude = value.abs();
    match unit {
        Unit::Seconds if magnitude > 0.0 && magnitude < 1.0 => duration((value * 1e9) as i64),
        Unit::Seconds => format!("{}s", short(value)),
        Unit::Bytes => {
            let (scaled, suffix) = [
                (1u64 << 40, "TiB"),
                (1 << 30, "GiB"),
                (1 << 20, "MiB"),
                (1 << 10, "KiB"),
            ]
            .iter()
            .find(|(size, _)| magnitude >= *size as f64)
            .map_or((value, "B"), |(size, suffix)| {
                (value / *size as f64, *suffix)
            });
            format!("{}{suffix}", short(scaled))
        }
        Unit::None => {
            let (scaled, suffix) = [(1e9, "G"), (1e6, "M"), (1e3, "k")]
                .iter()
                .find(|(size, _)| magnitude >= *size)
                .map_or((value, ""), |(size, suffix)| (value / size, *suffix));
            format!("{}{suffix}", short(scaled))
        }
    }
}

/// Three significant digits, without trailing zeros.
fn short(value: f64) -> String {
    let text = if value.abs() >= 100.0 || value == 0.0 {
        format!("{value:.0}")
    } else if value.abs() >= 10.0 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    };
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_read_with_their_units() {
        assert_eq!(value(0.25, Unit::Seconds), "250.0ms");
        assert_eq!(value(2.5, Unit::Seconds), "2.5s");
        assert_eq!(value(3.0 * 1024.0 * 1024.0, Unit::Bytes), "3MiB");
        assert_eq!(value(1250.0, Unit::None), "1.25k");
        assert_eq!(value(0.0, Unit::None), "0");
        assert_eq!(value(0.1234, Unit::None), "0.12");
    }

    #[test]
    fn durations_format() {
        assert_eq!(duration(500), "500ns");
        assert_eq!(duration(850_000), "850µs");
        assert_eq!(duration(4_000_000), "4.00ms");
        assert_eq!(duration(115_000_000), "115.0ms");
        assert_eq!(duration(4_200_000_000), "4.20s");
        assert_eq!(duration(185 * NANOS_PER_SEC), "3m05s");
    }

    #[test]
    fn ages_format() {
        assert_eq!(age(-5), "0s");
        assert_eq!(age(45 * NANOS_PER_SEC), "45s");
        assert_eq!(age(750 * NANOS_PER_SEC), "12m");
        assert_eq!(age(11_100 * NANOS_PER_SEC), "3h05m");
        assert_eq!(age(187_200 * NANOS_PER_SEC), "2d04h");
    }
}
