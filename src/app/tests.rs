//! Key handling as state transitions: an [`App`] filled from the sample deliveries (or a few
//! hand-made events), keys pressed through [`App::on_key`], the resulting state checked.

use std::fmt::Write as _;

use base64::Engine as _;
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use jiff::Timestamp;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use super::*;
use crate::app::look::Column;
use crate::domain::Signature;
use crate::domain::delivery::parse_delivery;

// The sample deliveries and the seqs they get, shared with tests/snapshots.rs.
#[path = "../../tests/common/fixtures.rs"]
mod fixtures;
use fixtures::*;

fn arrival() -> Timestamp {
    ARRIVAL.parse().unwrap()
}

fn parse(body: &str) -> Vec<Event> {
    parse_delivery(body.as_bytes(), arrival()).unwrap()
}

fn push_body(app: &mut App, body: &str) {
    for ev in parse(body) {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
}

/// All of `events/` (in file order), then the IVR flow, then the failed call: 16 events.
fn samples(max_events: usize) -> App {
    let mut app = App::new(max_events);
    for body in EVENTS {
        push_body(&mut app, body);
    }
    push_body(&mut app, IVR);
    push_body(&mut app, FAILED);
    app
}

/// A small TwiML event of the IVR call, `secs` after 14:00:00.
fn hand_event(id: &str, ty: &str, secs: u32, code: u16, body: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(body);
    format!(
        r#"{{"specversion":"1.0","type":"com.twilio.voice.twiml.{ty}","source":"/test","id":"{id}",
        "time":"2026-11-28T14:00:{secs:02}.000Z",
        "data":{{"sid":"CA0000000000000000000000000000beef",
        "request":{{"method":"POST","url":"https://x.test/{id}","parameters":{{"CallStatus":"in-progress"}}}},
        "response":{{"responseCode":{code},"requestDuration":100,"contentType":"application/xml",
        "responseBody":"{b64}"}}}}}}"#
    )
}

fn key(app: &mut App, code: KeyCode) -> bool {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ch(app: &mut App, c: char) -> bool {
    key(app, KeyCode::Char(c))
}

fn ctrl(app: &mut App, c: char) -> bool {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        ch(app, c);
    }
}

/// Opens the search, replaces what it holds with `text`, applies it.
fn search(app: &mut App, text: &str) {
    ch(app, '/');
    while app.search_input().is_some_and(|s| !s.is_empty()) {
        key(app, KeyCode::Backspace);
    }
    type_text(app, text);
    key(app, KeyCode::Enter);
}

/// The filtered view, as sequence numbers.
fn view(app: &App) -> Vec<u64> {
    (0..app.store.view_len())
        .map(|i| app.store.view_seq(i).unwrap())
        .collect()
}

/// Presses Up until `seq` is selected (it must be in the view, above the selection).
fn select(app: &mut App, seq: u64) {
    for _ in 0..=app.store.view_len() {
        if app.selected == Some(seq) {
            return;
        }
        key(app, KeyCode::Up);
    }
    panic!("could not reach {seq} with Up; selected {:?}", app.selected);
}

fn kinds_of(bits: &[EventKind]) -> u16 {
    bits.iter()
        .filter_map(|k| kind_bit(*k))
        .fold(0, |a, b| a | b)
}

fn sid(s: &str) -> CallSid {
    CallSid(s.into())
}

// ---------------------------------------------------------------------------------------------
// Follow and movement

#[test]
fn follow_is_on_by_default_and_the_selection_stays_on_the_newest() {
    let mut app = App::new(100);
    assert!(app.follow);
    assert_eq!(app.selected, None);
    assert_eq!(app.new_since_pause(), 0);
    push_body(&mut app, EVENTS[0]);
    assert_eq!(app.selected, Some(0));
    for body in &EVENTS[1..] {
        push_body(&mut app, body);
        assert_eq!(app.selected, Some(app.store.next_seq() - 1));
    }
    push_body(&mut app, IVR);
    assert_eq!(app.selected, Some(IVR_RECORD));
    assert!(app.follow);
    assert_eq!(app.new_since_pause(), 0);
}

#[test]
fn up_pauses_follow_and_new_events_are_counted_not_selected() {
    let mut app = App::new(100);
    for body in EVENTS {
        push_body(&mut app, body);
    }
    assert_eq!(app.selected, Some(EV_FAILED));
    assert!(key(&mut app, KeyCode::Up));
    assert!(!app.follow);
    assert_eq!(app.selected, Some(EV_FAILED - 1));
    assert_eq!(app.new_since_pause(), 0);

    push_body(&mut app, IVR);
    assert_eq!(app.selected, Some(EV_FAILED - 1), "paused: selection holds");
    assert_eq!(app.new_since_pause(), 5);
    push_body(&mut app, FAILED);
    assert_eq!(app.new_since_pause(), 8);

    // k is Up too; moving further does not reset the count.
    ch(&mut app, 'k');
    assert_eq!(app.selected, Some(EV_FAILED - 2));
    assert_eq!(app.new_since_pause(), 8);
    // Down moves within the view without resuming follow.
    ch(&mut app, 'j');
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected, Some(EV_FAILED));
    assert!(!app.follow);
}

#[test]
fn up_at_the_top_stays_there() {
    let mut app = samples(100);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, Some(0));
}

#[test]
fn g_end_resume_follow_and_jump_to_the_newest() {
    let presses = [
        KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT),
        KeyEvent::new(KeyCode::Char('G'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::End, KeyModifiers::NONE),
    ];
    for press in presses {
        let mut app = samples(100);
        select(&mut app, IVR_GATHER);
        push_body(&mut app, EVENTS[0]);
        assert_eq!(app.new_since_pause(), 1);
        assert!(app.on_key(press), "{press:?}");
        assert!(app.follow, "{press:?}");
        assert_eq!(app.selected, Some(TOTAL as u64), "{press:?}");
        assert_eq!(app.new_since_pause(), 0, "{press:?}");
        // Following again: the next event is selected.
        push_body(&mut app, EVENTS[1]);
        assert_eq!(app.selected, Some(TOTAL as u64 + 1), "{press:?}");
    }
}

#[test]
fn g_and_home_go_to_the_first_event_and_pause() {
    for code in [KeyCode::Char('g'), KeyCode::Home] {
        let mut app = samples(100);
        assert!(key(&mut app, code));
        assert_eq!(app.selected, Some(0), "{code:?}");
        assert!(!app.follow, "{code:?}");
        push_body(&mut app, EVENTS[0]);
        assert_eq!(app.selected, Some(0), "{code:?}");
        assert_eq!(app.new_since_pause(), 1, "{code:?}");
    }
}

#[test]
fn top_while_paused_keeps_the_new_count() {
    let mut app = samples(100);
    key(&mut app, KeyCode::Up);
    push_body(&mut app, EVENTS[0]);
    push_body(&mut app, EVENTS[1]);
    ch(&mut app, 'g');
    assert_eq!(app.new_since_pause(), 2);
    // Resume, pause again: the count starts over.
    ch(&mut app, 'G');
    key(&mut app, KeyCode::Up);
    assert_eq!(app.new_since_pause(), 0);
    push_body(&mut app, EVENTS[2]);
    assert_eq!(app.new_since_pause(), 1);
}

#[test]
fn down_at_the_bottom_while_following_keeps_following() {
    let mut app = samples(100);
    for code in [KeyCode::Down, KeyCode::Char('j')] {
        key(&mut app, code);
        assert!(app.follow);
        assert_eq!(app.selected, Some(FC_FAILED));
    }
    push_body(&mut app, EVENTS[0]);
    assert_eq!(app.selected, Some(TOTAL as u64));
}

#[test]
fn key_releases_do_nothing() {
    let mut app = samples(100);
    let before = (app.selected, app.follow, app.help_open(), app.quit);
    for code in [
        KeyCode::Up,
        KeyCode::Char('q'),
        KeyCode::Char('?'),
        KeyCode::Char('4'),
        KeyCode::Char('/'),
        KeyCode::Enter,
    ] {
        let mut release = KeyEvent::new(code, KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert!(!app.on_key(release), "{code:?}");
    }
    assert_eq!(
        (app.selected, app.follow, app.help_open(), app.quit),
        before
    );
    assert!(app.store.filter().is_empty());
    assert!(app.search_input().is_none());
    assert!(app.call().is_none());
}

#[test]
fn unbound_keys_report_no_change() {
    let mut app = samples(100);
    assert!(!ch(&mut app, 'z'));
    assert!(!ch(&mut app, '9'));
    assert!(!key(&mut app, KeyCode::F(5)));
    assert_eq!(app.selected, Some(FC_FAILED));
    assert!(app.follow);
}

// ---------------------------------------------------------------------------------------------
// Type filters

#[test]
fn digits_show_one_type_then_add_and_remove_types() {
    let mut app = samples(100);
    assert!(ch(&mut app, '4'));
    assert_eq!(
        app.store.filter().kinds,
        kinds_of(&[EventKind::GatherFinished])
    );
    assert_eq!(view(&app), [EV_GATHER, IVR_GATHER, FC_GATHER]);
    assert_eq!(app.selected, Some(FC_GATHER), "following: newest match");

    ch(&mut app, '5');
    assert_eq!(
        app.store.filter().kinds,
        kinds_of(&[EventKind::GatherFinished, EventKind::DialFinished])
    );
    assert_eq!(
        view(&app),
        [EV_GATHER, EV_DIAL, IVR_GATHER, IVR_DIAL, FC_GATHER]
    );

    ch(&mut app, '4');
    assert_eq!(
        app.store.filter().kinds,
        kinds_of(&[EventKind::DialFinished])
    );
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);
    assert_eq!(app.selected, Some(IVR_DIAL));

    // Removing the last type shows every type again.
    ch(&mut app, '5');
    assert_eq!(app.store.filter().kinds, 0);
    assert!(app.store.filter().is_empty());
    assert_eq!(app.store.view_len(), TOTAL);
    assert_eq!(app.selected, Some(FC_FAILED));
}

