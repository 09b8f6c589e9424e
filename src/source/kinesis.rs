//! An Event Streams Kinesis sink read as a feed: every shard of the stream, followed across
//! resharding (a parent read to its end before its children), each record one delivery.
//!
//! The stream is shared with production consumers (5 reads/s per shard in all), so each
//! shard is polled at most once per `poll_interval` and a throttled read waits with jittered
//! back-off. What to read next and where to start ([`Plan`]) is pure and unit-tested; the
//! tasks below only carry out its answers with the SDK:
//! - one reader task per shard: `GetShardIterator` once, then `GetRecords` in a loop, a fresh
//!   iterator after the last record seen when one expires or the network drops;
//! - one coordinator: parses, deduplicates and stamps each batch on a blocking thread, hands
//!   the deliveries on in order, then advances the checkpoint, so a restart resumes after the
//!   last record handed on (`AFTER_SEQUENCE_NUMBER`) and nothing is lost or shown twice.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_kinesis::Client;
use aws_sdk_kinesis::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kinesis::primitives::DateTime;
use aws_sdk_kinesis::types::ShardIteratorType;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use super::dedup::{Dedup, split_duplicates};
use super::listen::Stats;
use super::record::{Record, Recorder};
use super::signature::Verdict;
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::Event;
use crate::domain::delivery::parse_record;

/// The IAM actions twimon uses, all read-only; named in every access-denied error.
pub const IAM_ACTIONS: &str = "kinesis:DescribeStreamSummary, kinesis:ListShards, \
     kinesis:GetShardIterator and kinesis:GetRecords";
/// Records asked for per `GetRecords` (the API's maximum).
pub const RECORDS_PER_READ: i32 = 10_000;
/// Default `--poll-interval`: one read per shard per second leaves 4 of the 5 for production.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(1);
/// How often the shard list is read again to pick up new shards (also after a shard ends).
pub const LIST_INTERVAL: Duration = Duration::from_secs(30);
/// How often the checkpoint file is rewritten while records arrive (and once at the end).
const SAVE_INTERVAL: Duration = Duration::from_secs(1);
/// Longest pause between retries of a throttled or failed read.
const MAX_BACKOFF: Duration = Duration::from_secs(20);

/// Where reading starts on shards the checkpoint does not name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Only records put from now on (`LATEST`).
    Latest,
    /// Everything the stream retains (`TRIM_HORIZON`).
    TrimHorizon,
    /// Records that arrived at or after this time (`AT_TIMESTAMP`).
    AtTimestamp(Timestamp),
}

/// How to reach the stream and read it.
#[derive(Debug, Clone)]
pub struct Options {
    /// A stream name or its ARN.
    pub stream: String,
    pub profile: Option<String>,
    pub region: Option<String>,
    pub endpoint_url: Option<String>,
    pub start: Start,
    /// Where positions are kept across runs; None reads without one.
    pub checkpoint: Option<PathBuf>,
    pub poll_interval: Duration,
    pub dedup_cap: usize,
    /// Append every record to this file before it is shown (`--record`; `twimon replay`).
    pub record: Option<PathBuf>,
}

/// Parses `--since`: a duration back from `now` (`90s`, `30m`, `1h`, `2d`, `1h30m`) or a time
/// (`2026-11-30T03:00Z`, any RFC 3339 / ISO 8601 instant).
pub fn parse_since(s: &str, now: Timestamp) -> Result<Timestamp, String> {
    let s = s.trim();
    if let Ok(t) = s.parse::<Timestamp>() {
        return Ok(t);
    }
    let mut secs: i64 = 0;
    let mut digits = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            _ => return Err(since_error(s)),
        };
        let n: i64 = digits.parse().map_err(|_| since_error(s))?;
        secs = n
            .checked_mul(unit)
            .and_then(|v| secs.checked_add(v))
            .ok_or_else(|| since_error(s))?;
        digits.clear();
    }
    if !digits.is_empty() || secs == 0 {
        return Err(since_error(s));
    }
    now.checked_sub(jiff::SignedDuration::from_secs(secs))
        .map_err(|_| since_error(s))
}

fn since_error(s: &str) -> String {
    format!(
        "--since {s:?}: expected a duration back from now (30m, 1h, 2d) or a time (2026-11-30T03:00Z)"
    )
}

/// Parses `--poll-interval`: `1s`, `500ms`, `0`.
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let bad = || format!("{s:?}: expected a duration such as 1s, 500ms or 0");
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if let Some(ms) = s.strip_suffix("ms") {
        return ms.parse().map(Duration::from_millis).map_err(|_| bad());
    }
    if let Some(secs) = s.strip_suffix('s') {
        return secs
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v >= 0.0 && *v < 86_400.0)
            .map(Duration::from_secs_f64)
            .ok_or_else(bad);
    }
    Err(bad())
}

// ---------------------------------------------------------------------------------------------
// The plan: which shard to read next, from where, and what the checkpoint says. Pure.

/// A shard as the listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardMeta {
    pub id: String,
    /// The parent and the adjacent parent (a merge has two).
    pub parents: Vec<String>,
    /// Closed by a reshard: it has an ending sequence number and no new records.
    pub closed: bool,
}

/// What the checkpoint keeps for one shard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Position {
    /// Everything up to and including this sequence number was handed on.
    After(String),
    /// Nothing handed on yet; resume with the records that arrived from this time.
    Since(String),
    /// Read to its end (a closed shard); its children are next.
    Done,
}

/// Where a reader starts a shard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartAt {
    Latest,
    TrimHorizon,
    AtTimestamp(Timestamp),
    After(String),
}

/// The checkpoint file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub stream: String,
    pub shards: BTreeMap<String, Position>,
}

/// The shard-following state machine.
#[derive(Debug)]
pub struct Plan {
    start: Start,
    started_at: Timestamp,
    shards: BTreeMap<String, ShardMeta>,
    positions: BTreeMap<String, Position>,
    reading: BTreeSet<String>,
    /// Shards first seen after the first listing: new since we started, read whole.
    fresh: BTreeSet<String>,
    listed: bool,
    /// A checkpoint was loaded: a shard it does not name is newer than it.
    resumed: bool,
}

