//! `registry verify`: one package on a registry, every package (`--all`), a bundle file, or a lock file.

use std::io::IsTerminal as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Value, json};
use verifier::bundle::Bundle;
use verifier::keys::{KeySet, SigningKey};
use verifier::lock::PackageLock;

use super::{registry, split_package, trusted_keys};
use crate::check::{Policy, Report, check, fetch, resolved_lock};
use crate::cli::{RegistryArg, TrustArgs};
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::output::{self, Format};
use crate::trust::{self, TrustedKeys};

fn policy(args: &TrustArgs) -> Policy {
    Policy::from(args)
}

fn finish(report: &Report, format: Format) -> Result<()> {
    output::print_report(report, format);
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "{}@{} failed verification",
            report.package_id, report.package_version
        )))
    }
}

/// One package on a registry.
pub fn package(
    package: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    format: Format,
) -> Result<()> {
    let (id, version) = split_package(package)?;
    let registry = registry(registry_arg, None)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let policy = policy(trust_args);
    let fetched = fetch(&registry, &id, &version, policy.allow_yanked)?;
    finish(
        &check(&fetched, &id, &version, &trusted, &registry_keys, &policy),
        format,
    )
}

/// A lock file: resolve its package from its registry and compare.
pub fn lock(
    path: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    format: Format,
) -> Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
    let pinned = PackageLock::from_json(&bytes)
        .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
    let registry = registry(registry_arg, Some(&pinned.registry_url))?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let policy = policy(trust_args);
    let (id, version) = (pinned.package_id.clone(), pinned.package_version.clone());
    let fetched = fetch(&registry, &id, &version, policy.allow_yanked)?;
    let mut report = check(&fetched, &id, &version, &trusted, &registry_keys, &policy);
    let resolved = resolved_lock(&fetched, &registry, &registry_keys, &trusted);
    report.compare_lock(&pinned, &resolved, &trusted.keys);
    finish(&report, format)
}

/// A bundle file, offline: keys from --trusted-keys, else the bundle's own `registry_keys` (which prove nothing),
/// else the public dev key.
pub fn bundle(
    path: &str,
    trust_args: &TrustArgs,
    trust_bundle_keys: bool,
    format: Format,
) -> Result<()> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
    let bundle =
        Bundle::from_json(&bytes).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
    let (keys, pinned) = match &trust_args.trusted_keys {
        Some(file) => (trust::read_file(file)?, true),
        None => {
            let own = bundle
                .registry_keys()
                .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
            output::warn(
                "no --trusted-keys: trusting the keys the bundle carries (or the public dev key)",
            );
            if own.is_empty() {
                let dev = SigningKey::dev();
                let keys = KeySet::of(dev.key_id().clone(), dev.public_key());
                (keys, false)
            } else {
                (own, false)
            }
        }
    };
    let verification = bundle
        .verify(&keys)
        .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
    let mut checks = verification.checks;
    if !pinned {
        // Keys a bundle carries prove nothing about who signed it (reference §13.1 item 4).
        let detail = "the keys come from the bundle itself (or are the public dev key); pin them with \
                      --trusted-keys, or accept them with --trust-bundle-keys";
        if trust_bundle_keys {
            checks.warn("keys_pinned", detail);
        } else {
            checks.fail("keys_pinned", detail);
        }
    }
    crate::check::receipt_policy(
        &verification.receipt,
        &keys,
        &policy(trust_args),
        &mut checks,
    );
    let report = Report {
        status: if checks.all_passed() {
            "verified"
        } else {
            "failed"
        },
        package_id: verification.package_id,
        package_version: verification.package_version,
        receipt_status: verification.receipt.status(),
        checks,
    };
    finish(&report, format)
}

/// Every version a registry lists, checked in parallel, with progress and a summary table.
pub fn all(registry_arg: &RegistryArg, trust_args: &TrustArgs, format: Format) -> Result<()> {
    let registry = registry(registry_arg, None)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let listing = registry.get("/publications")?.map_err(|f| {
        CliError::CouldNotRun(format!("{}/publications: {}", registry.api(), f.describe()))
    })?;
    let items: Vec<(String, String)> = listing
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
        .collect();
    let policy = policy(trust_args);
    let reports = verify_in_parallel(&registry, &items, &trusted, &registry_keys, &policy);
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
                    Err((id, version, e)) => json!({"status": "error", "package_id": id, "package_version": version, "error": e}),
                })
                .collect();
            let body = json!({"registry": registry.api(), "total": items.len(), "failed": failed, "results": entries});
            println!(
                "{}",
                serde_json::to_string_pretty(&body).unwrap_or_default()
            );
        }
        Format::Text => print_table(&reports),
    }
    if failed == 0 {
        eprintln!("{} package version(s) verified", items.len());
        Ok(())
    } else {
        Err(CliError::CheckFailed(format!(
            "{failed} of {} package version(s) failed",
            items.len()
        )))
    }
}

type Outcome = std::result::Result<Report, (String, String, String)>;

