//! One file per subcommand. This is the edge where the command line's clap structs become
//! the plain option structs of the rooms below (`source`, `tui`, `headless`, `export`).

pub mod call;
pub mod config;
pub mod demo;
pub mod export;
#[cfg(feature = "kinesis")]
pub mod kinesis;
pub mod listen;
pub mod logging;
pub mod proxy;
pub mod read;
pub mod replay;
pub mod resend;
pub mod send;
pub mod shutdown;

use std::io::IsTerminal;

use crate::cli::{Format, OutputArgs};
use crate::source::Feed;

/// Whether to print instead of opening the full-screen monitor.
pub fn headless_wanted(flag: bool) -> bool {
    flag || !std::io::stdout().is_terminal()
}

/// Consumes a pulling source's feed, then says how it went: its figures on stderr when
/// headless, and its failure (a lost stream, a broken pipe) as the command's error.
async fn consume_pulled(
    feed: Feed,
    output: &OutputArgs,
    headless: bool,
    recorded: bool,
    signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stats = feed.stats.clone();
    let label = feed.label.clone();
    consume(feed, output, headless, recorded, signal).await?;
    let info = stats.info();
    if headless {
        let label = info.label.unwrap_or(label);
        eprintln!("twimon: {label}: {}", stats.summary());
    }
    match info.failure {
        Some(f) => Err(anyhow::anyhow!(f)),
        None => Ok(()),
    }
}

/// Hands a feed to its consumer: the headless printer or the monitor. `recorded`: every event
/// is also written to a file (`--record`); a replay's events are in its file already.
async fn consume(
    feed: Feed,
    output: &OutputArgs,
    headless: bool,
    recorded: bool,
    signal: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    consume_with(feed, output, headless, recorded, signal, None, None).await
}

/// [`consume`], with a way for the monitor's `R` to resend requests, or the caller panel of a
/// simulated call.
async fn consume_with(
    feed: Feed,
    output: &OutputArgs,
    headless: bool,
    recorded: bool,
    signal: impl Future<Output = ()> + Send + 'static,
    resend: Option<crate::tui::resend::Resender>,
    call: Option<crate::tui::caller::Link>,
) -> anyhow::Result<()> {
    if headless {
        let format = match output.format {
            Format::Text => crate::headless::Format::Text,
            Format::Json => crate::headless::Format::Json,
        };
        let opts = crate::headless::Options { mask: output.mask };
        crate::headless::run(feed, format, opts, output.filter.clone(), signal).await
    } else {
        let columns = if output.columns.is_empty() {
            crate::app::look::Column::DEFAULT.to_vec()
        } else {
            crate::app::look::Column::list(&output.columns.join(","))
                .map_err(|e| anyhow::anyhow!("--columns: {e}"))?
        };
        let log = logging::init_file(output.log_file.as_deref());
        tracing::info!(log = ?log, "monitor starting");
        let opts = crate::tui::Options {
            max_events: output.max_events,
            mask: output.mask,
            log,
            keys: config::keymap(),
            theme: theme_choice(output.theme),
            columns,
            recorded: recorded || !feed.live,
            filter: output.filter.clone(),
            resend,
        };
        let result = crate::tui::run(feed, &opts, signal, call).await;
        if let Some(log) = &opts.log {
            eprintln!(
                "twimon: this run's log: {}",
                crate::text::safe::line(&log.display().to_string())
            );
        }
        result
    }
}

fn theme_choice(arg: crate::cli::ThemeArg) -> crate::ui::theme::ThemeChoice {
    use crate::cli::ThemeArg;
    use crate::ui::theme::{Theme, ThemeChoice};
    match arg {
        ThemeArg::Auto => ThemeChoice::Auto,
        ThemeArg::Dark => ThemeChoice::Fixed(Theme::Dark),
        ThemeArg::Light => ThemeChoice::Fixed(Theme::Light),
        ThemeArg::None => ThemeChoice::Fixed(Theme::NoColor),
    }
}
