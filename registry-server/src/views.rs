//! JSON views of stored packages in the shapes of reference §1.4, with documents spliced in as their stored
//! canonical text (never re-parsed or re-encoded on the way out).

use serde::Serialize;
use serde_json::Value;
use verifier::lock::{PackageLock, RegistryContext};
use verifier::record::PackageRecord;

use crate::store::{PackageState, PublicationSummary, StoredPackage};

/// Appends `"key":<json of value>` (with a leading comma unless first).
fn member(out: &mut String, key: &str, value: &impl Serialize) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&serde_json::to_string(key).unwrap_or_default());
    out.push(':');
    out.push_str(&serde_json::to_string(value).unwrap_or_else(|_| "null".to_owned()));
}

/// Appends `"key":<raw JSON text>`.
fn raw_member(out: &mut String, key: &str, raw: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&serde_json::to_string(key).unwrap_or_default());
    out.push(':');
    out.push_str(raw);
}

fn is_empty_json(raw: &str) -> bool {
    matches!(raw.trim(), "" | "{}" | "[]" | "null")
}

/// A `RegistryPackageRecord` with its own download count and lifecycle.
pub fn record_json(p: &StoredPackage) -> String {
    record_json_at(
        p,
        &PackageState {
            download_count: p.download_count,
            lifecycle: p.lifecycle.clone(),
        },
    )
}

/// A `RegistryPackageRecord` with the current download count and lifecycle from `state`.
pub fn record_json_at(p: &StoredPackage, state: &PackageState) -> String {
    let documents =
        p.manifest_json.len() + p.service_definition_json.len() + p.recommended_lock_json.len();
    let mut out = String::with_capacity(documents + p.readme.len() + 2048);
    out.push('{');
    member(&mut out, "package_id", &p.package_id);
    member(&mut out, "package_version", &p.package_version);
    member(&mut out, "project_ref", &p.project_ref);
    member(&mut out, "product_revision_ref", &p.product_revision_ref);
    member(
        &mut out,
        "developer_revision_ref",
        &p.developer_revision_ref,
    );
    member(&mut out, "contract_signature", &p.contract_signature);
    if !p.publisher_id.is_empty() {
        member(&mut out, "publisher_id", &p.publisher_id);
    }
    if !p.publisher_type.is_empty() {
        member(&mut out, "publisher_type", &p.publisher_type);
    }
    if !is_empty_json(&p.lineage_json) {
        raw_member(&mut out, "lineage", &p.lineage_json);
    }
    member(&mut out, "schema_version", &p.schema_version);
    member(&mut out, "manifest_digest", &p.manifest_digest);
    member(&mut out, "definition_digest", &p.definition_digest);
    member(&mut out, "lock_digest", &p.lock_digest);
    member(
        &mut out,
        "package_execution_signature",
        &p.package_execution_signature,
    );
    member(&mut out, "published_at", &p.published_at);
    member(&mut out, "download_count", &state.download_count);
    member(&mut out, "lifecycle", &state.lifecycle);
    raw_member(&mut out, "manifest", &p.manifest_json);
    raw_member(&mut out, "service_definition", &p.service_definition_json);
    raw_member(&mut out, "recommended_lock", &p.recommended_lock_json);
    if !p.readme.is_empty() {
        member(&mut out, "readme", &p.readme);
    }
    if !is_empty_json(&p.source_links_json) {
        raw_member(&mut out, "source_links", &p.source_links_json);
    }
    if !is_empty_json(&p.implementation_materials_json) {
        raw_member(
            &mut out,
            "implementation_materials",
            &p.implementation_materials_json,
        );
    }
    out.push('}');
    out
}

/// The listing row of a stored package.
pub fn summary_of(p: &StoredPackage) -> PublicationSummary {
    PublicationSummary {
        package_id: p.package_id.clone(),
        package_version: p.package_version.clone(),
        project_ref: p.project_ref.clone(),
        product_revision_ref: p.product_revision_ref.clone(),
        developer_revision_ref: p.developer_revision_ref.clone(),
        contract_signature: p.contract_signature.clone(),
        publisher_id: p.publisher_id.clone(),
        publisher_type: p.publisher_type.clone(),
        publisher: None,
        lineage: serde_json::from_str::<Value>(&p.lineage_json)
            .ok()
            .filter(|l| l.as_object().is_some_and(|o| !o.is_empty())),
        published_at: p.published_at.clone(),
        download_count: p.download_count,
        lifecycle: p.lifecycle.clone(),
    }
}

/// `{publication, package, receipt}`, the body of a publish response.
pub fn publish_response_json(p: &StoredPackage) -> String {
    let mut out = String::from("{");
    member(&mut out, "publication", &summary_of(p));
    raw_member(&mut out, "package", &record_json(p));
    member(&mut out, "receipt", &p.receipt);
    out.push('}');
    out
}

/// The lock a registry serves for a stored package: ANIP's fields plus the receipt's public key bytes.
pub fn lock_of(
    p: &StoredPackage,
    registry: &RegistryContext,
    receipt_key: Option<&verifier::keys::PublicKey>,
) -> PackageLock {
    let record = PackageRecord {
        package_id: p.package_id.clone(),
        package_version: p.package_version.clone(),
        contract_signature: p.contract_signature.clone(),
        schema_version: p.schema_version.clone(),
        definition_digest: p.definition_digest.clone(),
        manifest_digest: p.manifest_digest.clone(),
        lock_digest: p.lock_digest.clone(),
        package_execution_signature: p.package_execution_signature.clone(),
        publisher_id: p.publisher_id.clone(),
        publisher_type: p.publisher_type.clone(),
        ..PackageRecord::default()
    };
    PackageLock::from_resolved(&record, &p.receipt, receipt_key, registry)
}
