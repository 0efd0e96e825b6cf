//! Lineage, which the receipt signs: the document rules (bounded keys, depth and size), the signed-text rule of
//! every string and key (see [`super::text`]) and no key that differs from a lineage field only in case.

use serde_json::Value;

use super::{Problems, key_path, limits, text};
use crate::casefold::folds_to;
use crate::record::Object;

/// The fields of a lineage object (reference §2.3 and the bundle transform of §11.2).
pub const LINEAGE_FIELDS: [&str; 5] = [
    "project_ref",
    "product_revision",
    "developer_revision",
    "product_revision_ref",
    "developer_revision_ref",
];

/// The fields of a lineage's `product_revision` and `developer_revision` objects.
pub const REVISION_FIELDS: [&str; 5] = [
    "artifact_id",
    "ref",
    "revision_number",
    "baseline_locked_at",
    "contract_signature",
];

/// The largest lineage (digest encoding), bytes.
const MAX_LINEAGE_BYTES: usize = 64 << 10;

/// Checks a signed lineage: size, the document walk (control characters, keys, depth), the signed-text rule of
/// every string value and key (`invalid_field` at its path) and its keys.
pub(super) fn check_lineage(label: &str, lineage: &Object, problems: &mut Problems) {
    if lineage.is_empty() {
        return;
    }
    limits::check_document_size(label, lineage, MAX_LINEAGE_BYTES, problems);
    limits::check_document(label, lineage, problems);
    check_signed_texts(label, lineage, problems);
    check_lineage_keys(label, lineage, problems);
}

/// Records `invalid_field` for every key and string in `object` (walked to any depth) that is not signed text.
fn check_signed_texts(label: &str, object: &Object, problems: &mut Problems) {
    for (key, value) in object {
        let path = key_path(label, key);
        if !text::is_valid_text_field(key) {
            text::check_text_field(&path, key, false, problems);
        }
        check_signed_value(&path, value, problems);
    }
}

fn check_signed_value(path: &str, value: &Value, problems: &mut Problems) {
    match value {
        Value::String(s) => text::check_text_field(path, s, false, problems),
        Value::Object(inner) => check_signed_texts(path, inner, problems),
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                check_signed_value(&format!("{path}[{i}]"), item, problems);
            }
        }
        _ => {}
    }
}

/// Records `ambiguous_key` for each key of `lineage` (and of its revision objects) that differs from a lineage
/// field only in case.
pub(super) fn check_lineage_keys(label: &str, lineage: &Object, problems: &mut Problems) {
    ambiguous_keys(label, lineage, &LINEAGE_FIELDS, problems);
    for revision in ["product_revision", "developer_revision"] {
        if let Some(Value::Object(inner)) = lineage.get(revision) {
            ambiguous_keys(
                &key_path(label, revision),
                inner,
                &REVISION_FIELDS,
                problems,
            );
        }
    }
}

fn ambiguous_keys(label: &str, object: &Object, fields: &[&str], problems: &mut Problems) {
    for key in object.keys() {
        if let Some(field) = fields.iter().find(|field| folds_to(key, field)) {
            problems.push(
                "ambiguous_key",
                key_path(label, key),
                format!("key {key:?} differs from the lineage field {field:?} only in case"),
            );
        }
    }
}
