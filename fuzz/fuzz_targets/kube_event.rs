//! An event as the API server sends it, then into the domain.
#![no_main]

use k8s_openapi::api::core::v1::Event;
use libfuzzer_sys::fuzz_target;
use triage_core::backend::cluster::convert;
use triage_core::secret::Redactor;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<Event>(data) {
        let converted = convert::event(&event, &Redactor::default());
        assert!(converted.count >= 1);
    }
});
