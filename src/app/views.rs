//! What the screen shows, decoded once. The selected event's TwiML (tree, pretty lines and
//! check findings) and raw JSON are decoded when the selection lands on it; a call view's
//! steps when the view opens or the call grows. A frame only reads these.

use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use crate::domain::call::conference::Conference;
use crate::domain::call::legs::Leg;
use crate::domain::call::path::{self, Step};
use crate::domain::codes::{self, ErrorCode};
use crate::domain::event::{KEY_PARAMETERS, key_eq};
use crate::domain::lint::{self, Finding};
use crate::domain::twiml::{self, Decoded};
use crate::domain::{CallSid, Event, EventKind};
use crate::store::Store;

/// Events whose decode is kept: far more than any screen shows at once (a tall call view, the
/// selection moving through the table), few enough that memory stays flat.
const KEPT: usize = 512;
/// Steps of a call decoded for its view: its path line, verbs and missing follow-ups. A longer
/// call's later steps show without them.
pub const CALL_STEPS: usize = 2_000;
/// Steps the path line reads: a longer call's line fits no screen.
pub const PATH_STEPS: usize = 48;

/// An event as the screen shows it: its decoded TwiML, check findings (worst first) and the
/// error codes Twilio would log for it.
#[derive(Debug, Clone)]
pub struct Viewed {
    pub decoded: Rc<Decoded>,
    pub findings: Rc<[Finding]>,
    pub codes: Rc<[ErrorCode]>,
    /// The response's content type, read from the event's JSON with its body.
    pub content_type: Option<Rc<str>>,
    /// What `twimon proxy` measured, for its events: real headers, latency, a resend's link.
    pub proxy: Option<Rc<crate::domain::exchange::ProxyFacts>>,
}

/// The per-call drilldown, with everything its frame reads computed when it was built.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub sid: CallSid,
    /// The call's events in the order they happened (see [`crate::domain::call::order`]).
    pub steps: Vec<u64>,
    pub selected: usize,
    /// The call's legs (parent and dialed children); empty when it has no other leg.
    pub legs: Vec<Leg>,
    /// `From` and `To` of the call, from the first step that has them.
    pub from: Option<String>,
    pub to: Option<String>,
    /// How the call ended (`hung up`, `dial busy`, …).
    pub ending: String,
    /// The IVR path as one line (of the first [`PATH_STEPS`] steps).
    pub path: String,
    /// Per step: the verbs of its answer, whether its expected follow-up never came, and the
    /// parameters worth a glance (name, value; raw: the screen makes them safe and masks them).
    pub verbs: Vec<String>,
    pub missing: Vec<bool>,
    pub params: Vec<Vec<(String, String)>>,
    /// Per step: the codes Twilio's Debugger really logged about it (error-log events of
    /// the call, put on the request they are about).
    pub logged: Vec<Vec<u32>>,
    /// The conference the call took part in, with its participants.
    pub conference: Option<Conference>,
}

/// The decode caches.
#[derive(Debug, Default)]
pub struct Views {
    viewed: HashMap<u64, Viewed>,
    order: VecDeque<u64>,
    /// The raw pane's lines: of which event, masked or not.
    raw: Option<(u64, bool, Rc<[String]>)>,
}

impl Views {
    pub fn get(&self, seq: u64) -> Option<&Viewed> {
        self.viewed.get(&seq)
    }

    /// The raw pane's lines of `seq`, when prepared with that masking.
    pub fn raw(&self, seq: u64, mask: bool) -> Option<Rc<[String]>> {
        match &self.raw {
            Some((s, m, lines)) if *s == seq && *m == mask => Some(lines.clone()),
            _ => None,
        }
    }

    /// Decodes event `seq` if it is not yet; with `raw` (the masking wanted), its raw JSON
    /// pretty-printed too.
    pub fn prepare(&mut self, store: &Store, seq: u64, raw: Option<bool>) {
        let Some(ev) = store.get(seq) else { return };
        self.viewed_of(ev);
        if let Some(mask) = raw
            && self.raw(seq, mask).is_none()
        {
            self.raw = Some((seq, mask, raw_lines(ev, mask).into()));
        }
    }

    fn viewed_of(&mut self, ev: &Event) -> Viewed {
        if let Some(v) = self.viewed.get(&ev.seq) {
            return v.clone();
        }
        let parts = ev.parts();
        let decoded = parts
            .response_body
            .as_deref()
            .map_or_else(|| twiml::decode_text(""), twiml::decode);
        let content_type = parts.content_type.as_deref().map(Rc::from);
        let mut findings = if decoded.is_twiml() {
            lint::check(&decoded)
        } else {
            Vec::new()
        };
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let codes = codes::infer(ev, codes::Answer::from((&decoded, findings.as_slice())));
        let v = Viewed {
            decoded: Rc::new(decoded),
            findings: findings.into(),
            codes: codes.into(),
            content_type,
            proxy: crate::domain::exchange::ProxyFacts::of(ev).map(Rc::new),
        };
        self.viewed.insert(ev.seq, v.clone());
        self.order.push_back(ev.seq);
        while self.order.len() > KEPT {
            if let Some(old) = self.order.pop_front() {
                self.viewed.remove(&old);
            }
        }
        v
    }

