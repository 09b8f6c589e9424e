//! `twimon export RECORDING --call CA…`: one call of a recording as an incident record.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use crate::cli::{ExportArgs, ExportFormat};
use crate::domain::{CallSid, Event};
use crate::export::{self, Loaded};
use crate::text::safe;

/// Reads a recording through [`crate::source::replay`] — parsed and deduplicated exactly as
/// `twimon replay` shows it — keeping the events of call `sid` (every call is counted).
pub async fn load(path: &Path, sid: &CallSid) -> anyhow::Result<Loaded> {
    let mut feed = crate::source::replay::start(path, crate::store::DEFAULT_MAX_EVENTS)?;
    let mut out = Loaded::default();
    let mut seq = 0u64;
    while let Some(delivery) = feed.rx.recv().await {
        for mut ev in delivery.events {
            ev.seq = seq;
            seq += 1;
            out.add(ev, sid);
        }
    }
    feed.stop().await?;
    out.finish();
    Ok(out)
}

/// `twimon export RECORDING --call CA… [--format markdown|json] [--mask]`.
pub async fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let sid = CallSid(args.call.trim().into());
    let loaded = load(&args.file, &sid).await?;
    if loaded.unreadable > 0 {
        eprintln!(
            "twimon: {} unusable record(s) of {} skipped",
            loaded.unreadable,
            safe::line(&args.file.display().to_string())
        );
    }
    if loaded.events.is_empty() {
        let n = loaded.calls.len();
        let mut msg = format!(
            "no call {} in {}: it has {n} call{}",
            safe::line(sid.as_str()),
            args.file.display(),
            if n == 1 { "" } else { "s" }
        );
        if n > 0 {
            let shown: Vec<String> = loaded
                .calls
                .iter()
                .take(10)
                .map(|c| safe::line(c.as_str()).into_owned())
                .collect();
            let _ = write!(
                msg,
                " ({}{})",
                shown.join(", "),
                if n > 10 { ", …" } else { "" }
            );
        }
        anyhow::bail!(msg);
    }
    let mut steps: Vec<&Event> = loaded.events.iter().collect();
    if let Some(filter) = &args.filter {
        let all = steps.len();
        steps.retain(|ev| filter.matches(ev));
        if steps.is_empty() {
            anyhow::bail!(
                "no step of call {} matches --filter {}: it has {all} step{}",
                safe::line(sid.as_str()),
                safe::line(filter.text()),
                if all == 1 { "" } else { "s" }
            );
        }
    }
    let record = export::build(
        &sid,
        &steps,
        &loaded.legs(&sid),
        export::Options { mask: args.mask },
    );
    let text = match args.format {
        ExportFormat::Markdown => export::markdown(&record),
        ExportFormat::Json => {
            let mut s = serde_json::to_string_pretty(&record)?;
            s.push('\n');
            s
        }
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use std::path::PathBuf;

    use super::*;
    use crate::export::{Options, Record, build, markdown};
    use crate::source::record::{Record as Recorded, Recorder};

    const IVR: &str = include_str!("../../assets/samples/flows/ivr-sales-call.json");
    const FAILED: &str = include_str!("../../assets/samples/flows/failed-call.json");
    const IVR_SID: &str = "CA866a9ca9f30dd8f84f9984ce99a9ca31";

    /// A recording in a fresh temp folder: the IVR call, the failed call, the IVR call again
    /// (Twilio's redelivery: deduplicated).
    fn recording(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("twimon-export-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("calls.ndjson");
        let mut rec = Recorder::open(&path).unwrap();
        for body in [IVR, FAILED, IVR] {
            rec.write(&Recorded {
                arrival: "2026-11-28T14:04:00Z".into(),
                remote: None,
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

    async fn export(path: &Path, mask: bool) -> Record {
        let sid = CallSid(IVR_SID.into());
        let loaded = load(path, &sid).await.unwrap();
        let steps: Vec<&Event> = loaded.events.iter().collect();
        build(&sid, &steps, &loaded.legs(&sid), Options { mask })
    }

    const PATH: &str = "/voice → Gather → 1 → /menu → Redirect → /sales → Dial +1415… → busy \
        → /after-dial → Record → 14s → /voicemail → Hangup";

    #[tokio::test]
    async fn markdown_has_the_summary_the_path_and_every_step_in_order() {
        let path = recording("md");
        let md = markdown(&export(&path, false).await);
        for line in [
            "# Call `CA866a9ca9f30dd8f84f9984ce99a9ca31`",
            "- **From → To:** `+14155550100` → `+18005550199`",
            "- **Time:** 2026-11-28 14:03:07.515 – 14:03:50.145 UTC (42.6s)",
            "- **Events:** 5",
            "- **Ended:** hung up",
            "dialed `CA41ca571e9101106b3ddd8b9dffba1e18` (not seen)",
            &format!("- **IVR path:** `{PATH}`"),
            "- **Request:** `POST https://ivr.acme-example.com/after-dial`",
            "- **Response:** **200** · 88ms · application/xml",
            "- **Parameters:** `DialCallStatus=busy`",
            "<details><summary>All 11 parameters</summary>",
            "| `DialCallDuration` | `0` |",
            "| `FinishedOnKey` | _(empty)_ |",
            "```xml\n<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Response>\n  <Say>Thanks for calling Acme.</Say>\n  <Gather action=\"/menu\" numDigits=\"1\" timeout=\"5\">",
            "  <Record action=\"/voicemail\" maxLength=\"60\"/>\n</Response>\n```",
        ] {
            assert!(md.contains(line), "{line:?} missing from\n{md}");
        }
        let headings = [
            "### 1. +0.0s · call.requested",
            "### 2. +8.1s · gather.finished",
            "### 3. +11.7s · call.redirected",
            "### 4. +17.7s · dial.finished",
            "### 5. +42.6s · record.finished",
        ];
        let at: Vec<usize> = headings
            .iter()
            .map(|h| {
                md.find(h)
                    .unwrap_or_else(|| panic!("{h} missing from\n{md}"))
            })
            .collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{at:?}");
        assert_eq!(md.matches("### ").count(), 5, "the redelivery adds no step");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[tokio::test]
    async fn json_holds_the_same_content() {
        let path = recording("json");
        let v = serde_json::to_value(export(&path, false).await).unwrap();
        assert_eq!(v["call_sid"], IVR_SID);
        assert_eq!(v["from"], "+14155550100");
        assert_eq!(v["events"], 5);
        assert_eq!(v["duration_ms"], 42_630);
        assert_eq!(v["ended"], "hung up");
        assert_eq!(v["path"], PATH);
        assert_eq!(v["legs"][1]["events"], 0);
        let kinds: Vec<&str> = v["steps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds,
            [
                "call.requested",
                "gather.finished",
                "call.redirected",
                "dial.finished",
                "record.finished"
            ]
        );
        let dial = &v["steps"][3];
        assert_eq!(dial["offset_ms"], 17_671);
        assert_eq!(dial["key_parameters"]["DialCallStatus"], "busy");
        assert_eq!(dial["parameters"]["DialBridged"], "false");
        assert!(
            dial["twiml"]
                .as_str()
                .unwrap()
                .contains("<Record action=\"/voicemail\" maxLength=\"60\"/>")
        );
        assert_eq!(dial["lint"], serde_json::json!([]));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[tokio::test]
    async fn masking_hides_numbers_speech_and_recording_urls() {
        let path = recording("mask");
        let record = export(&path, true).await;
        let md = markdown(&record);
        let json = serde_json::to_string(&record).unwrap();
        for text in [&md, &json] {
            for secret in ["+1415555", "+1800555", "Recordings/RE25020c"] {
                assert!(!text.contains(secret), "{secret} in\n{text}");
            }
            for kept in [
                "+1415•••0100",
                IVR_SID,
                "CA41ca571e9101106b3ddd8b9dffba1e18",
            ] {
                assert!(text.contains(kept), "{kept} missing from\n{text}");
            }
        }
        assert!(md.contains("- **Masked:**"));
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[tokio::test]
    async fn an_unknown_call_names_how_many_calls_there_are() {
        let path = recording("unknown");
        let args = ExportArgs {
            file: path.clone(),
            call: "CA0000".into(),
            format: ExportFormat::Markdown,
            mask: false,
            filter: None,
        };
        let err = run(&args).await.unwrap_err().to_string();
        assert!(err.contains("no call CA0000"), "{err}");
        assert!(err.contains("it has 2 calls"), "{err}");
        assert!(err.contains(IVR_SID), "{err}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }
}
