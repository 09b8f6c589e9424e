//! The embedded listener: an axum router that takes Event Streams deliveries, parses them, and
//! hands them to the single consumer through a bounded channel.
//!
//! Twilio discards a delivery it gets a 4xx for and retries 429/5xx for hours, so the handler
//! answers 200 whenever it could use any part of a body, and 503 (never a silent drop) when the
//! consumer cannot take more.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use serde_json::json;
use tokio::sync::mpsc;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::dedup::{Dedup, split_duplicates};
use super::record::{Record, Recorder};
use super::signature::{self, Verifier};
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::Event;
use crate::domain::callback::{self, CallbackError};
use crate::domain::delivery::{DeliveryError, parse_delivery};
use crate::domain::event::DedupKey;
use crate::domain::feed::{REJECTIONS_KEPT, Rejection};

/// Default `--body-limit`.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;
/// The smallest `--body-limit` accepted. One event whose TwiML answer is at Twilio's 64 kB
/// response limit carries it base64'd (4/3 of it: ~87 kB) plus its request parameters and
/// envelope, so anything below 128 KiB can refuse a real delivery — and a 413 is a 4xx:
/// Twilio drops that delivery for good, it is never retried.
pub const MIN_BODY_LIMIT: usize = 128 * 1024;
/// How long a handler waits for room in the channel before answering 503; far inside the 5 s
/// Twilio allows.
pub const SEND_TIMEOUT: Duration = Duration::from_millis(1500);

/// Default [`Config::dedup_cap`]: the keys remembered, as many as the monitor retains events.
pub const DEFAULT_DEDUP_KEYS: usize = 1_000_000;

/// Default [`Config::body_timeout`]: far more than any real delivery needs.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Config::header_timeout`]: a request's headers arrive at once or not at all.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// Default [`Config::handler_timeout`]: the body time-out, a full channel's wait, and room.
pub const HANDLER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long in-flight requests may take to finish at shutdown before they are cut.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(3);
/// Most connections served at once, whatever the file-descriptor limit allows.
pub const MAX_CONNECTIONS: usize = 1024;

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
    /// Deliveries refused with 403 by `--require-signature`.
    pub forbidden: AtomicU64,
    /// Deliveries answered 503 because the recording could not be written.
    pub record_errors: AtomicU64,
    /// The last recording error, for the screen.
    pub last_record_error: Mutex<Option<String>>,
    /// What a pulling source (a stream, a pipe) reports beyond these counters.
    pub info: Mutex<super::SourceInfo>,
    /// The last [`REJECTIONS_KEPT`] refused deliveries, oldest first.
    rejections: Mutex<VecDeque<Rejection>>,
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
            forbidden: AtomicU64::new(0),
            record_errors: AtomicU64::new(0),
            last_record_error: Mutex::new(None),
            info: Mutex::new(super::SourceInfo::default()),
            rejections: Mutex::new(VecDeque::with_capacity(REJECTIONS_KEPT)),
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

    /// Logs a refused delivery with its reason and keeps it among the last few for the screen.
    pub fn reject(&self, r: Rejection) {
        tracing::warn!(
            status = r.status,
            remote = %r.remote.as_deref().unwrap_or("-"),
            request = %r.request,
            reason = %r.reason,
            "delivery refused"
        );
        let mut kept = self
            .rejections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if kept.len() == REJECTIONS_KEPT {
            kept.pop_front();
        }
        kept.push_back(r);
    }

    /// The last refused deliveries, oldest first.
    pub fn rejections(&self) -> Vec<Rejection> {
        let kept = self
            .rejections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        kept.iter().cloned().collect()
    }
}

/// Why a request was refused, carried on the answer for the log and the screen.
#[derive(Debug, Clone)]
struct Reason(String);

/// The size of a delivery's body as received, carried on the answer for the debug log.
#[derive(Debug, Clone, Copy)]
struct Received(usize);

