//! Copying to the clipboard of the terminal the user sits at, over ssh and
//! through tmux or screen: OSC 52, as k9s and kubetui do. These are the
//! only OSC bytes triage ever writes (everything from outside is sanitised
//! of them), so this file is where to look for them.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The most text sent at once: terminals cap OSC 52 (xterm at 100 kB of
/// base64), and a longer copy would be cut somewhere unseen.
pub const MAX_BYTES: usize = 74_000;

/// What sits between triage and the terminal, passing OSC on only when
/// wrapped for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Multiplexer {
    None,
    /// `$TMUX` set: the sequence as it is, which tmux takes into its own
    /// buffer and on to the terminal outside with `set-clipboard on`; and
    /// again inside `DCS tmux; ... ST`, escapes doubled, which tmux passes
    /// on with `allow-passthrough on`. Either setting is enough.
    Tmux,
    /// `$STY` set, or a `screen` TERM: `DCS ... ST`, in pieces screen takes.
    Screen,
}

impl Multiplexer {
    pub fn from_env() -> Self {
        if std::env::var_os("TMUX").is_some_and(|v| !v.is_empty()) {
            Multiplexer::Tmux
        } else if std::env::var_os("STY").is_some_and(|v| !v.is_empty())
            || std::env::var("TERM").is_ok_and(|t| t.starts_with("screen"))
        {
            Multiplexer::Screen
        } else {
            Multiplexer::None
        }
    }
}

/// The bytes that put `text` on the clipboard; None when it is longer than
/// [`MAX_BYTES`].
pub fn osc52(text: &str, through: Multiplexer) -> Option<Vec<u8>> {
    if text.len() > MAX_BYTES {
        return None;
    }
    let sequence = format!("\u{1b}]52;c;{}\u{7}", STANDARD.encode(text));
    Some(match through {
        Multiplexer::None => sequence.into_bytes(),
        Multiplexer::Tmux => {
            let doubled = sequence.replace('\u{1b}', "\u{1b}\u{1b}");
            format!("{sequence}\u{1b}Ptmux;{doubled}\u{1b}\\").into_bytes()
        }
        // screen passes at most 768 bytes of one DCS: the sequence goes in
        // pieces, each its own DCS, which screen joins.
        Multiplexer::Screen => sequence
            .as_bytes()
            .chunks(760)
            .flat_map(|piece| [b"\x1bP".as_slice(), piece, b"\x1b\\"].concat())
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sequence_as_terminals_and_multiplexers_read_it() {
        let id = "651ca6325e6d780449e8af504f034ee5";
        let plain = osc52(id, Multiplexer::None).unwrap_or_default();
        let encoded = STANDARD.encode(id);
        assert_eq!(plain, format!("\x1b]52;c;{encoded}\x07").into_bytes());
        let tmux =
            String::from_utf8(osc52(id, Multiplexer::Tmux).unwrap_or_default()).unwrap_or_default();
        assert_eq!(
            tmux,
            format!("\x1b]52;c;{encoded}\x07\x1bPtmux;\x1b\x1b]52;c;{encoded}\x07\x1b\\")
        );
        let long = "x".repeat(2000);
        let screen = osc52(&long, Multiplexer::Screen).unwrap_or_default();
        let pieces = String::from_utf8_lossy(&screen).matches("\x1bP").count();
        assert_eq!(pieces, (STANDARD.encode(&long).len() + 8).div_ceil(760));
        assert!(osc52(&"x".repeat(MAX_BYTES + 1), Multiplexer::None).is_none());
    }
}
