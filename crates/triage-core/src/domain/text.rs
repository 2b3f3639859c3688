//! Untrusted text made safe for a terminal, once, where it enters the domain.
//!
//! Everything from outside (log lines, labels, span attributes, error bodies)
//! becomes a [`SafeText`]: no control characters, no escape sequences, no bidi
//! overrides or invisible characters, tabs expanded. What was removed is
//! replaced by a visible placeholder so the reader knows something was there.
//! Our own credentials, should a server send them back (an echoed header in
//! an error body, a gateway's access log), are cut out before, by the
//! backend that read the text (`secret::Redactor::safe`): this is pure.

use std::fmt;
use std::ops::Deref;
use std::sync::Arc;
use unicode_width::UnicodeWidthChar;

/// Shown where an escape sequence was.
pub const ESCAPE_MARK: char = '␛';
/// Shown where an invisible or direction-changing character was.
pub const HIDDEN_MARK: char = '�';
/// Shown where a line break was, in text kept on one row.
pub const NEWLINE_MARK: char = '↵';
const TAB_STOP: usize = 8;

/// Text that is safe to draw: built only through [`SafeText::new`].
/// Shared, not copied, when cloned: a trace's service names, attribute
/// keys and common values are one allocation each, however many spans
/// carry them.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SafeText(Arc<str>);

impl SafeText {
    /// Sanitises `raw` into one line of terminal-safe text.
    pub fn new(raw: &str) -> Self {
        if plain(raw) {
            return SafeText(raw.into()); // the common case: plain printable ASCII
        }
        SafeText(sanitize(raw).into())
    }

    /// Like [`SafeText::new`], and whether the text came out as it went in
    /// (told without comparing in the common, plain ASCII case).
    pub(crate) fn new_unchanged(raw: &str) -> (Self, bool) {
        if plain(raw) {
            return (SafeText(raw.into()), true);
        }
        let safe = sanitize(raw);
        let unchanged = safe == raw;
        (SafeText(safe.into()), unchanged)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Deref for SafeText {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

/// Looks a text up by its characters (a set of texts, by the raw string
/// that needed no change).
impl std::borrow::Borrow<str> for SafeText {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for SafeText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&*self.0, f)
    }
}

impl From<&str> for SafeText {
    fn from(raw: &str) -> Self {
        SafeText::new(raw)
    }
}

impl From<String> for SafeText {
    fn from(raw: String) -> Self {
        SafeText::new(&raw)
    }
}

/// Printable ASCII only, which needs no change. Checked a chunk at a time
/// without stopping early inside one, which the compiler vectorises.
fn plain(raw: &str) -> bool {
    raw.as_bytes().chunks(32).all(|chunk| {
        chunk
            .iter()
            .fold(true, |ok, &b| ok & (0x20..0x7f).contains(&b))
    })
}

/// Characters that change direction or are invisible: they can make text
/// read differently from what it is (Trojan Source) or break cell widths.
/// Unicode's format characters (category Cf), the line and paragraph
/// separators, and other default-ignorable marks.
fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{00AD}' // soft hyphen
        | '\u{034F}' // combining grapheme joiner
        | '\u{0600}'..='\u{0605}' | '\u{061C}' | '\u{06DD}' | '\u{070F}' // Arabic marks, ALM
        | '\u{0890}'..='\u{0891}' | '\u{08E2}'
        | '\u{115F}'..='\u{1160}' | '\u{3164}' | '\u{FFA0}' // Hangul fillers
        | '\u{180B}'..='\u{180F}' // Mongolian selectors and vowel separator
        | '\u{200B}'..='\u{200F}' // zero-width space/joiners, LRM, RLM
        | '\u{2028}'..='\u{2029}' // line and paragraph separators
        | '\u{202A}'..='\u{202E}' // bidi embeddings and overrides
        | '\u{2060}'..='\u{206F}' // word joiner, invisible operators, bidi isolates, deprecated formats
        | '\u{FEFF}' // BOM / zero-width no-break space
        | '\u{FFF9}'..='\u{FFFB}' // interlinear annotations
        | '\u{110BD}' | '\u{110CD}'
        | '\u{13430}'..='\u{1343F}'
        | '\u{1BCA0}'..='\u{1BCA3}'
        | '\u{1D173}'..='\u{1D17A}'
        | '\u{E0000}'..='\u{E0FFF}' // tags and variation selectors supplement
    )
}

