//! Any Loki answer through every decoder the client has: query_range's
//! streams, a live tail's frame, log patterns (the volume is a metric
//! answer, read by the Prometheus decoder the `prometheus` target runs). What
//! each gives to be drawn is safe.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::backend::loki::{decode_patterns, decode_streams, decode_tail_frame};
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    let secrets = Redactor::default();
    for line in decode_streams(data, &secrets).unwrap_or_default() {
        assert_safe(&line.line);
    }
    for line in decode_tail_frame(data, &secrets).map_or_else(|_| Vec::new(), |f| f.lines) {
        assert_safe(&line.line);
    }
    for pattern in decode_patterns(data, &secrets).unwrap_or_default() {
        assert_safe(&pattern.pattern);
    }
});
