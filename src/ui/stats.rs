//! The stats overlay (`s`): events/s, response codes by class, request durations and the slow
//! steps, all read from the running aggregates in `App::metrics` (never from the store). The
//! slow steps scroll with the selection; Enter goes to the selected one's event.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::RenderDirection;
use ratatui::widgets::{Block, Cell, Clear, Paragraph, Row, Sparkline, Table, TableState};

use super::fit::{Want, columns, ellipsize, fit_line, kept};
use super::{centered, theme};
use crate::app::{App, Geometry};
use crate::store::stats::{CodeClass, SLOW_MS, Stats};
use crate::text::format::{duration_text, url_path};
use crate::text::safe;

/// Widest the overlay gets.
const MAX_WIDTH: u16 = 120;
/// Lines around the slow steps' rows: borders, the events/s caption and axis, the code and
/// duration lines, two blank lines, the slow steps' heading and column header.
const FIXED_LINES: u16 = 10;

pub fn draw(frame: &mut Frame<'_>, app: &App, selected: usize, area: Rect, geo: &mut Geometry) {
    let s = &app.metrics;
    let spark_height: u16 = if area.height >= 40 { 5 } else { 3 };
    let rows = u16::try_from(s.slow().len()).unwrap_or(u16::MAX).max(1);
    let refused = super::rejections::lines(app);
    let height = FIXED_LINES
        .saturating_add(spark_height)
        .saturating_add(rows)
        .saturating_add(refused)
        .min(area.height.saturating_sub(2));
    let rect = centered(area, MAX_WIDTH.min(area.width.saturating_sub(4)), height);
    frame.render_widget(Clear, rect);
    let mut block = Block::bordered().title(Span::styled(" Stats · since start ", theme::title()));
    let inner = block.inner(rect);
    let [inner, refused_area] =
        Layout::vertical([Constraint::Min(0), Constraint::Length(refused)]).areas(inner);

    let [
        caption,
        spark,
        axis,
        _,
        codes,
        durations,
        _,
        slow_head,
        slow_rows,
    ] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(spark_height),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(inner);

    // One bar per second, the newest at the right.
    let seconds: Vec<u64> = s.per_second(usize::from(spark.width)).collect();
    let peak = seconds.iter().copied().max().unwrap_or(0);
    let width = usize::from(inner.width);
    frame.render_widget(
        Paragraph::new(fit_line(
            Line::from(vec![
                Span::styled(" Events/s", theme::title()),
                Span::styled(
                    format!(" · last {} s by arrival · peak {peak}/s · ", seconds.len()),
                    theme::dim(),
                ),
                Span::raw(format!("{} events", s.total())),
            ]),
            width,
        )),
        caption,
    );
    frame.render_widget(
        Sparkline::default()
            .data(&seconds)
            .direction(RenderDirection::RightToLeft)
            .style(theme::accent()),
        spark,
    );
    frame.render_widget(axis_line(seconds.len(), axis.width), axis);
    frame.render_widget(Paragraph::new(fit_line(codes_line(s), width)), codes);
    frame.render_widget(
        Paragraph::new(fit_line(durations_line(s), width)),
        durations,
    );
    frame.render_widget(Paragraph::new(fit_line(slow_heading(s), width)), slow_head);
    let visible = usize::from(slow_rows.height.saturating_sub(1)).max(1);
    geo.stats_rows = visible;
    let total = s.slow().len();
    let selected = selected.min(total.saturating_sub(1));
    let offset = super::table::scroll_offset(0, Some(selected), visible, total);
    let below = total.saturating_sub(offset + visible);
    let mut keys = Vec::new();
    if offset > 0 {
        keys.push(format!("↑ {offset}"));
    }
    if below > 0 {
        keys.push(format!("↓ {below} more"));
    }
    if total > 0 {
        keys.push("↑↓ Enter go to the event".to_owned());
    }
    keys.push("s Esc close".to_owned());
    block = block.title_bottom(Line::from(format!(" {} ", keys.join(" · "))).right_aligned());
    frame.render_widget(block, rect);
    super::rejections::draw(frame, app, refused_area);
    draw_slow(frame, s, slow_rows, offset, selected);
}

/// `-76s` under the oldest bar, `now` under the newest.
fn axis_line(shown: usize, width: u16) -> Line<'static> {
    if shown == 0 {
        return Line::from(Span::styled(" no events yet", theme::dim()));
    }
    let left = format!("-{shown}s");
    let right = "now";
    // The bars fill the right end of the row.
    let start = usize::from(width).saturating_sub(shown);
    let gap = usize::from(width)
        .saturating_sub(start)
        .saturating_sub(left.len() + right.len());
    Line::from(Span::styled(
        format!("{}{left}{}{right}", " ".repeat(start), " ".repeat(gap)),
        theme::dim(),
    ))
}

