//! The workbench's screens: the resend edit prompt (in the footer's place) and the TwiML
//! diff of two answers, side by side or unified. Only the rows in view are built.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};
use unicode_width::UnicodeWidthChar;

use super::theme;
use crate::app::workbench::{DiffView, Side};
use crate::app::{App, Geometry};
use crate::domain::diff::{self, DiffLine, Op};
use crate::domain::exchange::ProxyFacts;
use crate::domain::lint::Severity;
use crate::text::safe;

/// The edit prompt, drawn over the footer.
pub fn prompt(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let Some(input) = app.edit_input() else {
        return;
    };
    let mut spans = vec![
        Span::styled(" resend with ", theme::title()),
        Span::raw(safe::line(input).into_owned()),
        Span::styled("█", theme::accent()),
        Span::styled(
            "  Name=value sets, -Name drops · Enter send · Ctrl-E in $EDITOR · Esc cancel",
            theme::dim(),
        ),
    ];
    if let Some(msg) = &app.status {
        spans.push(Span::styled(
            format!("  {}", safe::line(msg)),
            theme::warning(),
        ));
    }
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The pane's line for a proxied event: where it went, how long it took, what it re-sends.
pub fn proxied_line(facts: &ProxyFacts) -> Line<'static> {
    let mut spans = vec![
        Span::styled(" proxied → ", theme::dim()),
        Span::raw(safe::line(&facts.target).into_owned()),
        Span::styled(
            format!(" in {:.1} ms", facts.latency.as_secs_f64() * 1000.0),
            theme::accent(),
        ),
    ];
    if let Some(of) = &facts.resend_of {
        spans.push(Span::styled(" · resend of ", theme::dim()));
        spans.push(Span::styled(safe::line(of).into_owned(), theme::title()));
    }
    if let (Some(code), Some(error)) = (facts.error_code, &facts.error) {
        spans.push(Span::styled(
            format!(" · {} (Twilio would log {code})", safe::line(error)),
            theme::problem(),
        ));
    }
    if facts.truncated {
        spans.push(Span::styled(
            format!(" · body {} bytes, the start kept", facts.body_bytes),
            theme::warning(),
        ));
    }
    Line::from(spans)
}

/// The real request and response headers of a proxied exchange, for the params pane.
pub fn header_lines(facts: &ProxyFacts) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (title, headers) in [
        ("request headers", &facts.request_headers),
        ("response headers", &facts.response_headers),
    ] {
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            format!(" {title}"),
            theme::title(),
        )));
        for (k, v) in headers {
            lines.push(Line::from(vec![
                Span::styled(format!(" {}", safe::line(k)), theme::accent()),
                Span::raw(format!(": {}", safe::line(v))),
            ]));
        }
    }
    lines
}

/// `text` cut to `width` columns.
fn clip(text: &str, width: usize) -> String {
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out
}

fn pad(text: &str, width: usize) -> String {
    let clipped = clip(text, width);
    let used: usize = clipped.chars().map(|c| c.width().unwrap_or(0)).sum();
    format!("{clipped}{}", " ".repeat(width.saturating_sub(used)))
}

fn style_of(op: Op) -> ratatui::style::Style {
    match op {
        Op::Same => ratatui::style::Style::new(),
        Op::Removed => theme::diff_removed(),
        Op::Added => theme::diff_added(),
    }
}

fn mark_of(op: Op) -> &'static str {
    match op {
        Op::Same => " ",
        Op::Removed => "-",
        Op::Added => "+",
    }
}

