//! Hostile input straight into the pipeline, no HTTP: parse → decode → store → draw → print
//! never panics and stays terminal-safe on generated bodies (proptest), and the reasons given
//! for a few odd elements say what is wrong. The same over HTTP, case by case: tests/hostile.rs.

mod common;

use common::http::b64;
use common::screen::render_all;
use proptest::prelude::*;
use serde_json::Value;
use twimon::domain::delivery::parse_delivery;
use twimon::domain::twiml;
use twimon::headless::json_value;

const ARRIVAL: &str = "2026-11-28T12:00:00Z";

/// A lone surrogate in `id` makes the element invalid; the reason should say why rather than
/// contradict itself.
#[test]
fn lone_surrogate_reason_does_not_contradict_itself() {
    let arrival = ARRIVAL.parse().unwrap();
    for body in [
        r#"{"type":"t","id":"\ud800"}"#,
        r#"{"type":"\udfff","id":"x"}"#,
    ] {
        let ev = parse_delivery(body.as_bytes(), arrival).unwrap().remove(0);
        let reason = ev.invalid.as_deref().unwrap();
        assert!(
            !reason.contains("is a string, not a string"),
            "{body}: {reason}"
        );
    }
}

/// `"type": null` is not a missing `type`: serde reads `Option<&RawValue>` of null as `None`,
/// so the `null` arm of the reason is never reached.
#[test]
fn null_type_or_id_is_reported_as_null() {
    let arrival = ARRIVAL.parse().unwrap();
    for (body, want) in [
        (r#"{"type":null,"id":"x"}"#, "`type` is null"),
        (r#"{"type":"t","id":null}"#, "`id` is null"),
    ] {
        let ev = parse_delivery(body.as_bytes(), arrival).unwrap().remove(0);
        let reason = ev.invalid.as_deref().unwrap();
        assert!(reason.contains(want), "{body}: {reason}");
    }
}

/// A duplicate key inside `data` (or `data.request` / `data.response`) makes serde's derived
/// reader fail on that whole object, so the event stays valid but silently loses its call SID,
/// URL and response code (and the pane its parameters and TwiML). A duplicate top-level key
/// instead makes the element invalid, with a reason. Either of those (invalid with a reason, or
/// the last value winning as in `serde_json::Value`) would be honest; silence is not.
#[test]
fn duplicate_keys_inside_data_are_not_silently_dropped() {
    let arrival = ARRIVAL.parse().unwrap();
    let body = r#"{"type":"com.twilio.voice.twiml.gather.finished","id":"dd",
        "data":{"sid":"CA1","sid":"CA2",
        "request":{"method":"POST","url":"https://x.test/a","url":"https://x.test/b"},
        "response":{"responseCode":200,"responseCode":502}}}"#;
    let ev = parse_delivery(body.as_bytes(), arrival).unwrap().remove(0);
    let last_wins = ev.call_sid.as_ref().map(twimon::domain::CallSid::as_str) == Some("CA2")
        && ev.url() == "https://x.test/b"
        && ev.response_code == Some(502);
    assert!(ev.invalid.is_some() || last_wins, "{ev:?}");
}

// ---------------------------------------------------------------------------------------------
// Property tests

fn pipeline(body: &[u8]) {
    let Ok(events) = parse_delivery(body, ARRIVAL.parse().unwrap()) else {
        return;
    };
    let mut keyed = Vec::new();
    for ev in events {
        if let Some(b) = ev.response_body() {
            let d = twiml::decode(&b);
            let _ = (d.problem(), d.verbs_summary(), d.is_twiml());
            for l in &d.lines {
                let _ = l.plain();
            }
        }
        let v = json_value(&ev);
        let _: Value = serde_json::from_str(&v.to_string()).unwrap();
        let key = ev.dedup_key();
        keyed.push((ev, key));
    }
    render_all(keyed, (120, 40));
}

fn hostile_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        3 => any::<char>(),
        3 => proptest::sample::select(vec![
            '\u{0}', '\u{7}', '\u{8}', '\t', '\n', '\r', '\u{1b}', '\u{7f}', '\u{85}', '\u{9b}',
            '\u{9d}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{202a}', '\u{202e}', '\u{2066}',
            '\u{2069}', '\u{feff}', '\u{fffd}', '<', '>', '&', ';', '"', '\\', '[', ']', '/',
            '界', '🦀', '\u{301}',
        ]),
    ]
}

fn hostile_string() -> BoxedStrategy<String> {
    proptest::collection::vec(hostile_char(), 0..20)
        .prop_map(|v| v.into_iter().collect())
        .boxed()
}

fn leaf() -> BoxedStrategy<Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        hostile_string().prop_map(Value::from),
    ]
    .boxed()
}

