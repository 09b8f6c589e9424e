//! The call view: one call's events in the order they happened, with offsets, the parameters
//! that tell the story, and the TwiML verbs each answer gave.

use std::rc::Rc;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::{duration_text, request_text, theme};
use crate::app::{App, CallView};
use crate::domain::event::KEY_PARAMETERS;
use crate::domain::flow::{self, Step};
use crate::domain::twiml::Decoded;
use crate::domain::{Event, EventKind};
use crate::safe;

/// `+7.3s`, `+1m02s`, `+3h05m`, `+2d04h`, `+> 1 year` (a sender's absurd times must not
/// print as `+4260186600m00s`).
pub fn offset_text(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    format!("{sign}{}", span_text(ms.unsigned_abs()))
}

/// A length of time in the largest units that keep it short.
pub fn span_text(ms: u64) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    let secs = ms / 1000;
    match secs {
        s if s < MIN => format!("{:.1}s", ms as f64 / 1000.0),
        s if s < HOUR => format!("{}m{:02}s", s / MIN, s % MIN),
        s if s < DAY => format!("{}h{:02}m", s / HOUR, s % HOUR / MIN),
        s if s < 365 * DAY => format!("{}d{:02}h", s / DAY, s % DAY / HOUR),
        _ => "> 1 year".to_owned(),
    }
}

/// The parameters of a step worth a glance, `Digits=2 CallStatus=in-progress`.
/// `CallStatus` only when nothing more telling is there: it is the same on most steps.
fn key_params(app: &App, ev: &Event) -> String {
    let params = ev.parameters();
    let found: Vec<String> = KEY_PARAMETERS[..7]
        .iter()
        .filter_map(|name| {
            params
                .iter()
                .find(|(k, _)| crate::domain::delivery::key_eq(k, name))
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| format!("{}={}", safe::line(k), super::shown_param(app, k, v)))
        })
        .collect();
    let telling: Vec<&String> = found
        .iter()
        .filter(|p| !p.starts_with("CallStatus="))
        .collect();
    if telling.is_empty() {
        found.join(" ")
    } else {
        telling
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Which steps arrived after an event that happened later (Twilio does not order deliveries).
pub fn late_steps(steps: &[&Event]) -> Vec<bool> {
    let mut late = vec![false; steps.len()];
    let mut min_seq_after = u64::MAX;
    for (i, ev) in steps.iter().enumerate().rev() {
        late[i] = ev.seq > min_seq_after;
        min_seq_after = min_seq_after.min(ev.seq);
    }
    late
}

fn ending(app: &App, last: &Event) -> String {
    let verbs = app
        .decoded(last.seq)
        .map(|d| d.verbs_summary())
        .unwrap_or_default();
    safe::line(&crate::export::ending(last, &verbs)).into_owned()
}

fn summary(app: &App, cv: &CallView, steps: &[&Event]) -> Vec<Line<'static>> {
    let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
        return vec![Line::from(format!(
            " {} — no events retained",
            safe::line(cv.sid.as_str())
        ))];
    };
    let from = steps.iter().find_map(|e| e.parameter("From"));
    let to = steps.iter().find_map(|e| e.parameter("To"));
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
            super::clock(first),
            super::clock(last),
            offset_text(i64::try_from(span_ms).unwrap_or(i64::MAX)).trim_start_matches('+'),
            steps.len()
        )),
        Span::styled(
            ending(app, last),
            if last.kind == EventKind::RequestFailed {
                theme::problem()
            } else {
                theme::title()
            },
        ),
    ]);
    vec![Line::from(l1), l2]
}

/// Steps the path line reads: a longer call's line fits no screen, and each step's `TwiML` is
/// decoded for it.
const PATH_STEPS: usize = 48;
/// Steps after the visible rows read to tell whether a row's follow-up is missing.
const LOOKAHEAD: usize = 8;

/// The IVR path of `steps` (a call's events in time order, or a run of them).
fn flow_of(app: &App, steps: &[&Event]) -> flow::Path {
    let decoded: Vec<Option<Rc<Decoded>>> = steps.iter().map(|e| app.decoded(e.seq)).collect();
    let steps: Vec<Step<'_>> = steps
        .iter()
        .zip(&decoded)
        .map(|(event, d)| Step {
            event,
            decoded: d.as_deref(),
        })
        .collect();
    flow::path(&steps)
}

