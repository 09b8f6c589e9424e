//! The real binary when things go wrong around it: a recording that hits the file-size limit,
//! a recording that is a directory, a listener that never answers `send`. Every run gets its
//! own state and log folder, so no test writes into the user's real log.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

mod common;
use common::temp::TempDir;

use serde_json::{Value, json};

/// Guards against hangs only; nothing here measures time.
const GUARD: Duration = Duration::from_secs(20);

/// A fresh, empty folder for one test, removed when the test ends (failing ones included).
fn scratch(tag: &str) -> TempDir {
    TempDir::new(&format!("rel-{tag}"))
}

/// The binary (or a wrapper running it), with logs and state kept inside `dir`.
fn isolated(mut cmd: Command, dir: &Path) -> Command {
    for var in [
        "TWIMON_ADDR",
        "TWIMON_URL",
        "TWIMON_LOG",
        "TWILIO_AUTH_TOKEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("XDG_STATE_HOME", dir.join("state"))
        .env("HOME", dir.join("home"))
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("TWIMON_LOG_FILE", dir.join("twimon-test.log"))
        .current_dir(dir)
        .stdin(Stdio::null());
    cmd
}

fn twimon(dir: &Path) -> Command {
    isolated(Command::new(env!("CARGO_BIN_EXE_twimon")), dir)
}

/// Runs to its end, killed after the guard time (so a hang fails instead of blocking).
fn run_bounded(mut cmd: Command) -> (Output, bool) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        if rx.recv_timeout(GUARD).is_err() {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    });
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || read_capped(stdout));
    let err = std::thread::spawn(move || read_capped(stderr));
    let status = child.wait().unwrap();
    let in_time = tx.send(()).is_ok();
    let output = Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    };
    (output, in_time)
}

/// Reads a pipe to its end, keeping the first MiB (a runaway printer must not eat memory).
fn read_capped(pipe: impl std::io::Read) -> Vec<u8> {
    let mut kept = Vec::new();
    let mut reader = BufReader::new(pipe);
    while let Ok(buf) = reader.fill_buf() {
        if buf.is_empty() {
            break;
        }
        let n = buf.len();
        if kept.len() < 1 << 20 {
            kept.extend_from_slice(&buf[..n.min((1 << 20) - kept.len())]);
        }
        reader.consume(n);
    }
    kept
}

/// A listener child and the URL it printed.
struct Listening {
    child: Child,
    url: String,
}

impl Drop for Listening {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(mut cmd: Command) -> Listening {
    let mut child = cmd
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            eprintln!("child: {line}");
            if let Some(rest) = line.split("listening on ").nth(1) {
                let url = rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_owned();
                let _ = tx.send(url);
            }
        }
    });
    let url = rx
        .recv_timeout(GUARD)
        .expect("the listener says where it listens");
    Listening { child, url }
}

fn event(id: &str, pad: usize) -> Value {
    json!({
        "specversion": "1.0",
        "type": "com.twilio.voice.twiml.gather.finished",
        "source": "/2010-04-01/Accounts/AC1/Calls/CA1.json",
        "id": id,
        "time": "2026-11-28T11:59:58.250Z",
        "data": {
            "sid": "CA00000000000000000000000000000042",
            "request": {"method": "POST", "url": "https://x.test/menu",
                        "parameters": {"Digits": "2", "Pad": "x".repeat(pad)}},
            "response": {"responseCode": 200, "requestDuration": 41,
                         "contentType": "application/xml", "responseBody": ""}
        }
    })
}

