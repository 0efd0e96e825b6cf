//! Lock files `anip-package-lock/v1` (reference §3.1): types, strict parsing, writing, and the comparison a
//! generator makes between its pinned lock and a freshly resolved package.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::canonical::is_sha256_digest;
use crate::error::{Error, FormatError, PolicyError};
use crate::json::parse_strict;
use crate::keys::{KeySet, PublicKey};
use crate::receipt::Receipt;
use crate::record::{PackageRecord, nullable, object_into};

/// `lock_schema_version` of every lock.
pub const LOCK_SCHEMA_VERSION: &str = "anip-package-lock/v1";
/// `artifact_type` of every lock.
pub const LOCK_ARTIFACT_TYPE: &str = "anip_package_lock";

/// An `anip-package-lock/v1` document. Fields are in ANIP's order; empty optional fields are left out when written.
///
/// `receipt_public_key` is ours: the base64 bytes of the key that verified the receipt, so a lock pins the key
/// itself and not only its id. ANIP's tools ignore it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageLock {
    /// `anip-package-lock/v1`.
    #[serde(default, deserialize_with = "nullable")]
    pub lock_schema_version: String,
    /// `anip_package_lock`.
    #[serde(default, deserialize_with = "nullable")]
    pub artifact_type: String,
    /// `registry` or `package-bundle`.
    #[serde(default, deserialize_with = "nullable")]
    pub source_kind: String,
    /// The registry API base, `<scheme>://<host>/registry-api/v1`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub registry_url: String,
    /// Package id.
    #[serde(default, deserialize_with = "nullable")]
    pub package_id: String,
    /// Package version.
    #[serde(default, deserialize_with = "nullable")]
    pub package_version: String,
    /// Contract signature.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub contract_signature: String,
    /// Service-definition schema version.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub schema_version: String,
    /// Digest of the service definition.
    #[serde(default, deserialize_with = "nullable")]
    pub definition_digest: String,
    /// Digest of the stamped manifest.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub manifest_digest: String,
    /// Digest of the publisher's recommended lock (not of this file).
    #[serde(default, deserialize_with = "nullable")]
    pub lock_digest: String,
    /// Package execution signature.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub package_execution_signature: String,
    /// The receipt's `registry_signature`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_signature: String,
    /// `remote-registry` or a bundle's authority.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_authority: String,
    /// Id of the key that signed the receipt.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_key_id: String,
    /// `ed25519`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_algorithm: String,
    /// When the receipt was issued.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_issued_at: String,
    /// Base64 of the public key that verified the receipt (ours; pins key bytes).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub receipt_public_key: String,
    /// The registry's signing mode when the lock was made.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub registry_signing_mode: String,
    /// The registry's active key id when the lock was made (not necessarily the receipt's signer). Optional in the
    /// format and read when present (locks from older tools), but never written by [`PackageLock::from_resolved`]:
    /// ANIP's generator compares it with the registry's current active key, so a lock carrying it would break at
    /// the registry's first key rotation although its receipt still verifies.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub registry_active_key_id: String,
    /// Publisher id.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub publisher_id: String,
    /// Publisher type.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub publisher_type: String,
    /// The index of the version's entry in the registry's transparency log (ours; ANIP's decoder ignores unknown
    /// fields). A resolve must find the version at this index.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// The signed log checkpoint the version was resolved against (ours): later checkpoints must be provably
    /// consistent with it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub log_checkpoint: String,
}

/// The fields of a lock that are ours alone (ANIP's tools ignore them): none may equal an ANIP lock field in any
/// letter case, since ANIP's decoder matches names case-insensitively.
pub const OWN_LOCK_FIELDS: [&str; 3] = ["receipt_public_key", "log_index", "log_checkpoint"];

/// What a registry says about itself when a package is resolved (from `/keys`). Its active key id is left out on
/// purpose: see [`PackageLock::registry_active_key_id`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryContext {
    /// The API base URL, `<scheme>://<host>/registry-api/v1`, without credentials.
    pub registry_url: String,
    /// `dev` or `production`.
    pub signing_mode: String,
}

