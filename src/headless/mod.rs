//! Headless: the same pipeline as the monitor, with a printer instead of the UI.

pub mod format;
pub mod transcript;

use std::io::Write;

use futures::StreamExt;
use futures::stream::FuturesOrdered;

pub use format::{
    Format, Options, json_value, text_line, text_line_with, write_event, write_event_with,
};

use std::sync::Arc;

use crate::domain::filter::Query;
use crate::source::{Delivery, Feed};

/// Runs the printer as a task of the runtime rather than on the main thread: handing a
/// delivery from a handler to it is then a task wake-up, not a thread wake-up. With a
/// `filter`, only the events it matches are printed (numbered as they arrived).
pub async fn run(
    feed: Feed,
    format: Format,
    opts: Options,
    filter: Option<Query>,
    signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    tokio::spawn(print_loop(feed, format, opts, filter.map(Arc::new), signal))
        .await
        .map_err(|e| anyhow::anyhow!("the headless printer stopped: {e}"))?
}

/// Deliveries being formatted at once.
const FORMAT_AHEAD: usize = 64;

/// Prints every event until a shutdown signal or the end of the feed, then drains what was
/// acknowledged. Deliveries are numbered in arrival order, formatted in parallel on the
/// runtime's workers (formatting is most of the work), and written in order.
async fn print_loop(
    mut feed: Feed,
    format: Format,
    opts: Options,
    filter: Option<Arc<Query>>,
    signal: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout());
    let mut seq = 0u64;
    let mut pending = FuturesOrdered::new();
    let mut format_next = |d: Delivery, pending: &mut FuturesOrdered<_>| {
        let first = seq;
        seq += d.events.len() as u64;
        let filter = filter.clone();
        pending.push_back(tokio::spawn(async move {
            render_delivery(d, first, format, opts, filter.as_deref())
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

/// A delivery's events (those `filter` matches) as output lines, numbered from `first`.
fn render_delivery(
    d: Delivery,
    first: u64,
    format: Format,
    opts: Options,
    filter: Option<&Query>,
) -> Vec<u8> {
    let mut buf = Vec::with_capacity(d.events.len() * 1024);
    for (seq, mut ev) in (first..).zip(d.events) {
        if filter.is_some_and(|f| !f.matches(&ev)) {
            continue;
        }
        ev.seq = seq;
        // Writing to a Vec cannot fail.
        let _ = write_event_with(&mut buf, &ev, format, opts);
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
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(false),
        Err(e) => Err(e.into()),
    }
}
