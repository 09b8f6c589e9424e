//! A call script: what the simulated caller does at each prompt, and what must have happened
//! by then. Read from TOML (`twimon call URL --script call.toml`) or built from `--press` /
//! `--say`.
//!
//! ```toml
//! [[step]]
//! name = "menu"                       # optional; steps are numbered from 1 anyway
//! expect_heard = "press 1 for sales"  # heard since the previous step (case-insensitive)
//! expect_verb = "Gather"              # a verb the call reached since the previous step
//! press = "1"                         # the answer to the prompt the call waits on
//!
//! [[step]]
//! expect_url = "/sales"               # a URL the call requested since the previous step
//! dial = "busy"                       # how the <Dial> there ends
//!
//! [end]
//! expect_heard_regex = "(?i)good ?bye"
//! expect_end = "hangup"               # hangup, rejected, leave, end, caller-hangup, failed…
//! ```
//!
//! A step answers the next prompt: `press`, `say`, `silence` a `<Gather>`; `dial` (with
//! `dial_duration`) a `<Dial>`; `record` (seconds, with `record_key`) a `<Record>`; `queue`
//! (with `queue_time`) an `<Enqueue>`; `hangup` any of them. A `<Dial>`, `<Record>` or
//! `<Enqueue>` whose step does not say how it goes gets the default outcome (dial
//! `completed` after 30 s, a 5 s recording ended by `#`, queue `bridged` after 30 s) and leaves
//! the step for the next prompt. A step without an answer only checks. When the steps run
//! out, the caller hangs up at the next prompt.

use regex::Regex;
use serde::Deserialize;

use super::sim::{Ending, Input, Prompt, Reply};

/// Dial outcomes Twilio reports in `DialCallStatus`.
pub const DIAL_STATUSES: [&str; 6] = [
    "completed",
    "answered",
    "busy",
    "no-answer",
    "failed",
    "canceled",
];
/// Queue results Twilio reports in `QueueResult`.
pub const QUEUE_RESULTS: [&str; 9] = [
    "bridged",
    "bridging-in-process",
    "error",
    "hangup",
    "leave",
    "redirected",
    "redirected-from-bridged",
    "queue-full",
    "system-error",
];
/// The words `expect_end` takes (see [`Ending::word`]).
pub const ENDINGS: [&str; 8] = [
    "hangup",
    "rejected",
    "leave",
    "end",
    "caller-hangup",
    "canceled",
    "unsupported",
    "failed",
];

const DEFAULT_DIAL: (&str, u32) = ("completed", 30);
const DEFAULT_RECORD: (u32, &str) = (5, "#");
const DEFAULT_QUEUE: (&str, u32) = ("bridged", 30);

/// What must have happened in a stretch of the call.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Text heard, as a case-insensitive substring.
    #[serde(default)]
    pub expect_heard: Option<String>,
    /// Text heard, as a regular expression.
    #[serde(default)]
    pub expect_heard_regex: Option<String>,
    /// A verb reached (`Gather`, `Dial`…).
    #[serde(default)]
    pub expect_verb: Option<String>,
    /// A URL requested: its path (and query), or the whole URL.
    #[serde(default)]
    pub expect_url: Option<String>,
}

/// One step of a script, as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(flatten)]
    pub expect: Expect,
    #[serde(default)]
    pub press: Option<String>,
    #[serde(default)]
    pub say: Option<String>,
    #[serde(default)]
    pub silence: bool,
    #[serde(default)]
    pub hangup: bool,
    #[serde(default)]
    pub dial: Option<String>,
    #[serde(default)]
    pub dial_duration: Option<u32>,
    #[serde(default)]
    pub record: Option<u32>,
    #[serde(default)]
    pub record_key: Option<String>,
    #[serde(default)]
    pub queue: Option<String>,
    #[serde(default)]
    pub queue_time: Option<u32>,
}

