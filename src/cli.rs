//! The command line: `twimon [listen] [OPTIONS]`, `twimon send`, `twimon replay`,
//! `twimon export`, `twimon call`, `twimon read`, and (with the `kinesis` feature)
//! `twimon kinesis`.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::domain::filter::Query;

#[derive(Debug, Parser)]
#[command(
    name = "twimon",
    version,
    about = "A live terminal monitor for Twilio Voice TwiML events",
    long_about = "A live terminal monitor for Twilio Voice TwiML events.\n\n\
        twimon runs an HTTP listener for an Event Streams webhook sink and shows every TwiML \
        request of your calls: the event table, each call's timeline and the TwiML your app \
        answered, decoded. Without a subcommand it opens the monitor (the same as `listen`)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub monitor: MonitorArgs,
    /// Read the flags' defaults from FILE (default: `$XDG_CONFIG_HOME/twimon/config.toml`,
    /// else `~/.config/twimon/config.toml`, when it exists). `twimon config` shows the result.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Read no config file.
    #[arg(long, global = true, conflicts_with = "config")]
    pub no_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Listen for deliveries and show them (the default command).
    Listen(MonitorArgs),
    /// POST sample deliveries (JSON files, or folders of them) to a listener.
    Send(SendArgs),
    /// Load a recording made with --record and show it like the live run.
    Replay(ReplayArgs),
    /// Write one call of a recording as an incident record (markdown or JSON) to stdout.
    Export(ExportArgs),
    /// Read an Event Streams Kinesis sink (every shard, read-only) and show it.
    #[cfg(feature = "kinesis")]
    Kinesis(KinesisArgs),
    /// Read CloudEvents as NDJSON (an object or an array per line) from a file or `-` (stdin).
    Read(ReadArgs),
    /// Play Twilio's side of a call against your app (no phone, no account): interactively in
    /// the monitor, or from a script as an IVR test.
    Call(CallArgs),
    /// Print the effective configuration of the monitor, and where each value came from (a
    /// flag, the environment, the config file's line, or the default).
    Config(ConfigArgs),
    /// Stand between Twilio (through your tunnel) and your Voice app: forward each webhook,
    /// show each exchange as an event (real headers, latency, TwiML checks), resend with `R`.
    Proxy(ProxyArgs),
    /// Send a recording's TwiML requests again to your app, signed, and diff the answers.
    Resend(ResendArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ConfigArgs {
    /// The monitor's flags, to see how they combine with the file and the environment.
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One aligned line per event.
    Text,
    /// One JSON object per event (NDJSON), for jq.
    Json,
}

/// The monitor's colours. A value type of its own so a config file can name it too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ThemeArg {
    /// `none` when `NO_COLOR` is set, else light or dark by the terminal's background.
    #[default]
    Auto,
    /// Light text on a dark background.
    Dark,
    /// Dark text on a light background.
    Light,
    /// No colours; selection and active filters in reverse video and bold.
    None,
}

