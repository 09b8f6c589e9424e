//! The caller panel of `twimon call URL`: what the simulated caller hears, what the call waits
//! on, and the phone's keys. Pure: the call's transcript comes in through [`App::on_caller`],
//! and what the caller does leaves as [`Effect::Caller`] for the event loop to send.
//!
//! Focus: the panel takes the keys while it has focus, which it gets by itself when a
//! `<Gather>` or a `<Dial>` starts to wait (and with Tab, the `caller` action); Esc gives the
//! keys back to the table. Keys the panel does not use go on to the monitor's bindings.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{Action, App, Effect, prompt};
use crate::domain::call::script::DIAL_STATUSES;
use crate::domain::call::transcript::{Control, Entry, Waiting, is_keypad, times_text};

/// Lines of what was heard kept for the panel (the oldest leave).
pub const HEARD_KEPT: usize = 200;
/// A `<Dial>` answered `completed` lasts this long unless changed with ← →.
pub const DIAL_SECONDS: u32 = 30;
const DIAL_STEP: u32 = 5;
const DIAL_MAX: u32 = 4 * 3600;

/// The panel's own keys, as the footer (its word) and the help write them.
pub const KEYS: &[(&str, &str, &str)] = &[
    (
        "0-9*#",
        "keypad",
        "keypad, while a <Gather> listens for keys",
    ),
    (
        "s",
        "say",
        "say: type a line, Enter sends it as SpeechResult",
    ),
    (
        "cbnfx",
        "dial outcome",
        "a <Dial>'s outcome: completed busy no-answer failed canceled",
    ),
    (
        "←→",
        "duration",
        "a completed <Dial>'s duration, 5 s a step",
    ),
    ("h", "hang up", "hang up (while it rings: canceled)"),
    (
        "Esc",
        "table",
        "keys back to the table (Tab: to the panel again)",
    ),
];

/// Where the call is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Phase {
    /// The voice URL is requested; nothing answered yet.
    Ringing,
    /// A document of the call runs.
    Up,
    /// Over: how it ended, and after how many simulated seconds.
    Ended { description: String, seconds: u64 },
}

/// What a line of the panel is, for its style.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// `<Say>`, `<Play>`, a pause: what the caller hears.
    Heard,
    /// What the caller did, or the script for them.
    Caller,
    /// A verb twimon does not simulate, a note.
    Note,
    /// A failure or an unmet expectation.
    Problem,
    /// A status callback, the end.
    Call,
}

/// One line of the panel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heard {
    pub tone: Tone,
    /// What kind of line (`say`, `play`, `you`, `app`…), shown before it.
    pub tag: &'static str,
    pub text: String,
}

/// The panel's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub phase: Phase,
    pub call_sid: Option<String>,
    pub from: String,
    pub to: String,
    /// What was heard and done, oldest first.
    pub heard: VecDeque<Heard>,
    /// What the call waits on the panel for.
    pub waiting: Option<Waiting>,
    pub focus: bool,
    /// Esc gave the keys back during this wait: the next update of it does not take them.
    released: bool,
    /// The speech line being typed (`s`).
    pub speech: Option<prompt::Prompt>,
    /// The duration a `completed` dial outcome is sent with.
    pub dial_seconds: u32,
}

impl Default for Caller {
    fn default() -> Self {
        Caller {
            phase: Phase::Ringing,
            call_sid: None,
            from: String::new(),
            to: String::new(),
            heard: VecDeque::new(),
            waiting: None,
            focus: false,
            released: false,
            speech: None,
            dial_seconds: DIAL_SECONDS,
        }
    }
}

impl Caller {
    fn line(&mut self, tone: Tone, tag: &'static str, text: String) {
        if self.heard.len() >= HEARD_KEPT {
            self.heard.pop_front();
        }
        self.heard.push_back(Heard { tone, tag, text });
    }

