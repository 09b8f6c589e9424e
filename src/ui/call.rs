//! The call view: one call's events in the order they happened, with offsets, the parameters
//! that tell the story, and the TwiML verbs each answer gave.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::fit::{Want, columns, ellipsize, fit_line, kept, pad};
use super::theme;
use crate::app::{App, Area, CallView, Geometry};
use crate::domain::call::late_steps;

use crate::domain::call::conference::Conference;
use crate::domain::{CallSid, Event, EventKind};
use crate::text::format::{clock, duration_text, mask_path, offset_text, request_text};
use crate::text::safe;

fn summary(app: &App, cv: &CallView, steps: &[&Event]) -> Vec<Line<'static>> {
    let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
        return vec![Line::from(format!(
            " {} — no events retained",
            safe::line(cv.sid.as_str())
        ))];
    };
    let (from, to) = (&cv.from, &cv.to);
    let mut l1 = vec![Span::styled(
        format!(" {} ", safe::line(cv.sid.as_str())),
        Style::new()
            .fg(theme::call(&cv.sid))
            .add_modifier(Modifier::BOLD),
    )];
    if from.is_some() || to.is_some() {
        l1.push(Span::raw(format!(
            " {} → {}",
            super::shown_param(app, "From", from.as_deref().unwrap_or("?")),
            super::shown_param(app, "To", to.as_deref().unwrap_or("?"))
        )));
    }
    let span_ms = last.time.duration_since(first.time).as_millis();
    let l2 = Line::from(vec![
        Span::raw(format!(
            " {} – {} UTC · {} · {} events · ",
            clock(first),
            clock(last),
            offset_text(i64::try_from(span_ms).unwrap_or(i64::MAX)).trim_start_matches('+'),
            steps.len()
        )),
        Span::styled(
            safe::line(&cv.ending).into_owned(),
            if last.kind == EventKind::RequestFailed {
                theme::problem()
            } else {
                theme::title()
            },
        ),
    ]);
    vec![Line::from(l1), l2]
}

/// The parameters worth a glance, as shown: `Digits=2 CallStatus=in-progress`.
fn key_params(app: &App, params: &[(String, String)]) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{}={}", safe::line(k), super::shown_param(app, k, v)))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Narrower than this, each step takes two lines: what was asked and answered, then the
/// parameters and the TwiML verbs on a line of their own.
const TWO_LINE_BELOW: u16 = 120;
/// Shorter than this, the head leaves out the times line.
const COMPACT_HEAD_BELOW: u16 = 12;

