//! Above a Loki logs view: how many lines of each level the query has over
//! its window, a bar a column. `v` takes the bars: `h`/`l` pick one, Enter
//! moves the list to its time (asking Loki when the lines are not held).

use super::{LogSource, LogsView, Older};
use crate::app::effect::Effect;
use crate::app::loadable::Loadable;
use crate::app::screen::Ctx;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::domain::log_summary::Volume;
use triage_core::domain::{Level, Nanos, TimeRange};

/// Every level, in the order of `Level`.
pub const LEVELS: usize = Level::Fatal as usize + 1;

/// The counts of each bar, ready to draw.
#[derive(Debug)]
pub struct Bars {
    pub range: TimeRange,
    pub step: Nanos,
    /// Lines per level, a bar each, oldest first.
    pub counts: Vec<[u64; LEVELS]>,
    /// The most lines in one bar.
    pub highest: u64,
}

impl Bars {
    /// Spreads the volume's points over bars of its step.
    pub fn new(volume: &Volume, bars: usize) -> Self {
        let step = i64::try_from(volume.step.as_nanos())
            .unwrap_or(i64::MAX)
            .max(1);
        let mut counts = vec![[0u64; LEVELS]; bars];
        for (level, points) in &volume.series {
            for &(time, lines) in points {
                // A point counts the step that ends at its time.
                let bar = (time - volume.range.start - 1).max(0) / step;
                if let Some(bar) = counts.get_mut(bar as usize) {
                    bar[*level as usize] += lines;
                }
            }
        }
        let highest = counts.iter().map(|c| c.iter().sum()).max().unwrap_or(0);
        Bars {
            range: volume.range,
            step,
            counts,
            highest,
        }
    }

    /// The bar a time falls in.
    pub fn bar_at(&self, time: Nanos) -> Option<usize> {
        let bar = (time - self.range.start).checked_div(self.step)?;
        (0..self.counts.len() as i64)
            .contains(&bar)
            .then_some(bar as usize)
    }

    /// When a bar's lines end.
    pub fn end_of(&self, bar: usize) -> Nanos {
        (self.range.start + (bar as i64 + 1) * self.step).min(self.range.end)
    }
}

/// The histogram's state.
#[derive(Debug)]
pub struct VolumePanel {
    pub load: Loadable<Bars>,
    /// The bar picked while `v` has the bars.
    pub bar: Option<usize>,
}

impl LogsView {
    /// Asks Loki for the query's lines per level, a bar per column.
    pub(super) fn ask_volume(&mut self, cx: &mut Ctx) {
        let LogSource::Loki { logql, .. } = &self.source else {
            return;
        };
        let bars = (cx.width as i64).max(10);
        let span = (self.range.end - self.range.start).max(1);
        // Whole seconds, as Loki steps are written; enough of them to fill
        // the columns and no more.
        let step = Duration::from_secs(((span / bars) as u64).div_ceil(1_000_000_000).max(1));
        let (logql, range) = (logql.clone(), self.range);
        let id = cx.ask(|id| Effect::FetchVolume {
            id,
            logql,
            range,
            step,
        });
        self.volume = Some(VolumePanel {
            load: Loadable::Loading { id, since: cx.now },
            bar: None,
        });
    }

    pub(super) fn volume_loaded(&mut self, result: Result<Volume, BackendError>) {
        let Some(panel) = self.volume.as_mut() else {
            return;
        };
        panel.load = match result {
            Ok(volume) => {
                let step = volume.step.as_nanos().max(1);
                let span = (volume.range.end - volume.range.start).max(0) as u128;
                Loadable::Ready(Bars::new(&volume, span.div_ceil(step) as usize))
            }
            Err(e) => Loadable::Failed(e),
        };
    }

    /// `v`: the bars take `h`/`l` and Enter, starting at the cursor's
    /// time; again: they let go.
    pub(super) fn toggle_bars(&mut self) {
        let at = self.selected_row().map(|r| r.line.timestamp);
        let Some(panel) = self.volume.as_mut() else {
            return;
        };
        panel.bar = match (&panel.load, panel.bar) {
            (Loadable::Ready(bars), None) => {
                let last = bars.counts.len().saturating_sub(1);
                Some(at.and_then(|t| bars.bar_at(t)).unwrap_or(last))
            }
            _ => None,
        };
    }

    /// Whether `v` gave the bars the keys.
    pub fn picking_bar(&self) -> bool {
        self.volume.as_ref().is_some_and(|v| v.bar.is_some())
    }

    /// The bars, and the one picked, while `v` has them.
    fn picked(&mut self) -> Option<(&Bars, &mut usize)> {
        match self.volume.as_mut()? {
            VolumePanel {
                load: Loadable::Ready(bars),
                bar: Some(bar),
            } => Some((bars, bar)),
            _ => None,
        }
    }

    pub(super) fn step_bar(&mut self, later: bool) {
        let Some((bars, bar)) = self.picked() else {
            return;
        };
        let last = bars.counts.len().saturating_sub(1);
        *bar = if later {
            (*bar + 1).min(last)
        } else {
            bar.saturating_sub(1)
        };
    }

    /// Enter on a bar: the list moves to the newest line of its time; when
    /// that line is not held, the list starts over from there.
    pub(super) fn go_to_bar(&mut self, cx: &mut Ctx) {
        let Some((bars, bar)) = self.picked() else {
            return;
        };
        let end = bars.end_of(*bar);
        if let Some(panel) = self.volume.as_mut() {
            panel.bar = None;
        }
        let held = self
            .rows
            .back()
            .is_some_and(|oldest| oldest.line.timestamp < end)
            || matches!(self.older, Older::Exhausted);
        if held {
            let row = self.rows.partition_point(|r| r.line.timestamp >= end);
            self.cursor.selected = self.position_of(row.min(self.rows.len().saturating_sub(1)));
            self.cursor.top = self.cursor.selected;
            return self.clamp();
        }
        self.start_over_at(end, cx);
    }
}
