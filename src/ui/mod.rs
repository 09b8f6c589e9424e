//! Rendering only: reads the [`App`], draws the visible slice. Nothing here mutates state
//! except the table geometry the next key needs (through `Cell`s).

mod call;
mod caller;
mod families;
mod fit;
mod help;
mod pane;
mod prompt;
mod rejections;
mod search;
mod stats;
mod table;
pub mod theme;
mod workbench;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use crate::app::keymap::{self, Scope};
use crate::app::{App, Geometry, Mode, View};
use crate::text::safe;

/// Widths at or above which the table and the pane sit side by side.
const SIDE_BY_SIDE: u16 = 120;

/// Draws the whole screen, and says where it put things (the next key moves by them).
pub fn draw(frame: &mut Frame<'_>, app: &App) -> Geometry {
    theme::with(app.theme, || draw_screen(frame, app))
}

fn draw_screen(frame: &mut Frame<'_>, app: &App) -> Geometry {
    let mut geo = app.geometry;
    let [header, filters, body, footer] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    frame.render_widget(header_line(app, header.width), header);
    match app.prompt() {
        Some(p) => frame.render_widget(prompt::line(p, filters.width), filters),
        None => frame.render_widget(table::filter_bar(app, filters.width), filters),
    }
    // The timeline has more columns than the table: it gets the full width.
    let (list, detail) = split(body, app.call().is_none());
    let (list, detail) = match &app.caller {
        Some(c) => {
            let (list, pane, panel) = caller::place(body, list, detail, c.focus);
            caller::draw(frame, app, c, panel);
            (list, pane)
        }
        None => (list, detail),
    };
    match &app.view {
        View::Call(cv) => call::draw(frame, app, cv, list, &mut geo),
        View::Table => table::draw(frame, app, list, &mut geo),
    }
    if detail.height > 0 {
        pane::draw(frame, app, detail, &mut geo);
    } else {
        // Hidden under the focused caller panel: no clicks or wheel land on it.
        geo.pane = crate::app::Area::default();
    }
    frame.render_widget(footer_line(app, footer.width), footer);
    match &app.mode {
        Mode::Stats { selected } => stats::draw(frame, app, *selected, frame.area(), &mut geo),
        Mode::Help { scroll } => help::draw(frame, app, *scroll, frame.area(), &mut geo),
        Mode::Edit { .. } => workbench::prompt(frame, app, footer),
        Mode::Diff(view) => workbench::draw(frame, view, frame.area(), &mut geo),
        Mode::Normal | Mode::Search(_) | Mode::Command(_) | Mode::ConfirmQuit { .. } => {}
    }
    geo
}

