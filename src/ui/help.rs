//! The help overlay, generated from the keymap. On a terminal too short for it, the help
//! shows what fits and `PgUp` / `PgDn` scroll it.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::fit::fit_line;
use super::{centered, theme};
use crate::app::command::COMMANDS;
use crate::app::keymap::Scope;
use crate::app::{App, Geometry};
use crate::text::safe;

/// Commands the help names one by one: those that take an argument or have no key.
const NAMED: &[&str] = &["goto", "export", "theme", "columns", "quit", "quit!"];

pub fn draw(frame: &mut Frame<'_>, app: &App, scroll: usize, area: Rect, geo: &mut Geometry) {
    let mut lines = Vec::new();
    for bound in app.keys.bindings() {
        let b = bound.binding;
        let scope = match b.scope {
            Scope::Global => "",
            Scope::Table => " (table)",
            Scope::Call => " (call view)",
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<8}", bound.label), theme::title()),
            Span::raw(format!(" {}{scope}", bound.help())),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<8}", "mouse"), theme::title()),
        Span::raw(" wheel scrolls what is under it; click selects a row or a tab"),
    ]));
    lines.push(Line::from(format!(
        " {:<8} Shift+drag selects text (or M, then a plain drag)",
        ""
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Caller panel (twimon call), while it has the keys:",
        theme::title(),
    )));
    for (key, _, help) in crate::app::caller::KEYS {
        lines.push(Line::from(vec![
            Span::styled(format!(" {key:<8}"), theme::title()),
            Span::raw(format!(" {help}")),
        ]));
    }
    lines.push(Line::from(""));
    let named: Vec<String> = COMMANDS
        .iter()
        .filter(|c| NAMED.contains(&c.name))
        .map(|c| {
            let alias = c
                .aliases
                .first()
                .map(|a| format!(" (:{a})"))
                .unwrap_or_default();
            if c.arg.is_empty() {
                format!(":{}{alias}", c.name)
            } else {
                format!(":{} {}{alias}", c.name, c.arg)
            }
        })
        .collect();
    lines.push(Line::from(vec![
        Span::styled(" Commands", theme::title()),
        Span::raw(format!(" {}", named.join("  "))),
    ]));
    lines.push(Line::from(format!(
        " {:<8} and one per key (:stats :mask :top …); Tab completes",
        ""
    )));
    lines.push(Line::from(""));
    lines.push(Line::from(vec![
        Span::styled(format!(" {:<8}", "Log"), theme::title()),
        Span::raw(app.log.as_deref().map_or_else(
            || " off (see --log-file)".to_owned(),
            |p| format!(" {}", safe::line(p)),
        )),
    ]));
    lines.push(Line::from(Span::styled(
        " Filters combine. PgUp/PgDn scroll; any other key closes this help.",
        theme::dim(),
    )));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, 72, height);
    let room = usize::from(rect.height.saturating_sub(2)).max(1);
    let max_scroll = lines.len().saturating_sub(room);
    geo.help_page = room.saturating_sub(1).max(1);
    geo.help_max_scroll = max_scroll;
    let scroll = scroll.min(max_scroll);
    let below = lines.len().saturating_sub(scroll + room);
    let mut block = Block::bordered().title(" Keys ");
    block = super::with_scroll_hint(block, scroll, below);
    let width = usize::from(rect.width.saturating_sub(2));
    let shown: Vec<Line<'static>> = lines
        .into_iter()
        .skip(scroll)
        .take(room)
        .map(|l| fit_line(l, width))
        .collect();
    frame.render_widget(Clear, rect);
    frame.render_widget(Paragraph::new(shown).block(block), rect);
}
