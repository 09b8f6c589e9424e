//! The command line: `twimon [listen] [OPTIONS]`, `twimon send`, `twimon replay`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One aligned line per event.
    Text,
    /// One JSON object per event (NDJSON), for jq.
    Json,
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
    /// Events kept in memory; the oldest leave beyond it (a recording keeps everything).
    #[arg(long, default_value_t = crate::store::DEFAULT_MAX_EVENTS, value_name = "N")]
    pub max_events: usize,
    /// Write logs to this file (default: twimon.log in the system's temporary folder).
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
    #[arg(long, default_value = "127.0.0.1:7077", env = "TWIMON_ADDR")]
    pub addr: String,
    /// Largest delivery body accepted, in bytes (bigger ones get 413).
    #[arg(long, default_value_t = crate::source::listen::DEFAULT_BODY_LIMIT, value_name = "BYTES")]
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

#[derive(Debug, Clone, Args)]
pub struct SendArgs {
    /// Where to POST (a running twimon).
    #[arg(long, default_value = "http://127.0.0.1:7077/", env = "TWIMON_URL")]
    pub to: String,
    /// Delivery files (JSON bodies) or folders of them, sent in name order.
    #[arg(required = true, value_name = "FILE|DIR")]
    pub paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// A recording written by --record.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    #[command(flatten)]
    pub output: OutputArgs,
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
