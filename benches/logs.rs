//! The logs view's budgets from issue 15 (see BENCHMARKS.md, "logs: live,
//! volume, merged"):
//! - following: one second of a tail at 50,000 lines a second (100 frames
//!   of 500 lines into a full buffer) with the ten frames drawn that the
//!   loop allows in a second, which must take well under a second; and
//!   the client reading that second's frames;
//! - the volume histogram: a frame of a Loki view with it and without it;
//! - one-row scroll in a view of 100,000 lines merged from 50 pods.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use support::{draw, terminal};
use triage::app::loadable::Loadable;
use triage::app::target::PodPick;
use triage::app::views::logs::{Bars, VolumePanel};
use triage::app::{self, Action, Effect, Msg, Settings, State, Target, View};
use triage_core::backend::cluster::PodLogRequest;
use triage_core::backend::loki::{TailEvent, decode_tail_frame};
use triage_core::domain::log_summary::Volume;
use triage_core::domain::{Labels, Level, LogLine, PodKey, SafeText, TimeRange};

const NOW: i64 = 1_795_288_921_000_000_000;
const BUFFER: usize = 100_000;

fn state() -> State {
    let settings = Settings {
        utc: true,
        log_buffer: BUFFER,
        ..Settings::default()
    };
    State::new(settings, support::WIDTH, support::HEIGHT, NOW)
}

fn lines(labels: &Arc<Labels>, from: usize, count: usize, at: i64) -> Vec<LogLine> {
    (from..from + count)
        .map(|n| LogLine {
            timestamp: at + n as i64 * 1_000,
            labels: Arc::clone(labels),
            line: SafeText::new(&format!(
                r#"{{"level":"info","msg":"request served","http":{{"status":200}},"traceId":"4bf92f3577b34da6a3ce929d0e0e{:04x}","n":{n}}}"#,
                n % 0xffff
            )),
        })
        .collect()
}

fn request_id(effects: &[Effect], kind: fn(&Effect) -> bool) -> app::RequestId {
    match effects
        .iter()
        .find(|e| kind(e))
        .and_then(Effect::request_id)
    {
        Some(id) => id,
        None => panic!("no such effect in {effects:?}"),
    }
}

