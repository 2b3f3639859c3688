//! What went wrong in the shop's pods before the demo began, shared by the
//! Loki streams (what the containers wrote) and the Kubernetes API (what
//! the kubelet reported): postgres-0 was OOM-killed twice, the second time
//! as the error burst in `metrics.rs` begins, and a second auth replica
//! has been crash-looping on a bad config since it was scaled up.

use triage_core::domain::Nanos;
use triage_core::domain::time::NANOS_PER_SEC;

pub const SECOND: Nanos = NANOS_PER_SEC;
pub const MINUTE: Nanos = 60 * SECOND;

/// How long before `now` postgres-0's containers were OOM-killed, oldest
/// first; the last one is when the burst of failing requests starts.
pub const OOM_KILLS_AGO: [Nanos; 2] = [38 * MINUTE, 20 * MINUTE];
/// The kubelet starts a dead container again about this long after.
pub const RESTART_DELAY: Nanos = 10 * SECOND;

/// The crash-looping pod: a replica of auth that reads a ConfigMap edited
/// after the other replica started, so only it sees the bad value.
pub const CRASHLOOP_POD: &str = "auth-6f7c8d9b5-h8vcz";
pub const CRASHLOOP_AGE: Nanos = 50 * MINUTE;
/// How long the crash-looping container lives before it exits.
pub const CRASH_AFTER: Nanos = 2 * SECOND + 400 * 1_000_000;
/// The kubelet's back-off between restarts: 10 s, doubling, at most 5 min.
const BACKOFF_FIRST: Nanos = 10 * SECOND;
const BACKOFF_MAX: Nanos = 5 * MINUTE;

const MS: Nanos = 1_000_000;

/// When the crash-looping container's past runs started, oldest first; each
/// ended `CRASH_AFTER` later, before `now`.
pub fn crash_starts(now: Nanos) -> Vec<Nanos> {
    let mut starts = Vec::new();
    // The first start waited for the image to be pulled.
    let mut start = now - CRASHLOOP_AGE + 20 * SECOND;
    let mut backoff = BACKOFF_FIRST;
    while start + CRASH_AFTER <= now {
        starts.push(start);
        start += CRASH_AFTER + backoff;
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    starts
}

/// What the crash-looping container writes as it starts at `start`.
pub fn crash_startup_lines(start: Nanos) -> Vec<(Nanos, String)> {
    vec![
        (
            start + 40 * MS,
            "level=info msg=\"starting auth\" version=1.14.2 commit=3f9c2ab".into(),
        ),
        (
            start + 45 * MS,
            "level=info msg=\"loading config\" path=/etc/auth/config.yaml".into(),
        ),
    ]
}

/// What it writes just before it exits with code 1 at `end`.
pub fn crash_death_lines(end: Nanos) -> Vec<(Nanos, String)> {
    vec![
        (
            end - 3 * MS,
            "level=error msg=\"config check failed\" key=token_ttl value=15mins".into(),
        ),
        (
            end - 2 * MS,
            "level=fatal msg=\"invalid config: token_ttl: time: unknown unit \\\"mins\\\" in duration \\\"15mins\\\"\"".into(),
        ),
    ]
}

/// Every line the crash-looping pod wrote before `now`.
pub fn crashloop_lines(now: Nanos) -> Vec<(Nanos, String)> {
    crash_starts(now)
        .into_iter()
        .flat_map(|start| {
            let mut lines = crash_startup_lines(start);
            lines.extend(crash_death_lines(start + CRASH_AFTER));
            lines
        })
        .collect()
}

/// postgres-0's lines around its OOM kills: out-of-memory errors just
/// before each kill, then crash recovery in the next container.
pub fn postgres_oom_lines(now: Nanos) -> Vec<(Nanos, String)> {
    let statement =
        "STATEMENT:  SELECT a.id, a.title FROM articles a ORDER BY a.id DESC LIMIT 20 OFFSET 0";
    let mut lines = Vec::new();
    for ago in OOM_KILLS_AGO {
        let killed = now - ago;
        lines.push((killed - 3 * SECOND, "ERROR:  out of memory".to_owned()));
        lines.push((
            killed - 3 * SECOND,
            "DETAIL:  Failed on request of size 262144 in memory context \"HashBatchContext\"."
                .to_owned(),
        ));
        lines.push((killed - 3 * SECOND, statement.to_owned()));
        let started = killed + RESTART_DELAY;
        let recovery = [
            "PostgreSQL Database directory appears to contain a database; Skipping initialization",
            "LOG:  starting PostgreSQL 16.4 (Debian 16.4-1.pgdg120+1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit",
            "LOG:  listening on IPv4 address \"0.0.0.0\", port 5432",
            "LOG:  database system was not properly shut down; automatic recovery in progress",
            "LOG:  redo starts at 0/3A1F2B8",
            "LOG:  redo done at 0/3B04C10 system usage: CPU: user: 0.02 s, system: 0.01 s, elapsed: 0.04 s",
            "LOG:  checkpoint starting: end-of-recovery immediate wait",
            "LOG:  database system is ready to accept connections",
        ];
        for (i, line) in recovery.into_iter().enumerate() {
            lines.push((started + 200 * MS + i as Nanos * 30 * MS, line.to_owned()));
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_crash_loop_backs_off_up_to_five_minutes_and_ends_before_now() {
        let now = 1_800_000_000 * SECOND;
        let starts = crash_starts(now);
        assert!(starts.len() >= 10, "{}", starts.len());
        let gaps: Vec<Nanos> = starts.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(gaps[0], CRASH_AFTER + 10 * SECOND);
        assert_eq!(gaps.last(), Some(&(CRASH_AFTER + BACKOFF_MAX)));
        assert!(starts.iter().all(|s| s + CRASH_AFTER <= now));
    }
}
