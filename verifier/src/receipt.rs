//! Receipts (reference §2.6): the signed payload, `receipt_id`, issuing and verification against a key set.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::canonical::{Encoding, sha256_hex, write_map, write_string};
use crate::keys::{KeySet, SigningKey};
use crate::record::{Object, PackageRecord, nullable};
use crate::signature::{ED25519, RegistrySignature};

/// Which payload a signature covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PayloadForm {
    /// Today's payload, with `package_execution_signature`.
    Current,
    /// The payload of receipts issued before the execution signature existed (reference §2.9).
    Legacy,
}

/// What a registry vouches for when it signs a receipt.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReceiptPayload {
    /// Package id.
    pub package_id: String,
    /// Package version.
    pub package_version: String,
    /// Contract signature.
    pub contract_signature: String,
    /// Digest of the service definition.
    pub definition_digest: String,
    /// Digest of the stamped manifest.
    pub manifest_digest: String,
    /// Digest of the stamped lock.
    pub lock_digest: String,
    /// The package execution signature (absent from the legacy form).
    pub package_execution_signature: String,
    /// RFC 3339 issue time.
    pub issued_at: String,
    /// Publisher id (signed only when non-empty).
    pub publisher_id: String,
    /// Publisher type (signed only when non-empty).
    pub publisher_type: String,
    /// Lineage (signed only when non-empty).
    pub lineage: Object,
}

impl ReceiptPayload {
    /// The payload a receipt for `record` issued at `issued_at` signs, with the record's effective execution
    /// signature (record field, else manifest, else lock), as ANIP's verifier rebuilds it.
    pub fn from_record(record: &PackageRecord, issued_at: &str) -> Self {
        ReceiptPayload {
            package_id: record.package_id.clone(),
            package_version: record.package_version.clone(),
            contract_signature: record.contract_signature.clone(),
            definition_digest: record.definition_digest.clone(),
            manifest_digest: record.manifest_digest.clone(),
            lock_digest: record.lock_digest.clone(),
            package_execution_signature: record.effective_execution_signature().to_owned(),
            issued_at: issued_at.to_owned(),
            publisher_id: record.publisher_id.clone(),
            publisher_type: record.publisher_type.clone(),
            lineage: record.lineage.clone(),
        }
    }

    /// The payload as a JSON object in the given form.
    pub fn to_value(&self, form: PayloadForm) -> Value {
        let mut object = Object::new();
        let mut put = |key: &str, value: &str| {
            object.insert(key.to_owned(), Value::from(value));
        };
        put("package_id", &self.package_id);
        put("package_version", &self.package_version);
        put("contract_signature", &self.contract_signature);
        put("definition_digest", &self.definition_digest);
        put("manifest_digest", &self.manifest_digest);
        put("lock_digest", &self.lock_digest);
        put("issued_at", &self.issued_at);
        if form == PayloadForm::Current {
            put(
                "package_execution_signature",
                &self.package_execution_signature,
            );
        }
        if !self.publisher_id.is_empty() {
            put("publisher_id", &self.publisher_id);
        }
        if !self.publisher_type.is_empty() {
            put("publisher_type", &self.publisher_type);
        }
        if !self.lineage.is_empty() {
            object.insert("lineage".to_owned(), Value::Object(self.lineage.clone()));
        }
        Value::Object(object)
    }

    /// The exact bytes signed: the signing encoding of the payload (written directly, members in byte order,
    /// without building the value).
    pub fn signed_bytes(&self, form: PayloadForm) -> Vec<u8> {
        let mut out = Vec::with_capacity(512);
        let mut first = true;
        let mut member = |out: &mut Vec<u8>, key: &str| {
            out.push(if first { b'{' } else { b',' });
            first = false;
            write_string(out, key, Encoding::Signing);
            out.push(b':');
        };
        let signing = Encoding::Signing;
        member(&mut out, "contract_signature");
        write_string(&mut out, &self.contract_signature, signing);
        member(&mut out, "definition_digest");
        write_string(&mut out, &self.definition_digest, signing);
        member(&mut out, "issued_at");
        write_string(&mut out, &self.issued_at, signing);
        if !self.lineage.is_empty() {
            member(&mut out, "lineage");
            write_map(&mut out, &self.lineage, signing);
        }
        member(&mut out, "lock_digest");
        write_string(&mut out, &self.lock_digest, signing);
        member(&mut out, "manifest_digest");
        write_string(&mut out, &self.manifest_digest, signing);
        if form == PayloadForm::Current {
            member(&mut out, "package_execution_signature");
            write_string(&mut out, &self.package_execution_signature, signing);
        }
        member(&mut out, "package_id");
        write_string(&mut out, &self.package_id, signing);
        member(&mut out, "package_version");
        write_string(&mut out, &self.package_version, signing);
        if !self.publisher_id.is_empty() {
            member(&mut out, "publisher_id");
            write_string(&mut out, &self.publisher_id, signing);
        }
        if !self.publisher_type.is_empty() {
            member(&mut out, "publisher_type");
            write_string(&mut out, &self.publisher_type, signing);
        }
        out.push(b'}');
        out
    }
}

