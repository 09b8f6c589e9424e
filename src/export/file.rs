//! Export files: names that come from the network made safe, and files never overwritten.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::domain::CallSid;

/// `twimon-CA…-20261128T140307Z.md`: the SID reduced to letters and digits (it comes from the
/// network and names a file).
pub fn file_name(sid: &CallSid, now: jiff::Timestamp) -> String {
    let sid: String = sid
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    let sid = if sid.is_empty() { "call".into() } else { sid };
    format!("twimon-{sid}-{}.md", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// Writes `bytes` to a new file `name` in `dir` (`name-2.md`, `-3`… when it exists); never
/// overwrites. Returns the path written.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..100 {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists, and 98 more like it", dir.join(name).display()),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_safe_and_never_overwrite() {
        let now: jiff::Timestamp = "2026-11-28T14:03:07.515Z".parse().unwrap();
        assert_eq!(
            file_name(&CallSid("CA866a9ca9f30dd8f84f9984ce99a9ca31".into()), now),
            "twimon-CA866a9ca9f30dd8f84f9984ce99a9ca31-20261128T140307Z.md"
        );
        assert_eq!(
            file_name(&CallSid("../../etc/x".into()), now),
            "twimon-etcx-20261128T140307Z.md"
        );
        let dir = std::env::temp_dir().join(format!("twimon-export-{}-files", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let a = write_new(&dir, "t.md", b"one").unwrap();
        let b = write_new(&dir, "t.md", b"two").unwrap();
        assert_eq!(a, dir.join("t.md"));
        assert_eq!(b, dir.join("t-2.md"));
        assert_eq!(std::fs::read_to_string(a).unwrap(), "one");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
