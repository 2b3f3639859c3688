//! The services budgets from issue 17 (see BENCHMARKS.md): 500 services x
//! 20 operations of span metrics (10,000 rows of four lines of 30 points):
//! rows assembled from the answers + the view's first frame at 200x50; a
//! one-row scroll; and the graph of 50 services laid out.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::time::Duration;
use support::{HEIGHT, WIDTH, draw, terminal};
use triage::app::{self, Action, Effect, Msg, Settings, State, Target};
use triage_core::correlate::red::{self, Edge, RedAnswers, SpanMetricNames};
use triage_core::domain::{Labels, Point, Series};

const SERVICES: usize = 500;
const OPERATIONS: usize = 20;
const POINTS: usize = 30;
const NOW: i64 = 1_795_288_921_000_000_000;

fn answer(scale: f64) -> Vec<Series> {
    (0..SERVICES * OPERATIONS)
        .map(|i| {
            let service = format!("service-{:03}", i / OPERATIONS);
            let operation = format!("GET /route/{}", i % OPERATIONS);
            Series {
                labels: Labels::from_pairs([("service", service), ("span_name", operation)]),
                points: (0..POINTS)
                    .map(|p| Point {
                        time: NOW - (POINTS - p) as i64 * 60_000_000_000,
                        value: scale * ((i * 7 + p * 13) % 100) as f64,
                    })
                    .collect(),
            }
        })
        .collect()
}

/// The services view, opened: the request it waits for.
fn opened() -> (State, app::RequestId) {
    let mut state = State::new(Settings::default(), WIDTH, HEIGHT, NOW);
    let effects = app::update(&mut state, Msg::Open(Target::Services(None)), NOW);
    let id = effects
        .iter()
        .find_map(|e| match e {
            Effect::FetchRed { id, .. } => Some(*id),
            _ => None,
        })
        .unwrap_or_else(|| panic!("the view asks for its rows"));
    (state, id)
}

/// The rows arrive for the request the view waits for.
fn loaded(state: &mut State, id: app::RequestId, rows: Vec<red::RedRow>) {
    let answer = Msg::RedLoaded {
        id,
        result: Ok(rows),
        unrated: false,
    };
    let _ = app::update(state, answer, NOW);
}

fn services(c: &mut Criterion) {
    let names = SpanMetricNames::tempo();
    let answers = || RedAnswers {
        rate: answer(1.0),
        errors: answer(0.01),
        p50: answer(0.001),
        p99: answer(0.01),
    };
    let mut terminal = terminal();
    c.bench_function(
        "services 500x20: rows from the answers + first frame",
        |b| {
            b.iter_batched(
                || (answers(), opened()),
                |(answers, (mut state, id))| {
                    let rows = red::red_rows(&names, &answers);
                    loaded(&mut state, id, rows);
                    draw(&mut terminal, &state);
                },
                criterion::BatchSize::LargeInput,
            )
        },
    );
    let (mut state, id) = opened();
    let rows = red::red_rows(&names, &answers());
    loaded(&mut state, id, rows);
    c.bench_function("services 500x20: one-row scroll (update + frame)", |b| {
        let mut down = true;
        b.iter(|| {
            let action = if down { Action::Down } else { Action::Up };
            down = !down;
            let _ = app::update(&mut state, Msg::Action(action), NOW);
            draw(&mut terminal, &state);
        })
    });
    // 50 services, each calling the next three: a layered graph.
    let edges: Vec<Edge> = (0..50)
        .flat_map(|i| (1..=3).map(move |j| (i, (i + j) % 50)))
        .map(|(i, j)| Edge {
            client: format!("service-{i:02}"),
            server: format!("service-{j:02}"),
            rate: 1.0,
            error_ratio: Some(if (i + j) % 7 == 0 { 0.1 } else { 0.0 }),
            p99: 0.2,
        })
        .collect();
    c.bench_function("service graph, 50 services: laid out", |b| {
        b.iter(|| red::graph_lines(&edges))
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = services
}
criterion_main!(benches);
