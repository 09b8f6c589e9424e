//! The keymap in force: the table of [`BINDINGS`] with the user's rebindings laid over it.
//! The table stays the single source of what exists, its help and its footer word; a
//! rebinding only replaces the keys of one action (`quit = "ctrl-q"`), and the labels the
//! footer and the help show are rebuilt from the keys now bound.
//!
//! Key names are written as in the config file: `q`, `G`, `ctrl-q`, `alt-x`, `shift-tab`,
//! `enter`, `esc`, `space`, `up`, `pgdn`, `f5`.

use std::collections::BTreeMap;
use std::fmt;

use crossterm::event::{KeyCode, KeyModifiers};

use super::keymap::{BINDINGS, Binding, Footer, Key, Scope};
use super::{Action, Pane};

/// Every action a key can be bound to, by its name in the config's `[keys]` table.
pub const ACTIONS: &[(&str, Action)] = &[
    ("back", Action::Back),
    ("up", Action::Up),
    ("down", Action::Down),
    ("quit", Action::Quit),
    ("help", Action::Help),
    ("stats", Action::Stats),
    ("top", Action::Top),
    ("follow", Action::Follow),
    ("type-1", Action::ToggleKind(0)),
    ("type-2", Action::ToggleKind(1)),
    ("type-3", Action::ToggleKind(2)),
    ("type-4", Action::ToggleKind(3)),
    ("type-5", Action::ToggleKind(4)),
    ("type-6", Action::ToggleKind(5)),
    ("type-7", Action::ToggleKind(6)),
    ("type-8", Action::ToggleKind(7)),
    ("all-types", Action::AllKinds),
    ("problems", Action::Problems),
    ("search", Action::Search),
    ("call", Action::NarrowCall),
    ("timeline", Action::OpenCall),
    ("prev-leg", Action::PrevLeg),
    ("next-leg", Action::NextLeg),
    ("pane-twiml", Action::Pane(Pane::Twiml)),
    ("pane-raw", Action::Pane(Pane::Raw)),
    ("pane-params", Action::Pane(Pane::Params)),
    ("mask", Action::Mask),
    ("export", Action::Export),
    ("copy", Action::Copy),
    ("pane-up", Action::PaneUp),
    ("pane-down", Action::PaneDown),
    ("quit-now", Action::QuitNow),
    ("page-up", Action::PageUp),
    ("page-down", Action::PageDown),
    ("half-up", Action::HalfUp),
    ("half-down", Action::HalfDown),
    ("command", Action::Command),
    ("goto", Action::Goto),
    ("mouse", Action::MouseCapture),
    ("next-match", Action::NextMatch),
    ("prev-match", Action::PrevMatch),
    ("next-family", Action::NextFamily),
    ("prev-family", Action::PrevFamily),
    ("resend", Action::Resend),
    ("edit-resend", Action::EditResend),
    ("diff", Action::MarkDiff),
    ("caller", Action::Caller),
];

/// The config name of an action.
pub fn action_name(action: Action) -> Option<&'static str> {
    ACTIONS.iter().find(|(_, a)| *a == action).map(|(n, _)| *n)
}

/// A key as the user presses it: a code and its modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Chord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

/// Named keys, as written in the config (the first name is the one shown).
const NAMED: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("space", KeyCode::Char(' ')),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pgup", KeyCode::PageUp),
    ("pgdn", KeyCode::PageDown),
    ("pageup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("insert", KeyCode::Insert),
    ("delete", KeyCode::Delete),
    ("escape", KeyCode::Esc),
    ("return", KeyCode::Enter),
];

