//! `registry log audit`: download every entry bundle of the current checkpoint (bounded parallelism over reused
//! connections), recompute the tree and compare its root with the signed one, then check every version entry
//! against the record and receipt the registry serves (receipts and records read a bundle at a time, see
//! [`super::log_audit_check`] and [`super::log_audit_records`]). Mismatches exit 2; a fork exits 3.

use std::collections::HashMap;
use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Value, json};
use verifier::tlog::entry::parse_bundle;
use verifier::tlog::paths::bundles_for_size;
use verifier::tlog::tree::MemoryTree;
use verifier::tlog::{Entry, leaf_hash};

use super::log_audit_check::BUNDLE;
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::log_check::{self, LogTrust};
use crate::output::Format;

/// One entry whose served record does not match, or that could not be checked.
#[derive(Debug, Clone)]
struct Finding {
    index: u64,
    what: String,
    detail: String,
}

/// How the audit reads what the registry serves for each version entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reads {
    /// Receipts and records a bundle at a time (`/log/receipts`, `/log/records`), each version's own routes for
    /// what those leave out.
    Bulk,
    /// Receipts a bundle at a time, each package version's record from its own route.
    RecordRoutes,
    /// Each version's own receipt and record routes (what consumers fetch).
    Routes,
}

impl Reads {
    fn bulk_receipts(self) -> bool {
        self != Reads::Routes
    }
}

/// Runs the audit with `jobs` threads, reading receipts and records as `reads` says.
pub fn run(
    registry: &Registry,
    trust: &LogTrust,
    (jobs, reads): (usize, Reads),
    format: Format,
) -> Result<()> {
    let verified = log_check::current_checkpoint(registry, trust)?;
    let consistency = log_check::consistent_with_seen(registry, &verified)?;
    let size = verified.checkpoint.size;
    let entries = download_entries(registry, size, jobs)?;

    let mut tree = MemoryTree::new();
    for entry in &entries {
        tree.push_leaf_hash(leaf_hash(entry));
    }
    let root_ok = tree.root(size).is_ok_and(|r| r == verified.checkpoint.root);

    // One entry per version: a second entry for the same id@version is a second acceptance (equivocation).
    let mut findings = Vec::new();
    let mut seen: HashMap<(String, String, String), u64> = HashMap::new();
    let parsed: Vec<Option<Entry>> = entries
        .iter()
        .enumerate()
        .map(|(i, bytes)| match Entry::parse(bytes) {
            Ok(e) => Some(e),
            Err(err) => {
                findings.push(Finding {
                    index: i as u64,
                    what: "malformed_entry".into(),
                    detail: err.to_string(),
                });
                None
            }
        })
        .collect();
    for (i, entry) in parsed.iter().enumerate() {
        let Some(key) = entry.as_ref().and_then(version_key) else {
            continue;
        };
        if let Some(first) = seen.insert(key.clone(), i as u64) {
            findings.push(Finding {
                index: i as u64,
                what: "logged_twice".into(),
                detail: format!(
                    "{} {}@{} was already logged at entry {first}",
                    key.0, key.1, key.2
                ),
            });
        }
    }

    // The receipts of every bundle's versions in one request each (when the registry has the bulk route); then,
    // a bundle at a time, its package versions' records (one request, or one per version) and every check.
    let served = if reads.bulk_receipts() {
        super::log_audit_check::bulk_receipts(registry, &parsed, jobs)?
    } else {
        (0..parsed.len()).map(|_| None).collect()
    };
    let progress = progress_bar(size, "checking entries");
    let records_supported = AtomicBool::new(reads == Reads::Bulk);
    let chunks = parsed.len().div_ceil(BUNDLE);
    let checked = in_parallel(chunks, jobs, |c| {
        let (start, end) = (c * BUNDLE, parsed.len().min((c + 1) * BUNDLE));
        let has_package = parsed[start..end]
            .iter()
            .any(|e| matches!(e, Some(Entry::PackageVersion(_))));
        let mut records = if has_package {
            super::log_audit_records::bulk_records(registry, (start, end), &records_supported)?
        } else {
            HashMap::new()
        };
        let mut outcomes = Vec::with_capacity(end - start);
        for i in start..end {
            outcomes.push(match &parsed[i] {
                Some(entry) => {
                    let bulk = (served.get(i).and_then(Option::as_ref), records.remove(&i));
                    super::log_audit_check::check_entry(registry, entry, &entries[i], bulk)?
                }
                None => Outcome::Skipped,
            });
            progress.inc(1);
        }
        Ok(outcomes)
    });
    progress.finish_and_clear();
    let (mut versions, mut unavailable, mut other) = (0usize, 0usize, 0usize);
    let outcomes = checked
        .into_iter()
        .collect::<Result<Vec<_>>>()?
        .into_iter()
        .flatten();
    for (i, outcome) in outcomes.enumerate() {
        match outcome {
            Outcome::Matches => versions += 1,
            Outcome::Unavailable => unavailable += 1,
            Outcome::Skipped => other += 1,
            Outcome::Mismatch(detail) => {
                versions += 1;
                findings.push(Finding {
                    index: i as u64,
                    what: "record_mismatch".into(),
                    detail,
                });
            }
        }
    }
    findings.sort_by_key(|f| f.index);
    report(
        &verified,
        &consistency,
        root_ok,
        (versions, unavailable, other),
        &findings,
        format,
    );
    if root_ok && findings.is_empty() {
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "log audit failed: {}{} finding(s)",
            if root_ok {
                ""
            } else {
                "the entries do not hash to the signed root; "
            },
            findings.len()
        )))
    }
}

