//! The Voice event families beyond TwiML, as a user meets them: each parses to its kind, call
//! and family; a call's events arriving shuffled still tell the call in the order it happened;
//! error logs and Studio steps land on their call; a conference groups its participants; the
//! family filter keys.

mod common;

use common::screen::{new_app, render, row_text, screen_text};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use twimon::app::App;
use twimon::domain::delivery::parse_delivery;
use twimon::domain::family::{Group, Stream};
use twimon::domain::{CallSid, Event, EventKind};

const MACHINE: &str = include_str!("../assets/samples/families/machine-studio-call.json");
const CONFERENCE: &str = include_str!("../assets/samples/families/conference-call.json");
const IVR: &str = include_str!("../assets/samples/flows/ivr-sales-call.json");

const CALL: &str = "CAe1f07a3c5b9d4e2f8a6c1b0d9e8f7a61";
const CALLER: &str = "CA5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d";
const AGENT: &str = "CA0d1c2b3a4f5e6d7c8b9a0f1e2d3c4b5a";
const ARRIVAL: &str = "2026-11-28T18:00:00Z";

fn parse(body: &str) -> Vec<Event> {
    parse_delivery(body.as_bytes(), ARRIVAL.parse().unwrap()).unwrap()
}

fn push_all(app: &mut App, events: Vec<Event>) {
    for ev in events {
        let key = ev.dedup_key();
        app.push(ev, key);
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn sid(s: &str) -> CallSid {
    CallSid(s.into())
}

/// A fixed shuffle (a linear congruential generator with a fixed seed): the same "random"
/// arrival order every run.
fn shuffled(mut events: Vec<Event>) -> Vec<Event> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    for i in (1..events.len()).rev() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let j = usize::try_from(state >> 33).unwrap() % (i + 1);
        events.swap(i, j);
    }
    events
}

/// The call view's rows (below its header) as text.
fn timeline_rows(app: &mut App, w: u16, h: u16) -> Vec<String> {
    let terminal = render(app, w, h);
    let buf = terminal.backend().buffer();
    let rows: Vec<String> = (0..h).map(|y| row_text(buf, y)).collect();
    let header = rows
        .iter()
        .position(|r| r.contains("Offset") && r.contains("Type"))
        .unwrap_or_else(|| panic!("no timeline header:\n{}", screen_text(buf)));
    rows[header + 1..]
        .iter()
        .filter(|r| r.contains('+'))
        .cloned()
        .collect()
}

#[test]
fn each_family_parses_to_its_kind_call_and_family() {
    let events = parse(MACHINE);
    let got: Vec<(String, EventKind, Option<&str>, &str)> = events
        .iter()
        .map(|e| {
            (
                e.label().into_owned(),
                e.kind,
                e.call_sid.as_ref().map(CallSid::as_str),
                e.stream().as_str(),
            )
        })
        .collect();
    let c = Some(CALL);
    let want: Vec<(&str, EventKind, Option<&str>, &str)> = vec![
        ("api.call.create", EventKind::ApiRequest, c, "api"),
        ("call.initiated", EventKind::Progress, c, "progress"),
        ("call.ringing", EventKind::Progress, c, "progress"),
        ("call.answered", EventKind::Progress, c, "progress"),
        ("call.requested", EventKind::CallRequested, c, "twiml"),
        ("studio.started", EventKind::StudioExecution, c, "studio"),
        // A step names no call of its own: the store joins it (below).
        ("studio.step", EventKind::StudioStep, None, "studio"),
        ("media.fetched", EventKind::Media, c, "media"),
        ("amd.detected", EventKind::Callback, c, "status-callback"),
        ("call.redirected", EventKind::CallRedirected, c, "twiml"),
        ("studio.step", EventKind::StudioStep, None, "studio"),
        ("studio.step", EventKind::StudioStep, None, "studio"),
        ("request.failed", EventKind::RequestFailed, c, "twiml"),
        ("error 11200", EventKind::ErrorLog, c, "error-log"),
        ("call.completed", EventKind::Progress, c, "progress"),
        ("studio.ended", EventKind::StudioExecution, c, "studio"),
        ("summary.complete", EventKind::Insights, c, "insights"),
    ];
    let got: Vec<(&str, EventKind, Option<&str>, &str)> = got
        .iter()
        .map(|(l, k, c, f)| (l.as_str(), *k, *c, *f))
        .collect();
    assert_eq!(got, want);
    assert!(events.iter().all(|e| e.invalid.is_none()));
    // Progress events carry their SequenceNumber, which orders callbacks of one instant.
    let sequences: Vec<u32> = events
        .iter()
        .filter(|e| e.kind == EventKind::Progress)
        .filter_map(|e| e.sequence)
        .collect();
    assert_eq!(sequences, [0, 1, 2, 3]);
}