impl Plan {
    pub fn new(start: Start, checkpoint: Option<Checkpoint>, now: Timestamp) -> Plan {
        let resumed = checkpoint.is_some();
        Plan {
            start,
            started_at: now,
            shards: BTreeMap::new(),
            positions: checkpoint.map(|c| c.shards).unwrap_or_default(),
            reading: BTreeSet::new(),
            fresh: BTreeSet::new(),
            listed: false,
            resumed,
        }
    }

    /// Takes a complete listing of the stream's shards.
    pub fn learn(&mut self, listing: Vec<ShardMeta>) {
        let first = !self.listed;
        self.listed = true;
        let ids: BTreeSet<&str> = listing.iter().map(|s| s.id.as_str()).collect();
        // Shards gone from the listing aged out of the stream: forget them (their children
        // count their parents as done when they are not listed).
        self.positions.retain(|id, _| ids.contains(id.as_str()));
        for meta in listing {
            if self.shards.contains_key(&meta.id) {
                // Closed since the last listing.
                self.shards.insert(meta.id.clone(), meta);
                continue;
            }
            if first {
                if self.start == Start::Latest
                    && meta.closed
                    && !self.positions.contains_key(&meta.id)
                    && !self.resumed
                {
                    // LATEST: a shard closed before we started holds nothing newer than now.
                    self.positions.insert(meta.id.clone(), Position::Done);
                }
            } else {
                self.fresh.insert(meta.id.clone());
            }
            self.shards.insert(meta.id.clone(), meta);
        }
    }

    /// Shards to start reading now, each with where to start; they count as being read.
    pub fn ready(&mut self) -> Vec<(String, StartAt)> {
        let mut out = Vec::new();
        for (id, meta) in &self.shards {
            if self.reading.contains(id) || self.positions.get(id) == Some(&Position::Done) {
                continue;
            }
            let parents_done = meta.parents.iter().all(|p| {
                !self.shards.contains_key(p) || self.positions.get(p) == Some(&Position::Done)
            });
            if !parents_done {
                continue;
            }
            let at = match self.positions.get(id) {
                Some(Position::After(seq)) => StartAt::After(seq.clone()),
                Some(Position::Since(t)) => {
                    t.parse().map_or(StartAt::TrimHorizon, StartAt::AtTimestamp)
                }
                Some(Position::Done) => continue,
                None if self.fresh.contains(id) || self.resumed => StartAt::TrimHorizon,
                None => match self.start {
                    Start::Latest => StartAt::Latest,
                    Start::TrimHorizon => StartAt::TrimHorizon,
                    Start::AtTimestamp(t) => StartAt::AtTimestamp(t),
                },
            };
            out.push((id.clone(), at));
        }
        for (id, at) in &out {
            self.reading.insert(id.clone());
            // A shard started at LATEST with nothing read yet resumes from our start time,
            // so records put while twimon was stopped are not lost.
            let since = match at {
                StartAt::Latest => Some(self.started_at),
                StartAt::AtTimestamp(t) => Some(*t),
                _ => None,
            };
            if let (Some(t), None) = (since, self.positions.get(id)) {
                self.positions
                    .insert(id.clone(), Position::Since(t.to_string()));
            }
        }
        out
    }

    /// Everything in `shard` up to `seq` was handed on.
    pub fn advance(&mut self, shard: &str, seq: &str) {
        self.positions
            .insert(shard.to_owned(), Position::After(seq.to_owned()));
    }

    /// `shard` was read to its end; its children may start.
    pub fn finish(&mut self, shard: &str) {
        self.reading.remove(shard);
        self.positions.insert(shard.to_owned(), Position::Done);
    }

    /// A reader stopped without finishing (it is started again by the next [`Plan::ready`]).
    pub fn abandon(&mut self, shard: &str) {
        self.reading.remove(shard);
    }

    /// Shards still open (being read or waiting for their parents).
    pub fn open_shards(&self) -> usize {
        self.shards.values().filter(|s| !s.closed).count()
    }

    pub fn checkpoint(&self, stream: &str) -> Checkpoint {
        Checkpoint {
            stream: stream.to_owned(),
            shards: self.positions.clone(),
        }
    }
}

/// Reads a checkpoint file; None when it does not exist yet.
pub fn load_checkpoint(path: &Path, stream: &str) -> anyhow::Result<Option<Checkpoint>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => anyhow::bail!("cannot read the checkpoint {}: {e}", path.display()),
    };
    let cp: Checkpoint = serde_json::from_str(&text)
        .map_err(|e| anyhow::anyhow!("the checkpoint {} is unreadable: {e}", path.display()))?;
    if cp.stream != stream {
        anyhow::bail!(
            "the checkpoint {} is for stream {:?}, not {stream:?}: pass another --checkpoint",
            path.display(),
            crate::text::safe::line(&cp.stream)
        );
    }
    Ok(Some(cp))
}

/// Writes the checkpoint whole or not at all (a temporary file renamed over it).
pub fn save_checkpoint(path: &Path, cp: &Checkpoint) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let text = serde_json::to_vec_pretty(cp).map_err(std::io::Error::other)?;
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}

/// The default checkpoint file for a stream: `$XDG_STATE_HOME/twimon/kinesis-NAME.json`.
pub fn default_checkpoint(stream: &str) -> PathBuf {
    let base = std::env::var_os("XDG_STATE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(std::env::temp_dir);
    let name: String = stream_name(stream)
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    base.join("twimon").join(format!("kinesis-{name}.json"))
}

/// The stream's name, also from an ARN (`arn:aws:kinesis:REGION:ACCOUNT:stream/NAME`).
pub fn stream_name(stream: &str) -> &str {
    if stream.starts_with("arn:") {
        stream.rsplit('/').next().unwrap_or(stream)
    } else {
        stream
    }
}

// ---------------------------------------------------------------------------------------------
// Errors: what an SDK error means for the loop.

/// What to do about a failed call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Trouble {
    /// The shard's read capacity is used up: wait (jittered back-off) and try again.
    Throttled,
    /// The shard iterator is too old: get a new one after the last record seen.
    IteratorExpired,
    /// The network or the service failed for now: retry, keeping the position.
    Transient(String),
    /// Nothing will change by retrying: stop with this message.
    Fatal(String),
}

