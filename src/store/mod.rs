//! The event store: a ring buffer in arrival order with per-kind, per-call and problem indexes,
//! and the filtered view kept incrementally. Pure: no I/O, one owner (the consumer task).
//!
//! Every event gets a sequence number; the retained events are `base_seq..next_seq`, so a
//! sequence number finds its event in O(1). Indexes hold sequence numbers in ascending order and
//! are trimmed at their front when the oldest events are evicted.

pub mod conference;
mod joins;
pub mod legs;
pub mod stats;

use std::collections::{HashMap, VecDeque};

use crate::domain::delivery::Duplicate;
use crate::domain::event::{DedupKey, KeyBuild};
use crate::domain::family::Group;
use crate::domain::filter::{self, IndexTerm, KindMask, Plan, Query};
use crate::domain::{CallSid, Event, EventKind};

/// Default retention cap (`--max-events`).
pub const DEFAULT_MAX_EVENTS: usize = 100_000;

/// Event slots reserved when a store is made: beyond this the deque grows as events arrive
/// (a reservation is address space, but a very large one can still be refused).
const RESERVE_MAX: usize = 4 << 20;

/// How many events a search scans per call of [`Store::advance_search`]; keeps a search over a
/// million events from blocking the keyboard.
pub const SEARCH_CHUNK: usize = 10_000;

/// The same for a filter whose terms read only the fields kept beside each event (no
/// parameters, no TwiML): about as long a turn as [`SEARCH_CHUNK`] of the others.
pub const CHEAP_CHUNK: usize = 100_000;

/// Past this many calls matching a `call:` pattern, scanning beats merging their lists.
const CALL_LISTS_MERGED: usize = 8;

/// What the view shows. All parts combine (logical AND).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Bit `i` set = show `EventKind::TWIML[i]`; empty = every kind.
    pub kinds: u16,
    /// Problems only: request.failed, response code ≥ 400, invalid, TwiML that failed to decode.
    pub problems: bool,
    /// One call only.
    pub call: Option<CallSid>,
    /// A filter expression (`/`, `--filter`): see [`crate::domain::filter`].
    pub search: Option<Query>,
    /// Bit [`Group::bit`] set = show that family; empty = every family.
    pub groups: u8,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        self.kinds == 0
            && self.groups == 0
            && !self.problems
            && self.call.is_none()
            && self.search.is_none()
    }

    pub fn has_group(&self, group: Group) -> bool {
        self.groups & group.bit() != 0
    }

    /// The one family shown, when exactly one is.
    pub fn group(&self) -> Option<Group> {
        let mut on = Group::ALL.into_iter().filter(|g| self.has_group(*g));
        match (on.next(), on.next()) {
            (Some(g), None) => Some(g),
            _ => None,
        }
    }

    pub fn has_kind(&self, kind: EventKind) -> bool {
        kind_bit(kind).is_some_and(|b| self.kinds & b != 0)
    }

    /// Whether `ev` passes every part but the search.
    fn matches_indexed(&self, ev: &Event) -> bool {
        (self.kinds == 0 || self.has_kind(ev.kind))
            && (self.groups == 0 || self.has_group(Group::of(ev.stream())))
            && (!self.problems || is_problem(ev))
            && self
                .call
                .as_ref()
                .is_none_or(|c| ev.call_sid.as_ref() == Some(c))
    }
}

/// The filter bit of a TwiML kind.
pub fn kind_bit(kind: EventKind) -> Option<u16> {
    (kind.index() < 8).then(|| 1u16 << kind.index())
}

pub use crate::domain::check::is_problem;

/// Counters shown in the header and by `/healthz`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counters {
    /// Events stored since start (including evicted ones).
    pub received: u64,
    pub invalid: u64,
    pub evicted: u64,
    pub duplicates: u64,
}

/// The filtered view: sequence numbers in ascending order, or everything retained.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ViewSeqs {
    All,
    List(VecDeque<u64>),
}

/// A search still scanning older candidates, newest first, so the first screenful comes fast.
#[derive(Debug, Clone)]
struct Scan {
    candidates: Candidates,
    /// Candidates `[..remaining]` are still to be checked.
    remaining: usize,
    /// The whole filter: candidates may come from an index that answers only part of it.
    filter: Filter,
}

/// The events a search checks: those an index gave, or every one retained when no index
/// narrows it (a range, not a million-entry list built and faulted in at each switch).
#[derive(Debug, Clone)]
enum Candidates {
    From(u64),
    List(Vec<u64>),
}

impl Candidates {
    /// The `i`-th candidate, ascending.
    fn get(&self, i: usize) -> Option<u64> {
        match self {
            Candidates::From(first) => Some(first + i as u64),
            Candidates::List(list) => list.get(i).copied(),
        }
    }
}

pub struct Store {
    events: VecDeque<Event>,
    base_seq: u64,
    cap: usize,
    by_kind: [VecDeque<u64>; EventKind::COUNT],
    by_group: [VecDeque<u64>; Group::COUNT],
    problems: VecDeque<u64>,
    by_call: HashMap<CallSid, VecDeque<u64>>,
    /// The calls of `by_call` by their SID's last bytes ([`filter::sid_tail`]), so
    /// `call:CA…a9ca31` finds its calls without reading every SID.
    by_tail: HashMap<[u8; filter::SID_TAIL], Vec<CallSid>>,
    /// Events naming each conference (participant callbacks, REST requests on it).
    by_conference: HashMap<Box<str>, VecDeque<u64>>,
    studio: joins::Studio,
    dup_counts: HashMap<u64, u32>,
    /// The retained event of each dedup key, for keyed events without a call SID only: a
    /// redelivery of a call's event finds its original among that call's few events instead
    /// (see [`Store::note_duplicate`]), so no index as large as the store is touched per insert.
    loose_keys: HashMap<DedupKey, u64, KeyBuild>,
    counters: Counters,
    /// The earliest and latest event time seen, for whether the screen needs dates.
    time_span: Option<(jiff::Timestamp, jiff::Timestamp)>,
    filter: Filter,
    view: ViewSeqs,
    scan: Option<Scan>,
}