fn split(body: Rect, side_by_side: bool) -> (Rect, Rect) {
    if side_by_side && body.width >= SIDE_BY_SIDE {
        let [a, b] = Layout::horizontal([Constraint::Percentage(58), Constraint::Percentage(42)])
            .areas(body);
        (a, b)
    } else {
        // On a short terminal the list keeps enough rows to read; the pane scrolls.
        let list = if body.height < 24 { 65 } else { 55 };
        let [a, b] = Layout::vertical([
            Constraint::Percentage(list),
            Constraint::Percentage(100 - list),
        ])
        .areas(body);
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

/// A source's lag: `0ms`, `4.2s`, `12m05s`, `3h20m`.
fn lag_text(ms: u64) -> String {
    let secs = ms / 1000;
    match secs {
        0..60 => crate::text::format::duration_text(ms as u32),
        60..3600 => format!("{}m{:02}s", secs / 60, secs % 60),
        _ => format!("{}h{:02}m", secs / 3600, secs / 60 % 60),
    }
}

fn header_line(app: &App, width: u16) -> Paragraph<'static> {
    let c = app.store.counters();
    let sep = || Span::styled(" │ ", theme::dim());
    let health = if app.health.listening {
        Span::styled("● ", theme::ok())
    } else {
        Span::styled("○ ", theme::dim())
    };
    let invalid = if c.invalid > 0 {
        Span::styled(format!("{} invalid", c.invalid), theme::problem())
    } else {
        Span::raw("0 invalid")
    };
    let follow = if app.follow_held() {
        let new = app.new_since_pause();
        let more = if new > 0 {
            format!(" +{new} new")
        } else {
            String::new()
        };
        Span::styled(
            format!("FOLLOW paused: reading{more} · End resumes"),
            theme::warning().add_modifier(Modifier::BOLD),
        )
    } else if app.follow {
        Span::styled("FOLLOW", theme::ok().add_modifier(Modifier::BOLD))
    } else {
        let new = app.new_since_pause();
        let text = if new > 0 {
            format!("PAUSED +{new} new")
        } else {
            "PAUSED".to_owned()
        };
        Span::styled(text, theme::warning().add_modifier(Modifier::BOLD))
    };
    let label = safe::line(app.health.info.label.as_deref().unwrap_or(&app.health.url));
    let mut pieces = vec![
        Piece::new(10, vec![Span::styled(" twimon", theme::title())]),
        Piece::new(9, vec![sep(), follow]),
    ];
    if app.health.listening {
        pieces.push(Piece::new(
            3,
            vec![sep(), health, Span::raw(label.into_owned())],
        ));
    } else {
        // A recording: what it is and which night it is from matter as much as FOLLOW.
        let (what, rest) = label.split_once(' ').unwrap_or((&label, ""));
        let mut source = vec![sep(), health, Span::raw(what.to_owned())];
        if let Some(days) = days_text(app.store.time_span()) {
            source.push(Span::styled(format!(" {days}"), theme::title()));
        }
        pieces.push(Piece::new(9, source));
        if !rest.is_empty() {
            pieces.push(Piece::new(
                3,
                vec![sep(), Span::styled(rest.to_owned(), theme::dim())],
            ));
        }
    }
    pieces.extend([
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
    ]);
    if app.mask {
        // Right after FOLLOW, and as important: whoever watches the screen must see it.
        pieces.insert(
            2,
            Piece::new(9, vec![sep(), Span::styled("MASKED", theme::notice())]),
        );
    }
    if let Some(lag) = app.health.info.lag_ms {
        pieces.push(Piece::new(
            6,
            vec![sep(), Span::raw(format!("lag {}", lag_text(lag)))],
        ));
    }
    let extras = [
        (app.health.info.throttles, "throttled"),
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
                vec![sep(), Span::styled(format!("{n} {what}"), theme::warning())],
            ));
        }
    }
    let trouble = [&app.health.info.failure, &app.health.info.problem];
    if let Some(m) = trouble.into_iter().flatten().next() {
        pieces.push(Piece::new(
            9,
            vec![
                sep(),
                Span::styled(safe::line(m).into_owned(), theme::problem()),
            ],
        ));
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

/// The days events span: `2026-11-28`, or `2026-11-27 → 2026-11-28`.
fn days_text(span: Option<(jiff::Timestamp, jiff::Timestamp)>) -> Option<String> {
    let (first, last) = span?;
    let day = |t: jiff::Timestamp| t.strftime("%Y-%m-%d").to_string();
    let (a, b) = (day(first), day(last));
    Some(if a == b { a } else { format!("{a} → {b}") })
}

fn footer_line(app: &App, width: u16) -> Paragraph<'static> {
    if let Mode::ConfirmQuit { lost } = app.mode {
        return prompt::quit_question(lost, app.recorded);
    }
    if let Some(msg) = &app.status {
        return Paragraph::new(Line::from(Span::styled(
            format!(" {}", safe::line(msg)),
            theme::warning(),
        )));
    }
    if let Some(c) = app.caller.as_ref().filter(|c| c.focus) {
        return caller_footer(c, width);
    }
    let view = if app.call().is_some() {
        Scope::Call
    } else {
        Scope::Table
    };
    let hint = |priority: u8, key: &str, what: &str, roomy: bool| {
        let badge = if roomy {
            format!(" {key} ")
        } else {
            key.to_owned()
        };
        Piece::new(
            priority,
            vec![
                Span::raw(" "),
                Span::styled(badge, theme::key()),
                Span::raw(format!(" {what}")),
            ],
        )
    };
    // The footer's bindings first, the ways into and out of a view before the rest, then
    // in the keymap's order; the help-only bindings after them when there is room. Labels
    // are the keys in force (a rebinding shows here).
    let mut bindings: Vec<&crate::app::keys::Bound> = app.keys.footer(view).collect();
    let mut more: Vec<&crate::app::keys::Bound> = app
        .keys
        .bindings()
        .iter()
        .filter(|b| {
            b.binding.scope.applies_in(view)
                && b.binding.footer == keymap::Footer::No
                && !bindings.iter().any(|s| s.binding.hint == b.binding.hint)
        })
        .collect();
    // One-key actions first (`s`, `x`, `y`, `m`…): they are what a newcomer cannot guess;
    // the paging and movement groups follow when there is room.
    more.sort_by_key(|b| b.label.chars().count() > 1);
    bindings.extend(more);
    let mut importance: Vec<usize> = (0..bindings.len()).collect();
    importance.sort_by_key(|i| !moves_between_views(bindings[*i].binding));
    let pieces = |roomy: bool| -> Vec<Piece> {
        bindings
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let place = importance.iter().position(|j| *j == i).unwrap_or(i);
                let rank = u8::MAX - u8::try_from(place).unwrap_or(u8::MAX);
                hint(rank, &b.label, b.binding.hint, roomy)
            })
            .collect()
    };
    // Padded badges while the footer's own bindings all fit that way; tight ones otherwise.
    let footer_count = app.keys.footer(view).count();
    let roomy: usize = pieces(true)
        .iter()
        .take(footer_count)
        .map(Piece::width)
        .sum();
    let pieces = pieces(roomy <= usize::from(width));
    Paragraph::new(Line::from(fit(pieces, width)))
}

