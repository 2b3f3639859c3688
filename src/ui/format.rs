//! Numbers and times as the screen writes them: clocks, ages, durations,
//! values with their units.

use triage_core::domain::time::format_duration;
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
        Unit::Seconds if magnitude > 0.0 && magnitude < 1.0 => {
            format_duration((value * 1e9) as i64)
        }
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
}
