//! `twimon kinesis` against a Kinesis API emulator on 127.0.0.1 (`ferrokinesis`, in-process):
//! every shard, `--from-start` and `--since`, a split while reading (nothing lost, the parent
//! before its children), a malformed record kept as an invalid event, a restart from the
//! checkpoint (no loss, no duplicate), and the errors for a missing stream, refused or absent
//! credentials and a missing permission.
#![cfg(feature = "kinesis")]

mod common;
// Shared with the bench, which uses helpers these tests do not.
#[allow(dead_code)]
#[path = "common/kinesis.rs"]
mod emulator;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use common::bin::{Home, Running, spawn};
use emulator::{BAD_KEY, Emulator, KEY, NO_READ_KEY, THROTTLED_KEY, event};
use serde_json::Value;

const EXIT_GUARD: Duration = Duration::from_secs(15);

/// `twimon kinesis STREAM --headless --format json` with a fast poll, plus `args`.
fn kinesis(home: &Home, emu: &Emulator, key: &str, stream: &str, args: &[&str]) -> Running {
    let mut cmd = home.command();
    emu.env(&mut cmd, key);
    cmd.args(["kinesis", stream, "--headless", "--format", "json"])
        .args(["--poll-interval", "50ms"])
        .args(args);
    spawn(&mut cmd)
}

fn ids(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            v["id"].as_str().unwrap_or("").to_owned()
        })
        .collect()
}

/// Stops the run and returns the rest of its stdout and all of its stderr.
fn finish(mut run: Running) -> (Vec<String>, Vec<String>) {
    let status = run.terminate(EXIT_GUARD);
    assert!(status.success(), "{status}");
    let rest: Vec<String> = run.stdout.try_iter().collect();
    let stderr: Vec<String> = run.stderr.try_iter().collect();
    (rest, stderr)
}

fn put_events(emu: &Emulator, stream: &str, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let id = format!("{prefix}{i}");
            emu.put(stream, &format!("key-{i}"), &event(&id));
            id
        })
        .collect()
}

#[test]
fn two_shards_read_from_start_and_since() {
    let emu = Emulator::start();
    emu.create_stream("two", 2);
    let early = put_events(&emu, "two", "early-", 20);
    let shards: BTreeSet<String> = (0..20)
        .map(|i| emu.put("two", &format!("probe-{i}"), b"[]").0)
        .collect();
    assert_eq!(shards.len(), 2, "the keys spread over both shards");
    // The emulator keeps arrival times in whole seconds: cut at the next one.
    let cut = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() + 1).unwrap();
    while jiff::Timestamp::now() < cut {
        std::thread::sleep(Duration::from_millis(10));
    }
    let late = put_events(&emu, "two", "late-", 5);

    let home = Home::new("kinesis-two");
    let run = kinesis(&home, &emu, KEY, "two", &["--from-start"]);
    let got = ids(&run.stdout_lines(25));
    let (rest, stderr) = finish(run);
    assert!(rest.is_empty(), "{rest:#?}");
    let want: BTreeSet<&String> = early.iter().chain(&late).collect();
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), want);
    let summary = stderr.join("\n");
    assert!(summary.contains("kinesis two · 2 shards"), "{summary}");
    // The 20 empty arrays are records without events.
    assert!(
        summary.contains("45 records, 25 events, 0 invalid"),
        "{summary}"
    );

    let run = kinesis(&home, &emu, KEY, "two", &["--since", &cut.to_string()]);
    let got = ids(&run.stdout_lines(5));
    let (rest, _) = finish(run);
    assert!(rest.is_empty(), "{rest:#?}");
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), late.iter().collect());

    let run = kinesis(&home, &emu, KEY, "two", &["--since", "1h"]);
    let got = ids(&run.stdout_lines(25));
    finish(run);
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), want);
}

#[test]
fn a_split_while_reading_loses_nothing_and_reads_the_parent_first() {
    let emu = Emulator::start();
    emu.create_stream("split", 1);
    let home = Home::new("kinesis-split");
    let run = kinesis(&home, &emu, KEY, "split", &["--from-start"]);
    let first = put_events(&emu, "split", "parent-a-", 5);
    let got = ids(&run.stdout_lines(5));
    assert_eq!(got, first);

    // More for the parent, then the split, then records for the children, before the
    // parent's last records were read.
    let second = put_events(&emu, "split", "parent-b-", 5);
    let parent = emu.shards("split")[0].0.clone();
    emu.split("split", &parent);
    let children = put_events(&emu, "split", "child-", 10);
    let shards = emu.shards("split");
    assert_eq!(shards.len(), 3, "{shards:?}");

    let got = ids(&run.stdout_lines(15));
    let (rest, stderr) = finish(run);
    assert!(rest.is_empty(), "{rest:#?}");
    assert_eq!(&got[..5], &second[..], "the parent, to its end, in order");
    assert_eq!(
        got[5..].iter().collect::<BTreeSet<_>>(),
        children.iter().collect(),
        "then every child record, once"
    );
    let summary = stderr.join("\n");
    assert!(summary.contains("kinesis split · 2 shards"), "{summary}");
}

