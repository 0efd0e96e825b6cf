//! What a mirror checks of one version an origin's log names, before it keeps a copy: every trust check of the
//! record and receipt (digests, execution signature, receipt signature against pinned keys), the entry rebuilt from
//! what was served is the logged one byte for byte, and a package's lock names the logged digests and signature.
//! Pure: `registry mirror` (a folder) and `registry-server --mirror-of` (a replica store) fetch, then call this.
//! Also the pinned trusted-keys file format both read.

use serde_json::Value;

use crate::keys::{KeyId, KeySet, PublicKey};
use crate::receipt::{Receipt, ReceiptOutcome};
use crate::record::PackageRecord;
use crate::report::{CheckStatus, Checks};
use crate::template_receipt::TemplateReceipt;
use crate::template_verify::{TemplateParts, verify_template};
use crate::tlog::Entry;

/// Which kind of version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Artifact {
    /// A package version (`/packages/{id}/{version}`).
    Package,
    /// A template version (`/templates/{id}/{version}`).
    Template,
}

/// One version as the origin served it (JSON values as parsed from its record routes) and as its log holds it.
#[derive(Debug, Clone, Copy)]
pub struct Served<'a> {
    /// Package or template.
    pub artifact: Artifact,
    /// The id the log names.
    pub id: &'a str,
    /// The version the log names.
    pub version: &'a str,
    /// The record (`GET …/{id}/{version}?allow_yanked=true`).
    pub record: &'a Value,
    /// The receipt (`GET …/receipt`).
    pub receipt: &'a Value,
    /// A package's lock (`GET …/lock?allow_yanked=true`); `None` for templates.
    pub lock: Option<&'a Value>,
    /// The logged entry bytes.
    pub logged: &'a [u8],
}

/// What [`check_version`] found: every check (in order) and the receipt's outcome (for callers' own policy rules).
#[derive(Debug, Clone)]
pub struct Checked {
    /// Every check; a mirror keeps the version only when all pass.
    pub checks: Checks,
    /// The receipt's outcome (`None` when the receipt did not even parse).
    pub receipt: Option<ReceiptOutcome>,
}

/// Runs every check on `served` with the receipt verified against `keys`.
///
/// Never fails: a record or receipt that does not parse is a failed check (`record_parses`, `receipt_parses`).
/// Checks added after the verifier's own: `log_entry_matches` (the entry rebuilt from the served receipt and record
/// is `served.logged`), and for packages `lock_matches_log` (the lock names the logged digests and signature).
pub fn check_version(served: &Served<'_>, keys: &KeySet) -> Checked {
    let mut checks = Checks::default();
    match served.artifact {
        Artifact::Template => {
            let receipt: TemplateReceipt =
                match crate::record::object_into(served.receipt.clone(), "a template receipt") {
                    Ok(r) => r,
                    Err(e) => {
                        checks.fail("receipt_parses", e.to_string());
                        return Checked {
                            checks,
                            receipt: None,
                        };
                    }
                };
            let verification = verify_template(
                served.id,
                served.version,
                &TemplateParts::of_record(served.record),
                &receipt,
                keys,
            );
            checks.0.extend(verification.checks.0);
            let rebuilt = Entry::from_template_receipt(&receipt).to_bytes();
            compare_entry(
                &mut checks,
                rebuilt.map_err(|e| e.to_string()),
                served.logged,
            );
            Checked {
                checks,
                receipt: Some(verification.receipt),
            }
        }
        Artifact::Package => {
            let record: PackageRecord =
                match crate::record::object_into(served.record.clone(), "a record") {
                    Ok(r) => r,
                    Err(e) => {
                        checks.fail("record_parses", e.to_string());
                        return Checked {
                            checks,
                            receipt: None,
                        };
                    }
                };
            let receipt: Receipt =
                match crate::record::object_into(served.receipt.clone(), "a receipt") {
                    Ok(r) => r,
                    Err(e) => {
                        checks.fail("receipt_parses", e.to_string());
                        return Checked {
                            checks,
                            receipt: None,
                        };
                    }
                };
            // ANIP's verifier never checks this (reference §13.1 item 9): a registry could answer with another one.
            checks.check(
                "record_is_the_requested_package",
                record.package_id == served.id && record.package_version == served.version,
                format!(
                    "requested {}@{}, received {}@{}",
                    served.id, served.version, record.package_id, record.package_version
                ),
            );
            let verification = crate::verify::verify_package(&record, &receipt, keys);
            checks.0.extend(verification.checks.0);
            let rebuilt = Entry::from_record(&receipt, &record).and_then(|e| e.to_bytes());
            compare_entry(
                &mut checks,
                rebuilt.map_err(|e| e.to_string()),
                served.logged,
            );
            check_lock(&mut checks, served);
            Checked {
                checks,
                receipt: Some(verification.receipt),
            }
        }
    }
}

