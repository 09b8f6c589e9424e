//! `--demo`: plays the bundled sample calls through the monitor's own listener, over real HTTP,
//! paced like live traffic and restamped to now, round after round (each round with fresh ids
//! and call SIDs, so nothing is taken for a duplicate).

use std::fmt::Write as _;
use std::time::Duration;

use jiff::Timestamp;
use serde_json::Value;

/// The bundled deliveries, in play order: the single events and the whole calls between
/// them, then the calls of the other families (a machine-answered Studio call that fails
/// with a logged 11200, a conference).
pub const SAMPLES: &[(&str, &str)] = &[
    (
        "events/01-call-requested.json",
        include_str!("../../assets/samples/events/01-call-requested.json"),
    ),
    (
        "events/02-call-redirected.json",
        include_str!("../../assets/samples/events/02-call-redirected.json"),
    ),
    (
        "flows/ivr-sales-call.json",
        include_str!("../../assets/samples/flows/ivr-sales-call.json"),
    ),
    (
        "events/03-call-transferred.json",
        include_str!("../../assets/samples/events/03-call-transferred.json"),
    ),
    (
        "events/04-gather-finished.json",
        include_str!("../../assets/samples/events/04-gather-finished.json"),
    ),
    (
        "events/05-dial-finished.json",
        include_str!("../../assets/samples/events/05-dial-finished.json"),
    ),
    (
        "flows/failed-call.json",
        include_str!("../../assets/samples/flows/failed-call.json"),
    ),
    (
        "events/06-enqueue-finished.json",
        include_str!("../../assets/samples/events/06-enqueue-finished.json"),
    ),
    (
        "events/07-record-finished.json",
        include_str!("../../assets/samples/events/07-record-finished.json"),
    ),
    (
        "events/08-request-failed.json",
        include_str!("../../assets/samples/events/08-request-failed.json"),
    ),
    (
        "families/machine-studio-call.json",
        include_str!("../../assets/samples/families/machine-studio-call.json"),
    ),
    (
        "families/conference-call.json",
        include_str!("../../assets/samples/families/conference-call.json"),
    ),
];

/// Longest pause between two steps of one call, so the demo keeps moving.
const MAX_STEP_PAUSE: Duration = Duration::from_secs(3);
const BETWEEN_DELIVERIES: Duration = Duration::from_millis(700);
const BETWEEN_ROUNDS: Duration = Duration::from_secs(4);

/// One delivery to post and how long to wait before posting it.
#[derive(Debug, Clone)]
pub struct Step {
    pub delay: Duration,
    pub event: Value,
}

/// The steps of one round: every event of every sample, posted one per delivery so a call's
/// steps arrive with the pauses a live call has (compressed).
pub fn round(round: u32) -> Vec<Step> {
    let mut steps = Vec::new();
    for (_, text) in SAMPLES {
        let text = if round == 0 {
            (*text).to_owned()
        } else {
            remap_sids(text, round)
        };
        let Ok(Value::Array(events)) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let mut prev: Option<Timestamp> = None;
        for mut ev in events {
            let t = ev
                .get("time")
                .and_then(Value::as_str)
                .and_then(|s| s.parse::<Timestamp>().ok());
            let delay = match (prev, t) {
                (Some(p), Some(t)) => {
                    let secs = t.duration_since(p).as_secs_f64().max(0.0) / 4.0;
                    Duration::from_secs_f64(secs).clamp(BETWEEN_DELIVERIES, MAX_STEP_PAUSE)
                }
                _ => BETWEEN_DELIVERIES,
            };
            prev = t;
            if round > 0
                && let Some(id) = ev.get("id").and_then(Value::as_str)
            {
                let id = format!("{id}-r{round}");
                ev["id"] = Value::String(id);
            }
            steps.push(Step { delay, event: ev });
        }
    }
    steps
}

/// SIDs a round makes its own: calls, and the conferences and Studio executions that join
/// calls (another round's participants or steps must not join this round's).
const REMAPPED: [&str; 3] = ["CA", "CF", "FN"];

/// Gives every call, conference and execution SID in a sample a round-specific tail,
/// keeping it a well-formed SID.
fn remap_sids(text: &str, round: u32) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let next = |s: &str| REMAPPED.iter().filter_map(|p| s.find(p)).min();
    while let Some(i) = next(rest) {
        let (head, tail) = rest.split_at(i);
        out.push_str(head);
        let sid_len = 2 + tail[2..].bytes().take_while(u8::is_ascii_hexdigit).count();
        if sid_len == 34 {
            let (sid, after) = tail.split_at(sid_len);
            out.push_str(&sid[..sid_len - 4]);
            let _ = write!(out, "{:04x}", round & 0xffff);
            rest = after;
        } else {
            out.push_str(&tail[..2]);
            rest = &tail[2..];
        }
    }
    out.push_str(rest);
    out
}

