//! The event as twimon keeps it: the raw CloudEvent JSON once, plus the few parsed fields the
//! table, the filters and the indexes need.

use std::borrow::Cow;

use jiff::Timestamp;

use super::family::Stream;
pub use super::family::{STATUS_CALLBACK_TYPE, TEST_EVENT_TYPE};
pub use super::params::key_eq;

/// The CloudEvent `type` prefix shared by the eight TwiML events.
pub const TWIML_PREFIX: &str = "com.twilio.voice.twiml.";
/// Studio step events (`com.twilio.studio.flow.step.ended`); the other Studio events are
/// about the execution.
pub const STUDIO_STEP_PREFIX: &str = "com.twilio.studio.flow.step.";

/// What an event is. The eight TwiML kinds come first, in call-lifecycle order; their
/// discriminants double as index slots and their position + 1 is the filter key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum EventKind {
    CallRequested = 0,
    CallRedirected = 1,
    CallTransferred = 2,
    GatherFinished = 3,
    DialFinished = 4,
    EnqueueFinished = 5,
    RecordFinished = 6,
    RequestFailed = 7,
    TestEvent = 8,
    /// A form-encoded classic voice webhook or status callback (`CallStatus` ringing,
    /// in-progress, completed…), kept as a JSON envelope of its parameters.
    StatusCallback = 9,
    /// Any other CloudEvent type; the event keeps the type string.
    Other = 10,
    /// Not a usable CloudEvent; the event keeps the raw JSON and the reason.
    Invalid = 11,
    /// Call progress as an Event Streams event (`…status-callback.call.*`): initiated,
    /// ringing, answered, completed.
    Progress = 12,
    /// The other voice status callbacks: AMD, conference, participant, recording,
    /// transcription, stream, gather partial, announcement.
    Callback = 13,
    /// `com.twilio.voice.api-request.*`: the REST call that created or changed a call.
    ApiRequest = 14,
    /// `com.twilio.voice.media.*`: a `<Play>` fetch.
    Media = 15,
    /// `com.twilio.error-logs.error.logged`: what Twilio's Debugger logged.
    ErrorLog = 16,
    /// A Studio flow execution started or ended.
    StudioExecution = 17,
    /// A Studio step (a widget) ended.
    StudioStep = 18,
    /// A Voice Insights event, metrics or call summary.
    Insights = 19,
}

/// Colour family of a kind, used by the UI.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Call,
    Gather,
    Dial,
    Enqueue,
    Record,
    Failure,
    Meta,
}

impl EventKind {
    /// Number of kinds (index slots).
    pub const COUNT: usize = 20;
    /// The eight TwiML kinds in call-lifecycle order (filter keys 1–8).
    pub const TWIML: [EventKind; 8] = [
        EventKind::CallRequested,
        EventKind::CallRedirected,
        EventKind::CallTransferred,
        EventKind::GatherFinished,
        EventKind::DialFinished,
        EventKind::EnqueueFinished,
        EventKind::RecordFinished,
        EventKind::RequestFailed,
    ];
    /// Every kind, in slot order.
    pub const ALL: [EventKind; EventKind::COUNT] = [
        EventKind::CallRequested,
        EventKind::CallRedirected,
        EventKind::CallTransferred,
        EventKind::GatherFinished,
        EventKind::DialFinished,
        EventKind::EnqueueFinished,
        EventKind::RecordFinished,
        EventKind::RequestFailed,
        EventKind::TestEvent,
        EventKind::StatusCallback,
        EventKind::Other,
        EventKind::Invalid,
        EventKind::Progress,
        EventKind::Callback,
        EventKind::ApiRequest,
        EventKind::Media,
        EventKind::ErrorLog,
        EventKind::StudioExecution,
        EventKind::StudioStep,
        EventKind::Insights,
    ];

