//! What the fuzz targets share: the sanitiser's promise, as a check.

/// A character a terminal acts on, or one that hides or reorders text
/// (the same set as tests/sanitize.rs).
pub fn forbidden(c: char) -> bool {
    c.is_control() // C0, DEL, C1 (U+0080-U+009F), so also ESC, BEL, 8-bit CSI
        || matches!(c,
            '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' // bidi overrides, isolates
            | '\u{200B}'..='\u{200F}' | '\u{2060}' | '\u{FEFF}' // zero-width, marks, BOM
            | '\u{2028}' | '\u{2029}')
}

/// Panics, so that libFuzzer keeps the input, if `text` is not safe to draw.
pub fn assert_safe(text: &str) {
    if let Some(bad) = text.chars().find(|&c| forbidden(c)) {
        panic!("{text:?} keeps U+{:04X}", bad as u32);
    }
}
