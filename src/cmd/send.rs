//! `twimon send`: POST delivery files to a listener and say what each got back.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;

use crate::text::safe;

/// The JSON files under `paths` (folders walked recursively), each folder's files in name order.
pub fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        collect_into(p, &mut out)?;
    }
    Ok(out)
}

fn collect_into(path: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let meta =
        std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
    if !meta.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .with_context(|| format!("cannot list {}", path.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for e in entries {
        if e.is_dir() || e.extension().is_some_and(|x| x == "json") {
            collect_into(&e, out)?;
        }
    }
    Ok(())
}

/// What one POST got back.
#[derive(Debug)]
pub struct Outcome {
    pub status: u16,
    pub body: String,
}

/// POSTs one delivery body as JSON.
pub async fn post(client: &reqwest::Client, url: &str, body: Vec<u8>) -> anyhow::Result<Outcome> {
    let resp = client
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await
        .with_context(|| format!("cannot reach {}", safe::line(url)))?;
    let status = resp.status().as_u16();
    let body = resp
        .text()
        .await
        .with_context(|| format!("the answer from {} broke off", safe::line(url)))?;
    Ok(Outcome { status, body })
}

/// A client that gives up: on connecting after `connect`, on a whole exchange after `total`
/// (a listener that accepts and never answers must not hold anyone forever).
pub fn client(connect: Duration, total: Duration) -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .connect_timeout(connect)
        .timeout(total)
        .build()
        .context("cannot set up the HTTP client")
}

/// Runs `twimon send`; fails when any file could not be read or delivered with a 2xx, and
/// when there was nothing to send. Everything printed (file names, answers, errors) is made
/// terminal-safe: the answer is the listener's text, which may be anyone's.
pub async fn run(args: &crate::cli::SendArgs) -> anyhow::Result<()> {
    let files = collect(&args.paths)?;
    if files.is_empty() {
        let given: Vec<String> = args
            .paths
            .iter()
            .map(|p| safe::line(&p.display().to_string()).into_owned())
            .collect();
        anyhow::bail!(
            "nothing to send: no .json delivery files in {}",
            given.join(", ")
        );
    }
    let client = client(args.connect_timeout, args.timeout)?;
    let mut failed = 0usize;
    for f in &files {
        let name = f.display().to_string();
        let name = safe::line(&name);
        let body = std::fs::read(f).with_context(|| format!("cannot read {name}"))?;
        match post(&client, &args.to, body).await {
            Ok(o) => {
                if !(200..300).contains(&o.status) {
                    failed += 1;
                }
                println!("{name}  {}  {}", o.status, safe::line(o.body.trim()));
            }
            Err(e) => {
                failed += 1;
                println!("{name}  error  {}", safe::line(&format!("{e:#}")));
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} deliveries failed", files.len());
    }
    Ok(())
}
