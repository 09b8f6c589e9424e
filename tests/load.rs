//! Load: 20 000 events (2 000 deliveries of 10, 500 calls) from 16 concurrent connections,
//! first into the real headless binary (every id printed exactly once after SIGTERM), then
//! in-process against a deliberately slow consumer (503s happen; every retry is one 503 and
//! every event arrives exactly once). Figures go to stderr; nothing asserts on time.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use twimon::ingest::Config;
use twimon::run::start_listener;

const DELIVERIES: usize = 2_000;
const EVENTS_PER_DELIVERY: usize = 10;
const EVENTS: usize = DELIVERIES * EVENTS_PER_DELIVERY;
const CONNECTIONS: usize = 16;
const CALLS: usize = 500;
/// A delivery refused this many times in a row fails the test.
const MAX_RETRIES: usize = 1_000;
/// Pause before retrying a 503 (Twilio backs off far longer; a test need not).
const RETRY_PAUSE: Duration = Duration::from_millis(5);
/// Guards against hangs only.
const GUARD: Duration = Duration::from_secs(60);

fn event_id(delivery: usize, i: usize) -> String {
    format!("EV{delivery:05}-{i:02}")
}

fn call_sid(n: usize) -> String {
    format!("CA{:032x}", n % CALLS)
}

/// Delivery `d`: ten TwiML events with unique ids, spread over the calls.
fn body(d: usize) -> String {
    let twiml = base64::engine::general_purpose::STANDARD.encode(
        "<Response><Gather numDigits=\"1\" action=\"/menu\"><Say>Press 1</Say></Gather></Response>",
    );
    let events: Vec<Value> = (0..EVENTS_PER_DELIVERY)
        .map(|i| {
            let n = d * EVENTS_PER_DELIVERY + i;
            let sid = call_sid(n);
            let (min, sec, ms) = ((n / 60_000) % 60, (n / 1000) % 60, n % 1000);
            let time = format!("2026-11-28T12:{min:02}:{sec:02}.{ms:03}Z");
            json!({
                "specversion": "1.0",
                "type": "com.twilio.voice.twiml.gather.finished",
                "source": format!("/2010-04-01/Accounts/AC1/Calls/{sid}.json"),
                "id": event_id(d, i),
                "time": time,
                "datacontenttype": "application/json",
                "data": {
                    "sid": sid,
                    "request": {
                        "method": "POST",
                        "url": "https://x.test/menu",
                        "parameters": {
                            "CallSid": sid,
                            "Digits": (n % 10).to_string(),
                            "From": "+15550100"
                        }
                    },
                    "response": {
                        "responseCode": 200,
                        "requestDuration": n % 900,
                        "contentType": "application/xml",
                        "responseBody": twiml
                    }
                }
            })
        })
        .collect();
    Value::Array(events).to_string()
}

/// What the senders saw.
#[derive(Debug, Default, Clone, Copy)]
struct Tally {
    /// POSTs made, first tries and retries.
    posts: usize,
    /// Deliveries answered 200.
    ok: usize,
    /// Events those answers counted as accepted.
    accepted: usize,
    /// 503 answers.
    busy: usize,
    /// Posts repeated after a 503.
    retries: usize,
    /// Most 503s one delivery got before its 200.
    worst: usize,
}

impl std::ops::AddAssign for Tally {
    fn add_assign(&mut self, o: Tally) {
        self.posts += o.posts;
        self.ok += o.ok;
        self.accepted += o.accepted;
        self.busy += o.busy;
        self.retries += o.retries;
        self.worst = self.worst.max(o.worst);
    }
}

