//! Delivery bodies → events. A body is a JSON array of CloudEvents (the webhook sink's format)
//! or one CloudEvent object. Parsing borrows from the body: only the fields the store keeps are
//! copied out, and an element that is not a usable CloudEvent becomes an invalid event beside
//! its valid siblings.

use std::borrow::Cow;

use jiff::Timestamp;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::value::MapAccessDeserializer;
use serde::de::{Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::event::{
    CallSid, Conference, DedupKey, ErrorLog, Event, EventKind, Facts, PartRange, PartRanges,
    Signature, Studio, Text, TimeSource, TwimlMark, key_eq,
};

/// More events than this in one delivery is refused as a whole (Twilio batches far fewer).
pub const MAX_EVENTS_PER_DELIVERY: usize = 10_000;

/// What a source hands to the consumer for one delivery, after deduplication.
#[derive(Debug, Default)]
pub struct Delivery {
    /// New events (duplicates removed), in body order.
    pub events: Vec<Event>,
    /// Dedup key of each event in `events` (None for invalid ones).
    pub keys: Vec<Option<DedupKey>>,
    /// Events that were already delivered before: the consumer marks the original.
    pub duplicates: Vec<Duplicate>,
}

/// A redelivered event, reduced to what finds its original: the key, and the call whose
/// events are searched for it (a call holds few events; an index of every key would be as
/// large as the store and touched at every insert).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Duplicate {
    pub key: DedupKey,
    pub call: Option<CallSid>,
}

/// Why a body as a whole could not be taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeliveryError {
    /// Not JSON at all (or not UTF-8, or nested too deep).
    NotJson(String),
    /// JSON, but neither an object nor an array.
    NotObjectOrArray(&'static str),
    /// An array longer than [`MAX_EVENTS_PER_DELIVERY`].
    TooManyEvents(usize),
}

impl std::fmt::Display for DeliveryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeliveryError::NotJson(e) => write!(f, "body is not JSON: {e}"),
            DeliveryError::NotObjectOrArray(found) => {
                write!(
                    f,
                    "body is JSON {found}, expected a CloudEvent object or an array of them"
                )
            }
            DeliveryError::TooManyEvents(n) => write!(
                f,
                "delivery holds {n} events, more than the limit of {MAX_EVENTS_PER_DELIVERY}"
            ),
        }
    }
}

impl std::error::Error for DeliveryError {}

/// Parses a delivery body. `arrival` stamps every event and is the time of last resort.
pub fn parse_delivery(body: &[u8], arrival: Timestamp) -> Result<Vec<Event>, DeliveryError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace()).copied();
    match first {
        Some(b'[') => {
            let elements: Vec<&RawValue> =
                serde_json::from_slice(body).map_err(|e| DeliveryError::NotJson(e.to_string()))?;
            if elements.len() > MAX_EVENTS_PER_DELIVERY {
                return Err(DeliveryError::TooManyEvents(elements.len()));
            }
            Ok(elements
                .into_iter()
                .map(|raw| parse_event(raw, arrival))
                .collect())
        }
        Some(b'{') => {
            // One pass when the body is a readable CloudEvent (a Kinesis record is one): the
            // envelope is read straight from it. Otherwise the body is read again as plain
            // JSON, to tell "not JSON" (the whole delivery refused) from an unusable object.
            if let Ok(text) = std::str::from_utf8(body) {
                let text = text.trim_matches(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
                if let Ok(env) = serde_json::from_str::<Envelope<'_>>(text) {
                    let mut ev = from_envelope(text, &env, arrival);
                    ev.raw = text.into();
                    return Ok(vec![ev]);
                }
            }
            let raw: &RawValue =
                serde_json::from_slice(body).map_err(|e| DeliveryError::NotJson(e.to_string()))?;
            Ok(vec![parse_event(raw, arrival)])
        }
        _ => {
            // Still tell a scalar JSON body from garbage, for a precise error.
            let v: serde_json::Value =
                serde_json::from_slice(body).map_err(|e| DeliveryError::NotJson(e.to_string()))?;
            Err(DeliveryError::NotObjectOrArray(json_kind(&v)))
        }
    }
}

