//! The metrics budget from issue 3 (see BENCHMARKS.md): a range query
//! answer of 50 series x 2,000 points, fetched over loopback and decoded
//! by the real client, then the first chart frame at 200x50; and the
//! redraw after the cursor moves one exemplar.

mod support;

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::json;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;
use support::{HEIGHT, WIDTH, draw, terminal};
use triage::app::views::metrics::{MetricSource, MetricsModel, MetricsView};
use triage::app::{self, Action, Msg, Settings, State};
use triage::app::{Loadable, View};
use triage_core::backend::{Endpoint, PrometheusClient};
use triage_core::domain::time::NANOS_PER_SEC;
use triage_core::domain::{Exemplar, Labels, TimeRange};

const SERIES: usize = 50;
const POINTS: usize = 2_000;
const START: i64 = 1_795_280_000;

/// Prometheus's answer: `SERIES` series of `POINTS` points, a second apart.
fn range_answer() -> String {
    let result: Vec<_> = (0..SERIES)
        .map(|s| {
            let values: Vec<_> = (0..POINTS)
                .map(|i| {
                    let value = (s as f64 + 1.0) * (1.0 + (i as f64 / 50.0).sin());
                    json!([START as f64 + i as f64, value.to_string()])
                })
                .collect();
            json!({ "metric": { "pod": format!("api-{s}"), "code": "200" }, "values": values })
        })
        .collect();
    json!({ "status": "success", "data": { "resultType": "matrix", "result": result } }).to_string()
}

/// Serves the answer on loopback; returns the URL.
fn serve(runtime: &tokio::runtime::Runtime, body: String) -> String {
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.ok();
        let Some(listener) = listener else { panic!("no loopback port") };
        let url = format!(
            "http://{}",
            listener
                .local_addr()
                .map(|a| a.to_string())
                .unwrap_or_default()
        );
        let body = Arc::new(body);
        let router = axum::Router::new().route(
            "/api/v1/query_range",
            axum::routing::get(move || {
                let body = Arc::clone(&body);
                async move { ([("content-type", "application/json")], (*body).clone()) }
            }),
        );
        tokio::spawn(async move { axum::serve(listener, router).await });
        url
    })
}

fn range() -> TimeRange {
    TimeRange {
        start: START * NANOS_PER_SEC,
        end: (START + POINTS as i64) * NANOS_PER_SEC,
    }
}

/// A loaded metrics view on screen, with an exemplar every 4 seconds.
fn metrics_state(series: Vec<triage_core::domain::Series>) -> State {
    let exemplar_series = Arc::new(Labels::from_pairs([("pod", "api-0")]));
    let exemplars: Vec<Exemplar> = (0..POINTS / 4)
        .map(|i| Exemplar {
            series: Arc::clone(&exemplar_series),
            labels: Labels::from_pairs([("trace_id", "651ca6325e6d780449e8af504f034ee5")]),
            value: 1.0,
            time: (START + 4 * i as i64) * NANOS_PER_SEC,
        })
        .collect();
    let dots = triage::app::layout::metrics_chart_dots(WIDTH);
    let model = MetricsModel::new(series, Vec::new(), Ok(exemplars), range(), dots);
    let view = MetricsView::new(
        MetricSource::Prometheus,
        "sum by (pod) (rate(x[1m]))".into(),
        Duration::from_secs(POINTS as u64),
        range().end,
        Loadable::Ready(model),
    );
    let mut state = State::new(Settings::default(), WIDTH, HEIGHT, range().end);
    state.views.push(View::Metrics(view));
    state
}

fn first_frame(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let url = serve(&runtime, range_answer());
    let client = PrometheusClient::new(&Endpoint::new(&url)).unwrap_or_else(|e| panic!("{e}"));
    c.bench_function(
        "metrics 50x2000: fetch (loopback) + decode + first frame 200x50",
        |b| {
            b.iter(|| {
                let answer =
                    runtime.block_on(client.query_range("x", range(), Duration::from_secs(1)));
                let Ok(answer) = answer else { panic!("query failed") };
                let state = metrics_state(answer.data);
                let mut terminal = terminal();
                draw(&mut terminal, &state);
                black_box(terminal);
            })
        },
    );
}

fn cursor_redraw(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let url = serve(&runtime, range_answer());
    let client = PrometheusClient::new(&Endpoint::new(&url)).unwrap_or_else(|e| panic!("{e}"));
    let answer = runtime.block_on(client.query_range("x", range(), Duration::from_secs(1)));
    let Ok(answer) = answer else { panic!("query failed") };
    let mut state = metrics_state(answer.data);
    let mut terminal = terminal();
    draw(&mut terminal, &state);
    let mut right = true;
    c.bench_function(
        "metrics 50x2000: cursor one exemplar + redraw 200x50",
        |b| {
            b.iter(|| {
                let action = if right { Action::Down } else { Action::Up };
                right = !right;
                let effects = app::update(&mut state, Msg::Action(action), range().end);
                draw(&mut terminal, &state);
                black_box(effects);
            })
        },
    );
}

criterion_group!(benches, first_frame, cursor_redraw);
criterion_main!(benches);
