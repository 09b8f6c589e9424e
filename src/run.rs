//! Wiring: a feed of deliveries (the listener, or a recording being replayed) and a consumer
//! (the monitor or the headless printer).

use std::io::{IsTerminal, Write};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use futures::stream::FuturesOrdered;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

use crate::cli::{Format, MonitorArgs, ReplayArgs};
use crate::ingest::record::{self, Record};
use crate::ingest::signature::{Verdict, Verifier};
use crate::ingest::{self, Dedup, Delivery, Stats, split_duplicates};

/// A running listener: where it listens, its counters, and the receiving end for a consumer.
pub struct Listener {
    pub addr: std::net::SocketAddr,
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
}

/// What a consumer reads from: deliveries, counters, and a way to stop the producer.
pub struct Feed {
    /// Shown in the header: the listen URL, or the recording's name.
    pub label: String,
    /// A listener (true) or a replay (false).
    pub live: bool,
    pub stats: Arc<Stats>,
    pub rx: mpsc::Receiver<Delivery>,
    pub stop: watch::Sender<bool>,
    /// Ends when the producer has stopped (a listener's in-flight handlers finished).
    pub task: JoinHandle<std::io::Result<()>>,
}

impl From<Listener> for Feed {
    fn from(l: Listener) -> Self {
        Feed {
            label: l.url(),
            live: true,
            stats: l.stats,
            rx: l.rx,
            stop: l.stop,
            task: l.server,
        }
    }
}

impl Feed {
    /// Stops the producer and waits (bounded) until nothing more can arrive, so that the
    /// consumer can drain what was acknowledged.
    /// An error is the producer's own failure (a recording that could not be read to its
    /// end): the caller still shows what arrived, then reports it.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        match tokio::time::timeout(Duration::from_secs(5), &mut self.task).await {
            Ok(Ok(Err(e))) => Err(anyhow::anyhow!("{}: {e}", self.label)),
            _ => Ok(()),
        }
    }
}

/// Binds and starts the listener.
pub async fn start_listener(addr: &str, config: ingest::Config) -> anyhow::Result<Listener> {
    let listener = ingest::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(ingest::CHANNEL_CAPACITY);
    let stats = Arc::new(Stats::default());
    let recorder =
        match &config.record {
            Some(path) => Some(record::Recorder::open(path).map_err(|e| {
                anyhow::anyhow!("cannot open the recording {}: {e}", path.display())
            })?),
            None => None,
        };
    let limits = ingest::Limits::of(&config);
    let router = ingest::router(config, tx, stats.clone(), recorder);
    let (stop, mut stopped) = watch::channel(false);
    let server = tokio::spawn(ingest::serve(
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

/// Replays a recording: each record parsed with its recorded arrival time and deduplicated as
/// the live run did. An unreadable line becomes an invalid event, so nothing vanishes.
pub fn start_replay(path: &Path, dedup_cap: usize) -> anyhow::Result<Feed> {
    let records = record::read(path)
        .map_err(|e| anyhow::anyhow!("cannot read the recording {}: {e}", path.display()))?;
    let (tx, rx) = mpsc::channel(ingest::CHANNEL_CAPACITY);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(Stats::default());
    let task = tokio::task::spawn_blocking(move || {
        let mut seen = Dedup::new(dedup_cap);
        for rec in records {
            if *stopped.borrow() {
                break;
            }
            let rec = match rec {
                Ok(rec) => Ok(rec),
                Err(record::ReadError::Line(n, e)) => Err((n, e)),
                // The input itself failed: every later read would fail the same way.
                Err(record::ReadError::Input(e)) => {
                    return Err(std::io::Error::new(
                        e.kind(),
                        format!("reading the recording failed: {e}"),
                    ));
                }
            };
            let delivery = replayed_delivery(&mut seen, rec);
            if tx.blocking_send(delivery).is_err() {
                break;
            }
        }
        Ok(())
    });
    let label = format!("replay {}", path.display());
    Ok(Feed {
        label,
        live: false,
        stats,
        rx,
        stop,
        task,
    })
}

fn replayed_delivery(seen: &mut Dedup, rec: Result<Record, (usize, String)>) -> Delivery {
    let now = jiff::Timestamp::now();
    let mut invalid = |raw: &str, reason: String| {
        let ev = crate::domain::Event::invalid(raw, now, reason);
        split_duplicates(seen, vec![ev], None, Verdict::Unchecked)
    };
    match rec {
        Err((line, e)) => invalid("", format!("recording line {line} is unreadable: {e}")),
        Ok(rec) => {
            let arrival = rec.arrival.parse().unwrap_or(now);
            let verdict = Verdict::from_recorded(&rec.signature, rec.signature_reason.as_deref());
            let remote = rec.remote.as_deref().and_then(|r| r.parse().ok());
            if ingest::is_form_content_type(rec.headers.get("content-type").map(String::as_str)) {
                let params = crate::ingest::signature::form_pairs(rec.body.as_bytes());
                let headers: axum::http::HeaderMap = rec
                    .headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, v.parse().ok()?)))
                    .collect();
                return match ingest::form_event(&headers, &rec.path, &params, arrival) {
                    Ok(ev) => split_duplicates(seen, vec![ev], remote, verdict),
                    Err(e) => invalid(&rec.body, format!("recorded body: {e}")),
                };
            }
            match crate::domain::delivery::parse_delivery(rec.body.as_bytes(), arrival) {
                Ok(events) => split_duplicates(seen, events, remote, verdict),
                Err(e) => invalid(&rec.body, format!("recorded body: {e}")),
            }
        }
    }
}

