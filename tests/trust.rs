//! Trust and delivery semantics over real HTTP on loopback: signatures through a tunnel-style
//! Host header, --require-signature, recording before acknowledging, and replay.

use std::time::Duration;

use twimon::domain::Signature;
use twimon::ingest::signature::{body_sha256_hex, compute};
use twimon::ingest::{Config, Delivery, signature::Verifier};
use twimon::run::{Listener, start_listener, start_replay};

const TOKEN: &str = "12345";

/// Per delivery: (type, id, time, arrival) of each event, and the number of duplicates.
type Summary = Vec<(Vec<(String, String, String, String)>, usize)>;
const BODY: &str = include_str!("../assets/samples/flows/ivr-sales-call.json");

async fn listen(config: Config) -> Listener {
    start_listener("127.0.0.1:0", config).await.unwrap()
}

async fn recv(l: &mut Listener) -> Delivery {
    tokio::time::timeout(Duration::from_secs(10), l.rx.recv())
        .await
        .unwrap()
        .unwrap()
}

/// Posts `body` to `path` as Twilio would through a tunnel at `https://abc.tunnel.test`,
/// signed with `token` (None = unsigned).
async fn post_via_tunnel(
    l: &Listener,
    path_and_query: &str,
    body: &str,
    token: Option<&str>,
) -> reqwest::Response {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}{path_and_query}", l.addr))
        .header("content-type", "application/json")
        .header("host", "abc.tunnel.test")
        .header("x-forwarded-proto", "https")
        .body(body.to_owned());
    if let Some(t) = token {
        let url = format!("https://abc.tunnel.test{path_and_query}");
        req = req.header("x-twilio-signature", compute(t, &url, &[]));
    }
    req.send().await.unwrap()
}

fn signed_path(body: &str) -> String {
    format!("/hook?bodySHA256={}", body_sha256_hex(body.as_bytes()))
}

