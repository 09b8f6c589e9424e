//! One HTTP exchange between Twilio (or a resend) and the developer's app, as twimon saw it
//! through `twimon proxy`: what was asked, what was answered, how long it took, what went
//! wrong. It becomes an [`Event`] shaped like an Event Streams TwiML event, so that the table,
//! the timeline, the checks and the exports read it like any other; the proxy's own facts
//! (the real headers, the latency, the target, a failure) sit under `data.proxy`.
//!
//! ```json
//! {"specversion":"1.0","type":"com.twilio.voice.twiml.gather.finished","id":"PX…",
//!  "source":"twimon/proxy","time":"…",
//!  "data":{"sid":"CA…","request":{"method":"POST","url":"https://abc.ngrok.app/menu",
//!                                 "parameters":{"Digits":"2",…}},
//!          "response":{"responseCode":200,"requestDuration":12,"contentType":"text/xml",
//!                      "responseBody":"<base64>"},
//!          "proxy":{"target":"http://localhost:3000/menu","latencyUs":11874,
//!                   "requestHeaders":[["host","abc.ngrok.app"],…],"responseHeaders":[…],
//!                   "bodyBytes":212,"truncated":false,"resendOf":"PX…"}}}
//! ```

use std::time::Duration;

use base64::Engine;
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use super::callback::parameters_json;
use super::delivery::{parse_event, parse_rfc2822};
use super::event::{CallSid, Event, EventKind, STATUS_CALLBACK_TYPE, TimeSource};

/// The `source` of every event the proxy builds.
pub const PROXY_SOURCE: &str = "twimon/proxy";
/// The `source` of the answer to a resend.
pub const RESEND_SOURCE: &str = "twimon/resend";

/// The kind of a request Twilio made, from its parameters. `first_of_call`: no earlier
/// request of this `CallSid` went through (the number's Voice URL).
///
/// The order matters where Twilio sends several markers at once: a status callback carries
/// `CallbackSource` (or a recording one `RecordingStatus`) and may carry anything else; a
/// `<Dial record>` action carries `RecordingUrl` beside `DialCallStatus`; a `<Record>` action
/// carries `Digits` (the key that ended it) beside `RecordingUrl`.
pub fn infer_kind(params: &[(String, String)], first_of_call: bool) -> EventKind {
    let has = |name: &str| params.iter().any(|(k, v)| k == name && !v.is_empty());
    if has("CallbackSource") || has("RecordingStatus") {
        EventKind::StatusCallback
    } else if first_of_call {
        EventKind::CallRequested
    } else if has("DialCallStatus") {
        EventKind::DialFinished
    } else if has("QueueResult") {
        EventKind::EnqueueFinished
    } else if has("RecordingUrl") {
        EventKind::RecordFinished
    } else if has("Digits") || has("SpeechResult") {
        EventKind::GatherFinished
    } else {
        EventKind::CallRedirected
    }
}

/// Why the app gave no answer Twilio could use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Nothing listens at the target, or the connection broke before an answer.
    Unreachable(String),
    /// No complete answer within the bound (Twilio's is 15 s).
    TimedOut(Duration),
    /// The answer started but its body broke off (a reset, a stall past the bound).
    BodyCut(String),
}

impl Failure {
    /// The code Twilio's Debugger would log for it: a dead app behind a tunnel is a 502 to
    /// Twilio (11200, HTTP retrieval failure); a slow one is 11205 (connection failure, its
    /// time-out).
    pub fn code(&self) -> u16 {
        match self {
            Failure::Unreachable(_) | Failure::BodyCut(_) => 11200,
            Failure::TimedOut(_) => 11205,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Failure::Unreachable(why) => format!("the app did not answer: {why}"),
            Failure::TimedOut(after) => format!(
                "the app did not answer within {:.1} s (Twilio gives up after 15 s)",
                after.as_secs_f64()
            ),
            Failure::BodyCut(why) => format!("the answer's body broke off: {why}"),
        }
    }
}

