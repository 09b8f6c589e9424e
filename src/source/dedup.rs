//! At-least-once delivery means the same event can arrive twice: one bounded memory of the
//! keys seen, shared by every source, so a replay deduplicates exactly as the live run did.

use std::collections::{HashMap, HashSet, VecDeque};

use crate::domain::delivery::{Delivery, Duplicate};
use crate::domain::event::{DedupKey, KeyBuild};
use crate::domain::{Event, Signature};

/// Keys of the events seen recently, bounded like the store's retention so memory stays flat.
#[derive(Debug)]
pub struct Dedup {
    seen: HashSet<DedupKey, KeyBuild>,
    /// Keys in the order they were first seen; the oldest leave beyond `cap`.
    order: VecDeque<DedupKey>,
    /// Forgotten keys whose entry is still in `order`, with how many such entries: when that
    /// entry leaves, the key (seen again since, perhaps) must stay. Almost always empty.
    stale: HashMap<DedupKey, u32, KeyBuild>,
    cap: usize,
}

impl Dedup {
    pub fn new(cap: usize) -> Self {
        Dedup {
            seen: HashSet::default(),
            order: VecDeque::new(),
            stale: HashMap::default(),
            cap: cap.max(1),
        }
    }

    /// Marks a key as seen; false when it already was.
    pub fn insert(&mut self, key: DedupKey) -> bool {
        if !self.seen.insert(key) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.expire(old);
            }
        }
        true
    }

    fn expire(&mut self, old: DedupKey) {
        if !self.stale.is_empty()
            && let Some(n) = self.stale.get_mut(&old)
        {
            *n -= 1;
            if *n == 0 {
                self.stale.remove(&old);
            }
            return;
        }
        self.seen.remove(&old);
    }

    /// Forgets keys whose delivery could not be handed on, so Twilio's retry is not a
    /// duplicate. Costs O(keys), not O(window): this runs under the lock every handler shares.
    pub fn forget(&mut self, keys: &[DedupKey]) {
        for k in keys {
            if self.seen.remove(k) {
                *self.stale.entry(*k).or_default() += 1;
            }
        }
    }
}
/// Splits parsed events into new ones and duplicates of earlier (or same-body) ones, and
/// stamps each with the delivery's signature verdict.
pub fn split_duplicates(seen: &mut Dedup, parsed: Vec<Event>, signature: Signature) -> Delivery {
    let mut delivery = Delivery {
        events: Vec::with_capacity(parsed.len()),
        keys: Vec::with_capacity(parsed.len()),
        duplicates: Vec::new(),
    };
    for mut e in parsed {
        e.signature = signature;
        match e.dedup_key() {
            Some(key) if !seen.insert(key) => delivery.duplicates.push(Duplicate {
                key,
                call: e.call_sid.take(),
            }),
            k => {
                delivery.events.push(e);
                delivery.keys.push(k);
            }
        }
    }
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_is_bounded_and_forgets() {
        let mut d = Dedup::new(2);
        assert!(d.insert(1));
        assert!(!d.insert(1));
        assert!(d.insert(2));
        assert!(d.insert(3)); // evicts 1
        assert!(d.insert(1));
        d.forget(&[1]);
        assert!(d.insert(1));
        assert!(d.seen.len() <= 3);
    }

    #[test]
    fn a_forgotten_key_seen_again_keeps_its_full_window() {
        let mut d = Dedup::new(3);
        assert!(d.insert(1));
        d.forget(&[1]); // the delivery was cut short…
        assert!(d.insert(1), "…so Twilio's retry is new");
        assert!(d.insert(2));
        // The first entry of 1 leaves the window; the retry's entry is still inside it.
        assert!(d.insert(3));
        assert!(!d.insert(1), "the retry is remembered for its own window");
        assert!(d.stale.is_empty(), "the stale entry is spent");
        assert!(d.insert(4));
        assert!(d.insert(5)); // the retry's entry leaves now
        assert!(d.insert(1), "and then it is forgotten");
    }

    #[test]
    fn forgetting_an_unseen_key_changes_nothing() {
        let mut d = Dedup::new(2);
        d.forget(&[7]);
        assert!(d.stale.is_empty());
        assert!(d.insert(7));
        assert!(!d.insert(7));
    }
}
