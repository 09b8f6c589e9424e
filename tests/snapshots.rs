//! Snapshots of every screen on ratatui's `TestBackend`, at 80×24 and 160×48.
//!
//! The state is deterministic: a fixed arrival time, a fixed listener URL, samples pushed in a
//! fixed order, and no `tick` (events/s stays 0.0). Where colour carries meaning, a second
//! snapshot (160×48 only) lists, per row, the runs of cells with a non-default style.

mod common;

use std::fmt::Write as _;

use common::fixtures::{
    ARRIVAL, EVENTS, FAILED, FC_GATHER, IVR, IVR_DIAL, IVR_RECORD, IVR_REDIRECTED, IVR_REQUESTED,
};
use common::screen::{render, row_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use twimon::app::App;
use twimon::domain::delivery::parse_delivery;
use twimon::domain::{Event, Signature};

/// Not a usable CloudEvent: no `type`.
const INVALID: &str = r#"[{"specversion":"1.0","id":"0b5e2c1a-7f0e-4d7c-9d0a-3c1f5e9b2a10",
    "source":"/2010-04-01/Accounts/ACe330ccb17b3f6f8b137ddda52a76d045","time":"2026-11-28T15:30:00.000Z",
    "data":{"sid":"CA0000000000000000000000000000dead"}}]"#;

/// A response with TwiML mistakes: a misspelt verb, a Dial inside a Gather, a Redirect with no
/// URL, a verb after Hangup.
const BAD_TWIML: &str = r#"[{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested",
    "source":"/test","id":"lint-1","time":"2026-11-28T15:31:00.000Z",
    "data":{"sid":"CA0000000000000000000000000000beef",
    "request":{"method":"POST","url":"https://ivr.acme-example.com/voice","parameters":{}},
    "response":{"responseCode":200,"requestDuration":95,"contentType":"application/xml",
    "responseBody":"PD94bWwgdmVyc2lvbj0iMS4wIiBlbmNvZGluZz0iVVRGLTgiPz48UmVzcG9uc2U+PFN5YT5XZWxjb21lPC9TeWE+PEdhdGhlciBhY3Rpb249Ii9tZW51Ij48RGlhbD4rMTQxNTU1NTAxMDA8L0RpYWw+PC9HYXRoZXI+PFJlZGlyZWN0Lz48SGFuZ3VwLz48U2F5PkJ5ZTwvU2F5PjwvUmVzcG9uc2U+"}}}]"#;

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

fn new_app() -> App {
    common::screen::new_app(100)
}

fn push_body(app: &mut App, body: &str) {
    let arrival = ARRIVAL.parse().unwrap();
    for ev in parse_delivery(body.as_bytes(), arrival).unwrap() {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
}

/// All of `events/`, then `flows/ivr-sales-call.json`, then `flows/failed-call.json`.
fn samples() -> App {
    let mut app = new_app();
    for body in EVENTS {
        push_body(&mut app, body);
    }
    push_body(&mut app, IVR);
    push_body(&mut app, FAILED);
    app
}

/// Only the IVR call, its events changed (reordered, some left out) before they are pushed.
fn ivr_call_with(change: impl FnOnce(&mut Vec<Event>)) -> App {
    let mut app = new_app();
    let mut evs = parse_delivery(IVR.as_bytes(), ARRIVAL.parse().unwrap()).unwrap();
    change(&mut evs);
    for ev in evs {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn keys(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

/// Presses Up until `seq` is the selected row.
fn select(app: &mut App, seq: u64) {
    for _ in 0..=app.store.view_len() {
        if app.selected == Some(seq) {
            return;
        }
        key(app, KeyCode::Up);
    }
    panic!("could not reach {seq}");
}

/// The screen's text at both sizes.
fn check(name: &str, app: &mut App) {
    for (w, h) in SIZES {
        let terminal = render(app, w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), terminal.backend());
    }
}

/// The screen's styles at 160×48.
fn check_styles(name: &str, app: &mut App) {
    let terminal = render(app, 160, 48);
    insta::assert_snapshot!(
        format!("{name}_styles_160x48"),
        styles(terminal.backend().buffer())
    );
}

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
fn styles(buf: &Buffer) -> String {
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

// ---------------------------------------------------------------------------------------------

#[test]
fn empty() {
    check("empty", &mut new_app());
}

#[test]
fn table() {
    let mut app = samples();
    assert!(app.follow);
    assert_eq!(app.selected, Some(15));
    check("table", &mut app);
    check_styles("table", &mut app);
}

#[test]
fn type_filter() {
    let mut app = samples();
    keys(&mut app, "4");
    assert_eq!(app.store.view_len(), 3);
    check("type_filter_gather", &mut app);
}

#[test]
fn problems() {
    let mut app = samples();
    keys(&mut app, "e");
    assert_eq!(app.store.view_len(), 2);
    check("problems", &mut app);
    check_styles("problems", &mut app);
}

#[test]
fn search_applied() {
    let mut app = samples();
    keys(&mut app, "/menu");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.store.view_len(), 5);
    check("search_menu", &mut app);
}

/// A search that matches nothing: an empty table under an active filter.
#[test]
fn search_without_matches() {
    let mut app = samples();
    keys(&mut app, "/no such text");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.store.view_len(), 0);
    check("search_no_match", &mut app);
}

#[test]
fn search_typing() {
    let mut app = samples();
    keys(&mut app, "/menu");
    assert_eq!(app.search_input(), Some("menu"));
    check("search_typing", &mut app);
}

#[test]
fn call_view() {
    let mut app = samples();
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps, [8, 9, 10, 11, 12]);
    check("call_view", &mut app);
    check_styles("call_view", &mut app);
}

/// The IVR call with its `call.redirected` delivered last: marked late in the timeline.
#[test]
fn call_view_late_step() {
    let mut app = ivr_call_with(|evs| {
        let redirected = evs.remove(2);
        evs.push(redirected);
    });
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps, [0, 1, 4, 2, 3]);
    check("call_view_late", &mut app);
}