#[test]
fn every_digit_maps_to_its_type() {
    for (i, kind) in EventKind::TWIML.iter().enumerate() {
        let mut app = samples(100);
        let digit = char::from(b'1' + u8::try_from(i).unwrap());
        ch(&mut app, digit);
        assert_eq!(app.store.filter().kinds, kinds_of(&[*kind]), "{digit}");
        assert!(app.store.view_len() > 0, "{digit}");
        for seq in view(&app) {
            assert_eq!(app.store.get(seq).unwrap().kind, *kind, "{digit}");
        }
    }
}

#[test]
fn zero_shows_all_types_again_and_keeps_other_filters() {
    let mut app = samples(100);
    type_text(&mut app, "148e");
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    ch(&mut app, '0');
    assert_eq!(app.store.filter().kinds, 0);
    assert!(app.store.filter().problems, "0 resets types only");
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    ch(&mut app, 'e');
    assert!(app.store.filter().is_empty());
    assert_eq!(app.store.view_len(), TOTAL);
}

// ---------------------------------------------------------------------------------------------
// Problems

#[test]
fn e_toggles_problems_and_combines_with_types() {
    let mut app = samples(100);
    assert!(ch(&mut app, 'e'));
    assert!(app.store.filter().problems);
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    assert_eq!(app.selected, Some(FC_FAILED));

    ch(&mut app, '8');
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    ch(&mut app, '8');
    ch(&mut app, '4');
    assert!(app.store.filter().problems);
    assert_eq!(view(&app), Vec::<u64>::new(), "no gather is a problem");
    assert_eq!(app.selected, None);

    ch(&mut app, 'e');
    assert!(!app.store.filter().problems);
    assert_eq!(view(&app), [EV_GATHER, IVR_GATHER, FC_GATHER]);
    assert_eq!(app.selected, Some(FC_GATHER));
}

#[test]
fn problems_are_failures_4xx_5xx_invalid_bad_twiml_and_forged_signatures() {
    let bad = "<Response><Say>hi</Response>";
    let good = "<Response><Say>hi</Say></Response>";
    let body = format!(
        "[{},{},{},{},{},{},{},{},{},{},{}]",
        hand_event("ok", "call.requested", 0, 200, good), // 0
        hand_event("redirect", "call.redirected", 1, 302, good), // 1
        hand_event("edge", "gather.finished", 2, 399, good), // 2
        hand_event("notfound", "gather.finished", 3, 400, good), // 3
        hand_event("error", "dial.finished", 4, 500, good), // 4
        hand_event("badxml", "dial.finished", 5, 200, bad), // 5: not well-formed
        r#"{"id":"no-type","data":{}}"#,                  // 6: invalid
        hand_event("failed", "request.failed", 7, 200, good), // 7
        hand_event("forged", "call.requested", 8, 200, good), // 8: bad signature
        hand_event("signed", "call.requested", 9, 200, good), // 9: good signature
        hand_event("unsigned", "call.requested", 10, 200, good), // 10: no signature
    );
    let mut app = App::new(100);
    let verdicts = [
        (8, Signature::Invalid),
        (9, Signature::Valid),
        (10, Signature::Unsigned),
    ];
    for (i, mut ev) in parse(&body).into_iter().enumerate() {
        if let Some((_, v)) = verdicts.iter().find(|(n, _)| *n == i) {
            ev.signature = *v;
        }
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    assert_eq!(app.store.len(), 11);
    assert!(app.store.get(5).unwrap().twiml_failed());
    assert!(app.store.get(6).unwrap().invalid.is_some());
    ch(&mut app, 'e');
    assert_eq!(view(&app), [3, 4, 5, 6, 7, 8]);
    // Types combine with problems; the invalid event has no type to match.
    ch(&mut app, '5');
    assert_eq!(view(&app), [4, 5]);
    ch(&mut app, '1');
    assert_eq!(view(&app), [4, 5, 8]);
}

// ---------------------------------------------------------------------------------------------
// Search

#[test]
fn slash_opens_search_and_typing_edits_without_filtering() {
    let mut app = samples(100);
    assert!(ch(&mut app, '/'));
    assert_eq!(app.search_input(), Some(""));
    ch(&mut app, 'b');
    ch(&mut app, 'x');
    assert_eq!(app.search_input(), Some("bx"));
    assert!(key(&mut app, KeyCode::Backspace));
    assert_eq!(app.search_input(), Some("b"));
    type_text(&mut app, "usy");
    assert_eq!(app.search_input(), Some("busy"));
    assert_eq!(app.store.filter().search, None, "applies only on Enter");
    assert_eq!(app.store.view_len(), TOTAL);

    assert!(key(&mut app, KeyCode::Enter));
    assert_eq!(app.search_input(), None);
    assert_eq!(
        app.store
            .filter()
            .search
            .as_ref()
            .map(crate::domain::filter::Query::text),
        Some("busy")
    );
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);
    assert_eq!(app.selected, Some(IVR_DIAL));
}

#[test]
fn search_input_takes_every_printable_key() {
    let mut app = samples(100);
    ch(&mut app, '/');
    type_text(&mut app, "q1e?cG/ ");
    assert_eq!(app.search_input(), Some("q1e?cG/ "));
    assert!(!app.quit);
    assert!(!app.help_open());
    assert!(app.store.filter().is_empty());
    assert!(app.follow);
    // Backspace on an empty input is harmless.
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    assert_eq!(app.search_input(), Some(""));
}

#[test]
fn search_is_case_insensitive_over_sid_url_parameters_and_twiml() {
    let cases: [(&str, &[u64]); 9] = [
        // DialCallStatus=busy (parameters) and "everyone is busy" (TwiML).
        ("busy", &[EV_DIAL, IVR_DIAL]),
        ("BUSY", &[EV_DIAL, IVR_DIAL]),
        // Only in the decoded TwiML (the raw JSON has it in base64).
        ("everyone is busy", &[EV_DIAL, IVR_DIAL]),
        ("Connecting you to SALES", &[IVR_GATHER]),
        // Call SID, any case, any part.
        ("ca866A9CA9F30DD8", &[8, 9, 10, 11, 12]),
        // URL.
        ("/after-queue", &[EV_ENQUEUE]),
        // A parameter's name and value.
        ("queueresult", &[EV_ENQUEUE]),
        ("\"order status\"", &[FC_GATHER]),
        // Two words: both, anywhere (the failed request's URL is /orders/status).
        ("order status", &[FC_GATHER, FC_FAILED]),
    ];
    for (needle, expected) in cases {
        let mut app = samples(100);
        search(&mut app, needle);
        assert!(!app.store.searching(), "{needle}");
        assert_eq!(view(&app), expected, "{needle}");
        assert_eq!(app.selected, expected.last().copied(), "{needle}");
    }
}

#[test]
fn search_text_is_trimmed() {
    let mut app = samples(100);
    search(&mut app, "  menu  ");
    assert_eq!(
        app.store
            .filter()
            .search
            .as_ref()
            .map(crate::domain::filter::Query::text),
        Some("menu")
    );
    assert_eq!(
        view(&app),
        [
            EV_REQUESTED,
            EV_REDIRECTED,
            EV_GATHER,
            IVR_REQUESTED,
            IVR_GATHER
        ],
        "/menu in URLs and in Gather actions"
    );
}

#[test]
fn esc_cancels_the_search_being_typed_without_changing_the_filter() {
    let mut app = samples(100);
    search(&mut app, "busy");
    ch(&mut app, '/');
    assert_eq!(app.search_input(), Some("busy"), "prefilled");
    type_text(&mut app, "xyz");
    assert!(key(&mut app, KeyCode::Esc));
    assert_eq!(app.search_input(), None);
    assert_eq!(
        app.store
            .filter()
            .search
            .as_ref()
            .map(crate::domain::filter::Query::text),
        Some("busy")
    );
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);

    // Esc closed only the input: the next Esc (in the table) clears the filter.
    key(&mut app, KeyCode::Esc);
    assert!(app.store.filter().is_empty());
}

#[test]
fn ctrl_c_while_typing_cancels_the_search() {
    let mut app = samples(100);
    ch(&mut app, '/');
    type_text(&mut app, "menu");
    assert!(ctrl(&mut app, 'c'));
    assert_eq!(app.search_input(), None);
    assert_eq!(app.store.filter().search, None);
}

#[test]
fn an_empty_search_clears_it() {
    for clear in ["", "   "] {
        let mut app = samples(100);
        search(&mut app, "busy");
        ch(&mut app, '/');
        for _ in 0.."busy".len() {
            key(&mut app, KeyCode::Backspace);
        }
        type_text(&mut app, clear);
        key(&mut app, KeyCode::Enter);
        assert_eq!(app.store.filter().search, None, "{clear:?}");
        assert_eq!(app.store.view_len(), TOTAL);
    }
}

#[test]
fn a_search_that_matches_nothing_empties_the_view() {
    let mut app = samples(100);
    search(&mut app, "no such text anywhere");
    assert_eq!(app.store.view_len(), 0);
    assert_eq!(app.selected, None);
    assert_eq!(app.current(), None);
    // Keys that need a selection do nothing harmful.
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'c');
    assert!(app.call().is_none());
    assert_eq!(app.store.filter().call, None);
}

#[test]
fn new_events_join_an_active_search() {
    let mut app = App::new(100);
    for body in EVENTS {
        push_body(&mut app, body);
    }
    search(&mut app, "busy");
    assert_eq!(view(&app), [EV_DIAL]);
    push_body(&mut app, IVR);
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);
    assert_eq!(app.selected, Some(IVR_DIAL));
}

// ---------------------------------------------------------------------------------------------
// Call filter, Esc, combined filters

