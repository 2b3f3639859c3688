//! Tempo's trace answer in protobuf (`tempopb.TraceByIDResponse` and the
//! bare `tempopb.Trace`), read as the client reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::backend::otlp_json::Decoded;
use triage_core::backend::otlp_proto::{Shape, decode_trace};
use triage_core::domain::TraceId;
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    for shape in [Shape::Response, Shape::Trace] {
        let decoded = decode_trace(TraceId([7; 16]), data, shape, &Redactor::default());
        if let Ok(Decoded::Found(trace)) = decoded {
            for span in &trace.spans {
                assert_safe(&span.name);
                assert_safe(&span.service);
                span.attributes.iter().for_each(|a| assert_safe(&a.value));
            }
            trace.partial.iter().for_each(|p| assert_safe(p));
        }
    }
});
