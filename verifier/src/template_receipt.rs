//! Template receipts: ANIP signs no templates (reference §13.1 item 11); this registry signs every template version
//! with the same key and signature format as package receipts, over a payload with its own type tag so a template
//! receipt can never be mistaken for a package receipt.
//!
//! The signed payload is the signing encoding (reference §2.7) of
//! `{"issued_at", "manifest_digest", "package_digest", "publisher_id"?, "publisher_type"?, "receipt_type":
//! "anip-template-receipt/v1", "template_digest", "template_id", "template_version"}`; `receipt_id` is the digest of
//! `{"issued_at", "template_id", "template_version"}`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::canonical::{digest, signing_bytes};
use crate::keys::{KeySet, SigningKey};
use crate::receipt::ReceiptOutcome;
use crate::record::nullable;
use crate::signature::{ED25519, RegistrySignature};

/// The fields of a `RegistryTemplateRecord` (reference §1.4) that a verifier reads.
pub const TEMPLATE_RECORD_FIELDS: [&str; 19] = [
    "template_id",
    "template_version",
    "template_kind",
    "project_type",
    "anip_spec_version",
    "domain",
    "industry",
    "systems",
    "publisher_id",
    "publisher_type",
    "published_at",
    "download_count",
    "manifest_digest",
    "template_digest",
    "package_digest",
    "manifest",
    "template",
    "package",
    "receipt",
];

/// The type tag inside every template receipt payload.
pub const TEMPLATE_RECEIPT_TYPE: &str = "anip-template-receipt/v1";

/// What a registry vouches for when it signs a template version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplatePayload {
    /// Template id.
    pub template_id: String,
    /// Template version.
    pub template_version: String,
    /// Digest of the manifest.
    pub manifest_digest: String,
    /// Digest of the template.
    pub template_digest: String,
    /// Digest of the served package.
    pub package_digest: String,
    /// RFC 3339 issue time.
    pub issued_at: String,
    /// Publisher id (signed when non-empty).
    pub publisher_id: String,
    /// Publisher type (signed when non-empty).
    pub publisher_type: String,
}

impl TemplatePayload {
    /// The payload object.
    pub fn to_value(&self) -> Value {
        let mut object = Map::new();
        for (key, value) in [
            ("template_id", &self.template_id),
            ("template_version", &self.template_version),
            ("manifest_digest", &self.manifest_digest),
            ("template_digest", &self.template_digest),
            ("package_digest", &self.package_digest),
            ("issued_at", &self.issued_at),
        ] {
            object.insert(key.to_owned(), Value::from(value.as_str()));
        }
        object.insert(
            "receipt_type".to_owned(),
            Value::from(TEMPLATE_RECEIPT_TYPE),
        );
        for (key, value) in [
            ("publisher_id", &self.publisher_id),
            ("publisher_type", &self.publisher_type),
        ] {
            if !value.is_empty() {
                object.insert(key.to_owned(), Value::from(value.as_str()));
            }
        }
        Value::Object(object)
    }
}

/// `receipt_id` of a template receipt.
pub fn template_receipt_id(issued_at: &str, template_id: &str, template_version: &str) -> String {
    digest(
        &json!({"issued_at": issued_at, "template_id": template_id, "template_version": template_version}),
    )
}

/// A template receipt as `GET /templates/{id}/{version}/receipt` serves it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TemplateReceipt {
    /// `receipt_id`.
    #[serde(default, deserialize_with = "nullable")]
    pub receipt_id: String,
    /// Always `anip-template-receipt/v1`.
    #[serde(default, deserialize_with = "nullable")]
    pub receipt_type: String,
    /// Template id.
    #[serde(default, deserialize_with = "nullable")]
    pub template_id: String,
    /// Template version.
    #[serde(default, deserialize_with = "nullable")]
    pub template_version: String,
    /// Digest of the manifest.
    #[serde(default, deserialize_with = "nullable")]
    pub manifest_digest: String,
    /// Digest of the template.
    #[serde(default, deserialize_with = "nullable")]
    pub template_digest: String,
    /// Digest of the package.
    #[serde(default, deserialize_with = "nullable")]
    pub package_digest: String,
    /// `ed25519:<key_id>:<base64>`.
    #[serde(default, deserialize_with = "nullable")]
    pub registry_signature: String,
    /// `ed25519`.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub signature_algorithm: String,
    /// The signing key's id.
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

