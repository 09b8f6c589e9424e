//! `--record FILE`: every accepted delivery as one JSON line, written whole before the
//! 200 goes out, and read back by `twimon replay`. The lossless path when retention evicts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use axum::http::HeaderMap;
use serde::{Deserialize, Serialize};

/// The headers worth keeping: enough to re-check a signature and tell senders apart.
const KEPT_HEADERS: [&str; 8] = [
    "content-type",
    "x-twilio-signature",
    "x-twilio-webhooks-signature-settings",
    "user-agent",
    "host",
    "x-forwarded-host",
    "x-forwarded-proto",
    "i-twilio-idempotency-token",
];

/// One recorded delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// When it arrived (RFC 3339).
    pub arrival: String,
    pub remote: Option<String>,
    /// Path and query as requested (the query carries `bodySHA256`).
    pub path: String,
    pub headers: BTreeMap<String, String>,
    /// The signature verdict: valid, invalid, unsigned, unverifiable or unchecked.
    pub signature: String,
    /// Why the signature is invalid or unverifiable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature_reason: Option<String>,
    /// Which key and hash made a valid signature (`auth token, HMAC-SHA1`,
    /// `shared key <id>, HMAC-SHA256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The body as received (JSON deliveries are UTF-8); decoded when it came compressed.
    pub body: String,
    /// The `Content-Encoding` the body was decoded from (`gzip`), if any. The signature
    /// verdict was reached on the bytes as received, before decoding.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decoded_from: Option<String>,
}

impl Record {
    /// A record pulled from a stream or a pipe rather than posted: `place` says where it came
    /// from (`/kinesis/SHARD/SEQUENCE`, `/read/LINE`), the body is kept as text.
    pub fn pulled(arrival: jiff::Timestamp, place: String, body: &[u8]) -> Record {
        Record {
            arrival: arrival.to_string(),
            remote: None,
            path: place,
            headers: BTreeMap::from([("content-type".into(), "application/json".into())]),
            signature: "unchecked".into(),
            signature_reason: None,
            body: String::from_utf8_lossy(body).into_owned(),
            decoded_from: None,
            signed_by: None,
        }
    }

    pub fn kept_headers(headers: &HeaderMap) -> BTreeMap<String, String> {
        KEPT_HEADERS
            .iter()
            .filter_map(|name| {
                let v = headers.get(*name)?.to_str().ok()?;
                Some(((*name).to_owned(), v.to_owned()))
            })
            .collect()
    }
}

/// What a recording is written to: appended to, and cut back when a write fails. A `File` in
/// use; tests put a file that fails on demand in its place.
pub trait RecordFile: Write {
    /// Cuts (or extends) the file to `len` bytes; later writes append after it.
    fn set_len(&mut self, len: u64) -> std::io::Result<()>;
}

impl RecordFile for File {
    fn set_len(&mut self, len: u64) -> std::io::Result<()> {
        File::set_len(self, len)
    }
}

/// Appends records to a file, each one whole or not at all: a record is serialised first and
/// written to the file directly (no buffer keeps half of it for later), and a failed write
/// (a full disk, the file-size limit) is cut back to the last whole record. So an `Ok` means
/// the line is complete in the file (handed to the OS: it survives twimon, not a power cut),
/// and the next record never lands on a torn line.
#[derive(Debug)]
pub struct Recorder<F = File> {
    file: F,
    path: PathBuf,
    /// The length of the file up to the end of the last whole record.
    good: u64,
    /// A failed write could not be cut back: the file may end in a torn line, so nothing is
    /// appended until cutting it back succeeds.
    torn: bool,
}

impl Recorder<File> {
    /// Opens (or creates) a recording for appending. A file that does not end with a newline
    /// (twimon was killed mid-write, or an old version tore a line) is first cut back to its
    /// last whole line, with a warning, so the next record starts on a line of its own.
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .read(true)
            .append(true)
            .open(path)?;
        if file.metadata()?.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "it is a directory",
            ));
        }
        let len = file.metadata()?.len();
        let good = last_line_end(&mut file, len)?;
        if good < len {
            tracing::warn!(
                path = %path.display(),
                cut = len - good,
                "the recording ended in a torn line (a write that never finished); cut back to its last whole record"
            );
            file.set_len(good)?;
        }
        Ok(Recorder::with_file(file, path, good))
    }
}

