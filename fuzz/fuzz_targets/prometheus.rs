//! Any Prometheus answer through every decoder the client has: the
//! envelope, then matrix/vector/scalar, exemplars, alerts, rules, label
//! names or values, metadata.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::backend::prometheus::{
    decode_alert_rules, decode_alerts, decode_exemplars, decode_metadata, decode_names,
    decode_series,
};
use triage_core::secret::Redactor;

fuzz_target!(|data: &[u8]| {
    let secrets = Redactor::default();
    let _ = decode_series(data, &secrets);
    let _ = decode_exemplars(data, &secrets);
    let _ = decode_alerts(data, &secrets);
    let _ = decode_alert_rules(data, &secrets);
    let _ = decode_names(data, &secrets);
    let _ = decode_metadata(data, &secrets);
});
