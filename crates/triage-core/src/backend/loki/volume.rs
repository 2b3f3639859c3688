//! Lines per level over time, for the logs view's histogram.
//!
//! Loki's own `index/volume_range` counts bytes, not lines, and answers
//! nothing for `targetLabels=detected_level` (not an index label): see the
//! recorded answers. So the volume is a metric query through
//! `query_range`, `sum by (detected_level) (count_over_time(<query>[<step>]))`,
//! which counts the lines of a whole log query, its pipeline included.

use super::LokiClient;
use crate::backend::error::BackendError;
use crate::domain::log_summary::Counts;
use crate::domain::{Level, Nanos, Series, TimeRange, Volume};
use std::collections::BTreeMap;
use std::time::Duration;

impl LokiClient {
    /// How many lines of `logql` (a log query, pipeline and all) each
    /// level has per `step` over `range`.
    pub async fn volume(
        &self,
        logql: &str,
        range: TimeRange,
        step: Duration,
    ) -> Result<Volume, BackendError> {
        let step = step.max(Duration::from_secs(1));
        let answer = self
            .metric_range(&volume_query(logql, step), range, step)
            .await?;
        Ok(Volume {
            range,
            step,
            series: by_level(answer.data),
        })
    }
}

/// The metric query that counts `logql`'s lines per level.
fn volume_query(logql: &str, step: Duration) -> String {
    format!(
        "sum by (detected_level) (count_over_time({}[{}]))",
        logql.trim(),
        duration(step)
    )
}

/// A duration as LogQL (and Grafana) writes one: `1m`, `1m30s`, `1s500ms`.
fn duration(step: Duration) -> String {
    let mut left = step.as_millis().max(1);
    let mut text = String::new();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1000), ("ms", 1)] {
        if left >= size {
            text.push_str(&format!("{}{unit}", left / size));
            left %= size;
        }
    }
    text
}

/// The volume query's series as a series per level, sorted by level.
/// Levels that read the same (`warn`, `warning`) are added up; no
/// `detected_level`, or `unknown`, is [`Level::Unknown`]. Counts are whole
/// in fact, floats in form (`"24"`).
pub fn by_level(series: Vec<Series>) -> Vec<(Level, Counts)> {
    let mut levels: BTreeMap<Level, BTreeMap<Nanos, u64>> = BTreeMap::new();
    for series in series {
        let level =
            (series.labels.get("detected_level")).map_or(Level::Unknown, |w| Level::from_word(w));
        let points = levels.entry(level).or_default();
        for point in series
            .points
            .iter()
            .filter(|p| p.value.is_finite() && p.value >= 0.0)
        {
            *points.entry(point.time).or_default() += point.value.round() as u64;
        }
    }
    (levels.into_iter())
        .map(|(level, points)| (level, points.into_iter().collect()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Labels, Point};

    #[test]
    fn the_query_counts_lines_by_level_over_the_step() {
        let q = volume_query(r#"{app="api"} | logfmt |= "x" "#, Duration::from_secs(60));
        assert_eq!(
            q,
            r#"sum by (detected_level) (count_over_time({app="api"} | logfmt |= "x"[1m]))"#
        );
        assert_eq!(duration(Duration::from_millis(1500)), "1s500ms");
        assert_eq!(duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(duration(Duration::ZERO), "1ms");
    }

    #[test]
    fn levels_that_read_the_same_are_added_up() {
        let series = |level: Option<&str>, points: &[(i64, f64)]| Series {
            labels: Labels::from_pairs(level.map(|l| ("detected_level", l))),
            points: (points.iter())
                .map(|&(time, value)| Point { time, value })
                .collect(),
        };
        let levels = by_level(vec![
            series(Some("warn"), &[(60, 2.0), (120, 1.0)]),
            series(Some("WARNING"), &[(60, 3.0)]),
            series(None, &[(60, 4.0), (120, f64::NAN)]),
        ]);
        assert_eq!(
            levels,
            [
                (Level::Unknown, vec![(60, 4)]),
                (Level::Warn, vec![(60, 5), (120, 1)]),
            ]
        );
    }
}
