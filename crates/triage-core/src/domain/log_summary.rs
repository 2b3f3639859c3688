//! What Loki sums up about log lines: how many of each level over time,
//! and the patterns lines fall into.

use super::{Level, Nanos, SafeText, TimeRange};
use std::time::Duration;

/// Lines counted per step: (the step's end, lines), oldest first.
pub type Counts = Vec<(Nanos, u64)>;

/// Lines of a log query counted per level in steps of `step` over `range`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Volume {
    pub range: TimeRange,
    pub step: Duration,
    /// One series per level, sorted by level; each point is the lines in
    /// the `step` ending at its time, oldest first. Steps without lines are
    /// left out.
    pub series: Vec<(Level, Counts)>,
}

impl Volume {
    /// All lines counted, of every level.
    pub fn total(&self) -> u64 {
        (self.series.iter())
            .flat_map(|(_, points)| points.iter().map(|(_, n)| n))
            .sum()
    }
}

/// A shape log lines share, with `<_>` where they differ, and how many
/// lines had it per step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogPattern {
    pub pattern: SafeText,
    /// (time, lines), oldest first.
    pub samples: Vec<(Nanos, u64)>,
    /// The lines of all samples.
    pub total: u64,
}
