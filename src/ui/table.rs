//! The filter bar and the event table. The table is handed only the rows in the viewport.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::theme;
use crate::app::{App, Geometry};
use crate::domain::{Event, EventKind, Signature, TwimlMark};
use crate::text::format::{clock, duration_text, request_text};
use crate::text::safe;

/// Short labels for the filter bar on narrow terminals.
#[allow(clippy::match_same_arms)] // one arm per (kind, width) reads as a table
fn chip_label(kind: EventKind, wide: bool) -> &'static str {
    match (kind, wide) {
        (EventKind::CallRequested, true) => "requested",
        (EventKind::CallRedirected, true) => "redirected",
        (EventKind::CallTransferred, true) => "transferred",
        (EventKind::GatherFinished, true) => "gather",
        (EventKind::DialFinished, true) => "dial",
        (EventKind::EnqueueFinished, true) => "enqueue",
        (EventKind::RecordFinished, true) => "record",
        (EventKind::RequestFailed, true) => "failed",
        (EventKind::CallRequested, false) => "req",
        (EventKind::CallRedirected, false) => "redir",
        (EventKind::CallTransferred, false) => "xfer",
        (EventKind::GatherFinished, false) => "gath",
        (EventKind::DialFinished, false) => "dial",
        (EventKind::EnqueueFinished, false) => "enq",
        (EventKind::RecordFinished, false) => "rec",
        (EventKind::RequestFailed, false) => "fail",
        _ => "",
    }
}

/// The active filters, as the user would say them, and "N of M".
fn active_filters(app: &App) -> Vec<Span<'static>> {
    let f = app.store.filter();
    let mut spans = Vec::new();
    if let Some(family) = super::families::active(app) {
        spans.push(family);
        spans.push(Span::raw(" "));
    }
    if f.problems {
        spans.push(Span::styled(" problems ", theme::active_chip()));
        spans.push(Span::raw(" "));
    }
    if let Some(call) = &f.call {
        spans.push(Span::styled(
            format!(" call {} ", safe::line(&call.short())),
            theme::active_chip(),
        ));
        spans.push(Span::raw(" "));
    }
    if let Some(s) = &f.search {
        // Long searches are elided so "N of M" always fits.
        let text: String = s.chars().take(24).collect();
        let more = if s.chars().count() > 24 { "…" } else { "" };
        spans.push(Span::styled(
            format!(
                " /{}{more} ",
                super::shown(app, safe::line(&text).into_owned())
            ),
            theme::active_chip(),
        ));
        spans.push(Span::raw(" "));
    }
    let searching = if app.store.searching() {
        " searching…"
    } else {
        ""
    };
    spans.push(Span::styled(
        format!(
            "{} of {}{searching} ",
            app.store.view_len(),
            app.store.len()
        ),
        theme::title(),
    ));
    spans
}

/// How much of each type chip fits.
#[derive(Clone, Copy)]
enum Chips {
    Wide,
    Short,
    /// Only the keys, the active ones highlighted.
    Keys,
}

fn type_chips(app: &App, mode: Chips) -> Vec<Span<'static>> {
    let f = app.store.filter();
    let mut spans = vec![Span::raw(" ")];
    for kind in EventKind::TWIML {
        let key = kind.key().unwrap_or(' ');
        let style = if f.has_kind(kind) {
            theme::active_chip()
        } else if f.kinds == 0 {
            Style::new().fg(theme::family(kind))
        } else {
            theme::dim()
        };
        let count = app.store.kind_count(kind);
        match mode {
            Chips::Wide | Chips::Short => {
                let wide = matches!(mode, Chips::Wide);
                spans.push(Span::styled(key.to_string(), theme::key()));
                spans.push(Span::styled(
                    format!("{}:{count}", chip_label(kind, wide)),
                    style,
                ));
            }
            Chips::Keys => spans.push(Span::styled(key.to_string(), style)),
        }
        spans.push(Span::raw(" "));
    }
    spans
}

pub fn filter_bar(app: &App, width: u16) -> Paragraph<'static> {
    if let Some(input) = app.search_input() {
        return Paragraph::new(Line::from(vec![
            Span::styled(" / ", theme::active_chip()),
            Span::raw(format!(" {}", safe::line(input))),
            Span::styled("▏", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled("  Enter apply · Esc cancel", theme::dim()),
        ]));
    }
    let right = active_filters(app);
    let right_width: usize = right.iter().map(Span::width).sum();
    let width = usize::from(width);
    let mut left = Vec::new();
    let families = super::families::chips(app);
    let family_modes = [(Chips::Wide, true), (Chips::Short, true)];
    let modes = [
        (Chips::Wide, false),
        (Chips::Short, false),
        (Chips::Keys, false),
    ];
    let shown = |(_, with): &(Chips, bool)| !with || !families.is_empty();
    for (mode, with_families) in family_modes.into_iter().chain(modes).filter(shown) {
        left = type_chips(app, mode);
        if with_families {
            left.extend(families.iter().cloned());
        }
        if left.iter().map(Span::width).sum::<usize>() + right_width < width {
            break;
        }
    }
    let left_width: usize = left.iter().map(Span::width).sum();
    left.push(Span::raw(
        " ".repeat(width.saturating_sub(left_width + right_width)),
    ));
    left.extend(right);
    Paragraph::new(Line::from(left))
}

/// Column widths: time, type, call, request, code, duration, marks.
const WIDTHS: [Constraint; 7] = [
    Constraint::Length(12),
    Constraint::Length(16),
    Constraint::Length(9),
    Constraint::Min(10),
    Constraint::Length(3),
    Constraint::Length(6),
    Constraint::Length(4),
];

