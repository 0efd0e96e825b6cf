//! Normalisation of a publish request before validation (reference §2.3).

use serde_json::Value;

use super::{PublishRequest, SERVICE_DEFINITION_SCHEMA};
use crate::record::{ImplementationMaterial, Object, SourceLink};

/// A publish request after normalisation: readme, links, materials and lineage resolved and written back into the
/// manifest (and lineage into the lock).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NormalisedPackage {
    /// Package id, as sent.
    pub package_id: String,
    /// Package version, as sent.
    pub package_version: String,
    /// Project reference.
    pub project_ref: String,
    /// Product revision reference.
    pub product_revision_ref: String,
    /// Developer revision reference.
    pub developer_revision_ref: String,
    /// Contract signature.
    pub contract_signature: String,
    /// Publisher id, trimmed.
    pub publisher_id: String,
    /// Publisher type, trimmed (`unknown` when an id has no type).
    pub publisher_type: String,
    /// Service-definition schema version.
    pub schema_version: String,
    /// Manifest with readme, links, materials and lineage written back.
    pub manifest: Object,
    /// Service definition, untouched.
    pub service_definition: Object,
    /// Recommended lock with lineage written back.
    pub recommended_lock: Object,
    /// README.
    pub readme: String,
    /// README links.
    pub source_links: Vec<SourceLink>,
    /// Implementation materials.
    pub implementation_materials: Vec<ImplementationMaterial>,
    /// Lineage, empty when none was found.
    pub lineage: Object,
}

/// Normalises `request` exactly as ANIP's registry does before validation.
pub fn normalise(request: PublishRequest) -> NormalisedPackage {
    let PublishRequest {
        package_id,
        package_version,
        project_ref,
        product_revision_ref,
        developer_revision_ref,
        contract_signature,
        publisher_id,
        publisher_type,
        lineage: request_lineage,
        schema_version,
        mut manifest,
        service_definition,
        mut recommended_lock,
        readme,
        source_links,
        implementation_materials,
    } = request;

    let publisher_id = publisher_id.trim().to_owned();
    let mut publisher_type = publisher_type.trim().to_owned();
    if !publisher_id.is_empty() && publisher_type.is_empty() {
        publisher_type = "unknown".to_owned();
    }
    let schema_version = if schema_version.trim().is_empty() {
        SERVICE_DEFINITION_SCHEMA.to_owned()
    } else {
        schema_version
    };

    let readme = if !readme.trim().is_empty() {
        readme.trim().to_owned()
    } else {
        manifest
            .get("readme")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_owned())
            .unwrap_or_default()
    };

    let source_links = if !source_links.is_empty() {
        clean_links(source_links)
    } else {
        links_from_value(manifest.get("source_links"))
    };

    let implementation_materials = [
        clean_materials(implementation_materials),
        manifest
            .get("implementation_materials")
            .map(materials_from_value)
            .unwrap_or_default(),
        manifest
            .get("implementation_material")
            .map(materials_from_value)
            .unwrap_or_default(),
    ]
    .into_iter()
    .find(|list| !list.is_empty())
    .unwrap_or_default();

    if !readme.is_empty() {
        manifest.insert("readme".to_owned(), Value::from(readme.as_str()));
    }
    if !source_links.is_empty() {
        let links = source_links
            .iter()
            .map(|l| serde_json::json!({"title": l.title, "url": l.url}))
            .collect();
        manifest.insert("source_links".to_owned(), Value::Array(links));
    }
    if !implementation_materials.is_empty() {
        let bundles = implementation_materials
            .iter()
            .map(ImplementationMaterial::to_value)
            .collect();
        manifest.insert(
            "implementation_material".to_owned(),
            serde_json::json!({ "custom_code_bundles": Value::Array(bundles) }),
        );
    }

    let lineage = [
        request_lineage.as_ref(),
        Some(&manifest),
        Some(&recommended_lock),
    ]
    .into_iter()
    .flatten()
    .find_map(lineage_of)
    .unwrap_or_default();
    if !lineage.is_empty() {
        for document in [&mut manifest, &mut recommended_lock] {
            if !document.contains_key("lineage") {
                document.insert("lineage".to_owned(), Value::Object(lineage.clone()));
            }
        }
    }

    NormalisedPackage {
        package_id,
        package_version,
        project_ref,
        product_revision_ref,
        developer_revision_ref,
        contract_signature,
        publisher_id,
        publisher_type,
        schema_version,
        manifest,
        service_definition,
        recommended_lock,
        readme,
        source_links,
        implementation_materials,
        lineage,
    }
}

