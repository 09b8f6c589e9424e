//! The `:` / `@` prompt on the filter bar's row, and the question asked before quitting
//! with unrecorded events, on the footer's.

use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme;
use crate::app::Prompt;
use crate::text::safe;

/// Choices Tab found that the line lists before `…`.
const CHOICES_SHOWN: usize = 8;

pub fn line(p: &Prompt, width: u16) -> Paragraph<'static> {
    let mut spans = vec![
        Span::styled(format!(" {} ", p.sigil), theme::active_chip()),
        Span::raw(" "),
    ];
    spans.extend(super::search::edited(&p.line, None, width));
    if let Some(e) = &p.error {
        spans.push(Span::styled(
            format!("  {}", safe::line(e)),
            theme::problem(),
        ));
    } else if !p.choices.is_empty() {
        let mut list = p
            .choices
            .iter()
            .take(CHOICES_SHOWN)
            .copied()
            .collect::<Vec<_>>()
            .join("  ");
        if p.choices.len() > CHOICES_SHOWN {
            list.push_str("  …");
        }
        spans.push(Span::styled(format!("  {list}"), theme::title()));
    } else if p.sigil == '@' {
        spans.push(Span::styled(
            "  time (UTC): 03:00 · 03:00:15 · 2026-11-30T03:00 · Enter go · Esc cancel",
            theme::dim(),
        ));
    } else {
        spans.push(Span::styled(
            "  Tab complete · Enter run · Esc cancel · ↑↓ history",
            theme::dim(),
        ));
    }
    Paragraph::new(Line::from(spans))
}

pub fn quit_question(lost: u64, recorded: bool) -> Paragraph<'static> {
    let events = if lost == 1 { "event" } else { "events" };
    let what = if recorded {
        format!("{lost} {events} the failed recording missed")
    } else {
        format!("{lost} unrecorded {events}")
    };
    Paragraph::new(Line::from(vec![
        Span::styled(
            format!(" Quit and lose {what}? "),
            theme::problem().add_modifier(Modifier::BOLD),
        ),
        Span::styled(" q ", theme::key()),
        Span::raw("/"),
        Span::styled(" y ", theme::key()),
        Span::raw(" quit · any other key stays"),
    ]))
}
