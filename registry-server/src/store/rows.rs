//! SQL text and row mapping shared by both stores (written with `$n` placeholders; SQLite reads them as `?n`).

use sqlx::{ColumnIndex, Decode, Row, Type};
use verifier::receipt::Receipt;
use verifier::record::{Lifecycle, Replacement};
use verifier::signature::RegistrySignature;

use super::{PublicationSummary, StoredPackage};

/// Every column of a package row, in one order.
pub(super) const PACKAGE_COLUMNS: &str = "package_id, package_version, project_ref, product_revision_ref, \
    developer_revision_ref, contract_signature, publisher_id, publisher_type, schema_version, definition_digest, \
    manifest_digest, lock_digest, package_execution_signature, lineage, readme, source_links, \
    implementation_materials, manifest, service_definition, recommended_lock, published_at, download_count, \
    lifecycle_status, lifecycle_reason, replacement_package_id, replacement_package_version, lifecycle_updated_at, \
    lifecycle_updated_by, receipt_id, registry_signature, receipt_issued_at";

/// The columns of a listing row (no documents).
pub(super) const SUMMARY_COLUMNS: &str = "package_id, package_version, project_ref, product_revision_ref, \
    developer_revision_ref, contract_signature, publisher_id, publisher_type, lineage, published_at, \
    download_count, lifecycle_status, lifecycle_reason, replacement_package_id, replacement_package_version, \
    lifecycle_updated_at, lifecycle_updated_by";

/// Listing order (reference §1.5).
pub(super) const LISTING_ORDER: &str =
    "ORDER BY download_count DESC, published_at DESC, package_id ASC, package_version DESC";

/// Rows strictly after a cursor in listing order ($1 count, $2 published_at, $3 id, $4 version).
pub(super) const AFTER_CURSOR: &str = "(download_count < $1 \
    OR (download_count = $1 AND published_at < $2) \
    OR (download_count = $1 AND published_at = $2 AND package_id > $3) \
    OR (download_count = $1 AND published_at = $2 AND package_id = $3 AND package_version < $4))";

/// Lifecycle states `/download` serves; `$3` is whether yanked versions are allowed.
pub(super) const DOWNLOADABLE: &str = "(lifecycle_status IN ('active', 'superseded', 'deprecated') OR (lifecycle_status = 'yanked' AND $3))";

/// The insert of a new version; does nothing when the id and version exist.
pub(super) fn insert_sql() -> String {
    let columns = "package_id, package_version, project_ref, product_revision_ref, developer_revision_ref, \
        contract_signature, publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, \
        lock_digest, package_execution_signature, lineage, readme, source_links, implementation_materials, \
        manifest, service_definition, recommended_lock, published_at, receipt_id, registry_signature, \
        receipt_issued_at";
    let placeholders: Vec<String> = (1..=24).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO packages ({columns}) VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders.join(", ")
    )
}

/// The text values of an insert, in `insert_sql` order.
pub(super) fn insert_values(p: &StoredPackage) -> [&str; 24] {
    [
        &p.package_id,
        &p.package_version,
        &p.project_ref,
        &p.product_revision_ref,
        &p.developer_revision_ref,
        &p.contract_signature,
        &p.publisher_id,
        &p.publisher_type,
        &p.schema_version,
        &p.definition_digest,
        &p.manifest_digest,
        &p.lock_digest,
        &p.package_execution_signature,
        &p.lineage_json,
        &p.readme,
        &p.source_links_json,
        &p.implementation_materials_json,
        &p.manifest_json,
        &p.service_definition_json,
        &p.recommended_lock_json,
        &p.published_at,
        &p.receipt.receipt_id,
        &p.receipt.registry_signature,
        &p.receipt.issued_at,
    ]
}

/// `$n` placeholders as SQLite's `?n`.
pub(super) fn for_sqlite(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '$' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('?');
        } else {
            out.push(c);
        }
    }
    out
}