#[derive(Debug, Clone, Args)]
pub struct OutputArgs {
    /// Print events instead of opening the full-screen monitor (the default when stdout is not
    /// a terminal).
    #[arg(long)]
    pub headless: bool,
    /// Headless output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Mask phone numbers, speech, caller names and recording URLs, for screen sharing and
    /// pairing (headless output, and the monitor starts masked; `m` toggles it there).
    #[arg(long)]
    pub mask: bool,
    /// The monitor's colours.
    #[arg(long, value_enum, default_value_t = ThemeArg::Auto, env = "TWIMON_THEME")]
    pub theme: ThemeArg,
    /// The monitor's table columns, comma-separated, in order: time, type, call, request,
    /// code, dur, marks, or any request parameter (`Digits`, `SpeechResult`, `DialCallStatus`,
    /// `AnsweredBy`…); `default` for the usual ones. Narrow terminals drop some by priority.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = column_name)]
    pub columns: Vec<String>,
    /// Only the events matching this filter expression — the language of `/` in the monitor
    /// (`type:gather`, `code>=500`, `Digits=2`, `call:CA…`, `!`, `and`, `or`; see the
    /// README) — printed when headless, the filter the monitor starts with otherwise.
    #[arg(long, value_name = "EXPR", value_parser = filter_expr)]
    pub filter: Option<Query>,
    /// Events kept in memory; the oldest leave beyond it (a recording keeps everything).
    #[arg(long, default_value_t = crate::store::DEFAULT_MAX_EVENTS, value_name = "N")]
    pub max_events: usize,
    /// Append logs to this file (default: a new file per run in `$XDG_STATE_HOME/twimon/`,
    /// else `~/.local/state/twimon/`).
    #[arg(long, value_name = "FILE", env = "TWIMON_LOG_FILE")]
    pub log_file: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
#[command(group(
    clap::ArgGroup::new("signing")
        .multiple(true)
        .args(["auth_token", "shared_key_secret"])
))]
pub struct MonitorArgs {
    /// Address to listen on. Loopback by default: expose it through a tunnel, not the network.
    #[arg(long, default_value = crate::domain::feed::DEFAULT_ADDR, env = "TWIMON_ADDR")]
    pub addr: String,
    /// Largest delivery body accepted (after decoding gzip/deflate), in bytes; bigger ones
    /// get 413, which Twilio never retries. At least 131072 (one event with a 64 kB TwiML
    /// answer, base64'd).
    #[arg(long, default_value_t = crate::source::listen::DEFAULT_BODY_LIMIT, value_name = "BYTES",
          value_parser = body_limit)]
    pub body_limit: usize,
    /// Play the bundled sample calls through the listener, paced like live traffic.
    #[arg(long)]
    pub demo: bool,
    /// Twilio auth token: check X-Twilio-Signature on every delivery.
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub auth_token: Option<String>,
    /// The public base URL Twilio posts to (a tunnel's https URL), for signature checks;
    /// default: rebuilt from X-Forwarded-Proto and Host / X-Forwarded-Host.
    #[arg(long, value_name = "URL")]
    pub public_url: Option<String>,
    /// Shared-key secret for webhooks signed per X-Twilio-Webhooks-Signature-Settings.
    /// `KEY_ID=SECRET` answers for that key only, a bare `SECRET` for any key (`*=SECRET` when
    /// the secret holds `=`). Repeat (or separate with commas) to rotate keys.
    #[arg(
        long,
        env = "TWILIO_SHARED_KEY_SECRET",
        hide_env_values = true,
        value_name = "[KEY_ID=]SECRET",
        value_delimiter = ','
    )]
    pub shared_key_secret: Vec<String>,
    /// Refuse (403) deliveries whose signature is invalid, missing or unverifiable (signed
    /// with a key twimon has no secret for); they are only counted.
    #[arg(long, requires = "signing")]
    pub require_signature: bool,
    /// Append every accepted delivery to FILE (one JSON line each) before acknowledging it;
    /// `twimon replay FILE` shows it again.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Parses `--body-limit`, refusing limits that would turn real deliveries into 413s.
/// A `--filter` expression; a bad one is clap's usage error (exit status 2), naming the
/// column and what was expected there.
fn filter_expr(s: &str) -> Result<Query, String> {
    Query::parse(s).map_err(|e| e.to_string())
}

/// One name of `--columns`; the list as a whole (each once, how many) is checked where the
/// monitor starts.
fn column_name(s: &str) -> Result<String, String> {
    if s.trim().eq_ignore_ascii_case("default") {
        return Ok("default".into());
    }
    // The command line splits at commas before this; only a config file's one string of
    // several names gets here whole.
    if s.contains(',') {
        return Err(format!(
            "one column per item, not {s:?}: in the config file, columns = [\"time\", \"type\", …]"
        ));
    }
    if !crate::domain::params::is_name(s.trim()) {
        return Err(format!(
            "not a column: {s:?} (a column is time, type, call, request, code, dur, marks, or \
             a request parameter such as Digits: letters, digits and _)"
        ));
    }
    Ok(s.trim().to_owned())
}

fn body_limit(s: &str) -> Result<usize, String> {
    let n: usize = s
        .trim()
        .parse()
        .map_err(|e| format!("{s:?} is not a number of bytes: {e}"))?;
    let min = crate::source::listen::MIN_BODY_LIMIT;
    if n < min {
        return Err(format!(
            "{n} bytes is below the floor of {min}: one delivery with a 64 kB TwiML answer \
             (base64'd) would get 413, and Twilio drops a 413'd delivery for good"
        ));
    }
    Ok(n)
}

