//! The conference of a call among the retained events.

use super::Store;
use crate::domain::CallSid;
use crate::domain::call::conference::{Conference, assemble, of_call};

/// The conference the call took part in, with its participant calls; None when none of the
/// call's retained events names one. Reads the call's events and the conference's, through
/// the store's indexes.
pub fn conference(store: &Store, sid: &CallSid) -> Option<Conference> {
    let conf = of_call(store.call_events(sid))?;
    Some(assemble(&conf, store.conference_events(&conf)))
}