fn lifecycle_from_row<'r, R>(row: &'r R) -> Result<Lifecycle, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let replacement_id: Option<String> = row.try_get("replacement_package_id")?;
    let replacement_version: Option<String> = row.try_get("replacement_package_version")?;
    Ok(Lifecycle {
        status: row.try_get("lifecycle_status")?,
        reason: row.try_get("lifecycle_reason")?,
        replacement: match (replacement_id, replacement_version) {
            (Some(package_id), Some(package_version)) => Some(Replacement {
                package_id,
                package_version,
            }),
            _ => None,
        },
        updated_at: row
            .try_get::<Option<String>, _>("lifecycle_updated_at")?
            .unwrap_or_default(),
        updated_by: row
            .try_get::<Option<String>, _>("lifecycle_updated_by")?
            .unwrap_or_default(),
    })
}

/// A full package row.
pub(super) fn package_from_row<'r, R>(row: &'r R) -> Result<StoredPackage, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |column: &'static str| row.try_get::<String, _>(column);
    let package_id = text("package_id")?;
    let package_version = text("package_version")?;
    let publisher_id = text("publisher_id")?;
    let publisher_type = text("publisher_type")?;
    let registry_signature = text("registry_signature")?;
    let parsed = registry_signature.parse::<RegistrySignature>().ok();
    let receipt = Receipt {
        receipt_id: text("receipt_id")?,
        package_id: package_id.clone(),
        package_version: package_version.clone(),
        signature_algorithm: parsed
            .as_ref()
            .map(|s| s.algorithm().to_owned())
            .unwrap_or_default(),
        key_id: parsed
            .as_ref()
            .map(|s| s.key_id().to_string())
            .unwrap_or_default(),
        registry_signature,
        publisher_id: publisher_id.clone(),
        publisher_type: publisher_type.clone(),
        issued_at: text("receipt_issued_at")?,
    };
    Ok(StoredPackage {
        project_ref: text("project_ref")?,
        product_revision_ref: text("product_revision_ref")?,
        developer_revision_ref: text("developer_revision_ref")?,
        contract_signature: text("contract_signature")?,
        schema_version: text("schema_version")?,
        definition_digest: text("definition_digest")?,
        manifest_digest: text("manifest_digest")?,
        lock_digest: text("lock_digest")?,
        package_execution_signature: text("package_execution_signature")?,
        lineage_json: text("lineage")?,
        readme: text("readme")?,
        source_links_json: text("source_links")?,
        implementation_materials_json: text("implementation_materials")?,
        manifest_json: text("manifest")?,
        service_definition_json: text("service_definition")?,
        recommended_lock_json: text("recommended_lock")?,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        lifecycle: lifecycle_from_row(row)?,
        receipt,
        package_id,
        package_version,
        publisher_id,
        publisher_type,
    })
}

/// A listing row.
pub(super) fn summary_from_row<'r, R>(row: &'r R) -> Result<PublicationSummary, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |column: &'static str| row.try_get::<String, _>(column);
    let lineage = serde_json::from_str::<serde_json::Value>(&text("lineage")?)
        .ok()
        .filter(|l| l.as_object().is_some_and(|o| !o.is_empty()));
    Ok(PublicationSummary {
        package_id: text("package_id")?,
        package_version: text("package_version")?,
        project_ref: text("project_ref")?,
        product_revision_ref: text("product_revision_ref")?,
        developer_revision_ref: text("developer_revision_ref")?,
        contract_signature: text("contract_signature")?,
        publisher_id: text("publisher_id")?,
        publisher_type: text("publisher_type")?,
        lineage,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        lifecycle: lifecycle_from_row(row)?,
    })
}

/// The lifecycle of whatever row a lifecycle-only query returned.
pub(super) fn lifecycle_only<'r, R>(row: &'r R) -> Result<Lifecycle, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    lifecycle_from_row(row)
}

/// Download count and lifecycle.
pub(super) fn state_from_row<'r, R>(row: &'r R) -> Result<super::PackageState, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(super::PackageState {
        download_count: row.try_get("download_count")?,
        lifecycle: lifecycle_from_row(row)?,
    })
}

/// The lifecycle columns.
pub(super) const LIFECYCLE_COLUMNS: &str = "lifecycle_status, lifecycle_reason, replacement_package_id, \
    replacement_package_version, lifecycle_updated_at, lifecycle_updated_by";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_for_sqlite() {
        assert_eq!(
            for_sqlite("a = $1 AND b = $12 AND c = '$x'"),
            "a = ?1 AND b = ?12 AND c = '$x'"
        );
    }
}
