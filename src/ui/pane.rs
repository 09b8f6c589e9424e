//! The detail pane: the selected event's decoded TwiML, raw JSON or request parameters. Only
//! the lines in view are styled.

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::theme;
use crate::app::{App, Area, Geometry, Pane};
use crate::domain::Event;
use crate::domain::codes::{ErrorCode, Level};
use crate::domain::lint::{self, Severity};
use crate::domain::twiml::Decoded;
use crate::text::format::duration_text;
use crate::text::safe;

/// The tabs as drawn on the top border, from its second column: ` t TwiML `, ` r raw `,
/// ` p params `, a space before each.
const TABS: [(&str, &str, Pane); 3] = [
    ("t", "TwiML", Pane::Twiml),
    ("r", "raw", Pane::Raw),
    ("p", "params", Pane::Params),
];

/// Where each tab sits on the border row (columns `[start, end)`), for mouse clicks.
fn tab_columns(area: Rect) -> [(u16, u16); 3] {
    let mut out = [(0, 0); 3];
    // The border's corner, then a space before each tab.
    let mut x = area.x.saturating_add(1);
    for (slot, (key, name, _)) in out.iter_mut().zip(TABS) {
        x = x.saturating_add(1);
        let w = u16::try_from(key.len() + name.len() + 3).unwrap_or(u16::MAX);
        *slot = (x, x.saturating_add(w));
        x = x.saturating_add(w);
    }
    out
}

fn title(app: &App) -> Line<'static> {
    let tab = |key: &str, name: &str, on: bool| {
        let style = if on {
            theme::active_chip()
        } else {
            theme::dim()
        };
        Span::styled(format!(" {key} {name} "), style)
    };
    let mut spans = Vec::with_capacity(7);
    for (key, name, pane) in TABS {
        spans.push(Span::raw(" "));
        spans.push(tab(key, name, app.pane == pane));
    }
    spans.push(Span::raw(" "));
    Line::from(spans)
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, geo: &mut Geometry) {
    let mut block = Block::bordered().title(title(app));
    let inner = block.inner(area);
    geo.pane = Area {
        x: area.x,
        y: area.y,
        width: area.width,
        height: area.height,
    };
    geo.tabs = tab_columns(area);
    let Some(ev) = app.current() else {
        frame.render_widget(block, area);
        let hint = if app.store.is_empty() || app.store.view_len() > 0 {
            " Select an event to see its TwiML."
        } else {
            " No event matches the filters (Esc clears them)."
        };
        frame.render_widget(Paragraph::new(Span::styled(hint, theme::dim())), inner);
        return;
    };
    let (head, body) = match app.pane {
        Pane::Twiml => twiml_lines(app, ev),
        Pane::Raw => (Vec::new(), raw_body(app, ev)),
        Pane::Params => (Vec::new(), Body::Lines(param_lines(app, ev))),
    };
    // Masking applies to what is drawn: the few head lines, and the TwiML lines in view.
    let (head, body) = match body {
        _ if !app.mask => (head, body),
        Body::Twiml(d) => (mask_lines(head), Body::MaskedTwiml(d)),
        body => (mask_lines(head), body),
    };
    let width = usize::from(inner.width);
    let head: Vec<Line<'static>> = head
        .into_iter()
        .flat_map(|l| wrap(l, width, usize::MAX))
        .collect();
    let room = usize::from(inner.height).saturating_sub(head.len());
    let max_scroll = body.last_page_start(room, width);
    let scroll = app.pane_scroll.min(max_scroll);
    let (rows, shown) = body.rows(scroll, room, width);
    geo.pane_page = shown.max(1);
    geo.pane_max_scroll = max_scroll;
    let below = body.len().saturating_sub(scroll + shown);
    block = super::with_scroll_hint(block, scroll, below);
    frame.render_widget(block, area);
    let mut lines: Vec<Line<'_>> = head;
    lines.extend(rows);
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The scrollable part of the pane. Lines are styled and wrapped only when in view.
enum Body {
    Lines(Vec<Line<'static>>),
    /// Prepared text lines (the raw JSON), made into screen lines only when in view.
    Text(Rc<[String]>),
    Twiml(Rc<Decoded>),
    /// TwiML whose lines are masked as they come into view.
    MaskedTwiml(Rc<Decoded>),
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::Lines(l) => l.len(),
            Body::Text(l) => l.len(),
            Body::Twiml(d) | Body::MaskedTwiml(d) => d.lines.len(),
        }
    }

    /// Line `i`, borrowing the prepared text (a raw body line can be the whole base64
    /// answer: only the rows in view are copied, by [`wrap`]).
    fn line(&self, i: usize) -> Option<Line<'_>> {
        match self {
            Body::Lines(l) => l.get(i).cloned(),
            Body::Text(l) => l.get(i).map(|t| Line::from(t.as_str())),
            Body::Twiml(d) => d.lines.get(i).map(styled_line),
            Body::MaskedTwiml(d) => d.lines.get(i).map(|l| mask_line(styled_line(l))),
        }
    }

    /// Screen rows for lines `scroll..`, wrapped at `width`, at most `room` of them; and how
    /// many lines were shown whole (the page size for `PgDn`).
    fn rows(&self, scroll: usize, room: usize, width: usize) -> (Vec<Line<'_>>, usize) {
        let mut rows = Vec::with_capacity(room);
        let mut shown = 0;
        let mut i = scroll;
        while rows.len() < room {
            let Some(line) = self.line(i) else { break };
            // One row more than fits says the line does not fit whole.
            let take = room - rows.len();
            let wrapped = wrap(line, width, take + 1);
            if wrapped.len() <= take {
                shown += 1;
            }
            rows.extend(wrapped.into_iter().take(take));
            i += 1;
        }
        (rows, shown)
    }

    /// The scroll position whose page ends with the last line (so `PgDn` stops there).
    fn last_page_start(&self, room: usize, width: usize) -> usize {
        let mut used = 0;
        let mut start = self.len();
        while start > 0 {
            let left = room - used;
            let rows = self
                .line(start - 1)
                .map_or(1, |l| wrap(l, width, left + 1).len());
            if used + rows > room {
                break;
            }
            used += rows;
            start -= 1;
        }
        start.min(self.len().saturating_sub(1))
    }
}