#[test]
fn c_narrows_to_the_selected_call_and_c_again_clears() {
    let mut app = samples(100);
    assert!(ch(&mut app, 'c'));
    assert_eq!(app.store.filter().call, Some(sid(FAILED_SID)));
    assert_eq!(view(&app), [FC_REQUESTED, FC_GATHER, FC_FAILED]);
    ch(&mut app, 'c');
    assert_eq!(app.store.filter().call, None);
    assert_eq!(app.store.view_len(), TOTAL);

    // Paused on an IVR step: the selection stays on it.
    select(&mut app, IVR_REDIRECTED);
    ch(&mut app, 'c');
    assert_eq!(app.store.filter().call, Some(sid(IVR_SID)));
    assert_eq!(view(&app), [8, 9, 10, 11, 12]);
    assert_eq!(app.selected, Some(IVR_REDIRECTED));
    ch(&mut app, 'c');
    assert_eq!(app.selected, Some(IVR_REDIRECTED));
}

#[test]
fn c_on_an_event_without_a_call_says_so() {
    let mut app = samples(100);
    push_body(&mut app, r#"[{"id":"no-type"}]"#);
    assert_eq!(app.selected, Some(TOTAL as u64));
    ch(&mut app, 'c');
    assert_eq!(app.store.filter().call, None);
    assert_eq!(app.status.as_deref(), Some("this event has no call SID"));
    // Enter too; and the message goes with the next key.
    key(&mut app, KeyCode::Enter);
    assert!(app.call().is_none());
    assert_eq!(app.status.as_deref(), Some("this event has no call SID"));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.status, None);
}

#[test]
fn esc_in_the_table_clears_one_filter_at_a_time_and_says_which() {
    let mut app = samples(100);
    type_text(&mut app, "48e");
    ch(&mut app, 'c');
    search(&mut app, "orders");
    let f = app.store.filter();
    assert!(f.kinds != 0 && f.problems && f.call.is_some() && f.search.is_some());
    let status = |app: &App| app.status.clone().unwrap_or_default();

    assert!(key(&mut app, KeyCode::Esc));
    let f = app.store.filter().clone();
    assert!(f.search.is_none() && f.call.is_some() && f.problems && f.kinds != 0);
    assert_eq!(
        status(&app),
        "cleared the search /orders · Esc again clears the call filter"
    );

    key(&mut app, KeyCode::Esc);
    assert!(app.store.filter().call.is_none() && app.store.filter().problems);
    assert!(
        status(&app).starts_with("cleared the call filter CA"),
        "{}",
        status(&app)
    );
    assert!(status(&app).ends_with("Esc again clears problems only"));

    key(&mut app, KeyCode::Esc);
    assert!(!app.store.filter().problems && app.store.filter().kinds != 0);
    assert_eq!(
        status(&app),
        "cleared problems only · Esc again clears the type filter"
    );

    key(&mut app, KeyCode::Esc);
    assert_eq!(app.store.filter(), &Filter::default());
    assert_eq!(status(&app), "cleared the type filter · no filters left");
    assert_eq!(app.store.view_len(), TOTAL);
    assert_eq!(app.selected, Some(FC_FAILED));
    // With nothing to clear, Esc is harmless and says so.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.store.view_len(), TOTAL);
    assert_eq!(status(&app), "no filters to clear");
}

#[test]
fn all_filters_combine() {
    let mut app = samples(100);
    ch(&mut app, '8');
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    ch(&mut app, 'e');
    assert_eq!(view(&app), [EV_FAILED, FC_FAILED]);
    ch(&mut app, 'c'); // the selection is the failed call's request.failed
    assert_eq!(view(&app), [FC_FAILED]);
    search(&mut app, "orders");
    assert_eq!(view(&app), [FC_FAILED]);
    ch(&mut app, '4'); // gather joins the types, but it is no problem
    assert_eq!(view(&app), [FC_FAILED]);
    ch(&mut app, 'e'); // now it shows: same call, "/orders/status" in its TwiML
    assert_eq!(view(&app), [FC_GATHER, FC_FAILED]);
    search(&mut app, "speech");
    assert_eq!(view(&app), [FC_GATHER]);
    let f = app.store.filter();
    assert_eq!(
        f,
        &Filter {
            kinds: kinds_of(&[EventKind::GatherFinished, EventKind::RequestFailed]),
            problems: false,
            call: Some(sid(FAILED_SID)),
            search: crate::domain::filter::Query::parse("speech").ok(),
            groups: 0,
        }
    );
}

#[test]
fn while_paused_a_filter_keeps_the_selected_event_if_it_is_still_shown() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    ch(&mut app, '5');
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);
    assert_eq!(app.selected, Some(IVR_DIAL));
    search(&mut app, "busy");
    assert_eq!(app.selected, Some(IVR_DIAL));
    ch(&mut app, 'c');
    assert_eq!(app.selected, Some(IVR_DIAL));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.selected, Some(IVR_DIAL));
    assert!(!app.follow, "filters do not resume follow");
}

#[test]
fn while_paused_a_filter_moves_a_hidden_selection_to_its_neighbour() {
    let mut app = samples(100);
    // 12 (record.finished) hidden by "gather": the next gather, 14, is also the nearest.
    select(&mut app, IVR_RECORD);
    ch(&mut app, '4');
    assert_eq!(view(&app), [EV_GATHER, IVR_GATHER, FC_GATHER]);
    assert_eq!(app.selected, Some(FC_GATHER));

    // Nothing after it: the previous one.
    let mut app = samples(100);
    select(&mut app, FC_FAILED - 1);
    ch(&mut app, '5');
    assert_eq!(view(&app), [EV_DIAL, IVR_DIAL]);
    assert_eq!(app.selected, Some(IVR_DIAL));
    assert!(!app.follow);
}

#[test]
fn a_hidden_selection_moves_to_the_nearer_neighbour_by_arrival() {
    let mut app = samples(100);
    // 10 (call.redirected of the IVR call) hidden by "gather": 9 is nearer than 14.
    select(&mut app, IVR_REDIRECTED);
    ch(&mut app, '4');
    assert_eq!(app.selected, Some(IVR_GATHER));
}

#[test]
fn a_filter_that_matches_nothing_keeps_the_place_for_when_it_is_cleared() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    search(&mut app, "no such text anywhere");
    assert_eq!(app.store.view_len(), 0);
    assert!(
        app.current().is_none(),
        "nothing shown, nothing in the pane"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.selected, Some(IVR_DIAL));
    assert_eq!(app.current().map(|e| e.seq), Some(IVR_DIAL));
    assert!(!app.follow);
}

#[test]
fn while_following_a_filter_selects_the_newest_match() {
    let mut app = samples(100);
    ch(&mut app, '1');
    assert_eq!(app.selected, Some(FC_REQUESTED));
    assert!(app.follow);
    push_body(&mut app, EVENTS[3]); // a gather: not shown, selection stays
    assert_eq!(app.selected, Some(FC_REQUESTED));
    push_body(&mut app, EVENTS[0]); // a call.requested: selected
    assert_eq!(app.selected, Some(TOTAL as u64 + 1));
}

// ---------------------------------------------------------------------------------------------
// Call view

/// The IVR call with its `call.redirected` (third by time) arriving last: seqs 0, 1, 3, 4, 2
/// in event-time order.
fn out_of_order() -> App {
    let mut app = App::new(100);
    let mut evs = parse(IVR);
    let redirected = evs.remove(2);
    evs.push(redirected);
    for ev in evs {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    push_body(&mut app, EVENTS[0]); // another call: not part of the view
    app
}

#[test]
fn enter_opens_the_call_ordered_by_event_time_on_the_current_event() {
    let mut app = out_of_order();
    select(&mut app, 4); // the late call.redirected
    assert!(key(&mut app, KeyCode::Enter));
    let cv = app.call().unwrap();
    assert_eq!(cv.sid, sid(IVR_SID));
    assert_eq!(cv.steps, [0, 1, 4, 2, 3]);
    assert_eq!(cv.selected, 2);
    assert_eq!(app.current().unwrap().seq, 4);
    assert_eq!(app.current().unwrap().kind, EventKind::CallRedirected);
    let times: Vec<Timestamp> = cv
        .steps
        .iter()
        .map(|s| app.store.get(*s).unwrap().time)
        .collect();
    assert!(times.is_sorted());
}

#[test]
fn up_down_move_within_the_call_and_esc_returns_with_the_same_selection() {
    let mut app = samples(100);
    select(&mut app, IVR_REDIRECTED);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps, [8, 9, 10, 11, 12]);
    assert_eq!(app.call().unwrap().selected, 2);

    key(&mut app, KeyCode::Up);
    assert_eq!(app.current().unwrap().seq, IVR_GATHER);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Up);
    assert_eq!(
        app.current().unwrap().seq,
        IVR_REQUESTED,
        "clamped at the first"
    );
    for _ in 0..10 {
        ch(&mut app, 'j');
    }
    assert_eq!(
        app.current().unwrap().seq,
        IVR_RECORD,
        "clamped at the last"
    );
    assert_eq!(
        app.selected,
        Some(IVR_REDIRECTED),
        "the table's row is untouched"
    );

    assert!(key(&mut app, KeyCode::Esc));
    assert!(app.call().is_none());
    assert_eq!(app.selected, Some(IVR_REDIRECTED));
    assert_eq!(app.current().unwrap().seq, IVR_REDIRECTED);
    assert!(!app.follow);
    assert!(app.store.filter().is_empty());
}

#[test]
fn esc_from_the_call_view_keeps_the_table_filters() {
    let mut app = samples(100);
    ch(&mut app, '5');
    key(&mut app, KeyCode::Enter);
    assert!(app.call().is_some());
    key(&mut app, KeyCode::Esc);
    assert!(app.call().is_none());
    assert_eq!(
        app.store.filter().kinds,
        kinds_of(&[EventKind::DialFinished])
    );
}

