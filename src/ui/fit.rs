//! Fitting text and columns into narrow terminals: columns give way by priority, and text
//! that is cut ends in `…`, so a cut value never passes for a whole one.

use std::borrow::Cow;

use ratatui::text::{Line, Span};
use ratatui::widgets::Cell;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// `text` cut to `width` columns, ending in `…` when cut.
pub fn ellipsize(text: &str, width: usize) -> Cow<'_, str> {
    if text.width() <= width {
        return Cow::Borrowed(text);
    }
    if width == 0 {
        return Cow::Borrowed("");
    }
    let mut out = String::with_capacity(width + 2);
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    Cow::Owned(out)
}

/// A line cut to `width`, ending in `…` where it was cut, its spans' styles kept.
pub fn fit_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut left = width;
    let mut spans = Vec::new();
    let total = line.spans.len();
    for (i, span) in line.spans.into_iter().enumerate() {
        let w = span.width();
        // The last span that fits whole keeps its text, unless more follow and no room is
        // left for the `…`.
        if w < left || (w == left && i + 1 == total) {
            left -= w;
            spans.push(span);
            continue;
        }
        // With `…` after it, the text is always too wide: cut it, and the mark shows.
        let cut = ellipsize(&format!("{}…", span.content), left).into_owned();
        spans.push(Span::styled(cut, span.style));
        break;
    }
    Line::from(spans).style(line.style)
}

/// A line padded with spaces to `width`, so a reverse-video selection spans the row.
pub fn pad(mut line: Line<'static>, width: usize) -> Line<'static> {
    let w = line.width();
    if w < width {
        line.spans.push(Span::raw(" ".repeat(width - w)));
    }
    line
}

/// A column to lay out: its width (the least it takes, when it stretches) and how long it
/// stays when space runs out.
#[derive(Debug, Clone, Copy)]
pub struct Want {
    pub width: u16,
    pub stretch: bool,
    pub priority: u8,
}

/// The width of each column in `width` (None: dropped). The lowest priority goes first (the
/// rightmost of equals); stretching columns share what is left over equally.
pub fn columns(wants: &[Want], width: u16, spacing: u16) -> Vec<Option<u16>> {
    let mut kept: Vec<bool> = vec![true; wants.len()];
    let need = |kept: &[bool]| -> u32 {
        let n = kept.iter().filter(|k| **k).count() as u32;
        let sum: u32 = wants
            .iter()
            .zip(kept)
            .filter(|(_, k)| **k)
            .map(|(w, _)| u32::from(w.width))
            .sum();
        sum + u32::from(spacing) * n.saturating_sub(1)
    };
    while need(&kept) > u32::from(width) {
        let Some(drop) = (0..wants.len())
            .filter(|i| kept[*i])
            .min_by_key(|i| (wants[*i].priority, usize::MAX - i))
        else {
            break;
        };
        kept[drop] = false;
    }
    let spare = u32::from(width).saturating_sub(need(&kept));
    let stretchers = wants
        .iter()
        .zip(&kept)
        .filter(|(w, k)| **k && w.stretch)
        .count() as u32;
    let mut handed = 0;
    let mut seen = 0;
    wants
        .iter()
        .zip(&kept)
        .map(|(w, k)| {
            if !*k {
                return None;
            }
            if !w.stretch || stretchers == 0 {
                return Some(w.width);
            }
            seen += 1;
            // The last stretching column takes the remainder of the division.
            let share = if seen == stretchers {
                spare - handed
            } else {
                spare / stretchers
            };
            handed += share;
            Some(w.width + u16::try_from(share).unwrap_or(u16::MAX))
        })
        .collect()
}

/// The cells of the columns [`columns`] kept.
pub fn kept<const N: usize>(
    cells: [Cell<'static>; N],
    widths: &[Option<u16>],
) -> Vec<Cell<'static>> {
    cells
        .into_iter()
        .zip(widths)
        .filter_map(|(c, w)| w.map(|_| c))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cut_text_ends_in_an_ellipsis() {
        assert_eq!(ellipsize("POST /voice", 20), "POST /voice");
        assert_eq!(ellipsize("POST /voice", 11), "POST /voice");
        assert_eq!(ellipsize("POST /voice", 10), "POST /voi…");
        assert_eq!(ellipsize("→ busy → /after", 5), "→ bu…");
        assert_eq!(ellipsize("日本語", 4), "日…");
        assert_eq!(ellipsize("abc", 1), "…");
        assert_eq!(ellipsize("abc", 0), "");
    }

    #[test]
    fn cut_lines_keep_their_styles_and_end_in_an_ellipsis() {
        use ratatui::style::Style;
        let line = Line::from(vec![
            Span::raw("path "),
            Span::styled("/voice → Gather", Style::new().bold()),
        ]);
        assert_eq!(fit_line(line.clone(), 40), line);
        let cut = fit_line(line.clone(), 12);
        assert_eq!(cut.to_string(), "path /voice…");
        assert_eq!(cut.spans[1].style, Style::new().bold());
        // A span that would end exactly at the edge with more to come leaves room for `…`.
        assert_eq!(fit_line(line, 5).to_string(), "path…");
        assert_eq!(pad(Line::from("ab"), 4).to_string(), "ab  ");
    }

    fn want(width: u16, stretch: bool, priority: u8) -> Want {
        Want {
            width,
            stretch,
            priority,
        }
    }

    #[test]
    fn columns_give_way_by_priority_and_stretchers_share_the_rest() {
        let wants = [want(12, false, 6), want(16, false, 10), want(10, true, 9)];
        assert_eq!(
            columns(&wants, 60, 1),
            [Some(12), Some(16), Some(30)],
            "all fit; the request stretches"
        );
        assert_eq!(columns(&wants, 30, 1), [None, Some(16), Some(13)]);
        assert_eq!(columns(&wants, 16, 1), [None, Some(16), None]);
        assert_eq!(columns(&wants, 5, 1), [None, None, None]);
        let two = [want(4, true, 1), want(4, true, 1)];
        assert_eq!(columns(&two, 12, 1), [Some(5), Some(6)]);
    }
}