#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Where to POST (a running twimon).
    #[arg(long, default_value = "http://127.0.0.1:7077/", env = "TWIMON_URL")]
    pub to: String,
    /// Delivery files (JSON bodies) or folders of them, sent in name order.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
    /// Give up connecting after this long (`500ms`, `5s`, `1m`).
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = duration)]
    pub connect_timeout: Duration,
    /// Give up on one delivery (connect, send, answer) after this long.
    #[arg(long, default_value = "30s", value_name = "DURATION", value_parser = duration)]
    pub timeout: Duration,
}

/// A duration flag: a number with `ms`, `s` or `m` (a bare number is seconds).
fn duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (num, unit) = match t.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => t.split_at(i),
        None => (t, "s"),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration (try 500ms, 5s, 1m)"))?;
    let secs = match unit {
        "ms" => n / 1000.0,
        "s" => n,
        "m" => n * 60.0,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (ms, s or m)")),
    };
    if !(secs.is_finite() && secs > 0.0 && secs <= 86_400.0) {
        return Err(format!("{s:?} must be above 0 and at most a day"));
    }
    Ok(Duration::from_secs_f64(secs))
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A recording written by --record.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[cfg(feature = "kinesis")]
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("start").args(["latest", "since", "from_start"])))]
pub struct KinesisArgs {
    /// The stream: its name or its ARN.
    #[arg(value_name = "STREAM")]
    pub stream: String,
    /// The AWS profile (default: `AWS_PROFILE`, then `default`); SSO profiles work after
    /// `aws sso login`.
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,
    /// The AWS region (default: `AWS_REGION`, then the profile's).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,
    /// Another endpoint: an emulator or a VPC endpoint.
    #[arg(long, value_name = "URL", env = "AWS_ENDPOINT_URL_KINESIS")]
    pub endpoint_url: Option<String>,
    /// Start with records put from now on (the default).
    #[arg(long)]
    pub latest: bool,
    /// Start with the records that arrived since a time ago (`30m`, `1h`, `2d`) or since a
    /// time (`2026-11-30T03:00Z`).
    #[arg(long, value_name = "AGO|TIME")]
    pub since: Option<String>,
    /// Start with the oldest record the stream retains.
    #[arg(long)]
    pub from_start: bool,
    /// Keep positions in FILE and resume from it (after the last record shown, nothing
    /// twice); FILE defaults to $XDG_STATE_HOME/twimon/kinesis-STREAM.json. The start flags
    /// apply only to shards it does not name.
    #[arg(long, value_name = "FILE", num_args = 0..=1)]
    pub checkpoint: Option<Option<PathBuf>>,
    /// Pause between two reads of one shard (`1s`, `500ms`, `0`): the stream allows 5 reads
    /// per shard per second for all its consumers together.
    #[arg(long, value_name = "DURATION", default_value = "1s")]
    pub poll_interval: String,
    /// Append every record to FILE before it is shown; `twimon replay FILE` shows it again.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ReadArgs {
    /// An NDJSON file, or `-` for standard input (`kcat -C -t twilio-events -u | twimon read -`).
    #[arg(value_name = "FILE|-")]
    pub file: PathBuf,
    /// Append every line to FILE before it is shown; `twimon replay FILE` shows it again.
    #[arg(long, value_name = "FILE")]
    pub record: Option<PathBuf>,
    #[command(flatten)]
    pub output: OutputArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HttpMethod {
    Post,
    Get,
}

#[derive(Debug, Clone, Args)]
#[allow(clippy::struct_excessive_bools)] // each is one independent command-line switch
pub struct CallArgs {
    /// The app's voice URL, the one a Twilio number would call (e.g. `http://127.0.0.1:3000/voice`).
    #[arg(value_name = "URL")]
    pub url: String,
    /// The caller's number (`From`, `Caller`).
    #[arg(long, default_value = "+15005550006")]
    pub from: String,
    /// The number called (`To`, `Called`).
    #[arg(long, default_value = "+15005550001")]
    pub to: String,
    /// `Direction` of the call.
    #[arg(long, default_value = "inbound")]
    pub direction: String,
    /// Method of the first request (the number's voice method).
    #[arg(long, value_enum, default_value_t = HttpMethod::Post)]
    pub method: HttpMethod,
    /// Sign every request with X-Twilio-Signature, as Twilio does with this auth token.
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub auth_token: Option<String>,
    /// Post the call's status callbacks here: when it ends (`completed`, `CallDuration`…),
    /// and at the events --status-callback-event names.
    #[arg(long, value_name = "URL")]
    pub status_callback: Option<String>,
    /// Method of the status callback.
    #[arg(long, value_enum, default_value_t = HttpMethod::Post)]
    pub status_callback_method: HttpMethod,
    /// The call-progress events posted to --status-callback (Twilio's StatusCallbackEvent):
    /// any of initiated, ringing, answered, completed, comma- or space-separated
    /// [default: completed].
    #[arg(long, value_name = "EVENTS")]
    pub status_callback_event: Option<String>,
    /// A call script (TOML): the input of each step and what must have happened by then.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["press", "say"])]
    pub script: Option<PathBuf>,
    /// Keys pressed at successive <Gather>s, e.g. `--press 1,2#`.
    #[arg(long, value_delimiter = ',', value_name = "KEYS")]
    pub press: Vec<String>,
    /// A phrase said at the <Gather> after the presses (repeatable).
    #[arg(long, value_name = "TEXT")]
    pub say: Vec<String>,
    /// Do not wait out <Pause>.
    #[arg(long)]
    pub fast: bool,
    /// Seconds each request may take (Twilio's bound is 15).
    #[arg(long, default_value_t = 15.0, value_name = "SECONDS")]
    pub timeout: f64,
    /// Documents fetched in a row without caller input before the call is stopped as a loop.
    #[arg(long, default_value_t = crate::domain::call::sim::DEFAULT_MAX_REDIRECTS, value_name = "N")]
    pub max_redirects: usize,
    /// Seed of the call's SIDs, for a reproducible run (default: a fresh one).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub output: OutputArgs,
}

/// Which URL a resend is signed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SignUrl {
    /// The URL Twilio called (the tunnel's), sent with its Host and X-Forwarded-Proto.
    Public,
    /// The local URL the resend goes to.
    Target,
}

