//! Getting a call out of the monitor: moving between its legs, exporting it to a markdown
//! file (`x`), copying its TwiML or SID to the clipboard (`y`). The file and the clipboard
//! are the event loop's: these ask for them with an [`Effect`].

use super::{App, Effect, Pane, View};
use crate::domain::CallSid;

impl App {
    /// The call view of the next (or previous) leg that has events, wrapping around.
    pub(super) fn switch_leg(&mut self, forward: bool) {
        let View::Call(cv) = &self.view else { return };
        let legs = &cv.legs;
        if legs.is_empty() {
            self.status =
                Some("this call has no other legs (no ParentCallSid / DialCallSid)".into());
            return;
        }
        let n = legs.len();
        let here = legs.iter().position(|l| l.sid == cv.sid).unwrap_or(0);
        let target = (1..n)
            .map(|step| {
                if forward {
                    (here + step) % n
                } else {
                    (here + n - step) % n
                }
            })
            .find(|&i| legs[i].seen());
        let Some(i) = target else {
            self.status = Some("the other legs of this call have no retained events".into());
            return;
        };
        let sid = legs[i].sid.clone();
        let role = if legs[i].parent { "parent" } else { "dialed" };
        self.status = Some(format!("leg {} of {n} ({role}): {}", i + 1, sid.short()));
        self.show_call(sid, None);
    }

    /// The call `x` and `y` act on: the call view's, else the selected event's.
    fn acted_call(&self) -> Option<CallSid> {
        match &self.view {
            View::Call(cv) => Some(cv.sid.clone()),
            View::Table => self.current().and_then(|e| e.call_sid.clone()),
        }
    }

    /// Asks for the call as a markdown incident record in a new file.
    pub(super) fn export(&mut self) {
        match self.acted_call() {
            Some(sid) => self.effects.push(Effect::Export {
                sid,
                mask: self.mask,
            }),
            None => self.status = Some("nothing to export: select an event of a call".into()),
        }
    }

    /// Puts the TwiML shown (TwiML pane, an event selected), else the call SID, on the
    /// clipboard; the event loop writes it to the terminal.
    pub(super) fn copy(&mut self) {
        self.prepare();
        if self.pane == Pane::Twiml
            && let Some(ev) = self.current()
            && let Some(text) = self.twiml_text(ev.seq)
        {
            let lines = text.lines().count();
            let what = ev.kind.short();
            self.effects.push(Effect::Copy(text));
            self.status = Some(format!(
                "copied the TwiML of this {what} ({lines} lines{}) to the clipboard",
                if self.mask { ", masked" } else { "" }
            ));
            return;
        }
        match self.acted_call() {
            Some(sid) => {
                self.status = Some(format!("copied {sid} to the clipboard"));
                self.effects.push(Effect::Copy(
                    crate::text::safe::line(sid.as_str()).into_owned(),
                ));
            }
            None => self.status = Some("nothing to copy: this event has no call SID".into()),
        }
    }

    /// An event's TwiML as text (pretty-printed when it parsed), terminal-safe, masked when
    /// masking is on; None when it has no body.
    fn twiml_text(&self, seq: u64) -> Option<String> {
        let ev = self.store.get(seq)?;
        ev.response_body().filter(|b| !b.trim().is_empty())?;
        let decoded = self.decoded(seq)?;
        if decoded.base64_error.is_some() {
            return None;
        }
        let text = decoded.plain_text();
        let text = crate::text::safe::text(&text).into_owned();
        Some(if self.mask {
            crate::text::mask::text(&text).into_owned()
        } else {
            text
        })
    }
}
