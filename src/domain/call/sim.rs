//! A simulated call: Twilio's side of a voice call as pure rules. The interpreter holds the
//! call's state and the `TwiML` document being run; the driver (a source, with HTTP and a
//! clock) asks it for the [`Sim::step`] [`Action`] and feeds back what the app answered
//! ([`Sim::answer`]) or what the caller and the world did ([`Sim::reply`]).
//!
//! What it follows is Twilio's documented behaviour (see the `TwiML` verb pages and
//! "Your Response"): verbs run top to bottom; `<Gather>` nests `<Say>`/`<Play>`/`<Pause>` and
//! posts to `action` (default: the current document's URL), or falls through to the next verb
//! without input; `<Redirect>`, `<Dial action>`, `<Record>` and `<Enqueue action>` make the
//! next request; `<Hangup>`, `<Reject>`, `<Leave>` and the end of the document end the call.
//! `text/xml`, `application/xml` and `text/html` answers are `TwiML`, an audio answer is
//! played and a `text/plain` one read out, then the call hangs up; any other answer fails the
//! call with the error code Twilio's debugger would log.
//!
//! Nothing here knows HTTP or time: simulated seconds (pauses, waits, dial durations) are
//! counted, never slept, and SIDs come from a seed, so a run is reproducible.

use std::fmt::Write as _;

use crate::domain::EventKind;
use crate::domain::twiml::{self, Decoded, Node};

/// The API version Twilio's voice webhooks carry.
pub const API_VERSION: &str = "2010-04-01";
/// Documents fetched in a row without any caller input before a call is called a loop.
pub const DEFAULT_MAX_REDIRECTS: usize = 50;
/// Requests one simulated call may make at most, whatever the caller does.
pub const DEFAULT_MAX_REQUESTS: usize = 500;
/// Twilio's `<Gather>` `timeout` default, in seconds.
const GATHER_TIMEOUT: u32 = 5;
/// What a simulated speech recogniser is sure of.
const SPEECH_CONFIDENCE: &str = "0.9";

/// An HTTP method Twilio uses for a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    /// A verb's `method` attribute: `GET` (any case) or else Twilio's default, `POST`.
    pub fn from_attr(attr: Option<&str>) -> Method {
        if attr.is_some_and(|m| m.trim().eq_ignore_ascii_case("GET")) {
            Method::Get
        } else {
            Method::Post
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// Who calls whom, and the interpreter's bounds.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The voice URL the call starts on (absolute).
    pub url: String,
    pub method: Method,
    pub from: String,
    pub to: String,
    /// `inbound`, `outbound-api`, `outbound-dial`.
    pub direction: String,
    /// Seeds the SIDs of the call, its recordings and its dialled legs.
    pub seed: u64,
    pub max_redirects: usize,
    pub max_requests: usize,
}

impl Setup {
    /// A call to `url` with the defaults of `twimon call`.
    pub fn new(url: impl Into<String>, seed: u64) -> Setup {
        Setup {
            url: url.into(),
            method: Method::Post,
            from: "+15005550006".to_owned(),
            to: "+15005550001".to_owned(),
            direction: "inbound".to_owned(),
            seed,
            max_redirects: DEFAULT_MAX_REDIRECTS,
            max_requests: DEFAULT_MAX_REQUESTS,
        }
    }
}

/// A request Twilio makes to the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// The Event Streams event that reports this request.
    pub kind: EventKind,
    /// The verb that made it (`Gather`, `Redirect`…); empty for the call's first request.
    pub verb: &'static str,
    pub method: Method,
    /// The absolute URL, without the parameters `GET` adds.
    pub url: String,
    /// The form parameters, in the order Twilio's documentation lists them.
    pub params: Vec<(String, String)>,
}

impl Request {
    /// The URL requested: with `GET`, Twilio appends the parameters to the query.
    pub fn target(&self) -> String {
        if self.method == Method::Post || self.params.is_empty() {
            return self.url.clone();
        }
        let sep = if self.url.contains('?') { '&' } else { '?' };
        format!("{}{sep}{}", self.url, form_encode(&self.params))
    }

    /// The body: the form-encoded parameters for `POST`, nothing for `GET`.
    pub fn body(&self) -> String {
        match self.method {
            Method::Post => form_encode(&self.params),
            Method::Get => String::new(),
        }
    }

    /// The pairs the signature covers: the body's for `POST`; for `GET` they are in the URL.
    pub fn signed_params(&self) -> &[(String, String)] {
        match self.method {
            Method::Post => &self.params,
            Method::Get => &[],
        }
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// `application/x-www-form-urlencoded`: unreserved bytes stay, space is `+`, the rest `%XX`.
pub fn form_encode(params: &[(String, String)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in params.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_into(&mut out, k);
        out.push('=');
        encode_into(&mut out, v);
    }
    out
}

fn encode_into(out: &mut String, s: &str) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
}

/// What the app answered a request with, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    Response {
        status: u16,
        content_type: Option<String>,
        body: String,
    },
    /// No complete answer within Twilio's time-out.
    TimedOut,
    /// No connection (refused, DNS, TLS): `reason` says which.
    Unreachable(String),
    /// The body went past [`MAX_BODY_BYTES`]; the driver stopped reading.
    TooLarge,
}

/// The largest `TwiML` answer Twilio takes (its error 11750 past it).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The call-progress events a status callback can be asked for (`StatusCallbackEvent`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Progress {
    /// Twilio starts the call.
    Initiated,
    /// The call rings: Twilio requests the voice URL.
    Ringing,
    /// The call is answered: its first document runs.
    Answered,
    /// The call has ended, whichever way.
    Completed,
}

impl Progress {
    pub const ALL: [Progress; 4] = [
        Progress::Initiated,
        Progress::Ringing,
        Progress::Answered,
        Progress::Completed,
    ];

