//! The filter language of `/`, `--filter` and `twimon export --filter`: free text and field
//! terms (`type:gather`, `code>=500`, `Digits=2`, `call:CA…517366`), `!`, `and`, `or` and
//! parentheses. Terms read the event's parsed fields — what the screen shows — never its raw
//! bytes, so compact and pretty-printed JSON give the same answers.
//!
//! The reference (every field, operator and example) is the "Filter language" section of the
//! README; [`parse`] turns text into a [`Query`], [`Query::matches`] tests one event, and
//! [`Query::index_terms`] names the conjuncts the store's indexes can answer.

mod eval;
mod parse;

use crate::domain::{Event, EventKind, Signature, TwimlMark};

pub use eval::contains_ci;
pub use parse::ParseError;

/// A parsed filter expression, with the text it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    text: Box<str>,
    expr: Expr,
}

impl Query {
    /// Parses a filter expression; an empty one (only spaces) is an error too.
    pub fn parse(text: &str) -> Result<Query, ParseError> {
        Ok(Query {
            expr: parse::parse(text)?,
            text: text.trim().into(),
        })
    }

    /// The expression as typed (trimmed).
    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether `ev` passes the filter.
    pub fn matches(&self, ev: &Event) -> bool {
        eval::Ctx::new(ev).eval(&self.expr)
    }

    /// Whether every term reads only fields kept beside the event (no parameter or TwiML
    /// decoding): such a filter can scan many more events per turn.
    pub fn is_cheap(&self) -> bool {
        self.expr.is_cheap()
    }

    /// How the store's indexes answer the whole expression exactly, when they can: every
    /// term a type, call or problems term, under any `and`, `or` and `!`.
    pub fn plan(&self) -> Option<Plan> {
        self.expr.plan()
    }

    /// Terms every match must pass (top-level conjuncts) that an index of the store answers.
    pub fn index_terms(&self) -> Vec<IndexTerm> {
        let mut out = Vec::new();
        self.expr.index_terms(&mut out);
        out
    }
}

impl std::fmt::Display for Query {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.text)
    }
}

/// A conjunct the store can answer from an index: every match is among its events.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexTerm {
    /// Events of these kinds (bit `k.index()` per kind).
    Kinds(KindMask),
    /// Events of the calls whose SID matches.
    Call(Pattern),
    /// The problems index.
    Problems,
}

/// An expression the store answers from its indexes alone (see [`Query::plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// Every event of the kinds in `all`; of the kinds in `checked` (those whose events carry
    /// a type of their own), the events `check` passes.
    Kinds {
        all: KindMask,
        checked: KindMask,
        check: Check,
    },
    /// The events of the calls whose SID `check` passes ([`Check::sid_passes`]).
    Calls(Check),
    /// The problems index.
    Problems,
    And(Vec<Plan>),
    Or(Vec<Plan>),
    Not(Box<Plan>),
}

/// One term of a [`Plan`], for the events (or call SIDs) an index cannot decide alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check(Term);

impl Check {
    /// Whether the event passes the term.
    pub fn passes(&self, ev: &Event) -> bool {
        eval::Ctx::new(ev).eval(&Expr::Term(self.0.clone()))
    }

    /// For a call term that fixes a SID's last [`SID_TAIL`] bytes (`CA…a9ca31`, as the table
    /// shortens SIDs, or a whole SID), those bytes, ASCII lowercase: only the calls whose SID
    /// ends so can pass.
    pub fn sid_tail(&self) -> Option<[u8; SID_TAIL]> {
        let Term::Call { pattern, exact } = &self.0 else {
            return None;
        };
        let fixed = match (&pattern.suffix, *exact) {
            (_, true) => pattern.as_prefix()?,
            (Some(suffix), false) => suffix.as_str(),
            (None, false) => return None,
        };
        sid_tail(fixed)
    }

    /// For a call term: whether a call with this SID passes it.
    pub fn sid_passes(&self, sid: &str) -> bool {
        match &self.0 {
            Term::Call { pattern, exact } => eval::sid_passes(pattern, *exact, sid),
            _ => false,
        }
    }
}

/// How many of a SID's last bytes [`sid_tail`] keys it by: the table's short form shows six.
pub const SID_TAIL: usize = 6;

/// A SID's last [`SID_TAIL`] bytes, ASCII lowercase; None when it is shorter.
pub fn sid_tail(sid: &str) -> Option<[u8; SID_TAIL]> {
    let b = sid.as_bytes();
    let tail = b.get(b.len().checked_sub(SID_TAIL)?..)?;
    let mut key = [0; SID_TAIL];
    for (k, c) in key.iter_mut().zip(tail) {
        *k = c.to_ascii_lowercase();
    }
    Some(key)
}

/// A text pattern for SIDs and phone numbers as the screen shortens them: `CA…517366` is a
/// prefix and a suffix (`...` works too), `+1415` a prefix. ASCII case is ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    prefix: String,
    /// After an ellipsis; None = a prefix only.
    suffix: Option<String>,
}

impl Pattern {
    fn new(text: &str) -> Pattern {
        let lower = text.to_ascii_lowercase();
        let cut = lower
            .find('…')
            .map(|i| (i, '…'.len_utf8()))
            .or_else(|| lower.find("...").map(|i| (i, 3)));
        match cut {
            Some((i, len)) => Pattern {
                prefix: lower[..i].to_owned(),
                suffix: Some(lower[i + len..].to_owned()),
            },
            None => Pattern {
                prefix: lower,
                suffix: None,
            },
        }
    }

