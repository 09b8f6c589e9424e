//! Terminal safety: every string from a payload passes through here before it is drawn or
//! printed, so a URL or a `<Say>` holding `\x1b]0;…\x07` cannot retitle, clear or reprogram
//! anyone's terminal, and bidi overrides cannot make text read differently than it is.

use std::borrow::Cow;

/// Longest string drawn in one cell or printed in one field; the rest is elided.
pub const MAX_FIELD_CHARS: usize = 4096;

fn placeholder(c: char) -> Option<char> {
    match c {
        // C0 controls and DEL map onto the Unicode "control pictures" block: ESC shows as ␛.
        '\u{0}'..='\u{1f}' => char::from_u32(0x2400 + u32::from(c)),
        '\u{7f}' => Some('␡'),
        // C1 controls (8-bit CSI, OSC…), bidi embeddings, overrides and isolates, and the
        // invisible marks that reorder text.
        '\u{80}'..='\u{9f}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{061c}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}' => Some('�'),
        _ => None,
    }
}

/// Makes a string safe to show on one line: controls (newlines too) become visible
/// placeholders, and overlong strings are cut at [`MAX_FIELD_CHARS`] with `…`.
pub fn line(s: &str) -> Cow<'_, str> {
    let needs_work = s.len() > MAX_FIELD_CHARS || s.chars().any(|c| placeholder(c).is_some());
    if !needs_work {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len().min(MAX_FIELD_CHARS + 4));
    for (i, c) in s.chars().enumerate() {
        if i == MAX_FIELD_CHARS {
            out.push('…');
            break;
        }
        out.push(placeholder(c).unwrap_or(c));
    }
    Cow::Owned(out)
}

/// Like [`line`] but keeps `\n` (and turns `\r\n` into `\n`) for multi-line text such as a
/// TwiML body or pretty JSON; tabs become spaces.
pub fn text(s: &str) -> Cow<'_, str> {
    let needs_work = s.chars().any(|c| c != '\n' && placeholder(c).is_some());
    if !needs_work {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push('\n'),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\t' => out.push_str("    "),
            c => out.push(placeholder(c).unwrap_or(c)),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_become_visible() {
        assert_eq!(line("a\x1b]0;pwned\x07b"), "a␛]0;pwned␇b");
        assert_eq!(line("x\u{9b}2J"), "x�2J");
        assert_eq!(line("abc\u{202e}fed"), "abc�fed");
        assert_eq!(line("l1\nl2\r"), "l1␊l2␍");
        assert_eq!(line("\u{7f}"), "␡");
        assert!(matches!(line("plain https://x.test/é"), Cow::Borrowed(_)));
    }

    #[test]
    fn long_fields_are_cut() {
        let s = "a".repeat(MAX_FIELD_CHARS + 10);
        let out = line(&s);
        assert_eq!(out.chars().count(), MAX_FIELD_CHARS + 1);
        assert!(out.ends_with('…'));
    }

    #[test]
    fn text_keeps_newlines() {
        assert_eq!(text("a\r\nb\x1b[2J\tc"), "a\nb␛[2J    c");
        assert!(matches!(text("a\nb"), Cow::Borrowed(_)));
    }
}
