//! The caller panel of `twimon call`: the call's state on top, what the caller heard below it
//! (the newest last), the speech line while one is typed. Only the lines that fit are wrapped.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};

use super::{shown, theme};
use crate::app::App;
use crate::app::caller::{Caller, Heard, Phase, Tone};
use crate::domain::call::transcript::Waiting;
use crate::text::safe;

/// Width of the tag column (`say`, `caller`, `status`…).
const TAG: usize = 7;

/// Where the panel goes: beside the list, the top of the right column; under it, a strip
/// (unfocused) or most of the body (focused). Returns the list, the pane (may be empty) and
/// the panel.
pub fn place(body: Rect, list: Rect, detail: Rect, focus: bool) -> (Rect, Rect, Rect) {
    let beside = detail.x > list.x;
    if beside {
        let h = (detail.height * 45 / 100).clamp(5, 16).min(detail.height);
        let (panel, pane) = cut_top(detail, h);
        return (list, pane, panel);
    }
    if focus {
        let h = (body.height * 45 / 100).max(3).min(body.height);
        let (list, panel) = cut_top(body, h);
        let pane = Rect { height: 0, ..panel };
        return (list, pane, panel);
    }
    let (panel, pane) = cut_top(detail, 3.min(detail.height));
    (list, pane, panel)
}

fn cut_top(area: Rect, h: u16) -> (Rect, Rect) {
    let top = Rect { height: h, ..area };
    let rest = Rect {
        y: area.y + h,
        height: area.height - h,
        ..area
    };
    (top, rest)
}

pub fn draw(frame: &mut Frame<'_>, app: &App, caller: &Caller, area: Rect) {
    if area.height == 0 || area.width < 4 {
        return;
    }
    let width = usize::from(area.width.saturating_sub(2));
    let room = usize::from(area.height.saturating_sub(2));
    let mut lines = vec![state_line(app, caller)];
    if let Some(line) = &caller.speech {
        lines.push(Line::from(vec![
            Span::styled(" say ", theme::active_chip()),
            Span::raw(format!(" {}", safe::line(line.text()))),
            Span::styled("▏", Style::new().add_modifier(Modifier::SLOW_BLINK)),
        ]));
    }
    // A strip has room for the state alone: cut it with a mark rather than wrap it away.
    let head: Vec<Line<'static>> = if room <= 1 {
        lines
            .into_iter()
            .take(1)
            .map(|l| super::fit::fit_line(l, width))
            .collect()
    } else {
        lines
            .into_iter()
            .flat_map(|l| super::pane::wrap(l, width, room))
            .collect()
    };
    let mut body: Vec<Line<'static>> = Vec::new();
    let left = room.saturating_sub(head.len());
    // The newest lines that fit, wrapped, from the bottom up.
    for heard in caller.heard.iter().rev() {
        if body.len() >= left {
            break;
        }
        let style = match heard.tone {
            Tone::Heard => Style::new(),
            Tone::Caller => theme::accent(),
            Tone::Note => theme::dim(),
            Tone::Problem => theme::problem(),
            Tone::Call => theme::title(),
        };
        let line = Line::from(vec![
            Span::styled(format!("{:<TAG$}", heard.tag), theme::dim()),
            Span::styled(heard_text(app, heard), style),
        ]);
        let rows = super::pane::wrap(line, width, usize::MAX);
        for row in rows.into_iter().rev() {
            if body.len() < left {
                body.push(row);
            }
        }
    }
    body.reverse();
    // The state line stays on top; what was heard fills the rest, the newest at the bottom.
    let shown_lines: Vec<Line<'static>> = head.into_iter().take(room).chain(body).collect();
    frame.render_widget(Paragraph::new(shown_lines).block(block(app, caller)), area);
}

/// A line as shown: what the caller said is masked as speech is everywhere else.
fn heard_text(app: &App, heard: &Heard) -> String {
    let safe = safe::line(&heard.text);
    if app.mask && heard.tone == Tone::Caller {
        crate::text::mask::param("SpeechResult", &safe).into_owned()
    } else {
        shown(app, safe.into_owned())
    }
}

fn block(app: &App, caller: &Caller) -> Block<'static> {
    let who = if caller.from.is_empty() {
        String::new()
    } else {
        let pair = format!("{} → {}", caller.from, caller.to);
        format!(" {}", shown(app, safe::line(&pair).into_owned()))
    };
    let title = if caller.focus {
        Span::styled(format!(" caller{who} "), theme::active_chip())
    } else {
        Span::styled(format!(" caller{who} "), theme::title())
    };
    let mut block = Block::bordered().title(Line::from(title));
    let hint = if caller.focus {
        " Esc: keys to the table "
    } else {
        " Tab: keys here "
    };
    block = block.title_bottom(Line::from(Span::styled(hint, theme::dim())).right_aligned());
    if caller.focus {
        block.border_style(theme::accent())
    } else {
        block
    }
}

fn state_line(app: &App, caller: &Caller) -> Line<'static> {
    if let Some(w) = &caller.waiting {
        return waiting_line(app, caller, w);
    }
    match &caller.phase {
        Phase::Ringing => Line::from(Span::styled(
            "ringing… the app has not answered the voice URL yet",
            theme::warning(),
        )),
        Phase::Up => Line::from(vec![
            Span::styled("in call", theme::ok().add_modifier(Modifier::BOLD)),
            Span::styled(" · the app's TwiML plays · h hangs up", theme::dim()),
        ]),
        Phase::Ended {
            description,
            seconds,
        } => Line::from(vec![
            Span::styled("call ended", theme::title()),
            Span::raw(format!(": {} after {seconds} s", safe::line(description))),
        ]),
    }
}

fn waiting_line(app: &App, caller: &Caller, w: &Waiting) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!("<{}> waits", w.verb),
        theme::warning().add_modifier(Modifier::BOLD),
    )];
    if w.verb == "Dial" {
        spans.push(Span::raw(format!(
            " · {}: outcome? ",
            shown(app, safe::line(&w.detail).into_owned())
        )));
        for (key, word) in [
            ("c", "completed"),
            ("b", "busy"),
            ("n", "no-answer"),
            ("f", "failed"),
            ("x", "canceled"),
        ] {
            spans.push(Span::styled(key, theme::key()));
            spans.push(Span::raw(format!(" {word} ")));
        }
        spans.push(Span::styled("←→", theme::key()));
        spans.push(Span::raw(format!(" {} s", caller.dial_seconds)));
        return Line::from(spans);
    }
    spans.push(Span::raw(format!(" · {}", safe::line(&w.detail))));
    if let Some(left) = w.left {
        spans.push(Span::styled(format!(" · {left} s left"), theme::warning()));
    }
    if !w.pressed.is_empty() {
        let pressed = shown(app, safe::line(&w.pressed).into_owned());
        spans.push(Span::raw(" · pressed "));
        spans.push(Span::styled(pressed, theme::accent()));
    }
    Line::from(spans)
}
