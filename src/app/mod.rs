//! The UI's state machine: the store, what is selected, which filters and panes are on.
//! Pure: keys come in as [`Action`]s through [`App::update`], deliveries through
//! [`App::ingest`]; rendering (in `ui`) only reads.

pub mod keymap;
mod share;

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::domain::delivery::Delivery;
use crate::domain::event::DedupKey;
use crate::domain::lint;
use crate::domain::twiml::{self, Decoded};
use crate::domain::{CallSid, Event, EventKind};
use crate::store::{Filter, Store, kind_bit};

/// What the detail pane shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Twiml,
    Raw,
    Params,
}

/// What a key asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    /// Toggle the stats overlay.
    Stats,
    Up,
    Down,
    Top,
    Follow,
    /// Toggle `EventKind::TWIML[i]`.
    ToggleKind(u8),
    AllKinds,
    Problems,
    Search,
    NarrowCall,
    Back,
    OpenCall,
    Pane(Pane),
    PaneUp,
    PaneDown,
    /// Toggle masking of phone numbers, speech, names and recording URLs (screen sharing).
    Mask,
    /// The call view of the previous / next leg of the call (`<Dial>` parent and children).
    PrevLeg,
    NextLeg,
    /// Write the call as a markdown incident record to a file in `App::export_dir`.
    Export,
    /// Copy the TwiML shown, or the call SID, to the clipboard (OSC 52).
    Copy,
}

/// The per-call drilldown.
#[derive(Debug, Clone, PartialEq)]
pub struct CallView {
    pub sid: CallSid,
    /// The call's events by event time (arrival breaks ties).
    pub steps: Vec<u64>,
    pub selected: usize,
    /// The call's legs (parent and dialed children); empty when it has no other leg.
    pub legs: Vec<crate::domain::call::legs::Leg>,
}

/// Listener facts for the header.
#[derive(Debug, Clone, Default)]
pub struct Health {
    pub url: String,
    pub listening: bool,
    /// Deliveries answered 503 (consumer full) so far.
    pub busy: u64,
    /// Deliveries refused with a 4xx so far.
    pub rejected: u64,
    /// Deliveries refused with 403 by `--require-signature`.
    pub forbidden: u64,
    /// Why the recording could not be written, when it could not.
    pub record_error: Option<String>,
}

/// Decoded TwiML of recently viewed events; small, so memory stays bounded.
const DECODE_CACHE: usize = 64;

/// What is cached for an event someone looks at: its decoded TwiML and its check findings.
#[derive(Clone)]
struct Viewed {
    decoded: Rc<Decoded>,
    findings: Rc<[lint::Finding]>,
}

/// Events taken from the channel per turn of the event loop, so keys are never starved.
pub const INGEST_BUDGET: usize = 2_000;

#[allow(clippy::struct_excessive_bools)] // independent switches, not a state machine
pub struct App {
    pub store: Store,
    /// The selected event (sequence number); None = nothing to select.
    pub selected: Option<u64>,
    pub follow: bool,
    /// `received` counter when follow was paused, for "+N new".
    paused_at: u64,
    pub pane: Pane,
    pub pane_scroll: usize,
    pub help: bool,
    /// The stats overlay is open.
    pub stats: bool,
    /// Running aggregates for the stats overlay (since start).
    pub metrics: crate::store::stats::Stats,
    /// The search being typed (the filter applies on Enter).
    pub search_input: Option<String>,
    pub call: Option<CallView>,
    pub health: Health,
    pub quit: bool,
    /// One line of feedback (e.g. "no call SID on this event").
    pub status: Option<String>,
    /// Phone numbers, speech, caller names and recording URLs are masked on screen.
    pub mask: bool,
    /// Table scroll offset and height from the last frame (written by the renderer).
    pub table_offset: Cell<usize>,
    pub table_rows: Cell<usize>,
    /// Lines of the pane shown whole in the last frame: one `PgDn`.
    pub pane_page: Cell<usize>,
    /// The help's scroll position, and its page and furthest position from the last frame
    /// (the help scrolls when the terminal is too short for it).
    pub help_scroll: usize,
    pub help_page: Cell<usize>,
    pub help_max_scroll: Cell<usize>,
    /// Where `x` writes call exports (the current directory by default).
    pub export_dir: std::path::PathBuf,
    /// Text for the terminal's clipboard (OSC 52), written by the event loop after a frame.
    pub pending_clipboard: Option<String>,
    /// The furthest the pane can scroll (its last page), from the last frame.
    pub pane_max_scroll: Cell<usize>,
    dedup_seq: HashMap<DedupKey, u64, crate::domain::event::KeyBuild>,
    decoded: RefCell<VecDeque<(u64, Viewed)>>,
    rate: VecDeque<(Instant, u64)>,
    events_per_sec: f64,
}