/// A candidate's lineage: a non-empty object under its `lineage` key, or the candidate itself when it has all of
/// `project_ref`, `product_revision` and `developer_revision`.
fn lineage_of(candidate: &Object) -> Option<Object> {
    if let Some(Value::Object(inner)) = candidate.get("lineage")
        && !inner.is_empty()
    {
        return Some(inner.clone());
    }
    ["project_ref", "product_revision", "developer_revision"]
        .iter()
        .all(|key| candidate.contains_key(*key))
        .then(|| candidate.clone())
}

fn text_field(object: &Object, key: &str) -> String {
    object
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// Reads `{title, url}` links from an array of objects (other values count as empty), trimmed, dropping links
/// whose title and url are both empty.
pub fn links_from_value(value: Option<&Value>) -> Vec<SourceLink> {
    let Some(Value::Array(items)) = value else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(Value::as_object)
        .map(|o| SourceLink {
            title: text_field(o, "title"),
            url: text_field(o, "url"),
        })
        .filter(|l| !(l.title.is_empty() && l.url.is_empty()))
        .collect()
}

fn clean_links(links: Vec<SourceLink>) -> Vec<SourceLink> {
    links
        .into_iter()
        .map(|l| SourceLink {
            title: l.title.trim().to_owned(),
            url: l.url.trim().to_owned(),
        })
        .filter(|l| !(l.title.is_empty() && l.url.is_empty()))
        .collect()
}

fn clean_materials(materials: Vec<ImplementationMaterial>) -> Vec<ImplementationMaterial> {
    materials
        .into_iter()
        .map(|m| ImplementationMaterial {
            title: m.title.trim().to_owned(),
            reference: m.reference.trim().to_owned(),
            bundle_tree_sha256: m.bundle_tree_sha256.trim().to_lowercase(),
        })
        .filter(|m| {
            !(m.title.is_empty() && m.reference.is_empty() && m.bundle_tree_sha256.is_empty())
        })
        .collect()
}

/// Reads implementation materials from a manifest value: an array of objects, a single object, or an object with a
/// `custom_code_bundles` list. `ref` is the first non-blank of `ref`, `uri`, `url`; the tree digest the first
/// non-blank of `bundle_tree_sha256`, `tree_sha256`, lower-cased; blank items are dropped.
pub fn materials_from_value(value: &Value) -> Vec<ImplementationMaterial> {
    let items: Vec<&Value> = match value {
        Value::Array(items) => items.iter().collect(),
        Value::Object(o) => match o.get("custom_code_bundles") {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(single @ Value::Object(_)) => vec![single],
            _ => vec![value],
        },
        _ => Vec::new(),
    };
    let first = |o: &Object, keys: &[&str]| {
        keys.iter()
            .map(|k| text_field(o, k))
            .find(|s| !s.is_empty())
            .unwrap_or_default()
    };
    let materials = items
        .into_iter()
        .filter_map(Value::as_object)
        .map(|o| ImplementationMaterial {
            title: text_field(o, "title"),
            reference: first(o, &["ref", "uri", "url"]),
            bundle_tree_sha256: first(o, &["bundle_tree_sha256", "tree_sha256"]).to_lowercase(),
        })
        .collect();
    clean_materials(materials)
}
