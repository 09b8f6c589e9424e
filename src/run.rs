//! Wiring: the listener, the channel and a consumer (the monitor or the headless printer).

use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use crate::cli::{Format, MonitorArgs};
use crate::ingest::{self, Delivery, Stats};

/// A running listener: where it listens, its counters, and the receiving end for a consumer.
pub struct Listener {
    pub addr: std::net::SocketAddr,
    pub stats: Arc<Stats>,
    pub rx: mpsc::Receiver<Delivery>,
    /// Send `true` to stop accepting connections.
    pub stop: watch::Sender<bool>,
    pub server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Listener {
    /// The URL to POST deliveries to.
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }
}

/// Binds and starts the listener.
pub async fn start_listener(addr: &str, config: ingest::Config) -> anyhow::Result<Listener> {
    let listener = ingest::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(ingest::CHANNEL_CAPACITY);
    let stats = Arc::new(Stats::default());
    let router = ingest::router(config, tx, stats.clone());
    let (stop, mut stopped) = watch::channel(false);
    let server = tokio::spawn(ingest::serve(listener, router, async move {
        let _ = stopped.wait_for(|s| *s).await;
    }));
    tracing::info!(%addr, "listening");
    Ok(Listener {
        addr,
        stats,
        rx,
        stop,
        server,
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}

/// Whether to print instead of opening the full-screen monitor.
pub fn headless_wanted(flag: bool) -> bool {
    flag || !std::io::stdout().is_terminal()
}

/// `twimon [listen]`: listen, optionally play the demo, and consume.
pub async fn monitor(args: MonitorArgs) -> anyhow::Result<()> {
    let config = ingest::Config {
        body_limit: args.body_limit,
        dedup_cap: args.output.max_events,
        ..ingest::Config::default()
    };
    let listener = start_listener(&args.addr, config).await?;
    let demo = args
        .demo
        .then(|| tokio::spawn(crate::demo::play(listener.url())));
    let headless = headless_wanted(args.output.headless);
    if headless {
        crate::logging::init_stderr();
    }
    let result = if headless {
        eprintln!(
            "twimon: listening on {} (POST Event Streams deliveries; GET /healthz)",
            listener.url()
        );
        headless_loop(listener, args.output.format).await
    } else {
        crate::tui::run(listener, &args).await
    };
    if let Some(d) = demo {
        d.abort();
    }
    result
}

/// Prints every event until a shutdown signal, then drains what was acknowledged.
async fn headless_loop(mut listener: Listener, format: Format) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut seq = 0u64;
    let signal = shutdown_signal();
    tokio::pin!(signal);
    loop {
        tokio::select! {
            () = &mut signal => break,
            d = listener.rx.recv() => {
                let Some(d) = d else { break };
                if !print_delivery(&mut out, d, &mut seq, format)? {
                    return Ok(());
                }
            }
        }
    }
    // Stop accepting, let in-flight handlers finish, then print what they handed over.
    let _ = listener.stop.send(true);
    let _ = tokio::time::timeout(Duration::from_secs(5), &mut listener.server).await;
    while let Ok(d) = listener.rx.try_recv() {
        if !print_delivery(&mut out, d, &mut seq, format)? {
            break;
        }
    }
    out.flush().ok();
    Ok(())
}

/// Prints a delivery's events; false when stdout is gone (a closed pipe ends us quietly).
fn print_delivery(
    out: &mut impl Write,
    d: Delivery,
    seq: &mut u64,
    format: Format,
) -> anyhow::Result<bool> {
    for mut ev in d.events {
        ev.seq = *seq;
        *seq += 1;
        if let Err(e) = crate::headless::write_event(out, &ev, format) {
            return broken_pipe_or(e);
        }
    }
    if let Err(e) = out.flush() {
        return broken_pipe_or(e);
    }
    Ok(true)
}

fn broken_pipe_or(e: std::io::Error) -> anyhow::Result<bool> {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        Ok(false)
    } else {
        Err(e.into())
    }
}
