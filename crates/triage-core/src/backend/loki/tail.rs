//! Loki's live tail: `GET /loki/api/v1/tail` upgraded to a websocket, one
//! JSON text frame per batch of lines. Kept open: a socket that closes or
//! fails is opened again after a back-off, from the newest line's time.
//!
//! What a real Loki (3.4) does, and this client relies on:
//! - A query it cannot parse is refused before the upgrade: plain HTTP 400,
//!   `text/plain`, the same parse error as `query_range`.
//! - Its limit on concurrent tails is checked after the upgrade: the socket
//!   is closed at once with code 1011 and the reason `max concurrent tail
//!   requests limit exceeded, count > limit (6 > 5)` (in an `rpc error`
//!   wrapper). That ends the tail, as a refusal does.
//! - It closes every tail after `tail_max_duration` (1 h by default), with
//!   code 1011 and `reached tail max duration limit`: opened again at once.
//! - The first frame is the backlog since `start`: the *newest* `limit`
//!   lines (Loki reads it backwards), so a socket down long enough for more
//!   than `limit` lines to arrive misses the older of them. Only that
//!   frame's streams carry `detected_level`; later frames do not.
//! - Every entry comes in a stream object of its own; `dropped_entries`
//!   lists lines Loki could not send (the client read too slowly).
//! - It pings every second; a socket silent for [`SILENCE`] (or an upgrade
//!   not answered within it) is taken for dead.

use super::{LokiClient, Stream, stream_lines};
use crate::backend::answer::{Answer, server_words};
use crate::backend::error::Transport;
use crate::backend::error::{BackendError, ErrorKind, Part, Problem, TooLarge, Unreadable};
use crate::backend::retry::is_transient;
use crate::backend::websocket::{MAX_MESSAGE_BYTES, Upgrade, WebSocket};
use crate::domain::{LogLine, Nanos, SafeText};
use crate::secret::Redactor;
use futures::StreamExt;
use futures::stream::BoxStream;
use serde::Deserialize;
use serde::de::IgnoredAny;
use std::collections::{HashSet, VecDeque};
use std::time::Duration;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::protocol::Message;

/// The first wait before opening the socket again; each next one doubles.
const FIRST_WAIT: Duration = Duration::from_millis(500);
/// The longest wait between two attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(30);
/// A socket that sent nothing, not even a ping, for this long is dead.
pub const SILENCE: Duration = Duration::from_secs(30);

/// What to tail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailQuery {
    pub logql: String,
    /// The backlog starts here (Loki sends the newest `limit` lines since).
    pub start: Nanos,
    /// The most lines of the backlog.
    pub limit: u32,
}

/// What a tail tells, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TailEvent {
    /// Lines of one frame, oldest first, made safe like query_range's.
    Lines(Vec<LogLine>),
    /// Loki's `dropped_entries` in a frame: how many lines it could not send.
    Dropped(u64),
    /// The socket closed or failed (or a frame could not be read, or was too
    /// large); trying again after `after`, from the last line's time.
    Reconnecting {
        attempt: u32,
        after: Duration,
        error: BackendError,
    },
    /// (Re)connected.
    Live,
}

/// One text frame, read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TailFrame {
    /// Oldest first.
    pub lines: Vec<LogLine>,
    /// How many lines Loki says it dropped.
    pub dropped: u64,
}

#[derive(Deserialize)]
struct WireFrame {
    #[serde(default)]
    streams: Option<Vec<Stream>>,
    #[serde(default)]
    dropped_entries: Option<Vec<IgnoredAny>>,
}

/// Reads a tail frame into lines, oldest first, each cut of `secrets` and
/// made safe. Public so that tests and fuzz targets read frames as the
/// client does.
pub fn decode_tail_frame(body: &[u8], secrets: &Redactor) -> Result<TailFrame, Unreadable> {
    let frame: WireFrame =
        serde_json::from_slice(body).map_err(|e| Unreadable::Json(secrets.safe(&e.to_string())))?;
    let mut lines = stream_lines(frame.streams.unwrap_or_default(), secrets)?;
    // Stable: lines of equal time keep Loki's order.
    lines.sort_by_key(|l| l.timestamp);
    let dropped = frame.dropped_entries.map_or(0, |d| d.len() as u64);
    Ok(TailFrame { lines, dropped })
}

impl LokiClient {
    /// The lines of `query` as they arrive: `Live` once the socket is open,
    /// then `Lines` (and `Dropped`) per frame. A socket that closes or fails
    /// is opened again after a back-off (0.5 s doubling to 30 s, from 0.5 s
    /// again after a frame was read), told as `Reconnecting`, from the newest
    /// line's time; the lines Loki sends again at that instant are not sent
    /// twice. A frame that is not JSON, or larger than 16 MiB, is an error
    /// told in `Reconnecting` too: the socket is dropped and opened again.
    ///
    /// An `Err` is always the last item: Loki refused the tail for good (a
    /// query it cannot parse, credentials refused, its limit on concurrent
    /// tails, any other status but 429 and 502-504, which are tried again).
    /// Dropping the stream closes the socket.
    pub fn tail(&self, query: TailQuery) -> BoxStream<'static, Result<TailEvent, BackendError>> {
        let tail = Tail {
            client: self.clone(),
            cursor: query.start,
            query,
            socket: None,
            at_cursor: HashSet::new(),
            attempt: 0,
            wait: None,
            queued: VecDeque::new(),
            done: false,
        };
        futures::stream::unfold(tail, |mut tail| async move {
            let item = tail.next().await?;
            Some((item, tail))
        })
        .boxed()
    }
}