/// Listener settings.
#[derive(Debug, Clone)]
pub struct Config {
    pub body_limit: usize,
    pub dedup_cap: usize,
    pub send_timeout: Duration,
    /// Checks X-Twilio-Signature when it has an auth token.
    pub verifier: Verifier,
    /// Answer 403 to deliveries whose signature is invalid or missing.
    pub require_signature: bool,
    /// Longest wait for a body to arrive (408 after it).
    pub body_timeout: Duration,
    /// Append every accepted delivery to this file (`--record`).
    pub record: Option<std::path::PathBuf>,
    /// Longest wait for a request's headers. hyper starts it as soon as a connection waits
    /// for a request, so it also bounds how long a keep-alive connection may sit idle.
    pub header_timeout: Duration,
    /// Longest a request may take from its headers to its answer (503 after it, which
    /// Twilio retries).
    pub handler_timeout: Duration,
    /// Connections served at once; None = [`connection_cap`] of the file-descriptor limit.
    pub max_connections: Option<usize>,
    /// How long in-flight requests may take to finish at shutdown.
    pub shutdown_grace: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            body_limit: DEFAULT_BODY_LIMIT,
            dedup_cap: DEFAULT_DEDUP_KEYS,
            send_timeout: SEND_TIMEOUT,
            verifier: Verifier::new(None, None),
            require_signature: false,
            body_timeout: BODY_TIMEOUT,
            record: None,
            header_timeout: HEADER_TIMEOUT,
            handler_timeout: HANDLER_TIMEOUT,
            max_connections: None,
            shutdown_grace: SHUTDOWN_GRACE,
        }
    }
}

#[derive(Clone)]
struct AppState {
    tx: mpsc::Sender<Delivery>,
    stats: Arc<Stats>,
    dedup: Arc<Mutex<Dedup>>,
    config: Arc<Config>,
    /// With a recording, hand-offs are serialised so the file has the channel's order.
    recorder: Option<Arc<tokio::sync::Mutex<Recorder>>>,
}

/// The router: `GET /healthz`, and a delivery on `POST` to any other path.
pub fn router(
    config: Config,
    tx: mpsc::Sender<Delivery>,
    stats: Arc<Stats>,
    recorder: Option<Recorder>,
) -> Router {
    let state = AppState {
        tx,
        stats,
        dedup: Arc::new(Mutex::new(Dedup::new(config.dedup_cap))),
        config: Arc::new(config),
        recorder: recorder.map(|r| Arc::new(tokio::sync::Mutex::new(r))),
    };
    Router::new().fallback(dispatch).with_state(state)
}

async fn dispatch(State(state): State<AppState>, request: Request) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let (method, uri, headers) = (parts.method, parts.uri, parts.headers);
    let remote = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a);
    let response = match (&method, uri.path()) {
        (&Method::GET | &Method::HEAD, "/healthz") => return health(&state),
        (&Method::POST, _) => {
            let path = uri.path_and_query().map_or("/", |pq| pq.as_str());
            let response = deliver(&state, &headers, path, body, remote).await;
            let status = response.status();
            if status.is_client_error() && status != StatusCode::FORBIDDEN {
                Stats::add(&state.stats.rejected, 1);
            }
            response
        }
        _ => {
            let mut resp = error(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                format!(
                    "{method} {} is not served: POST deliveries to any path, GET /healthz",
                    uri.path()
                ),
            );
            // RFC 9110 §15.5.6: a 405 lists what the resource does allow.
            let allow = if uri.path() == "/healthz" {
                "GET, HEAD"
            } else {
                "POST"
            };
            resp.headers_mut()
                .insert(header::ALLOW, header::HeaderValue::from_static(allow));
            resp
        }
    };
    // An accepted delivery costs nothing here unless debug logging is on.
    if !response.status().is_success() || tracing::enabled!(tracing::Level::DEBUG) {
        let request = format!("{method} {}", safe_path(uri.path()));
        note(&state.stats, &response, request, remote, &headers, started);
    }
    response
}

