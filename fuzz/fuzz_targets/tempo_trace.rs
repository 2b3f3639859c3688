//! Tempo's trace answer (OTLP JSON, v1 and v2 shapes), read as the client
//! reads it from a server that does not answer protobuf (see
//! tempo_protobuf for the one that does).
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::backend::otlp_json::{Decoded, decode_trace};
use triage_core::domain::TraceId;
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    if let Ok(Decoded::Found(trace)) = decode_trace(TraceId([7; 16]), data, &Redactor::default()) {
        for span in &trace.spans {
            assert_safe(&span.name);
            span.attributes.iter().for_each(|a| assert_safe(&a.value));
        }
    }
});
