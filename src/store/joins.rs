//! Joins the store makes as events arrive: a Studio step names no call, only its execution;
//! the execution's `started_by` is the call. Steps can overtake their execution (Twilio does
//! not order deliveries), so they wait here until it comes.

use std::collections::HashMap;

use crate::domain::{CallSid, Event};

/// Studio executions seen, and steps waiting for theirs.
#[derive(Debug, Default)]
pub struct Studio {
    /// Execution SID → its call, and the newest retained event of the execution (the entry
    /// leaves the map with that event).
    calls: HashMap<Box<str>, (CallSid, u64)>,
    /// Execution SID → steps (sequence numbers) that came before the execution.
    waiting: HashMap<Box<str>, Vec<u64>>,
}

impl Studio {
    /// Notes a Studio event about to be stored (its `seq` set): an execution records its call
    /// and returns the steps that were waiting for it; a step gets its execution's call, or
    /// waits.
    pub fn on_push(&mut self, ev: &mut Event) -> Option<(CallSid, Vec<u64>)> {
        let execution = ev.studio().map(|s| s.execution.clone())?;
        if execution.is_empty() {
            return None;
        }
        if let Some(call) = ev.call_sid.clone() {
            self.calls.insert(execution.clone(), (call.clone(), ev.seq));
            return self.waiting.remove(&execution).map(|steps| (call, steps));
        }
        match self.calls.get_mut(&execution) {
            Some((call, newest)) => {
                ev.call_sid = Some(call.clone());
                *newest = ev.seq;
            }
            None => self.waiting.entry(execution).or_default().push(ev.seq),
        }
        None
    }

    /// Forgets what an evicted event held up.
    pub fn on_evict(&mut self, ev: &Event) {
        let Some(studio) = ev.studio() else { return };
        let key = &studio.execution;
        if self
            .calls
            .get(key)
            .is_some_and(|(_, newest)| *newest == ev.seq)
        {
            self.calls.remove(key);
        }
        if let Some(steps) = self.waiting.get_mut(key) {
            steps.retain(|s| *s != ev.seq);
            if steps.is_empty() {
                self.waiting.remove(key);
            }
        }
    }

    /// Executions and waiting step lists held (for tests of the bound).
    #[cfg(test)]
    pub fn held(&self) -> (usize, usize) {
        (self.calls.len(), self.waiting.len())
    }
}