pub fn draw(frame: &mut Frame<'_>, app: &App, cv: &CallView, area: Rect, geo: &mut Geometry) {
    let steps: Vec<&Event> = cv.steps.iter().filter_map(|s| app.store.get(*s)).collect();
    let mut block = Block::bordered().title(Line::from(" Call timeline ").style(theme::title()));
    let inner = block.inner(area);
    let compact = inner.height < COMPACT_HEAD_BELOW;
    let mut head_lines = summary(app, cv, &steps);
    if compact && head_lines.len() > 1 {
        head_lines.truncate(1);
    }
    if !steps.is_empty() {
        let path = shown_path(app, safe::line(&cv.path).into_owned());
        let room = usize::from(inner.width).saturating_sub(6);
        head_lines.push(Line::from(vec![
            Span::styled(" path ", theme::dim()),
            Span::raw(ellipsize(&path, room).into_owned()),
        ]));
    }
    if !cv.legs.is_empty() && !compact {
        head_lines.push(legs_line(app, cv, inner.width));
    }
    if let Some(conf) = &cv.conference
        && !compact
    {
        head_lines.push(conference_line(cv, conf));
    }
    let head_lines: Vec<Line<'static>> = head_lines
        .into_iter()
        .map(|l| fit_line(l, usize::from(inner.width)))
        .collect();
    let head_height = u16::try_from(head_lines.len()).unwrap_or(u16::MAX);
    let [head, list] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(1)]).areas(inner);
    frame.render_widget(Paragraph::new(head_lines), head);
    let two_lines = list.width < TWO_LINE_BELOW;
    // Two-line steps keep the column header only where it costs no step.
    let with_header = !two_lines || list.height % 2 == 1 || list.height >= 12;
    let rows = if two_lines {
        usize::from(list.height.saturating_sub(u16::from(with_header))) / 2
    } else {
        usize::from(list.height.saturating_sub(1))
    }
    .max(1);
    let offset = super::table::scroll_offset(geo.call_offset, Some(cv.selected), rows, steps.len());
    geo.call_offset = offset;
    // Where the steps are on screen, for clicks, the wheel and paging.
    let step_lines: u16 = if two_lines { 2 } else { 1 };
    let top = list.y.saturating_add(u16::from(with_header));
    geo.list = Area {
        x: list.x,
        y: top,
        width: list.width,
        height: u16::try_from(rows)
            .unwrap_or(u16::MAX)
            .saturating_mul(step_lines)
            .min(list.height.saturating_sub(u16::from(with_header))),
    };
    geo.list_step_lines = step_lines;
    let below = steps.len().saturating_sub(offset + rows);
    // The steps move with the selection; PgUp/PgDn scroll the pane.
    block = super::with_more_hint(block, offset, below, "↑↓");
    frame.render_widget(block, area);
    let t0 = steps.first().map(|e| e.time);
    let late = late_steps(&steps);
    let shown: Vec<Step> = steps
        .iter()
        .zip(&late)
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (ev, late))| {
            let off = t0.map_or(0, |t| {
                i64::try_from(ev.time.duration_since(t).as_millis()).unwrap_or(i64::MAX)
            });
            Step {
                ev,
                offset: off,
                late: *late,
                params: key_params(app, cv.params.get(i).map_or(&[][..], Vec::as_slice)),
                verbs: super::shown(
                    app,
                    safe::line(cv.verbs.get(i).map_or("", String::as_str)).into_owned(),
                ),
                missing: cv.missing.get(i).copied().unwrap_or(false),
                logged: cv.logged.get(i).map_or(&[][..], Vec::as_slice),
                selected: i == cv.selected,
            }
        })
        .collect();
    if two_lines {
        draw_two_line(frame, app, &shown, list, with_header);
    } else {
        draw_one_line(frame, app, &shown, list);
    }
}

/// A step in view, its words ready.
struct Step<'a> {
    ev: &'a Event,
    offset: i64,
    late: bool,
    params: String,
    verbs: String,
    missing: bool,
    /// Codes Twilio's Debugger logged about this request.
    logged: &'a [u32],
    selected: bool,
}

fn code_span(ev: &Event) -> Span<'static> {
    ev.response_code.map_or_else(
        || Span::raw("   "),
        |c| Span::styled(c.to_string(), theme::status_code(c)),
    )
}

fn duration_span(ev: &Event) -> Span<'static> {
    ev.duration_ms.map_or_else(
        || Span::raw("      "),
        |d| Span::styled(format!("{:>6}", duration_text(d)), theme::duration(d)),
    )
}

fn late_span(late: bool) -> Span<'static> {
    if late {
        Span::styled("late", theme::problem())
    } else {
        Span::raw("")
    }
}

