//! Evaluation over an event's parsed fields. The parameters are walked in the raw JSON without
//! building strings ([`crate::domain::params`]); the decoded TwiML is read at most once per
//! event however many terms ask for it.

use std::cell::OnceCell;
use std::fmt::Write as _;
use std::rc::Rc;

use super::{Expr, Is, NumTest, Pattern, Term, ValueTest};
use crate::domain::check::Checked;
use crate::domain::event::key_eq;
use crate::domain::params;
use crate::domain::{Event, EventKind};

/// One event being tested, with what its terms decoded so far.
pub(super) struct Ctx<'a> {
    ev: &'a Event,
    twiml: OnceCell<Option<Rc<Checked>>>,
}

impl<'a> Ctx<'a> {
    pub(super) fn new(ev: &'a Event) -> Self {
        Ctx {
            ev,
            twiml: OnceCell::new(),
        }
    }

    pub(super) fn eval(&self, expr: &Expr) -> bool {
        match expr {
            Expr::Or(xs) => xs.iter().any(|x| self.eval(x)),
            Expr::And(xs) => xs.iter().all(|x| self.eval(x)),
            Expr::Not(x) => !self.eval(x),
            Expr::Term(t) => self.term(t),
        }
    }

    /// Whether a parameter passes `test` (name, value as shown).
    fn any_param(&self, test: impl FnMut(&str, &str) -> bool) -> bool {
        self.ev
            .parameters_raw()
            .is_some_and(|raw| params::some_passes(raw, test))
    }

    fn twiml(&self) -> Option<&Checked> {
        self.twiml
            .get_or_init(|| crate::domain::check::of_event(self.ev))
            .as_deref()
    }

    fn term(&self, t: &Term) -> bool {
        let ev = self.ev;
        match t {
            Term::Text(needle) => self.text(needle),
            Term::Type { text, exact } => {
                kind_name_matches(ev.kind, text, *exact)
                    || (matches!(ev.kind, EventKind::Other | EventKind::Invalid)
                        && text_matches(ev.type_name(), text, *exact))
            }
            Term::Call { pattern, exact } => ev
                .call_sid
                .as_ref()
                .is_some_and(|c| sid_passes(pattern, *exact, c.as_str())),
            Term::Url { text, exact } => {
                if *exact {
                    ev.url().eq_ignore_ascii_case(text) || path(ev.url()).eq_ignore_ascii_case(text)
                } else {
                    contains_ci(ev.url(), text)
                }
            }
            Term::Method(m) => ev.method().eq_ignore_ascii_case(m),
            Term::Param { name, test } => {
                self.any_param(|k, v| key_eq(k, name) && value_passes(v, test))
            }
            Term::Code(test) => ev
                .response_code
                .is_some_and(|c| num_passes(u32::from(c), *test)),
            Term::Ms(test) => ev.duration_ms.is_some_and(|d| num_passes(d, *test)),
            Term::Lint(mark) => ev.twiml == *mark,
            Term::Sig(sig) => ev.signature == *sig,
            Term::Is(Is::Problem) => crate::domain::check::is_problem(ev),
            Term::Is(Is::Invalid) => ev.invalid.is_some(),
        }
    }

    /// Free text: a substring (ASCII case ignored) of what the table, the timeline and the
    /// panes show of the event — its type, call SID, method and URL (and `METHOD /path` as
    /// the table writes it), response code, time (RFC 3339, so `14:03:07` and `2026-11-28`
    /// both match), id, source, content type, each parameter as `Name=Value`, the decoded
    /// TwiML and why an invalid event is invalid.
    fn text(&self, needle: &str) -> bool {
        let ev = self.ev;
        let hit = |s: &str| contains_ci(s, needle);
        // The event's JSON read end to end first: when it has no escape, its type, id,
        // source, method, URL and content type are pieces of it as written, so a needle it
        // lacks is in none of them. One pass over contiguous bytes costs less than touching
        // each field where it lies. The response body is left out: its base64 holds any
        // short needle somewhere, and what it shows is the decoded TwiML, searched below.
        let (before, after) = ev.part_ranges.response_body.around(&ev.raw);
        let escaped = |s: &str| memchr::memchr(b'\\', s.as_bytes()).is_some();
        let in_raw = hit(before) || hit(after) || escaped(before) || escaped(after);
        if hit(ev.kind.short())
            || ev.call_sid.as_ref().is_some_and(|c| hit(c.as_str()))
            || ev.invalid.as_deref().is_some_and(hit)
            || (in_raw
                && (hit(ev.type_name())
                    || hit(ev.method())
                    || hit(ev.url())
                    || hit(ev.id())
                    || hit(ev.source())
                    || ev.content_type_text().is_some_and(|t| hit(&t))))
        {
            return true;
        }
        // The joined and formatted forms below are built only when the needle could match
        // them and not their parts: a needle without a space is in `METHOD url` only if it
        // is in the method or the URL, a time or a code only holds digits and `-:.TZ`, and
        // `Name=Value` without `=` only if the name or the value has it.
        let mut buf = String::with_capacity(64);
        let mut hit_fmt = |args: std::fmt::Arguments<'_>| {
            buf.clear();
            let _ = buf.write_fmt(args);
            contains_ci(&buf, needle)
        };
        let spaced = needle.contains(' ');
        let digits = needle.bytes().all(|b| b.is_ascii_digit());
        let timelike = needle
            .bytes()
            .all(|b| b.is_ascii_digit() || b"-:.tz".contains(&b));
        if (spaced
            && (joined_holds(ev.method(), b' ', ev.url(), needle)
                || joined_holds(ev.method(), b' ', path(ev.url()), needle)))
            || (digits
                && ev
                    .response_code
                    .is_some_and(|c| hit_fmt(format_args!("{c}"))))
            || (timelike
                && hit_fmt(format_args!(
                    "{}",
                    ev.time.strftime("%Y-%m-%dT%H:%M:%S%.3fZ")
                )))
        {
            return true;
        }
        let joined = needle.contains('=');
        let in_params = self
            .ev
            .parameters_raw()
            .is_some_and(|raw| params::may_hold(raw, needle, contains_ci));
        if in_params
            && self.any_param(|k, v| {
                if joined {
                    joined_holds(k, b'=', v, needle)
                } else {
                    hit(k) || hit(v)
                }
            })
        {
            return true;
        }
        self.twiml()
            .is_some_and(|c| c.text_holds(needle, contains_ci))
    }
}

