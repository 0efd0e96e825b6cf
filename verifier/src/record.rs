//! The wire shapes a registry serves (reference §1.4): package records, lifecycle, links and materials.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::error::FormatError;
use crate::lifecycle::LifecycleStatus;

/// A JSON object.
pub type Object = Map<String, Value>;

/// Deserialises a field that may be `null`, giving its default for `null` as Go's decoder does.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// Converts a parsed JSON value into `T`, naming the path of the first field of the wrong type.
///
/// A key that differs from a field of a struct only in case is refused (see [`crate::casefold`]).
pub fn from_value<T: DeserializeOwned>(value: Value, what: &str) -> Result<T, FormatError> {
    crate::casefold::from_value(value, what)
}

/// Converts a parsed JSON object into `T`; anything but an object is refused as not being `kind`.
pub fn object_into<T: DeserializeOwned>(value: Value, kind: &str) -> Result<T, FormatError> {
    if !value.is_object() {
        return Err(FormatError::wrong_type(
            "$",
            format!("{kind} must be a JSON object"),
        ));
    }
    from_value(value, "")
}

/// A README link: `{title, url}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceLink {
    /// Link text.
    #[serde(default, deserialize_with = "nullable")]
    pub title: String,
    /// Absolute http(s) URL.
    #[serde(default, deserialize_with = "nullable")]
    pub url: String,
}

/// An implementation material: a digest-pinned reference to custom code.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImplementationMaterial {
    /// Optional title.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub title: String,
    /// The reference (`git+https://…#sha256:…` and similar).
    #[serde(default, rename = "ref", deserialize_with = "nullable")]
    pub reference: String,
    /// Optional `sha256:` digest of the bundle tree.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub bundle_tree_sha256: String,
}

impl ImplementationMaterial {
    /// The material as the object `{ref, title?, bundle_tree_sha256?}` used in manifests and the execution signature.
    pub fn to_value(&self) -> Value {
        let mut object = Object::new();
        object.insert("ref".to_owned(), Value::from(self.reference.as_str()));
        if !self.title.is_empty() {
            object.insert("title".to_owned(), Value::from(self.title.as_str()));
        }
        if !self.bundle_tree_sha256.is_empty() {
            object.insert(
                "bundle_tree_sha256".to_owned(),
                Value::from(self.bundle_tree_sha256.as_str()),
            );
        }
        Value::Object(object)
    }
}

/// The package a lifecycle change points to instead.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replacement {
    /// Replacement package id.
    pub package_id: String,
    /// Replacement version.
    pub package_version: String,
}

/// Lifecycle of a package version (reference §5.2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    /// `active`, `superseded`, `deprecated`, `yanked` or `takedown` (missing or `null`: `active`).
    #[serde(default, deserialize_with = "nullable")]
    pub status: LifecycleStatus,
    /// Why it is not active.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub reason: String,
    /// What to use instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replacement: Option<Replacement>,
    /// When it last changed (RFC 3339).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub updated_at: String,
    /// Who changed it.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub updated_by: String,
}

impl Default for Lifecycle {
    fn default() -> Self {
        Lifecycle {
            status: LifecycleStatus::Active,
            reason: String::new(),
            replacement: None,
            updated_at: String::new(),
            updated_by: String::new(),
        }
    }
}

fn is_empty_object(o: &Object) -> bool {
    o.is_empty()
}

/// A `RegistryPackageRecord`: what `GET /packages/{id}/{version}` and `/download` return.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PackageRecord {
    /// Package id.
    #[serde(default, deserialize_with = "nullable")]
    pub package_id: String,
    /// Package version.
    #[serde(default, deserialize_with = "nullable")]
    pub package_version: String,
    /// Project reference.
    #[serde(default, deserialize_with = "nullable")]
    pub project_ref: String,
    /// Product revision reference.
    #[serde(default, deserialize_with = "nullable")]
    pub product_revision_ref: String,
    /// Developer revision reference.
    #[serde(default, deserialize_with = "nullable")]
    pub developer_revision_ref: String,
    /// The publisher's contract signature.
    #[serde(default, deserialize_with = "nullable")]
    pub contract_signature: String,
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
    /// Publisher summary, when the registry knows the publisher.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publisher: Option<Value>,
    /// Lineage, as signed in the receipt.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "is_empty_object"
    )]
    pub lineage: Object,
    /// Service definition schema version.
    #[serde(default, deserialize_with = "nullable")]
    pub schema_version: String,
    /// Digest of the stamped manifest.
    #[serde(default, deserialize_with = "nullable")]
    pub manifest_digest: String,
    /// Digest of the service definition.
    #[serde(default, deserialize_with = "nullable")]
    pub definition_digest: String,
    /// Digest of the stamped recommended lock.
    #[serde(default, deserialize_with = "nullable")]
    pub lock_digest: String,
    /// The package execution signature.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub package_execution_signature: String,
    /// When it was published (RFC 3339, seconds, UTC).
    #[serde(default, deserialize_with = "nullable")]
    pub published_at: String,
    /// Downloads so far.
    #[serde(default, deserialize_with = "nullable")]
    pub download_count: u64,
    /// Lifecycle state.
    #[serde(default, deserialize_with = "nullable")]
    pub lifecycle: Lifecycle,
    /// The stamped manifest.
    #[serde(default, deserialize_with = "nullable")]
    pub manifest: Value,
    /// The service definition.
    #[serde(default, deserialize_with = "nullable")]
    pub service_definition: Value,
    /// The stamped recommended lock.
    #[serde(default, deserialize_with = "nullable")]
    pub recommended_lock: Value,
    /// README (Markdown).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub readme: String,
    /// README links.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub source_links: Vec<SourceLink>,
    /// Implementation materials.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub implementation_materials: Vec<ImplementationMaterial>,
}

impl PackageRecord {
    /// The execution signature as ANIP's verifier finds it: the record field, else the manifest's, else the lock's.
    pub fn effective_execution_signature(&self) -> &str {
        fn from(doc: &Value) -> Option<&str> {
            doc.get("package_execution_signature")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
        }
        if !self.package_execution_signature.is_empty() {
            return &self.package_execution_signature;
        }
        from(&self.manifest)
            .or_else(|| from(&self.recommended_lock))
            .unwrap_or("")
    }

    /// The implementation materials: the record's list, else the manifest's `implementation_material`.
    pub fn effective_materials(&self) -> Vec<ImplementationMaterial> {
        if !self.implementation_materials.is_empty() {
            return self.implementation_materials.clone();
        }
        self.manifest
            .get("implementation_material")
            .map(crate::publish::materials_from_value)
            .unwrap_or_default()
    }
}
