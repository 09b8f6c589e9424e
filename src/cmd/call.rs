//! `twimon call URL`: a simulated call against the app. Headless it prints the transcript
//! and fails (exit 1) on the first unmet expectation, failed request or error finding, naming
//! the step; in the monitor its events show like a real call's.

use std::io::Write as _;
use std::time::Duration;

use anyhow::Context;

use crate::cli::{CallArgs, Format, HttpMethod};
use crate::domain::call::script::{Player, Script};
use crate::domain::call::sim::{Method, Progress, Setup};
use crate::source::call::{self, Options};

fn method(m: HttpMethod) -> Method {
    match m {
        HttpMethod::Get => Method::Get,
        HttpMethod::Post => Method::Post,
    }
}

/// The script the flags ask for.
pub fn script(args: &CallArgs) -> anyhow::Result<Script> {
    match &args.script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the script {}", path.display()))?;
            Script::from_toml(&text)
                .map_err(|e| anyhow::anyhow!("the script {}: {e}", path.display()))
        }
        None => Ok(Script::from_inputs(&args.press, &args.say)),
    }
}

/// The call's options from the flags; `headless` runs stop at the first problem.
pub fn options(args: &CallArgs, headless: bool) -> anyhow::Result<Options> {
    let url = args.url.trim();
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        anyhow::bail!("the URL must start with http:// or https://, got {url:?}");
    }
    if !(args.timeout.is_finite() && args.timeout > 0.0) {
        anyhow::bail!("--timeout must be a positive number of seconds");
    }
    let seed = args.seed.unwrap_or_else(fresh_seed);
    let mut setup = Setup::new(url, seed);
    setup.method = method(args.method);
    setup.from.clone_from(&args.from);
    setup.to.clone_from(&args.to);
    setup.direction.clone_from(&args.direction);
    setup.max_redirects = args.max_redirects.max(1);
    let mut opts = Options::new(setup);
    opts.auth_token.clone_from(&args.auth_token);
    opts.status_callback = args
        .status_callback
        .clone()
        .map(|u| (u, method(args.status_callback_method)));
    if let Some(events) = &args.status_callback_event {
        if opts.status_callback.is_none() {
            anyhow::bail!(
                "--status-callback-event needs --status-callback URL: where to post them"
            );
        }
        opts.status_callback_events = Progress::parse_list(events)
            .map_err(|e| anyhow::anyhow!("--status-callback-event: {e}"))?;
    }
    opts.timeout = Duration::from_secs_f64(args.timeout.min(3600.0));
    opts.fast = args.fast;
    opts.stop_on_problem = headless;
    // In the monitor, the caller panel answers what the script does not.
    opts.interactive = !headless;
    Ok(opts)
}

/// A seed nobody else's run shares: the time and the process, hashed with a random key.
fn fresh_seed() -> u64 {
    use std::hash::{BuildHasher, Hash, Hasher};
    let mut h = std::hash::RandomState::new().build_hasher();
    std::time::SystemTime::now().hash(&mut h);
    std::process::id().hash(&mut h);
    h.finish()
}

pub async fn run(args: CallArgs) -> anyhow::Result<()> {
    let headless = super::headless_wanted(args.output.headless);
    if headless && args.output.filter.is_some() {
        anyhow::bail!(
            "--filter picks events, and `twimon call --headless` prints the call's transcript: \
             drop --filter, or watch the call in the monitor"
        );
    }
    if headless {
        super::logging::init_stderr();
    }
    let script = script(&args)?;
    let opts = options(&args, headless)?;
    let call = call::start(opts, Player::new(script))?;
    if !headless {
        let signal = super::shutdown::signal();
        let link = crate::tui::caller::Link {
            entries: call.transcript,
            control: call.control,
        };
        return super::consume_with(
            call.feed,
            &args.output,
            false,
            false,
            signal,
            None,
            Some(link),
        )
        .await;
    }
    let format = match args.output.format {
        Format::Text => crate::headless::Format::Text,
        Format::Json => crate::headless::Format::Json,
    };
    let out_opts = crate::headless::Options {
        mask: args.output.mask,
    };
    let call::Call {
        mut feed,
        mut transcript,
        outcome,
        control: _,
    } = call;
    // The events are the monitor's; headless prints the transcript. Dropping the receiver
    // lets the call run without anyone holding its deliveries.
    feed.rx.close();
    let signal = super::shutdown::signal();
    tokio::pin!(signal);
    let mut out = std::io::stdout();
    let mut signalled = false;
    loop {
        tokio::select! {
            biased;
            () = &mut signal, if !signalled => {
                signalled = true;
                // The call's outcome, below, says how it ended; a stop has nothing to add.
                let _ = feed.stop().await;
            }
            entry = transcript.recv() => {
                let Some(entry) = entry else { break };
                let line = crate::headless::transcript::line(&entry, format, out_opts);
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    break;
                }
            }
        }
    }
    let outcome = outcome
        .await
        .map_err(|_| anyhow::anyhow!("the simulated call stopped unexpectedly"))?;
    match outcome.problem {
        Some(p) => anyhow::bail!("{p}"),
        None => Ok(()),
    }
}