    /// Classifies a CloudEvent `type`. Anything under the TwiML prefix that is not one of the
    /// eight documented suffixes is matched loosely (Twilio's docs also spell
    /// `com.twilio.voice.twiml.requested`).
    pub fn from_type(ty: &str) -> EventKind {
        if let Some(rest) = ty.strip_prefix(TWIML_PREFIX) {
            return match rest {
                "call.requested" | "requested" => EventKind::CallRequested,
                "call.redirected" | "redirected" => EventKind::CallRedirected,
                "call.transferred" | "transferred" => EventKind::CallTransferred,
                "gather.finished" => EventKind::GatherFinished,
                "dial.finished" => EventKind::DialFinished,
                "enqueue.finished" => EventKind::EnqueueFinished,
                "record.finished" => EventKind::RecordFinished,
                "request.failed" => EventKind::RequestFailed,
                _ => EventKind::Other,
            };
        }
        match ty {
            TEST_EVENT_TYPE => return EventKind::TestEvent,
            STATUS_CALLBACK_TYPE => return EventKind::StatusCallback,
            _ => {}
        }
        match Stream::of(ty) {
            Stream::Progress => EventKind::Progress,
            Stream::StatusCallback => EventKind::Callback,
            Stream::Api => EventKind::ApiRequest,
            Stream::Media => EventKind::Media,
            Stream::ErrorLog => EventKind::ErrorLog,
            Stream::Studio if ty.starts_with(STUDIO_STEP_PREFIX) => EventKind::StudioStep,
            Stream::Studio => EventKind::StudioExecution,
            Stream::Insights => EventKind::Insights,
            Stream::Twiml | Stream::Test | Stream::Other => EventKind::Other,
        }
    }

    /// Slot index for per-kind arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The filter key (`1`–`8`) of a TwiML kind.
    pub fn key(self) -> Option<char> {
        let i = self as u8;
        (i < 8).then(|| char::from(b'1' + i))
    }

    /// Short name shown in the table and the filter bar.
    pub fn short(self) -> &'static str {
        match self {
            EventKind::CallRequested => "call.requested",
            EventKind::CallRedirected => "call.redirected",
            EventKind::CallTransferred => "call.transferred",
            EventKind::GatherFinished => "gather.finished",
            EventKind::DialFinished => "dial.finished",
            EventKind::EnqueueFinished => "enqueue.finished",
            EventKind::RecordFinished => "record.finished",
            EventKind::RequestFailed => "request.failed",
            EventKind::TestEvent => "test-event",
            EventKind::StatusCallback => "status",
            EventKind::Other => "other",
            EventKind::Invalid => "invalid",
            EventKind::Progress => "progress",
            EventKind::Callback => "callback",
            EventKind::ApiRequest => "api-request",
            EventKind::Media => "media",
            EventKind::ErrorLog => "error-log",
            EventKind::StudioExecution => "studio.execution",
            EventKind::StudioStep => "studio.step",
            EventKind::Insights => "insights",
        }
    }

    /// The full CloudEvent type for the kinds that have a fixed one.
    pub fn type_name(self) -> Option<&'static str> {
        match self {
            EventKind::TestEvent => Some(TEST_EVENT_TYPE),
            EventKind::StatusCallback => Some(STATUS_CALLBACK_TYPE),
            EventKind::Other
            | EventKind::Invalid
            | EventKind::Progress
            | EventKind::Callback
            | EventKind::ApiRequest
            | EventKind::Media
            | EventKind::ErrorLog
            | EventKind::StudioExecution
            | EventKind::StudioStep
            | EventKind::Insights => None,
            k => Some(match k {
                EventKind::CallRequested => "com.twilio.voice.twiml.call.requested",
                EventKind::CallRedirected => "com.twilio.voice.twiml.call.redirected",
                EventKind::CallTransferred => "com.twilio.voice.twiml.call.transferred",
                EventKind::GatherFinished => "com.twilio.voice.twiml.gather.finished",
                EventKind::DialFinished => "com.twilio.voice.twiml.dial.finished",
                EventKind::EnqueueFinished => "com.twilio.voice.twiml.enqueue.finished",
                EventKind::RecordFinished => "com.twilio.voice.twiml.record.finished",
                _ => "com.twilio.voice.twiml.request.failed",
            }),
        }
    }

    pub fn family(self) -> Family {
        match self {
            EventKind::CallRequested
            | EventKind::CallRedirected
            | EventKind::CallTransferred
            | EventKind::StatusCallback
            | EventKind::Progress
            | EventKind::Callback => Family::Call,
            EventKind::GatherFinished | EventKind::StudioExecution | EventKind::StudioStep => {
                Family::Gather
            }
            EventKind::DialFinished | EventKind::ApiRequest => Family::Dial,
            EventKind::EnqueueFinished => Family::Enqueue,
            EventKind::RecordFinished | EventKind::Media => Family::Record,
            EventKind::RequestFailed | EventKind::Invalid | EventKind::ErrorLog => Family::Failure,
            EventKind::TestEvent | EventKind::Other | EventKind::Insights => Family::Meta,
        }
    }
}

