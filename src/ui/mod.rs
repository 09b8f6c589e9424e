//! Rendering only: reads the [`App`], draws the visible slice. Nothing here mutates state
//! except the table geometry the next key needs (through `Cell`s).

mod call;
mod help;
mod pane;
mod stats;
mod table;
pub mod theme;

pub use call::{late_steps, offset_text};

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::App;
use crate::app::keymap::{BINDINGS, Scope};
use crate::domain::Event;
use crate::safe;

/// Widths at or above which the table and the pane sit side by side.
const SIDE_BY_SIDE: u16 = 120;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &App) {
    let [header, filters, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(header_line(app, header.width), header);
    frame.render_widget(table::filter_bar(app, filters.width), filters);
    // The timeline has more columns than the table: it gets the full width.
    let (list, detail) = split(body, app.call.is_none());
    match &app.call {
        Some(cv) => call::draw(frame, app, cv, list),
        None => table::draw(frame, app, list),
    }
    pane::draw(frame, app, detail);
    frame.render_widget(footer_line(app, footer.width), footer);
    if app.stats {
        stats::draw(frame, app, frame.area());
    }
    if app.help {
        help::draw(frame, app, frame.area());
    }
}

fn split(body: Rect, side_by_side: bool) -> (Rect, Rect) {
    if side_by_side && body.width >= SIDE_BY_SIDE {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(body);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (a, b)
    }
}

/// A piece of a one-line bar and how much it matters: when the line is too narrow, the
/// least important pieces go first, and nothing is cut mid-word.
struct Piece {
    priority: u8,
    spans: Vec<Span<'static>>,
}

impl Piece {
    fn new(priority: u8, spans: Vec<Span<'static>>) -> Self {
        Piece { priority, spans }
    }

    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// Keeps the most important pieces that fit in `width`, in their original order.
fn fit(mut pieces: Vec<Piece>, width: u16) -> Vec<Span<'static>> {
    let width = usize::from(width);
    while pieces.iter().map(Piece::width).sum::<usize>() > width {
        let Some(least) = pieces
            .iter()
            .enumerate()
            .min_by_key(|(i, p)| (p.priority, usize::MAX - i))
            .map(|(i, _)| i)
        else {
            break;
        };
        pieces.remove(least);
    }
    pieces.into_iter().flat_map(|p| p.spans).collect()
}

fn header_line(app: &App, width: u16) -> Paragraph<'static> {
    let c = app.store.counters();
    let sep = || Span::styled(" │ ", theme::dim());
    let health = if app.health.listening {
        Span::styled("● ", Style::new().fg(Color::Green))
    } else {
        Span::styled("○ ", theme::dim())
    };
    let invalid = if c.invalid > 0 {
        Span::styled(format!("{} invalid", c.invalid), theme::problem())
    } else {
        Span::raw("0 invalid")
    };
    let follow = if app.follow {
        Span::styled(
            "FOLLOW",
            Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        )
    } else {
        let new = app.new_since_pause();
        let text = if new > 0 {
            format!("PAUSED +{new} new")
        } else {
            "PAUSED".to_owned()
        };
        Span::styled(
            text,
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
        )
    };
    let mut pieces = vec![
        Piece::new(10, vec![Span::styled(" twimon", theme::title())]),
        Piece::new(9, vec![sep(), follow]),
        Piece::new(
            3,
            vec![
                sep(),
                health,
                Span::raw(safe::line(&app.health.url).into_owned()),
            ],
        ),
        Piece::new(8, vec![sep(), Span::raw(format!("{} events", c.received))]),
        Piece::new(
            5,
            vec![
                sep(),
                Span::raw(format!("{} calls", app.store.call_count())),
            ],
        ),
        Piece::new(7, vec![sep(), invalid]),
        Piece::new(
            4,
            vec![sep(), Span::raw(format!("{:.1}/s", app.events_per_sec()))],
        ),
    ];
    if app.mask {
        // Right after FOLLOW, and as important: whoever watches the screen must see it.
        pieces.insert(
            2,
            Piece::new(
                9,
                vec![
                    sep(),
                    Span::styled(
                        "MASKED",
                        Style::new().fg(Color::Magenta).add_modifier(Modifier::BOLD),
                    ),
                ],
            ),
        );
    }
    let extras = [
        (c.evicted, "evicted"),
        (c.duplicates, "dup"),
        (app.health.busy, "busy (503)"),
        (app.health.rejected, "rejected"),
        (app.health.forbidden, "forbidden (403)"),
    ];
    for (n, what) in extras {
        if n > 0 {
            pieces.push(Piece::new(
                6,
                vec![
                    sep(),
                    Span::styled(format!("{n} {what}"), Style::new().fg(Color::Yellow)),
                ],
            ));
        }
    }
    if let Some(e) = &app.health.record_error {
        pieces.push(Piece::new(
            9,
            vec![
                sep(),
                Span::styled(
                    format!("RECORDING FAILED: {}", safe::line(e)),
                    theme::problem(),
                ),
            ],
        ));
    }
    Paragraph::new(Line::from(fit(pieces, width)))
}

