//! The real `twimon` binary, run the way a user would, but never on the user's files: every
//! command logs into its own temporary folder.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::http::GUARD;
use super::temp::TempDir;

/// Settings from the developer's shell that would change what the binary does.
const INHERITED: [&str; 5] = [
    "TWIMON_ADDR",
    "TWIMON_URL",
    "TWIMON_LOG",
    "TWIMON_LOG_FILE",
    "TWILIO_AUTH_TOKEN",
];

/// A test's own place for the binary: the working folder, the log file and the state folder
/// all live in one temporary folder, removed when the home is dropped.
pub struct Home {
    dir: TempDir,
}

impl Home {
    pub fn new(tag: &str) -> Home {
        Home {
            dir: TempDir::new(tag),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Where the binary logs (`TWIMON_LOG_FILE`).
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("twimon.log")
    }

    /// Where the binary looks for its config file (`XDG_CONFIG_HOME`): nothing is there
    /// unless the test writes it with [`Home::write_config`].
    pub fn config_file(&self) -> PathBuf {
        self.dir.join("config/twimon/config.toml")
    }

    /// Writes the config file the binary reads by default.
    pub fn write_config(&self, text: &str) {
        let path = self.config_file();
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// The variables every run gets, so nothing lands in the user's log or state, and the
    /// user's own config file is never read.
    fn env(&self) -> [(&'static str, PathBuf); 3] {
        [
            ("TWIMON_LOG_FILE", self.log_file()),
            ("XDG_STATE_HOME", self.dir.join("state")),
            ("XDG_CONFIG_HOME", self.dir.join("config")),
        ]
    }

    /// `twimon` with no arguments yet.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_twimon"));
        cmd.current_dir(self.dir());
        for var in INHERITED {
            cmd.env_remove(var);
        }
        cmd.envs(self.env());
        cmd
    }

    /// The same, for a pseudo-terminal.
    pub fn pty_command(&self) -> portable_pty::CommandBuilder {
        let mut cmd = portable_pty::CommandBuilder::new(env!("CARGO_BIN_EXE_twimon"));
        cmd.cwd(self.dir());
        for var in INHERITED {
            cmd.env_remove(var);
        }
        for (var, value) in self.env() {
            cmd.env(var, value);
        }
        cmd
    }

    /// `twimon args…`, run to its end: its status, stdout and stderr.
    pub fn run(&self, args: &[&str]) -> (ExitStatus, Vec<String>, Vec<String>) {
        run(self.command().args(args))
    }
}

/// A child that is killed if the test fails before it is waited for. Both pipes are read from
/// the start by threads, line by line, so the child never blocks on a full one.
pub struct Running {
    pub child: Child,
    pub stdout: mpsc::Receiver<String>,
    pub stderr: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Forwards a pipe's lines to a channel from a thread.
fn lines_of(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

pub fn spawn(cmd: &mut Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = lines_of(child.stdout.take().unwrap());
    let stderr = lines_of(child.stderr.take().unwrap());
    Running {
        child,
        stdout,
        stderr,
    }
}

impl Running {
    /// Waits for the `twimon: listening on http://…/` line and returns that URL.
    pub fn listening_url(&self) -> String {
        let deadline = Instant::now() + GUARD;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let line = self
                .stderr
                .recv_timeout(left)
                .expect("a `listening on` line on stderr within the guard time");
            if let Some(rest) = line.strip_prefix("twimon: listening on ") {
                let url = rest.split_whitespace().next().unwrap().to_owned();
                assert!(url.starts_with("http://127.0.0.1:"), "{line}");
                assert!(url.ends_with('/'), "{line}");
                let port: u16 = url["http://127.0.0.1:".len()..url.len() - 1]
                    .parse()
                    .unwrap_or_else(|e| panic!("no port in {line:?}: {e}"));
                assert_ne!(port, 0, "the bound port, not the requested 0");
                return url;
            }
        }
    }

    /// The next `n` stdout lines, or a failure naming what came.
    pub fn stdout_lines(&self, n: usize) -> Vec<String> {
        let deadline = Instant::now() + GUARD;
        let mut lines = Vec::with_capacity(n);
        while lines.len() < n {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => lines.push(line),
                Err(e) => panic!("{e}: got {} of {n} lines: {lines:#?}", lines.len()),
            }
        }
        lines
    }

    /// SIGTERM, then the exit status; fails if it takes longer than `guard`.
    pub fn terminate(&mut self, guard: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        wait_for_exit(&mut self.child, guard)
    }
}

pub fn wait_for_exit(child: &mut Child, guard: Duration) -> ExitStatus {
    let deadline = Instant::now() + guard;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(Instant::now() < deadline, "no exit within {guard:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Runs a command that should end by itself; its status, stdout and stderr.
pub fn run(cmd: &mut Command) -> (ExitStatus, Vec<String>, Vec<String>) {
    let mut running = spawn(cmd);
    let status = wait_for_exit(&mut running.child, GUARD);
    // The pipes close at exit; the reader threads then end their channels.
    let stdout: Vec<String> = running.stdout.iter().collect();
    let stderr: Vec<String> = running.stderr.iter().collect();
    (status, stdout, stderr)
}
