//! `twimon call URL`: a source that plays Twilio's side of a call against the app. It drives
//! the pure interpreter ([`crate::domain::call::sim`]) with HTTP (every request signed as
//! Twilio signs, every request bounded by a time-out) and a clock (pauses are waited, unless
//! `fast`), answers prompts from a script ([`crate::domain::call::script`]), and turns each
//! request and its answer into the event Event Streams would report — `call.requested`,
//! `gather.finished`, `call.redirected`, `dial.finished`, `record.finished`,
//! `enqueue.finished`, `request.failed`, and an `error-logs.error.logged` with the code
//! Twilio's debugger would log — marked simulated by their `source` ([`SOURCE`]). The events
//! go to a [`Feed`], so the table, the timeline, the IVR path, the checks and export work on
//! them unchanged; what the caller hears goes to the transcript ([`Entry`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use jiff::Timestamp;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use super::dedup::{Dedup, split_duplicates};
use super::listen::Stats;
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::call::script::{self, Player, Unmet};
use crate::domain::call::sim::{
    self, Action, Answer, Ending, Input, Listen, MAX_BODY_BYTES, Method, Progress, Prompt, Reply,
    Request, Setup, Sim,
};
pub use crate::domain::call::transcript::{Control, Entry};
use crate::domain::call::transcript::{Waiting, is_keypad};
use crate::domain::lint::{self, Severity};
use crate::domain::{Event, EventKind, Signature, check, twiml};

/// The `source` of every simulated event: no real Twilio call is behind it.
pub const SOURCE: &str = "twimon/call";
/// Twilio's time-out for a `TwiML` request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// How to run the call.
#[derive(Debug, Clone)]
pub struct Options {
    pub setup: Setup,
    /// Sign every request with `X-Twilio-Signature` using this auth token.
    pub auth_token: Option<String>,
    /// Where the status callbacks go.
    pub status_callback: Option<(String, Method)>,
    /// The call-progress events posted there (`StatusCallbackEvent`; Twilio's default is
    /// `completed` alone).
    pub status_callback_events: Vec<Progress>,
    /// Bound of each request, connection and body included.
    pub timeout: Duration,
    /// Do not wait out `<Pause>`.
    pub fast: bool,
    /// End the call at the first unmet expectation, failed request or error finding (a test
    /// run) instead of noting it and going on.
    pub stop_on_problem: bool,
    /// A `<Gather>` or `<Dial>` the script has no answer for waits on the caller panel
    /// ([`Call::control`]) instead of the script's default.
    pub interactive: bool,
}

impl Options {
    pub fn new(setup: Setup) -> Options {
        Options {
            setup,
            auth_token: None,
            status_callback: None,
            status_callback_events: vec![Progress::Completed],
            timeout: DEFAULT_TIMEOUT,
            fast: false,
            stop_on_problem: true,
            interactive: false,
        }
    }
}

/// How a run went.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ending: Ending,
    /// The first unmet expectation, failed request or error finding, by step.
    pub problem: Option<Unmet>,
    pub call_sid: String,
    /// Every event of the call, in order.
    pub events: Vec<Event>,
    /// The IVR path line of those events.
    pub path: String,
}

/// A running simulated call: its events as a feed, its transcript, its outcome, and the way
/// the caller panel's keys reach it.
pub struct Call {
    pub feed: Feed,
    pub transcript: mpsc::UnboundedReceiver<Entry>,
    pub outcome: oneshot::Receiver<Outcome>,
    /// Keys, speech, dial outcomes and the hang-up, for the call to act on.
    pub control: mpsc::UnboundedSender<Control>,
}

/// Starts the call on the runtime.
pub fn start(opts: Options, player: Player) -> anyhow::Result<Call> {
    let client = client(opts.timeout)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop, stopped) = watch::channel(false);
    let (entries, transcript) = mpsc::unbounded_channel();
    let (done, outcome) = oneshot::channel();
    let (control, controls) = mpsc::unbounded_channel();
    let label = format!("call {}", opts.setup.url);
    let task = tokio::spawn(async move {
        let mut driver = Driver {
            opts,
            client,
            tx: Some(tx),
            stopped,
            entries: Some(entries),
            events: Vec::new(),
            seen: Dedup::new(sim::DEFAULT_MAX_REQUESTS * 4),
            player,
            problem: None,
            control: Some(controls),
            hung_up: false,
        };
        let outcome = driver.run().await;
        let _ = done.send(outcome);
        Ok(())
    });
    Ok(Call {
        feed: Feed {
            label,
            live: true,
            stats: Arc::new(Stats::default()),
            rx,
            stop,
            task,
        },
        transcript,
        outcome,
        control,
    })
}

