//! `twimon proxy --to URL`: the inspecting proxy in front of a Voice app, consumed by the
//! monitor (where `R` resends an event) or the headless printer.

use crate::cli::ProxyArgs;
use crate::source::listen::Config;
use crate::source::proxy::{self, EVENTS_PATH};
use crate::source::signature::Verifier;

pub async fn run(args: ProxyArgs) -> anyhow::Result<()> {
    let monitor = &args.monitor;
    let signal = super::shutdown::signal();
    let headless = super::headless_wanted(monitor.output.headless);
    if headless {
        super::logging::init_stderr();
    }
    let resend = super::resend::options(
        &args.resend,
        Some(args.to.clone()),
        monitor.auth_token.clone(),
        monitor.shared_key_secret.first().map(String::as_str),
        args.timeout,
    )?;
    let listen = Config {
        body_limit: monitor.body_limit,
        dedup_cap: monitor.output.max_events,
        verifier: Verifier::new(monitor.auth_token.clone(), monitor.public_url.clone())
            .with_shared_secrets(&monitor.shared_key_secret),
        require_signature: monitor.require_signature,
        record: monitor.record.clone(),
        ..Config::default()
    };
    let config = proxy::Config {
        target: args.to.clone(),
        timeout: args.timeout,
        listen,
    };
    let proxy = proxy::start(&monitor.addr, config).await?;
    let resender = crate::tui::resend::Resender::new(resend, proxy.sender());
    let feed = proxy.into_feed();
    if headless {
        eprintln!(
            "twimon: {} (Event Streams deliveries: POST {EVENTS_PATH})",
            feed.label
        );
    }
    let recorded = monitor.record.is_some();
    super::consume_with(
        feed,
        &monitor.output,
        headless,
        recorded,
        signal,
        Some(resender),
        None,
    )
    .await
}
