//! Classic voice webhooks and status callbacks (form-encoded) over real HTTP on loopback:
//! signed the form way through a tunnel-style Host header, ordered on the call's timeline by
//! `SequenceNumber`, refused without a `CallSid`, recorded and replayed.

use std::time::Duration;

use twimon::app::App;
use twimon::domain::{CallSid, EventKind, Signature, TimeSource};
use twimon::source::listen::Config;
use twimon::source::listen::{Listener, start as start_listener};
use twimon::source::replay::start as start_replay;
use twimon::source::signature::compute;
use twimon::source::{Delivery, signature::Verifier};

const TOKEN: &str = "12345";
const CALL: &str = "CAf00d0000000000000000000000000001";
const STAMP: &str = "Tue, 10 Feb 2026 14:03:07 +0000";

async fn listen(config: Config) -> Listener {
    start_listener("127.0.0.1:0", config).await.unwrap()
}

async fn recv(l: &mut Listener) -> Delivery {
    tokio::time::timeout(Duration::from_secs(10), l.rx.recv())
        .await
        .unwrap()
        .unwrap()
}

fn with_token() -> Config {
    Config {
        verifier: Verifier::new(Some(TOKEN.into()), None),
        ..Config::default()
    }
}

/// `application/x-www-form-urlencoded` as Twilio writes it: space as `+`, the rest escaped.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A status callback of `CALL` with `status` and `sequence`, as (decoded pairs, body).
fn callback(status: &str, sequence: u32) -> (Vec<(String, String)>, String) {
    let mut params: Vec<(String, String)> = [
        ("AccountSid", "AC0000000000000000000000000000000a"),
        ("ApiVersion", "2010-04-01"),
        ("CallSid", CALL),
        ("CallStatus", status),
        ("Called", "+18005550199"),
        ("Caller", "+14155550100"),
        ("Direction", "inbound"),
        ("From", "+14155550100"),
        ("To", "+18005550199"),
        ("Timestamp", STAMP),
        ("CallbackSource", "call-progress-events"),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect();
    params.push(("SequenceNumber".into(), sequence.to_string()));
    if status == "completed" {
        params.push(("CallDuration".into(), "33".into()));
    }
    let body = params
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&");
    (params, body)
}

/// Posts a form body to `/status` through a tunnel at `https://abc.tunnel.test`, signed over
/// `signed` (the form params) with `token`.
async fn post_form(
    l: &Listener,
    body: &str,
    signed: &[(String, String)],
    token: &str,
) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("http://{}/status", l.addr))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("host", "abc.tunnel.test")
        .header("x-forwarded-proto", "https")
        .header(
            "x-twilio-signature",
            compute(token, "https://abc.tunnel.test/status", signed),
        )
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