/// Where an event's time came from, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSource {
    /// The CloudEvent `time` attribute.
    Time,
    /// `data.timestamp` (RFC 3339).
    DataTimestamp,
    /// `data.requestDateCreated` (RFC 2822).
    RequestDateCreated,
    /// The `Timestamp` parameter of a form-encoded callback (RFC 2822).
    FormTimestamp,
    /// `data.date_created` (RFC 3339) of an error-log or Studio event.
    DateCreated,
    /// None of the above parsed: the moment twimon received it.
    Arrival,
}

impl TimeSource {
    pub fn as_str(self) -> &'static str {
        match self {
            TimeSource::Time => "time",
            TimeSource::DataTimestamp => "data.timestamp",
            TimeSource::RequestDateCreated => "data.requestDateCreated",
            TimeSource::FormTimestamp => "Timestamp",
            TimeSource::DateCreated => "data.date_created",
            TimeSource::Arrival => "arrival",
        }
    }
}

/// A byte range of an event's raw JSON; empty = absent. `u32` keeps it small: an event is
/// far below 4 GiB (the body limit).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartRange {
    start: u32,
    end: u32,
}

impl PartRange {
    pub const NONE: PartRange = PartRange { start: 0, end: 0 };

    /// The range `part` occupies in `base`, when it is a slice of it.
    pub fn locate(base: &str, part: &str) -> PartRange {
        let base_start = base.as_ptr() as usize;
        let start = (part.as_ptr() as usize).wrapping_sub(base_start);
        let end = start.wrapping_add(part.len());
        if start > base.len() || end > base.len() || part.is_empty() {
            return PartRange::NONE;
        }
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => PartRange { start, end },
            _ => PartRange::NONE,
        }
    }

    /// The text of `raw` before and after this range (all of it before, when not set).
    pub fn around(self, raw: &str) -> (&str, &str) {
        match (raw.get(..self.start as usize), raw.get(self.end as usize..)) {
            (Some(before), Some(after)) if self.end > self.start => (before, after),
            _ => (raw, ""),
        }
    }

    /// The text in `raw`, if the range is set.
    pub fn get(self, raw: &str) -> Option<&str> {
        if self.end <= self.start {
            return None;
        }
        raw.get(self.start as usize..self.end as usize)
    }
}

/// A string of the event. Nearly always a range of its raw JSON (the string had no escapes,
/// so its text is there verbatim): the bytes are stored once. An escaped string keeps its own
/// unescaped copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Text {
    Raw(PartRange),
    Owned(Box<str>),
}

impl Default for Text {
    fn default() -> Self {
        Text::Raw(PartRange::NONE)
    }
}

impl Text {
    /// A text of its own (not in the raw JSON).
    pub fn owned(s: impl Into<Box<str>>) -> Text {
        Text::Owned(s.into())
    }

    /// The text; `raw` is the event's raw JSON.
    pub fn get<'a>(&'a self, raw: &'a str) -> &'a str {
        match self {
            Text::Raw(r) => r.get(raw).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }

    /// `s` as a range of `base` when it is a slice of it, else a copy.
    pub fn locate(base: &str, s: &str) -> Text {
        let range = PartRange::locate(base, s);
        if range == PartRange::NONE && !s.is_empty() {
            Text::owned(s)
        } else {
            Text::Raw(range)
        }
    }
}

/// Where `data.request.parameters`, `data.response.contentType` and `responseBody` sit in an
/// event's raw JSON, found while parsing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PartRanges {
    pub parameters: PartRange,
    pub content_type: PartRange,
    pub response_body: PartRange,
}

/// What an event's TwiML body is, for the table's mark and the problems filter: decided once
/// per event, at ingest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TwimlMark {
    /// Not stamped yet: the consumer stamps it before storing the event.
    #[default]
    Unchecked,
    /// No body (or an empty one).
    NoBody,
    /// TwiML (or another body) that decoded, with no finding.
    Clean,
    /// Decoded; its checks found warnings.
    Warnings,
    /// Decoded; its checks found errors.
    Errors,
    /// Did not decode: bad base64, or not well-formed XML.
    Failed,
}

/// The X-Twilio-Signature verdict of the delivery an event came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Signature {
    Valid,
    Invalid,
    /// No signature header although a token is configured.
    Unsigned,
    /// Signed with a secret twimon was not given (a shared key without a configured secret):
    /// neither valid nor forged.
    Unverifiable,
    /// No auth token configured: nothing was checked.
    #[default]
    Unchecked,
}