/// `receipt_id`: the digest of `{issued_at, package_id, package_version}`.
pub fn receipt_id(issued_at: &str, package_id: &str, package_version: &str) -> String {
    let mut out = Vec::with_capacity(160);
    for (i, (key, value)) in [
        ("issued_at", issued_at),
        ("package_id", package_id),
        ("package_version", package_version),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(if i == 0 { b'{' } else { b',' });
        write_string(&mut out, key, Encoding::Digest);
        out.push(b':');
        write_string(&mut out, value, Encoding::Digest);
    }
    out.push(b'}');
    sha256_hex(&out)
}

/// A `RegistryReceipt` as served by `/receipt`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// `receipt_id` (see [`receipt_id`]).
    #[serde(default, deserialize_with = "nullable")]
    pub receipt_id: String,
    /// Package id.
    #[serde(default, deserialize_with = "nullable")]
    pub package_id: String,
    /// Package version.
    #[serde(default, deserialize_with = "nullable")]
    pub package_version: String,
    /// `ed25519:<key_id>:<base64>`.
    #[serde(default, deserialize_with = "nullable")]
    pub registry_signature: String,
    /// Parsed from the signature string.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub signature_algorithm: String,
    /// Parsed from the signature string.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub key_id: String,
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
    /// RFC 3339 issue time.
    #[serde(default, deserialize_with = "nullable")]
    pub issued_at: String,
}

impl Receipt {
    /// Signs `payload` (current form) with `key` and builds the receipt.
    pub fn issue(payload: &ReceiptPayload, key: &SigningKey) -> Self {
        let signature = RegistrySignature::sign(key, &payload.signed_bytes(PayloadForm::Current));
        Receipt {
            receipt_id: receipt_id(
                &payload.issued_at,
                &payload.package_id,
                &payload.package_version,
            ),
            package_id: payload.package_id.clone(),
            package_version: payload.package_version.clone(),
            registry_signature: signature.to_string(),
            signature_algorithm: ED25519.to_owned(),
            key_id: key.key_id().to_string(),
            publisher_id: payload.publisher_id.clone(),
            publisher_type: payload.publisher_type.clone(),
            issued_at: payload.issued_at.clone(),
        }
    }

    /// Verifies this receipt as the receipt of `payload` against `keys`.
    ///
    /// Beyond the signature it checks what ANIP's verifier does not: the receipt names the same package and
    /// publisher as the payload, its `receipt_id` matches, and its `key_id` field agrees with the signature string.
    pub fn verify(&self, payload: &ReceiptPayload, keys: &KeySet) -> ReceiptOutcome {
        let failed = |reason: String| ReceiptOutcome::Failed { reason };
        for (field, ours, theirs) in [
            ("package_id", &self.package_id, &payload.package_id),
            (
                "package_version",
                &self.package_version,
                &payload.package_version,
            ),
            ("issued_at", &self.issued_at, &payload.issued_at),
        ] {
            if ours != theirs {
                return failed(format!(
                    "{field}: the receipt says {ours:?} but the record says {theirs:?}"
                ));
            }
        }
        if !self.receipt_id.is_empty() {
            let expected = receipt_id(&self.issued_at, &self.package_id, &self.package_version);
            if self.receipt_id != expected {
                return failed(format!(
                    "receipt_id: the receipt says {} but issued_at, package_id and package_version give {expected}",
                    self.receipt_id
                ));
            }
        }
        for (field, ours, theirs) in [
            ("publisher_id", &self.publisher_id, &payload.publisher_id),
            (
                "publisher_type",
                &self.publisher_type,
                &payload.publisher_type,
            ),
        ] {
            if !ours.is_empty() && ours != theirs {
                return failed(format!(
                    "{field}: the receipt says {ours:?} but the record says {theirs:?}"
                ));
            }
        }
        let signature: RegistrySignature = match self.registry_signature.parse() {
            Ok(signature) => signature,
            Err(e) => return failed(format!("registry_signature: {e}")),
        };
        if !self.signature_algorithm.is_empty() && self.signature_algorithm != ED25519 {
            return failed(format!(
                "signature_algorithm: {:?} is not supported",
                self.signature_algorithm
            ));
        }
        if !self.key_id.is_empty() && self.key_id != signature.key_id().as_str() {
            return failed(format!(
                "key_id: the receipt field says {:?} but the signature was made by {:?}",
                self.key_id,
                signature.key_id().as_str()
            ));
        }
        let key_id = signature.key_id().to_string();
        let Some(key) = keys.get(&key_id) else {
            return ReceiptOutcome::UnknownKey { key_id };
        };
        if !payload.package_execution_signature.is_empty()
            && key.verify_strict(
                &payload.signed_bytes(PayloadForm::Current),
                signature.bytes(),
            )
        {
            return ReceiptOutcome::Verified { key_id };
        }
        if key.verify_strict(
            &payload.signed_bytes(PayloadForm::Legacy),
            signature.bytes(),
        ) {
            return ReceiptOutcome::Legacy { key_id };
        }
        failed(format!(
            "registry_signature: the signature by key {key_id} does not verify over the receipt payload \
             (package_id, package_version, contract_signature, definition_digest, manifest_digest, lock_digest, \
             package_execution_signature, issued_at, publisher and lineage): one of them differs from what was signed"
        ))
    }
}