/// A line as the tail tells it from another at the same instant: its
/// labels but `detected_level` (which only the backlog carries), its text.
type LineKey = (Vec<(SafeText, SafeText)>, SafeText);

fn key(line: &LogLine) -> LineKey {
    let labels = (line.labels.0.iter())
        .filter(|(name, _)| name.as_str() != "detected_level")
        .cloned()
        .collect();
    (labels, line.line.clone())
}

struct Tail {
    client: LokiClient,
    query: TailQuery,
    socket: Option<WebSocket>,
    /// Where the next socket starts: the newest line's time.
    cursor: Nanos,
    /// The lines told at `cursor`, which Loki sends again from there.
    at_cursor: HashSet<LineKey>,
    /// Sockets lost since a frame was last read.
    attempt: u32,
    /// How long to wait before opening the next socket.
    wait: Option<Duration>,
    queued: VecDeque<TailEvent>,
    done: bool,
}

/// Why a socket could not be had, or was lost.
enum Lost {
    /// Try again.
    Again(BackendError),
    /// Try again now (Loki's routine close after `tail_max_duration`).
    Now(BackendError),
    /// Loki refused: the tail ends.
    Final(BackendError),
}

impl Tail {
    async fn next(&mut self) -> Option<Result<TailEvent, BackendError>> {
        loop {
            if let Some(event) = self.queued.pop_front() {
                return Some(Ok(event));
            }
            if self.done {
                return None;
            }
            let lost = match self.socket.as_mut() {
                None => match self.open().await {
                    Ok(socket) => {
                        self.socket = Some(socket);
                        return Some(Ok(TailEvent::Live));
                    }
                    Err(lost) => lost,
                },
                Some(socket) => match tokio::time::timeout(SILENCE, socket.next()).await {
                    Err(_) => Lost::Again(self.silent()),
                    Ok(None) => Lost::Again(self.closed(1006, None)),
                    Ok(Some(Err(e))) => Lost::Again(self.broken(&e)),
                    Ok(Some(Ok(message))) => match self.read(message) {
                        Ok(()) => continue,
                        Err(lost) => lost,
                    },
                },
            };
            return Some(self.lose(lost));
        }
    }

    /// The socket is dropped; the tail ends, or says when it tries again.
    fn lose(&mut self, lost: Lost) -> Result<TailEvent, BackendError> {
        self.socket = None;
        let (error, now) = match lost {
            Lost::Final(error) => {
                self.done = true;
                return Err(error);
            }
            Lost::Again(error) => (error, false),
            Lost::Now(error) => (error, true),
        };
        self.attempt = self.attempt.saturating_add(1);
        let after = if now {
            Duration::ZERO
        } else {
            backoff(self.attempt, fastrand::f64())
        };
        self.wait = Some(after);
        Ok(TailEvent::Reconnecting {
            attempt: self.attempt,
            after,
            error,
        })
    }

    async fn open(&mut self) -> Result<WebSocket, Lost> {
        if let Some(wait) = self.wait.take() {
            tokio::time::sleep(wait).await;
        }
        let params = [
            ("query", self.query.logql.clone()),
            ("start", self.cursor.to_string()),
            ("limit", self.query.limit.to_string()),
        ];
        let http = &self.client.http;
        // A server that takes the connection and never answers is one that
        // went silent.
        let asked = tokio::time::timeout(SILENCE, http.upgrade("loki/api/v1/tail", &params));
        match asked.await {
            Err(_) => Err(Lost::Again(self.silent())),
            Ok(Ok(Upgrade::Socket(socket))) => Ok(socket),
            Ok(Ok(Upgrade::Refused(answer))) => Err(self.refused(&answer)),
            // A bad URL, or a refusal of the API server's own (RBAC, no
            // such service), will not pass; a connection that failed, or
            // a service with no ready endpoints yet (503), may.
            Ok(Err(e))
                if e.kind == ErrorKind::Config || e.status.is_some_and(|s| !is_transient(s)) =>
            {
                Err(Lost::Final(e))
            }
            Ok(Err(e)) => Err(Lost::Again(e)),
        }
    }

    /// Loki answered instead of switching: "not now" is tried again, any
    /// other answer ends the tail, in Loki's words.
    fn refused(&self, answer: &Answer) -> Lost {
        let http = &self.client.http;
        if is_transient(answer.status) {
            let words = server_words(answer, http.redactor());
            return Lost::Again(http.answer_error(answer, ErrorKind::Http, words));
        }
        Lost::Final(http.status_error(answer))
    }

