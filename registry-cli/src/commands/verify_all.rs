//! `registry verify --all`: every version a registry lists, fetched and checked by `--jobs` worker threads that
//! share one client (so one pool of kept-alive connections), each also checked against the log at one checkpoint
//! ([`super::verify_all_log`]), with a progress bar on a terminal and a summary table
//! or one JSON document at the end, in the registry's listing order.

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};

use super::verify_all_log::AllLog;
use super::{registry, trusted_keys};
use crate::check::{Policy, Report, check, fetch};
use crate::cli::{RegistryArg, TrustArgs};
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::output::Format;
use crate::trust::{self, RegistryKeys, TrustedKeys};

/// One version's result: its report, or why it could not be checked (`id`, `version`, message).
type Outcome = std::result::Result<Report, (String, String, String)>;

/// What every worker shares.
struct Context<'a> {
    registry: &'a Registry,
    trusted: &'a TrustedKeys,
    registry_keys: &'a RegistryKeys,
    policy: &'a Policy,
    /// The log at one checkpoint (`None`: the registry announces none).
    log: Option<&'a AllLog>,
}

/// Runs `registry verify --all` with `jobs` workers (at least 1). Exit 2 when any version fails or cannot be read.
pub fn run(
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    jobs: usize,
    format: Format,
) -> Result<()> {
    let registry = registry(registry_arg, None)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let items = list(&registry)?;
    // After the listing: every listed version was sequenced before this checkpoint.
    let log = super::verify_all_log::load(
        &registry,
        &registry_keys,
        &trusted,
        trust_args.log_policy.as_deref(),
        jobs,
    )?;
    let policy = Policy::from(trust_args);
    let context = Context {
        registry: &registry,
        trusted: &trusted,
        registry_keys: &registry_keys,
        policy: &policy,
        log: log.as_ref(),
    };
    let reports = verify_in_parallel(&context, &items, jobs);
    let failed = reports
        .iter()
        .filter(|r| !matches!(r, Ok(report) if report.ok()))
        .count();
    match format {
        Format::Json => {
            let entries: Vec<Value> = reports
                .iter()
                .map(|r| match r {
                    Ok(report) => serde_json::to_value(report).unwrap_or(Value::Null),
                    Err((id, version, e)) => json!({"status": "error", "package_id": id,
                                                    "package_version": version, "error": e}),
                })
                .collect();
            let body = json!({"registry": registry.api(), "total": items.len(), "failed": failed,
                              "results": entries});
            crate::output::print_json(&body);
        }
        Format::Text => print_table(&reports),
    }
    if failed == 0 {
        crate::errln!("{} package version(s) verified", items.len());
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "{failed} of {} package version(s) failed",
            items.len()
        )))
    }
}

/// `(id, version)` of every version the registry lists (`/publications`, unpaged as ANIP clients call it).
fn list(registry: &Registry) -> Result<Vec<(String, String)>> {
    let listing = registry.get("/publications")?.map_err(|f| {
        CliError::CouldNotRun(format!("{}/publications: {}", registry.api(), f.describe()))
    })?;
    Ok(listing
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|i| {
            Some((
                i.get("package_id")?.as_str()?.to_owned(),
                i.get("package_version")?.as_str()?.to_owned(),
            ))
        })
        .collect())
}

/// Checks `items` with `jobs` threads taking the next unchecked index; results come back in `items`' order.
fn verify_in_parallel(
    context: &Context<'_>,
    items: &[(String, String)],
    jobs: usize,
) -> Vec<Outcome> {
    let progress = progress_bar(items.len());
    let next = AtomicUsize::new(0);
    let workers = jobs.clamp(1, items.len().max(1));
    let mut results: Vec<Option<Outcome>> = vec![None; items.len()];
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some((id, version)) = items.get(index) else {
                            break mine;
                        };
                        mine.push((index, verify_one(context, id, version)));
                        progress.inc(1);
                    }
                })
            })
            .collect();
        for handle in handles {
            for (index, outcome) in handle.join().unwrap_or_default() {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(outcome);
                }
            }
        }
    });
    progress.finish_and_clear();
    results
        .into_iter()
        .zip(items)
        .map(|(outcome, (id, version))| {
            outcome.unwrap_or_else(|| Err((id.clone(), version.clone(), "not checked".to_owned())))
        })
        .collect()
}

fn verify_one(context: &Context<'_>, id: &str, version: &str) -> Outcome {
    fetch(context.registry, id, version, context.policy.allow_yanked)
        .map(|fetched| {
            let mut report = check(
                &fetched,
                id,
                version,
                context.trusted,
                context.registry_keys,
                context.policy,
            );
            match context.log {
                Some(log) => log.check(&fetched, &mut report.checks),
                None => report.checks.warn(
                    "log_inclusion",
                    "the registry announces no transparency log: this version's acceptance is not provably public",
                ),
            }
            if !report.checks.all_passed() {
                report.status = "failed";
            }
            report
        })
        .map_err(|e| (id.to_owned(), version.to_owned(), e.to_string()))
}

/// A bar on stderr when it is a terminal; hidden otherwise (nothing is written to a pipe or a file).
fn progress_bar(total: usize) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let style = ProgressStyle::with_template("[{bar:30}] {pos}/{len} versions, {elapsed}")
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("#>.");
    ProgressBar::with_draw_target(Some(total as u64), target).with_style(style)
}

fn print_table(reports: &[Outcome]) {
    let rows: Vec<(String, String, String, String)> = reports
        .iter()
        .map(|r| match r {
            Ok(report) => {
                let failures: Vec<&str> =
                    report.checks.failures().map(|c| c.name.as_str()).collect();
                (
                    format!(
                        "{}@{}",
                        crate::output::safe(&report.package_id),
                        crate::output::safe(&report.package_version)
                    ),
                    report.status.to_owned(),
                    report.receipt_status.to_owned(),
                    failures.join(", "),
                )
            }
            Err((id, version, e)) => (
                format!(
                    "{}@{}",
                    crate::output::safe(id),
                    crate::output::safe(version)
                ),
                "error".to_owned(),
                "-".to_owned(),
                crate::output::safe(e),
            ),
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(7).max(7);
    crate::outln!(
        "{:<width$}  {:<8}  {:<11}  failed checks",
        "package",
        "status",
        "receipt"
    );
    for (package, status, receipt, failures) in rows {
        crate::outln!("{package:<width$}  {status:<8}  {receipt:<11}  {failures}");
    }
}