/// What must be true when the call has ended.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct End {
    #[serde(flatten)]
    pub expect: Expect,
    /// How the call ends (an [`ENDINGS`] word).
    #[serde(default)]
    pub expect_end: Option<String>,
}

/// A whole script.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    #[serde(default)]
    pub step: Vec<Step>,
    #[serde(default)]
    pub end: End,
}

impl Script {
    /// Parses and checks a TOML script: unknown keys, two answers in one step, an unknown dial
    /// status or ending, a bad regex are errors that name the step.
    pub fn from_toml(text: &str) -> Result<Script, String> {
        let script: Script = toml::from_str(text).map_err(|e| e.to_string())?;
        for (i, step) in script.step.iter().enumerate() {
            step.validate()
                .map_err(|e| format!("{}: {e}", step_name(i, step)))?;
        }
        script
            .end
            .expect
            .validate()
            .map_err(|e| format!("end: {e}"))?;
        if let Some(e) = &script.end.expect_end
            && !ENDINGS.contains(&e.as_str())
        {
            return Err(format!(
                "end: expect_end {e:?} is none of {}",
                ENDINGS.join(", ")
            ));
        }
        Ok(script)
    }

    /// `--press 1,2 --say billing`: a step a key sequence, then a step a phrase.
    pub fn from_inputs(presses: &[String], says: &[String]) -> Script {
        let steps = presses
            .iter()
            .map(|p| Step {
                press: Some(p.clone()),
                ..Step::default()
            })
            .chain(says.iter().map(|s| Step {
                say: Some(s.clone()),
                ..Step::default()
            }))
            .collect();
        Script {
            step: steps,
            end: End::default(),
        }
    }
}

impl Expect {
    fn validate(&self) -> Result<(), String> {
        if let Some(re) = &self.expect_heard_regex {
            Regex::new(re).map_err(|e| format!("expect_heard_regex: {e}"))?;
        }
        Ok(())
    }

    /// The first expectation `seen` does not meet, said in words.
    pub fn unmet(&self, seen: &Segment) -> Option<String> {
        let heard = seen.heard.join("\n");
        if let Some(want) = &self.expect_heard
            && !heard.to_lowercase().contains(&want.to_lowercase())
        {
            return Some(format!(
                "expected to hear {want:?}, heard {}",
                quoted_or_nothing(&seen.heard)
            ));
        }
        if let Some(re) = &self.expect_heard_regex {
            let matched = Regex::new(re).is_ok_and(|r| r.is_match(&heard));
            if !matched {
                return Some(format!(
                    "expected to hear /{re}/, heard {}",
                    quoted_or_nothing(&seen.heard)
                ));
            }
        }
        if let Some(verb) = &self.expect_verb
            && !seen.verbs.iter().any(|v| v.eq_ignore_ascii_case(verb))
        {
            return Some(format!(
                "expected <{verb}>, the call reached {}",
                list_or_nothing(&seen.verbs)
            ));
        }
        if let Some(url) = &self.expect_url
            && !seen.urls.iter().any(|u| url_is(u, url))
        {
            return Some(format!(
                "expected a request to {url}, the call requested {}",
                list_or_nothing(&seen.urls)
            ));
        }
        None
    }
}

fn quoted_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn list_or_nothing(items: &[String]) -> String {
    if items.is_empty() {
        "nothing".to_owned()
    } else {
        items.join(", ")
    }
}

/// Whether the requested `actual` URL is `want`: the same URL, or the same path and query.
fn url_is(actual: &str, want: &str) -> bool {
    actual == want || super::path::resolve(actual, "") == super::path::resolve(want, "")
}

