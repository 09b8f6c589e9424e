//! Screens on ratatui's `TestBackend`: drawing an `App`, reading the cells back, and the check
//! that nothing a payload carries reaches a terminal as a control sequence.

use std::collections::{BTreeSet, HashSet};
use std::fmt::Write as _;

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use serde_json::Value;
use twimon::app::look::Theme;
use twimon::app::{Action, App, Pane};
use twimon::domain::Event;
use twimon::domain::event::DedupKey;
use twimon::headless::{json_value, text_line};

/// An empty monitor as the listener leaves it: listening on a fixed URL.
pub fn new_app(max_events: usize) -> App {
    let mut app = App::new(max_events);
    app.health.url = "http://127.0.0.1:7077/".into();
    app.health.listening = true;
    app
}

/// One frame of `app` at `w`×`h`, prepared and drawn as the event loop does.
pub fn render(app: &mut App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    twimon::tui::draw(&mut terminal, app).unwrap();
    terminal
}

/// The sizes every screen is drawn at: a small split pane, a classic terminal, a big one.
pub const SIZES: [(u16, u16); 3] = [(60, 15), (80, 24), (200, 50)];

/// The screen at every size of [`SIZES`] in every theme, as `("80x24_light", styles)`: the
/// text and each run of styled cells, so a theme's difference shows in the snapshot.
pub fn matrix(app: &mut App) -> Vec<(String, String)> {
    let theme = app.theme;
    let mut out = Vec::new();
    for (w, h) in SIZES {
        for t in Theme::ALL {
            app.set_theme(t);
            let terminal = render(app, w, h);
            out.push((format!("{w}x{h}_{t}"), styles(terminal.backend().buffer())));
        }
    }
    app.set_theme(theme);
    out
}

/// Row `y` of a frame as text.
pub fn row_text(buf: &Buffer, y: u16) -> String {
    (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect()
}

/// The whole frame as text, a line a row.
pub fn screen_text(buf: &Buffer) -> String {
    (0..buf.area.height)
        .map(|y| row_text(buf, y) + "\n")
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Terminal safety

/// What must never reach a terminal from a payload: C0 controls (ESC, BEL…), DEL, C1 controls
/// (8-bit CSI/OSC) and bidi embeddings, overrides and isolates.
pub fn is_forbidden(c: char) -> bool {
    matches!(
        c,
        '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

pub fn assert_terminal_safe(what: &str, text: &str) {
    if let Some(c) = text.chars().find(|c| is_forbidden(*c)) {
        panic!("{what}: {c:?} would reach the terminal in {text:?}");
    }
}

/// Checks every cell of the last frame; returns the frame's text.
pub fn assert_buffer_safe(terminal: &Terminal<TestBackend>, what: &str) -> String {
    let buf = terminal.backend().buffer();
    let screen = screen_text(buf);
    for (i, cell) in buf.content().iter().enumerate() {
        assert!(
            !cell.symbol().chars().any(is_forbidden),
            "{what}: cell {i} holds {:?}\n{screen}",
            cell.symbol()
        );
    }
    screen
}

/// What the drawing saw: how many events, and which placeholders of neutralised characters.
#[derive(Debug, Default)]
pub struct Rendered {
    pub events: usize,
    /// `␛` (ESC), `␇` (BEL), `␀` (NUL) and `�` (C1 / bidi) were drawn.
    pub placeholders: BTreeSet<char>,
}

fn draw(terminal: &mut Terminal<TestBackend>, app: &mut App, what: &str, seen: &mut Rendered) {
    twimon::tui::draw(terminal, app).unwrap();
    let screen = assert_buffer_safe(terminal, what);
    seen.placeholders.extend(
        screen
            .chars()
            .filter(|c| matches!(c, '␛' | '␇' | '␀' | '�')),
    );
}

/// Pushes the events into an `App`, selects each in turn and draws it with every pane (and its
/// call's view once per call); checks the screen and the headless output.
pub fn render_all(events: Vec<(Event, Option<DedupKey>)>, size: (u16, u16)) -> Rendered {
    let n = events.len();
    let mut app = new_app(n.max(1));
    for (ev, key) in events {
        assert_terminal_safe("text_line", &text_line(&ev));
        let v = json_value(&ev);
        assert_eq!(v["id"], Value::from(ev.id()));
        app.push(ev, key);
    }
    let mut terminal = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
    let mut rendered = Rendered {
        events: n,
        ..Rendered::default()
    };
    app.update(Action::Top);
    let mut selected = Vec::new();
    let mut calls = HashSet::new();
    for _ in 0..n {
        let ev = app.current().expect("a selected event").clone();
        selected.push(ev.seq);
        let what = format!("event {} ({:?})", ev.seq, safe_id(&ev));
        for pane in [Pane::Twiml, Pane::Raw, Pane::Params] {
            app.update(Action::Pane(pane));
            draw(
                &mut terminal,
                &mut app,
                &format!("{what} {pane:?}"),
                &mut rendered,
            );
        }
        // The call view once per call: it decodes every step of the call (1000+ for the bulk
        // case), which is slow in a debug build.
        if let Some(sid) = ev.call_sid.clone().filter(|s| calls.insert(s.clone())) {
            app.update(Action::OpenCall);
            assert_eq!(app.call().map(|c| &c.sid), Some(&sid));
            draw(
                &mut terminal,
                &mut app,
                &format!("{what} call view"),
                &mut rendered,
            );
            app.update(Action::Back);
        }
        app.update(Action::Down);
    }
    selected.dedup();
    assert_eq!(selected.len(), n, "every event was selected once");
    rendered
}

fn safe_id(ev: &Event) -> String {
    twimon::text::safe::line(ev.id()).chars().take(40).collect()
}

// ---------------------------------------------------------------------------------------------
// Styles

fn color(c: Color) -> String {
    format!("{c:?}")
}

fn style_text(fg: Color, bg: Color, modifier: Modifier) -> String {
    let mut parts = Vec::new();
    if fg != Color::Reset {
        parts.push(format!("fg={}", color(fg)));
    }
    if bg != Color::Reset {
        parts.push(format!("bg={}", color(bg)));
    }
    let mods: Vec<&str> = modifier.iter_names().map(|(n, _)| n).collect();
    if !mods.is_empty() {
        parts.push(mods.join("|"));
    }
    parts.join(" ")
}

/// Each row as text, then its runs of equally styled, non-default cells:
/// `  x0..x1 fg=Cyan BOLD "text"` (x1 exclusive).
pub fn styles(buf: &Buffer) -> String {
    let width = usize::from(buf.area.width);
    let mut out = String::new();
    for (y, row) in buf.content.chunks(width).enumerate() {
        let text: String = row.iter().map(ratatui::buffer::Cell::symbol).collect();
        writeln!(out, "{y:2} \"{text}\"").unwrap();
        let mut x = 0;
        while x < row.len() {
            let c = &row[x];
            let key = (c.fg, c.bg, c.modifier);
            let start = x;
            while x < row.len() && (row[x].fg, row[x].bg, row[x].modifier) == key {
                x += 1;
            }
            if key != (Color::Reset, Color::Reset, Modifier::empty()) {
                let run: String = row[start..x]
                    .iter()
                    .map(ratatui::buffer::Cell::symbol)
                    .collect();
                writeln!(
                    out,
                    "     {start:>3}..{x:<3} {} \"{run}\"",
                    style_text(key.0, key.1, key.2)
                )
                .unwrap();
            }
        }
    }
    out
}
