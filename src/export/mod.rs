//! Incident records: one call written out whole — summary, IVR path, and every step with its
//! request, parameters, decoded TwiML and TwiML check findings — as markdown (for an incident
//! document or a ticket) or as one JSON object. `twimon export RECORDING --call CA…` reads a
//! recording; `x` in the monitor writes the call in view to a file.
//!
//! One [`Record`] is built per export, masked if asked; the markdown is rendered from it and
//! the JSON is it, so both always say the same. Markdown text is made terminal-safe
//! ([`crate::text::safe`]): the output may well be printed to a terminal.

mod file;
mod load;
mod markdown;

pub use file::{file_name, write_new};
pub use load::Loaded;
pub use markdown::markdown;

use serde::Serialize;
use serde_json::{Map, Value};

use crate::domain::call::legs::Leg;
use crate::domain::call::path::{self, Step};
use crate::domain::event::KEY_PARAMETERS;
use crate::domain::event::key_eq;
use crate::domain::twiml::{self, Decoded};
use crate::domain::{CallSid, Event, codes, lint};

/// How a call is exported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Mask phone numbers, speech, caller names and recording URLs; SIDs stay.
    pub mask: bool,
}

/// A call as an incident record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub call_sid: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The first and last event times (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    pub duration_ms: i64,
    pub events: usize,
    /// How the call ended: `hung up`, `dial busy`, `request failed (502)`…
    pub ended: Option<String>,
    /// The IVR path: `/voice → Gather → 1 → /menu → …`.
    pub path: String,
    /// The call's legs (its `<Dial>` parent and children); empty when it has none.
    pub legs: Vec<LegRecord>,
    pub masked: bool,
    pub steps: Vec<StepRecord>,
}

/// One leg of the call.
#[derive(Debug, Clone, Serialize)]
pub struct LegRecord {
    pub call_sid: String,
    /// `parent` (the call that dialed) or `dialed`.
    pub role: &'static str,
    /// The exported call itself.
    pub this: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Its events (retained in the monitor, or in the recording); 0 = not seen.
    pub events: usize,
}

/// One event of the call.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// 1, 2, 3… in time order.
    pub n: usize,
    pub time: String,
    /// Since the call's first event.
    pub offset_ms: i64,
    pub kind: &'static str,
    #[serde(rename = "type")]
    pub type_name: String,
    pub id: String,
    pub method: Option<String>,
    pub url: Option<String>,
    pub response_code: Option<u16>,
    pub duration_ms: Option<u32>,
    pub content_type: Option<String>,
    /// The parameters that tell the story (`Digits`, `DialCallStatus`…).
    pub key_parameters: Map<String, Value>,
    /// Every request parameter.
    pub parameters: Map<String, Value>,
    /// The answer's verbs on one line: `Say → Gather(action=/menu)`.
    pub verbs: String,
    /// The decoded TwiML, pretty-printed.
    pub twiml: Option<String>,
    /// Why the body is not TwiML (bad base64, not XML…).
    pub twiml_error: Option<String>,
    pub lint: Vec<lint::Finding>,
    /// The codes Twilio's Debugger would log for this request (inferred from the above).
    pub error_codes: Vec<codes::ErrorCode>,
    /// Delivered after an event that happened later.
    pub late: bool,
    /// The request one of this answer's verbs should have caused never came.
    pub no_reply: bool,
    pub invalid: Option<String>,
}

/// Parameters shown beside each step, besides [`KEY_PARAMETERS`]' first seven.
const LINK_PARAMETERS: [&str; 2] = ["DialCallSid", "ParentCallSid"];

fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn millis(d: jiff::SignedDuration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The record of call `sid` from its events in time order and its legs.
pub fn build(sid: &CallSid, steps: &[&Event], legs: &[Leg], opts: Options) -> Record {
    let m = Masker(opts.mask);
    let decoded: Vec<Option<Decoded>> = steps
        .iter()
        .map(|e| {
            e.response_body()
                .filter(|b| !b.trim().is_empty())
                .map(|b| twiml::decode(&b))
        })
        .collect();
    let flow_steps: Vec<Step<'_>> = steps
        .iter()
        .zip(&decoded)
        .map(|(event, d)| Step {
            event,
            decoded: d.as_ref(),
        })
        .collect();
    let path = path::path(&flow_steps);
    let late = crate::domain::call::late_steps(steps);
    let first = steps.first().map(|e| e.time);
    let last = steps.last();
    let param = |name: &str| steps.iter().find_map(|e| e.parameter(name));
    let verbs_of = |d: &Option<Decoded>| d.as_ref().map(Decoded::verbs_summary);
    Record {
        call_sid: sid.as_str().to_owned(),
        from: param("From").map(|v| m.param("From", &v)),
        to: param("To").map(|v| m.param("To", &v)),
        first: first.map(rfc3339),
        last: last.map(|e| rfc3339(e.time)),
        duration_ms: match (first, last) {
            (Some(f), Some(l)) => millis(l.time.duration_since(f)),
            _ => 0,
        },
        events: steps.len(),
        ended: last.map(|e| {
            let verbs = decoded.last().and_then(verbs_of).unwrap_or_default();
            m.text(&crate::domain::call::ending(e, &verbs))
        }),
        path: if opts.mask {
            crate::text::format::mask_path(&path.line)
        } else {
            path.line.clone()
        },
        legs: legs
            .iter()
            .map(|l| LegRecord {
                call_sid: l.sid.as_str().to_owned(),
                role: if l.parent { "parent" } else { "dialed" },
                this: l.sid == *sid,
                from: l.from.as_deref().map(|v| m.param("From", v)),
                to: l.to.as_deref().map(|v| m.param("To", v)),
                events: l.events,
            })
            .collect(),
        masked: opts.mask,
        steps: steps
            .iter()
            .zip(&decoded)
            .zip(&late)
            .enumerate()
            .map(|(i, ((ev, d), late))| StepRecord {
                n: i + 1,
                time: rfc3339(ev.time),
                offset_ms: first.map_or(0, |f| millis(ev.time.duration_since(f))),
                kind: ev.kind.short(),
                type_name: ev.type_name().to_owned(),
                id: ev.id().to_owned(),
                method: Some(ev.method().to_owned()).filter(|s| !s.is_empty()),
                url: Some(ev.url()).filter(|s| !s.is_empty()).map(|u| m.text(u)),
                response_code: ev.response_code,
                duration_ms: ev.duration_ms,
                content_type: ev.content_type(),
                key_parameters: key_parameters(ev, m),
                parameters: ev
                    .parameters()
                    .into_iter()
                    .map(|(k, v)| {
                        let v = m.param(&k, &v);
                        (k, Value::String(v))
                    })
                    .collect(),
                verbs: m.text(&verbs_of(d).unwrap_or_default()),
                twiml: d
                    .as_ref()
                    .filter(|d| d.base64_error.is_none())
                    .map(|d| m.text(&d.plain_text())),
                twiml_error: d.as_ref().and_then(Decoded::problem).map(|p| m.text(&p)),
                lint: d
                    .as_ref()
                    .filter(|d| d.is_twiml())
                    .map(|d| {
                        lint::check(d)
                            .into_iter()
                            .map(|f| lint::Finding {
                                message: m.text(&f.message),
                                ..f
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                error_codes: error_codes(ev, d.as_ref()),
                late: *late,
                no_reply: path.missing.contains(&i),
                invalid: ev.invalid.as_deref().map(|r| m.text(r)),
            })
            .collect(),
    }
}

fn error_codes(ev: &Event, decoded: Option<&Decoded>) -> Vec<codes::ErrorCode> {
    let Some(d) = decoded else {
        return codes::infer(ev, codes::Answer::default());
    };
    let findings = if d.is_twiml() {
        lint::check(d)
    } else {
        Vec::new()
    };
    codes::infer(ev, codes::Answer::from((d, findings.as_slice())))
}

fn key_parameters(ev: &Event, m: Masker) -> Map<String, Value> {
    let params = ev.parameters();
    KEY_PARAMETERS[..7]
        .iter()
        .chain(&LINK_PARAMETERS)
        .filter_map(|name| {
            params
                .iter()
                .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                .map(|(k, v)| (k.clone(), Value::String(m.param(k, v))))
        })
        .collect()
}

/// Masks when on.
#[derive(Clone, Copy)]
struct Masker(bool);

impl Masker {
    fn text(self, s: &str) -> String {
        if self.0 {
            crate::text::mask::text(s).into_owned()
        } else {
            s.to_owned()
        }
    }

    fn param(self, name: &str, value: &str) -> String {
        if self.0 {
            crate::text::mask::param(name, value).into_owned()
        } else {
            value.to_owned()
        }
    }
}
