//! Validation of packages and templates: one rule set, run by the registry at publish and by the verifier.
//!
//! Every problem has a stable `code` and the JSON path of the value it is about, such as
//! `service_definition.capability_formalizations[3].inputs[0].input_name`. Validation collects problems (up to
//! [`MAX_PROBLEMS`]) instead of stopping at the first.

mod agent;
mod definition;
mod effects;
mod ids;
mod limits;
mod lineage;
mod links;
mod template;
mod text;

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::json::push_key;
use crate::publish::{NormalisedPackage, SERVICE_DEFINITION_SCHEMA};
use crate::record::{Object, PackageRecord};

pub use agent::check_agent_metadata;
pub use definition::check_service_definition;
pub use effects::BUSINESS_EFFECTS;
pub use ids::{check_artifact_id, check_version, is_valid_artifact_id, is_valid_version};
pub use lineage::{LINEAGE_FIELDS, REVISION_FIELDS};
pub use links::check_bundle_ref;
pub use template::{
    PreparedTemplate, TEMPLATE_MANIFEST_SCHEMA, TEMPLATE_PACKAGE_KIND, TEMPLATE_PACKAGE_SCHEMA,
    TEMPLATE_SCHEMA, TemplateRequest, prepare_template,
};
pub use text::{MAX_TEXT_FIELD_BYTES, check_text_field, is_bidi_control, is_valid_text_field};

/// The largest publish request body a registry reads (5 MiB); larger bodies are refused with 413.
pub const MAX_PUBLISH_BODY_BYTES: usize = 5 << 20;

/// The largest template publish body a registry reads (2 MiB).
pub const MAX_TEMPLATE_BODY_BYTES: usize = 2 << 20;

/// The most problems one validation reports; past it, the rest are counted but not listed.
pub const MAX_PROBLEMS: usize = 50;

/// One thing wrong with a document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// Stable snake_case code of the rule.
    pub code: &'static str,
    /// JSON path of the value, such as `manifest.anip_spec_version`.
    pub path: String,
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// A collector of problems, capped at [`MAX_PROBLEMS`]; once full, further problems are not recorded and walks
/// may stop early.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    list: Vec<Problem>,
}

impl Problems {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a problem (unless the cap is reached).
    pub fn push(
        &mut self,
        code: &'static str,
        path: impl Into<String>,
        message: impl Into<String>,
    ) {
        if self.list.len() >= MAX_PROBLEMS {
            return;
        }
        self.list.push(Problem {
            code,
            path: path.into(),
            message: message.into(),
        });
    }

    /// Whether the cap is reached: expensive walks may stop early.
    pub fn is_full(&self) -> bool {
        self.list.len() >= MAX_PROBLEMS
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The problems found so far.
    pub fn as_slice(&self) -> &[Problem] {
        &self.list
    }

    /// `Ok` when nothing was found, else the rejection.
    pub fn into_result(self) -> Result<(), Rejection> {
        if self.list.is_empty() {
            Ok(())
        } else {
            Err(Rejection {
                truncated: self.list.len() >= MAX_PROBLEMS,
                problems: self.list,
            })
        }
    }
}

/// A rejected package or template: every problem found (up to the cap).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rejection {
    /// The problems, in rule order.
    pub problems: Vec<Problem>,
    /// Whether the cap was reached, so more problems may exist than are listed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl Rejection {
    /// The first problem (there is always one).
    pub fn first(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.first() {
            Some(first) => write!(f, "invalid package: {first}"),
            None => f.write_str("invalid package"),
        }
    }
}

impl std::error::Error for Rejection {}

/// `base.key` (or `base["odd key"]`).
pub(crate) fn key_path(base: &str, key: &str) -> String {
    let mut path = base.to_owned();
    push_key(&mut path, key);
    path
}

/// `base[index]`.
pub(crate) fn index_path(base: &str, index: usize) -> String {
    format!("{base}[{index}]")
}

/// A string member, if present and a string.
pub(crate) fn str_at<'a>(object: &'a Object, key: &str) -> Option<&'a str> {
    object.get(key).and_then(Value::as_str)
}

/// The required spec version of manifests and locks.
pub const REQUIRED_SPEC_VERSION: &str = crate::publish::ANIP_SPEC_VERSION;

/// The most capabilities a service definition may formalise.
pub const MAX_CAPABILITIES: usize = 256;

