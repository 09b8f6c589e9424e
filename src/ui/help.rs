//! The help overlay, generated from the keymap.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph};

use super::{centered, theme};
use crate::app::keymap::{BINDINGS, Scope};

pub fn draw(frame: &mut Frame<'_>, area: Rect) {
    let mut lines = Vec::new();
    for b in BINDINGS {
        let scope = match b.scope {
            Scope::Global => "",
            Scope::Table => " (table)",
            Scope::Call => " (call view)",
        };
        lines.push(Line::from(vec![
            Span::styled(format!(" {:<8}", b.label), theme::title()),
            Span::raw(format!(" {}{scope}", b.help)),
        ]));
    }
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        " Filters combine. Any key closes this help.",
        theme::dim(),
    )));
    let height = u16::try_from(lines.len() + 2).unwrap_or(u16::MAX);
    let rect = centered(area, 72, height);
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::bordered().title(" Keys ")),
        rect,
    );
}
