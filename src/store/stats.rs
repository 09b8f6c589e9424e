//! Running aggregates for the stats overlay (`s`), kept since start — evicted events included —
//! and updated in O(1) on every stored event, so no frame ever scans the retained events.
//!
//! - events per second over the last [`WINDOW_SECS`] seconds, by *arrival* time (a ring);
//! - response codes by class;
//! - request durations in a fixed log-spaced histogram (percentiles read as bucket upper
//!   bounds) and their maximum;
//! - the [`SLOW_KEPT`] slowest steps over [`SLOW_MS`], copied (they outlive eviction).

use jiff::Timestamp;

use crate::domain::{CallSid, Event, EventKind};

/// Seconds of per-second counts kept for the sparkline.
pub const WINDOW_SECS: usize = WINDOW as usize;
const WINDOW: i64 = 300;
/// A step slower than this is listed as slow (Twilio gives up on TwiML after 15 s).
pub const SLOW_MS: u32 = 5_000;
/// How many slow steps are kept (the slowest).
pub const SLOW_KEPT: usize = 50;
/// Duration histogram buckets: 1 ms … 60 s, log-spaced (one ms apart where log steps would
/// be finer than that). Durations above the last bound fall in the last bucket.
pub const BUCKETS: usize = 64;
const LAST_BOUND_MS: f64 = 60_000.0;
/// URLs of slow steps are kept up to this many bytes.
const URL_KEPT: usize = 256;

/// Response code classes, in display order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeClass {
    Success,
    Redirect,
    ClientError,
    ServerError,
    /// No response code (invalid events, test events, failures without a response), or one
    /// outside 200–599.
    None,
}

impl CodeClass {
    pub const ALL: [CodeClass; 5] = [
        CodeClass::Success,
        CodeClass::Redirect,
        CodeClass::ClientError,
        CodeClass::ServerError,
        CodeClass::None,
    ];

    pub fn of(code: Option<u16>) -> CodeClass {
        match code {
            Some(200..=299) => CodeClass::Success,
            Some(300..=399) => CodeClass::Redirect,
            Some(400..=499) => CodeClass::ClientError,
            Some(500..=599) => CodeClass::ServerError,
            _ => CodeClass::None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CodeClass::Success => "2xx",
            CodeClass::Redirect => "3xx",
            CodeClass::ClientError => "4xx",
            CodeClass::ServerError => "5xx",
            CodeClass::None => "none",
        }
    }

