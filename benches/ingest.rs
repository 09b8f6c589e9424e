//! Ingest load bench: N connections post 10-event deliveries (unique ids, ~5 000 distinct
//! calls) for D seconds against three receivers, one after the other, each its own process:
//!
//! 1. `bare`   — axum: read the body, answer 200 (the floor of HTTP on this machine);
//! 2. `value`  — axum: parse the body into `serde_json::Value`, drop it, answer 200;
//! 3. `twimon` — the real binary, `listen --headless --format json` to /dev/null.
//!
//! It prints deliveries/s of each and the ratios twimon ÷ value. `--url URL` also aims the same
//! load at a running twimon (e.g. the TUI in a 200×50 terminal) and prints its ratio to `value`.
//!
//! `cargo bench --bench ingest -- [--seconds 5] [--rounds 3] [--connections 16] [--url http://127.0.0.1:7077/]`

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::http::StatusCode;

const SAMPLES: [&str; 2] = [
    include_str!("../assets/samples/flows/ivr-sales-call.json"),
    include_str!("../assets/samples/flows/failed-call.json"),
];
const EVENTS_PER_DELIVERY: usize = 10;
const CALLS: u64 = 5_000;

struct Opts {
    seconds: u64,
    rounds: usize,
    connections: usize,
    url: Option<String>,
    serve: Option<(String, String)>,
}

fn opts() -> Opts {
    let mut o = Opts {
        rounds: 3,
        seconds: 5,
        connections: 16,
        url: None,
        serve: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seconds" => o.seconds = it.next().and_then(|v| v.parse().ok()).unwrap_or(5),
            "--rounds" => o.rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(3),
            "--connections" => o.connections = it.next().and_then(|v| v.parse().ok()).unwrap_or(16),
            "--url" => o.url = it.next().cloned(),
            "--serve" => {
                let kind = it.next().cloned().unwrap_or_default();
                let addr = it.next().cloned().unwrap_or_default();
                o.serve = Some((kind, addr));
            }
            _ => {} // cargo bench passes --bench
        }
    }
    o
}

/// One event template split around the places that vary: the id and the call SID.
struct Template {
    parts: Vec<String>,
}

fn templates() -> Vec<Template> {
    let mut out = Vec::new();
    for text in SAMPLES {
        let v: serde_json::Value = serde_json::from_str(text).unwrap();
        for ev in v.as_array().unwrap() {
            let sid = ev["data"]["sid"].as_str().unwrap().to_owned();
            let mut ev = ev.clone();
            // `@@` appears nowhere in the samples: it marks the places that vary.
            ev["id"] = serde_json::Value::String("@@ID@@".into());
            let compact = serde_json::to_string(&ev).unwrap().replace(&sid, "@@SID@@");
            assert!(compact.contains("@@ID@@") && compact.contains("@@SID@@"));
            out.push(Template {
                parts: compact.split("@@").map(str::to_owned).collect(),
            });
        }
    }
    out
}

/// A delivery of 10 events with ids `n*10..n*10+9` (unique within a run and across runs of one
/// process, thanks to the run tag).
fn body(templates: &[Template], tag: u64, n: u64, buf: &mut String) {
    use std::fmt::Write;
    buf.clear();
    buf.push('[');
    for i in 0..EVENTS_PER_DELIVERY as u64 {
        if i > 0 {
            buf.push(',');
        }
        let k = n * EVENTS_PER_DELIVERY as u64 + i;
        let t = &templates[(k % templates.len() as u64) as usize];
        for p in &t.parts {
            match p.as_str() {
                "ID" => {
                    let _ = write!(buf, "ev-{tag}-{k}");
                }
                "SID" => {
                    let _ = write!(buf, "CA{:032x}", k % CALLS);
                }
                other => buf.push_str(other),
            }
        }
    }
    buf.push(']');
}

#[derive(Default)]
struct Counts {
    ok: AtomicU64,
    busy: AtomicU64,
    other: AtomicU64,
    errors: AtomicU64,
}

async fn load(url: &str, connections: usize, seconds: u64, tag: u64) -> (f64, Arc<Counts>) {
    let templates = Arc::new(templates());
    let counts = Arc::new(Counts::default());
    let next = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (templates, counts, next, stop) = (
            templates.clone(),
            counts.clone(),
            next.clone(),
            stop.clone(),
        );
        let url = url.to_owned();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut buf = String::new();
            while !stop.load(Ordering::Relaxed) {
                let n = next.fetch_add(1, Ordering::Relaxed);
                body(&templates, tag, n, &mut buf);
                let r = client
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(buf.clone())
                    .send()
                    .await;
                match r.map(|r| r.status().as_u16()) {
                    Ok(200..=299) => counts.ok.fetch_add(1, Ordering::Relaxed),
                    Ok(503) => counts.busy.fetch_add(1, Ordering::Relaxed),
                    Ok(_) => counts.other.fetch_add(1, Ordering::Relaxed),
                    Err(_) => counts.errors.fetch_add(1, Ordering::Relaxed),
                };
            }
        }));
    }
    // Warm up one second, then count 2xx over the measured window.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let start_ok = counts.ok.load(Ordering::Relaxed);
    let start = Instant::now();
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    let ok = counts.ok.load(Ordering::Relaxed) - start_ok;
    let rate = ok as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    (rate, counts)
}