/// One debug line per delivery (remote, size, status, time), and a refused one logged with
/// its reason and kept for the screen.
fn note(
    stats: &Stats,
    response: &Response,
    request: String,
    remote: Option<SocketAddr>,
    headers: &HeaderMap,
    started: Instant,
) {
    let status = response.status();
    let bytes = response.extensions().get::<Received>().map_or_else(
        || {
            headers
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<usize>().ok())
        },
        |r| Some(r.0),
    );
    let remote = remote.map(|r| r.to_string());
    tracing::debug!(
        remote = %remote.as_deref().unwrap_or("-"),
        %request,
        bytes = %bytes.map_or_else(|| "?".to_owned(), |b| b.to_string()),
        status = status.as_u16(),
        ms = %format!("{:.1}", started.elapsed().as_secs_f64() * 1000.0),
        "delivery"
    );
    if !status.is_success() {
        let reason = response
            .extensions()
            .get::<Reason>()
            .map_or_else(|| status.to_string(), |r| r.0.clone());
        stats.reject(Rejection {
            at: Timestamp::now(),
            status: status.as_u16(),
            reason,
            remote,
            request,
        });
    }
}

/// A request path for the log and the screen: terminal-safe and bounded.
fn safe_path(path: &str) -> String {
    const MAX: usize = 120;
    let safe = crate::text::safe::line(path);
    match safe.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &safe[..cut]),
        None => safe.into_owned(),
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
        "forbidden": Stats::get(&s.forbidden),
        "record_errors": Stats::get(&s.record_errors),
        "uptime_s": s.uptime().as_secs(),
    }))
    .into_response()
}

