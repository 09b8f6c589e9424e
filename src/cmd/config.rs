//! The config file: `$XDG_CONFIG_HOME/twimon/config.toml` (else `~/.config/twimon/`), or
//! `--config FILE`; `--no-config` reads none.
//!
//! The file holds the flags' defaults. The rule: a key of [`FLAG_KEYS`] names a clap argument
//! id, and its value becomes that argument's default in every command that has it, before
//! the command line is parsed. So clap itself decides the precedence — a flag beats its
//! environment variable, which beats the file, which beats the built-in default — and
//! `--help` shows the defaults in force. A new flag becomes a config key with one line in
//! [`FLAG_KEYS`]. The auth token is never required in the file: `auth-token-env` names a
//! variable and `auth-token-file` a file that hold it. `[keys]` rebinds keys over the
//! keymap's table (`app::keys`).
//!
//! A bad file is an error naming the file and line, never a guess: a syntax error, an
//! unknown key (with the nearest valid one and the list), a value of the wrong type or one
//! the flag would refuse.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clap::parser::ValueSource;
use clap::{Arg, ArgAction, ArgMatches, Command, CommandFactory, FromArgMatches};
use toml::de::{DeTable, DeValue};

use crate::app::keys::{ACTIONS, Keymap, nearest};
use crate::cli::Cli;

/// Config keys that set a flag's default: `(key, clap argument id)`, in the order
/// `twimon config` lists them. A key whose flag this build lacks is read, checked as text and
/// shown by `twimon config`, and sets nothing.
pub const FLAG_KEYS: &[(&str, &str)] = &[
    ("addr", "addr"),
    ("body-limit", "body_limit"),
    ("public-url", "public_url"),
    ("max-events", "max_events"),
    ("mask", "mask"),
    ("format", "format"),
    ("log-file", "log_file"),
    ("theme", "theme"),
    ("columns", "columns"),
];

/// The keys that say where the auth token comes from (one of them at most).
const TOKEN_KEYS: [&str; 3] = ["auth-token-env", "auth-token-file", "auth-token"];

/// The argument the token keys set.
const TOKEN_ARG: &str = "auth_token";

/// A value as the file wrote it, turned into what a flag takes.
#[derive(Debug, Clone, PartialEq)]
enum Value {
    Text(String),
    Bool(bool),
    List(Vec<String>),
}

