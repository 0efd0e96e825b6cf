//! `registry`: parses the command line and runs it; exit 0 success, 2 a trust check failed, 1 could not run.

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser as _;
use registry_cli::cli::Cli;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = registry_cli::run(&cli.command);
    // Output lost to a write error (not a closed pipe, whose reader chose to stop) fails a command that succeeded.
    let lost = registry_cli::output::stdout_error().inspect(|e| {
        registry_cli::errln!(
            "registry: writing to stdout failed, output lost: {}",
            registry_cli::output::safe(e)
        );
    });
    match result {
        Ok(()) if lost.is_some() => ExitCode::FAILURE,
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            registry_cli::errln!("registry: {}", registry_cli::output::safe(&e.to_string()));
            ExitCode::from(e.exit_code())
        }
    }
}
