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
        receipt_issued_at, version_key";
    let placeholders: Vec<String> = (1..=25).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO packages ({columns}) VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders.join(", ")
    )
}

/// The precedence key stored with a version (`version_key`): the version without build metadata, so the UNIQUE
/// `(id, version_key)` index admits one version per SemVer precedence. A version that does not parse (never
/// stored: publish validates first) keys as itself.
pub(super) fn precedence_key(version: &str) -> String {
    verifier::version::precedence_key(version).unwrap_or_else(|| version.to_owned())
}

/// The text values of an insert, in `insert_sql` order (the 25th, `version_key`, is [`precedence_key`]).
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

/// Every column of a template row.
pub(super) const TEMPLATE_COLUMNS: &str = "template_id, template_version, template_kind, project_type, \
    anip_spec_version, domain, industry, systems, publisher_id, publisher_type, manifest_digest, template_digest, \
    package_digest, manifest, template, package, published_at, download_count, receipt_id, registry_signature, \
    receipt_issued_at";

/// The columns of a template listing row: no package document (it repeats the manifest and template).
pub(super) const TEMPLATE_SUMMARY_COLUMNS: &str = "template_id, template_version, template_kind, project_type, \
    anip_spec_version, domain, industry, systems, publisher_id, publisher_type, manifest_digest, template_digest, \
    package_digest, manifest, template, '' AS package, published_at, download_count, receipt_id, \
    registry_signature, receipt_issued_at";

/// Template listing order.
pub(super) const TEMPLATE_ORDER: &str =
    "ORDER BY download_count DESC, published_at DESC, template_id ASC, template_version DESC";

/// The insert of a new template version; does nothing when it exists.
pub(super) fn insert_template_sql() -> String {
    let placeholders: Vec<String> = (1..=21).map(|i| format!("${i}")).collect();
    format!(
        "INSERT INTO templates (template_id, template_version, template_kind, project_type, anip_spec_version, \
         domain, industry, systems, publisher_id, publisher_type, manifest_digest, template_digest, package_digest, \
         manifest, template, package, published_at, receipt_id, registry_signature, receipt_issued_at, \
         version_key) \
         VALUES ({}) ON CONFLICT DO NOTHING",
        placeholders.join(", ")
    )
}

/// The text values of a template insert.
pub(super) fn insert_template_values(t: &super::StoredTemplate) -> [&str; 20] {
    [
        &t.template_id,
        &t.template_version,
        &t.template_kind,
        &t.project_type,
        &t.anip_spec_version,
        &t.domain,
        &t.industry,
        &t.systems_json,
        &t.publisher_id,
        &t.publisher_type,
        &t.manifest_digest,
        &t.template_digest,
        &t.package_digest,
        &t.manifest_json,
        &t.template_json,
        &t.package_json,
        &t.published_at,
        &t.receipt.receipt_id,
        &t.receipt.registry_signature,
        &t.receipt.issued_at,
    ]
}

/// A template row.
pub(super) fn template_from_row<'r, R>(row: &'r R) -> Result<super::StoredTemplate, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |column: &'static str| row.try_get::<String, _>(column);
    let registry_signature = text("registry_signature")?;
    let parsed = registry_signature.parse::<RegistrySignature>().ok();
    let receipt = verifier::template_receipt::TemplateReceipt {
        receipt_id: text("receipt_id")?,
        receipt_type: verifier::template_receipt::TEMPLATE_RECEIPT_TYPE.to_owned(),
        template_id: text("template_id")?,
        template_version: text("template_version")?,
        manifest_digest: text("manifest_digest")?,
        template_digest: text("template_digest")?,
        package_digest: text("package_digest")?,
        signature_algorithm: parsed
            .as_ref()
            .map(|s| s.algorithm().to_owned())
            .unwrap_or_default(),
        key_id: parsed
            .as_ref()
            .map(|s| s.key_id().to_string())
            .unwrap_or_default(),
        registry_signature,
        publisher_id: text("publisher_id")?,
        publisher_type: text("publisher_type")?,
        issued_at: text("receipt_issued_at")?,
    };
    Ok(super::StoredTemplate {
        template_id: text("template_id")?,
        template_version: text("template_version")?,
        template_kind: text("template_kind")?,
        project_type: text("project_type")?,
        anip_spec_version: text("anip_spec_version")?,
        domain: text("domain")?,
        industry: text("industry")?,
        systems_json: text("systems")?,
        publisher_id: text("publisher_id")?,
        publisher_type: text("publisher_type")?,
        manifest_digest: text("manifest_digest")?,
        template_digest: text("template_digest")?,
        package_digest: text("package_digest")?,
        manifest_json: text("manifest")?,
        template_json: text("template")?,
        package_json: text("package")?,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        receipt,
    })
}

/// Sets a version's lifecycle ($1 id, $2 version, $3 status, $4 reason, $5/$6 replacement, $7 at, $8 by).
pub(super) fn update_lifecycle_sql() -> String {
    format!(
        "UPDATE packages SET lifecycle_status = $3, lifecycle_reason = $4, replacement_package_id = $5, \
         replacement_package_version = $6, lifecycle_updated_at = $7, lifecycle_updated_by = $8 \
         WHERE package_id = $1 AND package_version = $2 RETURNING download_count, {LIFECYCLE_COLUMNS}"
    )
}

/// Records a lifecycle change ($1 id, $2 version, $3 from, $4 to, $5 reason, $6/$7 replacement, $8 by, $9 at).
pub(super) const INSERT_EVENT: &str = "INSERT INTO lifecycle_events (package_id, package_version, from_status, \
    to_status, reason, replacement_package_id, replacement_package_version, changed_by, changed_at) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";

/// Records a lifecycle change reading the old status in the same statement ($1 id, $2 version, $3 to, $4 reason,
/// $5/$6 replacement, $7 by, $8 at).
pub(super) const EVENT_FROM_CURRENT: &str = "INSERT INTO lifecycle_events (package_id, package_version, \
    from_status, to_status, reason, replacement_package_id, replacement_package_version, changed_by, changed_at) \
    SELECT package_id, package_version, lifecycle_status, $3, $4, $5, $6, $7, $8 FROM packages \
    WHERE package_id = $1 AND package_version = $2";

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
