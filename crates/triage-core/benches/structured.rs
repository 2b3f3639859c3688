//! Structured lines (see BENCHMARKS.md, "structured lines"): the fields of
//! 100,000 JSON lines and of 100,000 logfmt lines, about 200 bytes each,
//! shaped like a service's request logs (time, level, message, trace and
//! span ids, a nested `http` object in the JSON).

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use triage_core::domain::structured::parse;

const LINES: usize = 100_000;
const LEVELS: [&str; 4] = ["info", "debug", "warn", "error"];
const ROUTES: [&str; 3] = ["/api/articles", "/api/cart/items", "/api/users/42"];

fn json_line(i: usize) -> String {
    format!(
        r#"{{"ts":"2026-12-03T08:41:{:02}.{:06}Z","level":"{}","msg":"request finished","trace_id":"{:032x}","span_id":"{:016x}","http":{{"method":"GET","route":"{}","status":{}}},"ms":{}.{}}}"#,
        i % 60,
        i % 1_000_000,
        LEVELS[i % 4],
        i * 7919,
        i * 104_729,
        ROUTES[i % 3],
        if i % 50 == 0 { 500 } else { 200 },
        i % 900,
        i % 10,
    )
}

fn logfmt_line(i: usize) -> String {
    format!(
        r#"ts=2026-12-03T08:41:{:02}.{:06}Z level={} msg="request finished" trace_id={:032x} span_id={:016x} method=GET route={} status={} ms={}.{}"#,
        i % 60,
        i % 1_000_000,
        LEVELS[i % 4],
        i * 7919,
        i * 104_729,
        ROUTES[i % 3],
        if i % 50 == 0 { 500 } else { 200 },
        i % 900,
        i % 10,
    )
}

fn parse_all(lines: &[String]) -> usize {
    lines
        .iter()
        .filter_map(|line| parse(line))
        .map(|f| f.fields.len())
        .sum()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("structured lines");
    group.sample_size(20);
    for (name, line) in [
        ("100k json", json_line as fn(usize) -> String),
        ("100k logfmt", logfmt_line),
    ] {
        let lines: Vec<String> = (0..LINES).map(line).collect();
        let bytes: usize = lines.iter().map(String::len).sum();
        println!("{name}: {} bytes a line on average", bytes / LINES);
        assert!(parse_all(&lines) >= LINES * 8, "every line read");
        group.bench_function(name, |b| b.iter(|| parse_all(black_box(&lines))));
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
