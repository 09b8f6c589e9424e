//! `twimon resend --to URL RECORDING`: a recorded call's TwiML requests sent again to a fix,
//! signed as Twilio would, each answer diffed against the recorded one. A regression test
//! made from an incident: `--expect-same` fails on any difference.

use std::fmt::Write as _;

use crate::cli::{ResendArgs, ResendOptions, SignUrl};
use crate::domain::diff::{self, Op};
use crate::domain::exchange::Edit;
use crate::domain::{Event, EventKind};
use crate::source::resend::{self, Mapping, Options};
use crate::source::signature::SharedSecret;
use crate::text::safe;

/// The resend options of the command line, checked.
pub fn options(
    args: &ResendOptions,
    to: Option<String>,
    auth_token: Option<String>,
    shared_key: Option<&str>,
    timeout: std::time::Duration,
) -> anyhow::Result<Options> {
    let ivr = args
        .ivr
        .iter()
        .map(|s| Mapping::parse(s).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let shared_key = match shared_key {
        Some(spec) => Some(SharedSecret::parse(spec).ok_or_else(|| {
            anyhow::anyhow!("--shared-key-secret is empty: give [KEY_ID=]SECRET")
        })?),
        None => None,
    };
    Ok(Options {
        ivr,
        to,
        sign_url: match args.sign_url {
            SignUrl::Public => resend::SignUrl::Public,
            SignUrl::Target => resend::SignUrl::Target,
        },
        auth_token,
        shared_key,
        timeout,
    })
}

/// The recording's events, in the order they were recorded.
async fn load(path: &std::path::Path) -> anyhow::Result<Vec<Event>> {
    let mut feed = crate::source::replay::start(path, usize::MAX)?;
    let mut events = Vec::new();
    while let Some(d) = feed.rx.recv().await {
        events.extend(d.events);
    }
    feed.stop().await?;
    Ok(events)
}

pub async fn run(args: &ResendArgs) -> anyhow::Result<()> {
    let opts = options(
        &args.resend,
        args.to.clone(),
        args.auth_token.clone(),
        args.shared_key_secret.as_deref(),
        args.timeout,
    )?;
    if opts.to.is_none() && opts.ivr.is_empty() {
        anyhow::bail!(
            "say where your app runs: --to http://localhost:3000 (or --ivr PUBLIC=LOCAL)"
        );
    }
    let edits = args
        .edits
        .iter()
        .map(|e| Edit::parse(e).map_err(anyhow::Error::msg))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let events = load(&args.file).await?;
    let steps: Vec<&Event> = events
        .iter()
        .filter(|e| EventKind::TWIML.contains(&e.kind) && !e.url().is_empty())
        .filter(|e| {
            args.call
                .as_deref()
                .is_none_or(|c| e.call_sid.as_ref().is_some_and(|s| s.as_str() == c))
        })
        .collect();
    if steps.is_empty() {
        let whose = args
            .call
            .as_deref()
            .map_or(String::new(), |c| format!(" of call {c}"));
        anyhow::bail!("{}: no TwiML request{whose} to resend", args.file.display());
    }
    let client = crate::source::proxy::client();
    let (mut same, mut changed, mut failed) = (0, 0, 0);
    for (i, original) in steps.iter().enumerate() {
        let n = i + 1;
        let plan = match resend::plan(original, &opts, &edits) {
            Ok(p) => p,
            Err(why) => {
                failed += 1;
                println!(
                    "step {n}  {}  cannot resend: {}",
                    original.kind.short(),
                    safe::line(&why)
                );
                continue;
            }
        };
        let ex = resend::send(&client, &plan, &opts, format!("RS{n}")).await;
        let answer = resend::event_of(&ex, &plan);
        let d = diff::answers(original, &answer);
        let status = match (&ex.failure, ex.status) {
            (Some(f), _) => {
                failed += 1;
                format!("failed: {}", f.describe())
            }
            (None, Some(s)) if s >= 400 => {
                failed += 1;
                format!("HTTP {s}")
            }
            (None, Some(s)) => format!("{s}"),
            (None, None) => "no answer".to_owned(),
        };
        let verdict = if diff::changed(&d) {
            changed += 1;
            "changed"
        } else {
            same += 1;
            "same"
        };
        let recorded = original
            .response_code
            .map_or_else(|| "none".to_owned(), |c| c.to_string());
        let mut line = format!(
            "step {n}  {:<16} {} {}  → {status} in {:.1} ms (recorded {recorded})  {verdict}",
            plan.kind.short(),
            plan.method,
            plan.target_url,
            ex.latency.as_secs_f64() * 1000.0,
        );
        if diff::changed(&d) {
            for l in &d {
                let mark = match l.op {
                    Op::Same => "   ",
                    Op::Removed => "  -",
                    Op::Added => "  +",
                };
                let _ = write!(line, "\n{mark} {}", l.text);
            }
        }
        println!("{}", safe::text(&line));
    }
    println!(
        "{} steps: {same} same, {changed} changed, {failed} failed",
        steps.len()
    );
    if failed > 0 {
        anyhow::bail!("{failed} of {} requests failed", steps.len());
    }
    if args.expect_same && changed > 0 {
        anyhow::bail!(
            "{changed} of {} answers differ from the recording (--expect-same)",
            steps.len()
        );
    }
    Ok(())
}
