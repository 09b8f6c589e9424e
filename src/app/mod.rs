//! The UI's state machine: the store, what is selected, which filters and panes are on.
//! Pure: keys come in as [`Action`]s through [`App::update`], deliveries through
//! [`App::ingest`]; what needs the world (a file written, the clipboard) leaves as an
//! [`Effect`] for the event loop to carry out. [`App::prepare`] decodes what the next frame
//! shows, once; rendering (in `ui`) only reads.

pub mod keymap;
mod share;

mod views;
pub mod workbench;

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEvent, MouseEventKind};

use crate::domain::delivery::Delivery;
use crate::domain::event::DedupKey;
use crate::domain::twiml::Decoded;
use crate::domain::{CallSid, Event, EventKind};
use crate::store::{Filter, Store, kind_bit};

use views::Views;
pub use views::{CallView, Viewed};

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
    /// Write the call as a markdown incident record to a new file.
    Export,
    /// Copy the TwiML shown, or the call SID, to the clipboard (OSC 52).
    Copy,
    /// Resend the selected event's request to the app (`twimon proxy`).
    Resend,
    /// Edit the parameters, then resend.
    EditResend,
    /// Mark an event for a TwiML diff; on another event, show the diff.
    MarkDiff,
}

/// What the list area shows.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// The event table.
    Table,
    /// One call's timeline.
    Call(Box<CallView>),
}

/// Who gets the keys: the view, or an overlay drawn over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The view's own bindings.
    Normal,
    /// A search being typed (the filter applies on Enter).
    Search(String),
    /// The help overlay, scrolled this far.
    Help { scroll: usize },
    /// The stats overlay.
    Stats,
    /// Parameter edits being typed for a resend of event `seq`.
    Edit { seq: u64, input: String },
    /// The TwiML diff of two events.
    Diff(Box<workbench::DiffView>),
}

/// What the app asks of the world; the event loop carries it out and reports back through
/// [`App::status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Write call `sid` as a markdown incident record to a new file (masked if asked).
    Export { sid: CallSid, mask: bool },
    /// Put this text on the terminal's clipboard (OSC 52).
    Copy(String),
    /// Send event `seq`'s request again, with these parameter edits.
    Resend {
        seq: u64,
        edits: Vec<crate::domain::exchange::Edit>,
    },
}

/// Where the last frame put things: the next key moves by these.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// The table's scroll offset and the rows it shows.
    pub table_offset: usize,
    pub table_rows: usize,
    /// Lines of the pane shown whole (one `PgDn`), and the furthest it can scroll.
    pub pane_page: usize,
    pub pane_max_scroll: usize,
    /// The help's page and furthest position (it scrolls when the terminal is too short).
    pub help_page: usize,
    pub help_max_scroll: usize,
}

impl Default for Geometry {
    fn default() -> Self {
        Geometry {
            table_offset: 0,
            table_rows: 20,
            pane_page: 20,
            pane_max_scroll: usize::MAX,
            help_page: 20,
            help_max_scroll: 0,
        }
    }
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
    /// A pulling source's own facts (shards, lag, throttles, trouble).
    pub info: crate::domain::feed::SourceInfo,
}

/// Events taken from the channel per turn of the event loop, so keys are never starved.
pub const INGEST_BUDGET: usize = 2_000;

