//! `twimon proxy`: an inspecting reverse proxy in front of a Voice app's own webhooks. Twilio
//! (through a tunnel) calls twimon, twimon calls the app, and each exchange becomes an event
//! (see [`crate::domain::exchange`]) on the same feed as the listener's deliveries.
//!
//! - Forwarded verbatim: method, path, query, body and headers (with `X-Twilio-Signature` and
//!   the tunnel's `Host`), plus `X-Forwarded-For`/`-Proto`/`-Host`, so the app's own signature
//!   check rebuilds the URL Twilio signed. Only the hop-by-hop headers of RFC 9110 §7.6.1 stop
//!   here, as at any proxy.
//! - The answer goes back as it comes, streamed: no size limit and no buffering; a bounded
//!   copy of its start is kept for the event (the TwiML the checks read).
//! - Every stage is bounded in time: the request body (408), the app's whole answer (Twilio's
//!   15 s, `--timeout`): a dead app is answered 502, a slow one 504, each recorded as a
//!   `request.failed` event with the code Twilio would log, and the proxy keeps serving.
//! - `POST /_twimon/events` is the listener itself (the same handler, not a copy): one tunnel
//!   carries both the app's webhooks and an Event Streams sink.

use std::collections::{HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use jiff::Timestamp;
use tokio::sync::{mpsc, watch};

use super::listen::{self, Limits, Stats};
use super::record::{Record, Recorder};
use super::{CHANNEL_CAPACITY, Delivery, Feed, signature};
use crate::domain::EventKind;
use crate::domain::exchange::{Exchange, Failure, PROXY_SOURCE, infer_kind};

/// The reserved path where Event Streams deliveries are taken, as `twimon listen` takes them.
pub const EVENTS_PATH: &str = "/_twimon/events";
/// Twilio's bound on a webhook answer: the default `--timeout`.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
/// How much of each answer is kept for its event: far above Twilio's 64 kB TwiML limit, so the
/// checks see every answer Twilio would read, and 11750 when it is too big.
pub const COPY_LIMIT: usize = crate::domain::twiml::MAX_DECODED_BYTES;
/// Calls remembered to tell a call's first request (call.requested) from the later ones.
const SEEN_CALLS: usize = 100_000;

/// Proxy settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// The app: `http://host:port`, optionally with a path prefix.
    pub target: String,
    /// Longest the app may take to answer in full (Twilio's 15 s).
    pub timeout: Duration,
    /// The listener's settings: the body limit and time-outs apply to proxied requests too,
    /// the rest to deliveries on [`EVENTS_PATH`].
    pub listen: listen::Config,
}

/// The app's base, checked once.
#[derive(Debug, Clone)]
struct Target {
    base: String,
}