    /// Handles one message: a frame's events are queued.
    fn read(&mut self, message: Message) -> Result<(), Lost> {
        let body = match &message {
            Message::Text(text) => text.as_bytes(),
            Message::Binary(bytes) => bytes,
            Message::Close(frame) => {
                let (code, reason) = frame
                    .as_ref()
                    .map_or((1005, ""), |f| (u16::from(f.code), f.reason.as_str()));
                return Err(self.close(code, reason));
            }
            Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => return Ok(()),
        };
        let http = &self.client.http;
        let frame = decode_tail_frame(body, http.redactor())
            .map_err(|why| Lost::Again(http.decode_error(Part::LokiAnswer, why)))?;
        self.attempt = 0;
        let lines = self.fresh(frame.lines);
        if !lines.is_empty() {
            self.queued.push_back(TailEvent::Lines(lines));
        }
        if frame.dropped > 0 {
            self.queued.push_back(TailEvent::Dropped(frame.dropped));
        }
        Ok(())
    }

    /// The lines not told yet: a line at the cursor's instant that was told
    /// already is Loki's backlog sending it again. The cursor moves to the
    /// newest line.
    fn fresh(&mut self, lines: Vec<LogLine>) -> Vec<LogLine> {
        let mut fresh = Vec::with_capacity(lines.len());
        for line in lines {
            if line.timestamp > self.cursor {
                self.cursor = line.timestamp;
                self.at_cursor.clear();
            }
            // Lines older than the cursor are late lines of another stream:
            // Loki's backlog starts at the cursor, so they are new.
            if line.timestamp < self.cursor || self.at_cursor.insert(key(&line)) {
                fresh.push(line);
            }
        }
        fresh
    }

    /// Loki closed the socket: its limit on tails ends the tail; its routine
    /// close after `tail_max_duration` is opened again at once; anything
    /// else after the back-off.
    fn close(&self, code: u16, reason: &str) -> Lost {
        let error = self.closed(code, Some(reason));
        if reason.contains("max concurrent tail requests limit exceeded") {
            Lost::Final(error)
        } else if reason.contains("reached tail max duration limit") {
            Lost::Now(error)
        } else {
            Lost::Again(error)
        }
    }

    fn closed(&self, code: u16, reason: Option<&str>) -> BackendError {
        let http = &self.client.http;
        let reason = reason
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(|r| http.redactor().safe(r));
        http.fail(ErrorKind::Http, Problem::SocketClosed { code, reason })
    }

    fn broken(&self, e: &WsError) -> BackendError {
        let http = &self.client.http;
        match e {
            WsError::Capacity(CapacityError::MessageTooLong { .. }) => {
                let limit = MAX_MESSAGE_BYTES as u64;
                http.fail(
                    ErrorKind::TooLarge,
                    Problem::TooLarge(TooLarge::Read { limit }),
                )
            }
            WsError::ConnectionClosed | WsError::AlreadyClosed => self.closed(1006, None),
            e => {
                let cause = http.redactor().safe(&e.to_string());
                let problem = Problem::Transport {
                    failure: Transport::Broken,
                    to: "the live tail".to_owned(),
                    cause,
                };
                http.fail(ErrorKind::Decode, problem)
            }
        }
    }

    fn silent(&self) -> BackendError {
        let problem = Problem::NoAnswerWithin {
            after: SILENCE,
            still_asking: true,
        };
        self.client.http.fail(ErrorKind::Timeout, problem)
    }
}

/// The wait before attempt `attempt + 1`: half the ceiling for sure, the
/// other half by chance, so clients that lost Loki together do not come
/// back together. `jitter` is in [0, 1).
fn backoff(attempt: u32, jitter: f64) -> Duration {
    let doubling = 2u32.saturating_pow(attempt.saturating_sub(1).min(16));
    let ceiling = FIRST_WAIT.saturating_mul(doubling).min(LONGEST_WAIT);
    ceiling / 2 + ceiling.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_to_the_cap() {
        assert_eq!(backoff(1, 0.0), Duration::from_millis(250));
        assert_eq!(backoff(1, 0.999_999).as_millis(), 499);
        assert_eq!(backoff(2, 0.0), Duration::from_millis(500));
        assert_eq!(backoff(7, 0.0), Duration::from_secs(15));
        assert_eq!(backoff(40, 0.0), Duration::from_secs(15));
        assert!(backoff(40, 0.999) <= LONGEST_WAIT);
    }

    #[test]
    fn frames_without_streams_or_with_dropped_entries_read() {
        let frame = br#"{"dropped_entries":[{"labels":{"app":"a"},"timestamp":"5"},{"labels":{},"timestamp":"6"}]}"#;
        let read = decode_tail_frame(frame, &Redactor::default());
        assert_eq!(
            read.ok(),
            Some(TailFrame {
                lines: Vec::new(),
                dropped: 2
            })
        );
        assert!(decode_tail_frame(b"not json", &Redactor::default()).is_err());
    }
}