/// Wraps a styled line at `width` columns, at most `max_rows` rows of it (a frame wraps no
/// more of a long line, such as a base64 body, than it can show); continuation rows keep the
/// line's indentation.
pub(super) fn wrap(line: Line<'_>, width: usize, max_rows: usize) -> Vec<Line<'_>> {
    use unicode_width::UnicodeWidthChar;
    // Whether it fits, without measuring all of a long line.
    let mut seen = 0;
    let fits = line.spans.iter().flat_map(|s| s.content.chars()).all(|c| {
        seen += c.width().unwrap_or(0);
        seen <= width
    });
    if width == 0 || fits {
        return vec![line];
    }
    let indent = line
        .spans
        .first()
        .map_or(0, |s| s.content.chars().take_while(|c| *c == ' ').count())
        .min(width / 2)
        + 2;
    let mut rows = Vec::new();
    let mut row: Vec<Span<'_>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        let mut piece = String::new();
        for c in span.content.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > indent {
                if !piece.is_empty() {
                    row.push(Span::styled(std::mem::take(&mut piece), span.style));
                }
                rows.push(Line::from(std::mem::take(&mut row)));
                if rows.len() == max_rows {
                    return rows;
                }
                row.push(Span::raw(" ".repeat(indent)));
                used = indent;
            }
            piece.push(c);
            used += w;
        }
        if !piece.is_empty() {
            row.push(Span::styled(piece, span.style));
        }
    }
    if !row.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

/// Meta lines (response code, type, duration, problem) and the TwiML lines.
fn twiml_lines(app: &App, ev: &Event) -> (Vec<Line<'static>>, Body) {
    let mut head = Vec::new();
    if let Some(reason) = &ev.invalid {
        head.push(Line::from(Span::styled(
            format!(" invalid: {}", safe::line(reason)),
            theme::problem(),
        )));
        return (head, raw_body(app, ev));
    }
    let viewed = app.viewed(ev.seq);
    let content_type = viewed.and_then(|v| v.content_type.as_deref());
    let mut meta = vec![Span::raw(" ")];
    if let Some(code) = ev.response_code {
        meta.push(Span::styled(code.to_string(), theme::status_code(code)));
        meta.push(Span::styled(" · ", theme::dim()));
    }
    if let Some(ct) = content_type {
        meta.push(Span::raw(safe::line(ct).into_owned()));
        meta.push(Span::styled(" · ", theme::dim()));
    }
    if let Some(d) = ev.duration_ms {
        meta.push(Span::styled(duration_text(d), theme::duration(d)));
    }
    head.push(Line::from(meta));
    if let Some(facts) = viewed.and_then(|v| v.proxy.as_deref()) {
        head.push(super::workbench::proxied_line(facts));
    }
    let Some(viewed) = viewed else {
        head.push(Line::from(Span::styled(" decoding…", theme::dim())));
        return (head, Body::Lines(Vec::new()));
    };
    let decoded = viewed.decoded.clone();
    if decoded.is_empty_body() && decoded.base64_error.is_none() {
        push_codes(&mut head, &viewed.codes);
        head.push(Line::from(Span::styled(
            " (no response body)",
            theme::dim(),
        )));
        return (head, Body::Lines(Vec::new()));
    }
    let html = content_type.is_some_and(|ct| ct.to_ascii_lowercase().contains("html"))
        || decoded
            .doc
            .as_ref()
            .is_some_and(|d| d.name.eq_ignore_ascii_case("html"));
    if html && !decoded.is_twiml() {
        head.push(Line::from(Span::styled(
            " ⚠ an HTML page, not TwiML (an error page?)",
            theme::problem(),
        )));
        if let Some(problem) = decoded.problem() {
            head.push(Line::from(Span::styled(
                format!("   {}", safe::line(&problem)),
                theme::dim(),
            )));
        }
    } else if let Some(problem) = decoded.problem() {
        head.push(Line::from(Span::styled(
            format!(" ⚠ {}", safe::line(&problem)),
            theme::problem(),
        )));
    } else if !decoded.is_twiml() {
        head.push(Line::from(Span::styled(
            " ⚠ XML, but the root is not <Response>",
            theme::problem(),
        )));
    } else if decoded.lossy_utf8 {
        head.push(Line::from(Span::styled(
            " ⚠ invalid UTF-8 replaced with �",
            theme::warning(),
        )));
    }
    push_codes(&mut head, &viewed.codes);
    push_findings(&mut head, &viewed.findings);
    (head, Body::Twiml(decoded))
}

