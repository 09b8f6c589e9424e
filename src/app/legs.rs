//! The legs of a call: a `<Dial>` creates a child call whose requests carry `ParentCallSid`,
//! and the parent's `dial.finished` carries the child's `DialCallSid`. The legs of a call are
//! its parent (or itself, when it has none) and the parent's children.
//!
//! Bounded: only the events of the calls involved are read (the store's per-call index),
//! never the whole store, and at most [`MAX_LEGS`] legs are listed.

use crate::domain::{CallSid, Event};
use crate::store::Store;

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
                    .find(|(k, v)| crate::domain::delivery::key_eq(k, name) && !v.is_empty())
                    .map(|(_, v)| v.clone())
            };
            out.from = out.from.or_else(|| get("From"));
            out.to = out.to.or_else(|| get("To"));
        }
    }
    out
}

/// The legs of a call among the retained events: the call's own events name its parent and
/// children; the store's call index says whether each was seen.
pub fn legs(store: &Store, sid: &CallSid) -> Vec<Leg> {
    assemble(
        sid,
        |s| links(store.call_events(s), s),
        |s| seen(store.call_events(s)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::delivery::parse_delivery;

    const IVR: &str = include_str!("../../assets/samples/flows/ivr-sales-call.json");
    const PARENT: &str = "CA866a9ca9f30dd8f84f9984ce99a9ca31";
    const CHILD: &str = "CA41ca571e9101106b3ddd8b9dffba1e18";

    /// A request of the dialed call, carrying `ParentCallSid`.
    fn child_event(id: &str) -> String {
        format!(
            r#"{{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/t","id":"{id}",
            "time":"2026-11-28T14:03:20.000Z","data":{{"sid":"{CHILD}",
            "request":{{"method":"POST","url":"https://ivr.acme-example.com/whisper","parameters":{{
            "CallSid":"{CHILD}","ParentCallSid":"{PARENT}","From":"+18005550199","To":"+14155550123"}}}},
            "response":{{"responseCode":200}}}}}}"#
        )
    }

    fn store(bodies: &[&str]) -> Store {
        let mut store = Store::new(100);
        let arrival = "2026-11-28T14:00:00Z".parse().unwrap();
        for body in bodies {
            for ev in parse_delivery(body.as_bytes(), arrival).unwrap() {
                store.push(ev);
            }
        }
        store
    }

    fn sid(s: &str) -> CallSid {
        CallSid(s.into())
    }

    #[test]
    fn parent_and_child_are_linked_both_ways() {
        let child = child_event("c1");
        let child2 = child_event("c2");
        let store = store(&[IVR, &child, &child2]);
        let from_parent = legs(&store, &sid(PARENT));
        assert_eq!(
            from_parent,
            [
                Leg {
                    sid: sid(PARENT),
                    parent: true,
                    from: Some("+14155550100".into()),
                    to: Some("+18005550199".into()),
                    events: 5,
                },
                Leg {
                    sid: sid(CHILD),
                    parent: false,
                    from: Some("+18005550199".into()),
                    to: Some("+14155550123".into()),
                    events: 2,
                },
            ]
        );
        assert_eq!(
            legs(&store, &sid(CHILD)),
            from_parent,
            "the same list from the child"
        );
    }

    #[test]
    fn a_leg_without_events_is_not_seen() {
        let store = store(&[IVR]);
        let l = legs(&store, &sid(PARENT));
        assert_eq!(l.len(), 2);
        assert!(l[0].seen() && l[0].parent);
        assert_eq!(l[1].sid, sid(CHILD));
        assert!(!l[1].seen());
        assert_eq!((l[1].from.as_deref(), l[1].to.as_deref()), (None, None));
        // A child whose parent left the store: the parent is listed, not seen.
        let child = child_event("c1");
        let store = self::store(&[&child]);
        let l = legs(&store, &sid(CHILD));
        assert_eq!(l.len(), 2);
        assert_eq!((l[0].sid.as_str(), l[0].seen()), (PARENT, false));
        assert_eq!((l[1].sid.as_str(), l[1].events), (CHILD, 1));
    }

    #[test]
    fn a_call_without_links_has_no_legs() {
        let failed = include_str!("../../assets/samples/flows/failed-call.json");
        let store = store(&[failed]);
        assert!(legs(&store, &sid("CA8c8593018149d855bcf81c2b69f3db99")).is_empty());
        assert!(legs(&store, &sid("CAnone")).is_empty());
    }
}