    /// Twilio's name of the event.
    pub fn name(self) -> &'static str {
        match self {
            Progress::Initiated => "initiated",
            Progress::Ringing => "ringing",
            Progress::Answered => "answered",
            Progress::Completed => "completed",
        }
    }

    /// A `StatusCallbackEvent` list as Twilio takes it: names separated by spaces or commas
    /// (`initiated ringing answered completed`), in any case and order; each kept once, in
    /// the order the call reaches them.
    pub fn parse_list(text: &str) -> Result<Vec<Progress>, String> {
        let mut out = Vec::new();
        for word in text.split([',', ' ']).filter(|w| !w.trim().is_empty()) {
            let word = word.trim();
            let Some(p) = Progress::ALL
                .into_iter()
                .find(|p| p.name().eq_ignore_ascii_case(word))
            else {
                return Err(format!(
                    "{word:?} is not a call-progress event (initiated, ringing, answered, \
                     completed)"
                ));
            };
            out.push(p);
        }
        if out.is_empty() {
            return Err(
                "no call-progress event named (initiated, ringing, answered, completed)".to_owned(),
            );
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// What a `<Gather>` listens for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listen {
    pub dtmf: bool,
    pub speech: bool,
    pub num_digits: Option<usize>,
    /// `None` when `finishOnKey=""`.
    pub finish_on_key: Option<char>,
    pub timeout: u32,
    action: String,
    method: Method,
    on_empty: bool,
}

/// Something the call waits for: the caller (a `<Gather>`) or the world (a dialled party, a
/// recording, a queue). Answered with [`Sim::reply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prompt {
    Gather(Listen),
    Dial {
        target: String,
    },
    Record {
        max_length: u32,
        finish_on_key: String,
    },
    Enqueue {
        queue: String,
    },
}

impl Prompt {
    /// The verb waiting.
    pub fn verb(&self) -> &'static str {
        match self {
            Prompt::Gather(_) => "Gather",
            Prompt::Dial { .. } => "Dial",
            Prompt::Record { .. } => "Record",
            Prompt::Enqueue { .. } => "Enqueue",
        }
    }
}

/// What the caller did at a `<Gather>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Keys pressed, in order (`0`–`9`, `*`, `#`).
    Keys(String),
    /// What the caller said, as the recogniser heard it.
    Speech(String),
    /// Nothing until the time-out.
    Silence,
}

/// The answer to a [`Prompt`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Input(Input),
    /// How a `<Dial>` went: `completed`, `answered`, `busy`, `no-answer`, `failed`, `canceled`.
    Dial {
        status: String,
        duration: u32,
    },
    /// A recording of `duration` seconds ended by `key` (a key, or `hangup`).
    Record {
        duration: u32,
        key: String,
    },
    /// How the wait in a queue ended (`bridged`, `hangup`, `leave`, `redirected`…).
    Queue {
        result: String,
        wait: u32,
    },
    /// The caller hangs up.
    HangUp,
}

/// Why the call failed, with the error Twilio's debugger would log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Twilio's error code (11200, 11205, 12100, 12300); `None` for twimon's own bounds.
    pub code: Option<u16>,
    pub message: String,
}

/// How a call ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ending {
    /// `<Hangup>`.
    Hangup,
    /// `<Reject reason=…>`.
    Rejected(String),
    /// `<Leave>` outside a queue.
    Left,
    /// No verb left in the document.
    EndOfDocument,
    /// The caller hung up (or the script ran out of input).
    CallerHungUp,
    /// The caller hung up before the call was answered (before its first document ran).
    Canceled,
    /// A verb twimon cannot play took the call over.
    Unsupported(String),
    Failed(Failure),
}

impl Ending {
    /// The word scripts name an ending with.
    pub fn word(&self) -> &'static str {
        match self {
            Ending::Hangup => "hangup",
            Ending::Rejected(_) => "rejected",
            Ending::Left => "leave",
            Ending::EndOfDocument => "end",
            Ending::CallerHungUp => "caller-hangup",
            Ending::Canceled => "canceled",
            Ending::Unsupported(_) => "unsupported",
            Ending::Failed(_) => "failed",
        }
    }

    /// The final `CallStatus` of the status callback. A rejected call was never answered:
    /// Twilio ends it `busy` or `no-answer`, by `reason`.
    pub fn call_status(&self) -> &'static str {
        match self {
            Ending::Rejected(reason) if reason == "busy" => "busy",
            Ending::Rejected(_) => "no-answer",
            Ending::Canceled => "canceled",
            _ => "completed",
        }
    }

    /// One line for the transcript.
    pub fn describe(&self) -> String {
        match self {
            Ending::Hangup => "hung up (<Hangup>)".to_owned(),
            Ending::Rejected(r) => format!("rejected ({r})"),
            Ending::Left => "left (<Leave>)".to_owned(),
            Ending::EndOfDocument => "end of the document".to_owned(),
            Ending::CallerHungUp => "the caller hung up".to_owned(),
            Ending::Canceled => "the caller hung up while it rang (canceled)".to_owned(),
            Ending::Unsupported(v) => format!("<{v}> took the call over (not simulated)"),
            Ending::Failed(f) => match f.code {
                Some(c) => format!("failed: Twilio would log {c}: {}", f.message),
                None => format!("stopped: {}", f.message),
            },
        }
    }
}

/// The next thing that happens on the call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// The caller hears `text` (`<Say>`, or a `text/plain` answer).
    Say {
        text: String,
        voice: Option<String>,
        language: Option<String>,
        /// `loop`: 0 is Twilio's "until the call ends".
        times: u32,
    },
    /// The caller hears audio (`<Play>`, or an audio answer); `digits` are tones sent instead.
    Play {
        url: String,
        digits: Option<String>,
        times: u32,
    },
    /// Silence (`<Pause>`), in seconds.
    Pause { seconds: u32 },
    /// Twilio requests this from the app: answer with [`Sim::answer`].
    Request(Request),
    /// The call waits: answer with [`Sim::reply`].
    Await(Prompt),
    /// A verb twimon cannot play: the call ends on it (`ends`) or it is skipped.
    Unsupported { verb: String, ends: bool },
    /// Something worth saying that changes nothing (a warning Twilio would log, a side
    /// request not simulated).
    Note(String),
    /// The call is over.
    End(Ending),
}

