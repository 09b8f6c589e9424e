//! NDJSON from a file or a pipe (`twimon read FILE|-`): each line one delivery, a CloudEvent
//! object or an array of them, as a Kafka consumer (`kcat -C -u`) or a relay prints them.
//! A line that is not a usable delivery becomes an invalid event naming its line number; a
//! read error that is not about one line (the file vanished, the pipe broke) ends the input
//! and is reported as the source's failure, never retried in a loop.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{mpsc, watch};

use super::dedup::{Dedup, split_duplicates};
use super::listen::Stats;
use super::record::{Record, Recorder};
use super::signature::Verdict;
use super::{CHANNEL_CAPACITY, Delivery, Feed};
use crate::domain::Event;
use crate::domain::delivery::parse_delivery;

/// Longest line taken as a delivery; a longer one becomes an invalid event (its text cut).
pub const MAX_LINE: usize = 4 * 1024 * 1024;
/// How much of an over-long line is kept in its invalid event.
const KEPT_OF_LONG_LINE: usize = 4096;

/// Starts reading `path` (`-` is standard input) into a feed, recording each line to
/// `record` first when given.
pub fn start(path: &Path, dedup_cap: usize, record: Option<&Path>) -> anyhow::Result<Feed> {
    let recorder = match record {
        Some(p) => Some(
            Recorder::open(p)
                .map_err(|e| anyhow::anyhow!("cannot open the recording {}: {e}", p.display()))?,
        ),
        None => None,
    };
    let stdin = path.as_os_str() == "-";
    let input: Box<dyn Read + Send> = if stdin {
        Box::new(std::io::stdin())
    } else {
        Box::new(
            std::fs::File::open(path)
                .map_err(|e| anyhow::anyhow!("cannot open {}: {e}", path.display()))?,
        )
    };
    let label = if stdin {
        "read stdin".to_owned()
    } else {
        format!("read {}", path.display())
    };
    Ok(start_reader(input, label, stdin, dedup_cap, recorder))
}

/// Reads any byte stream as NDJSON deliveries; `live` says whether more may come (a pipe).
pub fn start_reader(
    input: impl Read + Send + 'static,
    label: String,
    live: bool,
    dedup_cap: usize,
    recorder: Option<Recorder>,
) -> Feed {
    let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
    let (stop, stopped) = watch::channel(false);
    let stats = Arc::new(Stats::default());
    let shared = stats.clone();
    // Blocking reads on their own thread: a quiet pipe must not hold a runtime worker.
    let task = tokio::task::spawn_blocking(move || {
        let mut recorder = recorder;
        let result = read_lines(
            BufReader::new(input),
            dedup_cap,
            &shared,
            &tx,
            &stopped,
            recorder.as_mut(),
        );
        if let Err(e) = &result {
            shared.update_info(|i| i.failure = Some(e.clone()));
        }
        Ok(())
    });
    Feed {
        label,
        live,
        stats,
        rx,
        stop,
        task,
    }
}

/// The reading loop; `Err` only for a read error of the input as a whole.
fn read_lines(
    mut input: impl BufRead,
    dedup_cap: usize,
    stats: &Stats,
    tx: &mpsc::Sender<Delivery>,
    stopped: &watch::Receiver<bool>,
    mut recorder: Option<&mut Recorder>,
) -> Result<(), String> {
    let mut seen = Dedup::new(dedup_cap);
    let mut buf = Vec::new();
    for number in 1usize.. {
        if *stopped.borrow() {
            return Ok(());
        }
        buf.clear();
        let line = match next_line(&mut input, &mut buf) {
            Ok(None) => return Ok(()),
            Ok(Some(line)) => line,
            Err(e) => return Err(format!("reading line {number} failed: {e}")),
        };
        let Some(delivery) = line_delivery(&mut seen, number, &buf, line) else {
            continue;
        };
        if let Some(rec) = recorder.as_deref_mut() {
            let arrival = delivery
                .events
                .first()
                .map_or_else(jiff::Timestamp::now, |e| e.arrival);
            rec.write(&Record::pulled(arrival, format!("/read/{number}"), &buf))
                .map_err(|e| format!("cannot write the recording {}: {e}", rec.path().display()))?;
        }
        stats.update_info(|i| i.records += 1);
        stats.deliveries.fetch_add(1, Ordering::Relaxed);
        stats
            .events
            .fetch_add(delivery.events.len() as u64, Ordering::Relaxed);
        let invalid = delivery
            .events
            .iter()
            .filter(|e| e.invalid.is_some())
            .count();
        stats.invalid.fetch_add(invalid as u64, Ordering::Relaxed);
        stats
            .duplicates
            .fetch_add(delivery.duplicates.len() as u64, Ordering::Relaxed);
        if tx.blocking_send(delivery).is_err() {
            return Ok(());
        }
    }
    Ok(())
}

