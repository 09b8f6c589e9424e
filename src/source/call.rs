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
use serde::Serialize;
use serde_json::{Map, Value, json};
use tokio::sync::{mpsc, oneshot, watch};

use super::dedup::{Dedup, split_duplicates};
use super::listen::Stats;
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::call::script::{Player, Unmet};
use crate::domain::call::sim::{
    self, Action, Answer, Ending, MAX_BODY_BYTES, Method, Prompt, Reply, Request, Setup, Sim,
};
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
    /// Where the final status callback goes.
    pub status_callback: Option<(String, Method)>,
    /// Bound of each request, connection and body included.
    pub timeout: Duration,
    /// Do not wait out `<Pause>`.
    pub fast: bool,
    /// End the call at the first unmet expectation, failed request or error finding (a test
    /// run) instead of noting it and going on.
    pub stop_on_problem: bool,
}

impl Options {
    pub fn new(setup: Setup) -> Options {
        Options {
            setup,
            auth_token: None,
            status_callback: None,
            timeout: DEFAULT_TIMEOUT,
            fast: false,
            stop_on_problem: true,
        }
    }
}

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
    StatusCallback {
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

/// A running simulated call: its events as a feed, its transcript, its outcome.
pub struct Call {
    pub feed: Feed,
    pub transcript: mpsc::UnboundedReceiver<Entry>,
    pub outcome: oneshot::Receiver<Outcome>,
}

/// Starts the call on the runtime.
pub fn start(opts: Options, player: Player) -> anyhow::Result<Call> {
    let client = client(opts.timeout)?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop, stopped) = watch::channel(false);
    let (entries, transcript) = mpsc::unbounded_channel();
    let (done, outcome) = oneshot::channel();
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
        let ending = loop {
            let stop_here = self.problem.is_some() && self.opts.stop_on_problem;
            if *self.stopped.borrow() || stop_here {
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
                    if let Some(failure) = self.fetch(&request, &mut sim).await {
                        self.say(Entry::Failed {
                            code: failure.code,
                            message: failure.message.clone(),
                        });
                    }
                }
                Action::Await(prompt) => {
                    self.player.reached(prompt.verb());
                    self.say(Entry::Prompt {
                        verb: prompt.verb(),
                        detail: prompt_detail(&prompt),
                    });
                    match self.player.answer(&prompt) {
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
        if let Some((url, method)) = self.opts.status_callback.clone()
            && let Some(request) = sim.status_callback(&url, method)
        {
            self.status_callback(request).await;
        }
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

    /// Waits, or less if the call is stopped.
    async fn wait(&mut self, d: Duration) {
        let mut stopped = self.stopped.clone();
        tokio::select! {
            () = tokio::time::sleep(d) => {}
            _ = stopped.wait_for(|s| *s) => {}
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
        let result = self.send(request, &target).await;
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

    async fn status_callback(&mut self, request: Request) {
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
    use crate::domain::call::sim::Input;
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