/// One exchange, as measured.
#[derive(Debug, Clone, Default)]
pub struct Exchange {
    /// The event id (unique within a run).
    pub id: String,
    /// The event's `source`: [`PROXY_SOURCE`] or [`RESEND_SOURCE`].
    pub source: &'static str,
    pub started: Option<Timestamp>,
    pub method: String,
    /// The URL Twilio called (the public one, rebuilt from the tunnel's Host).
    pub url: String,
    /// Where twimon sent it.
    pub target: String,
    pub params: Vec<(String, String)>,
    pub request_headers: Vec<(String, String)>,
    /// The app's status; None when it gave none.
    pub status: Option<u16>,
    pub response_headers: Vec<(String, String)>,
    /// The start of the answer's body (at most the copy bound), for the checks.
    pub body: Vec<u8>,
    /// The whole body's size, as streamed.
    pub body_bytes: u64,
    pub latency: Duration,
    pub failure: Option<Failure>,
    /// The event this one re-sends.
    pub resend_of: Option<String>,
}

impl Exchange {
    fn header(&self, name: &str) -> Option<&str> {
        self.response_headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The event for this exchange, of `kind` (see [`infer_kind`]); a failure makes it a
    /// `request.failed` whatever the request was.
    pub fn event(&self, kind: EventKind, arrival: Timestamp) -> Event {
        let kind = if self.failure.is_some() {
            EventKind::RequestFailed
        } else {
            kind
        };
        let type_name = kind.type_name().unwrap_or(STATUS_CALLBACK_TYPE);
        let call_sid = first(&self.params, "CallSid");
        let started = self.started.unwrap_or(arrival);
        let latency_ms = self.latency.as_millis().min(u128::from(u32::MAX)) as u64;
        let mut response = Map::new();
        if let Some(status) = self.status {
            response.insert("responseCode".into(), json!(status));
        }
        response.insert("requestDuration".into(), json!(latency_ms));
        if let Some(ct) = self.header("content-type") {
            response.insert("contentType".into(), json!(ct));
        }
        if self.failure.is_none() && !self.body.is_empty() {
            let b64 = base64::engine::general_purpose::STANDARD.encode(&self.body);
            response.insert("responseBody".into(), json!(b64));
        }
        let mut proxy = json!({
            "target": self.target,
            "latencyUs": self.latency.as_micros().min(u128::from(u64::MAX)) as u64,
            "requestHeaders": pairs_json(&self.request_headers),
            "responseHeaders": pairs_json(&self.response_headers),
            "bodyBytes": self.body_bytes,
            "truncated": self.body_bytes > self.body.len() as u64,
        });
        if let Some(f) = &self.failure {
            proxy["errorCode"] = json!(f.code());
            proxy["error"] = json!(f.describe());
        }
        if let Some(of) = &self.resend_of {
            proxy["resendOf"] = json!(of);
        }
        let envelope = json!({
            "specversion": "1.0",
            "type": type_name,
            "id": self.id,
            "source": self.source,
            "time": started.to_string(),
            "data": {
                "sid": call_sid.unwrap_or_default(),
                "request": {
                    "method": self.method,
                    "url": self.url,
                    "parameters": parameters_json(&self.params),
                },
                "response": response,
                "proxy": proxy,
            }
        });
        let mut ev = match serde_json::value::RawValue::from_string(envelope.to_string()) {
            Ok(raw) => parse_event(&raw, arrival),
            // Unreachable: serde_json just wrote it.
            Err(e) => Event::invalid("", arrival, format!("exchange envelope: {e}")),
        };
        ev.kind = kind;
        ev.call_sid = call_sid.map(|s| CallSid(s.into()));
        if kind == EventKind::StatusCallback {
            ev.sequence = first(&self.params, "SequenceNumber").and_then(|s| s.trim().parse().ok());
            if let Some(t) = first(&self.params, "Timestamp").and_then(parse_rfc2822) {
                ev.time = t;
                ev.time_source = TimeSource::FormTimestamp;
            }
        }
        ev
    }
}

/// What `data.proxy` says about an event built here; None for every other event.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProxyFacts {
    pub target: String,
    pub latency: Duration,
    pub request_headers: Vec<(String, String)>,
    pub response_headers: Vec<(String, String)>,
    pub body_bytes: u64,
    pub truncated: bool,
    pub error_code: Option<u16>,
    pub error: Option<String>,
    pub resend_of: Option<String>,
}