/// Classifies an error by its AWS error code (None: not an answer from the service).
pub fn trouble_of(code: Option<&str>, message: &str, action: &str, stream: &str) -> Trouble {
    let said = if message.is_empty() {
        String::new()
    } else {
        format!(" (AWS said: {})", crate::text::safe::line(message))
    };
    let stream = crate::text::safe::line(stream);
    match code.unwrap_or("") {
        "ProvisionedThroughputExceededException"
        | "KMSThrottlingException"
        | "LimitExceededException"
        | "ThrottlingException" => Trouble::Throttled,
        "ExpiredIteratorException" => Trouble::IteratorExpired,
        "ResourceNotFoundException" => Trouble::Fatal(format!(
            "stream {stream:?} not found: check its name, --region and --profile (the account \
             of these credentials){said}"
        )),
        "AccessDeniedException" => Trouble::Fatal(format!(
            "access denied: the credentials may not call kinesis:{action} on stream \
             {stream:?}; twimon needs {IAM_ACTIONS}{said}"
        )),
        c @ ("UnrecognizedClientException"
        | "InvalidSignatureException"
        | "IncompleteSignatureException"
        | "MissingAuthenticationTokenException"
        | "InvalidClientTokenId"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "SignatureDoesNotMatch") => Trouble::Fatal(format!(
            "the AWS credentials were refused ({c}): check AWS_PROFILE or --profile, the access \
             key, or log in again (aws sso login){said}"
        )),
        "KMSAccessDeniedException"
        | "KMSDisabledException"
        | "KMSNotFoundException"
        | "KMSInvalidStateException"
        | "KMSOptInRequired" => Trouble::Fatal(format!(
            "the stream's records cannot be decrypted: the credentials need kms:Decrypt on \
             its key{said}"
        )),
        "InvalidArgumentException" | "ValidationException" => {
            Trouble::Fatal(format!("kinesis:{action} refused the request{said}"))
        }
        "" => Trouble::Transient(message.to_owned()),
        other => Trouble::Transient(format!("{other}{said}")),
    }
}

fn trouble<E, R>(err: &SdkError<E, R>, action: &str, stream: &str) -> Trouble
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let detail = error_chain(err);
    match err {
        SdkError::ServiceError(_) => {
            trouble_of(err.code(), err.message().unwrap_or(""), action, stream)
        }
        _ if detail.to_ascii_lowercase().contains("credential") => Trouble::Fatal(format!(
            "no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, pass \
             --profile (aws sso login first for SSO), or run where an instance or task role \
             applies ({})",
            crate::text::safe::line(&detail)
        )),
        SdkError::ConstructionFailure(_) => Trouble::Fatal(format!(
            "cannot build the kinesis:{action} request: {}",
            crate::text::safe::line(&detail)
        )),
        _ => Trouble::Transient(format!(
            "kinesis:{action}: {}",
            crate::text::safe::line(&detail)
        )),
    }
}

/// An error and its sources on one line, each said once (the SDK's own context printer
/// appends a `Debug` dump).
fn error_chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = e.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// A failure at start-up is never retried: the command line is probably wrong.
fn startup_error(t: Trouble, action: &str) -> anyhow::Error {
    match t {
        Trouble::Fatal(m) => anyhow::anyhow!(m),
        Trouble::Throttled => anyhow::anyhow!("kinesis:{action} was throttled; try again"),
        Trouble::IteratorExpired => anyhow::anyhow!("kinesis:{action}: iterator expired"),
        Trouble::Transient(m) => anyhow::anyhow!("cannot reach Kinesis: {m}"),
    }
}

/// Jittered exponential back-off: each pause is between half and all of a doubling delay.
#[derive(Debug)]
struct Backoff {
    next: Duration,
    seed: u64,
}

impl Backoff {
    fn new() -> Backoff {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(0);
        Backoff {
            next: Duration::from_millis(250),
            seed: h.finish() | 1,
        }
    }

    fn reset(&mut self) {
        self.next = Duration::from_millis(250);
    }

    fn pause(&mut self) -> Duration {
        // xorshift: jitter only, no need for a real generator.
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let full = self.next;
        self.next = (self.next * 2).min(MAX_BACKOFF);
        let half = full / 2;
        half + half.mul_f64((self.seed % 1000) as f64 / 1000.0)
    }
}

// ---------------------------------------------------------------------------------------------
// The SDK side.

/// The stream as the API's requests name it.
#[derive(Debug, Clone)]
struct StreamRef {
    name: Option<String>,
    arn: Option<String>,
    shown: String,
}

impl StreamRef {
    fn new(stream: &str) -> StreamRef {
        let arn = stream.starts_with("arn:");
        StreamRef {
            name: (!arn).then(|| stream.to_owned()),
            arn: arn.then(|| stream.to_owned()),
            shown: stream_name(stream).to_owned(),
        }
    }
}

/// A client from the standard chain (env, profile, SSO, instance role) and the options.
async fn client(opts: &Options) -> anyhow::Result<Client> {
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    let http = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    // Retries are ours (throttles are counted and shown); every call has a time bound.
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(5))
        .operation_attempt_timeout(Duration::from_secs(20))
        .operation_timeout(Duration::from_secs(30))
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http)
        .retry_config(RetryConfig::disabled())
        .timeout_config(timeouts);
    if let Some(p) = &opts.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &opts.region {
        loader = loader.region(aws_config::Region::new(r.clone()));
    }
    if let Some(u) = &opts.endpoint_url {
        loader = loader.endpoint_url(u);
    }
    let conf = loader.load().await;
    if conf.region().is_none() {
        anyhow::bail!("no AWS region: pass --region, set AWS_REGION, or set region in the profile");
    }
    Ok(Client::new(&conf))
}