/// Where the interpreter is.
#[derive(Debug, Clone)]
enum State {
    /// The first request has not been made.
    Start,
    /// A request is out; the driver owes an [`Answer`].
    Requesting(Request),
    /// Running the current document.
    Running,
    /// A verb waits for a [`Reply`].
    Waiting(Pending),
    Ended(Ending),
}

#[derive(Debug, Clone)]
enum Pending {
    Gather(Listen),
    Dial {
        target: String,
        action: Option<(String, Method)>,
    },
    Record {
        action: String,
        method: Method,
        max_length: u32,
        finish_on_key: String,
    },
    Enqueue {
        queue: String,
        action: Option<(String, Method)>,
    },
}

/// A simulated call.
#[derive(Debug, Clone)]
pub struct Sim {
    setup: Setup,
    call_sid: String,
    account_sid: String,
    state: State,
    /// The document being run: its URL and its verbs.
    doc_url: String,
    verbs: Vec<Node>,
    next_verb: usize,
    /// Actions decided already (a `<Gather>`'s nested prompts), handed out first.
    queued: std::collections::VecDeque<Action>,
    requests: usize,
    since_reply: usize,
    /// The caller hung up while a verb's request was still to be made: after its answer the
    /// call ends and the answered `TwiML` is not run (Twilio ignores it).
    hung_up: bool,
    /// Simulated seconds: pauses, waits, dialled and recorded time.
    seconds: u64,
    sids: u64,
    /// A document of the call ran: it was answered (`in-progress`).
    answered: bool,
    /// Status callbacks made so far: the next one's `SequenceNumber`.
    callbacks: u32,
}

impl Sim {
    pub fn new(setup: Setup) -> Sim {
        let mut sim = Sim {
            call_sid: String::new(),
            account_sid: String::new(),
            state: State::Start,
            doc_url: setup.url.clone(),
            verbs: Vec::new(),
            next_verb: 0,
            queued: std::collections::VecDeque::new(),
            requests: 0,
            since_reply: 0,
            hung_up: false,
            seconds: 0,
            sids: setup.seed,
            answered: false,
            callbacks: 0,
            setup,
        };
        sim.call_sid = sim.sid("CA");
        sim.account_sid = sim.sid("AC");
        sim
    }

    pub fn call_sid(&self) -> &str {
        &self.call_sid
    }

    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// Simulated seconds so far.
    pub fn seconds(&self) -> u64 {
        self.seconds
    }

    /// The URL of the document being run.
    pub fn document_url(&self) -> &str {
        &self.doc_url
    }

