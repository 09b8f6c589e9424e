//! The `twimon` binary: parse the command line, set up logging, hand over to the library.

use std::process::ExitCode;

use twimon::cli::Command;
use twimon::cmd;

fn main() -> ExitCode {
    let (cli, config) = match cmd::config::load(std::env::args_os().collect()) {
        Ok(loaded) => loaded,
        Err(cmd::config::Failure::Cli(e)) => e.exit(),
        Err(cmd::config::Failure::Config(e)) => {
            eprintln!("twimon: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("twimon: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Some(Command::Send(args)) => {
                cmd::logging::init_stderr();
                cmd::send::run(&args).await
            }
            Some(Command::Listen(args)) => cmd::listen::run(args).await,
            Some(Command::Replay(args)) => cmd::replay::run(args).await,
            Some(Command::Export(args)) => cmd::export::run(&args).await,
            #[cfg(feature = "kinesis")]
            Some(Command::Kinesis(args)) => cmd::kinesis::run(args).await,
            Some(Command::Read(args)) => cmd::read::run(args).await,
            Some(Command::Call(args)) => cmd::call::run(args).await,
            Some(Command::Config(_)) => {
                print!("{}", config.report.unwrap_or_default());
                Ok(())
            }
            Some(Command::Proxy(args)) => cmd::proxy::run(args).await,
            Some(Command::Resend(args)) => cmd::resend::run(&args).await,
            None => cmd::listen::run(cli.monitor).await,
        }
    });
    // Leave spawned tasks (a stalled connection, the demo) behind instead of waiting on them.
    runtime.shutdown_timeout(std::time::Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Errors quote file names, URLs and answers: none may drive the terminal.
            eprintln!("twimon: {}", twimon::text::safe::line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}
