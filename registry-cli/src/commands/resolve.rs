//! `registry resolve`: what a generator runs in CI. Choose the version (`ID@VERSION`, `ID@latest`, `ID@^1.2`; a
//! lock's version while it still matches), download the record, verify the receipt against trusted keys, recompute
//! every digest and the execution signature, compare with the lock, and only then write the record.
//!
//! `--update-lock` re-resolves to the newest match and rewrites the lock, only after every other check passed,
//! printing each field that changed; without it, a lock that no longer matches fails and says how to update.

use verifier::lock::PackageLock;

use super::rules::Kind;
use super::versions::{self, Spec};
use super::{registry, trusted_keys, write_file};
use crate::check::{Policy, check, fetch, resolved_lock};
use crate::cli::{RegistryArg, TrustArgs};
use crate::error::{CliError, Problem, Result};
use crate::output::{self, Format};
use crate::trust;

/// Everything `resolve` takes.
#[derive(Debug)]
pub struct ResolveArgs<'a> {
    /// `id@version`, `id@latest` or `id@<requirement>`.
    pub package: &'a str,
    /// Registry.
    pub registry: &'a RegistryArg,
    /// Lock file.
    pub lock_file: &'a str,
    /// Create the lock when missing.
    pub write_lock: bool,
    /// Re-resolve and rewrite a lock that no longer matches.
    pub update_lock: bool,
    /// Where the record goes.
    pub out: Option<&'a str>,
    /// Trust.
    pub trust: &'a TrustArgs,
    /// Report format.
    pub format: Format,
}

fn read_lock(args: &ResolveArgs<'_>) -> Result<Option<PackageLock>> {
    match std::fs::read(args.lock_file) {
        Ok(bytes) => PackageLock::from_json(&bytes)
            .map(Some)
            .map_err(|e| CliError::CouldNotRun(format!("{}: {e}", args.lock_file))),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && (args.write_lock || args.update_lock) =>
        {
            Ok(None)
        }
        Err(e) => Err(CliError::CouldNotRun(format!(
            "{}: {e} (use --write-lock to create it on first use)",
            args.lock_file
        ))),
    }
}

/// The version to resolve: an exact one as given; for `latest` or a requirement, the lock's version while it is
/// the same id and still matches (unless `--update-lock`), else the newest match the registry lists.
fn choose_version(
    registry: &crate::client::Registry,
    args: &ResolveArgs<'_>,
    pinned: Option<&PackageLock>,
) -> Result<(String, String)> {
    let (id, spec) = versions::split(args.package, false)?;
    if let (Some(lock), false) = (pinned, args.update_lock)
        && lock.package_id == id
        && let Ok(locked) = verifier::version::parse(&lock.package_version)
    {
        let keeps = match &spec {
            Spec::Exact(_) => false,
            Spec::Latest => locked.pre.is_empty(),
            Spec::Requirement(text) => {
                verifier::version::parse_requirement(text).is_ok_and(|req| req.matches(&locked))
            }
        };
        if keeps {
            return Ok((id, lock.package_version.clone()));
        }
    }
    let version = versions::choose(registry, Kind::Request, &id, &spec)?;
    Ok((id, version))
}

/// Runs `registry resolve`.
pub fn run(args: &ResolveArgs<'_>) -> Result<()> {
    versions::split(args.package, false)?;
    let pinned = read_lock(args)?;
    let registry = registry(
        args.registry,
        pinned.as_ref().map(|l| l.registry_url.as_str()),
    )?;
    let (id, version) = choose_version(&registry, args, pinned.as_ref())?;
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
    let changes = match &pinned {
        Some(pinned) if args.update_lock => {
            let changes = pinned.compare(&resolved, &trusted.keys);
            let detail = if changes.is_empty() {
                "the lock matches".to_owned()
            } else {
                format!("{} field(s) will be updated (--update-lock)", changes.len())
            };
            report.checks.pass("package_lock_matches", detail);
            changes
        }
        Some(pinned) => {
            crate::log_check::check_pinned(&registry, pinned, log.as_ref(), &mut report)?;
            report.compare_lock(pinned, &resolved, &trusted.keys);
            Vec::new()
        }
        None => Vec::new(),
    };
    let to_stdout = args.out.is_none();
    if to_stdout && args.format == Format::Text {
        crate::err!("{}", output::report_text(&report));
    } else if to_stdout {
        crate::errln!("{}", output::report_json(&report));
    } else {
        output::print_report(&report, args.format);
    }
    if !report.ok() {
        return Err(failure(args, &report, &id, &version));
    }
    if pinned.is_none() {
        write_file(args.lock_file, resolved.to_pretty_json().as_bytes(), false)?;
        crate::errln!("wrote lock {}", args.lock_file);
    } else if !changes.is_empty() {
        replace_file(args.lock_file, resolved.to_pretty_json().as_bytes())?;
        crate::errln!("updated lock {}:", args.lock_file);
        for change in &changes {
            crate::errln!(
                "  {}: {} -> {}",
                change.field,
                output::safe(&change.expected),
                output::safe(if change.actual.is_empty() {
                    "(nothing)"
                } else {
                    &change.actual
                })
            );
        }
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

/// Exit 2 with each failed check on its own line; a lock mismatch says how to update the lock deliberately.
fn failure(
    args: &ResolveArgs<'_>,
    report: &crate::check::Report,
    id: &str,
    version: &str,
) -> CliError {
    let mut problems = report.failed_problems();
    let lock_failed = report
        .checks
        .failures()
        .any(|c| c.name == "package_lock_matches");
    let only_lock = lock_failed && problems.len() == 1;
    if only_lock {
        problems.push(Problem::text(format!(
            "if this change is expected, accept it deliberately: registry resolve {} --lock-file {} --update-lock",
            args.package, args.lock_file
        )));
    }
    CliError::check_failed(
        if only_lock {
            "lock_mismatch"
        } else {
            "check_failed"
        },
        format!("{id}@{version} did not resolve"),
        problems,
    )
}

/// Replaces `path` with `contents` atomically (a temporary file beside it, renamed over it), keeping mode 0600.
fn replace_file(path: &str, contents: &[u8]) -> Result<()> {
    let target = std::path::Path::new(path);
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let temporary = dir.join(format!(
        ".{}.{}.tmp",
        target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        std::process::id()
    ));
    let temporary_text = temporary.display().to_string();
    write_file(&temporary_text, contents, true)?;
    std::fs::rename(&temporary, target).map_err(|e| {
        let _ = std::fs::remove_file(&temporary);
        CliError::CouldNotRun(format!("replacing {path}: {e}"))
    })
}
