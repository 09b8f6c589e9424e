//! The stats overlay's "Refused deliveries" section: the last few deliveries the listener
//! refused, newest first, with why — what "N rejected" in the header stands for. Every one
//! is in the log as well.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table};

use super::theme;
use crate::app::App;
use crate::text::safe;

/// Refusals listed at most; the rest are in the log.
const SHOWN: usize = 6;

/// Lines the section takes in the overlay: none while nothing was refused.
pub fn lines(app: &App) -> u16 {
    match app.health.rejections.len().min(SHOWN) {
        0 => 0,
        // A blank line, the heading, the column header and the rows.
        n => 3 + u16::try_from(n).unwrap_or(u16::MAX),
    }
}

pub fn draw(frame: &mut Frame<'_>, app: &App, area: Rect) {
    let kept = &app.health.rejections;
    if kept.is_empty() || area.height < 3 {
        return;
    }
    let [_, head, list] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let shown = kept.len().min(SHOWN);
    let logged = app
        .log
        .as_deref()
        .map_or_else(String::new, |p| format!(" · all in {}", safe::line(p)));
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Refused deliveries", theme::title()),
            Span::styled(
                format!(" · the last {shown}, newest first{logged}"),
                theme::dim(),
            ),
        ])),
        head,
    );
    let rows = kept.iter().rev().take(shown).map(|r| {
        Row::new([
            Cell::from(r.at.strftime("%H:%M:%S").to_string()),
            Cell::from(Span::styled(
                r.status.to_string(),
                theme::status_code(r.status),
            )),
            Cell::from(safe::line(r.remote.as_deref().unwrap_or("—")).into_owned()),
            Cell::from(safe::line(&r.request).into_owned()),
            Cell::from(safe::line(&r.reason).into_owned()),
        ])
    });
    let table = Table::new(
        rows,
        [
            Constraint::Length(9),
            Constraint::Length(4),
            Constraint::Length(22),
            Constraint::Length(18),
            Constraint::Fill(1),
        ],
    )
    .header(Row::new(["UTC", "Code", "From", "Request", "Why"]).style(theme::dim()))
    .block(Block::new().padding(ratatui::widgets::Padding::left(1)));
    frame.render_widget(table, list);
}
