//! The embedded listener: an axum router that takes Event Streams deliveries, parses them, and
//! hands them to the single consumer through a bounded channel.
//!
//! Twilio discards a delivery it gets a 4xx for and retries 429/5xx for hours, so the handler
//! answers 200 whenever it could use any part of a body, and 503 (never a silent drop) when the
//! consumer cannot take more.

pub mod signature;

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::mpsc;

use crate::domain::Event;
use crate::domain::delivery::{DeliveryError, parse_delivery};
use crate::domain::event::DedupKey;

/// Default `--body-limit`.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// Default channel capacity, in deliveries.
pub const CHANNEL_CAPACITY: usize = 1024;
/// How long a handler waits for room in the channel before answering 503; far inside the 5 s
/// Twilio allows.
pub const SEND_TIMEOUT: Duration = Duration::from_millis(1500);

/// What one accepted delivery hands to the consumer.
#[derive(Debug)]
pub struct Delivery {
    /// New events (duplicates removed), in body order.
    pub events: Vec<Event>,
    /// Dedup key of each event in `events` (None for invalid ones).
    pub keys: Vec<Option<DedupKey>>,
    /// Keys of events that were already delivered before: the consumer marks the original.
    pub duplicates: Vec<DedupKey>,
    pub remote: Option<SocketAddr>,
}

/// Counters shared by the handlers, `/healthz` and the UI header. Relaxed atomics: they are
/// statistics, not synchronisation.
#[derive(Debug)]
pub struct Stats {
    started: Instant,
    pub deliveries: AtomicU64,
    /// New events handed to the consumer (valid and invalid).
    pub events: AtomicU64,
    pub invalid: AtomicU64,
    pub duplicates: AtomicU64,
    /// Deliveries refused with a 4xx.
    pub rejected: AtomicU64,
    /// Deliveries answered 503 because the consumer was full.
    pub busy: AtomicU64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats {
            started: Instant::now(),
            deliveries: AtomicU64::new(0),
            events: AtomicU64::new(0),
            invalid: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            busy: AtomicU64::new(0),
        }
    }
}

impl Stats {
    pub fn uptime(&self) -> Duration {
        self.started.elapsed()
    }

    fn add(counter: &AtomicU64, n: usize) {
        counter.fetch_add(n as u64, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// Keys of the events seen recently, bounded like the store's retention so memory stays flat.
#[derive(Debug)]
pub struct Dedup {
    seen: HashSet<DedupKey>,
    order: VecDeque<DedupKey>,
    cap: usize,
}

impl Dedup {
    pub fn new(cap: usize) -> Self {
        Dedup {
            seen: HashSet::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
        }
    }

    /// Marks a key as seen; false when it already was.
    pub fn insert(&mut self, key: DedupKey) -> bool {
        if !self.seen.insert(key) {
            return false;
        }
        self.order.push_back(key);
        while self.order.len() > self.cap {
            if let Some(old) = self.order.pop_front() {
                self.seen.remove(&old);
            }
        }
        true
    }

    /// Forgets keys whose delivery could not be handed on, so Twilio's retry is not a duplicate.
    pub fn forget(&mut self, keys: &[DedupKey]) {
        for k in keys {
            self.seen.remove(k);
        }
        self.order.retain(|k| !keys.contains(k));
    }
}

/// Listener settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub body_limit: usize,
    pub dedup_cap: usize,
    pub send_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: DEFAULT_BODY_LIMIT,
            dedup_cap: crate::store::DEFAULT_MAX_EVENTS,
            send_timeout: SEND_TIMEOUT,
        }
    }
}

#[derive(Clone)]
struct AppState {
    tx: mpsc::Sender<Delivery>,
    stats: Arc<Stats>,
    dedup: Arc<Mutex<Dedup>>,
    config: Arc<Config>,
}

