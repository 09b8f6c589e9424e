//! `twimon read FILE|-`: NDJSON CloudEvents from a pipe or a file into the headless printer;
//! an unparseable line is an invalid event naming its line, a read error ends the input.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::Duration;

use common::bin::{Home, wait_for_exit};
use serde_json::Value;

fn sample(id: &str) -> String {
    let text = include_str!("../assets/samples/events/01-call-requested.json");
    let v: Value = serde_json::from_str(text).unwrap();
    let mut ev = v[0].clone();
    ev["id"] = Value::String(id.to_owned());
    serde_json::to_string(&ev).unwrap()
}

#[test]
fn read_stdin_keeps_a_malformed_line_in_the_middle_as_invalid() {
    let home = Home::new("read-pipe");
    let mut child = home
        .command()
        .args(["read", "-", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let input = format!(
        "{}\n\n{{\"type\": broken\n[{},{}]\n{}\n",
        sample("first"),
        sample("second"),
        sample("third"),
        sample("first"), // a redelivery: a duplicate, not a new event
    );
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input.as_bytes()).unwrap();
    drop(stdin); // the end of the pipe ends the run
    let status = wait_for_exit(&mut child, Duration::from_secs(15));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    let lines: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0]["id"], "first");
    let reason = lines[1]["invalid"].as_str().unwrap();
    assert!(reason.starts_with("line 3: body is not JSON"), "{reason}");
    assert_eq!(lines[1]["raw"], "{\"type\": broken");
    assert_eq!(lines[2]["id"], "second");
    assert_eq!(lines[3]["id"], "third");
    assert!(
        err.contains("read stdin: 4 records, 4 events, 1 invalid, 1 duplicates"),
        "{err}"
    );
}

#[test]
fn read_a_file_and_fail_clearly_on_a_read_error() {
    let home = Home::new("read-file");
    let file = home.dir().join("events.ndjson");
    std::fs::write(&file, format!("{}\r\n{}", sample("a"), sample("b"))).unwrap();
    let (status, stdout, stderr) = home.run(&["read", "events.ndjson", "--format", "json"]);
    assert!(status.success(), "{stderr:#?}");
    assert_eq!(stdout.len(), 2, "{stdout:#?}");

    let (status, stdout, stderr) = home.run(&["read", "missing.ndjson"]);
    assert_eq!(status.code(), Some(1));
    assert!(stdout.is_empty());
    assert!(
        stderr.join("\n").contains("cannot open missing.ndjson"),
        "{stderr:#?}"
    );

    // A folder opens but cannot be read: one clear error, not a loop of them.
    let (status, stdout, stderr) = home.run(&["read", "."]);
    assert_eq!(status.code(), Some(1), "{stderr:#?}");
    assert!(stdout.is_empty());
    let err = stderr.join("\n");
    assert!(err.contains("twimon: reading line 1 failed"), "{err}");
    assert_eq!(err.matches("failed").count(), 1, "{err}");
}