    /// A fresh SID: `prefix` + 32 hex digits, from the seed (splitmix64, twice).
    fn sid(&mut self, prefix: &str) -> String {
        let mut half = || {
            self.sids = self.sids.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = self.sids;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        let (a, b) = (half(), half());
        format!("{prefix}{a:016x}{b:016x}")
    }

    /// The parameters of every request of the call.
    fn base_params(&self, status: &str) -> Vec<(String, String)> {
        let s = &self.setup;
        [
            ("CallSid", self.call_sid.as_str()),
            ("AccountSid", self.account_sid.as_str()),
            ("From", s.from.as_str()),
            ("To", s.to.as_str()),
            ("Caller", s.from.as_str()),
            ("Called", s.to.as_str()),
            ("CallStatus", status),
            ("Direction", s.direction.as_str()),
            ("ApiVersion", API_VERSION),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
    }

    /// Whether the call was answered: a document of it ran.
    pub fn answered(&self) -> bool {
        self.answered
    }

    /// The status callback Twilio posts for a call-progress `event`, numbered in the order
    /// they are made (`SequenceNumber`, from 0). `completed` comes once the call has ended,
    /// with its final `CallStatus` and `CallDuration`; the others carry the status the call
    /// has at that event. The driver adds `Timestamp`, which needs a clock.
    pub fn progress_callback(
        &mut self,
        event: Progress,
        url: &str,
        method: Method,
    ) -> Option<Request> {
        let status = match (event, &self.state) {
            (Progress::Completed, State::Ended(ending)) => ending.call_status(),
            (Progress::Completed, _) => return None,
            (Progress::Initiated, _) => "initiated",
            (Progress::Ringing, _) => "ringing",
            (Progress::Answered, _) => "in-progress",
        };
        let mut params = self.base_params(status);
        if event == Progress::Completed {
            params.push(("CallDuration".to_owned(), self.seconds.to_string()));
        }
        params.extend(
            [
                ("CallbackSource", "call-progress-events".to_owned()),
                ("SequenceNumber", self.callbacks.to_string()),
            ]
            .map(|(k, v)| (k.to_owned(), v)),
        );
        self.callbacks += 1;
        Some(Request {
            kind: EventKind::StatusCallback,
            verb: "",
            method,
            url: url.to_owned(),
            params,
        })
    }

    /// What happens next. Once a [`Action::Request`] or [`Action::Await`] is handed out, the
    /// same action comes again until the driver answers it.
    pub fn step(&mut self) -> Action {
        if let Some(a) = self.queued.pop_front() {
            return a;
        }
        match &self.state {
            State::Start => {
                let request = Request {
                    kind: EventKind::CallRequested,
                    verb: "",
                    method: self.setup.method,
                    url: self.setup.url.clone(),
                    params: self.base_params("ringing"),
                };
                self.request(request)
            }
            State::Requesting(r) => Action::Request(r.clone()),
            State::Waiting(p) => Action::Await(p.prompt()),
            State::Ended(e) => Action::End(e.clone()),
            State::Running => self.run(),
        }
    }

    fn request(&mut self, request: Request) -> Action {
        if self.requests >= self.setup.max_requests {
            return self.end(Ending::Failed(Failure {
                code: None,
                message: format!(
                    "{} requests, the bound of one simulated call",
                    self.setup.max_requests
                ),
            }));
        }
        if self.since_reply >= self.setup.max_redirects {
            return self.end(Ending::Failed(Failure {
                code: None,
                message: format!(
                    "redirect loop: {} documents in a row without caller input (last {})",
                    self.since_reply, self.doc_url
                ),
            }));
        }
        self.requests += 1;
        self.since_reply += 1;
        self.state = State::Requesting(request.clone());
        Action::Request(request)
    }

    fn end(&mut self, ending: Ending) -> Action {
        self.queued.clear();
        self.state = State::Ended(ending.clone());
        Action::End(ending)
    }

    fn in_progress(&self) -> Vec<(String, String)> {
        self.base_params("in-progress")
    }

    /// The app's answer to the request that is out. Returns what it means for the call when
    /// that is a failure (also handed out by the next [`Sim::step`]).
    pub fn answer(&mut self, answer: Answer) -> Option<Failure> {
        let State::Requesting(request) = &self.state else {
            return None;
        };
        let url = request.url.clone();
        let failure = |code, message: String| Failure {
            code: Some(code),
            message,
        };
        let outcome = match answer {
            Answer::TimedOut => Err(failure(
                11205,
                "HTTP connection failure: no answer within the time-out".to_owned(),
            )),
            Answer::Unreachable(reason) => {
                Err(failure(11205, format!("HTTP connection failure: {reason}")))
            }
            Answer::TooLarge => Err(failure(
                11750,
                format!("TwiML response body too large: over {MAX_BODY_BYTES} bytes"),
            )),
            Answer::Response { status, .. } if status >= 400 => Err(failure(
                11200,
                format!("HTTP retrieval failure: the app answered {status}"),
            )),
            Answer::Response {
                content_type, body, ..
            } => self.load(&url, content_type.as_deref(), &body),
        };
        if let Err(f) = outcome {
            self.end(Ending::Failed(f.clone()));
            return Some(f);
        }
        // A call whose first verb is <Reject> is never answered (nor billed).
        if !self.answered {
            self.answered = self.verbs.first().is_none_or(|v| v.name != "Reject");
        }
        if self.hung_up {
            self.end(Ending::CallerHungUp);
        }
        None
    }

    /// Takes an answer's body as the next document, by its content type.
    fn load(&mut self, url: &str, content_type: Option<&str>, body: &str) -> Result<(), Failure> {
        let mime = content_type
            .and_then(|c| c.split(';').next())
            .map(|c| c.trim().to_ascii_lowercase())
            .unwrap_or_default();
        url.clone_into(&mut self.doc_url);
        self.verbs.clear();
        self.next_verb = 0;
        self.state = State::Running;
        match mime.as_str() {
            "text/xml" | "application/xml" | "text/html" => {}
            m if m.ends_with("+xml") => {}
            m if m.starts_with("audio/") => {
                self.queued.push_back(Action::Play {
                    url: url.to_owned(),
                    digits: None,
                    times: 1,
                });
                return Ok(());
            }
            "text/plain" => {
                self.queued
                    .push_back(say(body.trim().to_owned(), None, None, 1));
                return Ok(());
            }
            "" => {
                return Err(Failure {
                    code: Some(12300),
                    message: "Invalid Content-Type: the answer has none".to_owned(),
                });
            }
            other => {
                return Err(Failure {
                    code: Some(12300),
                    message: format!("Invalid Content-Type: {other} is not TwiML or audio"),
                });
            }
        }
        let decoded: Decoded = twiml::decode_text(body);
        if let Some(problem) = decoded.problem() {
            return Err(Failure {
                code: Some(12100),
                message: format!("Document parse failure: {problem}"),
            });
        }
        match decoded.doc {
            Some(root) if root.name == "Response" => {
                self.verbs = root.children;
                Ok(())
            }
            Some(root) => Err(Failure {
                code: Some(12100),
                message: format!(
                    "Document parse failure: the root element is <{}>, not <Response>",
                    root.name
                ),
            }),
            None => Err(Failure {
                code: Some(12100),
                message: "Document parse failure: no root element".to_owned(),
            }),
        }
    }

    /// Runs verbs until one says something, waits, requests or ends.
    fn run(&mut self) -> Action {
        loop {
            let Some(node) = self.verbs.get(self.next_verb).cloned() else {
                return self.end(Ending::EndOfDocument);
            };
            self.next_verb += 1;
            if let Some(action) = self.verb(&node) {
                return action;
            }
        }
    }

    fn verb(&mut self, node: &Node) -> Option<Action> {
        let action_of = |sim: &Sim, node: &Node| -> (String, Method) {
            let reference = node.attr("action").map(str::trim).unwrap_or_default();
            (
                absolute(&sim.doc_url, reference),
                Method::from_attr(node.attr("method")),
            )
        };
        let explicit_action = |sim: &Sim, node: &Node| {
            node.attr("action")
                .filter(|a| !a.trim().is_empty())
                .map(|_| action_of(sim, node))
        };
        Some(match node.name.as_str() {
            "Say" => say_of(node),
            "Play" => play_of(node),
            "Pause" => {
                let seconds = number(node.attr("length")).unwrap_or(1);
                self.seconds += u64::from(seconds);
                Action::Pause { seconds }
            }
            "Gather" => {
                for child in &node.children {
                    match child.name.as_str() {
                        "Say" => self.queued.push_back(say_of(child)),
                        "Play" => self.queued.push_back(play_of(child)),
                        "Pause" => {
                            let seconds = number(child.attr("length")).unwrap_or(1);
                            self.queued.push_back(Action::Pause { seconds });
                        }
                        other => self.queued.push_back(Action::Note(format!(
                            "<{other}> inside <Gather> is ignored (Twilio would log 12200)"
                        ))),
                    }
                }
                let input = node.attr("input").unwrap_or("dtmf").to_ascii_lowercase();
                let (action, method) = action_of(self, node);
                let listen = Listen {
                    dtmf: input.contains("dtmf"),
                    speech: input.contains("speech"),
                    num_digits: number(node.attr("numDigits")).map(|n| n as usize),
                    finish_on_key: match node.attr("finishOnKey") {
                        None => Some('#'),
                        Some(k) => k.trim().chars().next(),
                    },
                    timeout: number(node.attr("timeout")).unwrap_or(GATHER_TIMEOUT),
                    action,
                    method,
                    on_empty: node
                        .attr("actionOnEmptyResult")
                        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
                };
                self.state = State::Waiting(Pending::Gather(listen.clone()));
                self.queued.push_back(Action::Await(Prompt::Gather(listen)));
                self.queued.pop_front()?
            }
            "Redirect" => {
                let reference = node.text.trim();
                if reference.is_empty() {
                    return Some(self.end(Ending::Failed(Failure {
                        code: Some(12100),
                        message: "<Redirect> without a URL".to_owned(),
                    })));
                }
                let request = Request {
                    kind: EventKind::CallRedirected,
                    verb: "Redirect",
                    method: Method::from_attr(node.attr("method")),
                    url: absolute(&self.doc_url, reference),
                    params: self.in_progress(),
                };
                self.request(request)
            }
            "Dial" => {
                let pending = Pending::Dial {
                    target: dial_target(node),
                    action: explicit_action(self, node),
                };
                let prompt = pending.prompt();
                self.state = State::Waiting(pending);
                Action::Await(prompt)
            }
            "Record" => {
                let (action, method) = action_of(self, node);
                let pending = Pending::Record {
                    action,
                    method,
                    max_length: number(node.attr("maxLength")).unwrap_or(3600),
                    finish_on_key: node
                        .attr("finishOnKey")
                        .unwrap_or("1234567890*#")
                        .to_owned(),
                };
                let prompt = pending.prompt();
                self.state = State::Waiting(pending);
                Action::Await(prompt)
            }
            "Enqueue" => {
                if node.attr("waitUrl").is_some() {
                    self.queued.push_back(Action::Note(
                        "waitUrl is not fetched: the hold music is not simulated".to_owned(),
                    ));
                }
                let pending = Pending::Enqueue {
                    queue: node.text.trim().to_owned(),
                    action: explicit_action(self, node),
                };
                self.state = State::Waiting(pending.clone());
                self.queued.push_back(Action::Await(pending.prompt()));
                self.queued.pop_front()?
            }
            "Hangup" => self.end(Ending::Hangup),
            "Reject" => {
                let reason = node.attr("reason").unwrap_or("rejected").trim().to_owned();
                self.end(Ending::Rejected(reason))
            }
            "Leave" => self.end(Ending::Left),
            // They hand the call to something else (a stream, a payment, a SIP transfer).
            "Connect" | "Pay" | "Refer" | "Echo" => {
                self.state = State::Ended(Ending::Unsupported(node.name.clone()));
                Action::Unsupported {
                    verb: node.name.clone(),
                    ends: true,
                }
            }
            // Side effects the call goes on past.
            "Start" | "Stop" | "Sms" | "Prompt" => Action::Unsupported {
                verb: node.name.clone(),
                ends: false,
            },
            other => Action::Note(format!(
                "<{other}> is not a TwiML verb: skipped (Twilio would log 12200)"
            )),
        })
    }

    /// The caller hangs up, whatever the call was doing; the ending, if it had one already.
    /// Before the call was answered, that is `canceled`.
    pub fn hang_up(&mut self) -> Ending {
        if let State::Ended(e) = &self.state {
            return e.clone();
        }
        let ending = if self.answered {
            Ending::CallerHungUp
        } else {
            Ending::Canceled
        };
        self.end(ending.clone());
        ending
    }

    /// The caller's (or the world's) answer to the prompt the call waits on; ignored when it
    /// waits on none.
    pub fn reply(&mut self, reply: Reply) {
        let State::Waiting(pending) = self.state.clone() else {
            return;
        };
        self.since_reply = 0;
        self.state = State::Running;
        if reply == Reply::HangUp {
            self.end(Ending::CallerHungUp);
            return;
        }
        match (pending, reply) {
            (Pending::Gather(listen), Reply::Input(input)) => self.gathered(&listen, input),
            (Pending::Dial { action, .. }, Reply::Dial { status, duration }) => {
                self.seconds += u64::from(duration);
                if let Some((url, method)) = action {
                    let bridged = matches!(status.as_str(), "completed" | "answered");
                    let dial_sid = self.sid("CA");
                    let mut params = self.in_progress();
                    params.extend(
                        [
                            ("DialCallStatus", status),
                            ("DialCallSid", dial_sid),
                            ("DialCallDuration", duration.to_string()),
                            ("DialBridged", bridged.to_string()),
                        ]
                        .map(|(k, v)| (k.to_owned(), v)),
                    );
                    self.push_request(EventKind::DialFinished, "Dial", method, url, params);
                }
            }
            (
                Pending::Record {
                    action,
                    method,
                    max_length,
                    ..
                },
                Reply::Record { duration, key },
            ) => {
                let duration = duration.min(max_length);
                self.seconds += u64::from(duration);
                // No audio: Twilio goes on with the next verb.
                if duration == 0 {
                    return;
                }
                self.hung_up = key == "hangup";
                let sid = self.sid("RE");
                let url_of_recording = format!(
                    "https://api.twilio.com/{API_VERSION}/Accounts/{}/Recordings/{sid}",
                    self.account_sid
                );
                let mut params = self.in_progress();
                params.extend(
                    [
                        ("RecordingUrl", url_of_recording),
                        ("RecordingSid", sid),
                        ("RecordingDuration", duration.to_string()),
                        ("Digits", key),
                    ]
                    .map(|(k, v)| (k.to_owned(), v)),
                );
                self.push_request(EventKind::RecordFinished, "Record", method, action, params);
            }
            (Pending::Enqueue { action, .. }, Reply::Queue { result, wait }) => {
                self.seconds += u64::from(wait);
                self.hung_up = result == "hangup";
                match action {
                    Some((url, method)) => {
                        let sid = self.sid("QU");
                        let mut params = self.in_progress();
                        params.extend(
                            [
                                ("QueueResult", result),
                                ("QueueSid", sid),
                                ("QueueTime", wait.to_string()),
                            ]
                            .map(|(k, v)| (k.to_owned(), v)),
                        );
                        self.push_request(
                            EventKind::EnqueueFinished,
                            "Enqueue",
                            method,
                            url,
                            params,
                        );
                    }
                    None if self.hung_up => {
                        self.end(Ending::CallerHungUp);
                    }
                    None => {}
                }
            }
            (pending, other) => {
                // The wrong kind of answer: the prompt stays.
                self.state = State::Waiting(pending);
                self.queued.push_back(Action::Note(format!(
                    "{other:?} does not answer this prompt"
                )));
            }
        }
    }

    fn push_request(
        &mut self,
        kind: EventKind,
        verb: &'static str,
        method: Method,
        url: String,
        params: Vec<(String, String)>,
    ) {
        // A reply resets the loop count; the request it causes is the first of a new run.
        let action = self.request(Request {
            kind,
            verb,
            method,
            url,
            params,
        });
        if let Action::End(_) = action {
            return;
        }
        self.queued.push_back(action);
    }

    fn gathered(&mut self, listen: &Listen, input: Input) {
        let mut extra: Vec<(&str, String)> = Vec::new();
        match input {
            Input::Keys(keys) if listen.dtmf => {
                let mut digits = String::new();
                let mut finished_on = String::new();
                for c in keys
                    .chars()
                    .filter(|c| c.is_ascii_digit() || matches!(c, '*' | '#'))
                {
                    if Some(c) == listen.finish_on_key {
                        finished_on.push(c);
                        break;
                    }
                    digits.push(c);
                    if listen.num_digits.is_some_and(|n| digits.len() >= n) {
                        break;
                    }
                }
                // The finish key alone is no input: Twilio goes on as on a time-out.
                if !digits.is_empty() {
                    extra.push(("Digits", digits));
                    extra.push(("FinishedOnKey", finished_on));
                }
            }
            Input::Speech(text) if listen.speech && !text.trim().is_empty() => {
                extra.push(("SpeechResult", text.trim().to_owned()));
                extra.push(("Confidence", SPEECH_CONFIDENCE.to_owned()));
            }
            // Silence, or keys to a speech-only gather, speech to a keypad one: nothing it
            // listens for, so it waits out its time-out.
            Input::Silence | Input::Keys(_) | Input::Speech(_) => {
                self.seconds += u64::from(listen.timeout);
            }
        }
        if extra.is_empty() && !listen.on_empty {
            self.queued.push_back(Action::Note(
                "no input: going on with the next verb".to_owned(),
            ));
            return;
        }
        let mut params = self.in_progress();
        params.extend(extra.into_iter().map(|(k, v)| (k.to_owned(), v)));
        self.push_request(
            EventKind::GatherFinished,
            "Gather",
            listen.method,
            listen.action.clone(),
            params,
        );
    }
}

impl Pending {
    fn prompt(&self) -> Prompt {
        match self {
            Pending::Gather(l) => Prompt::Gather(l.clone()),
            Pending::Dial { target, .. } => Prompt::Dial {
                target: target.clone(),
            },
            Pending::Record {
                max_length,
                finish_on_key,
                ..
            } => Prompt::Record {
                max_length: *max_length,
                finish_on_key: finish_on_key.clone(),
            },
            Pending::Enqueue { queue, .. } => Prompt::Enqueue {
                queue: queue.clone(),
            },
        }
    }
}

fn number(attr: Option<&str>) -> Option<u32> {
    attr.and_then(|v| v.trim().parse().ok())
}

fn say(text: String, voice: Option<String>, language: Option<String>, times: u32) -> Action {
    Action::Say {
        text,
        voice,
        language,
        times,
    }
}

fn say_of(node: &Node) -> Action {
    say(
        spoken(node),
        node.attr("voice").map(str::to_owned),
        node.attr("language").map(str::to_owned),
        number(node.attr("loop")).unwrap_or(1),
    )
}

fn play_of(node: &Node) -> Action {
    Action::Play {
        url: node.text.trim().to_owned(),
        digits: node.attr("digits").map(str::to_owned),
        times: number(node.attr("loop")).unwrap_or(1),
    }
}

/// The text a `<Say>` speaks, SSML elements included (their order against the direct text is
/// not kept by the tree: the direct text first).
fn spoken(node: &Node) -> String {
    let mut out = node.text.clone();
    for child in &node.children {
        let inner = spoken(child);
        if !inner.is_empty() {
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(&inner);
        }
    }
    out
}

/// Whom a `<Dial>` calls: `+14155550123`, `Client bob`, `Queue support`.
fn dial_target(dial: &Node) -> String {
    let Some(noun) = dial.children.first() else {
        return dial.text.trim().to_owned();
    };
    let value = if noun.text.is_empty() {
        noun.children.first().map_or("", |c| c.text.as_str())
    } else {
        noun.text.as_str()
    };
    if noun.name == "Number" {
        value.trim().to_owned()
    } else {
        format!("{} {}", noun.name, value.trim()).trim().to_owned()
    }
}

/// `reference` resolved against the absolute `base` (RFC 3986 §5.2): an absolute URL stays,
/// `//host/p` takes the base's scheme, anything else the base's scheme and host.
pub fn absolute(base: &str, reference: &str) -> String {
    let reference = reference.trim();
    let scheme_end = base.find("://");
    let has_scheme = reference.split_once(':').is_some_and(|(s, _)| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
            && !s.contains('/')
    });
    if has_scheme {
        return reference.to_owned();
    }
    let Some(scheme_end) = scheme_end else {
        return super::path::resolve(base, reference);
    };
    let scheme = base.get(..scheme_end).unwrap_or("http");
    if let Some(rest) = reference.strip_prefix("//") {
        return format!("{scheme}://{rest}");
    }
    let after = base.get(scheme_end + 3..).unwrap_or_default();
    let authority = after.split(['/', '?', '#']).next().unwrap_or_default();
    format!(
        "{scheme}://{authority}{}",
        super::path::resolve(base, reference)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "http://127.0.0.1:9/ivr/voice";

    fn xml(body: &str) -> Answer {
        Answer::Response {
            status: 200,
            content_type: Some("text/xml; charset=utf-8".to_owned()),
            body: format!("<?xml version=\"1.0\"?><Response>{body}</Response>"),
        }
    }

    fn started(body: &str) -> Sim {
        let mut sim = Sim::new(Setup::new(URL, 7));
        let Action::Request(r) = sim.step() else {
            panic!("first request")
        };
        assert_eq!(r.kind, EventKind::CallRequested);
        assert_eq!(r.param("CallStatus"), Some("ringing"));
        assert_eq!(sim.answer(xml(body)), None);
        sim
    }

    fn request(sim: &mut Sim) -> Request {
        loop {
            match sim.step() {
                Action::Request(r) => return r,
                Action::End(e) => panic!("ended: {e:?}"),
                Action::Await(p) => panic!("waits: {p:?}"),
                _ => {}
            }
        }
    }

    #[test]
    fn first_request_carries_twilio_parameters() {
        let mut sim = Sim::new(Setup::new(URL, 1));
        let Action::Request(r) = sim.step() else {
            panic!()
        };
        let names: Vec<&str> = r.params.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            names,
            [
                "CallSid",
                "AccountSid",
                "From",
                "To",
                "Caller",
                "Called",
                "CallStatus",
                "Direction",
                "ApiVersion"
            ]
        );
        assert!(sim.call_sid().starts_with("CA") && sim.call_sid().len() == 34);
        assert!(sim.account_sid().starts_with("AC") && sim.account_sid().len() == 34);
        assert_ne!(Sim::new(Setup::new(URL, 2)).call_sid(), sim.call_sid());
    }

    #[test]
    fn gather_plays_nested_prompts_then_posts_digits_to_the_document_url() {
        let mut sim =
            started(r#"<Gather numDigits="2"><Say>Press</Say><Pause length="2"/></Gather>"#);
        assert!(matches!(sim.step(), Action::Say { text, .. } if text == "Press"));
        assert_eq!(sim.step(), Action::Pause { seconds: 2 });
        assert!(matches!(sim.step(), Action::Await(Prompt::Gather(_))));
        sim.reply(Reply::Input(Input::Keys("123".into())));
        let r = request(&mut sim);
        assert_eq!(r.kind, EventKind::GatherFinished);
        assert_eq!(r.url, URL);
        assert_eq!(r.param("Digits"), Some("12"));
        assert_eq!(r.param("FinishedOnKey"), Some(""));
        assert_eq!(r.param("CallStatus"), Some("in-progress"));
    }

    #[test]
    fn finish_on_key_ends_digits_and_alone_is_no_input() {
        let mut sim = started(r#"<Gather action="menu"/><Say>Bye</Say>"#);
        sim.step();
        sim.reply(Reply::Input(Input::Keys("42#9".into())));
        let r = request(&mut sim);
        assert_eq!(r.url, "http://127.0.0.1:9/ivr/menu");
        assert_eq!(
            (r.param("Digits"), r.param("FinishedOnKey")),
            (Some("42"), Some("#"))
        );
        let mut sim = started(r#"<Gather action="menu"/><Say>Bye</Say>"#);
        sim.step();
        sim.reply(Reply::Input(Input::Keys("#".into())));
        assert!(matches!(sim.step(), Action::Note(_)));
        assert!(matches!(sim.step(), Action::Say { text, .. } if text == "Bye"));
        assert_eq!(sim.step(), Action::End(Ending::EndOfDocument));
    }

    #[test]
    fn speech_and_empty_results() {
        let mut sim = started(r#"<Gather input="speech dtmf" action="/s"/>"#);
        sim.step();
        sim.reply(Reply::Input(Input::Speech("billing".into())));
        let r = request(&mut sim);
        assert_eq!(r.param("SpeechResult"), Some("billing"));
        assert_eq!(r.param("Confidence"), Some("0.9"));
        assert_eq!(r.param("Digits"), None);
        let mut sim = started(r#"<Gather actionOnEmptyResult="true" action="/e" timeout="3"/>"#);
        sim.step();
        sim.reply(Reply::Input(Input::Silence));
        let r = request(&mut sim);
        assert_eq!(r.url, "http://127.0.0.1:9/e");
        assert_eq!(r.param("Digits"), None);
        assert_eq!(sim.seconds(), 3);
    }

    #[test]
    fn redirect_resolves_relative_urls_and_honours_get() {
        let mut sim = started(r#"<Redirect method="GET">../next?a=1</Redirect>"#);
        let r = request(&mut sim);
        assert_eq!(r.kind, EventKind::CallRedirected);
        assert_eq!(r.url, "http://127.0.0.1:9/next?a=1");
        assert!(
            r.target()
                .starts_with("http://127.0.0.1:9/next?a=1&CallSid=CA")
        );
        assert!(r.body().is_empty() && r.signed_params().is_empty());
    }

    #[test]
    fn dial_with_and_without_action() {
        let mut sim = started(r#"<Dial action="/after"><Number>+1415</Number></Dial>"#);
        assert_eq!(
            sim.step(),
            Action::Await(Prompt::Dial {
                target: "+1415".into()
            })
        );
        sim.reply(Reply::Dial {
            status: "busy".into(),
            duration: 0,
        });
        let r = request(&mut sim);
        assert_eq!(r.kind, EventKind::DialFinished);
        assert_eq!(r.param("DialCallStatus"), Some("busy"));
        assert_eq!(r.param("DialBridged"), Some("false"));
        assert!(r.param("DialCallSid").is_some_and(|s| s.starts_with("CA")));
        let mut sim = started(r"<Dial>+1415</Dial><Hangup/>");
        sim.step();
        sim.reply(Reply::Dial {
            status: "completed".into(),
            duration: 30,
        });
        assert_eq!(sim.step(), Action::End(Ending::Hangup));
        assert_eq!(sim.seconds(), 30);
    }

    #[test]
    fn record_and_enqueue_post_their_parameters() {
        let mut sim = started(r#"<Record action="/vm"/>"#);
        sim.step();
        sim.reply(Reply::Record {
            duration: 4,
            key: "#".into(),
        });
        let r = request(&mut sim);
        assert_eq!(r.param("RecordingDuration"), Some("4"));
        assert_eq!(r.param("Digits"), Some("#"));
        assert!(
            r.param("RecordingUrl")
                .is_some_and(|u| u.contains("/Recordings/RE"))
        );
        let mut sim = started(r#"<Enqueue action="/q">support</Enqueue>"#);
        assert_eq!(
            sim.step(),
            Action::Await(Prompt::Enqueue {
                queue: "support".into()
            })
        );
        sim.reply(Reply::Queue {
            result: "bridged".into(),
            wait: 12,
        });
        let r = request(&mut sim);
        assert_eq!(r.param("QueueResult"), Some("bridged"));
        assert_eq!(r.param("QueueTime"), Some("12"));
        assert!(r.param("QueueSid").is_some_and(|s| s.starts_with("QU")));
    }

    #[test]
    fn failures_carry_twilio_codes() {
        let code = |answer: Answer| {
            let mut sim = Sim::new(Setup::new(URL, 1));
            sim.step();
            sim.answer(answer).and_then(|f| f.code)
        };
        assert_eq!(code(Answer::TimedOut), Some(11205));
        let resp = |status, ct: &str, body: &str| Answer::Response {
            status,
            content_type: Some(ct.to_owned()),
            body: body.to_owned(),
        };
        assert_eq!(code(resp(500, "text/xml", "")), Some(11200));
        assert_eq!(code(resp(200, "application/json", "{}")), Some(12300));
        assert_eq!(
            code(resp(200, "text/html", "<html><body><p>oops</body></html>")),
            Some(12100)
        );
        assert_eq!(code(resp(200, "text/xml", "<Response><Say>")), Some(12100));
        assert_eq!(code(resp(200, "text/xml", "<Response/>")), None);
    }

    #[test]
    fn redirect_loops_are_stopped() {
        let mut sim = started("<Redirect>/voice</Redirect>");
        let mut n = 0;
        loop {
            match sim.step() {
                Action::Request(_) => {
                    n += 1;
                    sim.answer(xml("<Redirect>/voice</Redirect>"));
                }
                Action::End(Ending::Failed(f)) => {
                    assert!(f.message.contains("redirect loop"), "{f:?}");
                    assert_eq!(f.code, None);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(n, DEFAULT_MAX_REDIRECTS - 1);
    }

    #[test]
    fn unsupported_verbs_say_so() {
        let mut sim = started("<Start><Stream url=\"wss://x\"/></Start><Connect/><Say>x</Say>");
        assert!(matches!(
            sim.step(),
            Action::Unsupported { ends: false, .. }
        ));
        assert!(matches!(sim.step(), Action::Unsupported { ends: true, .. }));
        assert_eq!(
            sim.step(),
            Action::End(Ending::Unsupported("Connect".into()))
        );
    }

    #[test]
    fn status_callback_after_the_end() {
        let mut sim = started(r#"<Pause length="3"/><Reject reason="busy"/>"#);
        let completed =
            |sim: &mut Sim| sim.progress_callback(Progress::Completed, "http://x/s", Method::Post);
        assert!(completed(&mut sim).is_none());
        sim.step();
        sim.step();
        let r = completed(&mut sim).unwrap();
        assert_eq!(r.param("CallStatus"), Some("busy"));
        assert_eq!(r.param("CallDuration"), Some("3"));
        assert_eq!(r.param("SequenceNumber"), Some("0"));
        assert_eq!(r.param("CallbackSource"), Some("call-progress-events"));
    }

    #[test]
    fn progress_callbacks_are_numbered_and_carry_the_status_of_their_event() {
        let mut sim = Sim::new(Setup::new("http://h/v", 1));
        let cb = |sim: &mut Sim, p| {
            sim.progress_callback(p, "http://x/s", Method::Post)
                .unwrap()
        };
        let initiated = cb(&mut sim, Progress::Initiated);
        let ringing = cb(&mut sim, Progress::Ringing);
        assert!(!sim.answered());
        sim.step();
        sim.answer(xml("<Say>Hi</Say>"));
        assert!(sim.answered());
        let answered = cb(&mut sim, Progress::Answered);
        while !matches!(sim.step(), Action::End(_)) {}
        let completed = cb(&mut sim, Progress::Completed);
        let got: Vec<_> = [&initiated, &ringing, &answered, &completed]
            .iter()
            .map(|r| {
                (
                    r.param("CallStatus").unwrap(),
                    r.param("SequenceNumber").unwrap(),
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("initiated", "0"),
                ("ringing", "1"),
                ("in-progress", "2"),
                ("completed", "3")
            ]
        );
        // Only the last one reports how long the call took.
        assert!(answered.param("CallDuration").is_none());
        assert_eq!(completed.param("CallDuration"), Some("0"));
        assert_eq!(completed.param("CallSid"), Some(sim.call_sid()));
    }

    #[test]
    fn hanging_up_before_the_answer_cancels_the_call() {
        let mut sim = Sim::new(Setup::new("http://h/v", 1));
        sim.step();
        assert_eq!(sim.hang_up(), Ending::Canceled);
        assert_eq!(Ending::Canceled.call_status(), "canceled");
        let mut sim = started("<Pause/><Say>Hi</Say>");
        sim.step();
        assert_eq!(sim.hang_up(), Ending::CallerHungUp);
        // A first <Reject> leaves the call unanswered.
        let sim = started("<Reject/>");
        assert!(!sim.answered());
    }

    #[test]
    fn progress_lists_parse_as_twilio_takes_them() {
        assert_eq!(
            Progress::parse_list("completed, ringing Initiated").unwrap(),
            [Progress::Initiated, Progress::Ringing, Progress::Completed]
        );
        assert_eq!(
            Progress::parse_list("answered,answered").unwrap(),
            [Progress::Answered]
        );
        let e = Progress::parse_list("initiated,hungup").unwrap_err();
        assert!(e.contains("\"hungup\""), "{e}");
        assert!(Progress::parse_list(" , ").is_err());
    }

    #[test]
    fn absolute_urls() {
        assert_eq!(absolute(URL, "/a"), "http://127.0.0.1:9/a");
        assert_eq!(absolute(URL, "b?x=1"), "http://127.0.0.1:9/ivr/b?x=1");
        assert_eq!(absolute(URL, ""), URL);
        assert_eq!(absolute(URL, "https://e.com/z"), "https://e.com/z");
        assert_eq!(absolute(URL, "//e.com/z"), "http://e.com/z");
    }

    #[test]
    fn form_encoding() {
        let p = vec![("A b".to_owned(), "+1 &=é".to_owned())];
        assert_eq!(form_encode(&p), "A+b=%2B1+%26%3D%C3%A9");
    }
}
