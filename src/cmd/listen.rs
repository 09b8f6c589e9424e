//! `twimon [listen]`: listen, optionally play the demo, and consume.

use crate::cli::MonitorArgs;
use crate::source::listen::{self, Config};
use crate::source::signature::Verifier;

pub async fn run(args: MonitorArgs) -> anyhow::Result<()> {
    let signal = super::shutdown::signal();
    let headless = super::headless_wanted(args.output.headless);
    // Before the listener's first line ("listening"), so that it reaches the log.
    if headless {
        super::logging::init_stderr();
    } else {
        super::logging::init_file(args.output.log_file.as_deref());
    }
    let config = Config {
        body_limit: args.body_limit,
        dedup_cap: args.output.max_events,
        verifier: Verifier::new(args.auth_token.clone(), args.public_url.clone())
            .with_shared_secrets(&args.shared_key_secret),
        require_signature: args.require_signature,
        record: args.record.clone(),
        ..Config::default()
    };
    let listener = listen::start(&args.addr, config).await?;
    let demo = args
        .demo
        .then(|| tokio::spawn(super::demo::play(listener.url())));
    let feed = listener.into_feed();
    if headless {
        eprintln!(
            "twimon: listening on {} (POST Event Streams deliveries; GET /healthz)",
            feed.label
        );
    }
    let result = super::consume(feed, &args.output, headless, args.record.is_some(), signal).await;
    if let Some(d) = demo {
        d.abort();
    }
    result
}