#[test]
fn conference_callbacks_take_the_participant_as_their_call() {
    let events = parse(CONFERENCE);
    let got: Vec<(String, Option<&str>, &str)> = events
        .iter()
        .map(|e| {
            (
                e.label().into_owned(),
                e.call_sid.as_ref().map(CallSid::as_str),
                e.conference().map_or("", |c| &*c.event),
            )
        })
        .collect();
    let want = [
        ("call.requested", Some(CALLER), ""),
        ("participant", Some(CALLER), "participant-join"),
        // The conference's own events name no call: `sid` is the conference's (CF…).
        ("conference", None, "conference-start"),
        ("call.requested", Some(AGENT), ""),
        ("participant", Some(AGENT), "participant-join"),
        ("participant", Some(CALLER), "participant-leave"),
        ("participant", Some(AGENT), "participant-leave"),
        ("conference", None, "conference-end"),
    ];
    let got: Vec<(&str, Option<&str>, &str)> =
        got.iter().map(|(l, c, e)| (l.as_str(), *c, *e)).collect();
    assert_eq!(got, want);
}

#[test]
fn older_spellings_and_unknown_members_keep_their_family() {
    let body = |ty: &str| {
        format!(
            r#"{{"type":"{ty}","id":"{ty}","time":"2026-11-28T16:00:00Z","data":{{"sid":"{CALL}",
            "request":{{"method":"POST","url":"https://ivr.acme-example.com/status",
            "parameters":{{"CallSid":"{CALL}","CallStatus":"ringing","SequenceNumber":"1"}}}}}}}}"#
        )
    };
    let cases = [
        (
            "com.twilio.voice.webhook.status-callback.call.ringing",
            EventKind::Progress,
            "call.ringing",
            Stream::Progress,
        ),
        (
            "com.twilio.voice.status-callback.call.something-new",
            EventKind::Progress,
            "call.something-new",
            Stream::Progress,
        ),
        (
            "com.twilio.voice.status-callback.conference-participant.updated",
            EventKind::Callback,
            "participant",
            Stream::StatusCallback,
        ),
        (
            "com.twilio.voice.api-request.conference-participant.deleted",
            EventKind::ApiRequest,
            "api.part.delete",
            Stream::Api,
        ),
        (
            "com.twilio.voice.insights.call-metrics.gateway",
            EventKind::Insights,
            "metrics.gateway",
            Stream::Insights,
        ),
        (
            "com.twilio.studio.flow.widget.entered",
            EventKind::StudioExecution,
            "com.twilio.studio.flow.widget.entered",
            Stream::Studio,
        ),
    ];
    for (ty, kind, label, stream) in cases {
        let ev = parse(&body(ty)).remove(0);
        assert_eq!(
            (ev.kind, ev.label().as_ref(), ev.stream()),
            (kind, label, stream),
            "{ty}"
        );
        assert_eq!(ev.call_sid, Some(sid(CALL)), "{ty}");
    }
}

#[test]
fn an_error_log_is_decoded_once_and_lands_on_its_call() {
    let events = parse(MACHINE);
    let err = events
        .iter()
        .find(|e| e.kind == EventKind::ErrorLog)
        .unwrap();
    let log = err.error_log().expect("decoded at ingest");
    assert_eq!(log.code, Some(11200));
    assert_eq!(log.level_word(), "error");
    assert_eq!(log.product.as_ref(), "Programmable Voice");
    assert_eq!(log.resource.as_ref(), CALL);
    assert_eq!(
        log.url.as_ref(),
        "https://ivr.acme-example.com/voicemail-drop"
    );
    assert!(log.message.contains("returned the HTTP status code 500"));
    assert_eq!(err.call_sid, Some(sid(CALL)), "joined by correlation_sid");

    // Twilio's own example: a flat payload, a correlation SID that is no call, INFO level.
    let info = parse(
        r#"{"type":"com.twilio.error-logs.error.logged","id":"NO1","data":{"sid":"NO1",
        "date_created":"2025-01-01T00:00:00.000Z","level":"INFO","correlation_sid":"ZE0001",
        "product_name":"Event Streams","error_code":"93101",
        "payload":"{\"error_code\":93101,\"message\":\"Error delivering event to webhook: 500 Internal Server Error\"}"}}"#,
    )
    .remove(0);
    let log = info.error_log().unwrap();
    assert_eq!(
        (log.code, log.message.as_ref()),
        (
            Some(93101),
            "Error delivering event to webhook: 500 Internal Server Error"
        )
    );
    assert_eq!(info.call_sid, None);
    assert_eq!(info.time.to_string(), "2025-01-01T00:00:00Z");
    assert!(!log.is_problem(), "INFO is noise, not a problem");
}