/// The raw JSON as [`App::prepare`] laid it out (masked already when masking is on).
fn raw_body(app: &App, ev: &Event) -> Body {
    match app.raw_lines(ev.seq) {
        Some(lines) => Body::Text(lines),
        None => Body::Lines(vec![Line::from(Span::styled(" decoding…", theme::dim()))]),
    }
}

/// The codes Twilio's Debugger would log, a line each: inferred, with Twilio's page.
fn push_codes(head: &mut Vec<Line<'static>>, codes: &[ErrorCode]) {
    for c in codes {
        let style = match c.level {
            Level::Error => theme::problem(),
            Level::Warning => theme::warning(),
        };
        head.push(Line::from(vec![
            Span::styled(format!(" ◆ {} {}", c.code, c.meaning), style),
            Span::styled(
                format!(" · inferred: {} · {}", safe::line(&c.why), c.url),
                theme::dim(),
            ),
        ]));
    }
}

/// The TwiML check findings, a line each, the worst first (a few; the rest counted).
fn push_findings(head: &mut Vec<Line<'static>>, findings: &[lint::Finding]) {
    const SHOWN: usize = 4;
    for f in findings.iter().take(SHOWN) {
        let (mark, style) = match f.severity {
            Severity::Error => ("✗", theme::problem()),
            Severity::Warning => ("▲", theme::warning()),
        };
        let at = if f.path.is_empty() {
            String::new()
        } else {
            format!("  ({})", safe::line(&f.path))
        };
        head.push(Line::from(vec![
            Span::styled(format!(" {mark} {}", safe::line(&f.message)), style),
            Span::styled(at, theme::dim()),
        ]));
    }
    if findings.len() > SHOWN {
        head.push(Line::from(Span::styled(
            format!("   … {} more findings", findings.len() - SHOWN),
            theme::dim(),
        )));
    }
}

fn styled_line(l: &crate::domain::twiml::Line) -> Line<'static> {
    let mut spans = vec![Span::raw(" ".repeat(usize::from(l.indent) * 2 + 1))];
    spans.extend(
        l.tokens
            .iter()
            .map(|t| Span::styled(safe::line(&t.text).into_owned(), theme::token(t.kind))),
    );
    Line::from(spans)
}

/// Masks each span's text (phone numbers, identities, recording URLs) keeping its style.
fn mask_line(line: Line<'static>) -> Line<'static> {
    let spans = line
        .spans
        .into_iter()
        .map(|span| match crate::text::mask::text(&span.content) {
            std::borrow::Cow::Borrowed(_) => span,
            std::borrow::Cow::Owned(masked) => Span::styled(masked, span.style),
        })
        .collect::<Vec<_>>();
    Line::from(spans).style(line.style)
}

fn mask_lines(lines: Vec<Line<'static>>) -> Vec<Line<'static>> {
    lines.into_iter().map(mask_line).collect()
}

fn param_lines(app: &App, ev: &Event) -> Vec<Line<'static>> {
    let mut lines = request_param_lines(app, ev);
    if let Some(facts) = app.viewed(ev.seq).and_then(|v| v.proxy.as_deref()) {
        lines.extend(super::workbench::header_lines(facts));
    }
    lines
}

fn request_param_lines(app: &App, ev: &Event) -> Vec<Line<'static>> {
    let params = ev.parameters();
    if params.is_empty() {
        return vec![Line::from(Span::styled(
            " (no request parameters)",
            theme::dim(),
        ))];
    }
    let width = params
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    params
        .iter()
        .map(|(k, v)| {
            Line::from(vec![
                Span::styled(
                    format!(" {:<width$}", safe::line(k)),
                    theme::warning().add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("  {}", super::shown_param(app, k, v))),
            ])
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(rows: &[Line<'static>]) -> Vec<String> {
        rows.iter().map(ToString::to_string).collect()
    }

    #[test]
    fn long_lines_wrap_with_their_indent_and_only_as_far_as_asked() {
        let line = Line::from("  \"body\": \"PFJlc3BvbnNlPjxTYXk+");
        let all = wrap(line.clone(), 12, usize::MAX);
        assert_eq!(
            text(&all),
            ["  \"body\": \"P", "    FJlc3Bvb", "    nNlPjxTY", "    Xk+"]
        );
        assert_eq!(text(&wrap(line.clone(), 12, 2)), text(&all[..2]));
        // A line that fits is kept whole, whatever the cap.
        assert_eq!(text(&wrap(line, 80, 1)).len(), 1);
    }
}
