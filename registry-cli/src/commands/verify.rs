//! `registry verify`: one package on a registry, a bundle file, a lock file or a template (`--all`: verify_all.rs).

use verifier::bundle::Bundle;
use verifier::keys::{KeySet, SigningKey};
use verifier::lock::PackageLock;

use super::rules::Kind;
use super::{pick, registry, spec, trusted_keys};
use crate::check::{Policy, Report, check, fetch, resolved_lock};
use crate::cli::{RegistryArg, TrustArgs};
use crate::error::{CliError, Result};
use crate::output::{self, Format};
use crate::trust;

pub use crate::bundle_log::BUNDLE_LOG_MEMBER;

fn policy(args: &TrustArgs) -> Policy {
    Policy::from(args)
}

fn finish(report: &Report, format: Format) -> Result<()> {
    output::print_report(report, format);
    if report.ok() {
        Ok(())
    } else {
        Err(CliError::check_failed(
            "check_failed",
            format!(
                "{}@{} failed verification",
                report.package_id, report.package_version
            ),
            report.failed_problems(),
        ))
    }
}

/// One package on a registry.
pub fn package(
    package: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    format: Format,
) -> Result<()> {
    let wanted = spec(package)?;
    let registry = registry(registry_arg, None)?;
    let (id, version) = pick(&registry, Kind::Request, wanted)?;
    let registry_keys = trust::fetch(&registry)?;
    let trusted = trusted_keys(trust_args, &registry_keys)?;
    let policy = policy(trust_args);
    let fetched = fetch(&registry, &id, &version, policy.allow_yanked)?;
    let mut report = check(&fetched, &id, &version, &trusted, &registry_keys, &policy);
    crate::log_check::add_to_report(
        &registry,
        &fetched,
        &registry_keys,
        &trusted,
        trust_args.log_policy.as_deref(),
        &mut report,
    )?;
    finish(&report, format)
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
    let log = crate::log_check::add_to_report(
        &registry,
        &fetched,
        &registry_keys,
        &trusted,
        trust_args.log_policy.as_deref(),
        &mut report,
    )?;
    let resolved = crate::log_check::with_log(
        resolved_lock(&fetched, &registry, &registry_keys, &trusted),
        log.as_ref(),
    );
    crate::log_check::check_pinned(&registry, &pinned, log.as_ref(), &mut report)?;
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
    crate::bundle_log::check(
        &bundle,
        &keys,
        trust_args.log_policy.as_deref(),
        &mut checks,
    )?;
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

/// A template version: its documents recompute to the recorded digests, the served package is the validated one,
/// and its signed template receipt verifies against trusted keys.
pub fn template(
    package: &str,
    registry_arg: &RegistryArg,
    trust_args: &TrustArgs,
    format: Format,
) -> Result<()> {
    use verifier::template_receipt::TemplateReceipt;

    let wanted = spec(package)?;
    let registry = registry(registry_arg, None)?;
    let (id, version) = pick(&registry, Kind::Template, wanted)?;
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
    let verification = verifier::template_verify::verify_template(
        &id,
        &version,
        &verifier::template_verify::TemplateParts::of_record(&record),
        &receipt,
        &trusted.keys,
    );
    let (mut checks, outcome) = (verification.checks, verification.receipt);
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