#[test]
fn studio_steps_join_their_execution_call_even_when_they_arrive_first() {
    let events = parse(MACHINE);
    let (studio, rest): (Vec<Event>, Vec<Event>) = events
        .into_iter()
        .partition(|e| e.stream() == Stream::Studio);
    let (steps, executions): (Vec<Event>, Vec<Event>) = studio
        .into_iter()
        .partition(|e| e.kind == EventKind::StudioStep);
    assert_eq!((steps.len(), executions.len()), (3, 2));
    let mut app = new_app(100);
    // Narrowed to the call before its Studio steps are joined: the view must follow.
    push_all(&mut app, rest);
    key(&mut app, KeyCode::Char('c'));
    let before = app.store.view_len();
    push_all(&mut app, steps);
    assert_eq!(app.store.view_len(), before, "steps alone name no call");
    push_all(&mut app, executions);
    let call_events: Vec<EventKind> = app.store.call_events(&sid(CALL)).map(|e| e.kind).collect();
    assert_eq!(
        call_events
            .iter()
            .filter(|k| **k == EventKind::StudioStep)
            .count(),
        3,
        "the steps joined the call through execution_sid → started_by"
    );
    assert_eq!(
        app.store.view_len(),
        before + 5,
        "the call filter shows them"
    );
    assert_eq!(app.store.call_count(), 1);
}

#[test]
fn a_shuffled_call_shows_in_the_order_it_happened() {
    let mut app = new_app(100);
    push_all(&mut app, shuffled(parse(MACHINE)));
    // Open the call from whatever row is selected (all of its events are one call's).
    key(&mut app, KeyCode::Enter);
    let cv = app.call().expect("the call view");
    assert_eq!(cv.sid, sid(CALL));
    assert_eq!(cv.steps.len(), 17);
    let rows = timeline_rows(&mut app, 200, 50);
    let labels: Vec<&str> = rows
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap_or_default())
        .collect();
    assert_eq!(
        labels,
        [
            "api.call.create",
            "call.initiated",
            "call.ringing",
            "call.answered",
            "call.requested",
            "studio.started",
            "studio.step",
            "media.fetched",
            "amd.detected",
            "call.redirected",
            "studio.step",
            "studio.step",
            "request.failed",
            "error",
            "call.completed",
            "studio.ended",
            "summary.complete",
        ]
    );
    let screen = screen_text(render(&mut app, 200, 50).backend().buffer());
    assert!(
        screen.contains("completed after 9s · answered by machine_end_beep · ended by caller"),
        "the summary comes from the progress events and Insights:\n{screen}"
    );
    // Twilio's logged code sits on the request it is about, beside the widget path.
    let failed = rows.iter().find(|r| r.contains("request.failed")).unwrap();
    assert!(failed.contains("✗ 11200"), "{failed}");
    let step = rows
        .iter()
        .find(|r| r.contains("Trigger → say_reminder"))
        .unwrap();
    assert!(step.contains("studio.step"), "{step}");
}

#[test]
fn identical_times_fall_back_to_the_sequence_number_then_arrival() {
    // Two callbacks of one second, delivered in reverse: SequenceNumber orders them.
    let at = |status: &str, seq: u32| {
        format!(
            r#"{{"type":"com.twilio.voice.status-callback.call.{status}","id":"{status}","time":"2026-11-28T16:00:00Z",
            "data":{{"sid":"{CALL}","request":{{"url":"https://ivr.acme-example.com/status","parameters":{{
            "CallSid":"{CALL}","CallStatus":"{status}","SequenceNumber":"{seq}"}}}}}}}}"#
        )
    };
    let mut app = new_app(100);
    push_all(&mut app, parse(&at("ringing", 1)));
    push_all(&mut app, parse(&at("initiated", 0)));
    key(&mut app, KeyCode::Enter);
    let rows = timeline_rows(&mut app, 120, 20);
    assert!(rows[0].contains("call.initiated"), "{rows:#?}");
    assert!(rows[1].contains("call.ringing"), "{rows:#?}");
}