fn footer_line(app: &App, width: u16) -> Paragraph<'static> {
    if let Some(msg) = &app.status {
        return Paragraph::new(Line::from(Span::styled(
            format!(" {}", safe::line(msg)),
            Style::new().fg(Color::Yellow),
        )));
    }
    let in_call = app.call.is_some();
    let hint = |priority: u8, key: &str, what: &str| {
        Piece::new(
            priority,
            vec![
                Span::raw(" "),
                Span::styled(format!(" {key} "), theme::key()),
                Span::raw(format!(" {what}")),
            ],
        )
    };
    let mut pieces = Vec::new();
    if in_call {
        pieces.push(hint(20, "Esc", "back"));
        pieces.push(hint(19, "↑↓", "step"));
    }
    // Earlier bindings in the table matter more.
    let footer_bindings = BINDINGS
        .iter()
        .filter(|b| b.footer)
        .filter(|b| match b.scope {
            Scope::Global => true,
            Scope::Table => !in_call,
            Scope::Call => in_call,
        });
    for (i, b) in footer_bindings.enumerate() {
        pieces.push(hint(
            18 - u8::try_from(i).unwrap_or(17).min(17),
            b.label,
            b.hint,
        ));
    }
    pieces.push(hint(1, "t r p", "pane"));
    Paragraph::new(Line::from(fit(pieces, width)))
}

/// Adds "↑ N  ↓ M more · PgUp/PgDn" to a scrollable block's bottom border when there is
/// more than fits.
pub fn with_scroll_hint(block: Block<'static>, above: usize, below: usize) -> Block<'static> {
    if above == 0 && below == 0 {
        return block;
    }
    let mut hint = Vec::new();
    if above > 0 {
        hint.push(format!("↑ {above}"));
    }
    if below > 0 {
        hint.push(format!("↓ {below} more"));
    }
    let hint = format!(" {} · PgUp/PgDn ", hint.join("  "));
    block.title_bottom(Line::from(Span::styled(hint, theme::dim())).right_aligned())
}

/// `HH:MM:SS.mmm` in UTC, the clock of Twilio's console and logs.
/// The event's time of day; `?` at the end (in place of the last digit, to keep the width)
/// when its own time was unreadable and this is the arrival time instead.
pub fn clock(ev: &Event) -> String {
    if ev.time_unreadable().is_some() {
        return ev.time.strftime("%H:%M:%S%.2f?").to_string();
    }
    ev.time.strftime("%H:%M:%S%.3f").to_string()
}

/// The path (and query) of a URL, for narrow columns.
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |i| &url[i + 3..]);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None if url.contains("://") => "/",
        None => url,
    }
}

/// `412ms`, `1.4s`.
pub fn duration_text(ms: u32) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        call::span_text(u64::from(ms))
    }
}

/// The request column: method and path, or the reason an event is invalid.
pub fn request_text(ev: &Event) -> String {
    if let Some(reason) = &ev.invalid {
        return safe::line(reason).into_owned();
    }
    if ev.kind == crate::domain::EventKind::StatusCallback {
        let status = ev.parameter("CallStatus").unwrap_or_default();
        return format!("status {}", safe::line(&status));
    }
    if ev.url().is_empty() {
        return if ev.kind == crate::domain::EventKind::Other {
            safe::line(ev.type_name()).into_owned()
        } else {
            String::new()
        };
    }
    format!(
        "{} {}",
        safe::line(ev.method()),
        safe::line(url_path(ev.url()))
    )
}

/// Text as shown: with phone numbers, SIP/client identities and recording URLs masked when
/// masking is on. Applied to terminal-safe text ([`safe::line`]) of what is in view only.
pub fn shown(app: &App, text: String) -> String {
    if app.mask {
        match crate::mask::text(&text) {
            std::borrow::Cow::Borrowed(_) => text,
            std::borrow::Cow::Owned(masked) => masked,
        }
    } else {
        text
    }
}

/// A request parameter's value as shown: terminal-safe, and masked by its name when masking
/// is on (`SpeechResult` → `«speech, 31 chars»`).
pub fn shown_param(app: &App, name: &str, value: &str) -> String {
    let safe = safe::line(value);
    if app.mask {
        crate::mask::param(name, &safe).into_owned()
    } else {
        safe.into_owned()
    }
}

/// Centred rectangle of at most `w`×`h` inside `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_durations() {
        assert_eq!(url_path("https://x.test/menu?a=1"), "/menu?a=1");
        assert_eq!(url_path("https://x.test"), "/");
        assert_eq!(url_path("/relative"), "/relative");
        assert_eq!(duration_text(412), "412ms");
        assert_eq!(duration_text(1418), "1.4s");
    }
}