impl ProxyFacts {
    /// The facts of `ev`, when the proxy or a resend built it.
    pub fn of(ev: &Event) -> Option<ProxyFacts> {
        if ev.source() != PROXY_SOURCE && ev.source() != RESEND_SOURCE {
            return None;
        }
        let data = ev.data()?;
        let p = data.get("proxy")?;
        let text = |k: &str| p.get(k).and_then(Value::as_str).map(str::to_owned);
        let pairs = |k: &str| {
            p.get(k)
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|pair| {
                            let pair = pair.as_array()?;
                            Some((
                                pair.first()?.as_str()?.to_owned(),
                                pair.get(1)?.as_str()?.to_owned(),
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default()
        };
        Some(ProxyFacts {
            target: text("target").unwrap_or_default(),
            latency: Duration::from_micros(p.get("latencyUs").and_then(Value::as_u64)?),
            request_headers: pairs("requestHeaders"),
            response_headers: pairs("responseHeaders"),
            body_bytes: p
                .get("bodyBytes")
                .and_then(Value::as_u64)
                .unwrap_or_default(),
            truncated: p.get("truncated").and_then(Value::as_bool).unwrap_or(false),
            error_code: p
                .get("errorCode")
                .and_then(Value::as_u64)
                .and_then(|c| u16::try_from(c).ok()),
            error: text("error"),
            resend_of: text("resendOf"),
        })
    }
}

fn first<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, v)| k == name && !v.is_empty())
        .map(|(_, v)| v.as_str())
}

/// Headers as `[name, value]` pairs in the order they came: names repeat, order matters.
fn pairs_json(pairs: &[(String, String)]) -> Value {
    Value::Array(
        pairs
            .iter()
            .map(|(k, v)| Value::Array(vec![json!(k), json!(v)]))
            .collect(),
    )
}

/// The form pairs Twilio sent for `ev`, in order, repeated keys repeated: what a resend
/// posts again. Array values (a repeated key) are spread back out.
pub fn request_pairs(ev: &Event) -> Vec<(String, String)> {
    let Some(raw) = ev.parts().parameters else {
        return Vec::new();
    };
    let Ok(map) = serde_json::from_str::<Map<String, Value>>(raw.get()) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(map.len());
    for (k, v) in map {
        match v {
            Value::String(s) => out.push((k, s)),
            Value::Array(items) => {
                for item in items {
                    let s = match item {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    out.push((k.clone(), s));
                }
            }
            Value::Null => out.push((k, String::new())),
            other => out.push((k, other.to_string())),
        }
    }
    out
}

/// One parameter edit: `Name=value` sets (replacing every value of `Name`, or adding it at the
/// end), `-Name` removes; a whole list written in `$EDITOR` replaces them all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Edit {
    Set(String, String),
    Remove(String),
    Replace(Vec<(String, String)>),
}

impl Edit {
    /// Parses `Name=value` or `-Name`.
    pub fn parse(spec: &str) -> Result<Edit, String> {
        let spec = spec.trim();
        if let Some(name) = spec.strip_prefix('-') {
            let name = name.trim();
            if name.is_empty() {
                return Err("`-` needs a parameter name to remove (`-Digits`)".into());
            }
            return Ok(Edit::Remove(name.to_owned()));
        }
        match spec.split_once('=') {
            Some((name, value)) if !name.trim().is_empty() => {
                Ok(Edit::Set(name.trim().to_owned(), value.to_owned()))
            }
            _ => Err(format!(
                "{spec:?} is not an edit: write Name=value to set a parameter, -Name to remove one"
            )),
        }
    }

    /// Parses a whitespace-separated list of edits (`Digits=3 -SpeechResult`).
    pub fn parse_all(line: &str) -> Result<Vec<Edit>, String> {
        line.split_whitespace().map(Edit::parse).collect()
    }
}