#[test]
fn a_malformed_record_is_kept_as_an_invalid_event_naming_shard_and_sequence() {
    let emu = Emulator::start();
    emu.create_stream("bad", 1);
    emu.put("bad", "k", &event("before"));
    let (shard, seq) = emu.put("bad", "k", b"{\"not\": \"a cloudevent\"");
    let mut pair = b"[".to_vec();
    pair.extend(event("in-array-1"));
    pair.extend(b",");
    pair.extend(event("in-array-2"));
    pair.extend(b"]");
    emu.put("bad", "k", &pair);

    let home = Home::new("kinesis-bad");
    let run = kinesis(
        &home,
        &emu,
        KEY,
        "bad",
        &["--from-start", "--record", "rec.ndjson"],
    );
    let lines = run.stdout_lines(4);
    finish(run);
    let v: Vec<Value> = lines
        .iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(v[0]["id"], "before");
    let reason = v[1]["invalid"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("{shard} record {seq}: ")),
        "{reason}"
    );
    assert_eq!(v[1]["raw"], "{\"not\": \"a cloudevent\"");
    assert_eq!(v[2]["id"], "in-array-1");
    assert_eq!(v[3]["id"], "in-array-2");

    // The recording replays the same events, the malformed one included.
    let (status, replayed, stderr) = home.run(&["replay", "rec.ndjson", "--format", "json"]);
    assert!(status.success(), "{stderr:#?}");
    assert_eq!(ids(&replayed), ids(&lines));
    let r: Value = serde_json::from_str(&replayed[1]).unwrap();
    assert_eq!(r["raw"], "{\"not\": \"a cloudevent\"");
}

#[test]
fn a_restart_from_the_checkpoint_loses_nothing_and_repeats_nothing() {
    let emu = Emulator::start();
    emu.create_stream("cp", 2);
    let home = Home::new("kinesis-cp");
    let first = put_events(&emu, "cp", "one-", 10);
    let run = kinesis(&home, &emu, KEY, "cp", &["--from-start", "--checkpoint"]);
    let got = ids(&run.stdout_lines(10));
    let (rest, _) = finish(run);
    assert!(rest.is_empty());
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), first.iter().collect());
    let file = home.dir().join("state/twimon/kinesis-cp.json");
    let cp: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(cp["stream"], "cp");

    // Put while stopped; the restart (no start flag) shows exactly these.
    let second = put_events(&emu, "cp", "two-", 10);
    let run = kinesis(&home, &emu, KEY, "cp", &["--checkpoint"]);
    let got = ids(&run.stdout_lines(10));
    // A third batch while running, to be sure the resumed readers go on reading.
    let third = put_events(&emu, "cp", "three-", 3);
    let got3 = ids(&run.stdout_lines(3));
    let (rest, _) = finish(run);
    assert!(rest.is_empty(), "nothing after: {rest:#?}");
    assert_eq!(got.iter().collect::<BTreeSet<_>>(), second.iter().collect());
    assert_eq!(got3.iter().collect::<BTreeSet<_>>(), third.iter().collect());

    // An explicit file works the same, and another stream's file is refused.
    let other = home.dir().join("other.json");
    std::fs::copy(&file, &other).unwrap();
    emu.create_stream("elsewhere", 1);
    let (status, _, stderr) = run_to_end(&home, &emu, KEY, "elsewhere", &other);
    assert!(!status.success());
    assert!(
        stderr.join("\n").contains("is for stream \"cp\""),
        "{stderr:#?}"
    );
}

fn run_to_end(
    home: &Home,
    emu: &Emulator,
    key: &str,
    stream: &str,
    checkpoint: &Path,
) -> (std::process::ExitStatus, Vec<String>, Vec<String>) {
    let mut cmd = home.command();
    emu.env(&mut cmd, key);
    cmd.args(["kinesis", stream, "--headless", "--checkpoint"])
        .arg(checkpoint);
    common::bin::run(&mut cmd)
}