impl App {
    pub fn new(max_events: usize) -> Self {
        App {
            store: Store::new(max_events),
            selected: None,
            follow: true,
            paused_at: 0,
            pane: Pane::Twiml,
            pane_scroll: 0,
            help: false,
            stats: false,
            metrics: crate::store::stats::Stats::new(),
            search_input: None,
            call: None,
            health: Health::default(),
            quit: false,
            status: None,
            mask: false,
            table_offset: Cell::new(0),
            table_rows: Cell::new(20),
            pane_page: Cell::new(20),
            help_scroll: 0,
            help_page: Cell::new(20),
            help_max_scroll: Cell::new(0),
            export_dir: std::path::PathBuf::from("."),
            pending_clipboard: None,
            pane_max_scroll: Cell::new(usize::MAX),
            dedup_seq: HashMap::default(),
            decoded: RefCell::new(VecDeque::new()),
            rate: VecDeque::new(),
            events_per_sec: 0.0,
        }
    }

    /// Stores a delivery's events and marks the originals of its duplicates.
    pub fn ingest(&mut self, d: Delivery) {
        for dup in &d.duplicates {
            if let Some(&seq) = self.dedup_seq.get(dup) {
                self.store.note_duplicate(seq);
            }
        }
        for (ev, key) in d.events.into_iter().zip(d.keys) {
            self.push(ev, key);
        }
    }

    /// Stores one event; keeps the selection on the newest when following.
    pub fn push(&mut self, ev: Event, key: Option<DedupKey>) {
        let first_kept = self
            .store
            .next_seq()
            .saturating_sub(self.store.capacity() as u64 - 1);
        let seq = self.store.push(ev);
        if let Some(stored) = self.store.get(seq) {
            self.metrics.record(stored);
        }
        if let Some(k) = key {
            self.dedup_seq.insert(k, seq);
        }
        // Forget dedup entries of evicted events so the map stays bounded.
        if self.dedup_seq.len() > self.store.capacity() * 2 {
            self.dedup_seq.retain(|_, s| *s >= first_kept);
        }
        if self.follow {
            self.select_last();
        } else if let Some(sel) = self.selected
            && self.store.get(sel).is_none()
        {
            // The selected event was evicted: hold the position, not the event.
            self.selected = self.store.view_seq(0);
        }
    }

    /// Updates the events/s figure; call about once a second.
    pub fn tick(&mut self, now: Instant) {
        let received = self.store.counters().received;
        self.rate.push_back((now, received));
        while self.rate.len() > 6 {
            self.rate.pop_front();
        }
        if let (Some((t0, n0)), Some((t1, n1))) = (self.rate.front(), self.rate.back()) {
            let secs = t1.duration_since(*t0).as_secs_f64();
            self.events_per_sec = if secs > 0.0 {
                (n1 - n0) as f64 / secs
            } else {
                0.0
            };
        }
    }

    pub fn events_per_sec(&self) -> f64 {
        self.events_per_sec
    }