/// The offset just after the last `\n` of the first `len` bytes of `file` (0 when none).
fn last_line_end(file: &mut File, len: u64) -> std::io::Result<u64> {
    const CHUNK: u64 = 64 * 1024;
    let mut end = len;
    let mut buf = vec![0u8; CHUNK as usize];
    while end > 0 {
        let start = end.saturating_sub(CHUNK);
        let chunk = &mut buf[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(chunk)?;
        if let Some(i) = chunk.iter().rposition(|b| *b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

impl<F: RecordFile> Recorder<F> {
    /// A recorder appending to `file`, whose first `len` bytes are whole records.
    pub fn with_file(file: F, path: &Path, len: u64) -> Self {
        Recorder {
            file,
            path: path.to_owned(),
            good: len,
            torn: false,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The file written to.
    pub fn file(&self) -> &F {
        &self.file
    }

    /// Writes one record as one line, whole or not at all.
    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        if self.torn {
            // Refused until the torn tail is gone: appending now would glue onto it.
            self.file.set_len(self.good)?;
            self.torn = false;
        }
        match self.file.write_all(&line).and_then(|()| self.file.flush()) {
            Ok(()) => {
                self.good += line.len() as u64;
                Ok(())
            }
            Err(e) => {
                if let Err(cut) = self.file.set_len(self.good) {
                    tracing::error!(
                        path = %self.path.display(),
                        "a failed write could not be cut back ({cut}); nothing more is recorded until it can"
                    );
                    self.torn = true;
                }
                Err(e)
            }
        }
    }
}

/// Why a line of a recording could not be taken.
#[derive(Debug)]
pub enum ReadError {
    /// This line is not a record (bad JSON, not UTF-8): skip it, the next may be fine.
    Line(usize, String),
    /// Reading itself failed (an I/O error, a directory): nothing more can be read.
    Input(std::io::Error),
}

/// Reads a recording: each line a record, or why it is unreadable. A failure to read at all
/// (anything but one line's content) is the last item: retrying it would fail forever.
pub fn read(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = Result<Record, ReadError>> + use<>> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "it is a directory, not a recording (give the file written by --record)",
        ));
    }
    let mut failed = false;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .map_while(move |(i, line)| {
            if failed {
                return None;
            }
            let n = i + 1;
            Some(match line {
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(
                    serde_json::from_str::<Record>(&l)
                        .map_err(|e| ReadError::Line(n, e.to_string())),
                ),
                Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
                    Some(Err(ReadError::Line(n, e.to_string())))
                }
                Err(e) => {
                    failed = true;
                    Some(Err(ReadError::Input(e)))
                }
            })
        })
        .flatten())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let path = std::env::temp_dir().join(format!("twimon-rec-{}.ndjson", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let rec = Record {
            arrival: "2026-11-28T14:00:00Z".into(),
            remote: Some("127.0.0.1:5000".into()),
            path: "/?bodySHA256=ab".into(),
            headers: BTreeMap::from([("content-type".into(), "application/json".into())]),
            signature: "unchecked".into(),
            signature_reason: None,
            signed_by: None,
            body: "[{\"type\":\"x\",\"id\":\"1\"}]\n".into(),
            decoded_from: None,
        };
        let mut r = Recorder::open(&path).unwrap();
        r.write(&rec).unwrap();
        r.write(&rec).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap()
            .write_all(b"not json\n")
            .unwrap();
        let got: Vec<_> = read(&path).unwrap().collect();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0].as_ref().unwrap(), &rec);
        assert!(matches!(got[2], Err(ReadError::Line(3, _))), "{got:?}");
        let _ = std::fs::remove_file(&path);
    }

    /// A file that fails on demand: each write takes the next fault of a script (write some
    /// bytes and stop short, or write some and fail), each cut may fail too.
    #[derive(Debug, Default)]
    struct Flaky {
        data: Vec<u8>,
        writes: std::collections::VecDeque<Fault>,
        cuts: std::collections::VecDeque<bool>,
    }

    #[derive(Debug, Clone, Copy)]
    enum Fault {
        Fine,
        /// Writes at most n bytes and says so (a short write).
        Short(usize),
        /// Writes at most n bytes, then fails (EFBIG, ENOSPC).
        FailAfter(usize),
    }

    impl Write for Flaky {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            match self.writes.pop_front().unwrap_or(Fault::Fine) {
                Fault::Fine => {
                    self.data.extend_from_slice(buf);
                    Ok(buf.len())
                }
                Fault::Short(n) => {
                    let n = n.min(buf.len());
                    self.data.extend_from_slice(&buf[..n]);
                    Ok(n)
                }
                Fault::FailAfter(n) => {
                    self.data.extend_from_slice(&buf[..n.min(buf.len())]);
                    Err(std::io::Error::other("File too large (injected)"))
                }
            }
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl RecordFile for Flaky {
        fn set_len(&mut self, len: u64) -> std::io::Result<()> {
            if self.cuts.pop_front().unwrap_or(false) {
                return Err(std::io::Error::other("cannot truncate (injected)"));
            }
            self.data.resize(len as usize, 0);
            Ok(())
        }
    }

    fn record(body: String) -> Record {
        Record {
            arrival: "2026-11-28T14:00:00Z".into(),
            remote: None,
            path: "/".into(),
            headers: BTreeMap::new(),
            signature: "unchecked".into(),
            signature_reason: None,
            body,
            decoded_from: None,
            signed_by: None,
        }
    }

    fn fault() -> impl proptest::strategy::Strategy<Value = Fault> {
        use proptest::prelude::*;
        prop_oneof![
            4 => Just(Fault::Fine),
            2 => (0usize..200).prop_map(Fault::Short),
            2 => (0usize..200).prop_map(Fault::FailAfter),
        ]
    }

    proptest::proptest! {
        /// Whatever fails when, every record whose write returned Ok (a 200) is in the file,
        /// whole and in order, and nothing else is: no torn line, no glued record.
        #[test]
        fn acknowledged_records_survive_any_write_failure(
            bodies in proptest::collection::vec(".{0,300}", 1..24),
            writes in proptest::collection::vec(fault(), 0..64),
            cuts in proptest::collection::vec(proptest::bool::weighted(0.2), 0..16),
        ) {
            let mut rec = Recorder::with_file(
                Flaky { writes: writes.into(), cuts: cuts.into(), ..Flaky::default() },
                Path::new("flaky.ndjson"),
                0,
            );
            let mut acked = Vec::new();
            for body in bodies {
                let r = record(body);
                if rec.write(&r).is_ok() {
                    acked.push(r);
                }
            }
            let data = &rec.file().data;
            // Only a cut that failed leaves bytes past the last whole record, and they are cut
            // before anything more is written.
            proptest::prop_assert!(rec.torn || data.len() as u64 == rec.good);
            let data = &data[..rec.good as usize];
            let mut lines: Vec<&[u8]> = data.split(|b| *b == b'\n').collect();
            let tail = lines.pop().unwrap_or_default();
            proptest::prop_assert!(tail.is_empty(), "torn tail {:?}", String::from_utf8_lossy(tail));
            let got: Vec<Record> = lines
                .iter()
                .map(|l| serde_json::from_slice(l))
                .collect::<Result<_, _>>()
                .map_err(|e| proptest::test_runner::TestCaseError::fail(format!("torn line: {e}")))?;
            proptest::prop_assert_eq!(got, acked);
        }
    }

    #[test]
    fn a_torn_tail_is_cut_back_on_open() {
        let dir = std::env::temp_dir().join(format!("twimon-rec-torn-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("torn.ndjson");
        let whole = record("[]".into());
        let mut line = serde_json::to_vec(&whole).unwrap();
        line.push(b'\n');
        let mut bytes = line.clone();
        bytes.extend_from_slice(&line[..line.len() / 2]);
        std::fs::write(&path, &bytes).unwrap();
        let mut r = Recorder::open(&path).unwrap();
        r.write(&whole).unwrap();
        let got: Vec<_> = read(&path).unwrap().collect();
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(
            got.iter().all(|g| g.as_ref().is_ok_and(|g| *g == whole)),
            "{got:?}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
