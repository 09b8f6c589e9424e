//! The error codes Twilio's Debugger would log for a request, inferred from what its event
//! shows: the response code, its duration, the Content-Type and the body's check verdict.
//!
//! These are inferences ("would log"), never Twilio's own word: Twilio's real codes arrive
//! as error-log events. Each code comes with its one-line meaning and Twilio's page about it.

use serde::Serialize;

use super::event::{Event, EventKind};
use super::lint::{Finding, code};

/// Twilio's TwiML webhook time-out.
pub const TIMEOUT_MS: u32 = 15_000;
/// The largest TwiML response Twilio accepts.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Warning,
    Error,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Error => "error",
        }
    }
}

/// One code Twilio would log for the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorCode {
    pub code: u16,
    pub level: Level,
    /// Twilio's one-line name for it.
    pub meaning: &'static str,
    /// The fact of this request that implies it (`HTTP 502`, `took 15.2 s`).
    pub why: String,
    /// Always `true` here: derived, not reported by Twilio.
    pub inferred: bool,
    /// Twilio's page for the code.
    pub url: String,
}

/// Twilio's page about `code`.
pub fn url(code: u16) -> String {
    format!("https://www.twilio.com/docs/api/errors/{code}")
}

/// The codes, their level and meaning: one place for the words.
const CODES: &[(u16, Level, &str)] = &[
    (11200, Level::Error, "HTTP retrieval failure"),
    (11205, Level::Error, "HTTP connection failure"),
    (11750, Level::Error, "TwiML response body too large"),
    (12100, Level::Error, "Document parse failure"),
    (12200, Level::Warning, "Schema validation warning"),
    (12300, Level::Error, "Invalid Content-Type"),
    (
        15003,
        Level::Warning,
        "Call Progress: Warning Response to Callback URL",
    ),
];

fn make(code: u16, why: String) -> ErrorCode {
    let (level, meaning) = CODES
        .iter()
        .find(|(c, _, _)| *c == code)
        .map_or((Level::Error, ""), |(_, l, m)| (*l, *m));
    ErrorCode {
        code,
        level,
        meaning,
        why,
        inferred: true,
        url: url(code),
    }
}

/// What the body's check found, in the terms this needs (from a `check::Checked` or a
/// `twiml::Decoded`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Answer<'a> {
    /// The decoded body; `None` when there is none or its base64 is bad (Event Streams'
    /// encoding, not what Twilio read).
    pub text: Option<&'a str>,
    /// The body is not well-formed XML.
    pub not_xml: bool,
    pub findings: &'a [Finding],
}

impl<'a> From<&'a super::check::Checked> for Answer<'a> {
    fn from(c: &'a super::check::Checked) -> Self {
        Answer {
            text: c.text.as_deref(),
            not_xml: c.text.is_some() && c.problem.is_some(),
            findings: &c.findings,
        }
    }
}

impl<'a> From<(&'a super::twiml::Decoded, &'a [Finding])> for Answer<'a> {
    fn from((d, findings): (&'a super::twiml::Decoded, &'a [Finding])) -> Self {
        let text = d.base64_error.is_none().then_some(d.text.as_str());
        Answer {
            text,
            not_xml: text.is_some_and(|t| !t.trim().is_empty()) && d.error.is_some(),
            findings,
        }
    }
}

/// Lint codes that are schema problems to Twilio (12200).
const SCHEMA: &[&str] = &[
    code::UNKNOWN_VERB,
    code::UNKNOWN_NOUN,
    code::UNKNOWN_ATTRIBUTE,
    code::ILLEGAL_NESTING,
    code::BAD_ATTRIBUTE,
];

/// Whether Twilio fetched TwiML with this request (vs. posting a status callback).
fn is_twiml_fetch(ev: &Event) -> bool {
    EventKind::TWIML.contains(&ev.kind)
}

/// A status callback: a classic one, or an Event Streams `…status-callback…` event.
fn is_status_callback(ev: &Event) -> bool {
    ev.kind == EventKind::StatusCallback || ev.type_name().contains(".status-callback.")
}

/// Content-Types Twilio executes or plays: XML (TwiML), HTML (parsed as TwiML) and audio.
/// `text/plain`, JSON and the rest are 12300.
fn playable(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    essence.ends_with("/xml")
        || essence.ends_with("+xml")
        || essence == "text/html"
        || essence.starts_with("audio/")
}