    /// Events received since follow was paused.
    pub fn new_since_pause(&self) -> u64 {
        if self.follow {
            0
        } else {
            self.store.counters().received - self.paused_at
        }
    }

    /// The selected event: the call view's step, else the table's row.
    pub fn current(&self) -> Option<&Event> {
        let seq = match &self.call {
            Some(cv) => cv.steps.get(cv.selected).copied(),
            // A selection the filters hide is remembered, not shown.
            None => self
                .selected
                .filter(|s| self.store.view_position(*s).is_ok()),
        }?;
        self.store.get(seq)
    }

    /// The decoded TwiML of an event: decoded on first look (by the frame that shows it) and
    /// kept in a small cache, so nothing is decoded for events nobody looks at.
    pub fn decoded(&self, seq: u64) -> Option<Rc<Decoded>> {
        self.viewed(seq).map(|v| v.decoded)
    }

    /// The TwiML check findings of an event's response, worst first; checked once, with the
    /// decode, not on every frame that shows them.
    pub fn findings(&self, seq: u64) -> Option<Rc<[lint::Finding]>> {
        self.viewed(seq).map(|v| v.findings)
    }

    fn viewed(&self, seq: u64) -> Option<Viewed> {
        let mut cache = self.decoded.borrow_mut();
        if let Some((_, v)) = cache.iter().find(|(s, _)| *s == seq) {
            return Some(v.clone());
        }
        let ev = self.store.get(seq)?;
        let decoded = ev
            .response_body()
            .map_or_else(|| twiml::decode_text(""), |b| twiml::decode(&b));
        let mut findings = if decoded.is_twiml() {
            lint::check(&decoded)
        } else {
            Vec::new()
        };
        findings.sort_by_key(|f| std::cmp::Reverse(f.severity));
        let v = Viewed {
            decoded: Rc::new(decoded),
            findings: findings.into(),
        };
        cache.push_back((seq, v.clone()));
        while cache.len() > DECODE_CACHE {
            cache.pop_front();
        }
        Some(v)
    }

    /// The worst TwiML check finding of an event's response (only for bodies that decoded;
    /// the rest are marked as problems already).
    pub fn lint_worst(&self, ev: &Event) -> Option<lint::Severity> {
        if ev.twiml_failed || ev.part_ranges.response_body == crate::domain::event::PartRange::NONE
        {
            return None;
        }
        lint::worst(&self.findings(ev.seq)?)
    }

