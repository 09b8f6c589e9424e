//! Each TwiML body decoded and checked once. An IVR answers thousands of calls with the same
//! few documents, so the verdict on a body — its text, what is wrong with it, its check
//! findings — is kept per thread by the body's hash: the source stamps each event's
//! [`TwimlMark`] on its own worker thread, and the headless printer and search, on the same
//! threads, reuse the work instead of decoding again.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::hash::BuildHasher;
use std::rc::Rc;

use super::event::{Event, TwimlMark};
use super::lint::{self, Finding, Severity};
use super::twiml;

/// What one body is: its text, what is wrong with it, and its findings (worst first).
#[derive(Debug, Clone)]
pub struct Checked {
    /// The decoded text (lossy UTF-8, cut at the decode limit); `None` when the base64 is bad.
    pub text: Option<String>,
    /// Why the body did not decode as XML, when it did not.
    pub problem: Option<String>,
    /// TwiML check findings in document order; empty for a body that is not TwiML.
    pub findings: Vec<Finding>,
    /// The last few needles looked for in `text`, and whether each was there: a search over a
    /// million events asks the same few documents of an IVR the same question again and again.
    searched: RefCell<VecDeque<(Box<str>, bool)>>,
}

impl PartialEq for Checked {
    fn eq(&self, other: &Self) -> bool {
        (&self.text, &self.problem, &self.findings)
            == (&other.text, &other.problem, &other.findings)
    }
}

/// Needles a body remembers its answer for (an expression's free-text terms).
const SEARCHES: usize = 4;

impl Checked {
    fn of(b64: &str) -> Self {
        let decoded = twiml::decode_unrendered(b64);
        let findings = if decoded.is_twiml() {
            lint::check(&decoded)
        } else {
            Vec::new()
        };
        Checked {
            text: decoded.base64_error.is_none().then(|| decoded.text.clone()),
            problem: decoded.problem(),
            findings,
            searched: RefCell::default(),
        }
    }

    /// Whether the decoded text holds `needle` as `contains` decides, asked once per needle:
    /// later events with the same body get the answer without reading the text again.
    pub fn text_holds(&self, needle: &str, contains: impl FnOnce(&str, &str) -> bool) -> bool {
        let Some(text) = self.text.as_deref() else {
            return false;
        };
        let mut searched = self.searched.borrow_mut();
        if let Some((_, found)) = searched.iter().find(|(n, _)| &**n == needle) {
            return *found;
        }
        let found = contains(text, needle);
        if searched.len() == SEARCHES {
            searched.pop_back();
        }
        searched.push_front((needle.into(), found));
        found
    }

    /// The mark an event with this body carries in the table and the problems filter.
    pub fn mark(&self) -> TwimlMark {
        if self.problem.is_some() {
            return TwimlMark::Failed;
        }
        match lint::worst(&self.findings) {
            Some(Severity::Error) => TwimlMark::Errors,
            Some(Severity::Warning) => TwimlMark::Warnings,
            None => TwimlMark::Clean,
        }
    }
}

/// Bodies checked recently on this thread.
const CACHE: usize = 128;

thread_local! {
    static CHECKED: RefCell<VecDeque<(u64, Rc<Checked>)>> = const { RefCell::new(VecDeque::new()) };
}

/// A body's key in the cache: the same on every thread of the process, never 0 (which
/// [`Event::body_key`] keeps for "none").
pub fn key(b64: &str) -> u64 {
    static KEYS: std::sync::OnceLock<std::hash::RandomState> = std::sync::OnceLock::new();
    KEYS.get_or_init(std::hash::RandomState::new)
        .hash_one(b64)
        .max(1)
}

/// The verdict on a base64 body, from this thread's cache when the body was seen.
pub fn checked(b64: &str) -> Rc<Checked> {
    cached(key(b64), || Checked::of(b64))
}

