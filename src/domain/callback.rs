//! Classic voice webhooks and status callbacks: `application/x-www-form-urlencoded` POSTs
//! (`CallSid`, `CallStatus`, `SequenceNumber`, `Timestamp`…) turned into events that sit on
//! their call's timeline beside the `TwiML` events.
//!
//! Everything downstream reads an event's `raw` as JSON (the raw and parameters panes,
//! masking, search, NDJSON), so a callback is kept as a small JSON envelope twimon builds,
//! shaped like an Event Streams event:
//!
//! ```json
//! {"type":"twilio.voice.status-callback",
//!  "id":"CA…/ringing/0/Tue, 10 Feb 2026 14:03:07 +0000",
//!  "source":"/Accounts/AC…/Calls/CA…",
//!  "data":{"request":{"method":"POST","url":"https://abc.ngrok.app/status",
//!                     "parameters":{"CallSid":"CA…","CallStatus":"ringing",…}}}}
//! ```
//!
//! `parameters` holds every form pair in body order, percent-decoded (`+` is a space); a key
//! sent more than once holds its values as an array. The exact body stays in the recording
//! (`--record`), from which `twimon replay` builds the same events again.

use jiff::Timestamp;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::delivery::{parse_event, parse_rfc2822};
use super::event::{CallSid, Event, EventKind, STATUS_CALLBACK_TYPE, TimeSource};

/// More form parameters than this is not a Twilio callback (Twilio sends a few dozen).
pub const MAX_PARAMETERS: usize = 1000;

/// Why a form body is not a usable callback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallbackError {
    /// No (or an empty) `CallSid`: not a Twilio voice webhook or status callback.
    NoCallSid,
    /// More than [`MAX_PARAMETERS`] pairs.
    TooManyParameters(usize),
}

impl std::fmt::Display for CallbackError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackError::NoCallSid => f.write_str(
                "form body has no CallSid: it is not a Twilio voice webhook or status callback",
            ),
            CallbackError::TooManyParameters(n) => write!(
                f,
                "form body holds {n} parameters, more than the limit of {MAX_PARAMETERS}"
            ),
        }
    }
}

impl std::error::Error for CallbackError {}

/// The first non-empty value of parameter `name` (exact key).
fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// The deduplication id of a callback: status callbacks have none, so it is
/// `CallSid/CallStatus/SequenceNumber/Timestamp`. A webhook without a `SequenceNumber` (a
/// voice URL request, a `<Gather>` action) adds a digest of its parameters, so two different
/// requests of one call in one status do not collapse while a redelivery still does.
pub fn callback_id(params: &[(String, String)]) -> String {
    let field = |name| first(params, name).unwrap_or_default();
    let mut id = format!(
        "{}/{}/{}/{}",
        field("CallSid"),
        field("CallStatus"),
        field("SequenceNumber"),
        field("Timestamp")
    );
    if first(params, "SequenceNumber").is_none() {
        let mut hash = Sha256::new();
        for (k, v) in params {
            hash.update(k.as_bytes());
            hash.update([0]);
            hash.update(v.as_bytes());
            hash.update([0]);
        }
        let digest = hex::encode(hash.finalize());
        id.push('/');
        id.push_str(digest.get(..16).unwrap_or_default());
    }
    id
}

/// The parameters as a JSON object in body order; repeated keys collect their values in an
/// array.
pub(crate) fn parameters_json(params: &[(String, String)]) -> Map<String, Value> {
    let mut map = Map::with_capacity(params.len());
    for (k, v) in params {
        let value = Value::String(v.clone());
        match map.get_mut(k) {
            // Form values are strings: an array here is one this loop made.
            Some(Value::Array(values)) => values.push(value),
            Some(existing) => {
                let old = existing.take();
                *existing = Value::Array(vec![old, value]);
            }
            None => {
                map.insert(k.clone(), value);
            }
        }
    }
    map
}

