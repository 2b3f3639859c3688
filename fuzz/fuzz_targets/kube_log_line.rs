//! A container log line (`--timestamps`), as the log stream hands it on:
//! bytes made UTF-8 lossily, then split into its time and text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use triage_core::backend::cluster::convert;
use triage_core::domain::Labels;
use triage_core::secret::Redactor;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    let labels = Arc::new(Labels::default());
    let raw = String::from_utf8_lossy(data);
    let line = convert::log_line(&raw, &labels, &Redactor::default());
    assert_safe(&line.line);
});