/// Every shard of the stream (`ListShards`, all pages).
async fn list_shards(client: &Client, stream: &StreamRef) -> Result<Vec<ShardMeta>, Trouble> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let req = match &token {
            // With a token, the stream must not be named again.
            Some(t) => client.list_shards().next_token(t),
            None => client
                .list_shards()
                .set_stream_name(stream.name.clone())
                .set_stream_arn(stream.arn.clone()),
        };
        let page = req
            .send()
            .await
            .map_err(|e| trouble(&e, "ListShards", &stream.shown))?;
        for s in page.shards() {
            let parents = [s.parent_shard_id(), s.adjacent_parent_shard_id()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            let closed = s
                .sequence_number_range()
                .is_some_and(|r| r.ending_sequence_number().is_some());
            out.push(ShardMeta {
                id: s.shard_id().to_owned(),
                parents,
                closed,
            });
        }
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_owned()),
            _ => return Ok(out),
        }
    }
}

/// One record as read, before parsing.
struct Raw {
    seq: String,
    data: Vec<u8>,
    arrival: Option<Timestamp>,
}

enum Msg {
    Batch {
        shard: String,
        records: Vec<Raw>,
        behind: Option<i64>,
        end: bool,
    },
    Failed(String),
}

#[derive(Clone)]
struct Ctx {
    client: Client,
    stream: StreamRef,
    poll_interval: Duration,
    stats: Arc<Stats>,
}

fn to_timestamp(t: &DateTime) -> Option<Timestamp> {
    Timestamp::new(t.secs(), i32::try_from(t.subsec_nanos()).ok()?).ok()
}

async fn shard_iterator(ctx: &Ctx, shard: &str, at: &StartAt) -> Result<String, Trouble> {
    let mut req = ctx
        .client
        .get_shard_iterator()
        .set_stream_name(ctx.stream.name.clone())
        .set_stream_arn(ctx.stream.arn.clone())
        .shard_id(shard);
    req = match at {
        StartAt::Latest => req.shard_iterator_type(ShardIteratorType::Latest),
        StartAt::TrimHorizon => req.shard_iterator_type(ShardIteratorType::TrimHorizon),
        StartAt::AtTimestamp(t) => req
            .shard_iterator_type(ShardIteratorType::AtTimestamp)
            .timestamp(DateTime::from_millis(t.as_millisecond())),
        StartAt::After(seq) => req
            .shard_iterator_type(ShardIteratorType::AfterSequenceNumber)
            .starting_sequence_number(seq),
    };
    let out = req
        .send()
        .await
        .map_err(|e| trouble(&e, "GetShardIterator", &ctx.stream.shown))?;
    out.shard_iterator()
        .map(str::to_owned)
        .ok_or_else(|| Trouble::Transient("GetShardIterator gave no iterator".into()))
}

/// Reads one shard until its end (or until the coordinator drops it).
async fn read_shard(ctx: Ctx, shard: String, start: StartAt, tx: mpsc::Sender<Msg>) {
    let mut last: Option<String> = None;
    let mut iterator: Option<String> = None;
    let mut backoff = Backoff::new();
    loop {
        let it = if let Some(it) = iterator.take() {
            it
        } else {
            let at = last.clone().map_or_else(|| start.clone(), StartAt::After);
            match shard_iterator(&ctx, &shard, &at).await {
                Ok(it) => it,
                Err(t) => {
                    if !wait_out(&ctx, t, &mut backoff, &tx).await {
                        return;
                    }
                    continue;
                }
            }
        };
        let result = ctx
            .client
            .get_records()
            .shard_iterator(&it)
            .limit(RECORDS_PER_READ)
            .send()
            .await;
        let out = match result {
            Ok(out) => out,
            Err(e) => {
                match trouble(&e, "GetRecords", &ctx.stream.shown) {
                    Trouble::IteratorExpired => {}
                    // After a network error the iterator may still be good: try it again.
                    Trouble::Transient(m) => {
                        iterator = Some(it);
                        if !wait_out(&ctx, Trouble::Transient(m), &mut backoff, &tx).await {
                            return;
                        }
                    }
                    t => {
                        iterator = Some(it);
                        if !wait_out(&ctx, t, &mut backoff, &tx).await {
                            return;
                        }
                    }
                }
                continue;
            }
        };
        backoff.reset();
        ctx.stats.update_info(|i| i.problem = None);
        iterator = out.next_shard_iterator().map(str::to_owned);
        let end = iterator.is_none();
        let behind = out.millis_behind_latest();
        // The records are taken, not copied: a batch can be 10 000 of them.
        let records: Vec<Raw> = out
            .records
            .into_iter()
            .map(|r| Raw {
                arrival: r
                    .approximate_arrival_timestamp
                    .as_ref()
                    .and_then(to_timestamp),
                seq: r.sequence_number,
                data: r.data.into_inner(),
            })
            .collect();
        if let Some(r) = records.last() {
            last = Some(r.seq.clone());
        }
        let msg = Msg::Batch {
            shard: shard.clone(),
            records,
            behind,
            end,
        };
        // The end's batch goes last, after which this reader is done.
        if tx.send(msg).await.is_err() || end {
            return;
        }
        tokio::time::sleep(ctx.poll_interval).await;
    }
}

/// Waits out a failed call; false when the reader must stop (a fatal error, reported).
async fn wait_out(ctx: &Ctx, t: Trouble, backoff: &mut Backoff, tx: &mpsc::Sender<Msg>) -> bool {
    match t {
        Trouble::Fatal(m) => {
            let _ = tx.send(Msg::Failed(m)).await;
            return false;
        }
        Trouble::Throttled => ctx.stats.update_info(|i| i.throttles += 1),
        Trouble::IteratorExpired => return true,
        Trouble::Transient(m) => {
            tracing::warn!(problem = %m, "kinesis read failed; retrying");
            ctx.stats.update_info(|i| i.problem = Some(m));
        }
    }
    // Never sooner than the polite interval, whatever the back-off says.
    tokio::time::sleep(backoff.pause().max(ctx.poll_interval)).await;
    true
}

