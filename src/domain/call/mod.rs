//! A call's story, from its events: the order they happened in, which arrived late, how the
//! call ended, its IVR path ([`path`]) and its legs ([`legs`]);
//! and a call played without a phone ([`sim`], driven by a [`script`]).

pub mod legs;
pub mod path;
pub mod script;
pub mod sim;

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

/// How a call ended, from its last event and that event's answer's verbs.
pub fn ending(last: &Event, verbs: &str) -> String {
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
