//! `twimon export` as a user runs it: the real binary on a recording made with `--record`.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::bin::Home;
use common::fixtures::{FAILED, FAILED_SID, IVR, IVR_SID};
use twimon::source::record::{Record, Recorder};

/// A recording of the IVR call and the failed call, in `home`.
fn recording(home: &Home) -> PathBuf {
    let path = home.dir().join("calls.ndjson");
    let mut rec = Recorder::open(&path).unwrap();
    for body in [IVR, FAILED] {
        rec.write(&Record {
            arrival: "2026-11-28T14:04:00Z".into(),
            remote: Some("127.0.0.1:50000".into()),
            path: "/".into(),
            headers: BTreeMap::new(),
            signature: "unchecked".into(),
            signature_reason: None,
            signed_by: None,
            body: body.into(),
            decoded_from: None,
        })
        .unwrap();
    }
    path
}

fn twimon(home: &Home, args: &[&str]) -> std::process::Output {
    home.command().args(args).output().unwrap()
}

#[test]
fn export_writes_markdown_and_json_to_stdout() {
    let home = Home::new("export");
    let rec = recording(&home);
    let file = rec.to_str().unwrap();
    let out = twimon(&home, &["export", file, "--call", IVR_SID]);
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.starts_with(&format!("# Call `{IVR_SID}`\n")), "{md}");
    assert!(md.contains("- **Events:** 5"), "{md}");
    assert!(
        md.contains("- **IVR path:** `/voice → Gather → 1 → /menu"),
        "{md}"
    );
    assert!(md.contains("### 5. +42.6s · record.finished"), "{md}");
    assert!(md.contains("```xml\n<?xml"), "{md}");

    let out = twimon(
        &home,
        &[
            "export", file, "--call", IVR_SID, "--format", "json", "--mask",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["call_sid"], IVR_SID);
    assert_eq!(v["events"], 5);
    assert_eq!(v["masked"], true);
    assert_eq!(v["from"], "+1415•••0100");
    assert_eq!(v["steps"][1]["key_parameters"]["Digits"], "1");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("+14155550100"));
}

#[test]
fn export_lists_the_codes_twilio_would_log() {
    let home = Home::new("export-codes");
    let rec = recording(&home);
    let file = rec.to_str().unwrap();
    let out = twimon(&home, &["export", file, "--call", FAILED_SID]);
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("Twilio would log (inferred):"), "{md}");
    assert!(
        md.contains("[11200](https://www.twilio.com/docs/api/errors/11200) HTTP retrieval failure"),
        "{md}"
    );
    let out = twimon(
        &home,
        &["export", file, "--call", FAILED_SID, "--format", "json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let codes: Vec<&serde_json::Value> = v["steps"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["error_codes"].as_array().unwrap())
        .collect();
    assert!(!codes.is_empty(), "{v:#}");
    assert!(codes.iter().all(|c| c["inferred"] == true), "{codes:?}");
    assert!(codes.iter().any(|c| c["code"] == 11200), "{codes:?}");
}

#[test]
fn export_of_an_unknown_call_fails_and_says_what_there_is() {
    let home = Home::new("export-unknown");
    let rec = recording(&home);
    let out = twimon(
        &home,
        &["export", rec.to_str().unwrap(), "--call", "CAnope"],
    );
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("no call CAnope in"), "{err}");
    assert!(err.contains("it has 2 calls"), "{err}");
    let missing = twimon(
        &home,
        &["export", "/nonexistent/rec.ndjson", "--call", IVR_SID],
    );
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("cannot read the recording"));
}

#[test]
fn export_filter_keeps_the_matching_steps() {
    let home = Home::new("export-filter");
    let rec = recording(&home);
    let file = rec.to_str().unwrap();
    let out = twimon(
        &home,
        &[
            "export",
            file,
            "--call",
            IVR_SID,
            "--filter",
            "type:gather or DialCallStatus=busy",
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let md = String::from_utf8(out.stdout).unwrap();
    assert!(md.contains("- **Events:** 2"), "{md}");
    assert!(md.contains("· gather.finished"), "{md}");
    assert!(md.contains("· dial.finished"), "{md}");
    assert!(!md.contains("· record.finished"), "{md}");

    let out = twimon(
        &home,
        &["export", file, "--call", IVR_SID, "--filter", "Digits=9"],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!(
            "no step of call {IVR_SID} matches --filter Digits=9: it has 5 steps"
        )),
        "{err}"
    );

    let out = twimon(
        &home,
        &[
            "export",
            file,
            "--call",
            IVR_SID,
            "--filter",
            "(type:gather",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "a usage error");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("column 13: expected `)` to close the `(` at column 1"),
        "{err}"
    );
    assert!(out.stdout.is_empty());
}