impl Signature {
    pub fn as_str(self) -> &'static str {
        match self {
            Signature::Valid => "valid",
            Signature::Invalid => "invalid",
            Signature::Unsigned => "unsigned",
            Signature::Unverifiable => "unverifiable",
            Signature::Unchecked => "unchecked",
        }
    }
}

/// A Twilio call SID (`CA` + 32 hex digits), or whatever string the payload carried there.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallSid(pub Box<str>);

impl CallSid {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A short form for narrow columns: `CA` + the last 6 characters (the tail differs between
    /// calls; the head is constant).
    pub fn short(&self) -> String {
        let s = self.as_str();
        let n = s.chars().count();
        if n <= 10 {
            return s.to_owned();
        }
        let head: String = s.chars().take(2).collect();
        let tail: String = s.chars().skip(n - 6).collect();
        format!("{head}…{tail}")
    }
}

impl std::fmt::Display for CallSid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// One received event. Strings are boxed (no spare capacity); the request parameters and the
/// TwiML body stay inside `raw` and are parsed on demand.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Position in arrival order, assigned by the consumer that stores it (0 until then).
    pub seq: u64,
    pub kind: EventKind,
    /// The CloudEvent `type` as received (empty for invalid events without one); read it with
    /// [`Event::type_name`]. The strings below are stored as ranges of `raw`.
    pub type_name: Text,
    pub id: Text,
    pub source: Text,
    /// Event time, from the best source available (see `time_source`).
    pub time: Timestamp,
    pub time_source: TimeSource,
    /// The CloudEvent `time` as sent, when it was there but unreadable (`9999-12-31T23:59:59Z`
    /// is beyond what a timestamp holds): the fallback above is then marked as such.
    pub time_sent: Text,
    /// When twimon received the delivery.
    pub arrival: Timestamp,
    pub call_sid: Option<CallSid>,
    pub method: Text,
    pub url: Text,
    pub response_code: Option<u16>,
    pub duration_ms: Option<u32>,
    /// The element's JSON exactly as received.
    pub raw: Box<str>,
    /// Where the parts read on demand sit in `raw`.
    pub part_ranges: PartRanges,
    /// `Some(reason)` when the element is not a usable CloudEvent.
    pub invalid: Option<Box<str>>,
    /// What the response's TwiML body is, stamped once by the source
    /// ([`crate::domain::check::stamp`]).
    pub twiml: TwimlMark,
    /// The response body's key in the per-thread check cache ([`crate::domain::check`]),
    /// hashed once when the event is stamped so that a search or a screen finds the body's
    /// verdict without hashing the body again; 0 before stamping or without a body.
    pub body_key: u64,
    /// `SequenceNumber` of a status callback (0-based), which orders a call's callbacks that
    /// share a time; None for everything else.
    pub sequence: Option<u32>,
    /// Set by the listener from the delivery's signature check.
    pub signature: Signature,
    /// What an error-log, Studio or conference event says, decoded once at ingest; None for
    /// the rest (boxed: the TwiML events that fill a store pay one pointer for it).
    pub facts: Option<Box<Facts>>,
}

/// The facts of an event beyond the TwiML families that the screen, the filters and the
/// joins read, decoded once when the event is parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Facts {
    Error(ErrorLog),
    Studio(Studio),
    Conference(Conference),
}

/// An error-log event (`com.twilio.error-logs.error.logged`), its `payload` string decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorLog {
    /// `error_code` (a string or a number in Twilio's JSON); None when unreadable.
    pub code: Option<u32>,
    /// `level`: `ERROR`, `WARNING`, `INFO` (as sent; compared ignoring case).
    pub level: Box<str>,
    pub product: Box<str>,
    /// The payload's `message`, or its `more_info.Msg`.
    pub message: Box<str>,
    /// The payload's `resource_sid`.
    pub resource: Box<str>,
    /// The URL the error is about: the payload's `more_info.url` or `webhook.request.url`.
    pub url: Box<str>,
}

impl ErrorLog {
    /// `INFO` entries are noise (Serverless `console.log`); errors and warnings are problems.
    pub fn is_problem(&self) -> bool {
        !self.level.eq_ignore_ascii_case("info")
    }

