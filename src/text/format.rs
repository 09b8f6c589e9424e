//! The words screens, markdown and NDJSON share: clocks, durations, offsets, request lines.

use std::fmt::Write as _;

use crate::domain::{CallSid, Event, EventKind};

use super::safe;

/// `HH:MM:SS.mmm` in UTC, the clock of Twilio's console and logs; `?` at the end (in place of
/// the last digit, to keep the width) when the event's own time was unreadable and this is
/// the arrival time instead.
pub fn clock(ev: &Event) -> String {
    if ev.time_unreadable().is_some() {
        return ev.time.strftime("%H:%M:%S%.2f?").to_string();
    }
    ev.time.strftime("%H:%M:%S%.3f").to_string()
}

/// The path (and query) of a URL, for narrow columns.
pub fn url_path(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(url, |i| &url[i + 3..]);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None if url.contains("://") => "/",
        None => url,
    }
}

/// `412ms`, `1.4s`.
pub fn duration_text(ms: u32) -> String {
    if ms < 1000 {
        format!("{ms}ms")
    } else {
        span_text(u64::from(ms))
    }
}

/// `+7.3s`, `+1m02s`, `+3h05m`, `+2d04h`, `+> 1 year` (a sender's absurd times must not
/// print as `+4260186600m00s`).
pub fn offset_text(ms: i64) -> String {
    let sign = if ms < 0 { '-' } else { '+' };
    format!("{sign}{}", span_text(ms.unsigned_abs()))
}

/// A length of time in the largest units that keep it short.
pub fn span_text(ms: u64) -> String {
    const MIN: u64 = 60;
    const HOUR: u64 = 60 * MIN;
    const DAY: u64 = 24 * HOUR;
    let secs = ms / 1000;
    match secs {
        s if s < MIN => format!("{:.1}s", ms as f64 / 1000.0),
        s if s < HOUR => format!("{}m{:02}s", s / MIN, s % MIN),
        s if s < DAY => format!("{}h{:02}m", s / HOUR, s % HOUR / MIN),
        s if s < 365 * DAY => format!("{}d{:02}h", s / DAY, s % DAY / HOUR),
        _ => "> 1 year".to_owned(),
    }
}

/// The request column: method and path, or the reason an event is invalid.
pub fn request_text(ev: &Event) -> String {
    if let Some(reason) = &ev.invalid {
        return safe::line(reason).into_owned();
    }
    if ev.kind == EventKind::StatusCallback {
        let status = ev.parameter("CallStatus").unwrap_or_default();
        return format!("status {}", safe::line(&status));
    }
    if let Some(what) = beyond_twiml(ev) {
        return what;
    }
    if ev.url().is_empty() {
        return if ev.kind == EventKind::Other {
            safe::line(ev.type_name()).into_owned()
        } else {
            String::new()
        };
    }
    format!(
        "{} {}",
        safe::line(ev.method()),
        safe::line(url_path(ev.url()))
    )
}

/// What an error-log, Studio or conference event says, in the request column's place:
/// `HTTP retrieval failure · /voicemail`, `Trigger → say_menu (incomingCall)`,
/// `flow FW…3c1a ended (FLOW_END)`, `participant-join Room 42`.
fn beyond_twiml(ev: &Event) -> Option<String> {
    if let Some(e) = ev.error_log() {
        let mut words = if e.message.is_empty() {
            e.product.to_string()
        } else {
            e.message.to_string()
        };
        if !e.url.is_empty() {
            words.push_str(" · ");
            words.push_str(url_path(&e.url));
        }
        return Some(safe::line(&words).into_owned());
    }
    if let Some(s) = ev.studio() {
        let words = if ev.kind == EventKind::StudioStep {
            let mut w = format!("{} → {}", s.from, s.to);
            if !s.name.is_empty() {
                let _ = write!(w, " ({})", s.name);
            }
            w
        } else {
            let flow = CallSid(s.flow.clone()).short();
            let mut w = format!("flow {flow} {}", s.status);
            if !s.ended_reason.is_empty() {
                let _ = write!(w, " ({})", s.ended_reason);
            }
            w
        };
        return Some(safe::line(words.trim()).into_owned());
    }
    if let Some(c) = ev.conference() {
        let words = format!("{} {}", c.event, c.name);
        return Some(safe::line(words.trim()).into_owned());
    }
    None
}

