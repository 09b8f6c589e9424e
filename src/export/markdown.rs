//! The incident record as markdown. Text is made terminal-safe: the output may well be
//! printed to a terminal.

use std::fmt::Write as _;

use super::{LegRecord, Record, StepRecord};
use crate::text::safe;

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
    crate::text::format::offset_text(ms)
}

fn duration(ms: i64) -> String {
    crate::text::format::offset_text(ms)
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
        response.push(crate::text::format::duration_text(d));
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
    if !s.error_codes.is_empty() {
        writeln!(out, "\nTwilio would log (inferred):\n")?;
        for c in &s.error_codes {
            writeln!(
                out,
                "- **{}** [{}]({}) {}: {}",
                c.level.as_str(),
                c.code,
                c.url,
                plain(c.meaning),
                plain(&c.why)
            )?;
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_text_stays_inert_in_markdown() {
        assert_eq!(code("a`b|c"), "``a`b\\|c``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("\x1b]0;t\x07"), "`␛]0;t␇`");
        assert_eq!(plain("<b>*x*</b>"), "\\<b\\>\\*x\\*\\</b\\>");
    }
}