impl Store {
    pub fn new(cap: usize) -> Self {
        // The events' slots are reserved up front (address space only: pages are touched as
        // events arrive), so filling up to the cap never copies the whole deque into a buffer
        // twice its size — at 1M events a 230 MB copy, and as many fresh pages again.
        let mut events = VecDeque::new();
        let _ = events.try_reserve_exact(cap.clamp(1, RESERVE_MAX));
        Store {
            events,
            base_seq: 0,
            cap: cap.max(1),
            by_kind: std::array::from_fn(|_| VecDeque::new()),
            by_group: std::array::from_fn(|_| VecDeque::new()),
            problems: VecDeque::new(),
            by_call: HashMap::new(),
            by_tail: HashMap::new(),
            by_conference: HashMap::new(),
            studio: joins::Studio::default(),
            dup_counts: HashMap::new(),
            loose_keys: HashMap::default(),
            counters: Counters::default(),
            time_span: None,
            filter: Filter::default(),
            view: ViewSeqs::All,
            scan: None,
        }
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    pub fn counters(&self) -> Counters {
        self.counters
    }

    /// The earliest and latest event time received (evicted events included).
    pub fn time_span(&self) -> Option<(jiff::Timestamp, jiff::Timestamp)> {
        self.time_span
    }

    /// Number of distinct calls among the retained events.
    pub fn call_count(&self) -> usize {
        self.by_call.len()
    }

    /// Retained events of one kind.
    pub fn kind_count(&self, kind: EventKind) -> usize {
        self.by_kind[kind.index()].len()
    }

    pub fn problem_count(&self) -> usize {
        self.problems.len()
    }

    /// Retained events of one family.
    pub fn group_count(&self, group: Group) -> usize {
        self.by_group[group.index()].len()
    }

    /// The retained events naming a conference, in arrival order.
    pub fn conference_events(&self, sid: &str) -> impl Iterator<Item = &Event> + '_ {
        self.by_conference
            .get(sid)
            .into_iter()
            .flatten()
            .filter_map(|&s| self.get(s))
    }

    /// The next sequence number to be assigned.
    pub fn next_seq(&self) -> u64 {
        self.base_seq + self.events.len() as u64
    }

    pub fn get(&self, seq: u64) -> Option<&Event> {
        let i = usize::try_from(seq.checked_sub(self.base_seq)?).ok()?;
        self.events.get(i)
    }

    /// How often this event arrived again after it was stored.
    pub fn duplicates_of(&self, seq: u64) -> u32 {
        self.dup_counts.get(&seq).copied().unwrap_or(0)
    }

    /// Records that an already stored event arrived again.
    /// Counts a redelivery of the event with `key`, and marks that event when it is retained.
    /// Every duplicate counts, so the header agrees with the source's own count.
    pub fn note_duplicate(&mut self, dup: &Duplicate) {
        self.counters.duplicates += 1;
        let original = match &dup.call {
            // Newest first: a redelivery usually follows its original closely.
            Some(call) => self.by_call.get(call).and_then(|seqs| {
                seqs.iter()
                    .rev()
                    .copied()
                    .find(|&s| self.get(s).is_some_and(|e| e.dedup_key() == Some(dup.key)))
            }),
            None => self.loose_keys.get(&dup.key).copied(),
        };
        if let Some(seq) = original {
            *self.dup_counts.entry(seq).or_default() += 1;
        }
    }

