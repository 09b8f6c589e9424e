//! The `:` command prompt, for the rarer actions (`:export`, `:goto 03:00`, `:theme light`,
//! `:columns …`, `:q`), and `@`, its shorthand for `:goto`. The commands are one table: a
//! command for each action a key is bound to, plus those that take an argument; Tab completes
//! from it, and a command it does not know is an error shown in the prompt itself.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::look::Column;
use super::{Action, App, Mode, Pane};
use crate::domain::EventKind;

/// The line being typed after `:` or `@`, and what the prompt says about it. The line is
/// edited as the `/` prompt's is (cursor keys, Ctrl-A/E/U/K/W, ↑↓ through earlier lines).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    /// `:` for a command, `@` for a time to jump to.
    pub sigil: char,
    pub line: super::prompt::Prompt,
    /// Why the last Enter or Tab did not work; cleared by the next edit.
    pub error: Option<String>,
    /// The names Tab found when it could not pick one.
    pub choices: Vec<&'static str>,
}

impl Prompt {
    pub fn new(sigil: char) -> Self {
        Prompt {
            sigil,
            line: super::prompt::Prompt::default(),
            error: None,
            choices: Vec::new(),
        }
    }

    pub fn text(&self) -> &str {
        self.line.text()
    }

    /// Which of the app's prompt histories this prompt's ↑/↓ walk: `:` commands and `@`
    /// times are kept apart.
    pub(super) fn history_slot(&self) -> usize {
        usize::from(self.sigil == '@')
    }

    /// Applies an editing key; returns whether it was one. `history` is oldest first.
    fn edit(&mut self, key: KeyEvent, history: &[String]) -> bool {
        let changed = self.line.edit(key, history) == super::prompt::Edit::Changed;
        if changed {
            self.error = None;
            self.choices.clear();
        }
        changed
    }
}

/// What a command does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Run {
    /// What its key does; takes no argument.
    Key(Action),
    /// Jump to a time.
    Goto,
    /// Ask before quitting, as `q` at the top does.
    Quit,
    /// Switch the colour theme.
    Theme,
    /// Choose the table's columns.
    Columns,
    /// Show / add / remove an event type, by name.
    Type,
    /// Show a pane, by name.
    Pane,
}

/// One command of the prompt.
#[derive(Debug, Clone, Copy)]
pub struct Command {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    /// The argument, as the help writes it (empty: none).
    pub arg: &'static str,
    pub help: &'static str,
    pub run: Run,
}

macro_rules! c {
    ($name:expr, [$($alias:expr),*], $arg:expr, $run:expr, $help:expr) => {
        Command { name: $name, aliases: &[$($alias),*], arg: $arg, help: $help, run: $run }
    };
}

use Action as A;

/// Every command, the common ones first (the order Tab lists them in).
#[rustfmt::skip]
pub const COMMANDS: &[Command] = &[
    c!("goto", [], "TIME", Run::Goto, "select the first event at or after TIME (03:00, 03:00:15, 2026-11-30T03:00; also @TIME)"),
    c!("export", [], "", Run::Key(A::Export), "export the call as markdown to a file here"),
    c!("theme", [], "NAME", Run::Theme, "switch the colour theme"),
    c!("columns", [], "LIST", Run::Columns, "the table's columns: time,type,call,Digits,code… (any parameter; default; none: show them)"),
    c!("quit", ["q"], "", Run::Quit, "quit (asks when events are unrecorded)"),
    c!("quit!", ["q!"], "", Run::Key(A::QuitNow), "quit at once"),
    c!("help", [], "", Run::Key(A::Help), "the keys and commands"),
    c!("stats", [], "", Run::Key(A::Stats), "the stats overlay"),
    c!("copy", [], "", Run::Key(A::Copy), "copy the TwiML shown, or the call SID"),
    c!("mask", [], "", Run::Key(A::Mask), "toggle masking"),
    c!("resend", [], "", Run::Key(A::Resend), "resend the request to your app (twimon proxy)"),
    c!("edit-resend", [], "", Run::Key(A::EditResend), "edit the parameters (inline, or Ctrl-E for $EDITOR), then resend"),
    c!("diff", [], "", Run::Key(A::MarkDiff), "mark for a TwiML diff; on another event: the diff"),
    c!("mouse", [], "", Run::Key(A::MouseCapture), "release / capture the mouse"),
    c!("caller", [], "", Run::Key(A::Caller), "the caller panel of `twimon call`: keys to it, or back"),
    c!("type", [], "NAME", Run::Type, "show / add / remove an event type (gather, dial, …)"),
    c!("all", [], "", Run::Key(A::AllKinds), "all event types again"),
    c!("next-family", [], "", Run::Key(A::NextFamily), "one family alone: the next (TwiML, progress, errors, Studio, API, other, all)"),
    c!("prev-family", [], "", Run::Key(A::PrevFamily), "one family alone: the previous"),
    c!("problems", [], "", Run::Key(A::Problems), "problems only (again: everything)"),
    c!("call", [], "", Run::Key(A::NarrowCall), "only the selected event's call (again: all)"),
    c!("search", [], "", Run::Key(A::Search), "open the search"),
    c!("next-match", [], "", Run::Key(A::NextMatch), "the next event the last expression matches"),
    c!("prev-match", [], "", Run::Key(A::PrevMatch), "the previous event the last expression matches"),
    c!("open", [], "", Run::Key(A::OpenCall), "open the call's timeline"),
    c!("back", [], "", Run::Key(A::Back), "back; in the table: clear a filter"),
    c!("pane", [], "NAME", Run::Pane, "show the twiml, raw or params pane"),
    c!("prev-leg", [], "", Run::Key(A::PrevLeg), "the previous leg of a dialed call"),
    c!("next-leg", [], "", Run::Key(A::NextLeg), "the next leg of a dialed call"),
    c!("top", [], "", Run::Key(A::Top), "the first event"),
    c!("follow", [], "", Run::Key(A::Follow), "follow the newest event"),
    c!("up", [], "", Run::Key(A::Up), "move up a row"),
    c!("down", [], "", Run::Key(A::Down), "move down a row"),
    c!("page-up", [], "", Run::Key(A::PageUp), "move up a page"),
    c!("page-down", [], "", Run::Key(A::PageDown), "move down a page"),
    c!("half-up", [], "", Run::Key(A::HalfUp), "move up half a page"),
    c!("half-down", [], "", Run::Key(A::HalfDown), "move down half a page"),
    c!("pane-up", [], "", Run::Key(A::PaneUp), "scroll the pane up"),
    c!("pane-down", [], "", Run::Key(A::PaneDown), "scroll the pane down"),
];