/// [`parse_delivery`] of a body handed over (a Kinesis record): when it is one readable
/// CloudEvent with nothing around it, the body itself becomes the event's raw JSON, moved
/// rather than copied. On an error the body comes back with it.
pub fn parse_record(
    body: Vec<u8>,
    arrival: Timestamp,
) -> Result<Vec<Event>, (DeliveryError, Vec<u8>)> {
    let mut body = body;
    if body.first() == Some(&b'{') && body.last() == Some(&b'}') {
        match String::from_utf8(body) {
            Ok(text) => {
                let text = text.into_boxed_str();
                let ev = serde_json::from_str::<Envelope<'_>>(&text)
                    .ok()
                    .map(|env| from_envelope(&text, &env, arrival));
                if let Some(mut ev) = ev {
                    ev.raw = text;
                    return Ok(vec![ev]);
                }
                body = text.into_boxed_bytes().into_vec();
            }
            Err(e) => body = e.into_bytes(),
        }
    }
    parse_delivery(&body, arrival).map_err(|e| (e, body))
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

fn raw_kind(raw: &RawValue) -> &'static str {
    match raw.get().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b'n') => "null",
        Some(b't' | b'f') => "a boolean",
        _ => "a number",
    }
}

/// A field kept as raw JSON, read leniently later. Unlike `Option<&RawValue>`, an explicit
/// `null` is kept (as the raw `null`), so "`type` is null" can be told from "missing `type`".
#[derive(Debug, Default, Clone, Copy)]
struct Field<'a>(Option<&'a RawValue>);

impl<'de: 'a, 'a> Deserialize<'de> for Field<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <&'a RawValue>::deserialize(d).map(|r| Field(Some(r)))
    }
}

/// An object-valued field that may hold anything. An object is read as `T` in the same pass
/// (no second parse); a string is kept (the test event's `data` is JSON in a string); anything
/// else is noted and skipped, so one mistyped field does not cost the event.
#[derive(Debug, Default)]
enum Lenient<'a, T> {
    #[default]
    Absent,
    Object(T),
    Text(Cow<'a, str>),
    Other,
}

impl<'de: 'a, 'a, T: Deserialize<'de>> Deserialize<'de> for Lenient<'a, T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LenientVisitor(PhantomData))
    }
}

struct LenientVisitor<'a, T>(PhantomData<(&'a (), T)>);

impl<'de: 'a, 'a, T: Deserialize<'de>> Visitor<'de> for LenientVisitor<'a, T> {
    type Value = Lenient<'a, T>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(Lenient::Object)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Lenient::Other)
    }

    fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Lenient::Text(Cow::Borrowed(v)))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Lenient::Text(Cow::Owned(v.to_owned())))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Lenient::Text(Cow::Owned(v)))
    }

    fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Lenient::Other)
    }

    fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Lenient::Other)
    }

    fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Lenient::Other)
    }

    fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Lenient::Other)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(Lenient::Other)
    }
}

impl<T> Lenient<'_, T> {
    fn object(&self) -> Option<&T> {
        match self {
            Lenient::Object(t) => Some(t),
            _ => None,
        }
    }
}

/// A CloudEvent, read in one pass: the `data` fields twimon keeps are found on the way.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default, rename = "type")]
    ty: Field<'a>,
    #[serde(borrow, default)]
    id: Field<'a>,
    #[serde(borrow, default)]
    source: Field<'a>,
    #[serde(borrow, default)]
    time: Field<'a>,
    #[serde(borrow, default)]
    data: Lenient<'a, Data<'a>>,
}

#[derive(Deserialize, Default)]
struct Data<'a> {
    #[serde(borrow, default)]
    sid: Field<'a>,
    #[serde(borrow, default, rename = "requestDateCreated")]
    request_date_created: Field<'a>,
    #[serde(borrow, default)]
    timestamp: Field<'a>,
    #[serde(borrow, default)]
    request: Lenient<'a, Request<'a>>,
    #[serde(borrow, default)]
    response: Lenient<'a, Response<'a>>,
    // The families beyond TwiML (error logs, Studio, Insights) use snake_case keys.
    #[serde(borrow, default)]
    date_created: Field<'a>,
    #[serde(borrow, default)]
    call_sid: Field<'a>,
    #[serde(borrow, default)]
    correlation_sid: Field<'a>,
    #[serde(borrow, default)]
    error_code: Field<'a>,
    #[serde(borrow, default)]
    level: Field<'a>,
    #[serde(borrow, default)]
    product_name: Field<'a>,
    #[serde(borrow, default)]
    payload: Field<'a>,
    #[serde(borrow, default)]
    execution_sid: Field<'a>,
    #[serde(borrow, default)]
    flow_sid: Field<'a>,
    #[serde(borrow, default)]
    started_by: Field<'a>,
    #[serde(borrow, default)]
    name: Field<'a>,
    #[serde(borrow, default)]
    transitioned_from: Field<'a>,
    #[serde(borrow, default)]
    transitioned_to: Field<'a>,
    #[serde(borrow, default)]
    status: Field<'a>,
    #[serde(borrow, default)]
    ended_reason: Field<'a>,
}

