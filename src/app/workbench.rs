//! The IVR workbench keys: `R` resends the selected event's request, `E` first edits its
//! parameters (an inline prompt: `Digits=3 -SpeechResult`; Ctrl-E there hands them, with what
//! was typed applied, to `$EDITOR` as a file of `Name=value` lines), `D` marks an event and `D` on
//! another opens the TwiML diff of their answers (a resend with nothing marked: against its
//! original). The resend itself is I/O: the app asks for it as an [`Effect`] and the answer
//! comes back as an event like any other.

use std::fmt::Write as _;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Effect, Mode};
use crate::domain::check;
use crate::domain::diff::{self, DiffLine};
use crate::domain::exchange::{self, Edit, ProxyFacts};
use crate::domain::lint::Severity;
use crate::domain::{Event, EventKind};

/// One side of a diff: which event, and what its checks found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Side {
    pub seq: u64,
    /// `gather.finished PX…-4 · 200 · 12 ms`.
    pub label: String,
    /// The check findings of its answer, worst first, one line each.
    pub findings: Vec<(Severity, String)>,
}

/// The TwiML diff between two events' answers, computed once when it opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffView {
    pub left: Side,
    pub right: Side,
    pub lines: Vec<DiffLine>,
    /// Unified (one column, `-`/`+`) instead of side by side.
    pub unified: bool,
    pub scroll: usize,
}

impl DiffView {
    pub fn changed(&self) -> bool {
        diff::changed(&self.lines)
    }

    /// Rows the current layout has (side by side pairs a change's lines).
    pub fn rows(&self) -> usize {
        if self.unified {
            self.lines.len()
        } else {
            diff::side_by_side(&self.lines).len()
        }
    }
}

fn side(ev: &Event) -> Side {
    let mut findings: Vec<(Severity, String)> = ev
        .response_body()
        .filter(|b| !b.trim().is_empty())
        .map(|b| {
            check::checked(&b)
                .findings
                .iter()
                .map(|f| (f.severity, f.message.clone()))
                .collect()
        })
        .unwrap_or_default();
    findings.sort_by_key(|(s, _)| std::cmp::Reverse(*s));
    let mut label = format!("{} {}", ev.kind.short(), ev.id());
    if let Some(code) = ev.response_code {
        let _ = write!(label, " · {code}");
    }
    if let Some(ms) = ev.duration_ms {
        let _ = write!(label, " · {ms} ms");
    }
    Side {
        seq: ev.seq,
        label,
        findings,
    }
}

/// Whether an event carries a request twimon can send again.
fn resendable(ev: &Event) -> bool {
    (EventKind::TWIML.contains(&ev.kind) || ev.kind == EventKind::StatusCallback)
        && !ev.url().is_empty()
}

impl App {
    /// `R`: resend the selected event's request as it was.
    pub(super) fn resend(&mut self) {
        match self.current() {
            Some(ev) if resendable(ev) => {
                let seq = ev.seq;
                self.status = Some(format!("resending {} …", ev.id()));
                self.effects.push(Effect::Resend {
                    seq,
                    edits: Vec::new(),
                });
            }
            Some(_) => {
                self.status =
                    Some("nothing to resend: this event carries no webhook request".into());
            }
            None => self.status = Some("nothing to resend: select an event".into()),
        }
    }

    /// `E`: open the edit prompt for the selected event's resend.
    pub(super) fn edit_resend(&mut self) {
        match self.current() {
            Some(ev) if resendable(ev) => {
                self.mode = Mode::Edit {
                    seq: ev.seq,
                    input: String::new(),
                };
            }
            _ => {
                self.status =
                    Some("nothing to resend: select an event with a webhook request".into());
            }
        }
    }

    /// `D`: mark the selected event, or diff it against the mark (or, for a resend, against
    /// its original).
    pub(super) fn mark_diff(&mut self) {
        let Some((seq, id, original)) = self
            .current()
            .map(|ev| (ev.seq, ev.id().to_owned(), self.original_of(ev)))
        else {
            self.status = Some("nothing to diff: select an event".into());
            return;
        };
        let other = match self.diff_mark.take() {
            Some(mark) if mark != seq => Some(mark),
            Some(_) => {
                self.status = Some("mark cleared".into());
                return;
            }
            None => original,
        };
        let pair = other.and_then(|o| Some((self.store.get(o)?, self.store.get(seq)?)));
        let Some((left, right)) = pair else {
            self.diff_mark = Some(seq);
            self.status = Some(format!(
                "marked {id} — D on another event shows the diff of their TwiML"
            ));
            return;
        };
        let view = DiffView {
            left: side(left),
            right: side(right),
            lines: diff::answers(left, right),
            unified: false,
            scroll: 0,
        };
        self.mode = Mode::Diff(Box::new(view));
    }

