//! `TwiML` decoding: `responseBody` (base64) → text → XML tree → pretty-printed, token-tagged
//! lines for the detail pane, plus a one-line verb summary.
//!
//! Everything here takes untrusted network input: no panics, decoded size capped at
//! [`MAX_DECODED_BYTES`], element nesting capped at [`MAX_DEPTH`] and never recursed past it.

use std::borrow::Cow;
use std::fmt::Write as _;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use quick_xml::errors::Error as XmlParseError;
use quick_xml::escape::EscapeError;
use quick_xml::events::attributes::AttrError;
use quick_xml::events::{BytesStart, Event};
use quick_xml::reader::Reader;

/// Decoded bodies longer than this are cut here and flagged [`Decoded::truncated`].
pub const MAX_DECODED_BYTES: usize = 256 * 1024;

/// Deepest element nesting accepted; real `TwiML` rarely goes past 4.
pub const MAX_DEPTH: usize = 64;

/// Text content up to this many chars stays on the same line as its tags.
const ONE_LINE_TEXT_MAX: usize = 60;

/// Values shown in [`Decoded::verbs_summary`] are cut to this many chars.
const SUMMARY_VALUE_MAX: usize = 24;

const BOM: char = '\u{feff}';

// Apps and proxies differ in padding and trailing bits; the pane wants the text, not a lecture.
const LENIENT: GeneralPurposeConfig = GeneralPurposeConfig::new()
    .with_decode_padding_mode(DecodePaddingMode::Indifferent)
    .with_decode_allow_trailing_bits(true);
const STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// A decoded `responseBody`, ready for display.
#[derive(Debug, Clone, PartialEq)]
pub struct Decoded {
    /// The decoded body text (possibly lossy, possibly truncated).
    pub text: String,
    /// Invalid UTF-8 was replaced with U+FFFD.
    pub lossy_utf8: bool,
    /// The body was longer than [`MAX_DECODED_BYTES`] and was cut.
    pub truncated: bool,
    /// Base64 decoding failed: `text` is empty and `doc` is `None` then.
    pub base64_error: Option<String>,
    /// The root element, when the body parsed as XML.
    pub doc: Option<Node>,
    /// Why the body is not (well-formed) XML, and where.
    pub error: Option<XmlError>,
    /// Pretty-printed lines when `doc` is `Some`; otherwise the raw text lines (kind `Text`,
    /// with the spot of a parse error marked as kind `Error`).
    pub lines: Vec<Line>,
}

/// A parse failure with its position in [`Decoded::text`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub message: String,
    /// Byte offset into the text.
    pub offset: usize,
    /// 1-based.
    pub line: usize,
    /// 1-based, counted in chars.
    pub column: usize,
}

/// An XML element. `text` is the trimmed concatenation of its direct text and CDATA, unescaped.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Node {
    pub name: String,
    pub attrs: Vec<(String, String)>,
    pub text: String,
    pub children: Vec<Node>,
}

/// One display line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// Nesting depth; rendered as two spaces per level.
    pub indent: u16,
    pub tokens: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
}

/// What a [`Token`] is, for syntax colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TokenKind {
    /// `<`, `>`, `</`, `/>`, `=`, quotes and the spaces between attributes.
    Punct,
    /// Element names.
    Tag,
    AttrName,
    AttrValue,
    Text,
    Comment,
    /// `<?xml ...?>`, other processing instructions, `<!DOCTYPE ...>`.
    Declaration,
    /// Where a parse error was found, in raw-text lines.
    Error,
}

impl Node {
    /// The value of the first attribute called `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

impl Line {
    /// The line as plain text: two spaces per indent level, then the tokens.
    pub fn plain(&self) -> String {
        let len =
            usize::from(self.indent) * 2 + self.tokens.iter().map(|t| t.text.len()).sum::<usize>();
        let mut out = String::with_capacity(len);
        for _ in 0..self.indent {
            out.push_str("  ");
        }
        for token in &self.tokens {
            out.push_str(&token.text);
        }
        out
    }

    fn new(indent: u16) -> Self {
        Line {
            indent,
            tokens: Vec::new(),
        }
    }