#[derive(Deserialize, Default)]
struct Request<'a> {
    #[serde(borrow, default)]
    method: Field<'a>,
    #[serde(borrow, default)]
    url: Field<'a>,
    #[serde(borrow, default)]
    parameters: Field<'a>,
}

#[derive(Deserialize, Default)]
#[allow(clippy::struct_field_names)] // the names mirror Twilio's JSON keys
struct Response<'a> {
    #[serde(borrow, default, rename = "contentType")]
    content_type: Field<'a>,
    #[serde(borrow, default, rename = "responseCode")]
    response_code: Field<'a>,
    #[serde(borrow, default, rename = "requestDuration")]
    request_duration: Field<'a>,
    #[serde(borrow, default, rename = "responseBody")]
    response_body: Field<'a>,
}

/// The parts of an event read on demand (the detail pane, headless output): slices of its
/// raw JSON located while parsing, so reading them is not a second parse.
#[derive(Debug, Default)]
pub struct Parts<'a> {
    /// `data.request.parameters`, as raw JSON (an object).
    pub parameters: Option<&'a RawValue>,
    pub content_type: Option<Cow<'a, str>>,
    /// `data.response.responseBody` (base64).
    pub response_body: Option<Cow<'a, str>>,
}

impl Event {
    /// This event's [`Parts`].
    pub fn parts(&self) -> Parts<'_> {
        let ranges = &self.part_ranges;
        let slice = |r: PartRange| r.get(&self.raw);
        Parts {
            parameters: slice(ranges.parameters).and_then(|p| serde_json::from_str(p).ok()),
            content_type: slice(ranges.content_type).and_then(super::params::str_literal),
            response_body: slice(ranges.response_body).and_then(super::params::str_literal),
        }
    }
}

/// A JSON string field, borrowed when it has no escapes. Anything else (number, null…) is None.
pub(crate) fn json_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    super::params::str_literal(raw.get())
}

