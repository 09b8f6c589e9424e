//! The bundled samples through the parser and the `TwiML` decoder: Twilio's eight documentation
//! examples (`assets/samples/seed/`, quirks and all) and the realistic deliveries in `events/`
//! and `flows/`.

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::samples::{files_in, read_elements, samples_dir};
use jiff::Timestamp;
use twimon::domain::delivery::parse_delivery;
use twimon::domain::twiml;
use twimon::domain::{Event, EventKind, TimeSource};
use twimon::store::is_problem;

const SEED_CALL_SID: &str = "CA0000000000000000000000000000001";
const SEED_ID: &str = "NO00000000000000000000000001";
const SEED_REDIRECT: &str =
    r#"<Redirect method="POST">https://mycompany.com/an-endpoint</Redirect>"#;

/// The seed files and the kind each must parse to, keyed by file name (not by the parser).
const SEED: [(&str, &str, EventKind); 8] = [
    (
        "01-call-requested.json",
        "com.twilio.voice.twiml.call.requested",
        EventKind::CallRequested,
    ),
    (
        "02-call-redirected.json",
        "com.twilio.voice.twiml.call.redirected",
        EventKind::CallRedirected,
    ),
    (
        "03-call-transferred.json",
        "com.twilio.voice.twiml.call.transferred",
        EventKind::CallTransferred,
    ),
    (
        "04-gather-finished.json",
        "com.twilio.voice.twiml.gather.finished",
        EventKind::GatherFinished,
    ),
    (
        "05-dial-finished.json",
        "com.twilio.voice.twiml.dial.finished",
        EventKind::DialFinished,
    ),
    (
        "06-enqueue-finished.json",
        "com.twilio.voice.twiml.enqueue.finished",
        EventKind::EnqueueFinished,
    ),
    (
        "07-record-finished.json",
        "com.twilio.voice.twiml.record.finished",
        EventKind::RecordFinished,
    ),
    (
        "08-request-failed.json",
        "com.twilio.voice.twiml.request.failed",
        EventKind::RequestFailed,
    ),
];

/// A fixed arrival time, far from every sample's own time.
fn arrival() -> Timestamp {
    "2030-06-01T12:00:00Z".parse().unwrap()
}

/// A delivery file's events, stamped as a source stamps them (TwiML decoded and checked).
fn parse_file(path: &Path) -> Vec<Event> {
    let body = std::fs::read(path).unwrap();
    let mut events = parse_delivery(&body, arrival())
        .unwrap_or_else(|e| panic!("{} does not parse: {e}", path.display()));
    twimon::domain::check::stamp_all(&mut events);
    events
}

#[test]
fn seed_folder_holds_exactly_the_eight_examples() {
    let names: Vec<String> = files_in("seed")
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    let expected: Vec<&str> = SEED.iter().map(|(name, _, _)| *name).collect();
    assert_eq!(names, expected);
}

#[test]
fn each_seed_example_parses_to_one_event_of_its_kind() {
    let dir = samples_dir().join("seed");
    let data_timestamp: Timestamp = "2025-01-01T00:00:00Z".parse().unwrap();
    for (name, type_name, kind) in SEED {
        let path = dir.join(name);
        let json = &read_elements(&path)[0];
        assert_eq!(json["type"], type_name, "{name}: fixture type");
        assert!(json.get("time").is_none(), "{name}: seed has no `time`");

        let events = parse_file(&path);
        assert_eq!(events.len(), 1, "{name}: one bare object, one event");
        let ev = &events[0];
        assert_eq!(ev.invalid, None, "{name}");
        assert_eq!(ev.kind, kind, "{name}");
        assert_eq!(ev.type_name(), type_name, "{name}");
        assert_eq!(ev.id(), SEED_ID, "{name}");
        assert_eq!(
            ev.call_sid.as_ref().map(twimon::domain::CallSid::as_str),
            Some(SEED_CALL_SID),
            "{name}"
        );
        // No `time`, and `datacontenttype` holding a timestamp must not be taken for one.
        assert_eq!(ev.time_source, TimeSource::DataTimestamp, "{name}");
        assert_eq!(ev.time, data_timestamp, "{name}");
        assert_eq!(ev.arrival, arrival(), "{name}");
        assert_eq!(ev.method(), "POST", "{name}");
        assert_eq!(ev.url(), "https://mycompany.com/an-endpoint", "{name}");
        assert_eq!(ev.response_code, Some(200), "{name}");
        assert_eq!(ev.duration_ms, Some(140), "{name}");
        assert!(!ev.twiml_failed(), "{name}");

        let body = ev.response_body().expect("seed has a responseBody");
        let decoded = twiml::decode(&body);
        assert!(decoded.is_ok(), "{name}: {:?}", decoded.problem());
        assert_eq!(decoded.problem(), None, "{name}");
        assert!(
            decoded.text.contains(SEED_REDIRECT),
            "{name}: {}",
            decoded.text
        );
        assert_eq!(
            decoded.doc.as_ref().map(|root| root.name.as_str()),
            Some("Response"),
            "{name}"
        );
        assert!(decoded.is_twiml(), "{name}");
    }
}