impl PackageLock {
    /// Parses a lock strictly: strict JSON, no unknown fields, the mandatory fields present, digests well formed,
    /// the schema version and artifact type (when given) the v1 ones.
    pub fn from_json(bytes: &[u8]) -> Result<Self, Error> {
        let value = parse_strict(bytes)?;
        let lock: PackageLock = object_into(value, "a lock file")?;
        lock.check()?;
        Ok(lock)
    }

    fn check(&self) -> Result<(), Error> {
        if !self.lock_schema_version.is_empty() && self.lock_schema_version != LOCK_SCHEMA_VERSION {
            return Err(PolicyError::new(
                "unsupported_lock_version",
                format!(
                    "lock_schema_version is {:?}; this verifier reads {LOCK_SCHEMA_VERSION}",
                    self.lock_schema_version
                ),
            )
            .into());
        }
        if !self.artifact_type.is_empty() && self.artifact_type != LOCK_ARTIFACT_TYPE {
            return Err(FormatError::invalid(
                "artifact_type",
                format!(
                    "expected {LOCK_ARTIFACT_TYPE:?}, found {:?}",
                    self.artifact_type
                ),
            )
            .into());
        }
        for (field, value) in [
            ("package_id", &self.package_id),
            ("package_version", &self.package_version),
            ("definition_digest", &self.definition_digest),
            ("lock_digest", &self.lock_digest),
        ] {
            if value.trim().is_empty() {
                return Err(FormatError::wrong_type(field, "a lock must name this field").into());
            }
        }
        for (field, value) in [
            ("definition_digest", &self.definition_digest),
            ("manifest_digest", &self.manifest_digest),
            ("lock_digest", &self.lock_digest),
            (
                "package_execution_signature",
                &self.package_execution_signature,
            ),
        ] {
            if !value.is_empty() && !is_sha256_digest(value) {
                return Err(FormatError::invalid(
                    field,
                    format!("{value:?} is not sha256: followed by 64 lowercase hex digits"),
                )
                .into());
            }
        }
        if !self.receipt_public_key.is_empty() {
            PublicKey::from_base64(&self.receipt_public_key)
                .map_err(|e| FormatError::invalid("receipt_public_key", e.message))?;
        }
        Ok(())
    }

    /// The lock of a resolved package: its record, its receipt, the key that verified the receipt and the
    /// registry's context.
    pub fn from_resolved(
        record: &PackageRecord,
        receipt: &Receipt,
        receipt_key: Option<&PublicKey>,
        registry: &RegistryContext,
    ) -> Self {
        let signature = receipt
            .registry_signature
            .parse::<crate::signature::RegistrySignature>()
            .ok();
        PackageLock {
            lock_schema_version: LOCK_SCHEMA_VERSION.to_owned(),
            artifact_type: LOCK_ARTIFACT_TYPE.to_owned(),
            source_kind: "registry".to_owned(),
            registry_url: registry.registry_url.clone(),
            package_id: record.package_id.clone(),
            package_version: record.package_version.clone(),
            contract_signature: record.contract_signature.clone(),
            schema_version: record.schema_version.clone(),
            definition_digest: record.definition_digest.clone(),
            manifest_digest: record.manifest_digest.clone(),
            lock_digest: record.lock_digest.clone(),
            package_execution_signature: record.effective_execution_signature().to_owned(),
            receipt_signature: receipt.registry_signature.clone(),
            receipt_authority: "remote-registry".to_owned(),
            receipt_key_id: signature
                .as_ref()
                .map(|s| s.key_id().to_string())
                .unwrap_or_else(|| receipt.key_id.clone()),
            receipt_algorithm: signature
                .as_ref()
                .map(|s| s.algorithm().to_owned())
                .unwrap_or_else(|| receipt.signature_algorithm.clone()),
            receipt_issued_at: receipt.issued_at.clone(),
            receipt_public_key: receipt_key.map(PublicKey::to_base64).unwrap_or_default(),
            registry_signing_mode: registry.signing_mode.clone(),
            registry_active_key_id: String::new(),
            publisher_id: record.publisher_id.clone(),
            publisher_type: record.publisher_type.clone(),
            log_index: None,
            log_checkpoint: String::new(),
        }
    }