/// The result of verifying a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReceiptOutcome {
    /// The signature verifies over today's payload.
    Verified {
        /// The key that signed it.
        key_id: String,
    },
    /// The signature verifies only over the pre-execution-signature payload: the registry vouched for the digests
    /// but not for the package execution signature.
    Legacy {
        /// The key that signed it.
        key_id: String,
    },
    /// The check failed.
    Failed {
        /// What differs, naming the field.
        reason: String,
    },
    /// No trusted key has the signature's key id.
    UnknownKey {
        /// The key id the signature names.
        key_id: String,
    },
}

impl ReceiptOutcome {
    /// `verified`, `legacy`, `failed` or `unknown_key`.
    pub fn status(&self) -> &'static str {
        match self {
            ReceiptOutcome::Verified { .. } => "verified",
            ReceiptOutcome::Legacy { .. } => "legacy",
            ReceiptOutcome::Failed { .. } => "failed",
            ReceiptOutcome::UnknownKey { .. } => "unknown_key",
        }
    }
}

impl fmt::Display for ReceiptOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReceiptOutcome::Verified { key_id } => write!(f, "verified with key {key_id}"),
            ReceiptOutcome::Legacy { key_id } => write!(
                f,
                "legacy receipt: key {key_id} signed the payload without package_execution_signature"
            ),
            ReceiptOutcome::Failed { reason } => write!(f, "failed: {reason}"),
            ReceiptOutcome::UnknownKey { key_id } => {
                write!(f, "no trusted key with id {key_id}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::canonical::{digest, signing_bytes};

    fn payload() -> ReceiptPayload {
        let mut lineage = Object::new();
        lineage.insert("project_ref".into(), Value::from("p<&>"));
        lineage.insert(String::new(), Value::from("an empty key is still signed"));
        ReceiptPayload {
            package_id: "a".into(),
            package_version: "1.0.0".into(),
            contract_signature: "c".into(),
            definition_digest: "d".into(),
            manifest_digest: "m".into(),
            lock_digest: "l".into(),
            package_execution_signature: "x".into(),
            issued_at: "2026-01-01T00:00:00Z".into(),
            publisher_id: "pub".into(),
            publisher_type: String::new(),
            lineage,
        }
    }

    #[test]
    fn direct_encoding_equals_the_generic_one() {
        let mut p = payload();
        for form in [PayloadForm::Current, PayloadForm::Legacy] {
            assert_eq!(p.signed_bytes(form), signing_bytes(&p.to_value(form)));
        }
        p.lineage.clear();
        p.publisher_id.clear();
        p.publisher_type = "t".into();
        for form in [PayloadForm::Current, PayloadForm::Legacy] {
            assert_eq!(p.signed_bytes(form), signing_bytes(&p.to_value(form)));
        }
        assert_eq!(
            receipt_id("t<", "a&", "v>"),
            digest(
                &serde_json::json!({"issued_at": "t<", "package_id": "a&", "package_version": "v>"})
            )
        );
    }
}