/// Runs a call to its end in the current task, without a feed (tests, one-shot use).
pub async fn run(
    opts: Options,
    player: Player,
    on_entry: impl FnMut(Entry),
) -> anyhow::Result<Outcome> {
    let client = client(opts.timeout)?;
    let (_stop, stopped) = watch::channel(false);
    let (entries, mut rx) = mpsc::unbounded_channel();
    let mut driver = Driver {
        opts,
        client,
        tx: None,
        stopped,
        entries: Some(entries),
        events: Vec::new(),
        seen: Dedup::new(sim::DEFAULT_MAX_REQUESTS * 4),
        player,
        problem: None,
        control: None,
        hung_up: false,
    };
    let outcome = driver.run().await;
    drop(driver);
    let mut on_entry = on_entry;
    while let Ok(e) = rx.try_recv() {
        on_entry(e);
    }
    Ok(outcome)
}

fn client(timeout: Duration) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .user_agent("TwilioProxy/1.1 (twimon call)")
        .build()
        .map_err(|e| anyhow::anyhow!("cannot build the HTTP client: {e}"))
}

struct Driver {
    opts: Options,
    client: reqwest::Client,
    tx: Option<mpsc::Sender<Delivery>>,
    stopped: watch::Receiver<bool>,
    entries: Option<mpsc::UnboundedSender<Entry>>,
    events: Vec<Event>,
    seen: Dedup,
    player: Player,
    problem: Option<Unmet>,
    /// What the caller panel sends; `None` once its sender is gone (or without a panel).
    control: Option<mpsc::UnboundedReceiver<Control>>,
    /// The caller panel hung up.
    hung_up: bool,
}

/// An answer as received, for the event.
struct Received {
    status: u16,
    content_type: Option<String>,
    body: String,
    ms: u64,
}

impl Driver {
    fn say(&self, entry: Entry) {
        if let Some(tx) = &self.entries {
            let _ = tx.send(entry);
        }
    }