    /// Takes one transcript entry of the call.
    pub fn take(&mut self, entry: Entry) {
        match entry {
            Entry::Request { kind, params, .. } => {
                if self.call_sid.is_none() && kind == "call.requested" {
                    let param = |name: &str| {
                        params
                            .get(name)
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    self.call_sid = Some(param("CallSid"));
                    self.from = param("From");
                    self.to = param("To");
                }
            }
            Entry::Response { status, .. } => {
                if self.phase == Phase::Ringing && status < 400 {
                    self.phase = Phase::Up;
                }
            }
            Entry::Say {
                text,
                voice,
                language,
                times,
            } => {
                let how: Vec<String> = [voice, language]
                    .into_iter()
                    .flatten()
                    .chain(times_text(times))
                    .collect();
                let text = if how.is_empty() {
                    format!("“{text}”")
                } else {
                    format!("“{text}” ({})", how.join(", "))
                };
                self.line(Tone::Heard, "say", text);
            }
            Entry::Play { url, digits, times } => {
                let what = match digits {
                    Some(d) => format!("tones {d}"),
                    None => url,
                };
                let text = match times_text(times) {
                    Some(t) => format!("{what} ({t})"),
                    None => what,
                };
                self.line(Tone::Heard, "play", text);
            }
            Entry::Pause { seconds } => {
                self.line(Tone::Heard, "pause", format!("{seconds} s of silence"));
            }
            Entry::Prompt { verb, detail } => {
                self.line(Tone::Note, "wait", format!("<{verb}> {detail}"));
            }
            Entry::Waiting(w) => {
                if self.waiting.is_none() {
                    self.released = false;
                    self.dial_seconds = DIAL_SECONDS;
                }
                if !self.released {
                    self.focus = true;
                }
                self.waiting = Some(w);
            }
            Entry::Reply { step, reply } => {
                self.waiting = None;
                self.speech = None;
                let text = match step {
                    Some(s) => format!("{reply} ({s})"),
                    None => reply,
                };
                self.line(Tone::Caller, "caller", text);
            }
            Entry::Unsupported { verb, ends } => {
                let text = if ends {
                    format!("<{verb}> is not simulated: the call ends here")
                } else {
                    format!("<{verb}> is not simulated: skipped")
                };
                self.line(Tone::Note, "twimon", text);
            }
            Entry::Note { text } => self.line(Tone::Note, "note", text),
            Entry::Failed { code, message } => {
                let text = match code {
                    Some(c) => format!("Twilio would log {c}: {message}"),
                    None => message,
                };
                self.line(Tone::Problem, "failed", text);
            }
            Entry::End {
                description,
                seconds,
                ..
            } => {
                self.waiting = None;
                self.speech = None;
                // Nothing is left to answer: the keys go back to the table.
                self.focus = false;
                self.released = true;
                self.line(Tone::Call, "end", description.clone());
                self.phase = Phase::Ended {
                    description,
                    seconds,
                };
            }
            Entry::StatusCallback {
                event,
                call_status,
                status,
                error,
                ..
            } => {
                let answer = status.map_or_else(|| "no answer".to_owned(), |s| s.to_string());
                let text = match error {
                    Some(e) => format!("{event}: CallStatus={call_status} → {answer} ({e})"),
                    None => format!("{event}: CallStatus={call_status} → {answer}"),
                };
                self.line(Tone::Call, "status", text);
            }
            Entry::Problem { step, message } => {
                self.line(Tone::Problem, "script", format!("{step}: {message}"));
            }
            // The table, the pane and the timeline show these.
            Entry::Finding { .. } | Entry::Path { .. } => {}
        }
    }

    /// Whether the call is over.
    pub fn ended(&self) -> bool {
        matches!(self.phase, Phase::Ended { .. })
    }

    /// The `<Gather>` waiting, when one is.
    pub fn gather(&self) -> Option<&Waiting> {
        self.waiting.as_ref().filter(|w| w.verb == "Gather")
    }

    /// The `<Dial>` waiting, when one is.
    pub fn dial(&self) -> Option<&Waiting> {
        self.waiting.as_ref().filter(|w| w.verb == "Dial")
    }
}

/// The dial outcome each key gives.
const DIAL_KEYS: [(char, &str); 5] = [
    ('c', "completed"),
    ('b', "busy"),
    ('n', "no-answer"),
    ('f', "failed"),
    ('x', "canceled"),
];

impl App {
    /// Takes one entry of the simulated call's transcript; the panel appears with the first.
    pub fn on_caller(&mut self, entry: Entry) {
        self.caller.get_or_insert_with(Caller::default).take(entry);
    }

    /// Whether the caller panel has the keys.
    pub fn caller_focused(&self) -> bool {
        self.caller.as_ref().is_some_and(|c| c.focus)
    }