pub struct App {
    pub store: Store,
    /// The selected event (sequence number); None = nothing to select.
    pub selected: Option<u64>,
    pub follow: bool,
    /// `received` counter when follow was paused, for "+N new".
    paused_at: u64,
    pub view: View,
    pub mode: Mode,
    pub pane: Pane,
    pub pane_scroll: usize,
    /// Running aggregates for the stats overlay (since start).
    pub metrics: crate::store::stats::Stats,
    pub health: Health,
    pub quit: bool,
    /// One line of feedback (e.g. "no call SID on this event").
    pub status: Option<String>,
    /// Phone numbers, speech, caller names and recording URLs are masked on screen.
    pub mask: bool,
    /// Where the last frame put things (set by the event loop after each frame).
    pub geometry: Geometry,
    effects: Vec<Effect>,
    /// The event `D` marked for a diff.
    pub diff_mark: Option<u64>,
    /// What the screen shows, decoded once: see [`App::prepare`].
    views: Views,
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
            view: View::Table,
            mode: Mode::Normal,
            pane: Pane::Twiml,
            pane_scroll: 0,
            metrics: crate::store::stats::Stats::new(),
            health: Health::default(),
            quit: false,
            status: None,
            mask: false,
            geometry: Geometry::default(),
            effects: Vec::new(),
            diff_mark: None,
            views: Views::default(),
            rate: VecDeque::new(),
            events_per_sec: 0.0,
        }
    }

    /// Stores a delivery's events and marks the originals of its duplicates.
    pub fn ingest(&mut self, d: Delivery) {
        for dup in &d.duplicates {
            self.store.note_duplicate(*dup);
        }
        for (ev, key) in d.events.into_iter().zip(d.keys) {
            self.push(ev, key);
        }
    }

    /// Stores one event; keeps the selection on the newest when following.
    pub fn push(&mut self, mut ev: Event, key: Option<DedupKey>) {
        // Sources stamp their events on their own threads; whatever arrives unstamped is
        // checked here, before the problems index reads the mark.
        if ev.twiml == crate::domain::TwimlMark::Unchecked {
            crate::domain::check::stamp(&mut ev);
        }
        let seq = self.store.push_keyed(ev, key);
        if let Some(stored) = self.store.get(seq) {
            self.metrics.record(stored);
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

    /// The call view, when one is open.
    pub fn call(&self) -> Option<&CallView> {
        match &self.view {
            View::Call(cv) => Some(cv),
            View::Table => None,
        }
    }

    /// Whether the help overlay is open.
    pub fn help_open(&self) -> bool {
        matches!(self.mode, Mode::Help { .. })
    }

    /// Whether the stats overlay is open.
    pub fn stats_open(&self) -> bool {
        self.mode == Mode::Stats
    }

    /// The search being typed, when the prompt is open.
    pub fn search_input(&self) -> Option<&str> {
        match &self.mode {
            Mode::Search(s) => Some(s),
            _ => None,
        }
    }

    /// The selected event: the call view's step, else the table's row.
    pub fn current(&self) -> Option<&Event> {
        let seq = match &self.view {
            View::Call(cv) => cv.steps.get(cv.selected).copied(),
            // A selection the filters hide is remembered, not shown.
            View::Table => self
                .selected
                .filter(|s| self.store.view_position(*s).is_ok()),
        }?;
        self.store.get(seq)
    }

    /// What the frame shows of an event, when [`App::prepare`] decoded it.
    pub fn viewed(&self, seq: u64) -> Option<&Viewed> {
        self.views.get(seq)
    }

    /// The decoded TwiML of an event, when [`App::prepare`] decoded it.
    pub fn decoded(&self, seq: u64) -> Option<Rc<Decoded>> {
        self.viewed(seq).map(|v| v.decoded.clone())
    }

    /// The raw pane's lines of an event (masked when masking is on), when prepared.
    pub fn raw_lines(&self, seq: u64) -> Option<Rc<[String]>> {
        self.views.raw(seq, self.mask)
    }

    /// Decodes what the next frame shows and nothing else: the selected event (its TwiML,
    /// findings, and raw JSON when that pane is open). Cheap when nothing changed; the call
    /// view's steps are decoded when the view opens or its call grows.
    pub fn prepare(&mut self) {
        let Some((seq, invalid)) = self.current().map(|e| (e.seq, e.invalid.is_some())) else {
            return;
        };
        // An invalid event's TwiML pane shows its raw JSON too.
        let raw = self.pane == Pane::Raw || invalid;
        self.views
            .prepare(&self.store, seq, raw.then_some(self.mask));
    }

    /// The effects asked for since the last call, for the event loop to carry out.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.effects)
    }

    /// Reacts to a terminal event; returns whether anything changed (a redraw is due).
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        if key.kind != KeyEventKind::Press {
            return false;
        }
        match &mut self.mode {
            Mode::Search(input) => {
                match key.code {
                    KeyCode::Esc => self.mode = Mode::Normal,
                    KeyCode::Enter => {
                        let text = input.trim().to_owned();
                        self.mode = Mode::Normal;
                        self.set_search((!text.is_empty()).then_some(text));
                    }
                    KeyCode::Backspace => {
                        input.pop();
                    }
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        self.mode = Mode::Normal;
                    }
                    KeyCode::Char(c) => input.push(c),
                    _ => return false,
                }
                true
            }
            Mode::Help { scroll } => {
                // PgUp / PgDn scroll a help taller than the terminal; any other key closes it,
                // and q and Ctrl-C still quit.
                let page = self.geometry.help_page.max(1);
                match key.code {
                    KeyCode::PageDown => {
                        *scroll = scroll
                            .saturating_add(page)
                            .min(self.geometry.help_max_scroll);
                    }
                    KeyCode::PageUp => *scroll = scroll.saturating_sub(page),
                    _ => {
                        self.mode = Mode::Normal;
                        if self.lookup(key) == Some(Action::Quit) {
                            self.quit = true;
                        }
                    }
                }
                true
            }
            Mode::Stats => {
                // Esc or s closes the stats; q and Ctrl-C still quit; other keys wait.
                match self.lookup(key) {
                    Some(Action::Stats | Action::Back) => self.mode = Mode::Normal,
                    Some(Action::Quit) => self.quit = true,
                    _ => return false,
                }
                true
            }
            Mode::Edit { .. } | Mode::Diff(_) => self.on_workbench_key(key),
            Mode::Normal => match self.lookup(key) {
                Some(action) => {
                    self.update(action);
                    true
                }
                None => false,
            },
        }
    }

    /// The action a key is bound to in the current view.
    fn lookup(&self, key: KeyEvent) -> Option<Action> {
        let scope = match self.view {
            View::Table => keymap::Scope::Table,
            View::Call(_) => keymap::Scope::Call,
        };
        keymap::lookup(key.code, key.modifiers, scope)
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
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Stats => self.mode = Mode::Stats,
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::Top => {
                self.pause();
                if self.call().is_none() {
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
                self.mode = Mode::Search(self.store.filter().search.clone().unwrap_or_default());
            }
            Action::NarrowCall => self.narrow_call(),
            Action::Back => self.back(),
            Action::OpenCall => self.open_call(),
            Action::Pane(p) => {
                self.pane = p;
                self.pane_scroll = 0;
            }
            Action::PaneUp => {
                let from = self.pane_scroll.min(self.geometry.pane_max_scroll);
                self.pane_scroll = from.saturating_sub(self.geometry.pane_page.max(1));
            }
            Action::PaneDown => {
                let next = self
                    .pane_scroll
                    .saturating_add(self.geometry.pane_page.max(1));
                self.pane_scroll = next.min(self.geometry.pane_max_scroll);
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
            Action::Resend => self.resend(),
            Action::EditResend => self.edit_resend(),
            Action::MarkDiff => self.mark_diff(),
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
        if let View::Call(cv) = &mut self.view {
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
        let cv = self
            .views
            .call_view(&self.store, sid, steps, selected, legs);
        self.view = View::Call(Box::new(cv));
        self.pane_scroll = 0;
    }

    /// A call's events ordered as they happened.
    pub fn call_steps(&self, sid: &CallSid) -> Vec<u64> {
        let mut steps: Vec<&Event> = self.store.call_events(sid).collect();
        crate::domain::call::order(&mut steps);
        steps.iter().map(|e| e.seq).collect()
    }

    fn back(&mut self) {
        if matches!(self.view, View::Call(_)) {
            self.view = View::Table;
            self.pane_scroll = 0;
            return;
        }
        if !self.store.filter().is_empty() {
            self.set_filter(Filter::default());
        }
    }

    /// Keeps an open call view current as its events arrive or leave.
    pub fn refresh_call(&mut self) {
        let View::Call(cv) = &self.view else { return };
        let sid = cv.sid.clone();
        let steps = self.call_steps(&sid);
        let current = cv.steps.get(cv.selected).copied();
        let selected = current
            .and_then(|c| steps.iter().position(|s| *s == c))
            .unwrap_or(0);
        let legs = crate::store::legs::legs(&self.store, &sid);
        if let View::Call(cv) = &mut self.view
            && steps == cv.steps
        {
            // The call is as it was; the other legs may have grown.
            cv.legs = legs;
            return;
        }
        let cv = self
            .views
            .call_view(&self.store, sid, steps, selected, legs);
        self.view = View::Call(Box::new(cv));
    }
}

#[cfg(test)]
mod tests;
