//! `twimon send`: POST delivery files to a listener and say what each got back.

use std::path::{Path, PathBuf};

use anyhow::Context;

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
        .with_context(|| format!("cannot reach {url}"))?;
    let status = resp.status().as_u16();
    let body = resp.text().await.unwrap_or_default();
    Ok(Outcome { status, body })
}

/// Runs `twimon send`; fails when any file could not be read or delivered with a 2xx.
pub async fn run(args: &crate::cli::SendArgs) -> anyhow::Result<()> {
    let files = collect(&args.paths)?;
    let client = reqwest::Client::new();
    let mut failed = 0usize;
    for f in &files {
        let body = std::fs::read(f).with_context(|| format!("cannot read {}", f.display()))?;
        match post(&client, &args.to, body).await {
            Ok(o) if (200..300).contains(&o.status) => {
                println!("{}  {}  {}", f.display(), o.status, o.body.trim());
            }
            Ok(o) => {
                failed += 1;
                println!(
                    "{}  {}  {}",
                    f.display(),
                    o.status,
                    crate::text::safe::line(o.body.trim())
                );
            }
            Err(e) => {
                failed += 1;
                println!("{}  error  {e:#}", f.display());
            }
        }
    }
    if failed > 0 {
        anyhow::bail!("{failed} of {} deliveries failed", files.len());
    }
    Ok(())
}
