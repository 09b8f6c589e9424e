//! Where deliveries come from. Every source — the HTTP listener, a recording being replayed,
//! a Kinesis stream, NDJSON from a pipe —
//! ends in one [`Feed`]: parsed, deduplicated [`Delivery`]s on a bounded channel, counters,
//! and a way to stop the producer. A consumer (the monitor, the headless printer, an export)
//! never knows which source it reads.

pub mod call;
pub mod dedup;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod listen;
pub mod proxy;
pub mod read;
pub mod record;
pub mod replay;
pub mod resend;
pub mod signature;

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

pub use crate::domain::delivery::Delivery;
pub use crate::domain::feed::SourceInfo;
pub use listen::Stats;

/// Deliveries a feed's channel holds before its producer waits (or a listener answers 503).
pub const CHANNEL_CAPACITY: usize = 1024;

impl Stats {
    /// A copy of the source's facts (a poisoned lock only means a reader panicked mid-update).
    pub fn info(&self) -> SourceInfo {
        self.info
            .lock()
            .map_or_else(|e| e.into_inner().clone(), |i| i.clone())
    }

    /// Changes the source's facts in place.
    pub fn update_info(&self, f: impl FnOnce(&mut SourceInfo)) {
        match self.info.lock() {
            Ok(mut i) => f(&mut i),
            Err(e) => f(&mut e.into_inner()),
        }
    }

    /// The `/healthz`-like figures a headless run prints on stderr when it ends.
    pub fn summary(&self) -> String {
        use std::fmt::Write;
        use std::sync::atomic::Ordering::Relaxed;
        let info = self.info();
        let mut s = format!(
            "{} records, {} events, {} invalid, {} duplicates, {} throttles",
            info.records,
            self.events.load(Relaxed),
            self.invalid.load(Relaxed),
            self.duplicates.load(Relaxed),
            info.throttles,
        );
        if let Some(lag) = info.lag_ms {
            let _ = write!(s, ", lag {lag} ms");
        }
        let _ = write!(s, ", {:.1} s", self.uptime().as_secs_f64());
        s
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
