//! The stored form of a version the origin served and the follower checked: the record's members taken as the
//! origin's bytes (documents embedded as its stored canonical text), the origin's receipt, publisher and times.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use verifier::receipt::Receipt;
use verifier::record::Lifecycle;
use verifier::template_receipt::TemplateReceipt;

use crate::store::{Document, StoredPackage, StoredTemplate};

/// A record's members as served.
struct Members(BTreeMap<String, Box<RawValue>>);

impl Members {
    fn parse(bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes)
            .map(Members)
            .map_err(|e| format!("the record is not a JSON object: {e}"))
    }

    /// A string member (empty when absent or `null`).
    fn text(&self, name: &str) -> Result<String, String> {
        match self.0.get(name) {
            None => Ok(String::new()),
            Some(raw) => serde_json::from_str::<Option<String>>(raw.get())
                .map(Option::unwrap_or_default)
                .map_err(|_| format!("the record's {name} is not a string")),
        }
    }

    /// A document member as served, `empty` when absent.
    fn document(&self, name: &str, empty: &str) -> Result<Document, String> {
        let text = self.0.get(name).map_or(empty, |raw| raw.get());
        Document::parse(text.to_owned()).map_err(|e| format!("the record's {name}: {e}"))
    }

    fn lifecycle(&self) -> Result<Lifecycle, String> {
        match self.0.get("lifecycle") {
            None => Ok(Lifecycle::default()),
            Some(raw) => {
                serde_json::from_str(raw.get()).map_err(|e| format!("the record's lifecycle: {e}"))
            }
        }
    }
}

/// The package version to store from the served (and checked) record and receipt.
///
/// Errors: what in the record does not have its shape.
pub fn package(record: &[u8], receipt: &Receipt) -> Result<StoredPackage, String> {
    let m = Members::parse(record)?;
    let mut p = StoredPackage {
        package_id: m.text("package_id")?,
        package_version: m.text("package_version")?,
        project_ref: m.text("project_ref")?,
        product_revision_ref: m.text("product_revision_ref")?,
        developer_revision_ref: m.text("developer_revision_ref")?,
        contract_signature: m.text("contract_signature")?,
        publisher_id: m.text("publisher_id")?,
        publisher_type: m.text("publisher_type")?,
        schema_version: m.text("schema_version")?,
        definition_digest: m.text("definition_digest")?,
        manifest_digest: m.text("manifest_digest")?,
        lock_digest: m.text("lock_digest")?,
        package_execution_signature: m.text("package_execution_signature")?,
        lineage_json: m.document("lineage", "{}")?,
        readme: m.text("readme")?,
        source_links_json: m.document("source_links", "[]")?,
        implementation_materials_json: m.document("implementation_materials", "[]")?,
        manifest_json: m.document("manifest", "{}")?,
        service_definition_json: m.document("service_definition", "{}")?,
        recommended_lock_json: m.document("recommended_lock", "{}")?,
        published_at: m.text("published_at")?,
        download_count: 0,
        lifecycle: m.lifecycle()?,
        receipt: receipt.clone(),
        card: None,
        verification: None,
    };
    p.card = Some(crate::cards::package_card(&p));
    Ok(p)
}

/// A taken-down package version from its logged entry and its receipt (no documents: the origin serves none):
/// the receipt must rebuild the logged entry byte for byte with the entry's payload values.
///
/// Errors: a logged entry that is not a package version, or a receipt that does not rebuild it.
pub fn taken_down(
    receipt: &Receipt,
    logged: &[u8],
    lifecycle: Lifecycle,
) -> Result<StoredPackage, String> {
    let entry = verifier::tlog::Entry::parse(logged).map_err(|e| e.to_string())?;
    let field = |name: &str| entry.get(name).unwrap_or("").to_owned();
    let payload = verifier::receipt::ReceiptPayload {
        package_id: field("package_id"),
        package_version: field("package_version"),
        contract_signature: field("contract_signature"),
        definition_digest: field("definition_digest"),
        manifest_digest: field("manifest_digest"),
        lock_digest: field("lock_digest"),
        package_execution_signature: field("package_execution_signature"),
        issued_at: field("issued_at"),
        publisher_id: field("publisher_id"),
        publisher_type: field("publisher_type"),
        ..Default::default()
    };
    let rebuilt = verifier::tlog::Entry::from_receipt(receipt, &payload)
        .and_then(|e| e.to_bytes())
        .map_err(|e| e.to_string())?;
    if rebuilt != logged {
        return Err("the receipt served is not the one the log holds".into());
    }
    let empty = |text: &str| Document::parse(text.to_owned()).map_err(|e| e.to_string());
    let mut p = StoredPackage {
        package_id: payload.package_id,
        package_version: payload.package_version,
        project_ref: String::new(),
        product_revision_ref: String::new(),
        developer_revision_ref: String::new(),
        contract_signature: payload.contract_signature,
        publisher_id: payload.publisher_id,
        publisher_type: payload.publisher_type,
        schema_version: String::new(),
        definition_digest: payload.definition_digest,
        manifest_digest: payload.manifest_digest,
        lock_digest: payload.lock_digest,
        package_execution_signature: payload.package_execution_signature,
        lineage_json: empty("{}")?,
        readme: String::new(),
        source_links_json: empty("[]")?,
        implementation_materials_json: empty("[]")?,
        manifest_json: empty("{}")?,
        service_definition_json: empty("{}")?,
        recommended_lock_json: empty("{}")?,
        published_at: payload.issued_at,
        download_count: 0,
        lifecycle,
        receipt: receipt.clone(),
        card: None,
        verification: None,
    };
    p.card = Some(crate::cards::package_card(&p));
    Ok(p)
}

/// The lifecycle a served package record carries.
///
/// Errors: a record that is not an object, or a lifecycle without its shape.
pub fn lifecycle(record: &[u8]) -> Result<Lifecycle, String> {
    Members::parse(record)?.lifecycle()
}

/// The template version to store from the served (and checked) record and receipt.
///
/// Errors: what in the record does not have its shape.
pub fn template(record: &[u8], receipt: &TemplateReceipt) -> Result<StoredTemplate, String> {
    let m = Members::parse(record)?;
    let mut t = StoredTemplate {
        template_id: m.text("template_id")?,
        template_version: m.text("template_version")?,
        template_kind: m.text("template_kind")?,
        project_type: m.text("project_type")?,
        anip_spec_version: m.text("anip_spec_version")?,
        domain: m.text("domain")?,
        industry: m.text("industry")?,
        systems_json: m.document("systems", "[]")?,
        publisher_id: m.text("publisher_id")?,
        publisher_type: m.text("publisher_type")?,
        manifest_digest: m.text("manifest_digest")?,
        template_digest: m.text("template_digest")?,
        package_digest: m.text("package_digest")?,
        manifest_json: m.document("manifest", "{}")?,
        template_json: m.document("template", "{}")?,
        package_json: m.document("package", "{}")?,
        published_at: m.text("published_at")?,
        download_count: 0,
        receipt: receipt.clone(),
        card: None,
        verification: None,
        owner: None,
    };
    t.card = Some(crate::cards::template_card(&t));
    Ok(t)
}
