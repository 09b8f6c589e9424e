//! The listener in process on 127.0.0.1: start it, post to it the way Twilio does, and read
//! what it hands on to the consumer.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap};
use serde_json::{Value, json};
use tokio::sync::mpsc::error::TryRecvError;
use twimon::source::Delivery;

use super::temp::TempDir;
use twimon::source::listen::{Config, Listener, start};
use twimon::source::signature::{Verifier, compute};

/// Guards against hangs only; nothing here measures time.
pub const GUARD: Duration = Duration::from_secs(20);

/// A listener on a free port of 127.0.0.1.
pub async fn listen(config: Config) -> Listener {
    start("127.0.0.1:0", config).await.unwrap()
}

/// A client that gives up after [`GUARD`].
pub fn client() -> reqwest::Client {
    client_with_timeout(GUARD)
}

/// A client that gives up after `timeout` (a test of how fast answers come). No proxy: one
/// from the environment must not see (or swallow) loopback traffic.
pub fn client_with_timeout(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// An answer of the listener: every answer, refusals included, has a JSON body.
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub json: Value,
}

/// Sends and reads the answer; fails if none comes within the client's time-out or its body is
/// not JSON.
pub async fn send(req: reqwest::RequestBuilder) -> Reply {
    let resp = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer: {e}"));
    let status = resp.status();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: answer is not JSON ({e}): {text:?}"));
    Reply {
        status,
        headers,
        json,
    }
}

/// POSTs `body` to `url` with `client` and the given content type (none when `None`).
pub async fn post_with(
    client: &reqwest::Client,
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    let mut req = client.post(url).body(body);
    if let Some(ct) = content_type {
        req = req.header(CONTENT_TYPE, ct);
    }
    send(req).await
}

/// [`post_with`] a fresh [`client`].
pub async fn post_to(
    url: &str,
    content_type: Option<&str>,
    body: impl Into<reqwest::Body>,
) -> Reply {
    post_with(&client(), url, content_type, body).await
}

/// POSTs a JSON body to the listener's root.
pub async fn post(listener: &Listener, body: impl Into<reqwest::Body>) -> Reply {
    post_to(&listener.url(), Some("application/json"), body).await
}

pub async fn get(url: &str) -> Reply {
    send(client().get(url)).await
}

/// `GET /healthz`.
pub async fn health(listener: &Listener) -> Value {
    let reply = get(&format!("{}healthz", listener.url())).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.json);
    reply.json
}

/// The counts of a 200 answer.
pub fn counts(accepted: usize, duplicates: usize, invalid: usize) -> Value {
    json!({ "accepted": accepted, "duplicates": duplicates, "invalid": invalid })
}

/// The next delivery on the channel; fails rather than hangs when none comes.
pub async fn recv(listener: &mut Listener) -> Delivery {
    tokio::time::timeout(GUARD, listener.rx.recv())
        .await
        .expect("a delivery within the guard time")
        .expect("the channel is open")
}

/// Nothing more is waiting on the channel. A handler sends before it answers, so once every
/// POST has its answer anything it handed over is already queued.
pub fn assert_channel_empty(listener: &mut Listener, after: &str) {
    match listener.rx.try_recv() {
        Err(TryRecvError::Empty) => {}
        // Only the ids: a hostile delivery's Debug can be megabytes.
        Ok(d) => panic!(
            "{after}: unexpected delivery of {:?}",
            d.events
                .iter()
                .map(|e| e.id().chars().take(40).collect::<String>())
                .collect::<Vec<_>>()
        ),
        Err(TryRecvError::Disconnected) => panic!("{after}: channel closed"),
    }
}

/// A listener that records every delivery into `dir` (before it answers); the recording's path.
pub async fn listen_recording(config: Config, dir: &TempDir) -> (Listener, PathBuf) {
    let path = dir.join("recording.ndjson");
    let listener = listen(Config {
        record: Some(path.clone()),
        ..config
    })
    .await;
    (listener, path)
}

/// Every delivery of a recording, replayed to its end.
pub async fn replay_all(path: &Path, max_events: usize) -> Vec<Delivery> {
    let mut replay = twimon::source::replay::start(path, max_events).unwrap();
    let mut out = Vec::new();
    while let Some(d) = tokio::time::timeout(GUARD, replay.rx.recv())
        .await
        .expect("the replay goes on within the guard time")
    {
        out.push(d);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Deliveries

/// The TwiML every [`event`] answered with.
pub const TWIML: &str = "<Response><Say>Thanks</Say><Redirect>/next</Redirect></Response>";

pub fn b64(bytes: impl AsRef<[u8]>) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A well-formed gather.finished CloudEvent with the given id.
pub fn event(id: &str) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.voice.twiml.gather.finished",
        "source": "/2010-04-01/Accounts/AC1/Calls/CA1.json",
        "id": id,
        "time": "2026-11-28T11:59:58.250Z",
        "data": {
            "sid": "CA00000000000000000000000000000042",
            "timestamp": "2026-11-28T11:59:58Z",
            "request": {
                "method": "POST",
                "url": "https://x.test/menu",
                "parameters": {
                    "CallSid": "CA00000000000000000000000000000042",
                    "Digits": "2",
                    "From": "+15550100"
                }
            },
            "response": {
                "responseCode": 200,
                "requestDuration": 41,
                "contentType": "application/xml",
                "responseBody": b64(TWIML)
            }
        }
    })
}

/// A JSON array of [`event`]s.
pub fn batch(ids: &[&str]) -> String {
    Value::Array(ids.iter().map(|id| event(id)).collect()).to_string()
}

// ---------------------------------------------------------------------------------------------
// Twilio through a tunnel

/// The auth token of the signed tests.
pub const TOKEN: &str = "12345";
/// Where Twilio believes it posts: a tunnel in front of the listener.
pub const TUNNEL: &str = "https://abc.tunnel.test";

/// A listener that checks signatures with [`TOKEN`] and, if `require`, refuses bad ones.
pub fn with_token(require: bool) -> Config {
    Config {
        verifier: Verifier::new(Some(TOKEN.into()), None),
        require_signature: require,
        ..Config::default()
    }
}

/// POSTs `body` to `path_and_query` as Twilio would through [`TUNNEL`] (its Host header and
/// `X-Forwarded-Proto`). `signed`: the token and the form pairs to sign with (none for JSON,
/// whose body is signed through `bodySHA256` in the query); `None` sends no signature.
pub async fn post_via_tunnel(
    listener: &Listener,
    path_and_query: &str,
    content_type: &str,
    body: &str,
    signed: Option<(&str, &[(String, String)])>,
) -> Reply {
    let mut req = client()
        .post(format!("http://{}{path_and_query}", listener.addr))
        .header(CONTENT_TYPE, content_type)
        .header("host", TUNNEL.trim_start_matches("https://"))
        .header("x-forwarded-proto", "https")
        .body(body.to_owned());
    if let Some((token, params)) = signed {
        let url = format!("{TUNNEL}{path_and_query}");
        req = req.header("x-twilio-signature", compute(token, &url, params));
    }
    send(req).await
}

/// `application/x-www-form-urlencoded` as Twilio writes it: space as `+`, the rest escaped.
pub fn form_encode(pairs: &[(String, String)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    char::from(b).to_string()
                }
                b' ' => "+".to_owned(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}