impl Value {
    /// As `twimon config` prints it: TOML again.
    fn toml(&self) -> String {
        match self {
            Value::Text(s) => quote(s),
            Value::Bool(b) => b.to_string(),
            Value::List(v) => format!(
                "[{}]",
                v.iter()
                    .map(|s| format!("{s:?}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

fn quote(s: &str) -> String {
    if s.parse::<i64>().is_ok() {
        s.to_owned()
    } else {
        format!("{s:?}")
    }
}

/// One key of the file, with the line it is on.
#[derive(Debug, Clone)]
struct Setting {
    key: &'static str,
    value: Value,
    line: usize,
}

/// Where the auth token comes from, as the file says.
#[derive(Debug, Clone)]
enum TokenSource {
    Env(String),
    File(PathBuf),
    Inline(String),
}

/// The config file as read and checked.
#[derive(Debug, Clone, Default)]
struct File {
    path: PathBuf,
    settings: Vec<Setting>,
    token: Option<(TokenSource, usize)>,
    keys: Rebindings,
}

/// Which file to read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Choice {
    /// The default location, when a file is there.
    Default(Option<PathBuf>),
    /// `--config FILE`: it must exist.
    Given(PathBuf),
    /// `--no-config`.
    Off,
}

/// The configuration in force: the file (if any), and what it made.
#[derive(Debug, Clone)]
pub struct Loaded {
    choice: Choice,
    file: Option<File>,
    keymap: Keymap,
    /// Why the token keys gave no token (a variable not set), for `twimon config`.
    token_note: Option<String>,
    /// What `twimon config` prints, when that is the command.
    pub report: Option<String>,
}

/// Why the command line and config could not be read.
#[derive(Debug)]
pub enum Failure {
    /// The command line: clap prints it (and `--help`, `--version`) and exits.
    Cli(clap::Error),
    /// The config file: a one-line error naming the file and line.
    Config(String),
}

/// The keymap the monitor uses, set once by [`load`] before any command runs (the commands
/// reach the monitor through several layers that have no other business with keys).
static KEYMAP: OnceLock<Keymap> = OnceLock::new();

/// The keys in force: the table with the config's rebindings.
pub fn keymap() -> Keymap {
    KEYMAP.get().cloned().unwrap_or_default()
}

/// Reads the config file, lays it under the command line, and parses the command line.
pub fn load(argv: Vec<OsString>) -> Result<(Cli, Loaded), Failure> {
    let choice = choose(&argv, |v| std::env::var_os(v));
    let file = match &choice {
        Choice::Off | Choice::Default(None) => None,
        Choice::Default(Some(path)) => read(path, false)?,
        Choice::Given(path) => read(path, true)?,
    };
    let mut cmd = Cli::command();
    let mut token_note = None;
    let mut keymap = Keymap::default();
    if let Some(f) = &file {
        cmd = apply(cmd, f, &mut token_note)?;
        let rebind: BTreeMap<String, Vec<String>> = f
            .keys
            .iter()
            .map(|(a, (k, _))| (a.clone(), k.clone()))
            .collect();
        keymap = Keymap::with(&rebind).map_err(|e| {
            let line = match &e {
                crate::app::keys::KeyError::UnknownAction(a)
                | crate::app::keys::KeyError::NoKeys(a) => f.keys.get(a).map(|(_, l)| *l),
                crate::app::keys::KeyError::BadKey { action, .. }
                | crate::app::keys::KeyError::Conflict { action, .. } => {
                    f.keys.get(action).map(|(_, l)| *l)
                }
            };
            at(&f.path, line.unwrap_or(1), &format!("[keys] {e}"))
        })?;
    }
    cmd = describe_paths(cmd, &choice);
    let matches = cmd.try_get_matches_from(argv).map_err(Failure::Cli)?;
    let cli = Cli::from_arg_matches(&matches).map_err(Failure::Cli)?;
    let _ = KEYMAP.set(keymap.clone());
    let mut loaded = Loaded {
        choice,
        file,
        keymap,
        token_note,
        report: None,
    };
    if let Some(("config", sub)) = matches.subcommand() {
        loaded.report = Some(loaded.report(sub));
    }
    Ok((cli, loaded))
}

/// `--config FILE` / `--config=FILE` / `--no-config` among the arguments (before `--`), else
/// the default location: `$XDG_CONFIG_HOME/twimon/config.toml` (an absolute path, as the
/// XDG spec requires), else `$HOME/.config/twimon/config.toml`.
fn choose(argv: &[OsString], env: impl Fn(&str) -> Option<OsString>) -> Choice {
    let mut args = argv.iter().skip(1);
    while let Some(a) = args.next() {
        let Some(a) = a.to_str() else { continue };
        match a {
            "--" => break,
            "--no-config" => return Choice::Off,
            "--config" => {
                if let Some(path) = args.next() {
                    return Choice::Given(PathBuf::from(path));
                }
            }
            _ => {
                if let Some(path) = a.strip_prefix("--config=") {
                    return Choice::Given(PathBuf::from(path));
                }
            }
        }
    }
    Choice::Default(default_path(env("XDG_CONFIG_HOME"), env("HOME")))
}

/// The default config file, when there is a place for one.
pub fn default_path(config_home: Option<OsString>, home: Option<OsString>) -> Option<PathBuf> {
    let absolute = |v: OsString| Some(PathBuf::from(v)).filter(|p| p.is_absolute());
    match config_home.and_then(absolute) {
        Some(dir) => Some(dir.join("twimon/config.toml")),
        None => home
            .and_then(absolute)
            .map(|h| h.join(".config/twimon/config.toml")),
    }
}

fn at(path: &Path, line: usize, what: &str) -> Failure {
    Failure::Config(format!(
        "{}:{line}: {what}",
        crate::text::safe::line(&path.display().to_string())
    ))
}

/// Reads and checks a config file; a missing default file is no file.
fn read(path: &Path, given: bool) -> Result<Option<File>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if !given && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(Failure::Config(format!(
                "cannot read the config file {}: {e}",
                crate::text::safe::line(&path.display().to_string())
            )));
        }
    };
    let file = parse(path, &text).map_err(|(line, what)| at(path, line, &what))?;
    if let Some((TokenSource::Inline(_), line)) = &file.token
        && let Some(mode) = open_to_others(path)
    {
        eprintln!(
            "twimon: warning: {}:{line}: the auth token sits in a file others can read \
             (mode {mode:o}); chmod 600 it, or name its source with auth-token-env or \
             auth-token-file",
            crate::text::safe::line(&path.display().to_string())
        );
    }
    Ok(Some(file))
}

/// The file's mode when group or others may read it.
fn open_to_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o077 != 0).then_some(mode)
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset).map_or(1, |before| {
        before.bytes().filter(|b| *b == b'\n').count() + 1
    })
}

