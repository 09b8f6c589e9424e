//! The listener's protocol over real HTTP on 127.0.0.1: what each kind of delivery gets back
//! (status codes, content types, body limits, time-outs, back-pressure, `/healthz`), and what
//! reaches the consumer's channel. Signatures, duplicates and recordings: tests/trust.rs.

mod common;

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::time::Duration;

use common::http::{
    GUARD, assert_channel_empty, batch, client, counts, event, get, listen, post, post_to, recv,
};
use common::samples::{elements, sample_files, samples_dir, type_and_id};
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, RETRY_AFTER};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use twimon::domain::EventKind;
use twimon::source::CHANNEL_CAPACITY;
use twimon::source::listen::{Config, DEFAULT_BODY_LIMIT};

/// A hand-written HTTP/1.1 POST with a chunked body (reqwest here has no streaming bodies).
/// Returns the status and the JSON body of the answer.
async fn post_chunked(addr: SocketAddr, chunks: &[&[u8]]) -> (u16, Value) {
    let mut request = b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
        Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        .to_vec();
    for chunk in chunks {
        request.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
        request.extend_from_slice(chunk);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    raw_exchange(addr, &request).await
}

/// Writes `request` and reads the answer until the server closes. A server that stops reading
/// early (a refused body) may make the write fail; the answer is what counts.
async fn raw_exchange(addr: SocketAddr, request: &[u8]) -> (u16, Value) {
    tokio::time::timeout(GUARD, async {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        let (mut reader, mut writer) = stream.split();
        let write = async {
            let _ = writer.write_all(request).await;
            let _ = writer.flush().await;
        };
        let read = async {
            let mut answer = Vec::new();
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => answer.extend_from_slice(&buf[..n]),
                }
            }
            answer
        };
        let ((), answer) = tokio::join!(write, read);
        parse_raw_answer(&answer)
    })
    .await
    .expect("an answer within the guard time")
}