#[allow(clippy::needless_pass_by_value)] // callers build the message for this call only
fn error(status: StatusCode, code: &str, message: String) -> Response {
    let mut resp = (
        status,
        axum::Json(json!({ "error": code, "message": &message })),
    )
        .into_response();
    resp.extensions_mut().insert(Reason(message));
    resp
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

/// Whether a content type is a form: a classic voice webhook or status callback.
pub fn is_form_content_type(content_type: Option<&str>) -> bool {
    content_type
        .and_then(|ct| ct.split(';').next())
        .is_some_and(|essence| {
            essence
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// The event of a form-encoded callback posted to `path_and_query`, from its decoded pairs.
/// Its URL is rebuilt from the request (`X-Forwarded-Proto` + `Host`, as for signatures, but
/// never `--public-url`), so a replay of the recording builds the same event.
pub fn form_event(
    headers: &HeaderMap,
    path_and_query: &str,
    params: &[(String, String)],
    arrival: Timestamp,
) -> Result<Event, CallbackError> {
    let url = signature::public_url(headers, path_and_query, None);
    callback::parse_callback(params, &url, arrival)
}

fn callback_error(e: &CallbackError) -> Response {
    let (code, kind) = match e {
        CallbackError::NoCallSid => (StatusCode::BAD_REQUEST, "not_a_callback"),
        CallbackError::TooManyParameters(_) => {
            (StatusCode::PAYLOAD_TOO_LARGE, "too_many_parameters")
        }
    };
    error(code, kind, e.to_string())
}

/// Reads the body, bounded in size and in time: a client that stalls mid-body (a slowloris)
/// is answered 408 and let go instead of holding a task forever.
pub(super) async fn read_body(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    timeout: Duration,
) -> Result<Bytes, Response> {
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
    let read = tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await;
    let Ok(read) = read else {
        return Err(error(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            format!("the body did not arrive within {} s", timeout.as_secs_f32()),
        ));
    };
    read.map_err(|e| {
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

/// A content coding twimon undoes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Coding {
    Gzip,
    /// RFC 9110's deflate is zlib; raw deflate (a common mistake) is taken too.
    Deflate,
}

impl Coding {
    fn as_str(self) -> &'static str {
        match self {
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }
}

/// The codings of `Content-Encoding`, in the order they were applied; the name of the first
/// one not handled as the error. `identity` (or none) is no coding.
fn content_codings(headers: &HeaderMap) -> Result<Vec<Coding>, String> {
    let mut out = Vec::new();
    for value in headers.get_all(header::CONTENT_ENCODING) {
        let Ok(value) = value.to_str() else {
            return Err(String::from_utf8_lossy(value.as_bytes()).into_owned());
        };
        for name in value.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            match name.to_ascii_lowercase().as_str() {
                "identity" => {}
                "gzip" | "x-gzip" => out.push(Coding::Gzip),
                "deflate" => out.push(Coding::Deflate),
                _ => return Err(crate::text::safe::line(name).into_owned()),
            }
        }
    }
    Ok(out)
}

/// Undoes `codings` (last applied first), never producing more than `limit` bytes: the body
/// limit is on the decoded size, so a compression bomb gets 413 after `limit` bytes of work.
fn decode_body(received: &Bytes, codings: &[Coding], limit: usize) -> Result<Bytes, Box<Response>> {
    use std::io::Read;
    let mut bytes = received.clone();
    for coding in codings.iter().rev() {
        let cap = limit as u64 + 1;
        let mut out = Vec::new();
        let read = match coding {
            Coding::Gzip => flate2::read::MultiGzDecoder::new(&bytes[..])
                .take(cap)
                .read_to_end(&mut out),
            Coding::Deflate => {
                let zlib = flate2::read::ZlibDecoder::new(&bytes[..])
                    .take(cap)
                    .read_to_end(&mut out);
                if zlib.is_err() {
                    out.clear();
                    flate2::read::DeflateDecoder::new(&bytes[..])
                        .take(cap)
                        .read_to_end(&mut out)
                } else {
                    zlib
                }
            }
        };
        if let Err(e) = read {
            return Err(Box::new(error(
                StatusCode::BAD_REQUEST,
                "bad_encoding",
                format!("the body is not valid {}: {e}", coding.as_str()),
            )));
        }
        if out.len() > limit {
            return Err(Box::new(error(
                StatusCode::PAYLOAD_TOO_LARGE,
                "body_too_large",
                format!("the decoded body exceeds the limit of {limit} bytes (--body-limit)"),
            )));
        }
        bytes = Bytes::from(out);
    }
    Ok(bytes)
}

async fn deliver(
    state: &AppState,
    headers: &HeaderMap,
    path: &str,
    body: Body,
    remote: Option<SocketAddr>,
) -> Response {
    let form = is_form_content_type(
        headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok()),
    );
    if !form && let Err(ct) = is_json_content_type(headers) {
        return error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!(
                "content type {ct:?} is not handled: send JSON CloudEvents (application/json) or form-encoded voice callbacks"
            ),
        );
    }
    let codings = match content_codings(headers) {
        Ok(c) => c,
        Err(name) => {
            return error(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_encoding",
                format!("Content-Encoding {name:?} is not handled: send identity, gzip or deflate"),
            );
        }
    };
    let config = &state.config;
    // `received` is what came over the wire: Twilio's bodySHA256 is over the bytes it sent,
    // so the signature is checked on them; `bytes` is the decoded body everything else reads.
    let received = match read_body(body, headers, config.body_limit, config.body_timeout).await {
        Ok(b) => b,
        Err(resp) => return resp,
    };
    let bytes = match decode_body(&received, &codings, config.body_limit) {
        Ok(b) => b,
        Err(resp) => return *resp,
    };
    // A form is signed over its decoded pairs; refuse an absurd number before sorting them.
    let params = form.then(|| signature::form_pairs(&bytes));
    if let Some(p) = params.as_deref()
        && p.len() > callback::MAX_PARAMETERS
    {
        return callback_error(&CallbackError::TooManyParameters(p.len()));
    }
    let signature = state
        .config
        .verifier
        .verify(headers, path, &received, params.as_deref());
    if state.config.require_signature && signature.refused_when_required() {
        Stats::add(&state.stats.forbidden, 1);
        let why = signature
            .reason()
            .unwrap_or("no X-Twilio-Signature header")
            .to_owned();
        return error(
            StatusCode::FORBIDDEN,
            "bad_signature",
            format!("signature check failed: {why}"),
        );
    }
    let arrival = Timestamp::now();
    let parsed = match &params {
        Some(p) => match form_event(headers, path, p, arrival) {
            Ok(ev) => vec![ev],
            Err(e) => return callback_error(&e),
        },
        None => match parse_delivery(&bytes, arrival) {
            Ok(events) => events,
            Err(e) => return delivery_error(&e),
        },
    };
    // Decode and check each TwiML body here, on this worker thread, not on the consumer's.
    let mut parsed = parsed;
    crate::domain::check::stamp_all(&mut parsed);
    // With a recording, the lock keeps file order = channel order (replay must match).
    let mut recorder = match &state.recorder {
        Some(r) => Some(r.lock().await),
        None => None,
    };
    let delivery = match state.dedup.lock() {
        Ok(mut seen) => split_duplicates(&mut seen, parsed, signature.signature()),
        // A poisoned lock means a handler panicked mid-insert; keeping every event beats
        // losing any.
        Err(_) => split_duplicates(&mut Dedup::new(1), parsed, signature.signature()),
    };
    let accepted = delivery
        .events
        .iter()
        .filter(|e| e.invalid.is_none())
        .count();
    let invalid = delivery.events.len() - accepted;
    let dups = delivery.duplicates.len();
    let new_keys: Vec<DedupKey> = delivery.keys.iter().flatten().copied().collect();
    // Cut short (the handler time-out drops this future at an await), nothing was kept: the
    // keys are forgotten so Twilio's retry is not taken for a duplicate.
    let mut unkept = Forget {
        dedup: &state.dedup,
        keys: new_keys.clone(),
    };
    let busy = |why: &str| {
        if let Ok(mut d) = state.dedup.lock() {
            d.forget(&new_keys);
        }
        let mut resp = error(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            format!("{why}; retry later (nothing from this delivery was kept)"),
        );
        resp.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
        resp
    };
    // Reserve room first: once the recording holds the delivery it must reach the consumer.
    let permit = match tokio::time::timeout(state.config.send_timeout, state.tx.reserve()).await {
        Ok(Ok(permit)) => permit,
        Ok(Err(_)) => {
            Stats::add(&state.stats.busy, 1);
            return busy("the monitor is shutting down");
        }
        Err(_) => {
            Stats::add(&state.stats.busy, 1);
            return busy("the monitor is busy");
        }
    };
    if let Some(rec) = recorder.as_deref_mut() {
        let record = Record {
            arrival: arrival.to_string(),
            remote: remote.map(|r| r.to_string()),
            path: path.to_owned(),
            headers: Record::kept_headers(headers),
            signature: signature.as_str().to_owned(),
            signature_reason: signature.reason().map(str::to_owned),
            signed_by: signature.signed_by().map(ToString::to_string),
            body: String::from_utf8_lossy(&bytes).into_owned(),
            decoded_from: (!codings.is_empty()).then(|| {
                codings
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }),
        };
        if let Err(e) = rec.write(&record) {
            drop(permit);
            Stats::add(&state.stats.record_errors, 1);
            let why = format!("cannot write the recording {}: {e}", rec.path().display());
            if let Ok(mut last) = state.stats.last_record_error.lock() {
                *last = Some(why.clone());
            }
            return busy(&why);
        }
    }
    let n_events = delivery.events.len();
    permit.send(delivery);
    unkept.keys.clear();
    drop(recorder);
    Stats::add(&state.stats.deliveries, 1);
    Stats::add(&state.stats.events, n_events);
    Stats::add(&state.stats.invalid, invalid);
    Stats::add(&state.stats.duplicates, dups);
    // Written directly: this answer goes out for every delivery.
    let body = format!(r#"{{"accepted":{accepted},"duplicates":{dups},"invalid":{invalid}}}"#);
    let mut resp = ([(header::CONTENT_TYPE, "application/json")], body).into_response();
    resp.extensions_mut().insert(Received(received.len()));
    resp
}

/// Forgets its keys when dropped, unless they were cleared because the delivery was kept.
struct Forget<'a> {
    dedup: &'a Mutex<Dedup>,
    keys: Vec<DedupKey>,
}

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        if !self.keys.is_empty()
            && let Ok(mut d) = self.dedup.lock()
        {
            d.forget(&self.keys);
        }
    }
}

fn delivery_error(e: &DeliveryError) -> Response {
    let (code, kind) = match e {
        DeliveryError::NotJson(_) => (StatusCode::BAD_REQUEST, "not_json"),
        DeliveryError::NotObjectOrArray(_) => (StatusCode::BAD_REQUEST, "not_object_or_array"),
        DeliveryError::TooManyEvents(_) => (StatusCode::PAYLOAD_TOO_LARGE, "too_many_events"),
    };
    error(code, kind, e.to_string())
}

/// A running listener: where it listens, its counters, and the receiving end for a consumer.
pub struct Listener {
    pub addr: SocketAddr,
    pub stats: Arc<Stats>,
    pub rx: mpsc::Receiver<Delivery>,
    /// Send `true` to stop accepting connections.
    pub stop: watch::Sender<bool>,
    pub server: JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// The URL to POST deliveries to.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// The listener as a consumer sees every source.
    pub fn into_feed(self) -> Feed {
        Feed {
            label: self.url(),
            live: true,
            stats: self.stats,
            rx: self.rx,
            stop: self.stop,
            task: self.server,
        }
    }
}

/// Binds and starts the listener.
pub async fn start(addr: &str, config: Config) -> anyhow::Result<Listener> {
    let listener = bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let stats = Arc::new(Stats::default());
    let recorder =
        match &config.record {
            Some(path) => Some(Recorder::open(path).map_err(|e| {
                anyhow::anyhow!("cannot open the recording {}: {e}", path.display())
            })?),
            None => None,
        };
    let limits = Limits::of(&config);
    let router = router(config, tx, stats.clone(), recorder);
    let (stop, mut stopped) = watch::channel(false);
    let server = tokio::spawn(serve(
        listener,
        router,
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
        limits,
    ));
    tracing::info!(%addr, "listening");
    Ok(Listener {
        addr,
        stats,
        rx,
        stop,
        server,
    })
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

/// The connection cap for a file-descriptor limit: room for the listener, the recording, the
/// log and the terminal, at most [`MAX_CONNECTIONS`].
pub fn connection_cap() -> usize {
    let soft = rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX);
    let cap = usize::try_from(soft.saturating_sub(64)).unwrap_or(usize::MAX);
    cap.clamp(8, MAX_CONNECTIONS)
}

/// How each connection is bounded.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub header_timeout: Duration,
    pub handler_timeout: Duration,
    pub max_connections: usize,
    pub shutdown_grace: Duration,
}

