//! Package bundles `anip-package-bundle/v1`: parsing, conversion to a publish request (reference §11.2) and
//! verification of the bundle's receipt and digests.

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

    /// Turns the bundle into the publish request ANIP's `publish-bundle` would send (reference §11.2).
    pub fn to_publish_request(&self) -> Result<PublishRequest, FormatError> {
        let empty = Object::new();
        let package = self.object("package").unwrap_or(&empty);
        let publication = self.object("publication").unwrap_or(&empty);
        // `source`: the root shallow-merged with `package`, package keys winning.
        let source = |key: &str| package.get(key).or_else(|| self.root.get(key));
        let text = |v: Option<&Value>| {
            v.and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        let non_empty_object = |v: Option<&Value>| {
            v.and_then(Value::as_object)
                .filter(|o| !o.is_empty())
                .cloned()
        };

        let lineage = non_empty_object(source("lineage"))
            .or_else(|| non_empty_object(self.root.get("lineage")))
            .or_else(|| non_empty_object(publication.get("lineage")));
        let lineage_ref = |path: &[&str]| {
            let mut value = lineage.as_ref().map(|l| Value::Object(l.clone()));
            for key in path {
                value = value.and_then(|v| v.get(*key).cloned());
            }
            text(value.as_ref())
        };
        let from_source = |key: &str| text(source(key)).or_else(|| text(publication.get(key)));

        let required = |value: Option<String>, field: &str, looked: &str| {
            value.ok_or_else(|| {
                FormatError::wrong_type(
                    field,
                    format!("the bundle has no {field} (looked in {looked})"),
                )
            })
        };
        let package_id = required(text(source("package_id")), "package_id", "package")?;
        let package_version = required(
            text(source("package_version")),
            "package_version",
            "package",
        )?;
        let project_ref = required(
            from_source("project_ref").or_else(|| lineage_ref(&["project_ref"])),
            "project_ref",
            "package, publication and lineage",
        )?;
        let product_revision_ref = required(
            from_source("product_revision_ref")
                .or_else(|| lineage_ref(&["product_revision_ref"]))
                .or_else(|| lineage_ref(&["product_revision", "ref"])),
            "product_revision_ref",
            "package, publication and lineage",
        )?;
        let developer_revision_ref = required(
            from_source("developer_revision_ref")
                .or_else(|| lineage_ref(&["developer_revision_ref"]))
                .or_else(|| lineage_ref(&["developer_revision", "ref"])),
            "developer_revision_ref",
            "package, publication and lineage",
        )?;
        let contract_signature = required(
            from_source("contract_signature")
                .or_else(|| lineage_ref(&["developer_revision", "contract_signature"])),
            "contract_signature",
            "package, publication and lineage",
        )?;

        let document = |top: &str, inner: &str| {
            self.root
                .get(top)
                .and_then(Value::as_object)
                .or_else(|| package.get(inner).and_then(Value::as_object))
                .cloned()
                .ok_or_else(|| {
                    FormatError::wrong_type(top, format!("the bundle has no {top} object (looked at the top level and in package.{inner})"))
                })
        };
        let manifest = document("manifest", "manifest")?;
        let service_definition = document("service_definition", "service_definition")?;
        let recommended_lock = document("lock", "recommended_lock")?;

        let source_manifest = source("manifest").and_then(Value::as_object);
        let readme = text(source("readme"))
            .or_else(|| text(source_manifest.and_then(|m| m.get("readme"))))
            .unwrap_or_default();
        let links_value = source("source_links")
            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            .or_else(|| source_manifest.and_then(|m| m.get("source_links")));
        let source_links = links_from_value(links_value);
        let materials_value = source("implementation_materials")
            .filter(|v| v.as_array().is_some_and(|a| !a.is_empty()))
            .or_else(|| source_manifest.and_then(|m| m.get("implementation_material")));
        let mut implementation_materials: Vec<ImplementationMaterial> = Vec::new();
        for material in materials_value
            .map(materials_from_value)
            .unwrap_or_default()
        {
            let duplicate = implementation_materials.iter().any(|m| {
                m.reference == material.reference
                    && m.bundle_tree_sha256 == material.bundle_tree_sha256
            });
            if !material.reference.is_empty() && !duplicate {
                implementation_materials.push(material);
            }
        }

        Ok(PublishRequest {
            package_id,
            package_version,
            project_ref,
            product_revision_ref,
            developer_revision_ref,
            contract_signature,
            publisher_id: from_source("publisher_id").unwrap_or_default(),
            publisher_type: from_source("publisher_type").unwrap_or_default(),
            lineage,
            schema_version: text(source("schema_version"))
                .unwrap_or_else(|| SERVICE_DEFINITION_SCHEMA.to_owned()),
            manifest,
            service_definition,
            recommended_lock,
            readme,
            source_links,
            implementation_materials,
        })
    }

    /// Verifies the bundle against `keys`: the copies it carries agree with each other, every digest and the
    /// execution signature recompute from the documents, and the receipt verifies.
    pub fn verify(&self, keys: &KeySet) -> Result<BundleVerification, FormatError> {
        let record = self.record()?;
        let receipt = self.receipt()?;
        let mut checks = Checks::default();
        self.check_copies(&record, &receipt, &mut checks);
        let (receipt_outcome, package_checks) = if receipt
            .registry_signature
            .starts_with("ed25519:")
        {
            let verification = verify_package(&record, &receipt, keys);
            (verification.receipt, verification.checks)
        } else {
            let mut only = verify_package(&record, &Receipt::default(), &KeySet::new()).checks;
            only.0.retain(|c| c.name != "receipt_signature_valid");
            let reason = if receipt.registry_signature.is_empty() {
                "the bundle carries no registry signature".to_owned()
            } else {
                format!(
                    "the receipt is not a registry signature but a local digest ({}), which anyone can compute",
                    receipt.registry_signature
                )
            };
            only.fail("receipt_signature_valid", reason.clone());
            (ReceiptOutcome::Failed { reason }, only)
        };
        checks.0.extend(package_checks.0);
        // A bundle's package is judged as the publish request it becomes (its record may leave references to the
        // publication section), with the same rules a registry applies.
        let rules = match self.to_publish_request() {
            Ok(request) => validate_package(&normalise(request)),
            Err(e) => Err(Rejection {
                problems: vec![Problem {
                    code: e.kind.code(),
                    path: e.at,
                    message: e.message,
                }],
                truncated: false,
            }),
        };
        rules_check(&mut checks, rules);
        Ok(BundleVerification {
            package_id: record.package_id,
            package_version: record.package_version,
            checks,
            receipt: receipt_outcome,
        })
    }

    /// Checks that the bundle's duplicated values agree: the digests section, the package's own documents, lineage
    /// copies and the identity in the publication and receipt.
    fn check_copies(&self, record: &PackageRecord, receipt: &Receipt, checks: &mut Checks) {
        let empty = Object::new();
        let package = self.object("package").unwrap_or(&empty);
        let digests = self.object("digests").unwrap_or(&empty);
        let publication = self.object("publication").unwrap_or(&empty);

        let mut identity = Vec::new();
        for (field, value) in [
            ("package_id", &record.package_id),
            ("package_version", &record.package_version),
        ] {
            for (place, other) in [
                (
                    "publication",
                    publication.get(field).and_then(Value::as_str).unwrap_or(""),
                ),
                ("receipt", receipt_field(receipt, field)),
            ] {
                if !other.is_empty() && other != value {
                    identity.push(format!(
                        "{field}: the package says {value:?}, the {place} says {other:?}"
                    ));
                }
            }
        }
        let contract = publication
            .get("contract_signature")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !contract.is_empty() && contract != record.contract_signature {
            identity.push(format!(
                "contract_signature: the package says {:?}, the publication says {contract:?}",
                record.contract_signature
            ));
        }
        checks.check(
            "bundle_identity_consistent",
            identity.is_empty(),
            identity.join("; "),
        );

        if !receipt.receipt_id.is_empty() {
            let computed = receipt_id(
                &receipt.issued_at,
                &receipt.package_id,
                &receipt.package_version,
            );
            checks.check(
                "receipt_id_matches",
                computed == receipt.receipt_id,
                format!(
                    "receipt_id: the receipt says {}, issued_at {:?} with its package_id and package_version give {computed}",
                    receipt.receipt_id, receipt.issued_at
                ),
            );
        }

        let mut copies = Vec::new();
        for (name, top, inner, section, claimed) in [
            (
                "definition_digest",
                "service_definition",
                "service_definition",
                "service_definition",
                &record.definition_digest,
            ),
            (
                "manifest_digest",
                "manifest",
                "manifest",
                "manifest",
                &record.manifest_digest,
            ),
            (
                "lock_digest",
                "lock",
                "recommended_lock",
                "lock",
                &record.lock_digest,
            ),
        ] {
            if let (Some(a), Some(b)) = (self.root.get(top), package.get(inner))
                && digest(a) != digest(b)
            {
                copies.push(format!(
                    "{top}: the top-level copy differs from package.{inner}"
                ));
            }
            if let Some(listed) = digests.get(section).and_then(Value::as_str)
                && !listed.is_empty()
                && listed != claimed
            {
                copies.push(format!(
                    "{name}: digests.{section} says {listed}, the package says {claimed}"
                ));
            }
        }
        let lineages: Vec<(&str, &Object)> = [
            ("package.lineage", package.get("lineage")),
            ("lineage", self.root.get("lineage")),
            ("publication.lineage", publication.get("lineage")),
        ]
        .into_iter()
        .filter_map(|(place, v)| {
            v.and_then(Value::as_object)
                .filter(|o| !o.is_empty())
                .map(|o| (place, o))
        })
        .collect();
        if let Some((first_place, first)) = lineages.first() {
            for (place, other) in &lineages[1..] {
                if let Some(key) = first_difference(first, other) {
                    copies.push(format!(
                        "lineage: {first_place} and {place} differ at {key}"
                    ));
                }
            }
        }
        checks.check(
            "bundle_copies_consistent",
            copies.is_empty(),
            copies.join("; "),
        );
    }
}

fn receipt_field<'a>(receipt: &'a Receipt, field: &str) -> &'a str {
    match field {
        "package_id" => &receipt.package_id,
        _ => &receipt.package_version,
    }
}

/// The first top-level key at which two objects differ.
fn first_difference(a: &Object, b: &Object) -> Option<String> {
    a.keys()
        .chain(b.keys())
        .find(|key| a.get(*key).map(digest) != b.get(*key).map(digest))
        .cloned()
}
