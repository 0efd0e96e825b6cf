//! Row mapping shared by both stores, and the `$n` → `?n` placeholder translation for SQLite.

use sqlx::{ColumnIndex, Decode, Row, Type};
use verifier::receipt::Receipt;
use verifier::record::{Lifecycle, Replacement};
use verifier::signature::RegistrySignature;

use super::{Card, PublicationSummary, StoredPackage};

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
        status: row.try_get::<String, _>("lifecycle_status")?.into(),
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

/// The card columns of a row, when computed.
fn card_from_row<'r, R>(row: &'r R) -> Result<Option<Card>, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let Some(name) = row.try_get::<Option<String>, _>("card_name")? else {
        return Ok(None);
    };
    let text = |column: &'static str| {
        row.try_get::<Option<String>, _>(column)
            .map(Option::unwrap_or_default)
    };
    Ok(Some(Card {
        name,
        description: text("card_description")?,
        capabilities_json: text("card_capabilities")?,
        search_ident: text("search_ident")?,
        search_content: text("search_content")?,
    }))
}

/// A package receipt from the receipt columns of its row.
pub(super) fn receipt_from_row<'r, R>(row: &'r R) -> Result<Receipt, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |column: &'static str| row.try_get::<String, _>(column);
    let registry_signature = text("registry_signature")?;
    let parsed = registry_signature.parse::<RegistrySignature>().ok();
    Ok(Receipt {
        receipt_id: text("receipt_id")?,
        package_id: text("package_id")?,
        package_version: text("package_version")?,
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
    })
}

/// A full package: its row, count and documents.
pub(super) fn package_from_row<'r, R>(row: &'r R) -> Result<StoredPackage, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    let text = |column: &'static str| row.try_get::<String, _>(column);
    Ok(StoredPackage {
        package_id: text("package_id")?,
        package_version: text("package_version")?,
        project_ref: text("project_ref")?,
        product_revision_ref: text("product_revision_ref")?,
        developer_revision_ref: text("developer_revision_ref")?,
        contract_signature: text("contract_signature")?,
        publisher_id: text("publisher_id")?,
        publisher_type: text("publisher_type")?,
        schema_version: text("schema_version")?,
        definition_digest: text("definition_digest")?,
        manifest_digest: text("manifest_digest")?,
        lock_digest: text("lock_digest")?,
        package_execution_signature: text("package_execution_signature")?,
        lineage_json: document(text("lineage")?)?,
        readme: text("readme")?,
        source_links_json: document(text("source_links")?)?,
        implementation_materials_json: document(text("implementation_materials")?)?,
        manifest_json: document(text("manifest")?)?,
        service_definition_json: document(text("service_definition")?)?,
        recommended_lock_json: document(text("recommended_lock")?)?,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        lifecycle: lifecycle_from_row(row)?,
        receipt: receipt_from_row(row)?,
        card: card_from_row(row)?,
        verification: row.try_get("verification")?,
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
        publisher: owner_from_row(row)?,
        lineage,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        lifecycle: lifecycle_from_row(row)?,
    })
}

/// The row's owner, when it was read with the owner columns (`sql::OWNER_COLUMNS`) and has one.
fn owner_from_row<'r, R>(
    row: &'r R,
) -> Result<Option<crate::auth::summary::PublisherSummary>, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    // Queries without the owner columns (the UI's) have no owner to give.
    let Ok(Some(publisher_id)) = row.try_get::<Option<String>, _>("owner_id") else {
        return Ok(None);
    };
    let text = |column: &'static str| {
        row.try_get::<Option<String>, _>(column)
            .map(Option::unwrap_or_default)
    };
    Ok(Some(crate::auth::summary::PublisherSummary {
        publisher_id,
        publisher_type: text("owner_type")?,
        display_name: text("owner_name")?,
        website_url: text("owner_website")?,
        status: text("owner_status")?,
        trust_level: text("owner_trust")?,
    }))
}

/// A listing row with its card.
pub(super) fn version_from_row<'r, R>(row: &'r R) -> Result<super::VersionRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(super::VersionRow {
        summary: summary_from_row(row)?,
        card: card_from_row(row)?,
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

/// A template row.
pub(super) fn template_from_row<'r, R>(row: &'r R) -> Result<super::StoredTemplate, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
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
        owner: owner_from_row(row)?,
        template_id: text("template_id")?,
        template_version: text("template_version")?,
        template_kind: text("template_kind")?,
        project_type: text("project_type")?,
        anip_spec_version: text("anip_spec_version")?,
        domain: text("domain")?,
        industry: text("industry")?,
        systems_json: document(text("systems")?)?,
        publisher_id: text("publisher_id")?,
        publisher_type: text("publisher_type")?,
        manifest_digest: text("manifest_digest")?,
        template_digest: text("template_digest")?,
        package_digest: text("package_digest")?,
        manifest_json: document(text("manifest")?)?,
        template_json: document(text("template")?)?,
        package_json: document(text("package")?)?,
        published_at: text("published_at")?,
        download_count: row.try_get("download_count")?,
        receipt,
        card: card_from_row(row)?,
        verification: row.try_get("verification")?,
    })
}

/// A stored document column, checked to be one JSON value (a row that is not is a decode error, never served).
fn document(text: String) -> Result<super::Document, sqlx::Error> {
    super::Document::parse(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

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