/// The reference receivers, run as a child process of this bench (`--serve KIND ADDR`).
fn serve(kind: &str, addr: &str) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let app = match kind {
            "bare" => Router::new().fallback(|_body: Bytes| async { StatusCode::OK }),
            _ => Router::new().fallback(|body: Bytes| async move {
                match serde_json::from_slice::<serde_json::Value>(&body) {
                    Ok(v) => {
                        drop(std::hint::black_box(v));
                        StatusCode::OK
                    }
                    Err(_) => StatusCode::BAD_REQUEST,
                }
            }),
        };
        let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
        axum::serve(listener, app).await.unwrap();
    });
}

fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.0.id().to_string())
            .status();
        let _ = self.0.wait();
    }
}

fn wait_ready(addr: &str) {
    for _ in 0..500 {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("receiver on {addr} did not start");
}

fn start(kind: &str) -> (Server, String) {
    let addr = free_addr();
    let child = if kind == "twimon" {
        Command::new(env!("CARGO_BIN_EXE_twimon"))
            .args([
                "listen",
                // The developer's config file must not change what is measured.
                "--no-config",
                "--headless",
                "--format",
                "json",
                "--addr",
                &addr,
                "--max-events",
                "100000",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
    } else {
        Command::new(std::env::current_exe().unwrap())
            .args(["--serve", kind, &addr])
            .stdout(Stdio::null())
            .spawn()
    }
    .unwrap();
    wait_ready(&addr);
    (Server(child), format!("http://{addr}/"))
}

fn report(name: &str, rate: f64, c: &Counts) {
    println!(
        "{name:<8} {rate:>9.0} deliveries/s  ({:>9.0} events/s)   503: {}  other: {}  errors: {}",
        rate * EVENTS_PER_DELIVERY as f64,
        c.busy.load(Ordering::Relaxed),
        c.other.load(Ordering::Relaxed),
        c.errors.load(Ordering::Relaxed)
    );
}

fn main() {
    let o = opts();
    if let Some((kind, addr)) = &o.serve {
        serve(kind, addr);
        return;
    }
    // The load generator gets its own runtime; the receivers are separate processes.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    println!(
        "ingest: {} connections, {}-event deliveries; {} rounds, each receiver {} s (+1 s warm-up) \
         per round, interleaved; medians",
        o.connections, EVENTS_PER_DELIVERY, o.rounds, o.seconds
    );
    let tag = u64::from(std::process::id()) << 8;
    let mut kinds: Vec<&str> = vec!["bare", "value", "twimon"];
    if o.url.is_some() {
        kinds.push("url");
    }
    // Interleaved rounds: a shared machine's drift hits every receiver alike.
    let mut rates: Vec<Vec<f64>> = vec![Vec::new(); kinds.len()];
    for round in 0..o.rounds {
        for (i, kind) in kinds.iter().enumerate() {
            let run_tag = tag + (round * kinds.len() + i) as u64;
            let (rate, c) = if *kind == "url" {
                let url = o.url.clone().unwrap_or_default();
                rt.block_on(load(&url, o.connections, o.seconds, run_tag))
            } else {
                let (server, url) = start(kind);
                let r = rt.block_on(load(&url, o.connections, o.seconds, run_tag));
                drop(server);
                r
            };
            report(kind, rate, &c);
            rates[i].push(rate);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let m: Vec<f64> = rates.iter_mut().map(median).collect();
    let (bare, value, twimon) = (m[0], m[1], m[2]);
    println!("medians: bare {bare:.0}  value {value:.0}  twimon {twimon:.0} deliveries/s");
    if let Some(url) = m.get(3) {
        println!(
            "url    ÷ value = {:.2}   (target ≥ 1.00 for the TUI)",
            url / value
        );
    }
    println!(
        "twimon ÷ value = {:.2}   (target ≥ 0.80 headless)",
        twimon / value
    );
    println!("value  ÷ bare  = {:.2}", value / bare);
    println!("twimon ÷ bare  = {:.2}", twimon / bare);
}
