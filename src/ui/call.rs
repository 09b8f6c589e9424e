//! The call view: one call's events in the order they happened, with offsets, the parameters
//! that tell the story, and the TwiML verbs each answer gave.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::theme;
use crate::app::{App, CallView};
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

pub fn draw(frame: &mut Frame<'_>, app: &App, cv: &CallView, area: Rect) {
    let steps: Vec<&Event> = cv.steps.iter().filter_map(|s| app.store.get(*s)).collect();
    let block = Block::bordered().title(Line::from(" Call timeline ").style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let head_height = 3 + u16::from(!cv.legs.is_empty()) + u16::from(cv.conference.is_some());
    let [head, list] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(1)]).areas(inner);
    let mut head_lines = summary(app, cv, &steps);
    if !steps.is_empty() {
        head_lines.push(Line::from(vec![
            Span::styled(" path ", theme::dim()),
            Span::raw(shown_path(app, safe::line(&cv.path).into_owned())),
        ]));
    }
    if !cv.legs.is_empty() {
        head_lines.push(legs_line(app, cv, head.width));
    }
    if let Some(conf) = &cv.conference {
        head_lines.push(conference_line(cv, conf));
    }
    frame.render_widget(Paragraph::new(head_lines), head);
    let t0 = steps.first().map(|e| e.time);
    let late = late_steps(&steps);
    let rows = usize::from(list.height.saturating_sub(1)).max(1);
    let offset = super::table::scroll_offset(0, Some(cv.selected), rows, steps.len());
    let table_rows: Vec<Row<'static>> = steps
        .iter()
        .zip(&late)
        .enumerate()
        .skip(offset)
        .take(rows)
        .map(|(i, (ev, late))| {
            let off = t0.map_or(0, |t| {
                i64::try_from(ev.time.duration_since(t).as_millis()).unwrap_or(i64::MAX)
            });
            let verbs = cv.verbs.get(i).map_or("", String::as_str);
            let late = if *late {
                Cell::from(Span::styled("late", theme::problem()))
            } else {
                Cell::from("")
            };
            Row::new(vec![
                Cell::from(Span::styled(offset_text(off), theme::dim())),
                Cell::from(Span::styled(
                    safe::line(&ev.label()).into_owned(),
                    Style::new().fg(theme::family(ev.kind)),
                )),
                Cell::from(super::shown(app, request_text(ev))),
                Cell::from(Span::styled(
                    key_params(app, cv.params.get(i).map_or(&[][..], Vec::as_slice)),
                    theme::warning(),
                )),
                ev.response_code.map_or_else(
                    || Cell::from(""),
                    |c| Cell::from(Span::styled(c.to_string(), theme::status_code(c))),
                ),
                ev.duration_ms.map_or_else(
                    || Cell::from(""),
                    |d| {
                        Cell::from(Span::styled(
                            format!("{:>6}", duration_text(d)),
                            theme::duration(d),
                        ))
                    },
                ),
                late,
                Cell::from(Line::from(twiml_spans(
                    &super::shown(app, safe::line(verbs).into_owned()),
                    cv.missing.get(i).copied().unwrap_or(false),
                    cv.logged.get(i).map_or(&[][..], Vec::as_slice),
                ))),
            ])
        })
        .collect();
    let widths = [
        Constraint::Length(7),
        Constraint::Length(16),
        Constraint::Fill(2),
        Constraint::Fill(2),
        Constraint::Length(3),
        Constraint::Length(6),
        Constraint::Length(4),
        Constraint::Fill(3),
    ];
    let header = Row::new([
        "Offset",
        "Type",
        "Request",
        "Parameters",
        "Res",
        "Dur",
        "",
        "TwiML",
    ])
    .style(theme::dim().add_modifier(Modifier::UNDERLINED));
    let table = Table::new(table_rows, widths)
        .header(header)
        .row_highlight_style(theme::selected_row())
        .column_spacing(1);
    let mut state = TableState::default().with_selected(cv.selected.checked_sub(offset));
    frame.render_stateful_widget(table, list, &mut state);
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