impl Limits {
    pub fn of(config: &Config) -> Limits {
        Limits {
            header_timeout: config.header_timeout,
            handler_timeout: config.handler_timeout,
            max_connections: config.max_connections.unwrap_or_else(connection_cap).max(1),
            shutdown_grace: config.shutdown_grace,
        }
    }
}

/// One open connection, as the accept loop sees it: whether a request is being handled, and
/// how to close it when it is not.
struct Conn {
    busy: Arc<std::sync::atomic::AtomicBool>,
    close: Arc<tokio::sync::Notify>,
}

/// Open connections by age (ids increase), for closing the oldest idle one at the cap.
type Conns = Arc<Mutex<std::collections::BTreeMap<u64, Conn>>>;

/// Serves until `shutdown` resolves, every stage bounded: headers (and keep-alive idle) by
/// `header_timeout`, bodies by the body time-out (408), each request by `handler_timeout`
/// (503), open connections by a cap below the file-descriptor limit. At the cap the oldest
/// connection that is not handling a request (half-sent headers, idle keep-alive) is closed
/// to make room, so deliveries and /healthz stay answerable; when every one is busy, the new
/// one gets a quick 503. At shutdown in-flight requests get `shutdown_grace` to finish.
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    limits: Limits,
) -> std::io::Result<()> {
    let permits = Arc::new(tokio::sync::Semaphore::new(limits.max_connections));
    let conns: Conns = Arc::default();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut tasks = tokio::task::JoinSet::new();
    let mut saturated = false;
    let mut next_id = 0u64;
    tokio::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a connection reset before accept: not fatal.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        // Answers go out as soon as they are written: a response's head and body are
        // separate writes, which Nagle's algorithm would otherwise hold for the peer's
        // delayed ACK (~40 ms).
        let _ = stream.set_nodelay(true);
        while tasks.try_join_next().is_some() {}
        let permit = if let Ok(p) = permits.clone().try_acquire_owned() {
            saturated = false;
            p
        } else {
            {
                if !saturated {
                    saturated = true;
                    tracing::warn!(
                        cap = limits.max_connections,
                        "connection cap reached: closing the oldest idle connections to make room, refusing (503) when every one is busy"
                    );
                }
                if let Some(p) = make_room(&conns, &permits).await {
                    p
                } else {
                    tasks.spawn(refuse(stream));
                    continue;
                }
            }
        };
        next_id += 1;
        let conn = Conn {
            busy: Arc::default(),
            close: Arc::default(),
        };
        let (busy, close) = (conn.busy.clone(), conn.close.clone());
        if let Ok(mut c) = conns.lock() {
            c.insert(next_id, conn);
        }
        let (conns, id, router, stop) = (conns.clone(), next_id, router.clone(), stop_rx.clone());
        tasks.spawn(async move {
            serve_connection(stream, remote, router, limits, busy, close, stop).await;
            if let Ok(mut c) = conns.lock() {
                c.remove(&id);
            }
            drop(permit);
        });
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, async {
        while tasks.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!("connections still open after the shutdown grace period: cut");
        tasks.shutdown().await;
    }
    Ok(())
}