impl TemplateReceipt {
    /// Signs `payload` with `key`.
    pub fn issue(payload: &TemplatePayload, key: &SigningKey) -> Self {
        let signature = RegistrySignature::sign(key, &signing_bytes(&payload.to_value()));
        TemplateReceipt {
            receipt_id: template_receipt_id(
                &payload.issued_at,
                &payload.template_id,
                &payload.template_version,
            ),
            receipt_type: TEMPLATE_RECEIPT_TYPE.to_owned(),
            template_id: payload.template_id.clone(),
            template_version: payload.template_version.clone(),
            manifest_digest: payload.manifest_digest.clone(),
            template_digest: payload.template_digest.clone(),
            package_digest: payload.package_digest.clone(),
            registry_signature: signature.to_string(),
            signature_algorithm: ED25519.to_owned(),
            key_id: key.key_id().to_string(),
            publisher_id: payload.publisher_id.clone(),
            publisher_type: payload.publisher_type.clone(),
            issued_at: payload.issued_at.clone(),
        }
    }

    /// Verifies this receipt as the receipt of `payload` (rebuilt from the template record, with the receipt's
    /// `issued_at`) against `keys`.
    pub fn verify(&self, payload: &TemplatePayload, keys: &KeySet) -> ReceiptOutcome {
        let failed = |reason: String| ReceiptOutcome::Failed { reason };
        if self.receipt_type != TEMPLATE_RECEIPT_TYPE {
            return failed(format!(
                "receipt_type: {:?} is not {TEMPLATE_RECEIPT_TYPE:?}",
                self.receipt_type
            ));
        }
        for (field, ours, theirs) in [
            ("template_id", &self.template_id, &payload.template_id),
            (
                "template_version",
                &self.template_version,
                &payload.template_version,
            ),
            (
                "manifest_digest",
                &self.manifest_digest,
                &payload.manifest_digest,
            ),
            (
                "template_digest",
                &self.template_digest,
                &payload.template_digest,
            ),
            (
                "package_digest",
                &self.package_digest,
                &payload.package_digest,
            ),
        ] {
            if ours != theirs {
                return failed(format!(
                    "{field}: the receipt says {ours:?} but the template says {theirs:?}"
                ));
            }
        }
        let expected =
            template_receipt_id(&self.issued_at, &self.template_id, &self.template_version);
        if self.receipt_id != expected {
            return failed(format!(
                "receipt_id: the receipt says {} but recomputes to {expected}",
                self.receipt_id
            ));
        }
        let signature: RegistrySignature = match self.registry_signature.parse() {
            Ok(signature) => signature,
            Err(e) => return failed(format!("registry_signature: {e}")),
        };
        if !self.key_id.is_empty() && self.key_id != signature.key_id().as_str() {
            return failed(format!(
                "key_id: the receipt field says {:?} but the signature was made by {:?}",
                self.key_id,
                signature.key_id().as_str()
            ));
        }
        let key_id = signature.key_id().to_string();
        match signature.verify(keys, &signing_bytes(&payload.to_value())) {
            Ok(()) => ReceiptOutcome::Verified { key_id },
            Err(crate::SignatureError::UnknownKey(_)) => ReceiptOutcome::UnknownKey { key_id },
            Err(e) => failed(format!("registry_signature: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn payload() -> TemplatePayload {
        TemplatePayload {
            template_id: "github-fronting-starter".into(),
            template_version: "0.2.0".into(),
            manifest_digest: digest(&json!({"m": 1})),
            template_digest: digest(&json!({"t": 1})),
            package_digest: digest(&json!({"p": 1})),
            issued_at: "2026-11-23T10:00:00Z".into(),
            publisher_id: "studio-local".into(),
            publisher_type: "studio".into(),
        }
    }

    #[test]
    fn issue_and_verify() {
        let key = SigningKey::dev();
        let keys = KeySet::of(key.key_id().clone(), key.public_key());
        let receipt = TemplateReceipt::issue(&payload(), &key);
        assert!(matches!(
            receipt.verify(&payload(), &keys),
            ReceiptOutcome::Verified { .. }
        ));
        let mut other = payload();
        other.package_digest = digest(&json!({"p": 2}));
        assert!(matches!(
            receipt.verify(&other, &keys),
            ReceiptOutcome::Failed { .. }
        ));
        let mut tampered = receipt.clone();
        tampered.issued_at = "2026-11-23T10:00:01Z".into();
        assert!(matches!(
            tampered.verify(&payload(), &keys),
            ReceiptOutcome::Failed { .. }
        ));
        assert!(matches!(
            receipt.verify(&payload(), &KeySet::new()),
            ReceiptOutcome::UnknownKey { .. }
        ));
        // A package receipt's signature never verifies as a template receipt: the payloads differ by type tag.
        assert!(payload().to_value()["receipt_type"] == TEMPLATE_RECEIPT_TYPE);
    }
}