/// The verdict on an event's response body, found by the key its stamp hashed (the body is
/// read again only when this thread has not checked it); `None` without a body.
pub fn of_event(ev: &Event) -> Option<Rc<Checked>> {
    if ev.body_key == 0 {
        return ev.response_body_text().map(|b| checked(&b));
    }
    Some(cached(ev.body_key, || {
        Checked::of(&ev.response_body_text().unwrap_or_default())
    }))
}

fn cached(key: u64, check: impl FnOnce() -> Checked) -> Rc<Checked> {
    CHECKED.with_borrow_mut(|cache| {
        if let Some(i) = cache.iter().position(|(k, _)| *k == key) {
            let hit = cache[i].1.clone();
            // Move to the front: the documents in use stay, one-offs leave.
            if i > 0
                && let Some(entry) = cache.remove(i)
            {
                cache.push_front(entry);
            }
            return hit;
        }
        let c = Rc::new(check());
        cache.push_front((key, c.clone()));
        cache.truncate(CACHE);
        c
    })
}

/// Stamps an event's [`TwimlMark`] from its response body, and the body's key.
pub fn stamp(ev: &mut Event) {
    let (mark, key) = match ev.response_body_text().filter(|b| !b.trim().is_empty()) {
        None => (TwimlMark::NoBody, 0),
        Some(b) => {
            let key = key(&b);
            (cached(key, || Checked::of(&b)).mark(), key)
        }
    };
    ev.twiml = mark;
    ev.body_key = key;
}

/// Stamps every event that is not stamped yet.
pub fn stamp_all(events: &mut [Event]) {
    for ev in events
        .iter_mut()
        .filter(|e| e.twiml == TwimlMark::Unchecked)
    {
        stamp(ev);
    }
}

/// Problems: what someone on call wants to see first (a forged signature included). A status
/// callback is one when its `CallStatus` is `failed` (Twilio could not place or connect the
/// call); `busy`, `no-answer` and `canceled` are how calls end, not faults.
pub fn is_problem(ev: &crate::domain::Event) -> bool {
    ev.kind == crate::domain::EventKind::RequestFailed
        || ev.invalid.is_some()
        || ev.signature == crate::domain::Signature::Invalid
        || ev.response_code.is_some_and(|c| c >= 400)
        || ev.twiml_failed()
        || ev
            .error_log()
            .is_some_and(crate::domain::event::ErrorLog::is_problem)
        || (matches!(
            ev.kind,
            crate::domain::EventKind::StatusCallback | crate::domain::EventKind::Progress
        ) && ev.parameter("CallStatus").as_deref() == Some("failed"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;

    fn b64(s: &str) -> String {
        base64::engine::general_purpose::STANDARD.encode(s)
    }

    #[test]
    fn marks_follow_the_worst_finding() {
        let clean = checked(&b64("<Response><Say>Hi</Say></Response>"));
        assert_eq!(clean.mark(), TwimlMark::Clean);
        assert_eq!(
            clean.text.as_deref(),
            Some("<Response><Say>Hi</Say></Response>")
        );
        let warn = checked(&b64(
            "<Response><Say>Hi</Say><Hangup/><Say>x</Say></Response>",
        ));
        assert!(matches!(
            warn.mark(),
            TwimlMark::Warnings | TwimlMark::Errors
        ));
        let broken = checked(&b64("<Response><Say>"));
        assert_eq!(broken.mark(), TwimlMark::Failed);
        assert!(broken.problem.as_deref().unwrap().starts_with("not XML"));
        let bad_base64 = checked("!!!");
        assert_eq!(bad_base64.mark(), TwimlMark::Failed);
        assert_eq!(bad_base64.text, None);
    }

    #[test]
    fn a_body_seen_again_is_not_decoded_again() {
        let body = b64("<Response><Pause/></Response>");
        let first = checked(&body);
        let again = checked(&body);
        assert!(Rc::ptr_eq(&first, &again));
    }
}