    /// A call's retained events, in arrival order.
    pub fn call_events(&self, call: &CallSid) -> impl Iterator<Item = &Event> + '_ {
        self.by_call
            .get(call)
            .into_iter()
            .flatten()
            .filter_map(|&s| self.get(s))
    }

    /// Stores an event, evicting the oldest beyond the cap; returns its sequence number.
    pub fn push(&mut self, ev: Event) -> u64 {
        let key = ev.dedup_key();
        self.push_keyed(ev, key)
    }

    /// [`Store::push`] with the event's dedup key already known (the source computed it).
    pub fn push_keyed(&mut self, mut ev: Event, key: Option<DedupKey>) -> u64 {
        let seq = self.next_seq();
        if let Some(k) = key
            && ev.call_sid.is_none()
        {
            self.loose_keys.insert(k, seq);
        }
        ev.seq = seq;
        self.counters.received += 1;
        self.time_span = Some(match self.time_span {
            Some((first, last)) => (first.min(ev.time), last.max(ev.time)),
            None => (ev.time, ev.time),
        });
        if ev.invalid.is_some() {
            self.counters.invalid += 1;
        }
        self.by_kind[ev.kind.index()].push_back(seq);
        self.by_group[Group::of(ev.stream()).index()].push_back(seq);
        if is_problem(&ev) {
            self.problems.push_back(seq);
        }
        let joined = self.studio.on_push(&mut ev);
        if let Some(call) = &ev.call_sid {
            if let Some(list) = self.by_call.get_mut(call) {
                list.push_back(seq);
            } else {
                self.by_call.insert(call.clone(), VecDeque::from([seq]));
                add_tail(&mut self.by_tail, call);
            }
        }
        if let Some(conf) = ev.conference() {
            match self.by_conference.get_mut(&conf.sid) {
                Some(list) => list.push_back(seq),
                None => {
                    self.by_conference
                        .insert(conf.sid.clone(), VecDeque::from([seq]));
                }
            }
        }
        if let ViewSeqs::List(list) = &mut self.view
            && self.filter.matches_indexed(&ev)
            && self.filter.search.as_ref().is_none_or(|q| q.matches(&ev))
        {
            list.push_back(seq);
        }
        self.events.push_back(ev);
        if let Some((call, steps)) = joined {
            self.attach(&call, &steps);
        }
        while self.events.len() > self.cap {
            self.evict_oldest();
        }
        seq
    }

    /// Gives Studio steps that arrived before their execution the execution's call: they
    /// join the call's index where their sequence numbers belong, and a view of that call
    /// is rebuilt (rare: only when a step overtook its execution).
    fn attach(&mut self, call: &CallSid, steps: &[u64]) {
        let mut added = false;
        for &seq in steps {
            let Some(i) = seq
                .checked_sub(self.base_seq)
                .and_then(|i| usize::try_from(i).ok())
            else {
                continue;
            };
            let Some(ev) = self.events.get_mut(i) else {
                continue;
            };
            if ev.call_sid.is_some() {
                continue;
            }
            ev.call_sid = Some(call.clone());
            if !self.by_call.contains_key(call) {
                add_tail(&mut self.by_tail, call);
            }
            let list = self.by_call.entry(call.clone()).or_default();
            if let Err(at) = list.binary_search(&seq) {
                list.insert(at, seq);
            }
            added = true;
        }
        if added && self.filter.call.as_ref() == Some(call) {
            self.set_filter(self.filter.clone());
        }
    }

    fn evict_oldest(&mut self) {
        let Some(ev) = self.events.pop_front() else {
            return;
        };
        let seq = ev.seq;
        self.base_seq = seq + 1;
        self.counters.evicted += 1;
        pop_if_front(&mut self.by_kind[ev.kind.index()], seq);
        pop_if_front(&mut self.by_group[Group::of(ev.stream()).index()], seq);
        pop_if_front(&mut self.problems, seq);
        self.studio.on_evict(&ev);
        if let Some(conf) = ev.conference()
            && let Some(list) = self.by_conference.get_mut(&conf.sid)
        {
            pop_if_front(list, seq);
            if list.is_empty() {
                self.by_conference.remove(&conf.sid);
            }
        }
        if let Some(call) = &ev.call_sid
            && let Some(list) = self.by_call.get_mut(call)
        {
            pop_if_front(list, seq);
            if list.is_empty() {
                self.by_call.remove(call);
                remove_tail(&mut self.by_tail, call);
            }
        }
        self.dup_counts.remove(&seq);
        if ev.call_sid.is_none()
            && let Some(k) = ev.dedup_key()
            && self.loose_keys.get(&k) == Some(&seq)
        {
            self.loose_keys.remove(&k);
        }
        if let ViewSeqs::List(list) = &mut self.view {
            pop_if_front(list, seq);
        }
    }

    pub fn filter(&self) -> &Filter {
        &self.filter
    }

    /// Switches the view to a new filter. Index filters cost a merge of index lists; an
    /// expression starts a scan that [`Store::advance_search`] continues, over the smallest
    /// index list one of its terms (or the keys' filters) allows.
    pub fn set_filter(&mut self, filter: Filter) {
        self.scan = None;
        self.view = match &filter.search {
            None => match self.indexed_candidates(&filter) {
                None => ViewSeqs::All,
                Some(list) => ViewSeqs::List(list.into()),
            },
            Some(query) if let Some(list) = self.planned(&filter, query) => {
                ViewSeqs::List(list.into())
            }
            Some(query) => {
                let (candidates, remaining) = match self.query_candidates(&filter, query) {
                    Some(list) => {
                        let n = list.len();
                        (Candidates::List(list), n)
                    }
                    None => (Candidates::From(self.base_seq), self.events.len()),
                };
                self.scan = Some(Scan {
                    remaining,
                    candidates,
                    filter: filter.clone(),
                });
                ViewSeqs::List(VecDeque::new())
            }
        };
        self.filter = filter;
        self.advance_search(self.search_budget());
    }

    /// The view of an expression the indexes answer alone ([`Query::plan`]): index lists
    /// merged, intersected and subtracted, so the switch costs about the lists' length and
    /// reads no event but those of the kinds whose type must be compared one by one.
    fn planned(&self, filter: &Filter, query: &Query) -> Option<Vec<u64>> {
        let plan = query.plan()?;
        let list = self.plan_list(&plan);
        if filter.kinds == 0 && filter.groups == 0 && !filter.problems && filter.call.is_none() {
            return Some(list);
        }
        Some(
            list.into_iter()
                .filter(|s| self.get(*s).is_some_and(|ev| filter.matches_indexed(ev)))
                .collect(),
        )
    }

    fn plan_list(&self, plan: &Plan) -> Vec<u64> {
        match plan {
            Plan::Problems => self.problems.iter().copied().collect(),
            Plan::Kinds {
                all,
                checked,
                check,
            } => {
                let lists = |mask: KindMask| -> Vec<&VecDeque<u64>> {
                    EventKind::ALL
                        .iter()
                        .filter(|k| mask & (1 << k.index()) != 0)
                        .map(|k| &self.by_kind[k.index()])
                        .filter(|l| !l.is_empty())
                        .collect()
                };
                let whole = merge_sorted(&lists(*all));
                let passed: Vec<u64> = merge_sorted(&lists(*checked))
                    .into_iter()
                    .filter(|s| self.get(*s).is_some_and(|ev| check.passes(ev)))
                    .collect();
                union(&whole, &passed)
            }
            Plan::Calls(check) => {
                let lists: Vec<&VecDeque<u64>> = match check.sid_tail() {
                    Some(tail) => self
                        .by_tail
                        .get(&tail)
                        .into_iter()
                        .flatten()
                        .filter(|sid| check.sid_passes(sid.as_str()))
                        .filter_map(|sid| self.by_call.get(sid))
                        .collect(),
                    None => self
                        .by_call
                        .iter()
                        .filter(|(sid, _)| check.sid_passes(sid.as_str()))
                        .map(|(_, list)| list)
                        .collect(),
                };
                merge_many(&lists)
            }
            // The smallest list first, and `!x` as a difference from what is left: a call's
            // few events `!type:record` are not a million-long complement intersected.
            Plan::And(xs) => {
                let (negated, plain): (Vec<&Plan>, Vec<&Plan>) =
                    xs.iter().partition(|x| matches!(x, Plan::Not(_)));
                let mut lists: Vec<Vec<u64>> = plain.iter().map(|x| self.plan_list(x)).collect();
                lists.sort_by_key(Vec::len);
                let mut lists = lists.into_iter();
                let first = lists.next().unwrap_or_else(|| self.all_seqs());
                let mut acc = lists.fold(first, |acc, l| intersect(&acc, &l));
                for x in negated {
                    if let Plan::Not(inner) = x {
                        if acc.is_empty() {
                            break;
                        }
                        acc = difference(&acc, &self.plan_list(inner));
                    }
                }
                acc
            }
            Plan::Or(xs) => xs
                .iter()
                .map(|x| self.plan_list(x))
                .fold(Vec::new(), |acc, l| union(&acc, &l)),
            Plan::Not(x) => difference(&self.all_seqs(), &self.plan_list(x)),
        }
    }

    fn all_seqs(&self) -> Vec<u64> {
        (self.base_seq..self.next_seq()).collect()
    }

    /// The index lists of the calls whose SID matches, unless there are many: reads every
    /// call's SID (far fewer than events).
    fn call_lists(&self, pattern: &crate::domain::filter::Pattern) -> Option<Vec<&VecDeque<u64>>> {
        let mut found = Vec::new();
        for (sid, list) in &self.by_call {
            if pattern.matches(sid.as_str()) {
                if found.len() == CALL_LISTS_MERGED {
                    return None;
                }
                found.push(list);
            }
        }
        Some(found)
    }

    /// How many candidates one turn of the running search may check.
    pub fn search_budget(&self) -> usize {
        match &self.filter.search {
            Some(q) if q.is_cheap() => CHEAP_CHUNK,
            _ => SEARCH_CHUNK,
        }
    }

    /// The smallest candidate list an index gives for `filter` with `query`, ascending; every
    /// event of the view is in it. None = every retained event.
    fn query_candidates(&self, filter: &Filter, query: &Query) -> Option<Vec<u64>> {
        let mut sources: Vec<IndexTerm> = query.index_terms();
        if filter.kinds != 0 {
            sources.push(IndexTerm::Kinds(u32::from(filter.kinds)));
        }
        if filter.problems {
            sources.push(IndexTerm::Problems);
        }
        let call_list = filter.call.as_ref().map(|c| self.by_call.get(c));
        let mut best: Option<Vec<u64>> =
            call_list.map(|l| l.into_iter().flatten().copied().collect());
        for term in sources {
            let size = best.as_ref().map_or(usize::MAX, Vec::len);
            let list = match term {
                IndexTerm::Problems => {
                    (self.problems.len() < size).then(|| self.problems.iter().copied().collect())
                }
                IndexTerm::Kinds(mask) => {
                    let lists: Vec<&VecDeque<u64>> = EventKind::ALL
                        .iter()
                        .filter(|k| mask & (1 << k.index()) != 0)
                        .map(|k| &self.by_kind[k.index()])
                        .collect();
                    let n: usize = lists.iter().map(|l| l.len()).sum();
                    (n < size).then(|| merge_sorted(&lists))
                }
                IndexTerm::Call(pattern) => self.call_lists(&pattern).and_then(|lists| {
                    let n: usize = lists.iter().map(|l| l.len()).sum();
                    (n < size).then(|| merge_sorted(&lists))
                }),
            };
            if list.is_some() {
                best = list;
            }
        }
        best
    }

    /// Whether a search is still scanning.
    pub fn searching(&self) -> bool {
        self.scan.is_some()
    }

    /// Scans up to `budget` more search candidates, newest first; returns whether the view grew.
    pub fn advance_search(&mut self, budget: usize) -> bool {
        let Some(scan) = &mut self.scan else {
            return false;
        };
        let ViewSeqs::List(list) = &mut self.view else {
            return false;
        };
        let stop = scan.remaining.saturating_sub(budget);
        let mut grew = false;
        for i in (stop..scan.remaining).rev() {
            let Some(seq) = scan.candidates.get(i) else {
                continue;
            };
            if seq < self.base_seq {
                // Everything older has been evicted.
                scan.remaining = 0;
                break;
            }
            let i = (seq - self.base_seq) as usize;
            if let Some(ev) = self.events.get(i)
                && scan.filter.matches_indexed(ev)
                && scan.filter.search.as_ref().is_none_or(|q| q.matches(ev))
            {
                list.push_front(seq);
                grew = true;
            }
        }
        scan.remaining = scan.remaining.min(stop);
        if scan.remaining == 0 {
            self.scan = None;
        }
        grew
    }

    /// The candidates the indexes give for a filter, ascending; None = every retained event.
    fn indexed_candidates(&self, filter: &Filter) -> Option<Vec<u64>> {
        let matches = |s: &u64| self.get(*s).is_some_and(|ev| filter.matches_indexed(ev));
        if let Some(call) = &filter.call {
            let list = self.by_call.get(call);
            return Some(
                list.into_iter()
                    .flatten()
                    .copied()
                    .filter(matches)
                    .collect(),
            );
        }
        if filter.problems {
            return Some(self.problems.iter().copied().filter(matches).collect());
        }
        if filter.kinds != 0 {
            let lists: Vec<&VecDeque<u64>> = EventKind::TWIML
                .iter()
                .filter(|k| filter.has_kind(**k))
                .map(|k| &self.by_kind[k.index()])
                .collect();
            let merged = merge_sorted(&lists);
            if filter.groups == 0 {
                return Some(merged);
            }
            return Some(merged.into_iter().filter(matches).collect());
        }
        if filter.groups != 0 {
            let lists: Vec<&VecDeque<u64>> = Group::ALL
                .iter()
                .filter(|g| filter.has_group(**g))
                .map(|g| &self.by_group[g.index()])
                .collect();
            return Some(merge_sorted(&lists));
        }
        None
    }

    /// Length of the filtered view.
    pub fn view_len(&self) -> usize {
        match &self.view {
            ViewSeqs::All => self.events.len(),
            ViewSeqs::List(list) => list.len(),
        }
    }

    /// The sequence number at a view position.
    pub fn view_seq(&self, pos: usize) -> Option<u64> {
        match &self.view {
            ViewSeqs::All => (pos < self.events.len()).then(|| self.base_seq + pos as u64),
            ViewSeqs::List(list) => list.get(pos).copied(),
        }
    }

    /// The view position of a sequence number, or where it would be inserted (`Err`).
    pub fn view_position(&self, seq: u64) -> Result<usize, usize> {
        match &self.view {
            ViewSeqs::All => {
                if seq < self.base_seq {
                    Err(0)
                } else if seq >= self.next_seq() {
                    Err(self.events.len())
                } else {
                    Ok((seq - self.base_seq) as usize)
                }
            }
            ViewSeqs::List(list) => list.binary_search(&seq),
        }
    }

    /// The events at view positions `range` (clamped), for drawing the visible rows only.
    pub fn view_slice(&self, start: usize, end: usize) -> impl Iterator<Item = &Event> + '_ {
        let end = end.min(self.view_len());
        (start.min(end)..end).filter_map(|p| self.view_seq(p).and_then(|s| self.get(s)))
    }
}