/// Sixteen tasks, each with its own client holding one connection, post every delivery
/// (`task`, `task + 16`, …), retrying a 503 after a short pause.
async fn send_all(url: &str) -> Tally {
    let bodies: Vec<String> = (0..DELIVERIES).map(body).collect();
    let bodies = std::sync::Arc::new(bodies);
    let mut tasks = Vec::new();
    for task in 0..CONNECTIONS {
        let (url, bodies) = (url.to_owned(), bodies.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(5))
                .build()
                .unwrap();
            let mut tally = Tally::default();
            for d in (task..DELIVERIES).step_by(CONNECTIONS) {
                let mut attempts = 0;
                loop {
                    let resp = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(bodies[d].clone())
                        .send()
                        .await
                        .unwrap_or_else(|e| panic!("delivery {d}: {e}"));
                    tally.posts += 1;
                    match resp.status() {
                        StatusCode::OK => {
                            let answer: Value = resp.json().await.unwrap();
                            // A retried delivery is new, not a duplicate of the refused one.
                            let want = json!({
                                "accepted": EVENTS_PER_DELIVERY, "duplicates": 0, "invalid": 0
                            });
                            assert_eq!(answer, want, "delivery {d}");
                            tally.ok += 1;
                            tally.worst = tally.worst.max(attempts);
                            tally.accepted += EVENTS_PER_DELIVERY;
                            break;
                        }
                        StatusCode::SERVICE_UNAVAILABLE => {
                            assert!(resp.headers().contains_key("retry-after"));
                            tally.busy += 1;
                            attempts += 1;
                            assert!(attempts <= MAX_RETRIES, "delivery {d}: {attempts} 503s");
                            tally.retries += 1;
                            tokio::time::sleep(RETRY_PAUSE).await;
                        }
                        other => panic!("delivery {d}: {other}: {}", resp.text().await.unwrap()),
                    }
                }
            }
            tally
        }));
    }
    let mut total = Tally::default();
    for t in tasks {
        total += t.await.unwrap();
    }
    total
}

fn check_accounting(tally: Tally) {
    assert_eq!(tally.ok, DELIVERIES, "every delivery acknowledged once");
    assert_eq!(tally.accepted, EVENTS, "accepted events");
    assert_eq!(
        tally.busy, tally.retries,
        "every 503 was retried, nothing else was"
    );
    assert_eq!(
        tally.posts,
        tally.ok + tally.busy,
        "every POST got a 200 or a 503"
    );
    assert_eq!(
        tally.posts,
        DELIVERIES + tally.retries,
        "sent = deliveries + retries"
    );
}

/// Every id exactly once.
fn check_ids<'a>(ids: impl IntoIterator<Item = &'a str>) {
    let mut count: HashMap<&str, usize> = HashMap::new();
    for id in ids {
        *count.entry(id).or_default() += 1;
    }
    let twice: Vec<_> = count.iter().filter(|(_, n)| **n > 1).take(5).collect();
    assert!(twice.is_empty(), "ids seen more than once: {twice:?}");
    let missing: Vec<String> = (0..DELIVERIES)
        .flat_map(|d| (0..EVENTS_PER_DELIVERY).map(move |i| event_id(d, i)))
        .filter(|id| !count.contains_key(id.as_str()))
        .take(5)
        .collect();
    assert!(missing.is_empty(), "ids never seen: {missing:?}");
    assert_eq!(count.len(), EVENTS);
}

// ---------------------------------------------------------------------------------------------
// The real binary

/// The binary, killed if the test fails before it exits.
struct Twimon {
    child: Child,
    stderr: std_mpsc::Receiver<String>,
    stdout: Option<std::thread::JoinHandle<String>>,
}

impl Drop for Twimon {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

impl Twimon {
    fn listen_headless_json() -> Twimon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_twimon"))
            .args([
                "listen",
                "--headless",
                "--format",
                "json",
                "--addr",
                "127.0.0.1:0",
                "--max-events",
                "100000",
            ])
            .env_remove("TWIMON_ADDR")
            .env_remove("TWIMON_LOG_FILE")
            // Never the user's real log folder.
            .env(
                "XDG_STATE_HOME",
                std::env::temp_dir().join(format!("twimon-load-state-{}", std::process::id())),
            )
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Drain both pipes from the start so the binary never blocks on a full one.
        let mut out = child.stdout.take().unwrap();
        let stdout = std::thread::spawn(move || {
            let mut all = String::new();
            out.read_to_string(&mut all).unwrap();
            all
        });
        let err = child.stderr.take().unwrap();
        let (tx, stderr) = std_mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Twimon {
            child,
            stderr,
            stdout: Some(stdout),
        }
    }

    /// The URL from `twimon: listening on http://127.0.0.1:PORT/ (…)`.
    fn url(&self) -> String {
        loop {
            let line = self
                .stderr
                .recv_timeout(GUARD)
                .expect("a `listening on` line on stderr");
            if let Some(rest) = line.strip_prefix("twimon: listening on ") {
                let url = rest.split_whitespace().next().unwrap().to_owned();
                assert!(url.starts_with("http://127.0.0.1:"), "{line}");
                return url;
            }
        }
    }