    /// A code of the class, for colouring (none: `None`).
    pub fn example(self) -> Option<u16> {
        match self {
            CodeClass::Success => Some(200),
            CodeClass::Redirect => Some(300),
            CodeClass::ClientError => Some(400),
            CodeClass::ServerError => Some(500),
            CodeClass::None => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A slow step, copied from its event so it stays listed after the event is evicted.
#[derive(Debug, Clone, PartialEq)]
pub struct SlowStep {
    pub seq: u64,
    /// The event's time (the table's clock).
    pub time: Timestamp,
    pub kind: EventKind,
    pub call_sid: Option<CallSid>,
    pub method: Box<str>,
    /// The request URL, cut at [`URL_KEPT`] bytes.
    pub url: Box<str>,
    pub duration_ms: u32,
}

/// The aggregates. About 2 KiB plus the slow list; nothing grows with traffic.
#[derive(Debug, Clone)]
pub struct Stats {
    total: u64,
    /// Events per arrival second; slot `sec % WINDOW_SECS`.
    per_sec: [u32; WINDOW_SECS],
    /// The newest second the ring covers (`None` until the first event).
    latest_sec: Option<i64>,
    codes: [u64; CodeClass::ALL.len()],
    bounds: [u32; BUCKETS],
    histogram: [u64; BUCKETS],
    timed: u64,
    max_ms: Option<u32>,
    /// Slowest first; ties: earlier first. At most [`SLOW_KEPT`].
    slow: Vec<SlowStep>,
    /// Every step over [`SLOW_MS`], including those no longer listed.
    slow_total: u64,
}

impl Default for Stats {
    fn default() -> Self {
        Stats::new()
    }
}

impl Stats {
    pub fn new() -> Self {
        Stats {
            total: 0,
            per_sec: [0; WINDOW_SECS],
            latest_sec: None,
            codes: [0; CodeClass::ALL.len()],
            bounds: bucket_bounds(),
            histogram: [0; BUCKETS],
            timed: 0,
            max_ms: None,
            slow: Vec::new(),
            slow_total: 0,
        }
    }

    /// Counts one stored event.
    pub fn record(&mut self, ev: &Event) {
        self.total += 1;
        self.count_second(ev.arrival);
        self.codes[CodeClass::of(ev.response_code).index()] += 1;
        if let Some(ms) = ev.duration_ms {
            self.record_duration(ms);
            if ms > SLOW_MS {
                self.record_slow(ev, ms);
            }
        }
    }

    /// Moves the window forward to `now` without counting anything, so a quiet minute shows
    /// as quiet. Earlier times are ignored.
    pub fn advance(&mut self, now: Timestamp) {
        self.roll_to(now.as_second());
    }

    /// Events counted since start.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Events per second for the last `n` seconds (at most [`WINDOW_SECS`]), newest first.
    pub fn per_second(&self, n: usize) -> impl Iterator<Item = u64> + '_ {
        let n = if self.latest_sec.is_some() {
            n.min(WINDOW_SECS)
        } else {
            0
        };
        let latest = self.latest_sec.unwrap_or(0);
        (0..n).map(move |back| {
            let sec = latest - i64::try_from(back).unwrap_or(0);
            self.per_sec.get(slot(sec)).map_or(0, |c| u64::from(*c))
        })
    }

    pub fn code_count(&self, class: CodeClass) -> u64 {
        self.codes.get(class.index()).copied().unwrap_or(0)
    }

    /// Events that carried a request duration.
    pub fn timed(&self) -> u64 {
        self.timed
    }

    pub fn max_ms(&self) -> Option<u32> {
        self.max_ms
    }

    /// The `p`-th percentile (0–100) of request durations, as the upper bound of its bucket
    /// (never above the maximum): an over-estimate by at most one bucket (~19 %).
    pub fn percentile(&self, p: f64) -> Option<u32> {
        if self.timed == 0 {
            return None;
        }
        let rank = ((p / 100.0) * self.timed as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (count, bound) in self.histogram.iter().zip(self.bounds) {
            seen += count;
            if seen >= rank {
                return Some(self.max_ms.map_or(bound, |m| bound.min(m)));
            }
        }
        self.max_ms
    }

    /// The slowest steps over [`SLOW_MS`], slowest first.
    pub fn slow(&self) -> &[SlowStep] {
        &self.slow
    }

    /// Steps over [`SLOW_MS`] since start (the list keeps the slowest [`SLOW_KEPT`]).
    pub fn slow_total(&self) -> u64 {
        self.slow_total
    }

    fn count_second(&mut self, arrival: Timestamp) {
        let sec = arrival.as_second();
        self.roll_to(sec);
        let Some(latest) = self.latest_sec else {
            return;
        };
        // Older than the window (a late arrival): counted in the totals only.
        if latest - sec < WINDOW
            && let Some(c) = self.per_sec.get_mut(slot(sec))
        {
            *c = c.saturating_add(1);
        }
    }

    /// Makes `sec` the newest second, clearing the seconds it skips (at most the window).
    fn roll_to(&mut self, sec: i64) {
        match self.latest_sec {
            None => self.latest_sec = Some(sec),
            Some(latest) if sec > latest => {
                let gap = usize::try_from(sec - latest).unwrap_or(WINDOW_SECS);
                if gap >= WINDOW_SECS {
                    self.per_sec = [0; WINDOW_SECS];
                } else {
                    for s in latest + 1..=sec {
                        if let Some(c) = self.per_sec.get_mut(slot(s)) {
                            *c = 0;
                        }
                    }
                }
                self.latest_sec = Some(sec);
            }
            Some(_) => {}
        }
    }

    fn record_duration(&mut self, ms: u32) {
        self.timed += 1;
        self.max_ms = Some(self.max_ms.map_or(ms, |m| m.max(ms)));
        let i = self.bounds.partition_point(|b| *b < ms).min(BUCKETS - 1);
        if let Some(c) = self.histogram.get_mut(i) {
            *c += 1;
        }
    }

    fn record_slow(&mut self, ev: &Event, ms: u32) {
        self.slow_total += 1;
        if self.slow.len() >= SLOW_KEPT && self.slow.last().is_some_and(|s| s.duration_ms >= ms) {
            return;
        }
        let url = ev.url();
        let mut cut = url.len().min(URL_KEPT);
        while !url.is_char_boundary(cut) {
            cut -= 1;
        }
        let step = SlowStep {
            seq: ev.seq,
            time: ev.time,
            kind: ev.kind,
            call_sid: ev.call_sid.clone(),
            method: ev.method().into(),
            url: url.get(..cut).unwrap_or_default().into(),
            duration_ms: ms,
        };
        // After every step at least as slow: ties keep arrival order.
        let at = self.slow.partition_point(|s| s.duration_ms >= ms);
        self.slow.insert(at, step);
        self.slow.truncate(SLOW_KEPT);
    }
}

fn slot(sec: i64) -> usize {
    usize::try_from(sec.rem_euclid(WINDOW)).unwrap_or(0)
}

/// Upper bounds (ms, inclusive) of the histogram buckets: `60 000^(i/63)` rounded up, at least
/// 1 ms above the previous bound; the last is 60 s.
fn bucket_bounds() -> [u32; BUCKETS] {
    let mut bounds = [0u32; BUCKETS];
    let mut prev = 0u32;
    for (i, b) in bounds.iter_mut().enumerate() {
        let exact = LAST_BOUND_MS.powf(i as f64 / (BUCKETS - 1) as f64).ceil() as u32;
        *b = exact.max(prev + 1);
        prev = *b;
    }
    bounds
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TimeSource;

    fn at(sec: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + sec).unwrap()
    }

    fn event(seq: u64, sec: i64, code: Option<u16>, ms: Option<u32>) -> Event {
        let raw = format!(
            r#"[{{"specversion":"1.0","type":"com.twilio.voice.twiml.call.requested","source":"/t","id":"e{seq}",
            "data":{{"sid":"CA00000000000000000000000000{seq:06}","request":{{"method":"POST","url":"https://x.test/step/{seq}","parameters":{{}}}}}}}}]"#
        );
        let mut ev = crate::domain::delivery::parse_delivery(raw.as_bytes(), at(sec))
            .unwrap()
            .remove(0);
        ev.seq = seq;
        ev.response_code = code;
        ev.duration_ms = ms;
        assert_eq!(ev.time_source, TimeSource::Arrival);
        ev
    }

    #[test]
    fn bounds_rise_from_1ms_to_60s() {
        let b = bucket_bounds();
        assert_eq!(b[0], 1);
        assert_eq!(b[BUCKETS - 1], 60_000);
        assert!(b.windows(2).all(|w| w[0] < w[1]));
        // Log-spaced: neighbours at most 25 % apart above the 1 ms steps.
        assert!(
            b.windows(2)
                .all(|w| w[1] <= w[0] + 1 || w[1] * 4 <= w[0] * 5)
        );
    }

    #[test]
    fn percentiles_from_the_histogram() {
        let mut s = Stats::new();
        assert_eq!(s.percentile(50.0), None);
        // 1..=100 ms, plus one 15 s step: p50 is ~50 ms, p95 ~95 ms, max 15 s.
        for ms in 1..=100 {
            s.record(&event(u64::from(ms), 0, Some(200), Some(ms)));
        }
        s.record(&event(101, 0, Some(502), Some(15_002)));
        let p50 = s.percentile(50.0).unwrap();
        let p95 = s.percentile(95.0).unwrap();
        // Upper bounds: never below the exact value, at most one bucket (~20 %) above it.
        assert!((51..=62).contains(&p50), "p50 {p50}");
        assert!((96..=116).contains(&p95), "p95 {p95}");
        assert_eq!(s.percentile(100.0), Some(15_002));
        assert_eq!(s.percentile(0.0), Some(1));
        assert_eq!(s.max_ms(), Some(15_002));
        assert_eq!(s.timed(), 101);
        // A single value is reported as itself (the bound is capped at the max).
        let mut one = Stats::new();
        one.record(&event(0, 0, Some(200), Some(203)));
        assert_eq!(one.percentile(50.0), Some(203));
        // Beyond the last bound: the last bucket, capped at the max.
        one.record(&event(1, 0, Some(200), Some(90_000)));
        assert_eq!(one.percentile(100.0), Some(60_000));
        assert_eq!(one.max_ms(), Some(90_000));
    }

    #[test]
    fn per_second_counts_roll_over() {
        let mut s = Stats::new();
        assert_eq!(s.per_second(5).count(), 0);
        for _ in 0..3 {
            s.record(&event(0, 10, None, None));
        }
        s.record(&event(1, 12, None, None));
        assert_eq!(s.per_second(4).collect::<Vec<_>>(), [1, 0, 3, 0]);
        // A late arrival inside the window still counts in its second.
        s.record(&event(2, 11, None, None));
        assert_eq!(s.per_second(3).collect::<Vec<_>>(), [1, 1, 3]);
        // One whole window later the ring has rolled over: the old seconds are gone.
        s.record(&event(3, 12 + WINDOW, None, None));
        let all: Vec<u64> = s.per_second(WINDOW_SECS + 10).collect();
        assert_eq!(all.len(), WINDOW_SECS);
        assert_eq!(all[0], 1);
        assert_eq!(all.iter().sum::<u64>(), 1);
        // Too late for the window: in the total, not in the ring.
        s.record(&event(4, 10, None, None));
        assert_eq!(s.per_second(WINDOW_SECS).sum::<u64>(), 1);
        assert_eq!(s.total(), 7);
        // A partial roll clears only the skipped seconds.
        s.advance(at(12 + WINDOW + 2));
        assert_eq!(s.per_second(3).collect::<Vec<_>>(), [0, 0, 1]);
        // Going back in time moves nothing.
        s.advance(at(0));
        assert_eq!(s.per_second(3).collect::<Vec<_>>(), [0, 0, 1]);
    }

    #[test]
    fn slow_list_is_bounded_and_ordered() {
        let mut s = Stats::new();
        s.record(&event(0, 0, Some(200), Some(SLOW_MS)));
        assert!(s.slow().is_empty(), "5 s exactly is not slow");
        for i in 0..(SLOW_KEPT as u32 + 20) {
            // 5.001 s, 5.002 s, … with every tenth a tie with its predecessor.
            let ms = SLOW_MS + 1 + i - u32::from(i % 10 == 9);
            s.record(&event(u64::from(i) + 1, 0, Some(200), Some(ms)));
        }
        let slow = s.slow();
        assert_eq!(slow.len(), SLOW_KEPT);
        assert_eq!(s.slow_total(), SLOW_KEPT as u64 + 20);
        assert!(
            slow.windows(2)
                .all(|w| w[0].duration_ms >= w[1].duration_ms)
        );
        assert!(
            slow.windows(2)
                .filter(|w| w[0].duration_ms == w[1].duration_ms)
                .all(|w| w[0].seq < w[1].seq),
            "ties keep arrival order"
        );
        // The slowest two tie (i = 68 and 69): the earlier first.
        assert_eq!(slow[0].duration_ms, SLOW_MS + SLOW_KEPT as u32 + 19);
        assert_eq!((slow[0].seq, slow[1].seq), (69, 70));
        assert_eq!(slow[0].url.as_ref(), "https://x.test/step/69");
        assert_eq!(slow[0].method.as_ref(), "POST");
        assert!(slow[0].call_sid.is_some());
        // Not slower than the slowest 50: not listed, still counted.
        s.record(&event(999, 0, Some(200), Some(SLOW_MS + 1)));
        assert_eq!(s.slow().len(), SLOW_KEPT);
        assert!(s.slow().iter().all(|x| x.seq != 999));
        assert_eq!(s.slow_total(), SLOW_KEPT as u64 + 21);
    }

    #[test]
    fn code_classes() {
        let mut s = Stats::new();
        for (i, code) in [
            Some(200),
            Some(204),
            Some(302),
            Some(404),
            Some(502),
            Some(503),
            None,
            Some(99),
        ]
        .into_iter()
        .enumerate()
        {
            s.record(&event(i as u64, 0, code, None));
        }
        let counts: Vec<u64> = CodeClass::ALL.iter().map(|c| s.code_count(*c)).collect();
        assert_eq!(counts, [2, 1, 1, 2, 2]);
        assert_eq!(s.timed(), 0);
        assert_eq!(s.max_ms(), None);
    }
}
