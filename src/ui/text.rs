//! Styled text: highlights laid over a line, cut or wrapped to a width.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::ops::Range;
use triage_core::domain::text::wrap_points;
use unicode_width::UnicodeWidthChar;

/// `text` in `base` style, with each (range, style) laid on top in order;
/// later layers win where they overlap.
pub fn highlight<'a>(
    text: &'a str,
    base: Style,
    layers: &[(Range<usize>, Style)],
) -> Vec<Span<'a>> {
    let mut cuts: Vec<usize> = vec![0, text.len()];
    for (range, _) in layers {
        cuts.push(range.start.min(text.len()));
        cuts.push(range.end.min(text.len()));
    }
    cuts.sort_unstable();
    cuts.dedup();
    cuts.windows(2)
        .filter_map(|w| {
            let (start, end) = (w[0], w[1]);
            let piece = text.get(start..end)?;
            let style = layers
                .iter()
                .filter(|(r, _)| r.start <= start && end <= r.end)
                .fold(base, |style, (_, layer)| style.patch(*layer));
            Some(Span::styled(piece, style))
        })
        .collect()
}

/// Splits styled spans into lines of at most `width` cells, where
/// `wrap_points` breaks their text (so the rows drawn are the rows counted).
pub fn wrap<'a>(spans: Vec<Span<'a>>, width: usize) -> Vec<Line<'a>> {
    let text: String = spans.iter().map(|s| s.content.as_ref()).collect();
    let mut breaks = wrap_points(&text, width).peekable();
    let mut lines = vec![Line::default()];
    let mut offset = 0;
    for span in spans {
        let content = span.content.as_ref();
        let mut start = 0;
        while let Some(at) = breaks.next_if(|&b| b < offset + content.len()) {
            push_piece(&mut lines, content, start, at - offset, span.style);
            lines.push(Line::default());
            start = at - offset;
        }
        push_piece(&mut lines, content, start, content.len(), span.style);
        offset += content.len();
    }
    lines
}

/// Lines broken into rows of at most `width` cells: at the row's last
/// space (dropped) when there is one, else between characters. In place of
/// ratatui's `Wrap`, whose word wrapper can put a wide character in a row's
/// last cell, half past the edge (ratatui#2679), shifting what follows.
pub fn word_wrap<'a>(lines: Vec<Line<'a>>, width: usize) -> Vec<Line<'a>> {
    let mut rows = Vec::new();
    for line in lines {
        let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
        let mut pieces = vec![Line::default()];
        let mut breaks = word_breaks(&text, width).into_iter().peekable();
        let mut offset = 0;
        for span in &line.spans {
            let content = span.content.as_ref();
            let mut start = 0;
            while let Some((end, next)) = breaks.next_if(|&(end, _)| end < offset + content.len()) {
                push_piece(&mut pieces, content, start, end - offset, span.style);
                pieces.push(Line::default());
                start = next.saturating_sub(offset).min(content.len());
            }
            push_piece(&mut pieces, content, start, content.len(), span.style);
            offset += content.len();
        }
        rows.extend(pieces.into_iter().map(|p| p.style(line.style)));
    }
    rows
}

/// Where `text` breaks into rows of at most `width` cells: (where a row
/// ends, where the next begins), byte offsets; a space broken at is in
/// neither row.
fn word_breaks(text: &str, width: usize) -> Vec<(usize, usize)> {
    let mut breaks = Vec::new();
    let mut used = 0;
    // The row's last space: its offset, and the cells before it in the row.
    let mut space: Option<(usize, usize)> = None;
    for (at, c) in text.char_indices() {
        let w = c.width().unwrap_or(0);
        while used > 0 && used + w > width {
            match space.take() {
                Some((s, before)) => {
                    breaks.push((s, s + 1));
                    used -= before + 1;
                }
                None => {
                    breaks.push((at, at));
                    used = 0;
                }
            }
        }
        if c == ' ' && used > 0 {
            space = Some((at, used));
        }
        used += w;
    }
    breaks
}

fn push_piece(lines: &mut [Line<'_>], content: &str, start: usize, end: usize, style: Style) {
    if start < end
        && let Some(line) = lines.last_mut()
    {
        line.spans
            .push(Span::styled(content[start..end].to_owned(), style));
    }
}

/// `text` cut to `width` cells, with `…` where it was cut.
pub fn fit(text: &str, width: usize) -> String {
    if triage_core::domain::text::width(text) <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > width {
            break;
        }
        out.push(c);
        used += w;
    }
    if width > 0 {
        out.push('…');
    }
    out
}

/// `text` fitted and padded to exactly `width` cells.
pub fn pad(text: &str, width: usize) -> String {
    let fitted = fit(text, width);
    let room = width.saturating_sub(triage_core::domain::text::width(&fitted));
    format!("{fitted}{}", " ".repeat(room))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    #[test]
    fn layers_split_the_text() {
        let red = Style::new().fg(Color::Red);
        let spans = highlight("abcdef", Style::new(), &[(1..3, red)]);
        let pieces: Vec<_> = spans.iter().map(|s| s.content.as_ref()).collect();
        assert_eq!(pieces, ["a", "bc", "def"]);
        assert_eq!(spans[1].style.fg, Some(Color::Red));
    }

    #[test]
    fn wrap_counts_cells() {
        let lines = wrap(vec![Span::raw("ab日本cd")], 4);
        let texts: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(texts, ["ab日", "本cd"]);
    }

    #[test]
    fn word_wrap_breaks_at_spaces_and_keeps_wide_characters_inside() {
        let rows = |text: &str, width| -> Vec<String> {
            word_wrap(vec![Line::raw(text.to_owned())], width)
                .iter()
                .map(|l| l.to_string())
                .collect()
        };
        assert_eq!(
            rows("due to statement timeout", 12),
            ["due to", "statement", "timeout"]
        );
        assert_eq!(rows("abcdefgh", 3), ["abc", "def", "gh"]);
        // A word of wide characters wider than the row: the one that does
        // not fit in the last cell starts the next row (ratatui's wrap puts
        // it in the last cell, one past the edge).
        assert_eq!(rows("ab 障害対応", 7), ["ab", "障害対", "応"]);
        for width in 1..12 {
            for row in rows("␛ bell 障害対応の記録 👩💻 e\u{301}x", width) {
                assert!(
                    triage_core::domain::text::width(&row) <= width.max(2),
                    "{row:?} in {width}"
                );
            }
        }
    }

    #[test]
    fn fit_and_pad() {
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("abc", 4), "abc");
        assert_eq!(pad("ab", 4), "ab  ");
        assert_eq!(pad("日本語", 4), "日… ");
    }
}