const PANES: [(&str, Pane); 3] = [
    ("twiml", Pane::Twiml),
    ("raw", Pane::Raw),
    ("params", Pane::Params),
];

/// The command of this name or alias.
pub fn find(name: &str) -> Option<&'static Command> {
    COMMANDS
        .iter()
        .find(|c| c.name == name || c.aliases.contains(&name))
}

/// The command that does what a key bound to `action` does.
pub fn for_action(action: Action) -> Option<&'static Command> {
    COMMANDS.iter().find(|c| match (c.run, action) {
        (Run::Key(a), b) => a == b,
        (Run::Goto, Action::Goto)
        | (Run::Quit, Action::Quit)
        | (Run::Type, Action::ToggleKind(_))
        | (Run::Pane, Action::Pane(_)) => true,
        _ => false,
    })
}

/// An event type by the name the table shows (`gather.finished`) or its first word
/// (`gather`).
fn kind_named(name: &str) -> Option<u8> {
    EventKind::TWIML
        .iter()
        .position(|k| {
            let short = k.short();
            short == name || short.split('.').next() == Some(name)
        })
        .and_then(|i| u8::try_from(i).ok())
}

fn kind_names() -> Vec<&'static str> {
    EventKind::TWIML.iter().map(|k| k.short()).collect()
}

/// What Tab may complete a command's argument to.
fn arg_choices(run: Run) -> Vec<&'static str> {
    match run {
        Run::Type => kind_names(),
        Run::Pane => PANES.iter().map(|(n, _)| *n).collect(),
        Run::Theme => super::look::Theme::ALL.iter().map(|t| t.name()).collect(),
        _ => Vec::new(),
    }
}

/// The longest prefix all of `words` share.
fn common_prefix<'a>(words: &[&'a str]) -> &'a str {
    let Some(first) = words.first() else {
        return "";
    };
    let mut end = first.len();
    for w in &words[1..] {
        end = first
            .char_indices()
            .zip(w.chars())
            .take_while(|((_, a), b)| a == b)
            .last()
            .map_or(0, |((i, a), _)| i + a.len_utf8())
            .min(end);
    }
    &first[..end]
}

/// Completes `text` (a command line without its `:`) from the table: the command's name,
/// else its argument. Returns the new text and the choices left when more than one fits.
pub fn complete(text: &str) -> Result<(String, Vec<&'static str>), String> {
    let (word, rest) = match text.split_once(' ') {
        None => (text, None),
        Some((w, r)) => (w, Some(r)),
    };
    let Some(arg) = rest else {
        let names: Vec<&str> = COMMANDS
            .iter()
            .flat_map(|c| std::iter::once(c.name).chain(c.aliases.iter().copied()))
            .filter(|n| n.starts_with(word))
            .collect();
        return match names.as_slice() {
            [] => Err(unknown(word)),
            [one] => {
                let takes_arg = find(one).is_some_and(|c| !c.arg.is_empty());
                Ok((
                    format!("{one}{}", if takes_arg { " " } else { "" }),
                    Vec::new(),
                ))
            }
            many => Ok((common_prefix(many).to_owned(), names)),
        };
    };
    let command = find(word).ok_or_else(|| unknown(word))?;
    let arg = arg.trim_start();
    if command.run == Run::Columns {
        return Ok(complete_columns(word, arg));
    }
    let choices: Vec<&str> = arg_choices(command.run)
        .into_iter()
        .filter(|c| c.starts_with(arg))
        .collect();
    match choices.as_slice() {
        [] => Ok((text.to_owned(), Vec::new())),
        [one] => Ok((format!("{word} {one}"), Vec::new())),
        many => Ok((format!("{word} {}", common_prefix(many)), choices)),
    }
}