impl Chord {
    /// Parses a key name (`ctrl-q`, `G`, `f5`, `shift-tab`); the error says what is wrong.
    pub fn parse(spec: &str) -> Result<Chord, String> {
        let spec = spec.trim();
        if spec.is_empty() {
            return Err("an empty key name".into());
        }
        let mut mods = KeyModifiers::NONE;
        let mut rest = spec;
        // `-` alone (or as the last part: `ctrl--`) is the minus key, not a separator.
        while let Some((m, tail)) = rest.split_once('-')
            && !tail.is_empty()
        {
            mods |= match m.to_ascii_lowercase().as_str() {
                "ctrl" | "c" | "control" => KeyModifiers::CONTROL,
                "alt" | "a" | "m" | "meta" => KeyModifiers::ALT,
                "shift" | "s" => KeyModifiers::SHIFT,
                _ => {
                    return Err(format!(
                        "{spec:?}: unknown modifier {m:?} (ctrl, alt or shift)"
                    ));
                }
            };
            rest = tail;
        }
        let mut chars = rest.chars();
        let code = if let (Some(c), None) = (chars.next(), chars.next()) {
            KeyCode::Char(c)
        } else {
            let lower = rest.to_ascii_lowercase();
            if let Some((_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
                *code
            } else if let Some(n) = lower.strip_prefix('f')
                && let Ok(n) = n.parse::<u8>()
                && (1..=12).contains(&n)
            {
                KeyCode::F(n)
            } else {
                return Err(format!(
                    "{spec:?}: unknown key {rest:?} (a character, enter, esc, tab, space, up, \
                     down, left, right, home, end, pgup, pgdn, f1…f12)"
                ));
            }
        };
        Ok(Chord { code, mods }.normalised())
    }

    /// Shift-`a` is `A`, and `A` carries its shift itself: one spelling per key.
    fn normalised(self) -> Chord {
        match self.code {
            KeyCode::Char(c)
                if self.mods.contains(KeyModifiers::SHIFT) && c.is_ascii_lowercase() =>
            {
                Chord {
                    code: KeyCode::Char(c.to_ascii_uppercase()),
                    mods: self.mods - KeyModifiers::SHIFT,
                }
            }
            KeyCode::Char(c) if !c.is_ascii_alphabetic() || c.is_ascii_uppercase() => Chord {
                code: self.code,
                mods: self.mods - KeyModifiers::SHIFT,
            },
            KeyCode::Tab if self.mods.contains(KeyModifiers::SHIFT) => Chord {
                code: KeyCode::BackTab,
                mods: self.mods - KeyModifiers::SHIFT,
            },
            _ => self,
        }
    }

    /// Whether a key pressed (code and modifiers as the terminal reports them) is this one.
    /// Shift is ignored for characters that carry it themselves (`?`, `G`, `]`).
    pub fn matches(self, code: KeyCode, mods: KeyModifiers) -> bool {
        let pressed = Chord { code, mods }.normalised();
        self.code == pressed.code && self.mods == pressed.mods
    }
}

impl Chord {
    /// The key's name as the config writes it (`ctrl-q`, `pgdn`, `G`): [`Chord::parse`]
    /// reads it back.
    pub fn spec(self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("alt-");
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            s.push_str("shift-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::F(n) => {
                s.push('f');
                s.push_str(&n.to_string());
            }
            code => match NAMED.iter().find(|(_, c)| *c == code) {
                Some((name, _)) => s.push_str(name),
                None => s.push_str(&format!("{code:?}").to_ascii_lowercase()),
            },
        }
        s
    }
}

impl fmt::Display for Chord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.mods.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.mods.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.mods.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::F(n) => write!(f, "F{n}"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Esc => f.write_str("Esc"),
            other => write!(f, "{other:?}"),
        }
    }
}

impl From<&Key> for Chord {
    fn from(k: &Key) -> Chord {
        Chord {
            code: k.code,
            mods: k.mods,
        }
        .normalised()
    }
}

/// One binding of the table as it stands: its keys now, and the label they make.
#[derive(Debug, Clone)]
pub struct Bound {
    pub binding: &'static Binding,
    pub keys: Vec<(Chord, Action)>,
    /// The table's label, or one rebuilt from the keys when any of them was rebound.
    pub label: String,
    pub rebound: bool,
}