fn add_tail(by_tail: &mut HashMap<[u8; filter::SID_TAIL], Vec<CallSid>>, call: &CallSid) {
    if let Some(tail) = filter::sid_tail(call.as_str()) {
        // Nearly every tail names one call: no room reserved for more.
        by_tail
            .entry(tail)
            .or_insert_with(|| Vec::with_capacity(1))
            .push(call.clone());
    }
}

fn remove_tail(by_tail: &mut HashMap<[u8; filter::SID_TAIL], Vec<CallSid>>, call: &CallSid) {
    let Some(tail) = filter::sid_tail(call.as_str()) else {
        return;
    };
    if let Some(calls) = by_tail.get_mut(&tail) {
        calls.retain(|c| c != call);
        if calls.is_empty() {
            by_tail.remove(&tail);
        }
    }
}

fn pop_if_front(list: &mut VecDeque<u64>, seq: u64) {
    if list.front() == Some(&seq) {
        list.pop_front();
    }
}

/// The union of two ascending lists, ascending.
fn union(a: &[u64], b: &[u64]) -> Vec<u64> {
    if a.is_empty() {
        return b.to_vec();
    }
    if b.is_empty() {
        return a.to_vec();
    }
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => {
                out.push(x);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                out.push(y);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or_default());
    out.extend_from_slice(b.get(j..).unwrap_or_default());
    out
}