pub fn draw(frame: &mut Frame<'_>, app: &App, cv: &CallView, area: Rect) {
    let steps: Vec<&Event> = cv.steps.iter().filter_map(|s| app.store.get(*s)).collect();
    let block = Block::bordered().title(Line::from(" Call timeline ").style(theme::title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let head_height = if cv.legs.is_empty() { 3 } else { 4 };
    let [head, list] =
        Layout::vertical([Constraint::Length(head_height), Constraint::Min(1)]).areas(inner);
    let head_steps = steps.get(..steps.len().min(PATH_STEPS)).unwrap_or_default();
    let head_path = flow_of(app, head_steps);
    let mut head_lines = summary(app, cv, &steps);
    if !steps.is_empty() {
        let mut line = head_path.line.clone();
        if steps.len() > PATH_STEPS {
            line.push_str(" → …");
        }
        head_lines.push(Line::from(vec![
            Span::styled(" path ", theme::dim()),
            Span::raw(shown_path(app, safe::line(&line).into_owned())),
        ]));
    }
    if !cv.legs.is_empty() {
        head_lines.push(legs_line(app, cv, head.width));
    }
    frame.render_widget(Paragraph::new(head_lines), head);
    let t0 = steps.first().map(|e| e.time);
    let late = late_steps(&steps);
    let rows = usize::from(list.height.saturating_sub(1)).max(1);
    let offset = super::table::scroll_offset(0, Some(cv.selected), rows, steps.len());
    // Steps whose expected follow-up never came, from the head's path when it covers the rows.
    let window_end = offset.saturating_add(rows + LOOKAHEAD).min(steps.len());
    let missing: Vec<usize> = if window_end <= head_steps.len() {
        head_path.missing
    } else {
        let window = steps.get(offset..window_end).unwrap_or_default();
        flow_of(app, window)
            .missing
            .into_iter()
            .map(|i| i + offset)
            .collect()
    };
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
            let verbs = app
                .decoded(ev.seq)
                .map(|d| d.verbs_summary())
                .unwrap_or_default();
            let late = if *late {
                Cell::from(Span::styled("late", theme::problem()))
            } else {
                Cell::from("")
            };
            Row::new(vec![
                Cell::from(Span::styled(offset_text(off), theme::dim())),
                Cell::from(Span::styled(
                    ev.kind.short(),
                    Style::new().fg(theme::family(ev.kind)),
                )),
                Cell::from(super::shown(app, request_text(ev))),
                Cell::from(Span::styled(
                    key_params(app, ev),
                    Style::new().fg(Color::Yellow),
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
                    &super::shown(app, safe::line(&verbs).into_owned()),
                    missing.contains(&i),
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
                0 => Span::styled(" not seen", Style::new().fg(Color::Yellow)),
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

/// The path line as shown: when masking, numbers are masked and what the caller said (the
/// path quotes a `SpeechResult`) is hidden.
fn shown_path(app: &App, line: String) -> String {
    if app.mask {
        crate::export::mask_path(&line)
    } else {
        line
    }
}

/// The TwiML column: the answer's verbs, after a mark when the request one of them should
/// have caused never came.
fn twiml_spans(verbs: &str, missing: bool) -> Vec<Span<'static>> {
    let mut spans = Vec::with_capacity(2);
    if missing {
        spans.push(Span::styled("⚠ no reply ", theme::problem()));
    }
    spans.push(Span::styled(
        safe::line(verbs).into_owned(),
        Style::new().fg(Color::Cyan),
    ));
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(offset_text(0), "+0.0s");
        assert_eq!(offset_text(-1500), "-1.5s");
        assert_eq!(offset_text(-125_000), "-2m05s");
        assert_eq!(offset_text(3 * 3_600_000 + 300_000), "+3h05m");
        assert_eq!(offset_text(2 * 86_400_000 + 4 * 3_600_000), "+2d04h");
        // 1900 → 9999, as a sender's times can say.
        assert_eq!(offset_text(255_611_196_000_000), "+> 1 year");
        assert_eq!(offset_text(i64::MIN), "-> 1 year");
        assert_eq!(duration_text(u32::MAX), "49d17h");
        assert_eq!(offset_text(7300), "+7.3s");
        assert_eq!(offset_text(62_000), "+1m02s");
    }
}