/// Resolves on Ctrl-C or SIGTERM. The handlers are installed when this is called, not when
/// the future is first polled: a signal that arrives during start-up must not kill the
/// process with the terminal in raw mode or acknowledged deliveries unprinted.
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    #[cfg(unix)]
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    #[cfg(unix)]
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).ok();
    async move {
        #[cfg(unix)]
        {
            let term = async {
                match &mut term {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let int = async {
                match &mut int {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                () = term => {},
                () = int => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Whether to print instead of opening the full-screen monitor.
pub fn headless_wanted(flag: bool) -> bool {
    flag || !std::io::stdout().is_terminal()
}

/// `twimon [listen]`: listen, optionally play the demo, and consume.
pub async fn monitor(args: MonitorArgs) -> anyhow::Result<()> {
    let signal = shutdown_signal();
    let headless = headless_wanted(args.output.headless);
    if headless {
        crate::logging::init_stderr();
    }
    let config = ingest::Config {
        body_limit: args.body_limit,
        dedup_cap: args.output.max_events,
        verifier: Verifier::new(args.auth_token.clone(), args.public_url.clone()),
        require_signature: args.require_signature,
        record: args.record.clone(),
        ..ingest::Config::default()
    };
    let listener = start_listener(&args.addr, config).await?;
    let demo = args
        .demo
        .then(|| tokio::spawn(crate::demo::play(listener.url())));
    let feed = Feed::from(listener);
    if headless {
        eprintln!(
            "twimon: listening on {} (POST Event Streams deliveries; GET /healthz)",
            feed.label
        );
    }
    let result = consume(feed, &args.output, headless, signal).await;
    if let Some(d) = demo {
        d.abort();
    }
    result
}

/// `twimon replay FILE`.
pub async fn replay(args: ReplayArgs) -> anyhow::Result<()> {
    let headless = headless_wanted(args.output.headless);
    if headless {
        crate::logging::init_stderr();
    }
    let signal = shutdown_signal();
    let feed = start_replay(&args.file, args.output.max_events)?;
    consume(feed, &args.output, headless, signal).await
}

/// Hands a feed to its consumer: the headless printer or the monitor.
async fn consume(
    feed: Feed,
    output: &crate::cli::OutputArgs,
    headless: bool,
    signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    if headless {
        spawn_headless(feed, output.format, headless_options(output), signal).await
    } else {
        crate::tui::run(feed, output, signal).await
    }
}

/// The headless printer's options from the command line.
fn headless_options(output: &crate::cli::OutputArgs) -> crate::headless::Options {
    crate::headless::Options { mask: output.mask }
}

/// Runs the headless printer as a task of the runtime rather than on the main thread: handing
/// a delivery from a handler to it is then a task wake-up, not a thread wake-up.
async fn spawn_headless(
    feed: Feed,
    format: Format,
    opts: crate::headless::Options,
    signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tokio::spawn(headless_loop(feed, format, opts, signal))
        .await
        .map_err(|e| anyhow::anyhow!("the headless printer stopped: {e}"))?
}

/// Deliveries being formatted at once by the headless printer.
const FORMAT_AHEAD: usize = 64;

/// Prints every event until a shutdown signal or the end of the feed, then drains what was
/// acknowledged. Deliveries are numbered in arrival order, formatted in parallel on the
/// runtime's workers (formatting is most of the work), and written in order.
async fn headless_loop(
    mut feed: Feed,
    format: Format,
    opts: crate::headless::Options,
    signal: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let mut seq = 0u64;
    let mut pending = FuturesOrdered::new();
    let mut format_next = |d: Delivery, pending: &mut FuturesOrdered<_>| {
        let first = seq;
        seq += d.events.len() as u64;
        pending.push_back(tokio::spawn(async move {
            render_delivery(d, first, format, opts)
        }));
    };
    tokio::pin!(signal);
    loop {
        tokio::select! {
            biased;
            () = &mut signal => break,
            Some(done) = pending.next(), if !pending.is_empty() => {
                // Flush when caught up: at once when idle, in big writes under load.
                if !write_rendered(&mut out, done, pending.is_empty())? {
                    return Ok(());
                }
            }
            d = feed.rx.recv(), if pending.len() < FORMAT_AHEAD => {
                let Some(d) = d else { break };
                format_next(d, &mut pending);
            }
        }
    }
    // Stop accepting, let in-flight handlers finish, then print what they handed over.
    let ended = feed.stop().await;
    while let Ok(d) = feed.rx.try_recv() {
        format_next(d, &mut pending);
    }
    while let Some(done) = pending.next().await {
        if !write_rendered(&mut out, done, pending.is_empty())? {
            break;
        }
    }
    out.flush().ok();
    ended
}

/// A delivery's events as output lines, numbered from `first`.
fn render_delivery(
    d: Delivery,
    first: u64,
    format: Format,
    opts: crate::headless::Options,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(d.events.len() * 1024);
    for (seq, mut ev) in (first..).zip(d.events) {
        ev.seq = seq;
        // Writing to a Vec cannot fail.
        let _ = crate::headless::write_event_with(&mut buf, &ev, format, opts);
    }
    buf
}

/// Writes one formatted delivery; false when stdout is gone (a closed pipe ends us quietly).
fn write_rendered(
    out: &mut impl Write,
    done: Result<Vec<u8>, tokio::task::JoinError>,
    flush: bool,
) -> anyhow::Result<bool> {
    let buf = done.map_err(|e| anyhow::anyhow!("formatting an event failed: {e}"))?;
    let written = out
        .write_all(&buf)
        .and_then(|()| if flush { out.flush() } else { Ok(()) });
    match written {
        Ok(()) => Ok(true),
        Err(e) => broken_pipe_or(e),
    }
}

fn broken_pipe_or(e: std::io::Error) -> anyhow::Result<bool> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(false)
    } else {
        Err(e.into())
    }
}