impl Bound {
    /// The help's words: the table's, less a closing note on other keys ("(also Ctrl-C)")
    /// that a rebinding made untrue.
    pub fn help(&self) -> &'static str {
        let help = self.binding.help;
        if self.rebound
            && help.ends_with(')')
            && let Some(open) = help.rfind(" (also ")
        {
            return &help[..open];
        }
        help
    }
}

/// A rebinding the keymap refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// No action of that name; the valid names are in [`ACTIONS`].
    UnknownAction(String),
    /// A key name that does not parse.
    BadKey { action: String, why: String },
    /// No key at all for an action (`quit = []`).
    NoKeys(String),
    /// A key bound twice where both apply.
    Conflict {
        key: String,
        action: String,
        other: String,
    },
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyError::UnknownAction(name) => {
                let names: Vec<&str> = ACTIONS.iter().map(|(n, _)| *n).collect();
                write!(f, "unknown action {name:?}")?;
                if let Some(near) = nearest(name, names.iter().copied()) {
                    write!(f, " (did you mean {near:?}?)")?;
                }
                write!(f, "; actions: {}", names.join(", "))
            }
            KeyError::BadKey { action, why } => write!(f, "{action}: {why}"),
            KeyError::NoKeys(action) => write!(f, "{action}: no key given"),
            KeyError::Conflict { key, action, other } => write!(
                f,
                "{key} for {action} is already bound to {other} (rebind {other} too, or pick \
                 another key)"
            ),
        }
    }
}

/// The closest of `candidates` to `word`, when it is close enough to be a typo.
pub fn nearest<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .map(|c| (distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len() / 2).clamp(1, 3))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Levenshtein distance over chars.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let here = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(here + 1);
            prev = here;
        }
    }
    row[b.len()]
}

/// The keys in force, in the table's order.
#[derive(Debug, Clone)]
pub struct Keymap {
    bound: Vec<Bound>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bound: BINDINGS
                .iter()
                .map(|b| Bound {
                    binding: b,
                    keys: b.keys.iter().map(|k| (Chord::from(k), k.action)).collect(),
                    label: b.label.to_owned(),
                    rebound: false,
                })
                .collect(),
        }
    }
}