/// Every entry of a log of `size` entries, its entry bundles downloaded by `jobs` threads over reused connections
/// (a progress bar on a terminal).
///
/// Errors: a bundle the registry does not serve (exit 1) or that does not parse (exit 2).
pub(crate) fn download_entries(
    registry: &Registry,
    size: u64,
    jobs: usize,
) -> Result<Vec<Vec<u8>>> {
    let bundles = bundles_for_size(size);
    let progress = progress_bar(size, "downloading entries");
    let downloaded = in_parallel(bundles.len(), jobs, |i| {
        let path = bundles[i];
        let bytes = registry.get_bytes(&format!("/log/{path}"))?.map_err(|f| {
            CliError::CouldNotRun(format!("{}/log/{path}: {}", registry.api(), f.describe()))
        })?;
        let entries: Vec<Vec<u8>> = parse_bundle(&bytes, path.width() as usize)
            .map_err(|e| CliError::CheckFailed(format!("{path}: {e}")))?
            .into_iter()
            .map(<[u8]>::to_vec)
            .collect();
        progress.inc(entries.len() as u64);
        Ok(entries)
    });
    progress.finish_and_clear();
    let mut entries = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for bundle in downloaded {
        entries.extend(bundle?);
    }
    Ok(entries)
}

pub(crate) enum Outcome {
    Matches,
    Mismatch(String),
    Unavailable,
    Skipped,
}

pub(crate) fn version_key(entry: &Entry) -> Option<(String, String, String)> {
    match entry {
        Entry::PackageVersion(f) => Some((
            "package".into(),
            f.get("package_id")?.clone(),
            f.get("package_version")?.clone(),
        )),
        Entry::TemplateVersion(f) => Some((
            "template".into(),
            f.get("template_id")?.clone(),
            f.get("template_version")?.clone(),
        )),
        _ => None,
    }
}

fn report(
    verified: &verifier::tlog::VerifiedCheckpoint,
    consistency: &str,
    root_ok: bool,
    (versions, unavailable, other): (usize, usize, usize),
    findings: &[Finding],
    format: Format,
) {
    match format {
        Format::Json => {
            let mut body = super::log::checkpoint_json(verified);
            body["consistency"] = json!(consistency);
            body["root_matches"] = json!(root_ok);
            body["versions_checked"] = json!(versions);
            body["versions_unavailable"] = json!(unavailable);
            body["other_entries"] = json!(other);
            body["findings"] = Value::Array(
                findings
                    .iter()
                    .map(|f| json!({"index": f.index, "code": f.what, "detail": f.detail}))
                    .collect(),
            );
            body["status"] = json!(if root_ok && findings.is_empty() {
                "verified"
            } else {
                "failed"
            });
            crate::output::print_json(&body);
        }
        Format::Text => {
            crate::outln!(
                "log {}: {} entries, root {}; {consistency}",
                crate::output::safe(&verified.checkpoint.origin),
                verified.checkpoint.size,
                if root_ok {
                    "recomputed and matches"
                } else {
                    "DOES NOT MATCH the entries"
                }
            );
            crate::outln!(
                "{versions} version entries checked against the registry, {unavailable} no longer served, \
                 {other} lifecycle/ownership entries"
            );
            for f in findings {
                crate::outln!(
                    "entry {}: {}: {}",
                    f.index,
                    f.what,
                    crate::output::safe(&f.detail)
                );
            }
        }
    }
}

/// Runs `work(0..count)` on up to `jobs` threads; results in index order (an error for a lost worker).
pub(crate) fn in_parallel<T: Send>(
    count: usize,
    jobs: usize,
    work: impl Fn(usize) -> Result<T> + Sync,
) -> Vec<Result<T>> {
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<Result<T>>> = (0..count).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs.clamp(1, count.max(1)))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            break mine;
                        }
                        mine.push((i, work(i)));
                    }
                })
            })
            .collect();
        for handle in handles {
            for (i, r) in handle.join().unwrap_or_default() {
                results[i] = Some(r);
            }
        }
    });
    results
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| Err(CliError::CouldNotRun("a worker thread failed".to_owned())))
        })
        .collect()
}

pub(crate) fn progress_bar(total: u64, what: &str) -> ProgressBar {
    let target = if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let style =
        ProgressStyle::with_template(&format!("[{{bar:30}}] {{pos}}/{{len}} {what}, {{elapsed}}"))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("#>.");
    ProgressBar::with_draw_target(Some(total), target).with_style(style)
}
