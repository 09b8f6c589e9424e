//! `TwiML` decoding: `responseBody` (base64) → text → XML tree → pretty-printed, token-tagged
//! lines for the detail pane, plus a one-line verb summary. One job a file: [`encoding`]
//! (base64 and text), [`parse`] (the tree), [`pretty`] (the lines), [`summary`] (the verbs on
//! one line); this file holds the types and the decode entry points.
//!
//! Everything here takes untrusted network input: no panics, decoded size capped at
//! [`MAX_DECODED_BYTES`], element nesting capped at [`MAX_DEPTH`] and never recursed past it.

mod encoding;
mod parse;
mod pretty;
mod summary;

use std::fmt::Write as _;

pub use encoding::decode_base64;
use encoding::decode_base64_limited;
use parse::{Content, into_node, parse};
use pretty::{raw_lines, render_items};

/// Decoded bodies longer than this are cut here and flagged [`Decoded::truncated`].
pub const MAX_DECODED_BYTES: usize = 256 * 1024;

/// Deepest element nesting accepted; real `TwiML` rarely goes past 4.
pub const MAX_DEPTH: usize = 64;

const BOM: char = '\u{feff}';

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

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

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
        assert_eq!(value.chars().count(), summary::SUMMARY_VALUE_MAX);
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
