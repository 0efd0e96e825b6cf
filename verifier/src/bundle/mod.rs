//! Package bundles `anip-package-bundle/v1`: parsing, conversion to a publish request (reference §11.2) and
//! verification of the bundle's receipt and digests.

mod request;
mod verify;

use serde_json::Value;

use crate::canonical::digest;
use crate::casefold::check_keys;
use crate::error::FormatError;
use crate::json::parse_strict;
use crate::keys::{KEY_FIELDS, KeyId, KeySet, PublicKey};
use crate::publish::{PublishRequest, SERVICE_DEFINITION_SCHEMA, materials_from_value};
use crate::publish::{links_from_value, normalise};
use crate::receipt::{Receipt, ReceiptOutcome, receipt_id};
use crate::record::{ImplementationMaterial, Object, PackageRecord, from_value};
use crate::report::Checks;
use crate::validate::{Problem, Rejection, validate_package};
use crate::verify::{rules_check, verify_package};

/// `bundle_schema_version` of every bundle.
pub const BUNDLE_SCHEMA_VERSION: &str = "anip-package-bundle/v1";

/// The keys a bundle's root may carry: its own parts, and the package fields ANIP's `publish-bundle` also reads from
/// the root. A key differing from one of them only in case is refused (see [`crate::casefold`]).
pub const BUNDLE_FIELDS: [&str; 24] = [
    "bundle_schema_version",
    "authority",
    "exported_at",
    "publication",
    "package",
    "receipt",
    "lineage",
    "manifest",
    "service_definition",
    "lock",
    "registry_keys",
    "digests",
    "package_id",
    "package_version",
    "project_ref",
    "product_revision_ref",
    "developer_revision_ref",
    "contract_signature",
    "publisher_id",
    "publisher_type",
    "schema_version",
    "readme",
    "source_links",
    "implementation_materials",
];

/// The keys of a bundle's `publication`.
pub const PUBLICATION_FIELDS: [&str; 11] = [
    "package_id",
    "package_version",
    "project_ref",
    "product_revision_ref",
    "developer_revision_ref",
    "contract_signature",
    "publisher_id",
    "publisher_type",
    "lineage",
    "published_at",
    "download_count",
];

/// The keys of a bundle's `digests`.
pub const DIGEST_FIELDS: [&str; 5] = [
    "manifest",
    "service_definition",
    "lock",
    "receipt",
    "package_execution",
];

/// A parsed bundle. The root object is kept whole; accessors read its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct Bundle {
    root: Object,
}

/// The outcome of [`Bundle::verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleVerification {
    /// Package id, from the bundle's record.
    pub package_id: String,
    /// Package version.
    pub package_version: String,
    /// Every check, in order.
    pub checks: Checks,
    /// The receipt's outcome on its own.
    pub receipt: ReceiptOutcome,
}

impl Bundle {
    /// Parses a bundle strictly; its `bundle_schema_version` must be `anip-package-bundle/v1`.
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::from_value(parse_strict(bytes)?)
    }

    /// Reads a bundle from a parsed value.
    pub fn from_value(value: Value) -> Result<Self, FormatError> {
        let Value::Object(root) = value else {
            return Err(FormatError::wrong_type(
                "$",
                "a bundle must be a JSON object",
            ));
        };
        check_keys(&root, &BUNDLE_FIELDS, "")?;
        for (part, fields) in [
            ("publication", &PUBLICATION_FIELDS[..]),
            ("digests", &DIGEST_FIELDS[..]),
        ] {
            if let Some(Value::Object(object)) = root.get(part) {
                check_keys(object, fields, part)?;
            }
        }
        match root.get("bundle_schema_version").and_then(Value::as_str) {
            Some(BUNDLE_SCHEMA_VERSION) => Ok(Bundle { root }),
            Some(other) => Err(FormatError::invalid(
                "bundle_schema_version",
                format!("expected {BUNDLE_SCHEMA_VERSION:?}, found {other:?}"),
            )),
            None => Err(FormatError::wrong_type(
                "bundle_schema_version",
                format!("a bundle must carry bundle_schema_version {BUNDLE_SCHEMA_VERSION:?}"),
            )),
        }
    }

    /// The root object.
    pub fn root(&self) -> &Object {
        &self.root
    }

    fn object(&self, key: &str) -> Option<&Object> {
        self.root.get(key).and_then(Value::as_object)
    }

    /// The bundle's `package` record with its documents taken from the bundle's top level where present (as
    /// ANIP's verifier reads them).
    pub fn record(&self) -> Result<PackageRecord, FormatError> {
        let package = self
            .root
            .get("package")
            .filter(|p| p.is_object())
            .cloned()
            .ok_or_else(|| {
                FormatError::wrong_type("package", "a bundle must carry a package object")
            })?;
        let mut record: PackageRecord = from_value(package, "package")?;
        for (top, field) in [
            ("manifest", &mut record.manifest),
            ("service_definition", &mut record.service_definition),
            ("lock", &mut record.recommended_lock),
        ] {
            if let Some(document) = self.root.get(top).filter(|d| d.is_object()) {
                *field = document.clone();
            }
        }
        Ok(record)
    }

    /// The bundle's receipt (empty when it has none).
    pub fn receipt(&self) -> Result<Receipt, FormatError> {
        match self.root.get("receipt") {
            None | Some(Value::Null) => Ok(Receipt::default()),
            Some(value) => from_value(value.clone(), "receipt"),
        }
    }

    /// The keys the bundle carries (`registry_keys`), which prove nothing on their own: pin keys where you can.
    pub fn registry_keys(&self) -> Result<KeySet, FormatError> {
        let mut keys = KeySet::new();
        let Some(items) = self.root.get("registry_keys").and_then(Value::as_array) else {
            return Ok(keys);
        };
        for (i, item) in items.iter().enumerate() {
            let at = format!("registry_keys[{i}]");
            if let Some(object) = item.as_object() {
                check_keys(object, &KEY_FIELDS, &at)?;
            }
            let text = |k: &str| item.get(k).and_then(Value::as_str).unwrap_or("");
            if !text("algorithm").eq_ignore_ascii_case("ed25519") {
                continue;
            }
            let id =
                KeyId::new(text("key_id")).map_err(|e| FormatError::invalid(&at, e.message))?;
            let key = PublicKey::from_base64(text("public_key"))
                .map_err(|e| FormatError::invalid(&at, e.message))?;
            keys.insert(id, key)
                .map_err(|e| FormatError::invalid(&at, e.message))?;
        }
        Ok(keys)
    }
}