    /// The stored original of a resend's answer.
    fn original_of(&self, ev: &Event) -> Option<u64> {
        let of = ProxyFacts::of(ev)?.resend_of?;
        let sid = ev.call_sid.as_ref()?;
        self.store
            .call_events(sid)
            .find(|e| e.id() == of)
            .map(|e| e.seq)
    }

    /// Keys while the edit prompt or the diff is open.
    pub(super) fn on_workbench_key(&mut self, key: KeyEvent) -> bool {
        let ctrl_c =
            key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL);
        match &mut self.mode {
            Mode::Edit { seq, input } => match key.code {
                KeyCode::Esc => self.mode = Mode::Normal,
                _ if ctrl_c => self.mode = Mode::Normal,
                KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    match Edit::parse_all(input) {
                        Ok(edits) => {
                            let seq = *seq;
                            self.mode = Mode::Normal;
                            self.hand_to_editor(seq, &edits);
                        }
                        Err(why) => self.status = Some(why),
                    }
                }
                KeyCode::Enter => match Edit::parse_all(input) {
                    Ok(edits) => {
                        let seq = *seq;
                        self.mode = Mode::Normal;
                        let what = if edits.is_empty() {
                            "as it was"
                        } else {
                            "edited"
                        };
                        self.status = Some(format!("resending {what} …"));
                        self.effects.push(Effect::Resend { seq, edits });
                    }
                    Err(why) => self.status = Some(why),
                },
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char(c) => {
                    input.push(c);
                    self.status = None;
                }
                _ => return false,
            },
            Mode::Diff(view) => {
                let page = self.geometry.pane_page.max(1);
                let last = view.rows().saturating_sub(1);
                match key.code {
                    KeyCode::Esc | KeyCode::Char('D' | 'd') => self.mode = Mode::Normal,
                    KeyCode::Char('q') => self.quit = true,
                    _ if ctrl_c => self.quit = true,
                    KeyCode::Char('u') => {
                        view.unified = !view.unified;
                        view.scroll = 0;
                    }
                    KeyCode::Down | KeyCode::Char('j') => view.scroll = (view.scroll + 1).min(last),
                    KeyCode::Up | KeyCode::Char('k') => view.scroll = view.scroll.saturating_sub(1),
                    KeyCode::PageDown => view.scroll = (view.scroll + page).min(last),
                    KeyCode::PageUp => view.scroll = view.scroll.saturating_sub(page),
                    _ => return false,
                }
            }
            _ => return false,
        }
        true
    }

    /// Ctrl-E in the edit prompt: the parameters, with `edits` applied, as a file for
    /// `$EDITOR`; what it holds when the editor ends is resent.
    fn hand_to_editor(&mut self, seq: u64, edits: &[Edit]) {
        let Some(ev) = self.store.get(seq) else {
            self.status = Some("that event has left the monitor (--max-events)".into());
            return;
        };
        let params = exchange::apply_edits(&exchange::request_pairs(ev), edits);
        let method = match ev.method() {
            "" => "POST",
            m => m,
        };
        let what = format!("{} ({method} {})", ev.id(), ev.url());
        self.status = Some(format!(
            "editing the parameters of {} in $EDITOR …",
            ev.id()
        ));
        self.effects.push(Effect::EditParams {
            seq,
            text: exchange::params_text(&what, &params),
        });
    }

    /// The edit prompt's text, when it is open.
    pub fn edit_input(&self) -> Option<&str> {
        match &self.mode {
            Mode::Edit { input, .. } => Some(input),
            _ => None,
        }
    }

    /// The diff, when it is open.
    pub fn diff_view(&self) -> Option<&DiffView> {
        match &self.mode {
            Mode::Diff(v) => Some(v),
            _ => None,
        }
    }
}