/// Whether a call SID passes a `call:` (or, `exact`, `call=`) term.
pub(super) fn sid_passes(pattern: &Pattern, exact: bool, sid: &str) -> bool {
    if exact {
        pattern
            .as_prefix()
            .is_some_and(|p| sid.eq_ignore_ascii_case(p))
    } else {
        pattern.matches(sid)
    }
}

/// Whether a kind's short name (`gather.finished`) or CloudEvent type names `text`.
pub(super) fn kind_name_matches(kind: EventKind, text: &str, exact: bool) -> bool {
    text_matches(kind.short(), text, exact)
        || kind
            .type_name()
            .is_some_and(|t| text_matches(t, text, exact))
}

fn text_matches(s: &str, text: &str, exact: bool) -> bool {
    if exact {
        s.eq_ignore_ascii_case(text)
    } else {
        contains_ci(s, text)
    }
}

/// The path (and query) of a URL, as the table's Request column shows it.
fn path(url: &str) -> &str {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    rest.find('/').map_or("", |i| &rest[i..])
}

fn value_passes(v: &str, test: &ValueTest) -> bool {
    match test {
        ValueTest::Present => true,
        ValueTest::Contains(s) => contains_ci(v, s),
        ValueTest::Equals(s) => v.eq_ignore_ascii_case(s) || v.to_lowercase() == *s,
        ValueTest::Compare(cmp, n) => v
            .trim()
            .parse::<f64>()
            .is_ok_and(|x| cmp.holds(x, n.value())),
        ValueTest::Like(p) => p.matches(v),
    }
}

fn num_passes(v: u32, test: NumTest) -> bool {
    match test {
        NumTest::Cmp(cmp, n) => cmp.holds(v, n),
        NumTest::Class(base) => (u32::from(base)..u32::from(base) + 100).contains(&v),
    }
}

/// Whether `needle` (lowercase) is in `a`, `sep`, `b` written one after the other (`POST
/// /voice`, `Digits=2`), ASCII case ignored, without writing them: in one of the parts, or
/// across the separator, which then stands for one of the needle's own.
pub(super) fn joined_holds(a: &str, sep: u8, b: &str, needle: &str) -> bool {
    let n = needle.as_bytes();
    contains_ci(a, needle)
        || contains_ci(b, needle)
        || memchr::memchr_iter(sep, n).any(|k| {
            let (before, after) = (&n[..k], &n[k + 1..]);
            a.len() >= before.len()
                && b.len() >= after.len()
                && a.as_bytes()[a.len() - before.len()..].eq_ignore_ascii_case(before)
                && b.as_bytes()[..after.len()].eq_ignore_ascii_case(after)
        })
}

/// ASCII-case-insensitive substring test without allocating; `needle` is lowercase.
pub fn contains_ci(haystack: &str, needle: &str) -> bool {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    if n.is_empty() {
        return true;
    }
    let Some(last_start) = h.len().checked_sub(n.len()) else {
        return false;
    };
    // The needle's rarest byte (in either case) is found a vector at a time; only there is
    // the whole needle compared. A common first byte (`n` of "no such text" in JSON full of
    // `n`) would stop the vector search at every turn.
    let k = rarest(n);
    let (lower, upper) = (n[k], n[k].to_ascii_uppercase());
    let at_start = |i: usize| {
        h[i..i + n.len()]
            .iter()
            .zip(n)
            .all(|(a, b)| a.to_ascii_lowercase() == *b)
    };
    let mut from = k;
    while let Some(at) = memchr::memchr2(lower, upper, &h[from..=last_start + k]) {
        let i = from + at;
        if at_start(i - k) {
            return true;
        }
        from = i + 1;
        if from > last_start + k {
            break;
        }
    }
    false
}

/// The index of the byte of `n` least often seen in the text searched (JSON, URLs, TwiML):
/// by [`RANK`], the first of equals.
fn rarest(n: &[u8]) -> usize {
    let mut best = 0;
    for (i, &b) in n.iter().enumerate().skip(1) {
        if RANK[usize::from(b)] < RANK[usize::from(n[best])] {
            best = i;
        }
    }
    best
}

/// How common a byte is in event JSON, lower = rarer: JSON's own punctuation and the most
/// frequent lowercase letters and digits highest, other ASCII letters and digits next, then
/// the rest of ASCII, anything outside ASCII lowest.
const RANK: [u8; 256] = {
    const COMMON: &[u8] = b"\"e:,ta oinsr/lcdhu0.1mp2-";
    let mut rank = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        rank[b] = if (b as u8).is_ascii_alphanumeric() {
            100
        } else {
            50
        };
        b += 1;
    }
    let mut i = 0;
    while i < COMMON.len() {
        rank[COMMON[i] as usize] = 255 - i as u8;
        i += 1;
    }
    rank
};