    /// Tab: the keys to the panel, or back to the table.
    pub(super) fn toggle_caller(&mut self) {
        match &mut self.caller {
            Some(c) => {
                c.focus = !c.focus;
                c.released = !c.focus;
            }
            None => {
                self.status = Some("no simulated call here: `twimon call URL` starts one".into());
            }
        }
    }

    /// A key while the panel has focus: `None` when it is not one of the panel's (the
    /// monitor's bindings take it), else whether the screen changed.
    pub(super) fn caller_key(&mut self, key: KeyEvent) -> Option<bool> {
        let tab = self.lookup(key) == Some(Action::Caller);
        let caller = self.caller.as_mut().filter(|c| c.focus)?;
        if let Some(line) = &mut caller.speech {
            match key.code {
                KeyCode::Esc => caller.speech = None,
                KeyCode::Enter => {
                    let text = line.text().trim().to_owned();
                    caller.speech = None;
                    if text.is_empty() {
                        self.status = Some("nothing typed: no speech sent".into());
                    } else {
                        self.effects.push(Effect::Caller(Control::Speech(text)));
                    }
                }
                _ => return Some(line.edit(key, &[]) == prompt::Edit::Changed),
            }
            return Some(true);
        }
        if key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
        {
            return None;
        }
        let ended = caller.ended();
        let message: Option<String> = match key.code {
            KeyCode::Esc => {
                caller.focus = false;
                caller.released = true;
                None
            }
            _ if tab => {
                caller.focus = false;
                caller.released = true;
                None
            }
            _ if ended => match key.code {
                KeyCode::Char(c) if panel_char(c) => Some("the call has ended".into()),
                KeyCode::Left | KeyCode::Right => Some("the call has ended".into()),
                _ => return None,
            },
            KeyCode::Char('h') => {
                self.effects.push(Effect::Caller(Control::HangUp));
                Some("hanging up…".into())
            }
            KeyCode::Char(c) if is_keypad(c) => match (caller.gather(), caller.dial()) {
                (Some(g), _) if g.keys => {
                    self.effects.push(Effect::Caller(Control::Key(c)));
                    None
                }
                (Some(_), _) => Some("this <Gather> listens for speech only: s to say".into()),
                (None, Some(_)) => Some("the <Dial> waits for its outcome: c b n f x".into()),
                (None, None) => Some("nothing listens for keys now".into()),
            },
            KeyCode::Char('s') => match caller.gather() {
                Some(g) if g.speech => {
                    caller.speech = Some(prompt::Prompt::new(""));
                    None
                }
                Some(_) => Some("this <Gather> takes keys only (input=\"dtmf\")".into()),
                None => Some("nothing listens for speech now".into()),
            },
            KeyCode::Char(c) if DIAL_KEYS.iter().any(|(k, _)| *k == c) => {
                if caller.dial().is_some() {
                    let status = DIAL_KEYS
                        .iter()
                        .find(|(k, _)| *k == c)
                        .map_or(DIAL_STATUSES[0], |(_, s)| *s);
                    // Only a bridged call has a duration; the others never connected.
                    let duration = if status == "completed" {
                        caller.dial_seconds
                    } else {
                        0
                    };
                    self.effects.push(Effect::Caller(Control::Dial {
                        status: status.to_owned(),
                        duration,
                    }));
                    None
                } else {
                    Some("no <Dial> waits for an outcome now".into())
                }
            }
            KeyCode::Left | KeyCode::Right if caller.dial().is_some() => {
                caller.dial_seconds = if key.code == KeyCode::Left {
                    caller.dial_seconds.saturating_sub(DIAL_STEP)
                } else {
                    (caller.dial_seconds + DIAL_STEP).min(DIAL_MAX)
                };
                None
            }
            _ => return None,
        };
        self.status = message;
        Some(true)
    }
}

/// The characters the panel answers even when it cannot act on them (so they never fall
/// through to the monitor's bindings and surprise the caller).
fn panel_char(c: char) -> bool {
    is_keypad(c) || matches!(c, 's' | 'h') || DIAL_KEYS.iter().any(|(k, _)| *k == c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn press(app: &mut App, code: KeyCode) -> bool {
        app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    fn waiting(verb: &'static str, keys: bool, speech: bool) -> Entry {
        Entry::Waiting(Waiting {
            verb,
            detail: String::new(),
            keys,
            speech,
            num_digits: None,
            finish_on_key: Some('#'),
            left: Some(5),
            pressed: String::new(),
        })
    }

    fn reply() -> Entry {
        Entry::Reply {
            step: None,
            reply: "done".into(),
        }
    }

    #[test]
    fn a_waiting_gather_takes_the_keys_and_sends_them() {
        let mut app = App::new(10);
        app.on_caller(waiting("Gather", true, true));
        assert!(app.caller_focused());
        press(&mut app, KeyCode::Char('4'));
        press(&mut app, KeyCode::Char('#'));
        press(&mut app, KeyCode::Char('s'));
        for c in "sales".chars() {
            press(&mut app, KeyCode::Char(c));
        }
        press(&mut app, KeyCode::Enter);
        assert_eq!(
            app.take_effects(),
            [
                Effect::Caller(Control::Key('4')),
                Effect::Caller(Control::Key('#')),
                Effect::Caller(Control::Speech("sales".into())),
            ]
        );
        // The digit did not reach the table's type filter.
        assert_eq!(app.store.filter().kinds, 0);
    }

    #[test]
    fn esc_gives_the_keys_back_until_the_next_wait() {
        let mut app = App::new(10);
        app.on_caller(waiting("Gather", true, false));
        press(&mut app, KeyCode::Esc);
        assert!(!app.caller_focused());
        // The countdown's updates do not take the keys again…
        app.on_caller(waiting("Gather", true, false));
        assert!(!app.caller_focused());
        press(&mut app, KeyCode::Char('1'));
        assert!(app.take_effects().is_empty(), "1 is the table's again");
        // …the next prompt does; Tab does too.
        app.on_caller(reply());
        app.on_caller(waiting("Dial", false, false));
        assert!(app.caller_focused());
        press(&mut app, KeyCode::Tab);
        assert!(!app.caller_focused());
        press(&mut app, KeyCode::Tab);
        assert!(app.caller_focused());
    }

    #[test]
    fn dial_outcomes_and_durations() {
        let mut app = App::new(10);
        app.on_caller(waiting("Dial", false, false));
        press(&mut app, KeyCode::Left);
        press(&mut app, KeyCode::Char('c'));
        press(&mut app, KeyCode::Char('b'));
        assert_eq!(
            app.take_effects(),
            [
                Effect::Caller(Control::Dial {
                    status: "completed".into(),
                    duration: DIAL_SECONDS - DIAL_STEP,
                }),
                Effect::Caller(Control::Dial {
                    status: "busy".into(),
                    duration: 0,
                }),
            ]
        );
        // Keys the <Dial> cannot take say so, and send nothing.
        press(&mut app, KeyCode::Char('1'));
        assert!(app.take_effects().is_empty());
        assert!(
            app.status
                .as_deref()
                .unwrap_or_default()
                .contains("outcome")
        );
    }

    #[test]
    fn hang_up_and_what_cannot_be_sent() {
        let mut app = App::new(10);
        app.on_caller(waiting("Gather", false, true));
        press(&mut app, KeyCode::Char('7'));
        assert!(
            app.status
                .as_deref()
                .unwrap_or_default()
                .contains("speech only")
        );
        press(&mut app, KeyCode::Char('h'));
        assert_eq!(app.take_effects(), [Effect::Caller(Control::HangUp)]);
        app.on_caller(Entry::End {
            ending: "caller-hangup",
            description: "the caller hung up".into(),
            seconds: 3,
        });
        press(&mut app, KeyCode::Tab);
        assert!(app.caller_focused());
        press(&mut app, KeyCode::Char('h'));
        assert!(app.take_effects().is_empty());
        assert_eq!(app.status.as_deref(), Some("the call has ended"));
        // Without a call, Tab says how to get one.
        let mut plain = App::new(10);
        press(&mut plain, KeyCode::Tab);
        assert!(
            plain
                .status
                .as_deref()
                .unwrap_or_default()
                .contains("twimon call")
        );
    }

    #[test]
    fn what_was_heard_is_bounded() {
        let mut c = Caller::default();
        for i in 0..HEARD_KEPT + 5 {
            c.take(Entry::Pause {
                seconds: u32::try_from(i).unwrap(),
            });
        }
        assert_eq!(c.heard.len(), HEARD_KEPT);
        assert_eq!(
            c.heard.front().map(|h| h.text.as_str()),
            Some("5 s of silence")
        );
    }
}
