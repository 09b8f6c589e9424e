//! A call's story, from its events: the order they happened in, which arrived late, how the
//! call ended, its IVR path ([`path`]) and its legs ([`legs`]);
//! and a call played without a phone ([`sim`], driven by a [`script`]).

pub mod conference;
pub mod legs;
pub mod path;
pub mod script;
pub mod sim;
pub mod transcript;

use std::fmt::Write as _;

use crate::domain::{Event, EventKind};

/// Orders a call's events by their own time (Twilio does not guarantee arrival order);
/// status callbacks of one second share a time, and their `SequenceNumber` orders them;
/// arrival breaks the remaining ties.
pub fn order(steps: &mut [&Event]) {
    steps.sort_by_key(|e| (e.time, e.sequence, e.seq));
}

/// Which steps arrived after an event that happened later (Twilio does not order deliveries).
pub fn late_steps(steps: &[&Event]) -> Vec<bool> {
    let mut late = vec![false; steps.len()];
    let mut min_seq_after = u64::MAX;
    for (i, ev) in steps.iter().enumerate().rev() {
        late[i] = ev.seq > min_seq_after;
        min_seq_after = min_seq_after.min(ev.seq);
    }
    late
}

/// What a call's progress events say about it (newest wins), with a Voice Insights
/// summary filling what they leave out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// `CallStatus` of the newest progress event: `completed`, `busy`, `no-answer`…
    pub status: Option<String>,
    /// `CallDuration`, in seconds.
    pub duration_s: Option<u64>,
    /// `AnsweredBy` (answering-machine detection): `human`, `machine_start`, `fax`…
    pub answered_by: Option<String>,
    /// Who hung up, from an Insights summary (`caller`, `callee`), or `app` when its last
    /// answer was `<Hangup>`.
    pub ended_by: Option<String>,
}

/// Whether `ev` tells the call's progress: an Event Streams call-progress event or a
/// classic status callback.
pub fn is_progress(ev: &Event) -> bool {
    matches!(ev.kind, EventKind::Progress | EventKind::StatusCallback)
}

/// The outcome of a call from its steps in order (see [`order`]).
pub fn outcome(steps: &[&Event]) -> Outcome {
    let mut out = Outcome::default();
    let mut summary = Outcome::default();
    for ev in steps {
        let param = |name: &str| ev.parameter(name).filter(|v| !v.trim().is_empty());
        if is_progress(ev) {
            if let Some(status) = param("CallStatus") {
                out.status = Some(status);
            }
            if let Some(d) = param("CallDuration").and_then(|d| d.trim().parse().ok()) {
                out.duration_s = Some(d);
            }
        }
        if matches!(
            ev.kind,
            EventKind::Progress | EventKind::StatusCallback | EventKind::Callback
        ) || EventKind::TWIML.contains(&ev.kind)
        {
            if let Some(by) = param("AnsweredBy").filter(|v| v != "unknown") {
                out.answered_by = Some(by);
            }
        } else if ev.kind == EventKind::Insights {
            insights(ev, &mut summary);
        }
    }
    Outcome {
        status: out.status.or(summary.status),
        duration_s: out.duration_s.or(summary.duration_s),
        answered_by: out.answered_by.or(summary.answered_by),
        ended_by: summary.ended_by,
    }
}

