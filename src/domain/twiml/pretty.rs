//! The tree as pretty-printed, token-tagged lines for the detail pane; a body that is not XML
//! as its own lines, with the error marked.

use super::parse::{Content, Elem};
use super::{Line, TokenKind, XmlError};

/// Text content up to this many chars stays on the same line as its tags.
const ONE_LINE_TEXT_MAX: usize = 60;

pub(super) fn depth_indent(depth: usize) -> u16 {
    u16::try_from(depth).unwrap_or(u16::MAX)
}

/// Recursion is bounded by [`MAX_DEPTH`], enforced while parsing.
pub(super) fn render_items(items: &[Content], depth: usize, out: &mut Vec<Line>) {
    for item in items {
        match item {
            Content::Elem(e) => render_elem(e, depth, out),
            Content::Text(t) => push_multiline(out, depth, TokenKind::Text, t),
            Content::Comment(raw) => push_multiline(out, depth, TokenKind::Comment, raw),
            Content::Markup(raw) => push_multiline(out, depth, TokenKind::Declaration, raw),
        }
    }
}

/// One line per non-blank source line, trimmed: the pane does its own indentation.
pub(super) fn push_multiline(out: &mut Vec<Line>, depth: usize, kind: TokenKind, text: &str) {
    for part in text.lines() {
        let part = part.trim();
        if !part.is_empty() {
            let mut line = Line::new(depth_indent(depth));
            line.push(kind, part);
            out.push(line);
        }
    }
}

pub(super) fn render_elem(e: &Elem, depth: usize, out: &mut Vec<Line>) {
    let is_blank = |c: &Content| matches!(c, Content::Text(t) if t.trim().is_empty());
    let mut significant = e.content.iter().filter(|c| !is_blank(c));
    let first = significant.next();
    let only_one = significant.next().is_none();

    let mut line = Line::new(depth_indent(depth));
    open_tag(&mut line, e);
    match first {
        None if e.self_closing => {
            line.push(TokenKind::Punct, "/>");
            out.push(line);
        }
        None => {
            line.push(TokenKind::Punct, ">");
            close_tag(&mut line, &e.name);
            out.push(line);
        }
        Some(Content::Text(t)) if only_one && fits_one_line(t.trim()) => {
            line.push(TokenKind::Punct, ">");
            line.push(TokenKind::Text, t.trim());
            close_tag(&mut line, &e.name);
            out.push(line);
        }
        Some(_) => {
            line.push(TokenKind::Punct, ">");
            out.push(line);
            render_items(&e.content, depth + 1, out);
            let mut end = Line::new(depth_indent(depth));
            close_tag(&mut end, &e.name);
            out.push(end);
        }
    }
}

pub(super) fn fits_one_line(text: &str) -> bool {
    !text.contains('\n') && text.chars().count() <= ONE_LINE_TEXT_MAX
}

pub(super) fn open_tag(line: &mut Line, e: &Elem) {
    line.push(TokenKind::Punct, "<");
    line.push(TokenKind::Tag, &e.name);
    for (key, value) in &e.attrs {
        line.push(TokenKind::Punct, " ");
        line.push(TokenKind::AttrName, key);
        line.push(TokenKind::Punct, "=\"");
        line.push(TokenKind::AttrValue, value);
        line.push(TokenKind::Punct, "\"");
    }
}

pub(super) fn close_tag(line: &mut Line, name: &str) {
    line.push(TokenKind::Punct, "</");
    line.push(TokenKind::Tag, name);
    line.push(TokenKind::Punct, ">");
}

/// The text as it is, one `Text` line per source line; the markup at the error offset (up to
/// its `>`, or one char) becomes an `Error` token so the pane can point at it.
pub(super) fn raw_lines(text: &str, error: Option<&XmlError>) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut line_start = 0;
    for segment in text.split_inclusive('\n') {
        let content = segment.strip_suffix('\n').unwrap_or(segment);
        let content = content.strip_suffix('\r').unwrap_or(content);
        let mut line = Line::new(0);
        let local = error
            .and_then(|e| e.offset.checked_sub(line_start))
            .filter(|&at| at < content.len());
        match local.and_then(|at| Some((content.get(..at)?, content.get(at..)?))) {
            Some((before, rest)) => {
                let first_len = rest.chars().next().map_or(0, char::len_utf8);
                let mark_len = if rest.starts_with('<') {
                    rest.find('>').map_or(first_len, |i| i + 1)
                } else {
                    first_len
                };
                let (mark, after) = rest.split_at_checked(mark_len).unwrap_or((rest, ""));
                line.push(TokenKind::Text, before);
                line.push(TokenKind::Error, mark);
                line.push(TokenKind::Text, after);
            }
            None => line.push(TokenKind::Text, content),
        }
        lines.push(line);
        line_start += segment.len();
    }
    lines
}
