//! Classic voice webhooks and status callbacks (form-encoded) over real HTTP on loopback:
//! signed the form way through a tunnel-style Host header, ordered on the call's timeline by
//! `SequenceNumber`, refused without a `CallSid`, recorded and replayed.

mod common;

use common::fixtures::IVR;
use common::http::{
    Reply, TOKEN, assert_channel_empty, form_encode, listen, listen_recording, post,
    post_via_tunnel, recv, replay_all, with_token,
};
use common::temp::TempDir;
use twimon::app::App;
use twimon::domain::{CallSid, EventKind, Signature, TimeSource};
use twimon::source::Delivery;
use twimon::source::listen::Listener;

const CALL: &str = "CAf00d0000000000000000000000000001";
const STAMP: &str = "Tue, 10 Feb 2026 14:03:07 +0000";

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
    let body = form_encode(&params);
    (params, body)
}

/// Posts a form body to `/status` through the tunnel, signed over `signed` (the form pairs)
/// with `token`.
async fn post_form(l: &Listener, body: &str, signed: &[(String, String)], token: &str) -> Reply {
    post_via_tunnel(
        l,
        "/status",
        "application/x-www-form-urlencoded",
        body,
        Some((token, signed)),
    )
    .await
}

const OUT_OF_ORDER: [(&str, u32); 3] = [("completed", 2), ("ringing", 0), ("in-progress", 1)];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_status_callbacks_land_on_the_call_in_sequence_order() {
    let mut l = listen(with_token(false)).await;
    let mut app = App::new(100);
    for (status, seq) in OUT_OF_ORDER {
        let (params, body) = callback(status, seq);
        let resp = post_form(&l, &body, &params, TOKEN).await;
        assert_eq!(resp.status, 200);
        let answer = resp.json;
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
    let answer = resp.json;
    assert_eq!(
        (answer["accepted"].as_u64(), answer["duplicates"].as_u64()),
        (Some(0), Some(1))
    );
    let _ = recv(&mut l).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_unusable_form_bodies() {
    let mut l = listen(with_token(false)).await;
    // Signed with another token.
    let (params, body) = callback("ringing", 0);
    let resp = post_form(&l, &body, &params, "wrong").await;
    assert_eq!(resp.status, 200);
    let d = recv(&mut l).await;
    assert_eq!(d.events[0].signature, Signature::Invalid);
    assert!(twimon::store::is_problem(&d.events[0]));
    // Signed right, but the body says something else.
    let (_, forged) = callback("failed", 1);
    let resp = post_form(&l, &forged, &params, TOKEN).await;
    assert_eq!(resp.status, 200);
    assert_eq!(recv(&mut l).await.events[0].signature, Signature::Invalid);

    // No CallSid: not a Twilio callback.
    let nothing = vec![("Foo".to_owned(), "bar".to_owned())];
    let resp = post_form(&l, "Foo=bar", &nothing, TOKEN).await;
    assert_eq!(resp.status, 400);
    let answer = resp.json;
    assert_eq!(answer["error"], "not_a_callback");
    assert!(answer["message"].as_str().unwrap().contains("CallSid"));
    assert_channel_empty(&mut l, "after the refused form");

    // `failed` counts as a problem; `busy` is how a call ends.
    for (status, problem) in [("failed", true), ("busy", false)] {
        let (params, body) = callback(status, 2);
        assert_eq!(post_form(&l, &body, &params, TOKEN).await.status, 200);
        let d = recv(&mut l).await;
        assert_eq!(d.events[0].signature, Signature::Valid);
        assert_eq!(twimon::store::is_problem(&d.events[0]), problem, "{status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recorded_form_callbacks_replay_as_the_same_events() {
    let dir = TempDir::new("callbacks");
    let (mut l, path) = listen_recording(with_token(false), &dir).await;
    let mut live = Vec::new();
    for (status, seq) in OUT_OF_ORDER.into_iter().chain([("ringing", 0)]) {
        let (params, body) = callback(status, seq);
        assert_eq!(post_form(&l, &body, &params, TOKEN).await.status, 200);
        live.push(recv(&mut l).await);
    }
    // JSON deliveries share the recording unchanged.
    let resp = post(&l, IVR).await;
    assert_eq!(resp.status, 200);
    live.push(recv(&mut l).await);

    let replayed = replay_all(&path, 1000).await;
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
}