#[test]
fn table_keys_do_nothing_in_the_call_view() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    let before = app.call().cloned();
    for code in [
        KeyCode::Char('4'),
        KeyCode::Char('0'),
        KeyCode::Char('e'),
        KeyCode::Char('/'),
        KeyCode::Char('c'),
        KeyCode::Enter,
    ] {
        assert!(!key(&mut app, code), "{code:?}");
    }
    assert_eq!(app.call().cloned(), before);
    assert!(app.store.filter().is_empty());
    assert!(app.search_input().is_none());
    assert!(!app.follow);
    // g / Home and G / End go to the call's first and last step, not the table's.
    let last = before.as_ref().map_or(0, |c| c.steps.len() - 1);
    for (code, to) in [
        (KeyCode::Char('g'), 0),
        (KeyCode::End, last),
        (KeyCode::Home, 0),
        (KeyCode::Char('G'), last),
        (KeyCode::Char('g'), 0),
    ] {
        assert!(key(&mut app, code), "{code:?}");
        assert_eq!(app.call().map(|c| c.selected), Some(to), "{code:?}");
    }
    assert!(
        !app.follow,
        "the table's follow is not resumed from the call view"
    );
}

#[test]
fn the_call_view_follows_its_call_on_refresh() {
    let mut app = App::new(100);
    let mut evs = parse(IVR);
    let late = evs.remove(1); // the gather arrives after the others
    for ev in evs {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    select(&mut app, 1); // call.redirected
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().steps, [0, 1, 2, 3]);
    let key_ = late.dedup_key();
    app.push(late, key_);
    app.refresh_call();
    let cv = app.call().unwrap();
    assert_eq!(cv.steps, [0, 4, 1, 2, 3]);
    assert_eq!(app.current().unwrap().seq, 1, "still on the same event");
}

// ---------------------------------------------------------------------------------------------
// Panes, scrolling, help, quit

#[test]
fn t_r_p_switch_panes_and_reset_the_scroll() {
    let mut app = samples(100);
    assert_eq!(app.pane, Pane::Twiml);
    for (c, pane) in [('r', Pane::Raw), ('p', Pane::Params), ('t', Pane::Twiml)] {
        ch(&mut app, 'J');
        assert!(app.pane_scroll > 0);
        assert!(ch(&mut app, c));
        assert_eq!(app.pane, pane);
        assert_eq!(app.pane_scroll, 0);
    }
    // In the call view too.
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'r');
    assert_eq!(app.pane, Pane::Raw);
    assert!(app.call().is_some());
}

#[test]
fn shift_j_k_scroll_the_pane_by_the_page_the_last_frame_showed() {
    let mut app = samples(100);
    app.geometry.pane_page = 9;
    app.geometry.pane_max_scroll = 100;
    ch(&mut app, 'J');
    assert_eq!(app.pane_scroll, 9);
    ch(&mut app, 'J');
    assert_eq!(app.pane_scroll, 18);
    ch(&mut app, 'K');
    assert_eq!(app.pane_scroll, 9);
    ch(&mut app, 'K');
    ch(&mut app, 'K');
    assert_eq!(app.pane_scroll, 0);
    // Moving to another event starts its pane at the top.
    ch(&mut app, 'J');
    key(&mut app, KeyCode::Up);
    assert_eq!(app.pane_scroll, 0);
    // Shift-PgDn / Shift-PgUp too.
    assert!(app.on_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::SHIFT)));
    assert_eq!(app.pane_scroll, 9);
    assert!(app.on_key(KeyEvent::new(KeyCode::PageUp, KeyModifiers::SHIFT)));
    assert_eq!(app.pane_scroll, 0);
}

fn draw(term: &mut Terminal<TestBackend>, app: &mut App) -> ratatui::buffer::Buffer {
    crate::tui::draw(term, app).unwrap();
    term.backend().buffer().clone()
}

#[test]
fn k_after_scrolling_to_the_end_scrolls_up_at_once() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    ch(&mut app, 'r');
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let top = draw(&mut term, &mut app);
    ch(&mut app, 'J');
    let one_page = draw(&mut term, &mut app);
    assert_ne!(one_page, top, "the raw JSON is longer than the pane");
    for _ in 0..20 {
        ch(&mut app, 'J');
        draw(&mut term, &mut app);
    }
    let bottom = draw(&mut term, &mut app);
    ch(&mut app, 'K');
    let after = draw(&mut term, &mut app);
    assert_ne!(after, bottom, "PgUp from the end must scroll up");
}

fn screen_text(buf: &ratatui::buffer::Buffer) -> String {
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

#[test]
fn j_through_the_twiml_pane_shows_every_line() {
    let says: String = (0..40).fold(String::new(), |mut out, i| {
        let _ = write!(out, "<Say>s{i:02}</Say>");
        out
    });
    let twiml = format!("<Response>{says}</Response>");
    let body = format!("[{}]", hand_event("long", "call.requested", 0, 200, &twiml));
    let mut app = App::new(10);
    push_body(&mut app, &body);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let mut seen = String::new();
    for _ in 0..20 {
        seen.push_str(&screen_text(&draw(&mut term, &mut app)));
        ch(&mut app, 'J');
    }
    let missing: Vec<String> = (0..40)
        .map(|i| format!("<Say>s{i:02}</Say>"))
        .filter(|line| !seen.contains(line.as_str()))
        .collect();
    assert!(missing.is_empty(), "never shown: {missing:?}");
}

#[test]
fn question_mark_opens_help_and_any_key_closes_it() {
    let mut app = samples(100);
    ch(&mut app, '4');
    for open in [
        KeyEvent::new(KeyCode::Char('?'), KeyModifiers::NONE),
        KeyEvent::new(KeyCode::Char('?'), KeyModifiers::SHIFT),
    ] {
        assert!(app.on_key(open));
        assert!(app.help_open());
        // The closing key does nothing else: no move, no filter change.
        assert!(key(&mut app, KeyCode::Up));
        assert!(!app.help_open());
        assert!(app.follow);
        assert_eq!(app.selected, Some(FC_GATHER));
    }
    for close in [
        KeyCode::Esc,
        KeyCode::Char('e'),
        KeyCode::Enter,
        KeyCode::Char('?'),
    ] {
        ch(&mut app, '?');
        assert!(key(&mut app, close), "{close:?}");
        assert!(!app.help_open(), "{close:?}");
        assert!(app.call().is_none(), "{close:?}");
        assert_eq!(
            app.store.filter().kinds,
            kinds_of(&[EventKind::GatherFinished]),
            "{close:?}"
        );
        assert!(!app.store.filter().problems, "{close:?}");
    }
    // q closes the help and goes no further.
    ch(&mut app, '?');
    ch(&mut app, 'q');
    assert!(!app.help_open());
    assert!(!app.quit);
    // So does Ctrl-C, as the help itself says.
    let mut app = samples(100);
    ch(&mut app, '?');
    ctrl(&mut app, 'c');
    assert!(!app.help_open());
    assert!(app.quit);
}

#[test]
fn help_opens_in_the_call_view_too() {
    let mut app = samples(100);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, '?');
    assert!(app.help_open());
    key(&mut app, KeyCode::Esc);
    assert!(!app.help_open());
    assert!(app.call().is_some(), "Esc closed the help only");
}

#[test]
fn q_asks_before_losing_unrecorded_events_and_ctrl_c_quits_at_once() {
    // q then q, and q then y, quit; the question says how many events would be lost.
    for again in ['q', 'y'] {
        let mut app = samples(100);
        assert!(ch(&mut app, 'q'));
        assert!(!app.quit);
        assert_eq!(app.mode, Mode::ConfirmQuit { lost: TOTAL as u64 });
        assert!(ch(&mut app, again));
        assert!(app.quit, "{again}");
    }
    // Any other key stays, and is not taken as a command.
    let mut app = samples(100);
    ch(&mut app, 'q');
    assert!(ch(&mut app, 'e'));
    assert!(!app.quit);
    assert_eq!(app.mode, Mode::Normal);
    assert!(!app.store.filter().problems, "the answer is not a command");
    assert_eq!(app.status.as_deref(), Some("not quitting"));
    // Asked again on the next q: once per attempt.
    ch(&mut app, 'q');
    assert!(matches!(app.mode, Mode::ConfirmQuit { .. }));
    ctrl(&mut app, 'c');
    assert!(app.quit, "Ctrl-C answers yes");

    // Recorded (--record, or a replay): nothing is lost, q quits.
    let mut app = samples(100);
    app.recorded = true;
    ch(&mut app, 'q');
    assert!(app.quit);
    // Unless the recording failed: the events since are lost.
    let mut app = App::new(100);
    app.recorded = true;
    push_body(&mut app, EVENTS[0]);
    app.health.record_error = Some("disk full".into());
    app.note_record_error();
    push_body(&mut app, IVR);
    ch(&mut app, 'q');
    assert_eq!(app.mode, Mode::ConfirmQuit { lost: 5 });

    let mut app = samples(100);
    assert!(ctrl(&mut app, 'c'));
    assert!(app.quit);
    assert_eq!(app.store.filter().call, None, "Ctrl-C is not c");

    let mut app = samples(100);
    key(&mut app, KeyCode::Enter);
    ctrl(&mut app, 'c');
    assert!(app.quit, "from the call view");

    let mut app = App::new(10);
    ch(&mut app, 'q');
    assert!(app.quit, "with no events");
}

#[test]
fn q_goes_back_from_every_sub_view() {
    let mut app = samples(100);
    // The call view.
    key(&mut app, KeyCode::Enter);
    assert!(ch(&mut app, 'q'));
    assert!(app.call().is_none() && !app.quit);
    // The help, over the table and over the call view.
    ch(&mut app, '?');
    ch(&mut app, 'q');
    assert!(!app.help_open() && !app.quit);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, '?');
    ch(&mut app, 'q');
    assert!(!app.help_open() && app.call().is_some() && !app.quit);
    // The stats.
    ch(&mut app, 's');
    ch(&mut app, 'q');
    assert!(!app.stats_open() && app.call().is_some() && !app.quit);
    // The prompts take q as text; Esc leaves them.
    ch(&mut app, ':');
    ch(&mut app, 'q');
    assert_eq!(app.prompt().map(super::command::Prompt::text), Some("q"));
    key(&mut app, KeyCode::Esc);
    assert!(app.prompt().is_none());
    ch(&mut app, 'q');
    assert!(app.call().is_none());
    ch(&mut app, 'q');
    assert!(matches!(app.mode, Mode::ConfirmQuit { .. }));
}