fn field_str(f: Field<'_>) -> Option<Cow<'_, str>> {
    f.0.and_then(json_str)
}

/// A number given as a JSON number or a numeric string (Twilio's REST resources mix both).
fn json_u64(raw: &RawValue) -> Option<u64> {
    let text = raw.get();
    let digits = match json_str(raw) {
        Some(s) => Cow::Owned(s.trim().to_owned()),
        None => Cow::Borrowed(text),
    };
    if let Ok(n) = digits.parse::<u64>() {
        return Some(n);
    }
    let f = digits.parse::<f64>().ok()?;
    (f.is_finite() && f >= 0.0).then(|| f.round() as u64)
}

fn parse_rfc3339(s: &str) -> Option<Timestamp> {
    s.trim().parse::<Timestamp>().ok()
}

pub(crate) fn parse_rfc2822(s: &str) -> Option<Timestamp> {
    jiff::fmt::rfc2822::parse(s.trim())
        .ok()
        .map(|z| z.timestamp())
}

fn invalid_event(raw: &RawValue, arrival: Timestamp, reason: String) -> Event {
    Event::invalid(raw.get(), arrival, reason)
}

impl Event {
    /// An invalid event: the raw text kept as received, with the reason.
    pub fn invalid(raw: &str, arrival: Timestamp, reason: String) -> Event {
        Event {
            seq: 0,
            kind: EventKind::Invalid,
            type_name: Text::default(),
            id: Text::default(),
            source: Text::default(),
            time: arrival,
            time_source: TimeSource::Arrival,
            time_sent: Text::default(),
            arrival,
            call_sid: None,
            method: Text::default(),
            url: Text::default(),
            response_code: None,
            duration_ms: None,
            raw: raw.into(),
            part_ranges: PartRanges::default(),
            invalid: Some(reason.into_boxed_str()),
            sequence: None,
            signature: Signature::Unchecked,
            twiml: TwimlMark::Unchecked,
            body_key: 0,
            facts: None,
        }
    }
}

/// Why a required string attribute is unusable.
fn bad_attribute(name: &str, f: Field<'_>) -> String {
    match f.0 {
        None => format!("missing `{name}`"),
        Some(v) if v.get().starts_with('"') => {
            format!("`{name}` is not valid Unicode (a lone surrogate escape?)")
        }
        Some(v) => format!("`{name}` is {}, not a string", raw_kind(v)),
    }
}

/// Turns one array element into an event; never fails: unusable elements become invalid events.
pub fn parse_event(raw: &RawValue, arrival: Timestamp) -> Event {
    let text = raw.get();
    if !text.starts_with('{') {
        let reason = format!("element is {}, not a CloudEvent object", raw_kind(raw));
        return invalid_event(raw, arrival, reason);
    }
    match serde_json::from_str(text) {
        Ok(env) => {
            let mut ev = from_envelope(text, &env, arrival);
            ev.raw = text.into();
            ev
        }
        Err(e) => invalid_event(raw, arrival, format!("unreadable CloudEvent: {e}")),
    }
}

/// The event of a CloudEvent read from `text` (its whole JSON object), its ranges into
/// `text`; `raw` is left empty for the caller to put `text` in (moved or copied).
fn from_envelope(text: &str, env: &Envelope<'_>, arrival: Timestamp) -> Event {
    let Some(ty) = field_str(env.ty) else {
        return Event::invalid("", arrival, bad_attribute("type", env.ty));
    };
    let Some(id) = field_str(env.id) else {
        let mut ev = Event::invalid("", arrival, bad_attribute("id", env.id));
        ev.type_name = Text::locate(text, &ty);
        return ev;
    };

    // The fallbacks of the event time are parsed only when needed: they cost as much as the rest.
    let sent_time = field_str(env.time);
    let time = sent_time.as_deref().and_then(parse_rfc3339);
    let time_sent = match &sent_time {
        Some(s) if time.is_none() && !s.trim().is_empty() => Text::locate(text, s),
        _ => Text::default(),
    };
    let need_time = time.is_none();
    let kind = EventKind::from_type(&ty);
    let fields = match &env.data {
        Lenient::Object(data) => extract_data(data, text, kind, need_time, true),
        // `data` as a JSON-encoded string (the sink's test event): parsed on its own, and
        // nothing in it can be sliced out of the raw event later.
        Lenient::Text(s) => serde_json::from_str::<Data<'_>>(s)
            .map(|d| extract_data(&d, s, kind, need_time, false))
            .unwrap_or_default(),
        Lenient::Absent | Lenient::Other => DataFields::default(),
    };

    let (time, time_source) = time
        .map(|t| (t, TimeSource::Time))
        .or(fields.timestamp.map(|t| (t, TimeSource::DataTimestamp)))
        .or(fields
            .request_date_created
            .map(|t| (t, TimeSource::RequestDateCreated)))
        .or(fields.date_created.map(|t| (t, TimeSource::DateCreated)))
        .unwrap_or((arrival, TimeSource::Arrival));

    Event {
        seq: 0,
        kind,
        type_name: Text::locate(text, &ty),
        id: Text::locate(text, &id),
        source: Text::locate(text, &field_str(env.source).unwrap_or_default()),
        time,
        time_source,
        time_sent,
        arrival,
        call_sid: fields.call_sid,
        method: fields.method,
        url: fields.url,
        response_code: fields.response_code,
        duration_ms: fields.duration_ms,
        raw: Box::default(),
        part_ranges: fields.part_ranges,
        invalid: None,
        sequence: fields.sequence,
        signature: Signature::Unchecked,
        twiml: TwimlMark::Unchecked,
        body_key: 0,
        facts: fields.facts,
    }
}

#[derive(Default)]
struct DataFields {
    call_sid: Option<CallSid>,
    timestamp: Option<Timestamp>,
    request_date_created: Option<Timestamp>,
    method: Text,
    url: Text,
    response_code: Option<u16>,
    duration_ms: Option<u32>,
    part_ranges: PartRanges,
    date_created: Option<Timestamp>,
    sequence: Option<u32>,
    facts: Option<Box<Facts>>,
}

/// The fields kept from `data`. `base` is the text `data` was parsed from; `in_raw`: that is
/// the event's raw JSON, so strings and parts can be kept as ranges of it (else: copies, no
/// parts). `need_time`: the CloudEvent has no usable `time`, so `data`'s times are wanted.
fn extract_data(
    data: &Data<'_>,
    base: &str,
    kind: EventKind,
    need_time: bool,
    in_raw: bool,
) -> DataFields {
    let text = |s: Option<Cow<'_, str>>| {
        let s = s.unwrap_or_default();
        if in_raw {
            Text::locate(base, &s)
        } else {
            Text::owned(s)
        }
    };
    let timestamp = need_time
        .then(|| field_str(data.timestamp).and_then(|s| parse_rfc3339(&s)))
        .flatten();
    let request_date_created = (need_time && timestamp.is_none())
        .then(|| field_str(data.request_date_created).and_then(|s| parse_rfc2822(&s)))
        .flatten();
    let request = data.request.object();
    let response = data.response.object();
    let parameters = request
        .and_then(|r| r.parameters.0)
        .filter(|p| p.get().starts_with('{'));
    let beyond = family_fields(data, kind, parameters);
    // A TwiML event's `sid` is its call; in the other families it may name a conference or
    // a recording, so there only a `CA…` SID is taken for the call.
    let twiml = EventKind::TWIML.contains(&kind) || kind == EventKind::Other;
    let call_sid = beyond
        .call_sid
        .or_else(|| {
            field_str(data.sid)
                .filter(|s| !s.is_empty() && (twiml || is_call_sid(s)))
                .map(Cow::into_owned)
        })
        .or_else(|| parameters.and_then(|p| param_ci(p, "CallSid")))
        .map(|s| CallSid(s.into_boxed_str()));
    let date_created = (need_time && beyond.facts.is_some())
        .then(|| field_str(data.date_created).and_then(|s| parse_rfc3339(&s)))
        .flatten();
    let response_body = response.and_then(|r| r.response_body.0);
    let range = |f: Option<&RawValue>| match f {
        Some(v) if in_raw => PartRange::locate(base, v.get()),
        _ => PartRange::NONE,
    };
    DataFields {
        call_sid,
        timestamp,
        request_date_created,
        method: text(request.and_then(|r| field_str(r.method))),
        url: text(request.and_then(|r| field_str(r.url))),
        response_code: response
            .and_then(|r| r.response_code.0)
            .and_then(json_u64)
            .and_then(|n| u16::try_from(n).ok()),
        duration_ms: response
            .and_then(|r| r.request_duration.0)
            .and_then(json_u64)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
        part_ranges: PartRanges {
            parameters: range(parameters),
            content_type: range(response.and_then(|r| r.content_type.0)),
            response_body: range(response_body),
        },
        date_created,
        sequence: beyond.sequence,
        facts: beyond.facts,
    }
}