    async fn run(&mut self) -> Outcome {
        let mut sim = Sim::new(self.opts.setup.clone());
        self.progress(&mut sim, Progress::Initiated).await;
        self.progress(&mut sim, Progress::Ringing).await;
        let ending = loop {
            self.poll_control();
            let stop_here = self.problem.is_some() && self.opts.stop_on_problem;
            if *self.stopped.borrow() || stop_here || self.hung_up {
                break sim.hang_up();
            }
            match sim.step() {
                Action::Say {
                    text,
                    voice,
                    language,
                    times,
                } => {
                    self.player.heard(&text);
                    self.say(Entry::Say {
                        text,
                        voice,
                        language,
                        times,
                    });
                }
                Action::Play { url, digits, times } => {
                    self.say(Entry::Play { url, digits, times });
                }
                Action::Pause { seconds } => {
                    self.say(Entry::Pause { seconds });
                    if !self.opts.fast {
                        self.wait(Duration::from_secs(u64::from(seconds))).await;
                    }
                }
                Action::Request(request) => {
                    if !request.verb.is_empty() {
                        self.player.reached(request.verb);
                    }
                    self.player.requested(&request.url);
                    let was_answered = sim.answered();
                    if let Some(failure) = self.fetch(&request, &mut sim).await {
                        self.say(Entry::Failed {
                            code: failure.code,
                            message: failure.message.clone(),
                        });
                    }
                    if !was_answered && sim.answered() {
                        self.progress(&mut sim, Progress::Answered).await;
                    }
                }
                Action::Await(prompt) => {
                    self.player.reached(prompt.verb());
                    self.say(Entry::Prompt {
                        verb: prompt.verb(),
                        detail: prompt_detail(&prompt),
                    });
                    let mut answer = self.player.answer(&prompt);
                    // The script has nothing for this prompt: the caller panel answers.
                    if let Ok(m) = &answer
                        && m.step.is_none()
                        && let Some(reply) = self.ask(&prompt).await
                    {
                        answer = Ok(script::Move { reply, step: None });
                    }
                    match answer {
                        Ok(m) => {
                            self.say(Entry::Reply {
                                step: m.step,
                                reply: reply_text(&m.reply),
                            });
                            sim.reply(m.reply);
                        }
                        Err(unmet) => {
                            self.set_problem(unmet);
                            sim.reply(Reply::HangUp);
                        }
                    }
                }
                Action::Unsupported { verb, ends } => {
                    self.player.reached(&verb);
                    self.say(Entry::Unsupported { verb, ends });
                }
                Action::Note(text) => self.say(Entry::Note { text }),
                Action::End(ending) => break ending,
            }
        };
        if let Ending::Hangup | Ending::Rejected(_) | Ending::Left = &ending {
            let verb = match &ending {
                Ending::Hangup => "Hangup",
                Ending::Rejected(_) => "Reject",
                _ => "Leave",
            };
            self.player.reached(verb);
        }
        self.say(Entry::End {
            ending: ending.word(),
            description: ending.describe(),
            seconds: sim.seconds(),
        });
        if let Ending::Failed(f) = &ending
            && !self.player.expects_failure()
        {
            let message = match f.code {
                Some(c) => format!("request failed, Twilio would log {c}: {}", f.message),
                None => f.message.clone(),
            };
            self.problem(message);
        }
        if self.problem.is_none()
            && let Err(unmet) = self.player.finish(&ending)
        {
            self.set_problem(unmet);
        }
        self.progress(&mut sim, Progress::Completed).await;
        let path = path_line(&self.events);
        self.say(Entry::Path { line: path.clone() });
        if let Some(p) = &self.problem {
            self.say(Entry::Problem {
                step: p.step.clone(),
                message: p.message.clone(),
            });
        }
        self.entries = None;
        Outcome {
            ending,
            problem: self.problem.clone(),
            call_sid: sim.call_sid().to_owned(),
            events: std::mem::take(&mut self.events),
            path,
        }
    }

    fn problem(&mut self, message: String) {
        let step = self.player.current_step();
        self.set_problem(Unmet { step, message });
    }

    fn set_problem(&mut self, unmet: Unmet) {
        if self.problem.is_none() {
            self.problem = Some(unmet);
        }
    }

