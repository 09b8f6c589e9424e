//! `$EDITOR` for a resend's parameters (`E`, then Ctrl-E): the monitor hands the terminal to
//! the editor (main screen, cooked mode, no mouse reporting), the editor edits a file of
//! `Name=value` lines, and the monitor takes the terminal back whatever happened: the editor
//! missing, failing, or a panic on the way (the panic hook restores the terminal for good).
//!
//! crossterm's key stream reads the terminal on a thread of its own; while the editor runs
//! that thread would take the editor's keys, so [`Keys`] drops the stream for the hand-over
//! and makes a new one at the next poll.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event as TermEvent, EventStream};
use crossterm::terminal::{self, EnterAlternateScreen, LeaveAlternateScreen};
use crossterm::{cursor, execute};
use futures::{Stream, StreamExt};

use super::resend::{self, Resender};
use crate::app::App;
use crate::domain::exchange::{self, Edit};

/// The editor to run: `VISUAL`, then `EDITOR` (set and not blank), as git and crontab pick.
pub fn command_from(visual: Option<OsString>, editor: Option<OsString>) -> Option<String> {
    [visual, editor]
        .into_iter()
        .flatten()
        .map(|v| v.to_string_lossy().trim().to_owned())
        .find(|v| !v.is_empty())
}

/// The editor from this process's environment.
pub fn from_env() -> Option<String> {
    command_from(std::env::var_os("VISUAL"), std::env::var_os("EDITOR"))
}

/// What the status line says when neither variable names an editor.
pub const NO_EDITOR: &str =
    "no editor: set VISUAL or EDITOR (export EDITOR=vim) — or edit inline with E";

/// Carries out `Effect::EditParams`: the file `text` goes to `command` (on the terminal
/// `handover` lends, when there is one), and what it holds after is checked and resent; any
/// failure is the status line, and then nothing is sent.
pub fn apply(
    app: &mut App,
    seq: u64,
    text: &str,
    command: Option<&str>,
    handover: Option<&Handover>,
    resender: Option<&mut Resender>,
) {
    let Some(command) = command else {
        app.status = Some(NO_EDITOR.into());
        return;
    };
    let edited = {
        let lent = match handover.map(|h| h.lend(app.mouse)).transpose() {
            Ok(lent) => lent,
            Err(e) => {
                app.status = Some(format!("cannot hand the terminal to the editor: {e}"));
                return;
            }
        };
        let edited = edit(command, text);
        drop(lent);
        edited
    };
    let params = match edited
        .and_then(|t| exchange::parse_params_text(&t).map_err(|why| format!("not sent: {why}")))
    {
        Ok(params) => params,
        Err(why) => {
            app.status = Some(why);
            return;
        }
    };
    if params.is_empty() {
        app.status = Some("no parameters left in the file: nothing sent".into());
        return;
    }
    resend::apply(app, seq, &[Edit::Replace(params)], resender);
}

/// The terminal's keys, given up while an editor has the terminal.
#[derive(Clone, Default)]
pub struct Keys(Arc<Mutex<Option<EventStream>>>);

impl Keys {
    /// Stops reading the terminal: crossterm's reader thread is woken and ends.
    fn release(&self) {
        drop(self.0.lock().unwrap_or_else(PoisonError::into_inner).take());
    }
}

impl Stream for Keys {
    type Item = std::io::Result<TermEvent>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let mut stream = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        stream
            .get_or_insert_with(EventStream::new)
            .poll_next_unpin(cx)
    }
}

/// The real terminal, lent to a child process for as long as the guard lives.
pub struct Handover {
    pub keys: Keys,
}

/// Takes the terminal back when dropped: raw mode, the alternate screen, the mouse as it was.
/// During a panic it does nothing: the panic hook has restored the terminal for the message.
pub struct Lent {
    mouse: bool,
}

impl Handover {
    /// Gives the terminal up: keys, mouse reporting, the alternate screen and raw mode.
    pub fn lend(&self, mouse: bool) -> std::io::Result<Lent> {
        self.keys.release();
        let lent = Lent { mouse };
        let mut out = std::io::stdout();
        execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show)?;
        terminal::disable_raw_mode()?;
        Ok(lent)
    }
}