    /// `error`, `warning` or `info`, lowercase, for labels.
    pub fn level_word(&self) -> &'static str {
        if self.level.eq_ignore_ascii_case("warning") {
            "warning"
        } else if self.level.eq_ignore_ascii_case("info") {
            "info"
        } else {
            "error"
        }
    }
}

/// A Studio execution or step event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Studio {
    /// `execution_sid` (`FN…`): the key that joins a step to its execution and so to a call.
    pub execution: Box<str>,
    pub flow: Box<str>,
    /// A step's `name`: the event that moved the flow (`incomingCall`, `keypress`…);
    /// empty for an execution.
    pub name: Box<str>,
    /// A step's `transitioned_from` (the widget it left) and `transitioned_to` (the widget
    /// it entered: the one the timeline shows).
    pub from: Box<str>,
    pub to: Box<str>,
    /// An execution's `status` and `ended_reason`.
    pub status: Box<str>,
    pub ended_reason: Box<str>,
}

/// A conference or participant status callback, or a REST request on a conference.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conference {
    /// `ConferenceSid` (`CF…`).
    pub sid: Box<str>,
    pub name: Box<str>,
    /// `StatusCallbackEvent`: conference-start, participant-join, participant-leave…
    pub event: Box<str>,
}

impl Event {
    /// The error log this event is, if it is one.
    pub fn error_log(&self) -> Option<&ErrorLog> {
        match self.facts.as_deref() {
            Some(Facts::Error(e)) => Some(e),
            _ => None,
        }
    }

    /// The Studio execution or step this event is, if it is one.
    pub fn studio(&self) -> Option<&Studio> {
        match self.facts.as_deref() {
            Some(Facts::Studio(s)) => Some(s),
            _ => None,
        }
    }

    /// The conference this event is about, if any.
    pub fn conference(&self) -> Option<&Conference> {
        match self.facts.as_deref() {
            Some(Facts::Conference(c)) => Some(c),
            _ => None,
        }
    }

    /// The event's family (by its type's prefix).
    pub fn stream(&self) -> Stream {
        Stream::of(self.type_name())
    }

    /// The label the table and the call view show: the TwiML kinds by name, the other
    /// families by the member Twilio named (`call.ringing`, `amd.detected`), an error log by
    /// its code (`error 11200`).
    pub fn label(&self) -> Cow<'_, str> {
        let ty = self.type_name();
        let after = |prefix: &str| ty.find(prefix).map(|i| &ty[i + prefix.len()..]);
        match self.kind {
            EventKind::Progress | EventKind::Callback => {
                let member = after("status-callback.").unwrap_or(ty);
                Cow::Borrowed(callback_label(member))
            }
            EventKind::ApiRequest => {
                let member = after("api-request.").unwrap_or(ty);
                api_label(member)
            }
            EventKind::Media => Cow::Borrowed(after("com.twilio.voice.").unwrap_or(ty)),
            EventKind::ErrorLog => match self.error_log() {
                Some(e) => match e.code {
                    Some(code) => Cow::Owned(format!("{} {code}", e.level_word())),
                    None => Cow::Borrowed(e.level_word()),
                },
                None => Cow::Borrowed("error-log"),
            },
            EventKind::StudioExecution => match after("flow.execution.") {
                Some(m) => Cow::Owned(format!("studio.{m}")),
                None => Cow::Borrowed(ty),
            },
            EventKind::StudioStep => Cow::Borrowed("studio.step"),
            EventKind::Insights => {
                let member = after("insights.").unwrap_or(ty);
                Cow::Owned(member.strip_prefix("call-").unwrap_or(member).to_owned())
            }
            EventKind::Other => Cow::Borrowed(ty),
            k => Cow::Borrowed(k.short()),
        }
    }

    /// The response carried a TwiML body that did not decode (bad base64 or not XML).
    pub fn twiml_failed(&self) -> bool {
        self.twiml == TwimlMark::Failed
    }

    /// The CloudEvent `type` as received.
    pub fn type_name(&self) -> &str {
        self.type_name.get(&self.raw)
    }

    /// The CloudEvent `id`.
    pub fn id(&self) -> &str {
        self.id.get(&self.raw)
    }

    /// The CloudEvent `source`.
    pub fn source(&self) -> &str {
        self.source.get(&self.raw)
    }

    /// `data.request.method`.
    pub fn method(&self) -> &str {
        self.method.get(&self.raw)
    }

    /// `data.request.url`.
    pub fn url(&self) -> &str {
        self.url.get(&self.raw)
    }

    /// The `time` the sender gave when it could not be read (see `time_sent`).
    pub fn time_unreadable(&self) -> Option<&str> {
        Some(self.time_sent.get(&self.raw)).filter(|s| !s.is_empty())
    }

    /// `data.response.responseBody` (base64).
    pub fn response_body(&self) -> Option<String> {
        self.response_body_text().map(Cow::into_owned)
    }

    /// [`Event::response_body`], borrowed from the raw JSON when it had no escapes (it never
    /// has: base64). Reads only its own range, not the other parts.
    pub fn response_body_text(&self) -> Option<Cow<'_, str>> {
        let text = self.part_ranges.response_body.get(&self.raw)?;
        super::params::str_literal(text)
    }

    /// The event's `data` re-parsed from the raw JSON (parameters, response body…). `data`
    /// sent as a JSON-encoded string is decoded too.
    pub fn data(&self) -> Option<serde_json::Value> {
        let v: serde_json::Value = serde_json::from_str(&self.raw).ok()?;
        let data = v.get("data")?;
        match data {
            serde_json::Value::String(s) => serde_json::from_str(s).ok(),
            other => Some(other.clone()),
        }
    }
}

