//! `registry`: the command line for publishers, generators in CI and auditors (library part; `main.rs` is thin).
// `println!` and friends panic when the reader of a pipe has gone: print through `outln!`/`errln!` (output.rs).
#![deny(clippy::print_stdout, clippy::print_stderr)]

pub mod bundle_log;
pub mod check;
pub mod cli;
pub mod client;
pub mod commands;
pub mod config;
pub mod error;
pub mod folder;
pub mod log_check;
pub mod logstate;
pub mod mirror;
pub mod output;
pub mod tls;
pub mod trust;

use crate::cli::Command;
use crate::commands::publish::PublishArgs;
use crate::commands::resolve::ResolveArgs;
use crate::error::Result;

/// `registry --version`: the crate version and the git commit it was built from (`unknown` without git).
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (commit ",
    env!("REGISTRY_GIT_COMMIT"),
    ")"
);

/// Runs one command.
pub fn run(command: &Command) -> Result<()> {
    match command {
        Command::Publish {
            file,
            registry,
            token,
            output,
            force,
            dry_run,
            template,
            format,
        } => commands::publish::run(&PublishArgs {
            file,
            registry,
            token: token.as_deref().filter(|t| !t.is_empty()),
            output: output.as_deref(),
            force: *force,
            dry_run: *dry_run,
            template: *template,
            format: format.get(),
        }),
        Command::Check {
            file,
            template,
            format,
        } => commands::rules::run(file, *template, format.get()),
        Command::Resolve {
            package,
            registry,
            lock_file,
            write_lock,
            update_lock,
            out,
            trust,
            format,
        } => commands::resolve::run(&ResolveArgs {
            package,
            registry,
            lock_file,
            write_lock: *write_lock,
            update_lock: *update_lock,
            out: out.as_deref(),
            trust,
            format: format.get(),
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
            let format = format.get();
            if *all {
                commands::verify_all::run(registry, trust, usize::from(*jobs), format)
            } else if let Some(template) = template {
                commands::verify::template(template, registry, trust, format)
            } else if let Some(path) = bundle {
                commands::verify::bundle(path, trust, *trust_bundle_keys, format)
            } else if let Some(path) = lock_file {
                commands::verify::lock(path, registry, trust, format)
            } else if let Some(package) = package {
                commands::verify::package(package, registry, trust, format)
            } else {
                Err(error::CliError::Usage(
                    "verify what? give <id>@<version>, --all, --bundle FILE or --lock-file FILE"
                        .to_owned(),
                ))
            }
        }
        Command::Log(log) => commands::log::run(log),
        Command::Mirror {
            from,
            to,
            jobs,
            trust,
            format,
        } => mirror::run(&mirror::MirrorArgs {
            from,
            to,
            trust,
            jobs: usize::from(*jobs),
            format: format.get(),
        }),
        Command::Keys {
            registry,
            save,
            format,
        } => commands::keys::run(registry, save.as_deref(), format.get()),
        Command::Search {
            text,
            registry,
            template,
            limit,
            format,
        } => commands::discover::search(text, registry, *template, *limit, format.get()),
        Command::Info {
            package,
            registry,
            template,
            format,
        } => commands::discover::info(package, registry, *template, format.get()),
        Command::Completions { shell } => commands::docs::completions(*shell),
        Command::Man { out_dir } => commands::docs::man(out_dir.as_deref()),
        Command::Account(command) => commands::account::run(command),
        Command::Admin { command, at } => commands::admin::run(command, at),
    }
}