fn compare_entry(checks: &mut Checks, rebuilt: Result<Vec<u8>, String>, logged: &[u8]) {
    match rebuilt {
        Ok(bytes) => checks.check(
            "log_entry_matches",
            bytes == logged,
            "the record and receipt served are not the ones the log holds",
        ),
        Err(e) => checks.fail("log_entry_matches", e),
    }
}

/// The lock must name what the (verified) logged entry names.
fn check_lock(checks: &mut Checks, served: &Served<'_>) {
    let Some(lock) = served.lock else {
        checks.fail("lock_matches_log", "no lock was served");
        return;
    };
    let Ok(Entry::PackageVersion(fields)) = Entry::parse(served.logged) else {
        checks.fail(
            "lock_matches_log",
            "the logged entry is not a package version",
        );
        return;
    };
    let field = |name: &str| fields.get(name).map_or("", String::as_str);
    let expected = [
        ("package_id", served.id),
        ("package_version", served.version),
        ("definition_digest", field("definition_digest")),
        ("manifest_digest", field("manifest_digest")),
        ("lock_digest", field("lock_digest")),
        ("receipt_signature", field("registry_signature")),
    ];
    let differing: Vec<&str> = expected
        .iter()
        .filter(|(name, want)| lock.get(*name).and_then(Value::as_str) != Some(*want))
        .map(|(name, _)| *name)
        .collect();
    checks.check(
        "lock_matches_log",
        differing.is_empty(),
        format!(
            "the lock's {} differ from the receipt's",
            differing.join(", ")
        ),
    );
}

/// The legacy-receipt rule: a receipt that verifies only over the payload before the execution signature existed
/// fails `receipt_is_current` unless `allow_legacy` (then it warns).
pub fn legacy_rule(receipt: &ReceiptOutcome, allow_legacy: bool, checks: &mut Checks) {
    if matches!(receipt, ReceiptOutcome::Legacy { .. }) {
        let status = if allow_legacy {
            CheckStatus::Warn
        } else {
            CheckStatus::Fail
        };
        checks.push(
            "receipt_is_current",
            status,
            "the receipt does not cover the package execution signature (issued before it existed); \
             --allow-legacy accepts it",
        );
    }
}

/// Keys of `pinned` that `listed` (the keys a registry lists about itself) has under the same id with other bytes:
/// a swapped key. Each as `key <id> is listed with other bytes than the pinned ones`.
pub fn swapped_keys(pinned: &KeySet, listed: &KeySet) -> Vec<String> {
    pinned
        .iter()
        .filter(|(id, key)| listed.get(id.as_str()).is_some_and(|l| l != *key))
        .map(|(id, _)| format!("key {id} is listed with other bytes than the pinned ones"))
        .collect()
}

/// Parses the trusted-keys file: one key per line, `<key_id>=<base64 of the 32-byte Ed25519 public key>`; blank
/// lines and lines starting with `#` are ignored (`registry keys --save FILE` writes one).
///
/// Errors: `line N: …` for a malformed line, a duplicate id, or a file with no key.
pub fn parse_trusted_keys(text: &str) -> Result<KeySet, String> {
    let mut keys = KeySet::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, key) = line
            .split_once('=')
            .ok_or_else(|| format!("line {}: expected <key_id>=<base64 public key>", number + 1))?;
        let id =
            KeyId::new(id.trim()).map_err(|e| format!("line {}: {}", number + 1, e.message))?;
        let key = PublicKey::from_base64(key)
            .map_err(|e| format!("line {}: {}", number + 1, e.message))?;
        keys.insert(id, key)
            .map_err(|e| format!("line {}: {}", number + 1, e.message))?;
    }
    if keys.is_empty() {
        return Err("no keys in the file".to_owned());
    }
    Ok(keys)
}
