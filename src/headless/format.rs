//! The headless line formats: an aligned text line, or one NDJSON object per event.

use std::borrow::Cow;
use std::io::Write;

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::domain::{CallSid, Event};
use crate::domain::{check, codes, family, lint};
use crate::text::safe;

/// How events are printed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Format {
    /// One aligned line per event.
    #[default]
    Text,
    /// One JSON object per event (NDJSON), for jq.
    Json,
}

/// How events are printed, beside the format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Mask phone numbers, speech, caller names and recording URLs (`--mask`); SIDs stay.
    pub mask: bool,
}

/// Formats one event as an aligned text line (no trailing newline). Every payload string is
/// made terminal-safe.
pub fn text_line(ev: &Event) -> String {
    text_line_with(ev, Options::default())
}

/// [`text_line`], masked when `opts.mask` is set.
pub fn text_line_with(ev: &Event, opts: Options) -> String {
    let mut time = ev.time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    if ev.time_unreadable().is_some() {
        // Not the event's own time: its `time` was unreadable (NDJSON has it as time_sent).
        time.push('?');
    }
    let kind = safe::line(&ev.label()).into_owned();
    let call = ev
        .call_sid
        .as_ref()
        .map_or_else(|| "-".to_owned(), |c| safe::line(c.as_str()).into_owned());
    let code = ev
        .response_code
        .map_or_else(|| "-".to_owned(), |c| c.to_string());
    let dur = ev
        .duration_ms
        .map_or_else(|| "-".to_owned(), |d| format!("{d}ms"));
    let target = if let Some(reason) = &ev.invalid {
        format!("INVALID: {}", safe::line(reason))
    } else if ev.url().is_empty() {
        "-".to_owned()
    } else {
        format!("{} {}", safe::line(ev.method()), safe::line(ev.url()))
    };
    let target = if opts.mask {
        crate::text::mask::text(&target).into_owned()
    } else {
        target
    };
    format!("{time}  {kind:<16}  {call:<34}  {code:>3}  {dur:>7}  {target}")
}

/// One NDJSON line (schema in the README), borrowing from the event: the request parameters
/// are copied through as raw JSON, nothing is built as a `serde_json::Value`.
#[derive(Serialize)]
struct Line<'a> {
    seq: u64,
    id: &'a str,
    #[serde(rename = "type")]
    ty: &'a str,
    kind: &'static str,
    source: &'a str,
    time: String,
    time_source: &'static str,
    /// The `time` the sender gave, when it was unreadable (then `time` is a fallback).
    #[serde(skip_serializing_if = "Option::is_none")]
    time_sent: Option<Cow<'a, str>>,
    arrival: String,
    call_sid: Option<&'a str>,
    request: Request<'a>,
    response: Response<'a>,
    twiml: Option<Cow<'a, str>>,
    twiml_error: Option<String>,
    /// TwiML check findings; empty for clean TwiML and for bodies that are not TwiML.
    lint: Cow<'a, [lint::Finding]>,
    /// The event's family (by type prefix): twiml, progress, status-callback, api…
    family: &'static str,
    /// The codes Twilio's Debugger would log for this request (inferred).
    error_codes: Vec<codes::ErrorCode>,
    signature: &'static str,
    invalid: Option<Cow<'a, str>>,
    raw: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Request<'a> {
    method: Option<&'a str>,
    url: Option<Cow<'a, str>>,
    parameters: Option<Cow<'a, RawValue>>,
}

/// Raw JSON with the whitespace between tokens removed when it spans lines (a pretty-printed
/// delivery), so that it cannot break an NDJSON line. JSON strings hold no raw line breaks, so
/// only whitespace outside strings goes.
fn one_line(raw: &RawValue) -> Cow<'_, RawValue> {
    let text = raw.get();
    if !text.contains('\n') && !text.contains('\r') {
        return Cow::Borrowed(raw);
    }
    let mut out = String::with_capacity(text.len());
    let (mut in_string, mut escaped) = (false, false);
    for c in text.chars() {
        if in_string {
            out.push(c);
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
        } else if !c.is_ascii_whitespace() {
            in_string = c == '"';
            out.push(c);
        }
    }
    RawValue::from_string(out).map_or(Cow::Borrowed(raw), Cow::Owned)
}