const OUT_OF_ORDER: [(&str, u32); 3] = [("completed", 2), ("ringing", 0), ("in-progress", 1)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_status_callbacks_land_on_the_call_in_sequence_order() {
    let mut l = listen(with_token()).await;
    let mut app = App::new(100);
    for (status, seq) in OUT_OF_ORDER {
        let (params, body) = callback(status, seq);
        let resp = post_form(&l, &body, &params, TOKEN).await;
        assert_eq!(resp.status(), 200);
        let answer: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(answer["accepted"], 1);
        let d = recv(&mut l).await;
        assert_eq!(d.events.len(), 1);
        let ev = &d.events[0];
        assert_eq!(ev.signature, Signature::Valid, "{status}");
        assert_eq!(ev.kind, EventKind::StatusCallback);
        assert_eq!(ev.sequence, Some(seq));
        assert_eq!(ev.time_source, TimeSource::FormTimestamp);
        assert_eq!(ev.url(), "https://abc.tunnel.test/status");
        assert_eq!(ev.parameter("From").as_deref(), Some("+14155550100"));
        assert!(!twimon::store::is_problem(ev));
        app.ingest(d);
    }
    // All three share one second: SequenceNumber orders them, not arrival.
    let statuses: Vec<String> = app
        .call_steps(&CallSid(CALL.into()))
        .into_iter()
        .filter_map(|s| app.store.get(s))
        .filter_map(|e| e.parameter("CallStatus"))
        .collect();
    assert_eq!(statuses, ["ringing", "in-progress", "completed"]);

    // A redelivery is a duplicate of the original.
    let (params, body) = callback("ringing", 0);
    let resp = post_form(&l, &body, &params, TOKEN).await;
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (answer["accepted"].as_u64(), answer["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let _ = recv(&mut l).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unusable_form_bodies() {
    let mut l = listen(with_token()).await;
    // Signed with another token.
    let (params, body) = callback("ringing", 0);
    let resp = post_form(&l, &body, &params, "wrong").await;
    assert_eq!(resp.status(), 200);
    let d = recv(&mut l).await;
    assert_eq!(d.events[0].signature, Signature::Invalid);
    assert!(twimon::store::is_problem(&d.events[0]));
    // Signed right, but the body says something else.
    let (_, forged) = callback("failed", 1);
    let resp = post_form(&l, &forged, &params, TOKEN).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(recv(&mut l).await.events[0].signature, Signature::Invalid);

    // No CallSid: not a Twilio callback.
    let nothing = vec![("Foo".to_owned(), "bar".to_owned())];
    let resp = post_form(&l, "Foo=bar", &nothing, TOKEN).await;
    assert_eq!(resp.status(), 400);
    let answer: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(answer["error"], "not_a_callback");
    assert!(answer["message"].as_str().unwrap().contains("CallSid"));
    assert!(l.rx.try_recv().is_err());

    // `failed` counts as a problem; `busy` is how a call ends.
    for (status, problem) in [("failed", true), ("busy", false)] {
        let (params, body) = callback(status, 2);
        assert_eq!(post_form(&l, &body, &params, TOKEN).await.status(), 200);
        let d = recv(&mut l).await;
        assert_eq!(d.events[0].signature, Signature::Valid);
        assert_eq!(twimon::store::is_problem(&d.events[0]), problem, "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_form_callbacks_replay_as_the_same_events() {
    let path = std::env::temp_dir().join(format!("twimon-callbacks-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut l = listen(Config {
        record: Some(path.clone()),
        ..with_token()
    })
    .await;
    let mut live = Vec::new();
    for (status, seq) in OUT_OF_ORDER.into_iter().chain([("ringing", 0)]) {
        let (params, body) = callback(status, seq);
        assert_eq!(post_form(&l, &body, &params, TOKEN).await.status(), 200);
        live.push(recv(&mut l).await);
    }
    // JSON deliveries share the recording unchanged.
    let json = include_str!("../assets/samples/flows/ivr-sales-call.json");
    let resp = reqwest::Client::new()
        .post(l.url())
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    live.push(recv(&mut l).await);

    let mut replay = start_replay(&path, 1000).unwrap();
    let mut replayed = Vec::new();
    while let Some(d) = tokio::time::timeout(Duration::from_secs(10), replay.rx.recv())
        .await
        .unwrap()
    {
        replayed.push(d);
    }
    let summary = |ds: &[Delivery]| {
        ds.iter()
            .map(|d| {
                let evs: Vec<_> = d
                    .events
                    .iter()
                    .map(|e| {
                        (
                            e.kind,
                            e.raw.clone(),
                            e.time,
                            e.time_source,
                            e.arrival,
                            e.call_sid.clone(),
                            e.sequence,
                            e.signature,
                        )
                    })
                    .collect();
                (evs, d.duplicates.len())
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(summary(&live), summary(&replayed));
    assert_eq!(live[3].duplicates.len(), 1);
    assert!(
        replayed
            .iter()
            .take(3)
            .flat_map(|d| &d.events)
            .all(|e| e.kind == EventKind::StatusCallback && e.signature == Signature::Valid)
    );
    let _ = std::fs::remove_file(&path);
}