/// Connects, checks the stream and the checkpoint, and starts reading into a feed. Errors
/// here (no stream, no credentials, access denied) end the command with their message.
pub async fn start(opts: Options) -> anyhow::Result<Feed> {
    let client = client(&opts).await?;
    let stream = StreamRef::new(&opts.stream);
    let summary = client
        .describe_stream_summary()
        .set_stream_name(stream.name.clone())
        .set_stream_arn(stream.arn.clone())
        .send()
        .await
        .map_err(|e| {
            startup_error(
                trouble(&e, "DescribeStreamSummary", &stream.shown),
                "DescribeStreamSummary",
            )
        })?;
    let shown = summary
        .stream_description_summary()
        .map_or(stream.shown.clone(), |s| s.stream_name().to_owned());
    let listing = list_shards(&client, &stream)
        .await
        .map_err(|t| startup_error(t, "ListShards"))?;
    let checkpoint = match &opts.checkpoint {
        Some(path) => {
            let cp = load_checkpoint(path, &shown)?;
            // Fail now, not after an hour of reading, when the file cannot be written.
            let probe = cp.clone().unwrap_or_else(|| Checkpoint {
                stream: shown.clone(),
                shards: BTreeMap::new(),
            });
            if cp.is_none() {
                save_checkpoint(path, &probe).map_err(|e| {
                    anyhow::anyhow!("cannot write the checkpoint {}: {e}", path.display())
                })?;
            }
            cp
        }
        None => None,
    };
    let recorder =
        match &opts.record {
            Some(path) => Some(Recorder::open(path).map_err(|e| {
                anyhow::anyhow!("cannot open the recording {}: {e}", path.display())
            })?),
            None => None,
        };
    let mut plan = Plan::new(opts.start, checkpoint, Timestamp::now());
    plan.learn(listing);

    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(Stats::default());
    let ctx = Ctx {
        client,
        stream,
        poll_interval: opts.poll_interval,
        stats: stats.clone(),
    };
    let label = format!(
        "kinesis {} · {} shards",
        crate::text::safe::line(&shown),
        plan.open_shards()
    );
    let coordinator = Coordinator {
        ctx,
        plan,
        name: shown,
        checkpoint: opts.checkpoint,
        seen: Some(Dedup::new(opts.dedup_cap)),
        recorder,
        lag: HashMap::new(),
        dirty: false,
    };
    let task = tokio::spawn(async move {
        coordinator.run(tx, stopped).await;
        Ok(())
    });
    Ok(Feed {
        label,
        live: true,
        stats,
        rx,
        stop,
        task,
    })
}

struct Coordinator {
    ctx: Ctx,
    plan: Plan,
    name: String,
    checkpoint: Option<PathBuf>,
    /// Taken while a batch is parsed on a blocking thread.
    seen: Option<Dedup>,
    /// Taken with `seen`: records are written on that thread, before they are handed on.
    recorder: Option<Recorder>,
    lag: HashMap<String, i64>,
    dirty: bool,
}

impl Coordinator {
    async fn run(mut self, tx: mpsc::Sender<Delivery>, mut stopped: watch::Receiver<bool>) {
        let (btx, mut brx) = mpsc::channel::<Msg>(16);
        let mut readers = JoinSet::new();
        self.spawn_ready(&mut readers, &btx);
        let mut list_tick = tokio::time::interval(LIST_INTERVAL);
        list_tick.tick().await;
        let mut save_tick = tokio::time::interval(SAVE_INTERVAL);
        loop {
            tokio::select! {
                biased;
                _ = stopped.changed() => break,
                msg = brx.recv() => match msg {
                    Some(Msg::Failed(m)) => {
                        self.ctx.stats.update_info(|i| i.failure = Some(m));
                        break;
                    }
                    Some(Msg::Batch { shard, records, behind, end }) => {
                        if !self.take_batch(&tx, &mut stopped, &shard, records).await {
                            break;
                        }
                        if let Some(b) = behind {
                            self.lag.insert(shard.clone(), b);
                        }
                        if end {
                            self.plan.finish(&shard);
                            self.lag.remove(&shard);
                            self.dirty = true;
                            // A closed shard's children are in the listing now.
                            self.relist().await;
                            self.spawn_ready(&mut readers, &btx);
                        }
                        self.show();
                    }
                    None => break,
                },
                _ = list_tick.tick() => {
                    self.relist().await;
                    self.spawn_ready(&mut readers, &btx);
                    self.show();
                }
                _ = save_tick.tick() => self.save(),
            }
        }
        readers.abort_all();
        self.save();
    }

    fn spawn_ready(&mut self, readers: &mut JoinSet<()>, btx: &mpsc::Sender<Msg>) {
        for (shard, at) in self.plan.ready() {
            tracing::info!(shard = %shard, start = ?at, "reading shard");
            readers.spawn(read_shard(self.ctx.clone(), shard, at, btx.clone()));
        }
    }

    async fn relist(&mut self) {
        match list_shards(&self.ctx.client, &self.ctx.stream).await {
            Ok(listing) => self.plan.learn(listing),
            Err(Trouble::Fatal(m) | Trouble::Transient(m)) => {
                tracing::warn!(problem = %m, "listing shards failed; keeping the last listing");
                self.ctx.stats.update_info(|i| i.problem = Some(m));
            }
            Err(_) => {}
        }
    }

    fn show(&self) {
        let label = format!(
            "kinesis {} · {} shards",
            crate::text::safe::line(&self.name),
            self.plan.open_shards()
        );
        let lag = self.lag.values().copied().max().map(|v| v.max(0) as u64);
        self.ctx.stats.update_info(|i| {
            i.label = Some(label);
            i.lag_ms = lag;
        });
    }

    fn save(&mut self) {
        let Some(path) = &self.checkpoint else { return };
        if !self.dirty {
            return;
        }
        match save_checkpoint(path, &self.plan.checkpoint(&self.name)) {
            Ok(()) => self.dirty = false,
            Err(e) => {
                let m = format!("cannot write the checkpoint {}: {e}", path.display());
                tracing::warn!("{m}");
                self.ctx.stats.update_info(|i| i.problem = Some(m));
            }
        }
    }

