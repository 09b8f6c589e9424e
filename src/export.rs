//! Incident records: one call written out whole — summary, IVR path, and every step with its
//! request, parameters, decoded TwiML and TwiML check findings — as markdown (for an incident
//! document or a ticket) or as one JSON object. `twimon export RECORDING --call CA…` reads a
//! recording; `x` in the monitor writes the call in view to a file.
//!
//! One [`Record`] is built per export, masked if asked; the markdown is rendered from it and
//! the JSON is it, so both always say the same. Markdown text is made terminal-safe
//! ([`crate::safe`]): the output may well be printed to a terminal.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::app::legs::{self, Leg, Links, Seen};
use crate::cli::{ExportArgs, ExportFormat};
use crate::domain::delivery::key_eq;
use crate::domain::event::KEY_PARAMETERS;
use crate::domain::flow::{self, Step};
use crate::domain::twiml::{self, Decoded};
use crate::domain::{CallSid, Event, EventKind, lint};
use crate::safe;

/// How a call is exported.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Mask phone numbers, speech, caller names and recording URLs; SIDs stay.
    pub mask: bool,
}

/// A call as an incident record.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub call_sid: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The first and last event times (RFC 3339, UTC).
    pub first: Option<String>,
    pub last: Option<String>,
    pub duration_ms: i64,
    pub events: usize,
    /// How the call ended: `hung up`, `dial busy`, `request failed (502)`…
    pub ended: Option<String>,
    /// The IVR path: `/voice → Gather → 1 → /menu → …`.
    pub path: String,
    /// The call's legs (its `<Dial>` parent and children); empty when it has none.
    pub legs: Vec<LegRecord>,
    pub masked: bool,
    pub steps: Vec<StepRecord>,
}

/// One leg of the call.
#[derive(Debug, Clone, Serialize)]
pub struct LegRecord {
    pub call_sid: String,
    /// `parent` (the call that dialed) or `dialed`.
    pub role: &'static str,
    /// The exported call itself.
    pub this: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Its events (retained in the monitor, or in the recording); 0 = not seen.
    pub events: usize,
}

/// One event of the call.
#[derive(Debug, Clone, Serialize)]
pub struct StepRecord {
    /// 1, 2, 3… in time order.
    pub n: usize,
    pub time: String,
    /// Since the call's first event.
    pub offset_ms: i64,
    pub kind: &'static str,
    #[serde(rename = "type")]
    pub type_name: String,
    pub id: String,
    pub method: Option<String>,
    pub url: Option<String>,
    pub response_code: Option<u16>,
    pub duration_ms: Option<u32>,
    pub content_type: Option<String>,
    /// The parameters that tell the story (`Digits`, `DialCallStatus`…).
    pub key_parameters: Map<String, Value>,
    /// Every request parameter.
    pub parameters: Map<String, Value>,
    /// The answer's verbs on one line: `Say → Gather(action=/menu)`.
    pub verbs: String,
    /// The decoded TwiML, pretty-printed.
    pub twiml: Option<String>,
    /// Why the body is not TwiML (bad base64, not XML…).
    pub twiml_error: Option<String>,
    pub lint: Vec<lint::Finding>,
    /// Delivered after an event that happened later.
    pub late: bool,
    /// The request one of this answer's verbs should have caused never came.
    pub no_reply: bool,
    pub invalid: Option<String>,
}

/// Parameters shown beside each step, besides [`KEY_PARAMETERS`]' first seven.
const LINK_PARAMETERS: [&str; 2] = ["DialCallSid", "ParentCallSid"];

/// How a call ended, from its last event and that event's answer's verbs.
pub fn ending(last: &Event, verbs: &str) -> String {
    if last.kind == EventKind::RequestFailed {
        return match last.response_code {
            Some(c) => format!("request failed ({c})"),
            None => "request failed".to_owned(),
        };
    }
    if let Some(status) = last
        .parameter("DialCallStatus")
        .filter(|_| last.kind == EventKind::DialFinished)
    {
        return format!("dial {status}");
    }
    if verbs.contains("Hangup") {
        "hung up".to_owned()
    } else if verbs.contains("Reject") {
        "rejected".to_owned()
    } else {
        format!("last step {}", last.kind.short())
    }
}

/// A path line masked: numbers masked, and what the caller said (the path quotes a
/// `SpeechResult`) hidden.
pub fn mask_path(line: &str) -> String {
    crate::mask::text(line)
        .split('"')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "«speech»" } else { part })
        .collect()
}

