//! Verification of a package record with its receipt: every digest and the execution signature recomputed from the
//! documents, and the receipt's signature checked against trusted keys.

use serde_json::Value;

use crate::canonical::digest;
use crate::keys::{KeySet, is_dev_public_key};
use crate::publish::execution_signature;
use crate::receipt::{Receipt, ReceiptOutcome, ReceiptPayload};
use crate::record::{Object, PackageRecord};
use crate::report::Checks;

/// The outcome of [`verify_package`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageVerification {
    /// Every check, in order.
    pub checks: Checks,
    /// The receipt's outcome on its own.
    pub receipt: ReceiptOutcome,
}

impl PackageVerification {
    /// Whether the content checks all hold and the receipt verified over the current payload.
    pub fn is_verified(&self) -> bool {
        self.checks.all_passed() && matches!(self.receipt, ReceiptOutcome::Verified { .. })
    }
}

/// Recomputes the digests and execution signature of `record` and verifies `receipt` against `keys`.
pub fn verify_package(
    record: &PackageRecord,
    receipt: &Receipt,
    keys: &KeySet,
) -> PackageVerification {
    let mut checks = Checks::default();
    for (name, field, claimed, document) in [
        (
            "definition_digest_matches",
            "definition_digest",
            &record.definition_digest,
            &record.service_definition,
        ),
        (
            "manifest_digest_matches",
            "manifest_digest",
            &record.manifest_digest,
            &record.manifest,
        ),
        (
            "lock_digest_matches",
            "lock_digest",
            &record.lock_digest,
            &record.recommended_lock,
        ),
    ] {
        let computed = digest(document);
        if claimed.is_empty() {
            checks.fail(
                name,
                format!("{field}: the record has none; the content computes {computed}"),
            );
        } else if *claimed != computed {
            checks.fail(
                name,
                format!("{field}: the record says {claimed}, the content computes {computed}"),
            );
        } else {
            checks.pass(name, computed);
        }
    }
    check_execution_signature(record, &mut checks);
    check_copies_in_manifest(record, &mut checks);
    rules_check(&mut checks, crate::validate::validate_record(record));

    let payload = ReceiptPayload::from_record(record, &receipt.issued_at);
    let outcome = receipt.verify(&payload, keys);
    match &outcome {
        ReceiptOutcome::Verified { key_id } => {
            checks.pass("receipt_signature_valid", format!("signed by key {key_id}"));
        }
        ReceiptOutcome::Legacy { key_id } => checks.warn(
            "receipt_signature_valid",
            format!(
                "legacy receipt: key {key_id} signed the payload without package_execution_signature, so the \
                 registry did not vouch for the execution signature"
            ),
        ),
        ReceiptOutcome::Failed { reason } => checks.fail("receipt_signature_valid", reason.clone()),
        ReceiptOutcome::UnknownKey { key_id } => checks.fail(
            "receipt_signature_valid",
            format!("no trusted key has id {key_id}"),
        ),
    }
    if let ReceiptOutcome::Verified { key_id } | ReceiptOutcome::Legacy { key_id } = &outcome
        && keys.get(key_id).is_some_and(is_dev_public_key)
    {
        checks.warn(
            "receipt_key_not_dev_key",
            format!(
                "key {key_id} is the public development key: anyone can sign with it, so this receipt proves nothing"
            ),
        );
    }
    PackageVerification {
        checks,
        receipt: outcome,
    }
}

/// The name of the check that every publish-time rule holds.
pub const RULES_CHECK: &str = "package_rules_hold";

/// Records (or replaces) the [`RULES_CHECK`] entry for a validation result.
pub fn rules_check(checks: &mut Checks, result: Result<(), crate::validate::Rejection>) {
    checks.0.retain(|c| c.name != RULES_CHECK);
    match result {
        Ok(()) => checks.pass(RULES_CHECK, "every publish-time rule holds"),
        Err(rejection) => checks.fail(
            RULES_CHECK,
            rejection
                .problems
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; "),
        ),
    }
}

fn check_execution_signature(record: &PackageRecord, checks: &mut Checks) {
    const NAME: &str = "execution_signature_matches";
    let claimed = record.effective_execution_signature();
    let (Value::Object(manifest), Value::Object(lock)) =
        (&record.manifest, &record.recommended_lock)
    else {
        checks.fail(NAME, "manifest and recommended_lock must be JSON objects");
        return;
    };
    let computed = execution_signature(
        &record.service_definition,
        manifest,
        lock,
        &record.effective_materials(),
        &record.lineage,
    );
    if claimed.is_empty() {
        checks.warn(
            NAME,
            format!("the package carries no package_execution_signature (published before it existed); it would be {computed}"),
        );
        return;
    }
    for (place, value) in [
        ("record", record.package_execution_signature.as_str()),
        ("manifest", text_at(manifest, "package_execution_signature")),
        (
            "recommended_lock",
            text_at(lock, "package_execution_signature"),
        ),
    ] {
        if !value.is_empty() && value != computed {
            checks.fail(
                NAME,
                format!("package_execution_signature: the {place} says {value}, the content computes {computed}"),
            );
            return;
        }
    }
    checks.pass(NAME, computed);
}

/// The record's `readme` and `source_links` are copies of what the manifest (which its digest covers) says; a copy
/// that differs is unsigned content a client might show or use.
fn check_copies_in_manifest(record: &PackageRecord, checks: &mut Checks) {
    const NAME: &str = "record_copies_match_manifest";
    let Value::Object(manifest) = &record.manifest else {
        return;
    };
    let mut differences = Vec::new();
    if !record.readme.is_empty() && text_at(manifest, "readme").trim() != record.readme.trim() {
        differences.push("readme: the record's README differs from manifest.readme".to_owned());
    }
    if !record.source_links.is_empty() {
        let listed = crate::publish::links_from_value(manifest.get("source_links"));
        if listed != record.source_links {
            differences.push(
                "source_links: the record's links differ from manifest.source_links".to_owned(),
            );
        }
    }
    if differences.is_empty() {
        checks.pass(NAME, "readme and source links are the manifest's");
    } else {
        checks.fail(NAME, differences.join("; "));
    }
}

fn text_at<'a>(object: &'a Object, key: &str) -> &'a str {
    object.get(key).and_then(Value::as_str).unwrap_or("")
}
