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
    /// In the table's footer only.
    InTable,
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
    b!("Esc", [with(KeyCode::Esc, NONE, A::Back)], "back; in the table: clear one filter (it says which)", "back", Global, InCall),
    b!("↑↓", [with(KeyCode::Up, NONE, A::Up), key('k', A::Up), with(KeyCode::Down, NONE, A::Down), key('j', A::Down)], "move up / down (k j; up pauses follow)", "step", Global, InCall),
    b!("q", [key('q', A::Quit)], "back; at the top: quit (asks when events are unrecorded)", "quit", Global, Yes),
    b!("Ctrl-C", [with(KeyCode::Char('c'), CTRL, A::QuitNow)], "quit at once, from anywhere", "quit", Global, No),
    b!("?", [key('?', A::Help), with(KeyCode::Char('?'), SHIFT, A::Help)], "this help", "help", Global, Yes),
    b!("s", [key('s', A::Stats)], "stats: events/s, response codes, durations, slow steps", "stats", Global, No),
    b!("PgUp/Dn", [with(KeyCode::PageUp, NONE, A::PageUp), with(KeyCode::PageDown, NONE, A::PageDown), key(' ', A::PageDown), with(KeyCode::Char('b'), CTRL, A::PageUp), with(KeyCode::Char('f'), CTRL, A::PageDown)], "page the list up / down (also Ctrl-B Ctrl-F, Space down)", "page", Global, No),
    b!("^U ^D", [with(KeyCode::Char('u'), CTRL, A::HalfUp), with(KeyCode::Char('d'), CTRL, A::HalfDown)], "half a page up / down", "half page", Global, No),
    b!("g Home", [key('g', A::Top), with(KeyCode::Home, NONE, A::Top)], "first event (pauses follow); in a call: first step", "top", Global, No),
    b!("G End", [key('G', A::Follow), with(KeyCode::End, NONE, A::Follow)], "follow the newest event; in a call: its last step", "follow", Global, InTable),
    b!("@", [key('@', A::Goto)], "jump to a time: @03:00, @03:00:15, @2026-11-30T03:00", "goto", Global, No),
    b!("1-8", [
        key('1', A::ToggleKind(0)), key('2', A::ToggleKind(1)), key('3', A::ToggleKind(2)), key('4', A::ToggleKind(3)),
        key('5', A::ToggleKind(4)), key('6', A::ToggleKind(5)), key('7', A::ToggleKind(6)), key('8', A::ToggleKind(7)),
    ], "show / add / remove an event type", "type", Table, Yes),
    b!("0", [key('0', A::AllKinds)], "all event types again", "all types", Table, No),
    b!("f F", [key('f', A::NextFamily), with(KeyCode::Char('F'), SHIFT, A::PrevFamily), key('F', A::PrevFamily)], "one family: TwiML, progress, errors, Studio, API, other, all", "family", Table, No),
    b!("e", [key('e', A::Problems)], "problems only (failed, ≥400, invalid, bad TwiML)", "problems", Table, Yes),
    b!("/", [key('/', A::Search)], "filter: text, type:gather, code>=500, Digits=2", "search", Table, Yes),
    b!("n N", [key('n', A::NextMatch), with(KeyCode::Char('N'), SHIFT, A::PrevMatch), key('N', A::PrevMatch)], "next / previous match of the last filter, without filtering", "match", Global, No),
    b!("c", [key('c', A::NarrowCall)], "only the selected event's call (again: all calls)", "call", Table, Yes),
    b!("Enter", [with(KeyCode::Enter, NONE, A::OpenCall)], "open the call's timeline", "timeline", Table, Yes),
    b!("[ ]", [key('[', A::PrevLeg), key(']', A::NextLeg)], "previous / next leg of a dialed call", "legs", Call, No),
    b!("t r p", [key('t', A::Pane(Pane::Twiml)), key('r', A::Pane(Pane::Raw)), key('p', A::Pane(Pane::Params))], "pane: decoded TwiML / raw event JSON / request parameters", "pane", Global, Yes),
    b!("m", [key('m', A::Mask)], "mask numbers, speech, names, recording URLs (sharing)", "mask", Global, No),
    b!("x", [key('x', A::Export)], "export the call as markdown to a file here", "export", Global, No),
    b!("y", [key('y', A::Copy)], "copy the TwiML shown, or the call SID (OSC 52)", "copy", Global, No),
    b!("K J", [key('K', A::PaneUp), key('J', A::PaneDown), with(KeyCode::PageUp, SHIFT, A::PaneUp), with(KeyCode::PageDown, SHIFT, A::PaneDown)], "scroll the pane (also Shift-PgUp/PgDn, the wheel over it)", "scroll", Global, No),
    b!(":", [key(':', A::Command)], "command: :goto :export :theme :columns :q … (Tab completes)", "command", Global, No),
    b!("M", [key('M', A::MouseCapture)], "release the mouse for plain drag-select (again: capture)", "mouse", Global, No),
    b!("R", [with(KeyCode::Char('R'), SHIFT, A::Resend), key('R', A::Resend)], "resend the request to your app (twimon proxy)", "resend", Global, No),
    b!("E", [with(KeyCode::Char('E'), SHIFT, A::EditResend), key('E', A::EditResend)], "edit the parameters (Digits=3; Ctrl-E $EDITOR), then resend", "edit", Global, No),
    b!("D", [with(KeyCode::Char('D'), SHIFT, A::MarkDiff), key('D', A::MarkDiff)], "mark for a TwiML diff; on another event: the diff", "diff", Global, No),
    b!("Tab", [with(KeyCode::Tab, NONE, A::Caller)], "the caller panel of `twimon call`: keys to it, or back", "caller", Global, No),
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
                Footer::InTable => view == Scope::Table,
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
            Some(Action::QuitNow)
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
    fn the_list_pages_and_the_pane_has_its_own_keys() {
        let both = |code, mods| {
            let t = lookup(code, mods, Scope::Table);
            assert_eq!(t, lookup(code, mods, Scope::Call), "{code:?} {mods:?}");
            t
        };
        assert_eq!(both(KeyCode::PageDown, NONE), Some(Action::PageDown));
        assert_eq!(both(KeyCode::PageUp, NONE), Some(Action::PageUp));
        assert_eq!(both(KeyCode::Char(' '), NONE), Some(Action::PageDown));
        assert_eq!(both(KeyCode::Char('f'), CTRL), Some(Action::PageDown));
        assert_eq!(both(KeyCode::Char('b'), CTRL), Some(Action::PageUp));
        assert_eq!(both(KeyCode::Char('d'), CTRL), Some(Action::HalfDown));
        assert_eq!(both(KeyCode::Char('u'), CTRL), Some(Action::HalfUp));
        assert_eq!(both(KeyCode::PageDown, SHIFT), Some(Action::PaneDown));
        assert_eq!(both(KeyCode::PageUp, SHIFT), Some(Action::PaneUp));
        assert_eq!(both(KeyCode::Char('J'), SHIFT), Some(Action::PaneDown));
        assert_eq!(both(KeyCode::Char('K'), SHIFT), Some(Action::PaneUp));
        assert_eq!(both(KeyCode::Char('j'), NONE), Some(Action::Down));
        assert_eq!(both(KeyCode::Char('G'), SHIFT), Some(Action::Follow));
        assert_eq!(both(KeyCode::Char('@'), SHIFT), Some(Action::Goto));
        assert_eq!(both(KeyCode::Char(':'), SHIFT), Some(Action::Command));
        assert_eq!(both(KeyCode::Char('M'), SHIFT), Some(Action::MouseCapture));
        assert_eq!(both(KeyCode::Char('m'), NONE), Some(Action::Mask));
        assert_eq!(both(KeyCode::Char('q'), NONE), Some(Action::Quit));
        assert_eq!(both(KeyCode::Char('c'), CTRL), Some(Action::QuitNow));
    }

    #[test]
    fn the_footer_comes_from_the_table() {
        let words = |view| footer(view).map(|b| b.hint).collect::<Vec<_>>();
        assert!(words(Scope::Table).contains(&"pane"));
        assert!(!words(Scope::Table).contains(&"back"));
        assert_eq!(&words(Scope::Call)[..4], ["back", "step", "quit", "help"]);
    }
}