#[derive(Serialize)]
struct Response<'a> {
    code: Option<u16>,
    duration_ms: Option<u32>,
    content_type: Option<&'a str>,
}

fn write_json(out: &mut impl Write, ev: &Event, opts: Options) -> std::io::Result<()> {
    let parts = ev.parts();
    let body = parts
        .response_body
        .as_deref()
        .filter(|b| !b.trim().is_empty());
    // The source decoded and checked this body on this worker thread: the verdict is cached
    // under the key its stamp hashed.
    let checked = body.and_then(|_| check::of_event(ev));
    let (twiml, twiml_error, lint) = match &checked {
        Some(c) => (c.text.as_deref(), c.problem.clone(), c.findings.as_slice()),
        None => (None, None, &[][..]),
    };
    let line = Line {
        seq: ev.seq,
        id: ev.id(),
        ty: ev.type_name(),
        kind: ev.kind.short(),
        source: ev.source(),
        time: ev.time.to_string(),
        time_source: ev.time_source.as_str(),
        time_sent: ev.time_unreadable().map(safe::line),
        arrival: ev.arrival.to_string(),
        call_sid: ev.call_sid.as_ref().map(CallSid::as_str),
        request: Request {
            method: (!ev.method().is_empty()).then_some(ev.method()),
            url: (!ev.url().is_empty()).then_some(Cow::Borrowed(ev.url())),
            parameters: parts.parameters.map(one_line),
        },
        response: Response {
            code: ev.response_code,
            duration_ms: ev.duration_ms,
            content_type: parts.content_type.as_deref(),
        },
        twiml: twiml.map(Cow::Borrowed),
        twiml_error,
        lint: Cow::Borrowed(lint),
        family: family::Stream::of(ev.type_name()).as_str(),
        error_codes: codes::infer(
            ev,
            checked
                .as_deref()
                .map(codes::Answer::from)
                .unwrap_or_default(),
        ),
        signature: ev.signature.as_str(),
        invalid: ev.invalid.as_deref().map(Cow::Borrowed),
        raw: ev.invalid.is_some().then_some(Cow::Borrowed(&*ev.raw)),
    };
    let line = if opts.mask { masked(line) } else { line };
    serde_json::to_writer(&mut *out, &line)?;
    out.write_all(b"\n")
}