fn codes_line(s: &Stats) -> Line<'static> {
    let mut spans = vec![Span::styled(" Responses  ", theme::title())];
    for class in CodeClass::ALL {
        let n = s.code_count(class);
        let style = match class.example() {
            Some(code) if n > 0 => theme::status_code(code),
            _ => theme::dim(),
        };
        spans.push(Span::styled(class.label().to_owned(), style));
        spans.push(Span::raw(format!(" {n}   ")));
    }
    Line::from(spans)
}

fn durations_line(s: &Stats) -> Line<'static> {
    let mut spans = vec![Span::styled(" Duration   ", theme::title())];
    let (Some(p50), Some(p95), Some(max)) = (s.percentile(50.0), s.percentile(95.0), s.max_ms())
    else {
        spans.push(Span::styled("no request durations yet", theme::dim()));
        return Line::from(spans);
    };
    for (label, ms, approx) in [("p50", p50, "≈ "), ("p95", p95, "≈ "), ("max", max, "")] {
        spans.push(Span::raw(format!("{label} {approx}")));
        spans.push(Span::styled(duration_text(ms), theme::duration(ms)));
        spans.push(Span::raw("   "));
    }
    spans.push(Span::styled(format!("({} timed)", s.timed()), theme::dim()));
    Line::from(spans)
}

fn slow_heading(s: &Stats) -> Line<'static> {
    let shown = s.slow().len() as u64;
    let more = if s.slow_total() > shown {
        format!(" · the {shown} slowest listed")
    } else {
        String::new()
    };
    Line::from(vec![
        Span::styled(" Slow steps", theme::title()),
        Span::styled(
            format!(" over {} s (Twilio gives up at 15 s): ", SLOW_MS / 1000),
            theme::dim(),
        ),
        Span::raw(format!("{}{more}", s.slow_total())),
    ])
}

fn draw_slow(frame: &mut Frame<'_>, s: &Stats, area: Rect, offset: usize, selected: usize) {
    if s.slow().is_empty() {
        frame.render_widget(Paragraph::new(Span::styled(" none", theme::dim())), area);
        return;
    }
    let visible = usize::from(area.height.saturating_sub(1));
    // Time, type, call, request, duration: the call goes first when narrow, then the time.
    let wants = [
        (12, false, 6),
        (16, false, 9),
        (9, false, 5),
        (8, true, 8),
        (6, false, 10),
    ]
    .map(|(width, stretch, priority)| Want {
        width,
        stretch,
        priority,
    });
    // The block's left padding takes one column.
    let widths = columns(&wants, area.width.saturating_sub(1), 1);
    let request_width = usize::from(widths[3].unwrap_or(0));
    let rows = s.slow().iter().skip(offset).take(visible).map(|step| {
        let call = step.call_sid.as_ref().map_or_else(
            || Span::styled("—", theme::dim()),
            |sid| {
                Span::styled(
                    safe::line(&sid.short()).into_owned(),
                    Style::new().fg(theme::call(sid)),
                )
            },
        );
        let request = if step.url.is_empty() {
            String::new()
        } else {
            format!(
                "{} {}",
                safe::line(&step.method),
                safe::line(url_path(&step.url))
            )
        };
        let cells = [
            Cell::from(step.time.strftime("%H:%M:%S%.3f").to_string()),
            Cell::from(Span::styled(
                step.kind.short(),
                Style::new().fg(theme::family(step.kind)),
            )),
            Cell::from(call),
            Cell::from(ellipsize(&request, request_width).into_owned()),
            Cell::from(
                Line::from(Span::styled(
                    duration_text(step.duration_ms),
                    theme::duration(step.duration_ms),
                ))
                .right_aligned(),
            ),
        ];
        Row::new(kept(cells, &widths))
    });
    let header = ["Time (UTC)", "Type", "Call", "Request", "   Dur"].map(Cell::from);
    let table = Table::new(
        rows,
        widths.iter().flatten().map(|w| Constraint::Length(*w)),
    )
    .header(Row::new(kept(header, &widths)).style(theme::dim()))
    .row_highlight_style(theme::selected_row())
    .block(Block::new().padding(ratatui::widgets::Padding::left(1)));
    let mut state = TableState::default().with_selected(selected.checked_sub(offset));
    frame.render_stateful_widget(table, area, &mut state);
}