/// Closes the oldest connection that is not handling a request and takes its place; None
/// when every connection is busy.
async fn make_room(
    conns: &Conns,
    permits: &Arc<tokio::sync::Semaphore>,
) -> Option<tokio::sync::OwnedSemaphorePermit> {
    let idle = conns.lock().ok().and_then(|c| {
        c.values()
            .find(|c| !c.busy.load(Ordering::Relaxed))
            .map(|c| c.close.clone())
    })?;
    idle.notify_one();
    tokio::time::timeout(Duration::from_secs(1), permits.clone().acquire_owned())
        .await
        .ok()?
        .ok()
}

/// A quick 503 to a connection past the cap, instead of leaving it hanging.
async fn refuse(mut stream: tokio::net::TcpStream) {
    use tokio::io::AsyncWriteExt;
    let body = r#"{"error":"busy","message":"too many open connections; retry later"}"#;
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    })
    .await;
}

async fn serve_connection(
    stream: tokio::net::TcpStream,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    busy: Arc<std::sync::atomic::AtomicBool>,
    close: Arc<tokio::sync::Notify>,
    mut stop: tokio::sync::watch::Receiver<bool>,
) {
    let in_flight = busy.clone();
    let service = hyper::service::service_fn(move |mut req: Request<hyper::body::Incoming>| {
        req.extensions_mut().insert(ConnectInfo(remote));
        let router = router.clone();
        let busy = in_flight.clone();
        busy.store(true, Ordering::Relaxed);
        async move {
            let answer = tokio::time::timeout(
                limits.handler_timeout,
                tower::ServiceExt::oneshot(router, req.map(Body::new)),
            )
            .await;
            busy.store(false, Ordering::Relaxed);
            Ok::<_, std::convert::Infallible>(match answer {
                Ok(Ok(resp)) => resp,
                Ok(Err(never)) => match never {},
                Err(_) => {
                    tracing::warn!(
                        status = 503,
                        %remote,
                        reason = "not handled in time",
                        "delivery refused"
                    );
                    handler_timed_out(limits.handler_timeout)
                }
            })
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .keep_alive(true)
        .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        // Closed to make room: only ever while no request is being handled.
        () = close.notified() => {
            if !busy.load(Ordering::Relaxed) {
                return;
            }
        }
        _ = stop.wait_for(|s| *s) => {}
    }
    // Shutting down (or asked to close while a request started): finish it, then close.
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

fn handler_timed_out(bound: Duration) -> Response {
    let mut resp = error(
        StatusCode::SERVICE_UNAVAILABLE,
        "timeout",
        format!(
            "the request was not handled within {} s; retry later (nothing from it was kept)",
            bound.as_secs_f32()
        ),
    );
    resp.headers_mut()
        .insert(header::RETRY_AFTER, header::HeaderValue::from_static("1"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(is_form_content_type(Some(
            "Application/X-WWW-Form-Urlencoded; charset=utf-8"
        )));
        assert!(!is_form_content_type(Some("application/json")));
        assert!(!is_form_content_type(None));
    }
}