/// Every key the file may hold, for the "unknown key" error.
fn valid_keys() -> Vec<&'static str> {
    FLAG_KEYS
        .iter()
        .map(|(k, _)| *k)
        .chain(TOKEN_KEYS)
        .chain(["keys"])
        .collect()
}

/// Parses the file's text; an error is its line and what is wrong.
fn parse(path: &Path, text: &str) -> Result<File, (usize, String)> {
    let table = DeTable::parse(text).map_err(|e| {
        let line = e.span().map_or(1, |s| line_of(text, s.start));
        (line, format!("not valid TOML: {}", e.message().trim()))
    })?;
    let mut file = File {
        path: path.to_owned(),
        ..File::default()
    };
    for (key, value) in table.get_ref() {
        let line = line_of(text, key.span().start);
        let name: &str = key.get_ref();
        if name == "keys" {
            file.keys = keys_table(text, value.get_ref())?;
            continue;
        }
        if let Some(which) = TOKEN_KEYS.iter().find(|k| **k == name) {
            let DeValue::String(s) = value.get_ref() else {
                return Err((line, format!("{name}: expected a string")));
            };
            if let Some((_, first)) = &file.token {
                return Err((
                    line,
                    format!("{name}: the auth token's source is already given on line {first}"),
                ));
            }
            let source = match *which {
                "auth-token-env" => TokenSource::Env(s.to_string()),
                "auth-token-file" => TokenSource::File(PathBuf::from(s.as_ref())),
                _ => TokenSource::Inline(s.to_string()),
            };
            file.token = Some((source, line));
            continue;
        }
        let Some((key, _)) = FLAG_KEYS.iter().find(|(k, _)| *k == name) else {
            let valid = valid_keys();
            let hint = nearest(name, valid.iter().copied())
                .map_or_else(String::new, |n| format!(" (did you mean {n:?}?)"));
            return Err((
                line,
                format!(
                    "unknown key {name:?}{hint}; valid keys: {}",
                    valid.join(", ")
                ),
            ));
        };
        let value = flag_value(value.get_ref()).map_err(|why| (line, format!("{key}: {why}")))?;
        file.settings.push(Setting { key, value, line });
    }
    Ok(file)
}

/// A flag's value as TOML wrote it: a string, a number, a boolean, or a list of strings.
fn flag_value(v: &DeValue<'_>) -> Result<Value, String> {
    Ok(match v {
        DeValue::String(s) => Value::Text(s.to_string()),
        DeValue::Integer(i) => Value::Text(
            i64::from_str_radix(i.as_str(), i.radix())
                .map_err(|e| format!("{i}: {e}"))?
                .to_string(),
        ),
        DeValue::Float(f) => Value::Text(f.as_str().to_owned()),
        DeValue::Boolean(b) => Value::Bool(*b),
        DeValue::Array(items) => Value::List(
            items
                .iter()
                .map(|i| match i.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    _ => Err("expected a list of strings".to_owned()),
                })
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Datetime(_) => return Err("a date is not a value of any flag".into()),
        DeValue::Table(_) => return Err("expected a value, not a table".into()),
    })
}

/// `[keys]` as read: action → (key names, line).
type Rebindings = BTreeMap<String, (Vec<String>, usize)>;