/// How resends are addressed and signed (the monitor's `R`, `twimon resend`).
#[derive(Debug, Clone, Args)]
pub struct ResendOptions {
    /// Send requests Twilio made to PUBLIC… to LOCAL… instead (repeatable), e.g.
    /// `--ivr https://ivr.acme.com=http://localhost:3000`.
    #[arg(long, value_name = "PUBLIC=LOCAL")]
    pub ivr: Vec<String>,
    /// The URL the signature is computed for: the one Twilio called, or the local one.
    #[arg(long, value_enum, default_value_t = SignUrl::Public)]
    pub sign_url: SignUrl,
}

#[derive(Debug, Clone, Args)]
pub struct ProxyArgs {
    /// Your app, where each webhook is forwarded (plain http: the tunnel does the TLS).
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// How long the app may take to answer in full; past it Twilio would hang up on the
    /// request (11205), and twimon answers 504.
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub resend: ResendOptions,
    #[command(flatten)]
    pub monitor: MonitorArgs,
}

#[derive(Debug, Clone, Args)]
pub struct ResendArgs {
    /// A recording (`--record` of `twimon proxy` or `twimon listen`).
    #[arg(value_name = "RECORDING")]
    pub file: PathBuf,
    /// Your app: each request keeps its path and query and goes to this base, unless an
    /// `--ivr` mapping covers it.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Only this call's requests (`CA…`).
    #[arg(long, value_name = "CALL_SID")]
    pub call: Option<String>,
    /// Fail (exit 1) when any answer differs from the recorded one.
    #[arg(long)]
    pub expect_same: bool,
    /// Change a parameter before sending, `Digits=3` (or `-Name` to drop one); repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub edits: Vec<String>,
    /// Sign with this auth token, as Twilio does (X-Twilio-Signature, HMAC-SHA1).
    #[arg(
        long,
        env = "TWILIO_AUTH_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    pub auth_token: Option<String>,
    /// Sign with this shared key instead (`KEY_ID=SECRET`, HMAC-SHA256).
    #[arg(long, value_name = "[KEY_ID=]SECRET")]
    pub shared_key_secret: Option<String>,
    /// How long each answer may take.
    #[arg(long, default_value = "15s", value_name = "DURATION", value_parser = duration)]
    pub timeout: Duration,
    #[command(flatten)]
    pub resend: ResendOptions,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    /// Summary, IVR path and every step with its TwiML, for an incident document.
    Markdown,
    /// One JSON object with the same content.
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ExportArgs {
    /// A recording written by --record.
    #[arg(value_name = "RECORDING")]
    pub file: PathBuf,
    /// The call SID to export (`CA` + 32 hex digits).
    #[arg(long, value_name = "CALL_SID")]
    pub call: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ExportFormat::Markdown)]
    pub format: ExportFormat,
    /// Mask phone numbers, speech, caller names and recording URLs (SIDs stay).
    #[arg(long)]
    pub mask: bool,
    /// Only the call's steps matching this filter expression (the language of `/`).
    #[arg(long, value_name = "EXPR", value_parser = filter_expr)]
    pub filter: Option<Query>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(duration("2"), Ok(Duration::from_secs(2)));
        assert_eq!(duration("1m"), Ok(Duration::from_secs(60)));
        for bad in ["0", "-1s", "5h", "x", ""] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn absurd_body_limits_are_refused() {
        for bad in ["0", "1", "65535", "131071"] {
            let err = Cli::try_parse_from(["twimon", "--body-limit", bad]).unwrap_err();
            assert!(err.to_string().contains("Twilio drops"), "{bad}: {err}");
        }
        let cli = Cli::parse_from(["twimon", "--body-limit", "131072"]);
        assert_eq!(cli.monitor.body_limit, 131_072);
    }

    #[test]
    fn default_command_takes_listen_flags() {
        let cli = Cli::parse_from(["twimon", "--demo", "--addr", "127.0.0.1:0"]);
        assert!(cli.command.is_none());
        assert!(cli.monitor.demo);
        assert_eq!(cli.monitor.addr, "127.0.0.1:0");
        let cli = Cli::parse_from(["twimon", "listen", "--headless", "--format", "json"]);
        let Some(Command::Listen(args)) = cli.command else {
            panic!("listen")
        };
        assert!(args.output.headless);
        assert_eq!(args.output.format, Format::Json);
    }

    #[cfg(feature = "kinesis")]
    #[test]
    fn kinesis_start_flags_exclude_each_other_and_checkpoint_takes_an_optional_file() {
        let cli = Cli::parse_from(["twimon", "kinesis", "s", "--since", "1h", "--checkpoint"]);
        let Some(Command::Kinesis(args)) = cli.command else {
            panic!("kinesis")
        };
        assert_eq!(args.since.as_deref(), Some("1h"));
        assert_eq!(args.checkpoint, Some(None));
        assert!(
            Cli::try_parse_from(["twimon", "kinesis", "s", "--since", "1h", "--from-start"])
                .is_err()
        );
        let cli = Cli::parse_from(["twimon", "kinesis", "s", "--checkpoint", "cp.json"]);
        let Some(Command::Kinesis(args)) = cli.command else {
            panic!("kinesis")
        };
        assert_eq!(args.checkpoint, Some(Some(PathBuf::from("cp.json"))));
    }

    #[test]
    fn require_signature_needs_a_token_or_a_shared_key() {
        // The environment must not satisfy the requirement behind the test's back.
        let parse = |args: &[&str]| Cli::try_parse_from(args.iter().copied());
        if std::env::var_os("TWILIO_AUTH_TOKEN").is_none()
            && std::env::var_os("TWILIO_SHARED_KEY_SECRET").is_none()
        {
            assert!(parse(&["twimon", "--require-signature"]).is_err());
        }
        for args in [
            &["twimon", "--require-signature", "--auth-token", "t"][..],
            &[
                "twimon",
                "--require-signature",
                "--shared-key-secret",
                "KS1=a",
            ][..],
        ] {
            assert!(parse(args).is_ok(), "{args:?}");
        }
        let cli = parse(&[
            "twimon",
            "--shared-key-secret",
            "KS1=a,KS2=b",
            "--shared-key-secret",
            "c",
        ])
        .unwrap();
        assert_eq!(cli.monitor.shared_key_secret, ["KS1=a", "KS2=b", "c"]);
    }
}
