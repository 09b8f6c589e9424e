//! Text → XML tree, with every failure as a line and column. Bounded: nesting is capped at
//! [`MAX_DEPTH`] and nothing recurses past it.

use std::borrow::Cow;

use quick_xml::errors::Error as XmlParseError;
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

use super::{BOM, MAX_DEPTH, Node, XmlError};

/// An element as parsed, keeping content order (text, comments, children) for display.
#[derive(Debug, Default)]
pub(super) struct Elem {
    pub(super) name: String,
    pub(super) attrs: Vec<(String, String)>,
    pub(super) content: Vec<Content>,
    /// Written `<x/>` rather than `<x></x>`; shown as written.
    pub(super) self_closing: bool,
}

#[derive(Debug)]
pub(super) enum Content {
    Elem(Elem),
    /// Unescaped; adjacent text and CDATA merged.
    Text(String),
    /// Raw, with `<!--` and `-->`.
    Comment(String),
    /// Raw `<?...?>` or `<!DOCTYPE ...>`.
    Markup(String),
}

/// A parse error at a byte offset in the parsed slice.
pub(super) struct Failure(usize, String);

pub(super) fn parse(text: &str) -> Result<Vec<Content>, XmlError> {
    // quick-xml skips a BOM without counting it, so its offsets are relative to `body`.
    let body = text.strip_prefix(BOM).unwrap_or(text);
    let base = text.len() - body.len();
    parse_body(body).map_err(|Failure(offset, message)| XmlError::at(text, base + offset, message))
}

pub(super) const fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Parses and checks a body into its items.
pub(super) fn parse_body(body: &str) -> Result<Vec<Content>, Failure> {
    // Rule out JSON and plain text up front: quick-xml would take them as text and the error
    // would point at the end instead of the start.
    let first = body.bytes().position(|b| !is_xml_space(b));
    if let Some(at) = first {
        let c = body.get(at..).and_then(|s| s.chars().next()).unwrap_or('<');
        if c != '<' {
            let message = if matches!(c, '{' | '[') {
                "body looks like JSON".to_owned()
            } else {
                format!("expected '<', found {c:?}")
            };
            return Err(Failure(at, message));
        }
    }

    let mut reader = Reader::from_str(body);
    // Open elements with the offset of their start tag.
    let mut stack: Vec<(Elem, usize)> = Vec::new();
    let mut top: Vec<Content> = Vec::new();
    let mut has_root = false;
    loop {
        let start = to_usize(reader.buffer_position());
        let event = match reader.read_event() {
            Ok(event) => event,
            Err(e) => {
                return Err(Failure(
                    to_usize(reader.error_position()),
                    describe_xml_error(&e),
                ));
            }
        };
        let end = to_usize(reader.buffer_position());
        let raw = || body.get(start..end).unwrap_or_default().to_owned();
        match event {
            Event::Start(tag) => {
                check_open(stack.len(), has_root, start)?;
                has_root = true;
                stack.push((element(&tag, false, start)?, start));
            }
            Event::Empty(tag) => {
                check_open(stack.len(), has_root, start)?;
                has_root = true;
                let elem = element(&tag, true, start)?;
                attach(&mut stack, &mut top, Content::Elem(elem));
            }
            Event::End(_) => {
                let Some((elem, _)) = stack.pop() else {
                    return Err(Failure(start, "end tag without a start tag".to_owned()));
                };
                attach(&mut stack, &mut top, Content::Elem(elem));
            }
            Event::Text(t) => {
                if stack.is_empty() {
                    if let Some(i) = t.iter().position(|&b| !is_xml_space(b)) {
                        let place = if has_root { "after" } else { "before" };
                        return Err(Failure(start + i, format!("text {place} the root element")));
                    }
                    continue;
                }
                let s = t.unescape().map_err(|e| {
                    // Both ranges are of the entity; the first starts after its `&`.
                    let within = match &e {
                        XmlParseError::Escape(EscapeError::UnrecognizedEntity(range, _)) => {
                            range.start.saturating_sub(1)
                        }
                        XmlParseError::Escape(EscapeError::UnterminatedEntity(range)) => {
                            range.start
                        }
                        _ => 0,
                    };
                    Failure(start + within, describe_xml_error(&e))
                })?;
                push_text(&mut stack, s);
            }
            Event::CData(c) => {
                if stack.is_empty() {
                    return Err(Failure(start, "CDATA outside the root element".to_owned()));
                }
                let s = c.decode().map_err(|e| Failure(start, e.to_string()))?;
                push_text(&mut stack, s);
            }
            Event::Comment(_) => attach(&mut stack, &mut top, Content::Comment(raw())),
            Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {
                attach(&mut stack, &mut top, Content::Markup(raw()));
            }
            Event::Eof => break,
        }
    }
    if let Some((elem, at)) = stack.last() {
        return Err(Failure(*at, format!("<{}> is never closed", elem.name)));
    }
    if !has_root {
        return Err(Failure(body.len(), "no root element".to_owned()));
    }
    Ok(top)
}

