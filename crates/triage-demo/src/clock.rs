//! The demo's clock: the `now` it was started with, moving on with real
//! time. In `triage demo` that is the wall clock; a test that starts the
//! demo at a recorded time gets the recorded world, then its live lines.

use std::time::Instant;
use triage_core::domain::Nanos;

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    origin: Nanos,
    started: Instant,
}

impl Clock {
    pub fn start(now: Nanos) -> Clock {
        Clock {
            origin: now,
            started: Instant::now(),
        }
    }

    /// The demo's `now` at start plus the time since.
    pub fn now(&self) -> Nanos {
        let elapsed = i64::try_from(self.started.elapsed().as_nanos()).unwrap_or(i64::MAX);
        self.origin.saturating_add(elapsed)
    }
}