/// `params` with `edits` applied in order.
pub fn apply_edits(params: &[(String, String)], edits: &[Edit]) -> Vec<(String, String)> {
    let mut out = params.to_vec();
    for edit in edits {
        match edit {
            Edit::Replace(all) => out.clone_from(all),
            Edit::Remove(name) => out.retain(|(k, _)| k != name),
            Edit::Set(name, value) => {
                if let Some(i) = out.iter().position(|(k, _)| k == name) {
                    out[i].1.clone_from(value);
                    let mut seen = false;
                    out.retain(|(k, _)| {
                        if k != name {
                            return true;
                        }
                        let keep = !seen;
                        seen = true;
                        keep
                    });
                } else {
                    out.push((name.clone(), value.clone()));
                }
            }
        }
    }
    out
}

/// The parameters as a file for `$EDITOR`: a comment header saying what the file is (`what`:
/// the request they belong to) and how it is read, then one `Name=value` line each. Values are
/// written as Twilio sent them, not URL-encoded; a backslash, a newline or a carriage return
/// in a name or value is escaped (`\\`, `\n`, `\r`), and `=` in a name too (`\=`), so that
/// [`parse_params_text`] gives back exactly these parameters.
pub fn params_text(what: &str, params: &[(String, String)]) -> String {
    let mut s = format!(
        "# twimon: the parameters of {}, to resend.\n\
         # One parameter a line, Name=value, as Twilio sends it (no URL encoding): change a\n\
         # value, delete a line to drop a parameter, add a line to add one. \\n is a newline,\n\
         # \\\\ a backslash. Lines starting with # are skipped.\n\
         # Save and quit to send; quit with an error (vim :cq) or delete every line to send nothing.\n",
        what.replace(['\n', '\r'], " ")
    );
    for (k, v) in params {
        escape_into(&mut s, k, true);
        s.push('=');
        escape_into(&mut s, v, false);
        s.push('\n');
    }
    s
}

fn escape_into(out: &mut String, text: &str, name: bool) {
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '=' if name => out.push_str("\\="),
            c => out.push(c),
        }
    }
}

/// The parameters of an edited [`params_text`] (comments and blank lines skipped), or what is
/// wrong with it, by line number.
pub fn parse_params_text(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let at = |why: String| format!("line {}: {why}", n + 1);
        let (name, value) = parse_param_line(line).map_err(at)?;
        out.push((name, value));
    }
    Ok(out)
}