/// Sets the event's times to now, so the monitor shows it as live.
fn restamp(ev: &mut Value, now: Timestamp) {
    let rfc3339 = now.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    if ev.get("time").is_some() {
        ev["time"] = Value::String(rfc3339.clone());
    }
    let rfc2822 =
        jiff::fmt::rfc2822::to_string(&now.to_zoned(jiff::tz::TimeZone::UTC)).unwrap_or_default();
    if let Some(data) = ev.get_mut("data").and_then(Value::as_object_mut) {
        for key in ["timestamp", "date_created", "date_updated"] {
            if data.contains_key(key) {
                data.insert(key.into(), Value::String(rfc3339.clone()));
            }
        }
        if data.contains_key("requestDateCreated") {
            data.insert("requestDateCreated".into(), Value::String(rfc2822.clone()));
        }
        // A status callback's own `Timestamp` parameter (RFC 2822).
        if let Some(params) = data
            .get_mut("request")
            .and_then(|r| r.get_mut("parameters"))
            .and_then(Value::as_object_mut)
            && params.contains_key("Timestamp")
        {
            params.insert("Timestamp".into(), Value::String(rfc2822));
        }
    }
}

/// Plays rounds forever against `url` (the caller aborts the task to stop it).
pub async fn play(url: String) {
    // Bounded like `twimon send`: a stuck listener must not pile up demo requests.
    let Ok(client) = super::send::client(Duration::from_secs(2), Duration::from_secs(10)) else {
        tracing::warn!("the demo cannot set up its HTTP client");
        return;
    };
    for n in 0u32.. {
        for mut step in round(n) {
            tokio::time::sleep(step.delay).await;
            restamp(&mut step.event, Timestamp::now());
            let body = serde_json::to_vec(&Value::Array(vec![step.event])).unwrap_or_default();
            if let Err(e) = super::send::post(&client, &url, body).await {
                tracing::warn!("demo delivery failed: {e:#}");
            }
        }
        tokio::time::sleep(BETWEEN_ROUNDS).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_have_fresh_ids_and_sids() {
        let r0 = round(0);
        let r1 = round(1);
        assert_eq!(r0.len(), r1.len());
        assert!(r0.len() >= 16);
        let id0 = r0[0].event["id"].as_str().unwrap().to_owned();
        let id1 = r1[0].event["id"].as_str().unwrap();
        assert_eq!(id1, format!("{id0}-r1"));
        let sid0 = r0[0].event["data"]["sid"].as_str().unwrap();
        let sid1 = r1[0].event["data"]["sid"].as_str().unwrap();
        assert_eq!(sid1.len(), 34);
        assert_ne!(sid0, sid1);
        assert!(sid1.ends_with("0001"));
        assert_eq!(
            r1[0].event["data"]["request"]["parameters"]["CallSid"],
            sid1
        );
    }

    #[test]
    fn restamp_sets_now() {
        let mut ev = round(0)[0].event.clone();
        let now: Timestamp = "2026-11-28T10:00:00.5Z".parse().unwrap();
        restamp(&mut ev, now);
        assert_eq!(ev["time"], "2026-11-28T10:00:00.500Z");
        assert_eq!(ev["data"]["timestamp"], "2026-11-28T10:00:00.500Z");
        assert_eq!(
            ev["data"]["requestDateCreated"],
            "Sat, 28 Nov 2026 10:00:00 +0000"
        );
    }

    #[test]
    fn rounds_keep_their_own_conferences_and_executions() {
        let text = r#"{"a":"CAe1f07a3c5b9d4e2f8a6c1b0d9e8f7a61","b":"CF4d9c2b7a1e8f3d6c5b4a39281706f5e4",
            "c":"FN7d2e4f6a8b0c1d3e5f7a9b1c3d5e7f90","d":"FW3c1a9d0e5b7f42a68c0d1e2f3a4b5c6d","e":"CAFE"}"#;
        let out: Value = serde_json::from_str(&remap_sids(text, 2)).unwrap();
        assert_eq!(out["a"], "CAe1f07a3c5b9d4e2f8a6c1b0d9e8f0002");
        assert_eq!(out["b"], "CF4d9c2b7a1e8f3d6c5b4a392817060002");
        assert_eq!(out["c"], "FN7d2e4f6a8b0c1d3e5f7a9b1c3d5e0002");
        assert_eq!(
            out["d"], "FW3c1a9d0e5b7f42a68c0d1e2f3a4b5c6d",
            "a flow is the same flow"
        );
        assert_eq!(out["e"], "CAFE", "not a SID");
    }

    #[test]
    fn every_family_is_played_and_restamped() {
        let steps = round(0);
        let types: std::collections::BTreeSet<&str> = steps
            .iter()
            .filter_map(|s| s.event["type"].as_str())
            .map(|t| crate::domain::family::Stream::of(t).as_str())
            .collect();
        for family in [
            "twiml",
            "progress",
            "status-callback",
            "api",
            "media",
            "error-log",
            "studio",
            "insights",
        ] {
            assert!(types.contains(family), "{family} is not in the demo");
        }
        let now: Timestamp = "2026-11-28T10:00:00Z".parse().unwrap();
        let mut progress = steps
            .iter()
            .find(|s| s.event["type"] == "com.twilio.voice.status-callback.call.ringing")
            .unwrap()
            .event
            .clone();
        restamp(&mut progress, now);
        assert_eq!(
            progress["data"]["request"]["parameters"]["Timestamp"],
            "Sat, 28 Nov 2026 10:00:00 +0000"
        );
    }

    #[test]
    fn pauses_are_bounded() {
        for s in round(0) {
            assert!(s.delay >= BETWEEN_DELIVERIES && s.delay <= MAX_STEP_PAUSE);
        }
    }
}
