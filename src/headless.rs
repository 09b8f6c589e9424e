//! Headless output: the same pipeline as the monitor, with a printer instead of the UI.

use std::io::Write;

use serde_json::{Value, json};

use crate::cli::Format;
use crate::domain::Event;
use crate::domain::twiml;
use crate::safe;

/// Formats one event as an aligned text line (no trailing newline). Every payload string is
/// made terminal-safe.
pub fn text_line(ev: &Event) -> String {
    let time = ev.time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let kind = match ev.kind {
        crate::domain::EventKind::Other => safe::line(&ev.type_name).into_owned(),
        k => k.short().to_owned(),
    };
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
    } else if ev.url.is_empty() {
        "-".to_owned()
    } else {
        format!("{} {}", safe::line(&ev.method), safe::line(&ev.url))
    };
    format!("{time}  {kind:<16}  {call:<34}  {code:>3}  {dur:>7}  {target}")
}

/// The NDJSON object of one event (schema in the README).
pub fn json_value(ev: &Event) -> Value {
    let data = ev.data();
    let get = |path: &[&str]| -> Value {
        let mut v = data.as_ref();
        for p in path {
            v = v.and_then(|x| x.get(*p));
        }
        v.cloned().unwrap_or(Value::Null)
    };
    let decoded = ev
        .response_body()
        .filter(|b| !b.trim().is_empty())
        .map(|b| twiml::decode(&b));
    json!({
        "seq": ev.seq,
        "id": ev.id.as_ref(),
        "type": ev.type_name.as_ref(),
        "kind": ev.kind.short(),
        "source": ev.source.as_ref(),
        "time": ev.time.to_string(),
        "time_source": ev.time_source.as_str(),
        "arrival": ev.arrival.to_string(),
        "call_sid": ev.call_sid.as_ref().map(super::domain::event::CallSid::as_str),
        "request": {
            "method": (!ev.method.is_empty()).then_some(ev.method.as_ref()),
            "url": (!ev.url.is_empty()).then_some(ev.url.as_ref()),
            "parameters": get(&["request", "parameters"]),
        },
        "response": {
            "code": ev.response_code,
            "duration_ms": ev.duration_ms,
            "content_type": get(&["response", "contentType"]),
        },
        "twiml": decoded.as_ref().filter(|d| d.base64_error.is_none()).map(|d| d.text.as_str()),
        "twiml_error": decoded.as_ref().and_then(twiml::Decoded::problem),
        "signature": ev.signature.as_str(),
        "invalid": ev.invalid.as_deref(),
        "raw": ev.invalid.is_some().then_some(ev.raw.as_ref()),
    })
}

/// Writes one event in the chosen format, newline-terminated.
pub fn write_event(out: &mut impl Write, ev: &Event, format: Format) -> std::io::Result<()> {
    match format {
        Format::Text => writeln!(out, "{}", text_line(ev)),
        Format::Json => {
            serde_json::to_writer(&mut *out, &json_value(ev))?;
            out.write_all(b"\n")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::parse_delivery;

    const SEED: &str = include_str!("../assets/samples/seed/02-call-redirected.json");

    fn event() -> Event {
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let mut ev = parse_delivery(SEED.as_bytes(), now).unwrap().remove(0);
        ev.seq = 7;
        ev
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
        assert_eq!(v["request"]["parameters"], json!({}));
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
    fn hostile_text_is_neutralised() {
        let now = "2026-11-28T12:00:00Z".parse().unwrap();
        let body = r#"{"type":"com.twilio.voice.twiml.call.requested","id":"1","data":{"request":{"method":"POST","url":"https://x.test/\u001b]0;owned\u0007"}}}"#;
        let ev = parse_delivery(body.as_bytes(), now).unwrap().remove(0);
        let line = text_line(&ev);
        assert!(!line.contains('\x1b'));
        assert!(line.contains("␛]0;owned␇"));
    }
}
