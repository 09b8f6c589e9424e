//! Trust and delivery semantics over real HTTP on loopback: signatures through a tunnel-style
//! Host header, `--require-signature`, duplicates (at-least-once delivery), recording before
//! acknowledging, and replay. Form callbacks have their own file: tests/callbacks.rs.

mod common;

use common::fixtures::IVR as BODY;
use common::http::{Reply, TUNNEL};
use common::http::{
    TOKEN, assert_channel_empty, batch, client, counts, health, listen, listen_recording, post,
    post_to, post_via_tunnel, post_with, recv, replay_all, with_token,
};
use common::samples::{sample_files, samples_dir};
use common::temp::TempDir;
use reqwest::StatusCode;
use std::time::Duration;
use twimon::domain::Signature;
use twimon::source::Delivery;
use twimon::source::listen::{Config, Listener};
use twimon::source::replay::start as start_replay;
use twimon::source::signature::{Algorithm, Verifier, body_sha256_hex, compute, compute_with};

/// Per delivery: (type, id, time, arrival) of each event, and the number of duplicates.
type Summary = Vec<(Vec<(String, String, String, String)>, usize)>;

const JSON: &str = "application/json";

fn signed_path(body: &str) -> String {
    format!("/hook?bodySHA256={}", body_sha256_hex(body.as_bytes()))
}

/// Posts a JSON body through the tunnel to `path_and_query`, signed with `token`.
async fn post_json_via_tunnel(
    l: &Listener,
    path_and_query: &str,
    body: &str,
    token: Option<&str>,
) -> common::http::Reply {
    post_via_tunnel(l, path_and_query, JSON, body, token.map(|t| (t, &[][..]))).await
}