impl Keymap {
    /// The table with `rebind` laid over it: action name → its new keys (all of them: the
    /// table's keys for that action go). Refuses unknown actions and key names, and a key
    /// bound to two actions where both apply.
    pub fn with(rebind: &BTreeMap<String, Vec<String>>) -> Result<Keymap, KeyError> {
        let mut map = Keymap::default();
        let mut rebound: Vec<Action> = Vec::new();
        for (name, specs) in rebind {
            let action = ACTIONS
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, a)| *a)
                .ok_or_else(|| KeyError::UnknownAction(name.clone()))?;
            if specs.is_empty() {
                return Err(KeyError::NoKeys(name.clone()));
            }
            let chords = specs
                .iter()
                .map(|s| Chord::parse(s))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|why| KeyError::BadKey {
                    action: name.clone(),
                    why,
                })?;
            for b in &mut map.bound {
                let Some(at) = b.keys.iter().position(|(_, a)| *a == action) else {
                    continue;
                };
                b.keys.retain(|(_, a)| *a != action);
                for (i, c) in chords.iter().enumerate() {
                    b.keys.insert(at + i, (*c, action));
                }
                b.rebound = true;
            }
            rebound.push(action);
        }
        map.check(&rebound)?;
        for b in &mut map.bound {
            if b.rebound {
                b.label = label(&b.keys);
            }
        }
        Ok(map)
    }

    /// Refuses a key that two actions answer to in one view, naming first the action the
    /// user rebound.
    fn check(&self, rebound: &[Action]) -> Result<(), KeyError> {
        for view in [Scope::Table, Scope::Call] {
            let mut seen: Vec<(Chord, Action)> = Vec::new();
            for (chord, action) in self
                .bound
                .iter()
                .filter(|b| b.binding.scope.applies_in(view))
                .flat_map(|b| &b.keys)
            {
                if let Some((_, other)) = seen.iter().find(|(c, _)| c == chord)
                    && other != action
                {
                    let name = |a| action_name(a).unwrap_or("?").to_owned();
                    let (mine, theirs) = if rebound.contains(other) && !rebound.contains(action) {
                        (*other, *action)
                    } else {
                        (*action, *other)
                    };
                    return Err(KeyError::Conflict {
                        key: chord.to_string(),
                        action: name(mine),
                        other: name(theirs),
                    });
                }
                seen.push((*chord, *action));
            }
        }
        Ok(())
    }

    /// The action a key is bound to in a view (`Scope::Table` or `Scope::Call`).
    pub fn lookup(&self, code: KeyCode, mods: KeyModifiers, view: Scope) -> Option<Action> {
        self.bound
            .iter()
            .filter(|b| b.binding.scope.applies_in(view))
            .flat_map(|b| &b.keys)
            .find(|(c, _)| c.matches(code, mods))
            .map(|(_, a)| *a)
    }

    /// Every binding, in the help's order.
    pub fn bindings(&self) -> &[Bound] {
        &self.bound
    }

    /// The bindings the footer of `view` shows, most important first.
    pub fn footer(&self, view: Scope) -> impl Iterator<Item = &Bound> {
        self.bound.iter().filter(move |b| {
            b.binding.scope.applies_in(view)
                && match b.binding.footer {
                    Footer::No => false,
                    Footer::Yes => true,
                    Footer::InCall => view == Scope::Call,
                    Footer::InTable => view == Scope::Table,
                }
        })
    }

    /// The keys of an action as the config writes them (`ctrl-q`), for `twimon config`.
    pub fn keys_of(&self, action: Action) -> Vec<String> {
        let mut specs: Vec<String> = Vec::new();
        for (c, _) in self
            .bound
            .iter()
            .flat_map(|b| &b.keys)
            .filter(|(_, a)| *a == action)
        {
            let spec = c.spec();
            if !specs.contains(&spec) {
                specs.push(spec);
            }
        }
        specs
    }
}

