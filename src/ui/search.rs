//! The `/` prompt as one line: the expression with its cursor, and either the keys that
//! finish it or, after a refused Enter, where the expression broke and what was expected.

use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::prompt::Prompt;

/// Room the line keeps for the expression before it scrolls it (the chip and a space).
const CHROME: usize = 4;

pub fn line(prompt: &Prompt, width: u16) -> Paragraph<'static> {
    let error_at = prompt.error().map(|e| e.column);
    let mut spans = vec![Span::styled(" / ", theme::active_chip()), Span::raw(" ")];
    spans.extend(edited(prompt, error_at, width));
    match prompt.error() {
        Some(e) => {
            spans.push(Span::raw("  "));
            // The column is marked above too; "at N" says it without colour or underline.
            spans.push(Span::styled(
                format!("✗ at {}: {}", e.column + 1, e.message),
                theme::problem(),
            ));
        }
        None => spans.push(Span::styled(
            "  Enter apply · Esc cancel · ↑↓ history",
            theme::dim(),
        )),
    }
    Paragraph::new(Line::from(spans))
}

/// A line being edited, its cursor a reversed cell (and the column `error_at` marked),
/// scrolled so the cursor stays in view on a row `width` wide. Shared by the `/` and `:`
/// prompts, which edit the same way.
pub fn edited(prompt: &Prompt, error_at: Option<usize>, width: u16) -> Vec<Span<'static>> {
    // Control characters would drive the terminal; each stays one cell wide, so the cursor
    // and the error's column keep their places.
    let chars: Vec<char> = prompt
        .text()
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    let cursor = prompt.cursor().min(chars.len());
    let error_at = error_at.map(|c| c.min(chars.len()));
    // Scroll a long expression so the cursor stays in view.
    let room = usize::from(width).saturating_sub(CHROME).max(1);
    let start = (cursor + 1).saturating_sub(room);
    let mut spans = Vec::new();
    if start > 0 {
        spans.push(Span::styled("…", theme::dim()));
    }
    let cursor_style = Style::new().add_modifier(Modifier::REVERSED);
    let error_style = theme::problem().add_modifier(Modifier::UNDERLINED | Modifier::BOLD);
    let mut plain = String::new();
    for i in start + usize::from(start > 0)..=chars.len() {
        let c = chars.get(i).copied().unwrap_or(' ');
        let style = match (i == cursor, Some(i) == error_at) {
            (true, true) => Some(cursor_style.patch(error_style)),
            (true, false) => Some(cursor_style),
            (false, true) => Some(error_style),
            (false, false) => None,
        };
        match style {
            Some(style) => {
                spans.push(Span::raw(std::mem::take(&mut plain)));
                spans.push(Span::styled(c.to_string(), style));
            }
            // The cell past the end is only the cursor's.
            None if i < chars.len() => plain.push(c),
            None => {}
        }
    }
    spans.push(Span::raw(plain));
    spans
}