impl Step {
    fn answers(&self) -> usize {
        [
            self.press.is_some(),
            self.say.is_some(),
            self.silence,
            self.hangup,
            self.dial.is_some(),
            self.record.is_some(),
            self.queue.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count()
    }

    fn validate(&self) -> Result<(), String> {
        if self.answers() > 1 {
            return Err(
                "gives more than one of press, say, silence, hangup, dial, record, queue"
                    .to_owned(),
            );
        }
        if let Some(d) = &self.dial
            && !DIAL_STATUSES.contains(&d.as_str())
        {
            return Err(format!(
                "dial {d:?} is none of {}",
                DIAL_STATUSES.join(", ")
            ));
        }
        if let Some(q) = &self.queue
            && !QUEUE_RESULTS.contains(&q.as_str())
        {
            return Err(format!(
                "queue {q:?} is none of {}",
                QUEUE_RESULTS.join(", ")
            ));
        }
        if let Some(p) = &self.press
            && let Some(bad) = p
                .chars()
                .find(|c| !(c.is_ascii_digit() || matches!(c, '*' | '#')))
        {
            return Err(format!("press {p:?}: {bad:?} is not a key (0-9, *, #)"));
        }
        self.expect.validate()
    }

    /// The reply this step gives to `prompt`: `Ok(None)` when it gives none (it only checks),
    /// `Err` when it answers a different prompt.
    fn reply_to(&self, prompt: &Prompt) -> Result<Option<Reply>, String> {
        if self.hangup {
            return Ok(Some(Reply::HangUp));
        }
        let gather_input = if let Some(p) = &self.press {
            Some(Input::Keys(p.clone()))
        } else if let Some(s) = &self.say {
            Some(Input::Speech(s.clone()))
        } else if self.silence {
            Some(Input::Silence)
        } else {
            None
        };
        let wrong = |gives: &str| {
            Err(format!(
                "the call waits on <{}>, the step gives {gives}",
                prompt.verb()
            ))
        };
        match prompt {
            Prompt::Gather(_) => {
                if let Some(input) = gather_input {
                    return Ok(Some(Reply::Input(input)));
                }
                if self.dial.is_some() {
                    return wrong("a dial outcome");
                }
                if self.record.is_some() {
                    return wrong("a recording");
                }
                if self.queue.is_some() {
                    return wrong("a queue result");
                }
                Ok(None)
            }
            _ if gather_input.is_some() => wrong("caller input"),
            Prompt::Dial { .. } => Ok(self.dial.as_ref().map(|s| Reply::Dial {
                status: s.clone(),
                duration: self.dial_duration.unwrap_or(DEFAULT_DIAL.1),
            })),
            Prompt::Record { .. } => Ok(self.record.map(|duration| Reply::Record {
                duration,
                key: self
                    .record_key
                    .clone()
                    .unwrap_or_else(|| DEFAULT_RECORD.1.to_owned()),
            })),
            Prompt::Enqueue { .. } => Ok(self.queue.as_ref().map(|q| Reply::Queue {
                result: q.clone(),
                wait: self.queue_time.unwrap_or(DEFAULT_QUEUE.1),
            })),
        }
    }
}

fn step_name(i: usize, step: &Step) -> String {
    match &step.name {
        Some(n) => format!("step {} ({n})", i + 1),
        None => format!("step {}", i + 1),
    }
}

/// What happened in a stretch of the call (since the previous step).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    pub heard: Vec<String>,
    pub verbs: Vec<String>,
    pub urls: Vec<String>,
}

impl Segment {
    fn clear(&mut self) {
        self.heard.clear();
        self.verbs.clear();
        self.urls.clear();
    }
}

/// An expectation that was not met, or a step that could not be played.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unmet {
    /// `step 2 (menu)` or `end`.
    pub step: String,
    pub message: String,
}

impl std::fmt::Display for Unmet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.step, self.message)
    }
}

/// Plays a script against a call: records what happens, answers prompts, checks.
#[derive(Debug, Clone)]
pub struct Player {
    script: Script,
    next: usize,
    seen: Segment,
}

/// How the player answers a prompt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Move {
    pub reply: Reply,
    /// The step that gave it; `None` for a default outcome or the hang-up after the last step.
    pub step: Option<String>,
}