/// `Name=value`: the name up to the first `=` that is not escaped, trimmed; the value as is.
fn parse_param_line(line: &str) -> Result<(String, String), String> {
    let mut name = String::new();
    let mut value = None::<String>;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        let unescaped = if c == '\\' {
            match chars.next() {
                Some('\\') => '\\',
                Some('n') => '\n',
                Some('r') => '\r',
                Some('=') => '=',
                Some(other) => {
                    return Err(format!(
                        "\\{other} is not an escape here (\\n newline, \\r return, \\\\ backslash, \\= an = in a name)"
                    ));
                }
                None => return Err("a lone \\ ends the line: write \\\\ for a backslash".into()),
            }
        } else if c == '=' && value.is_none() {
            value = Some(String::new());
            continue;
        } else {
            c
        };
        value.as_mut().unwrap_or(&mut name).push(unescaped);
    }
    let Some(value) = value else {
        return Err(format!("{line:?} is not Name=value"));
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("{line:?} has no parameter name before ="));
    }
    if name.chars().any(char::is_whitespace) {
        return Err(format!("{name:?}: a parameter name has no spaces"));
    }
    Ok((name.to_owned(), value))
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

    fn at() -> Timestamp {
        "2026-02-10T14:05:00Z".parse().unwrap()
    }

    #[test]
    fn kinds_come_from_the_parameters_twilio_sent() {
        let base = [("CallSid", "CA1"), ("CallStatus", "in-progress")];
        let with = |extra: &[(&str, &str)]| {
            let mut p = pairs(&base);
            p.extend(pairs(extra));
            p
        };
        assert_eq!(infer_kind(&with(&[]), true), EventKind::CallRequested);
        assert_eq!(infer_kind(&with(&[]), false), EventKind::CallRedirected);
        assert_eq!(
            infer_kind(&with(&[("Digits", "2")]), false),
            EventKind::GatherFinished
        );
        assert_eq!(
            infer_kind(&with(&[("SpeechResult", "sales")]), false),
            EventKind::GatherFinished
        );
        // A <Dial record> action carries a RecordingUrl too; a <Record> one Digits too.
        assert_eq!(
            infer_kind(
                &with(&[("DialCallStatus", "busy"), ("RecordingUrl", "u")]),
                false
            ),
            EventKind::DialFinished
        );
        assert_eq!(
            infer_kind(&with(&[("RecordingUrl", "u"), ("Digits", "#")]), false),
            EventKind::RecordFinished
        );
        assert_eq!(
            infer_kind(&with(&[("QueueResult", "hangup")]), false),
            EventKind::EnqueueFinished
        );
        // A status callback is one even as the first request of its call.
        assert_eq!(
            infer_kind(&with(&[("CallbackSource", "call-progress-events")]), true),
            EventKind::StatusCallback
        );
        // An empty marker is no marker.
        assert_eq!(
            infer_kind(&with(&[("Digits", "")]), false),
            EventKind::CallRedirected
        );
    }

    fn exchange() -> Exchange {
        Exchange {
            id: "PX1".into(),
            source: PROXY_SOURCE,
            started: Some(at()),
            method: "POST".into(),
            url: "https://abc.ngrok.app/menu".into(),
            target: "http://127.0.0.1:3000/menu".into(),
            params: pairs(&[("CallSid", "CAabc"), ("Digits", "2")]),
            request_headers: pairs(&[("host", "abc.ngrok.app")]),
            status: Some(200),
            response_headers: pairs(&[("content-type", "text/xml")]),
            body: b"<Response><Say>Hi</Say></Response>".to_vec(),
            body_bytes: 34,
            latency: Duration::from_micros(12_345),
            failure: None,
            resend_of: None,
        }
    }

    #[test]
    fn an_exchange_reads_like_a_twiml_event() {
        let ev = exchange().event(EventKind::GatherFinished, at());
        assert!(ev.invalid.is_none(), "{:?}", ev.invalid);
        assert_eq!(ev.kind, EventKind::GatherFinished);
        assert_eq!(ev.type_name(), "com.twilio.voice.twiml.gather.finished");
        assert_eq!(ev.call_sid.as_ref().unwrap().as_str(), "CAabc");
        assert_eq!(ev.response_code, Some(200));
        assert_eq!(ev.duration_ms, Some(12));
        assert_eq!(ev.url(), "https://abc.ngrok.app/menu");
        assert_eq!(ev.parameter("Digits").as_deref(), Some("2"));
        assert_eq!(ev.content_type().as_deref(), Some("text/xml"));
        let b64 = ev.response_body().unwrap();
        let text = crate::domain::twiml::decode(&b64).text;
        assert_eq!(text, "<Response><Say>Hi</Say></Response>");
        let facts = ProxyFacts::of(&ev).unwrap();
        assert_eq!(facts.latency, Duration::from_micros(12_345));
        assert_eq!(facts.request_headers, pairs(&[("host", "abc.ngrok.app")]));
        assert_eq!(facts.target, "http://127.0.0.1:3000/menu");
        assert!(!facts.truncated);
        assert_eq!(facts.error_code, None);
    }

    #[test]
    fn a_failure_is_a_request_failed_event_with_twilios_code() {
        let mut ex = exchange();
        ex.status = None;
        ex.body.clear();
        ex.failure = Some(Failure::TimedOut(Duration::from_secs(15)));
        let ev = ex.event(EventKind::GatherFinished, at());
        assert_eq!(ev.kind, EventKind::RequestFailed);
        assert_eq!(ev.response_code, None);
        let facts = ProxyFacts::of(&ev).unwrap();
        assert_eq!(facts.error_code, Some(11205));
        assert!(facts.error.unwrap().contains("within 15.0 s"));
        assert_eq!(Failure::Unreachable("refused".into()).code(), 11200);
    }

    #[test]
    fn a_proxied_status_callback_keeps_its_order_and_time() {
        let mut ex = exchange();
        ex.params = pairs(&[
            ("CallSid", "CAabc"),
            ("CallStatus", "ringing"),
            ("CallbackSource", "call-progress-events"),
            ("SequenceNumber", "1"),
            ("Timestamp", "Tue, 10 Feb 2026 14:03:07 +0000"),
        ]);
        let ev = ex.event(infer_kind(&ex.params, false), at());
        assert_eq!(ev.kind, EventKind::StatusCallback);
        assert_eq!(ev.type_name(), STATUS_CALLBACK_TYPE);
        assert_eq!(ev.sequence, Some(1));
        assert_eq!(ev.time_source, TimeSource::FormTimestamp);
    }

    #[test]
    fn request_pairs_spread_repeated_keys_back_out() {
        let mut ex = exchange();
        ex.params = pairs(&[("CallSid", "CA1"), ("Digits", "1"), ("Digits", "2")]);
        let ev = ex.event(EventKind::GatherFinished, at());
        assert_eq!(request_pairs(&ev), ex.params);
    }

    #[test]
    fn edits_set_add_and_remove() {
        let p = pairs(&[("CallSid", "CA1"), ("Digits", "1"), ("Digits", "2")]);
        let edits = Edit::parse_all("Digits=3 SpeechResult=sales -CallSid").unwrap();
        assert_eq!(
            apply_edits(&p, &edits),
            pairs(&[("Digits", "3"), ("SpeechResult", "sales")])
        );
        assert_eq!(
            Edit::parse("Digits=").unwrap(),
            Edit::Set("Digits".into(), String::new())
        );
        assert!(Edit::parse("Digits").unwrap_err().contains("Name=value"));
        assert!(Edit::parse("-").is_err());
        assert!(Edit::parse("=3").is_err());
    }

    #[test]
    fn params_text_round_trips_and_refuses_garbage() {
        let p = pairs(&[
            ("CallSid", "CA1"),
            ("SpeechResult", "a=b c"),
            ("Odd\\name=", "two\nlines\r and \\ one"),
            ("Digits", ""),
        ]);
        let text = params_text("PX1 (POST https://x.test/menu)", &p);
        assert!(text.starts_with("# twimon: the parameters of PX1 (POST https://x.test/menu)"));
        assert!(text.contains("\nSpeechResult=a=b c\n"), "{text}");
        assert!(
            text.contains("\nOdd\\\\name\\==two\\nlines\\r and \\\\ one\n"),
            "{text}"
        );
        assert_eq!(parse_params_text(&text).unwrap(), p);
        // An editor's CRLF line ends and blank lines are fine.
        assert_eq!(
            parse_params_text("# c\r\n\r\nDigits=7\r\n").unwrap(),
            pairs(&[("Digits", "7")])
        );
        for (bad, says) in [
            (
                "CallSid=CA1\nnonsense\n",
                "line 2: \"nonsense\" is not Name=value",
            ),
            ("# x\n=3\n", "line 2: \"=3\" has no parameter name"),
            (
                "Call Sid=CA1\n",
                "line 1: \"Call Sid\": a parameter name has no spaces",
            ),
            ("A=1\nB=x\\q\n", "line 2: \\q is not an escape"),
            ("A=x\\\n", "line 1: a lone \\ ends the line"),
        ] {
            let err = parse_params_text(bad).unwrap_err();
            assert!(err.starts_with(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn a_replaced_list_is_taken_whole() {
        let p = pairs(&[("CallSid", "CA1"), ("Digits", "1")]);
        let all = pairs(&[("CallSid", "CA1"), ("Digits", "7"), ("Digits", "8")]);
        assert_eq!(apply_edits(&p, &[Edit::Replace(all.clone())]), all);
    }
}