/// The codes Twilio would log for `ev`, whose body checked as `answer`, in code order.
pub fn infer(ev: &Event, answer: Answer<'_>) -> Vec<ErrorCode> {
    let mut out = Vec::new();
    let fetch = is_twiml_fetch(ev);
    let callback = is_status_callback(ev);
    if !fetch && !callback {
        return out;
    }
    let timed_out = ev.duration_ms.is_some_and(|ms| ms >= TIMEOUT_MS);
    if timed_out {
        let ms = ev.duration_ms.unwrap_or_default();
        out.push(make(
            11205,
            format!(
                "took {}.{} s (Twilio waits 15 s)",
                ms / 1000,
                ms % 1000 / 100
            ),
        ));
    }
    let failed_status = ev.response_code.filter(|c| *c >= 400);
    if callback {
        if let Some(status) = failed_status {
            out.push(make(15003, format!("the callback got HTTP {status}")));
        }
        return out;
    }
    // A time-out's response code is Twilio's own, not the app's.
    if !timed_out {
        match failed_status {
            Some(status) => out.push(make(11200, format!("HTTP {status} (or 11217)"))),
            None if ev.kind == EventKind::RequestFailed => {
                out.push(make(11200, "request.failed with no response".to_owned()));
            }
            None => {}
        }
    }
    // The body of an error answer is an error page Twilio does not read as TwiML.
    if failed_status.is_some() || timed_out || ev.kind == EventKind::RequestFailed {
        out.sort_by_key(|c| c.code);
        return out;
    }
    let text = answer.text.unwrap_or_default();
    let content_type = ev.content_type().unwrap_or_default();
    let has_body = !text.trim().is_empty();
    // Only with a response code: an event without one says nothing about the headers.
    if ev.response_code.is_some() {
        if content_type.trim().is_empty() {
            out.push(make(12300, "no Content-Type".to_owned()));
        } else if !playable(&content_type) {
            out.push(make(
                12300,
                format!("Content-Type {}", clip(content_type.trim(), 40)),
            ));
        }
    }
    if text.len() > MAX_BODY_BYTES {
        out.push(make(
            11750,
            format!("body of {} KiB (the limit is 64 kB)", text.len() / 1024),
        ));
    }
    // Twilio parses the body as XML only when it says it is XML (or says nothing); a JSON
    // answer is already 12300, not also a parse failure.
    let read_as_xml = content_type.trim().is_empty()
        || (playable(&content_type)
            && !content_type
                .trim()
                .to_ascii_lowercase()
                .starts_with("audio/"));
    if has_body && read_as_xml {
        let before_declaration = text
            != text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
            && text
                .trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
                .starts_with("<?xml");
        if answer.not_xml {
            out.push(make(12100, "the body is not well-formed XML".to_owned()));
        } else if before_declaration {
            out.push(make(12100, "a BOM or whitespace before <?xml".to_owned()));
        }
        let schema = answer
            .findings
            .iter()
            .filter(|f| SCHEMA.contains(&f.code))
            .count();
        if schema > 0 {
            let s = if schema == 1 { "" } else { "s" };
            out.push(make(12200, format!("{schema} schema finding{s}")));
        }
    }
    out.sort_by_key(|c| c.code);
    out
}

