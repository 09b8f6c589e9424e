//! Snapshots of every screen on ratatui's `TestBackend`, at 60×15, 80×24 and 200×50.
//!
//! The state is deterministic: a fixed arrival time, a fixed listener URL, samples pushed in a
//! fixed order, and no `tick` (events/s stays 0.0). Where colour carries meaning, a second
//! snapshot (200×50, or every size and theme for the main screens) lists, per row, the runs of cells with a non-default style.

mod common;

use common::fixtures::{
    ARRIVAL, EVENTS, FAILED, FC_GATHER, IVR, IVR_DIAL, IVR_RECORD, IVR_REDIRECTED, IVR_REQUESTED,
};
use common::screen::{SIZES, matrix, render, row_text, styles};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::style::{Color, Modifier};
use twimon::app::App;
use twimon::app::look::Theme;
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

/// The screen's styles at 200×50 in the dark theme.
fn check_styles(name: &str, app: &mut App) {
    let terminal = render(app, 200, 50);
    insta::assert_snapshot!(
        format!("{name}_styles_200x50"),
        styles(terminal.backend().buffer())
    );
}

/// The screen at every size of [`SIZES`] in every theme, each cell's style listed.
fn check_matrix(name: &str, app: &mut App) {
    for (suffix, frame) in matrix(app) {
        insta::assert_snapshot!(format!("{name}_{suffix}"), frame);
    }
}

// ---------------------------------------------------------------------------------------------

#[test]
fn empty() {
    check("empty", &mut new_app());
}

/// On another address, the empty screen's `twimon send` hint posts to that address.
#[test]
fn empty_on_another_address_says_where_to_send() {
    let mut app = new_app();
    app.health.url = "http://127.0.0.1:7192/".into();
    let screen = common::screen::screen_text(render(&mut app, 80, 24).backend().buffer());
    assert!(
        screen.contains("twimon send --to http://127.0.0.1:7192/ assets/samples"),
        "{screen}"
    );
    let screen = common::screen::screen_text(render(&mut new_app(), 80, 24).backend().buffer());
    assert!(screen.contains("twimon send assets/samples "), "{screen}");
}

#[test]
fn table() {
    let mut app = samples();
    assert!(app.follow);
    assert_eq!(app.selected, Some(15));
    check("table", &mut app);
    check_matrix("table", &mut app);
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
    check_matrix("search_typing", &mut app);
}

/// Enter on an expression that does not parse: the prompt stays, the column is marked and
/// the error says what was expected there; the table keeps the filter in force.
#[test]
fn search_parse_error() {
    let mut app = samples();
    keys(&mut app, "/type:gather code>=fast");
    key(&mut app, KeyCode::Enter);
    assert!(app.search_prompt().and_then(|p| p.error()).is_some());
    assert_eq!(app.store.view_len(), app.store.len(), "no filter applied");
    check("search_parse_error", &mut app);
}

#[test]
fn call_view() {
    let mut app = samples();
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps, [8, 9, 10, 11, 12]);
    check("call_view", &mut app);
    check_matrix("call_view", &mut app);
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