async fn post(url: &str, body: String) -> u16 {
    reqwest::Client::builder()
        .timeout(GUARD)
        .build()
        .unwrap()
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The NDJSON events `twimon replay FILE` prints.
fn replayed(dir: &Path, file: &Path) -> Vec<Value> {
    let mut cmd = twimon(dir);
    cmd.args(["replay", "--headless", "--format", "json"])
        .arg(file);
    let (out, in_time) = run_bounded(cmd);
    assert!(in_time && out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The file-size limit hit once (SIGXFSZ ignored, so write returns EFBIG, as a full disk
/// would fail it), then lifted: the delivery that failed got 503, its retry and the next
/// deliveries 200, and every one of those replays: none is glued onto the torn line.
#[tokio::test]
async fn a_write_failure_never_costs_an_acknowledged_delivery() {
    let dir = scratch("fsize");
    let rec = dir.join("rec.ndjson");
    let mut sh = Command::new("sh");
    sh.arg("-c")
        .arg(r#"trap '' XFSZ; exec prlimit --fsize=4096:unlimited -- "$@""#)
        .arg("sh")
        .arg(env!("CARGO_BIN_EXE_twimon"))
        .args(["listen", "--headless", "--addr", "127.0.0.1:0", "--record"])
        .arg(&rec);
    let listening = start(isolated(sh, dir.path()));
    let url = listening.url.clone();
    let small = |id: &str| Value::Array(vec![event(id, 10)]).to_string();
    assert_eq!(post(&url, small("first")).await, 200);
    let big = Value::Array(vec![event("big", 20_000)]).to_string();
    assert_eq!(
        post(&url, big.clone()).await,
        503,
        "over the file-size limit"
    );
    // The disk has room again.
    let lifted = Command::new("prlimit")
        .args([
            "--pid",
            &listening.child.id().to_string(),
            "--fsize=unlimited",
        ])
        .status()
        .unwrap();
    assert!(lifted.success());
    assert_eq!(post(&url, big).await, 200, "Twilio's retry");
    assert_eq!(post(&url, small("after")).await, 200);
    drop(listening);

    let events = replayed(dir.path(), &rec);
    let ids: Vec<&str> = events
        .iter()
        .map(|e| e["id"].as_str().unwrap_or("?"))
        .collect();
    assert_eq!(ids, ["first", "big", "after"], "{events:#?}");
}

/// A recording that cannot be read (a directory; a file whose every read fails) ends the run
/// at once with a clear error and a failing exit, instead of an endless stream of
/// "unreadable line" events.
#[test]
fn an_unreadable_recording_ends_with_an_error() {
    let dir = scratch("unreadable");
    let folder = dir.join("recordings");
    std::fs::create_dir_all(&folder).unwrap();
    let folder = folder.to_str().unwrap();
    let cases: [&[&str]; 4] = [
        &["replay", "--headless", folder],
        &[
            "export",
            folder,
            "--call",
            "CA00000000000000000000000000000042",
        ],
        // Opens fine; every read of it fails with EIO.
        &["replay", "--headless", "/proc/self/mem"],
        &[
            "export",
            "/proc/self/mem",
            "--call",
            "CA00000000000000000000000000000042",
        ],
    ];
    for args in cases {
        let mut cmd = twimon(dir.path());
        cmd.args(args);
        let (out, in_time) = run_bounded(cmd);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(in_time, "{args:?} never ended");
        assert!(!out.status.success(), "{args:?}: {out:?}");
        assert!(
            out.stdout.len() < 4096,
            "{args:?} printed {} bytes",
            out.stdout.len()
        );
        assert!(stderr.contains("recording"), "{args:?}: {stderr}");
        if args[1] == folder || args[2] == folder {
            assert!(stderr.contains("directory"), "{args:?}: {stderr}");
        }
    }
}

/// A listener on 127.0.0.1 that accepts connections and answers each with `answer` (or
/// never, when None), from a thread, until the test ends.
fn fake_listener(answer: Option<&'static [u8]>) -> String {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { break };
            let mut buf = [0u8; 16384];
            let _ = s.set_read_timeout(Some(Duration::from_millis(300)));
            let _ = s.read(&mut buf);
            match answer {
                Some(a) => {
                    let _ = s.write_all(a);
                }
                None => held.push(s),
            }
        }
    });
    url
}

fn delivery_file(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, Value::Array(vec![event("s1", 0)]).to_string()).unwrap();
    path
}

/// `send` to a listener that accepts and never answers gives up after `--timeout`.
#[test]
fn send_gives_up_on_a_listener_that_never_answers() {
    let dir = scratch("send-hang");
    let url = fake_listener(None);
    let file = delivery_file(dir.path(), "one.json");
    let mut cmd = twimon(dir.path());
    cmd.args(["send", "--to", &url, "--timeout", "1s"])
        .arg(&file);
    let (out, in_time) = run_bounded(cmd);
    assert!(in_time, "send never gave up");
    assert!(!out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("error"), "{stdout}");
}

/// Whatever the listener answers (2xx included) and whatever the file is called, nothing
/// `send` prints can drive the terminal.
#[test]
fn send_output_is_terminal_safe_on_every_path() {
    let dir = scratch("send-safe");
    let body = b"{\"accepted\":1,\"x\":\"\x1b]0;pwned\x07\x1b[2J\"}";
    let answer: &'static [u8] = Box::leak(
        [
            format!(
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            )
            .as_bytes(),
            body,
        ]
        .concat()
        .into_boxed_slice(),
    );
    let url = fake_listener(Some(answer));
    let file = delivery_file(dir.path(), "evil-\x1b]0;name\x07.json");
    let mut cmd = twimon(dir.path());
    cmd.args(["send", "--to", &url]).arg(&file);
    let (out, in_time) = run_bounded(cmd);
    assert!(in_time && out.status.success(), "{out:?}");
    for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !bytes.iter().any(|b| *b == 0x1b || *b == 0x07),
            "{what}: {:?}",
            String::from_utf8_lossy(bytes)
        );
    }
    assert!(String::from_utf8_lossy(&out.stdout).contains("␛]0;pwned"));
}

/// A folder with nothing to send is an error, not a silent success.
#[test]
fn send_with_nothing_to_send_fails() {
    let dir = scratch("send-empty");
    let empty = dir.join("empty");
    std::fs::create_dir_all(empty.join("sub")).unwrap();
    std::fs::write(empty.join("notes.txt"), "not a delivery").unwrap();
    let mut cmd = twimon(dir.path());
    cmd.args(["send", "--to", "http://127.0.0.1:9/"])
        .arg(&empty);
    let (out, in_time) = run_bounded(cmd);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(in_time && !out.status.success(), "{out:?}");
    assert!(stderr.contains("nothing to send"), "{stderr}");
}