/// Identity of an event for deduplication: (`source`, `type`, `id`) — or, for the sink's test
/// event, whose `id` is the account SID and the same every time, `data.test_id`. A 128-bit hash,
/// so the dedup set costs 16 bytes an event instead of a copy of three strings.
pub type DedupKey = u128;

/// Hashes a [`DedupKey`] by taking its low 64 bits: the key is already a hash, hashing it
/// again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Only reached for keys other than u128; fold them in (FNV-1a) to stay correct.
        for b in bytes {
            self.0 = (self.0 ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn write_u128(&mut self, key: u128) {
        self.0 = key as u64;
    }
}

/// Builds [`KeyHasher`]s, for maps and sets keyed by [`DedupKey`].
pub type KeyBuild = std::hash::BuildHasherDefault<KeyHasher>;

impl Event {
    /// The deduplication key; None for invalid events (nothing reliable to compare).
    pub fn dedup_key(&self) -> Option<DedupKey> {
        if self.invalid.is_some() {
            return None;
        }
        if self.kind == EventKind::TestEvent
            && let Some(test_id) = self
                .data()
                .and_then(|d| d.get("test_id").and_then(|t| t.as_str().map(str::to_owned)))
        {
            return Some(hash128(&["test-event", &test_id]));
        }
        Some(hash128(&[self.source(), self.type_name(), self.id()]))
    }
}

fn hash128(parts: &[&str]) -> u128 {
    use std::hash::{BuildHasher, Hash, Hasher};
    // Two SipHash runs with distinct prefixes make a 128-bit key, so collisions between
    // distinct events are negligible even at millions of retained events. The SipHash keys
    // are random per process: payloads cannot be crafted to collide (the dedup set and maps
    // hash these keys no further), and keys are only ever compared within one process.
    static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    let keys = KEYS.get_or_init(std::hash::RandomState::new);
    let half = |salt: u8| {
        let mut h = keys.build_hasher();
        salt.hash(&mut h);
        for p in parts {
            p.hash(&mut h);
        }
        h.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// The request parameters that tell a call's story, in the order the call view shows them.
pub const KEY_PARAMETERS: [&str; 9] = [
    "Digits",
    "SpeechResult",
    "DialCallStatus",
    "QueueResult",
    "RecordingUrl",
    "RecordingDuration",
    "CallStatus",
    "From",
    "To",
];

impl Event {
    /// `data.request.parameters` in their raw JSON (an object), when the request had them.
    pub fn parameters_raw(&self) -> Option<&str> {
        self.part_ranges.parameters.get(&self.raw)
    }

    /// `data.request.parameters` as (name, value) pairs; non-string values in their JSON form.
    pub fn parameters(&self) -> Vec<(String, String)> {
        let Some(raw) = self.parameters_raw() else {
            return Vec::new();
        };
        super::params::entries(raw, |_| true)
            .into_iter()
            .map(|(k, v)| (k.into_owned(), super::params::value_text(v).into_owned()))
            .collect()
    }

    /// One parameter, looked up ignoring case and underscores (`CallSid` = `call_sid`),
    /// without reading the others into strings (a table cell asks this of every row shown).
    pub fn parameter_text(&self, name: &str) -> Option<Cow<'_, str>> {
        let raw = self.parameters_raw()?;
        super::params::find(raw, |k| key_eq(k, name)).map(super::params::value_text)
    }

    /// [`Event::parameter_text`], owned.
    pub fn parameter(&self, name: &str) -> Option<String> {
        self.parameter_text(name).map(Cow::into_owned)
    }

    /// `data.response.contentType`.
    pub fn content_type(&self) -> Option<String> {
        self.content_type_text().map(Cow::into_owned)
    }

    /// [`Event::content_type`], borrowed when it had no escapes.
    pub fn content_type_text(&self) -> Option<Cow<'_, str>> {
        let text = self.part_ranges.content_type.get(&self.raw)?;
        super::params::str_literal(text)
    }
}

/// The label of a status-callback member: the call's progress as Twilio names it
/// (`call.ringing`), the others by what they are about (`conference.participant.updated`
/// is a `participant`), so a label fits the type column.
fn callback_label(member: &str) -> &str {
    match member {
        "conference.updated" => "conference",
        "conference.participant.updated" | "conference-participant.updated" => "participant",
        "recording.processed" => "recording",
        "transcription.processed" => "transcription",
        "gather.partial.captured" => "gather.partial",
        "stream.updated" => "stream",
        "announcement.processed" => "announcement",
        other => other,
    }
}

/// The label of a REST request: `api.call.create`, `api.conf.update`, `api.part.delete`
/// (Twilio's `created`/`modified`/`deleted` as the REST verbs, shortened to fit).
fn api_label(member: &str) -> Cow<'_, str> {
    let (object, verb) = member.rsplit_once('.').unwrap_or((member, ""));
    let object = match object {
        "conference" => "conf",
        "conference-participant" | "conference.participant" => "part",
        o => o,
    };
    let verb = match verb {
        "created" => "create",
        "modified" => "update",
        "deleted" => "delete",
        v => v,
    };
    if verb.is_empty() {
        Cow::Owned(format!("api.{object}"))
    } else {
        Cow::Owned(format!("api.{object}.{verb}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_families_and_keep_their_slots() {
        let cases = [
            (
                "com.twilio.voice.status-callback.call.ringing",
                EventKind::Progress,
            ),
            (
                "com.twilio.voice.webhook.status-callback.call.completed",
                EventKind::Progress,
            ),
            (
                "com.twilio.voice.status-callback.amd.detected",
                EventKind::Callback,
            ),
            (
                "com.twilio.voice.api-request.call.modified",
                EventKind::ApiRequest,
            ),
            ("com.twilio.voice.media.fetched", EventKind::Media),
            ("com.twilio.error-logs.error.logged", EventKind::ErrorLog),
            (
                "com.twilio.studio.flow.execution.started",
                EventKind::StudioExecution,
            ),
            ("com.twilio.studio.flow.step.ended", EventKind::StudioStep),
            (
                "com.twilio.voice.insights.call-summary.complete",
                EventKind::Insights,
            ),
            ("com.twilio.voice.twiml.something.new", EventKind::Other),
            ("com.twilio.messaging.message.sent", EventKind::Other),
        ];
        for (ty, kind) in cases {
            assert_eq!(EventKind::from_type(ty), kind, "{ty}");
        }
        for (i, k) in EventKind::ALL.iter().enumerate() {
            assert_eq!(k.index(), i, "{k:?}");
        }
        // Only the eight TwiML kinds have a filter key.
        assert!(EventKind::ALL[8..].iter().all(|k| k.key().is_none()));
    }

    #[test]
    fn labels_fit_the_type_column() {
        for (member, label) in [
            ("call.completed", "call.completed"),
            ("conference.participant.updated", "participant"),
            ("gather.partial.captured", "gather.partial"),
        ] {
            assert_eq!(callback_label(member), label);
        }
        for (member, label) in [
            ("call.created", "api.call.create"),
            ("conference.modified", "api.conf.update"),
            ("conference-participant.deleted", "api.part.delete"),
            ("queue", "api.queue"),
        ] {
            assert_eq!(api_label(member), label);
            assert!(label.chars().count() <= 16, "{label}");
        }
    }

    #[test]
    fn facts_cost_a_pointer() {
        // The families' facts are boxed: a TwiML event pays one word for them.
        assert_eq!(
            std::mem::size_of::<Option<Box<Facts>>>(),
            std::mem::size_of::<usize>()
        );
    }
}
