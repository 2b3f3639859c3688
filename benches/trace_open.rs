//! Opening a big trace by id as Tempo's protobuf (see BENCHMARKS.md,
//! "trace open (protobuf)"), from a loopback server serving the answer of
//! `triage_demo::big_trace`:
//! (a) a bare reqwest GET of the same bytes, what the network part costs;
//! (b) `TempoClient::trace` (fetch + decode) + `Waterfall::new`;
//! (c) the request to the trace view's first frame at 200x50.
//! 100,000 spans, and 1,000,000 with ten samples.

mod support;

use criterion::{BenchmarkId, Criterion, SamplingMode, criterion_group, criterion_main};
use std::time::Duration;
use support::{HEIGHT, WIDTH};
use tokio::runtime::Runtime;
use triage::app::views::trace::TraceView;
use triage::app::{Settings, State, View};
use triage_core::backend::{Endpoint, TempoClient};
use triage_core::correlate::Waterfall;
use triage_demo::big_trace::{big_trace, serve_as_tempo};

/// The big trace's answer served on loopback; the base URL.
fn serve(runtime: &Runtime, body: Vec<u8>) -> String {
    match runtime.block_on(serve_as_tempo(body)) {
        Ok((url, _server)) => url,
        Err(e) => panic!("serve on loopback: {e}"),
    }
}

fn trace_open(c: &mut Criterion) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("runtime: {e}"),
    };
    let mut group = c.benchmark_group("trace open (protobuf)");
    group.sampling_mode(SamplingMode::Flat);
    for spans in [100_000, 1_000_000] {
        let made = big_trace(spans, 42);
        let size = made.body.len();
        let url = serve(&runtime, made.body);
        let id = made.id;
        let (samples, time) = if spans >= 1_000_000 {
            (10, 60)
        } else {
            (20, 20)
        };
        group.sample_size(samples);
        group.measurement_time(Duration::from_secs(time));
        let label = format!("{spans} spans, {:.1} MB", size as f64 / 1e6);
        let http = reqwest::Client::new();
        let get_url = format!("{url}/api/v2/traces/{id}");
        group.bench_function(BenchmarkId::new("bare GET", &label), |b| {
            b.iter(|| {
                runtime.block_on(async {
                    let answer = http.get(&get_url).send().await;
                    let bytes = match answer {
                        Ok(answer) => answer.bytes().await,
                        Err(e) => Err(e),
                    };
                    assert_eq!(bytes.map(|b| b.len()).ok(), Some(size));
                })
            })
        });
        let client = match TempoClient::new(&Endpoint::new(&url)) {
            Ok(client) => client,
            Err(e) => panic!("client: {e}"),
        };
        group.bench_function(
            BenchmarkId::new("TempoClient::trace + Waterfall::new", &label),
            |b| {
                // Freeing the spans is closing the trace, not opening it: the
                // outputs are dropped outside the timing.
                b.iter_with_large_drop(|| {
                    let trace = match runtime.block_on(client.trace(id)) {
                        Ok(trace) => trace,
                        Err(e) => panic!("{e}"),
                    };
                    assert_eq!(trace.spans.len(), spans);
                    let waterfall = Waterfall::new(&trace);
                    (trace, waterfall)
                })
            },
        );
        // What the user waits for: the request, the view's model (waterfall,
        // critical path) and its first frame at 200x50.
        let mut terminal = support::terminal();
        group.bench_function(BenchmarkId::new("request to first frame", &label), |b| {
            b.iter_with_large_drop(|| {
                let trace = match runtime.block_on(client.trace(id)) {
                    Ok(trace) => trace,
                    Err(e) => panic!("{e}"),
                };
                let mut state = State::new(Settings::default(), WIDTH, HEIGHT, 0);
                state.views.push(View::Trace(TraceView::ready(trace)));
                support::draw(&mut terminal, &state);
                state
            })
        });
    }
    group.finish();
}

criterion_group!(benches, trace_open);
criterion_main!(benches);
