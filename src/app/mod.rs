//! The UI's state machine: the store, what is selected, which filters and panes are on.
//! Pure: keys come in as [`Action`]s through [`App::update`], deliveries through
//! [`App::ingest`]; what needs the world (a file written, the clipboard) leaves as an
//! [`Effect`] for the event loop to carry out. [`App::prepare`] decodes what the next frame
//! shows, once; rendering (in `ui`) only reads.

pub mod caller;
pub mod command;
pub mod keymap;
pub mod keys;
mod leave;
pub mod look;
mod nav;
pub mod prompt;
mod share;

mod views;
pub mod workbench;

use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::domain::delivery::Delivery;
use crate::domain::event::DedupKey;
use crate::domain::family::Group;
use crate::domain::filter::Query;
use crate::domain::twiml::Decoded;
use crate::domain::{CallSid, Event, EventKind};
use crate::store::{Filter, Store, kind_bit};

pub use command::Prompt;
pub use nav::Area;
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
    /// Back out of a sub-view or overlay; at the top, quit (asking when events would be lost).
    Quit,
    /// Quit at once, whatever is open (Ctrl-C).
    QuitNow,
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
    /// Show the next / previous event family alone (TwiML, progress, errors, Studio, API,
    /// other, then all again).
    NextFamily,
    PrevFamily,
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
    /// Move the list (table or timeline) a page, or half a page, up or down.
    PageUp,
    PageDown,
    HalfUp,
    HalfDown,
    /// Open the `:` command prompt.
    Command,
    /// Open the `@` prompt: jump to a time.
    Goto,
    /// Release (or take back) the mouse, so a plain drag selects text.
    MouseCapture,
    /// Select the next / previous event matching the last filter expression, without
    /// filtering (wraps around).
    NextMatch,
    PrevMatch,
    /// Resend the selected event's request to the app (`twimon proxy`).
    Resend,
    /// Edit the parameters, then resend.
    EditResend,
    /// Mark an event for a TwiML diff; on another event, show the diff.
    MarkDiff,
    /// Give the keys to the caller panel of a simulated call (`twimon call`), or back.
    Caller,
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
    /// A filter expression being typed (it applies on Enter).
    Search(prompt::Prompt),
    /// The help overlay, scrolled this far.
    Help { scroll: usize },
    /// The stats overlay, its slow step `selected` (Enter goes to its event).
    Stats { selected: usize },
    /// The `:` (or `@`) prompt being typed.
    Command(Prompt),
    /// Quitting would lose `lost` unrecorded events: `q` or `y` quits, any other key stays.
    ConfirmQuit { lost: u64 },
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
    /// Capture the mouse (true) or release it to the terminal (false).
    MouseCapture(bool),
    /// Send event `seq`'s request again, with these parameter edits.
    Resend {
        seq: u64,
        edits: Vec<crate::domain::exchange::Edit>,
    },
    /// Send the caller panel's key, speech, dial outcome or hang-up to the running call.
    Caller(crate::domain::call::transcript::Control),
    /// Open this parameter file (see [`crate::domain::exchange::params_text`]) in `$EDITOR`,
    /// then resend event `seq`'s request with what it holds when the editor ends.
    EditParams { seq: u64, text: String },
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
    /// The list's rows on screen (the table's or the timeline's, below their header), the
    /// timeline's scroll offset, and the detail pane (its top border holds the tabs).
    pub list: Area,
    pub call_offset: usize,
    /// Screen lines per row of `list`: 2 where the timeline gives each step two lines.
    pub list_step_lines: u16,
    pub pane: Area,
    /// The columns of the pane's tabs on its top border: TwiML, raw, params.
    pub tabs: [(u16, u16); 3],
    /// Slow steps the stats overlay shows at once.
    pub stats_rows: usize,
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
            list: Area::default(),
            call_offset: 0,
            list_step_lines: 1,
            pane: Area::default(),
            tabs: [(0, 0); 3],
            stats_rows: 8,
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
    /// The last deliveries refused, oldest first, with why (the stats overlay lists them).
    pub rejections: Vec<crate::domain::feed::Rejection>,
}

/// Events taken from the channel per turn of the event loop, so keys are never starved.
pub const INGEST_BUDGET: usize = 2_000;