#[test]
fn twiml_pane() {
    let mut app = samples();
    select(&mut app, IVR_REQUESTED);
    key(&mut app, KeyCode::Char('t'));
    check("twiml_pane", &mut app);
    check_styles("twiml_pane", &mut app);
}

#[test]
fn raw_pane() {
    let mut app = samples();
    select(&mut app, IVR_REDIRECTED);
    key(&mut app, KeyCode::Char('r'));
    check("raw_pane", &mut app);
}

/// One `PgDn` in the raw pane: the pane scrolls by its height less one line.
#[test]
fn raw_pane_scrolled() {
    for (w, h) in SIZES {
        let mut app = samples();
        select(&mut app, IVR_REDIRECTED);
        key(&mut app, KeyCode::Char('r'));
        // Draw once so the app learns the pane's height, as the event loop would.
        render(&mut app, w, h);
        key(&mut app, KeyCode::PageDown);
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("raw_pane_pgdn_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn params_pane() {
    let mut app = samples();
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Char('p'));
    check("params_pane", &mut app);
}

#[test]
fn help() {
    let mut app = samples();
    key(&mut app, KeyCode::Char('?'));
    assert!(app.help_open());
    check("help", &mut app);
}

#[test]
fn paused_with_new_events() {
    let mut app = new_app();
    for body in EVENTS {
        push_body(&mut app, body);
    }
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    push_body(&mut app, IVR);
    push_body(&mut app, FAILED);
    assert_eq!(app.new_since_pause(), 8);
    assert_eq!(app.selected, Some(5));
    check("paused", &mut app);
}

#[test]
fn invalid_selected() {
    let mut app = samples();
    push_body(&mut app, INVALID);
    assert_eq!(app.selected, Some(16));
    assert!(app.current().unwrap().invalid.is_some());
    check("invalid", &mut app);
    check_styles("invalid", &mut app);
}

#[test]
fn status_message() {
    let mut app = samples();
    push_body(&mut app, INVALID);
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.status.as_deref(), Some("this event has no call SID"));
    check("status_no_call_sid", &mut app);
}