fn side_lines(mark: &'static str, side: &Side, width: usize) -> Vec<Line<'static>> {
    let style = if mark == "-" {
        theme::diff_removed()
    } else {
        theme::diff_added()
    };
    let mut lines = vec![Line::from(vec![
        Span::styled(format!(" {mark} "), style),
        Span::styled(
            clip(&safe::line(&side.label), width.saturating_sub(3)),
            theme::title(),
        ),
    ])];
    let summary = if side.findings.is_empty() {
        Span::styled("no findings".to_owned(), theme::dim())
    } else {
        let (sev, first) = &side.findings[0];
        let more = side.findings.len() - 1;
        let text = if more > 0 {
            format!("{first} (+{more} more)")
        } else {
            first.clone()
        };
        let style = if *sev == Severity::Error {
            theme::problem()
        } else {
            theme::warning()
        };
        Span::styled(clip(&safe::line(&text), width.saturating_sub(5)), style)
    };
    lines.push(Line::from(vec![Span::raw("     "), summary]));
    lines
}

fn number(n: Option<usize>) -> String {
    n.map_or_else(|| "    ".to_owned(), |n| format!("{:>4}", n + 1))
}

fn unified_row(l: &DiffLine, width: usize) -> Line<'static> {
    let style = style_of(l.op);
    Line::from(vec![
        Span::styled(
            format!("{} {} ", number(l.left), number(l.right)),
            theme::dim(),
        ),
        Span::styled(
            format!(
                "{} {}",
                mark_of(l.op),
                clip(&safe::line(&l.text), width.saturating_sub(12))
            ),
            style,
        ),
    ])
}

fn half(l: Option<&DiffLine>, left: bool, width: usize) -> Vec<Span<'static>> {
    let Some(l) = l else {
        return vec![Span::raw(" ".repeat(width))];
    };
    let n = if left { l.left } else { l.right };
    let text_width = width.saturating_sub(7);
    vec![
        Span::styled(format!("{} ", number(n)), theme::dim()),
        Span::styled(
            format!(
                "{} {}",
                mark_of(l.op),
                pad(&safe::line(&l.text), text_width)
            ),
            style_of(l.op),
        ),
    ]
}

/// The diff, over the whole screen.
pub fn draw(frame: &mut Frame<'_>, view: &DiffView, area: Rect, geo: &mut Geometry) {
    let layout = if view.unified {
        "unified"
    } else {
        "side by side"
    };
    let other = if view.unified {
        "side by side"
    } else {
        "unified"
    };
    let block = Block::bordered().title(Line::from(vec![
        Span::styled(" TwiML diff ", theme::title()),
        Span::styled(
            format!("· {layout} · u {other} · ↑↓ PgUp PgDn · Esc close "),
            theme::dim(),
        ),
    ]));
    let inner = block.inner(area);
    let width = usize::from(inner.width);
    let mut lines = side_lines("-", &view.left, width);
    lines.extend(side_lines("+", &view.right, width));
    let count = |op: Op| view.lines.iter().filter(|l| l.op == op).count();
    lines.push(if view.changed() {
        Line::from(Span::styled(
            format!(
                " {} lines removed, {} added",
                count(Op::Removed),
                count(Op::Added)
            ),
            theme::warning(),
        ))
    } else {
        Line::from(Span::styled(
            " no difference: the answers are the same",
            theme::ok(),
        ))
    });
    let room = usize::from(inner.height).saturating_sub(lines.len());
    geo.pane_page = room.max(1);
    let scroll = view.scroll.min(view.rows().saturating_sub(room));
    if view.unified {
        lines.extend(
            view.lines
                .iter()
                .skip(scroll)
                .take(room)
                .map(|l| unified_row(l, width)),
        );
    } else {
        let col = width.saturating_sub(1) / 2;
        for (l, r) in diff::side_by_side(&view.lines)
            .into_iter()
            .skip(scroll)
            .take(room)
        {
            let mut spans = half(l, true, col);
            spans.push(Span::styled("│", theme::dim()));
            spans.extend(half(r, false, col));
            lines.push(Line::from(spans));
        }
    }
    let below = view.rows().saturating_sub(scroll + room);
    let block = super::with_scroll_hint(block, scroll, below);
    frame.render_widget(Clear, area);
    frame.render_widget(Paragraph::new(lines).block(block), area);
}
