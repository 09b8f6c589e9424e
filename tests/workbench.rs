//! The monitor's workbench keys on `TestBackend`: `E` edits a resend's parameters, `R`
//! resends, `D` marks and diffs; the diff view snapshotted at 80×24 and 200×50, side by side
//! and unified; a resend's answer shows its link to the original.

mod common;

use std::time::Duration;

use common::screen::{render, screen_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use twimon::app::{App, Effect, Mode};
use twimon::domain::EventKind;
use twimon::domain::exchange::{Edit, Exchange, PROXY_SOURCE, RESEND_SOURCE};

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn menu(word: &str, digits: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Say>You pressed {digits}.</Say>\n  <Say>{word}</Say>\n  <Pause length=\"1\"/>\n  <Hangup/>\n</Response>\n"
    )
}

fn exchange(id: &str, source: &'static str, body: &str, resend_of: Option<&str>) -> Exchange {
    Exchange {
        id: id.into(),
        source,
        started: Some("2026-11-28T15:30:00Z".parse().unwrap()),
        method: "POST".into(),
        url: "https://abc.ngrok.app/menu".into(),
        target: "http://127.0.0.1:3000/menu".into(),
        params: pairs(&[
            ("CallSid", "CA0000000000000000000000000000c0de"),
            ("Digits", "2"),
        ]),
        request_headers: pairs(&[("host", "abc.ngrok.app"), ("x-forwarded-proto", "https")]),
        status: Some(200),
        response_headers: pairs(&[("content-type", "text/xml")]),
        body: body.as_bytes().to_vec(),
        body_bytes: body.len() as u64,
        latency: Duration::from_micros(12_300),
        failure: None,
        resend_of: resend_of.map(str::to_owned),
    }
}

/// The original exchange and its resend's answer, which says goodbye and sleeps in a `<Pause>`
/// with a bad attribute (a check finding on its side).
fn workbench() -> App {
    let mut app = common::screen::new_app(100);
    let arrival = "2026-11-28T15:30:01Z".parse().unwrap();
    let original = exchange("PX1", PROXY_SOURCE, &menu("Thanks", "2"), None);
    let resent_body = menu("Goodbye", "3").replace("length=\"1\"", "length=\"soon\"");
    let resent = exchange("RS1", RESEND_SOURCE, &resent_body, Some("PX1"));
    for ex in [original, resent] {
        let ev = ex.event(EventKind::GatherFinished, arrival);
        let key = ev.dedup_key();
        app.push(ev, key);
    }
    app
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn shift(app: &mut App, c: char) {
    app.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT));
}

#[test]
fn a_resend_answer_shows_its_link_and_headers() {
    let mut app = workbench();
    let text = screen_text(render(&mut app, 120, 30).backend().buffer());
    assert!(text.contains("resend of PX1"), "{text}");
    assert!(
        text.contains("proxied → http://127.0.0.1:3000/menu in 12.3 ms"),
        "{text}"
    );
    key(&mut app, KeyCode::Char('p'));
    let text = screen_text(render(&mut app, 120, 30).backend().buffer());
    assert!(text.contains("request headers"), "{text}");
    assert!(text.contains("host: abc.ngrok.app"), "{text}");
}

#[test]
fn d_on_a_resend_diffs_it_against_its_original() {
    let mut app = workbench();
    shift(&mut app, 'D');
    let view = app.diff_view().expect("the diff opens").clone();
    assert!(view.left.label.contains("PX1") && view.right.label.contains("RS1"));
    let changed: Vec<&str> = view
        .lines
        .iter()
        .filter(|l| l.op != twimon::domain::diff::Op::Same)
        .map(|l| l.text.trim())
        .collect();
    assert_eq!(
        changed,
        vec![
            "<Say>You pressed 2.</Say>",
            "<Say>Thanks</Say>",
            "<Pause length=\"1\"/>",
            "<Say>You pressed 3.</Say>",
            "<Say>Goodbye</Say>",
            "<Pause length=\"soon\"/>",
        ]
    );
    assert!(view.left.findings.is_empty());
    assert!(
        !view.right.findings.is_empty(),
        "the resend's side carries its finding"
    );
    for (w, h) in [(80, 24), (200, 50)] {
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(
            format!("diff_side_by_side_{w}x{h}"),
            screen_text(t.backend().buffer())
        );
    }
    key(&mut app, KeyCode::Char('u'));
    for (w, h) in [(80, 24), (200, 50)] {
        let t = render(&mut app, w, h);
        insta::assert_snapshot!(
            format!("diff_unified_{w}x{h}"),
            screen_text(t.backend().buffer())
        );
    }
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}

#[test]
fn d_marks_then_d_on_another_event_diffs_the_two() {
    let mut app = workbench();
    key(&mut app, KeyCode::Up);
    // The original has no original: D marks it.
    shift(&mut app, 'D');
    assert!(app.diff_view().is_none());
    assert!(app.status.as_deref().unwrap().contains("marked PX1"));
    key(&mut app, KeyCode::Down);
    shift(&mut app, 'D');
    let view = app.diff_view().unwrap();
    assert!(view.left.label.contains("PX1") && view.right.label.contains("RS1"));
    // The same event twice is no diff: the mark is cleared instead.
    key(&mut app, KeyCode::Esc);
    shift(&mut app, 'D');
    key(&mut app, KeyCode::Esc);
    shift(&mut app, 'D');
    assert!(app.diff_view().is_some());
}

#[test]
fn e_edits_the_parameters_and_r_resends_as_effects() {
    let mut app = workbench();
    app.take_effects();
    shift(&mut app, 'R');
    let seq = app.current().unwrap().seq;
    assert_eq!(
        app.take_effects(),
        vec![Effect::Resend {
            seq,
            edits: Vec::new()
        }]
    );
    shift(&mut app, 'E');
    for c in "Digits=3 -SpeechResult".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    let t = render(&mut app, 80, 24);
    let text = screen_text(t.backend().buffer());
    assert!(
        text.contains("resend with Digits=3 -SpeechResult█"),
        "{text}"
    );
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.take_effects(),
        vec![Effect::Resend {
            seq,
            edits: vec![
                Edit::Set("Digits".into(), "3".into()),
                Edit::Remove("SpeechResult".into())
            ]
        }]
    );
    // A bad edit keeps the prompt open and says why.
    shift(&mut app, 'E');
    for c in "Digits".chars() {
        key(&mut app, KeyCode::Char(c));
    }
    key(&mut app, KeyCode::Enter);
    assert!(app.edit_input().is_some());
    assert!(app.status.as_deref().unwrap().contains("Name=value"));
    assert!(app.take_effects().is_empty());
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.mode, Mode::Normal);
}
