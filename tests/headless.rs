//! The real binary: `twimon listen --headless` fed by `twimon send`, its NDJSON and text output,
//! a clean exit on SIGTERM, and the one-line errors of `listen` and `send`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::bin::{Home, Running, spawn};
use common::samples::{files_in, read_elements, sample_files, samples_dir, type_and_id};
use serde_json::Value;
use twimon::domain::EventKind;
use twimon::domain::family::Stream;

const EXIT_GUARD: Duration = Duration::from_secs(10);

/// `twimon send --to url paths…`, which must succeed with a 2xx per file.
fn send_ok(home: &Home, url: &str, paths: &[&Path]) -> Vec<String> {
    let (status, stdout, stderr) =
        common::bin::run(home.command().arg("send").arg("--to").arg(url).args(paths));
    assert!(status.success(), "send failed: {stdout:#?} {stderr:#?}");
    stdout
}

fn listen_headless(home: &Home, format: &str) -> Running {
    spawn(home.command().args([
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
    let home = Home::new("headless-json");
    let mut listener = listen_headless(&home, "json");
    let url = listener.listening_url();

    let files = sample_files(&samples_dir());
    assert_eq!(files.len(), 20);
    let sent: Vec<Value> = files.iter().flat_map(|f| read_elements(f)).collect();
    assert_eq!(sent.len(), 49);

    let stdout = send_ok(&home, &url, &[&samples_dir()]);
    assert_eq!(stdout.len(), files.len(), "one line per file: {stdout:#?}");
    for (line, file) in stdout.iter().zip(&files) {
        let n = read_elements(file).len();
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
        assert_eq!(v["family"], Stream::of(ty).as_str(), "{line}");
        assert_eq!(v["kind"], EventKind::from_type(ty).short(), "{line}");
        if !ty.starts_with("com.twilio.voice.twiml.") {
            // The other families (`families/`): their call is a `CA…` SID or none (a
            // conference's own callbacks, a Studio step); their fields are in tests/families.rs.
            assert!(
                v["call_sid"].is_null() || v["call_sid"].as_str().unwrap().starts_with("CA"),
                "{line}"
            );
            assert!(
                printed.insert((ty.to_owned(), id.to_owned())),
                "printed twice: {line}"
            );
            continue;
        }
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
        if data["response"]["responseCode"].as_u64() >= Some(500) {
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
    let sent_set: BTreeSet<(String, String)> = sent.iter().map(type_and_id).collect();
    assert_eq!(printed, sent_set);
    assert_eq!(
        with_error, 3,
        "the two 502 events and the Studio call's 500"
    );

    let status = listener.terminate(EXIT_GUARD);
    assert!(status.success(), "SIGTERM ends twimon cleanly: {status:?}");
    let rest: Vec<String> = listener.stdout.iter().collect();
    assert!(rest.is_empty(), "nothing more was printed: {rest:#?}");
}

#[test]
fn headless_text_prints_one_aligned_line_per_event() {
    let home = Home::new("headless-text");
    let mut listener = listen_headless(&home, "text");
    let url = listener.listening_url();

    let dir = samples_dir().join("events");
    let files = files_in("events");
    let sent: Vec<Value> = files.iter().flat_map(|f| read_elements(f)).collect();
    assert_eq!(sent.len(), 8);
    let stdout = send_ok(&home, &url, &[&dir]);
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

    let status = listener.terminate(EXIT_GUARD);
    assert!(status.success(), "{status:?}");
}

#[test]
fn listen_on_a_busy_address_fails_with_one_line() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let home = Home::new("busy-address");
    let (status, stdout, stderr) = home.run(&["listen", "--headless", "--addr", &addr]);
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
    let file = samples_dir().join("seed/01-call-requested.json");
    let home = Home::new("send-to-nobody");
    let (status, stdout, stderr) =
        common::bin::run(home.command().args(["send", "--to", &url]).arg(&file));
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
    let home = Home::new("early-sigterm");
    for attempt in 0..100 {
        let mut listener = listen_headless(&home, "json");
        listener.listening_url();
        let status = listener.terminate(EXIT_GUARD);
        assert!(status.success(), "attempt {attempt}: {status:?}");
    }
}

#[test]
fn headless_filter_prints_only_the_matching_events() {
    let home = Home::new("headless-filter");
    let events = common::samples::ndjson(&[common::fixtures::IVR, common::fixtures::FAILED]);
    std::fs::write(home.dir().join("events.ndjson"), events).unwrap();
    let (status, stdout, stderr) = home.run(&[
        "read",
        "events.ndjson",
        "--headless",
        "--format",
        "json",
        "--filter",
        "Digits=1 or (code>=500 from:+1312…)",
    ]);
    assert!(status.success(), "{stderr:#?}");
    assert_eq!(stdout.len(), 2, "{stdout:#?}");
    assert!(stdout[0].contains("/menu"), "{}", stdout[0]);
    assert!(stdout[1].contains("/orders/status"), "{}", stdout[1]);

    // Text lines too; a filter nothing matches prints nothing and still succeeds.
    let (status, stdout, _) = home.run(&[
        "read",
        "events.ndjson",
        "--headless",
        "--filter",
        "type:dial",
    ]);
    assert!(status.success());
    assert_eq!(stdout.len(), 1, "{stdout:#?}");
    assert!(stdout[0].contains("dial.finished"), "{}", stdout[0]);
    let (status, stdout, _) = home.run(&[
        "read",
        "events.ndjson",
        "--headless",
        "--filter",
        "Digits=9",
    ]);
    assert!(status.success());
    assert!(stdout.is_empty(), "{stdout:#?}");
}

#[test]
fn a_bad_filter_is_a_usage_error_before_anything_runs() {
    let home = Home::new("headless-bad-filter");
    for args in [
        &["listen", "--headless", "--addr", "127.0.0.1:0"][..],
        &["replay", "missing.ndjson", "--headless"],
        &["read", "missing.ndjson", "--headless"],
        &["--headless", "--addr", "127.0.0.1:0"],
    ] {
        let mut args = args.to_vec();
        args.extend(["--filter", "type:gather code>="]);
        let (status, stdout, stderr) = home.run(&args);
        // Exit 2 (a usage error), not 1: the missing file was never opened, nothing listened.
        assert_eq!(status.code(), Some(2), "{args:?}: {stderr:#?}");
        assert!(stdout.is_empty(), "{args:?}: {stdout:#?}");
        let err = stderr.join("\n");
        assert!(
            err.contains("column 19: expected a value after `code>=`"),
            "{args:?}: {err}"
        );
        assert!(err.contains("--filter"), "{err}");
    }
}
