//! The filter bar and the event table. The table is handed only the rows in the viewport.

use ratatui::Frame;
use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{
    Block, Cell, Paragraph, Row, Scrollbar, ScrollbarOrientation, ScrollbarState, Table, TableState,
};

use super::fit::{Want, ellipsize};
use super::theme;
use crate::app::look::Column;
use crate::app::{App, Area, Geometry};
use crate::domain::{Event, EventKind, Signature, TwimlMark};
use crate::text::format::{Dates, duration_text, request_text, stamp};
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
        let s = s.text();
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
    /// Short labels without their counts (counts in the hundreds do not fit 80 columns).
    Labels,
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
            Chips::Labels => {
                spans.push(Span::styled(key.to_string(), theme::key()));
                spans.push(Span::styled(chip_label(kind, false), style));
            }
            Chips::Keys => spans.push(Span::styled(key.to_string(), style)),
        }
        spans.push(Span::raw(" "));
    }
    spans
}

pub fn filter_bar(app: &App, width: u16) -> Paragraph<'static> {
    if let Some(prompt) = app.search_prompt() {
        return super::search::line(prompt, width);
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
        (Chips::Labels, false),
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

/// What every row of a frame shares: the dates the time column needs, each column's width.
pub struct Layout {
    dates: Dates,
    columns: Vec<(Column, u16)>,
}

impl Layout {
    /// The app's columns that fit in `width`, lowest priority dropped first.
    pub fn new(app: &App, width: u16) -> Layout {
        let dates = Dates::for_span(app.store.time_span());
        let wants: Vec<Want> = app
            .columns
            .iter()
            .map(|c| Want {
                width: column_width(c, dates),
                stretch: stretches(c),
                priority: c.priority(),
            })
            .collect();
        let columns = app
            .columns
            .iter()
            .zip(super::fit::columns(&wants, width, SPACING))
            .filter_map(|(c, w)| Some((c.clone(), w?)))
            .collect();
        Layout { dates, columns }
    }

    fn header(&self) -> Row<'static> {
        Row::new(self.columns.iter().map(|(c, w)| {
            let title = match c {
                Column::Time if self.dates == Dates::None => "Time (UTC)",
                Column::Time => "Date, time (UTC)",
                Column::Type => "Type",
                Column::Call => "Call",
                Column::Request => "Request",
                Column::Code => "Res",
                Column::Duration => "   Dur",
                Column::Marks => "",
                Column::Param(name) => name,
            };
            Cell::from(ellipsize(title, usize::from(*w)).into_owned())
        }))
    }

    fn widths(&self) -> Vec<Constraint> {
        self.columns
            .iter()
            .map(|(_, w)| Constraint::Length(*w))
            .collect()
    }
}

const SPACING: u16 = 1;

/// The least a column takes: its values whole (`15.0s`, `CA…a9ca31`, `gather.finished`).
/// A parameter column takes its name's width, and at least what its values usually take
/// (`completed`, `+14155550100`, `machine_end_beep`); a longer value ends in `…`.
fn column_width(column: &Column, dates: Dates) -> u16 {
    match column {
        Column::Param(name) => {
            let usual = match name.as_ref() {
                "From" | "To" | "Caller" | "Called" | "ForwardedFrom" => 12,
                "AnsweredBy" | "SpeechResult" | "UnstableSpeechResult" | "TranscriptionText" => 16,
                "CallStatus" => 11,
                _ => 6,
            };
            (name.len() as u16).clamp(usual, 20)
        }
        Column::Time => 12 + dates.width() as u16,
        Column::Type => 16,
        Column::Call => 9,
        Column::Request => 12,
        Column::Code => 3,
        Column::Duration => 6,
        Column::Marks => 4,
    }
}

/// The request and the free-text parameters (what a caller said) take the room left over.
fn stretches(column: &Column) -> bool {
    match column {
        Column::Request => true,
        Column::Param(name) => matches!(
            name.as_ref(),
            "SpeechResult" | "UnstableSpeechResult" | "TranscriptionText"
        ),
        _ => false,
    }
}

pub fn row(app: &App, ev: &Event, layout: &Layout) -> Row<'static> {
    Row::new(
        layout
            .columns
            .iter()
            .map(|(c, w)| cell(app, ev, c, usize::from(*w), layout.dates)),
    )
}

fn cell(app: &App, ev: &Event, column: &Column, width: usize, dates: Dates) -> Cell<'static> {
    match column {
        Column::Param(name) => ev.parameter_text(name).map_or_else(
            || Cell::from(Span::styled("-", theme::dim())),
            |value| {
                let text = super::shown_param(app, name, &value);
                Cell::from(ellipsize(&text, width).into_owned())
            },
        ),
        Column::Time => Cell::from(Span::styled(stamp(ev, dates), theme::dim())),
        Column::Type => {
            let kind = safe::line(&ev.label()).into_owned();
            Cell::from(Span::styled(
                ellipsize(&kind, width).into_owned(),
                Style::new().fg(theme::family(ev.kind)),
            ))
        }
        Column::Call => ev.call_sid.as_ref().map_or_else(
            || Cell::from(Span::styled("-", theme::dim())),
            |c| {
                Cell::from(Span::styled(
                    safe::line(&c.short()).into_owned(),
                    Style::new().fg(theme::call(c)),
                ))
            },
        ),
        Column::Request => {
            let text = super::shown(app, request_text(ev));
            let text = ellipsize(&text, width).into_owned();
            if ev.invalid.is_some() {
                Cell::from(Span::styled(text, theme::problem()))
            } else {
                Cell::from(text)
            }
        }
        Column::Code => ev.response_code.map_or_else(
            || Cell::from(""),
            |c| Cell::from(Span::styled(c.to_string(), theme::status_code(c))),
        ),
        Column::Duration => ev.duration_ms.map_or_else(
            || Cell::from(""),
            |d| {
                Cell::from(Span::styled(
                    format!("{:>6}", duration_text(d)),
                    theme::duration(d),
                ))
            },
        ),
        Column::Marks => Cell::from(marks(app, ev)),
    }
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
    geo.list = Area::default();
    if app.store.is_empty() {
        let text = vec![
            Line::from(""),
            Line::from(Span::styled("Waiting for events…", theme::title())),
            Line::from(""),
            Line::from(format!(
                "POST Event Streams deliveries to {}",
                app.health.url
            )),
            Line::from(Span::styled(send_hint(&app.health.url), theme::dim())),
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
    // The scrollbar takes the right border's column, not a table column.
    let layout = Layout::new(app, inner.width);
    geo.list = Area {
        x: inner.x,
        y: inner.y.saturating_add(1),
        width: inner.width,
        height: inner.height.saturating_sub(1),
    };
    geo.list_step_lines = 1;
    let rows: Vec<Row<'static>> = app
        .store
        .view_slice(offset, offset + rows_fit)
        .map(|ev| row(app, ev, &layout))
        .collect();
    let header = layout
        .header()
        .style(theme::dim().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(rows, layout.widths())
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

/// How to try the empty monitor: `twimon send` posts to the default address unless told
/// where this one listens.
fn send_hint(url: &str) -> String {
    let default = format!("http://{}/", crate::domain::feed::DEFAULT_ADDR);
    if url == default || url.is_empty() {
        "twimon send assets/samples   ·   twimon --demo".to_owned()
    } else {
        format!(
            "twimon send --to {} assets/samples   ·   twimon --demo",
            safe::line(url)
        )
    }
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
