//! The keymap: one table that drives key handling, the footer hints and the help overlay, so
//! the three can never disagree.

use crossterm::event::{KeyCode, KeyModifiers};

use super::{Action, Pane};

/// Where a binding applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The event table and the call view alike.
    Global,
    /// The event table only.
    Table,
    /// The call view only.
    Call,
}

impl Scope {
    /// Whether a binding of this scope applies in `view` (`Table` or `Call`).
    pub fn applies_in(self, view: Scope) -> bool {
        self == Scope::Global || self == view
    }
}

/// Where the footer shows a binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Footer {
    /// Only in the help.
    No,
    /// In the footer of every view the binding applies in.
    Yes,
    /// In the call view's footer only (Esc back, ↑↓ step: the table says them otherwise).
    InCall,
}

/// A key and what it does.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
    pub action: Action,
}

/// One binding: keys, what they do, and how the help and footer describe them. Related keys
/// (`1`–`8`, `[ ]`, `t r p`) are one binding with a key each.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [Key],
    /// How the keys are written in the help and footer.
    pub label: &'static str,
    pub help: &'static str,
    /// The footer's word for it.
    pub hint: &'static str,
    pub scope: Scope,
    pub footer: Footer,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

const fn key(c: char, action: Action) -> Key {
    Key {
        code: KeyCode::Char(c),
        mods: NONE,
        action,
    }
}

const fn with(code: KeyCode, mods: KeyModifiers, action: Action) -> Key {
    Key { code, mods, action }
}

macro_rules! b {
    ($label:expr, [$($k:expr),+ $(,)?], $help:expr, $hint:expr, $scope:ident, $footer:ident) => {
        Binding {
            keys: &[$($k),+],
            label: $label,
            help: $help,
            hint: $hint,
            scope: Scope::$scope,
            footer: Footer::$footer,
        }
    };
}

use Action as A;

/// Every binding, in the order the help lists them; the footer keeps the earlier ones when
/// it is short of room (in the call view, the way back comes first).
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b!("Esc", [with(KeyCode::Esc, NONE, A::Back)], "back; in the table: clear every filter", "back", Global, InCall),
    b!("↑↓", [with(KeyCode::Up, NONE, A::Up), key('k', A::Up), with(KeyCode::Down, NONE, A::Down), key('j', A::Down)], "move up / down (k j; up pauses follow)", "step", Global, InCall),
    b!("q", [key('q', A::Quit), with(KeyCode::Char('c'), CTRL, A::Quit)], "quit (also Ctrl-C)", "quit", Global, Yes),
    b!("?", [key('?', A::Help), with(KeyCode::Char('?'), SHIFT, A::Help)], "this help", "help", Global, Yes),
    b!("s", [key('s', A::Stats)], "stats: events/s, response codes, durations, slow steps", "stats", Global, No),
    b!("g Home", [key('g', A::Top), with(KeyCode::Home, NONE, A::Top)], "first event (pauses follow)", "top", Table, No),
    b!("G End", [with(KeyCode::Char('G'), SHIFT, A::Follow), key('G', A::Follow), with(KeyCode::End, NONE, A::Follow)], "follow the newest event", "follow", Table, Yes),
    b!("1-8", [
        key('1', A::ToggleKind(0)), key('2', A::ToggleKind(1)), key('3', A::ToggleKind(2)), key('4', A::ToggleKind(3)),
        key('5', A::ToggleKind(4)), key('6', A::ToggleKind(5)), key('7', A::ToggleKind(6)), key('8', A::ToggleKind(7)),
    ], "show / add / remove an event type", "type", Table, Yes),
    b!("0", [key('0', A::AllKinds)], "all event types again", "all types", Table, No),
    b!("e", [key('e', A::Problems)], "problems only (failed, ≥400, invalid, bad TwiML)", "problems", Table, Yes),
    b!("/", [key('/', A::Search)], "search call SID, URL, parameters, TwiML", "search", Table, Yes),
    b!("c", [key('c', A::NarrowCall)], "only the selected event's call (again: all calls)", "call", Table, Yes),
    b!("Enter", [with(KeyCode::Enter, NONE, A::OpenCall)], "open the call's timeline", "timeline", Table, Yes),
    b!("[ ]", [key('[', A::PrevLeg), key(']', A::NextLeg)], "previous / next leg of a dialed call", "legs", Call, No),
    b!("t r p", [key('t', A::Pane(Pane::Twiml)), key('r', A::Pane(Pane::Raw)), key('p', A::Pane(Pane::Params))], "pane: decoded TwiML / raw event JSON / request parameters", "pane", Global, Yes),
    b!("m", [key('m', A::Mask)], "mask numbers, speech, names, recording URLs (sharing)", "mask", Global, No),
    b!("x", [key('x', A::Export)], "export the call as markdown to a file here", "export", Global, No),
    b!("y", [key('y', A::Copy)], "copy the TwiML shown, or the call SID (OSC 52)", "copy", Global, No),
    b!("R", [with(KeyCode::Char('R'), SHIFT, A::Resend), key('R', A::Resend)], "resend the request to your app (twimon proxy)", "resend", Global, No),
    b!("E", [with(KeyCode::Char('E'), SHIFT, A::EditResend), key('E', A::EditResend)], "edit the parameters (Digits=3 -Name), then resend", "edit", Global, No),
    b!("D", [with(KeyCode::Char('D'), SHIFT, A::MarkDiff), key('D', A::MarkDiff)], "mark for a TwiML diff; on another event: the diff", "diff", Global, No),
    b!("PgUp", [with(KeyCode::PageUp, NONE, A::PaneUp)], "scroll the pane up (or the mouse wheel)", "scroll", Global, No),
    b!("PgDn", [with(KeyCode::PageDown, NONE, A::PaneDown)], "scroll the pane down (or the mouse wheel)", "scroll", Global, No),
];

