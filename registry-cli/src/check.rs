//! The trust checks of one registry package: the record is the one requested, every digest and the execution
//! signature recompute, every publish rule holds, the receipt verifies against trusted keys, the lifecycle allows
//! use, and the signing mode and keys are what the caller requires.

use serde::Serialize;
use serde_json::Value;
use verifier::keys::{KeySet, is_dev_public_key};
use verifier::lock::{PackageLock, RegistryContext};
use verifier::receipt::{Receipt, ReceiptOutcome};
use verifier::record::PackageRecord;
use verifier::report::Checks;

use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::trust::{RegistryKeys, TrustedKeys};

/// What the caller requires.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    /// Accept receipts signed before the execution signature existed (reported as legacy).
    pub allow_legacy: bool,
    /// Accept yanked versions.
    pub allow_yanked: bool,
    /// Required signing mode.
    pub require_mode: Option<crate::cli::RequiredMode>,
}

impl From<&crate::cli::TrustArgs> for Policy {
    fn from(args: &crate::cli::TrustArgs) -> Self {
        Policy {
            allow_legacy: args.allow_legacy,
            allow_yanked: args.allow_yanked,
            require_mode: args.require_mode,
        }
    }
}

/// A package as fetched from a registry.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The record, parsed.
    pub record: PackageRecord,
    /// The record as served.
    pub record_value: Value,
    /// Its receipt.
    pub receipt: Receipt,
}

/// The result of checking one package.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// `verified` or `failed`.
    pub status: &'static str,
    /// Requested id.
    pub package_id: String,
    /// Requested version.
    pub package_version: String,
    /// `verified`, `legacy`, `failed` or `unknown_key`.
    pub receipt_status: &'static str,
    /// Every check.
    pub checks: Checks,
}

impl Report {
    /// Whether every check passed.
    pub fn ok(&self) -> bool {
        self.status == "verified"
    }

    /// Each failed check as a problem (`name: detail`), for the error under a failed report.
    pub fn failed_problems(&self) -> Vec<crate::error::Problem> {
        self.checks
            .failures()
            .map(|c| crate::error::Problem {
                code: c.name.clone(),
                path: String::new(),
                message: c.detail.clone(),
            })
            .collect()
    }

    /// Adds the comparison of a pinned lock with the resolved package.
    pub fn compare_lock(&mut self, pinned: &PackageLock, resolved: &PackageLock, trusted: &KeySet) {
        let mismatches = pinned.compare(resolved, trusted);
        let detail = mismatches
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ");
        self.checks
            .check("package_lock_matches", mismatches.is_empty(), detail);
        if !self.checks.all_passed() {
            self.status = "failed";
        }
    }
}

/// Fetches the record (without counting a download) and the receipt of `id@version`.
pub fn fetch(registry: &Registry, id: &str, version: &str, allow_yanked: bool) -> Result<Fetched> {
    let mut path = Registry::package_path(id, version, "");
    if allow_yanked {
        path.push_str("?allow_yanked=true");
    }
    let record_value = registry.get(&path)?.map_err(|f| {
        let message = format!("{id}@{version}: {}", f.describe());
        // A version withdrawn by its lifecycle (410) is a failed check, not a failure to run.
        if f.status == 410 {
            CliError::CheckFailed(message)
        } else {
            CliError::CouldNotRun(message)
        }
    })?;
    let record: PackageRecord =
        verifier::record::object_into(record_value.clone(), "a package record").map_err(|e| {
            CliError::CouldNotRun(format!(
                "{id}@{version}: the registry's record is malformed: {e}"
            ))
        })?;
    let receipt_value = registry
        .get(&Registry::package_path(id, version, "/receipt"))?
        .map_err(|f| CliError::CouldNotRun(format!("{id}@{version} receipt: {}", f.describe())))?;
    let receipt: Receipt =
        verifier::record::object_into(receipt_value, "a receipt").map_err(|e| {
            CliError::CouldNotRun(format!(
                "{id}@{version}: the registry's receipt is malformed: {e}"
            ))
        })?;
    Ok(Fetched {
        record,
        record_value,
        receipt,
    })
}

