//! The closed business-effect vocabulary and the custom-code-bundle metadata of manifests and locks.

use serde_json::Value;

use super::{Problems, index_path, key_path, links::check_bundle_ref};
use crate::canonical::is_sha256_digest;
use crate::record::Object;

/// Every business effect a package may declare.
pub const BUSINESS_EFFECTS: [&str; 13] = [
    "approval.execute",
    "approval.request",
    "content.draft",
    "content.recommendation",
    "content.summary",
    "data.aggregate",
    "data.export",
    "data.read",
    "external_dispatch",
    "raw_data_export",
    "raw_model_features",
    "system.mutation",
    "system.preview_mutation",
];

/// Checks every business-effect list in `document`, at any depth: `business_effects.produces`,
/// `business_effects.does_not_produce`, `unsupported_effects` and `suppress_unsupported_effects`.
pub(crate) fn check_effect_vocabulary(label: &str, document: &Object, problems: &mut Problems) {
    walk_object(label, document, problems);
}

fn walk_object(path: &str, object: &Object, problems: &mut Problems) {
    for (key, value) in object {
        if problems.is_full() {
            return;
        }
        let here = key_path(path, key);
        match key.as_str() {
            "business_effects" => match value {
                Value::Null => {}
                Value::Object(effects) => {
                    for list in ["produces", "does_not_produce"] {
                        if let Some(v) = effects.get(list) {
                            check_effect_list(&key_path(&here, list), v, problems);
                        }
                    }
                }
                _ => problems.push(
                    "invalid_business_effects",
                    here.clone(),
                    "business_effects must be an object with produces / does_not_produce lists",
                ),
            },
            "unsupported_effects" | "suppress_unsupported_effects" => {
                check_effect_list(&here, value, problems);
            }
            _ => {}
        }
        walk_value(&here, value, problems);
    }
}

fn walk_value(path: &str, value: &Value, problems: &mut Problems) {
    match value {
        Value::Object(object) => walk_object(path, object, problems),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk_value(&index_path(path, i), item, problems);
            }
        }
        _ => {}
    }
}

fn check_effect_list(path: &str, value: &Value, problems: &mut Problems) {
    let Value::Array(items) = value else {
        if !value.is_null() {
            problems.push(
                "invalid_business_effects",
                path,
                "business effects must be a list of strings",
            );
        }
        return;
    };
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(effect) if BUSINESS_EFFECTS.contains(&effect) => {}
            Some(effect) => problems.push(
                "unknown_business_effect",
                index_path(path, i),
                format!(
                    "{effect:?} is not a business effect; use one of {}",
                    BUSINESS_EFFECTS.join(", ")
                ),
            ),
            None => problems.push(
                "invalid_business_effects",
                index_path(path, i),
                "business effects must be non-empty strings",
            ),
        }
    }
}

/// The top-level keys of a manifest or lock that declare custom code.
const BUNDLE_KEYS: [&str; 6] = [
    "custom_code_bundle_ref",
    "custom_code_bundle_refs",
    "custom_code_bundles",
    "implementation_material",
    "implementation_materials",
    "implementation_material_refs",
];

/// Checks custom-code-bundle refs and tree digests declared at the top of `document`.
pub(crate) fn check_bundle_metadata(label: &str, document: &Object, problems: &mut Problems) {
    for key in BUNDLE_KEYS {
        if let Some(value) = document.get(key) {
            check_bundle_value(&key_path(label, key), value, problems, 0);
        }
    }
}

fn check_bundle_value(path: &str, value: &Value, problems: &mut Problems, depth: usize) {
    if depth > 4 || problems.is_full() {
        return;
    }
    match value {
        Value::String(reference) => check_ref_at(path, reference, problems),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_bundle_value(&index_path(path, i), item, problems, depth + 1);
            }
        }
        Value::Object(object) => {
            if let Some(inner) = object.get("custom_code_bundles") {
                check_bundle_value(
                    &key_path(path, "custom_code_bundles"),
                    inner,
                    problems,
                    depth + 1,
                );
            }
            for key in ["ref", "uri", "url"] {
                if let Some(Value::String(reference)) = object.get(key) {
                    check_ref_at(&key_path(path, key), reference, problems);
                }
            }
            for key in ["bundle_tree_sha256", "tree_sha256"] {
                if let Some(Value::String(tree)) = object.get(key)
                    && !tree.trim().is_empty()
                    && !is_sha256_digest(tree.trim())
                {
                    problems.push(
                        "invalid_digest",
                        key_path(path, key),
                        format!("{tree:?} is not sha256: followed by 64 lowercase hex digits"),
                    );
                }
            }
        }
        _ => {}
    }
}

fn check_ref_at(path: &str, reference: &str, problems: &mut Problems) {
    if reference.trim().is_empty() {
        return;
    }
    if let Err(why) = check_bundle_ref(reference) {
        problems.push("invalid_bundle_ref", path, why);
    }
}
