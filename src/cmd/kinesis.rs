//! `twimon kinesis STREAM`: an Event Streams Kinesis sink, read-only, into the monitor or
//! the headless printer.

use crate::cli::KinesisArgs;
use crate::source::kinesis::{self, Options, Start};

pub async fn run(args: KinesisArgs) -> anyhow::Result<()> {
    let headless = super::headless_wanted(args.output.headless);
    if headless {
        super::logging::init_stderr();
    }
    let start = match (&args.since, args.from_start) {
        (Some(s), _) => Start::AtTimestamp(
            kinesis::parse_since(s, jiff::Timestamp::now()).map_err(anyhow::Error::msg)?,
        ),
        (None, true) => Start::TrimHorizon,
        (None, false) => Start::Latest,
    };
    let poll_interval = kinesis::parse_interval(&args.poll_interval)
        .map_err(|e| anyhow::anyhow!("--poll-interval {e}"))?;
    let checkpoint = args
        .checkpoint
        .clone()
        .map(|f| f.unwrap_or_else(|| kinesis::default_checkpoint(&args.stream)));
    let opts = Options {
        stream: args.stream.clone(),
        profile: args.profile.clone(),
        region: args.region.clone(),
        endpoint_url: args.endpoint_url.clone(),
        start,
        checkpoint,
        poll_interval,
        dedup_cap: args.output.max_events,
        record: args.record.clone(),
    };
    let signal = super::shutdown::signal();
    let feed = kinesis::start(opts).await?;
    if headless {
        eprintln!("twimon: reading {}", feed.label);
    }
    super::consume_pulled(feed, &args.output, headless, args.record.is_some(), signal).await
}
