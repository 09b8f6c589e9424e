//! The legs of a call: a `<Dial>` creates a child call whose requests carry `ParentCallSid`,
//! and the parent's `dial.finished` carries the child's `DialCallSid`. The legs of a call are
//! its parent (or itself, when it has none) and the parent's children.
//!
//! At most [`MAX_LEGS`] legs are listed; [`crate::store::legs`] reads only the events of the
//! calls involved, through the store's per-call index.

use crate::domain::event::key_eq;
use crate::domain::{CallSid, Event};

/// Legs listed at most: a payload could name thousands of dialed calls.
pub const MAX_LEGS: usize = 32;

/// One leg of a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    pub sid: CallSid,
    /// The call that dialed the others (the first leg).
    pub parent: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Retained events of the leg; 0 = not seen.
    pub events: usize,
}

impl Leg {
    pub fn seen(&self) -> bool {
        self.events > 0
    }
}

/// The calls a call's own events name: its parent, and the calls it dialed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links {
    pub parent: Option<CallSid>,
    pub children: Vec<CallSid>,
}

/// What is known of a leg's call: how many events, From and To.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seen {
    pub events: usize,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// Whether an event may carry a link; a substring test before the parameters are parsed.
pub fn may_link(ev: &Event) -> bool {
    ev.raw.contains("ParentCallSid") || ev.raw.contains("DialCallSid")
}

/// `ParentCallSid` and `DialCallSid` values of `events` (a call's own), other than `own`.
pub fn links<'a>(events: impl IntoIterator<Item = &'a Event>, own: &CallSid) -> Links {
    let mut links = Links::default();
    for ev in events.into_iter().filter(|e| may_link(e)) {
        let sid = |name: &str| {
            ev.parameter(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty() && v != own.as_str())
                .map(|v| CallSid(v.into()))
        };
        if links.parent.is_none() {
            links.parent = sid("ParentCallSid");
        }
        if let Some(child) = sid("DialCallSid")
            && !links.children.contains(&child)
            && links.children.len() < MAX_LEGS
        {
            links.children.push(child);
        }
    }
    links
}

/// The legs of `sid`: its parent (or itself) first, then the parent's children in the order
/// they were dialed, then what `sid` dialed itself. Empty when the call has no other leg.
pub fn assemble(
    sid: &CallSid,
    links_of: impl Fn(&CallSid) -> Links,
    seen: impl Fn(&CallSid) -> Seen,
) -> Vec<Leg> {
    let own = links_of(sid);
    let root = own.parent.clone().unwrap_or_else(|| sid.clone());
    let mut sids = vec![root.clone()];
    let mut add = |s: CallSid| {
        if !sids.contains(&s) && sids.len() < MAX_LEGS {
            sids.push(s);
        }
    };
    if root == *sid {
        own.children.into_iter().for_each(&mut add);
    } else {
        links_of(&root).children.into_iter().for_each(&mut add);
        add(sid.clone());
        own.children.into_iter().for_each(&mut add);
    }
    if sids.len() < 2 {
        return Vec::new();
    }
    sids.into_iter()
        .map(|s| {
            let Seen { events, from, to } = seen(&s);
            Leg {
                parent: s == root,
                sid: s,
                from,
                to,
                events,
            }
        })
        .collect()
}

/// What `events` (one call's) tell of it: their count, the first `From` and `To`.
pub fn seen<'a>(events: impl IntoIterator<Item = &'a Event>) -> Seen {
    let mut out = Seen::default();
    for ev in events {
        out.events += 1;
        if out.from.is_none() || out.to.is_none() {
            let params = ev.parameters();
            let get = |name: &str| {
                params
                    .iter()
                    .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                    .map(|(_, v)| v.clone())
            };
            out.from = out.from.or_else(|| get("From"));
            out.to = out.to.or_else(|| get("To"));
        }
    }
    out
}
