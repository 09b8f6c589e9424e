//! The detail pane: the selected event's decoded TwiML, raw JSON or request parameters. Only
//! the lines in view are styled.

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::{duration_text, theme};
use crate::app::{App, Pane};
use crate::domain::Event;
use crate::domain::twiml::Decoded;
use crate::safe;

fn title(app: &App) -> Line<'static> {
    let tab = |key: &str, name: &str, on: bool| {
        let style = if on {
            theme::active_chip()
        } else {
            theme::dim()
        };
        Span::styled(format!(" {key} {name} "), style)
    };
    Line::from(vec![
        Span::raw(" "),
        tab("t", "TwiML", app.pane == Pane::Twiml),
        Span::raw(" "),
        tab("r", "raw", app.pane == Pane::Raw),
        Span::raw(" "),
        tab("p", "params", app.pane == Pane::Params),
        Span::raw(" "),
    ])
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let block = Block::bordered().title(title(app));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let rows = usize::from(inner.height);
    app.pane_rows.set(rows.max(1));
    let Some(ev) = app.current() else {
        frame.render_widget(
            Paragraph::new(Span::styled(
                " Select an event to see its TwiML.",
                theme::dim(),
            )),
            inner,
        );
        return;
    };
    let (head, body) = match app.pane {
        Pane::Twiml => twiml_lines(app, ev),
        Pane::Raw => (Vec::new(), Body::Lines(raw_lines(ev))),
        Pane::Params => (Vec::new(), Body::Lines(param_lines(ev))),
    };
    let room = rows.saturating_sub(head.len());
    let max_scroll = body.len().saturating_sub(room);
    let scroll = app.pane_scroll.min(max_scroll);
    let mut lines = head;
    let more = body.len() > scroll + room;
    lines.extend(body.lines(scroll, room));
    if more && let Some(last) = lines.last_mut() {
        *last = Line::from(Span::styled(
            format!(" ↓ more (PgDn) — line {} of the rest", scroll + room),
            theme::dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// The scrollable part of the pane.
enum Body {
    Lines(Vec<Line<'static>>),
    /// Styled lazily: only the lines in view become spans.
    Twiml(Rc<Decoded>),
}

impl Body {
    fn len(&self) -> usize {
        match self {
            Body::Lines(l) => l.len(),
            Body::Twiml(d) => d.lines.len(),
        }
    }

    fn lines(self, skip: usize, take: usize) -> Vec<Line<'static>> {
        match self {
            Body::Lines(l) => l.into_iter().skip(skip).take(take).collect(),
            Body::Twiml(d) => d
                .lines
                .iter()
                .skip(skip)
                .take(take)
                .map(styled_line)
                .collect(),
        }
    }
}

/// Meta lines (response code, type, duration, problem) and the TwiML lines.
fn twiml_lines(app: &App, ev: &Event) -> (Vec<Line<'static>>, Body) {
    let mut head = Vec::new();
    if let Some(reason) = &ev.invalid {
        head.push(Line::from(Span::styled(
            format!(" invalid: {}", safe::line(reason)),
            theme::problem(),
        )));
        return (head, Body::Lines(raw_lines(ev)));
    }
    let mut meta = vec![Span::raw(" ")];
    if let Some(code) = ev.response_code {
        meta.push(Span::styled(code.to_string(), theme::status_code(code)));
        meta.push(Span::styled(" · ", theme::dim()));
    }
    if let Some(ct) = ev.content_type() {
        meta.push(Span::raw(safe::line(&ct).into_owned()));
        meta.push(Span::styled(" · ", theme::dim()));
    }
    if let Some(d) = ev.duration_ms {
        meta.push(Span::styled(duration_text(d), theme::duration(d)));
    }
    head.push(Line::from(meta));
    let Some(decoded) = app.decoded(ev.seq) else {
        head.push(Line::from(Span::styled(" decoding…", theme::dim())));
        return (head, Body::Lines(Vec::new()));
    };
    if decoded.is_empty_body() && decoded.base64_error.is_none() {
        head.push(Line::from(Span::styled(
            " (no response body)",
            theme::dim(),
        )));
        return (head, Body::Lines(Vec::new()));
    }
    if let Some(problem) = decoded.problem() {
        head.push(Line::from(Span::styled(
            format!(" ⚠ {}", safe::line(&problem)),
            theme::problem(),
        )));
    } else if decoded.lossy_utf8 {
        head.push(Line::from(Span::styled(
            " ⚠ invalid UTF-8 replaced with �",
            Style::new().fg(ratatui::style::Color::Yellow),
        )));
    }
    (head, Body::Twiml(decoded))
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

fn raw_lines(ev: &Event) -> Vec<Line<'static>> {
    let pretty = serde_json::from_str::<serde_json::Value>(&ev.raw)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| ev.raw.to_string());
    safe::text(&pretty)
        .lines()
        .map(|l| Line::from(format!(" {}", safe::line(l))))
        .collect()
}

fn param_lines(ev: &Event) -> Vec<Line<'static>> {
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
                    Style::new()
                        .fg(ratatui::style::Color::Yellow)
                        .add_modifier(Modifier::BOLD),
                ),
                Span::raw(format!("  {}", safe::line(v))),
            ])
        })
        .collect()
}