#[test]
fn seed_examples_share_an_id_but_not_a_dedup_key() {
    let dir = samples_dir().join("seed");
    let keys: HashSet<_> = SEED
        .iter()
        .map(|(name, _, _)| {
            let ev = parse_file(&dir.join(name)).remove(0);
            assert_eq!(ev.id(), SEED_ID);
            ev.dedup_key().expect("a valid event has a key")
        })
        .collect();
    assert_eq!(keys.len(), SEED.len(), "the type is part of the dedup key");
}

#[test]
fn events_and_flows_parse_without_invalid_events() {
    let mut total = 0;
    let mut failed = 0;
    let mut html = 0;
    let mut xml = 0;
    for dir in ["events", "flows"] {
        let files = files_in(dir);
        assert!(!files.is_empty(), "{dir} has samples");
        for path in files {
            let name = path.display().to_string();
            let json = read_elements(&path);
            let events = parse_file(&path);
            assert_eq!(events.len(), json.len(), "{name}: one event per element");
            for (ev, j) in events.iter().zip(&json) {
                total += 1;
                assert_eq!(ev.invalid, None, "{name}");
                assert_eq!(ev.kind, EventKind::from_type(ev.type_name()), "{name}");
                assert!(
                    EventKind::TWIML.contains(&ev.kind),
                    "{name}: {}",
                    ev.type_name()
                );
                assert_eq!(j["type"], ev.type_name(), "{name}");
                assert_eq!(j["id"], ev.id(), "{name}");
                assert_eq!(j["source"], ev.source(), "{name}");
                assert_eq!(ev.time_source, TimeSource::Time, "{name}");
                let time: Timestamp = j["time"].as_str().unwrap().parse().unwrap();
                assert_eq!(ev.time, time, "{name}");
                assert_eq!(
                    ev.call_sid.as_ref().map(twimon::domain::CallSid::as_str),
                    j["data"]["sid"].as_str(),
                    "{name}"
                );
                assert_eq!(
                    ev.response_code,
                    j["data"]["response"]["responseCode"]
                        .as_u64()
                        .map(|c| u16::try_from(c).unwrap()),
                    "{name}"
                );

                let content_type = ev.content_type().expect("every sample has a contentType");
                let body = ev.response_body().expect("every sample has a responseBody");
                let decoded = twiml::decode(&body);
                assert_eq!(decoded.base64_error, None, "{name}");
                if content_type.contains("xml") {
                    xml += 1;
                    assert!(
                        decoded.is_ok(),
                        "{name} {}: {:?}",
                        ev.id(),
                        decoded.problem()
                    );
                    assert_eq!(decoded.problem(), None, "{name} {}", ev.id());
                    assert!(decoded.is_twiml(), "{name} {}", ev.id());
                    assert!(!ev.twiml_failed(), "{name} {}", ev.id());
                }
                if ev.response_code == Some(502) {
                    html += 1;
                    assert!(content_type.starts_with("text/html"), "{name}");
                    let not_xml = decoded.error.is_some();
                    let is_html = decoded
                        .doc
                        .as_ref()
                        .is_some_and(|root| root.name.eq_ignore_ascii_case("html"));
                    assert!(not_xml || is_html, "{name}: {decoded:?}");
                    assert!(!decoded.is_twiml(), "{name}");
                    assert!(decoded.text.contains("502 Bad Gateway"), "{name}");
                }
                if ev.kind == EventKind::RequestFailed {
                    failed += 1;
                    assert!(is_problem(ev), "{name}: request.failed is a problem");
                } else {
                    assert!(!is_problem(ev), "{name} {}: a 200 with TwiML", ev.id());
                }
            }
        }
    }
    // Guards against an empty or reshuffled sample set making the loop vacuous.
    assert_eq!(total, 16);
    assert_eq!(xml, 14);
    assert_eq!(html, 2);
    assert_eq!(failed, 2);
}

#[test]
fn sample_ids_are_unique_across_events_and_flows() {
    let mut seen = HashSet::new();
    for dir in ["events", "flows"] {
        for path in files_in(dir) {
            for ev in parse_file(&path) {
                assert!(
                    seen.insert(ev.id().to_owned()),
                    "{} repeats {}",
                    path.display(),
                    ev.id()
                );
            }
        }
    }
}