/// Each step on two lines, the selected one in reverse video:
/// `+8.1s   gather.finished  POST /menu          200  142ms`
/// `        Digits=1 · Say → Redirect(/sales)`
fn draw_two_line(
    frame: &mut Frame<'_>,
    app: &App,
    steps: &[Step<'_>],
    area: Rect,
    with_header: bool,
) {
    let width = usize::from(area.width);
    // Offset, type, the code and duration at the right; the request takes what is left.
    let fixed = 8 + 17 + 1 + 3 + 1 + 6 + 5;
    let request_room = width.saturating_sub(fixed).max(4);
    let mut lines = Vec::with_capacity(steps.len() * 2 + 1);
    if with_header {
        lines.push(Line::from(Span::styled(
            fit_text(
                "Offset  Type             Request · then parameters and TwiML",
                width,
            ),
            theme::dim().add_modifier(Modifier::UNDERLINED),
        )));
    }
    for step in steps {
        let request = super::shown(app, request_text(step.ev));
        let first = Line::from(vec![
            Span::styled(format!("{:<7} ", offset_text(step.offset)), theme::dim()),
            Span::styled(
                format!("{:<16} ", safe::line(&step.ev.label())),
                Style::new().fg(theme::family(step.ev.kind)),
            ),
            Span::raw(format!(
                "{:<request_room$} ",
                ellipsize(&request, request_room)
            )),
            code_span(step.ev),
            Span::raw(" "),
            duration_span(step.ev),
            Span::raw(" "),
            late_span(step.late),
        ]);
        let mut second = vec![Span::raw("        ")];
        if !step.params.is_empty() {
            second.push(Span::styled(step.params.clone(), theme::warning()));
            second.push(Span::styled(" · ", theme::dim()));
        }
        second.extend(twiml_spans(&step.verbs, step.missing, step.logged));
        for line in [first, Line::from(second)] {
            let line = fit_line(line, width);
            lines.push(if step.selected {
                pad(line, width).patch_style(theme::selected_row())
            } else {
                line
            });
        }
    }
    frame.render_widget(Paragraph::new(lines), area);
}

fn draw_one_line(frame: &mut Frame<'_>, app: &App, steps: &[Step<'_>], area: Rect) {
    // Offset, type, request, parameters, code, duration, late, TwiML.
    let wants = [
        (7, false, 9),
        (16, false, 10),
        (12, true, 8),
        (14, true, 7),
        (3, false, 8),
        (6, false, 8),
        (4, false, 6),
        (14, true, 5),
    ]
    .map(|(width, stretch, priority)| Want {
        width,
        stretch,
        priority,
    });
    let widths = columns(&wants, area.width, 1);
    let w = |i: usize| usize::from(widths[i].unwrap_or(0));
    let selected = steps.iter().position(|s| s.selected);
    let table_rows: Vec<Row<'static>> = steps
        .iter()
        .map(|step| {
            let request = super::shown(app, request_text(step.ev));
            let cells = [
                Cell::from(Span::styled(offset_text(step.offset), theme::dim())),
                Cell::from(Span::styled(
                    safe::line(&step.ev.label()).into_owned(),
                    Style::new().fg(theme::family(step.ev.kind)),
                )),
                Cell::from(fit_text(&request, w(2))),
                Cell::from(Span::styled(fit_text(&step.params, w(3)), theme::warning())),
                Cell::from(code_span(step.ev)),
                Cell::from(duration_span(step.ev)),
                Cell::from(late_span(step.late)),
                Cell::from(fit_line(
                    Line::from(twiml_spans(&step.verbs, step.missing, step.logged)),
                    w(7),
                )),
            ];
            Row::new(kept(cells, &widths))
        })
        .collect();
    let header = [
        "Offset",
        "Type",
        "Request",
        "Parameters",
        "Res",
        "   Dur",
        "",
        "TwiML",
    ]
    .map(Cell::from);
    let table = Table::new(
        table_rows,
        widths.iter().flatten().map(|w| Constraint::Length(*w)),
    )
    .header(Row::new(kept(header, &widths)).style(theme::dim().add_modifier(Modifier::UNDERLINED)))
    .row_highlight_style(theme::selected_row())
    .column_spacing(1);
    let mut state = TableState::default().with_selected(selected);
    frame.render_stateful_widget(table, area, &mut state);
}

fn fit_text(text: &str, width: usize) -> String {
    ellipsize(text, width).into_owned()
}