/// A path line masked: numbers masked, and what the caller said (the path quotes a
/// `SpeechResult`) hidden.
pub fn mask_path(line: &str) -> String {
    super::mask::text(line)
        .split('"')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "«speech»" } else { part })
        .collect()
}

/// How much of the date a time column needs so that no two days look alike: none when every
/// event is from one day, the month and day within one year, else the whole date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dates {
    None,
    MonthDay,
    Full,
}

impl Dates {
    /// The dates a span of event times needs (`Store::time_span`).
    pub fn for_span(span: Option<(jiff::Timestamp, jiff::Timestamp)>) -> Dates {
        let Some((first, last)) = span else {
            return Dates::None;
        };
        let day = |t: jiff::Timestamp| t.strftime("%Y-%m-%d").to_string();
        let (a, b) = (day(first), day(last));
        if a == b {
            Dates::None
        } else if a[..4] == b[..4] {
            Dates::MonthDay
        } else {
            Dates::Full
        }
    }

    /// Characters the date adds before the clock (with its space).
    pub fn width(self) -> usize {
        match self {
            Dates::None => 0,
            Dates::MonthDay => 6,
            Dates::Full => 11,
        }
    }
}

/// [`clock`], after the date as `dates` asks: `11-28 14:03:07.515`, `2025-11-28 14:03:07.515`.
pub fn stamp(ev: &Event, dates: Dates) -> String {
    let date = match dates {
        Dates::None => return clock(ev),
        Dates::MonthDay => ev.time.strftime("%m-%d "),
        Dates::Full => ev.time.strftime("%Y-%m-%d "),
    };
    format!("{date}{}", clock(ev))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_appear_when_days_differ_and_years_when_years_do() {
        let t = |s: &str| s.parse::<jiff::Timestamp>().unwrap();
        let span = |a, b| Dates::for_span(Some((t(a), t(b))));
        assert_eq!(Dates::for_span(None), Dates::None);
        assert_eq!(
            span("2026-11-28T00:00:00Z", "2026-11-28T23:59:59Z"),
            Dates::None
        );
        assert_eq!(
            span("2026-11-27T23:59:59Z", "2026-11-28T00:00:00Z"),
            Dates::MonthDay
        );
        // The same month and day a year apart must not look like one day.
        assert_eq!(
            span("2025-11-28T10:00:00Z", "2026-11-28T10:00:00Z"),
            Dates::Full
        );
    }

    #[test]
    fn paths_and_durations() {
        assert_eq!(url_path("https://x.test/menu?a=1"), "/menu?a=1");
        assert_eq!(url_path("https://x.test"), "/");
        assert_eq!(url_path("/relative"), "/relative");
        assert_eq!(duration_text(412), "412ms");
        assert_eq!(duration_text(1418), "1.4s");
    }

    #[test]
    fn offsets() {
        assert_eq!(offset_text(0), "+0.0s");
        assert_eq!(offset_text(-1500), "-1.5s");
        assert_eq!(offset_text(-125_000), "-2m05s");
        assert_eq!(offset_text(3 * 3_600_000 + 300_000), "+3h05m");
        assert_eq!(offset_text(2 * 86_400_000 + 4 * 3_600_000), "+2d04h");
        // 1900 → 9999, as a sender's times can say.
        assert_eq!(offset_text(255_611_196_000_000), "+> 1 year");
        assert_eq!(offset_text(i64::MIN), "-> 1 year");
        assert_eq!(duration_text(u32::MAX), "49d17h");
        assert_eq!(offset_text(7300), "+7.3s");
        assert_eq!(offset_text(62_000), "+1m02s");
    }
}
