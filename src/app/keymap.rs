//! The keymap: one table that drives key handling, the footer hints and the help overlay, so
//! the three can never disagree.

use crossterm::event::{KeyCode, KeyModifiers};

use super::Action;

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

/// One binding: keys, what they do, and how the help and footer describe them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    pub keys: &'static [(KeyCode, KeyModifiers)],
    /// How the keys are written in the help and footer.
    pub label: &'static str,
    pub action: Action,
    pub help: &'static str,
    /// The footer's word for it.
    pub hint: &'static str,
    pub scope: Scope,
    /// Shown in the footer (the most used ones; the help lists all).
    pub footer: bool,
}

const NONE: KeyModifiers = KeyModifiers::NONE;
const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
const CTRL: KeyModifiers = KeyModifiers::CONTROL;

macro_rules! b {
    ($label:expr, [$($k:expr),+], $action:expr, $help:expr, $hint:expr, $scope:ident, $footer:expr) => {
        Binding {
            keys: &[$($k),+],
            label: $label,
            action: $action,
            help: $help,
            hint: $hint,
            scope: Scope::$scope,
            footer: $footer,
        }
    };
}

/// Every binding, in the order the help lists them.
#[rustfmt::skip]
pub const BINDINGS: &[Binding] = &[
    b!("q", [(KeyCode::Char('q'), NONE), (KeyCode::Char('c'), CTRL)], Action::Quit, "quit (also Ctrl-C)", "quit", Global, true),
    b!("?", [(KeyCode::Char('?'), NONE), (KeyCode::Char('?'), SHIFT)], Action::Help, "this help", "help", Global, true),
    b!("s", [(KeyCode::Char('s'), NONE)], Action::Stats, "stats: events/s, response codes, durations, slow steps", "stats", Global, false),
    b!("↑ k", [(KeyCode::Up, NONE), (KeyCode::Char('k'), NONE)], Action::Up, "move up (pauses follow)", "up", Global, false),
    b!("↓ j", [(KeyCode::Down, NONE), (KeyCode::Char('j'), NONE)], Action::Down, "move down", "down", Global, false),
    b!("g Home", [(KeyCode::Char('g'), NONE), (KeyCode::Home, NONE)], Action::Top, "first event (pauses follow)", "top", Table, false),
    b!("G End", [(KeyCode::Char('G'), SHIFT), (KeyCode::Char('G'), NONE), (KeyCode::End, NONE)], Action::Follow, "follow the newest event", "follow", Table, true),
    b!("1-8", [(KeyCode::Char('1'), NONE)], Action::ToggleKind(0), "show / add / remove an event type", "type", Table, true),
    b!("0", [(KeyCode::Char('0'), NONE)], Action::AllKinds, "all event types again", "all types", Table, false),
    b!("e", [(KeyCode::Char('e'), NONE)], Action::Problems, "problems only (failed, ≥400, invalid, bad TwiML)", "problems", Table, true),
    b!("/", [(KeyCode::Char('/'), NONE)], Action::Search, "search call SID, URL, parameters, TwiML", "search", Table, true),
    b!("c", [(KeyCode::Char('c'), NONE)], Action::NarrowCall, "only the selected event's call (again: all calls)", "call", Table, true),
    b!("Esc", [(KeyCode::Esc, NONE)], Action::Back, "back; in the table: clear every filter", "back", Global, false),
    b!("Enter", [(KeyCode::Enter, NONE)], Action::OpenCall, "open the call's timeline", "timeline", Table, true),
    b!("[ ]", [(KeyCode::Char('['), NONE)], Action::PrevLeg, "previous / next leg of a dialed call", "legs", Call, false),
    b!("t", [(KeyCode::Char('t'), NONE)], Action::Pane(super::Pane::Twiml), "pane: decoded TwiML", "TwiML", Global, false),
    b!("r", [(KeyCode::Char('r'), NONE)], Action::Pane(super::Pane::Raw), "pane: raw event JSON", "raw", Global, false),
    b!("p", [(KeyCode::Char('p'), NONE)], Action::Pane(super::Pane::Params), "pane: request parameters", "params", Global, false),
    b!("m", [(KeyCode::Char('m'), NONE)], Action::Mask, "mask numbers, speech, names, recording URLs (sharing)", "mask", Global, false),
    b!("x", [(KeyCode::Char('x'), NONE)], Action::Export, "export the call as markdown to a file here", "export", Global, false),
    b!("y", [(KeyCode::Char('y'), NONE)], Action::Copy, "copy the TwiML shown, or the call SID (OSC 52)", "copy", Global, false),
    b!("PgUp", [(KeyCode::PageUp, NONE)], Action::PaneUp, "scroll the pane up (or the mouse wheel)", "scroll", Global, false),
    b!("PgDn", [(KeyCode::PageDown, NONE)], Action::PaneDown, "scroll the pane down (or the mouse wheel)", "scroll", Global, false),
];

/// The action bound to a key in a scope. Digits 1–8 map to their kind; `]` is the other half
/// of `[ ]`.
pub fn lookup(code: KeyCode, mods: KeyModifiers, in_call: bool) -> Option<Action> {
    if code == KeyCode::Char(']') && in_call && (mods - SHIFT).is_empty() {
        return Some(Action::NextLeg);
    }
    if let KeyCode::Char(c @ '1'..='8') = code
        && !in_call
        && (mods - SHIFT).is_empty()
    {
        return c.to_digit(10).map(|d| Action::ToggleKind(d as u8 - 1));
    }
    BINDINGS
        .iter()
        .filter(|b| match b.scope {
            Scope::Global => true,
            Scope::Table => !in_call,
            Scope::Call => in_call,
        })
        .find(|b| b.keys.iter().any(|(k, m)| *k == code && *m == mods))
        .map(|b| b.action)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_per_scope() {
        let mut seen: Vec<(KeyCode, KeyModifiers, bool)> = Vec::new();
        for b in BINDINGS {
            for (k, m) in b.keys {
                for in_call in [false, true] {
                    let applies = match b.scope {
                        Scope::Global => true,
                        Scope::Table => !in_call,
                        Scope::Call => in_call,
                    };
                    if applies {
                        assert!(!seen.contains(&(*k, *m, in_call)), "{k:?} bound twice");
                        seen.push((*k, *m, in_call));
                    }
                }
            }
        }
    }

    #[test]
    fn digits_map_to_kinds() {
        assert_eq!(
            lookup(KeyCode::Char('4'), NONE, false),
            Some(Action::ToggleKind(3))
        );
        assert_eq!(lookup(KeyCode::Char('4'), NONE, true), None);
        assert_eq!(lookup(KeyCode::Char('c'), CTRL, true), Some(Action::Quit));
        assert_eq!(
            lookup(KeyCode::Char('c'), NONE, false),
            Some(Action::NarrowCall)
        );
    }

    #[test]
    fn brackets_switch_legs_in_the_call_view_only() {
        assert_eq!(
            lookup(KeyCode::Char('['), NONE, true),
            Some(Action::PrevLeg)
        );
        assert_eq!(
            lookup(KeyCode::Char(']'), NONE, true),
            Some(Action::NextLeg)
        );
        assert_eq!(lookup(KeyCode::Char('['), NONE, false), None);
        assert_eq!(lookup(KeyCode::Char(']'), NONE, false), None);
        assert_eq!(lookup(KeyCode::Char('x'), NONE, true), Some(Action::Export));
        assert_eq!(lookup(KeyCode::Char('y'), NONE, false), Some(Action::Copy));
    }
}