/// `[keys]`: each action a key name or a list of them.
fn keys_table(text: &str, value: &DeValue<'_>) -> Result<Rebindings, (usize, String)> {
    let DeValue::Table(t) = value else {
        return Err((1, "keys: expected a table ([keys])".into()));
    };
    let mut out = BTreeMap::new();
    for (action, keys) in t {
        let line = line_of(text, action.span().start);
        let name = action.get_ref().to_string();
        let keys = match keys.get_ref() {
            DeValue::String(s) => vec![s.to_string()],
            DeValue::Array(items) => items
                .iter()
                .map(|i| match i.get_ref() {
                    DeValue::String(s) => Ok(s.to_string()),
                    _ => Err((line, format!("[keys] {name}: expected key names (strings)"))),
                })
                .collect::<Result<_, _>>()?,
            _ => {
                return Err((
                    line,
                    format!("[keys] {name}: expected a key name or a list of them"),
                ));
            }
        };
        out.insert(name, (keys, line));
    }
    Ok(out)
}

/// The first argument with this id in the command or its subcommands.
fn find_arg<'a>(cmd: &'a Command, id: &str) -> Option<&'a Arg> {
    cmd.get_arguments()
        .find(|a| a.get_id() == id)
        .or_else(|| cmd.get_subcommands().find_map(|s| find_arg(s, id)))
}

/// Whether an argument takes several values (a list in the file).
fn is_list(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append)
}

fn is_switch(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::SetTrue | ArgAction::SetFalse)
}

/// Checks a value against its flag the way the command line would (its type, its value
/// parser: `--body-limit`'s floor, `--format`'s choices), and gives the defaults to set.
fn check(arg: &Arg, value: &Value) -> Result<Vec<String>, String> {
    let values = match (value, is_switch(arg), is_list(arg)) {
        (Value::Bool(b), true, _) => return Ok(vec![b.to_string()]),
        (_, true, _) => return Err("expected true or false".into()),
        (Value::Bool(_), false, _) => return Err("expected a value, not true or false".into()),
        (Value::List(_), false, false) => return Err("expected one value, not a list".into()),
        (Value::List(v), false, true) => v.clone(),
        (Value::Text(s), false, _) => vec![s.clone()],
    };
    let long = arg.get_long().unwrap_or("value");
    let probe = Command::new("twimon")
        .no_binary_name(true)
        .disable_help_flag(true)
        .arg(
            Arg::new("probe")
                .long(long.to_owned())
                .value_name(
                    arg.get_value_names()
                        .and_then(|n| n.first())
                        .map_or_else(|| "VALUE".to_owned(), ToString::to_string),
                )
                .value_parser(arg.get_value_parser().clone())
                .action(ArgAction::Append),
        );
    for v in &values {
        probe
            .clone()
            .try_get_matches_from([OsString::from(format!("--{long}")), OsString::from(v)])
            .map_err(|e| {
                // clap's message less its advice on `--help`, on one line.
                let text = e.render().to_string();
                let lines: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty() && !l.starts_with("For more information"))
                    .collect();
                lines.join(" ").trim_start_matches("error: ").to_owned()
            })?;
    }
    Ok(values)
}