/// A Twilio call SID: `CA` and more.
fn is_call_sid(s: &str) -> bool {
    s.len() > 2 && s.starts_with("CA")
}

/// What the families beyond TwiML carry: their call (an error log's `correlation_sid`, a
/// Studio execution's `started_by`, an Insights summary's `call_sid`), a status callback's
/// `SequenceNumber`, and the facts the screen and the joins read.
#[derive(Default)]
struct Beyond {
    call_sid: Option<String>,
    sequence: Option<u32>,
    facts: Option<Box<Facts>>,
}

fn family_fields(data: &Data<'_>, kind: EventKind, parameters: Option<&RawValue>) -> Beyond {
    let owned =
        |f: Field<'_>| -> Box<str> { field_str(f).map(Cow::into_owned).unwrap_or_default().into() };
    let call = |f: Field<'_>| field_str(f).filter(|s| is_call_sid(s)).map(Cow::into_owned);
    match kind {
        EventKind::Progress | EventKind::Callback | EventKind::ApiRequest => {
            let Some(params) = parameters.and_then(|p| {
                serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(p.get()).ok()
            }) else {
                return Beyond::default();
            };
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, _)| key_eq(k, name))
                    .and_then(|(_, v)| match v {
                        serde_json::Value::String(s) => Some(s.trim().to_owned()),
                        serde_json::Value::Number(n) => Some(n.to_string()),
                        _ => None,
                    })
                    .filter(|s| !s.is_empty())
            };
            let conference = get("ConferenceSid").map(|sid| {
                Box::new(Facts::Conference(Conference {
                    sid: sid.into(),
                    name: get("FriendlyName").unwrap_or_default().into(),
                    event: get("StatusCallbackEvent").unwrap_or_default().into(),
                }))
            });
            Beyond {
                call_sid: get("CallSid").filter(|s| is_call_sid(s)),
                sequence: get("SequenceNumber").and_then(|s| s.parse().ok()),
                facts: conference,
            }
        }
        EventKind::ErrorLog => {
            let payload = data.payload.0.and_then(decode_payload);
            let payload = payload.as_ref();
            let text = |v: Option<&serde_json::Value>| -> Box<str> {
                v.and_then(serde_json::Value::as_str)
                    .unwrap_or_default()
                    .into()
            };
            let more_info = payload.and_then(|p| p.get("more_info"));
            let message = payload
                .and_then(|p| p.get("message"))
                .or_else(|| more_info.and_then(|m| m.get("Msg").or_else(|| m.get("msg"))));
            let url = more_info
                .and_then(|m| m.get("url"))
                .or_else(|| payload.and_then(|p| p.pointer("/webhook/request/url")));
            let resource = text(payload.and_then(|p| p.get("resource_sid")));
            let code = data
                .error_code
                .0
                .and_then(json_u64)
                .or_else(|| {
                    payload
                        .and_then(|p| p.get("error_code"))
                        .and_then(value_u64)
                })
                .and_then(|n| u32::try_from(n).ok());
            let call_sid = call(data.correlation_sid)
                .or_else(|| is_call_sid(&resource).then(|| resource.to_string()));
            Beyond {
                call_sid,
                sequence: None,
                facts: Some(Box::new(Facts::Error(ErrorLog {
                    code,
                    level: owned(data.level),
                    product: owned(data.product_name),
                    message: text(message),
                    resource,
                    url: text(url),
                }))),
            }
        }
        EventKind::StudioExecution | EventKind::StudioStep => Beyond {
            // A step names no call: the store joins it through its execution.
            call_sid: (kind == EventKind::StudioExecution)
                .then(|| call(data.started_by))
                .flatten(),
            sequence: None,
            facts: Some(Box::new(Facts::Studio(Studio {
                execution: owned(data.execution_sid),
                flow: owned(data.flow_sid),
                name: owned(data.name),
                from: owned(data.transitioned_from),
                to: owned(data.transitioned_to),
                status: owned(data.status),
                ended_reason: owned(data.ended_reason),
            }))),
        },
        EventKind::Insights => Beyond {
            call_sid: call(data.call_sid),
            ..Beyond::default()
        },
        _ => Beyond::default(),
    }
}

