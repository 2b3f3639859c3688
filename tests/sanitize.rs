//! The sanitiser over arbitrary input: whatever comes in, what comes out
//! holds nothing a terminal would act on and nothing that hides itself.
#![allow(clippy::unwrap_used, clippy::expect_used)] // a failed unwrap is a failed test

use proptest::prelude::*;
use triage_core::domain::SafeText;
use triage_core::domain::text::width;

/// A character a terminal acts on, or one that hides or reorders text.
fn forbidden(c: char) -> bool {
    c.is_control() // C0, DEL, C1 (U+0080-U+009F), so also ESC, BEL, 8-bit CSI
        || matches!(c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' // bidi overrides, isolates
            | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' // zero-width, marks, BOM
            | '\u{2028}' | '\u{2029}')
}

/// Text made of the pieces escape sequences are made of, so that the
/// generator reaches them far more often than random bytes would.
fn escapey() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("\u{1b}".to_owned()),
        Just("\u{1b}[".to_owned()),
        Just("\u{1b}]".to_owned()),
        Just("\u{1b}P".to_owned()),
        Just("\u{1b}_".to_owned()),
        Just("\u{1b}\\".to_owned()),
        Just("\u{9b}".to_owned()),
        Just("\u{9d}".to_owned()),
        Just("\u{9c}".to_owned()),
        Just("\u{7}".to_owned()),
        Just("\t".to_owned()),
        Just("\r\n".to_owned()),
        Just("52;c;".to_owned()),
        Just("\u{202e}".to_owned()),
        Just("\u{200d}".to_owned()),
        Just("👩‍💻".to_owned()),
        Just("漢字".to_owned()),
        "[0-9;?]{0,4}",
        "[a-zA-Z]{0,3}",
        any::<char>().prop_map(String::from),
    ];
    proptest::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

fn check(raw: &str) -> Result<(), TestCaseError> {
    let safe = SafeText::new(raw);
    let bad: Vec<char> = safe.chars().filter(|&c| forbidden(c)).collect();
    prop_assert!(bad.is_empty(), "{raw:?} -> {safe:?} keeps {bad:?}");
    // Made safe once is safe: sanitising again changes nothing.
    let again = SafeText::new(&safe);
    prop_assert_eq!(again.as_str(), safe.as_str());
    // Something came in, something shows: nothing vanishes silently.
    prop_assert!(raw.is_empty() || !safe.is_empty() || raw.chars().all(|c| c == '\r'));
    prop_assert!(width(&safe) <= 2 * safe.chars().count());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    #[test]
    fn arbitrary_bytes_come_out_inert(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        check(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn arbitrary_unicode_comes_out_inert(text in any::<String>()) {
        check(&text)?;
    }

    #[test]
    fn escape_sequence_pieces_come_out_inert(text in escapey()) {
        check(&text)?;
    }
}
