//! Inside a big trace (see BENCHMARKS.md, "inside a big trace"): on the
//! 100,000-span trace `triage_demo::big_trace` makes, the critical path,
//! the statistics, a filter keystroke and a one-row scroll (update and
//! frame at 200x50); the scroll again on 1,000,000 spans.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use support::{HEIGHT, WIDTH, draw, terminal};
use triage::app::views::trace::{TraceModel, TraceView};
use triage::app::{self, Action, Msg, Settings, State, View};
use triage_core::backend::otlp_json::Decoded;
use triage_core::backend::otlp_proto::{Shape, decode_trace};
use triage_core::correlate::{Waterfall, critical_path, statistics};
use triage_core::domain::Trace;
use triage_core::secret::Redactor;
use triage_demo::big_trace::big_trace;

fn trace(spans: usize) -> Trace {
    let made = big_trace(spans, 42);
    match decode_trace(made.id, &made.body, Shape::Response, &Redactor::default()) {
        Ok(Decoded::Found(trace)) => trace,
        _ => panic!("the generated trace did not decode"),
    }
}

/// The trace open in the view, the cursor in the middle of it.
fn state_with(trace: Trace) -> State {
    let mut state = State::new(Settings::default(), WIDTH, HEIGHT, 0);
    let middle = trace.spans.len() / 2;
    state.views.push(View::Trace(TraceView::ready(trace)));
    for action in [Action::PageDown; 1].into_iter().cycle().take(middle / 40) {
        app::update(&mut state, Msg::Action(action), 0);
    }
    state
}

fn model(state: &mut State) -> &mut TraceModel {
    match state.views.last_mut() {
        Some(View::Trace(view)) => match &mut view.load {
            app::Loadable::Ready(model) => model,
            _ => panic!("not loaded"),
        },
        _ => panic!("not the trace view"),
    }
}

fn inside(c: &mut Criterion) {
    let big = trace(100_000);
    let waterfall = Waterfall::new(&big);
    c.bench_function("trace 100k: critical path", |b| {
        b.iter(|| black_box(critical_path(&big, &waterfall)))
    });
    c.bench_function("trace 100k: statistics", |b| {
        b.iter(|| black_box(statistics(&big, &waterfall)))
    });
    let mut state = state_with(big.clone());
    // The first keystroke builds the search text once; the ones measured
    // are those after it, alternating so that each one changes the filter.
    model(&mut state).set_filter(|f| f.set_text("postgres"));
    let mut flip = false;
    c.bench_function("trace 100k: a filter keystroke", |b| {
        b.iter(|| {
            flip = !flip;
            let text = if flip { "postgres sel" } else { "postgres se" };
            model(&mut state).set_filter(|f| f.set_text(text));
            black_box(model(&mut state).match_count)
        })
    });
    for (label, trace) in [("100k", big), ("1M", trace(1_000_000))] {
        let mut state = state_with(trace);
        let mut terminal = terminal();
        let mut down = true;
        c.bench_function(
            &format!("trace {label}: one-row scroll + frame 200x50"),
            |b| {
                b.iter(|| {
                    down = !down;
                    let action = if down { Action::Down } else { Action::Up };
                    app::update(&mut state, Msg::Action(action), 0);
                    draw(&mut terminal, &state);
                })
            },
        );
    }
}

criterion_group!(benches, inside);
criterion_main!(benches);