/// Tab after `:columns`: the list's last name, completed from the built-in columns and the
/// parameters twimon knows, ASCII case ignored (`dig` becomes `Digits`).
fn complete_columns(word: &str, arg: &str) -> (String, Vec<&'static str>) {
    let cut = arg.rfind([',', ' ']).map_or(0, |i| i + 1);
    let (done, last) = arg.split_at(cut);
    let choices: Vec<&'static str> = Column::names()
        .into_iter()
        .filter(|n| {
            n.len() >= last.len()
                && n.as_bytes()[..last.len()].eq_ignore_ascii_case(last.as_bytes())
        })
        .collect();
    let completed = match choices.as_slice() {
        [] => last.to_owned(),
        [one] => (*one).to_owned(),
        many => {
            let shared = common_prefix_ci(many);
            if shared.len() < last.len() {
                last.to_owned()
            } else {
                shared.to_owned()
            }
        }
    };
    let choices = if choices.len() > 1 {
        choices
    } else {
        Vec::new()
    };
    (format!("{word} {done}{completed}"), choices)
}

/// [`common_prefix`] with ASCII case ignored, in the first word's spelling.
fn common_prefix_ci<'a>(words: &[&'a str]) -> &'a str {
    let Some(first) = words.first() else {
        return "";
    };
    let mut end = first.len();
    for w in &words[1..] {
        let same = first
            .bytes()
            .zip(w.bytes())
            .take_while(|(a, b)| a.eq_ignore_ascii_case(b))
            .count();
        end = end.min(same);
    }
    while !first.is_char_boundary(end) {
        end -= 1;
    }
    &first[..end]
}

fn unknown(word: &str) -> String {
    format!(
        "unknown command :{} (Tab lists the commands, :help the keys)",
        crate::text::safe::line(word)
    )
}

