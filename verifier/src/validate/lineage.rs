//! Lineage, which the receipt signs: the document rules (no control characters, bounded keys, depth and size) and
//! no key that differs from a lineage field only in case.

use serde_json::Value;

use super::{Problems, key_path, limits};
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

/// Checks a signed lineage: size, the document walk (control characters, keys, depth) and its keys.
pub(super) fn check_lineage(label: &str, lineage: &Object, problems: &mut Problems) {
    if lineage.is_empty() {
        return;
    }
    limits::check_document_size(label, lineage, MAX_LINEAGE_BYTES, problems);
    limits::check_document(label, lineage, problems);
    check_lineage_keys(label, lineage, problems);
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