/// A JSON value of any shape, a few levels deep.
fn anything() -> BoxedStrategy<Value> {
    leaf()
        .prop_recursive(3, 12, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map(hostile_string(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
        .boxed()
}

/// Usually the expected type, sometimes anything, sometimes absent.
fn field(typical: impl Strategy<Value = Value> + 'static) -> BoxedStrategy<Option<Value>> {
    proptest::option::weighted(0.85, prop_oneof![4 => typical, 1 => anything()]).boxed()
}

fn twiml_text() -> impl Strategy<Value = String> {
    (
        hostile_string(),
        hostile_string(),
        hostile_string(),
        0usize..4,
    )
        .prop_map(|(a, b, c, shape)| match shape {
            0 => format!(
                "<Response><Say>{a}</Say><Gather action=\"{b}\"><Say>{c}</Say></Gather></Response>"
            ),
            1 => {
                format!("<?xml version=\"1.0\"?><Response><{a}>{b}</{a}><![CDATA[{c}]]></Response>")
            }
            2 => format!("<Response><Dial>{a}<Number>{b}</Number></Dial><!--{c}--></Response>"),
            _ => format!("{a}<{b}>{c}"),
        })
}

fn response_body() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => twiml_text().prop_map(|t| Value::from(b64(t))),
        1 => proptest::collection::vec(any::<u8>(), 0..64).prop_map(|b| Value::from(b64(b))),
        1 => hostile_string().prop_map(Value::from),
    ]
    .boxed()
}

fn str_from(options: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![
        proptest::sample::select(options).prop_map(Value::from),
        hostile_string().prop_map(Value::from),
    ]
    .boxed()
}

fn insert(map: &mut serde_json::Map<String, Value>, key: &str, value: Option<Value>) {
    if let Some(v) = value {
        map.insert(key.to_owned(), v);
    }
}

fn data_object() -> BoxedStrategy<Value> {
    let request = (
        field(str_from(&["POST", "GET"])),
        field(str_from(&["https://x.test/menu", "/relative"])),
        field(
            proptest::collection::btree_map(
                prop_oneof![
                    proptest::sample::select(
                        &["CallSid", "Digits", "From", "To", "DialCallStatus"][..]
                    )
                    .prop_map(str::to_owned),
                    hostile_string(),
                ],
                leaf(),
                0..5,
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ),
    )
        .prop_map(|(method, url, params)| {
            let mut m = serde_json::Map::new();
            insert(&mut m, "method", method);
            insert(&mut m, "url", url);
            insert(&mut m, "parameters", params);
            Value::Object(m)
        })
        .boxed();
    let response = (
        field(prop_oneof![any::<u16>().prop_map(Value::from), leaf()]),
        field(prop_oneof![any::<u32>().prop_map(Value::from), leaf()]),
        field(str_from(&["application/xml", "text/html"])),
        field(response_body()),
    )
        .prop_map(|(code, dur, ct, body)| {
            let mut m = serde_json::Map::new();
            insert(&mut m, "responseCode", code);
            insert(&mut m, "requestDuration", dur);
            insert(&mut m, "contentType", ct);
            insert(&mut m, "responseBody", body);
            Value::Object(m)
        })
        .boxed();
    (
        field(str_from(&["CA00000000000000000000000000000001", "CA2"])),
        field(str_from(&["2026-11-28T11:59:58Z", "99999-01-01T00:00:00Z"])),
        field(str_from(&["Sun, 24 Aug 2025 13:49:54 +0000"])),
        field(request),
        field(response),
        field(hostile_string().prop_map(Value::from)),
    )
        .prop_map(|(sid, ts, rdc, request, response, test_id)| {
            let mut m = serde_json::Map::new();
            insert(&mut m, "sid", sid);
            insert(&mut m, "timestamp", ts);
            insert(&mut m, "requestDateCreated", rdc);
            insert(&mut m, "request", request);
            insert(&mut m, "response", response);
            insert(&mut m, "test_id", test_id);
            Value::Object(m)
        })
        .boxed()
}

fn cloud_event() -> BoxedStrategy<Value> {
    let types = &[
        "com.twilio.voice.twiml.call.requested",
        "com.twilio.voice.twiml.gather.finished",
        "com.twilio.voice.twiml.dial.finished",
        "com.twilio.voice.twiml.request.failed",
        "com.twilio.eventstreams.test-event",
        "com.twilio.voice.twiml.x",
    ];
    (
        field(str_from(types)),
        field(hostile_string().prop_map(Value::from)),
        field(str_from(&[
            "/2010-04-01/Accounts/AC1/Calls/CA1.json",
            "Sink",
        ])),
        field(str_from(&["2026-11-28T11:59:58.250Z", ""])),
        field(prop_oneof![
            3 => data_object(),
            1 => data_object().prop_map(|d| Value::from(d.to_string())),
        ]),
    )
        .prop_map(|(ty, id, source, time, data)| {
            let mut m = serde_json::Map::new();
            m.insert("specversion".into(), "1.0".into());
            insert(&mut m, "type", ty);
            insert(&mut m, "id", id);
            insert(&mut m, "source", source);
            insert(&mut m, "time", time);
            insert(&mut m, "data", data);
            Value::Object(m)
        })
        .boxed()
}

fn delivery_body() -> BoxedStrategy<String> {
    prop_oneof![
        3 => proptest::collection::vec(prop_oneof![4 => cloud_event(), 1 => anything()], 0..4)
            .prop_map(|v| Value::Array(v).to_string()),
        1 => cloud_event().prop_map(|v| v.to_string()),
    ]
    .boxed()
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        pipeline(&body);
    }

    #[test]
    fn bytes_after_an_open_bracket_never_panic(
        body in proptest::collection::vec(any::<u8>(), 0..256),
    ) {
        pipeline(&[b"[{\"type\":\"t\",\"id\":\"".as_slice(), &body].concat());
    }

    #[test]
    fn cloudevent_shaped_json_never_panics_and_stays_terminal_safe(body in delivery_body()) {
        pipeline(body.as_bytes());
    }

    #[test]
    fn cut_cloudevent_json_never_panics(
        body in delivery_body(),
        cut in any::<prop::sample::Index>(),
    ) {
        let bytes = body.as_bytes();
        pipeline(&bytes[..cut.index(bytes.len() + 1)]);
    }
}
