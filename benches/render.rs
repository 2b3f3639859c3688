//! Budgets from the issues, measured (see BENCHMARKS.md):
//! - a 10,000-span trace: decode + lay out + first frame at 200x50;
//! - one-row scroll in a log view of 100,000 lines at 200x50, which must not
//!   depend on the number of lines (compared with 1,000).

mod support;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};
use std::hint::black_box;
use std::sync::Arc;
use support::{HEIGHT, WIDTH, draw, terminal};
use triage::app::View;
use triage::app::views::logs::{LogsView, Older};
use triage::app::views::trace::TraceView;
use triage::app::{self, Action, Msg, Settings, State};
use triage_core::backend::otlp_json::{Decoded, decode_trace};
use triage_core::correlate::DerivedFields;
use triage_core::domain::{Labels, LogLine, TimeRange, TraceId};
use triage_core::secret::Redactor;

/// A Tempo v2 answer with `spans` spans over 8 services, a few levels deep.
fn trace_body(spans: usize) -> Vec<u8> {
    let start: i64 = 1_795_288_537_504_293_832;
    let services: Vec<Value> = (0..8)
        .map(|service| {
            let list: Vec<Value> = (0..spans)
                .filter(|i| i % 8 == service)
                .map(|i| {
                    let parent = if i == 0 { None } else { Some((i - 1) / 4) };
                    let mut span = json!({
                        "traceId": STANDARD.encode([7u8; 16]),
                        "spanId": STANDARD.encode((i as u64 + 1).to_be_bytes()),
                        "name": format!("operation {i}"),
                        "kind": "SPAN_KIND_INTERNAL",
                        "startTimeUnixNano": (start + i as i64 * 1000).to_string(),
                        "endTimeUnixNano": (start + i as i64 * 1000 + 5_000_000).to_string(),
                        "attributes": [{ "key": "i", "value": { "intValue": i.to_string() } }],
                        "status": {},
                    });
                    if let Some(p) = parent {
                        span["parentSpanId"] = json!(STANDARD.encode((p as u64 + 1).to_be_bytes()));
                    }
                    span
                })
                .collect();
            json!({
                "resource": { "attributes": [{ "key": "service.name", "value": { "stringValue": format!("service-{service}") } }] },
                "scopeSpans": [{ "spans": list }],
            })
        })
        .collect();
    serde_json::to_vec(&json!({ "trace": { "resourceSpans": services } })).unwrap_or_default()
}

fn trace_first_frame(c: &mut Criterion) {
    let body = trace_body(10_000);
    let id = TraceId([7; 16]);
    c.bench_function(
        "trace 10k spans: decode + layout + first frame 200x50",
        |b| {
            b.iter(|| {
                let Ok(Decoded::Found(trace)) =
                    decode_trace(id, black_box(&body), &Redactor::default())
                else {
                    panic!("decode")
                };
                let mut state = State::new(Settings::default(), WIDTH, HEIGHT, 0);
                state.views.push(View::Trace(TraceView::ready(trace)));
                let mut terminal = terminal();
                draw(&mut terminal, &state);
                black_box(terminal);
            })
        },
    );
}

fn logs_state(lines: usize) -> State {
    let labels = Arc::new(Labels(vec![("pod".into(), "api-5c6b9d7f4-mz8wn".into())]));
    let page: Vec<LogLine> = (0..lines)
        .map(|i| LogLine {
            timestamp: 1_795_288_921_000_000_000 - i as i64 * 1_000_000,
            labels: Arc::clone(&labels),
            line: format!("level=info msg=\"request {i}\" trace_id=651ca6325e6d780449e8af504f034ee5 status=200").into(),
        })
        .collect();
    let mut view = LogsView::new(
        "{app=\"api\"}".into(),
        TimeRange {
            start: 0,
            end: i64::MAX,
        },
    );
    view.append(page, &DerivedFields::default());
    view.loaded = true;
    view.older = Older::Exhausted;
    view.cursor.selected = lines / 2;
    view.cursor.top = lines / 2 - 10;
    let mut state = State::new(
        Settings {
            utc: true,
            ..Settings::default()
        },
        WIDTH,
        HEIGHT,
        0,
    );
    state.views.push(View::Logs(view));
    state
}

fn logs_scroll(c: &mut Criterion) {
    let mut group = c.benchmark_group("logs: one-row scroll + frame 200x50");
    for lines in [1_000, 100_000] {
        let mut state = logs_state(lines);
        let mut terminal = terminal();
        draw(&mut terminal, &state);
        let mut down = true;
        group.bench_with_input(BenchmarkId::from_parameter(lines), &lines, |b, _| {
            b.iter(|| {
                let action = if down { Action::Down } else { Action::Up };
                down = !down;
                let effects = app::update(&mut state, Msg::Action(action), 0);
                draw(&mut terminal, &state);
                black_box(effects);
            })
        });
    }
    group.finish();
}

criterion_group!(benches, trace_first_frame, logs_scroll);
criterion_main!(benches);