/// Runs every check on a fetched package.
pub fn check(
    fetched: &Fetched,
    id: &str,
    version: &str,
    trusted: &TrustedKeys,
    registry_keys: &RegistryKeys,
    policy: &Policy,
) -> Report {
    let record = &fetched.record;
    let mut checks = Checks::default();
    // ANIP's verifier never checks this (reference §13.1 item 9): a registry could answer with another package.
    checks.check(
        "record_is_the_requested_package",
        record.package_id == id && record.package_version == version,
        format!(
            "requested {id}@{version}, received {}@{}",
            record.package_id, record.package_version
        ),
    );
    pin_check(trusted, registry_keys, &mut checks);
    let verification = verifier::verify::verify_package(record, &fetched.receipt, &trusted.keys);
    checks.0.extend(verification.checks.0);
    receipt_policy(&verification.receipt, &trusted.keys, policy, &mut checks);
    check_lifecycle(record, policy, &mut checks);
    check_mode(registry_keys, policy, &mut checks);
    Report {
        status: if checks.all_passed() {
            "verified"
        } else {
            "failed"
        },
        package_id: id.to_owned(),
        package_version: version.to_owned(),
        receipt_status: verification.receipt.status(),
        checks,
    }
}

/// `registry_keys_match_pins` (no pinned key listed by the registry with other bytes) under pinned keys, else the
/// `keys_pinned` warning.
pub fn pin_check(trusted: &TrustedKeys, registry_keys: &RegistryKeys, checks: &mut Checks) {
    if trusted.pinned {
        let changed = verifier::mirror::swapped_keys(&trusted.keys, &registry_keys.keys);
        let detail = if changed.is_empty() {
            format!(
                "{} pinned key(s); none listed with other bytes",
                trusted.keys.len()
            )
        } else {
            changed.join("; ")
        };
        checks.check("registry_keys_match_pins", changed.is_empty(), detail);
    } else {
        checks.warn(
            "keys_pinned",
            "trusting the keys the registry lists about itself; pin them with --trusted-keys (registry keys --save)",
        );
    }
}

fn check_lifecycle(record: &PackageRecord, policy: &Policy, checks: &mut Checks) {
    let lifecycle = &record.lifecycle;
    let replacement = lifecycle
        .replacement
        .as_ref()
        .map(|r| format!("; replacement {}@{}", r.package_id, r.package_version))
        .unwrap_or_default();
    let detail = format!(
        "lifecycle {}{}{replacement}",
        lifecycle.status,
        if lifecycle.reason.is_empty() {
            String::new()
        } else {
            format!(": {}", lifecycle.reason)
        }
    );
    use verifier::lifecycle::LifecycleStatus;
    match &lifecycle.status {
        LifecycleStatus::Active => checks.pass("lifecycle_allows_use", detail),
        status if status.is_usable(policy.allow_yanked) => {
            checks.warn("lifecycle_allows_use", detail);
        }
        _ => checks.fail("lifecycle_allows_use", detail),
    }
}

pub(crate) fn check_mode(registry_keys: &RegistryKeys, policy: &Policy, checks: &mut Checks) {
    if let Some(required) = policy.require_mode {
        let mode_ok = registry_keys
            .signing_mode
            .eq_ignore_ascii_case(required.as_str());
        checks.check(
            "signing_mode_matches",
            mode_ok,
            format!(
                "the registry reports signing mode {:?}; required {:?}",
                registry_keys.signing_mode,
                required.as_str()
            ),
        );
    }
}

/// What the caller accepts of a receipt that verified: a legacy receipt fails unless `--allow-legacy`, and under
/// `--require-mode production` one signed with the public dev key fails.
pub fn receipt_policy(
    receipt: &ReceiptOutcome,
    keys: &KeySet,
    policy: &Policy,
    checks: &mut Checks,
) {
    let (ReceiptOutcome::Verified { key_id } | ReceiptOutcome::Legacy { key_id }) = receipt else {
        return;
    };
    verifier::mirror::legacy_rule(receipt, policy.allow_legacy, checks);
    if policy.require_mode == Some(crate::cli::RequiredMode::Production)
        && keys.get(key_id).is_some_and(is_dev_public_key)
    {
        checks.fail(
            "receipt_not_signed_with_dev_key",
            "the receipt is signed with the public development key, which anyone can use",
        );
    }
}

/// The lock of a checked package: its `registry_url` without credentials, and no `registry_active_key_id` (a key
/// rotation must not break the lock in ANIP's generator, which compares it with the current active key).
pub fn resolved_lock(
    fetched: &Fetched,
    registry: &Registry,
    registry_keys: &RegistryKeys,
    trusted: &TrustedKeys,
) -> PackageLock {
    // The key that verified the receipt: the one named by its signature string.
    let key = fetched
        .receipt
        .registry_signature
        .parse::<verifier::signature::RegistrySignature>()
        .ok()
        .and_then(|signature| trusted.keys.get(signature.key_id().as_str()));
    PackageLock::from_resolved(
        &fetched.record,
        &fetched.receipt,
        key,
        &RegistryContext {
            registry_url: registry.api().to_owned(),
            signing_mode: registry_keys.signing_mode.clone(),
        },
    )
}
