//! `--record FILE`: every accepted delivery as one JSON line, written and flushed before the
//! 200 goes out, and read back by `twimon replay`. The lossless path when retention evicts.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Write};
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
    /// The body exactly as received (JSON deliveries are UTF-8).
    pub body: String,
}

impl Record {
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

/// Appends records to a file.
#[derive(Debug)]
pub struct Recorder {
    file: BufWriter<File>,
    path: PathBuf,
}

impl Recorder {
    pub fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(Recorder {
            file: BufWriter::new(file),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes one line and flushes it to the OS.
    pub fn write(&mut self, record: &Record) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.file, record)?;
        self.file.write_all(b"\n")?;
        self.file.flush()
    }
}

/// Reads a recording: each line a record, or the line number and why it is unreadable.
pub fn read(
    path: &Path,
) -> std::io::Result<impl Iterator<Item = Result<Record, (usize, String)>> + use<>> {
    let file = File::open(path)?;
    Ok(BufReader::new(file)
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let n = i + 1;
            match line {
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(serde_json::from_str::<Record>(&l).map_err(|e| (n, e.to_string()))),
                Err(e) => Some(Err((n, e.to_string()))),
            }
        }))
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
        assert_eq!(got[2].as_ref().unwrap_err().0, 3);
        let _ = std::fs::remove_file(&path);
    }
}