/// `twimon kinesis` that must fail by itself: its stderr.
fn fails(home: &Home, cmd: &mut std::process::Command) -> String {
    let _ = home;
    let (status, stdout, stderr) = common::bin::run(cmd);
    assert!(!status.success(), "{stdout:#?} {stderr:#?}");
    assert_eq!(status.code(), Some(1));
    assert!(stdout.is_empty(), "{stdout:#?}");
    stderr.join("\n")
}

#[test]
fn missing_streams_and_bad_credentials_give_clear_errors() {
    let emu = Emulator::start();
    emu.create_stream("there", 1);
    let home = Home::new("kinesis-errors");
    let base = |key: &str, stream: &str| {
        let mut cmd = home.command();
        emu.env(&mut cmd, key);
        cmd.args(["kinesis", stream, "--headless", "--poll-interval", "50ms"]);
        cmd
    };

    let err = fails(&home, &mut base(KEY, "nowhere"));
    assert!(err.contains("stream \"nowhere\" not found"), "{err}");
    assert!(err.contains("--region"), "{err}");

    let err = fails(&home, &mut base(BAD_KEY, "there"));
    assert!(
        err.contains("credentials were refused (UnrecognizedClientException)"),
        "{err}"
    );

    // Allowed to list, not to read: the reader stops and names the permission.
    let err = fails(&home, base(NO_READ_KEY, "there").arg("--from-start"));
    assert!(err.contains("may not call kinesis:GetRecords"), "{err}");
    assert!(err.contains("kinesis:ListShards"), "{err}");

    // No credentials anywhere in the chain.
    let mut cmd = home.command();
    emulator::clean_aws_env(&mut cmd);
    cmd.env("AWS_REGION", "us-east-1")
        .env("AWS_ENDPOINT_URL_KINESIS", &emu.url)
        .args(["kinesis", "there", "--headless"]);
    let err = fails(&home, &mut cmd);
    assert!(err.contains("no usable AWS credentials"), "{err}");

    // No region.
    let mut cmd = home.command();
    emu.env(&mut cmd, KEY);
    cmd.env_remove("AWS_REGION")
        .args(["kinesis", "there", "--headless"]);
    let err = fails(&home, &mut cmd);
    assert!(err.contains("no AWS region"), "{err}");

    let err = fails(&home, base(KEY, "there").args(["--since", "yesterday"]));
    assert!(err.contains("--since \"yesterday\""), "{err}");
}

#[test]
fn throttled_reads_back_off_and_lose_nothing() {
    let emu = Emulator::start();
    emu.create_stream("busy", 1);
    let home = Home::new("kinesis-busy");
    let run = kinesis(&home, &emu, THROTTLED_KEY, "busy", &["--from-start"]);
    let mut want = BTreeSet::new();
    let mut got = BTreeSet::new();
    for round in 0..3 {
        let ids_put = put_events(&emu, "busy", &format!("r{round}-"), 4);
        want.extend(ids_put);
        got.extend(ids(&run.stdout_lines(4)));
    }
    let (rest, stderr) = finish(run);
    assert!(rest.is_empty(), "{rest:#?}");
    assert_eq!(got, want);
    let summary = stderr.join("\n");
    let throttles: u64 = summary
        .split(" throttles")
        .next()
        .and_then(|s| s.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no throttle count in {summary}"));
    assert!(throttles >= 1, "{summary}");
}

#[test]
fn expired_iterators_are_replaced_after_the_last_record() {
    // Iterators live one second; twimon polls every 1.2 s, so every one it holds expires.
    let emu = Emulator::start_with(ferrokinesis::store::StoreOptions {
        iterator_ttl_seconds: 1,
        ..Default::default()
    });
    emu.create_stream("slow", 1);
    let home = Home::new("kinesis-slow");
    let mut cmd = home.command();
    emu.env(&mut cmd, KEY);
    cmd.args([
        "kinesis",
        "slow",
        "--headless",
        "--format",
        "json",
        "--from-start",
    ])
    .args(["--poll-interval", "1200ms"]);
    let run = spawn(&mut cmd);
    let first = put_events(&emu, "slow", "a-", 3);
    assert_eq!(ids(&run.stdout_lines(3)), first);
    let second = put_events(&emu, "slow", "b-", 3);
    assert_eq!(
        ids(&run.stdout_lines(3)),
        second,
        "after an expired iterator, once each"
    );
    let (rest, _) = finish(run);
    assert!(rest.is_empty(), "{rest:#?}");
}