/// The marks column: ✓ signed, ✗ forged, ? unsigned (nothing when unchecked), ! bad TwiML,
/// ×N delivered N times.
#[test]
fn signature_badges() {
    let mut app = new_app();
    let arrival = ARRIVAL.parse().unwrap();
    let verdicts = [
        Signature::Valid,
        Signature::Invalid,
        Signature::Unsigned,
        Signature::Unchecked,
        Signature::Valid,
        Signature::Valid,
        Signature::Unsigned,
        Signature::Invalid,
    ];
    let mut evs = parse_delivery(IVR.as_bytes(), arrival).unwrap();
    evs.extend(parse_delivery(FAILED.as_bytes(), arrival).unwrap());
    for (i, mut ev) in evs.into_iter().enumerate() {
        ev.signature = verdicts[i];
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    // The failed call's request.failed: forged, bad TwiML, delivered three times.
    assert_eq!(app.store.get(7).unwrap().signature, Signature::Invalid);
    let key = |app: &App, seq| {
        app.store
            .get(seq)
            .and_then(twimon::domain::Event::dedup_key)
            .unwrap()
    };
    let (failed, plain) = (key(&app, 7), key(&app, 3));
    app.store.note_duplicate(failed);
    app.store.note_duplicate(failed);
    // And a duplicate of a plain one.
    app.store.note_duplicate(plain);
    check("signatures", &mut app);
    check_styles("signatures", &mut app);
}

// ---------------------------------------------------------------------------------------------
// Layout regressions: each pins a bug that was found and fixed.

/// The first row holding `needle`.
fn find_row(buf: &Buffer, needle: &str) -> u16 {
    (0..buf.area.height)
        .find(|y| row_text(buf, *y).contains(needle))
        .unwrap_or_else(|| panic!("no row holds {needle:?}"))
}

/// The column of the last cell on row `y` whose symbol is `sym`.
fn last_col(buf: &Buffer, y: u16, sym: &str) -> u16 {
    (0..buf.area.width)
        .rev()
        .find(|x| buf[(*x, y)].symbol() == sym)
        .unwrap_or_else(|| panic!("no {sym:?} on row {y}"))
}

#[test]
fn header_shows_follow_state_at_80_columns() {
    let mut app = new_app();
    for body in EVENTS {
        push_body(&mut app, body);
    }
    key(&mut app, KeyCode::Up);
    push_body(&mut app, IVR);
    let terminal = render(&mut app, 80, 24);
    let header = row_text(terminal.backend().buffer(), 0);
    assert!(header.contains("PAUSED +5 new"), "{header}");
}

#[test]
fn footer_lists_each_hint_once() {
    let mut app = samples();
    for in_call in [false, true] {
        if in_call {
            key(&mut app, KeyCode::Enter);
        }
        let terminal = render(&mut app, 160, 48);
        let footer = row_text(terminal.backend().buffer(), 47);
        assert_eq!(footer.matches("t r p").count(), 1, "{footer}");
    }
}

#[test]
fn filter_bar_keeps_the_count_at_80_columns() {
    let mut app = samples();
    keys(&mut app, "e");
    let terminal = render(&mut app, 80, 24);
    let bar = row_text(terminal.backend().buffer(), 1);
    assert!(bar.trim_end().ends_with("2 of 16"), "{bar}");

    keys(&mut app, "c/orders");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.store.view_len(), 1);
    let terminal = render(&mut app, 80, 24);
    let bar = row_text(terminal.backend().buffer(), 1);
    assert!(bar.trim_end().ends_with("1 of 16"), "{bar}");
}

#[test]
fn marks_line_up_when_an_event_has_no_response() {
    let mut app = samples();
    push_body(&mut app, INVALID);
    let terminal = render(&mut app, 160, 48);
    let buf = terminal.backend().buffer();
    let failed = find_row(buf, "/orders/status");
    let invalid = find_row(buf, "14:00:00.000 invalid");
    assert_eq!(last_col(buf, invalid, "!"), last_col(buf, failed, "!"));
}

#[test]
fn call_view_shows_the_late_marker() {
    let mut app = ivr_call_with(|evs| {
        let redirected = evs.remove(2);
        evs.push(redirected);
    });
    key(&mut app, KeyCode::Enter);
    let terminal = render(&mut app, 160, 48);
    let buf = terminal.backend().buffer();
    let row = row_text(buf, find_row(buf, "call.redirected"));
    assert!(row.contains("late"), "{row}");
}

#[test]
fn the_pane_says_more_when_a_line_wraps() {
    // The request.failed's warning wraps at 80 columns; its nginx page does not fit.
    let mut app = samples();
    let terminal = render(&mut app, 80, 24);
    let buf = terminal.backend().buffer();
    let pane_top = find_row(buf, " t TwiML ");
    let more = (pane_top..buf.area.height).any(|y| {
        let row = row_text(buf, y);
        row.contains("↓ ") && row.contains(" more")
    });
    assert!(more, "{}", terminal.backend());
}

#[test]
fn twiml_checks_in_the_pane_and_the_table() {
    let mut app = samples();
    push_body(&mut app, BAD_TWIML);
    check("twiml_checks", &mut app);
    check_styles("twiml_checks", &mut app);
    let terminal = render(&mut app, 160, 48);
    let screen = terminal.backend().to_string();
    assert!(screen.contains("did you mean <Say>"), "{screen}");
    assert!(screen.contains("▲"), "the table marks the row: {screen}");
}