    /// Waits, or less if the call is stopped or the caller hangs up.
    async fn wait(&mut self, d: Duration) {
        let mut stopped = self.stopped.clone();
        let mut control = self.control.take();
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            _ = stopped.wait_for(|s| *s) => {}
            () = hang_up_on(&mut control) => self.hung_up = true,
        }
        self.control = control;
    }

    /// Takes what the caller panel sent while nothing waited on it: a hang-up counts, keys
    /// and outcomes for a prompt that is over do not.
    fn poll_control(&mut self) {
        let Some(rx) = &mut self.control else { return };
        loop {
            match rx.try_recv() {
                Ok(Control::HangUp) => self.hung_up = true,
                Ok(other) => tracing::debug!(?other, "simulated call: input while nothing waits"),
                Err(mpsc::error::TryRecvError::Empty) => return,
                Err(mpsc::error::TryRecvError::Disconnected) => {
                    self.control = None;
                    return;
                }
            }
        }
    }

    /// Posts the status callback of `event`, when one is set and asks for it.
    async fn progress(&mut self, sim: &mut Sim, event: Progress) {
        let Some((url, method)) = self.opts.status_callback.clone() else {
            return;
        };
        if !self.opts.status_callback_events.contains(&event) {
            return;
        }
        if let Some(request) = sim.progress_callback(event, &url, method) {
            self.status_callback(event, request).await;
        }
    }

    /// The caller panel's answer to `prompt`, when the call is interactive and it is a
    /// `<Gather>` or a `<Dial>`; `None` leaves the prompt to the script's default.
    async fn ask(&mut self, prompt: &Prompt) -> Option<Reply> {
        if !self.opts.interactive {
            return None;
        }
        self.poll_control();
        if self.hung_up {
            return Some(Reply::HangUp);
        }
        let mut rx = self.control.take()?;
        let asked = match prompt {
            Prompt::Gather(listen) => self.ask_gather(listen, &mut rx).await,
            Prompt::Dial { target } => self.ask_dial(target, &mut rx).await,
            Prompt::Record { .. } | Prompt::Enqueue { .. } => Asked::Default,
        };
        match asked {
            Asked::Reply(reply) => {
                self.control = Some(rx);
                Some(reply)
            }
            Asked::Default => {
                self.control = Some(rx);
                None
            }
            Asked::Closed => None,
        }
    }

    /// A `<Gather>` as a phone keeps it: keys until `numDigits` or `finishOnKey`, each key
    /// starting the `timeout` again; a speech line at once; at the time-out, what was
    /// pressed (or silence).
    async fn ask_gather(
        &self,
        listen: &Listen,
        rx: &mut mpsc::UnboundedReceiver<Control>,
    ) -> Asked {
        let mut stopped = self.stopped.clone();
        let timeout = Duration::from_secs(u64::from(listen.timeout));
        let mut pressed = String::new();
        let mut deadline = tokio::time::Instant::now() + timeout;
        loop {
            let now = tokio::time::Instant::now();
            if now >= deadline {
                let input = if pressed.is_empty() {
                    Input::Silence
                } else {
                    Input::Keys(pressed)
                };
                return Asked::Reply(Reply::Input(input));
            }
            let left = deadline - now;
            self.say(Entry::Waiting(gather_waiting(
                listen,
                seconds_up(left),
                &pressed,
            )));
            // Wake at the next whole second left, so the countdown shows each one.
            let whole = Duration::from_secs(u64::from(seconds_up(left).saturating_sub(1)));
            let tick = now + left.saturating_sub(whole);
            tokio::select! {
                () = tokio::time::sleep_until(tick.min(deadline)) => {}
                _ = stopped.wait_for(|s| *s) => return Asked::Reply(Reply::HangUp),
                c = rx.recv() => match c {
                    None => return Asked::Closed,
                    Some(Control::HangUp) => return Asked::Reply(Reply::HangUp),
                    Some(Control::Speech(text)) if listen.speech => {
                        return Asked::Reply(Reply::Input(Input::Speech(text)));
                    }
                    Some(Control::Key(k)) if listen.dtmf && is_keypad(k) => {
                        pressed.push(k);
                        let full = listen.num_digits.is_some_and(|n| pressed.len() >= n);
                        if Some(k) == listen.finish_on_key || full {
                            return Asked::Reply(Reply::Input(Input::Keys(pressed)));
                        }
                        deadline = tokio::time::Instant::now() + timeout;
                    }
                    Some(other) => self.say(Entry::Note {
                        text: format!("the <Gather> does not take {}", control_text(&other)),
                    }),
                },
            }
        }
    }

    /// A `<Dial>` waits until the caller panel says how it went.
    async fn ask_dial(&self, target: &str, rx: &mut mpsc::UnboundedReceiver<Control>) -> Asked {
        let mut stopped = self.stopped.clone();
        self.say(Entry::Waiting(Waiting {
            verb: "Dial",
            detail: format!("calling {target}"),
            keys: false,
            speech: false,
            num_digits: None,
            finish_on_key: None,
            left: None,
            pressed: String::new(),
        }));
        loop {
            tokio::select! {
                _ = stopped.wait_for(|s| *s) => return Asked::Reply(Reply::HangUp),
                c = rx.recv() => match c {
                    None => return Asked::Closed,
                    Some(Control::HangUp) => return Asked::Reply(Reply::HangUp),
                    Some(Control::Dial { status, duration })
                        if script::DIAL_STATUSES.contains(&status.as_str()) =>
                    {
                        return Asked::Reply(Reply::Dial { status, duration });
                    }
                    Some(other) => self.say(Entry::Note {
                        text: format!("the <Dial> does not take {}", control_text(&other)),
                    }),
                },
            }
        }
    }

    /// Makes one request, hands its answer to the interpreter, reports both, and turns them
    /// into their events. Returns the failure, when the answer failed the call.
    async fn fetch(&mut self, request: &Request, sim: &mut Sim) -> Option<sim::Failure> {
        let call_sid = sim.call_sid().to_owned();
        let call_sid = call_sid.as_str();
        let target = request.target();
        self.say(Entry::Request {
            kind: request.kind.short(),
            verb: request.verb,
            method: request.method.as_str(),
            url: target.clone(),
            params: params_json(&request.params),
        });
        let sent = Timestamp::now();
        let started = Instant::now();
        let mut control = self.control.take();
        let result = tokio::select! {
            r = self.send(request, &target) => Some(r),
            () = hang_up_on(&mut control) => None,
        };
        self.control = control;
        let Some(result) = result else {
            // Twilio drops the request of a call the caller left; the event shows it unanswered.
            self.hung_up = true;
            self.say(Entry::Note {
                text: "the caller hung up before the app answered".to_owned(),
            });
            let json = event_json(
                request.kind,
                call_sid,
                request,
                &target,
                None,
                sent,
                self.events.len(),
            );
            self.publish(vec![json], sent);
            return None;
        };
        let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let (answer, received) = match result {
            Ok((status, content_type, body)) => {
                let answer = if body.len() > MAX_BODY_BYTES {
                    Answer::TooLarge
                } else {
                    Answer::Response {
                        status,
                        content_type: content_type.clone(),
                        body: body.clone(),
                    }
                };
                (
                    answer,
                    Some(Received {
                        status,
                        content_type,
                        body,
                        ms,
                    }),
                )
            }
            Err(answer) => (answer, None),
        };
        if let Some(r) = &received {
            let decoded = twiml::decode_text(&r.body);
            self.say(Entry::Response {
                status: r.status,
                content_type: r.content_type.clone(),
                ms: r.ms,
                verbs: decoded.verbs_summary(),
            });
            if r.status < 400 && decoded.is_twiml() {
                for f in lint::check(&decoded) {
                    if f.severity == Severity::Error {
                        self.problem(format!(
                            "the answer of {target}: {} ({})",
                            f.message, f.code
                        ));
                    }
                    self.say(Entry::Finding {
                        severity: f.severity.as_str(),
                        code: f.code,
                        message: f.message,
                        path: f.path,
                    });
                }
            }
        }
        let failed = match &answer {
            Answer::TimedOut | Answer::Unreachable(_) | Answer::TooLarge => true,
            Answer::Response { status, .. } => *status >= 400,
        };
        let kind = if failed {
            EventKind::RequestFailed
        } else {
            request.kind
        };
        let mut json = vec![event_json(
            kind,
            call_sid,
            request,
            &target,
            received.as_ref(),
            sent,
            self.events.len(),
        )];
        let failure = sim.answer(answer);
        // The code Twilio's debugger would log, as the error-log event it would send.
        if let Some(f) = &failure
            && let Some(code) = f.code
        {
            json.push(error_log_json(
                code,
                &f.message,
                call_sid,
                &target,
                sent,
                self.events.len(),
            ));
        }
        self.publish(json, sent);
        failure
    }

    async fn send(
        &self,
        request: &Request,
        target: &str,
    ) -> Result<(u16, Option<String>, String), Answer> {
        let mut req = match request.method {
            Method::Get => self.client.get(target),
            Method::Post => self
                .client
                .post(target)
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(request.body()),
        };
        if let Some(token) = &self.opts.auth_token {
            let sig = super::signature::compute(token, target, request.signed_params());
            req = req.header("X-Twilio-Signature", sig);
        }
        let resp = req.send().await.map_err(|e| transport(&e))?;
        let status = resp.status().as_u16();
        let content_type = resp
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_capped(resp).await?;
        Ok((status, content_type, body))
    }

    async fn status_callback(&mut self, event: Progress, request: Request) {
        let sent = Timestamp::now();
        let mut request = request;
        request.params.push((
            "Timestamp".to_owned(),
            sent.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string(),
        ));
        let target = request.target();
        let result = self.send(&request, &target).await;
        let (status, error) = match &result {
            Ok((s, _, _)) if *s >= 400 => (
                Some(*s),
                Some(format!(
                    "Twilio would log 15003 (a warning): the app answered {s}"
                )),
            ),
            Ok((s, _, _)) => (Some(*s), None),
            Err(Answer::TimedOut) => (None, Some("no answer within the time-out".to_owned())),
            Err(Answer::Unreachable(r)) => (None, Some(r.clone())),
            Err(_) => (None, None),
        };
        self.say(Entry::StatusCallback {
            event: event.name(),
            call_status: request.param("CallStatus").unwrap_or_default().to_owned(),
            url: target.clone(),
            status,
            error,
        });
        if let Ok(mut ev) = crate::domain::callback::parse_callback(&request.params, &target, sent)
        {
            check::stamp(&mut ev);
            self.push(vec![ev]);
        }
    }

    /// Parses the simulated CloudEvents as any delivery is parsed, and hands them on.
    fn publish(&mut self, json: Vec<Value>, arrival: Timestamp) {
        let body = Value::Array(json).to_string();
        let Ok(mut events) = crate::domain::delivery::parse_delivery(body.as_bytes(), arrival)
        else {
            return;
        };
        check::stamp_all(&mut events);
        self.push(events);
    }

    fn push(&mut self, events: Vec<Event>) {
        let signature = if self.opts.auth_token.is_some() {
            Signature::Valid
        } else {
            Signature::Unchecked
        };
        let delivery = split_duplicates(&mut self.seen, events, signature);
        self.events.extend(delivery.events.iter().cloned());
        if let Some(tx) = &self.tx
            && tx.try_send(delivery).is_err()
        {
            // The consumer is gone or far behind: the call goes on, the transcript tells it.
            tracing::debug!("simulated call: a delivery was not taken");
        }
    }
}

