//! Loki's query_range answer, read as the client reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::backend::loki::decode_streams;
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    for line in decode_streams(data, &Redactor::default()).unwrap_or_default() {
        assert_safe(&line.line);
    }
});