/// Lays the file's values under the command line: each becomes its flag's default in
/// every command that has the flag.
fn apply(mut cmd: Command, file: &File, note: &mut Option<String>) -> Result<Command, Failure> {
    let mut defaults: Vec<(&'static str, Vec<String>)> = Vec::new();
    for s in &file.settings {
        let Some((_, id)) = FLAG_KEYS.iter().find(|(k, _)| *k == s.key) else {
            continue;
        };
        let Some(arg) = find_arg(&cmd, id) else {
            // A key for a flag this build lacks: text is all it can be checked as.
            if let Value::Bool(_) = s.value {
                return Err(at(&file.path, s.line, &format!("{}: expected text", s.key)));
            }
            continue;
        };
        let values = check(arg, &s.value)
            .map_err(|why| at(&file.path, s.line, &format!("{}: {why}", s.key)))?;
        defaults.push((id, values));
    }
    if let Some((source, line)) = &file.token {
        let token = match source {
            TokenSource::Inline(t) => Some(t.clone()),
            TokenSource::Env(var) => {
                let t = std::env::var(var).ok().filter(|t| !t.trim().is_empty());
                if t.is_none() {
                    *note = Some(format!("${var} is not set"));
                }
                t
            }
            TokenSource::File(p) => {
                let t = std::fs::read_to_string(p).map_err(|e| {
                    at(
                        &file.path,
                        *line,
                        &format!("auth-token-file: cannot read {}: {e}", p.display()),
                    )
                })?;
                let t = t.trim().to_owned();
                if t.is_empty() {
                    return Err(at(
                        &file.path,
                        *line,
                        &format!("auth-token-file: {} is empty", p.display()),
                    ));
                }
                Some(t)
            }
        };
        if let Some(t) = token {
            defaults.push((TOKEN_ARG, vec![t]));
        }
    }
    for (id, values) in defaults {
        cmd = set_default(cmd, id, &values);
    }
    Ok(cmd)
}

fn set_default(cmd: Command, id: &'static str, values: &[String]) -> Command {
    let has = cmd.get_arguments().any(|a| a.get_id() == id);
    let mut cmd = if has {
        cmd.mut_arg(id, |a| {
            let a = if id == TOKEN_ARG {
                a.hide_default_value(true)
            } else {
                a
            };
            a.default_values(values.iter().cloned())
        })
    } else {
        cmd
    };
    // clap's `requires` counts only explicit values: a token from the file must satisfy
    // `--require-signature` as one on the command line does.
    if id == TOKEN_ARG
        && cmd
            .get_arguments()
            .any(|a| a.get_id() == "require_signature")
    {
        cmd = cmd.mut_arg("require_signature", |a| {
            a.requires(clap::builder::Resettable::<clap::Id>::Reset)
        });
    }
    cmd = cmd.mut_subcommands(|sub| set_default(sub, id, values));
    cmd
}

/// Puts this run's real paths into `--help`: the config file read and the log's folder.
fn describe_paths(cmd: Command, choice: &Choice) -> Command {
    let config = match choice {
        Choice::Default(Some(p)) => format!(
            "Read the flags' defaults from FILE (default: {}, when it exists; `twimon config` \
             shows the result)",
            p.display()
        ),
        _ => "Read the flags' defaults from FILE (`twimon config` shows the result)".to_owned(),
    };
    let log = super::logging::log_dir(std::env::var_os("XDG_STATE_HOME"), std::env::var_os("HOME"))
        .map_or_else(
            || {
                "Append logs to this file (no default: neither XDG_STATE_HOME nor HOME is set)"
                    .to_owned()
            },
            |d| {
                format!(
                    "Append logs to this file (default: a new file per run in {}/)",
                    d.display()
                )
            },
        );
    describe(cmd, &config, &log)
}

fn describe(cmd: Command, config: &str, log: &str) -> Command {
    let mut cmd = cmd;
    if cmd.get_arguments().any(|a| a.get_id() == "config") {
        cmd = cmd.mut_arg("config", |a| a.help(config.to_owned()));
    }
    if cmd.get_arguments().any(|a| a.get_id() == "log_file") {
        cmd = cmd.mut_arg("log_file", |a| a.help(log.to_owned()));
    }
    cmd.mut_subcommands(|sub| describe(sub, config, log))
}

impl Loaded {
    /// Where a flag's value came from.
    fn source(&self, m: &ArgMatches, cmd: &Command, key: &str, id: &str) -> String {
        let arg = find_arg(cmd, id);
        match m.value_source(id) {
            Some(ValueSource::CommandLine) => {
                format!("flag --{}", arg.and_then(Arg::get_long).unwrap_or(id))
            }
            Some(ValueSource::EnvVariable) => format!(
                "env {}",
                arg.and_then(Arg::get_env)
                    .map_or_else(String::new, |e| e.to_string_lossy().into_owned())
            ),
            _ => self.file_line(key).unwrap_or_else(|| "default".to_owned()),
        }
    }

    fn file_line(&self, key: &str) -> Option<String> {
        let file = self.file.as_ref()?;
        let line = if key == "auth-token" {
            file.token.as_ref().map(|(_, l)| *l)
        } else {
            file.settings.iter().find(|s| s.key == key).map(|s| s.line)
        }?;
        Some(format!("file {}:{line}", file.path.display()))
    }

    /// `twimon config`: the effective value of every key and where it came from.
    pub fn report(&self, m: &ArgMatches) -> String {
        let cmd = Cli::command();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# twimon's effective configuration (flag > env > file > default)"
        );
        let _ = match (&self.choice, &self.file) {
            (Choice::Off, _) => writeln!(out, "# config file: none (--no-config)"),
            (Choice::Default(None), _) => writeln!(
                out,
                "# config file: none (neither XDG_CONFIG_HOME nor HOME is set)"
            ),
            (Choice::Default(Some(p)), None) => {
                writeln!(out, "# config file: {} (not there)", p.display())
            }
            (_, Some(f)) => writeln!(out, "# config file: {}", f.path.display()),
            (Choice::Given(p), None) => writeln!(out, "# config file: {}", p.display()),
        };
        let mut rows: Vec<(String, String)> = Vec::new();
        for (key, id) in FLAG_KEYS {
            if find_arg(&cmd, id).is_none() {
                if let Some(s) = self
                    .file
                    .as_ref()
                    .and_then(|f| f.settings.iter().find(|s| s.key == *key))
                {
                    rows.push((
                        format!("{key} = {}", s.value.toml()),
                        format!(
                            "{} (no --{key} flag in this build)",
                            self.file_line(key).unwrap_or_default()
                        ),
                    ));
                }
                continue;
            }
            let mut value = shown(m, id, find_arg(&cmd, id).is_some_and(is_switch));
            if *id == "log_file" && m.get_raw(id).is_none() {
                value = super::logging::log_dir(
                    std::env::var_os("XDG_STATE_HOME"),
                    std::env::var_os("HOME"),
                )
                .map_or_else(
                    || "(none)".to_owned(),
                    |d| format!("(a new file per run in {}/)", d.display()),
                );
            }
            rows.push((format!("{key} = {value}"), self.source(m, &cmd, key, id)));
        }
        let token = match m.get_raw(TOKEN_ARG).and_then(|mut v| v.next()) {
            Some(t) => format!("(set, {} characters)", t.len()),
            None => "(none: signatures are not checked)".to_owned(),
        };
        let mut source = self.source(m, &cmd, "auth-token", TOKEN_ARG);
        if let Some(f) = &self.file
            && let Some((how, _)) = &f.token
            && m.value_source(TOKEN_ARG) != Some(ValueSource::CommandLine)
            && m.value_source(TOKEN_ARG) != Some(ValueSource::EnvVariable)
        {
            source = match how {
                TokenSource::Env(v) => format!(
                    "{source} (auth-token-env {v}{})",
                    self.token_note
                        .as_ref()
                        .map_or_else(String::new, |n| format!(": {n}"))
                ),
                TokenSource::File(p) => format!("{source} (auth-token-file {})", p.display()),
                TokenSource::Inline(_) => format!("{source} (in the file itself)"),
            };
        }
        rows.push((format!("auth-token = {token}"), source));
        let _ = writeln!(out);
        write_rows(&mut out, &rows);
        let _ = writeln!(out, "\n[keys]");
        let rows: Vec<(String, String)> = ACTIONS
            .iter()
            .map(|(name, action)| {
                let keys = self.keymap.keys_of(*action);
                let value = Value::List(keys).toml();
                let source = self
                    .file
                    .as_ref()
                    .and_then(|f| {
                        f.keys
                            .get(*name)
                            .map(|(_, l)| format!("file {}:{l}", f.path.display()))
                    })
                    .unwrap_or_else(|| "default".to_owned());
                (format!("{name} = {value}"), source)
            })
            .collect();
        write_rows(&mut out, &rows);
        out
    }
}