pub fn row(app: &App, ev: &Event) -> Row<'static> {
    let kind_style = Style::new().fg(theme::family(ev.kind));
    let kind = safe::line(&ev.label()).into_owned();
    let call = ev.call_sid.as_ref().map_or_else(
        || Cell::from(Span::styled("-", theme::dim())),
        |c| {
            Cell::from(Span::styled(
                safe::line(&c.short()).into_owned(),
                Style::new().fg(theme::call(c)),
            ))
        },
    );
    let code = ev.response_code.map_or_else(
        || Cell::from(""),
        |c| Cell::from(Span::styled(c.to_string(), theme::status_code(c))),
    );
    let dur = ev.duration_ms.map_or_else(
        || Cell::from(""),
        |d| {
            Cell::from(Span::styled(
                format!("{:>6}", duration_text(d)),
                theme::duration(d),
            ))
        },
    );
    let request = if ev.invalid.is_some() {
        Cell::from(Span::styled(
            super::shown(app, request_text(ev)),
            theme::problem(),
        ))
    } else {
        Cell::from(super::shown(app, request_text(ev)))
    };
    Row::new(vec![
        Cell::from(Span::styled(clock(ev), theme::dim())),
        Cell::from(Span::styled(kind, kind_style)),
        call,
        request,
        code,
        dur,
        Cell::from(marks(app, ev)),
    ])
}

/// The signature badge (nothing when unchecked), `!` invalid or undecodable TwiML, `×N`
/// delivered N times.
fn marks(app: &App, ev: &Event) -> Line<'static> {
    let mut spans = Vec::new();
    match ev.signature {
        Signature::Valid => spans.push(Span::styled("✓", theme::ok())),
        Signature::Invalid => spans.push(Span::styled("✗", theme::problem())),
        // Not proven either way: the same mark as a missing signature.
        Signature::Unsigned | Signature::Unverifiable => {
            spans.push(Span::styled("?", theme::warning()));
        }
        Signature::Unchecked => {}
    }
    if ev.invalid.is_some() || ev.twiml_failed() {
        spans.push(Span::styled("!", theme::problem()));
    } else {
        match ev.twiml {
            TwimlMark::Errors => spans.push(Span::styled("▲", theme::problem())),
            TwimlMark::Warnings => {
                spans.push(Span::styled("▲", theme::warning()));
            }
            TwimlMark::Unchecked | TwimlMark::NoBody | TwimlMark::Clean | TwimlMark::Failed => {}
        }
    }
    let dups = app.store.duplicates_of(ev.seq);
    if dups > 0 {
        spans.push(Span::styled(format!("×{}", dups + 1), theme::warning()));
    }
    Line::from(spans)
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect, geo: &mut Geometry) {
    let block = Block::bordered().title(Line::from(" Events ").style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    if app.store.is_empty() {
        let text = vec![
            Line::from(""),
            Line::from(Span::styled("Waiting for events…", theme::title())),
            Line::from(""),
            Line::from(format!(
                "POST Event Streams deliveries to {}",
                app.health.url
            )),
            Line::from(Span::styled(
                "twimon send assets/samples   ·   twimon --demo",
                theme::dim(),
            )),
        ];
        frame.render_widget(Paragraph::new(text).centered(), inner);
        return;
    }
    let rows_fit = usize::from(inner.height.saturating_sub(1));
    geo.table_rows = rows_fit.max(1);
    let total = app.store.view_len();
    let selected = app.selected.and_then(|s| app.store.view_position(s).ok());
    let offset = scroll_offset(geo.table_offset, selected, rows_fit, total);
    geo.table_offset = offset;
    let rows: Vec<Row<'static>> = app
        .store
        .view_slice(offset, offset + rows_fit)
        .map(|ev| row(app, ev))
        .collect();
    let header = Row::new(["Time (UTC)", "Type", "Call", "Request", "Res", "Dur", ""])
        .style(theme::dim().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(rows, WIDTHS)
        .header(header)
        .row_highlight_style(theme::selected_row())
        .column_spacing(1);
    let mut state =
        TableState::default().with_selected(selected.and_then(|p| p.checked_sub(offset)));
    frame.render_stateful_widget(table, inner, &mut state);
    if total > rows_fit {
        let mut sb = ScrollbarState::new(total.saturating_sub(rows_fit)).position(offset);
        frame.render_stateful_widget(
            Scrollbar::new(ScrollbarOrientation::VerticalRight)
                .begin_symbol(None)
                .end_symbol(None),
            area,
            &mut sb,
        );
    }
}

/// The first visible row: keeps the selection in view, moving as little as possible.
pub fn scroll_offset(previous: usize, selected: Option<usize>, rows: usize, total: usize) -> usize {
    let max_offset = total.saturating_sub(rows);
    let mut offset = previous.min(max_offset);
    if let Some(sel) = selected {
        if sel < offset {
            offset = sel;
        } else if rows > 0 && sel >= offset + rows {
            offset = sel + 1 - rows;
        }
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::scroll_offset;

    #[test]
    fn offset_keeps_selection_visible() {
        assert_eq!(scroll_offset(0, Some(30), 10, 100), 21);
        assert_eq!(scroll_offset(21, Some(25), 10, 100), 21);
        assert_eq!(scroll_offset(21, Some(5), 10, 100), 5);
        assert_eq!(scroll_offset(95, None, 10, 20), 10);
        assert_eq!(scroll_offset(0, Some(0), 0, 0), 0);
    }
}