// ---------------------------------------------------------------------------------------------
// Eviction and ingest

#[test]
fn eviction_keeps_the_selection_valid_while_following() {
    let mut app = App::new(3);
    for body in &EVENTS[..5] {
        push_body(&mut app, body);
    }
    assert_eq!(app.store.len(), 3);
    assert_eq!(app.store.counters().evicted, 2);
    assert_eq!(view(&app), [2, 3, 4]);
    assert_eq!(app.selected, Some(4));
    key(&mut app, KeyCode::Home);
    assert_eq!(app.selected, Some(2));
}

#[test]
fn eviction_while_paused_holds_the_position_once_the_event_is_gone() {
    let mut app = App::new(3);
    for body in &EVENTS[..3] {
        push_body(&mut app, body);
    }
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, Some(1));
    push_body(&mut app, EVENTS[3]); // evicts 0
    assert_eq!(app.selected, Some(1));
    push_body(&mut app, EVENTS[4]); // evicts 1, the selected event
    assert_eq!(view(&app), [2, 3, 4]);
    assert_eq!(app.selected, Some(2));
    assert!(app.store.get(2).is_some());
    assert_eq!(app.new_since_pause(), 2);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected, Some(3));
    // Many more: the selection is always a retained event.
    for body in EVENTS {
        push_body(&mut app, body);
        let sel = app.selected.unwrap();
        assert!(app.store.get(sel).is_some(), "{sel}");
    }
    assert!(!app.follow);
}

#[test]
fn eviction_with_a_filter_keeps_the_selection_in_the_view() {
    let mut app = App::new(3);
    for body in &EVENTS[..3] {
        push_body(&mut app, body);
    }
    ch(&mut app, '1'); // call.requested only: [0]
    key(&mut app, KeyCode::Up);
    assert_eq!(app.selected, Some(0));
    push_body(&mut app, EVENTS[0]); // 3, a call.requested; evicts 0
    assert_eq!(view(&app), [3]);
    assert_eq!(app.selected, Some(3));
    push_body(&mut app, EVENTS[1]);
    push_body(&mut app, EVENTS[2]);
    push_body(&mut app, EVENTS[3]); // evicts 3: nothing left to show
    assert_eq!(view(&app), Vec::<u64>::new());
    assert_eq!(app.selected, None);
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.selected, None);
}

#[test]
fn ingest_marks_the_original_of_a_duplicate() {
    let mut app = App::new(100);
    let evs = parse(EVENTS[4]);
    let keys: Vec<_> = evs.iter().map(Event::dedup_key).collect();
    let dup = crate::domain::delivery::Duplicate {
        key: keys[0].unwrap(),
        call: evs[0].call_sid.clone(),
    };
    app.ingest(Delivery {
        events: evs,
        keys,
        duplicates: Vec::new(),
    });
    app.ingest(Delivery {
        events: Vec::new(),
        keys: Vec::new(),
        duplicates: vec![dup.clone(), dup],
    });
    assert_eq!(app.store.len(), 1);
    assert_eq!(app.store.duplicates_of(0), 2);
    assert_eq!(app.store.counters().duplicates, 2);
    assert_eq!(app.selected, Some(0));
}

#[test]
fn the_current_events_twiml_is_decoded_for_the_pane() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    assert!(
        app.decoded(IVR_DIAL).is_none(),
        "decoded for a frame, not for every key"
    );
    app.prepare();
    let d = app.decoded(IVR_DIAL).unwrap();
    assert!(d.is_ok());
    assert_eq!(d.verbs_summary(), "Say → Record(action=/voicemail)");
    key(&mut app, KeyCode::Enter);
    for step in [8, 9, 10, 11, 12] {
        assert!(app.decoded(step).is_some(), "{step}");
    }
}

#[test]
fn s_opens_the_stats_and_esc_closes_them() {
    let mut app = samples(100);
    assert!(ch(&mut app, 's'));
    assert!(app.stats_open());
    // Other keys wait while the stats are open: nothing moves underneath.
    let selected = app.selected;
    assert!(!key(&mut app, KeyCode::Left));
    assert!(!ch(&mut app, 'e'));
    assert_eq!(app.selected, selected);
    assert!(app.follow);
    // Esc closes the overlay only: the filters stay.
    ch(&mut app, 'e');
    assert!(app.stats_open());
    app.mode = Mode::Normal;
    ch(&mut app, 'e');
    assert!(app.store.filter().problems);
    ch(&mut app, 's');
    assert!(key(&mut app, KeyCode::Esc));
    assert!(!app.stats_open());
    assert!(
        app.store.filter().problems,
        "Esc closed the stats, not the filter"
    );
    // s toggles it shut too, in the call view as well; q still quits.
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 's');
    assert!(app.stats_open());
    ch(&mut app, 's');
    assert!(!app.stats_open());
    assert!(app.call().is_some());
    ch(&mut app, 's');
    ctrl(&mut app, 'c');
    assert!(app.quit);
}

#[test]
fn stats_count_every_event_since_start() {
    let mut app = samples(4);
    let s = &app.metrics;
    assert_eq!(s.total(), TOTAL as u64, "evicted events still count");
    assert_eq!(app.store.len(), 4);
    // Two 15 s failures (sample 08 and the failed call), the slowest first.
    let slow: Vec<u64> = s.slow().iter().map(|x| x.seq).collect();
    assert_eq!(slow, [EV_FAILED, FC_FAILED]);
    assert_eq!(s.max_ms(), Some(15_002));
    // Every sample arrived in the same second.
    assert_eq!(s.per_second(2).collect::<Vec<_>>(), [TOTAL as u64, 0]);
    app.update(Action::Stats);
    assert!(app.stats_open());
}

#[test]
fn m_toggles_masking_and_the_header_says_masked() {
    let mut app = samples(100);
    assert!(!app.mask);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    assert!(!screen_text(&draw(&mut term, &mut app)).contains("MASKED"));
    assert!(ch(&mut app, 'm'));
    assert!(app.mask);
    assert_eq!(app.status.as_deref(), Some("masking on"));
    let header = screen_text(&draw(&mut term, &mut app));
    let header = header.lines().next().unwrap();
    assert!(
        header.contains("FOLLOW") && header.contains("MASKED"),
        "{header}"
    );
    // The selection, filters and pane are as they were; m works in the call view too.
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    let screen = screen_text(&draw(&mut term, &mut app));
    assert!(screen.contains("+1415•••0100"), "{screen}");
    assert!(!screen.contains("+14155550100"), "{screen}");
    assert!(ch(&mut app, 'm'));
    assert!(!app.mask);
    assert!(app.call().is_some());
    assert_eq!(app.status.as_deref(), Some("masking off"));
    let screen = screen_text(&draw(&mut term, &mut app));
    assert!(!screen.contains("MASKED"));
    assert!(screen.contains("+14155550100"), "{screen}");
}

// ---------------------------------------------------------------------------------------------
// Legs, export, copy

/// Carries out the effects the app asked for, as the event loop does, exporting to `dir`;
/// returns what went to the clipboard.
fn run_effects(app: &mut App, dir: &std::path::Path) -> Option<String> {
    let mut host = crate::tui::Host::bare(dir.to_owned(), Vec::new());
    for effect in app.take_effects() {
        crate::tui::apply(app, effect, &mut host);
    }
    let written = String::from_utf8(host.clipboard).unwrap();
    // OSC 52: ESC ] 52 ; c ; base64 BEL.
    let b64 = written.strip_prefix("\x1b]52;c;")?.strip_suffix('\x07')?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    Some(String::from_utf8(bytes).unwrap())
}

/// What the last key put on the clipboard.
fn clipboard(app: &mut App) -> Option<String> {
    run_effects(app, std::path::Path::new("."))
}

/// A fresh, empty folder for exports, removed when the test ends (a failing one too).
struct ExportDir(std::path::PathBuf);

impl std::ops::Deref for ExportDir {
    type Target = std::path::Path;
    fn deref(&self) -> &std::path::Path {
        &self.0
    }
}

