//! Memory stays bounded: a container log or a Loki query followed for a
//! long time keeps its newest `log_buffer` lines and no more; the bytes
//! allocated, counted by the allocator, stay flat. Alone in its binary, and
//! one test: the count is global.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

mod support;

use cap::Cap;
use std::alloc::System;
use std::sync::Arc;
use support::open_pod_logs;
use support::{logs_view, screen, state};
use triage::app::{self, Msg};
use triage_core::backend::cluster::PodLogRequest;
use triage_core::backend::loki::TailEvent;
use triage_core::domain::{Labels, LogLine, PodKey, SafeText};

#[global_allocator]
static ALLOCATED: Cap<System> = Cap::new(System, usize::MAX);

const BUFFER: usize = 20_000;
const BATCH: usize = 1_000;

/// One batch of a busy container's lines, as the stream delivers them.
fn batch(labels: &Arc<Labels>, first: usize) -> Vec<LogLine> {
    (first..first + BATCH)
        .map(|n| LogLine {
            timestamp: n as i64,
            labels: Arc::clone(labels),
            line: SafeText::new(&format!(
                "level=info msg=\"request served\" trace_id=4bf92f3577b34da6a3ce929d0e0e{:04x} n={n}",
                n % 0xffff
            )),
        })
        .collect()
}

#[test]
fn a_long_follow_keeps_memory_flat() {
    a_container_log();
    a_loki_query();
}

/// Feeds `total` lines, a batch at a time, in the messages `msg` makes.
fn feed(s: &mut app::State, from: usize, to: usize, msg: &dyn Fn(Vec<LogLine>) -> Msg) {
    let labels = Arc::new(Labels::from_pairs([("pod", "api-5c6b9d7f4-mz8wn")]));
    for first in (from..to).step_by(BATCH) {
        let now = s.now;
        let _ = app::update(s, msg(batch(&labels, first)), now);
    }
}

/// Fills the buffer past its size twice, then ten times as long again:
/// what is allocated then is no more than when the buffer was first full.
fn stays_flat(s: &mut app::State, msg: &dyn Fn(Vec<LogLine>) -> Msg) {
    feed(s, 0, 3 * BUFFER, msg);
    let full = ALLOCATED.allocated();
    feed(s, 3 * BUFFER, 33 * BUFFER, msg);
    let later = ALLOCATED.allocated();
    println!(
        "{full} bytes allocated with the buffer full, {later} after ten times as many lines again"
    );
    let view = logs_view(s);
    assert_eq!(view.rows.len(), BUFFER);
    assert!(
        later < full + full / 20,
        "grew from {full} to {later} bytes over {} more lines",
        30 * BUFFER
    );
}

/// A Loki query followed through its tail.
fn a_loki_query() {
    let mut s = state(120, 40);
    s.settings.log_buffer = BUFFER;
    let _ = support::open(&mut s, triage::app::Target::Logs(r#"{app="api"}"#.into()));
    let now = s.now;
    let effects = app::update(&mut s, Msg::Action(triage::app::Action::Follow), now);
    let id = effects[0].request_id().unwrap();
    // The tail brings lines after where it met the history (now).
    let tailed = |mut lines: Vec<LogLine>| {
        lines.iter_mut().for_each(|l| l.timestamp += now);
        Msg::Tailed {
            id,
            event: Ok(TailEvent::Lines(lines)),
        }
    };
    stays_flat(&mut s, &tailed);
    let text = screen(&s);
    assert!(
        text.contains(&format!("following, {BUFFER}/{BUFFER} lines")),
        "{text}"
    );
}

fn a_container_log() {
    let mut s = state(120, 40);
    s.settings.log_buffer = BUFFER;
    let request = PodLogRequest {
        pod: PodKey::parse("shop", "api-5c6b9d7f4-mz8wn").unwrap(),
        container: "api".into(),
        previous: false,
        follow: true,
        since: None,
    };
    let mut effects = Vec::new();
    open_pod_logs(&mut s, None, request, &mut effects);
    let id = effects[0].request_id().unwrap();
    let labels = Arc::new(Labels::from_pairs([("pod", "api-5c6b9d7f4-mz8wn")]));
    let follow = |s: &mut app::State, from: usize, to: usize| {
        for first in (from..to).step_by(BATCH) {
            let lines = batch(&labels, first);
            let _ = app::update(
                s,
                Msg::PodLogs {
                    id,
                    stream: 0,
                    result: Ok(lines),
                },
                s.now,
            );
        }
    };
    // Fill the buffer, and go past it twice so every growth has happened.
    follow(&mut s, 0, 3 * BUFFER);
    let full = ALLOCATED.allocated();
    // Then ten times as long again.
    follow(&mut s, 3 * BUFFER, 33 * BUFFER);
    let later = ALLOCATED.allocated();
    println!(
        "{full} bytes allocated with the buffer full, {later} after ten times as many lines again"
    );
    let view = logs_view(&s);
    assert_eq!(view.rows.len(), BUFFER);
    assert_eq!(view.dropped, (33 * BUFFER - BUFFER) as u64);
    assert!(
        later < full + full / 20,
        "grew from {full} to {later} bytes over {} more lines",
        30 * BUFFER
    );
    // The title says how full the buffer is and what it let go.
    let text = screen(&s);
    assert!(
        text.contains(&format!(
            "({BUFFER}/{BUFFER} lines, {} older dropped)",
            32 * BUFFER
        )),
        "{text}"
    );
}