/// A rebound binding's label: the first key of each of its actions (`T r p`).
fn label(keys: &[(Chord, Action)]) -> String {
    let mut actions: Vec<Action> = Vec::new();
    let mut words = Vec::new();
    for (chord, action) in keys {
        if !actions.contains(action) {
            actions.push(*action);
            words.push(chord.to_string());
        }
    }
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;

    fn rebind(pairs: &[(&str, &[&str])]) -> Result<Keymap, KeyError> {
        let map = pairs
            .iter()
            .map(|(a, ks)| {
                (
                    (*a).to_owned(),
                    ks.iter().map(|k| (*k).to_owned()).collect(),
                )
            })
            .collect();
        Keymap::with(&map)
    }

    #[test]
    fn key_names_parse_to_one_spelling() {
        let p = |s| Chord::parse(s).unwrap();
        assert_eq!(
            p("ctrl-q"),
            Chord {
                code: KeyCode::Char('q'),
                mods: CTRL
            }
        );
        assert_eq!(p("C-q"), p("ctrl-q"));
        assert_eq!(p("shift-g"), p("G"));
        assert_eq!(p("shift-tab"), p("backtab"));
        assert_eq!(
            p("-"),
            Chord {
                code: KeyCode::Char('-'),
                mods: NONE
            }
        );
        assert_eq!(
            p("ctrl--"),
            Chord {
                code: KeyCode::Char('-'),
                mods: CTRL
            }
        );
        assert_eq!(p("F5").code, KeyCode::F(5));
        assert_eq!(p("PgDn").code, KeyCode::PageDown);
        assert_eq!(p("space").code, KeyCode::Char(' '));
        for bad in ["", "hyper-q", "ctrl-", "f13", "qq", "enterr"] {
            assert!(Chord::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(p("ctrl-q").to_string(), "Ctrl-q");
    }

    #[test]
    fn the_default_keymap_is_the_table() {
        let map = Keymap::default();
        for view in [Scope::Table, Scope::Call] {
            for b in BINDINGS.iter().filter(|b| b.scope.applies_in(view)) {
                for k in b.keys {
                    assert_eq!(map.lookup(k.code, k.mods, view), Some(k.action), "{k:?}");
                }
            }
        }
        assert_eq!(
            map.lookup(KeyCode::Char('?'), SHIFT, Scope::Table),
            Some(Action::Help)
        );
        assert!(map.check(&[]).is_ok());
        // Every action of the table has a config name.
        for k in BINDINGS.iter().flat_map(|b| b.keys) {
            assert!(action_name(k.action).is_some(), "{:?}", k.action);
        }
    }

    #[test]
    fn a_rebinding_replaces_the_actions_keys_and_relabels() {
        let map = rebind(&[("quit", &["ctrl-q"])]).unwrap();
        assert_eq!(
            map.lookup(KeyCode::Char('q'), CTRL, Scope::Table),
            Some(Action::Quit)
        );
        assert_eq!(map.lookup(KeyCode::Char('q'), NONE, Scope::Table), None);
        assert_eq!(
            map.lookup(KeyCode::Char('c'), CTRL, Scope::Call),
            Some(Action::QuitNow),
            "Ctrl-C is its own action (quit at once), not rebound with quit"
        );
        let quit = map
            .bindings()
            .iter()
            .find(|b| b.binding.hint == "quit")
            .unwrap();
        assert_eq!(quit.label, "Ctrl-q");
        assert_eq!(
            quit.help(),
            quit.binding.help,
            "a note that is not about other keys stays"
        );
        let footer: Vec<&str> = map.footer(Scope::Table).map(|b| b.label.as_str()).collect();
        assert!(footer.contains(&"Ctrl-q"), "{footer:?}");

        let map = rebind(&[("pane-up", &["u"])]).unwrap();
        let scroll = map
            .bindings()
            .iter()
            .find(|b| b.binding.hint == "scroll")
            .unwrap();
        assert_eq!(scroll.help(), "scroll the pane", "the other keys are gone");

        let map = rebind(&[("pane-twiml", &["T"]), ("timeline", &["t", "enter"])]).unwrap();
        let pane = map
            .bindings()
            .iter()
            .find(|b| b.binding.hint == "pane")
            .unwrap();
        assert_eq!(pane.label, "T r p");
        assert_eq!(
            map.lookup(KeyCode::Char('t'), NONE, Scope::Table),
            Some(Action::OpenCall)
        );
        assert_eq!(map.keys_of(Action::OpenCall), ["t", "enter"]);
        // What `twimon config` prints reads back as the same keys.
        for (name, action) in ACTIONS {
            for spec in Keymap::default().keys_of(*action) {
                let chord = Chord::parse(&spec).unwrap();
                assert_eq!(chord.spec(), spec, "{name}");
            }
        }
    }

    #[test]
    fn bad_rebindings_are_refused_with_the_reason() {
        let err = rebind(&[("timeline", &["t"])]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "t for timeline is already bound to pane-twiml (rebind pane-twiml too, or pick \
             another key)"
        );
        let err = rebind(&[("qiut", &["x"])]).unwrap_err();
        assert!(
            err.to_string().starts_with(
                "unknown action \"qiut\" (did you mean \"quit\"?); actions: back, up,"
            ),
            "{err}"
        );
        assert!(matches!(rebind(&[("quit", &[])]), Err(KeyError::NoKeys(_))));
        let err = rebind(&[("quit", &["ctrl-"])]).unwrap_err();
        assert!(
            err.to_string().starts_with("quit: \"ctrl-\": unknown key"),
            "{err}"
        );
        // Keys of different views may coincide: `[` is the call view's only.
        assert!(rebind(&[("all-types", &["["])]).is_ok());
        assert!(rebind(&[("mask", &["["])]).is_err());
    }
}