    /// Whether `s` starts with the prefix (and ends with the suffix, not overlapping it).
    pub fn matches(&self, s: &str) -> bool {
        let b = s.as_bytes();
        let starts = b.len() >= self.prefix.len()
            && b[..self.prefix.len()].eq_ignore_ascii_case(self.prefix.as_bytes());
        match &self.suffix {
            None => starts,
            Some(suffix) => {
                starts
                    && b.len() >= self.prefix.len() + suffix.len()
                    && b[b.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
            }
        }
    }

    /// The one string this pattern matches exactly, when it has no ellipsis.
    pub fn as_prefix(&self) -> Option<&str> {
        self.suffix.is_none().then_some(self.prefix.as_str())
    }
}

/// The expression tree.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Term(Term),
}

impl Expr {
    fn is_cheap(&self) -> bool {
        match self {
            Expr::Or(xs) | Expr::And(xs) => xs.iter().all(Expr::is_cheap),
            Expr::Not(x) => x.is_cheap(),
            Expr::Term(t) => t.is_cheap(),
        }
    }

    fn plan(&self) -> Option<Plan> {
        let all = |xs: &[Expr]| xs.iter().map(Expr::plan).collect::<Option<Vec<Plan>>>();
        match self {
            Expr::And(xs) => all(xs).map(Plan::And),
            Expr::Or(xs) => all(xs).map(Plan::Or),
            Expr::Not(x) => x.plan().map(|p| Plan::Not(Box::new(p))),
            Expr::Term(t) => t.plan(),
        }
    }

    fn index_terms(&self, out: &mut Vec<IndexTerm>) {
        match self {
            Expr::And(xs) => xs.iter().for_each(|x| x.index_terms(out)),
            Expr::Term(t) => out.extend(t.index_term()),
            Expr::Or(_) | Expr::Not(_) => {}
        }
    }
}

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Cmp {
    fn holds<T: PartialOrd + Copy>(self, left: T, right: T) -> bool {
        match self {
            Cmp::Eq => left == right,
            Cmp::Lt => left < right,
            Cmp::Le => left <= right,
            Cmp::Gt => left > right,
            Cmp::Ge => left >= right,
        }
    }
}

/// A number a parameter value is compared with, kept as text so the tree stays `Eq`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Number(String);

impl Number {
    fn value(&self) -> f64 {
        self.0.parse().unwrap_or(f64::NAN)
    }
}

/// What a parameter term asks of the parameter's value.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ValueTest {
    /// The parameter is there.
    Present,
    /// `:` — contains (ASCII case ignored); lowercase.
    Contains(String),
    /// `=` — equals (ASCII case ignored); lowercase.
    Equals(String),
    /// `<` `<=` `>` `>=` — the value read as a number.
    Compare(Cmp, Number),
    /// `from:` / `to:` — a phone-number pattern.
    Like(Pattern),
}

/// What a code / ms term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NumTest {
    Cmp(Cmp, u32),
    /// `code:5xx`: the class's hundred.
    Class(u16),
}

/// What `is:` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Is {
    Problem,
    Invalid,
}

/// One term.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// Free text, lowercase: a substring of something the screen shows.
    Text(String),
    /// `type:` (contains) / `type=` (equals) over the kind's name and CloudEvent type.
    Type {
        text: String,
        exact: bool,
    },
    Call {
        pattern: Pattern,
        exact: bool,
    },
    Url {
        text: String,
        exact: bool,
    },
    Method(String),
    Param {
        name: String,
        test: ValueTest,
    },
    Code(NumTest),
    Ms(NumTest),
    Lint(TwimlMark),
    Sig(Signature),
    Is(Is),
}

impl Term {
    fn is_cheap(&self) -> bool {
        !matches!(self, Term::Text(_) | Term::Param { .. })
    }

    fn plan(&self) -> Option<Plan> {
        match self {
            Term::Type { text, exact } => {
                let checked = kinds_bits(&[EventKind::Other, EventKind::Invalid]);
                Some(Plan::Kinds {
                    all: type_kinds(text, *exact) & !checked,
                    checked,
                    check: Check(self.clone()),
                })
            }
            Term::Call { .. } => Some(Plan::Calls(Check(self.clone()))),
            Term::Is(Is::Problem) => Some(Plan::Problems),
            _ => None,
        }
    }

    fn index_term(&self) -> Option<IndexTerm> {
        match self {
            Term::Type { text, exact } => Some(IndexTerm::Kinds(type_kinds(text, *exact))),
            Term::Call { pattern, .. } => Some(IndexTerm::Call(pattern.clone())),
            Term::Is(Is::Problem) => Some(IndexTerm::Problems),
            _ => None,
        }
    }
}

/// A set of [`EventKind`]s, bit [`EventKind::index`] each.
pub type KindMask = u32;
const _: () = assert!(EventKind::COUNT <= KindMask::BITS as usize);

fn kinds_bits(kinds: &[EventKind]) -> KindMask {
    kinds.iter().fold(0, |mask, k| mask | (1 << k.index()))
}

/// The kinds a type term can match: those whose name matches, and the two whose events carry
/// a type of their own (other and invalid), which are checked one by one.
fn type_kinds(text: &str, exact: bool) -> KindMask {
    EventKind::ALL
        .iter()
        .filter(|k| {
            matches!(k, EventKind::Other | EventKind::Invalid)
                || eval::kind_name_matches(**k, text, exact)
        })
        .fold(0, |mask, k| mask | (1 << k.index()))
}

#[cfg(test)]
mod tests;