fn follow(c: &mut Criterion) {
    let mut state = state();
    let _ = app::update(
        &mut state,
        Msg::Open(Target::Logs(r#"{app="api"}"#.into())),
        NOW,
    );
    let effects = app::update(&mut state, Msg::Action(Action::Follow), NOW);
    let id = request_id(&effects, |e| matches!(e, Effect::TailLogs { .. }));
    let labels = Arc::new(Labels::from_pairs([("app", "api"), ("pod", "api-0")]));
    let mut next = 0;
    let mut frame = |state: &mut State, count: usize| {
        let batch = lines(&labels, next, count, NOW);
        next += count;
        let event = Ok(TailEvent::Lines(batch));
        black_box(app::update(state, Msg::Tailed { id, event }, NOW));
    };
    // The buffer full first: memory stays where it is from then on.
    for _ in 0..BUFFER / 500 {
        frame(&mut state, 500);
    }
    let mut terminal = terminal();
    let mut group = c.benchmark_group("logs: follow");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.bench_function("one second at 50,000 lines/s, 10 frames drawn", |b| {
        b.iter(|| {
            for i in 0..100 {
                frame(&mut state, 500);
                if i % 10 == 9 {
                    draw(&mut terminal, &state);
                }
            }
        })
    });
    // What the client does first with the same second: read the frames.
    let frames: Vec<String> = (0..100)
        .map(|f| {
            let streams: Vec<String> = (0..500)
                .map(|i| {
                    let n = f * 500 + i;
                    format!(
                        r#"{{"stream":{{"app":"api","pod":"api-0"}},"values":[["{}","{{\"level\":\"info\",\"msg\":\"request served\",\"n\":{n}}}"]]}}"#,
                        NOW + n as i64
                    )
                })
                .collect();
            format!(r#"{{"streams":[{}]}}"#, streams.join(","))
        })
        .collect();
    let secrets = triage_core::secret::Redactor::default();
    group.bench_function(
        "one second at 50,000 lines/s, the tail's frames read",
        |b| {
            b.iter(|| {
                for frame in &frames {
                    let read = decode_tail_frame(frame.as_bytes(), &secrets);
                    assert!(read.is_ok_and(|f| f.lines.len() == 500));
                }
            })
        },
    );
    group.finish();
}

/// A Loki view of 10,000 lines, its volume over an hour by level.
fn volume_state(with_volume: bool) -> State {
    let mut state = state();
    let effects = app::update(
        &mut state,
        Msg::Open(Target::Logs(r#"{app="api"}"#.into())),
        NOW,
    );
    let page = request_id(&effects, |e| matches!(e, Effect::FetchLogs { .. }));
    let labels = Arc::new(Labels::from_pairs([("app", "api")]));
    let mut page_lines = lines(&labels, 0, 10_000, NOW - 3_600_000_000_000);
    page_lines.reverse();
    let _ = app::update(
        &mut state,
        Msg::LogsLoaded {
            id: page,
            result: Ok(page_lines),
        },
        NOW,
    );
    let Some(View::Logs(view)) = state.views.last_mut() else { panic!("no logs view") };
    view.volume = with_volume.then(|| {
        let range = TimeRange::last(Duration::from_secs(3600), NOW);
        let step = Duration::from_secs(18);
        let points = |scale: u64| -> Vec<(i64, u64)> {
            (1..=200)
                .map(|i| {
                    (
                        range.start + i * 18_000_000_000,
                        (i as u64 * 7919 % 97) * scale,
                    )
                })
                .collect()
        };
        let volume = Volume {
            range,
            step,
            series: vec![
                (Level::Info, points(10)),
                (Level::Warn, points(2)),
                (Level::Error, points(1)),
            ],
        };
        VolumePanel {
            load: Loadable::Ready(Bars::new(&volume, 200)),
            bar: None,
        }
    });
    state
}

fn volume(c: &mut Criterion) {
    let mut group = c.benchmark_group("logs: frame 200x50 of a Loki view");
    for (name, with) in [("with the volume histogram", true), ("without it", false)] {
        let state = volume_state(with);
        let mut terminal = terminal();
        group.bench_function(name, |b| b.iter(|| draw(&mut terminal, black_box(&state))));
    }
    group.finish();
}

fn merged_scroll(c: &mut Criterion) {
    let mut state = state();
    let requests: Vec<PodLogRequest> = (0..50)
        .map(|p| PodLogRequest {
            pod: PodKey::parse("shop", &format!("api-{p}")).unwrap_or_else(|| panic!("a name")),
            container: "api".into(),
            previous: false,
            follow: true,
            since: None,
        })
        .collect();
    let target = Target::MergedLogs {
        context: None,
        pods: PodPick::Containers(requests),
    };
    let effects = app::update(&mut state, Msg::Open(target), NOW);
    let id = request_id(&effects, |e| matches!(e, Effect::StreamPodLogs { .. }));
    // 2,000 lines from each of 50 pods, in batches that interleave in time.
    for round in 0..20 {
        for stream in 0..50 {
            let labels = Arc::new(Labels::from_pairs([
                ("namespace", "shop"),
                ("pod", &format!("api-{stream}")),
                ("container", "api"),
            ]));
            let batch = lines(&labels, round * 100, 100, NOW + stream as i64 * 7);
            black_box(app::update(
                &mut state,
                Msg::PodLogs {
                    id,
                    stream,
                    result: Ok(batch),
                },
                NOW,
            ));
        }
    }
    let Some(View::Logs(view)) = state.views.last_mut() else { panic!("no logs view") };
    assert_eq!(view.rows.len(), 100_000);
    view.cursor.selected = 50_000;
    view.cursor.top = 49_990;
    let mut terminal = terminal();
    draw(&mut terminal, &state);
    let mut down = true;
    c.bench_function(
        "logs: one-row scroll + frame 200x50, 100,000 lines merged from 50 pods",
        |b| {
            b.iter(|| {
                let action = if down { Action::Down } else { Action::Up };
                down = !down;
                black_box(app::update(&mut state, Msg::Action(action), NOW));
                draw(&mut terminal, &state);
            })
        },
    );
}

criterion_group!(benches, follow, volume, merged_scroll);
criterion_main!(benches);