/// How the caller panel answered a prompt.
enum Asked {
    Reply(Reply),
    /// Not the panel's to answer: the script's default stands.
    Default,
    /// The panel is gone: the script's default stands, and nothing waits on it again.
    Closed,
}

/// Resolves when the caller panel hangs up; other input, meanwhile, is for no prompt. Never
/// resolves without a panel.
async fn hang_up_on(control: &mut Option<mpsc::UnboundedReceiver<Control>>) {
    loop {
        let Some(rx) = control else {
            return std::future::pending().await;
        };
        match rx.recv().await {
            Some(Control::HangUp) => return,
            Some(other) => tracing::debug!(?other, "simulated call: input while nothing waits"),
            None => *control = None,
        }
    }
}

/// Whole seconds, rounded up: what a countdown shows.
fn seconds_up(d: Duration) -> u32 {
    u32::try_from(d.as_millis().div_ceil(1000)).unwrap_or(u32::MAX)
}

fn gather_waiting(listen: &Listen, left: u32, pressed: &str) -> Waiting {
    Waiting {
        verb: "Gather",
        detail: prompt_detail(&Prompt::Gather(listen.clone())),
        keys: listen.dtmf,
        speech: listen.speech,
        num_digits: listen.num_digits,
        finish_on_key: listen.finish_on_key,
        left: Some(left),
        pressed: pressed.to_owned(),
    }
}

