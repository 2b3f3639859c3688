//! A big generated trace (`triage_demo::big_trace`), for measuring what
//! opening it costs (see BENCHMARKS.md, "trace open (protobuf)"):
//!
//!     cargo run --release --example big_trace -- memory 100000
//!         decodes Tempo's protobuf answer of 100,000 spans, lets the
//!         answer go and lays out the waterfall, as the client and the
//!         app do; prints the bytes allocated at the peak, what the trace
//!         keeps, the process's peak resident size, and the times
//!     cargo run --release --example big_trace -- serve 100000
//!         serves it on loopback as Tempo would, for
//!         `triage trace <id> --tempo <url> --print` (stops after 10 minutes)
//!
//! One size per run: the allocator's peak cannot be reset.

use cap::Cap;
use std::alloc::System;
use std::time::{Duration, Instant};
use triage_core::backend::otlp_json::Decoded;
use triage_core::backend::otlp_proto::{Shape, decode_trace};
use triage_core::correlate::Waterfall;
use triage_core::secret::Redactor;
use triage_demo::big_trace::{BigTrace, big_trace, serve_as_tempo};

#[global_allocator]
static ALLOCATED: Cap<System> = Cap::new(System, usize::MAX);

const MB: f64 = 1024.0 * 1024.0;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let spans = args.get(1).and_then(|n| n.parse().ok()).unwrap_or(100_000);
    match args.first().map(String::as_str) {
        Some("memory") => memory(spans),
        Some("serve") => serve(big_trace(spans, 42)),
        _ => eprintln!("usage: big_trace memory|serve SPANS"),
    }
}

fn memory(spans: usize) {
    let base = ALLOCATED.allocated();
    let made = big_trace(spans, 42);
    let (id, mut body) = (made.id, made.body);
    // As the client holds it: a buffer of the answer's declared size.
    body.shrink_to_fit();
    let made_peak = ALLOCATED.max_allocated();
    let started = Instant::now();
    let Ok(Decoded::Found(trace)) = decode_trace(id, &body, Shape::Response, &Redactor::default())
    else {
        panic!("the generated trace does not decode");
    };
    let decoded = started.elapsed();
    let decode_peak = ALLOCATED.max_allocated();
    // The client lets the answer go once it is decoded.
    let size = body.len();
    drop(body);
    let started = Instant::now();
    let waterfall = Waterfall::new(&trace);
    let laid_out = started.elapsed();
    let peak = ALLOCATED.max_allocated();
    let kept = ALLOCATED.allocated() - base;
    println!("{spans} spans, answer {:.1} MiB", size as f64 / MB);
    println!(
        "  allocated at the peak: {:.1} MiB (decoding, the answer included: {:.1} MiB; making it: {:.1} MiB)",
        peak as f64 / MB,
        decode_peak as f64 / MB,
        made_peak as f64 / MB
    );
    println!("  decode {decoded:.2?}, waterfall {laid_out:.2?}");
    println!(
        "  kept by the trace and its waterfall: {:.1} MiB, {} bytes a span",
        kept as f64 / MB,
        kept / spans.max(1)
    );
    println!("  peak resident size of this process: {}", peak_rss());
    assert_eq!(waterfall.rows.len(), trace.spans.len());
}

/// `VmHWM` of /proc/self/status (Linux).
fn peak_rss() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:"));
    line.map_or_else(
        || "unknown".into(),
        |l| l.trim_start_matches("VmHWM:").trim().to_owned(),
    )
}

fn serve(made: BigTrace) {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(e) => panic!("runtime: {e}"),
    };
    runtime.block_on(async move {
        let (url, server) = match serve_as_tempo(made.body).await {
            Ok(served) => served,
            Err(e) => panic!("serve on loopback: {e}"),
        };
        println!("triage trace {} --tempo {url} --print", made.id);
        let _ = tokio::time::timeout(Duration::from_secs(600), server).await;
    });
}