// Switches of different concerns (follow, mask, mouse, recorded, quit); `reading` qualifies
// `follow` and sits beside it so that the many readers of `follow` stay as they are.
#[allow(clippy::struct_excessive_bools)]
pub struct App {
    pub store: Store,
    /// The selected event (sequence number); None = nothing to select.
    pub selected: Option<u64>,
    pub follow: bool,
    /// Following, but the reader scrolled the pane: new events do not move the selection
    /// until End (or F) resumes.
    pub reading: bool,
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
    /// The palette the screen is drawn in (`App::set_theme` switches it at run time).
    pub theme: look::Theme,
    /// The event table's columns, in order (narrow terminals drop some by priority).
    pub columns: Vec<look::Column>,
    /// Where the last frame put things (set by the event loop after each frame).
    pub geometry: Geometry,
    /// The keys in force: the keymap's table with the config's rebindings.
    pub keys: keys::Keymap,
    /// Where this run logs, for the help overlay.
    pub log: Option<String>,
    /// Every event is kept in a file (`--record`, or a replay): quitting loses nothing.
    pub recorded: bool,
    /// `received` when the recording was first seen failing: later events are not kept.
    record_failed_at: Option<u64>,
    /// The mouse is captured (wheel and clicks reach the app; a plain drag does not select).
    pub mouse: bool,
    effects: Vec<Effect>,
    /// The filter expressions applied this session, oldest first (the prompt's ↑/↓).
    history: Vec<String>,
    /// The `:` commands and the `@` times entered this session, oldest first, each prompt's
    /// own ([`command::Prompt::history_slot`]).
    prompt_history: [Vec<String>; 2],
    /// The last expression applied, for `n` / `N` (it outlives clearing the filter).
    last_query: Option<Query>,
    /// The event `D` marked for a diff.
    pub diff_mark: Option<u64>,
    /// The caller panel of a simulated call (`twimon call URL`), once its transcript starts.
    pub caller: Option<caller::Caller>,
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
            reading: false,
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
            theme: look::Theme::default(),
            columns: look::Column::DEFAULT.to_vec(),
            geometry: Geometry::default(),
            keys: keys::Keymap::default(),
            log: None,
            recorded: false,
            record_failed_at: None,
            mouse: true,
            effects: Vec::new(),
            history: Vec::new(),
            prompt_history: Default::default(),
            last_query: None,
            diff_mark: None,
            caller: None,
            views: Views::default(),
            rate: VecDeque::new(),
            events_per_sec: 0.0,
        }
    }

    /// Stores a delivery's events and marks the originals of its duplicates.
    pub fn ingest(&mut self, d: Delivery) {
        for dup in &d.duplicates {
            self.store.note_duplicate(dup);
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
        if self.follow && !self.reading {
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

    /// Switches the palette from the next frame on (`:theme light`).
    pub fn set_theme(&mut self, theme: look::Theme) {
        self.theme = theme;
    }

    /// Events received since follow was paused.
    pub fn new_since_pause(&self) -> u64 {
        if self.follow && !self.reading {
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
        matches!(self.mode, Mode::Stats { .. })
    }

    /// The search being typed, when the prompt is open.
    pub fn search_input(&self) -> Option<&str> {
        self.search_prompt().map(prompt::Prompt::text)
    }

    /// The prompt, with its cursor and the error Enter gave, when it is open.
    pub fn search_prompt(&self) -> Option<&prompt::Prompt> {
        match &self.mode {
            Mode::Search(p) => Some(p),
            _ => None,
        }
    }

    /// The expression `n` / `N` look for.
    pub fn last_query(&self) -> Option<&Query> {
        self.last_query.as_ref()
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
                    KeyCode::Enter => self.enter_search(),
                    KeyCode::Char('c') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                        self.mode = Mode::Normal;
                    }
                    _ => return input.edit(key, &self.history) == prompt::Edit::Changed,
                }
                true
            }
            Mode::Help { scroll } => {
                // PgUp / PgDn scroll a help taller than the terminal; any other key closes it
                // (q too: it goes back), and Ctrl-C still quits.
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
                        if self.lookup(key) == Some(Action::QuitNow) {
                            self.quit = true;
                        }
                    }
                }
                true
            }
            Mode::Stats { .. } => self.stats_key(key),
            Mode::Command(_) => self.command_key(key),
            Mode::ConfirmQuit { .. } => {
                self.confirm_quit_key(key);
                true
            }
            Mode::Edit { .. } | Mode::Diff(_) => self.on_workbench_key(key),
            Mode::Normal => match self.caller_key(key) {
                Some(changed) => changed,
                None => self.normal_key(key),
            },
        }
    }

    /// A key of the view's own bindings.
    fn normal_key(&mut self, key: KeyEvent) -> bool {
        match self.lookup(key) {
            Some(action) => {
                self.update(action);
                true
            }
            None => false,
        }
    }

    /// The action a key is bound to in the current view.
    pub(crate) fn lookup(&self, key: KeyEvent) -> Option<Action> {
        let scope = match self.view {
            View::Table => keymap::Scope::Table,
            View::Call(_) => keymap::Scope::Call,
        };
        self.keys.lookup(key.code, key.modifiers, scope)
    }

    /// Applies one action.
    pub fn update(&mut self, action: Action) {
        self.status = None;
        match action {
            Action::Quit => self.quit_or_back(),
            Action::QuitNow => self.quit = true,
            Action::Help => self.mode = Mode::Help { scroll: 0 },
            Action::Stats => self.mode = Mode::Stats { selected: 0 },
            Action::Up => self.move_by(-1),
            Action::Down => self.move_by(1),
            Action::Top => self.top(),
            Action::Follow => self.bottom(),
            Action::ToggleKind(i) => self.toggle_kind(i),
            Action::NextFamily | Action::PrevFamily => {
                let f = self.store.filter().clone();
                let step = if action == Action::NextFamily {
                    Group::next
                } else {
                    Group::prev
                };
                let groups = step(f.group()).map_or(0, Group::bit);
                self.set_filter(Filter { groups, ..f });
            }
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
                let text = self.store.filter().search.as_ref().map_or("", Query::text);
                self.mode = Mode::Search(prompt::Prompt::new(text));
            }
            Action::NextMatch => self.step_match(true),
            Action::PrevMatch => self.step_match(false),
            Action::NarrowCall => self.narrow_call(),
            Action::Back => self.back(),
            Action::OpenCall => self.open_call(),
            Action::Pane(p) => {
                self.pane = p;
                self.pane_scroll = 0;
            }
            Action::PaneUp => self.scroll_pane(-signed(self.geometry.pane_page.max(1))),
            Action::PaneDown => self.scroll_pane(signed(self.geometry.pane_page.max(1))),
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
            Action::PageUp => self.move_by(-signed(self.list_page())),
            Action::PageDown => self.move_by(signed(self.list_page())),
            Action::HalfUp => self.move_by(-signed(self.list_page().div_ceil(2))),
            Action::HalfDown => self.move_by(signed(self.list_page().div_ceil(2))),
            Action::Command => self.mode = Mode::Command(Prompt::new(':')),
            Action::Goto => self.mode = Mode::Command(Prompt::new('@')),
            Action::MouseCapture => self.toggle_mouse(),
            Action::Resend => self.resend(),
            Action::EditResend => self.edit_resend(),
            Action::MarkDiff => self.mark_diff(),
            Action::Caller => self.toggle_caller(),
        }
    }

    fn pause(&mut self) {
        if self.follow {
            self.follow = false;
            if !self.reading {
                self.paused_at = self.store.counters().received;
            }
        }
        self.reading = false;
    }

    fn select_last(&mut self) {
        let n = self.store.view_len();
        self.selected = n.checked_sub(1).and_then(|p| self.store.view_seq(p));
        self.pane_scroll = 0;
    }

    fn move_by(&mut self, delta: isize) {
        self.pane_scroll = 0;
        self.reading = false;
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

    /// Enter in the prompt: an empty line clears the expression, a good one applies, a bad
    /// one stays in the prompt with its error (the filter in force does not change).
    fn enter_search(&mut self) {
        let Mode::Search(input) = &mut self.mode else {
            return;
        };
        let text = input.text().trim().to_owned();
        if text.is_empty() {
            self.mode = Mode::Normal;
            self.apply_query(None);
            return;
        }
        match Query::parse(&text) {
            Ok(q) => {
                self.mode = Mode::Normal;
                self.apply_query(Some(q));
            }
            Err(e) => input.set_error(e),
        }
    }

    /// Sets (or clears) the filter expression; an expression is remembered for `n` / `N`
    /// and the prompt's history.
    pub fn apply_query(&mut self, search: Option<Query>) {
        if let Some(q) = &search {
            prompt::remember(&mut self.history, q.text());
            self.last_query = Some(q.clone());
        }
        let f = self.store.filter().clone();
        self.set_filter(Filter { search, ..f });
    }

    /// `n` / `N`: the next / previous event of the list (or step of the call) matching the
    /// last expression, wrapping at the end; the filters stay as they are.
    fn step_match(&mut self, forward: bool) {
        let Some(q) = self.last_query.clone() else {
            self.status = Some("no search yet: / to type one".into());
            return;
        };
        let (len, from) = match &self.view {
            View::Call(cv) => (cv.steps.len(), Some(cv.selected)),
            View::Table => {
                let n = self.store.view_len();
                let pos = match self.selected.map(|s| self.store.view_position(s)) {
                    Some(Ok(p)) => Some(p),
                    // Between rows: the next one is "after", so count from just before it.
                    Some(Err(p)) if forward => p.checked_sub(1),
                    Some(Err(p)) => Some(p.min(n)),
                    None => None,
                };
                (n, pos)
            }
        };
        let mut order = match_order(len, from, forward);
        let hit = order.find(|(p, _)| {
            self.seq_at(*p)
                .and_then(|s| self.store.get(s))
                .is_some_and(|ev| q.matches(ev))
        });
        let Some((pos, wrapped)) = hit else {
            self.status = Some(format!("no match for {}", q.text()));
            return;
        };
        self.pane_scroll = 0;
        match &mut self.view {
            View::Call(cv) => cv.selected = pos,
            View::Table => {
                self.pause();
                self.selected = self.store.view_seq(pos);
            }
        }
        if wrapped {
            self.status = Some(
                if forward {
                    "search hit the bottom, continued at the top"
                } else {
                    "search hit the top, continued at the bottom"
                }
                .into(),
            );
        }
    }

    /// The event at a position of what the list shows (the call's steps, else the view).
    fn seq_at(&self, pos: usize) -> Option<u64> {
        match &self.view {
            View::Call(cv) => cv.steps.get(pos).copied(),
            View::Table => self.store.view_seq(pos),
        }
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
        let grew = self.store.advance_search(self.store.search_budget());
        if grew {
            self.reselect();
        }
        true
    }

    fn reselect(&mut self) {
        if self.follow && !self.reading {
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
            // The call is as it was; the other legs (and conference participants) may have grown.
            cv.legs = legs;
            cv.conference = crate::store::conference::conference(&self.store, &sid);
            return;
        }
        let cv = self
            .views
            .call_view(&self.store, sid, steps, selected, legs);
        self.view = View::Call(Box::new(cv));
    }
}

/// A count as a signed step (pages are far below `isize::MAX`).
fn signed(n: usize) -> isize {
    isize::try_from(n).unwrap_or(isize::MAX)
}

/// The positions `n` (forward) or `N` visit from `from` in a list of `len`, each with whether
/// it wrapped past the end; `from` itself comes last. None = from outside the list (the top
/// for `n`, the bottom for `N`).
fn match_order(
    len: usize,
    from: Option<usize>,
    forward: bool,
) -> Box<dyn Iterator<Item = (usize, bool)>> {
    let plain = |r: std::ops::Range<usize>, wrapped| r.map(move |p| (p, wrapped));
    match (from, forward) {
        (None, true) => Box::new(plain(0..len, false)),
        (None, false) => Box::new(plain(0..len, false).rev()),
        (Some(f), true) => {
            let f = f.min(len);
            Box::new(
                plain(f.saturating_add(1).min(len)..len, false)
                    .chain(plain(0..(f + 1).min(len), true)),
            )
        }
        (Some(f), false) => {
            let f = f.min(len);
            Box::new(plain(0..f, false).rev().chain(plain(f..len, true).rev()))
        }
    }
}

#[cfg(test)]
mod tests;
