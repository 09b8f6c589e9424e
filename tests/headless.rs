//! The real binary: `twimon listen --headless` fed by `twimon send`, its NDJSON and text output,
//! a clean exit on SIGTERM, and the one-line errors of `listen` and `send`.

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Guards against hangs only; nothing here measures time.
const GUARD: Duration = Duration::from_secs(20);
const EXIT_GUARD: Duration = Duration::from_secs(10);

fn twimon() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_twimon"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in ["TWIMON_ADDR", "TWIMON_URL", "TWIMON_LOG", "TWIMON_LOG_FILE"] {
        cmd.env_remove(var);
    }
    // Never the user's real log folder.
    cmd.env(
        "XDG_STATE_HOME",
        std::env::temp_dir().join(format!("twimon-headless-state-{}", std::process::id())),
    );
    cmd
}

fn samples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/samples")
}

/// Every sample file as `twimon send` walks the folder: recursively, each folder in name order.
fn sample_files(dir: &Path) -> Vec<PathBuf> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    let mut out = Vec::new();
    for e in entries {
        if e.is_dir() {
            out.extend(sample_files(&e));
        } else if e.extension().is_some_and(|x| x == "json") {
            out.push(e);
        }
    }
    out
}

/// The CloudEvents of a file, read as plain JSON.
fn file_events(path: &Path) -> Vec<Value> {
    let v: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    match v {
        Value::Array(items) => items,
        obj => vec![obj],
    }
}

