//! The transcript of a simulated call (`twimon call --headless`): one line per entry, as
//! text for a person or as NDJSON (`{"entry":"say","text":…}`) for a CI log.

use std::borrow::Cow;
use std::fmt::Write as _;

use crate::domain::call::transcript::times_text;
use crate::domain::event::KEY_PARAMETERS;
use crate::source::call::Entry;
use crate::text::{mask, safe};

use super::format::{Format, Options};

/// Parameters shown on a request line: the ones that tell the story, not the call's identity.
const SHOWN: [&str; 4] = [
    "FinishedOnKey",
    "DialCallDuration",
    "QueueTime",
    "Confidence",
];

/// One transcript line (no newline).
pub fn line(entry: &Entry, format: Format, opts: Options) -> String {
    let line = match format {
        Format::Json => {
            let mut v = serde_json::to_value(entry).unwrap_or_default();
            if opts.mask {
                mask::json(&mut v);
            }
            return v.to_string();
        }
        Format::Text => text(entry),
    };
    if opts.mask {
        mask::text(&line).into_owned()
    } else {
        line
    }
}

fn text(entry: &Entry) -> String {
    match entry {
        Entry::Request {
            kind,
            method,
            url,
            params,
            ..
        } => {
            let mut out = format!("→ {method} {}  ({kind})", safe::line(url));
            for (k, v) in params {
                let story =
                    KEY_PARAMETERS[..6].contains(&k.as_str()) || SHOWN.contains(&k.as_str());
                if story {
                    let v = v
                        .as_str()
                        .map_or_else(|| Cow::Owned(v.to_string()), Cow::Borrowed);
                    let _ = write!(out, "  {k}={}", safe::line(&v));
                }
            }
            out
        }
        Entry::Response {
            status,
            content_type,
            ms,
            verbs,
        } => {
            let ct = content_type.as_deref().unwrap_or("no content type");
            let mut out = format!("← {status} {} {ms} ms", safe::line(ct));
            if !verbs.is_empty() {
                let _ = write!(out, ": {}", safe::line(verbs));
            }
            out
        }
        Entry::Say {
            text,
            voice,
            language,
            times,
        } => {
            let mut out = format!("  says {:?}", safe::line(text));
            let detail: Vec<String> = [
                voice.as_ref().map(|v| format!("voice {}", safe::line(v))),
                language
                    .as_ref()
                    .map(|l| format!("language {}", safe::line(l))),
                times_text(*times),
            ]
            .into_iter()
            .flatten()
            .collect();
            if !detail.is_empty() {
                let _ = write!(out, " ({})", detail.join(", "));
            }
            out
        }
        Entry::Play { url, digits, times } => match digits {
            Some(d) => format!("  plays tones {}", safe::line(d)),
            None => match times_text(*times) {
                Some(t) => format!("  plays {} ({t})", safe::line(url)),
                None => format!("  plays {}", safe::line(url)),
            },
        },
        Entry::Pause { seconds } => format!("  … {seconds} s of silence"),
        Entry::Prompt { verb, detail } => format!("  ? <{verb}> {}", safe::line(detail)),
        Entry::Waiting(w) => {
            let mut out = format!(
                "  ? <{}> waits on the caller panel: {}",
                w.verb,
                safe::line(&w.detail)
            );
            if let Some(left) = w.left {
                let _ = write!(out, ", {left} s left");
            }
            if !w.pressed.is_empty() {
                let _ = write!(out, ", pressed {}", safe::line(&w.pressed));
            }
            out
        }
        Entry::Reply { step, reply } => match step {
            Some(s) => format!("  ☎ {}: {}", safe::line(s), safe::line(reply)),
            None => format!("  ☎ (no step) {}", safe::line(reply)),
        },
        Entry::Unsupported { verb, ends: true } => {
            format!(
                "  ! <{}> is not simulated: the call ends here",
                safe::line(verb)
            )
        }
        Entry::Unsupported { verb, ends: false } => {
            format!("  ! <{}> is not simulated: skipped", safe::line(verb))
        }
        Entry::Note { text } => format!("  · {}", safe::line(text)),
        Entry::Finding {
            severity,
            code,
            message,
            path,
        } => format!(
            "  {severity} {code} at {}: {}",
            safe::line(path),
            safe::line(message)
        ),
        Entry::Failed { code, message } => match code {
            Some(c) => format!("✗ Twilio would log {c}: {}", safe::line(message)),
            None => format!("✗ {}", safe::line(message)),
        },
        Entry::End {
            description,
            seconds,
            ..
        } => format!(
            "■ call ended: {} after {seconds} s",
            safe::line(description)
        ),
        Entry::StatusCallback {
            event,
            call_status,
            url,
            status,
            error,
        } => {
            let status = status.map_or_else(|| "-".to_owned(), |s| s.to_string());
            let mut out = format!(
                "→ status callback {event} (CallStatus={}) {}  {status}",
                safe::line(call_status),
                safe::line(url)
            );
            if let Some(e) = error {
                let _ = write!(out, "  {}", safe::line(e));
            }
            out
        }
        Entry::Path { line } => format!("path: {}", safe::line(line)),
        Entry::Problem { step, message } => {
            format!("FAILED {}: {}", safe::line(step), safe::line(message))
        }
    }
}
