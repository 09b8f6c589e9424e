//! The legs of a call among the retained events.

use super::Store;
use crate::domain::CallSid;
use crate::domain::call::legs::{Leg, assemble, links, seen};

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