    /// SIGTERM, then the exit status and everything printed on stdout.
    fn terminate(&mut self) -> (ExitStatus, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let deadline = Instant::now() + GUARD;
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "twimon did not exit after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        };
        let stdout = self.stdout.take().unwrap().join().unwrap();
        (status, stdout)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn twenty_thousand_events_through_the_headless_binary() {
    let mut twimon = Twimon::listen_headless_json();
    let url = twimon.url();

    let started = Instant::now();
    let tally = tokio::time::timeout(GUARD, send_all(&url))
        .await
        .expect("the senders finish within the guard time");
    let elapsed = started.elapsed();
    check_accounting(tally);

    let (status, stdout, stderr) = tokio::task::spawn_blocking(move || {
        let (status, stdout) = twimon.terminate();
        let stderr: Vec<String> = twimon.stderr.iter().collect();
        (status, stdout, stderr)
    })
    .await
    .unwrap();
    assert!(
        !stderr.iter().any(|l| l.contains("panicked")),
        "{stderr:#?}"
    );
    assert!(status.success(), "exit status {status}");
    assert_eq!(status.code(), Some(0));

    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(lines.len(), EVENTS, "one line per event");
    check_ids(lines.iter().map(|v| v["id"].as_str().unwrap()));
    let calls: HashSet<&str> = lines
        .iter()
        .map(|v| v["call_sid"].as_str().unwrap())
        .collect();
    assert_eq!(calls.len(), CALLS);
    // Sequence numbers are the printing order: 0..20 000, each once.
    let mut seqs: Vec<u64> = lines.iter().map(|v| v["seq"].as_u64().unwrap()).collect();
    seqs.sort_unstable();
    assert!(seqs.iter().copied().eq(0..EVENTS as u64));
    assert!(lines.iter().all(|v| v["twiml_error"].is_null()));

    eprintln!(
        "load (headless binary): {DELIVERIES} deliveries / {EVENTS} events over {CONNECTIONS} \
         connections in {elapsed:.2?}: {:.0} deliveries/s, {:.0} events/s; 503s: {}, retries: {}",
        DELIVERIES as f64 / elapsed.as_secs_f64(),
        EVENTS as f64 / elapsed.as_secs_f64(),
        tally.busy,
        tally.retries
    );
}

// ---------------------------------------------------------------------------------------------
// In process, with a slow consumer

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_consumer_gets_503s_and_every_event_once() {
    let listener = start_listener(
        "127.0.0.1:0",
        Config {
            send_timeout: Duration::from_millis(2),
            ..Config::default()
        },
    )
    .await
    .unwrap();
    let url = listener.url();
    let stats = listener.stats.clone();
    let mut rx = listener.rx;

    // Late, then slow: it starts once the listener has answered a 503 (so one surely happens,
    // whatever the machine's speed), then takes one delivery a millisecond at most.
    let busy_seen = stats.clone();
    let consumer = tokio::spawn(async move {
        while twimon::ingest::Stats::get(&busy_seen.busy) == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let mut ids = Vec::with_capacity(EVENTS);
        while ids.len() < EVENTS {
            let d = rx.recv().await.expect("the channel stays open");
            assert!(d.duplicates.is_empty());
            ids.extend(d.events.into_iter().map(|e| e.id().to_owned()));
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        (ids, rx)
    });

    let started = Instant::now();
    let tally = tokio::time::timeout(GUARD, send_all(&url))
        .await
        .expect("the senders finish within the guard time");
    let sent_in = started.elapsed();
    let (ids, mut rx) = tokio::time::timeout(GUARD, consumer)
        .await
        .expect("the consumer drains everything within the guard time")
        .unwrap();
    let drained_in = started.elapsed();

    check_accounting(tally);
    check_ids(ids.iter().map(String::as_str));
    assert!(rx.try_recv().is_err(), "nothing beyond the 20 000 events");
    let busy = twimon::ingest::Stats::get(&stats.busy);
    assert_eq!(
        busy as usize, tally.busy,
        "the listener counted every 503 it sent"
    );
    assert_eq!(
        twimon::ingest::Stats::get(&stats.deliveries) as usize,
        DELIVERIES
    );
    assert_eq!(twimon::ingest::Stats::get(&stats.duplicates), 0);
    assert!(tally.busy > 0);

    eprintln!(
        "load (slow consumer, in process): {DELIVERIES} deliveries sent in {sent_in:.2?} \
         ({:.0} deliveries/s), drained in {drained_in:.2?}; 503s: {}, retries: {}, most 503s for \
         one delivery: {}",
        DELIVERIES as f64 / sent_in.as_secs_f64(),
        tally.busy,
        tally.retries,
        tally.worst
    );
}