    /// Builds a call view: decodes its steps (those not decoded yet) and computes what its
    /// frame shows.
    pub fn call_view(
        &mut self,
        store: &Store,
        sid: CallSid,
        steps: Vec<u64>,
        selected: usize,
        legs: Vec<Leg>,
    ) -> CallView {
        let events: Vec<&Event> = steps.iter().filter_map(|s| store.get(*s)).collect();
        let decoded: Vec<Rc<Decoded>> = events
            .iter()
            .take(CALL_STEPS)
            .map(|e| self.viewed_of(e).decoded)
            .collect();
        // The IVR path is the TwiML story (and classic callbacks, which it has always read):
        // a progress event or a Studio step between two requests is no step of it.
        let on_path: Vec<usize> = (0..decoded.len())
            .filter(|i| {
                events.get(*i).is_some_and(|e| {
                    EventKind::TWIML.contains(&e.kind) || e.kind == EventKind::StatusCallback
                })
            })
            .collect();
        let path_of = |n: usize| {
            let steps: Vec<Step<'_>> = on_path
                .iter()
                .take(n)
                .filter_map(|&i| Some((*events.get(i)?, decoded.get(i)?)))
                .map(|(event, d)| Step {
                    event,
                    decoded: Some(d),
                })
                .collect();
            path::path(&steps)
        };
        let mut line = path_of(PATH_STEPS).line;
        if on_path.len() > PATH_STEPS {
            line.push_str(" → …");
        }
        let mut missing = vec![false; events.len()];
        for i in path_of(CALL_STEPS).missing {
            if let Some(m) = on_path.get(i).and_then(|&i| missing.get_mut(i)) {
                *m = true;
            }
        }
        let mut verbs: Vec<String> = decoded.iter().map(|d| d.verbs_summary()).collect();
        verbs.resize(events.len(), String::new());
        let params: Vec<Vec<(String, String)>> = events.iter().map(|e| key_params(e)).collect();
        let first_of = |name: &str| {
            events.iter().find_map(|e| {
                e.parameters()
                    .into_iter()
                    .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                    .map(|(_, v)| v)
            })
        };
        let story_end = crate::domain::call::story_end(&events)
            .and_then(|i| events.get(i).map(|last| (i, *last)));
        let ending = story_end.map_or_else(String::new, |(i, last)| {
            let verbs = verbs.get(i).map_or("", String::as_str);
            let outcome = crate::domain::call::outcome(&events);
            crate::domain::call::summary_ending(&outcome, last, verbs)
        });
        let mut logged = vec![Vec::new(); events.len()];
        for (ev, target) in events
            .iter()
            .zip(crate::domain::call::error_targets(&events))
        {
            if let (Some(i), Some(code)) = (target, ev.error_log().and_then(|e| e.code))
                && let Some(codes) = logged.get_mut(i)
            {
                codes.push(code);
            }
        }
        let conference = crate::store::conference::conference(store, &sid);
        CallView {
            from: first_of("From"),
            to: first_of("To"),
            sid,
            steps,
            selected,
            legs,
            ending,
            path: line,
            verbs,
            missing,
            params,
            logged,
            conference,
        }
    }
}

/// What a status callback's row shows: the status, how long, who answered, what happened in
/// a conference, a recording.
const PROGRESS_PARAMETERS: [&str; 5] = [
    "CallStatus",
    "CallDuration",
    "AnsweredBy",
    "StatusCallbackEvent",
    "RecordingUrl",
];

/// The parameters of a step worth a glance, `Digits=2 CallStatus=in-progress`: `CallStatus`
/// only when nothing more telling is there (it is the same on most steps).
fn key_params(ev: &Event) -> Vec<(String, String)> {
    let params = ev.parameters();
    if matches!(
        ev.kind,
        EventKind::Progress | EventKind::StatusCallback | EventKind::Callback
    ) {
        return PROGRESS_PARAMETERS
            .iter()
            .filter_map(|name| {
                params
                    .iter()
                    .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                    .cloned()
            })
            .collect();
    }
    let found: Vec<(String, String)> = KEY_PARAMETERS[..7]
        .iter()
        .filter_map(|name| {
            params
                .iter()
                .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                .cloned()
        })
        .collect();
    if found.iter().all(|(k, _)| key_eq(k, "CallStatus")) {
        found
    } else {
        found
            .into_iter()
            .filter(|(k, _)| !key_eq(k, "CallStatus"))
            .collect()
    }
}

/// The event's JSON, pretty-printed, a line each (indented by one column, terminal-safe);
/// masked member by member (`SpeechResult`, `From`…) and then as text when `mask` is set.
fn raw_lines(ev: &Event, mask: bool) -> Vec<String> {
    use crate::text::{mask, safe};
    let pretty = serde_json::from_str::<serde_json::Value>(&ev.raw)
        .map(|mut v| {
            if mask {
                mask::json(&mut v);
            }
            v
        })
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| ev.raw.to_string());
    safe::text(&pretty)
        .lines()
        .map(|l| {
            let line = format!(" {}", safe::line(l));
            if mask {
                mask::text(&line).into_owned()
            } else {
                line
            }
        })
        .collect()
}