#[test]
fn stats() {
    let mut app = samples();
    keys(&mut app, "s");
    assert!(app.stats_open());
    check("stats", &mut app);
}

/// The IVR call without its `gather.finished`: the Gather's step is marked, and the path says so.
#[test]
fn call_view_marks_a_missing_follow_up() {
    let mut app = ivr_call_with(|evs| {
        evs.remove(1);
    });
    key(&mut app, KeyCode::Enter);
    let terminal = render(&mut app, 160, 48);
    let buf = terminal.backend().buffer();
    let row = row_text(buf, find_row(buf, "call.requested"));
    assert!(row.contains("⚠ no reply"), "{row}");
    let row = row_text(buf, find_row(buf, "call.redirected"));
    assert!(!row.contains("no reply"), "{row}");
    let path = row_text(buf, find_row(buf, " path "));
    assert!(
        path.contains("/voice → Gather → Redirect (no reply) → /sales"),
        "{path}"
    );
}

/// `m`: the header says MASKED; the table with the TwiML pane of the `<Dial><Number>` step,
/// the call view (From → To, `RecordingUrl`, `Dial(…)`), the parameters pane with a
/// `SpeechResult`, and the raw JSON — no full phone number anywhere.
#[test]
fn masked() {
    let mut app = samples();
    keys(&mut app, "m");
    assert!(app.mask);
    select(&mut app, IVR_REDIRECTED);
    check("masked", &mut app);
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.current().map(|e| e.seq), Some(IVR_RECORD));
    check("masked_call_view", &mut app);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::End);
    select(&mut app, FC_GATHER);
    keys(&mut app, "p");
    check("masked_params", &mut app);
    keys(&mut app, "r");
    check("masked_raw", &mut app);
    let mut screens = String::new();
    for pane in ["t", "p", "r"] {
        keys(&mut app, pane);
        for seq in [IVR_REDIRECTED, IVR_RECORD, FC_GATHER] {
            key(&mut app, KeyCode::End);
            select(&mut app, seq);
            for (w, h) in SIZES {
                screens.push_str(&render(&mut app, w, h).backend().to_string());
            }
        }
    }
    for secret in ["+1415555", "+1800555", "order status", "Recordings/RE"] {
        assert!(!screens.contains(secret), "{secret} shown: {screens}");
    }
    assert!(screens.contains("MASKED"));
}

/// The failed call's timeline, masked: its path quotes no speech and its summary no number.
#[test]
fn masked_call_view_hides_speech() {
    const FC_GATHER: u64 = 14;
    let mut app = samples();
    keys(&mut app, "m");
    select(&mut app, FC_GATHER);
    key(&mut app, KeyCode::Enter);
    for (w, h) in SIZES {
        let screen = render(&mut app, w, h).backend().to_string();
        assert!(screen.contains("«speech»"), "{screen}");
        for secret in ["+1312555", "+1800555", "I want", "order status"] {
            assert!(!screen.contains(secret), "{secret} shown: {screen}");
        }
    }
}

/// The dialed leg of the IVR call's `<Dial>`: its request carries `ParentCallSid`.
const IVR_CHILD: &str = r#"[{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested",
    "source":"/2010-04-01/Accounts/ACe330ccb17b3f6f8b137ddda52a76d045/Calls/CA41ca571e9101106b3ddd8b9dffba1e18.json",
    "id":"leg-1","time":"2026-11-28T14:03:21.402Z",
    "data":{"sid":"CA41ca571e9101106b3ddd8b9dffba1e18",
    "request":{"method":"POST","url":"https://ivr.acme-example.com/whisper","parameters":{
    "CallSid":"CA41ca571e9101106b3ddd8b9dffba1e18","ParentCallSid":"CA866a9ca9f30dd8f84f9984ce99a9ca31",
    "From":"+18005550199","To":"+14155550123","CallStatus":"in-progress","Direction":"outbound-dial"}},
    "response":{"responseCode":200,"requestDuration":61,"contentType":"application/xml",
    "responseBody":"PFJlc3BvbnNlPjxTYXk+Q2FsbCBmcm9tIHRoZSBzYWxlcyBsaW5lLjwvU2F5PjwvUmVzcG9uc2U+"}}}]"#;

