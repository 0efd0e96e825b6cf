//! Log entries of what the store holds, encoded by `verifier::tlog::entry` (LOG-DESIGN "Entry"): one small
//! canonical object per accepted version or lifecycle change, never the package documents.

use verifier::LogError;
use verifier::receipt::ReceiptPayload;
use verifier::record::Lifecycle;
use verifier::tlog::entry::Entry;

use crate::error::Error;
use crate::store::{StoredPackage, StoredTemplate};

fn bytes(entry: Result<Entry, LogError>) -> Result<Vec<u8>, Error> {
    entry.and_then(|e| e.to_bytes()).map_err(|e| match e {
        LogError::EntryTooLarge(n) => Error::bad_request(
            "log_entry_too_large",
            format!("the log entry would be {n} bytes; at most 65535"),
        ),
        other => Error::Internal(format!("log entry: {other}")),
    })
}

/// The `package_version` entry of a stored version: its receipt and the payload values the receipt signs.
pub fn package(p: &StoredPackage) -> Result<Vec<u8>, Error> {
    let payload = ReceiptPayload {
        package_id: p.package_id.clone(),
        package_version: p.package_version.clone(),
        contract_signature: p.contract_signature.clone(),
        definition_digest: p.definition_digest.clone(),
        manifest_digest: p.manifest_digest.clone(),
        lock_digest: p.lock_digest.clone(),
        package_execution_signature: p.package_execution_signature.clone(),
        issued_at: p.receipt.issued_at.clone(),
        publisher_id: p.receipt.publisher_id.clone(),
        publisher_type: p.receipt.publisher_type.clone(),
        ..ReceiptPayload::default()
    };
    bytes(Entry::from_receipt(&p.receipt, &payload))
}

/// The `template_version` entry of a stored template version, from its receipt.
pub fn template(t: &StoredTemplate) -> Result<Vec<u8>, Error> {
    bytes(Ok(Entry::from_template_receipt(&t.receipt)))
}

/// The `lifecycle` entry of a change of `artifact` (`package` or `template`) `id@version` to `lifecycle`.
pub fn lifecycle(
    artifact: &str,
    id: &str,
    version: &str,
    lifecycle: &Lifecycle,
) -> Result<Vec<u8>, Error> {
    bytes(Entry::lifecycle(
        artifact,
        id,
        version,
        lifecycle.status.as_str(),
        &lifecycle.reason,
        &lifecycle.updated_by,
        &lifecycle.updated_at,
    ))
}

/// The `ownership` entry of `artifact` (`package` or `template`) `id` coming to `publisher_id` by `action`
/// (`claim`: first publish or bootstrap; `transfer`: an admin transfer of the artifact or its namespace) at `at`.
pub fn ownership(
    artifact: &str,
    id: &str,
    publisher_id: &str,
    action: &str,
    at: &str,
) -> Result<Vec<u8>, Error> {
    bytes(Entry::ownership(artifact, id, publisher_id, action, at))
}