    /// Parses a batch and hands its deliveries on in order, advancing the checkpoint after
    /// each; false when the consumer is gone or a stop came.
    async fn take_batch(
        &mut self,
        tx: &mpsc::Sender<Delivery>,
        stopped: &mut watch::Receiver<bool>,
        shard: &str,
        records: Vec<Raw>,
    ) -> bool {
        if records.is_empty() {
            return true;
        }
        let Some(mut seen) = self.seen.take() else {
            return false;
        };
        let owned = shard.to_owned();
        let mut recorder = self.recorder.take();
        let parsed = tokio::task::spawn_blocking(move || {
            let mut records = records;
            // The recording first, in order: nothing is shown that it lacks.
            let mut failed = None;
            if let Some(rec) = &mut recorder {
                let written = records.iter().position(|r| {
                    let arrival = r.arrival.unwrap_or_else(Timestamp::now);
                    let place = format!("/kinesis/{owned}/{}", r.seq);
                    rec.write(&Record::pulled(arrival, place, &r.data))
                        .map_err(|e| {
                            failed = Some(format!(
                                "cannot write the recording {}: {e}",
                                rec.path().display()
                            ));
                        })
                        .is_err()
                });
                if let Some(n) = written {
                    records.truncate(n);
                }
            }
            // Parsing is most of a batch's cost and needs no order: spread over the cores.
            // Dedup needs the records' order: it runs after, in order.
            let events = parse_records(&owned, &mut records);
            let mut out = Chunks::default();
            for (r, events) in records.into_iter().zip(events) {
                out.push(
                    r.seq,
                    split_duplicates(&mut seen, events, Verdict::Unchecked.signature()),
                );
            }
            (seen, recorder, out.done, failed)
        })
        .await;
        let Ok((seen, recorder, deliveries, failed)) = parsed else {
            self.ctx
                .stats
                .update_info(|i| i.failure = Some("parsing a batch of records failed".into()));
            return false;
        };
        self.recorder = recorder;
        self.seen = Some(seen);
        let (mut events, mut invalid, mut dups, mut records) = (0, 0, 0, 0);
        let mut last_sent = None;
        let mut gone = false;
        for Chunk {
            last: seq,
            records: n,
            delivery: d,
        } in deliveries
        {
            let counts = (
                d.events.len() as u64,
                d.events.iter().filter(|e| e.invalid.is_some()).count() as u64,
                d.duplicates.len() as u64,
            );
            let sent = tokio::select! {
                biased;
                _ = stopped.changed() => false,
                sent = tx.send(d) => sent.is_ok(),
            };
            if !sent {
                gone = true;
                break;
            }
            events += counts.0;
            invalid += counts.1;
            dups += counts.2;
            records += n;
            last_sent = Some(seq);
        }
        // The figures and the checkpoint once a batch: what was handed on, and no further.
        let stats = &self.ctx.stats;
        stats.deliveries.fetch_add(records, Ordering::Relaxed);
        stats.events.fetch_add(events, Ordering::Relaxed);
        stats.invalid.fetch_add(invalid, Ordering::Relaxed);
        stats.duplicates.fetch_add(dups, Ordering::Relaxed);
        stats.update_info(|i| i.records += records);
        if let Some(seq) = last_sent {
            self.plan.advance(shard, &seq);
            self.dirty = true;
        }
        if gone {
            return false;
        }
        match failed {
            Some(m) => {
                self.ctx.stats.update_info(|i| i.failure = Some(m));
                false
            }
            None => true,
        }
    }
}

/// Records handed on as one delivery: a batch of 10 000 goes as 40 channel sends and 40
/// pieces of work for the printer, not 10 000 of each.
const RECORDS_PER_CHUNK: usize = 256;

/// Consecutive records' deliveries joined into one, with the sequence number of the last.
struct Chunk {
    last: String,
    records: u64,
    delivery: Delivery,
}

/// A batch's deliveries joined in order, [`RECORDS_PER_CHUNK`] records at most. A record
/// with duplicates starts a chunk: the consumer marks duplicates before it stores the events
/// beside them, so the originals must have been handed on already.
#[derive(Default)]
struct Chunks {
    done: Vec<Chunk>,
}

impl Chunks {
    fn push(&mut self, seq: String, d: Delivery) {
        match self.done.last_mut() {
            Some(c) if c.records < RECORDS_PER_CHUNK as u64 && d.duplicates.is_empty() => {
                c.delivery.events.extend(d.events);
                c.delivery.keys.extend(d.keys);
                c.records += 1;
                c.last = seq;
            }
            _ => self.done.push(Chunk {
                last: seq,
                records: 1,
                delivery: d,
            }),
        }
    }
}

/// Batches below this are parsed on the calling thread: a thread costs more than they do.
const PARALLEL_FROM: usize = 256;

/// Each record's events ([`record_events`]), in the records' order, parsed on as many threads
/// as the machine has cores.
/// Each record's data is taken: it becomes the event's raw JSON where it can.
fn parse_records(shard: &str, records: &mut [Raw]) -> Vec<Vec<Event>> {
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    if threads < 2 || records.len() < PARALLEL_FROM {
        return records
            .iter_mut()
            .map(|r| record_events(shard, r))
            .collect();
    }
    let chunk = records.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let parts: Vec<_> = records
            .chunks_mut(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter_mut()
                        .map(|r| record_events(shard, r))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| p.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    })
}

/// One record as the delivery the coordinator hands on (for the tests: it does this per batch).
#[cfg(test)]
fn record_delivery(seen: &mut Dedup, shard: &str, r: &mut Raw) -> Delivery {
    split_duplicates(
        seen,
        record_events(shard, r),
        Verdict::Unchecked.signature(),
    )
}

