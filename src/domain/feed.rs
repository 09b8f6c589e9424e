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
