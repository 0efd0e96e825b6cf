//! The publish pipeline's pure part: request shape, normalisation (reference §2.3) and stamping (§2.5).

mod normalise;
mod stamp;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::FormatError;
use crate::record::{ImplementationMaterial, Object, SourceLink, nullable, object_into};

pub use normalise::{NormalisedPackage, links_from_value, materials_from_value, normalise};
pub use stamp::{
    ANIP_SPEC_VERSION, EXECUTION_SIGNATURE_SCHEMA, StampedPackage, execution_signature, stamp,
};

/// The only service-definition schema version (and the default).
pub const SERVICE_DEFINITION_SCHEMA: &str = "anip-service-definition/v1";

/// The body of `POST /registry-api/v1/publications` (`PublishPackageRequest`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PublishRequest {
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
    /// Contract signature.
    #[serde(default, deserialize_with = "nullable")]
    pub contract_signature: String,
    /// Publisher id (a registry overwrites it with the authenticated identity).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub publisher_id: String,
    /// Publisher type (likewise overwritten).
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub publisher_type: String,
    /// Lineage.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lineage: Option<Object>,
    /// Service-definition schema version (default `anip-service-definition/v1`).
    #[serde(default, deserialize_with = "nullable")]
    pub schema_version: String,
    /// Package manifest.
    #[serde(default, deserialize_with = "nullable")]
    pub manifest: Object,
    /// Service definition.
    #[serde(default, deserialize_with = "nullable")]
    pub service_definition: Object,
    /// The publisher's recommended lock.
    #[serde(default, deserialize_with = "nullable")]
    pub recommended_lock: Object,
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

impl PublishRequest {
    /// Reads a request from strict JSON bytes (see [`crate::json::parse_strict`]).
    pub fn from_json(bytes: &[u8]) -> Result<Self, FormatError> {
        Self::from_value(crate::json::parse_strict(bytes)?)
    }

    /// Reads a request from a parsed value, naming the first field of the wrong type.
    pub fn from_value(value: Value) -> Result<Self, FormatError> {
        object_into(value, "a publish request")
    }
}

/// Runs the whole pure pipeline: normalise, then stamp. (Validation sits between the two in the registry.)
pub fn prepare(request: PublishRequest) -> StampedPackage {
    stamp(normalise(request))
}
