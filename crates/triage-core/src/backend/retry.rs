//! When a failed request is asked again, and after how long.
//!
//! Only failures that may pass are retried: a refused connection (a
//! port-forward restarting), 429 and 502-504 (a busy or restarting server).
//! Every other 4xx and 500 are answers: asking again would only make the
//! reader wait longer for the same words. Waits grow with jitter, so many
//! clients do not come back at once, and are capped; a `Retry-After` is
//! honoured when it is not longer than the cap, and said when it is.
//! The caller's deadline bounds the whole, and dropping the future cancels
//! a wait.

use super::{BackendError, ErrorKind};
use std::time::{Duration, SystemTime};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Requests in all, the first included.
    pub attempts: u32,
    /// The longest first wait; each later one may be twice the one before.
    pub base: Duration,
    /// No wait is longer, and a `Retry-After` past it is not waited for.
    pub cap: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 4,
            base: Duration::from_millis(250),
            cap: Duration::from_secs(5),
        }
    }
}

/// What one attempt ended in, as far as retrying cares.
pub enum Outcome {
    /// The server answered with this status and, maybe, a `Retry-After`.
    Answered {
        status: u16,
        retry_after: Option<Duration>,
    },
    Failed(ErrorKind),
}

impl Outcome {
    pub fn of_error(e: &BackendError) -> Outcome {
        match e.status {
            Some(status) => Outcome::Answered {
                status,
                retry_after: None,
            },
            None => Outcome::Failed(e.kind),
        }
    }
}

/// Statuses that say "not now" rather than "no".
pub fn is_transient(status: u16) -> bool {
    matches!(status, 429 | 502 | 503 | 504)
}

impl RetryPolicy {
    /// How long to wait before attempt `attempt + 1`, or none to give up.
    /// `jitter` is a number in [0, 1).
    pub fn wait(&self, attempt: u32, outcome: &Outcome, jitter: f64) -> Option<Duration> {
        if attempt >= self.attempts {
            return None;
        }
        match outcome {
            Outcome::Failed(ErrorKind::Unreachable) => Some(self.backoff(attempt, jitter)),
            Outcome::Answered {
                status,
                retry_after,
            } if is_transient(*status) => match retry_after {
                Some(asked) if *asked > self.cap => None,
                Some(asked) => Some(*asked),
                None => Some(self.backoff(attempt, jitter)),
            },
            _ => None,
        }
    }

    /// Half of the ceiling for sure, the other half by chance ("equal
    /// jitter"): never a hot loop, never all clients in step.
    fn backoff(&self, attempt: u32, jitter: f64) -> Duration {
        let doubling = 2u32.saturating_pow(attempt.saturating_sub(1));
        let ceiling = self.base.saturating_mul(doubling).min(self.cap);
        ceiling / 2 + ceiling.mul_f64(jitter.clamp(0.0, 1.0) / 2.0)
    }
}

/// A `Retry-After` header: seconds, or an HTTP date. A number too large
/// to hold is forever; a date past is now; anything else is no header.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.parse().map_or(Duration::MAX, Duration::from_secs));
    }
    let when: SystemTime = chrono::DateTime::parse_from_rfc2822(value).ok()?.into();
    Some(when.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answered(status: u16, retry_after: Option<u64>) -> Outcome {
        Outcome::Answered {
            status,
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let policy = RetryPolicy::default();
        for status in [429, 502, 503, 504] {
            assert!(policy.wait(1, &answered(status, None), 0.5).is_some());
        }
        for status in [200, 400, 401, 403, 404, 422, 500] {
            assert_eq!(policy.wait(1, &answered(status, None), 0.5), None);
        }
        assert!(
            policy
                .wait(1, &Outcome::Failed(ErrorKind::Unreachable), 0.5)
                .is_some()
        );
        for kind in [ErrorKind::Timeout, ErrorKind::Decode, ErrorKind::TooLarge] {
            assert_eq!(policy.wait(1, &Outcome::Failed(kind), 0.5), None);
        }
    }

    #[test]
    fn waits_grow_with_jitter_up_to_the_cap_then_stop() {
        let policy = RetryPolicy {
            attempts: 10,
            base: Duration::from_millis(100),
            cap: Duration::from_millis(800),
        };
        let busy = answered(503, None);
        let wait = |attempt, jitter| policy.wait(attempt, &busy, jitter);
        assert_eq!(wait(1, 0.0), Some(Duration::from_millis(50)));
        assert_eq!(wait(1, 0.999_999).map(|d| d.as_millis()), Some(99));
        assert_eq!(wait(3, 0.0), Some(Duration::from_millis(200)));
        assert_eq!(wait(9, 1.0), Some(Duration::from_millis(800)));
        assert_ne!(wait(2, 0.1), wait(2, 0.9), "jitter changes the wait");
        assert_eq!(wait(10, 0.5), None, "attempts are capped");
    }

    #[test]
    fn retry_after_is_honoured_unless_longer_than_the_cap() {
        let policy = RetryPolicy::default();
        assert_eq!(
            policy.wait(1, &answered(429, Some(2)), 0.5),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.wait(1, &answered(503, Some(3600)), 0.5), None);
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        let parse = |v| parse_retry_after(v, now);
        assert_eq!(parse("120"), Some(Duration::from_secs(120)));
        assert_eq!(parse(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse("99999999999999999999999"), Some(Duration::MAX));
        assert_eq!(
            parse("Sun, 06 Nov 1994 08:49:47 GMT"),
            Some(Duration::from_secs(10))
        );
        assert_eq!(parse("Sun, 06 Nov 1994 08:00:00 GMT"), Some(Duration::ZERO));
        assert_eq!(parse("soon"), None);
        assert_eq!(parse("-5"), None);
    }
}