/// The personal strings of a line masked: the URL, the parameters (by name), the TwiML, the
/// findings' words and an invalid event's JSON. SIDs, ids and the source stay.
fn masked(mut line: Line<'_>) -> Line<'_> {
    use crate::text::mask;
    fn text(s: Cow<'_, str>) -> Cow<'_, str> {
        let masked = match mask::text(&s) {
            Cow::Owned(m) => Some(m),
            Cow::Borrowed(_) => None,
        };
        masked.map_or(s, Cow::Owned)
    }
    let json = |raw: &str| {
        let mut v: Value = serde_json::from_str(raw).ok()?;
        mask::json(&mut v);
        serde_json::to_string(&v).ok()
    };
    line.request.url = line.request.url.map(text);
    line.request.parameters = line.request.parameters.map(|p| {
        json(p.get())
            .and_then(|s| RawValue::from_string(s).ok())
            .map_or(p, Cow::Owned)
    });
    line.twiml = line.twiml.map(text);
    line.twiml_error = line.twiml_error.map(|e| text(Cow::Owned(e)).into_owned());
    if line
        .lint
        .iter()
        .any(|f| mask::text(&f.message) != f.message)
    {
        line.lint = Cow::Owned(
            line.lint
                .iter()
                .map(|f| lint::Finding {
                    message: mask::text(&f.message).into_owned(),
                    ..f.clone()
                })
                .collect(),
        );
    }
    line.invalid = line.invalid.map(text);
    line.raw = line
        .raw
        .map(|r| json(&r).map_or_else(|| text(r), Cow::Owned));
    line
}

/// The NDJSON object of one event, as a value (for callers that inspect it).
pub fn json_value(ev: &Event) -> Value {
    let mut buf = Vec::new();
    if write_json(&mut buf, ev, Options::default()).is_err() {
        return Value::Null;
    }
    serde_json::from_slice(&buf).unwrap_or(Value::Null)
}

/// Writes one event in the chosen format, newline-terminated.
pub fn write_event(out: &mut impl Write, ev: &Event, format: Format) -> std::io::Result<()> {
    write_event_with(out, ev, format, Options::default())
}

/// [`write_event`] with [`Options`] (`--mask`).
pub fn write_event_with(
    out: &mut impl Write,
    ev: &Event,
    format: Format,
    opts: Options,
) -> std::io::Result<()> {
    match format {
        Format::Text => writeln!(out, "{}", text_line_with(ev, opts)),
        Format::Json => write_json(out, ev, opts),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::parse_delivery;

    const SEED: &str = include_str!("../../assets/samples/seed/02-call-redirected.json");

    fn event() -> Event {
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let mut ev = parse_delivery(SEED.as_bytes(), now).unwrap().remove(0);
        ev.seq = 7;
        ev
    }

    #[test]
    fn an_unreadable_time_is_kept_as_sent_and_marked() {
        let body = r#"[{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/t","id":"far","time":"9999-12-31T23:59:59Z","data":{"sid":"CA1"}}]"#;
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let ev = parse_delivery(body.as_bytes(), now).unwrap().remove(0);
        let v = json_value(&ev);
        assert_eq!(v["time_sent"], "9999-12-31T23:59:59Z", "{v}");
        assert_eq!(v["time_source"], "arrival", "{v}");
        assert_eq!(v["time"], "2026-11-28T12:00:00Z", "{v}");
        assert!(crate::text::format::clock(&ev).ends_with('?'));
        assert!(!crate::text::format::clock(&event()).ends_with('?'));
        // A readable time has no `time_sent`.
        assert!(json_value(&event()).get("time_sent").is_none());
    }

    #[test]
    fn text_line_is_aligned() {
        assert_eq!(
            text_line(&event()),
            "2025-01-01T00:00:00.000Z  call.redirected   CA0000000000000000000000000000001   200    140ms  POST https://mycompany.com/an-endpoint"
        );
    }

    #[test]
    fn json_has_the_documented_fields() {
        let v = json_value(&event());
        assert_eq!(v["seq"], 7);
        assert_eq!(v["type"], "com.twilio.voice.twiml.call.redirected");
        assert_eq!(v["call_sid"], "CA0000000000000000000000000000001");
        assert_eq!(v["time_source"], "data.timestamp");
        assert_eq!(v["request"]["method"], "POST");
        assert_eq!(v["request"]["parameters"], serde_json::json!({}));
        assert_eq!(v["response"]["code"], 200);
        assert_eq!(v["response"]["duration_ms"], 140);
        assert_eq!(
            v["response"]["content_type"],
            "application/xml;charset=UTF-8"
        );
        assert!(
            v["twiml"]
                .as_str()
                .unwrap()
                .contains("<Redirect method=\"POST\">https://mycompany.com/an-endpoint</Redirect>")
        );
        assert_eq!(v["twiml_error"], Value::Null);
        assert_eq!(v["invalid"], Value::Null);
    }

    #[test]
    fn pretty_printed_parameters_stay_on_one_line() {
        let raw: Box<RawValue> =
            serde_json::from_str("{\n  \"Digits\": \"1 2\",\n  \"Q\": \"a\\\"b\\n\"\n}").unwrap();
        assert_eq!(one_line(&raw).get(), r#"{"Digits":"1 2","Q":"a\"b\n"}"#);
        let compact: Box<RawValue> = serde_json::from_str(r#"{"A": "x"}"#).unwrap();
        assert!(matches!(one_line(&compact), Cow::Borrowed(_)));
    }

    #[test]
    fn twiml_findings_are_listed() {
        use base64::Engine as _;
        let twiml = "<Response><Sya>Hi</Sya></Response>";
        let b64 = base64::engine::general_purpose::STANDARD.encode(twiml);
        let body = format!(
            r#"{{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{{"response":{{"responseBody":"{b64}"}}}}}}"#
        );
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let ev = parse_delivery(body.as_bytes(), now).unwrap().remove(0);
        let v = json_value(&ev);
        assert_eq!(v["lint"][0]["code"], "unknown-verb");
        assert_eq!(v["lint"][0]["severity"], "warning");
        assert_eq!(v["error_codes"][0]["code"], 12200);
        assert_eq!(v["family"], "twiml");
        assert_eq!(v["error_codes"][0]["inferred"], true);
        assert_eq!(
            v["error_codes"][0]["url"],
            "https://www.twilio.com/docs/api/errors/12200"
        );
        assert_eq!(
            json_value(&event())["lint"].as_array().map(Vec::len),
            Some(1),
            "the seed's empty <Say>"
        );
    }

    #[test]
    fn masked_output_holds_no_full_number() {
        use base64::Engine as _;
        let twiml = "<Response><Say>Call 415-555-0142.</Say><Dial callerId=\"+18005550199\">\
            <Number>+14155550123</Number><Sip>sip:alice@pbx.test</Sip></Dial></Response>";
        let b64 = base64::engine::general_purpose::STANDARD.encode(twiml);
        let hand = format!(
            r#"{{"type":"com.twilio.voice.twiml.gather.finished","id":"m1","data":{{"sid":"CA866a9ca9f30dd8f84f9984ce99a9ca31",
            "request":{{"method":"POST","url":"https://x.test/menu?From=%2B14155550100","parameters":{{
            "From":"+14155550100","To":"+18005550199","CallerName":"Alice Smith",
            "SpeechResult":"I want to check my order status"}}}},
            "response":{{"responseCode":200,"responseBody":"{b64}"}}}}}}"#
        );
        let invalid = r#"{"id":"bad","data":{"request":{"parameters":{"From":"+14155550100"}}}}"#;
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let mut events = Vec::new();
        for body in [
            include_str!("../../assets/samples/flows/ivr-sales-call.json"),
            include_str!("../../assets/samples/events/07-record-finished.json"),
            &hand,
            invalid,
        ] {
            events.extend(parse_delivery(body.as_bytes(), now).unwrap());
        }
        let mut plain = Vec::new();
        let mut masked = Vec::new();
        for format in [Format::Text, Format::Json] {
            for ev in &events {
                write_event(&mut plain, ev, format).unwrap();
                write_event_with(&mut masked, ev, format, Options { mask: true }).unwrap();
            }
        }
        let (plain, masked) = (
            String::from_utf8(plain).unwrap(),
            String::from_utf8(masked).unwrap(),
        );
        for secret in [
            "+1415555",
            "+1800555",
            "%2B1415555",
            "415-555-0142",
            "sip:alice",
            "Alice Smith",
            "order status",
            // The URL, not the SID: SIDs stay (a `RecordingSid` parameter is shown whole).
            "Recordings/RE0f27aa7931cee1f1c5bf80b31ad2725b",
        ] {
            assert!(plain.contains(secret), "the sample shows {secret}");
            assert!(!masked.contains(secret), "{secret} in {masked}");
        }
        for kept in [
            "+1415•••0100",
            "+1415•••0123",
            "415-•••-0142",
            "sip:ali•••@…",
            "A•••",
            "«speech, 31 chars»",
            "https://api.twilio.com/…/RE•••725b",
            "CA866a9ca9f30dd8f84f9984ce99a9ca31",
        ] {
            assert!(masked.contains(kept), "{kept} missing from {masked}");
        }
        // Still one JSON object a line.
        for line in masked.lines().filter(|l| l.starts_with('{')) {
            serde_json::from_str::<Value>(line).unwrap();
        }
    }

    #[test]
    fn hostile_text_is_neutralised() {
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let body = r#"{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{"request":{"method":"POST","url":"https://x.test/\u001b]0;owned\u0007"}}}"#;
        let ev = parse_delivery(body.as_bytes(), now).unwrap().remove(0);
        let line = text_line(&ev);
        assert!(!line.contains('\x1b'));
        assert!(line.contains("␛]0;owned␇"));
    }
}