/// Validates a normalised package: identity, limits, links, effects, the service definition and the agent-metadata
/// gate — everything the registry checks before stamping and everything `anip verify` checks afterwards.
pub fn validate_package(package: &NormalisedPackage) -> Result<(), Rejection> {
    let mut problems = Problems::new();
    check_identity(package, &mut problems);
    links::check_readme(&package.readme, &mut problems);
    links::check_source_links(&package.source_links, &mut problems);
    links::check_materials(&package.implementation_materials, &mut problems);
    if package.schema_version != SERVICE_DEFINITION_SCHEMA {
        problems.push(
            "unsupported_schema_version",
            "schema_version",
            format!(
                "schema_version is {:?}; the registry accepts {SERVICE_DEFINITION_SCHEMA:?}",
                package.schema_version
            ),
        );
    }
    match package.manifest.get("anip_spec_version") {
        Some(Value::String(v)) if v == REQUIRED_SPEC_VERSION => {}
        Some(other) => problems.push(
            "unsupported_spec_version",
            "manifest.anip_spec_version",
            format!("anip_spec_version is {other}; the registry accepts {REQUIRED_SPEC_VERSION:?}"),
        ),
        None => problems.push(
            "missing_spec_version",
            "manifest.anip_spec_version",
            format!("the manifest must declare anip_spec_version {REQUIRED_SPEC_VERSION:?}"),
        ),
    }
    let documents = [
        ("manifest", &package.manifest, limits::MAX_MANIFEST_BYTES),
        (
            "service_definition",
            &package.service_definition,
            limits::MAX_DEFINITION_BYTES,
        ),
        (
            "recommended_lock",
            &package.recommended_lock,
            limits::MAX_LOCK_BYTES,
        ),
    ];
    for (label, document, max) in documents {
        limits::check_document_size(label, document, max, &mut problems);
    }
    // The high-level gates first, so their problems are listed even when a broken definition fills the list.
    check_agent_metadata(
        &package.manifest,
        &package.recommended_lock,
        &package.service_definition,
        &mut problems,
    );
    for (label, document, _) in documents {
        effects::check_effect_vocabulary(label, document, &mut problems);
    }
    for (label, document) in [
        ("manifest", &package.manifest),
        ("recommended_lock", &package.recommended_lock),
    ] {
        effects::check_bundle_metadata(label, document, &mut problems);
    }
    if let Some(Value::Array(capabilities)) =
        package.service_definition.get("capability_formalizations")
        && capabilities.len() > MAX_CAPABILITIES
    {
        problems.push(
            "too_many_capabilities",
            "service_definition.capability_formalizations",
            format!(
                "{} capabilities; at most {MAX_CAPABILITIES} are allowed",
                capabilities.len()
            ),
        );
    }
    check_service_definition(&package.service_definition, &mut problems);
    for (label, document, _) in documents {
        limits::check_document(label, document, &mut problems);
    }
    problems.into_result()
}

/// Validates a package as a registry serves it (a record or a bundle's package), with the same rules as at
/// publish: what the registry accepts, the verifier accepts, and nothing else.
pub fn validate_record(record: &PackageRecord) -> Result<(), Rejection> {
    let object = |value: &Value| value.as_object().cloned().unwrap_or_default();
    let package = NormalisedPackage {
        package_id: record.package_id.clone(),
        package_version: record.package_version.clone(),
        project_ref: record.project_ref.clone(),
        product_revision_ref: record.product_revision_ref.clone(),
        developer_revision_ref: record.developer_revision_ref.clone(),
        contract_signature: record.contract_signature.clone(),
        publisher_id: record.publisher_id.clone(),
        publisher_type: record.publisher_type.clone(),
        schema_version: record.schema_version.clone(),
        manifest: object(&record.manifest),
        service_definition: object(&record.service_definition),
        recommended_lock: object(&record.recommended_lock),
        readme: record.readme.clone(),
        source_links: record.source_links.clone(),
        implementation_materials: record.effective_materials(),
        lineage: record.lineage.clone(),
    };
    validate_package(&package)
}

fn check_identity(package: &NormalisedPackage, problems: &mut Problems) {
    ids::check_artifact_id("package_id", &package.package_id, problems);
    ids::check_version("package_version", &package.package_version, problems);
    for (field, value) in [
        ("project_ref", &package.project_ref),
        ("product_revision_ref", &package.product_revision_ref),
        ("developer_revision_ref", &package.developer_revision_ref),
        ("contract_signature", &package.contract_signature),
    ] {
        text::check_text_field(field, value, true, problems);
    }
    // The publisher is signed into the receipt too (a registry sets it from its own configuration).
    text::check_text_field("publisher_id", &package.publisher_id, false, problems);
    text::check_text_field("publisher_type", &package.publisher_type, false, problems);
    // The receipt signs the lineage as found (the request's own, else the manifest's or the lock's): it passes the
    // document rules, and holds no key a case-insensitive reader would take for a lineage field.
    lineage::check_lineage("lineage", &package.lineage, problems);
    for (label, document) in [
        ("manifest", &package.manifest),
        ("recommended_lock", &package.recommended_lock),
    ] {
        if let Some(Value::Object(lineage)) = document.get("lineage") {
            lineage::check_lineage_keys(&key_path(label, "lineage"), lineage, problems);
        }
    }
}