/// A flag's value as `twimon config` prints it (TOML).
fn shown(m: &ArgMatches, id: &str, switch: bool) -> String {
    let Some(values) = m.get_raw(id) else {
        return "(none)".to_owned();
    };
    let values: Vec<String> = values
        .map(|v: &OsStr| v.to_string_lossy().into_owned())
        .collect();
    match values.as_slice() {
        [one] if switch => one.clone(),
        [one] => quote(one),
        many => Value::List(many.to_vec()).toml(),
    }
}

/// `key = value   # source`, the comments aligned.
fn write_rows(out: &mut String, rows: &[(String, String)]) {
    let width = rows
        .iter()
        .map(|(l, _)| l.chars().count())
        .max()
        .unwrap_or(0);
    for (left, source) in rows {
        let _ = writeln!(
            out,
            "{}{}  # {}",
            crate::text::safe::line(left),
            " ".repeat(width - left.chars().count()),
            crate::text::safe::line(source)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    #[test]
    fn the_file_is_found_where_xdg_says() {
        let env = |v: &str| match v {
            "XDG_CONFIG_HOME" => Some(OsString::from("/x/config")),
            "HOME" => Some(OsString::from("/home/u")),
            _ => None,
        };
        assert_eq!(
            choose(&args(&["twimon"]), env),
            Choice::Default(Some(PathBuf::from("/x/config/twimon/config.toml")))
        );
        assert_eq!(
            default_path(Some("relative".into()), Some("/home/u".into())),
            Some(PathBuf::from("/home/u/.config/twimon/config.toml"))
        );
        assert_eq!(default_path(None, None), None);
        assert_eq!(
            choose(&args(&["twimon", "replay", "--config", "c.toml", "r"]), env),
            Choice::Given(PathBuf::from("c.toml"))
        );
        assert_eq!(
            choose(&args(&["twimon", "--config=c.toml"]), env),
            Choice::Given(PathBuf::from("c.toml"))
        );
        assert_eq!(choose(&args(&["twimon", "--no-config"]), env), Choice::Off);
        // After `--` it is a file name, not an option.
        assert!(matches!(
            choose(&args(&["twimon", "send", "--", "--no-config"]), env),
            Choice::Default(_)
        ));
    }

    fn bad(text: &str) -> (usize, String) {
        parse(Path::new("c.toml"), text).unwrap_err()
    }

    #[test]
    fn a_bad_file_names_the_line_and_what_is_wrong() {
        let (line, why) = bad("addr = \"127.0.0.1:9000\"\nmask = tru\n");
        assert_eq!(line, 2);
        assert!(why.starts_with("not valid TOML"), "{why}");
        let (line, why) = bad("\n\nmax_events = 5\n");
        assert_eq!(line, 3);
        assert!(
            why.starts_with(
                "unknown key \"max_events\" (did you mean \"max-events\"?); valid keys: addr, "
            ),
            "{why}"
        );
        let (line, why) = bad("addr = { a = 1 }");
        assert_eq!(
            (line, why.as_str()),
            (1, "addr: expected a value, not a table")
        );
        let (line, why) = bad("auth-token-env = \"A\"\nauth-token-file = \"f\"\n");
        assert_eq!(line, 2);
        assert!(why.contains("already given on line 1"), "{why}");
        let (_, why) = bad("[keys]\nquit = 3\n");
        assert_eq!(why, "[keys] quit: expected a key name or a list of them");
    }

    #[test]
    fn values_are_checked_as_the_flag_would_check_them() {
        let cmd = Cli::command();
        let arg = |id| find_arg(&cmd, id).unwrap();
        assert_eq!(
            check(arg("max_events"), &Value::Text("5000".into())),
            Ok(vec!["5000".into()])
        );
        let err = check(arg("max_events"), &Value::Text("many".into())).unwrap_err();
        assert!(
            err.contains("invalid value 'many' for '--max-events"),
            "{err}"
        );
        let err = check(arg("body_limit"), &Value::Text("10".into())).unwrap_err();
        assert!(err.contains("Twilio drops"), "{err}");
        let err = check(arg("format"), &Value::Text("xml".into())).unwrap_err();
        assert!(err.contains("possible values"), "{err}");
        assert_eq!(
            check(arg("mask"), &Value::Bool(true)),
            Ok(vec!["true".into()])
        );
        assert!(check(arg("mask"), &Value::Text("yes".into())).is_err());
        assert!(check(arg("addr"), &Value::Bool(true)).is_err());
        assert!(check(arg("addr"), &Value::List(vec!["a".into()])).is_err());
    }

    #[test]
    fn every_flag_key_names_one_spelling() {
        for (key, _) in FLAG_KEYS {
            assert!(!key.contains('_'), "{key}: keys are spelt like the flags");
        }
    }
}