impl Drop for Lent {
    fn drop(&mut self) {
        if std::thread::panicking() {
            return;
        }
        let mut out = std::io::stdout();
        let _ = terminal::enable_raw_mode();
        let _ = execute!(
            out,
            EnterAlternateScreen,
            terminal::Clear(terminal::ClearType::All),
            cursor::Hide
        );
        if self.mouse {
            let _ = execute!(out, EnableMouseCapture);
        }
    }
}

/// A file of its own for each edit, removed when it is dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn create(text: &str) -> Result<Scratch, String> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let path =
            std::env::temp_dir().join(format!("twimon-resend-{}-{n}.params", std::process::id()));
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)
            .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let scratch = Scratch(path);
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| format!("cannot write {}: {e}", scratch.0.display()))?;
        Ok(scratch)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs `command` on a file holding `text` and returns what the file holds after. The
/// command is read by `sh` as git reads `$EDITOR`, so `code --wait` or `vim -u NONE` work.
/// Blocks until the editor ends (on a runtime worker that has handed its tasks on).
pub fn edit(command: &str, text: &str) -> Result<String, String> {
    let scratch = Scratch::create(text)?;
    let status = blocking(|| run(command, &scratch.0))
        .map_err(|e| format!("cannot run the editor {command:?}: {e}"))?;
    if !status.success() {
        let how = status
            .code()
            .map_or_else(|| "was killed".to_owned(), |c| format!("exited with {c}"));
        let hint = if status.code() == Some(127) {
            " (is it installed, and on PATH?)"
        } else {
            ""
        };
        return Err(format!("the editor {command:?} {how}{hint}: nothing sent"));
    }
    std::fs::read_to_string(&scratch.0)
        .map_err(|e| format!("cannot read back {}: {e}", scratch.0.display()))
}

fn run(command: &str, path: &Path) -> std::io::Result<std::process::ExitStatus> {
    Command::new("sh")
        .arg("-c")
        .arg(format!("{command} \"$@\""))
        .arg(command)
        .arg(path)
        .status()
}

/// `f` on this thread; on a multi-threaded runtime its worker first hands its other tasks on,
/// so the proxy keeps serving while the editor is open.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visual_comes_before_editor_and_blank_is_unset() {
        let s = |v: &str| Some(OsString::from(v));
        assert_eq!(
            command_from(s("code --wait"), s("vi")).as_deref(),
            Some("code --wait")
        );
        assert_eq!(command_from(s("  "), s("vi")).as_deref(), Some("vi"));
        assert_eq!(command_from(None, s("nano")).as_deref(), Some("nano"));
        assert_eq!(command_from(None, s("")), None);
        assert_eq!(command_from(None, None), None);
    }

    #[test]
    fn the_editor_edits_a_file_that_is_removed_after() {
        let marker =
            std::env::temp_dir().join(format!("twimon-editor-test-{}", std::process::id()));
        let script = format!(
            "sh -c 'sed -i s/Digits=2/Digits=7/ \"$1\" && printf %s \"$1\" > {}' sh",
            marker.display()
        );
        let out = edit(&script, "CallSid=CA1\nDigits=2\n").unwrap();
        assert_eq!(out, "CallSid=CA1\nDigits=7\n");
        let edited = std::fs::read_to_string(&marker).unwrap();
        let _ = std::fs::remove_file(&marker);
        assert!(edited.contains("twimon-resend-"), "{edited}");
        assert!(
            !Path::new(&edited).exists(),
            "the scratch file {edited} is removed"
        );
    }

    #[test]
    fn a_failing_or_missing_editor_says_so() {
        let failed = edit("false", "Digits=2\n").unwrap_err();
        assert!(
            failed.contains("exited with 1") && failed.contains("nothing sent"),
            "{failed}"
        );
        let missing = edit("twimon-no-such-editor", "Digits=2\n").unwrap_err();
        assert!(
            missing.contains("127") && missing.contains("PATH"),
            "{missing}"
        );
    }
}
