//! At-least-once delivery means the same event can arrive twice: one bounded memory of the
//! keys seen, shared by every source, so a replay deduplicates exactly as the live run did.

use std::collections::{HashSet, VecDeque};

use crate::domain::delivery::Delivery;
use crate::domain::event::{DedupKey, KeyBuild};
use crate::domain::{Event, Signature};

/// Keys of the events seen recently, bounded like the store's retention so memory stays flat.
#[derive(Debug)]
pub struct Dedup {
    seen: HashSet<DedupKey, KeyBuild>,
    order: VecDeque<DedupKey>,
    cap: usize,
}

impl Dedup {
    pub fn new(cap: usize) -> Self {
        Dedup {
            seen: HashSet::default(),
            order: VecDeque::new(),
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
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Forgets keys whose delivery could not be handed on, so Twilio's retry is not a duplicate.
    pub fn forget(&mut self, keys: &[DedupKey]) {
        for k in keys {
            self.seen.remove(k);
        }
        self.order.retain(|k| !keys.contains(k));
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
            Some(key) if !seen.insert(key) => delivery.duplicates.push(key),
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
}
