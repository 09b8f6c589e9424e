//! The transcript of a simulated call, and what the caller panel sends back: what the caller
//! heard, what Twilio requested and got, how the call ended ([`Entry`]); the caller's keys,
//! speech, dial outcomes and hang-up ([`Control`]). Pure data, shared by the driver
//! (`source`), the headless printer and the monitor's caller panel.

use serde::Serialize;
use serde_json::{Map, Value};

/// One line of the transcript: what the caller heard, what Twilio requested, what came back.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "entry", rename_all = "snake_case")]
pub enum Entry {
    Request {
        kind: &'static str,
        verb: &'static str,
        method: &'static str,
        url: String,
        params: Map<String, Value>,
    },
    Response {
        status: u16,
        content_type: Option<String>,
        ms: u64,
        verbs: String,
    },
    Say {
        text: String,
        voice: Option<String>,
        language: Option<String>,
        times: u32,
    },
    Play {
        url: String,
        digits: Option<String>,
        times: u32,
    },
    Pause {
        seconds: u32,
    },
    /// The call waits on a verb; `detail` says for what.
    Prompt {
        verb: &'static str,
        detail: String,
    },
    /// The call waits on the caller panel (an interactive call, the script having no answer):
    /// sent when the wait starts and whenever what it shows changes (a key, a second gone).
    Waiting(Waiting),
    /// The answer given to the prompt, and the step that gave it.
    Reply {
        step: Option<String>,
        reply: String,
    },
    Unsupported {
        verb: String,
        ends: bool,
    },
    Note {
        text: String,
    },
    Finding {
        severity: &'static str,
        code: &'static str,
        message: String,
        path: String,
    },
    Failed {
        code: Option<u16>,
        message: String,
    },
    End {
        ending: &'static str,
        description: String,
        seconds: u64,
    },
    /// A status callback posted: for which call-progress event (`initiated`, `ringing`,
    /// `answered`, `completed`), with which `CallStatus`, and how the app answered.
    StatusCallback {
        event: &'static str,
        call_status: String,
        url: String,
        status: Option<u16>,
        error: Option<String>,
    },
    /// The IVR path of the call's events, as the call view shows it.
    Path {
        line: String,
    },
    /// What made the run fail, naming the step.
    Problem {
        step: String,
        message: String,
    },
}

/// What the call waits for from the caller panel.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Waiting {
    /// `Gather` or `Dial`.
    pub verb: &'static str,
    /// What a `<Gather>` listens for (`keys or speech, 1 digits, ends on #`), or whom a
    /// `<Dial>` calls.
    pub detail: String,
    /// A `<Gather>` takes keys / speech.
    pub keys: bool,
    pub speech: bool,
    pub num_digits: Option<usize>,
    pub finish_on_key: Option<char>,
    /// Seconds before the `<Gather>` times out (each key starts them again); `None` for a
    /// `<Dial>`, which waits for its outcome.
    pub left: Option<u32>,
    /// Keys pressed so far in this `<Gather>`.
    pub pressed: String,
}

/// What the caller panel sends to a running call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Control {
    /// A keypad key: `0`-`9`, `*`, `#`.
    Key(char),
    /// A typed speech line, sent as `SpeechResult`.
    Speech(String),
    /// How the `<Dial>` waiting ends (a `DialCallStatus`), after how many seconds.
    Dial { status: String, duration: u32 },
    /// The caller hangs up (while it rings, the call is `canceled`).
    HangUp,
}

/// Whether `c` is a key of the phone's keypad.
pub fn is_keypad(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, '*' | '#')
}

/// How often a `<Say>` or `<Play>` plays, in words; `None` for once (its `loop` of 1).
pub fn times_text(times: u32) -> Option<String> {
    match times {
        1 => None,
        0 => Some("repeated until the call ends".to_owned()),
        n => Some(format!("{n} times")),
    }
}