/// The call view lists the call's legs under the path; `]` opens the dialed leg, `[` comes
/// back to the parent, Esc returns to the table.
#[test]
fn call_view_with_legs() {
    let mut app = samples();
    push_body(&mut app, IVR_CHILD);
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().legs.len(), 2);
    check("call_view_legs", &mut app);
    key(&mut app, KeyCode::Char(']'));
    let cv = app.call().unwrap();
    assert_eq!(cv.sid.as_str(), "CA41ca571e9101106b3ddd8b9dffba1e18");
    assert_eq!(cv.steps, [16]);
    check("call_view_legs_child", &mut app);
    key(&mut app, KeyCode::Char('['));
    assert_eq!(
        app.call().unwrap().sid.as_str(),
        "CA866a9ca9f30dd8f84f9984ce99a9ca31"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.call().is_none());
    assert_eq!(app.selected, Some(IVR_DIAL));
}

/// The help at 80×24 no longer fits: it shows what does, says how much more there is, and
/// `PgDn` shows the rest.
#[test]
fn help_scrolls_when_the_terminal_is_short() {
    let mut app = samples();
    key(&mut app, KeyCode::Char('?'));
    let first = render(&mut app, 80, 15).backend().to_string();
    assert!(first.contains("more · PgUp/PgDn"), "{first}");
    key(&mut app, KeyCode::PageDown);
    assert!(app.help_open(), "PgDn scrolls, it does not close");
    let terminal = render(&mut app, 80, 15);
    insta::assert_snapshot!("help_pgdn_80x15", terminal.backend());
    let rest = terminal.backend().to_string();
    assert!(rest.contains("any other key closes this help."), "{rest}");
    assert!(rest.contains("copy the TwiML shown"), "{rest}");
    key(&mut app, KeyCode::Char('x'));
    assert!(!app.help_open());
    assert!(app.status.is_none(), "the closing key does nothing else");
}

#[test]
fn header_shows_a_pulling_sources_label_lag_throttles_and_trouble() {
    let mut app = samples();
    app.health.url = "kinesis twilio-events · 4 shards".into();
    app.health.listening = true;
    app.health.info = twimon::source::SourceInfo {
        label: Some("kinesis twilio-events · 5 shards".into()),
        lag_ms: Some(754_000),
        throttles: 3,
        problem: Some("kinesis:GetRecords: dispatch failure".into()),
        ..Default::default()
    };
    let terminal = render(&mut app, 200, 24);
    let header = row_text(terminal.backend().buffer(), 0);
    assert!(
        header.contains("● kinesis twilio-events · 5 shards"),
        "{header}"
    );
    assert!(header.contains("lag 12m34s"), "{header}");
    assert!(header.contains("3 throttled"), "{header}");
    assert!(
        header.contains("kinesis:GetRecords: dispatch failure"),
        "{header}"
    );
}

/// The machine-answered Studio call (every family of a call), delivered shuffled, at the
/// sizes a laptop and a wide monitor give.
const FAMILY_SIZES: [(u16, u16); 2] = [(80, 24), (200, 50)];

fn families_app() -> App {
    let mut app = new_app();
    let mut evs = parse_delivery(MACHINE_CALL.as_bytes(), ARRIVAL.parse().unwrap()).unwrap();
    // Delivered newest first: the timeline still reads in the order it happened.
    evs.reverse();
    for ev in evs {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    push_body(&mut app, CONFERENCE_CALL);
    app
}

const MACHINE_CALL: &str = include_str!("../assets/samples/families/machine-studio-call.json");
const CONFERENCE_CALL: &str = include_str!("../assets/samples/families/conference-call.json");

#[test]
fn families_table() {
    let mut app = families_app();
    for (w, h) in FAMILY_SIZES {
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("families_table_{w}x{h}"), terminal.backend());
    }
    keys(&mut app, "ff");
    for (w, h) in FAMILY_SIZES {
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("families_progress_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn families_call_view() {
    let mut app = families_app();
    // The first event delivered is the machine call's Insights summary.
    select(&mut app, 0);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps.len(), 17);
    for (w, h) in FAMILY_SIZES {
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("families_call_view_{w}x{h}"), terminal.backend());
    }
}

#[test]
fn conference_call_view() {
    let mut app = families_app();
    // The agent's join: the call view lists the conference and both participants.
    select(&mut app, 21);
    key(&mut app, KeyCode::Enter);
    for (w, h) in FAMILY_SIZES {
        let terminal = render(&mut app, w, h);
        insta::assert_snapshot!(format!("conference_call_view_{w}x{h}"), terminal.backend());
    }
}
