//! A recording made with `--record`, played back as a feed: each record parsed with its
//! recorded arrival time and deduplicated as the live run did. An unreadable line becomes an
//! invalid event, so nothing vanishes.

use std::path::Path;
use std::sync::Arc;

use tokio::sync::{mpsc, watch};

use super::dedup::{Dedup, split_duplicates};
use super::listen::{self, Stats};
use super::record::{self, Record};
use super::signature::{self, Verdict};
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::Event;

/// Starts replaying `path` into a feed; `dedup_cap` bounds the keys remembered, as the live
/// listener's retention did.
pub fn start(path: &Path, dedup_cap: usize) -> anyhow::Result<Feed> {
    let records = record::read(path)
        .map_err(|e| anyhow::anyhow!("cannot read the recording {}: {e}", path.display()))?;
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
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
    let mut d = parsed_delivery(seen, rec);
    crate::domain::check::stamp_all(&mut d.events);
    d
}

fn parsed_delivery(seen: &mut Dedup, rec: Result<Record, (usize, String)>) -> Delivery {
    let now = jiff::Timestamp::now();
    let mut invalid = |raw: &str, reason: String| {
        let ev = Event::invalid(raw, now, reason);
        split_duplicates(seen, vec![ev], Verdict::Unchecked.signature())
    };
    match rec {
        Err((line, e)) => invalid("", format!("recording line {line} is unreadable: {e}")),
        Ok(rec) => {
            let arrival = rec.arrival.parse().unwrap_or(now);
            let verdict = Verdict::recorded(&rec.signature);
            if listen::is_form_content_type(rec.headers.get("content-type").map(String::as_str)) {
                let params = signature::form_pairs(rec.body.as_bytes());
                let headers: axum::http::HeaderMap = rec
                    .headers
                    .iter()
                    .filter_map(|(k, v)| Some((k.parse().ok()?, v.parse().ok()?)))
                    .collect();
                return match listen::form_event(&headers, &rec.path, &params, arrival) {
                    Ok(ev) => split_duplicates(seen, vec![ev], verdict),
                    Err(e) => invalid(&rec.body, format!("recorded body: {e}")),
                };
            }
            match crate::domain::delivery::parse_delivery(rec.body.as_bytes(), arrival) {
                Ok(events) => split_duplicates(seen, events, verdict),
                Err(e) => invalid(&rec.body, format!("recorded body: {e}")),
            }
        }
    }
}