impl Target {
    fn parse(s: &str) -> anyhow::Result<Target> {
        let uri: Uri = s
            .trim()
            .parse()
            .map_err(|e| anyhow::anyhow!("--to {s:?} is not a URL: {e}"))?;
        match uri.scheme_str() {
            Some("http") => {}
            Some("https") => anyhow::bail!(
                "--to {s:?}: the target is your app on this machine, spoken to over plain http (the tunnel does the TLS)"
            ),
            _ => anyhow::bail!("--to {s:?} needs http:// and a host, like http://localhost:3000"),
        }
        if uri.authority().is_none() {
            anyhow::bail!("--to {s:?} has no host: try http://localhost:3000");
        }
        if uri.query().is_some() {
            anyhow::bail!("--to {s:?}: a target has no query; requests bring their own");
        }
        Ok(Target {
            base: s.trim().trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, path_and_query: &str) -> String {
        format!("{}{path_and_query}", self.base)
    }
}

/// The first request of a call is its Voice URL: remembered per `CallSid`, the oldest
/// forgotten past a cap.
#[derive(Default)]
struct SeenCalls {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl SeenCalls {
    /// Whether `sid` is new (and remembers it).
    fn first(&mut self, sid: &str) -> bool {
        if self.set.contains(sid) {
            return false;
        }
        if self.order.len() >= SEEN_CALLS
            && let Some(old) = self.order.pop_front()
        {
            self.set.remove(&old);
        }
        self.set.insert(sid.to_owned());
        self.order.push_back(sid.to_owned());
        true
    }
}

pub type HttpClient = Client<HttpConnector, Body>;

struct Inner {
    client: HttpClient,
    target: Target,
    timeout: Duration,
    body_limit: usize,
    body_timeout: Duration,
    send_timeout: Duration,
    tx: mpsc::Sender<Delivery>,
    stats: Arc<Stats>,
    seen: Mutex<SeenCalls>,
    /// Unique ids within a run, unlike those of an earlier run in the same recording.
    run: String,
    next: AtomicU64,
    recorder: Option<tokio::sync::Mutex<Recorder>>,
}

#[derive(Clone)]
struct ProxyState(Arc<Inner>);

/// The HTTP client the proxy and a resend use: HTTP/1, keep-alive, `Host` as given.
pub fn client() -> HttpClient {
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    connector.set_connect_timeout(Some(Duration::from_secs(5)));
    Client::builder(TokioExecutor::new())
        .pool_idle_timeout(Duration::from_secs(30))
        .build(connector)
}

/// A running proxy.
pub struct Proxy {
    pub addr: SocketAddr,
    /// Another way into the feed: the monitor's resend answers come back through it.
    tx: mpsc::Sender<Delivery>,
    pub target: String,
    pub stats: Arc<Stats>,
    pub rx: mpsc::Receiver<Delivery>,
    pub stop: watch::Sender<bool>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Proxy {
    /// A sender into the proxy's feed, for events made beside it (a resend's answer).
    pub fn sender(&self) -> mpsc::Sender<Delivery> {
        self.tx.clone()
    }

    /// Where Twilio (the tunnel) should call.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    pub fn into_feed(self) -> Feed {
        Feed {
            label: format!("proxy {} → {}", self.url(), self.target),
            live: true,
            stats: self.stats,
            rx: self.rx,
            stop: self.stop,
            task: self.server,
        }
    }
}

/// Binds and starts the proxy.
pub async fn start(addr: &str, config: Config) -> anyhow::Result<Proxy> {
    let target = Target::parse(&config.target)?;
    let listener = listen::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let stats = Arc::new(Stats::default());
    let open = |path: &std::path::Path| {
        Recorder::open(path)
            .map_err(|e| anyhow::anyhow!("cannot open the recording {}: {e}", path.display()))
    };
    // Both halves append to one recording; each opens it (appends are whole lines).
    let (recorder, events_recorder) = match &config.listen.record {
        Some(path) => (Some(open(path)?), Some(open(path)?)),
        None => (None, None),
    };
    let mut limits = Limits::of(&config.listen);
    // The handler bound must leave room for the app's own: reading the body, then waiting
    // for the app's answer to begin.
    limits.handler_timeout = limits
        .handler_timeout
        .max(config.listen.body_timeout + config.timeout + Duration::from_secs(1));
    let inner = Inner {
        client: client(),
        target: target.clone(),
        timeout: config.timeout,
        body_limit: config.listen.body_limit,
        body_timeout: config.listen.body_timeout,
        send_timeout: config.listen.send_timeout,
        tx: tx.clone(),
        stats: stats.clone(),
        seen: Mutex::default(),
        run: format!("{:x}", Timestamp::now().as_millisecond()),
        next: AtomicU64::new(0),
        recorder: recorder.map(tokio::sync::Mutex::new),
    };
    let events = listen::router(config.listen, tx.clone(), stats.clone(), events_recorder);
    let router = Router::new()
        .route_service(EVENTS_PATH, events)
        .fallback(forward)
        .with_state(ProxyState(Arc::new(inner)));
    let (stop, mut stopped) = watch::channel(false);
    let server = tokio::spawn(listen::serve(
        listener,
        router,
        async move {
            let _ = stopped.wait_for(|s| *s).await;
        },
        limits,
    ));
    tracing::info!(%addr, target = %target.base, "proxying");
    Ok(Proxy {
        addr,
        tx,
        target: target.base,
        stats,
        rx,
        stop,
        server,
    })
}

/// Hop-by-hop headers (RFC 9110 §7.6.1): they describe one connection and stop at a proxy.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// `headers` without the hop-by-hop ones (and those `Connection` names).
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let named: Vec<String> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|n| n.trim().to_ascii_lowercase())
        .collect();
    let mut out = HeaderMap::with_capacity(headers.len() + 3);
    for (name, value) in headers {
        let n = name.as_str();
        if !HOP_BY_HOP.contains(&n) && !named.iter().any(|c| c == n) {
            out.append(name.clone(), value.clone());
        }
    }
    out
}

fn pairs(headers: &HeaderMap) -> Vec<(String, String)> {
    headers
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().to_owned(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// Adds the `X-Forwarded-*` headers a tunnel-facing app reads, keeping what an earlier hop
/// (the tunnel) already set: it knows the scheme and host Twilio used; twimon does not.
fn add_forwarded(headers: &mut HeaderMap, remote: Option<SocketAddr>) {
    const FOR: HeaderName = HeaderName::from_static("x-forwarded-for");
    const PROTO: HeaderName = HeaderName::from_static("x-forwarded-proto");
    const HOST: HeaderName = HeaderName::from_static("x-forwarded-host");
    if let Some(ip) = remote.map(|r| r.ip().to_string()) {
        let value = match headers.get(&FOR).and_then(|v| v.to_str().ok()) {
            Some(before) => format!("{before}, {ip}"),
            None => ip,
        };
        if let Ok(v) = HeaderValue::from_str(&value) {
            headers.insert(FOR, v);
        }
    }
    if !headers.contains_key(&PROTO) {
        headers.insert(PROTO, HeaderValue::from_static("http"));
    }
    if !headers.contains_key(&HOST)
        && let Some(host) = headers.get(header::HOST).cloned()
    {
        headers.insert(HOST, host);
    }
}

fn problem(status: StatusCode, code: &str, message: &str) -> Response {
    (
        status,
        axum::Json(serde_json::json!({ "error": code, "message": message })),
    )
        .into_response()
}

async fn forward(State(ProxyState(state)): State<ProxyState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let remote = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(a)| *a);
    let path = parts
        .uri
        .path_and_query()
        .map_or("/", |pq| pq.as_str())
        .to_owned();
    let body =
        match listen::read_body(body, &parts.headers, state.body_limit, state.body_timeout).await {
            Ok(b) => b,
            Err(resp) => return resp,
        };
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    // Twilio's parameters: the form body of a POST, the query of a GET.
    let params = if listen::is_form_content_type(content_type) {
        signature::form_pairs(&body)
    } else if let Some((_, query)) = path.split_once('?') {
        signature::form_pairs(query.as_bytes())
    } else {
        Vec::new()
    };
    let mut headers = end_to_end(&parts.headers);
    add_forwarded(&mut headers, remote);
    let target = state.target.url(&path);
    let mut exchange = Exchange {
        id: format!(
            "PX{}-{}",
            state.run,
            state.next.fetch_add(1, Ordering::Relaxed) + 1
        ),
        source: PROXY_SOURCE,
        started: Some(Timestamp::now()),
        method: parts.method.to_string(),
        url: signature::public_url(&parts.headers, &path, None),
        target: target.clone(),
        params,
        request_headers: pairs(&headers),
        ..Exchange::default()
    };
    let kind = {
        let sid = exchange
            .params
            .iter()
            .find(|(k, _)| k == "CallSid")
            .map(|(_, v)| v.as_str());
        let first = match (sid, state.seen.lock()) {
            (Some(sid), Ok(mut seen)) => seen.first(sid),
            _ => false,
        };
        infer_kind(&exchange.params, first)
    };
    let mut outbound = hyper::Request::builder()
        .method(parts.method)
        .uri(target.as_str());
    if let Some(h) = outbound.headers_mut() {
        *h = headers;
    }
    let outbound = match outbound.body(Body::from(body)) {
        Ok(r) => r,
        Err(e) => {
            return problem(
                StatusCode::BAD_REQUEST,
                "bad_request",
                &format!("cannot forward this request: {e}"),
            );
        }
    };
    let started = Instant::now();
    let deadline = tokio::time::Instant::from_std(started) + state.timeout;
    let answer = tokio::time::timeout_at(deadline, state.client.request(outbound)).await;
    let pending = |exchange| Pending {
        state: state.clone(),
        exchange,
        kind,
        started,
    };
    let response = match answer {
        Err(_) => {
            let failure = Failure::TimedOut(state.timeout);
            let message = failure.describe();
            pending(exchange).finish(Some(failure));
            return problem(StatusCode::GATEWAY_TIMEOUT, "app_timeout", &message);
        }
        Ok(Err(e)) => {
            let failure = Failure::Unreachable(client_error(&e));
            let message = failure.describe();
            pending(exchange).finish(Some(failure));
            return problem(StatusCode::BAD_GATEWAY, "app_unreachable", &message);
        }
        Ok(Ok(r)) => r,
    };
    let (head, upstream) = response.into_parts();
    exchange.status = Some(head.status.as_u16());
    let headers = end_to_end(&head.headers);
    exchange.response_headers = pairs(&headers);
    // The body goes back frame by frame as the app sends it, in the same task that writes
    // it to Twilio; the event is built and published beside it once the body has ended.
    let relay = Relay {
        upstream,
        deadline: Box::pin(tokio::time::sleep_until(deadline)),
        record: Some(pending(exchange)),
    };
    let mut resp = Response::new(Body::new(relay));
    *resp.status_mut() = head.status;
    *resp.headers_mut() = headers;
    resp
}

/// What an exchange's event still needs once its answer has been passed on.
struct Pending {
    state: Arc<Inner>,
    exchange: Exchange,
    kind: EventKind,
    started: Instant,
}

impl Pending {
    /// The exchange ended (`failure`: how, if not in full): its event is built, checked and
    /// published by a task of its own, off the answer's path.
    fn finish(mut self, failure: Option<Failure>) {
        self.exchange.latency = self.started.elapsed();
        if failure.is_some() {
            self.exchange.failure = failure;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!("shutting down: a proxied exchange was not shown");
            return;
        };
        runtime.spawn(async move { self.state.publish(self.exchange, self.kind).await });
    }
}

/// The app's answer body on its way back: each frame is passed on as it comes (no copy of
/// it, no task or channel in between, no limit), a bounded copy of the start is kept for the
/// event, and the whole answer is bounded by the exchange's deadline. The exchange is
/// finished when the body ends — in full, broken off, past the deadline — or is dropped
/// (the client went away, or the server has written all the app's declared length).
struct Relay {
    upstream: hyper::body::Incoming,
    deadline: std::pin::Pin<Box<tokio::time::Sleep>>,
    record: Option<Pending>,
}

type Polled = std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, std::io::Error>>>;

impl Relay {
    fn finish(&mut self, failure: Option<Failure>) {
        if let Some(record) = self.record.take() {
            record.finish(failure);
        }
    }

    /// Past the exchange's deadline: the answer breaks off here.
    fn time_out(&mut self) -> Polled {
        let bound = self
            .record
            .as_ref()
            .map_or(DEFAULT_TIMEOUT, |r| r.state.timeout);
        self.finish(Some(Failure::TimedOut(bound)));
        std::task::Poll::Ready(Some(Err(std::io::Error::other(
            "the app's answer timed out",
        ))))
    }
}

impl hyper::body::Body for Relay {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Polled {
        use std::task::Poll;
        let this = self.get_mut();
        match std::pin::Pin::new(&mut this.upstream).poll_frame(cx) {
            Poll::Ready(Some(Ok(_))) if tokio::time::Instant::now() >= this.deadline.deadline() => {
                // An app that streams on past the bound is cut there, as Twilio would.
                this.time_out()
            }
            Poll::Ready(Some(Ok(frame))) => {
                if let (Some(chunk), Some(record)) = (frame.data_ref(), this.record.as_mut()) {
                    let ex = &mut record.exchange;
                    ex.body_bytes += chunk.len() as u64;
                    let room = COPY_LIMIT.saturating_sub(ex.body.len());
                    ex.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
                }
                if this.upstream.is_end_stream() {
                    this.finish(None);
                }
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => {
                this.finish(Some(Failure::BodyCut(e.to_string())));
                Poll::Ready(Some(Err(std::io::Error::other(e))))
            }
            Poll::Ready(None) => {
                this.finish(None);
                Poll::Ready(None)
            }
            Poll::Pending => {
                if this.record.is_some() && this.deadline.as_mut().poll(cx).is_ready() {
                    return this.time_out();
                }
                Poll::Pending
            }
        }
    }

    fn is_end_stream(&self) -> bool {
        self.upstream.is_end_stream()
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        self.upstream.size_hint()
    }
}

impl Drop for Relay {
    /// The client went away (what came so far is the record), or the server took the
    /// declared length and let the body go without asking for its end.
    fn drop(&mut self) {
        self.finish(None);
    }
}

/// A client error in a few words: the cause chain's last link says what happened.
fn client_error(e: &hyper_util::client::legacy::Error) -> String {
    let mut source: Option<&dyn std::error::Error> = Some(e);
    let mut last = e.to_string();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

impl Inner {
    /// Hands the exchange's event to the consumer (and the recording), waiting a bounded time
    /// for room; counted as busy when there is none.
    async fn publish(&self, exchange: Exchange, kind: EventKind) {
        let arrival = Timestamp::now();
        let mut ev = exchange.event(kind, arrival);
        crate::domain::check::stamp(&mut ev);
        if let Some(rec) = &self.recorder {
            let record = Record::pulled(arrival, format!("/proxy/{}", ev.id()), ev.raw.as_bytes());
            let mut rec = rec.lock().await;
            if let Err(e) = rec.write(&record) {
                self.stats.record_errors.fetch_add(1, Ordering::Relaxed);
                let why = format!("cannot write the recording {}: {e}", rec.path().display());
                tracing::warn!(%why, "proxied exchange not recorded");
                if let Ok(mut last) = self.stats.last_record_error.lock() {
                    *last = Some(why);
                }
            }
        }
        let invalid = usize::from(ev.invalid.is_some());
        let key = ev.dedup_key();
        let delivery = Delivery {
            events: vec![ev],
            keys: vec![key],
            duplicates: Vec::new(),
        };
        if let Ok(Ok(())) = tokio::time::timeout(self.send_timeout, self.tx.send(delivery)).await {
            self.stats.deliveries.fetch_add(1, Ordering::Relaxed);
            self.stats.events.fetch_add(1, Ordering::Relaxed);
            self.stats
                .invalid
                .fetch_add(invalid as u64, Ordering::Relaxed);
        } else {
            self.stats.busy.fetch_add(1, Ordering::Relaxed);
            tracing::warn!("the monitor is busy or gone: a proxied exchange was not shown");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_plain_http_with_a_host() {
        assert_eq!(
            Target::parse("http://localhost:3000/")
                .unwrap()
                .url("/voice?x=1"),
            "http://localhost:3000/voice?x=1"
        );
        assert_eq!(
            Target::parse("http://127.0.0.1:3000/app")
                .unwrap()
                .url("/voice"),
            "http://127.0.0.1:3000/app/voice"
        );
        for bad in [
            "https://x.test",
            "localhost:3000",
            "nonsense",
            "http://x.test/?a=1",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hop_by_hop_headers_stop_here_and_forwarded_ones_are_added() {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("abc.ngrok.app"));
        h.insert(
            header::CONNECTION,
            HeaderValue::from_static("keep-alive, x-hop"),
        );
        h.insert("x-hop", HeaderValue::from_static("1"));
        h.insert("x-twilio-signature", HeaderValue::from_static("sig"));
        h.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        let mut out = end_to_end(&h);
        add_forwarded(&mut out, Some("10.0.0.1:5000".parse().unwrap()));
        assert!(out.get("connection").is_none() && out.get("x-hop").is_none());
        assert_eq!(out["x-twilio-signature"], "sig");
        assert_eq!(out["host"], "abc.ngrok.app");
        assert_eq!(out["x-forwarded-proto"], "https");
        assert_eq!(out["x-forwarded-host"], "abc.ngrok.app");
        assert_eq!(out["x-forwarded-for"], "10.0.0.1");
    }

    #[test]
    fn a_call_is_first_once() {
        let mut seen = SeenCalls::default();
        assert!(seen.first("CA1"));
        assert!(!seen.first("CA1"));
        assert!(seen.first("CA2"));
    }
}