    /// Reacts to a terminal event; returns whether anything changed (a redraw is due).
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        if key.kind != KeyEventKind::Press {
            return false;
        }
        if let Some(input) = &mut self.search_input {
            match key.code {
                KeyCode::Esc => self.search_input = None,
                KeyCode::Enter => {
                    let text = input.trim().to_owned();
                    self.search_input = None;
                    self.set_search((!text.is_empty()).then_some(text));
                }
                KeyCode::Backspace => {
                    input.pop();
                }
                KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.search_input = None;
                }
                KeyCode::Char(c) => input.push(c),
                _ => return false,
            }
            return true;
        }
        if self.help {
            // PgUp / PgDn scroll a help taller than the terminal; any other key closes it, and
            // q and Ctrl-C still quit.
            match key.code {
                KeyCode::PageDown => {
                    let next = self.help_scroll.saturating_add(self.help_page.get().max(1));
                    self.help_scroll = next.min(self.help_max_scroll.get());
                    return true;
                }
                KeyCode::PageUp => {
                    self.help_scroll = self.help_scroll.saturating_sub(self.help_page.get().max(1));
                    return true;
                }
                _ => {}
            }
            self.help = false;
            if keymap::lookup(key.code, key.modifiers, self.call.is_some()) == Some(Action::Quit) {
                self.quit = true;
            }
            return true;
        }
        if self.stats {
            // Esc or s closes the stats; q and Ctrl-C still quit; other keys wait.
            match keymap::lookup(key.code, key.modifiers, self.call.is_some()) {
                Some(Action::Stats | Action::Back) => self.stats = false,
                Some(Action::Quit) => self.quit = true,
                _ => return false,
            }
            return true;
        }
        match keymap::lookup(key.code, key.modifiers, self.call.is_some()) {
            Some(action) => {
                self.update(action);
                true
            }
            None => false,
        }
    }

    pub fn on_mouse(&mut self, m: MouseEvent) -> bool {
        match m.kind {
            MouseEventKind::ScrollDown => self.update(Action::PaneDown),
            MouseEventKind::ScrollUp => self.update(Action::PaneUp),
            _ => return false,
        }
        true
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        self.status = None;
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.help = true;
                self.help_scroll = 0;
            }
            Action::Stats => self.stats = !self.stats,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::Top => {
                self.pause();
                if self.call.is_none() {
                    self.selected = self.store.view_seq(0);
                }
            }
            Action::Follow => {
                self.follow = true;
                self.select_last();
            }
            Action::ToggleKind(i) => self.toggle_kind(i),
            Action::AllKinds => self.set_filter(Filter {
                kinds: 0,
                ..self.store.filter().clone()
            }),
            Action::Problems => {
                let f = self.store.filter().clone();
                self.set_filter(Filter {
                    problems: !f.problems,
                    ..f
                });
            }
            Action::Search => {
                self.search_input = Some(self.store.filter().search.clone().unwrap_or_default());
            }
            Action::NarrowCall => self.narrow_call(),
            Action::Back => self.back(),
            Action::OpenCall => self.open_call(),
            Action::Pane(p) => {
                self.pane = p;
                self.pane_scroll = 0;
            }
            Action::PaneUp => {
                let from = self.pane_scroll.min(self.pane_max_scroll.get());
                self.pane_scroll = from.saturating_sub(self.pane_page.get().max(1));
            }
            Action::PaneDown => {
                let next = self.pane_scroll.saturating_add(self.pane_page.get().max(1));
                self.pane_scroll = next.min(self.pane_max_scroll.get());
            }
            Action::Mask => {
                self.mask = !self.mask;
                self.status = Some(
                    if self.mask {
                        "masking on"
                    } else {
                        "masking off"
                    }
                    .into(),
                );
            }
            Action::PrevLeg => self.switch_leg(false),
            Action::NextLeg => self.switch_leg(true),
            Action::Export => self.export(),
            Action::Copy => self.copy(),
        }
    }

    fn pause(&mut self) {
        if self.follow {
            self.follow = false;
            self.paused_at = self.store.counters().received;
        }
    }

    fn select_last(&mut self) {
        let n = self.store.view_len();
        self.selected = n.checked_sub(1).and_then(|p| self.store.view_seq(p));
        self.pane_scroll = 0;
    }

    fn move_by(&mut self, delta: isize) {
        self.pane_scroll = 0;
        if let Some(cv) = &mut self.call {
            cv.selected = cv
                .selected
                .saturating_add_signed(delta)
                .min(cv.steps.len().saturating_sub(1));
            return;
        }
        let n = self.store.view_len();
        if n == 0 {
            return;
        }
        let pos = match self.selected.map(|s| self.store.view_position(s)) {
            Some(Ok(p)) => p,
            Some(Err(p)) => p.min(n - 1),
            None => n - 1,
        };
        let target = pos.saturating_add_signed(delta).min(n - 1);
        if delta < 0 {
            self.pause();
        } else if target == n - 1 && self.follow {
            return;
        }
        self.selected = self.store.view_seq(target);
    }

    fn toggle_kind(&mut self, i: u8) {
        let Some(kind) = EventKind::TWIML.get(usize::from(i)).copied() else {
            return;
        };
        let Some(bit) = kind_bit(kind) else { return };
        let f = self.store.filter().clone();
        self.set_filter(Filter {
            kinds: f.kinds ^ bit,
            ..f
        });
    }

    fn set_search(&mut self, search: Option<String>) {
        let f = self.store.filter().clone();
        self.set_filter(Filter { search, ..f });
    }

    /// Applies a filter and keeps the selection: on the newest when following, else on the
    /// same event if it passes the new filter, else on its nearest neighbour.
    pub fn set_filter(&mut self, filter: Filter) {
        self.store.set_filter(filter);
        self.reselect();
    }

    /// Continues a running search; returns whether the view changed.
    pub fn advance_search(&mut self) -> bool {
        if !self.store.searching() {
            return false;
        }
        let grew = self.store.advance_search(crate::store::SEARCH_CHUNK);
        if grew {
            self.reselect();
        }
        true
    }

    fn reselect(&mut self) {
        if self.follow {
            self.select_last();
            return;
        }
        let n = self.store.view_len();
        if n == 0 {
            // Nothing matches: keep the place, so clearing the filter returns to it.
            return;
        }
        self.selected = match self.selected {
            Some(sel) => match self.store.view_position(sel) {
                Ok(_) => Some(sel),
                Err(p) => {
                    let before = p.checked_sub(1).and_then(|q| self.store.view_seq(q));
                    let after = self.store.view_seq(p);
                    match (before, after) {
                        (Some(b), Some(a)) => Some(if sel - b <= a - sel { b } else { a }),
                        (b, a) => b.or(a),
                    }
                }
            },
            None => self.store.view_seq(n - 1),
        };
    }

    fn narrow_call(&mut self) {
        let f = self.store.filter().clone();
        if f.call.is_some() {
            self.set_filter(Filter { call: None, ..f });
            return;
        }
        match self.current().and_then(|e| e.call_sid.clone()) {
            Some(sid) => self.set_filter(Filter {
                call: Some(sid),
                ..f
            }),
            None => self.status = Some("this event has no call SID".into()),
        }
    }

    fn open_call(&mut self) {
        let Some(ev) = self.current() else { return };
        let Some(sid) = ev.call_sid.clone() else {
            self.status = Some("this event has no call SID".into());
            return;
        };
        let here = ev.seq;
        self.show_call(sid, Some(here));
    }

    /// Opens the call view of `sid`, on the step `at` (else the first).
    fn show_call(&mut self, sid: CallSid, at: Option<u64>) {
        let steps = self.call_steps(&sid);
        let selected = at
            .and_then(|here| steps.iter().position(|s| *s == here))
            .unwrap_or(0);
        let legs = crate::store::legs::legs(&self.store, &sid);
        self.call = Some(CallView {
            sid,
            steps,
            selected,
            legs,
        });
        self.pane_scroll = 0;
    }

    /// A call's events ordered by their own time (Twilio does not guarantee arrival order).
    pub fn call_steps(&self, sid: &CallSid) -> Vec<u64> {
        let mut steps: Vec<&Event> = self.store.call_events(sid).collect();
        // Status callbacks of one second share a time: their SequenceNumber orders them.
        steps.sort_by_key(|e| (e.time, e.sequence, e.seq));
        steps.iter().map(|e| e.seq).collect()
    }

    fn back(&mut self) {
        if self.call.take().is_some() {
            self.pane_scroll = 0;
            return;
        }
        if !self.store.filter().is_empty() {
            self.set_filter(Filter::default());
        }
    }

    /// Keeps an open call view current as its events arrive or leave.
    pub fn refresh_call(&mut self) {
        let Some(cv) = &self.call else { return };
        let sid = cv.sid.clone();
        let current = cv.steps.get(cv.selected).copied();
        let steps = self.call_steps(&sid);
        let selected = current
            .and_then(|c| steps.iter().position(|s| *s == c))
            .unwrap_or(0);
        let legs = crate::store::legs::legs(&self.store, &sid);
        self.call = Some(CallView {
            sid,
            steps,
            selected,
            legs,
        });
    }
}

#[cfg(test)]
mod tests;