/// Builds the event of a form-encoded callback from its decoded pairs (body order) and the
/// URL it was posted to. Time: the `Timestamp` parameter (RFC 2822), else `arrival`.
pub fn parse_callback(
    params: &[(String, String)],
    url: &str,
    arrival: Timestamp,
) -> Result<Event, CallbackError> {
    if params.len() > MAX_PARAMETERS {
        return Err(CallbackError::TooManyParameters(params.len()));
    }
    let sid = first(params, "CallSid")
        .filter(|s| !s.trim().is_empty())
        .ok_or(CallbackError::NoCallSid)?;
    let account = first(params, "AccountSid").unwrap_or_default();
    let envelope = json!({
        "type": STATUS_CALLBACK_TYPE,
        "id": callback_id(params),
        "source": format!("/Accounts/{account}/Calls/{sid}"),
        "data": {
            "request": {
                "method": "POST",
                "url": url,
                "parameters": parameters_json(params),
            }
        }
    });
    let text = envelope.to_string();
    let mut ev = match serde_json::value::RawValue::from_string(text) {
        Ok(raw) => parse_event(&raw, arrival),
        // Unreachable: serde_json just wrote it.
        Err(e) => Event::invalid("", arrival, format!("callback envelope: {e}")),
    };
    ev.kind = EventKind::StatusCallback;
    ev.call_sid = Some(CallSid(sid.into()));
    ev.sequence = first(params, "SequenceNumber").and_then(|s| s.trim().parse().ok());
    if let Some(t) = first(params, "Timestamp").and_then(parse_rfc2822) {
        ev.time = t;
        ev.time_source = TimeSource::FormTimestamp;
    }
    Ok(ev)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
        items
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn arrival() -> Timestamp {
        "2026-02-10T14:05:00Z".parse().unwrap()
    }

    const RINGING: &[(&str, &str)] = &[
        ("AccountSid", "AC0001"),
        ("CallSid", "CAabc"),
        ("From", "+14155550100"),
        ("To", "+18005550199"),
        ("CallStatus", "ringing"),
        ("Direction", "inbound"),
        ("ApiVersion", "2010-04-01"),
        ("Timestamp", "Tue, 10 Feb 2026 14:03:07 +0000"),
        ("CallbackSource", "call-progress-events"),
        ("SequenceNumber", "0"),
    ];

    #[test]
    fn a_status_callback_becomes_a_status_event() {
        let ev = parse_callback(&pairs(RINGING), "https://x.test/status", arrival()).unwrap();
        assert_eq!(ev.kind, EventKind::StatusCallback);
        assert_eq!(ev.kind.short(), "status");
        assert!(ev.invalid.is_none());
        assert_eq!(ev.call_sid.as_ref().unwrap().as_str(), "CAabc");
        assert_eq!(ev.time_source, TimeSource::FormTimestamp);
        assert_eq!(ev.time.to_string(), "2026-02-10T14:03:07Z");
        assert_eq!(ev.arrival, arrival());
        assert_eq!(ev.sequence, Some(0));
        assert_eq!(ev.type_name(), STATUS_CALLBACK_TYPE);
        assert_eq!(ev.source(), "/Accounts/AC0001/Calls/CAabc");
        assert_eq!((ev.method(), ev.url()), ("POST", "https://x.test/status"));
        assert_eq!(ev.parameter("CallStatus").as_deref(), Some("ringing"));
        // Every pair, in body order, readable like a TwiML event's parameters.
        let names: Vec<String> = ev.parameters().into_iter().map(|(k, _)| k).collect();
        let sent: Vec<&str> = RINGING.iter().map(|(k, _)| *k).collect();
        assert_eq!(names, sent);
        assert!(
            ev.raw
                .starts_with(r#"{"type":"twilio.voice.status-callback""#)
        );
    }

    #[test]
    fn time_falls_back_to_arrival_and_sequence_is_optional() {
        let p = pairs(&[
            ("CallSid", "CAabc"),
            ("CallStatus", "ringing"),
            ("Timestamp", "yesterday"),
        ]);
        let ev = parse_callback(&p, "/", arrival()).unwrap();
        assert_eq!((ev.time, ev.time_source), (arrival(), TimeSource::Arrival));
        assert_eq!(ev.sequence, None);
    }

    #[test]
    fn dedup_id_is_sid_status_sequence_and_timestamp() {
        let ev = parse_callback(&pairs(RINGING), "/", arrival()).unwrap();
        assert_eq!(ev.id(), "CAabc/ringing/0/Tue, 10 Feb 2026 14:03:07 +0000");
        // A redelivery (another arrival, another URL spelling) is the same event…
        let again = parse_callback(&pairs(RINGING), "/other", Timestamp::UNIX_EPOCH).unwrap();
        assert_eq!(ev.dedup_key(), again.dedup_key());
        // …the next status is not.
        let mut next = pairs(RINGING);
        next[4].1 = "in-progress".into();
        next[9].1 = "1".into();
        let next = parse_callback(&next, "/", arrival()).unwrap();
        assert_ne!(ev.dedup_key(), next.dedup_key());
        // Without a SequenceNumber, the parameters tell two webhooks apart.
        let a = callback_id(&pairs(&[("CallSid", "CA1"), ("Digits", "1")]));
        let b = callback_id(&pairs(&[("CallSid", "CA1"), ("Digits", "2")]));
        assert_ne!(a, b);
        assert!(a.starts_with("CA1///"));
        assert_eq!(
            a,
            callback_id(&pairs(&[("CallSid", "CA1"), ("Digits", "1")]))
        );
    }

    #[test]
    fn repeated_keys_become_arrays() {
        let p = pairs(&[("CallSid", "CA1"), ("X", "a"), ("Y", "b"), ("X", "c")]);
        let ev = parse_callback(&p, "/", arrival()).unwrap();
        let data = ev.data().unwrap();
        assert_eq!(
            data["request"]["parameters"],
            json!({"CallSid": "CA1", "X": ["a", "c"], "Y": "b"})
        );
    }

    #[test]
    fn no_call_sid_and_too_many_parameters_are_refused() {
        let err = |p: &[(String, String)]| parse_callback(p, "/", arrival()).unwrap_err();
        assert_eq!(err(&pairs(&[("a", "1")])), CallbackError::NoCallSid);
        assert_eq!(err(&pairs(&[("CallSid", " ")])), CallbackError::NoCallSid);
        assert_eq!(err(&[]), CallbackError::NoCallSid);
        let many = vec![("CallSid".to_owned(), "CA1".to_owned()); MAX_PARAMETERS + 1];
        assert_eq!(
            err(&many),
            CallbackError::TooManyParameters(MAX_PARAMETERS + 1)
        );
        assert!(CallbackError::NoCallSid.to_string().contains("CallSid"));
    }

    #[test]
    fn escapes_stay_json_safe() {
        let p = pairs(&[
            ("CallSid", "CA1"),
            ("SpeechResult", "say \"hi\"\n\u{1b}]0;x"),
        ]);
        let ev = parse_callback(&p, "/", arrival()).unwrap();
        assert!(ev.invalid.is_none());
        assert_eq!(
            ev.parameter("SpeechResult").as_deref(),
            Some("say \"hi\"\n\u{1b}]0;x")
        );
    }
}