fn sanitize(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut column = 0usize;
    let mut chars = raw.chars().peekable();
    while let Some(c) = chars.next() {
        let shown = match c {
            '\t' => {
                let spaces = TAB_STOP - column % TAB_STOP;
                out.extend(std::iter::repeat_n(' ', spaces));
                column += spaces;
                continue;
            }
            '\r' if chars.peek() == Some(&'\n') => continue,
            '\n' | '\r' => NEWLINE_MARK,
            '\u{1b}' => {
                skip_escape_sequence(&mut chars);
                ESCAPE_MARK
            }
            '\u{9b}' => {
                skip_csi_body(&mut chars); // 8-bit CSI
                ESCAPE_MARK
            }
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => {
                skip_string_body(&mut chars); // 8-bit DCS, SOS, OSC, PM, APC
                ESCAPE_MARK
            }
            // Other C0 controls and DEL become their Unicode "control picture".
            c if (c as u32) < 0x20 => char::from_u32(0x2400 + c as u32).unwrap_or(HIDDEN_MARK),
            '\u{7f}' => '␡',
            '\u{80}'..='\u{9f}' => HIDDEN_MARK,
            c if is_hidden(c) => HIDDEN_MARK,
            c => c,
        };
        out.push(shown);
        column += shown.width().unwrap_or(0);
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// Skips what follows an ESC: a CSI, a string sequence (OSC, DCS, SOS, PM,
/// APC) up to its terminator, or a single intermediate/final character.
fn skip_escape_sequence(chars: &mut Chars<'_>) {
    match chars.peek() {
        Some('[') => {
            chars.next();
            skip_csi_body(chars);
        }
        Some(']' | 'P' | 'X' | '^' | '_') => {
            chars.next();
            skip_string_body(chars);
        }
        Some(c) if ('\u{20}'..='\u{7e}').contains(c) => {
            // nF sequences: intermediates (0x20-0x2F) then one final byte.
            while chars
                .next_if(|c| ('\u{20}'..='\u{2f}').contains(c))
                .is_some()
            {}
            chars.next_if(|c| ('\u{30}'..='\u{7e}').contains(c));
        }
        _ => {}
    }
}

/// Parameters and intermediates, then one final byte (0x40-0x7E).
fn skip_csi_body(chars: &mut Chars<'_>) {
    while chars
        .next_if(|c| ('\u{20}'..='\u{3f}').contains(c))
        .is_some()
    {}
    chars.next_if(|c| ('\u{40}'..='\u{7e}').contains(c));
}

/// Up to BEL, ST (ESC \ or U+009C), or the end of the text.
fn skip_string_body(chars: &mut Chars<'_>) {
    while let Some(c) = chars.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                chars.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// Display width in terminal cells.
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Byte offsets where `text` breaks into rows of at most `columns` cells,
/// a character never split (a wide one moves to the next row whole).
pub fn wrap_points(text: &str, columns: usize) -> impl Iterator<Item = usize> + '_ {
    let mut used = 0;
    text.char_indices().filter_map(move |(at, c)| {
        let w = c.width().unwrap_or(0);
        if used > 0 && used + w > columns {
            used = w;
            Some(at)
        } else {
            used += w;
            None
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(s: &str) -> String {
        SafeText::new(s).as_str().to_owned()
    }

    #[test]
    fn plain_text_is_untouched() {
        assert_eq!(clean("GET /api 200 in 3 ms"), "GET /api 200 in 3 ms");
        assert_eq!(clean("żółć 日本"), "żółć 日本");
    }

    #[test]
    fn escape_sequences_become_one_mark() {
        assert_eq!(clean("a\u{1b}[31mred\u{1b}[0m"), "a␛red␛");
        assert_eq!(clean("\u{1b}]0;pwned title\u{7}x"), "␛x");
        assert_eq!(clean("\u{1b}]52;c;ZXZpbA==\u{1b}\\x"), "␛x");
        assert_eq!(clean("\u{1b}]8;;http://evil\u{1b}\\link"), "␛link");
        assert_eq!(clean("\u{1b}P1;2|data\u{1b}\\z"), "␛z");
        assert_eq!(clean("\u{9b}2Jz"), "␛z");
        assert_eq!(clean("\u{1b}(Bz"), "␛z");
        assert_eq!(clean("tail\u{1b}"), "tail␛");
    }

    #[test]
    fn controls_and_invisibles_are_visible_marks() {
        assert_eq!(clean("a\u{7}b\u{0}c\u{7f}"), "a␇b␀c␡");
        assert_eq!(clean("x\u{85}y"), "x�y");
        assert_eq!(clean("admin\u{202E}txt.exe"), "admin�txt.exe");
        assert_eq!(clean("a\u{200B}b\u{2066}c\u{FEFF}"), "a�b�c�");
        for hidden in [
            '\u{061C}',
            '\u{206A}',
            '\u{FFF9}',
            '\u{180E}',
            '\u{2028}',
            '\u{2029}',
            '\u{E0041}',
        ] {
            assert_eq!(
                clean(&format!("a{hidden}b")),
                "a�b",
                "U+{:04X}",
                hidden as u32
            );
        }
        assert_eq!(clean("one\r\ntwo\nthree\rfour"), "one↵two↵three↵four");
    }

    #[test]
    fn new_unchanged_tells_whether_anything_was_made_safe() {
        for (raw, unchanged) in [
            ("plain", true),
            ("żółć", true),
            ("a\tb", false),
            ("x\u{1b}[2J", false),
        ] {
            let (safe, same) = SafeText::new_unchanged(raw);
            assert_eq!(safe, SafeText::new(raw));
            assert_eq!(same, unchanged, "{raw:?}");
        }
    }

    #[test]
    fn tabs_expand_to_the_next_stop() {
        assert_eq!(clean("a\tb"), "a       b");
        assert_eq!(clean("日本\tx"), "日本    x");
    }
}