impl Player {
    pub fn new(script: Script) -> Player {
        Player {
            script,
            next: 0,
            seen: Segment::default(),
        }
    }

    /// The name of the step that will answer next, for messages.
    pub fn current_step(&self) -> String {
        match self.script.step.get(self.next) {
            Some(s) => step_name(self.next, s),
            None => "end".to_owned(),
        }
    }

    pub fn heard(&mut self, text: &str) {
        if !text.trim().is_empty() {
            self.seen.heard.push(text.trim().to_owned());
        }
    }

    pub fn reached(&mut self, verb: &str) {
        self.seen.verbs.push(verb.to_owned());
    }

    pub fn requested(&mut self, url: &str) {
        self.seen.urls.push(url.to_owned());
    }

    /// The answer to `prompt`: checks the steps up to the one that answers.
    pub fn answer(&mut self, prompt: &Prompt) -> Result<Move, Unmet> {
        while let Some(step) = self.script.step.get(self.next) {
            let name = step_name(self.next, step);
            let fail = |message| Unmet {
                step: name.clone(),
                message,
            };
            let reply = match step.reply_to(prompt) {
                Ok(r) => r,
                // What was (not) heard before the wrong prompt says more than the prompt.
                Err(wrong) => return Err(fail(step.expect.unmet(&self.seen).unwrap_or(wrong))),
            };
            let defaulted = reply.is_none() && !matches!(prompt, Prompt::Gather(_));
            if defaulted {
                // The step is for a later prompt: this one gets the default outcome.
                return Ok(Move {
                    reply: default_reply(prompt),
                    step: None,
                });
            }
            if let Some(message) = step.expect.unmet(&self.seen) {
                return Err(fail(message));
            }
            self.next += 1;
            self.seen.clear();
            if let Some(reply) = reply {
                return Ok(Move {
                    reply,
                    step: Some(name),
                });
            }
        }
        Ok(Move {
            reply: match prompt {
                Prompt::Gather(_) => Reply::HangUp,
                other => default_reply(other),
            },
            step: None,
        })
    }

    /// Checks what is left when the call has ended: steps never reached, then `[end]`.
    pub fn finish(&mut self, ending: &Ending) -> Result<(), Unmet> {
        while let Some(step) = self.script.step.get(self.next) {
            let name = step_name(self.next, step);
            if let Some(message) = step.expect.unmet(&self.seen) {
                return Err(Unmet {
                    step: name,
                    message,
                });
            }
            if step.answers() > 0 {
                return Err(Unmet {
                    step: name,
                    message: format!(
                        "the call ended ({}) before it waited for this step's answer",
                        ending.describe()
                    ),
                });
            }
            self.next += 1;
            self.seen.clear();
        }
        let end = &self.script.end;
        if let Some(message) = end.expect.unmet(&self.seen) {
            return Err(Unmet {
                step: "end".to_owned(),
                message,
            });
        }
        if let Some(want) = &end.expect_end
            && want != ending.word()
        {
            return Err(Unmet {
                step: "end".to_owned(),
                message: format!(
                    "expected the call to end {want:?}, it ended {:?}: {}",
                    ending.word(),
                    ending.describe()
                ),
            });
        }
        Ok(())
    }

    /// Whether the script expects the call to fail (so a failed request is no error).
    pub fn expects_failure(&self) -> bool {
        self.script.end.expect_end.as_deref() == Some("failed")
    }
}