/// What one read line is: whole (in the buffer), or too long (only its start kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Line {
    Whole,
    TooLong(usize),
}

/// Reads up to the next `\n` into `buf` (without it), keeping at most [`MAX_LINE`] bytes;
/// None at the end of the input.
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<Option<Line>> {
    let mut total = 0usize;
    let mut any = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(any.then(|| line_kind(total)));
        }
        any = true;
        let (part, used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], i + 1, true),
            None => (chunk, chunk.len(), false),
        };
        let room = MAX_LINE.saturating_sub(buf.len());
        buf.extend_from_slice(&part[..part.len().min(room)]);
        total += part.len();
        input.consume(used);
        if done {
            return Ok(Some(line_kind(total)));
        }
    }
}

fn line_kind(total: usize) -> Line {
    if total > MAX_LINE {
        Line::TooLong(total)
    } else {
        Line::Whole
    }
}

/// One line as a delivery; None for a blank line (NDJSON allows them between records).
fn line_delivery(seen: &mut Dedup, number: usize, buf: &[u8], line: Line) -> Option<Delivery> {
    let text = buf.strip_suffix(b"\r").unwrap_or(buf);
    if text.iter().all(u8::is_ascii_whitespace) && line == Line::Whole {
        return None;
    }
    let now = jiff::Timestamp::now();
    let events = match line {
        Line::TooLong(n) => {
            let kept = String::from_utf8_lossy(&text[..text.len().min(KEPT_OF_LONG_LINE)]);
            vec![Event::invalid(
                &kept,
                now,
                format!("line {number}: {n} bytes, longer than the limit of {MAX_LINE}"),
            )]
        }
        Line::Whole => match parse_delivery(text, now) {
            Ok(mut events) => {
                for e in &mut events {
                    if let Some(reason) = &e.invalid {
                        e.invalid = Some(format!("line {number}: {reason}").into_boxed_str());
                    }
                }
                events
            }
            Err(e) => vec![Event::invalid(
                &String::from_utf8_lossy(text),
                now,
                format!("line {number}: {e}"),
            )],
        },
    };
    let mut d = split_duplicates(seen, events, Verdict::Unchecked.signature());
    crate::domain::check::stamp_all(&mut d.events);
    Some(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8]) -> Vec<(Vec<u8>, Line)> {
        let mut r = std::io::Cursor::new(input);
        let mut out = Vec::new();
        let mut buf = Vec::new();
        while let Some(l) = next_line(&mut r, &mut buf).unwrap() {
            out.push((std::mem::take(&mut buf), l));
        }
        out
    }

    #[test]
    fn lines_split_on_newlines_and_keep_a_last_unterminated_one() {
        let got = lines(b"a\n\nbc\r\nd");
        let texts: Vec<&[u8]> = got.iter().map(|(b, _)| b.as_slice()).collect();
        assert_eq!(texts, [&b"a"[..], b"", b"bc\r", b"d"]);
        assert!(got.iter().all(|(_, l)| *l == Line::Whole));
        assert!(lines(b"").is_empty());
    }

    #[test]
    fn an_over_long_line_is_cut_and_the_next_one_read() {
        let mut input = vec![b'x'; MAX_LINE + 10];
        input.extend_from_slice(b"\n{}\n");
        let got = lines(&input);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, Line::TooLong(MAX_LINE + 10));
        assert_eq!(got[0].0.len(), MAX_LINE);
        assert_eq!(got[1].0, b"{}");
    }

    #[test]
    fn an_unparseable_line_names_its_number() {
        let mut seen = Dedup::new(10);
        let d = line_delivery(&mut seen, 7, b"{not json", Line::Whole).unwrap();
        assert_eq!(d.events.len(), 1);
        let reason = d.events[0].invalid.as_deref().unwrap();
        assert!(reason.starts_with("line 7: "), "{reason}");
        assert!(line_delivery(&mut seen, 8, b"  \r", Line::Whole).is_none());
        let d = line_delivery(&mut seen, 9, b"[1]", Line::Whole).unwrap();
        assert!(
            d.events[0]
                .invalid
                .as_deref()
                .unwrap()
                .starts_with("line 9: ")
        );
    }

    /// A reader whose every read fails: the loop must end, not spin.
    struct Broken;
    impl Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("device gone"))
        }
    }

    #[test]
    fn a_read_error_ends_the_input_once() {
        let (tx, _rx) = mpsc::channel(4);
        let (_stop, stopped) = watch::channel(false);
        let stats = Stats::default();
        let r = read_lines(BufReader::new(Broken), 10, &stats, &tx, &stopped, None);
        assert_eq!(r, Err("reading line 1 failed: device gone".to_owned()));
    }
}