impl AsRef<std::path::Path> for ExportDir {
    fn as_ref(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for ExportDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn export_dir(name: &str) -> ExportDir {
    let dir = std::env::temp_dir().join(format!("twimon-app-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    ExportDir(dir)
}

#[test]
fn x_exports_the_selected_events_call_to_a_file_and_says_where() {
    let mut app = samples(100);
    let dir = export_dir("x-table");
    select(&mut app, IVR_GATHER);
    assert!(ch(&mut app, 'x'));
    run_effects(&mut app, &dir);
    let status = app.status.clone().unwrap();
    assert!(
        status.starts_with("exported CA…a9ca31 (5 events) to "),
        "{status}"
    );
    let files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), 1);
    let file = &files[0];
    let name = file.file_name().unwrap().to_str().unwrap();
    assert!(
        name.starts_with(&format!("twimon-{IVR_SID}-")) && name.ends_with("Z.md"),
        "{name}"
    );
    assert!(status.ends_with(&file.display().to_string()), "{status}");
    let md = std::fs::read_to_string(file).unwrap();
    assert!(md.starts_with(&format!("# Call `{IVR_SID}`")), "{md}");
    assert_eq!(md.matches("### ").count(), 5);
    // In the call view: the call in view, masked when masking is on; a second file.
    key(&mut app, KeyCode::End);
    select(&mut app, FC_GATHER);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, 'm');
    ch(&mut app, 'x');
    run_effects(&mut app, &dir);
    let status = app.status.clone().unwrap();
    assert!(
        status.starts_with("exported CA…f3db99 (3 events, masked) to "),
        "{status}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}

#[test]
fn x_says_why_it_cannot_export() {
    let mut app = samples(100);
    ch(&mut app, 'x');
    run_effects(&mut app, std::path::Path::new("/nonexistent/twimon/folder"));
    let status = app.status.clone().unwrap();
    assert!(status.starts_with("export failed: "), "{status}");
    let mut app = App::new(10);
    ch(&mut app, 'x');
    assert_eq!(
        app.status.as_deref(),
        Some("nothing to export: select an event of a call")
    );
}

#[test]
fn y_copies_the_twiml_shown_or_the_call_sid() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    assert!(ch(&mut app, 'y'));
    let copied = clipboard(&mut app).unwrap();
    assert!(copied.starts_with("<?xml"), "{copied}");
    assert!(
        copied.contains("\n  <Record action=\"/voicemail\" maxLength=\"60\"/>\n"),
        "{copied}"
    );
    assert_eq!(
        app.status.as_deref(),
        Some("copied the TwiML of this dial.finished (7 lines) to the clipboard")
    );
    // Another pane: the call SID.
    ch(&mut app, 'p');
    ch(&mut app, 'y');
    assert_eq!(clipboard(&mut app).as_deref(), Some(IVR_SID));
    assert_eq!(
        app.status.as_deref(),
        Some(format!("copied {IVR_SID} to the clipboard").as_str())
    );
    // Masked: what is copied is what is shown.
    select(&mut app, IVR_REDIRECTED);
    ch(&mut app, 't');
    ch(&mut app, 'm');
    ch(&mut app, 'y');
    let copied = clipboard(&mut app).unwrap();
    assert!(copied.contains("+1415•••0123"), "{copied}");
    assert!(!copied.contains("+14155550123"), "{copied}");
}

#[test]
fn y_without_a_call_sid_copies_nothing() {
    let mut app = samples(100);
    push_body(
        &mut app,
        r#"{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","id":"nosid","source":"/t"}"#,
    );
    ch(&mut app, 'y');
    assert_eq!(clipboard(&mut app), None);
    assert_eq!(
        app.status.as_deref(),
        Some("nothing to copy: this event has no call SID")
    );
}

#[test]
fn brackets_move_between_legs_and_esc_returns_to_the_table() {
    const CHILD: &str = "CA41ca571e9101106b3ddd8b9dffba1e18";
    let child = format!(
        r#"{{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/t","id":"leg",
        "time":"2026-11-28T14:03:21.000Z","data":{{"sid":"{CHILD}",
        "request":{{"method":"POST","url":"https://x.test/whisper","parameters":{{"ParentCallSid":"{IVR_SID}"}}}}}}}}"#
    );
    let mut app = samples(100);
    // Without the child's events: listed, not seen, not a place to go.
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().legs.len(), 2);
    ch(&mut app, ']');
    assert_eq!(app.call().unwrap().sid, sid(IVR_SID));
    assert_eq!(
        app.status.as_deref(),
        Some("the other legs of this call have no retained events")
    );
    // The child arrives: the open view learns of it, `]` goes there, `[` comes back.
    push_body(&mut app, &child);
    app.refresh_call();
    assert_eq!(app.call().unwrap().legs[1].events, 1);
    ch(&mut app, ']');
    assert_eq!(app.call().unwrap().sid, sid(CHILD));
    assert_eq!(
        app.status.as_deref(),
        Some("leg 2 of 2 (dialed): CA…ba1e18")
    );
    ch(&mut app, '[');
    let cv = app.call().unwrap();
    assert_eq!((cv.sid.as_str(), cv.selected), (IVR_SID, 0));
    key(&mut app, KeyCode::Esc);
    assert!(app.call().is_none());
    // A call with no legs says so.
    key(&mut app, KeyCode::End);
    select(&mut app, FC_GATHER);
    key(&mut app, KeyCode::Enter);
    ch(&mut app, ']');
    assert_eq!(app.call().unwrap().sid, sid(FAILED_SID));
    assert!(app.status.as_deref().unwrap().contains("no other legs"));
}

// ---------------------------------------------------------------------------------------------
// Paging, the mouse, jumping to a time, the `:` prompt, reading while following, slow steps

/// `n` events of the IVR call, one a second from 14:00:00, each `ms` long.
fn many(n: u32, ms: u32) -> App {
    let mut app = App::new(1_000);
    for i in 0..n {
        let body = hand_event(
            &format!("e{i}"),
            "call.requested",
            i % 60,
            200,
            "<Response/>",
        )
        .replace("14:00:", &format!("14:{:02}:", i / 60))
        .replace(
            "\"requestDuration\":100",
            &format!("\"requestDuration\":{}", ms + i),
        );
        push_body(&mut app, &format!("[{body}]"));
    }
    app
}

fn press(app: &mut App, code: KeyCode, mods: KeyModifiers) -> bool {
    app.on_key(KeyEvent::new(code, mods))
}

fn position(app: &App) -> usize {
    app.selected
        .and_then(|s| app.store.view_position(s).ok())
        .unwrap()
}

#[test]
fn page_keys_move_the_list_by_the_rows_the_last_frame_showed() {
    let mut app = many(100, 100);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    draw(&mut term, &mut app);
    let page = usize::from(app.geometry.list.height);
    assert!(page > 3, "{page}");
    assert_eq!(position(&app), 99);
    key(&mut app, KeyCode::PageUp);
    assert!(!app.follow, "paging up pauses follow");
    assert_eq!(position(&app), 99 - page);
    press(&mut app, KeyCode::Char('b'), KeyModifiers::CONTROL);
    assert_eq!(position(&app), 99 - 2 * page);
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    assert_eq!(position(&app), 99 - 2 * page - page.div_ceil(2));
    press(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(position(&app), 99 - 2 * page);
    key(&mut app, KeyCode::PageDown);
    assert_eq!(position(&app), 99 - page);
    press(&mut app, KeyCode::Char('f'), KeyModifiers::CONTROL);
    assert_eq!(position(&app), 99);
    assert!(!app.follow, "paging to the end does not resume follow");
    ch(&mut app, 'g');
    assert_eq!(position(&app), 0);
    ch(&mut app, ' ');
    assert_eq!(position(&app), page, "Space pages down");
    for _ in 0..3 {
        draw(&mut term, &mut app);
        key(&mut app, KeyCode::PageUp);
    }
    assert_eq!(position(&app), 0, "paging stops at the top");
    key(&mut app, KeyCode::End);
    assert!(app.follow);
    assert_eq!(position(&app), 99);
    // The pane is not moved by the list's keys.
    assert_eq!(app.pane_scroll, 0);
}

#[test]
fn page_keys_page_the_timeline_in_the_call_view() {
    let mut app = many(60, 100);
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Enter);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    draw(&mut term, &mut app);
    let page = usize::from(app.geometry.list.height / app.geometry.list_step_lines);
    assert!(page > 1, "{page}");
    let at = |app: &App| app.call().map(|c| c.selected);
    assert_eq!(at(&app), Some(0));
    key(&mut app, KeyCode::PageDown);
    assert_eq!(at(&app), Some(page));
    press(&mut app, KeyCode::Char('d'), KeyModifiers::CONTROL);
    assert_eq!(at(&app), Some(page + page.div_ceil(2)));
    key(&mut app, KeyCode::PageUp);
    assert_eq!(at(&app), Some(page.div_ceil(2)));
    key(&mut app, KeyCode::End);
    assert_eq!(at(&app), Some(59));
}

fn mouse(
    kind: crossterm::event::MouseEventKind,
    column: u16,
    row: u16,
) -> crossterm::event::MouseEvent {
    crossterm::event::MouseEvent {
        kind,
        column,
        row,
        modifiers: KeyModifiers::NONE,
    }
}

#[test]
fn a_click_selects_the_row_under_it_and_the_wheel_scrolls_what_is_under_it() {
    use crossterm::event::{MouseButton, MouseEventKind as M};
    let mut app = samples(100);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    let buf = draw(&mut term, &mut app);
    let list = app.geometry.list;
    // The third row shown is the table's third event: click it.
    let third = app.store.view_seq(app.geometry.table_offset + 2).unwrap();
    let text = |y: u16| (0..80).map(|x| buf[(x, y)].symbol()).collect::<String>();
    let clock = app
        .store
        .get(third)
        .unwrap()
        .time
        .strftime("%H:%M:%S")
        .to_string();
    assert!(text(list.y + 2).contains(&clock), "{}", text(list.y + 2));
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), 10, list.y + 2)));
    assert_eq!(app.selected, Some(third));
    assert!(!app.follow, "a click pauses follow");
    // Below the last row, nothing.
    assert!(!app.on_mouse(mouse(M::Down(MouseButton::Left), 10, 0)));

    // The wheel over the table moves the selection; over the pane, it scrolls the pane.
    draw(&mut term, &mut app);
    assert!(app.on_mouse(mouse(M::ScrollDown, 10, list.y)));
    assert_eq!(
        app.store.view_position(app.selected.unwrap()),
        Ok(app.geometry.table_offset + 5)
    );
    app.pane = Pane::Raw;
    draw(&mut term, &mut app);
    let pane = app.geometry.pane;
    let before = app.selected;
    assert!(app.on_mouse(mouse(M::ScrollDown, 10, pane.y + 2)));
    assert_eq!(app.pane_scroll, 3);
    assert_eq!(
        app.selected, before,
        "the wheel over the pane leaves the list alone"
    );
    assert!(app.on_mouse(mouse(M::ScrollUp, 10, pane.y + 2)));
    assert_eq!(app.pane_scroll, 0);

    // A click on a tab of the pane's border switches the pane.
    let (start, _) = app.geometry.tabs[2];
    assert!(text(pane.y).contains("p params"), "{}", text(pane.y));
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), start + 1, pane.y)));
    assert_eq!(app.pane, Pane::Params);
    let (start, end) = app.geometry.tabs[0];
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), end - 1, pane.y)));
    assert_eq!(app.pane, Pane::Twiml);
    assert!(start > pane.x);
    assert!(
        !app.on_mouse(mouse(M::Down(MouseButton::Left), pane.x, pane.y)),
        "the corner"
    );
    assert!(!app.on_mouse(mouse(M::Moved, 10, list.y)));
}

