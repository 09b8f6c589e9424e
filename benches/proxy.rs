//! Latency added by `twimon proxy`: 16 connections post a Twilio-style `<Gather>` action to a
//! small axum app, straight and through the proxy, in interleaved rounds of the same run; it
//! prints p50 and p99 of each and what the proxy adds (goal: ≤ 1 ms at p50, no errors).
//! The app, the proxy and the load share this process (and its cores); the proxy's events go
//! to a consumer that drops them, as the headless printer would after printing.
//!
//! `cargo bench --bench proxy -- [--seconds 3] [--rounds 3] [--connections 16]`

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;

const TWIML: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Say>You pressed 2.</Say>\n  <Redirect>/voice</Redirect>\n</Response>\n";

struct Opts {
    seconds: u64,
    rounds: usize,
    connections: usize,
}

fn opts() -> Opts {
    let mut o = Opts {
        seconds: 3,
        rounds: 3,
        connections: 16,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut num = |d| it.next().and_then(|v| v.parse().ok()).unwrap_or(d);
        match a.as_str() {
            "--seconds" => o.seconds = num(3) as u64,
            "--rounds" => o.rounds = num(3),
            "--connections" => o.connections = num(16),
            _ => {} // cargo bench passes --bench
        }
    }
    o
}

async fn app() -> String {
    let router = Router::new()
        .fallback(|| async { ([(header::CONTENT_TYPE, "text/xml")], TWIML).into_response() });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    url
}

const BODY: &str = "AccountSid=AC0001&CallSid=CA0001&From=%2B14155550100&To=%2B18005550199&CallStatus=in-progress&Digits=2&FinishedOnKey=";

/// Latencies (µs) of `connections` clients posting to `url` for `seconds`; and the errors.
async fn load(url: &str, connections: usize, seconds: u64) -> (Vec<u64>, u64) {
    let stop = Arc::new(AtomicBool::new(false));
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let (url, stop, errors) = (url.to_owned(), stop.clone(), errors.clone());
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut lat = Vec::new();
            let warm = Instant::now() + Duration::from_millis(500);
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let r = client
                    .post(&url)
                    .header("host", "abc.ngrok.app")
                    .header("x-forwarded-proto", "https")
                    .header("x-twilio-signature", "0ZXoZLH/DfblKGATFgpif+LLRf4=")
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(BODY)
                    .send()
                    .await;
                let ok = match r {
                    Ok(r) if r.status().is_success() => r.bytes().await.is_ok(),
                    _ => false,
                };
                if !ok {
                    errors.fetch_add(1, Ordering::Relaxed);
                } else if t >= warm {
                    lat.push(t.elapsed().as_micros() as u64);
                }
            }
            lat
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds) + Duration::from_millis(500)).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all, errors.load(Ordering::Relaxed))
}

fn pct(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[tokio::main]
async fn main() {
    let o = opts();
    let app = app().await;
    let config = twimon::source::proxy::Config {
        target: app.clone(),
        timeout: Duration::from_secs(15),
        listen: twimon::source::listen::Config::default(),
    };
    let mut proxy = twimon::source::proxy::start("127.0.0.1:0", config)
        .await
        .unwrap();
    let proxied = format!("http://{}/menu", proxy.addr);
    let events = Arc::new(AtomicU64::new(0));
    let seen = events.clone();
    tokio::spawn(async move {
        while let Some(d) = proxy.rx.recv().await {
            seen.fetch_add(d.events.len() as u64, Ordering::Relaxed);
        }
    });
    let direct = format!("{app}/menu");
    let (mut d50, mut d99, mut p50, mut p99) = (vec![], vec![], vec![], vec![]);
    let (mut requests, mut errors) = (0, 0);
    println!(
        "{} connections, {} rounds × {} s (direct, proxied interleaved)",
        o.connections, o.rounds, o.seconds
    );
    for round in 1..=o.rounds {
        for (name, url) in [("direct", &direct), ("proxied", &proxied)] {
            let (mut lat, errs) = load(url, o.connections, o.seconds).await;
            lat.sort_unstable();
            errors += errs;
            requests += lat.len();
            let (a, b) = (pct(&lat, 0.5), pct(&lat, 0.99));
            println!(
                "round {round} {name:<8} {:>7} requests  p50 {:>5} µs  p99 {:>6} µs  errors {errs}",
                lat.len(),
                a,
                b
            );
            if name == "direct" {
                d50.push(a);
                d99.push(b);
            } else {
                p50.push(a);
                p99.push(b);
            }
        }
    }
    let (d50, d99, p50, p99) = (median(d50), median(d99), median(p50), median(p99));
    println!(
        "median of rounds: direct p50 {d50} µs p99 {d99} µs; proxied p50 {p50} µs p99 {p99} µs"
    );
    println!(
        "added by the proxy: p50 {:+} µs ({:.2}×), p99 {:+} µs ({:.2}×); {requests} requests, {errors} errors, {} events",
        i128::from(p50) - i128::from(d50),
        p50 as f64 / d50.max(1) as f64,
        i128::from(p99) - i128::from(d99),
        p99 as f64 / d99.max(1) as f64,
        events.load(Ordering::Relaxed)
    );
}
