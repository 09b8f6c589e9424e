//! Going back and going away: `q` backs out of a sub-view (as in mitmproxy and sngrep) and
//! asks once before quitting with events no file keeps; Esc peels the filters one layer at a
//! time and says which went.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Mode, View};
use crate::store::Filter;

impl App {
    /// `q`: the call view goes back to the table; at the top, quit, or ask first when events
    /// would be lost. (Overlays close on `q` in their own key handling.)
    pub(super) fn quit_or_back(&mut self) {
        if matches!(self.view, View::Call(_)) {
            self.leave_call();
            return;
        }
        self.request_quit();
    }

    /// Quits, or asks first when quitting would lose events.
    pub(super) fn request_quit(&mut self) {
        match self.unrecorded() {
            0 => self.quit = true,
            lost => self.mode = Mode::ConfirmQuit { lost },
        }
    }

    /// Events that live only in this process: all retained ones without `--record` (a replay
    /// is its file), else those since the recording was seen failing.
    pub fn unrecorded(&self) -> u64 {
        let retained = self.store.len() as u64;
        if !self.recorded {
            return retained;
        }
        self.record_failed_at.map_or(0, |at| {
            self.store
                .counters()
                .received
                .saturating_sub(at)
                .min(retained)
        })
    }

    /// Notes when the recording is first seen failing (from [`App::health`]): the events after
    /// it are not kept.
    pub fn note_record_error(&mut self) {
        if self.health.record_error.is_some() && self.record_failed_at.is_none() {
            self.record_failed_at = Some(self.store.counters().received);
        }
    }

    /// The answer to "quit?": `q` (again) or `y` quits, Ctrl-C too; any other key stays.
    pub(super) fn confirm_quit_key(&mut self, key: KeyEvent) {
        self.mode = Mode::Normal;
        let yes = matches!(key.code, KeyCode::Char('q' | 'y' | 'Q' | 'Y'))
            || self.lookup(key) == Some(Action::QuitNow);
        if yes {
            self.quit = true;
        } else {
            self.status = Some("not quitting".into());
        }
    }

    fn leave_call(&mut self) {
        self.view = View::Table;
        self.pane_scroll = 0;
    }

    /// Esc: out of the call view; in the table, clears one filter layer (the search, then the
    /// call, then problems, then the types) and says which, and what Esc clears next.
    pub(super) fn back(&mut self) {
        if matches!(self.view, View::Call(_)) {
            self.leave_call();
            return;
        }
        let f = self.store.filter().clone();
        let (cleared, rest) = match f {
            Filter {
                search: Some(s), ..
            } => (
                format!("the search /{}", crate::text::safe::line(s.text())),
                Filter { search: None, ..f },
            ),
            Filter { call: Some(c), .. } => (
                format!("the call filter {}", c.short()),
                Filter { call: None, ..f },
            ),
            Filter { problems: true, .. } => (
                "problems only".to_owned(),
                Filter {
                    problems: false,
                    ..f
                },
            ),
            Filter { kinds, .. } if kinds != 0 => {
                ("the type filter".to_owned(), Filter { kinds: 0, ..f })
            }
            _ => {
                self.status = Some("no filters to clear".into());
                return;
            }
        };
        let next = next_layer(&rest);
        self.set_filter(rest);
        self.status = Some(match next {
            Some(next) => format!("cleared {cleared} · Esc again clears {next}"),
            None => format!("cleared {cleared} · no filters left"),
        });
    }
}

/// What Esc would clear next, in the words of [`App::back`].
fn next_layer(f: &Filter) -> Option<&'static str> {
    if f.search.is_some() {
        Some("the search")
    } else if f.call.is_some() {
        Some("the call filter")
    } else if f.problems {
        Some("problems only")
    } else if f.kinds != 0 {
        Some("the type filter")
    } else {
        None
    }
}
