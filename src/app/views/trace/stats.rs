//! The trace's statistics table, as Jaeger's: per service and operation
//! the span count, total and self time, errors and the largest span.

use crate::app::cursor::Cursor;
use triage_core::correlate::{StatRow, Waterfall, statistics};
use triage_core::domain::Trace;

#[derive(Debug)]
pub struct Statistics {
    pub rows: Vec<StatRow>,
    pub cursor: Cursor,
}

impl Statistics {
    pub fn new(trace: &Trace, waterfall: &Waterfall) -> Self {
        Statistics {
            rows: statistics(trace, waterfall),
            cursor: Cursor::default(),
        }
    }

    pub fn selected(&self) -> Option<&StatRow> {
        self.rows.get(self.cursor.selected)
    }
}
