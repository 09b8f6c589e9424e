//! One call out of a whole recording: its events, and what the rest of the recording says of
//! the calls it is linked to (its legs).

use std::collections::HashMap;

use crate::domain::call::legs::{self, Leg, Links, Seen};
use crate::domain::{CallSid, Event};

/// One call of a recording, and what the recording says of the other calls.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The call's events, in time order (arrival breaks ties), numbered in arrival order.
    pub events: Vec<Event>,
    /// Every call of the recording in order of first appearance.
    pub calls: Vec<CallSid>,
    /// Events per call, and `From`/`To` of calls that take part in a `<Dial>`.
    seen: HashMap<CallSid, Seen>,
    /// The links of every call (`ParentCallSid` seen from both sides).
    links: HashMap<CallSid, Links>,
    /// Events of the recording that are unusable and name no call (unreadable lines…).
    pub unreadable: usize,
}

impl Loaded {
    /// The call's legs, from the whole recording.
    pub fn legs(&self, sid: &CallSid) -> Vec<Leg> {
        legs::assemble(
            sid,
            |s| self.links.get(s).cloned().unwrap_or_default(),
            |s| {
                if s == sid {
                    legs::seen(&self.events)
                } else {
                    self.seen.get(s).cloned().unwrap_or_default()
                }
            },
        )
    }
}

impl Loaded {
    /// Takes the next event of the recording (numbered in arrival order): kept when it is
    /// the call's, counted in every case.
    pub fn add(&mut self, ev: Event, sid: &CallSid) {
        if ev.call_sid.is_none() && ev.invalid.is_some() {
            self.unreadable += 1;
        }
        self.note(&ev);
        if ev.call_sid.as_ref() == Some(sid) {
            self.events.push(ev);
        }
    }

    /// Puts the call's events in the order they happened, once every event is in.
    pub fn finish(&mut self) {
        self.events.sort_by_key(|e| (e.time, e.sequence, e.seq));
    }

    fn note(&mut self, ev: &Event) {
        let Some(call) = &ev.call_sid else { return };
        if !self.seen.contains_key(call) {
            self.calls.push(call.clone());
        }
        let seen = self.seen.entry(call.clone()).or_default();
        seen.events += 1;
        if !legs::may_link(ev) {
            return;
        }
        let more = legs::seen([ev]);
        seen.from = seen.from.take().or(more.from);
        seen.to = seen.to.take().or(more.to);
        let found = legs::links([ev], call);
        let own = self.links.entry(call.clone()).or_default();
        if own.parent.is_none() {
            own.parent.clone_from(&found.parent);
        }
        for child in found.children {
            if !own.children.contains(&child) && own.children.len() < legs::MAX_LEGS {
                own.children.push(child);
            }
        }
        if let Some(parent) = found.parent {
            let theirs = self.links.entry(parent).or_default();
            if !theirs.children.contains(call) && theirs.children.len() < legs::MAX_LEGS {
                theirs.children.push(call.clone());
            }
        }
    }
}
