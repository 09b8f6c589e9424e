//! A conference and its participant calls: conference and participant status callbacks carry
//! `ConferenceSid` and the participant's `CallSid`, so a participant's call view can list the
//! others. [`crate::store::conference`] reads them through the store's conference index.

use crate::domain::{CallSid, Event};

/// Participants listed at most: a payload could name thousands.
pub const MAX_PARTICIPANTS: usize = 32;

/// A conference as its events tell it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Conference {
    /// `ConferenceSid` (`CF…`).
    pub sid: String,
    /// `FriendlyName`, when an event gave it.
    pub name: String,
    /// The participant calls, in the order they first appear.
    pub participants: Vec<Participant>,
}

/// One participant call of a conference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub sid: CallSid,
    /// The newest `StatusCallbackEvent` about it (`participant-join`, `participant-leave`…).
    pub status: String,
}

/// The conference of `sid` from its events (any order: each participant's newest status by
/// event time wins).
pub fn assemble<'a>(sid: &str, events: impl IntoIterator<Item = &'a Event>) -> Conference {
    let mut conf = Conference {
        sid: sid.to_owned(),
        ..Conference::default()
    };
    // (participant index, time of its status) so a late delivery does not undo a leave.
    let mut times = Vec::new();
    for ev in events {
        let Some(facts) = ev.conference() else {
            continue;
        };
        if conf.name.is_empty() && !facts.name.is_empty() {
            conf.name = facts.name.to_string();
        }
        let Some(call) = &ev.call_sid else { continue };
        let at = (ev.time, ev.sequence, ev.seq);
        match conf.participants.iter().position(|p| &p.sid == call) {
            Some(i) => {
                let newer = times.get(i).is_some_and(|t| *t <= at) && !facts.event.is_empty();
                if let (true, Some(p), Some(t)) =
                    (newer, conf.participants.get_mut(i), times.get_mut(i))
                {
                    p.status = facts.event.to_string();
                    *t = at;
                }
            }
            None if conf.participants.len() < MAX_PARTICIPANTS => {
                conf.participants.push(Participant {
                    sid: call.clone(),
                    status: facts.event.to_string(),
                });
                times.push(at);
            }
            None => {}
        }
    }
    conf
}

/// The conference a call's own events name (the newest mention), if any.
pub fn of_call<'a>(events: impl IntoIterator<Item = &'a Event>) -> Option<String> {
    events
        .into_iter()
        .filter_map(|e| e.conference().map(|c| (e.time, e.seq, c.sid.to_string())))
        .max()
        .map(|(_, _, sid)| sid)
}
