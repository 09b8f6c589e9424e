//! What a feed says about itself, as plain data: the header and the exit summary read it.

/// Facts a source that pulls (rather than being posted to) reports for the header and the
/// exit summary, in general terms so that the screen needs no case per source.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceInfo {
    /// Replaces the feed's label while running, e.g. `kinesis twilio-events · 4 shards`.
    pub label: Option<String>,
    /// How far the reader is behind the newest data, worst partition first (milliseconds).
    pub lag_ms: Option<u64>,
    /// Reads the source refused for throughput so far (each one was retried after a pause).
    pub throttles: u64,
    /// Records (or lines) read from the source so far.
    pub records: u64,
    /// A passing trouble being retried (a network error), cleared once a read succeeds.
    pub problem: Option<String>,
    /// Why the source stopped for good, when it did; the command exits non-zero with it.
    pub failure: Option<String>,
}

/// The address a listener takes when none is given (`--addr`, `addr` in the config).
pub const DEFAULT_ADDR: &str = "127.0.0.1:7077";

/// Refused deliveries a feed remembers for the screen; the log keeps every one.
pub const REJECTIONS_KEPT: usize = 16;

/// A delivery a listener refused, and why: what the stats overlay lists and the log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    pub at: jiff::Timestamp,
    /// The HTTP status answered (400, 403, 405, 408, 413, 415, 503…).
    pub status: u16,
    /// The answer's own message: what was wrong with the request.
    pub reason: String,
    /// Who sent it (`ip:port`), when known.
    pub remote: Option<String>,
    /// The method and path it was sent to.
    pub request: String,
}