#[test]
fn error_logs_are_problems_and_families_filter_by_key() {
    let mut app = new_app(100);
    push_all(&mut app, parse(MACHINE));
    push_all(&mut app, parse(IVR));
    let seqs = |app: &App| -> Vec<EventKind> {
        (0..app.store.view_len())
            .filter_map(|p| app.store.view_seq(p))
            .filter_map(|s| app.store.get(s))
            .map(|e| e.kind)
            .collect()
    };
    key(&mut app, KeyCode::Char('e'));
    assert_eq!(
        seqs(&app),
        [EventKind::RequestFailed, EventKind::ErrorLog],
        "the failed fetch and Twilio's own log of it"
    );
    key(&mut app, KeyCode::Char('e'));

    let expected = [
        (Group::Twiml, 8),
        (Group::Progress, 5),
        (Group::Errors, 1),
        (Group::Studio, 5),
        (Group::Api, 1),
        (Group::Other, 2),
    ];
    for (group, n) in expected {
        key(&mut app, KeyCode::Char('f'));
        assert_eq!(app.store.filter().group(), Some(group));
        assert_eq!(app.store.view_len(), n, "{group:?}");
        assert_eq!(app.store.group_count(group), n);
        let screen = screen_text(render(&mut app, 200, 30).backend().buffer());
        assert!(screen.contains(&format!(" {} ", group.name())), "{screen}");
    }
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.store.filter().groups, 0, "past `other`: every family");
    assert_eq!(app.store.view_len(), 22);
    key(&mut app, KeyCode::Char('F'));
    assert_eq!(app.store.filter().group(), Some(Group::Other));

    // The one-key type filters still work, and combine with a family.
    key(&mut app, KeyCode::Char('f'));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.store.filter().group(), Some(Group::Twiml));
    key(&mut app, KeyCode::Char('8'));
    assert_eq!(seqs(&app), [EventKind::RequestFailed]);
    key(&mut app, KeyCode::Char('0'));
    assert_eq!(app.store.view_len(), 8);
}

#[test]
fn a_conference_groups_its_participants() {
    let mut app = new_app(100);
    push_all(&mut app, parse(CONFERENCE));
    let conf = twimon::store::conference::conference(&app.store, &sid(AGENT)).unwrap();
    assert_eq!(conf.name, "Support Room 42");
    assert_eq!(conf.sid, "CF4d9c2b7a1e8f3d6c5b4a39281706f5e4");
    let who: Vec<(&str, &str)> = conf
        .participants
        .iter()
        .map(|p| (p.sid.as_str(), p.status.as_str()))
        .collect();
    assert_eq!(
        who,
        [(CALLER, "participant-leave"), (AGENT, "participant-leave")]
    );
    assert_eq!(
        twimon::store::conference::conference(&app.store, &sid(CALLER)),
        Some(conf),
        "the same conference from either participant"
    );
    assert!(twimon::store::conference::conference(&app.store, &sid(CALL)).is_none());

    // The agent's call view shows the conference and the other participant (the newest
    // event is the conference's own, which names no call: one up is the agent's leave).
    key(&mut app, KeyCode::Up);
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.call().unwrap().sid, sid(AGENT));
    let screen = screen_text(render(&mut app, 120, 30).backend().buffer());
    let line = screen
        .lines()
        .find(|l| l.contains("conference Support Room 42"))
        .unwrap_or_else(|| panic!("no conference line:\n{screen}"));
    assert!(line.contains("CA…2b1c0d participant-leave"), "{line}");
    assert!(line.contains("▸ CA…3c4b5a participant-leave"), "{line}");
}

#[test]
fn a_conference_leave_delivered_late_does_not_undo_itself() {
    let mut events = parse(CONFERENCE);
    // The caller's leave arrives before their join.
    let leave = events.remove(5);
    events.insert(0, leave);
    let mut app = new_app(100);
    push_all(&mut app, events);
    let conf = twimon::store::conference::conference(&app.store, &sid(CALLER)).unwrap();
    assert_eq!(conf.participants[0].sid, sid(CALLER));
    assert_eq!(conf.participants[0].status, "participant-leave");
}