/// The router: `GET /healthz`, and a delivery on `POST` to any other path.
pub fn router(config: Config, tx: mpsc::Sender<Delivery>, stats: Arc<Stats>) -> Router {
    let state = AppState {
        tx,
        stats,
        dedup: Arc::new(Mutex::new(Dedup::new(config.dedup_cap))),
        config: Arc::new(config),
    };
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let remote = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a);
    match (&method, uri.path()) {
        (&Method::GET | &Method::HEAD, "/healthz") => health(&state),
        (&Method::POST, _) => {
            let response = deliver(&state, &headers, body, remote).await;
            if !response.status().is_success()
                && response.status() != StatusCode::SERVICE_UNAVAILABLE
            {
                Stats::add(&state.stats.rejected, 1);
            }
            response
        }
        _ => error(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!(
                "{method} {} is not served: POST deliveries to any path, GET /healthz",
                uri.path()
            ),
        ),
    }
}

fn health(state: &AppState) -> Response {
    let s = &state.stats;
    axum::Json(json!({
        "status": "ok",
        "deliveries": Stats::get(&s.deliveries),
        "events": Stats::get(&s.events),
        "invalid": Stats::get(&s.invalid),
        "duplicates": Stats::get(&s.duplicates),
        "rejected": Stats::get(&s.rejected),
        "busy": Stats::get(&s.busy),
        "uptime_s": s.uptime().as_secs(),
    }))
    .into_response()
}

#[allow(clippy::needless_pass_by_value)] // callers build the message for this call only
fn error(status: StatusCode, code: &str, message: String) -> Response {
    (
        status,
        axum::Json(json!({ "error": code, "message": message })),
    )
        .into_response()
}

/// Content types taken as a JSON delivery. None (curl's default is form-encoded, but a sink
/// may send none) and `text/plain` are tried as JSON too.
fn is_json_content_type(headers: &HeaderMap) -> Result<(), String> {
    let Some(ct) = headers.get(header::CONTENT_TYPE) else {
        return Ok(());
    };
    let ct = ct.to_str().unwrap_or("").to_ascii_lowercase();
    let essence = ct.split(';').next().unwrap_or("").trim();
    let ok = essence.is_empty()
        || essence == "application/json"
        || essence == "text/plain"
        || essence.ends_with("+json")
        || essence == "application/cloudevents-batch+json";
    if ok { Ok(()) } else { Err(essence.to_owned()) }
}

async fn read_body(body: Body, headers: &HeaderMap, limit: usize) -> Result<Bytes, Response> {
    let too_large = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("body exceeds the limit of {limit} bytes (--body-limit)"),
        )
    };
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    axum::body::to_bytes(body, limit).await.map_err(|e| {
        // to_bytes reports a limit overrun as a length-limit error somewhere in its chain.
        let is_limit = std::error::Error::source(&e)
            .is_some_and(|s| s.to_string().contains("length limit"))
            || e.to_string().contains("length limit");
        if is_limit {
            too_large()
        } else {
            error(
                StatusCode::BAD_REQUEST,
                "body_unreadable",
                format!("could not read the body: {e}"),
            )
        }
    })
}