/// Every event of the next delivery got `verdict`.
async fn assert_next_signed(l: &mut Listener, verdict: Signature) {
    let d = recv(l).await;
    assert!(
        d.events.iter().all(|e| e.signature == verdict),
        "{:?}, not all {verdict:?}",
        d.events.iter().map(|e| e.signature).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_delivery_through_a_tunnel_is_valid() {
    let mut l = listen(with_token(false)).await;
    let resp = post_json_via_tunnel(&l, &signed_path(BODY), BODY, Some(TOKEN)).await;
    assert_eq!(resp.status, 200);
    let d = recv(&mut l).await;
    assert_eq!(d.events.len(), 5);
    assert!(d.events.iter().all(|e| e.signature == Signature::Valid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_body_and_wrong_token_are_invalid_but_kept() {
    let mut l = listen(with_token(false)).await;
    // The signature covers the URL with the original body's hash; the body was swapped.
    let forged = BODY.replace("Digits", "Digitz");
    let resp = post_json_via_tunnel(&l, &signed_path(BODY), &forged, Some(TOKEN)).await;
    assert_eq!(resp.status, 200);
    let d = recv(&mut l).await;
    assert!(d.events.iter().all(|e| e.signature == Signature::Invalid));
    assert!(d.events.iter().all(twimon::store::is_problem));

    let other = BODY.replace("2026", "2025");
    let resp = post_json_via_tunnel(&l, &signed_path(&other), &other, Some("wrong")).await;
    assert_eq!(resp.status, 200);
    assert_next_signed(&mut l, Signature::Invalid).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_signature_refuses_and_counts() {
    let mut l = listen(with_token(true)).await;
    let resp = post_json_via_tunnel(&l, &signed_path(BODY), BODY, None).await;
    assert_eq!(resp.status, 403);
    let forged = BODY.replace("Digits", "Digitz");
    let resp = post_json_via_tunnel(&l, &signed_path(BODY), &forged, Some(TOKEN)).await;
    assert_eq!(resp.status, 403);
    assert_eq!(resp.json["error"], "bad_signature");
    assert!(
        resp.json["message"]
            .as_str()
            .unwrap()
            .contains("bodySHA256 mismatch")
    );
    // Nothing reached the consumer; the good one does.
    let resp = post_json_via_tunnel(&l, &signed_path(BODY), BODY, Some(TOKEN)).await;
    assert_eq!(resp.status, 200);
    assert_next_signed(&mut l, Signature::Valid).await;
    assert_channel_empty(&mut l, "after the refused deliveries");
    let health = health(&l).await;
    assert_eq!(health["forbidden"], 2);
    assert_eq!(health["events"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_everything_is_unchecked() {
    let mut l = listen(Config::default()).await;
    let resp = post_json_via_tunnel(&l, "/", BODY, None).await;
    assert_eq!(resp.status, 200);
    assert_next_signed(&mut l, Signature::Unchecked).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_delivery_is_a_duplicate() {
    let mut listener = listen(Config::default()).await;
    let body = batch(&["dup-1"]);

    let reply = post(&listener, body.clone()).await;
    assert_eq!(reply.json, counts(1, 0, 0));
    let first = recv(&mut listener).await;
    let key = first.keys[0].expect("a valid event has a key");
    assert_eq!(first.events[0].dedup_key(), Some(key));
    let keys = |d: &Delivery| -> Vec<u128> { d.duplicates.iter().map(|d| d.key).collect() };
    assert!(first.events[0].call_sid.is_some(), "a call's event");

    let reply = post(&listener, body.clone()).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, counts(0, 1, 0));
    let second = recv(&mut listener).await;
    assert!(second.events.is_empty(), "no new event: {second:?}");
    assert!(second.keys.is_empty());
    assert_eq!(keys(&second), vec![key], "the consumer learns which one");
    assert_eq!(
        second.duplicates[0].call, first.events[0].call_sid,
        "and the call to find it in"
    );
    assert_channel_empty(&mut listener, "after the duplicates");

    // A batch mixing the old event with a new one keeps only the new one.
    let reply = post(&listener, batch(&["dup-2", "dup-1"])).await;
    assert_eq!(reply.json, counts(1, 1, 0));
    let third = recv(&mut listener).await;
    assert_eq!(third.events.len(), 1);
    assert_eq!(third.events[0].id(), "dup-2");
    assert_eq!(keys(&third), vec![key]);

    // The same event twice in one body is a duplicate too.
    let reply = post(&listener, batch(&["dup-3", "dup-3"])).await;
    assert_eq!(reply.json, counts(1, 1, 0));
    let fourth = recv(&mut listener).await;
    assert_eq!(fourth.events.len(), 1);
    assert_eq!(keys(&fourth), vec![fourth.keys[0].unwrap()]);
    assert_channel_empty(&mut listener, "after the duplicates");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_events_deduplicate_on_test_id_not_on_id() {
    let mut l = listen(Config::default()).await;
    let test_event = |test_id: &str| {
        format!(
            r#"[{{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","time":"2026-06-10T06:02:54.377Z","data":"{{\"test_id\":\"{test_id}\"}}"}}]"#
        )
    };
    for (body, accepted, dups) in [
        (test_event("a"), 1, 0),
        (test_event("b"), 1, 0),
        (test_event("a"), 0, 1),
    ] {
        let r = post_to(&l.url(), None, body).await.json;
        assert_eq!(
            (r["accepted"].as_u64(), r["duplicates"].as_u64()),
            (Some(accepted), Some(dups))
        );
    }
    assert_eq!(recv(&mut l).await.events.len(), 1);
    assert_eq!(recv(&mut l).await.events.len(), 1);
    assert_eq!(recv(&mut l).await.duplicates.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_that_cannot_be_written_gets_503_and_keeps_nothing() {
    let mut l = listen(Config {
        record: Some("/dev/full".into()),
        ..Config::default()
    })
    .await;
    let resp = post_json_via_tunnel(&l, "/", BODY, None).await;
    assert_eq!(resp.status, 503);
    assert!(resp.headers.contains_key("retry-after"));
    assert_channel_empty(&mut l, "after the unrecorded delivery");
    let err = l.stats.last_record_error.lock().unwrap().clone().unwrap();
    assert!(err.contains("/dev/full"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_gives_the_live_events_in_the_live_order() {
    let dir = TempDir::new("trust");
    let (mut l, path) = listen_recording(with_token(false), &dir).await;
    let mut live = Vec::new();
    let samples = sample_files(&samples_dir());
    let client = client();
    // Concurrent senders, each file twice (so duplicates are recorded too).
    let mut tasks = Vec::new();
    for (i, f) in samples.iter().chain(samples.iter()).enumerate() {
        let body = std::fs::read_to_string(f).unwrap();
        let (client, url) = (client.clone(), format!("{}hook?n={i}", l.url()));
        tasks.push(tokio::spawn(async move {
            post_with(&client, &url, Some(JSON), body).await.status
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    while let Ok(d) = l.rx.try_recv() {
        live.push(d);
    }
    let replayed = replay_all(&path, 100_000).await;
    let summary = |ds: &[Delivery]| -> Summary {
        ds.iter()
            .map(|d| {
                let evs = d
                    .events
                    .iter()
                    .map(|e| {
                        (
                            e.type_name().to_string(),
                            e.id().to_string(),
                            e.time.to_string(),
                            e.arrival.to_string(),
                        )
                    })
                    .collect();
                (evs, d.duplicates.len())
            })
            .collect()
    };
    assert_eq!(summary(&live), summary(&replayed));
    assert_eq!(live.iter().map(|d| d.duplicates.len()).sum::<usize>(), 49);
    assert!(
        replayed
            .iter()
            .flat_map(|d| &d.events)
            .all(|e| e.signature == Signature::Unsigned)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_recording_line_becomes_an_invalid_event() {
    let dir = TempDir::new("badrec");
    let path = dir.join("recording.ndjson");
    std::fs::write(&path, "{\"not\": \"a record\"}\n").unwrap();
    let replayed = replay_all(&path, 10).await;
    let d = replayed.first().expect("a delivery");
    assert_eq!(d.events.len(), 1);
    assert!(
        d.events[0]
            .invalid
            .as_deref()
            .unwrap()
            .contains("recording line 1")
    );
}

fn gzip(text: &str) -> Vec<u8> {
    use std::io::Write;
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(text.as_bytes()).unwrap();
    z.finish().unwrap()
}

/// A gzip delivery: bodySHA256 is over the bytes Twilio sent (the compressed ones), so that is
/// what the check hashes; the recording keeps the decoded body, and replays it.
#[tokio::test]
async fn a_gzip_delivery_is_verified_on_its_received_bytes_and_replays() {
    let path = std::env::temp_dir().join(format!("twimon-trust-gz-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut l = listen(Config {
        record: Some(path.clone()),
        ..with_token(false)
    })
    .await;
    let sent = gzip(BODY);
    let path_and_query = format!("/hook?bodySHA256={}", body_sha256_hex(&sent));
    let url = format!("https://abc.tunnel.test{path_and_query}");
    let resp = reqwest::Client::new()
        .post(format!("http://{}{path_and_query}", l.addr))
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .header("host", "abc.tunnel.test")
        .header("x-forwarded-proto", "https")
        .header("x-twilio-signature", compute(TOKEN, &url, &[]))
        .body(sent)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    let live = recv(&mut l).await;
    assert_eq!(live.events.len(), 5);
    assert!(live.events.iter().all(|e| e.signature == Signature::Valid));
    l.stop.send(true).unwrap();
    let _ = l.server.await;

    let mut replay = start_replay(&path, 1000).unwrap();
    let d = tokio::time::timeout(Duration::from_secs(10), replay.rx.recv())
        .await
        .unwrap()
        .expect("the recorded delivery");
    let ids = |d: &Delivery| {
        d.events
            .iter()
            .map(|e| e.id().to_owned())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&d), ids(&live));
    assert!(
        d.events
            .iter()
            .all(|e| e.signature == Signature::Valid && e.invalid.is_none())
    );
    let _ = std::fs::remove_file(&path);
}

/// Posts `body` through the tunnel signed with a shared key, as a Webhook Rule makes Twilio.
async fn post_shared_key(l: &Listener, body: &str, settings: &str, secret: &str) -> Reply {
    let path = signed_path(body);
    let algorithm = settings
        .split(',')
        .find_map(|p| p.trim().strip_prefix("algorithm="))
        .and_then(Algorithm::from_header)
        .unwrap_or(Algorithm::Sha1);
    let signature = compute_with(algorithm, secret, &format!("{TUNNEL}{path}"), &[]);
    let req = client()
        .post(format!("http://{}{path}", l.addr))
        .header("content-type", JSON)
        .header("host", TUNNEL.trim_start_matches("https://"))
        .header("x-forwarded-proto", "https")
        .header("x-twilio-signature", signature)
        .header("x-twilio-webhooks-signature-settings", settings)
        .body(body.to_owned());
    common::http::send(req).await
}

fn with_shared_key(require: bool) -> Config {
    Config {
        verifier: Verifier::new(Some(TOKEN.into()), None)
            .with_shared_secrets(["KS1=one", "KS2=two"]),
        require_signature: require,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_key_signatures_over_http_and_in_the_recording() {
    let dir = TempDir::new("sharedkey");
    let (mut l, path) = listen_recording(with_shared_key(false), &dir).await;
    let bodies: Vec<String> = (0..4).map(|i| batch(&[&format!("shared-{i}")])).collect();
    let cases = [
        ("key=KS1,algorithm=HMAC_SHA256", "one", Signature::Valid),
        ("key=KS2,algorithm=HMAC_SHA1", "two", Signature::Valid),
        (
            "key=KS3,algorithm=HMAC_SHA256",
            "three",
            Signature::Unverifiable,
        ),
        ("key=KS1,algorithm=HMAC_SHA3", "one", Signature::Invalid),
    ];
    for ((settings, secret, want), body) in cases.iter().zip(&bodies) {
        let resp = post_shared_key(&l, body, settings, secret).await;
        assert_eq!(resp.json, counts(1, 0, 0), "{settings}");
        assert_next_signed(&mut l, *want).await;
    }
    // The auth token still signs requests without the settings header.
    let body = batch(&["shared-token"]);
    let resp = post_json_via_tunnel(&l, &signed_path(&body), &body, Some(TOKEN)).await;
    assert_eq!(resp.json, counts(1, 0, 0));
    assert_next_signed(&mut l, Signature::Valid).await;

    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines[0]["signed_by"], "shared key KS1, HMAC-SHA256");
    assert_eq!(lines[1]["signed_by"], "shared key KS2, HMAC-SHA1");
    assert_eq!(lines[2]["signature"], "unverifiable");
    assert_eq!(
        lines[2]["signature_reason"],
        "cannot verify: no secret for key \"KS3\""
    );
    assert_eq!(
        lines[0]["headers"]["x-twilio-webhooks-signature-settings"],
        "key=KS1,algorithm=HMAC_SHA256"
    );
    assert_eq!(lines[4]["signed_by"], "auth token, HMAC-SHA1");
    let verdicts: Vec<Signature> = replay_all(&path, 100)
        .await
        .iter()
        .map(|d| d.events[0].signature)
        .collect();
    assert_eq!(
        verdicts,
        [
            Signature::Valid,
            Signature::Valid,
            Signature::Unverifiable,
            Signature::Invalid,
            Signature::Valid
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_signature_refuses_what_it_cannot_verify() {
    let mut l = listen(with_shared_key(true)).await;
    let resp = post_shared_key(&l, BODY, "key=KS9,algorithm=HMAC_SHA256", "nine").await;
    assert_eq!(resp.status, 403);
    let message = resp.json["message"].as_str().unwrap();
    assert!(
        message.contains("cannot verify: no secret for key"),
        "{message}"
    );
    let resp = post_shared_key(&l, BODY, "key=KS1,algorithm=HMAC_SHA512", "one").await;
    assert_eq!(resp.status, 403);
    let resp = post_shared_key(&l, BODY, "key=KS2,algorithm=HMAC_SHA256", "two").await;
    assert_eq!(resp.json, counts(5, 0, 0));
    assert_next_signed(&mut l, Signature::Valid).await;
    assert_channel_empty(&mut l, "after the refused deliveries");
    assert_eq!(health(&l).await["forbidden"], 2);
}