#[test]
fn a_click_selects_a_step_of_the_timeline() {
    use crossterm::event::{MouseButton, MouseEventKind as M};
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    draw(&mut term, &mut app);
    // At 80 columns each step takes two lines: either line selects it.
    let list = app.geometry.list;
    assert_eq!(app.geometry.list_step_lines, 2);
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), 5, list.y)));
    assert_eq!(app.call().map(|c| c.selected), Some(0));
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), 5, list.y + 3)));
    assert_eq!(app.call().map(|c| c.selected), Some(1));
    // Wide, a step is a line.
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    draw(&mut term, &mut app);
    let list = app.geometry.list;
    assert_eq!(app.geometry.list_step_lines, 1);
    assert!(app.on_mouse(mouse(M::Down(MouseButton::Left), 5, list.y + 4)));
    assert_eq!(app.call().map(|c| c.selected), Some(4));
    // A row past the call's five steps selects nothing.
    assert!(!app.on_mouse(mouse(M::Down(MouseButton::Left), 5, list.y + 5)));
    assert_eq!(app.call().map(|c| c.selected), Some(4));
}

#[test]
fn capital_m_releases_the_mouse_and_takes_it_back() {
    let mut app = samples(100);
    assert!(app.mouse);
    ch(&mut app, 'M');
    assert!(!app.mouse);
    assert_eq!(app.take_effects(), [Effect::MouseCapture(false)]);
    assert!(app.status.as_deref().unwrap().contains("drag selects text"));
    ch(&mut app, 'M');
    assert_eq!(app.take_effects(), [Effect::MouseCapture(true)]);
    assert!(app.status.as_deref().unwrap().contains("Shift+drag"));
}

fn command(app: &mut App, line: &str) {
    ch(app, ':');
    type_text(app, line);
    key(app, KeyCode::Enter);
}

#[test]
fn at_and_goto_select_the_first_event_at_or_after_a_time() {
    let mut app = samples(100);
    ch(&mut app, '@');
    assert_eq!(app.prompt().map(|p| p.sigil), Some('@'));
    type_text(&mut app, "11:00");
    key(&mut app, KeyCode::Enter);
    assert!(app.prompt().is_none());
    assert_eq!(app.selected, Some(EV_GATHER));
    assert!(!app.follow, "a jump pauses follow");
    assert_eq!(
        app.status.as_deref(),
        Some("2026-11-28 11:05:18.875: the first event at or after 2026-11-28 11:00:00 UTC")
    );
    command(&mut app, "goto 14:03:16");
    assert_eq!(app.selected, Some(IVR_REDIRECTED));
    command(&mut app, "goto 2026-11-28T09:00");
    assert_eq!(app.selected, Some(EV_REQUESTED));
    // By event time, not arrival: within the problems filter the first at or after 13:00 is
    // the failed request at 13:41.
    ch(&mut app, 'e');
    command(&mut app, "goto 13:00");
    assert_eq!(app.selected, Some(EV_FAILED));
}

#[test]
fn a_time_with_no_event_after_it_says_so_in_the_prompt() {
    let mut app = samples(100);
    let selected = app.selected;
    ch(&mut app, '@');
    type_text(&mut app, "16:00");
    key(&mut app, KeyCode::Enter);
    let prompt = app.prompt().expect("the prompt stays open to fix the time");
    assert_eq!(
        prompt.error.as_deref(),
        Some("no event at or after 2026-11-28 16:00:00 UTC (the last is at 2026-11-28 15:27:12)")
    );
    assert_eq!(app.selected, selected);
    // A bad time says what would do; an edit clears the error.
    key(&mut app, KeyCode::Backspace);
    assert!(app.prompt().unwrap().error.is_none());
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "3am");
    key(&mut app, KeyCode::Enter);
    assert!(
        app.prompt()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .starts_with("not a time: \"3am\"")
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.prompt().is_none());
    // No events at all.
    let mut empty = App::new(10);
    command(&mut empty, "goto 03:00");
    assert_eq!(
        empty.prompt().unwrap().error.as_deref(),
        Some("no events yet")
    );
}

#[test]
fn goto_in_the_call_view_selects_a_step() {
    let mut app = samples(100);
    select(&mut app, IVR_DIAL);
    key(&mut app, KeyCode::Enter);
    command(&mut app, "goto 14:03:20");
    assert!(app.prompt().is_none());
    assert_eq!(app.call().map(|c| c.selected), Some(3));
    assert!(app.current().is_some_and(|e| e.seq == IVR_DIAL));
}

#[test]
fn the_prompt_completes_with_tab_and_rejects_an_unknown_command() {
    let mut app = samples(100);
    ch(&mut app, ':');
    type_text(&mut app, "ex");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.prompt().unwrap().text(), "export");
    press(&mut app, KeyCode::Char('w'), KeyModifiers::CONTROL);
    type_text(&mut app, "p");
    key(&mut app, KeyCode::Tab);
    let p = app.prompt().unwrap();
    assert!(
        p.choices.contains(&"problems") && p.choices.contains(&"pane"),
        "{p:?}"
    );
    type_text(&mut app, "ro");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.prompt().unwrap().text(), "problems");
    key(&mut app, KeyCode::Enter);
    assert!(app.prompt().is_none());
    assert!(app.store.filter().problems, ":problems is e");

    command(&mut app, "frobnicate now");
    let p = app.prompt().expect("still open");
    assert_eq!(
        p.error.as_deref(),
        Some("unknown command :frobnicate (Tab lists the commands, :help the keys)")
    );
    key(&mut app, KeyCode::Esc);
    command(&mut app, "export soon");
    assert_eq!(
        app.prompt().unwrap().error.as_deref(),
        Some(":export takes no argument")
    );
    key(&mut app, KeyCode::Esc);
    command(&mut app, "theme");
    assert_eq!(
        app.prompt().unwrap().error.as_deref(),
        Some("usage: :theme NAME")
    );
    key(&mut app, KeyCode::Esc);
    // Arguments complete too: a theme's name.
    ch(&mut app, ':');
    type_text(&mut app, "theme l");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.prompt().unwrap().text(), "theme light");
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "theme ");
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.prompt().unwrap().choices, ["dark", "light", "none"]);
    key(&mut app, KeyCode::Esc);
    // An empty line just closes the prompt.
    command(&mut app, "");
    assert!(app.prompt().is_none());
}

#[test]
fn the_command_prompt_edits_as_the_search_prompt_does_and_remembers_its_lines() {
    let mut app = samples(100);
    command(&mut app, "theme light");
    assert!(app.prompt().is_none());
    command(&mut app, "problems");
    // ↑ brings back the lines entered, newest first; ↓ goes back to the draft.
    ch(&mut app, ':');
    type_text(&mut app, "dr");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.prompt().unwrap().text(), "problems");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.prompt().unwrap().text(), "theme light");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    assert_eq!(app.prompt().unwrap().text(), "dr");
    // Cursor keys and Ctrl-A/E/K edit in the middle of the line.
    press(&mut app, KeyCode::Char('u'), KeyModifiers::CONTROL);
    type_text(&mut app, "theme dak");
    key(&mut app, KeyCode::Left);
    type_text(&mut app, "r");
    assert_eq!(app.prompt().unwrap().text(), "theme dark");
    assert_eq!(app.prompt().unwrap().line.cursor(), "theme dar".len());
    press(&mut app, KeyCode::Char('a'), KeyModifiers::CONTROL);
    press(&mut app, KeyCode::Char('k'), KeyModifiers::CONTROL);
    assert_eq!(app.prompt().unwrap().text(), "");
    key(&mut app, KeyCode::Esc);
    // `@` keeps its own lines: times, not commands.
    ch(&mut app, '@');
    type_text(&mut app, "11:00");
    key(&mut app, KeyCode::Enter);
    ch(&mut app, '@');
    key(&mut app, KeyCode::Up);
    assert_eq!(app.prompt().unwrap().text(), "11:00");
    key(&mut app, KeyCode::Up);
    assert_eq!(
        app.prompt().unwrap().text(),
        "11:00",
        "no command among the times"
    );
}

#[test]
fn commands_do_what_their_keys_do_and_ask_for_what_needs_the_world() {
    let mut app = samples(100);
    command(&mut app, "export");
    assert!(matches!(
        app.take_effects().as_slice(),
        [Effect::Export { .. }]
    ));
    command(&mut app, "theme light");
    assert!(
        app.take_effects().is_empty(),
        "the theme is the app's own state"
    );
    assert_eq!(app.theme, crate::app::look::Theme::Light);
    command(&mut app, "columns time, type,digits");
    assert!(
        app.take_effects().is_empty(),
        "the columns are the app's own state"
    );
    assert_eq!(
        app.columns,
        [Column::Time, Column::Type, Column::Param("Digits".into())]
    );
    assert_eq!(app.status.as_deref(), Some("columns time,type,Digits"));
    command(&mut app, "columns");
    assert_eq!(
        app.status.as_deref(),
        Some("columns time,type,Digits"),
        "no list: shows it"
    );
    command(&mut app, "columns default");
    assert_eq!(app.columns, Column::DEFAULT);
    command(&mut app, "columns time,ti;me");
    let error = app
        .prompt()
        .and_then(|p| p.error.clone())
        .unwrap_or_default();
    assert!(error.starts_with("not a column: \"ti;me\""), "{error}");
    assert_eq!(app.columns, Column::DEFAULT, "a bad list changes nothing");
    key(&mut app, KeyCode::Esc);
    command(&mut app, "type gather");
    assert_eq!(
        app.store.filter().kinds,
        kinds_of(&[EventKind::GatherFinished])
    );
    command(&mut app, "pane raw");
    assert_eq!(app.pane, Pane::Raw);
    command(&mut app, "pane sideways");
    assert!(
        app.prompt()
            .unwrap()
            .error
            .as_deref()
            .unwrap()
            .starts_with("no pane")
    );
    key(&mut app, KeyCode::Esc);
    command(&mut app, "help");
    assert!(app.help_open());
    key(&mut app, KeyCode::Esc);
    command(&mut app, "q");
    assert_eq!(app.mode, Mode::ConfirmQuit { lost: TOTAL as u64 });
    key(&mut app, KeyCode::Esc);
    assert!(!app.quit);
    command(&mut app, "q!");
    assert!(app.quit);
}

