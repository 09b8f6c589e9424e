//! Kinesis drain bench: N records (200 000 by default, the first bundled sample with unique
//! ids, over 2 shards) are put into the in-process emulator once, then drained from
//! `TRIM_HORIZON` by two readers, one after the other, for R rounds:
//!
//! 1. `sdk`    — a bare SDK loop: per shard `GetShardIterator` + `GetRecords` (10 000 a call)
//!    until every record was read, each record dropped (the floor of reading the stream);
//! 2. `twimon` — the real binary, `kinesis --from-start --headless --format json
//!    --poll-interval 0`, its stdout counted line by line until every event was printed.
//!
//! It prints records/s of each and the ratio twimon ÷ sdk of the medians. With `--twimon PATH`
//! (repeatable) those binaries are drained instead of the one built beside the bench, in the
//! same rounds: an A/B of two builds against one emulator and one baseline.
//!
//! `cargo bench --bench kinesis -- [--records 200000] [--rounds 3] [--twimon PATH]…`

#[path = "../tests/common/kinesis.rs"]
#[allow(dead_code)]
mod emulator;

use std::fmt::Write as _;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aws_sdk_kinesis::types::ShardIteratorType;
use emulator::{Emulator, KEY, event};

const STREAM: &str = "bench";

struct Opts {
    records: usize,
    rounds: usize,
    binaries: Vec<String>,
}

fn opts() -> Opts {
    let mut records = 200_000;
    let mut rounds = 3;
    let mut binaries = Vec::new();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--records" => records = it.next().and_then(|v| v.parse().ok()).unwrap_or(records),
            "--rounds" => rounds = it.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--twimon" => binaries.extend(it.next().cloned()),
            _ => {} // cargo bench passes --bench
        }
    }
    if binaries.is_empty() {
        binaries.push(env!("CARGO_BIN_EXE_twimon").to_owned());
    }
    Opts {
        records,
        rounds,
        binaries,
    }
}

/// Reads every shard from the start until `total` records were seen; the time it took.
fn sdk_drain(emu: &Emulator, total: usize) -> Duration {
    let client = emulator::client(&emu.url, KEY);
    let shards: Vec<String> = emu.shards(STREAM).into_iter().map(|(id, _)| id).collect();
    emu.block_on(async {
        let started = Instant::now();
        let counter = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for shard in shards {
            let client = client.clone();
            let counter = counter.clone();
            tasks.push(tokio::spawn(async move {
                let mut it = client
                    .get_shard_iterator()
                    .stream_name(STREAM)
                    .shard_id(shard)
                    .shard_iterator_type(ShardIteratorType::TrimHorizon)
                    .send()
                    .await
                    .unwrap()
                    .shard_iterator()
                    .unwrap()
                    .to_owned();
                loop {
                    let out = client
                        .get_records()
                        .shard_iterator(&it)
                        .limit(10_000)
                        .send()
                        .await
                        .unwrap();
                    let n = out.records().len();
                    let seen = counter.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
                    if seen >= total || (n == 0 && out.millis_behind_latest() == Some(0)) {
                        return;
                    }
                    out.next_shard_iterator().unwrap().clone_into(&mut it);
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(
            counter.load(std::sync::atomic::Ordering::Relaxed),
            total,
            "the SDK loop read every record"
        );
        started.elapsed()
    })
}

/// The binary drains the stream; the time until its `total`-th line.
fn twimon_drain(emu: &Emulator, binary: &str, total: usize) -> Duration {
    let state = std::env::temp_dir().join(format!("twimon-bench-kinesis-{}", std::process::id()));
    let mut cmd = Command::new(binary);
    emu.env(&mut cmd, KEY);
    cmd.env("XDG_STATE_HOME", &state)
        .env("TWIMON_LOG_FILE", state.join("twimon.log"))
        // The developer's config file must not change what is measured.
        .arg("--no-config")
        .args([
            "kinesis",
            STREAM,
            "--from-start",
            "--headless",
            "--format",
            "json",
        ])
        .args(["--poll-interval", "0", "--max-events", "1000000"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    let started = Instant::now();
    let mut child = cmd.spawn().unwrap();
    let out = BufReader::with_capacity(1 << 20, child.stdout.take().unwrap());
    let mut lines = 0usize;
    for line in out.split(b'\n') {
        if line.is_err() {
            break;
        }
        lines += 1;
        if lines == total {
            break;
        }
    }
    let took = started.elapsed();
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&state);
    assert_eq!(lines, total, "twimon printed every event");
    took
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    let Opts {
        records: total,
        rounds,
        binaries,
    } = opts();
    let emu = Emulator::start();
    emu.create_stream(STREAM, 2);
    let t = Instant::now();
    let records: Vec<(String, Vec<u8>)> = (0..total)
        .map(|i| (format!("key-{i}"), event(&format!("bench-{i}"))))
        .collect();
    let bytes: usize = records.iter().map(|(_, d)| d.len()).sum();
    emu.put_many(STREAM, &records);
    drop(records);
    println!(
        "put {total} records ({:.0} MB) in {:.1} s",
        bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let rate = |d: Duration| total as f64 / d.as_secs_f64();
    let mut sdk = Vec::new();
    let mut twimon: Vec<Vec<Duration>> = vec![Vec::new(); binaries.len()];
    for round in 1..=rounds {
        let s = sdk_drain(&emu, total);
        let mut line = format!(
            "round {round}: sdk {:.2} s ({:.0}/s)",
            s.as_secs_f64(),
            rate(s)
        );
        for (i, binary) in binaries.iter().enumerate() {
            let w = twimon_drain(&emu, binary, total);
            let _ = write!(
                line,
                ", twimon{} {:.2} s ({:.0}/s)",
                label(&binaries, i),
                w.as_secs_f64(),
                rate(w)
            );
            twimon[i].push(w);
        }
        println!("{line}");
        sdk.push(s);
    }
    let s = median(sdk);
    println!("medians: sdk {:.0} records/s", rate(s));
    for (i, runs) in twimon.into_iter().enumerate() {
        let w = median(runs);
        println!(
            "  twimon{} {:.0} records/s, ÷ sdk = {:.2} (target ≥ 0.80)",
            label(&binaries, i),
            rate(w),
            s.as_secs_f64() / w.as_secs_f64()
        );
    }
}

/// ` #N (path)` when several binaries are compared, else nothing.
fn label(binaries: &[String], i: usize) -> String {
    if binaries.len() < 2 {
        return String::new();
    }
    format!(" #{} ({})", i + 1, binaries[i])
}
