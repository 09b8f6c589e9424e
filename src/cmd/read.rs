//! `twimon read FILE|-`: NDJSON CloudEvents from a file or a pipe, shown like the live run.

use crate::cli::ReadArgs;

pub async fn run(args: ReadArgs) -> anyhow::Result<()> {
    let headless = super::headless_wanted(args.output.headless);
    if headless {
        super::logging::init_stderr();
    }
    let signal = super::shutdown::signal();
    let feed =
        crate::source::read::start(&args.file, args.output.max_events, args.record.as_deref())?;
    super::consume_pulled(feed, &args.output, headless, args.record.is_some(), signal).await
}