/// A child that is killed if the test fails before it is waited for.
struct Running {
    child: Child,
    stdout: mpsc::Receiver<String>,
    stderr: mpsc::Receiver<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Forwards a pipe's lines to a channel from a thread, so no pipe ever fills up.
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

fn spawn(cmd: &mut Command) -> Running {
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
    /// Waits for the `listening on http://…/` line and returns that URL.
    fn listening_url(&self) -> String {
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
    fn stdout_lines(&self, n: usize) -> Vec<String> {
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

    fn terminate(&mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let killed = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        assert!(killed.success());
        wait_for_exit(&mut self.child, EXIT_GUARD)
    }
}

fn wait_for_exit(child: &mut Child, guard: Duration) -> ExitStatus {
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
fn run(cmd: &mut Command) -> (ExitStatus, Vec<String>, Vec<String>) {
    let mut running = spawn(cmd);
    let status = wait_for_exit(&mut running.child, GUARD);
    // The pipes close at exit; the reader threads then end their channels.
    let stdout: Vec<String> = running.stdout.iter().collect();
    let stderr: Vec<String> = running.stderr.iter().collect();
    (status, stdout, stderr)
}

/// `twimon send --to url paths…`, which must succeed with a 2xx per file.
fn send_ok(url: &str, paths: &[&Path]) -> Vec<String> {
    let (status, stdout, stderr) = run(twimon().arg("send").arg("--to").arg(url).args(paths));
    assert!(status.success(), "send failed: {stdout:#?} {stderr:#?}");
    stdout
}

fn listen_headless(format: &str) -> Running {
    spawn(twimon().args([
        "listen",
        "--headless",
        "--format",
        format,
        "--addr",
        "127.0.0.1:0",
    ]))
}

#[test]
fn headless_json_prints_every_sent_event_and_exits_cleanly_on_sigterm() {
    let mut listener = listen_headless("json");
    let url = listener.listening_url();

    let files = sample_files(&samples());
    assert_eq!(files.len(), 18);
    let sent: Vec<Value> = files.iter().flat_map(|f| file_events(f)).collect();
    assert_eq!(sent.len(), 24);

    let stdout = send_ok(&url, &[&samples()]);
    assert_eq!(stdout.len(), files.len(), "one line per file: {stdout:#?}");
    for (line, file) in stdout.iter().zip(&files) {
        let n = file_events(file).len();
        let prefix = format!("{}  200  ", file.display());
        let answer = line
            .strip_prefix(&prefix)
            .unwrap_or_else(|| panic!("expected {prefix:?}…, got {line:?}"));
        let answer: Value = serde_json::from_str(answer).unwrap();
        assert_eq!(
            answer,
            serde_json::json!({"accepted": n, "duplicates": 0, "invalid": 0}),
            "{line}"
        );
    }

    let lines = listener.stdout_lines(sent.len());
    let mut printed = BTreeSet::new();
    let mut with_error = 0;
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("line {i} not JSON ({e}): {line}"));
        for field in [
            "seq",
            "id",
            "type",
            "source",
            "time",
            "call_sid",
            "request",
            "response",
            "twiml",
            "twiml_error",
            "invalid",
        ] {
            assert!(v.get(field).is_some(), "line {i} lacks {field}: {line}");
        }
        for field in ["method", "url", "parameters"] {
            assert!(v["request"].get(field).is_some(), "request.{field}: {line}");
        }
        for field in ["code", "duration_ms", "content_type"] {
            assert!(
                v["response"].get(field).is_some(),
                "response.{field}: {line}"
            );
        }
        assert_eq!(v["seq"], i, "seq counts from 0 in order");
        assert_eq!(v["invalid"], Value::Null, "{line}");

        let (ty, id) = (v["type"].as_str().unwrap(), v["id"].as_str().unwrap());
        let original = sent
            .iter()
            .find(|e| e["type"] == ty && e["id"] == id)
            .unwrap_or_else(|| panic!("line {i} was never sent: {line}"));
        let data = &original["data"];
        assert_eq!(v["source"], original["source"]);
        assert_eq!(v["call_sid"], data["sid"]);
        assert_eq!(v["request"]["method"], data["request"]["method"]);
        assert_eq!(v["request"]["url"], data["request"]["url"]);
        assert_eq!(v["request"]["parameters"], data["request"]["parameters"]);
        assert_eq!(v["response"]["code"], data["response"]["responseCode"]);
        assert_eq!(
            v["response"]["duration_ms"],
            data["response"]["requestDuration"]
        );
        assert_eq!(
            v["response"]["content_type"],
            data["response"]["contentType"]
        );
        // `time`, else (the seed examples) `data.timestamp`.
        let time: jiff::Timestamp = v["time"].as_str().unwrap().parse().unwrap();
        let expected_time = original
            .get("time")
            .unwrap_or(&data["timestamp"])
            .as_str()
            .unwrap();
        assert_eq!(
            time,
            expected_time.parse::<jiff::Timestamp>().unwrap(),
            "{line}"
        );

        assert!(v["twiml"].is_string(), "every sample has a body: {line}");
        if data["response"]["responseCode"] == 502 {
            with_error += 1;
            let error = v["twiml_error"]
                .as_str()
                .unwrap_or_else(|| panic!("{line}"));
            assert!(!error.is_empty());
        } else {
            assert_eq!(v["twiml_error"], Value::Null, "{line}");
            assert!(
                v["twiml"].as_str().unwrap().contains("<Response>"),
                "{line}"
            );
        }
        assert!(
            printed.insert((ty.to_owned(), id.to_owned())),
            "printed twice: {line}"
        );
    }
    let sent_set: BTreeSet<(String, String)> = sent
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(printed, sent_set);
    assert_eq!(with_error, 2, "the two 502 events");

    let status = listener.terminate();
    assert!(status.success(), "SIGTERM ends twimon cleanly: {status:?}");
    let rest: Vec<String> = listener.stdout.iter().collect();
    assert!(rest.is_empty(), "nothing more was printed: {rest:#?}");
}

#[test]
fn headless_text_prints_one_aligned_line_per_event() {
    let mut listener = listen_headless("text");
    let url = listener.listening_url();

    let dir = samples().join("events");
    let files = sample_files(&dir);
    let sent: Vec<Value> = files.iter().flat_map(|f| file_events(f)).collect();
    assert_eq!(sent.len(), 8);
    let stdout = send_ok(&url, &[&dir]);
    assert_eq!(stdout.len(), 8);

    let lines = listener.stdout_lines(sent.len());
    let mut call_column = None;
    for (line, ev) in lines.iter().zip(&sent) {
        let short = ev["type"]
            .as_str()
            .unwrap()
            .strip_prefix("com.twilio.voice.twiml.")
            .unwrap();
        let sid = ev["data"]["sid"].as_str().unwrap();
        let kind_at = line
            .find(&format!("  {short} "))
            .unwrap_or_else(|| panic!("no {short} in {line:?}"));
        let sid_at = line
            .find(sid)
            .unwrap_or_else(|| panic!("no {sid} in {line:?}"));
        assert!(kind_at < sid_at, "{line}");
        assert!(
            !line.trim_start().starts_with('{'),
            "text, not JSON: {line}"
        );
        // Aligned: the call SID starts in the same column on every line.
        assert_eq!(*call_column.get_or_insert(sid_at), sid_at, "{lines:#?}");
    }

    let status = listener.terminate();
    assert!(status.success(), "{status:?}");
}

#[test]
fn listen_on_a_busy_address_fails_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (status, stdout, stderr) = run(twimon().args(["listen", "--headless", "--addr", &addr]));
    assert!(!status.success());
    assert!(stdout.is_empty(), "{stdout:#?}");
    assert_eq!(stderr.len(), 1, "one line: {stderr:#?}");
    assert!(stderr[0].contains(&addr), "{stderr:#?}");
    assert!(stderr[0].contains("already in use"), "{stderr:#?}");
    drop(taken);
}

#[test]
fn send_to_nobody_fails_clearly() {
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}/");
    let file = samples().join("seed/01-call-requested.json");
    let (status, stdout, stderr) = run(twimon().args(["send", "--to", &url]).arg(&file));
    assert!(!status.success());
    assert_eq!(stdout.len(), 1, "{stdout:#?}");
    assert!(stdout[0].contains("cannot reach"), "{stdout:#?}");
    assert!(stdout[0].contains(&url), "{stdout:#?}");
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("1 of 1 deliveries failed")),
        "{stderr:#?}"
    );
}

/// SIGTERM as soon as `listening on` is printed must still be a clean shutdown: by then the
/// listener accepts deliveries (and answers 200), so dying from the signal could lose
/// acknowledged events. The race window is small, hence the repetitions.
#[test]
fn sigterm_right_after_startup_is_a_clean_exit() {
    for attempt in 0..100 {
        let mut listener = listen_headless("json");
        listener.listening_url();
        let status = listener.terminate();
        assert!(status.success(), "attempt {attempt}: {status:?}");
    }
}