/// One `J` in the raw pane: the pane scrolls by its height less one line.
#[test]
fn raw_pane_scrolled() {
    for (w, h) in SIZES {
        let mut app = samples();
        select(&mut app, IVR_REDIRECTED);
        key(&mut app, KeyCode::Char('r'));
        // Draw once so the app learns the pane's height, as the event loop would.
        render(&mut app, w, h);
        key(&mut app, KeyCode::Char('J'));
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
    check_matrix("help", &mut app);
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
    let duplicate = |app: &App, seq| {
        let original = app.store.get(seq).unwrap();
        twimon::domain::delivery::Duplicate {
            key: original.dedup_key().unwrap(),
            call: original.call_sid.clone(),
        }
    };
    let (failed, plain) = (duplicate(&app, 7), duplicate(&app, 3));
    app.store.note_duplicate(&failed);
    app.store.note_duplicate(&failed);
    // And a duplicate of a plain one.
    app.store.note_duplicate(&plain);
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

/// Counts in the hundreds: the chips keep their names (not bare digits) at 80 columns.
#[test]
fn filter_bar_keeps_names_when_counts_reach_100() {
    let mut app = common::screen::new_app(2000);
    for round in 0..100 {
        for body in EVENTS {
            push_body(
                &mut app,
                &body.replace("\"id\": \"", &format!("\"id\": \"r{round}-")),
            );
        }
    }
    assert_eq!(
        app.store
            .kind_count(twimon::domain::EventKind::GatherFinished),
        100
    );
    let terminal = render(&mut app, 80, 24);
    let bar = row_text(terminal.backend().buffer(), 1);
    for name in ["1req", "4gath", "8fail"] {
        assert!(bar.contains(name), "{bar}");
    }
    assert!(bar.trim_end().ends_with("800 of 800"), "{bar}");
}

/// The footer keeps the way into the timeline at 80 columns; on a wide terminal it also lists
/// the keys otherwise only in the help (stats, export, copy, mask).
#[test]
fn footer_keeps_enter_and_shows_more_keys_when_wide() {
    let mut app = samples();
    for (w, h) in [(60, 15), (80, 24)] {
        let terminal = render(&mut app, w, h);
        let footer = row_text(terminal.backend().buffer(), h - 1);
        assert!(footer.contains("Enter timeline"), "{w}x{h}: {footer}");
    }
    let terminal = render(&mut app, 200, 50);
    let footer = row_text(terminal.backend().buffer(), 49);
    for (key, hint) in [
        ("s", "stats"),
        ("x", "export"),
        ("y", "copy"),
        ("m", "mask"),
    ] {
        assert!(footer.contains(&format!(" {key}  {hint}")), "{footer}");
    }
}

/// A recording's header says it is one, and which night it is from, even at 80 columns.
#[test]
fn replay_header_names_the_recording_and_its_date() {
    let mut app = samples();
    app.health.listening = false;
    app.health.url = "replay /var/tmp/night-of-the-outage.ndjson".into();
    for w in [60, 80] {
        let terminal = render(&mut app, w, 24);
        let header = row_text(terminal.backend().buffer(), 0);
        assert!(header.contains("replay 2026-11-28"), "{w}: {header}");
    }
    let terminal = render(&mut app, 200, 50);
    let header = row_text(terminal.backend().buffer(), 0);
    assert!(header.contains("night-of-the-outage.ndjson"), "{header}");
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
    check_matrix("stats", &mut app);
}

/// Without colour, the selected row still stands out: its cells are in reverse video and no
/// other row's are, and nothing on the screen has a colour.
#[test]
fn the_selected_row_is_distinguishable_without_colour() {
    let mut app = samples();
    app.set_theme(Theme::NoColor);
    select(&mut app, IVR_DIAL);
    for (w, h) in SIZES {
        let terminal = render(&mut app, w, h);
        let buf = terminal.backend().buffer();
        for cell in buf.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{w}x{h}");
        }
        // The table's rows start inside its left border.
        let reversed: Vec<u16> = (0..h)
            .filter(|y| (1..30).all(|x| buf[(x, *y)].modifier.contains(Modifier::REVERSED)))
            .collect();
        assert_eq!(
            reversed.len(),
            1,
            "{w}x{h}: one reversed row\n{}",
            buf_text(buf)
        );
        let row = row_text(buf, reversed[0]);
        assert!(row.contains("dial.finished"), "{w}x{h}: {row}");
    }
}

/// What reaches the terminal in the no-colour theme: reverse video for the selection, and no
/// colour change at all, so nothing crossterm suppresses under `NO_COLOR` can become the bare
/// `ESC[m` that would reset the reverse video mid-screen.
#[test]
fn no_colour_output_keeps_reverse_video_under_no_color() {
    use ratatui::backend::CrosstermBackend;
    let mut app = samples();
    app.set_theme(Theme::NoColor);
    select(&mut app, IVR_DIAL);
    // As crossterm behaves when NO_COLOR is set.
    crossterm::style::Colored::set_ansi_color_disabled(true);
    let mut bytes = Vec::<u8>::new();
    let options = ratatui::TerminalOptions {
        viewport: ratatui::Viewport::Fixed(ratatui::layout::Rect::new(0, 0, 80, 24)),
    };
    let mut terminal =
        ratatui::Terminal::with_options(CrosstermBackend::new(&mut bytes), options).unwrap();
    twimon::tui::draw(&mut terminal, &mut app).unwrap();
    drop(terminal);
    crossterm::style::Colored::set_ansi_color_disabled(false);
    let out = String::from_utf8_lossy(&bytes).into_owned();
    let reverse = out
        .find("\x1b[7m")
        .expect("the selection is in reverse video");
    let row_end = reverse
        + out[reverse..]
            .find("88ms")
            .expect("the selected row's text");
    assert!(
        !out[reverse..row_end].contains("\x1b[m"),
        "the reverse video is reset inside the selected row: {:?}",
        &out[reverse..row_end]
    );
    assert!(
        !out.contains("\x1b[38;") && !out.contains("\x1b[48;"),
        "{out:?}"
    );
}

/// The timeline's selected step, both its lines, in reverse video without colour.
#[test]
fn the_selected_step_is_distinguishable_without_colour() {
    let mut app = samples();
    app.set_theme(Theme::NoColor);
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    for (w, h) in SIZES {
        let terminal = render(&mut app, w, h);
        let buf = terminal.backend().buffer();
        let reversed: Vec<String> = (0..h)
            .filter(|y| buf[(2, *y)].modifier.contains(Modifier::REVERSED))
            .map(|y| row_text(buf, y))
            .collect();
        assert!(
            reversed.iter().any(|r| r.contains("dial.finished")),
            "{w}x{h}: {reversed:#?}"
        );
    }
}

fn buf_text(buf: &Buffer) -> String {
    common::screen::screen_text(buf)
}

/// Narrow screens cut text, never a value's unit, and say so with `…`.
#[test]
fn narrow_screens_keep_units_and_mark_cuts() {
    let mut app = samples();
    select(&mut app, IVR_DIAL);
    for (w, h) in SIZES {
        let screen = render(&mut app, w, h).backend().to_string();
        assert!(screen.contains("15.0s"), "{w}x{h}\n{screen}");
        assert!(screen.contains("88ms"), "{w}x{h}\n{screen}");
        assert!(!screen.contains("15. "), "{w}x{h}\n{screen}");
    }
    key(&mut app, KeyCode::Enter);
    for (w, h) in SIZES {
        let screen = render(&mut app, w, h).backend().to_string();
        assert!(
            screen.contains("dial.finished"),
            "{w}x{h}: no steps\n{screen}"
        );
        assert!(screen.contains("DialCallStatus=busy"), "{w}x{h}\n{screen}");
        let path = screen.lines().find(|l| l.contains(" path ")).unwrap();
        assert!(
            path.contains('…') || path.contains("/voicemail"),
            "{w}x{h}: {path}"
        );
    }
}

/// Events from two years on one screen: each time says its date, so 2025-11-28 and
/// 2026-11-28 do not look like one day.
#[test]
fn times_carry_the_date_when_events_span_days() {
    let mut app = samples();
    let last_year = EVENTS[0]
        .replace("2026-11-28T", "2025-11-28T")
        .replace("6ae2e12a", "0ld0e12a");
    push_body(&mut app, &last_year);
    let screen = render(&mut app, 200, 50).backend().to_string();
    assert!(screen.contains("Date, time (UTC)"), "{screen}");
    assert!(screen.contains("2025-11-28 09:12:41.394"), "{screen}");
    let years: Vec<&str> = ["2025-", "2026-"]
        .into_iter()
        .filter(|y| screen.contains(y))
        .collect();
    assert_eq!(years.len(), 2, "{screen}");
    let mut one_day = ivr_call_with(|_| {});
    let screen = render(&mut one_day, 200, 50).backend().to_string();
    assert!(
        screen.contains("Time (UTC)") && !screen.contains("2026-"),
        "{screen}"
    );
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
/// `PgDn` shows the rest, a page at a time.
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
    // Paging on past the end stops at the last page.
    for _ in 0..20 {
        let _ = render(&mut app, 80, 15);
        key(&mut app, KeyCode::PageDown);
    }
    let terminal = render(&mut app, 80, 15);
    let rest = terminal.backend().to_string();
    assert!(rest.contains("any other key closes this help."), "{rest}");
    assert!(rest.contains("Commands"), "{rest}");
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

/// The keys of a config's `[keys]` table laid over the keymap.
fn rebound(pairs: &[(&str, &[&str])]) -> twimon::app::keys::Keymap {
    let map = pairs
        .iter()
        .map(|(a, ks)| {
            (
                (*a).to_owned(),
                ks.iter().map(|k| (*k).to_owned()).collect(),
            )
        })
        .collect();
    twimon::app::keys::Keymap::with(&map).unwrap()
}

/// A rebound key is the one the footer and the help show, and the one that works.
#[test]
fn rebound_keys_show_in_the_footer_and_the_help() {
    let mut app = samples();
    app.keys = rebound(&[
        ("quit", &["ctrl-q"]),
        ("help", &["f1"]),
        ("pane-twiml", &["T"]),
    ]);
    let terminal = render(&mut app, 160, 48);
    let footer = row_text(terminal.backend().buffer(), 47);
    assert!(footer.contains(" Ctrl-q  quit "), "{footer}");
    assert!(footer.contains(" F1  help "), "{footer}");
    assert!(footer.contains(" T r p  pane"), "{footer}");
    assert!(!footer.contains(" q  quit"), "{footer}");

    // `?` and `q` are free now; F1 opens the help.
    keys(&mut app, "?q");
    assert!(!app.help_open() && !app.quit);
    key(&mut app, KeyCode::F(1));
    assert!(app.help_open());
    // Tall enough for the whole help.
    let terminal = render(&mut app, 80, 60);
    let help = common::screen::screen_text(terminal.backend().buffer());
    let line = |word: &str| {
        help.lines()
            .find(|l| l.contains(word))
            .unwrap_or_else(|| panic!("{word}: {help}"))
            .to_owned()
    };
    assert!(
        line(" Ctrl-q ").contains("Ctrl-q   back; at the top: quit"),
        "{help}"
    );
    assert!(
        !help.contains("also Ctrl-C"),
        "the old note is gone: {help}"
    );
    assert!(line(" F1 ").contains("F1       this help"), "{help}");
    assert!(line(" T r p ").contains("pane: decoded TwiML"), "{help}");
    insta::assert_snapshot!("help_rebound_80x60", terminal.backend());
    key(&mut app, KeyCode::Esc);
    // The rebound quit asks first (these events are not recorded); `y` answers.
    app.on_key(KeyEvent::new(KeyCode::Char('q'), KeyModifiers::CONTROL));
    assert!(!app.quit);
    key(&mut app, KeyCode::Char('y'));
    assert!(app.quit);
}

/// The stats overlay lists the last deliveries the listener refused, newest first, with why.
#[test]
fn stats_with_refused_deliveries() {
    use twimon::domain::feed::Rejection;
    let mut app = samples();
    app.log = Some("/home/u/.local/state/twimon/twimon-20261130T030000Z-42.log".into());
    let at = |t: &str| t.parse().unwrap();
    app.health.rejections = vec![
        Rejection {
            at: at("2026-11-30T03:00:01Z"),
            status: 400,
            reason: "body is not JSON: expected value at line 1 column 1".into(),
            remote: Some("127.0.0.1:52114".into()),
            request: "POST /".into(),
        },
        Rejection {
            at: at("2026-11-30T03:00:02Z"),
            status: 415,
            reason: "content type \"text/html\" is not handled: send JSON CloudEvents \
                     (application/json) or form-encoded voice callbacks"
                .into(),
            remote: Some("203.0.113.9:40022".into()),
            request: "POST /events".into(),
        },
        Rejection {
            at: at("2026-11-30T03:00:05Z"),
            status: 403,
            reason: "signature check failed: no X-Twilio-Signature header".into(),
            remote: Some("203.0.113.9:40023".into()),
            request: "POST /events".into(),
        },
    ];
    keys(&mut app, "s");
    check("stats_refused", &mut app);
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

// ---------------------------------------------------------------------------------------------
// The caller panel of `twimon call`

use twimon::domain::call::transcript::{Entry, Waiting};

/// A simulated call's transcript up to its menu, as the driver sends it.
fn call_opening() -> Vec<Entry> {
    let params: serde_json::Map<String, serde_json::Value> = [
        ("CallSid", "CA5ef8d5bd8a4e4d3c5b0a6f1e2d3c4b5a"),
        ("From", "+14155550100"),
        ("To", "+18005550199"),
        ("CallStatus", "ringing"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v.to_owned())))
    .collect();
    vec![
        Entry::StatusCallback {
            event: "ringing",
            call_status: "ringing".into(),
            url: "http://127.0.0.1:3000/status".into(),
            status: Some(200),
            error: None,
        },
        Entry::Request {
            kind: "call.requested",
            verb: "",
            method: "POST",
            url: "http://127.0.0.1:3000/voice".into(),
            params,
        },
        Entry::Response {
            status: 200,
            content_type: Some("text/xml".into()),
            ms: 4,
            verbs: "Say Gather Redirect".into(),
        },
        Entry::Say {
            text: "Thanks for calling Acme.".into(),
            voice: None,
            language: None,
            times: 1,
        },
        Entry::Pause { seconds: 1 },
        Entry::Say {
            text: "For sales press 1, for support press 2, or say what you need.".into(),
            voice: Some("Polly.Joanna".into()),
            language: Some("en-US".into()),
            times: 1,
        },
    ]
}

fn gather_waiting(left: u32, pressed: &str) -> Entry {
    Entry::Waiting(Waiting {
        verb: "Gather",
        detail: "keys or speech, 2 digits, ends on #, timeout 5 s".into(),
        keys: true,
        speech: true,
        num_digits: Some(2),
        finish_on_key: Some('#'),
        left: Some(left),
        pressed: pressed.into(),
    })
}

fn call_app(entries: Vec<Entry>) -> App {
    let mut app = ivr_call_with(|_| {});
    for e in entries {
        app.on_caller(e);
    }
    app
}

#[test]
fn caller_panel_while_a_gather_waits() {
    let mut entries = call_opening();
    entries.push(gather_waiting(5, ""));
    entries.push(gather_waiting(3, "1"));
    let mut app = call_app(entries);
    assert!(app.caller_focused(), "a waiting <Gather> takes the keys");
    check_matrix("caller_gather", &mut app);
}

#[test]
fn caller_panel_while_a_dial_waits_and_after_the_end() {
    let mut entries = call_opening();
    entries.push(gather_waiting(5, ""));
    entries.push(Entry::Reply {
        step: None,
        reply: "the caller presses 1".into(),
    });
    entries.push(Entry::Say {
        text: "Connecting you to sales.".into(),
        voice: None,
        language: None,
        times: 1,
    });
    entries.push(Entry::Waiting(Waiting {
        verb: "Dial",
        detail: "calling +14155550123".into(),
        keys: false,
        speech: false,
        num_digits: None,
        finish_on_key: None,
        left: None,
        pressed: String::new(),
    }));
    let mut app = call_app(entries);
    // Two steps longer than the default, shown before it is sent.
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    check("caller_dial", &mut app);
    // Esc gives the keys back: the panel stays, a strip under a narrow table.
    key(&mut app, KeyCode::Esc);
    assert!(!app.caller_focused());
    for e in [
        Entry::Reply {
            step: None,
            reply: "the dial ends busy after 0 s".into(),
        },
        Entry::Unsupported {
            verb: "Connect".into(),
            ends: true,
        },
        Entry::End {
            ending: "unsupported",
            description: "<Connect> took the call over (not simulated)".into(),
            seconds: 6,
        },
        Entry::StatusCallback {
            event: "completed",
            call_status: "completed".into(),
            url: "http://127.0.0.1:3000/status".into(),
            status: Some(500),
            error: Some("Twilio would log 15003 (a warning): the app answered 500".into()),
        },
    ] {
        app.on_caller(e);
    }
    check("caller_ended", &mut app);
    // Tab brings the keys back to read it; the footer says what is left to do.
    key(&mut app, KeyCode::Tab);
    assert!(app.caller_focused());
    let terminal = render(&mut app, 80, 24);
    insta::assert_snapshot!("caller_ended_focused_80x24", terminal.backend());
}

/// `:columns` with request parameters: each row shows its event's value (`-` where it has
/// none), the free-text one takes the room left, and narrow terminals drop by priority.
#[test]
fn table_with_parameter_columns() {
    let mut app = samples();
    key(&mut app, KeyCode::Char(':'));
    keys(
        &mut app,
        "columns time,type,call,Digits,DialCallStatus,SpeechResult,code",
    );
    key(&mut app, KeyCode::Enter);
    let screen = common::screen::screen_text(render(&mut app, 80, 24).backend().buffer());
    assert!(
        screen.contains("Digits") && screen.contains("DialCallStatus"),
        "{screen}"
    );
    check_matrix("table_parameter_columns", &mut app);
}