fn control_text(c: &Control) -> String {
    match c {
        Control::Key(k) => format!("the key {k:?}"),
        Control::Speech(_) => "speech".to_owned(),
        Control::Dial { status, .. } => format!("a dial outcome ({status})"),
        Control::HangUp => "a hang-up".to_owned(),
    }
}

fn transport(e: &reqwest::Error) -> Answer {
    if e.is_timeout() {
        return Answer::TimedOut;
    }
    let mut reason = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        reason = s.to_string();
        source = s.source();
    }
    Answer::Unreachable(reason)
}

/// Reads a body up to one byte past Twilio's limit (the rest is never read).
async fn read_capped(mut resp: reqwest::Response) -> Result<String, Answer> {
    let mut buf = Vec::new();
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                buf.extend_from_slice(&chunk);
                if buf.len() > MAX_BODY_BYTES {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => return Err(transport(&e)),
        }
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

fn params_json(params: &[(String, String)]) -> Map<String, Value> {
    params
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect()
}

fn rfc2822(t: Timestamp) -> String {
    t.strftime("%a, %d %b %Y %H:%M:%S +0000").to_string()
}

fn rfc3339(t: Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// The CloudEvent Event Streams would send for `request` and its answer.
fn event_json(
    kind: EventKind,
    call_sid: &str,
    request: &Request,
    target: &str,
    received: Option<&Received>,
    sent: Timestamp,
    n: usize,
) -> Value {
    let mut data = json!({
        "sid": call_sid,
        "requestDateCreated": rfc2822(sent),
        "timestamp": rfc3339(sent),
        "eventSid": format!("VW{}", &call_sid.get(2..).unwrap_or_default()),
        "request": {
            "method": request.method.as_str(),
            "url": target,
            "parameters": params_json(&request.params),
        },
    });
    if let Some(r) = received {
        data["response"] = json!({
            "responseCode": r.status,
            "requestDuration": r.ms,
            "contentType": r.content_type,
            "responseBody": base64::engine::general_purpose::STANDARD.encode(r.body.as_bytes()),
            "dateCreated": rfc2822(sent),
        });
    }
    json!({
        "specversion": "1.0",
        "type": kind.type_name().unwrap_or("com.twilio.voice.twiml.request.failed"),
        "source": SOURCE,
        "id": format!("{call_sid}-{n}"),
        "dataschema": "https://events-schemas.twilio.com/Voice.WebhookEvent/2",
        "datacontenttype": "application/json",
        "time": rfc3339(sent),
        "data": data,
    })
}

/// The `error-logs.error.logged` event Twilio would send for a failed request.
fn error_log_json(
    code: u16,
    message: &str,
    call_sid: &str,
    url: &str,
    sent: Timestamp,
    n: usize,
) -> Value {
    let payload = json!({"more_info": {"url": url, "msg": message}}).to_string();
    json!({
        "specversion": "1.0",
        "type": "com.twilio.error-logs.error.logged",
        "source": SOURCE,
        "id": format!("{call_sid}-{n}-error"),
        "dataschema": "https://events-schemas.twilio.com/ErrorLogs.Error/2",
        "datacontenttype": "application/json",
        "time": rfc3339(sent),
        "data": {
            "error_code": code,
            "level": "ERROR",
            "product_name": "Programmable Voice",
            "correlation_sid": call_sid,
            "payload": payload,
        },
    })
}

/// The IVR path line of a call's events, as the call view builds it.
pub fn path_line(events: &[Event]) -> String {
    let mut steps: Vec<&Event> = events
        .iter()
        // The TwiML steps, as the call view's path reads them (not the error log).
        .filter(|e| {
            e.call_sid.is_some()
                && (EventKind::TWIML.contains(&e.kind) || e.kind == EventKind::StatusCallback)
        })
        .collect();
    crate::domain::call::order(&mut steps);
    let decoded: Vec<Option<twiml::Decoded>> = steps
        .iter()
        .map(|e| {
            e.response_body()
                .filter(|b| !b.trim().is_empty())
                .map(|b| twiml::decode(&b))
        })
        .collect();
    let path_steps: Vec<crate::domain::call::path::Step<'_>> = steps
        .iter()
        .zip(&decoded)
        .map(|(event, d)| crate::domain::call::path::Step {
            event,
            decoded: d.as_ref(),
        })
        .collect();
    crate::domain::call::path::path(&path_steps).line
}

fn prompt_detail(prompt: &Prompt) -> String {
    match prompt {
        Prompt::Gather(l) => {
            let mut parts = Vec::new();
            match (l.dtmf, l.speech) {
                (true, true) => parts.push("keys or speech".to_owned()),
                (false, true) => parts.push("speech".to_owned()),
                _ => parts.push("keys".to_owned()),
            }
            if let Some(n) = l.num_digits {
                parts.push(format!("{n} digits"));
            }
            if let Some(k) = l.finish_on_key {
                parts.push(format!("ends on {k}"));
            }
            parts.push(format!("timeout {} s", l.timeout));
            parts.join(", ")
        }
        Prompt::Dial { target } => format!("calling {target}"),
        Prompt::Record {
            max_length,
            finish_on_key,
        } => format!("up to {max_length} s, ends on any of {finish_on_key}"),
        Prompt::Enqueue { queue } => format!("waiting in queue {queue}"),
    }
}

fn reply_text(reply: &Reply) -> String {
    match reply {
        Reply::Input(Input::Keys(k)) => format!("the caller presses {k}"),
        Reply::Input(Input::Speech(s)) => format!("the caller says {s:?}"),
        Reply::Input(Input::Silence) => "the caller stays silent".to_owned(),
        Reply::Dial { status, duration } => format!("the dial ends {status} after {duration} s"),
        Reply::Record { duration, key } => {
            format!("the caller records {duration} s and ends with {key}")
        }
        Reply::Queue { result, wait } => format!("the queue ends {result} after {wait} s"),
        Reply::HangUp => "the caller hangs up".to_owned(),
    }
}
