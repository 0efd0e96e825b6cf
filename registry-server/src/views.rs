//! JSON views of stored packages in the shapes of reference §1.4: typed `Serialize` views borrowing the stored
//! values, with documents embedded as their stored canonical text through `RawValue` (never re-parsed or
//! re-encoded on the way out).

use serde::Serialize;
use serde_json::Value;
use serde_json::value::RawValue;
use verifier::lock::{PackageLock, RegistryContext};
use verifier::record::{Lifecycle, PackageRecord};

use crate::store::{Document, PackageState, PublicationSummary, StoredPackage};

/// A `RegistryPackageRecord` (reference §1.4) borrowing a stored version: metadata as JSON strings, documents as
/// their stored text. Member order is the record's; empty optional members are left out as ANIP leaves them out.
#[derive(Debug, Serialize)]
pub struct RecordView<'a> {
    /// The owner's `PublisherSummary`, when an ownership row exists (publishers issue).
    #[serde(skip_serializing_if = "Option::is_none")]
    publisher: Option<&'a RawValue>,
    package_id: &'a str,
    package_version: &'a str,
    project_ref: &'a str,
    product_revision_ref: &'a str,
    developer_revision_ref: &'a str,
    contract_signature: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    publisher_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    publisher_type: &'a str,
    #[serde(skip_serializing_if = "is_empty_document")]
    lineage: &'a Document,
    schema_version: &'a str,
    manifest_digest: &'a str,
    definition_digest: &'a str,
    lock_digest: &'a str,
    package_execution_signature: &'a str,
    published_at: &'a str,
    download_count: i64,
    lifecycle: &'a Lifecycle,
    manifest: &'a Document,
    service_definition: &'a Document,
    recommended_lock: &'a Document,
    #[serde(skip_serializing_if = "str::is_empty")]
    readme: &'a str,
    #[serde(skip_serializing_if = "is_empty_document")]
    source_links: &'a Document,
    #[serde(skip_serializing_if = "is_empty_document")]
    implementation_materials: &'a Document,
}

fn is_empty_document(d: &&Document) -> bool {
    d.is_empty_json()
}

impl<'a> RecordView<'a> {
    /// The record of `p` with the current download count and lifecycle from `state`, and the owner's summary (JSON
    /// object text) when there is one.
    pub fn new(
        p: &'a StoredPackage,
        state: &'a PackageState,
        publisher: Option<&'a RawValue>,
    ) -> Self {
        RecordView {
            publisher,
            package_id: &p.package_id,
            package_version: &p.package_version,
            project_ref: &p.project_ref,
            product_revision_ref: &p.product_revision_ref,
            developer_revision_ref: &p.developer_revision_ref,
            contract_signature: &p.contract_signature,
            publisher_id: &p.publisher_id,
            publisher_type: &p.publisher_type,
            lineage: &p.lineage_json,
            schema_version: &p.schema_version,
            manifest_digest: &p.manifest_digest,
            definition_digest: &p.definition_digest,
            lock_digest: &p.lock_digest,
            package_execution_signature: &p.package_execution_signature,
            published_at: &p.published_at,
            download_count: state.download_count,
            lifecycle: &state.lifecycle,
            manifest: &p.manifest_json,
            service_definition: &p.service_definition_json,
            recommended_lock: &p.recommended_lock_json,
            readme: &p.readme,
            source_links: &p.source_links_json,
            implementation_materials: &p.implementation_materials_json,
        }
    }
}

/// The JSON text of `view` (a view of stored values never fails to serialize; `null` if it somehow did).
pub fn to_json<T: Serialize>(view: &T) -> String {
    serde_json::to_string(view).unwrap_or_else(|_| "null".to_owned())
}

/// A summary's JSON object text as a raw member (`None` for no summary, or text that is not JSON).
pub fn raw_summary(text: Option<&str>) -> Option<&RawValue> {
    text.and_then(|t| serde_json::from_str::<&RawValue>(t).ok())
}

/// `{"package": RegistryPackageRecord}` with the lifecycle and count of `state`: the answer to a lifecycle change.
pub fn changed_package_json(p: &StoredPackage, state: &PackageState) -> String {
    #[derive(Serialize)]
    struct Changed<'a> {
        package: RecordView<'a>,
    }
    to_json(&Changed {
        package: RecordView::new(p, state, None),
    })
}

/// A `RegistryPackageRecord` with its own download count and lifecycle.
pub fn record_json(p: &StoredPackage) -> String {
    let state = PackageState {
        download_count: p.download_count,
        lifecycle: p.lifecycle.clone(),
    };
    to_json(&RecordView::new(p, &state, None))
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
    #[derive(Serialize)]
    struct Published<'a> {
        publication: PublicationSummary,
        package: RecordView<'a>,
        receipt: &'a verifier::receipt::Receipt,
    }
    let state = PackageState {
        download_count: p.download_count,
        lifecycle: p.lifecycle.clone(),
    };
    to_json(&Published {
        publication: summary_of(p),
        package: RecordView::new(p, &state, None),
        receipt: &p.receipt,
    })
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