    /// The lock as a generator writes it: 2-space indented JSON and a final newline.
    pub fn to_pretty_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }

    /// Compares this (pinned) lock with the lock of a freshly resolved package, as ANIP's
    /// `ValidateResolvedPackageLock` does: each field the pinned lock names must be present and equal in the
    /// resolved one. Two differences from ANIP:
    ///
    /// - a pinned `receipt_public_key` must equal the key bytes that verified the resolved receipt, and a pinned
    ///   `receipt_signature` the resolved receipt's signature;
    /// - a changed `registry_active_key_id` is not a mismatch while the resolved receipt's key is still in
    ///   `trusted` (and matches the pinned key bytes): rotating a registry's key never breaks a lock whose receipt
    ///   still verifies.
    pub fn compare(&self, resolved: &PackageLock, trusted: &KeySet) -> Vec<LockMismatch> {
        let mut mismatches = Vec::new();
        let mut must_match = |field: &'static str, pinned: &str, actual: &str| {
            if !pinned.is_empty() && pinned != actual {
                mismatches.push(LockMismatch {
                    field,
                    expected: pinned.to_owned(),
                    actual: actual.to_owned(),
                });
            }
        };
        must_match("package_id", &self.package_id, &resolved.package_id);
        must_match(
            "package_version",
            &self.package_version,
            &resolved.package_version,
        );
        must_match(
            "contract_signature",
            &self.contract_signature,
            &resolved.contract_signature,
        );
        must_match(
            "schema_version",
            &self.schema_version,
            &resolved.schema_version,
        );
        must_match(
            "manifest_digest",
            &self.manifest_digest,
            &resolved.manifest_digest,
        );
        must_match("lock_digest", &self.lock_digest, &resolved.lock_digest);
        must_match(
            "package_execution_signature",
            &self.package_execution_signature,
            &resolved.package_execution_signature,
        );
        // The receipt the lock pinned: another signature (a re-issued receipt) is another attestation.
        must_match(
            "receipt_signature",
            &self.receipt_signature,
            &resolved.receipt_signature,
        );
        must_match(
            "receipt_key_id",
            &self.receipt_key_id,
            &resolved.receipt_key_id,
        );
        must_match(
            "receipt_algorithm",
            &self.receipt_algorithm,
            &resolved.receipt_algorithm,
        );
        must_match(
            "definition_digest",
            &self.definition_digest,
            &resolved.definition_digest,
        );
        must_match(
            "receipt_public_key",
            &self.receipt_public_key,
            &resolved.receipt_public_key,
        );
        let index = |i: Option<u64>| i.map(|i| i.to_string()).unwrap_or_default();
        must_match(
            "log_index",
            &index(self.log_index),
            &index(resolved.log_index),
        );
        let both = |a: &str, b: &str| !a.is_empty() && !b.is_empty();
        if both(&self.registry_signing_mode, &resolved.registry_signing_mode)
            && !self
                .registry_signing_mode
                .eq_ignore_ascii_case(&resolved.registry_signing_mode)
        {
            mismatches.push(LockMismatch {
                field: "registry_signing_mode",
                expected: self.registry_signing_mode.clone(),
                actual: resolved.registry_signing_mode.clone(),
            });
        }
        if both(
            &self.registry_active_key_id,
            &resolved.registry_active_key_id,
        ) && self.registry_active_key_id != resolved.registry_active_key_id
            && !self.receipt_key_still_trusted(resolved, trusted)
        {
            mismatches.push(LockMismatch {
                field: "registry_active_key_id",
                expected: self.registry_active_key_id.clone(),
                actual: resolved.registry_active_key_id.clone(),
            });
        }
        mismatches
    }

    fn receipt_key_still_trusted(&self, resolved: &PackageLock, trusted: &KeySet) -> bool {
        let Some(key) = trusted.get(&resolved.receipt_key_id) else {
            return false;
        };
        self.receipt_public_key.is_empty() || self.receipt_public_key == key.to_base64()
    }
}

/// One field where a pinned lock and the resolved package differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockMismatch {
    /// The lock field.
    pub field: &'static str,
    /// The pinned value.
    pub expected: String,
    /// The resolved value (empty when the registry gave none).
    pub actual: String,
}

impl fmt::Display for LockMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let actual = if self.actual.is_empty() {
            "(nothing)"
        } else {
            &self.actual
        };
        write!(
            f,
            "{}: the lock pins {} but the registry gave {}",
            self.field, self.expected, actual
        )
    }
}