fn clip(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((end, _)) => format!("{}…", s.get(..end).unwrap_or_default()),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::check::checked;
    use crate::domain::delivery::parse_delivery;
    use base64::Engine as _;

    /// An event from a delivery whose one element has these `data` fields.
    fn event(ty: &str, response: &str) -> Event {
        let body = format!(
            r#"[{{"specversion":"1.0","type":"{ty}","source":"/v1","id":"EV1","time":"2026-11-28T12:00:00Z",
              "data":{{"sid":"CA1","request":{{"method":"POST","url":"https://x/voice","parameters":{{"CallSid":"CA1"}}}},
              "response":{{{response}}}}}}}]"#
        );
        let now = "2026-11-28T12:00:01Z".parse().unwrap();
        parse_delivery(body.as_bytes(), now).unwrap().remove(0)
    }

    fn twiml_response(code: u16, ms: u32, content_type: &str, twiml: &str) -> String {
        let b64 = base64::engine::general_purpose::STANDARD.encode(twiml);
        format!(
            r#""responseCode":{code},"requestDuration":{ms},"contentType":"{content_type}","responseBody":"{b64}""#
        )
    }

    const REQUESTED: &str = "com.twilio.voice.twiml.call.requested";
    const GOOD: &str =
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>Hi</Say></Response>";

    /// The codes inferred for `ev`, with its body checked as the sources do.
    fn codes(ev: &Event) -> Vec<u16> {
        let body = ev.response_body().filter(|b| !b.trim().is_empty());
        let c = body.map(|b| checked(&b));
        let answer = c.as_deref().map(Answer::from).unwrap_or_default();
        infer(ev, answer).iter().map(|c| c.code).collect()
    }

    #[test]
    fn a_clean_answer_logs_nothing() {
        let ev = event(
            REQUESTED,
            &twiml_response(200, 120, "application/xml", GOOD),
        );
        assert_eq!(codes(&ev), [0u16; 0]);
        let ev = event(
            REQUESTED,
            &twiml_response(200, 120, "text/xml; charset=utf-8", GOOD),
        );
        assert_eq!(codes(&ev), [0u16; 0]);
        let ev = event(REQUESTED, &twiml_response(200, 120, "audio/mpeg", "ID3..."));
        assert_eq!(codes(&ev), [0u16; 0]);
    }

    #[test]
    fn error_responses_are_11200() {
        let ev = event(
            REQUESTED,
            &twiml_response(502, 300, "text/html", "<html>Bad gateway"),
        );
        let c = infer(&ev, Answer::default());
        assert_eq!(c.len(), 1, "{c:?}");
        assert_eq!(c[0].code, 11200);
        assert_eq!(c[0].meaning, "HTTP retrieval failure");
        assert_eq!(c[0].why, "HTTP 502 (or 11217)");
        assert_eq!(c[0].url, "https://www.twilio.com/docs/api/errors/11200");
        assert!(c[0].inferred);
        let ev = event(
            REQUESTED,
            &twiml_response(404, 30, "text/plain", "not found"),
        );
        assert_eq!(codes(&ev), [11200]);
        // request.failed without any response.
        let ev = event(
            "com.twilio.voice.twiml.request.failed",
            r#""requestDuration":40"#,
        );
        assert_eq!(codes(&ev), [11200]);
    }

    #[test]
    fn a_failing_status_callback_is_15003() {
        let ev = event(
            "com.twilio.voice.status-callback.call.completed",
            r#""responseCode":500,"requestDuration":80"#,
        );
        let c = infer(&ev, Answer::default());
        assert_eq!(c.iter().map(|c| c.code).collect::<Vec<_>>(), [15003]);
        assert_eq!(c[0].level, Level::Warning);
        let ev = event(
            "com.twilio.voice.status-callback.call.completed",
            r#""responseCode":200,"requestDuration":80"#,
        );
        assert_eq!(codes(&ev), [0u16; 0]);
    }

    #[test]
    fn a_wrong_or_missing_content_type_is_12300() {
        let ev = event(
            REQUESTED,
            &twiml_response(200, 90, "application/json", r#"{"a":1}"#),
        );
        assert_eq!(codes(&ev), [12300]);
        let ev = event(REQUESTED, &twiml_response(200, 90, "", GOOD));
        let c = infer(&ev, Answer::default());
        assert_eq!(c[0].why, "no Content-Type");
        assert_eq!(codes(&ev), [12300]);
    }

    #[test]
    fn xml_that_is_not_well_formed_is_12100() {
        let ev = event(
            REQUESTED,
            &twiml_response(200, 90, "text/xml", "<Response><Say>a & b</Response>"),
        );
        assert_eq!(codes(&ev), [12100]);
        let ev = event(
            REQUESTED,
            &twiml_response(200, 90, "text/xml", &format!("\n  {GOOD}")),
        );
        assert_eq!(codes(&ev), [12100]);
        let ev = event(
            REQUESTED,
            &twiml_response(200, 90, "text/xml", &format!("\u{feff}{GOOD}")),
        );
        assert_eq!(codes(&ev), [12100]);
    }

    #[test]
    fn schema_findings_are_12200() {
        let ev = event(
            REQUESTED,
            &twiml_response(
                200,
                90,
                "text/xml",
                "<Response><Sya>Hi</Sya><Gather><Dial>+1</Dial></Gather></Response>",
            ),
        );
        let body = ev.response_body().unwrap();
        let c = infer(&ev, Answer::from(&*checked(&body)));
        assert_eq!(c.iter().map(|c| c.code).collect::<Vec<_>>(), [12200]);
        assert_eq!(c[0].why, "2 schema findings");
        assert_eq!(c[0].level, Level::Warning);
        // A warning that is not about the schema (an empty <Say>) is not 12200.
        let ev = event(
            REQUESTED,
            &twiml_response(200, 90, "text/xml", "<Response><Say/></Response>"),
        );
        assert_eq!(codes(&ev), [0u16; 0]);
    }

    #[test]
    fn a_body_over_64_kb_is_11750() {
        let big = format!("<Response>{}</Response>", "<Say>hello</Say>".repeat(4200));
        assert!(big.len() > MAX_BODY_BYTES);
        let ev = event(REQUESTED, &twiml_response(200, 90, "text/xml", &big));
        assert_eq!(codes(&ev), [11750]);
    }

    #[test]
    fn past_15_s_is_11205() {
        let ev = event(
            "com.twilio.voice.twiml.request.failed",
            r#""responseCode":502,"requestDuration":15000"#,
        );
        let c = infer(&ev, Answer::default());
        assert_eq!(c.iter().map(|c| c.code).collect::<Vec<_>>(), [11205]);
        assert_eq!(c[0].why, "took 15.0 s (Twilio waits 15 s)");
        let ev = event(REQUESTED, &twiml_response(200, 14_999, "text/xml", GOOD));
        assert_eq!(codes(&ev), [0u16; 0]);
    }

    #[test]
    fn other_events_log_nothing() {
        let ev = event(
            "com.twilio.eventstreams.test-event",
            r#""responseCode":500"#,
        );
        assert_eq!(codes(&ev), [0u16; 0]);
    }

    #[test]
    fn serializes_for_ndjson() {
        let ev = event(REQUESTED, &twiml_response(503, 30, "text/html", "x"));
        let json = serde_json::to_string(&infer(&ev, Answer::default())).unwrap();
        assert_eq!(
            json,
            r#"[{"code":11200,"level":"error","meaning":"HTTP retrieval failure","why":"HTTP 503 (or 11217)","inferred":true,"url":"https://www.twilio.com/docs/api/errors/11200"}]"#
        );
    }
}