/// The legs line: `legs ▸ CA…a9ca31 parent +1415… → +1800… 5 events · CA…ba1e18 dialed not
/// seen  [ ] switch`. From → To are left out when the line would not fit.
fn legs_line(app: &App, cv: &CallView, width: u16) -> Line<'static> {
    let build = |with_numbers: bool| {
        let mut spans = vec![Span::styled(" legs ", theme::dim())];
        for (i, leg) in cv.legs.iter().enumerate() {
            if i > 0 {
                spans.push(Span::styled(" · ", theme::dim()));
            }
            let here = leg.sid == cv.sid;
            let mut style = Style::new().fg(theme::call(&leg.sid));
            if here {
                style = style.add_modifier(Modifier::BOLD | Modifier::REVERSED);
            }
            if here {
                spans.push(Span::raw("▸ "));
            }
            spans.push(Span::styled(
                safe::line(&leg.sid.short()).into_owned(),
                style,
            ));
            let role = if leg.parent { "parent" } else { "dialed" };
            spans.push(Span::styled(format!(" {role}"), theme::dim()));
            if with_numbers && (leg.from.is_some() || leg.to.is_some()) {
                spans.push(Span::raw(format!(
                    " {} → {}",
                    super::shown_param(app, "From", leg.from.as_deref().unwrap_or("?")),
                    super::shown_param(app, "To", leg.to.as_deref().unwrap_or("?"))
                )));
            }
            spans.push(match leg.events {
                0 => Span::styled(" not seen", theme::warning()),
                1 => Span::raw(" 1 event"),
                n => Span::raw(format!(" {n} events")),
            });
        }
        spans.push(Span::raw("  "));
        spans.push(Span::styled(" [ ] ", theme::key()));
        spans.push(Span::raw(" switch"));
        Line::from(spans)
    };
    let full = build(true);
    if full.width() <= usize::from(width) {
        full
    } else {
        build(false)
    }
}

/// The conference line: `conference Room 42 CF…9c1f ▸ CA…a1b2 participant-join · CA…c3d4
/// participant-leave`, this call marked.
fn conference_line(cv: &CallView, conf: &Conference) -> Line<'static> {
    let mut spans = vec![Span::styled(" conference ", theme::dim())];
    if !conf.name.is_empty() {
        spans.push(Span::styled(
            format!("{} ", safe::line(&conf.name)),
            theme::title(),
        ));
    }
    spans.push(Span::styled(
        safe::line(&CallSid(conf.sid.as_str().into()).short()).into_owned(),
        theme::dim(),
    ));
    for (i, p) in conf.participants.iter().enumerate() {
        spans.push(Span::styled(
            if i == 0 { "  " } else { " · " },
            theme::dim(),
        ));
        let mut style = Style::new().fg(theme::call(&p.sid));
        if p.sid == cv.sid {
            spans.push(Span::raw("▸ "));
            style = style.add_modifier(Modifier::BOLD | Modifier::REVERSED);
        }
        spans.push(Span::styled(safe::line(&p.sid.short()).into_owned(), style));
        if !p.status.is_empty() {
            spans.push(Span::raw(format!(" {}", safe::line(&p.status))));
        }
    }
    Line::from(spans)
}

/// The path line as shown: when masking, numbers are masked and what the caller said (the
/// path quotes a `SpeechResult`) is hidden.
fn shown_path(app: &App, line: String) -> String {
    if app.mask { mask_path(&line) } else { line }
}

/// The TwiML column: the answer's verbs, after the codes Twilio's Debugger logged about the
/// request and a mark when the request one of them should have caused never came.
fn twiml_spans(verbs: &str, missing: bool, logged: &[u32]) -> Vec<Span<'static>> {
    let mut spans = Vec::with_capacity(3);
    for code in logged {
        spans.push(Span::styled(format!("✗ {code} "), theme::problem()));
    }
    if missing {
        spans.push(Span::styled("⚠ no reply ", theme::problem()));
    }
    spans.push(Span::styled(
        safe::line(verbs).into_owned(),
        theme::accent(),
    ));
    spans
}