impl App {
    /// Keys while the prompt is open: edits, Tab completes, Enter runs, Esc (or Ctrl-C, as in
    /// the search) cancels.
    pub(super) fn command_key(&mut self, key: KeyEvent) -> bool {
        let Mode::Command(prompt) = &mut self.mode else {
            return false;
        };
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => self.mode = super::Mode::Normal,
            KeyCode::Char('c') if ctrl => self.mode = super::Mode::Normal,
            KeyCode::Tab if prompt.sigil == ':' => match complete(prompt.text()) {
                Ok((text, choices)) => {
                    prompt.line = super::prompt::Prompt::new(&text);
                    prompt.choices = choices;
                    prompt.error = None;
                }
                Err(e) => prompt.error = Some(e),
            },
            KeyCode::Enter => {
                let line = prompt.text().trim().to_owned();
                if !line.is_empty() {
                    super::prompt::remember(&mut self.prompt_history[prompt.history_slot()], &line);
                }
                let line = if prompt.sigil == '@' {
                    format!("goto {line}")
                } else {
                    line
                };
                if let Err(e) = self.run_command(&line)
                    && let Mode::Command(prompt) = &mut self.mode
                {
                    prompt.error = Some(e);
                    prompt.choices.clear();
                }
            }
            _ => return prompt.edit(key, &self.prompt_history[prompt.history_slot()]),
        }
        true
    }

    /// Runs one command line (without its `:`). On success the prompt is closed; an error
    /// leaves it open, to fix, and is returned to show in it.
    pub fn run_command(&mut self, line: &str) -> Result<(), String> {
        let (word, arg) = match line.split_once(char::is_whitespace) {
            Some((w, a)) => (w, a.trim()),
            None => (line, ""),
        };
        if word.is_empty() {
            self.mode = Mode::Normal;
            return Ok(());
        }
        let command = find(word).ok_or_else(|| unknown(word))?;
        if command.arg.is_empty() && !arg.is_empty() {
            return Err(format!(":{} takes no argument", command.name));
        }
        if !command.arg.is_empty()
            && arg.is_empty()
            && !matches!(command.run, Run::Goto | Run::Columns)
        {
            return Err(format!("usage: :{} {}", command.name, command.arg));
        }
        match command.run {
            Run::Goto => {
                self.goto(arg)?;
                self.mode = Mode::Normal;
                return Ok(());
            }
            Run::Type => {
                let i = kind_named(arg).ok_or_else(|| {
                    format!(
                        "no event type {:?}; one of: {}",
                        crate::text::safe::line(arg),
                        kind_names().join(", ")
                    )
                })?;
                self.mode = Mode::Normal;
                self.update(Action::ToggleKind(i));
            }
            Run::Pane => {
                let pane = PANES
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(arg))
                    .map(|(_, p)| *p)
                    .ok_or_else(|| {
                        format!(
                            "no pane {:?}; one of: twiml, raw, params",
                            crate::text::safe::line(arg)
                        )
                    })?;
                self.mode = Mode::Normal;
                self.update(Action::Pane(pane));
            }
            Run::Theme => {
                let theme: super::look::Theme = arg.parse()?;
                self.mode = Mode::Normal;
                self.set_theme(theme);
                self.status = Some(format!("theme {theme}"));
            }
            Run::Columns => {
                if !arg.is_empty() {
                    self.columns = Column::list(arg)?;
                }
                self.mode = Mode::Normal;
                self.status = Some(format!("columns {}", Column::list_text(&self.columns)));
            }
            Run::Quit => {
                self.mode = Mode::Normal;
                self.status = None;
                self.request_quit();
            }
            Run::Key(action) => {
                self.mode = Mode::Normal;
                self.update(action);
            }
        }
        Ok(())
    }

    /// The prompt being typed, when it is open.
    pub fn prompt(&self) -> Option<&Prompt> {
        match &self.mode {
            Mode::Command(p) => Some(p),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::keymap::BINDINGS;

    #[test]
    fn every_bound_action_has_a_command() {
        for b in BINDINGS {
            for k in b.keys {
                if k.action == Action::Command {
                    continue;
                }
                assert!(
                    for_action(k.action).is_some(),
                    "no command for {:?} ({})",
                    k.action,
                    b.label
                );
            }
        }
    }

    #[test]
    fn names_and_aliases_are_unique() {
        let mut seen = Vec::new();
        for c in COMMANDS {
            for n in std::iter::once(c.name).chain(c.aliases.iter().copied()) {
                assert!(!seen.contains(&n), "{n} twice");
                seen.push(n);
            }
        }
    }

    #[test]
    fn tab_completes_a_name_then_its_argument() {
        assert_eq!(complete("go").unwrap(), ("goto ".into(), vec![]));
        assert_eq!(complete("exp").unwrap(), ("export".into(), vec![]));
        let (text, choices) = complete("p").unwrap();
        assert_eq!(text, "p");
        assert!(choices.contains(&"problems") && choices.contains(&"pane"));
        let (text, choices) = complete("pa").unwrap();
        assert_eq!(text, "pa");
        assert_eq!(
            choices,
            ["pane", "page-up", "page-down", "pane-up", "pane-down"]
        );
        assert_eq!(complete("pane r").unwrap(), ("pane raw".into(), vec![]));
        assert_eq!(
            complete("type ga").unwrap(),
            ("type gather.finished".into(), vec![])
        );
        let (text, choices) = complete("type call.").unwrap();
        assert_eq!(text, "type call.");
        assert_eq!(
            choices,
            ["call.requested", "call.redirected", "call.transferred"]
        );
        assert_eq!(
            complete("type call.re").unwrap().0,
            "type call.re",
            "requested and redirected share it"
        );
        assert!(
            complete("zz")
                .unwrap_err()
                .starts_with("unknown command :zz")
        );
    }

    #[test]
    fn tab_completes_the_last_column_of_the_list() {
        assert_eq!(
            complete("columns time,ty").unwrap(),
            ("columns time,type".into(), vec![])
        );
        assert_eq!(
            complete("columns time,dig").unwrap(),
            ("columns time,Digits".into(), vec![])
        );
        let (text, choices) = complete("columns type dial").unwrap();
        assert_eq!(text, "columns type Dial");
        assert_eq!(
            choices,
            ["DialCallStatus", "DialCallDuration", "DialBridged"]
        );
        let (text, choices) = complete("columns type dialc").unwrap();
        assert_eq!(text, "columns type DialCall");
        assert_eq!(choices, ["DialCallStatus", "DialCallDuration"]);
        assert_eq!(
            complete("columns Custom").unwrap(),
            ("columns Custom".into(), vec![]),
            "a parameter twimon does not know is left as typed"
        );
    }

    #[test]
    fn the_common_prefix_is_the_shared_start() {
        assert_eq!(common_prefix(&["page-up", "page-down"]), "page-");
        assert_eq!(common_prefix(&["a", "b"]), "");
        assert_eq!(common_prefix(&["same"]), "same");
        assert_eq!(common_prefix(&[]), "");
    }
}
