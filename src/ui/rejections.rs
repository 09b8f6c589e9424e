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
/// Widths from which the sender and the request have columns of their own.
const WIDE: u16 = 100;

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
    let title = format!(" · the last {shown}, newest first");
    let mut logged = app
        .log
        .as_deref()
        .map_or_else(String::new, |p| format!(" · all in {}", safe::line(p)));
    let used = " Refused deliveries".len() + title.chars().count() + logged.chars().count();
    if used > usize::from(head.width) {
        logged = " · all in the log".into();
    }
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(" Refused deliveries", theme::title()),
            Span::styled(format!("{title}{logged}"), theme::dim()),
        ])),
        head,
    );
    // Narrow, the reason keeps the room: who sent it and where are in the log.
    let wide = list.width >= WIDE;
    let widths: &[u16] = if wide { &[9, 4, 22, 18] } else { &[9, 4] };
    let fixed: u16 = widths.iter().map(|w| w + 1).sum();
    let why_width = usize::from(list.width.saturating_sub(1 + fixed));
    let rows = kept.iter().rev().take(shown).map(|r| {
        let mut cells = vec![
            Cell::from(r.at.strftime("%H:%M:%S").to_string()),
            Cell::from(Span::styled(
                r.status.to_string(),
                theme::status_code(r.status),
            )),
        ];
        if wide {
            cells.push(Cell::from(
                safe::line(r.remote.as_deref().unwrap_or("—")).into_owned(),
            ));
            cells.push(Cell::from(cut(&safe::line(&r.request), 18)));
        }
        cells.push(Cell::from(cut(&safe::line(&r.reason), why_width)));
        Row::new(cells)
    });
    let header: &[&str] = if wide {
        &["UTC", "Code", "From", "Request", "Why"]
    } else {
        &["UTC", "Code", "Why"]
    };
    let constraints = widths
        .iter()
        .map(|w| Constraint::Length(*w))
        .chain([Constraint::Fill(1)]);
    let table = Table::new(rows, constraints)
        .header(Row::new(header.iter().copied()).style(theme::dim()))
        .block(Block::new().padding(ratatui::widgets::Padding::left(1)));
    frame.render_widget(table, list);
}

/// Text cut to `width` characters, with `…` where it was cut.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_owned();
    }
    let mut s: String = text.chars().take(width.saturating_sub(1)).collect();
    s.push('…');
    s
}