fn parse_raw_answer(answer: &[u8]) -> (u16, Value) {
    let text = String::from_utf8_lossy(answer);
    let (head, body) = text
        .split_once("\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete HTTP answer: {text:?}"));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {head:?}"));
    let json =
        serde_json::from_str(body).unwrap_or_else(|e| panic!("body is not JSON ({e}): {body:?}"));
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_file_is_accepted_and_every_event_arrives() {
    let mut listener = listen(Config::default()).await;
    let files = sample_files(&samples_dir());
    assert_eq!(
        files.len(),
        20,
        "8 events + 2 flows + 2 family flows + 8 seed files"
    );
    let mut sent = BTreeSet::new();
    let mut received = BTreeSet::new();
    let mut total = 0;
    for path in &files {
        let body = std::fs::read(path).unwrap();
        let expected: Vec<(String, String)> = elements(&body).iter().map(type_and_id).collect();
        let n = expected.len();
        let reply = post(&listener, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", path.display());
        assert_eq!(reply.json, counts(n, 0, 0), "{}", path.display());

        let d = recv(&mut listener).await;
        let got: Vec<(String, String)> = d
            .events
            .iter()
            .map(|e| (e.type_name().to_string(), e.id().to_string()))
            .collect();
        assert_eq!(
            got,
            expected,
            "{}: the events, in body order",
            path.display()
        );
        assert!(d.events.iter().all(|e| e.invalid.is_none()));
        assert!(d.keys.iter().all(Option::is_some));
        assert_eq!(d.keys.len(), d.events.len());
        assert!(d.duplicates.is_empty(), "{}", path.display());
        total += expected.len();
        sent.extend(expected);
        received.extend(got);
    }
    assert_channel_empty(&mut listener, "after the samples");
    assert_eq!(total, 49);
    assert_eq!(sent.len(), 49, "the 8 seed examples are distinct events");
    assert_eq!(received, sent);
    let stats = &listener.stats;
    assert_eq!(twimon::source::Stats::get(&stats.events), 49);
    assert_eq!(twimon::source::Stats::get(&stats.deliveries), 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_json_and_scalar_bodies_get_400_and_the_server_keeps_serving() {
    let mut listener = listen(Config::default()).await;

    let reply = post(&listener, "this is not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "not_json");
    assert!(
        reply.json["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );

    let reply = post(&listener, "[{\"type\":").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "not_json");

    let reply = post(&listener, "42").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "not_object_or_array");

    let reply = post(&listener, "\"a string\"").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "not_object_or_array");
    assert_channel_empty(&mut listener, "after the 400s");

    let reply = post(&listener, batch(&["after-400"])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, counts(1, 0, 0));
    let d = recv(&mut listener).await;
    assert_eq!(d.events[0].id(), "after-400");
    assert_eq!(
        twimon::source::Stats::get(&listener.stats.rejected),
        4,
        "each 400 is counted as rejected"
    );
}

/// A valid one-event array padded with spaces to exactly `len` bytes.
fn padded_batch(id: &str, len: usize) -> String {
    let mut body = batch(&[id]);
    assert!(body.len() <= len);
    body.push_str(&" ".repeat(len - body.len()));
    body
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_a_small_limit_get_413_with_or_without_content_length() {
    const LIMIT: usize = 1000;
    let mut listener = listen(Config {
        body_limit: LIMIT,
        ..Config::default()
    })
    .await;

    // Exactly the limit is fine, with a Content-Length and chunked.
    let reply = post(&listener, padded_batch("at-limit", LIMIT)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(recv(&mut listener).await.events[0].id(), "at-limit");
    let body = padded_batch("at-limit-chunked", LIMIT);
    let (a, b) = body.as_bytes().split_at(LIMIT / 3);
    let (status, json) = post_chunked(listener.addr, &[a, b]).await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json, counts(1, 0, 0));
    assert_eq!(recv(&mut listener).await.events[0].id(), "at-limit-chunked");

    // One byte more is refused, with a Content-Length…
    let reply = post(&listener, padded_batch("over", LIMIT + 1)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json["error"], "body_too_large");

    // …and without one (chunked, in several chunks, none over the limit by itself).
    let body = padded_batch("over-chunked", LIMIT + 1);
    let chunks: Vec<&[u8]> = body.as_bytes().chunks(300).collect();
    let (status, json) = post_chunked(listener.addr, &chunks).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "body_too_large");

    // Far over the limit, chunked.
    let big = padded_batch("far-over-chunked", LIMIT * 20);
    let chunks: Vec<&[u8]> = big.as_bytes().chunks(512).collect();
    let (status, json) = post_chunked(listener.addr, &chunks).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "body_too_large");

    assert_channel_empty(&mut listener, "after the 413s");

    // Still serving.
    let reply = post(&listener, batch(&["after-413"])).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(recv(&mut listener).await.events[0].id(), "after-413");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bodies_over_the_default_limit_get_413() {
    assert_eq!(DEFAULT_BODY_LIMIT, 1024 * 1024);
    let mut listener = listen(Config::default()).await;
    let over = padded_batch("over-default", DEFAULT_BODY_LIMIT + 1);

    // With a Content-Length: refused from the declared length.
    let reply = post(&listener, over.clone()).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(reply.json["error"], "body_too_large");

    // The same declared length, body never sent: refused up front, without waiting for it.
    let head = format!(
        "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        DEFAULT_BODY_LIMIT + 1
    );
    let (status, json) = raw_exchange(listener.addr, head.as_bytes()).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "body_too_large");

    // Chunked, 64 KiB at a time.
    let chunks: Vec<&[u8]> = over.as_bytes().chunks(64 * 1024).collect();
    let (status, json) = post_chunked(listener.addr, &chunks).await;
    assert_eq!(status, 413, "{json}");
    assert_eq!(json["error"], "body_too_large");
    assert_channel_empty(&mut listener, "after the 413s");

    // The limit itself is accepted.
    let reply = post(&listener, padded_batch("at-default", DEFAULT_BODY_LIMIT)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(recv(&mut listener).await.events[0].id(), "at-default");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_malformed_element_is_kept_as_invalid_beside_its_siblings() {
    let mut listener = listen(Config::default()).await;

    for (bad, reason_part) in [
        ("42".to_owned(), "a number"),
        (
            r#"{"id":"no-type","source":"/x","data":{}}"#.to_owned(),
            "missing `type`",
        ),
    ] {
        let first = format!("{bad}-first");
        let last = format!("{bad}-last");
        let body = format!("[{},{bad},{}]", event(&first), event(&last));
        let reply = post(&listener, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{bad}");
        assert_eq!(reply.json, counts(2, 0, 1), "{bad}");

        let d = recv(&mut listener).await;
        assert_eq!(d.events.len(), 3, "{bad}: all three, in body order");
        assert_eq!(d.events[0].id(), first);
        assert_eq!(d.events[2].id(), last);
        assert!(d.events[0].invalid.is_none() && d.events[2].invalid.is_none());
        let invalid = &d.events[1];
        assert_eq!(invalid.kind, EventKind::Invalid);
        let reason = invalid.invalid.as_deref().expect("an invalid reason");
        assert!(reason.contains(reason_part), "{bad}: reason {reason:?}");
        assert_eq!(&*invalid.raw, bad, "the element's JSON exactly as received");
        assert!(d.keys[0].is_some() && d.keys[2].is_some());
        assert_eq!(d.keys[1], None, "an invalid event has no dedup key");
        assert!(d.duplicates.is_empty());
    }
    assert_channel_empty(&mut listener, "after the malformed elements");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn content_types() {
    let mut listener = listen(Config::default()).await;
    let url = listener.url();

    for ct in ["application/xml", "text/xml"] {
        let reply = post_to(&url, Some(ct), batch(&[ct])).await;
        assert_eq!(reply.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{ct}");
        assert_eq!(reply.json["error"], "unsupported_media_type", "{ct}");
    }
    // Form bodies are classic voice callbacks (tests/callbacks.rs): JSON sent as a form has no
    // CallSid.
    let ct = "application/x-www-form-urlencoded";
    let reply = post_to(&url, Some(ct), batch(&[ct])).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(reply.json["error"], "not_a_callback");
    assert_channel_empty(&mut listener, "after the content types");

    let single = event("single-object").to_string();
    let cases: [(Option<&str>, String, &str); 5] = [
        (
            Some("application/cloudevents-batch+json"),
            batch(&["batch-json"]),
            "batch-json",
        ),
        (
            Some("application/cloudevents+json"),
            single,
            "single-object",
        ),
        (None, batch(&["no-content-type"]), "no-content-type"),
        (
            Some("application/json; charset=utf-8"),
            batch(&["json-charset"]),
            "json-charset",
        ),
        (
            Some("Application/JSON"),
            batch(&["json-upper"]),
            "json-upper",
        ),
    ];
    for (ct, body, id) in cases {
        let reply = post_to(&url, ct, body).await;
        assert_eq!(reply.status, StatusCode::OK, "{ct:?}: {}", reply.json);
        assert_eq!(reply.json, counts(1, 0, 0), "{ct:?}");
        let d = recv(&mut listener).await;
        assert_eq!(d.events[0].id(), id, "{ct:?}");
    }
    assert_channel_empty(&mut listener, "after the content types");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_consumer_gets_503_and_the_retry_is_not_a_duplicate() {
    let mut listener = listen(Config {
        send_timeout: Duration::from_millis(200),
        ..Config::default()
    })
    .await;

    let mut refused = None;
    for i in 0..CHANNEL_CAPACITY + 8 {
        let body = batch(&[&format!("busy-{i}")]);
        let reply = post(&listener, body.clone()).await;
        if reply.status == StatusCode::SERVICE_UNAVAILABLE {
            refused = Some((i, body, reply));
            break;
        }
        assert_eq!(reply.status, StatusCode::OK, "post {i}");
        assert_eq!(reply.json, counts(1, 0, 0), "post {i}");
    }
    let (index, body, reply) = refused.expect("a 503 once the channel is full");
    assert_eq!(
        index, CHANNEL_CAPACITY,
        "the channel holds exactly its capacity"
    );
    let retry_after = reply
        .headers
        .get(RETRY_AFTER)
        .expect("a Retry-After header")
        .to_str()
        .unwrap();
    assert!(
        retry_after.parse::<u64>().is_ok_and(|s| s > 0),
        "Retry-After: {retry_after:?}"
    );
    assert_eq!(reply.json["error"], "busy");
    assert!(
        reply.json["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty())
    );
    assert_eq!(twimon::source::Stats::get(&listener.stats.busy), 1);
    assert_eq!(
        twimon::source::Stats::get(&listener.stats.rejected),
        0,
        "a 503 is not a rejection"
    );

    let mut drained = 0;
    while let Ok(d) = listener.rx.try_recv() {
        assert_eq!(d.events[0].id(), format!("busy-{drained}"));
        drained += 1;
    }
    assert_eq!(
        drained, CHANNEL_CAPACITY,
        "the refused delivery was not queued"
    );

    // Twilio's retry of the refused delivery is taken as new.
    let reply = post(&listener, body).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json, counts(1, 0, 0));
    let d = recv(&mut listener).await;
    assert_eq!(d.events[0].id(), format!("busy-{CHANNEL_CAPACITY}"));
    assert!(d.duplicates.is_empty());
    assert_channel_empty(&mut listener, "after the retry");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_counts_what_was_posted() {
    let mut listener = listen(Config::default()).await;
    let health_url = format!("{}healthz", listener.url());

    let fresh = get(&health_url).await;
    assert_eq!(fresh.status, StatusCode::OK);
    assert!(
        fresh
            .headers
            .get(CONTENT_TYPE)
            .is_some_and(|ct| ct.to_str().unwrap().starts_with("application/json"))
    );
    assert_eq!(fresh.json["status"], "ok");
    for field in [
        "deliveries",
        "events",
        "invalid",
        "duplicates",
        "rejected",
        "busy",
    ] {
        assert_eq!(fresh.json[field], 0, "{field}");
    }
    assert!(fresh.json["uptime_s"].is_u64());

    // 3 valid + 1 invalid; then the same body again: 3 duplicates, and the invalid element
    // (which has no key) a second time; then a 400.
    let body = format!("[{},{},7,{}]", event("h-1"), event("h-2"), event("h-3"));
    let reply = post(&listener, body.clone()).await;
    assert_eq!(reply.json, counts(3, 0, 1));
    let reply = post(&listener, body).await;
    assert_eq!(reply.json, counts(0, 3, 1));
    let reply = post(&listener, "not json").await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    let reply = post(&listener, batch(&["h-4"])).await;
    assert_eq!(reply.json, counts(1, 0, 0));

    let mut events_on_channel = 0;
    for _ in 0..3 {
        events_on_channel += recv(&mut listener).await.events.len();
    }
    assert_channel_empty(&mut listener, "after healthz");
    assert_eq!(events_on_channel, 6);

    let health = get(&health_url).await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.json["status"], "ok");
    assert_eq!(health.json["deliveries"], 3);
    assert_eq!(health.json["events"], 6, "new events, valid and invalid");
    assert_eq!(health.json["invalid"], 2);
    assert_eq!(health.json["duplicates"], 3);
    assert_eq!(health.json["rejected"], 1);
    assert_eq!(health.json["busy"], 0);

    // Only GET /healthz and POST are served.
    for path in ["", "other", "healthz/x"] {
        let reply = get(&format!("{}{path}", listener.url())).await;
        assert_eq!(reply.status, StatusCode::METHOD_NOT_ALLOWED, "GET /{path}");
        assert_eq!(reply.json["error"], "method_not_allowed");
    }
    let resp = client().put(&health_url).body("{}").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_channel_empty(&mut listener, "after healthz");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_ends_the_server() {
    let listener = listen(Config::default()).await;
    let listener_url = listener.url();
    let reply = post(&listener, batch(&["before-stop"])).await;
    assert_eq!(reply.status, StatusCode::OK);
    listener.stop.send(true).unwrap();
    let result = tokio::time::timeout(GUARD, listener.server)
        .await
        .expect("the server stops within the guard time")
        .expect("the server task did not panic");
    assert!(result.is_ok(), "{result:?}");
    // The stopped listener refuses new connections.
    assert!(client().post(listener_url).body("[]").send().await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_mid_body_gets_408_and_is_let_go() {
    let mut listener = listen(Config {
        body_timeout: Duration::from_millis(300),
        ..Config::default()
    })
    .await;
    // Promises 1000 bytes, sends two, then waits for the answer.
    let (status, json) = raw_exchange(
        listener.addr,
        b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n[{",
    )
    .await;
    assert_eq!(status, 408, "{json}");
    assert_eq!(json["error"], "body_timeout", "{json}");
    assert_channel_empty(&mut listener, "after the stalled client");
}

/// RFC 9110 §15.5.6: a 405 carries `Allow`, so a misconfigured sink (GET) is told to POST.
#[tokio::test]
async fn a_405_names_the_allowed_methods() {
    let listener = listen(Config::default()).await;
    let client = client();
    for method in [
        reqwest::Method::GET,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
        reqwest::Method::PATCH,
    ] {
        for (path, allow) in [("", "POST"), ("events/x", "POST"), ("healthz", "GET, HEAD")] {
            if method == reqwest::Method::GET && path == "healthz" {
                continue;
            }
            let url = format!("{}{path}", listener.url());
            let resp = client.request(method.clone(), &url).send().await.unwrap();
            assert_eq!(
                resp.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} /{path}"
            );
            assert_eq!(
                resp.headers()
                    .get(reqwest::header::ALLOW)
                    .map(|v| v.to_str().unwrap()),
                Some(allow),
                "{method} /{path}"
            );
        }
    }
}

/// Opens a connection and sends half of a request's headers, then nothing.
async fn half_header(addr: SocketAddr) -> tokio::net::TcpStream {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-")
        .await
        .unwrap();
    s
}

/// Whether the server closed `s` within `wait` (reads to its end).
async fn closed_within(s: &mut tokio::net::TcpStream, wait: Duration) -> bool {
    let mut buf = [0u8; 4096];
    tokio::time::timeout(wait, async {
        loop {
            match s.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

/// More stalled clients than the connection cap: the oldest idle ones are closed to make
/// room, and /healthz and a delivery are answered at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalled_clients_past_the_cap_do_not_crowd_out_deliveries() {
    let mut listener = listen(Config {
        max_connections: Some(4),
        header_timeout: Duration::from_secs(60),
        ..Config::default()
    })
    .await;
    let mut stalled = Vec::new();
    for _ in 0..12 {
        stalled.push(half_header(listener.addr).await);
    }
    let quick = Duration::from_secs(5);
    let health = tokio::time::timeout(quick, get(&format!("{}healthz", listener.url())))
        .await
        .expect("/healthz answered past the cap");
    assert_eq!(health.status, StatusCode::OK);
    let reply = tokio::time::timeout(quick, post(&listener, batch(&["past-the-cap"])))
        .await
        .expect("a delivery answered past the cap");
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    assert_eq!(recv(&mut listener).await.events[0].id(), "past-the-cap");
    let mut closed = 0;
    for s in &mut stalled {
        if closed_within(s, Duration::from_millis(200)).await {
            closed += 1;
        }
    }
    assert!(
        closed >= 12 - 4,
        "only {closed} of 12 stalled connections were let go"
    );
}

/// A client that stops in the middle of its headers, or sits idle on a keep-alive
/// connection, is let go after the header time-out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn half_sent_headers_and_idle_connections_are_closed_after_the_header_timeout() {
    let listener = listen(Config {
        header_timeout: Duration::from_millis(500),
        ..Config::default()
    })
    .await;
    let mut half = half_header(listener.addr).await;
    assert!(
        closed_within(&mut half, Duration::from_secs(4)).await,
        "a half-header connection is held past the header time-out"
    );
    let mut idle = tokio::net::TcpStream::connect(listener.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .await
        .unwrap();
    assert!(
        closed_within(&mut idle, Duration::from_secs(4)).await,
        "an idle keep-alive connection is held past the header time-out"
    );
}

/// gzip and deflate (zlib, or raw) bodies are decoded; another coding gets 415 naming it; a
/// compression bomb gets 413, the limit being on the decoded size.
#[tokio::test]
async fn compressed_bodies_are_decoded_within_the_limit() {
    use std::io::Write;
    let mut listener = listen(Config::default()).await;
    let body = batch(&["gz-1"]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(body.as_bytes()).unwrap();
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    zlib.write_all(batch(&["zlib-1"]).as_bytes()).unwrap();
    let mut raw = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    raw.write_all(batch(&["raw-1"]).as_bytes()).unwrap();
    let url = listener.url();
    let send = |encoding: &'static str, bytes: Vec<u8>| {
        let url = url.clone();
        async move {
            client()
                .post(url)
                .header(CONTENT_TYPE, "application/json")
                .header("content-encoding", encoding)
                .body(bytes)
                .send()
                .await
                .unwrap()
        }
    };
    for (encoding, bytes, id) in [
        ("gzip", gz.finish().unwrap(), "gz-1"),
        ("deflate", zlib.finish().unwrap(), "zlib-1"),
        ("deflate", raw.finish().unwrap(), "raw-1"),
        ("identity", batch(&["plain-1"]).into_bytes(), "plain-1"),
    ] {
        let resp = send(encoding, bytes).await;
        assert_eq!(resp.status(), StatusCode::OK, "{encoding}");
        assert_eq!(recv(&mut listener).await.events[0].id(), id);
    }
    let resp = send("br", b"whatever".to_vec()).await;
    assert_eq!(resp.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let text = resp.text().await.unwrap();
    assert!(text.contains("\\\"br\\\"") || text.contains("br"), "{text}");
    // 8 MiB of JSON whitespace in a few kB of gzip.
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(b"[").unwrap();
    for _ in 0..8 * 1024 {
        bomb.write_all(&[b' '; 1024]).unwrap();
    }
    bomb.write_all(b"]").unwrap();
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < DEFAULT_BODY_LIMIT / 10);
    let resp = send("gzip", bomb).await;
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_channel_empty(&mut listener, "after the compression bomb");
}