fn default_reply(prompt: &Prompt) -> Reply {
    match prompt {
        Prompt::Gather(_) => Reply::Input(Input::Silence),
        Prompt::Dial { .. } => Reply::Dial {
            status: DEFAULT_DIAL.0.to_owned(),
            duration: DEFAULT_DIAL.1,
        },
        Prompt::Record { .. } => Reply::Record {
            duration: DEFAULT_RECORD.0,
            key: DEFAULT_RECORD.1.to_owned(),
        },
        Prompt::Enqueue { .. } => Reply::Queue {
            result: DEFAULT_QUEUE.0.to_owned(),
            wait: DEFAULT_QUEUE.1,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::call::sim::{Action, Answer, Setup, Sim};

    fn gather() -> Prompt {
        let mut sim = Sim::new(Setup::new("http://h/v", 1));
        sim.step();
        sim.answer(Answer::Response {
            status: 200,
            content_type: Some("text/xml".into()),
            body: "<Response><Gather/></Response>".into(),
        });
        match sim.step() {
            Action::Await(p) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_and_names_bad_steps() {
        let s = Script::from_toml(
            "[[step]]\npress = \"1\"\n[[step]]\nname = \"sales\"\ndial = \"busy\"\n[end]\nexpect_end = \"hangup\"\n",
        )
        .unwrap();
        assert_eq!(s.step.len(), 2);
        let e =
            Script::from_toml("[[step]]\n[[step]]\nname = \"x\"\ndial = \"maybe\"\n").unwrap_err();
        assert!(e.starts_with("step 2 (x): dial \"maybe\""), "{e}");
        let e = Script::from_toml("[[step]]\npress = \"1\"\nsay = \"a\"\n").unwrap_err();
        assert!(e.starts_with("step 1:"), "{e}");
        assert!(Script::from_toml("[[step]]\nprss = \"1\"\n").is_err());
        assert!(Script::from_toml("[end]\nexpect_end = \"exploded\"\n").is_err());
        assert!(Script::from_toml("[[step]]\nexpect_heard_regex = \"(\"\n").is_err());
    }

    #[test]
    fn expectations_are_checked_per_segment() {
        let s = Script::from_toml(
            "[[step]]\nname = \"menu\"\nexpect_heard = \"press 1\"\npress = \"1\"\n[[step]]\nexpect_heard = \"sales\"\npress = \"2\"\n",
        )
        .unwrap();
        let mut p = Player::new(s);
        p.heard("Hello. Press 1 for sales.");
        let m = p.answer(&gather()).unwrap();
        assert_eq!(m.reply, Reply::Input(Input::Keys("1".into())));
        assert_eq!(m.step.as_deref(), Some("step 1 (menu)"));
        p.heard("Support.");
        let e = p.answer(&gather()).unwrap_err();
        assert_eq!(e.step, "step 2");
        assert!(e.message.contains("expected to hear \"sales\""), "{e}");
    }

    #[test]
    fn defaults_and_running_out() {
        let s = Script::from_toml("[[step]]\npress = \"1\"\n").unwrap();
        let mut p = Player::new(s);
        let dial = Prompt::Dial {
            target: "+1".into(),
        };
        assert!(matches!(p.answer(&dial), Err(e) if e.message.contains("waits on <Dial>")));
        let mut p = Player::new(Script::default());
        assert!(
            matches!(p.answer(&dial).unwrap().reply, Reply::Dial { status, .. } if status == "completed")
        );
        assert_eq!(p.answer(&gather()).unwrap().reply, Reply::HangUp);
    }

    #[test]
    fn finish_checks_unreached_steps_and_the_end() {
        let s = Script::from_toml("[[step]]\nname = \"late\"\npress = \"9\"\n").unwrap();
        let e = Player::new(s).finish(&Ending::Hangup).unwrap_err();
        assert_eq!(e.step, "step 1 (late)");
        let s = Script::from_toml("[end]\nexpect_end = \"rejected\"\n").unwrap();
        let e = Player::new(s).finish(&Ending::Hangup).unwrap_err();
        assert_eq!(e.step, "end");
        let s =
            Script::from_toml("[end]\nexpect_verb = \"Hangup\"\nexpect_url = \"/bye\"\n").unwrap();
        let mut p = Player::new(s);
        p.reached("Hangup");
        p.requested("http://127.0.0.1:1/bye");
        assert_eq!(p.finish(&Ending::Hangup), Ok(()));
    }
}
