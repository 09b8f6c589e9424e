//! The config file through the real binary: where it is read from, how it ranks against the
//! environment and the flags, what `twimon config` says, and the errors of a bad file.

mod common;

use common::bin::{Home, spawn};

/// `twimon config …`'s line for a key: `key = value  # source`, split at the comment.
fn setting(home: &Home, env: &[(&str, &str)], args: &[&str], key: &str) -> (String, String) {
    let mut cmd = home.command();
    cmd.arg("config").args(args).envs(env.iter().copied());
    let (status, stdout, stderr) = common::bin::run(&mut cmd);
    assert!(status.success(), "{stdout:#?} {stderr:#?}");
    let prefix = format!("{key} = ");
    let line = stdout
        .iter()
        .find(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {key} in {stdout:#?}"));
    let (value, source) = line.split_once("  # ").unwrap();
    (value[prefix.len()..].trim().to_owned(), source.to_owned())
}

#[test]
fn precedence_is_flag_then_env_then_file_then_default() {
    let home = Home::new("config-precedence");
    let addr = |env: &[(&str, &str)], args: &[&str]| setting(&home, env, args, "addr");
    assert_eq!(
        addr(&[], &[]),
        ("\"127.0.0.1:7077\"".into(), "default".into())
    );

    home.write_config("# mine\nmax-events = 5000\naddr = \"127.0.0.1:7200\"\nmask = true\n");
    let file = format!("file {}", home.config_file().display());
    assert_eq!(
        addr(&[], &[]),
        ("\"127.0.0.1:7200\"".into(), format!("{file}:3"))
    );
    let env = [("TWIMON_ADDR", "127.0.0.1:7300")];
    assert_eq!(
        addr(&env, &[]),
        ("\"127.0.0.1:7300\"".into(), "env TWIMON_ADDR".into())
    );
    assert_eq!(
        setting(&home, &env, &["--addr", "127.0.0.1:7400"], "addr"),
        ("\"127.0.0.1:7400\"".into(), "flag --addr".into())
    );
    // The other keys keep their own sources meanwhile.
    assert_eq!(
        setting(&home, &env, &["--addr", "127.0.0.1:7400"], "max-events"),
        ("5000".into(), format!("{file}:2"))
    );
    assert_eq!(
        setting(&home, &[], &[], "mask"),
        ("true".into(), format!("{file}:4"))
    );
    assert_eq!(setting(&home, &[], &[], "body-limit").1, "default");
    assert_eq!(
        setting(&home, &[], &["--max-events", "7"], "max-events"),
        ("7".into(), "flag --max-events".into())
    );
    // --no-config and --config /dev/null read nothing.
    assert_eq!(addr(&[], &["--no-config"]).1, "default");
    assert_eq!(addr(&[], &["--config", "/dev/null"]).1, "default");
    // A config file named on the command line is read instead of the default one.
    let other = home.dir().join("other.toml");
    std::fs::write(&other, "addr = \"127.0.0.1:7500\"\n").unwrap();
    let other_path = other.display().to_string();
    assert_eq!(
        addr(&[], &["--config", &other_path]),
        ("\"127.0.0.1:7500\"".into(), format!("file {other_path}:1"))
    );
}

#[test]
fn the_files_values_reach_the_command() {
    let home = Home::new("config-reaches");
    home.write_config("addr = \"127.0.0.1:0\"\n");
    // Without the file's address the listener would take 7077.
    let mut listener = spawn(home.command().args(["listen", "--headless"]));
    let url = listener.listening_url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(!url.contains(":7077/"), "{url}");
    listener.terminate(common::http::GUARD);
    // `--help` shows the defaults in force.
    let (_, help, _) = home.run(&["--help"]);
    let help = help.join("\n");
    assert!(help.contains("[default: 127.0.0.1:0]"), "{help}");
    assert!(
        help.contains(&home.config_file().display().to_string()),
        "{help}"
    );
    let logs = home.dir().join("state/twimon/");
    assert!(
        help.contains(&format!("a new file per run in {}", logs.display())),
        "{help}"
    );
}

/// The one-line error of a bad file (exit status 2).
fn refused(home: &Home, text: &str) -> String {
    home.write_config(text);
    let (status, stdout, stderr) = home.run(&["config"]);
    assert_eq!(status.code(), Some(2), "{stdout:#?} {stderr:#?}");
    assert!(stdout.is_empty(), "{stdout:#?}");
    assert_eq!(stderr.len(), 1, "one line: {stderr:#?}");
    let path = home.config_file().display().to_string();
    stderr[0]
        .strip_prefix(&format!("twimon: {path}:"))
        .unwrap_or_else(|| panic!("names the file: {stderr:#?}"))
        .to_owned()
}

#[test]
fn a_bad_file_is_an_error_naming_its_line() {
    let home = Home::new("config-bad");
    let syntax = refused(&home, "addr = \"127.0.0.1:7200\"\nmask = yes please\n");
    assert!(syntax.starts_with("2: not valid TOML"), "{syntax}");
    let unknown = refused(&home, "addr = \"127.0.0.1:7200\"\n\nmax_events = 10\n");
    assert!(
        unknown.starts_with("3: unknown key \"max_events\" (did you mean \"max-events\"?); valid keys: addr, body-limit,"),
        "{unknown}"
    );
    assert_eq!(
        refused(&home, "mask = \"yes\"\n"),
        "1: mask: expected true or false"
    );
    let number = refused(&home, "\nmax-events = \"lots\"\n");
    assert!(
        number.starts_with("2: max-events: invalid value 'lots' for '--max-events <N>'"),
        "{number}"
    );
    let floor = refused(&home, "body-limit = 1000\n");
    assert!(floor.contains("below the floor of 131072"), "{floor}");
    let format = refused(&home, "format = \"xml\"\n");
    assert!(format.contains("[possible values: text, json]"), "{format}");
    let key = refused(&home, "[keys]\nquit = \"hyper-q\"\n");
    assert!(
        key.starts_with("2: [keys] quit: \"hyper-q\": unknown modifier"),
        "{key}"
    );
    let conflict = refused(&home, "[keys]\nhelp = \"h\"\ntimeline = \"t\"\n");
    assert_eq!(
        conflict,
        "3: [keys] t for timeline is already bound to pane-twiml (rebind pane-twiml too, or pick another key)"
    );
    let action = refused(&home, "[keys]\nqiut = \"ctrl-q\"\n");
    assert!(
        action.starts_with(
            "2: [keys] unknown action \"qiut\" (did you mean \"quit\"?); actions: back,"
        ),
        "{action}"
    );

    // A named file must exist; --no-config skips a broken default one.
    let (status, _, stderr) = home.run(&["--config", "missing.toml", "config"]);
    assert_eq!(status.code(), Some(2));
    assert!(
        stderr[0].starts_with("twimon: cannot read the config file missing.toml:"),
        "{stderr:#?}"
    );
    let (status, _, stderr) = home.run(&["--no-config", "config"]);
    assert!(status.success(), "{stderr:#?}");
}

#[test]
fn twimon_config_shows_rebound_keys_and_the_tokens_source_never_the_token() {
    let home = Home::new("config-keys");
    std::fs::write(home.dir().join("token"), "s3cret-token\n").unwrap();
    home.write_config(
        "auth-token-file = \"token\"\n\n[keys]\nquit = [\"ctrl-q\", \"ctrl-x\"]\npane-twiml = \"T\"\ntimeline = [\"t\", \"enter\"]\n",
    );
    let file = format!("file {}", home.config_file().display());
    let (status, stdout, stderr) = home.run(&["config"]);
    assert!(status.success(), "{stderr:#?}");
    let text = stdout.join("\n");
    assert!(!text.contains("s3cret"), "{text}");
    let line = |start: &str| {
        stdout
            .iter()
            .find(|l| l.starts_with(start))
            .unwrap_or_else(|| panic!("no {start:?} in {text}"))
            .clone()
    };
    assert!(
        line("auth-token = (set, 12 characters)")
            .ends_with(&format!("# {file}:1 (auth-token-file token)")),
        "{text}"
    );
    assert!(
        line("quit = [\"ctrl-q\", \"ctrl-x\"]").ends_with(&format!("# {file}:4")),
        "{text}"
    );
    assert!(
        line("timeline = [\"t\", \"enter\"]").ends_with(&format!("# {file}:6")),
        "{text}"
    );
    assert!(line("help = [\"?\"]").ends_with("# default"), "{text}");
    // The file's token is as good as a flag for --require-signature.
    let (status, _, stderr) = home.run(&["config", "--require-signature"]);
    assert!(status.success(), "{stderr:#?}");
    // A token set in the environment wins over the file's source.
    let mut cmd = home.command();
    let (_, stdout, _) = common::bin::run(cmd.arg("config").env("TWILIO_AUTH_TOKEN", "abc"));
    assert!(
        stdout
            .iter()
            .any(|l| l.starts_with("auth-token = (set, 3 characters)")
                && l.ends_with("# env TWILIO_AUTH_TOKEN")),
        "{stdout:#?}"
    );
}

#[test]
fn a_token_in_a_file_others_can_read_is_warned_about() {
    use std::os::unix::fs::PermissionsExt;
    let home = Home::new("config-inline-token");
    home.write_config("auth-token = \"s3cret\"\n");
    let path = home.config_file();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (status, stdout, stderr) = home.run(&["config"]);
    assert!(status.success());
    assert!(!stdout.join("\n").contains("s3cret"));
    assert!(
        stderr
            .iter()
            .any(|l| l.contains(":1: the auth token sits in a file others can read (mode 644)")),
        "{stderr:#?}"
    );
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (_, _, stderr) = home.run(&["config"]);
    assert!(stderr.is_empty(), "{stderr:#?}");
}

#[test]
fn refused_deliveries_are_logged_with_why_and_debug_logs_each_delivery() {
    let home = Home::new("config-log-rejections");
    std::fs::write(home.dir().join("bad.json"), "this is not json").unwrap();
    std::fs::write(
        home.dir().join("good.json"),
        include_str!("../assets/samples/events/01-call-requested.json"),
    )
    .unwrap();
    let mut cmd = home.command();
    let mut listener = spawn(
        cmd.args(["listen", "--headless", "--addr", "127.0.0.1:0"])
            .env("TWIMON_LOG", "twimon=debug"),
    );
    let url = listener.listening_url();
    let _ = common::bin::run(
        home.command()
            .args(["send", "--to", &url, "bad.json", "good.json"]),
    );
    listener.terminate(common::http::GUARD);
    let stderr: Vec<String> = listener.stderr.try_iter().collect();
    let refused = stderr
        .iter()
        .find(|l| l.contains("delivery refused"))
        .unwrap_or_else(|| panic!("{stderr:#?}"));
    assert!(refused.contains("status=400"), "{refused}");
    assert!(refused.contains("remote=127.0.0.1:"), "{refused}");
    assert!(refused.contains("reason=body is not JSON"), "{refused}");
    let debug: Vec<&String> = stderr
        .iter()
        .filter(|l| l.contains("DEBUG delivery "))
        .collect();
    assert_eq!(debug.len(), 2, "one debug line per delivery: {stderr:#?}");
    assert!(
        debug[0].contains("status=400 ") && debug[0].contains("bytes=16 "),
        "{debug:#?}"
    );
    assert!(
        debug[1].contains("status=200 ") && debug[1].contains(" ms="),
        "{debug:#?}"
    );
}

#[test]
fn columns_come_from_the_file_or_the_flag_and_a_bad_name_names_its_line() {
    let home = Home::new("config-columns");
    assert_eq!(setting(&home, &[], &[], "columns").1, "default");
    home.write_config(
        "mask = true\ncolumns = [\"time\", \"type\", \"digits\", \"DialCallStatus\"]\n",
    );
    let file = format!("file {}", home.config_file().display());
    assert_eq!(
        setting(&home, &[], &[], "columns"),
        (
            "[\"time\", \"type\", \"digits\", \"DialCallStatus\"]".into(),
            format!("{file}:2")
        )
    );
    assert_eq!(
        setting(&home, &[], &["--columns", "call,AnsweredBy"], "columns"),
        ("[\"call\", \"AnsweredBy\"]".into(), "flag --columns".into())
    );
    let bad = refused(&home, "mask = true\ncolumns = [\"time\", \"ti;me\"]\n");
    assert!(
        bad.starts_with("2: columns:") && bad.contains("not a column: \"ti;me\""),
        "{bad}"
    );
    let one = refused(&home, "columns = \"time,type\"\n");
    assert!(
        one.starts_with("1: columns:") && one.contains("one column per item"),
        "{one}"
    );
}