/// The action bound to a key in a view (`Scope::Table` or `Scope::Call`). Shift is ignored
/// for characters that carry it themselves (`?`, `G`, `]`).
pub fn lookup(code: KeyCode, mods: KeyModifiers, view: Scope) -> Option<Action> {
    let char_mods = |k: &Key| {
        k.mods == mods || (matches!(code, KeyCode::Char(_)) && k.mods == NONE && mods == SHIFT)
    };
    BINDINGS
        .iter()
        .filter(|b| b.scope.applies_in(view))
        .flat_map(|b| b.keys)
        .find(|k| k.code == code && char_mods(k))
        .map(|k| k.action)
}

/// The bindings the footer of `view` shows, most important first.
pub fn footer(view: Scope) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| {
        b.scope.applies_in(view)
            && match b.footer {
                Footer::No => false,
                Footer::Yes => true,
                Footer::InCall => view == Scope::Call,
            }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_per_view() {
        for view in [Scope::Table, Scope::Call] {
            let mut seen: Vec<(KeyCode, KeyModifiers)> = Vec::new();
            for b in BINDINGS.iter().filter(|b| b.scope.applies_in(view)) {
                for k in b.keys {
                    assert!(
                        !seen.contains(&(k.code, k.mods)),
                        "{:?} bound twice",
                        k.code
                    );
                    seen.push((k.code, k.mods));
                }
            }
        }
    }

    #[test]
    fn digits_map_to_kinds() {
        assert_eq!(
            lookup(KeyCode::Char('4'), NONE, Scope::Table),
            Some(Action::ToggleKind(3))
        );
        assert_eq!(lookup(KeyCode::Char('4'), NONE, Scope::Call), None);
        assert_eq!(
            lookup(KeyCode::Char('c'), CTRL, Scope::Call),
            Some(Action::Quit)
        );
        assert_eq!(
            lookup(KeyCode::Char('c'), NONE, Scope::Table),
            Some(Action::NarrowCall)
        );
    }

    #[test]
    fn brackets_switch_legs_in_the_call_view_only() {
        let call = |c| lookup(KeyCode::Char(c), NONE, Scope::Call);
        let table = |c| lookup(KeyCode::Char(c), NONE, Scope::Table);
        assert_eq!(call('['), Some(Action::PrevLeg));
        assert_eq!(call(']'), Some(Action::NextLeg));
        assert_eq!(
            lookup(KeyCode::Char(']'), SHIFT, Scope::Call),
            Some(Action::NextLeg)
        );
        assert_eq!(table('['), None);
        assert_eq!(table(']'), None);
        assert_eq!(call('x'), Some(Action::Export));
        assert_eq!(table('y'), Some(Action::Copy));
    }

    #[test]
    fn the_footer_comes_from_the_table() {
        let words = |view| footer(view).map(|b| b.hint).collect::<Vec<_>>();
        assert!(words(Scope::Table).contains(&"pane"));
        assert!(!words(Scope::Table).contains(&"back"));
        assert_eq!(&words(Scope::Call)[..4], ["back", "step", "quit", "help"]);
    }
}