/// The fields of a Voice Insights call summary (`call_state`, `duration`, `answered_by`,
/// `properties.disconnected_by`; field names from public consumers, unverified).
fn insights(ev: &Event, into: &mut Outcome) {
    let Some(data) = ev.data() else { return };
    let text = |v: Option<&serde_json::Value>| {
        v.and_then(serde_json::Value::as_str)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    if let Some(state) = text(data.get("call_state")) {
        into.status = Some(state);
    }
    if let Some(d) = data.get("duration").and_then(|d| {
        d.as_u64()
            .or_else(|| d.as_str().and_then(|s| s.trim().parse().ok()))
    }) {
        into.duration_s = Some(d);
    }
    if let Some(by) = text(data.get("answered_by")).filter(|v| v != "unknown") {
        into.answered_by = Some(by);
    }
    let by = data
        .get("properties")
        .and_then(|p| p.get("disconnected_by"))
        .or_else(|| data.get("disconnected_by"));
    if let Some(by) = text(by).filter(|v| v != "unknown") {
        into.ended_by = Some(by);
    }
}

/// The summary's last words: the outcome when progress events told it (`completed after 48s
/// · answered by machine_start · ended by app`), else how the last TwiML step ended.
/// `last` is the last step of the call's own story (see [`story_end`]), `verbs` its answer's.
pub fn summary_ending(outcome: &Outcome, last: &Event, verbs: &str) -> String {
    let Some(status) = &outcome.status else {
        return ending(last, verbs);
    };
    let mut words = status.clone();
    if let Some(d) = outcome.duration_s {
        let _ = write!(words, " after {d}s");
    }
    if let Some(by) = &outcome.answered_by {
        let _ = write!(words, " · answered by {by}");
    }
    let ended_by = outcome
        .ended_by
        .clone()
        .or_else(|| verbs.contains("Hangup").then(|| "app".to_owned()));
    if let Some(by) = ended_by {
        let _ = write!(words, " · ended by {by}");
    }
    words
}

/// The index of the last step that tells how the call went (a TwiML request, a progress
/// event, a conference callback), not a late Insights summary or a log line; else the last
/// step.
pub fn story_end(steps: &[&Event]) -> Option<usize> {
    steps
        .iter()
        .rposition(|e| {
            EventKind::TWIML.contains(&e.kind) || is_progress(e) || e.conference().is_some()
        })
        .or_else(|| steps.len().checked_sub(1))
}

/// For each error-log step, the step it is about: the request to the URL the error names
/// nearest in time (an error is logged about when its request failed, a little before or
/// after the request's own event), else the nearest request.
pub fn error_targets(steps: &[&Event]) -> Vec<Option<usize>> {
    let nearest = |at: jiff::Timestamp, url: Option<&str>| {
        steps
            .iter()
            .enumerate()
            .filter(|(_, e)| e.error_log().is_none() && !e.url().is_empty())
            .filter(|(_, e)| url.is_none_or(|u| same_url(e.url(), u)))
            .min_by_key(|(_, e)| e.time.duration_since(at).abs())
            .map(|(j, _)| j)
    };
    steps
        .iter()
        .map(|ev| {
            let error = ev.error_log()?;
            let url = Some(&*error.url).filter(|u| !u.is_empty());
            url.and_then(|u| nearest(ev.time, Some(u)))
                .or_else(|| nearest(ev.time, None))
        })
        .collect()
}

/// URLs compared without their query (Twilio adds `bodySHA256` and the like).
fn same_url(a: &str, b: &str) -> bool {
    let base = |u: &str| {
        u.split(['?', '#'])
            .next()
            .unwrap_or_default()
            .trim_end_matches('/')
            .to_owned()
    };
    base(a) == base(b)
}

/// How a call ended, from its last event and that event's answer's verbs.
pub fn ending(last: &Event, verbs: &str) -> String {
    if let Some(conf) = last.conference() {
        if conf.event.as_ref() == "participant-leave" {
            return "left the conference".to_owned();
        }
        return format!("in conference ({})", conf.event);
    }
    if last.kind == EventKind::RequestFailed {
        return match last.response_code {
            Some(c) => format!("request failed ({c})"),
            None => "request failed".to_owned(),
        };
    }
    if let Some(status) = last
        .parameter("DialCallStatus")
        .filter(|_| last.kind == EventKind::DialFinished)
    {
        return format!("dial {status}");
    }
    if verbs.contains("Hangup") {
        "hung up".to_owned()
    } else if verbs.contains("Reject") {
        "rejected".to_owned()
    } else {
        format!("last step {}", last.kind.short())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::parse_delivery;

    const CALL: &str = "CA00000000000000000000000000000001";

    fn event(ty: &str, time: &str, params: &str, url: &str) -> Event {
        let body = format!(
            r#"{{"type":"{ty}","id":"{ty}{time}","time":"2026-11-28T16:00:{time}Z","data":{{"sid":"{CALL}",
            "request":{{"method":"POST","url":"{url}","parameters":{{{params}}}}}}}}}"#
        );
        parse_delivery(body.as_bytes(), "2026-11-28T17:00:00Z".parse().unwrap())
            .unwrap()
            .remove(0)
    }

    fn error_log(time: &str, url: &str) -> Event {
        let payload =
            format!(r#"{{\"error_code\":\"11200\",\"more_info\":{{\"url\":\"{url}\"}}}}"#);
        let body = format!(
            r#"{{"type":"com.twilio.error-logs.error.logged","id":"err{time}","time":"2026-11-28T16:00:{time}Z",
            "data":{{"level":"ERROR","correlation_sid":"{CALL}","error_code":"11200","payload":"{payload}"}}}}"#
        );
        parse_delivery(body.as_bytes(), "2026-11-28T17:00:00Z".parse().unwrap())
            .unwrap()
            .remove(0)
    }

    const PROGRESS: &str = "com.twilio.voice.status-callback.call.";

    #[test]
    fn the_outcome_comes_from_progress_events() {
        let answered = event(
            &format!("{PROGRESS}answered"),
            "05",
            r#""CallStatus":"in-progress","AnsweredBy":"human""#,
            "https://x.test/status",
        );
        let twiml = event(
            "com.twilio.voice.twiml.call.requested",
            "06",
            r#""CallStatus":"in-progress""#,
            "https://x.test/voice",
        );
        let completed = event(
            &format!("{PROGRESS}completed"),
            "40",
            r#""CallStatus":"completed","CallDuration":"35""#,
            "https://x.test/status",
        );
        let steps = [&answered, &twiml, &completed];
        let out = outcome(&steps);
        assert_eq!(
            out,
            Outcome {
                status: Some("completed".into()),
                duration_s: Some(35),
                answered_by: Some("human".into()),
                ended_by: None,
            }
        );
        assert_eq!(story_end(&steps), Some(2));
        assert_eq!(
            summary_ending(&out, &completed, "Say → Hangup"),
            "completed after 35s · answered by human · ended by app"
        );
        // Without progress events: the TwiML story as before.
        let none = outcome(&[&twiml]);
        assert_eq!(none, Outcome::default());
        assert_eq!(summary_ending(&none, &twiml, "Say → Hangup"), "hung up");
    }

    #[test]
    fn an_error_log_belongs_to_the_request_it_names() {
        let voice = event(
            "com.twilio.voice.twiml.call.requested",
            "01",
            "",
            "https://x.test/voice",
        );
        let menu = event(
            "com.twilio.voice.twiml.gather.finished",
            "05",
            "",
            "https://x.test/menu?x=1",
        );
        let later = event(
            "com.twilio.voice.twiml.call.redirected",
            "09",
            "",
            "https://x.test/other",
        );
        // Logged after a later request, but about /menu.
        let err = error_log("10", "https://x.test/menu");
        let steps = [&voice, &menu, &later, &err];
        assert_eq!(error_targets(&steps), [None, None, None, Some(1)]);
        // A URL no step requested: the nearest request.
        let stray = error_log("08", "https://elsewhere.test/");
        assert_eq!(
            error_targets(&[&voice, &menu, &later, &stray]),
            [None, None, None, Some(2)]
        );
        assert_eq!(error_targets(&[&stray]), [None]);
    }
}