/// The caller panel's keys while it has them: those the call can use now first.
fn caller_footer(c: &crate::app::caller::Caller, width: u16) -> Paragraph<'static> {
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
    if c.speech.is_some() {
        let pieces = vec![
            hint(9, "Enter", "send as SpeechResult"),
            hint(8, "Esc", "cancel"),
        ];
        return Paragraph::new(Line::from(fit(pieces, width)));
    }
    let now = |key: &str| match key {
        "0-9*#" => c.gather().is_some_and(|g| g.keys),
        "s" => c.gather().is_some_and(|g| g.speech),
        "cbnfx" | "←→" => c.dial().is_some(),
        "h" => !c.ended(),
        _ => true,
    };
    let pieces = crate::app::caller::KEYS
        .iter()
        .filter(|(key, _, _)| now(key))
        .enumerate()
        .map(|(i, (key, word, _))| {
            // The way back to the table stays, whatever else the width drops.
            let rank = if *key == "Esc" {
                u8::MAX
            } else {
                200 - u8::try_from(i).unwrap_or(0)
            };
            hint(rank, key, word)
        })
        .collect();
    Paragraph::new(Line::from(fit(pieces, width)))
}

/// `Enter` (into the timeline) and `Esc` (back out of it).
fn moves_between_views(b: &keymap::Binding) -> bool {
    b.keys.iter().any(|k| {
        matches!(
            k.action,
            crate::app::Action::OpenCall | crate::app::Action::Back
        )
    })
}

/// Adds "↑ N  ↓ M more · PgUp/PgDn" to a scrollable block's bottom border when there is
/// more than fits.
pub fn with_scroll_hint(block: Block<'static>, above: usize, below: usize) -> Block<'static> {
    with_more_hint(block, above, below, "PgUp/PgDn")
}

/// [`with_scroll_hint`] naming the keys that move through what is hidden.
pub fn with_more_hint(
    block: Block<'static>,
    above: usize,
    below: usize,
    keys: &str,
) -> Block<'static> {
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
    let hint = format!(" {} · {keys} ", hint.join("  "));
    block.title_bottom(Line::from(Span::styled(hint, theme::dim())).right_aligned())
}

/// Text as shown: with phone numbers, SIP/client identities and recording URLs masked when
/// masking is on. Applied to terminal-safe text ([`safe::line`]) of what is in view only.
pub fn shown(app: &App, text: String) -> String {
    if app.mask {
        match crate::text::mask::text(&text) {
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
        crate::text::mask::param(name, &safe).into_owned()
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
