//! `twimon replay FILE`: a recording shown like the live run.

use crate::cli::ReplayArgs;

pub async fn run(args: ReplayArgs) -> anyhow::Result<()> {
    let headless = super::headless_wanted(args.output.headless);
    if headless {
        super::logging::init_stderr();
    }
    let signal = super::shutdown::signal();
    let feed = crate::source::replay::start(&args.file, args.output.max_events)?;
    super::consume(feed, &args.output, headless, false, signal).await
}
