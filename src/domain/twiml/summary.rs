//! The answer's verbs on one line: `Say → Gather(action=/menu) → Redirect(/voice)`.

use super::{Decoded, Node};

/// Values shown in [`Decoded::verbs_summary`] are cut to this many chars.
pub(super) const SUMMARY_VALUE_MAX: usize = 24;

impl Decoded {
    /// The root's children (the `TwiML` verbs) on one line, e.g.
    /// `Say → Gather(action=/menu) → Redirect(/voice)`. Empty when the body is not XML.
    pub fn verbs_summary(&self) -> String {
        let Some(root) = &self.doc else {
            return String::new();
        };
        let mut out = String::new();
        for (i, verb) in root.children.iter().enumerate() {
            if i > 0 {
                out.push_str(" → ");
            }
            out.push_str(&verb.name);
            push_verb_detail(&mut out, verb);
        }
        out
    }
}

fn push_verb_detail(out: &mut String, verb: &Node) {
    let start = out.len();
    out.push('(');
    let wrote = match verb.name.as_str() {
        "Dial" => push_dial_target(out, verb),
        "Gather" | "Record" | "Pay" => push_attr(out, verb, "action"),
        "Enqueue" => push_attr(out, verb, "action") || push_short(out, &verb.text),
        "Redirect" => push_short(out, &verb.text),
        "Play" => push_short(out, &verb.text) || push_attr(out, verb, "digits"),
        "Connect" => verb
            .children
            .first()
            .is_some_and(|c| push_short(out, &c.name)),
        _ => false,
    };
    if wrote {
        out.push(')');
    } else {
        out.truncate(start);
    }
}

/// Whom is dialled says more than where the result goes, so nouns win over `action`.
fn push_dial_target(out: &mut String, dial: &Node) -> bool {
    if let Some(noun) = dial.children.first() {
        // <Client> may carry its identity in a nested <Identity>.
        let value = if noun.text.is_empty() {
            noun.children.first().map_or("", |c| c.text.as_str())
        } else {
            noun.text.as_str()
        };
        if noun.name != "Number" || value.is_empty() {
            out.push_str(&noun.name);
            if !value.is_empty() {
                out.push(':');
            }
        }
        push_short(out, value);
        if dial.children.len() > 1 {
            out.push_str(", …");
        }
        return true;
    }
    push_short(out, &dial.text) || push_attr(out, dial, "action")
}

fn push_attr(out: &mut String, node: &Node, name: &str) -> bool {
    match node.attr(name) {
        Some(value) if !value.is_empty() => {
            out.push_str(name);
            out.push('=');
            push_short(out, value)
        }
        _ => false,
    }
}

/// Appends `value`, cut to [`SUMMARY_VALUE_MAX`] chars with `…`; false when it is empty.
fn push_short(out: &mut String, value: &str) -> bool {
    match value.char_indices().nth(SUMMARY_VALUE_MAX) {
        Some(_) => {
            let keep = value
                .char_indices()
                .nth(SUMMARY_VALUE_MAX - 1)
                .map_or(value.len(), |(i, _)| i);
            out.push_str(value.get(..keep).unwrap_or(value));
            out.push('…');
        }
        None => out.push_str(value),
    }
    !value.is_empty()
}