fn with_token(require: bool) -> Config {
    Config {
        verifier: Verifier::new(Some(TOKEN.into()), None),
        require_signature: require,
        ..Config::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signed_delivery_through_a_tunnel_is_valid() {
    let mut l = listen(with_token(false)).await;
    let resp = post_via_tunnel(&l, &signed_path(BODY), BODY, Some(TOKEN)).await;
    assert_eq!(resp.status(), 200);
    let d = recv(&mut l).await;
    assert_eq!(d.events.len(), 5);
    assert!(d.events.iter().all(|e| e.signature == Signature::Valid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_body_and_wrong_token_are_invalid_but_kept() {
    let mut l = listen(with_token(false)).await;
    // The signature covers the URL with the original body's hash; the body was swapped.
    let forged = BODY.replace("Digits", "Digitz");
    let resp = post_via_tunnel(&l, &signed_path(BODY), &forged, Some(TOKEN)).await;
    assert_eq!(resp.status(), 200);
    let d = recv(&mut l).await;
    assert!(d.events.iter().all(|e| e.signature == Signature::Invalid));
    assert!(d.events.iter().all(twimon::store::is_problem));

    let other = BODY.replace("2026", "2025");
    let resp = post_via_tunnel(&l, &signed_path(&other), &other, Some("wrong")).await;
    assert_eq!(resp.status(), 200);
    assert!(
        recv(&mut l)
            .await
            .events
            .iter()
            .all(|e| e.signature == Signature::Invalid)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn require_signature_refuses_and_counts() {
    let mut l = listen(with_token(true)).await;
    let resp = post_via_tunnel(&l, &signed_path(BODY), BODY, None).await;
    assert_eq!(resp.status(), 403);
    let forged = BODY.replace("Digits", "Digitz");
    let resp = post_via_tunnel(&l, &signed_path(BODY), &forged, Some(TOKEN)).await;
    assert_eq!(resp.status(), 403);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"], "bad_signature");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("bodySHA256 mismatch")
    );
    // Nothing reached the consumer; the good one does.
    let resp = post_via_tunnel(&l, &signed_path(BODY), BODY, Some(TOKEN)).await;
    assert_eq!(resp.status(), 200);
    assert!(
        recv(&mut l)
            .await
            .events
            .iter()
            .all(|e| e.signature == Signature::Valid)
    );
    assert!(l.rx.try_recv().is_err());
    let health: serde_json::Value = reqwest::get(format!("{}healthz", l.url()))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(health["forbidden"], 2);
    assert_eq!(health["events"], 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_token_everything_is_unchecked() {
    let mut l = listen(Config::default()).await;
    let resp = post_via_tunnel(&l, "/", BODY, None).await;
    assert_eq!(resp.status(), 200);
    assert!(
        recv(&mut l)
            .await
            .events
            .iter()
            .all(|e| e.signature == Signature::Unchecked)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recording_that_cannot_be_written_gets_503_and_keeps_nothing() {
    let mut l = listen(Config {
        record: Some("/dev/full".into()),
        ..Config::default()
    })
    .await;
    let resp = post_via_tunnel(&l, "/", BODY, None).await;
    assert_eq!(resp.status(), 503);
    assert!(resp.headers().contains_key("retry-after"));
    assert!(l.rx.try_recv().is_err());
    let err = l.stats.last_record_error.lock().unwrap().clone().unwrap();
    assert!(err.contains("/dev/full"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_gives_the_live_events_in_the_live_order() {
    let path = std::env::temp_dir().join(format!("twimon-trust-{}.ndjson", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let mut l = listen(Config {
        record: Some(path.clone()),
        ..with_token(false)
    })
    .await;
    let mut live = Vec::new();
    let samples =
        twimon::send::collect(&[concat!(env!("CARGO_MANIFEST_DIR"), "/assets/samples").into()])
            .unwrap();
    let client = reqwest::Client::new();
    // Sixteen concurrent senders, each file twice (so duplicates are recorded too).
    let mut tasks = Vec::new();
    for (i, f) in samples.iter().chain(samples.iter()).enumerate() {
        let body = std::fs::read_to_string(f).unwrap();
        let (client, url) = (client.clone(), format!("{}hook?n={i}", l.url()));
        tasks.push(tokio::spawn(async move {
            client
                .post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }));
    }
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
    while let Ok(d) = l.rx.try_recv() {
        live.push(d);
    }
    let mut replay = start_replay(&path, 100_000).unwrap();
    let mut replayed = Vec::new();
    while let Some(d) = tokio::time::timeout(Duration::from_secs(10), replay.rx.recv())
        .await
        .unwrap()
    {
        replayed.push(d);
    }
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
    assert_eq!(live.iter().map(|d| d.duplicates.len()).sum::<usize>(), 24);
    assert!(
        replayed
            .iter()
            .flat_map(|d| &d.events)
            .all(|e| e.signature == Signature::Unsigned)
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_recording_line_becomes_an_invalid_event() {
    let path = std::env::temp_dir().join(format!("twimon-badrec-{}.ndjson", std::process::id()));
    std::fs::write(&path, "{\"not\": \"a record\"}\n").unwrap();
    let mut replay = start_replay(&path, 10).unwrap();
    let d = tokio::time::timeout(Duration::from_secs(10), replay.rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(d.events.len(), 1);
    assert!(
        d.events[0]
            .invalid
            .as_deref()
            .unwrap()
            .contains("recording line 1")
    );
    let _ = std::fs::remove_file(&path);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_events_deduplicate_on_test_id_not_on_id() {
    let mut l = listen(Config::default()).await;
    let test_event = |test_id: &str| {
        format!(
            r#"[{{"specversion":"1.0","type":"com.twilio.eventstreams.test-event","source":"Sink","id":"AC11111111111111111111111111111111","time":"2026-06-10T06:02:54.377Z","data":"{{\"test_id\":\"{test_id}\"}}"}}]"#
        )
    };
    let client = reqwest::Client::new();
    for (body, accepted, dups) in [
        (test_event("a"), 1, 0),
        (test_event("b"), 1, 0),
        (test_event("a"), 0, 1),
    ] {
        let r: serde_json::Value = client
            .post(l.url())
            .body(body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
async fn a_client_that_stalls_mid_body_gets_408_and_is_let_go() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut l = listen(Config {
        body_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    let mut slow = tokio::net::TcpStream::connect(l.addr).await.unwrap();
    slow.write_all(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{")
        .await
        .unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), slow.read_to_end(&mut answer))
        .await
        .expect("the server lets a stalled client go")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("body_timeout"), "{answer}");
    assert!(l.rx.try_recv().is_err());
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
