//! Log entries built from what the store holds (LOG-DESIGN "Entry"): canonical JSON of one small object per
//! accepted version or lifecycle change, never the package documents.
//!
//! Interim encoder: `verifier::tlog::entry` (branch log-core) owns the encoding; these functions produce the same
//! objects from the store's rows and are replaced by calls into it once merged.

use serde_json::{Value, json};
use verifier::record::Lifecycle;

use crate::error::Error;
use crate::store::{StoredPackage, StoredTemplate};

/// The largest entry, bytes (an entry bundle frames each entry with a big-endian u16 length).
pub const MAX_ENTRY_BYTES: usize = 65_535;

fn encoded(value: &Value) -> Result<Vec<u8>, Error> {
    let bytes = verifier::canonical::digest_bytes(value);
    if bytes.len() > MAX_ENTRY_BYTES {
        return Err(Error::bad_request(
            "log_entry_too_large",
            format!(
                "the log entry would be {} bytes; at most {MAX_ENTRY_BYTES}",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// The `package_version` entry of a stored version: every value from its receipt.
pub fn package(p: &StoredPackage) -> Result<Vec<u8>, Error> {
    let r = &p.receipt;
    encoded(&json!({
        "kind": "package_version", "v": 1,
        "package_id": r.package_id, "package_version": r.package_version,
        "receipt_id": r.receipt_id, "issued_at": r.issued_at,
        "publisher_id": r.publisher_id, "publisher_type": r.publisher_type,
        "contract_signature": p.contract_signature, "definition_digest": p.definition_digest,
        "manifest_digest": p.manifest_digest, "lock_digest": p.lock_digest,
        "package_execution_signature": p.package_execution_signature,
        "registry_signature": r.registry_signature,
    }))
}

/// The `template_version` entry of a stored template version: every value from its receipt.
pub fn template(t: &StoredTemplate) -> Result<Vec<u8>, Error> {
    let r = &t.receipt;
    encoded(&json!({
        "kind": "template_version", "v": 1,
        "template_id": r.template_id, "template_version": r.template_version,
        "receipt_id": r.receipt_id, "issued_at": r.issued_at,
        "publisher_id": r.publisher_id, "publisher_type": r.publisher_type,
        "manifest_digest": r.manifest_digest, "template_digest": r.template_digest,
        "package_digest": r.package_digest, "registry_signature": r.registry_signature,
    }))
}

/// The `lifecycle` entry of a change of `artifact` (`package` or `template`) `id@version` to `lifecycle`.
pub fn lifecycle(
    artifact: &str,
    id: &str,
    version: &str,
    lifecycle: &Lifecycle,
) -> Result<Vec<u8>, Error> {
    encoded(&json!({
        "kind": "lifecycle", "v": 1, "artifact": artifact, "id": id, "version": version,
        "status": lifecycle.status.as_str(), "reason": lifecycle.reason,
        "actor": lifecycle.updated_by, "at": lifecycle.updated_at,
    }))
}