/// An error log's `payload`: a JSON object inside a JSON string (decoded here, once); an
/// object sent as such is taken too.
fn decode_payload(raw: &RawValue) -> Option<serde_json::Value> {
    let text = raw.get();
    if text.starts_with('{') {
        return serde_json::from_str(text).ok();
    }
    let inner = json_str(raw)?;
    serde_json::from_str::<serde_json::Value>(&inner)
        .ok()
        .filter(serde_json::Value::is_object)
}

fn value_u64(v: &serde_json::Value) -> Option<u64> {
    match v {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Looks a parameter up by name, ignoring case and underscores (`CallSid` = `call_sid`): Twilio's
/// webhooks use `PascalCase`, its REST call-events resource `snake_case`.
fn param_ci(params: &RawValue, name: &str) -> Option<String> {
    let map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(params.get()).ok()?;
    map.iter()
        .find(|(k, _)| key_eq(k, name))
        .and_then(|(_, v)| v.as_str().filter(|s| !s.is_empty()).map(str::to_owned))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-28T12:00:00Z".parse().unwrap()
    }

    fn parse(body: &str) -> Vec<Event> {
        parse_delivery(body.as_bytes(), now()).unwrap()
    }

    const FULL: &str = r#"{"specversion":"1.0","type":"com.twilio.voice.twiml.gather.finished",
        "source":"/Accounts/AC1/Calls/CA1","id":"ev-1","time":"2026-11-28T11:59:58.250Z",
        "data":{"sid":"CA0123","timestamp":"2026-11-28T11:59:58Z",
        "request":{"method":"POST","url":"https://x.test/menu","parameters":{"Digits":"2"}},
        "response":{"responseCode":200,"requestDuration":412,"responseBody":""}}}"#;

    #[test]
    fn parses_a_full_event() {
        let ev = &parse(FULL)[0];
        assert_eq!(ev.kind, EventKind::GatherFinished);
        assert_eq!(ev.id(), "ev-1");
        assert_eq!(ev.source(), "/Accounts/AC1/Calls/CA1");
        assert_eq!(ev.time_source, TimeSource::Time);
        assert_eq!(ev.time.to_string(), "2026-11-28T11:59:58.25Z");
        assert_eq!(ev.call_sid.as_ref().unwrap().as_str(), "CA0123");
        assert_eq!(ev.method(), "POST");
        assert_eq!(ev.url(), "https://x.test/menu");
        assert_eq!(ev.response_code, Some(200));
        assert_eq!(ev.duration_ms, Some(412));
        // Stored once: the strings are ranges of the raw JSON, not copies.
        for t in [&ev.type_name, &ev.id, &ev.source, &ev.method, &ev.url] {
            assert!(matches!(t, Text::Raw(_)), "{t:?}");
        }
        assert!(ev.invalid.is_none());
    }

    #[test]
    fn array_object_and_whitespace_bodies() {
        assert_eq!(parse(&format!("  [{FULL},{FULL}] ")).len(), 2);
        assert_eq!(parse(&format!("\n{FULL}")).len(), 1);
        assert!(parse("[]").is_empty());
    }

    #[test]
    fn body_errors() {
        let err = |b: &str| parse_delivery(b.as_bytes(), now()).unwrap_err();
        assert!(matches!(err("hello"), DeliveryError::NotJson(_)));
        assert!(matches!(err("[1,"), DeliveryError::NotJson(_)));
        assert!(matches!(err(""), DeliveryError::NotJson(_)));
        assert_eq!(err("42"), DeliveryError::NotObjectOrArray("a number"));
        assert_eq!(err("\"x\""), DeliveryError::NotObjectOrArray("a string"));
        assert_eq!(err("null"), DeliveryError::NotObjectOrArray("null"));
        let many = format!("[{}1]", "1,".repeat(MAX_EVENTS_PER_DELIVERY));
        assert_eq!(
            err(&many),
            DeliveryError::TooManyEvents(MAX_EVENTS_PER_DELIVERY + 1)
        );
        let bad_utf8 = parse_delivery(b"[{\"id\":\"\xff\"}]", now());
        assert!(matches!(bad_utf8, Err(DeliveryError::NotJson(_))));
    }

    #[test]
    fn a_record_handed_over_reads_as_a_delivery_and_comes_back_on_an_error() {
        let one = FULL.to_owned();
        for body in [
            one.clone(),
            format!(" {one}\n"),
            format!("[{one}]"),
            r#"{"type":"t","id":"a","id":"b"}"#.to_owned(),
            r#"{"id":"x"}"#.to_owned(),
        ] {
            let by_ref = parse_delivery(body.as_bytes(), now()).unwrap();
            let owned = parse_record(body.clone().into_bytes(), now()).unwrap();
            assert_eq!(owned, by_ref, "{body}");
        }
        for bad in ["{not json}", "[1,", "42", "{\"id\":\"\u{ff}\"", "\u{ff}"] {
            let (e, back) = parse_record(bad.as_bytes().to_vec(), now()).unwrap_err();
            assert_eq!(back, bad.as_bytes(), "{bad}");
            assert_eq!(Err(e), parse_delivery(bad.as_bytes(), now()), "{bad}");
        }
        let (_, back) = parse_record(b"{\"id\":\"\xff\"}".to_vec(), now()).unwrap_err();
        assert_eq!(back, b"{\"id\":\"\xff\"}");
    }

    #[test]
    fn bad_elements_become_invalid_events_beside_good_ones() {
        let evs = parse(&format!(
            r#"[{FULL}, 7, {{"id":"x"}}, {{"type":5,"id":"y"}}, {{"type":"t"}}, {{"type":"t","id":"a","id":"b"}}]"#
        ));
        let reasons: Vec<_> = evs.iter().map(|e| e.invalid.as_deref()).collect();
        assert_eq!(reasons[0], None);
        assert_eq!(
            reasons[1],
            Some("element is a number, not a CloudEvent object")
        );
        assert_eq!(reasons[2], Some("missing `type`"));
        assert_eq!(reasons[3], Some("`type` is a number, not a string"));
        assert_eq!(reasons[4], Some("missing `id`"));
        assert!(reasons[5].unwrap().contains("duplicate field"));
        assert_eq!(&*evs[1].raw, "7");
        assert_eq!(evs[4].type_name(), "t");
        assert!(evs[1..].iter().all(|e| e.kind == EventKind::Invalid));
    }

    #[test]
    fn time_falls_back_in_order() {
        let ev = |data: &str| {
            parse(&format!(
                r#"{{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{data}}}"#
            ))
            .remove(0)
        };
        let e = ev(
            r#"{"timestamp":"2025-01-01T00:00:00.000Z","requestDateCreated":"Sun, 24 Aug 2025 13:49:54 +0000"}"#,
        );
        assert_eq!(
            (e.time_source, e.time.to_string().as_str()),
            (TimeSource::DataTimestamp, "2025-01-01T00:00:00Z")
        );
        let e = ev(
            r#"{"timestamp":"not a time","requestDateCreated":"Sun, 24 Aug 2025 13:49:54 +0000"}"#,
        );
        assert_eq!(
            (e.time_source, e.time.to_string().as_str()),
            (TimeSource::RequestDateCreated, "2025-08-24T13:49:54Z")
        );
        let e = ev(r#"{"timestamp":12}"#);
        assert_eq!((e.time_source, e.time), (TimeSource::Arrival, now()));
        // Beyond what a timestamp holds: the sender's text is kept, the fallback marked.
        let body = br#"{"type":"t","id":"far","time":"9999-12-31T23:59:59Z"}"#;
        let e = &parse_delivery(body, now()).unwrap()[0];
        assert_eq!((e.time_source, e.time), (TimeSource::Arrival, now()));
        assert_eq!(e.time_unreadable(), Some("9999-12-31T23:59:59Z"));
        let ok = br#"{"type":"t","id":"ok","time":"2026-11-28T12:00:00Z"}"#;
        assert_eq!(
            parse_delivery(ok, now()).unwrap()[0].time_unreadable(),
            None
        );
    }

    #[test]
    fn seed_quirk_timestamp_in_datacontenttype_is_ignored() {
        let e = parse(r#"{"type":"com.twilio.voice.twiml.call.redirected","id":"NO1","datacontenttype":"2025-10-08T07:17:02.363Z","data":{"timestamp":"2025-01-01T00:00:00.000Z"}}"#).remove(0);
        assert_eq!(e.time_source, TimeSource::DataTimestamp);
    }

    #[test]
    fn call_sid_falls_back_to_parameters_case_insensitively() {
        let e = parse(r#"{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{"request":{"parameters":{"call_sid":"CAabc"}}}}"#).remove(0);
        assert_eq!(e.call_sid.unwrap().as_str(), "CAabc");
        let e = parse(r#"{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{"sid":"","request":{"parameters":{"CALLSID":"CAdef"}}}}"#).remove(0);
        assert_eq!(e.call_sid.unwrap().as_str(), "CAdef");
    }

    #[test]
    fn mistyped_fields_are_tolerated() {
        let e = parse(r#"{"type":"com.twilio.voice.twiml.dial.finished","id":"1","source":null,
            "data":{"sid":42,"request":"oops","response":{"responseCode":"502","requestDuration":1.6e3}}}"#).remove(0);
        assert_eq!(e.kind, EventKind::DialFinished);
        assert!(e.invalid.is_none());
        assert_eq!(e.call_sid, None);
        assert_eq!(e.source(), "");
        assert_eq!(e.response_code, Some(502));
        assert_eq!(e.duration_ms, Some(1600));
        let e = parse(r#"{"type":"x","id":"1","data":{"response":{"responseCode":70000,"requestDuration":-5}}}"#).remove(0);
        assert_eq!((e.response_code, e.duration_ms), (None, None));
        let e = parse(r#"{"type":"x","id":"1","data":[1,2]}"#).remove(0);
        assert_eq!(e.kind, EventKind::Other);
    }

    #[test]
    fn test_event_with_string_data() {
        let e = parse(r#"[{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11","time":"2026-06-10T06:02:54.377Z","data":"{\"test_id\":\"cae2\"}"}]"#).remove(0);
        assert_eq!(e.kind, EventKind::TestEvent);
        assert_eq!(e.data().unwrap()["test_id"], "cae2");
    }

    #[test]
    fn escaped_strings_are_unescaped() {
        let e = parse(r#"{"type":"com.twilio.voice.twiml.call.requested","id":"a\"b","data":{"request":{"url":"https://x.test/a\u0026b"}}}"#).remove(0);
        assert_eq!(e.id(), "a\"b");
        assert_eq!(e.url(), "https://x.test/a&b");
        assert!(matches!(e.url, Text::Owned(_)));
    }

    #[test]
    fn keys_compare_loosely() {
        assert!(key_eq("CallSid", "call_sid"));
        assert!(key_eq("DIGITS", "Digits"));
        assert!(!key_eq("CallSid", "CallSids"));
    }
}