/// Decoded TwiML as text: the pretty-printed lines when it parsed, else its text lines.
pub fn pretty(d: &Decoded) -> String {
    if d.lines.is_empty() {
        return d.text.clone();
    }
    d.lines
        .iter()
        .map(twiml::Line::plain)
        .collect::<Vec<_>>()
        .join("\n")
}

fn rfc3339(t: jiff::Timestamp) -> String {
    t.strftime("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

fn millis(d: jiff::SignedDuration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}

/// The record of call `sid` from its events in time order and its legs.
pub fn build(sid: &CallSid, steps: &[&Event], legs: &[Leg], opts: Options) -> Record {
    let m = Masker(opts.mask);
    let decoded: Vec<Option<Decoded>> = steps
        .iter()
        .map(|e| {
            e.response_body()
                .filter(|b| !b.trim().is_empty())
                .map(|b| twiml::decode(&b))
        })
        .collect();
    let flow_steps: Vec<Step<'_>> = steps
        .iter()
        .zip(&decoded)
        .map(|(event, d)| Step {
            event,
            decoded: d.as_ref(),
        })
        .collect();
    let path = flow::path(&flow_steps);
    let late = crate::ui::late_steps(steps);
    let first = steps.first().map(|e| e.time);
    let last = steps.last();
    let param = |name: &str| steps.iter().find_map(|e| e.parameter(name));
    let verbs_of = |d: &Option<Decoded>| d.as_ref().map(Decoded::verbs_summary);
    Record {
        call_sid: sid.as_str().to_owned(),
        from: param("From").map(|v| m.param("From", &v)),
        to: param("To").map(|v| m.param("To", &v)),
        first: first.map(rfc3339),
        last: last.map(|e| rfc3339(e.time)),
        duration_ms: match (first, last) {
            (Some(f), Some(l)) => millis(l.time.duration_since(f)),
            _ => 0,
        },
        events: steps.len(),
        ended: last.map(|e| {
            let verbs = decoded.last().and_then(verbs_of).unwrap_or_default();
            m.text(&ending(e, &verbs))
        }),
        path: if opts.mask {
            mask_path(&path.line)
        } else {
            path.line.clone()
        },
        legs: legs
            .iter()
            .map(|l| LegRecord {
                call_sid: l.sid.as_str().to_owned(),
                role: if l.parent { "parent" } else { "dialed" },
                this: l.sid == *sid,
                from: l.from.as_deref().map(|v| m.param("From", v)),
                to: l.to.as_deref().map(|v| m.param("To", v)),
                events: l.events,
            })
            .collect(),
        masked: opts.mask,
        steps: steps
            .iter()
            .zip(&decoded)
            .zip(&late)
            .enumerate()
            .map(|(i, ((ev, d), late))| StepRecord {
                n: i + 1,
                time: rfc3339(ev.time),
                offset_ms: first.map_or(0, |f| millis(ev.time.duration_since(f))),
                kind: ev.kind.short(),
                type_name: ev.type_name().to_owned(),
                id: ev.id().to_owned(),
                method: Some(ev.method().to_owned()).filter(|s| !s.is_empty()),
                url: Some(ev.url()).filter(|s| !s.is_empty()).map(|u| m.text(u)),
                response_code: ev.response_code,
                duration_ms: ev.duration_ms,
                content_type: ev.content_type(),
                key_parameters: key_parameters(ev, m),
                parameters: ev
                    .parameters()
                    .into_iter()
                    .map(|(k, v)| {
                        let v = m.param(&k, &v);
                        (k, Value::String(v))
                    })
                    .collect(),
                verbs: m.text(&verbs_of(d).unwrap_or_default()),
                twiml: d
                    .as_ref()
                    .filter(|d| d.base64_error.is_none())
                    .map(|d| m.text(&pretty(d))),
                twiml_error: d.as_ref().and_then(Decoded::problem).map(|p| m.text(&p)),
                lint: d
                    .as_ref()
                    .filter(|d| d.is_twiml())
                    .map(|d| {
                        lint::check(d)
                            .into_iter()
                            .map(|f| lint::Finding {
                                message: m.text(&f.message),
                                ..f
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                late: *late,
                no_reply: path.missing.contains(&i),
                invalid: ev.invalid.as_deref().map(|r| m.text(r)),
            })
            .collect(),
    }
}

fn key_parameters(ev: &Event, m: Masker) -> Map<String, Value> {
    let params = ev.parameters();
    KEY_PARAMETERS[..7]
        .iter()
        .chain(&LINK_PARAMETERS)
        .filter_map(|name| {
            params
                .iter()
                .find(|(k, v)| key_eq(k, name) && !v.is_empty())
                .map(|(k, v)| (k.clone(), Value::String(m.param(k, v))))
        })
        .collect()
}

/// Masks when on.
#[derive(Clone, Copy)]
struct Masker(bool);

impl Masker {
    fn text(self, s: &str) -> String {
        if self.0 {
            crate::mask::text(s).into_owned()
        } else {
            s.to_owned()
        }
    }

    fn param(self, name: &str, value: &str) -> String {
        if self.0 {
            crate::mask::param(name, value).into_owned()
        } else {
            value.to_owned()
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// `text` as an inline code span: terminal-safe, on one line, fenced with more backticks than
/// it holds, and with `|` escaped so it can sit in a table.
fn code(text: &str) -> String {
    if text.is_empty() {
        return "_(empty)_".to_owned();
    }
    let text = safe::line(text).replace('|', "\\|");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

/// Plain markdown text on one line: terminal-safe, with markdown's active characters escaped.
fn plain(text: &str) -> String {
    let mut out = String::new();
    for c in safe::line(text).chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The time of day of an RFC 3339 time, `14:03:07.515`.
fn clock(rfc3339: &str) -> &str {
    rfc3339
        .split_once('T')
        .map_or(rfc3339, |(_, t)| t.trim_end_matches('Z'))
}

fn offset(ms: i64) -> String {
    crate::ui::offset_text(ms)
}

fn duration(ms: i64) -> String {
    crate::ui::offset_text(ms)
        .trim_start_matches('+')
        .to_owned()
}

/// The record as markdown.
pub fn markdown(r: &Record) -> String {
    let mut out = String::new();
    let _ = write_markdown(&mut out, r);
    out
}

fn write_markdown(out: &mut String, r: &Record) -> std::fmt::Result {
    writeln!(out, "# Call {}\n", code(&r.call_sid))?;
    if r.from.is_some() || r.to.is_some() {
        writeln!(
            out,
            "- **From → To:** {} → {}",
            code(r.from.as_deref().unwrap_or("?")),
            code(r.to.as_deref().unwrap_or("?"))
        )?;
    }
    if let (Some(first), Some(last)) = (&r.first, &r.last) {
        let (day, _) = first.split_once('T').unwrap_or((first, ""));
        writeln!(
            out,
            "- **Time:** {day} {} – {} UTC ({})",
            clock(first),
            clock(last),
            duration(r.duration_ms)
        )?;
    }
    writeln!(out, "- **Events:** {}", r.events)?;
    if let Some(ended) = &r.ended {
        writeln!(out, "- **Ended:** {}", plain(ended))?;
    }
    if !r.legs.is_empty() {
        let legs: Vec<String> = r.legs.iter().map(leg_markdown).collect();
        writeln!(out, "- **Legs:** {}", legs.join(" · "))?;
    }
    if !r.path.is_empty() {
        writeln!(out, "- **IVR path:** {}", code(&r.path))?;
    }
    if r.masked {
        writeln!(
            out,
            "- **Masked:** phone numbers, speech, caller names and recording URLs"
        )?;
    }
    writeln!(out, "\n## Steps")?;
    for s in &r.steps {
        write_step(out, s)?;
    }
    writeln!(
        out,
        "\n---\n_Exported by twimon {} from the call's events._",
        env!("CARGO_PKG_VERSION")
    )
}

fn leg_markdown(l: &LegRecord) -> String {
    let mut s = format!("{} {}", l.role, code(&l.call_sid));
    let mut notes = Vec::new();
    if l.this {
        notes.push("this call".to_owned());
    }
    if !l.this && (l.from.is_some() || l.to.is_some()) {
        notes.push(format!(
            "{} → {}",
            code(l.from.as_deref().unwrap_or("?")),
            code(l.to.as_deref().unwrap_or("?"))
        ));
    }
    notes.push(match l.events {
        0 => "not seen".to_owned(),
        1 => "1 event".to_owned(),
        n => format!("{n} events"),
    });
    let _ = write!(s, " ({})", notes.join(", "));
    s
}

fn write_step(out: &mut String, s: &StepRecord) -> std::fmt::Result {
    let mut marks = String::new();
    if s.late {
        marks.push_str(" · late");
    }
    if s.no_reply {
        marks.push_str(" · ⚠ no reply");
    }
    writeln!(
        out,
        "\n### {}. {} · {}{marks}\n",
        s.n,
        offset(s.offset_ms),
        s.kind
    )?;
    writeln!(out, "- **Time:** {} UTC", clock(&s.time))?;
    if let Some(reason) = &s.invalid {
        writeln!(out, "- **Invalid:** {}", plain(reason))?;
    }
    if let Some(url) = &s.url {
        let request = match &s.method {
            Some(m) => format!("{m} {url}"),
            None => url.clone(),
        };
        writeln!(out, "- **Request:** {}", code(&request))?;
    }
    let mut response = Vec::new();
    if let Some(c) = s.response_code {
        response.push(format!("**{c}**"));
    }
    if let Some(d) = s.duration_ms {
        response.push(crate::ui::duration_text(d));
    }
    if let Some(ct) = &s.content_type {
        response.push(plain(ct));
    }
    if !response.is_empty() {
        writeln!(out, "- **Response:** {}", response.join(" · "))?;
    }
    if !s.key_parameters.is_empty() {
        let shown: Vec<String> = s
            .key_parameters
            .iter()
            .map(|(k, v)| code(&format!("{k}={}", v.as_str().unwrap_or_default())))
            .collect();
        writeln!(out, "- **Parameters:** {}", shown.join(" "))?;
    }
    if !s.parameters.is_empty() {
        writeln!(
            out,
            "\n<details><summary>All {} parameters</summary>\n\n| Parameter | Value |\n|---|---|",
            s.parameters.len()
        )?;
        for (k, v) in &s.parameters {
            writeln!(
                out,
                "| {} | {} |",
                code(k),
                code(v.as_str().unwrap_or_default())
            )?;
        }
        writeln!(out, "\n</details>")?;
    }
    if let Some(problem) = &s.twiml_error {
        writeln!(out, "\n**Not TwiML:** {}", plain(problem))?;
    }
    if let Some(twiml) = &s.twiml {
        let twiml = safe::text(twiml);
        let longest = twiml.split(|c| c != '`').map(str::len).max().unwrap_or(0);
        let fence = "`".repeat(longest.max(2) + 1);
        let lang = if s.twiml_error.is_none() { "xml" } else { "" };
        writeln!(out, "\n{fence}{lang}\n{}\n{fence}", twiml.trim_end())?;
    }
    if !s.lint.is_empty() {
        writeln!(out, "\nTwiML checks:\n")?;
        for f in &s.lint {
            let at = if f.path.is_empty() {
                String::new()
            } else {
                format!(" at {}", code(&f.path))
            };
            writeln!(
                out,
                "- **{}** {}{at}: {}",
                f.severity.as_str(),
                code(f.code),
                plain(&f.message)
            )?;
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Files

/// `twimon-CA…-20261128T140307Z.md`: the SID reduced to letters and digits (it comes from the
/// network and names a file).
pub fn file_name(sid: &CallSid, now: jiff::Timestamp) -> String {
    let sid: String = sid
        .as_str()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    let sid = if sid.is_empty() { "call".into() } else { sid };
    format!("twimon-{sid}-{}.md", now.strftime("%Y%m%dT%H%M%SZ"))
}

/// Writes `bytes` to a new file `name` in `dir` (`name-2.md`, `-3`… when it exists); never
/// overwrites. Returns the path written.
pub fn write_new(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<PathBuf> {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    for n in 1..100 {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{stem}-{n}.{ext}")
        };
        let path = dir.join(candidate);
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
        {
            Ok(mut f) => {
                f.write_all(bytes)?;
                return Ok(path);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        format!("{} exists, and 98 more like it", dir.join(name).display()),
    ))
}

// ---------------------------------------------------------------------------------------------
// From a recording

/// One call of a recording, and what the recording says of the other calls.
#[derive(Debug, Default)]
pub struct Loaded {
    /// The call's events, in time order (arrival breaks ties), numbered in arrival order.
    pub events: Vec<Event>,
    /// Every call of the recording in order of first appearance.
    pub calls: Vec<CallSid>,
    /// Events per call, and `From`/`To` of calls that take part in a `<Dial>`.
    seen: HashMap<CallSid, Seen>,
    /// The links of every call (`ParentCallSid` seen from both sides).
    links: HashMap<CallSid, Links>,
    /// Events of the recording that are unusable and name no call (unreadable lines…).
    pub unreadable: usize,
}

impl Loaded {
    /// The call's legs, from the whole recording.
    pub fn legs(&self, sid: &CallSid) -> Vec<Leg> {
        legs::assemble(
            sid,
            |s| self.links.get(s).cloned().unwrap_or_default(),
            |s| {
                if s == sid {
                    legs::seen(&self.events)
                } else {
                    self.seen.get(s).cloned().unwrap_or_default()
                }
            },
        )
    }
}

/// Reads a recording through [`crate::run::start_replay`] — parsed and deduplicated exactly
/// as `twimon replay` shows it — keeping the events of call `sid` (every call is counted).
pub async fn load(path: &Path, sid: &CallSid) -> anyhow::Result<Loaded> {
    let mut feed = crate::run::start_replay(path, crate::store::DEFAULT_MAX_EVENTS)?;
    let mut out = Loaded::default();
    let mut seq = 0u64;
    while let Some(delivery) = feed.rx.recv().await {
        for mut ev in delivery.events {
            ev.seq = seq;
            seq += 1;
            if ev.call_sid.is_none() && ev.invalid.is_some() {
                out.unreadable += 1;
            }
            out.note(&ev);
            if ev.call_sid.as_ref() == Some(sid) {
                out.events.push(ev);
            }
        }
    }
    feed.stop().await?;
    out.events.sort_by_key(|e| (e.time, e.seq));
    Ok(out)
}

impl Loaded {
    fn note(&mut self, ev: &Event) {
        let Some(call) = &ev.call_sid else { return };
        if !self.seen.contains_key(call) {
            self.calls.push(call.clone());
        }
        let seen = self.seen.entry(call.clone()).or_default();
        seen.events += 1;
        if !legs::may_link(ev) {
            return;
        }
        let more = legs::seen([ev]);
        seen.from = seen.from.take().or(more.from);
        seen.to = seen.to.take().or(more.to);
        let found = legs::links([ev], call);
        let own = self.links.entry(call.clone()).or_default();
        if own.parent.is_none() {
            own.parent.clone_from(&found.parent);
        }
        for child in found.children {
            if !own.children.contains(&child) && own.children.len() < legs::MAX_LEGS {
                own.children.push(child);
            }
        }
        if let Some(parent) = found.parent {
            let theirs = self.links.entry(parent).or_default();
            if !theirs.children.contains(call) && theirs.children.len() < legs::MAX_LEGS {
                theirs.children.push(call.clone());
            }
        }
    }
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
    let steps: Vec<&Event> = loaded.events.iter().collect();
    let record = build(
        &sid,
        &steps,
        &loaded.legs(&sid),
        Options { mask: args.mask },
    );
    let text = match args.format {
        ExportFormat::Markdown => markdown(&record),
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

    use super::*;
    use crate::ingest::record::{Record as Recorded, Recorder};

    const IVR: &str = include_str!("../assets/samples/flows/ivr-sales-call.json");
    const FAILED: &str = include_str!("../assets/samples/flows/failed-call.json");
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
        };
        let err = run(&args).await.unwrap_err().to_string();
        assert!(err.contains("no call CA0000"), "{err}");
        assert!(err.contains("it has 2 calls"), "{err}");
        assert!(err.contains(IVR_SID), "{err}");
        let _ = std::fs::remove_dir_all(path.parent().unwrap());
    }

    #[test]
    fn hostile_text_stays_inert_in_markdown() {
        assert_eq!(code("a`b|c"), "``a`b\\|c``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("\x1b]0;t\x07"), "`␛]0;t␇`");
        assert_eq!(plain("<b>*x*</b>"), "\\<b\\>\\*x\\*\\</b\\>");
    }

    #[test]
    fn file_names_are_safe_and_never_overwrite() {
        let now: jiff::Timestamp = "2026-11-28T14:03:07.515Z".parse().unwrap();
        assert_eq!(
            file_name(&CallSid(IVR_SID.into()), now),
            "twimon-CA866a9ca9f30dd8f84f9984ce99a9ca31-20261128T140307Z.md"
        );
        assert_eq!(
            file_name(&CallSid("../../etc/x".into()), now),
            "twimon-etcx-20261128T140307Z.md"
        );
        let dir = std::env::temp_dir().join(format!("twimon-export-{}-files", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let a = write_new(&dir, "t.md", b"one").unwrap();
        let b = write_new(&dir, "t.md", b"two").unwrap();
        assert_eq!(a, dir.join("t.md"));
        assert_eq!(b, dir.join("t-2.md"));
        assert_eq!(std::fs::read_to_string(a).unwrap(), "one");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
