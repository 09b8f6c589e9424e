//! Logging through `tracing`: to stderr when printing headless, to a file while the monitor
//! owns the terminal (nothing may write to it then).
//!
//! The default log is the user's own and the run's own: a new file named after the start time
//! and pid in `$XDG_STATE_HOME/twimon/` (else `~/.local/state/twimon/`), in a folder only the
//! user can enter, created new (an existing path, a symlink included, is never opened).
//! A shared file in the world-writable temp folder let any user plant a symlink there.

use std::ffi::OsString;
use std::io::IsTerminal;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use tracing_subscriber::EnvFilter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_env("TWIMON_LOG").unwrap_or_else(|_| EnvFilter::new("twimon=info"))
}

/// Logs to stderr (headless mode, `send`).
pub fn init_stderr() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .try_init();
}

/// The folder of the default logs: `$XDG_STATE_HOME/twimon` (an absolute path, as the XDG
/// spec requires), else `$HOME/.local/state/twimon`; None without either.
pub fn log_dir(state_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    match state_home.and_then(absolute) {
        Some(state) => Some(state.join("twimon")),
        None => home
            .and_then(absolute)
            .map(|h| h.join(".local/state/twimon")),
    }
}

/// The default log file of this run: `twimon-20261128T140307Z-4242.log` in [`log_dir`].
pub fn default_log_file() -> Option<PathBuf> {
    let dir = log_dir(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))?;
    Some(dir.join(log_name(jiff::Timestamp::now(), std::process::id())))
}

fn log_name(now: jiff::Timestamp, pid: u32) -> String {
    format!("twimon-{}-{pid}.log", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// Creates a new log file at `path` (its folder 0700 when made), never opening what is
/// already there: `create_new` refuses any existing path, a symlink included.
pub fn create_log(path: &Path) -> std::io::Result<std::fs::File> {
    if let Some(dir) = path.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// The file logging went to, once set up: a command sets it up before its first log line
/// (the listener's "listening"), the monitor asks again and gets the same file.
static FILE_LOG: std::sync::OnceLock<Option<PathBuf>> = std::sync::OnceLock::new();

/// Logs to a file (the monitor): `path` (`--log-file`, `TWIMON_LOG_FILE`: appended to), else
/// this run's own file. Returns the path used; when it cannot be opened, says so on stderr
/// (the terminal is not taken yet) and logs nothing. Only the first call opens a file.
pub fn init_file(path: Option<&Path>) -> Option<PathBuf> {
    FILE_LOG.get_or_init(|| open_file_log(path)).clone()
}

fn open_file_log(path: Option<&Path>) -> Option<PathBuf> {
    let (path, file) = if let Some(p) = path {
        (
            p.to_owned(),
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(p),
        )
    } else {
        {
            let Some(p) = default_log_file() else {
                eprintln!(
                    "twimon: warning: no log file (neither XDG_STATE_HOME nor HOME is set; \
                     give one with --log-file)"
                );
                return None;
            };
            let file = create_log(&p);
            (p, file)
        }
    };
    let file = match file {
        Ok(f) => f,
        Err(e) => {
            eprintln!(
                "twimon: warning: cannot open the log file {}: {e}; logging is off",
                crate::text::safe::line(&path.display().to_string())
            );
            return None;
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_log_is_per_user_and_per_run() {
        let dir = log_dir(Some("/x/state".into()), Some("/home/u".into()));
        assert_eq!(dir, Some(PathBuf::from("/x/state/twimon")));
        // A relative XDG_STATE_HOME is ignored, as the spec says.
        let dir = log_dir(Some("rel".into()), Some("/home/u".into()));
        assert_eq!(dir, Some(PathBuf::from("/home/u/.local/state/twimon")));
        assert_eq!(log_dir(None, None), None);
        let now: jiff::Timestamp = "2026-11-28T14:03:07.5Z".parse().unwrap();
        assert_eq!(log_name(now, 42), "twimon-20261128T140307Z-42.log");
        assert!(
            !default_log_file()
                .unwrap()
                .starts_with(std::env::temp_dir())
        );
    }

    #[test]
    fn a_planted_symlink_is_never_opened() {
        let dir = std::env::temp_dir().join(format!("twimon-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let logs = dir.join("state/twimon");
        let file = create_log(&logs.join("a.log")).unwrap();
        drop(file);
        let mode = std::fs::metadata(&logs).unwrap().permissions();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
            0o700
        );
        let target = dir.join("victim");
        std::fs::write(&target, "keep").unwrap();
        std::os::unix::fs::symlink(&target, logs.join("b.log")).unwrap();
        assert!(create_log(&logs.join("b.log")).is_err());
        assert!(
            create_log(&logs.join("a.log")).is_err(),
            "an existing log is not reused"
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
