//! Logging through `tracing`: to stderr when printing headless, to a file while the monitor
//! owns the terminal (nothing may write to it then).

use std::io::IsTerminal;
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

/// The default log file: `twimon.log` in the system's temporary folder.
pub fn default_log_file() -> PathBuf {
    std::env::temp_dir().join("twimon.log")
}

/// Logs to a file (the monitor). Returns the path used; logging is off if it cannot be opened.
pub fn init_file(path: Option<&Path>) -> Option<PathBuf> {
    let path = path.map_or_else(default_log_file, Path::to_owned);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .ok()?;
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter())
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .try_init();
    Some(path)
}