#[test]
fn scrolling_the_pane_while_following_holds_the_selection_until_end() {
    let mut app = samples(100);
    app.geometry.pane_page = 5;
    app.geometry.pane_max_scroll = 50;
    assert_eq!(app.selected, Some(FC_FAILED));
    ch(&mut app, 'J');
    assert_eq!(app.pane_scroll, 5);
    assert!(app.follow && app.follow_held());
    // New events arrive: the selection and the pane stay on what is being read.
    push_body(&mut app, EVENTS[0]);
    push_body(&mut app, EVENTS[1]);
    assert_eq!(app.selected, Some(FC_FAILED));
    assert_eq!(app.pane_scroll, 5);
    assert_eq!(app.new_since_pause(), 2);
    let mut term = Terminal::new(TestBackend::new(120, 24)).unwrap();
    let screen = screen_text(&draw(&mut term, &mut app));
    assert!(
        screen.contains("FOLLOW paused: reading +2 new · End resumes"),
        "{screen}"
    );
    // End resumes: the newest is selected, the pane at its top.
    app.geometry.pane_page = 5;
    app.geometry.pane_max_scroll = 50;
    key(&mut app, KeyCode::End);
    assert!(app.follow && !app.follow_held());
    assert_eq!(app.selected, Some(TOTAL as u64 + 1));
    assert_eq!(app.pane_scroll, 0);
    push_body(&mut app, EVENTS[2]);
    assert_eq!(app.selected, Some(TOTAL as u64 + 2));
    // G resumes too; scrolling back up to the top does not end the reading by itself.
    ch(&mut app, 'J');
    ch(&mut app, 'K');
    assert!(app.follow_held());
    ch(&mut app, 'G');
    assert!(!app.follow_held());
    // Moving the selection while reading is an ordinary pause.
    ch(&mut app, 'J');
    key(&mut app, KeyCode::Up);
    assert!(!app.follow && !app.follow_held());
}

#[test]
fn the_stats_list_every_slow_step_scrolls_and_enter_goes_to_one() {
    let mut app = many(14, 6_000);
    // At 80×24 the overlay shows some of the 14; moving down scrolls to the rest.
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    ch(&mut app, 's');
    let first = screen_text(&draw(&mut term, &mut app));
    let rows = app.geometry.stats_rows;
    assert!(rows < 14, "{rows}");
    assert!(first.contains(&format!("↓ {} more", 14 - rows)), "{first}");
    // The slowest first: e13 (6013 ms) is the top row.
    let slowest = app.metrics.slow()[0].seq;
    assert_eq!(app.store.get(slowest).unwrap().duration_ms, Some(6_013));
    for _ in 0..13 {
        key(&mut app, KeyCode::Down);
        draw(&mut term, &mut app);
    }
    assert_eq!(app.mode, Mode::Stats { selected: 13 });
    let last = screen_text(&draw(&mut term, &mut app));
    assert!(
        last.contains("POST /e0 "),
        "the fastest, listed last: {last}"
    );
    assert!(!first.contains("POST /e0 "), "{first}");
    assert!(!last.contains("more"), "at the end: {last}");
    assert!(last.contains(&format!("↑ {}", 14 - rows)), "{last}");
    key(&mut app, KeyCode::Down);
    assert_eq!(app.mode, Mode::Stats { selected: 13 }, "stops at the last");
    key(&mut app, KeyCode::PageUp);
    assert_eq!(
        app.mode,
        Mode::Stats {
            selected: 13 - rows
        }
    );
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Down);
    // Enter: the overlay closes on the selected step's event, follow paused.
    let target = app.metrics.slow()[1].seq;
    assert!(key(&mut app, KeyCode::Enter));
    assert!(!app.stats_open());
    assert_eq!(app.selected, Some(target));
    assert!(!app.follow);
    // A step the filters hide: they are cleared to show it, and the status says so.
    ch(&mut app, '4');
    assert_eq!(app.store.view_len(), 0);
    ch(&mut app, 's');
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.selected, Some(slowest));
    assert!(app.store.filter().is_empty());
    assert!(app.status.as_deref().unwrap().contains("filters cleared"));
}

// The filter language in the prompt: errors inline, n / N, history, editing keys

#[test]
fn slash_digits_finds_what_the_timeline_shows() {
    let mut app = samples(100);
    search(&mut app, "Digits=2");
    assert_eq!(view(&app), [EV_GATHER]);
    search(&mut app, "Digits=1");
    assert_eq!(view(&app), [IVR_GATHER]);
}

#[test]
fn a_bad_expression_stays_in_the_prompt_with_its_error_and_the_filter_stays() {
    let mut app = samples(100);
    search(&mut app, "type:dial");
    let before = view(&app);
    ch(&mut app, '/');
    type_text(&mut app, " code>=");
    key(&mut app, KeyCode::Enter);
    let prompt = app.search_prompt().expect("still open");
    assert_eq!(prompt.text(), "type:dial code>=");
    let e = prompt.error().expect("the error is shown");
    assert_eq!(e.column, 16);
    assert_eq!(e.to_string(), "column 17: expected a value after `code>=`");
    assert_eq!(view(&app), before, "the previous filter stays");
    type_text(&mut app, "500");
    assert!(
        app.search_prompt().and_then(|p| p.error()).is_none(),
        "editing clears it"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.search_input(), None);
    assert_eq!(view(&app), Vec::<u64>::new(), "no dial answered ≥ 500");
}

#[test]
fn an_empty_enter_clears_the_expression_but_n_still_finds_it() {
    let mut app = samples(100);
    search(&mut app, "type:gather");
    assert_eq!(view(&app), [EV_GATHER, IVR_GATHER, FC_GATHER]);
    search(&mut app, "");
    assert_eq!(app.store.filter().search, None);
    assert_eq!(app.store.view_len(), TOTAL);
    // From the newest event (following), n wraps to the first gather.
    assert!(ch(&mut app, 'n'));
    assert_eq!(app.selected, Some(EV_GATHER));
    assert!(!app.follow, "stepping pauses follow");
    assert_eq!(
        app.status.as_deref(),
        Some("search hit the bottom, continued at the top")
    );
    ch(&mut app, 'n');
    assert_eq!(app.selected, Some(IVR_GATHER));
    assert_eq!(app.status, None);
    ch(&mut app, 'n');
    assert_eq!(app.selected, Some(FC_GATHER));
    ch(&mut app, 'N');
    assert_eq!(app.selected, Some(IVR_GATHER));
    ch(&mut app, 'N');
    ch(&mut app, 'N');
    assert_eq!(app.selected, Some(FC_GATHER), "N wraps to the bottom");
    assert_eq!(app.store.view_len(), TOTAL, "n and N never filter");
}

#[test]
fn n_steps_within_the_filters_in_force_and_in_the_call_view() {
    let mut app = samples(100);
    search(&mut app, "from:+1415");
    search(&mut app, "");
    // Only the IVR call's events come from +1415…; step them in the call's timeline.
    select(&mut app, IVR_GATHER);
    key(&mut app, KeyCode::Enter);
    let first = app.call().map(|cv| cv.selected);
    ch(&mut app, 'n');
    let second = app.call().map(|cv| cv.selected);
    assert_eq!(second, first.map(|f| f + 1));
    assert!(app.call().is_some(), "n stays in the call view");
}

#[test]
fn n_without_a_search_or_a_match_says_so() {
    let mut app = samples(100);
    ch(&mut app, 'n');
    assert_eq!(app.status.as_deref(), Some("no search yet: / to type one"));
    search(&mut app, "Digits=9");
    search(&mut app, "");
    let here = app.selected;
    ch(&mut app, 'N');
    assert_eq!(app.status.as_deref(), Some("no match for Digits=9"));
    assert_eq!(app.selected, here);
}

#[test]
fn the_prompt_keeps_a_history_and_edits_at_the_cursor() {
    let mut app = samples(100);
    search(&mut app, "type:gather");
    search(&mut app, "code>=500");
    ch(&mut app, '/');
    assert_eq!(app.search_input(), Some("code>=500"), "prefilled");
    ctrl(&mut app, 'u');
    assert_eq!(app.search_input(), Some(""), "Ctrl-U no longer types u");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.search_input(), Some("code>=500"));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.search_input(), Some("type:gather"));
    type_text(&mut app, " busy");
    ctrl(&mut app, 'w');
    assert_eq!(app.search_input(), Some("type:gather "));
    key(&mut app, KeyCode::Home);
    key(&mut app, KeyCode::Char('!'));
    ctrl(&mut app, 'e');
    key(&mut app, KeyCode::Left);
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.search_input(), Some("!type:gather"));
    assert_eq!(app.search_prompt().map(prompt::Prompt::cursor), Some(12));
    key(&mut app, KeyCode::Enter);
    assert_eq!(view(&app).len(), TOTAL - 3);
    ch(&mut app, '/');
    key(&mut app, KeyCode::Up);
    assert_eq!(app.search_input(), Some("!type:gather"), "the newest first");
}
