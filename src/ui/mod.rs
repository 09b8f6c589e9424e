//! Rendering only: reads the [`App`], draws the visible slice. Nothing here mutates state
//! except the table geometry the next key needs (through `Cell`s).

mod call;
mod help;
mod pane;
mod table;
pub mod theme;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

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
    frame.render_widget(header_line(app), header);
    frame.render_widget(table::filter_bar(app, filters.width), filters);
    let (list, detail) = split(body);
    match &app.call {
        Some(cv) => call::draw(frame, app, cv, list),
        None => table::draw(frame, app, list),
    }
    pane::draw(frame, app, detail);
    frame.render_widget(footer_line(app), footer);
    if app.help {
        help::draw(frame, frame.area());
    }
}

fn split(body: Rect) -> (Rect, Rect) {
    if body.width >= SIDE_BY_SIDE {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(body);
        (a, b)
    } else {
        let [a, b] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (a, b)
    }
}

fn header_line(app: &App) -> Paragraph<'static> {
    let c = app.store.counters();
    let sep = || Span::styled(" │ ", theme::dim());
    let health = if app.health.listening {
        Span::styled("● ", Style::new().fg(ratatui::style::Color::Green))
    } else {
        Span::styled("○ ", theme::problem())
    };
    let mut spans = vec![
        Span::styled(" twimon", theme::title()),
        sep(),
        health,
        Span::raw(app.health.url.clone()),
        sep(),
        Span::raw(format!("{} events", c.received)),
        sep(),
        Span::raw(format!("{} calls", app.store.call_count())),
        sep(),
    ];
    spans.push(if c.invalid > 0 {
        Span::styled(format!("{} invalid", c.invalid), theme::problem())
    } else {
        Span::raw("0 invalid")
    });
    spans.extend([
        sep(),
        Span::raw(format!("{:.1}/s", app.events_per_sec())),
        sep(),
    ]);
    spans.push(if app.follow {
        Span::styled(
            "FOLLOW",
            Style::new()
                .fg(ratatui::style::Color::Green)
                .add_modifier(Modifier::BOLD),
        )
    } else {
        Span::styled(
            format!("PAUSED +{} new", app.new_since_pause()),
            Style::new()
                .fg(ratatui::style::Color::Yellow)
                .add_modifier(Modifier::BOLD),
        )
    });
    let extras = [
        (c.evicted, "evicted"),
        (c.duplicates, "dup"),
        (app.health.busy, "busy (503)"),
        (app.health.rejected, "rejected"),
        (app.health.forbidden, "forbidden (403)"),
    ];
    for (n, what) in extras {
        if n > 0 {
            spans.push(sep());
            spans.push(Span::styled(
                format!("{n} {what}"),
                Style::new().fg(ratatui::style::Color::Yellow),
            ));
        }
    }
    if let Some(e) = &app.health.record_error {
        spans.push(sep());
        spans.push(Span::styled(
            format!("RECORDING FAILED: {}", safe::line(e)),
            theme::problem(),
        ));
    }
    Paragraph::new(Line::from(spans))
}

fn footer_line(app: &App) -> Paragraph<'static> {
    if let Some(msg) = &app.status {
        return Paragraph::new(Line::from(Span::styled(
            format!(" {msg}"),
            Style::new().fg(ratatui::style::Color::Yellow),
        )));
    }
    let in_call = app.call.is_some();
    let mut spans = vec![Span::raw(" ")];
    if in_call {
        spans.extend([Span::styled(" Esc ", theme::key()), Span::raw(" back ")]);
    }
    for b in BINDINGS.iter().filter(|b| b.footer) {
        let applies = match b.scope {
            Scope::Global => true,
            Scope::Table => !in_call,
            Scope::Call => in_call,
        };
        if applies {
            spans.push(Span::styled(format!(" {} ", b.label), theme::key()));
            spans.push(Span::raw(format!(" {} ", b.hint)));
        }
    }
    spans.extend([Span::styled(" t r p ", theme::key()), Span::raw(" pane ")]);
    spans.extend([Span::styled(" t r p ", theme::key()), Span::raw(" pane ")]);
    Paragraph::new(Line::from(spans))
}

/// `HH:MM:SS.mmm` in UTC, the clock of Twilio's console and logs.
pub fn clock(ev: &Event) -> String {
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
        format!("{:.1}s", f64::from(ms) / 1000.0)
    }
}

/// The request column: method and path, or the reason an event is invalid.
pub fn request_text(ev: &Event) -> String {
    if let Some(reason) = &ev.invalid {
        return safe::line(reason).into_owned();
    }
    if ev.url.is_empty() {
        return if ev.kind == crate::domain::EventKind::Other {
            safe::line(&ev.type_name).into_owned()
        } else {
            String::new()
        };
    }
    format!(
        "{} {}",
        safe::line(&ev.method),
        safe::line(url_path(&ev.url))
    )
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
