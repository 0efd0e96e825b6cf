//! `registry`: parses the command line and runs it. Exit 0 success, 1 could not run, 2 a trust or rule check
//! failed, 64 a usage error; never a panic's 101 (a panic is reported, exit 1). With `--format json` a failure is
//! also one JSON document on stdout (`{"error", "code", "exit_code", "problems"}`).

#![deny(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

use clap::Parser as _;
use registry_cli::cli::Cli;
use registry_cli::error::{CliError, EXIT_COULD_NOT_RUN, EXIT_USAGE};
use registry_cli::output::{self, Format};

fn main() -> ExitCode {
    let args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut cli = match Cli::try_parse_from(&args) {
        Ok(cli) => cli,
        Err(e) => return usage(&e, &args),
    };
    let config = match registry_cli::config::load() {
        Ok(config) => config,
        Err(e) => return fail(&e, registry_cli::config::wants_json(&args)),
    };
    registry_cli::config::apply(&config, &mut cli.command);
    let format = cli.command.format();
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if let Some(path) = cli.ca_file.as_deref().filter(|p| !p.is_empty()) {
            registry_cli::tls::trust_ca_file(path)?;
        }
        registry_cli::run(&cli.command)
    }))
    .unwrap_or_else(|_| {
        Err(CliError::CouldNotRun(
            "internal error (a bug in registry; the panic message is above)".to_owned(),
        ))
    });
    // Output lost to a write error (not a closed pipe, whose reader chose to stop) fails a command that succeeded.
    let lost = output::stdout_error().map(|e| {
        CliError::CouldNotRun(format!(
            "writing to stdout failed, output lost: {}",
            output::safe(e)
        ))
    });
    match (result, lost) {
        (Ok(()), None) => ExitCode::SUCCESS,
        (Ok(()), Some(e)) => {
            output::print_error(&e, Format::Text);
            ExitCode::from(EXIT_COULD_NOT_RUN)
        }
        (Err(e), _) => fail(&e, format == Format::Json),
    }
}

fn fail(e: &CliError, json: bool) -> ExitCode {
    output::print_error(e, if json { Format::Json } else { Format::Text });
    ExitCode::from(e.exit_code())
}

/// A clap error: help and `--version` print and succeed; anything else is a usage error (exit 64).
fn usage(e: &clap::Error, args: &[std::ffi::OsString]) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        let _ = e.print();
        return ExitCode::SUCCESS;
    }
    if registry_cli::config::wants_json(args) {
        let error = CliError::Usage(e.kind().to_string());
        output::print_error_json(&error, &e.render().to_string());
    } else {
        let _ = e.print();
    }
    ExitCode::from(EXIT_USAGE)
}
