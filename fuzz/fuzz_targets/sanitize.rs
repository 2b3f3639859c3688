//! The sanitiser over any text: nothing forbidden survives, sanitising
//! again changes nothing, and nothing vanishes without a mark.
#![no_main]

use libfuzzer_sys::fuzz_target;
use triage_core::domain::SafeText;
use triage_core::domain::text::width;
use triage_fuzz::assert_safe;

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    let safe = SafeText::new(&raw);
    assert_safe(&safe);
    assert_eq!(
        SafeText::new(&safe).as_str(),
        safe.as_str(),
        "not idempotent"
    );
    assert!(raw.is_empty() || !safe.is_empty(), "text vanished");
    assert!(width(&safe) <= 2 * safe.chars().count());
});