/// One record's events, checked: a CloudEvent or an array of them; anything else an invalid
/// event that names the shard and the sequence number. The record's data is taken.
fn record_events(shard: &str, r: &mut Raw) -> Vec<Event> {
    let arrival = r.arrival.unwrap_or_else(Timestamp::now);
    let place = || format!("{shard} record {}", r.seq);
    let mut events = match parse_record(std::mem::take(&mut r.data), arrival) {
        Ok(mut events) => {
            for e in &mut events {
                if let Some(reason) = &e.invalid {
                    e.invalid = Some(format!("{}: {reason}", place()).into_boxed_str());
                }
            }
            events
        }
        Err((e, data)) => vec![Event::invalid(
            &String::from_utf8_lossy(&data),
            arrival,
            format!("{}: {e}", place()),
        )],
    };
    crate::domain::check::stamp_all(&mut events);
    events
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shard(id: &str, parents: &[&str], closed: bool) -> ShardMeta {
        ShardMeta {
            id: id.into(),
            parents: parents.iter().map(|p| (*p).to_owned()).collect(),
            closed,
        }
    }

    fn ids(v: &[(String, StartAt)]) -> Vec<&str> {
        v.iter().map(|(id, _)| id.as_str()).collect()
    }

    fn now() -> Timestamp {
        "2026-11-30T03:00:00Z".parse().unwrap()
    }

    #[test]
    fn parents_are_read_to_their_end_before_children() {
        let mut p = Plan::new(Start::TrimHorizon, None, now());
        p.learn(vec![
            shard("a", &[], true),
            shard("b", &["a"], false),
            shard("c", &["a"], false),
            shard("d", &[], false),
        ]);
        let first = p.ready();
        assert_eq!(ids(&first), ["a", "d"]);
        assert!(first.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
        assert!(p.ready().is_empty(), "nothing new until a parent ends");
        p.advance("a", "5");
        assert!(p.ready().is_empty());
        p.finish("a");
        assert_eq!(ids(&p.ready()), ["b", "c"]);
        assert!(p.ready().is_empty());
    }

    #[test]
    fn a_merge_waits_for_both_parents() {
        let mut p = Plan::new(Start::TrimHorizon, None, now());
        p.learn(vec![
            shard("a", &[], true),
            shard("b", &[], true),
            shard("m", &["a", "b"], false),
        ]);
        assert_eq!(ids(&p.ready()), ["a", "b"]);
        p.finish("a");
        assert!(p.ready().is_empty());
        p.finish("b");
        assert_eq!(ids(&p.ready()), ["m"]);
    }

    #[test]
    fn latest_skips_closed_shards_and_reads_new_ones_whole() {
        let mut p = Plan::new(Start::Latest, None, now());
        p.learn(vec![shard("a", &[], true), shard("b", &["a"], false)]);
        assert_eq!(p.ready(), [("b".to_owned(), StartAt::Latest)]);
        // b splits while we read it: the children are new, read from their start.
        p.learn(vec![
            shard("a", &[], true),
            shard("b", &["a"], true),
            shard("c", &["b"], false),
            shard("d", &["b"], false),
        ]);
        assert!(p.ready().is_empty());
        p.finish("b");
        let next = p.ready();
        assert_eq!(ids(&next), ["c", "d"]);
        assert!(next.iter().all(|(_, at)| *at == StartAt::TrimHorizon));
        assert_eq!(p.open_shards(), 2);
    }

    #[test]
    fn a_parent_gone_from_the_stream_counts_as_read() {
        let mut p = Plan::new(Start::AtTimestamp(now()), None, now());
        p.learn(vec![shard("b", &["expired"], false)]);
        assert_eq!(p.ready(), [("b".to_owned(), StartAt::AtTimestamp(now()))]);
    }

    #[test]
    fn the_checkpoint_resumes_after_the_last_record_and_reads_unnamed_shards_whole() {
        let mut p = Plan::new(Start::TrimHorizon, None, now());
        p.learn(vec![
            shard("a", &[], true),
            shard("b", &["a"], false),
            shard("x", &[], false),
        ]);
        p.ready();
        p.advance("a", "9");
        p.finish("a");
        p.ready();
        p.advance("b", "12");
        let cp = p.checkpoint("s");
        assert_eq!(cp.shards.get("a"), Some(&Position::Done));
        assert_eq!(cp.shards.get("b"), Some(&Position::After("12".into())));
        assert_eq!(cp.shards.get("x"), None, "nothing read from x");
        let text = serde_json::to_string(&cp).unwrap();
        let back: Checkpoint = serde_json::from_str(&text).unwrap();
        assert_eq!(back, cp);

        // Restarted with --latest: the checkpoint wins for what it names.
        let mut p = Plan::new(Start::Latest, Some(back), now());
        p.learn(vec![
            shard("a", &[], true),
            shard("b", &["a"], false),
            shard("x", &[], false),
        ]);
        assert_eq!(
            p.ready(),
            [
                ("b".to_owned(), StartAt::After("12".into())),
                ("x".to_owned(), StartAt::TrimHorizon),
            ]
        );
    }

    #[test]
    fn a_shard_started_at_latest_with_nothing_read_resumes_from_the_start_time() {
        let mut p = Plan::new(Start::Latest, None, now());
        p.learn(vec![shard("a", &[], false)]);
        p.ready();
        let cp = p.checkpoint("s");
        let mut p = Plan::new(Start::Latest, Some(cp), now());
        p.learn(vec![shard("a", &[], false)]);
        assert_eq!(p.ready(), [("a".to_owned(), StartAt::AtTimestamp(now()))]);
    }

    #[test]
    fn an_abandoned_reader_is_started_again_from_its_position() {
        let mut p = Plan::new(Start::TrimHorizon, None, now());
        p.learn(vec![shard("a", &[], false)]);
        p.ready();
        p.advance("a", "3");
        p.abandon("a");
        assert_eq!(p.ready(), [("a".to_owned(), StartAt::After("3".into()))]);
    }

    #[test]
    fn since_takes_durations_and_times() {
        let n = now();
        assert_eq!(
            parse_since("1h", n).unwrap(),
            "2026-11-30T02:00:00Z".parse().unwrap()
        );
        assert_eq!(
            parse_since("30m", n).unwrap(),
            "2026-11-30T02:30:00Z".parse().unwrap()
        );
        assert_eq!(
            parse_since("1h30m", n).unwrap(),
            "2026-11-30T01:30:00Z".parse().unwrap()
        );
        assert_eq!(
            parse_since("2026-11-30T03:00Z", n).unwrap(),
            "2026-11-30T03:00:00Z".parse().unwrap()
        );
        for bad in [
            "",
            "h",
            "1x",
            "10",
            "0m",
            "99999999999999999999d",
            "yesterday",
        ] {
            assert!(parse_since(bad, n).is_err(), "{bad}");
        }
    }

    #[test]
    fn intervals_parse() {
        assert_eq!(parse_interval("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_interval("0.5s"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_interval("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_interval("0"), Ok(Duration::ZERO));
        assert!(parse_interval("-1s").is_err());
        assert!(parse_interval("fast").is_err());
    }

    #[test]
    fn errors_say_what_to_do() {
        let t = |code| trouble_of(Some(code), "msg", "GetRecords", "s");
        assert_eq!(
            t("ProvisionedThroughputExceededException"),
            Trouble::Throttled
        );
        assert_eq!(t("ExpiredIteratorException"), Trouble::IteratorExpired);
        let Trouble::Fatal(m) = t("AccessDeniedException") else {
            panic!()
        };
        assert!(
            m.contains("kinesis:GetRecords") && m.contains("kinesis:ListShards"),
            "{m}"
        );
        let Trouble::Fatal(m) = t("ResourceNotFoundException") else {
            panic!()
        };
        assert!(m.contains("not found") && m.contains("--region"), "{m}");
        let Trouble::Fatal(m) = t("UnrecognizedClientException") else {
            panic!()
        };
        assert!(m.contains("credentials were refused"), "{m}");
        assert!(matches!(t("InternalFailure"), Trouble::Transient(_)));
    }

    #[test]
    fn backoff_grows_with_jitter_and_is_capped() {
        let mut b = Backoff::new();
        let first = b.pause();
        assert!(first >= Duration::from_millis(125) && first <= Duration::from_millis(250));
        for _ in 0..20 {
            assert!(b.pause() <= MAX_BACKOFF);
        }
        b.reset();
        assert!(b.pause() <= Duration::from_millis(250));
    }

    #[test]
    fn a_batch_parsed_on_several_threads_keeps_the_records_order() {
        let mut records: Vec<Raw> = (0..PARALLEL_FROM * 3 + 7)
            .map(|i| Raw {
                seq: format!("{i:05}"),
                data: if i % 97 == 0 {
                    b"not json".to_vec()
                } else {
                    format!(
                        r#"{{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/x","id":"EV{i}","time":"2026-11-28T16:00:00Z","data":{{}}}}"#
                    )
                    .into_bytes()
                },
                arrival: Some(now()),
            })
            .collect();
        let sent: Vec<Vec<u8>> = records.iter().map(|r| r.data.clone()).collect();
        let parsed = parse_records("shardId-000000000000", &mut records);
        assert_eq!(parsed.len(), records.len());
        for (i, events) in parsed.iter().enumerate() {
            let [ev] = events.as_slice() else {
                panic!("record {i}: {} events", events.len())
            };
            if i % 97 == 0 {
                let reason = ev.invalid.as_deref().unwrap();
                assert!(reason.contains(&format!("record {i:05}: ")), "{reason}");
            } else {
                assert_eq!(ev.id(), format!("EV{i}"), "record {i}");
            }
            // Each event keeps its record's JSON as it came (moved in, for a valid one).
            assert_eq!(ev.raw.as_bytes(), sent[i].as_slice(), "record {i}");
        }
    }

    #[test]
    fn records_go_on_in_chunks_and_a_duplicate_starts_one_after_its_original() {
        let record = |i: usize| {
            Raw {
            seq: format!("{i:05}"),
            data: format!(
                r#"{{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/x","id":"EV{i}","time":"2026-11-28T16:00:00Z","data":{{"sid":"CA{i}"}}}}"#
            )
            .into_bytes(),
            arrival: Some(now()),
        }
        };
        let mut seen = Dedup::new(10_000);
        let mut chunks = Chunks::default();
        // Record 300 repeats record 3: it must not share a delivery with its original.
        let ids: Vec<usize> = (0..RECORDS_PER_CHUNK + 44).chain([3, 700]).collect();
        for (n, &i) in ids.iter().enumerate() {
            let mut r = record(i);
            r.seq = format!("{n:05}");
            let d = record_delivery(&mut seen, "shardId-000000000000", &mut r);
            chunks.push(r.seq, d);
        }
        let shape: Vec<(u64, usize, usize, &str)> = chunks
            .done
            .iter()
            .map(|c| {
                let d = &c.delivery;
                (
                    c.records,
                    d.events.len(),
                    d.duplicates.len(),
                    c.last.as_str(),
                )
            })
            .collect();
        assert_eq!(
            shape,
            [
                (RECORDS_PER_CHUNK as u64, RECORDS_PER_CHUNK, 0, "00255"),
                (44, 44, 0, "00299"),
                (2, 1, 1, "00301"),
            ]
        );
        let all: Vec<&str> = chunks
            .done
            .iter()
            .flat_map(|c| c.delivery.events.iter().map(Event::id))
            .collect();
        assert_eq!(all.len(), RECORDS_PER_CHUNK + 45);
        assert_eq!(all.last(), Some(&"EV700"));
        for c in &chunks.done {
            assert_eq!(c.delivery.events.len(), c.delivery.keys.len());
        }
    }

    #[test]
    fn unusable_records_name_shard_and_sequence_number() {
        let mut seen = Dedup::new(10);
        let mut raw = Raw {
            seq: "4960".into(),
            data: b"not json".to_vec(),
            arrival: Some(now()),
        };
        let d = record_delivery(&mut seen, "shardId-000000000001", &mut raw);
        let reason = d.events[0].invalid.as_deref().unwrap();
        assert!(
            reason.starts_with("shardId-000000000001 record 4960: "),
            "{reason}"
        );
        assert_eq!(d.events[0].arrival, now());
    }

    #[test]
    fn names_come_out_of_arns_and_make_safe_file_names() {
        assert_eq!(
            stream_name("arn:aws:kinesis:us-east-1:123456789012:stream/twilio-events"),
            "twilio-events"
        );
        assert_eq!(stream_name("plain"), "plain");
        let p = default_checkpoint("a/b c");
        assert!(p.ends_with("twimon/kinesis-a_b_c.json"), "{}", p.display());
    }
}