fn verify_in_parallel(
    registry: &Registry,
    items: &[(String, String)],
    trusted: &TrustedKeys,
    registry_keys: &trust::RegistryKeys,
    policy: &Policy,
) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<Outcome>>> = Mutex::new(vec![None; items.len()]);
    let progress = std::io::stderr().is_terminal();
    let workers = std::thread::available_parallelism()
        .map_or(2, usize::from)
        .clamp(2, 8)
        * 2;
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((id, version)) = items.get(i) else {
                        break;
                    };
                    let outcome = fetch(registry, id, version, policy.allow_yanked)
                        .map(|fetched| check(&fetched, id, version, trusted, registry_keys, policy))
                        .map_err(|e| (id.clone(), version.clone(), e.to_string()));
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(outcome);
                    }
                    let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if progress {
                        let width = 30;
                        let filled = finished * width / items.len().max(1);
                        eprint!(
                            "\r[{}{}] {finished}/{}",
                            "#".repeat(filled),
                            ".".repeat(width - filled),
                            items.len()
                        );
                    }
                }
            });
        }
    });
    if progress {
        eprintln!();
    }
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

fn print_table(reports: &[Outcome]) {
    let rows: Vec<(String, String, String, String)> = reports
        .iter()
        .map(|r| match r {
            Ok(report) => {
                let failures: Vec<&str> =
                    report.checks.failures().map(|c| c.name.as_str()).collect();
                (
                    format!("{}@{}", report.package_id, report.package_version),
                    report.status.to_owned(),
                    report.receipt_status.to_owned(),
                    failures.join(", "),
                )
            }
            Err((id, version, e)) => (
                format!("{id}@{version}"),
                "error".to_owned(),
                "-".to_owned(),
                e.clone(),
            ),
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(7).max(7);
    println!(
        "{:<width$}  {:<8}  {:<11}  failed checks",
        "package", "status", "receipt"
    );
    for (package, status, receipt, failures) in rows {
        println!("{package:<width$}  {status:<8}  {receipt:<11}  {failures}");
    }
}

/// A template version: its documents recompute to the recorded digests, the served package is the validated one,
/// and its signed template receipt verifies against trusted keys.
pub fn template(
    package: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    format: Format,
) -> Result<()> {
    use verifier::canonical::digest;
    use verifier::template_receipt::{TemplatePayload, TemplateReceipt};

    let (id, version) = split_package(package)?;
    let registry = registry(registry_arg, None)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let fetch_json = |suffix: &str| {
        let path = format!(
            "/templates/{}/{}{suffix}",
            crate::client::encode_segment(&id),
            crate::client::encode_segment(&version)
        );
        registry.get(&path)?.map_err(|f| {
            CliError::CouldNotRun(format!("template {id}@{version}: {}", f.describe()))
        })
    };
    let record = fetch_json("")?;
    if let Some(object) = record.as_object() {
        verifier::casefold::check_keys(
            object,
            &verifier::template_receipt::TEMPLATE_RECORD_FIELDS,
            "",
        )
        .map_err(|e| CliError::CouldNotRun(format!("template {id}@{version}: {e}")))?;
    }
    let receipt: TemplateReceipt =
        verifier::record::object_into(fetch_json("/receipt")?, "a template receipt").map_err(
            |e| CliError::CouldNotRun(format!("template {id}@{version}: malformed receipt: {e}")),
        )?;
    let text = |key: &str| {
        record
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut checks = verifier::report::Checks::default();
    checks.check(
        "record_is_the_requested_template",
        text("template_id") == id && text("template_version") == version,
        format!(
            "requested {id}@{version}, received {}@{}",
            text("template_id"),
            text("template_version")
        ),
    );
    let null = Value::Null;
    let computed: Vec<(&str, String)> = ["manifest", "template", "package"]
        .iter()
        .map(|part| (*part, digest(record.get(*part).unwrap_or(&null))))
        .collect();
    for (part, value) in &computed {
        let claimed = text(&format!("{part}_digest"));
        checks.check(
            &format!("{part}_digest_matches"),
            claimed == *value,
            format!("{part}_digest: the record says {claimed}, the content computes {value}"),
        );
    }
    let package_part = |key: &str| record.get("package").and_then(|p| p.get(key)).map(digest);
    checks.check(
        "package_is_the_validated_template",
        package_part("manifest") == Some(computed[0].1.clone())
            && package_part("template") == Some(computed[1].1.clone()),
        "the served package carries the validated manifest and template",
    );
    let payload = TemplatePayload {
        template_id: text("template_id"),
        template_version: text("template_version"),
        manifest_digest: computed[0].1.clone(),
        template_digest: computed[1].1.clone(),
        package_digest: computed[2].1.clone(),
        issued_at: receipt.issued_at.clone(),
        publisher_id: text("publisher_id"),
        publisher_type: text("publisher_type"),
    };
    let outcome = receipt.verify(&payload, &trusted.keys);
    match &outcome {
        verifier::receipt::ReceiptOutcome::Verified { key_id } => {
            checks.pass("receipt_signature_valid", format!("signed by key {key_id}"));
        }
        other => checks.fail("receipt_signature_valid", other.to_string()),
    }
    if !trusted.pinned {
        checks.warn(
            "keys_pinned",
            "trusting the keys the registry lists about itself",
        );
    }
    crate::check::receipt_policy(&outcome, &trusted.keys, &policy(trust_args), &mut checks);
    let report = Report {
        status: if checks.all_passed() {
            "verified"
        } else {
            "failed"
        },
        package_id: id,
        package_version: version,
        receipt_status: outcome.status(),
        checks,
    };
    finish(&report, format)
}
