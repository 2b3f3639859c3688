//! Following a Loki query live through its tail: new lines on top of the
//! history, nothing twice where they meet; paused while the cursor is
//! away from the top, with a count of the lines that wait.

use super::{LogSource, LogsView};
use crate::app::effect::{Effect, RequestId};
use crate::app::notice::Notice;
use crate::app::screen::Ctx;
use std::time::Duration;
use triage_core::backend::BackendError;
use triage_core::backend::loki::{TailEvent, TailQuery};
use triage_core::domain::{LogLine, Nanos};

/// A followed query's tail.
#[derive(Debug)]
pub struct Follow {
    pub id: RequestId,
    /// Where the tail meets the history: the newest instant held when
    /// following began (the tail's start).
    pub meet: Nanos,
    pub state: FollowState,
    /// Lines that arrived while the cursor was away from the top, oldest
    /// first; at most the buffer's capacity.
    pub waiting: Vec<LogLine>,
    /// Lines that waited past the capacity and were let go.
    pub waiting_dropped: u64,
    /// Lines Loki said it could not send (`dropped_entries`).
    pub dropped_by_loki: u64,
}

impl Follow {
    /// Whether there is something to say above the lines: new lines wait,
    /// or the tail is down.
    pub fn has_news(&self) -> bool {
        !self.waiting.is_empty()
            || self.waiting_dropped > 0
            || matches!(self.state, FollowState::Reconnecting { .. })
    }
}

#[derive(Debug)]
pub enum FollowState {
    Connecting,
    Live,
    Reconnecting {
        attempt: u32,
        after: Duration,
        error: BackendError,
    },
}

impl LogsView {
    /// `F`: follows the query from its newest line held, or stops.
    pub(super) fn toggle_follow(&mut self, cx: &mut Ctx) {
        if let Some(follow) = self.follow.take() {
            cx.cancel(Some(follow.id));
            self.release(follow.waiting, cx);
            return cx.tell(Notice::Following(false));
        }
        let LogSource::Loki { logql, .. } = &self.source else {
            return cx.tell(Notice::NotALokiView);
        };
        let meet = self
            .rows
            .front()
            .map_or(self.range.end, |r| r.line.timestamp);
        let query = TailQuery {
            logql: logql.clone(),
            start: meet,
            limit: cx.settings.page_size,
        };
        let id = cx.ask(|id| Effect::TailLogs { id, query });
        // What is followed stays within the buffer, however long it runs.
        self.capacity = cx.settings.log_buffer.max(1);
        self.follow = Some(Follow {
            id,
            meet,
            state: FollowState::Connecting,
            waiting: Vec::new(),
            waiting_dropped: 0,
            dropped_by_loki: 0,
        });
        cx.tell(Notice::Following(true));
    }

    /// What the tail told.
    pub(super) fn tailed(&mut self, event: Result<TailEvent, BackendError>, cx: &mut Ctx) {
        let Some(follow) = self.follow.as_mut() else {
            return;
        };
        match event {
            Ok(TailEvent::Live) => follow.state = FollowState::Live,
            Ok(TailEvent::Dropped(n)) => follow.dropped_by_loki += n,
            Ok(TailEvent::Reconnecting {
                attempt,
                after,
                error,
            }) => {
                follow.state = FollowState::Reconnecting {
                    attempt,
                    after,
                    error,
                }
            }
            Ok(TailEvent::Lines(lines)) => {
                follow.state = FollowState::Live;
                let meet = follow.meet;
                let lines = self.new_lines(lines, meet);
                if self.cursor.selected == 0 {
                    self.prepend(lines, &cx.settings.derived_fields);
                } else {
                    self.hold(lines);
                }
            }
            Err(e) => {
                // Refused for good: the lines stay, the following stops.
                if let Some(follow) = self.follow.take() {
                    self.release(follow.waiting, cx);
                }
                cx.tell(Notice::Failed(e));
            }
        }
    }

    /// The cursor is back on top: the lines that waited go on.
    pub(super) fn catch_up(&mut self, cx: &Ctx) {
        let Some(follow) = self.follow.as_mut() else {
            return;
        };
        if self.cursor.selected == 0 && !follow.waiting.is_empty() {
            let waiting = std::mem::take(&mut follow.waiting);
            follow.waiting_dropped = 0;
            self.release(waiting, cx);
        }
    }

    fn release(&mut self, lines: Vec<LogLine>, cx: &Ctx) {
        if !lines.is_empty() {
            self.prepend(lines, &cx.settings.derived_fields);
        }
    }

    /// Lines kept while paused, the newest `capacity` of them.
    fn hold(&mut self, lines: Vec<LogLine>) {
        let capacity = self.capacity;
        let Some(follow) = self.follow.as_mut() else {
            return;
        };
        follow.waiting.extend(lines);
        let over = follow.waiting.len().saturating_sub(capacity);
        follow.waiting.drain(..over);
        follow.waiting_dropped += over as u64;
    }

    /// The tail's lines that the history does not hold already: at the
    /// instant where they meet, lines equal to held ones are the same
    /// lines; older ones were the history's to show. (Past the meeting
    /// point every line is new, even one older than the newest shown: the
    /// tail brings streams with a little skew, and the client itself does
    /// not repeat a line.)
    fn new_lines(&self, lines: Vec<LogLine>, meet: Nanos) -> Vec<LogLine> {
        let at_meet: Vec<&LogLine> = (self.rows.iter())
            .skip_while(|r| r.line.timestamp > meet)
            .take_while(|r| r.line.timestamp == meet)
            .map(|r| &r.line)
            .collect();
        let mut taken = vec![false; at_meet.len()];
        lines
            .into_iter()
            .filter(|line| match line.timestamp.cmp(&meet) {
                std::cmp::Ordering::Less => false,
                std::cmp::Ordering::Greater => true,
                std::cmp::Ordering::Equal => {
                    let held = (0..at_meet.len()).find(|&i| !taken[i] && same(at_meet[i], line));
                    held.map(|i| taken[i] = true).is_none()
                }
            })
            .collect()
    }
}

/// The same line from the history and the tail: Loki labels the tail's
/// first frame with `detected_level` and its later ones not, so the labels
/// are not compared, only where the line came from.
fn same(held: &LogLine, tailed: &LogLine) -> bool {
    held.line == tailed.line && held.source() == tailed.source()
}