    /// Appends `text`, merging it into the previous token when the kind is the same, so that
    /// e.g. `"` + `>` costs one allocation.
    fn push(&mut self, kind: TokenKind, text: &str) {
        if text.is_empty() {
            return;
        }
        if let Some(last) = self.tokens.last_mut() {
            if last.kind == kind {
                last.text.push_str(text);
                return;
            }
        }
        self.tokens.push(Token {
            kind,
            text: text.to_owned(),
        });
    }
}

impl Decoded {
    /// The TwiML as text: the pretty-printed lines when it parsed, else its text lines.
    pub fn plain_text(&self) -> String {
        if self.lines.is_empty() {
            return self.text.clone();
        }
        self.lines
            .iter()
            .map(Line::plain)
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// Base64 decoded and the body is well-formed XML.
    pub fn is_ok(&self) -> bool {
        self.base64_error.is_none() && self.error.is_none() && self.doc.is_some()
    }

    /// The body decoded to nothing but whitespace.
    pub fn is_empty_body(&self) -> bool {
        self.base64_error.is_none() && self.text.trim_start_matches(BOM).trim().is_empty()
    }

    /// The root element is `<Response>`, i.e. this looks like `TwiML` rather than other XML
    /// (an HTML error page that happens to be well-formed, say).
    pub fn is_twiml(&self) -> bool {
        self.doc
            .as_ref()
            .is_some_and(|root| root.name == "Response")
    }

    /// A one-line description of what is wrong, or `None` when nothing is.
    pub fn problem(&self) -> Option<String> {
        if let Some(e) = &self.base64_error {
            return Some(e.clone());
        }
        if let Some(e) = &self.error {
            let mut out = format!(
                "not XML: {} at line {}, column {}",
                e.message, e.line, e.column
            );
            if self.truncated {
                // Likely the cut itself broke the XML; say so rather than blame the app.
                let _ = write!(out, " (body truncated at {} KiB)", MAX_DECODED_BYTES / 1024);
            }
            return Some(out);
        }
        if self.doc.is_none() && self.is_empty_body() {
            return Some("empty body".to_owned());
        }
        None
    }

    /// The root's children (the `TwiML` verbs) on one line, e.g.
    /// `Say → Gather(action=/menu) → Redirect(/voice)`. Empty when the body is not XML.
    pub fn verbs_summary(&self) -> String {
        let Some(root) = &self.doc else {
            return String::new();
        };
        let mut out = String::new();
        for (i, verb) in root.children.iter().enumerate() {
            if i > 0 {
                out.push_str(" → ");
            }
            out.push_str(&verb.name);
            push_verb_detail(&mut out, verb);
        }
        out
    }

    fn base64_failure(message: String) -> Self {
        Decoded {
            text: String::new(),
            lossy_utf8: false,
            truncated: false,
            base64_error: Some(message),
            doc: None,
            error: None,
            lines: Vec::new(),
        }
    }
}

impl XmlError {
    /// Locates `offset` in `text`, snapping back to a char boundary.
    fn at(text: &str, offset: usize, message: String) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = text.get(..offset).unwrap_or_default();
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
        let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
        XmlError {
            message,
            offset,
            line,
            column,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Base64 and text

/// Decodes base64 in the standard or URL-safe alphabet, padded or not, with ASCII whitespace
/// (line breaks) anywhere.
pub fn decode_base64(b64: &str) -> Result<Vec<u8>, String> {
    decode_base64_limited(b64, usize::MAX)
}

/// As [`decode_base64`], but stops soon after `limit` output bytes so a huge body costs no more
/// than the part that will be shown. Output longer than `limit` means there was more.
fn decode_base64_limited(b64: &str, limit: usize) -> Result<Vec<u8>, String> {
    // Whole 4-char groups decode to whole 3-byte groups, so a prefix of this length is valid
    // and decodes to more than `limit` bytes.
    let max_chars = (limit / 3).saturating_add(1).saturating_mul(4);
    // The common case (standard alphabet, one line) in one pass; the variants only on failure.
    if let Ok(bytes) = STANDARD.decode(b64.get(..max_chars).unwrap_or(b64)) {
        return Ok(bytes);
    }
    let compact: Cow<'_, str> = if b64.bytes().any(|b| b.is_ascii_whitespace()) {
        Cow::Owned(b64.chars().filter(|c| !c.is_ascii_whitespace()).collect())
    } else {
        Cow::Borrowed(b64)
    };
    let engine = if compact.contains(['-', '_']) {
        &URL_SAFE
    } else {
        &STANDARD
    };
    let input = compact.get(..max_chars).unwrap_or(&compact);
    engine
        .decode(input)
        .map_err(|e| describe_base64_error(&e, b64))
}

fn describe_base64_error(e: &base64::DecodeError, original: &str) -> String {
    use base64::DecodeError as D;
    match *e {
        D::InvalidByte(at, byte) => format!(
            "invalid base64 at byte {}: {}",
            original_offset(original, at),
            describe_byte(byte)
        ),
        D::InvalidLastSymbol(at, byte) => format!(
            "invalid base64 at byte {}: {} cannot end the data",
            original_offset(original, at),
            describe_byte(byte)
        ),
        D::InvalidLength(len) => {
            format!("invalid base64: length {len} is impossible (cut short, or a stray character?)")
        }
        D::InvalidPadding => "invalid base64: wrong padding".to_owned(),
    }
}

fn describe_byte(byte: u8) -> String {
    if byte.is_ascii_graphic() {
        format!("unexpected '{}'", char::from(byte))
    } else {
        format!("unexpected byte 0x{byte:02x}")
    }
}

/// Maps an offset in the whitespace-stripped input back to the input the user has.
fn original_offset(original: &str, compact_offset: usize) -> usize {
    original
        .bytes()
        .enumerate()
        .filter(|(_, b)| !b.is_ascii_whitespace())
        .nth(compact_offset)
        .map_or(original.len(), |(i, _)| i)
}

/// base64 → bytes → text → XML.
pub fn decode(b64: &str) -> Decoded {
    match decode_base64_limited(b64, MAX_DECODED_BYTES) {
        Ok(bytes) => decode_vec(bytes, Render::Lines),
        Err(message) => Decoded::base64_failure(message),
    }
}

/// Like [`decode`] but without the pretty-printed lines: the text, the tree and any problem.
/// For the ingest-time check ([`crate::domain::check`]), which displays no lines.
pub fn decode_unrendered(b64: &str) -> Decoded {
    match decode_base64_limited(b64, MAX_DECODED_BYTES) {
        Ok(bytes) => decode_vec(bytes, Render::No),
        Err(message) => Decoded::base64_failure(message),
    }
}

/// Whether to build [`Decoded::lines`].
#[derive(Clone, Copy, PartialEq, Eq)]
enum Render {
    Lines,
    No,
}

/// Bytes → text (invalid UTF-8 replaced and flagged) → XML.
pub fn decode_bytes(bytes: &[u8]) -> Decoded {
    // One byte past the limit is enough for `decode_vec` to see the body was cut.
    let head = bytes.get(..=MAX_DECODED_BYTES).unwrap_or(bytes);
    decode_vec(head.to_vec(), Render::Lines)
}

/// Text → XML.
pub fn decode_text(text: &str) -> Decoded {
    let truncated = text.len() > MAX_DECODED_BYTES;
    let text = if truncated {
        let mut end = MAX_DECODED_BYTES;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.get(..end).unwrap_or_default()
    } else {
        text
    };
    finish(text.to_owned(), false, truncated, Render::Lines)
}

fn decode_vec(mut bytes: Vec<u8>, render: Render) -> Decoded {
    let truncated = bytes.len() > MAX_DECODED_BYTES;
    if truncated {
        bytes.truncate(MAX_DECODED_BYTES);
        drop_split_char(&mut bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => finish(text, false, truncated, render),
        Err(e) => {
            let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
            finish(text, true, truncated, render)
        }
    }
}

/// Cutting at a byte count can split a UTF-8 sequence; drop the stub rather than flag the whole
/// body as lossy for a defect we introduced.
fn drop_split_char(bytes: &mut Vec<u8>) {
    let len = bytes.len();
    for back in 1..=len.min(4) {
        let Some(&b) = bytes.get(len - back) else {
            return;
        };
        if b & 0xC0 != 0x80 {
            let needed = match b {
                0xF0.. => 4,
                0xE0.. => 3,
                0xC0.. => 2,
                _ => 1,
            };
            if needed > back {
                bytes.truncate(len - back);
            }
            return;
        }
    }
}

fn finish(text: String, lossy_utf8: bool, truncated: bool, render: Render) -> Decoded {
    let mut decoded = Decoded {
        text,
        lossy_utf8,
        truncated,
        base64_error: None,
        doc: None,
        error: None,
        lines: Vec::new(),
    };
    if decoded.is_empty_body() {
        return decoded;
    }
    match parse(&decoded.text) {
        Ok(mut top) => {
            if render == Render::Lines {
                let mut lines = Vec::new();
                render_items(&top, 0, &mut lines);
                decoded.lines = lines;
            }
            let root = top.iter_mut().find_map(|item| match item {
                Content::Elem(e) => Some(std::mem::take(e)),
                _ => None,
            });
            decoded.doc = root.map(into_node);
        }
        Err(error) => {
            if render == Render::Lines {
                decoded.lines = raw_lines(&decoded.text, Some(&error));
            }
            decoded.error = Some(error);
        }
    }
    decoded
}

// ---------------------------------------------------------------------------------------------
// Parsing

/// An element as parsed, keeping content order (text, comments, children) for display.
#[derive(Debug, Default)]
struct Elem {
    name: String,
    attrs: Vec<(String, String)>,
    content: Vec<Content>,
    /// Written `<x/>` rather than `<x></x>`; shown as written.
    self_closing: bool,
}

#[derive(Debug)]
enum Content {
    Elem(Elem),
    /// Unescaped; adjacent text and CDATA merged.
    Text(String),
    /// Raw, with `<!--` and `-->`.
    Comment(String),
    /// Raw `<?...?>` or `<!DOCTYPE ...>`.
    Markup(String),
}

/// A parse error at a byte offset in the parsed slice.
struct Failure(usize, String);

fn parse(text: &str) -> Result<Vec<Content>, XmlError> {
    // quick-xml skips a BOM without counting it, so its offsets are relative to `body`.
    let body = text.strip_prefix(BOM).unwrap_or(text);
    let base = text.len() - body.len();
    parse_body(body).map_err(|Failure(offset, message)| XmlError::at(text, base + offset, message))
}

const fn is_xml_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Parses and checks a body into its items.
fn parse_body(body: &str) -> Result<Vec<Content>, Failure> {
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

fn to_usize(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

fn check_open(depth: usize, has_root: bool, start: usize) -> Result<(), Failure> {
    if depth == 0 && has_root {
        return Err(Failure(start, "more than one root element".to_owned()));
    }
    if depth >= MAX_DEPTH {
        return Err(Failure(start, format!("nesting deeper than {MAX_DEPTH}")));
    }
    Ok(())
}

fn element(tag: &BytesStart<'_>, self_closing: bool, start: usize) -> Result<Elem, Failure> {
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
fn describe_attr_error(e: &AttrError, tag_start: usize) -> Failure {
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

fn describe_xml_error(e: &XmlParseError) -> String {
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

fn attach(stack: &mut [(Elem, usize)], top: &mut Vec<Content>, item: Content) {
    match stack.last_mut() {
        Some((parent, _)) => parent.content.push(item),
        None => top.push(item),
    }
}

fn push_text(stack: &mut [(Elem, usize)], text: Cow<'_, str>) {
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
fn into_node(elem: Elem) -> Node {
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

// ---------------------------------------------------------------------------------------------
// Display

fn depth_indent(depth: usize) -> u16 {
    u16::try_from(depth).unwrap_or(u16::MAX)
}

/// Recursion is bounded by [`MAX_DEPTH`], enforced while parsing.
fn render_items(items: &[Content], depth: usize, out: &mut Vec<Line>) {
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
fn push_multiline(out: &mut Vec<Line>, depth: usize, kind: TokenKind, text: &str) {
    for part in text.lines() {
        let part = part.trim();
        if !part.is_empty() {
            let mut line = Line::new(depth_indent(depth));
            line.push(kind, part);
            out.push(line);
        }
    }
}

fn render_elem(e: &Elem, depth: usize, out: &mut Vec<Line>) {
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

fn fits_one_line(text: &str) -> bool {
    !text.contains('\n') && text.chars().count() <= ONE_LINE_TEXT_MAX
}

fn open_tag(line: &mut Line, e: &Elem) {
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

fn close_tag(line: &mut Line, name: &str) {
    line.push(TokenKind::Punct, "</");
    line.push(TokenKind::Tag, name);
    line.push(TokenKind::Punct, ">");
}

/// The text as it is, one `Text` line per source line; the markup at the error offset (up to
/// its `>`, or one char) becomes an `Error` token so the pane can point at it.
fn raw_lines(text: &str, error: Option<&XmlError>) -> Vec<Line> {
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

// ---------------------------------------------------------------------------------------------
// Verb summary

fn push_verb_detail(out: &mut String, verb: &Node) {
    let start = out.len();
    out.push('(');
    let wrote = match verb.name.as_str() {
        "Dial" => push_dial_target(out, verb),
        "Gather" | "Record" | "Pay" => push_attr(out, verb, "action"),
        "Enqueue" => push_attr(out, verb, "action") || push_short(out, &verb.text),
        "Redirect" => push_short(out, &verb.text),
        "Play" => push_short(out, &verb.text) || push_attr(out, verb, "digits"),
        "Connect" => verb
            .children
            .first()
            .is_some_and(|c| push_short(out, &c.name)),
        _ => false,
    };
    if wrote {
        out.push(')');
    } else {
        out.truncate(start);
    }
}

/// Whom is dialled says more than where the result goes, so nouns win over `action`.
fn push_dial_target(out: &mut String, dial: &Node) -> bool {
    if let Some(noun) = dial.children.first() {
        // <Client> may carry its identity in a nested <Identity>.
        let value = if noun.text.is_empty() {
            noun.children.first().map_or("", |c| c.text.as_str())
        } else {
            noun.text.as_str()
        };
        if noun.name != "Number" || value.is_empty() {
            out.push_str(&noun.name);
            if !value.is_empty() {
                out.push(':');
            }
        }
        push_short(out, value);
        if dial.children.len() > 1 {
            out.push_str(", …");
        }
        return true;
    }
    push_short(out, &dial.text) || push_attr(out, dial, "action")
}

fn push_attr(out: &mut String, node: &Node, name: &str) -> bool {
    match node.attr(name) {
        Some(value) if !value.is_empty() => {
            out.push_str(name);
            out.push('=');
            push_short(out, value)
        }
        _ => false,
    }
}

/// Appends `value`, cut to [`SUMMARY_VALUE_MAX`] chars with `…`; false when it is empty.
fn push_short(out: &mut String, value: &str) -> bool {
    match value.char_indices().nth(SUMMARY_VALUE_MAX) {
        Some(_) => {
            let keep = value
                .char_indices()
                .nth(SUMMARY_VALUE_MAX - 1)
                .map_or(value.len(), |(i, _)| i);
            out.push_str(value.get(..keep).unwrap_or(value));
            out.push('…');
        }
        None => out.push_str(value),
    }
    !value.is_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: &str = "PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz48UmVzcG9uc2U+PFNheT48L1NheT48UGF1c2UgbGVuZ3RoPSIxIi8+PFJlZGlyZWN0IG1ldGhvZD0iUE9TVCI+aHR0cHM6Ly9teWNvbXBhbnkuY29tL2FuLWVuZHBvaW50PC9SZWRpcmVjdD48L1Jlc3BvbnNlPg==";

    fn plain(d: &Decoded) -> Vec<String> {
        d.lines.iter().map(Line::plain).collect()
    }

    fn node(name: &str, attrs: &[(&str, &str)], text: &str, children: Vec<Node>) -> Node {
        Node {
            name: name.to_owned(),
            attrs: attrs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            text: text.to_owned(),
            children,
        }
    }

    fn b64(text: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(text)
    }

    #[test]
    fn seed_body_decodes() {
        let d = decode(SEED);
        assert!(d.is_ok(), "{:?}", d.problem());
        assert!(d.is_twiml());
        assert_eq!(d.problem(), None);
        assert!(!d.lossy_utf8 && !d.truncated);
        let expected = node(
            "Response",
            &[],
            "",
            vec![
                node("Say", &[], "", vec![]),
                node("Pause", &[("length", "1")], "", vec![]),
                node(
                    "Redirect",
                    &[("method", "POST")],
                    "https://mycompany.com/an-endpoint",
                    vec![],
                ),
            ],
        );
        assert_eq!(d.doc, Some(expected));
        assert_eq!(
            plain(&d),
            [
                r#"<?xml version="1.0" encoding="UTF-8"?>"#,
                "<Response>",
                "  <Say></Say>",
                r#"  <Pause length="1"/>"#,
                r#"  <Redirect method="POST">https://mycompany.com/an-endpoint</Redirect>"#,
                "</Response>",
            ]
        );
        assert_eq!(
            d.verbs_summary(),
            "Say → Pause → Redirect(https://mycompany.com/a…)"
        );
    }

    #[test]
    fn seed_tokens_are_tagged() {
        let d = decode(SEED);
        let kinds = |i: usize| -> Vec<(TokenKind, &str)> {
            d.lines[i]
                .tokens
                .iter()
                .map(|t| (t.kind, t.text.as_str()))
                .collect()
        };
        assert_eq!(
            kinds(0),
            [(
                TokenKind::Declaration,
                r#"<?xml version="1.0" encoding="UTF-8"?>"#
            )]
        );
        assert_eq!(
            kinds(3),
            [
                (TokenKind::Punct, "<"),
                (TokenKind::Tag, "Pause"),
                (TokenKind::Punct, " "),
                (TokenKind::AttrName, "length"),
                (TokenKind::Punct, "=\""),
                (TokenKind::AttrValue, "1"),
                (TokenKind::Punct, "\"/>"),
            ]
        );
        assert_eq!(d.lines[3].indent, 1);
    }

    #[test]
    fn base64_variants_give_the_same_result() {
        let reference = decode(SEED);
        let unpadded = SEED.trim_end_matches('=');
        let wrapped: String = SEED
            .as_bytes()
            .chunks(76)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\r\n");
        let spaced = format!("  {}\n ", SEED.replace("PD94", "PD 94\t"));
        let url_safe = SEED.replace('+', "-").replace('/', "_");
        assert!(
            url_safe.contains(['-', '_']),
            "seed should exercise the URL-safe alphabet"
        );
        let url_unpadded = url_safe.trim_end_matches('=');
        for variant in [unpadded, &wrapped, &spaced, &url_safe, url_unpadded] {
            assert_eq!(decode(variant), reference, "variant {variant:?}");
        }
    }

    #[test]
    fn invalid_base64_is_reported_with_its_position() {
        let d = decode("PD94bWwg*mVy");
        assert_eq!(
            d.base64_error.as_deref(),
            Some("invalid base64 at byte 8: unexpected '*'")
        );
        assert!(d.text.is_empty() && d.doc.is_none() && d.lines.is_empty());
        assert!(!d.is_ok() && !d.is_empty_body());
        assert_eq!(d.problem(), d.base64_error);
        assert_eq!(d.verbs_summary(), "");

        // Offsets count in the input as given, whitespace included.
        let e = decode_base64("PD94\nbWwg*mVy").unwrap_err();
        assert_eq!(e, "invalid base64 at byte 9: unexpected '*'");
        assert!(decode_base64("PD94b").unwrap_err().contains("length"));
        // Both alphabets at once is not one of the accepted forms.
        assert!(decode_base64("ab+/cd-_").is_err());
    }

    #[test]
    fn invalid_utf8_is_replaced_and_flagged() {
        let d = decode_bytes(b"<Response><Say>caf\xe9</Say></Response>");
        assert!(d.lossy_utf8);
        assert!(d.is_ok());
        let root = d.doc.as_ref().unwrap();
        assert_eq!(root.children[0].text, "caf\u{fffd}");

        let d = decode(&base64::engine::general_purpose::STANDARD.encode(b"\xff\xfe"));
        assert!(d.lossy_utf8);
        assert!(d.error.is_some());
    }

    #[test]
    fn html_error_page_that_is_well_formed_parses() {
        let d = decode_text("<html><body><h1>502 Bad Gateway</h1></body></html>");
        assert!(d.is_ok());
        assert!(!d.is_twiml());
        assert_eq!(d.doc.as_ref().unwrap().name, "html");
        assert_eq!(
            plain(&d),
            [
                "<html>",
                "  <body>",
                "    <h1>502 Bad Gateway</h1>",
                "  </body>",
                "</html>"
            ]
        );
    }

    #[test]
    fn nginx_error_page_is_kept_as_text_with_the_error() {
        let page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
        let d = decode(&b64(page));
        assert!(d.doc.is_none());
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (6, 1));
        assert!(e.message.contains("</hr>"), "{}", e.message);
        assert_eq!(
            plain(&d),
            page.lines().map(str::to_owned).collect::<Vec<_>>()
        );
        let error_tokens: Vec<_> = d
            .lines
            .iter()
            .flat_map(|l| &l.tokens)
            .filter(|t| t.kind == TokenKind::Error)
            .map(|t| t.text.as_str())
            .collect();
        assert_eq!(error_tokens, ["</body>"]);
        assert!(
            d.problem()
                .unwrap()
                .starts_with("not XML: ill-formed document: expected `</hr>`")
        );
    }

    #[test]
    fn json_body_is_not_xml() {
        let d = decode_text("\n  {\"error\": \"oops\"}\n");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column, e.offset), (2, 3, 3));
        assert_eq!(
            d.problem().as_deref(),
            Some("not XML: body looks like JSON at line 2, column 3")
        );
        assert_eq!(plain(&d), ["", "  {\"error\": \"oops\"}"]);
        assert!(d.lines[0].tokens.is_empty());
        assert_eq!(d.lines[1].tokens[0].kind, TokenKind::Text);
        assert_eq!(d.lines[1].tokens[1].kind, TokenKind::Error);
        assert_eq!(d.verbs_summary(), "");
        assert!(!d.is_ok());
    }

    #[test]
    fn plain_text_is_not_xml() {
        let d = decode_text("\u{feff}OK");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (1, 2));
        assert_eq!(e.message, "expected '<', found 'O'");
        assert_eq!(plain(&d), ["\u{feff}OK"]);
    }

    #[test]
    fn empty_body() {
        for d in [
            decode(""),
            decode("ICAK"),
            decode_text(" \n\t"),
            decode_bytes(b""),
        ] {
            assert!(d.is_empty_body());
            assert_eq!(d.problem().as_deref(), Some("empty body"));
            assert!(d.error.is_none() && d.doc.is_none() && d.lines.is_empty());
            assert!(!d.is_ok());
            assert_eq!(d.verbs_summary(), "");
        }
    }

    #[test]
    fn malformed_xml_positions() {
        // Mismatched end tag: points at the `<` of `</Response>`.
        let d = decode_text("<Response>\n  <Gather>\n    <Say>x</Say>\n</Response>");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (4, 1));
        assert_eq!(d.lines.len(), 4);

        // Unclosed element: points at its start tag.
        let d = decode_text("<Response>\n  <Say>héllo</Say>\n  <Gather>");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (3, 3));
        assert_eq!(e.message, "<Gather> is never closed");

        // Unclosed tag at end of input.
        let d = decode_text("<Response><Say");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (1, 11));

        // Columns count chars, not bytes.
        let d = decode_text("<Say>ééé</Sey>");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.offset, e.column), (11, 9));

        // Text after the root.
        let d = decode_text("<Response/>\n junk");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (2, 2));
        assert_eq!(e.message, "text after the root element");

        // Two roots.
        let d = decode_text("<Response/><Response/>");
        let e = d.error.as_ref().unwrap();
        assert_eq!((e.line, e.column), (1, 12));
        assert_eq!(e.message, "more than one root element");

        // Unknown entity.
        let d = decode_text("<Say>a&nbsp;b</Say>");
        let e = d.error.as_ref().unwrap();
        assert_eq!(e.column, 7);
        assert_eq!(e.message, "unknown entity &nbsp;");

        // Attribute without a value, HTML style.
        // It points where the `=` should have been.
        let d = decode_text("<Dial record>x</Dial>");
        let e = d.error.as_ref().unwrap();
        assert_eq!(e.column, 13);
        assert_eq!(e.message, "attribute without '=' and a value");
        let d = decode_text("<Dial a=\"1\" a=\"2\"/>");
        assert_eq!(d.error.as_ref().unwrap().column, 13);

        // Only a declaration.
        let d = decode_text("<?xml version=\"1.0\"?>");
        assert_eq!(d.error.as_ref().unwrap().message, "no root element");
    }

    #[test]
    fn pretty_printing() {
        let xml = "<?xml version=\"1.0\"?>\n<!-- generated -->\n<Response>\n  <Gather action=\"/menu?a=1&amp;b=2\" numDigits=\"1\">\n    <Say voice=\"alice\"><![CDATA[Press 1]]> for sales.</Say>\n  </Gather>\n  <Say>\n    This sentence is rather long and will not fit on the same line as its tags.\n  </Say>\n  <Say>Hello <break time=\"1s\"/> <prosody rate=\"slow\">world</prosody></Say>\n</Response>";
        let d = decode_text(xml);
        assert!(d.is_ok(), "{:?}", d.problem());
        assert_eq!(
            plain(&d),
            [
                "<?xml version=\"1.0\"?>",
                "<!-- generated -->",
                "<Response>",
                "  <Gather action=\"/menu?a=1&b=2\" numDigits=\"1\">",
                "    <Say voice=\"alice\">Press 1 for sales.</Say>",
                "  </Gather>",
                "  <Say>",
                "    This sentence is rather long and will not fit on the same line as its tags.",
                "  </Say>",
                "  <Say>",
                "    Hello",
                "    <break time=\"1s\"/>",
                "    <prosody rate=\"slow\">world</prosody>",
                "  </Say>",
                "</Response>",
            ]
        );
        assert_eq!(d.lines[1].tokens[0].kind, TokenKind::Comment);
        let root = d.doc.as_ref().unwrap();
        assert_eq!(root.children[0].attr("action"), Some("/menu?a=1&b=2"));
        assert_eq!(root.children[0].children[0].text, "Press 1 for sales.");
        assert_eq!(root.children[2].text, "Hello");
        assert_eq!(root.children[2].children.len(), 2);
    }

    #[test]
    fn summary_gather_with_nested_say() {
        let d = decode_text(
            "<Response><Say>Hi</Say><Gather action=\"/menu\" input=\"dtmf\"><Say>Press 1</Say></Gather><Redirect method=\"POST\">/voice</Redirect></Response>",
        );
        assert_eq!(
            d.verbs_summary(),
            "Say → Gather(action=/menu) → Redirect(/voice)"
        );
    }

    #[test]
    fn summary_dial() {
        let d = decode_text(
            "<Response><Dial action=\"/after\"><Number>+14155550100</Number></Dial><Dial><Queue>support</Queue></Dial><Dial>+14155550199</Dial><Dial action=\"/x\"/><Dial><Number>+1</Number><Client><Identity>bob</Identity></Client></Dial><Hangup/></Response>",
        );
        assert_eq!(
            d.verbs_summary(),
            "Dial(+14155550100) → Dial(Queue:support) → Dial(+14155550199) → Dial(action=/x) → Dial(+1, …) → Hangup"
        );
        let d = decode_text(
            "<Response><Dial><Client><Identity>bob</Identity></Client></Dial></Response>",
        );
        assert_eq!(d.verbs_summary(), "Dial(Client:bob)");
    }

    #[test]
    fn summary_truncates_long_values() {
        let d = decode_text(
            "<Response><Play>https://example.com/sounds/very-long-name.mp3</Play></Response>",
        );
        assert_eq!(d.verbs_summary(), "Play(https://example.com/sou…)");
        let inner = d.verbs_summary();
        let value = inner.trim_start_matches("Play(").trim_end_matches(')');
        assert_eq!(value.chars().count(), SUMMARY_VALUE_MAX);
    }

    #[test]
    fn nesting_is_bounded() {
        let ok = format!("{}{}", "<a>".repeat(MAX_DEPTH), "</a>".repeat(MAX_DEPTH));
        assert!(decode_text(&ok).is_ok());

        let deep = format!(
            "{}{}",
            "<a>".repeat(MAX_DEPTH + 1),
            "</a>".repeat(MAX_DEPTH + 1)
        );
        let e = decode_text(&deep).error.unwrap();
        assert_eq!(e.message, "nesting deeper than 64");
        assert_eq!(e.column, MAX_DEPTH * 3 + 1);

        let self_closing = format!(
            "{}<a/>{}",
            "<a>".repeat(MAX_DEPTH),
            "</a>".repeat(MAX_DEPTH)
        );
        assert!(decode_text(&self_closing).error.is_some());

        // Far deeper than any stack would survive if anything recursed on input depth.
        let hostile = "<a>".repeat(200_000);
        let d = decode_text(&hostile);
        assert!(d.truncated);
        assert_eq!(d.error.unwrap().message, "nesting deeper than 64");
    }

    #[test]
    fn truncation_is_flagged() {
        let filler = "x".repeat(MAX_DECODED_BYTES);
        let body = format!("<Response><Say>{filler}</Say></Response>");
        for d in [
            decode(&b64(&body)),
            decode_bytes(body.as_bytes()),
            decode_text(&body),
        ] {
            assert!(d.truncated);
            assert_eq!(d.text.len(), MAX_DECODED_BYTES);
            assert!(d.error.is_some());
            assert!(
                d.problem()
                    .unwrap()
                    .ends_with("(body truncated at 256 KiB)")
            );
        }

        // A cut through a multi-byte char is our doing, not the sender's.
        let body = format!("<a>{}</a>", "é".repeat(MAX_DECODED_BYTES));
        let d = decode_bytes(body.as_bytes());
        assert!(d.truncated && !d.lossy_utf8);
        assert!(d.text.len() <= MAX_DECODED_BYTES);

        let d = decode(&b64("<Response/>"));
        assert!(!d.truncated);
    }

    #[test]
    fn line_plain_indents_two_spaces_per_level() {
        let mut line = Line::new(2);
        line.push(TokenKind::Text, "hi");
        line.push(TokenKind::Text, " there");
        assert_eq!(line.tokens.len(), 1);
        assert_eq!(line.plain(), "    hi there");
    }

    /// The ingest-time decode (no lines) must judge every body as the pane's decode does.
    #[test]
    fn unrendered_decode_agrees_with_decode() {
        let bodies = [
            "<Response><Say>Hi</Say></Response>",
            "<?xml version=\"1.0\"?><Response><Pause length=\"1\"/></Response>",
            "\u{feff}<Response/>",
            "",
            "   ",
            "{\"json\": true}",
            "plain text",
            "<Response><Say>a &amp; b</Say></Response>",
            "<Response><Say>a &nbsp; b</Say></Response>",
            "<Response><Say>a & b</Say></Response>",
            "<Response><Say x=\"&bogus;\">a</Say></Response>",
            "<Response><Say x=1>a</Say></Response>",
            "<Response><Say x=\"1\" x=\"2\">a</Say></Response>",
            "<Response></Say></Response>",
            "<Response><Say>",
            "<Response/><Response/>",
            "<Response/>trailing",
            "leading<Response/>",
            "<!-- only a comment -->",
            "<Response><![CDATA[x]]></Response>",
            "<![CDATA[x]]><Response/>",
            "<html><body><h1>502 Bad Gateway</h1><hr></body></html>",
            "< Response/>",
            "<>",
        ];
        let deep = format!("{}{}", "<a>".repeat(70), "</a>".repeat(70));
        for body in bodies.iter().copied().chain([deep.as_str()]) {
            let b = b64(body);
            assert_agree(&b, body);
        }
        for bad in ["!!!", "QQ", "@@@@"] {
            assert_agree(bad, bad);
        }
    }

    fn assert_agree(b64: &str, what: &str) {
        let (quick, full) = (decode_unrendered(b64), decode(b64));
        assert_eq!(quick.problem(), full.problem(), "{what:?}");
        assert_eq!(quick.is_ok(), full.is_ok(), "{what:?}");
        assert_eq!(quick.doc, full.doc, "{what:?}");
        assert_eq!(quick.text, full.text, "{what:?}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        #[test]
        fn unrendered_decode_agrees_on_arbitrary_markup(body in "(<[A-Za-z]{0,3}( [a-z]{1,2}=\"[a-z&;]{0,3}\")?/?>|</[A-Za-z]{0,3}>|[a-z &;]{0,3}|<!--x-->|<\\?xml\\?>){0,8}") {
            let b = b64(&body);
            let (quick, full) = (decode_unrendered(&b), decode(&b));
            proptest::prop_assert_eq!(quick.problem(), full.problem(), "{:?}", body);
            proptest::prop_assert_eq!(quick.doc, full.doc, "{:?}", body);
        }
    }
}
