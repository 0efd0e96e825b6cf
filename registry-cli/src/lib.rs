//! `registry`: the command line for publishers, generators in CI and auditors (library part; `main.rs` is thin).
// `println!` and friends panic when the reader of a pipe has gone: print through `outln!`/`errln!` (output.rs).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle_log;
pub mod check;
pub mod cli;
pub mod client;
pub mod commands;
pub mod error;
pub mod log_check;
pub mod logstate;
pub mod output;
pub mod trust;

use crate::cli::Command;
use crate::commands::resolve::ResolveArgs;
use crate::error::Result;

/// Runs one command.
pub fn run(command: &Command) -> Result<()> {
    match command {
        Command::Publish {
            file,
            registry,
            token,
            output,
            format,
        } => commands::publish::run(file, registry, token.as_deref(), output.as_deref(), *format),
        Command::Resolve {
            package,
            registry,
            lock_file,
            write_lock,
            out,
            trust,
            format,
        } => commands::resolve::run(&ResolveArgs {
            package,
            registry,
            lock_file,
            write_lock: *write_lock,
            out: out.as_deref(),
            trust,
            format: *format,
        }),
        Command::Verify {
            package,
            registry,
            all,
            bundle,
            trust_bundle_keys,
            template,
            lock_file,
            jobs,
            trust,
            format,
        } => {
            if *all {
                commands::verify_all::run(registry, trust, usize::from(*jobs), *format)
            } else if let Some(template) = template {
                commands::verify::template(template, registry, trust, *format)
            } else if let Some(path) = bundle {
                commands::verify::bundle(path, trust, *trust_bundle_keys, *format)
            } else if let Some(path) = lock_file {
                commands::verify::lock(path, registry, trust, *format)
            } else if let Some(package) = package {
                commands::verify::package(package, registry, trust, *format)
            } else {
                Err(error::CliError::CouldNotRun(
                    "verify what? give <id>@<version>, --all, --bundle FILE or --lock-file FILE"
                        .to_owned(),
                ))
            }
        }
        Command::Log(log) => commands::log::run(log),
        Command::Keys {
            registry,
            save,
            format,
        } => commands::keys::run(registry, save.as_deref(), *format),
    }
}