pub(super) fn to_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

pub(super) fn check_open(depth: usize, has_root: bool, start: usize) -> Result<(), Failure> {
    if depth == 0 && has_root {
        return Err(Failure(start, "more than one root element".to_owned()));
    }
    if depth >= MAX_DEPTH {
        return Err(Failure(start, format!("nesting deeper than {MAX_DEPTH}")));
    }
    Ok(())
}

pub(super) fn element(
    tag: &BytesStart<'_>,
    self_closing: bool,
    start: usize,
) -> Result<Elem, Failure> {
    let name = String::from_utf8_lossy(tag.name().as_ref()).into_owned();
    if name.is_empty() {
        return Err(Failure(
            start,
            "'<' not followed by an element name".to_owned(),
        ));
    }
    let mut attrs = Vec::new();
    for attr in tag.attributes() {
        let attr = attr.map_err(|e| describe_attr_error(&e, start))?;
        let key = String::from_utf8_lossy(attr.key.as_ref()).into_owned();
        let value = attr.unescape_value().map_err(|e| {
            Failure(
                start,
                format!("in attribute {key}: {}", describe_xml_error(&e)),
            )
        })?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Elem {
        name,
        attrs,
        content: Vec::new(),
        self_closing,
    })
}

/// quick-xml's own wording for these leads with a position relative to the tag, which would
/// read as nonsense next to our line and column.
pub(super) fn describe_attr_error(e: &AttrError, tag_start: usize) -> Failure {
    // Positions count from just after the `<`.
    let at = |p: usize| tag_start + 1 + p;
    match *e {
        AttrError::ExpectedEq(p) => Failure(at(p), "attribute without '=' and a value".to_owned()),
        AttrError::ExpectedValue(p) => Failure(at(p), "attribute without a value".to_owned()),
        AttrError::UnquotedValue(p) => Failure(at(p), "attribute value not in quotes".to_owned()),
        AttrError::ExpectedQuote(p, q) => Failure(
            at(p),
            format!("attribute value missing its closing {}", char::from(q)),
        ),
        AttrError::Duplicated(p, _) => Failure(at(p), "duplicate attribute".to_owned()),
    }
}

pub(super) fn describe_xml_error(e: &XmlParseError) -> String {
    match e {
        XmlParseError::Escape(EscapeError::UnrecognizedEntity(_, name)) => {
            format!("unknown entity &{name};")
        }
        XmlParseError::Escape(EscapeError::UnterminatedEntity(_)) => {
            "'&' not starting an entity (write &amp;)".to_owned()
        }
        other => other.to_string(),
    }
}

pub(super) fn attach(stack: &mut [(Elem, usize)], top: &mut Vec<Content>, item: Content) {
    match stack.last_mut() {
        Some((parent, _)) => parent.content.push(item),
        None => top.push(item),
    }
}

pub(super) fn push_text(stack: &mut [(Elem, usize)], text: Cow<'_, str>) {
    let Some((elem, _)) = stack.last_mut() else {
        return;
    };
    if let Some(Content::Text(prev)) = elem.content.last_mut() {
        prev.push_str(&text);
    } else {
        elem.content.push(Content::Text(text.into_owned()));
    }
}

/// Recursion is bounded by [`MAX_DEPTH`], enforced while parsing.
pub(super) fn into_node(elem: Elem) -> Node {
    let mut text = String::new();
    let mut children = Vec::new();
    for item in elem.content {
        match item {
            Content::Elem(child) => children.push(into_node(child)),
            Content::Text(t) if text.is_empty() => text = t,
            Content::Text(t) => text.push_str(&t),
            Content::Comment(_) | Content::Markup(_) => {}
        }
    }
    let trimmed = text.trim();
    if trimmed.len() != text.len() {
        text = trimmed.to_owned();
    }
    Node {
        name: elem.name,
        attrs: elem.attrs,
        text,
        children,
    }
}