async fn deliver(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    remote: Option<SocketAddr>,
) -> Response {
    if let Err(ct) = is_json_content_type(headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("content type {ct:?} is not handled: send JSON CloudEvents (application/json)"),
        );
    }
    let bytes = match read_body(body, headers, state.config.body_limit).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let parsed = match parse_delivery(&bytes, Timestamp::now()) {
        Ok(events) => events,
        Err(e) => {
            let code = match e {
                DeliveryError::TooManyEvents(_) => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            let kind = match e {
                DeliveryError::NotJson(_) => "not_json",
                DeliveryError::NotObjectOrArray(_) => "not_object_or_array",
                DeliveryError::TooManyEvents(_) => "too_many_events",
            };
            return error(code, kind, e.to_string());
        }
    };
    let delivery = dedup(state, parsed, remote);
    let (accepted, invalid, dups) = (
        delivery
            .events
            .iter()
            .filter(|e| e.invalid.is_none())
            .count(),
        delivery
            .events
            .iter()
            .filter(|e| e.invalid.is_some())
            .count(),
        delivery.duplicates.len(),
    );
    let new_keys: Vec<DedupKey> = delivery.keys.iter().flatten().copied().collect();
    let n_events = delivery.events.len();
    if let Err(e) = state
        .tx
        .send_timeout(delivery, state.config.send_timeout)
        .await
    {
        if let Ok(mut d) = state.dedup.lock() {
            d.forget(&new_keys);
        }
        Stats::add(&state.stats.busy, 1);
        let why = match e {
            mpsc::error::SendTimeoutError::Timeout(_) => "the monitor is busy",
            mpsc::error::SendTimeoutError::Closed(_) => "the monitor is shutting down",
        };
        tracing::warn!(why, "answering 503");
        let mut resp = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("{why}; retry later (nothing from this delivery was kept)"),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        return resp;
    }
    Stats::add(&state.stats.deliveries, 1);
    Stats::add(&state.stats.events, n_events);
    Stats::add(&state.stats.invalid, invalid);
    Stats::add(&state.stats.duplicates, dups);
    axum::Json(json!({ "accepted": accepted, "duplicates": dups, "invalid": invalid }))
        .into_response()
}

/// Splits a parsed delivery into new events and duplicates of earlier (or same-body) ones.
fn dedup(state: &AppState, parsed: Vec<Event>, remote: Option<SocketAddr>) -> Delivery {
    let keyed: Vec<(Event, Option<DedupKey>)> = parsed
        .into_iter()
        .map(|e| {
            let k = e.dedup_key();
            (e, k)
        })
        .collect();
    let mut delivery = Delivery {
        events: Vec::with_capacity(keyed.len()),
        keys: Vec::with_capacity(keyed.len()),
        duplicates: Vec::new(),
        remote,
    };
    let Ok(mut seen) = state.dedup.lock() else {
        // A poisoned lock means a handler panicked mid-insert; keeping every event beats
        // losing any.
        for (e, k) in keyed {
            delivery.events.push(e);
            delivery.keys.push(k);
        }
        return delivery;
    };
    for (e, k) in keyed {
        match k {
            Some(key) if !seen.insert(key) => delivery.duplicates.push(key),
            _ => {
                delivery.events.push(e);
                delivery.keys.push(k);
            }
        }
    }
    delivery
}

/// Binds the listener, with a one-line error naming the address when that fails.
pub async fn bind(addr: &str) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.map_err(|e| match e.kind() {
        std::io::ErrorKind::AddrInUse => {
            anyhow::anyhow!("cannot listen on {addr}: the address is already in use (another twimon? pick one with --addr)")
        }
        _ => anyhow::anyhow!("cannot listen on {addr}: {e}"),
    })
}

/// Serves until `shutdown` resolves; in-flight deliveries finish first.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedup_is_bounded_and_forgets() {
        let mut d = Dedup::new(2);
        assert!(d.insert(1));
        assert!(!d.insert(1));
        assert!(d.insert(2));
        assert!(d.insert(3)); // evicts 1
        assert!(d.insert(1));
        d.forget(&[1]);
        assert!(d.insert(1));
        assert!(d.seen.len() <= 3);
    }

    #[test]
    fn content_types() {
        let with = |ct: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::CONTENT_TYPE, ct.parse().unwrap());
            is_json_content_type(&h)
        };
        assert!(with("application/json; charset=utf-8").is_ok());
        assert!(with("application/cloudevents-batch+json").is_ok());
        assert!(with("application/cloudevents+json").is_ok());
        assert_eq!(with("application/xml"), Err("application/xml".into()));
        assert!(with("application/x-www-form-urlencoded").is_err());
        assert!(is_json_content_type(&HeaderMap::new()).is_ok());
    }
}
