//! `registry resolve`: what a generator runs in CI. Download the record, verify the receipt against trusted keys,
//! recompute every digest and the execution signature, compare with the lock, and only then write the record.

use verifier::lock::PackageLock;

use super::{registry, split_package, trusted_keys, write_file};
use crate::check::{Policy, check, fetch, resolved_lock};
use crate::cli::{RegistryArg, TrustArgs};
use crate::error::{CliError, Result};
use crate::output::{self, Format};
use crate::trust;

/// Everything `resolve` takes.
#[derive(Debug)]
pub struct ResolveArgs<'a> {
    /// `id@version`.
    pub package: &'a str,
    /// Registry.
    pub registry: &'a RegistryArg,
    /// Lock file.
    pub lock_file: &'a str,
    /// Create the lock when missing.
    pub write_lock: bool,
    /// Where the record goes.
    pub out: Option<&'a str>,
    /// Trust.
    pub trust: &'a TrustArgs,
    /// Report format.
    pub format: Format,
}

/// Runs `registry resolve`.
pub fn run(args: &ResolveArgs<'_>) -> Result<()> {
    let (id, version) = split_package(args.package)?;
    let pinned = match std::fs::read(args.lock_file) {
        Ok(bytes) => Some(
            PackageLock::from_json(&bytes)
                .map_err(|e| CliError::CouldNotRun(format!("{}: {e}", args.lock_file)))?,
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && args.write_lock => None,
        Err(e) => {
            return Err(CliError::CouldNotRun(format!(
                "{}: {e} (use --write-lock to create it on first use)",
                args.lock_file
            )));
        }
    };
    let registry = registry(
        args.registry,
        pinned.as_ref().map(|l| l.registry_url.as_str()),
    )?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(args.trust, &registry_keys)?;
    let policy = Policy::from(args.trust);
    let fetched = fetch(&registry, &id, &version, policy.allow_yanked)?;
    let mut report = check(&fetched, &id, &version, &trusted, &registry_keys, &policy);
    let log = crate::log_check::add_to_report(
        &registry,
        &fetched,
        &registry_keys,
        &trusted,
        args.trust.log_policy.as_deref(),
        &mut report,
    )?;
    let resolved = crate::log_check::with_log(
        resolved_lock(&fetched, &registry, &registry_keys, &trusted),
        log.as_ref(),
    );
    if let Some(pinned) = &pinned {
        crate::log_check::check_pinned(&registry, pinned, log.as_ref(), &mut report)?;
        report.compare_lock(pinned, &resolved, &trusted.keys);
    }
    let to_stdout = args.out.is_none();
    if to_stdout && args.format == Format::Text {
        crate::err!("{}", output::report_text(&report));
    } else if to_stdout {
        crate::errln!("{}", output::report_json(&report));
    } else {
        output::print_report(&report, args.format);
    }
    if !report.ok() {
        let failed: Vec<String> = report
            .checks
            .failures()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(CliError::CheckFailed(format!(
            "{id}@{version} did not resolve: {}",
            failed.join("; ")
        )));
    }
    if pinned.is_none() {
        write_file(args.lock_file, resolved.to_pretty_json().as_bytes(), false)?;
        crate::errln!("wrote lock {}", args.lock_file);
    }
    // The record written is rebuilt from the fields that were checked: keys the checks never saw (such as a
    // case-variant `SERVICE_DEFINITION`, which Go's decoder would prefer) cannot reach a generator.
    let mut record = serde_json::to_vec_pretty(&fetched.record)
        .map_err(|e| CliError::CouldNotRun(e.to_string()))?;
    record.push(b'\n');
    match args.out {
        Some(path) => write_file(path, &record, true)?,
        None => {
            // The record is what a generator consumes: if stdout is gone it was not delivered (exit 1), unlike the
            // reports other commands print, whose reader may stop early.
            crate::output::deliver_out(&record)
                .map_err(|e| CliError::CouldNotRun(format!("writing the record to stdout: {e}")))?;
        }
    }
    Ok(())
}