/// A far shorter list is looked up in the longer one instead of walking both.
const LOOKUP_RATIO: usize = 32;

/// The intersection of two ascending lists, ascending.
fn intersect(a: &[u64], b: &[u64]) -> Vec<u64> {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if short.len().saturating_mul(LOOKUP_RATIO) < long.len() {
        return short
            .iter()
            .copied()
            .filter(|s| long.binary_search(s).is_ok())
            .collect();
    }
    let mut out = Vec::with_capacity(short.len());
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        match x.cmp(&y) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(x);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

/// `a` less the elements of `b`; both ascending.
fn difference(a: &[u64], b: &[u64]) -> Vec<u64> {
    if a.len().saturating_mul(LOOKUP_RATIO) < b.len() {
        return a
            .iter()
            .copied()
            .filter(|s| b.binary_search(s).is_err())
            .collect();
    }
    let mut out = Vec::with_capacity(a.len());
    let mut gone = b.iter().peekable();
    for &x in a {
        while gone.next_if(|&&y| y < x).is_some() {}
        if gone.peek() != Some(&&x) {
            out.push(x);
        }
    }
    out
}

/// The union of any number of ascending lists (a call pattern can match thousands of calls,
/// too many for [`merge_sorted`]'s scan of every head): concatenated and sorted.
fn merge_many(lists: &[&VecDeque<u64>]) -> Vec<u64> {
    if lists.len() <= CALL_LISTS_MERGED {
        return merge_sorted(lists);
    }
    let mut out: Vec<u64> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    // An event is in one call's list only, so there is nothing to deduplicate.
    out.sort_unstable();
    out
}

/// k-way merge of ascending lists (at most eight: one per TwiML kind or family).
fn merge_sorted(lists: &[&VecDeque<u64>]) -> Vec<u64> {
    let mut out = Vec::with_capacity(lists.iter().map(|l| l.len()).sum());
    match lists {
        [] => {}
        [one] => out.extend(one.iter().copied()),
        _ => {
            let mut iters: Vec<_> = lists.iter().map(|l| l.iter().copied().peekable()).collect();
            loop {
                let mut best: Option<(usize, u64)> = None;
                for (i, it) in iters.iter_mut().enumerate() {
                    if let Some(&v) = it.peek()
                        && best.is_none_or(|(_, b)| v < b)
                    {
                        best = Some((i, v));
                    }
                }
                let Some((i, v)) = best else { break };
                out.push(v);
                if let Some(it) = iters.get_mut(i) {
                    it.next();
                }
            }
        }
    }
    out
}

pub use crate::domain::filter::contains_ci;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{TimeSource, event::Event};

    fn ev(kind: EventKind, call: &str, code: u16) -> Event {
        // Each test event its own id, as real events have.
        static IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let id = IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Event {
            seq: 0,
            kind,
            type_name: crate::domain::event::Text::owned(kind.type_name().unwrap_or("x")),
            id: crate::domain::event::Text::owned(format!("id-{id}")),
            source: crate::domain::event::Text::owned("src"),
            time: jiff::Timestamp::UNIX_EPOCH,
            time_source: TimeSource::Arrival,
            time_sent: crate::domain::event::Text::default(),
            arrival: jiff::Timestamp::UNIX_EPOCH,
            call_sid: Some(CallSid(call.into())),
            method: crate::domain::event::Text::owned("POST"),
            url: crate::domain::event::Text::owned(format!("https://x.test/{}", kind.short())),
            response_code: Some(code),
            duration_ms: Some(10),
            raw: "{}".into(),
            part_ranges: crate::domain::event::PartRanges::default(),
            invalid: None,
            twiml: crate::domain::TwimlMark::Unchecked,
            body_key: 0,
            sequence: None,
            signature: crate::domain::Signature::Unchecked,
            facts: None,
        }
    }

    fn seqs(store: &Store) -> Vec<u64> {
        (0..store.view_len())
            .filter_map(|p| store.view_seq(p))
            .collect()
    }

    fn filled() -> Store {
        let mut s = Store::new(100);
        s.push(ev(EventKind::CallRequested, "CA1", 200)); // 0
        s.push(ev(EventKind::GatherFinished, "CA1", 200)); // 1
        s.push(ev(EventKind::CallRequested, "CA2", 200)); // 2
        s.push(ev(EventKind::DialFinished, "CA1", 500)); // 3
        s.push(ev(EventKind::RequestFailed, "CA2", 502)); // 4
        s.push(ev(EventKind::GatherFinished, "CA2", 200)); // 5
        s
    }

    fn kinds(ks: &[EventKind]) -> u16 {
        ks.iter().filter_map(|k| kind_bit(*k)).fold(0, |a, b| a | b)
    }

    #[test]
    fn view_all_and_counts() {
        let s = filled();
        assert_eq!(seqs(&s), [0, 1, 2, 3, 4, 5]);
        assert_eq!(s.call_count(), 2);
        assert_eq!(s.kind_count(EventKind::GatherFinished), 2);
        assert_eq!(s.problem_count(), 2);
    }

    #[test]
    fn filters_combine() {
        let mut s = filled();
        let f = |k: &[EventKind], problems, call: Option<&str>| Filter {
            kinds: kinds(k),
            problems,
            call: call.map(|c| CallSid(c.into())),
            search: None,
            groups: 0,
        };
        s.set_filter(f(&[EventKind::GatherFinished], false, None));
        assert_eq!(seqs(&s), [1, 5]);
        s.set_filter(f(
            &[EventKind::GatherFinished, EventKind::CallRequested],
            false,
            None,
        ));
        assert_eq!(seqs(&s), [0, 1, 2, 5]);
        s.set_filter(f(&[], true, None));
        assert_eq!(seqs(&s), [3, 4]);
        s.set_filter(f(&[EventKind::DialFinished], true, None));
        assert_eq!(seqs(&s), [3]);
        s.set_filter(f(&[], false, Some("CA2")));
        assert_eq!(seqs(&s), [2, 4, 5]);
        s.set_filter(f(&[EventKind::GatherFinished], false, Some("CA2")));
        assert_eq!(seqs(&s), [5]);
        s.set_filter(f(&[], true, Some("CA1")));
        assert_eq!(seqs(&s), [3]);
        s.set_filter(Filter::default());
        assert_eq!(seqs(&s), [0, 1, 2, 3, 4, 5]);
    }

    #[test]
    fn view_follows_inserts() {
        let mut s = filled();
        s.set_filter(Filter {
            kinds: kinds(&[EventKind::CallRequested]),
            ..Filter::default()
        });
        s.push(ev(EventKind::CallRequested, "CA3", 200));
        s.push(ev(EventKind::GatherFinished, "CA3", 200));
        assert_eq!(seqs(&s), [0, 2, 6]);
        assert_eq!(s.view_position(6), Ok(2));
        assert_eq!(s.view_position(5), Err(2));
    }

    #[test]
    fn search_scans_in_chunks_newest_first() {
        let mut s = Store::new(100);
        for i in 0..50 {
            s.push(ev(EventKind::CallRequested, &format!("CA{i}"), 200));
        }
        let needle = Filter {
            search: Query::parse("ca4").ok(),
            ..Filter::default()
        };
        s.filter = needle.clone();
        s.view = ViewSeqs::List(VecDeque::new());
        s.scan = Some(Scan {
            candidates: Candidates::List((0..50).collect()),
            remaining: 50,
            filter: needle.clone(),
        });
        assert!(s.advance_search(5)); // seqs 45..50 are CA45..CA49
        assert_eq!(seqs(&s), [45, 46, 47, 48, 49]);
        assert!(s.searching());
        s.push(ev(EventKind::CallRequested, "CA4x", 200));
        while s.advance_search(7) {}
        while s.searching() {
            s.advance_search(7);
        }
        assert_eq!(seqs(&s), [4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
        s.set_filter(Filter {
            search: Query::parse("CA4").ok(),
            ..Filter::default()
        });
        assert_eq!(seqs(&s), [4, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50]);
    }

    #[test]
    fn eviction_keeps_indexes_consistent() {
        let mut s = Store::new(3);
        s.set_filter(Filter {
            kinds: kinds(&[EventKind::GatherFinished]),
            ..Filter::default()
        });
        let mut store = filled_into(s);
        assert_eq!(store.len(), 3);
        assert_eq!(store.counters().evicted, 3);
        assert_eq!(seqs(&store), [5]);
        assert_eq!(store.call_count(), 2);
        assert_eq!(store.call_events(&CallSid("CA1".into())).count(), 1);
        assert!(store.get(2).is_none());
        store.set_filter(Filter {
            problems: true,
            ..Filter::default()
        });
        assert_eq!(seqs(&store), [3, 4]);
        for _ in 0..3 {
            store.push(ev(EventKind::CallRequested, "CA9", 200));
        }
        assert_eq!(seqs(&store), Vec::<u64>::new());
        assert_eq!(store.call_count(), 1);
        assert_eq!(store.problem_count(), 0);
        for k in EventKind::ALL {
            let n = store.kind_count(k);
            assert!(n <= 3, "{k:?}");
        }
    }

    fn filled_into(mut s: Store) -> Store {
        for e in [
            ev(EventKind::CallRequested, "CA1", 200),
            ev(EventKind::GatherFinished, "CA1", 200),
            ev(EventKind::CallRequested, "CA2", 200),
            ev(EventKind::DialFinished, "CA1", 500),
            ev(EventKind::RequestFailed, "CA2", 502),
            ev(EventKind::GatherFinished, "CA2", 200),
        ] {
            s.push(e);
        }
        s
    }

    #[test]
    fn duplicates_are_counted_on_the_original() {
        let mut s = filled();
        let dup = duplicate_of(s.get(1).unwrap());
        s.note_duplicate(&dup);
        s.note_duplicate(&dup);
        assert_eq!(s.duplicates_of(1), 2);
        assert_eq!(s.counters().duplicates, 2);
        assert_eq!(
            s.duplicates_of(0) + s.duplicates_of(3),
            0,
            "the call's other events are not marked"
        );
    }

    fn duplicate_of(e: &Event) -> Duplicate {
        Duplicate {
            key: e.dedup_key().unwrap(),
            call: e.call_sid.clone(),
        }
    }

    #[test]
    fn a_duplicate_without_a_call_finds_its_original_by_key() {
        let mut s = filled();
        let mut loose = ev(EventKind::CallRequested, "CA1", 200);
        loose.call_sid = None;
        let dup = duplicate_of(&loose);
        let seq = s.push(loose);
        assert!(s.loose_keys.contains_key(&dup.key), "indexed by key");
        s.note_duplicate(&dup);
        assert_eq!(s.duplicates_of(seq), 1);
        assert!(
            !s.loose_keys
                .contains_key(&duplicate_of(s.get(1).unwrap()).key),
            "events of a call are found through the call, not this index"
        );
    }

    #[test]
    fn a_duplicate_of_an_evicted_event_still_counts() {
        let mut s = Store::new(2);
        let first = ev(EventKind::CallRequested, "CA1", 200);
        let dup = duplicate_of(&first);
        s.push(first);
        s.push(ev(EventKind::GatherFinished, "CA1", 200));
        s.push(ev(EventKind::DialFinished, "CA1", 200));
        assert!(s.get(0).is_none(), "evicted");
        s.note_duplicate(&dup);
        assert_eq!(
            s.counters().duplicates,
            1,
            "counted like the source counts it"
        );
        assert_eq!(
            s.duplicates_of(1) + s.duplicates_of(2),
            0,
            "no other event marked"
        );
        assert!(
            s.loose_keys.len() <= 2,
            "the key index leaves with its events"
        );
    }

    #[test]
    fn contains_ci_works() {
        assert!(contains_ci("Hello World", "world"));
        assert!(contains_ci("abc", ""));
        assert!(!contains_ci("ab", "abc"));
        assert!(contains_ci("xxCA4", "ca4"));
        assert!(!contains_ci("héllo", "hello"));
    }

    fn studio(ty: &str, id: &str, execution: &str, started_by: Option<&str>) -> Event {
        let started_by = started_by.map_or(String::new(), |c| format!(r#","started_by":"{c}""#));
        let body = format!(
            r#"{{"type":"com.twilio.studio.flow.{ty}","id":"{id}","time":"2026-11-28T16:00:00Z",
            "data":{{"execution_sid":"{execution}","name":"incomingCall","transitioned_from":"Trigger",
            "transitioned_to":"say"{started_by}}}}}"#
        );
        let at = "2026-11-28T16:00:00Z".parse().unwrap();
        crate::domain::delivery::parse_delivery(body.as_bytes(), at)
            .unwrap()
            .remove(0)
    }

    #[test]
    fn studio_joins_leave_with_their_events() {
        let mut s = Store::new(2);
        s.push(studio("step.ended", "s1", "FN1", None));
        assert_eq!(s.studio.held(), (0, 1), "a step waits for its execution");
        s.push(studio("execution.started", "e1", "FN1", Some("CAaa")));
        assert_eq!(s.studio.held(), (1, 0));
        assert_eq!(s.call_events(&CallSid("CAaa".into())).count(), 2);
        s.push(studio("step.ended", "s2", "FN1", None));
        assert_eq!(
            s.get(2).and_then(|e| e.call_sid.clone()),
            Some(CallSid("CAaa".into())),
            "a step after its execution is joined at once"
        );
        // The execution's events leave the store: so does the join.
        s.push(ev(EventKind::CallRequested, "CA9", 200));
        s.push(ev(EventKind::CallRequested, "CA9", 200));
        assert_eq!(s.studio.held(), (0, 0));
        // A step whose execution never comes does not wait forever.
        s.push(studio("step.ended", "s3", "FN2", None));
        s.push(ev(EventKind::CallRequested, "CA9", 200));
        s.push(ev(EventKind::CallRequested, "CA9", 200));
        assert_eq!(s.studio.held(), (0, 0));
    }

    #[test]
    fn families_are_an_index() {
        let mut s = filled();
        s.push(studio("execution.started", "e1", "FN1", Some("CA1")));
        s.set_filter(Filter {
            groups: Group::Studio.bit(),
            ..Filter::default()
        });
        assert_eq!(seqs(&s), [6]);
        s.push(ev(EventKind::CallRequested, "CA1", 200));
        s.push(studio("step.ended", "s1", "FN1", None));
        assert_eq!(seqs(&s), [6, 8], "the view follows inserts");
        s.set_filter(Filter {
            groups: Group::Twiml.bit(),
            kinds: kinds(&[EventKind::GatherFinished]),
            ..Filter::default()
        });
        assert_eq!(seqs(&s), [1, 5]);
        assert_eq!(s.group_count(Group::Twiml), 7);
    }

    #[test]
    fn the_sid_tail_index_holds_exactly_the_retained_calls() {
        let mut store = Store::new(4);
        let sids = ["CA00aa9ca31", "CA11aa9ca31", "CA22b10001", "CA1"];
        for i in 0..12 {
            store.push(ev(EventKind::CallRequested, sids[i % sids.len()], 200));
            let mut tails: Vec<&CallSid> = store.by_tail.values().flatten().collect();
            tails.sort();
            let mut calls: Vec<&CallSid> = store
                .by_call
                .keys()
                .filter(|c| c.as_str().len() >= filter::SID_TAIL)
                .collect();
            calls.sort();
            assert_eq!(tails, calls, "after {i}");
        }
        store.set_filter(Filter {
            search: Query::parse("call:ca…AA9CA31").ok(),
            ..Filter::default()
        });
        let shown: Vec<String> = store
            .view_slice(0, 10)
            .filter_map(|e| e.call_sid.as_ref().map(|c| c.as_str().to_owned()))
            .collect();
        assert_eq!(shown, ["CA00aa9ca31", "CA11aa9ca31"]);
    }

    #[test]
    fn list_operations_agree_with_sets_on_both_paths() {
        use std::collections::BTreeSet;
        let long: Vec<u64> = (0..400).filter(|n| n % 3 != 0).collect();
        for short in [
            vec![],
            vec![0, 1, 5, 399],
            (0..300).step_by(2).collect::<Vec<u64>>(),
        ] {
            let (a, b): (BTreeSet<u64>, BTreeSet<u64>) = (
                short.iter().copied().collect(),
                long.iter().copied().collect(),
            );
            let sorted = |s: BTreeSet<u64>| s.into_iter().collect::<Vec<u64>>();
            assert_eq!(intersect(&short, &long), sorted(&a & &b));
            assert_eq!(intersect(&long, &short), sorted(&a & &b));
            assert_eq!(difference(&short, &long), sorted(&a - &b));
            assert_eq!(difference(&long, &short), sorted(&b - &a));
            assert_eq!(union(&short, &long), sorted(&a | &b));
        }
    }

    #[test]
    fn merge_is_sorted() {
        let a = VecDeque::from([1, 4, 9]);
        let b = VecDeque::from([2, 3, 10]);
        let c = VecDeque::new();
        assert_eq!(merge_sorted(&[&a, &b, &c]), [1, 2, 3, 4, 9, 10]);
    }
}
