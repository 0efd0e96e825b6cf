//! SQL text shared by both stores (written with `$n` placeholders; SQLite reads them as `?n`).

use super::{Kind, StoredPackage, StoredTemplate};

/// The columns of a package's listing row, as `p.<column>` (no documents, no count).
pub(super) const PACKAGE_ROW: &str = "p.package_id, p.package_version, p.project_ref, p.product_revision_ref, \
    p.developer_revision_ref, p.contract_signature, p.publisher_id, p.publisher_type, p.schema_version, \
    p.definition_digest, p.manifest_digest, p.lock_digest, p.package_execution_signature, p.lineage, p.published_at, \
    p.lifecycle_status, p.lifecycle_reason, p.replacement_package_id, p.replacement_package_version, \
    p.lifecycle_updated_at, p.lifecycle_updated_by, p.receipt_id, p.registry_signature, p.receipt_issued_at, \
    p.card_name, p.card_description, p.card_capabilities, p.search_ident, p.search_content, p.verification, p.seq";

/// The columns a `PublicationSummary` is read from (listings), as `p.<column>`: only what the summary shows, so a
/// listing reads and decodes a third of [`PACKAGE_ROW`].
pub(super) const SUMMARY_ROW: &str = "p.package_id, p.package_version, p.project_ref, p.product_revision_ref, \
    p.developer_revision_ref, p.contract_signature, p.publisher_id, p.publisher_type, p.lineage, p.published_at, \
    p.lifecycle_status, p.lifecycle_reason, p.replacement_package_id, p.replacement_package_version, \
    p.lifecycle_updated_at, p.lifecycle_updated_by, p.seq";

/// A package's documents, as `doc.<column>`.
pub(super) const PACKAGE_DOCUMENTS: &str = "doc.readme, doc.source_links, doc.implementation_materials, \
    doc.manifest, doc.service_definition, doc.recommended_lock";

/// The flushed download count of the row `p` (joined with [`PACKAGE_DOWNLOADS_JOIN`]).
pub(super) const COUNT: &str = "COALESCE(d.download_count, 0) AS download_count";

/// Joins a package row `p` to its download count `d`.
pub(super) const PACKAGE_DOWNLOADS_JOIN: &str = "LEFT JOIN package_downloads d \
    ON d.package_id = p.package_id AND d.package_version = p.package_version";

/// The active owner of the package row `p` (joined with [`PACKAGE_OWNER_JOIN`]), `NULL`s without one.
pub(super) const OWNER_COLUMNS: &str = "op.publisher_id AS owner_id, op.publisher_type AS owner_type, \
    op.display_name AS owner_name, op.website_url AS owner_website, op.status AS owner_status, \
    op.trust_level AS owner_trust";

/// Joins a package row `p` to its active ownership row (by folded id, as ownership is held) and its publisher.
pub(super) const PACKAGE_OWNER_JOIN: &str = "LEFT JOIN artifact_ownership o ON o.artifact_kind = 'package' \
    AND o.folded_id = replace(replace(p.package_id, '_', '-'), '.', '-') AND o.status = 'active' \
    LEFT JOIN publishers op ON op.publisher_id = o.publisher_id";

/// Joins a template row `t` to its active ownership row and its publisher (as [`PACKAGE_OWNER_JOIN`]).
pub(super) const TEMPLATE_OWNER_JOIN: &str = "LEFT JOIN artifact_ownership o ON o.artifact_kind = 'template' \
    AND o.folded_id = replace(replace(t.template_id, '_', '-'), '.', '-') AND o.status = 'active' \
    LEFT JOIN publishers op ON op.publisher_id = o.publisher_id";

/// The lifecycle columns.
pub(super) const LIFECYCLE_COLUMNS: &str = "lifecycle_status, lifecycle_reason, replacement_package_id, \
    replacement_package_version, lifecycle_updated_at, lifecycle_updated_by";

/// ANIP's listing order (reference §1.5), for the unpaged listing.
pub(super) const ANIP_ORDER: &str =
    "ORDER BY download_count DESC, p.published_at DESC, p.package_id ASC, p.package_version DESC";

/// The unpaged listing, row by row: every version's summary columns, count and owner, in [`ANIP_ORDER`].
pub(super) fn package_listing_sql() -> String {
    format!(
        "SELECT {SUMMARY_ROW}, {COUNT}, {OWNER_COLUMNS} FROM packages p {PACKAGE_DOWNLOADS_JOIN} \
         {PACKAGE_OWNER_JOIN} {ANIP_ORDER}"
    )
}

/// The insert of a new package row; `seq` is the backend's next publication number. Does nothing when the id and
/// version exist.
pub(super) fn insert_package_sql(seq: &str) -> String {
    let columns = "package_id, package_version, project_ref, product_revision_ref, developer_revision_ref, \
        contract_signature, publisher_id, publisher_type, schema_version, definition_digest, manifest_digest, \
        lock_digest, package_execution_signature, lineage, published_at, receipt_id, registry_signature, \
        receipt_issued_at, card_name, card_description, card_capabilities, search_ident, search_content, \
        verification, version_key";
    format!(
        "INSERT INTO packages ({columns}, seq) VALUES ({}, {seq}) ON CONFLICT DO NOTHING",
        placeholders(1, 25)
    )
}

/// The precedence key stored with a version (`version_key`, bound after the values of an insert): the version
/// without build metadata, so the UNIQUE `(id, version_key)` index admits one version per SemVer precedence. A
/// version that does not parse (never stored: publish validates first) keys as itself.
pub(super) fn precedence_key(version: &str) -> String {
    verifier::version::precedence_key(version).unwrap_or_else(|| version.to_owned())
}

/// `$from, …, $to`.
fn placeholders(from: usize, to: usize) -> String {
    (from..=to)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The values of [`insert_package_sql`], in order.
pub(super) fn insert_package_values(p: &StoredPackage) -> [Option<&str>; 24] {
    let card = p.card.as_ref();
    [
        Some(p.package_id.as_str()),
        Some(p.package_version.as_str()),
        Some(p.project_ref.as_str()),
        Some(p.product_revision_ref.as_str()),
        Some(p.developer_revision_ref.as_str()),
        Some(p.contract_signature.as_str()),
        Some(p.publisher_id.as_str()),
        Some(p.publisher_type.as_str()),
        Some(p.schema_version.as_str()),
        Some(p.definition_digest.as_str()),
        Some(p.manifest_digest.as_str()),
        Some(p.lock_digest.as_str()),
        Some(p.package_execution_signature.as_str()),
        Some(p.lineage_json.as_str()),
        Some(p.published_at.as_str()),
        Some(p.receipt.receipt_id.as_str()),
        Some(p.receipt.registry_signature.as_str()),
        Some(p.receipt.issued_at.as_str()),
        card.map(|c| c.name.as_str()),
        card.map(|c| c.description.as_str()),
        card.map(|c| c.capabilities_json.as_str()),
        card.map(|c| c.search_ident.as_str()),
        card.map(|c| c.search_content.as_str()),
        p.verification.as_deref(),
    ]
}

/// The insert of a package's documents.
pub(super) const INSERT_PACKAGE_DOCUMENTS: &str = "INSERT INTO package_documents (package_id, package_version, \
    readme, source_links, implementation_materials, manifest, service_definition, recommended_lock) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

/// The values of [`INSERT_PACKAGE_DOCUMENTS`].
pub(super) fn package_document_values(p: &StoredPackage) -> [&str; 8] {
    [
        &p.package_id,
        &p.package_version,
        &p.readme,
        &p.source_links_json,
        &p.implementation_materials_json,
        &p.manifest_json,
        &p.service_definition_json,
        &p.recommended_lock_json,
    ]
}

/// Counts one more version under an id ($1 id, $2 published_at).
pub(super) fn upsert_id_sql(kind: Kind) -> String {
    let (table, id) = ids_table(kind);
    format!(
        "INSERT INTO {table} ({id}, version_count, downloads, latest_published_at) VALUES ($1, 1, 0, $2) \
         ON CONFLICT ({id}) DO UPDATE SET version_count = {table}.version_count + 1, \
         latest_published_at = CASE WHEN excluded.latest_published_at > {table}.latest_published_at \
         THEN excluded.latest_published_at ELSE {table}.latest_published_at END"
    )
}

/// The per-id table of a kind and its id column.
pub(super) fn ids_table(kind: Kind) -> (&'static str, &'static str) {
    match kind {
        Kind::Package => ("package_ids", "package_id"),
        Kind::Template => ("template_ids", "template_id"),
    }
}

/// The version table of a kind, its id and version columns.
pub(super) fn versions_table(kind: Kind) -> (&'static str, &'static str, &'static str) {
    match kind {
        Kind::Package => ("packages", "package_id", "package_version"),
        Kind::Template => ("templates", "template_id", "template_version"),
    }
}

/// Adds `rows` download deltas ($1 id, $2 version, $3 count, …) to a kind's count table, creating missing rows.
pub(super) fn add_downloads_sql(kind: Kind, rows: usize) -> String {
    let (table, id, version) = match kind {
        Kind::Package => ("package_downloads", "package_id", "package_version"),
        Kind::Template => ("template_downloads", "template_id", "template_version"),
    };
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(${}, ${}, ${})", 3 * i + 1, 3 * i + 2, 3 * i + 3))
        .collect();
    format!(
        "INSERT INTO {table} ({id}, {version}, download_count) VALUES {} \
         ON CONFLICT ({id}, {version}) DO UPDATE SET download_count = {table}.download_count + \
         excluded.download_count",
        values.join(", ")
    )
}

/// Adds `rows` per-id download deltas ($1 id, $2 count, …) to a kind's id table.
pub(super) fn add_id_downloads_sql(kind: Kind, rows: usize) -> String {
    let (table, id) = ids_table(kind);
    let values: Vec<String> = (0..rows)
        .map(|i| format!("(${}, ${})", 2 * i + 1, 2 * i + 2))
        .collect();
    format!(
        "UPDATE {table} SET downloads = {table}.downloads + v.column2 FROM (VALUES {}) AS v \
         WHERE {table}.{id} = v.column1",
        values.join(", ")
    )
}

/// The columns of a template row (`t.`) without the template and package documents.
pub(super) const TEMPLATE_ROW: &str = "t.template_id, t.template_version, t.template_kind, t.project_type, \
    t.anip_spec_version, t.domain, t.industry, t.systems, t.publisher_id, t.publisher_type, t.manifest_digest, \
    t.template_digest, t.package_digest, t.manifest, t.published_at, t.receipt_id, t.registry_signature, \
    t.receipt_issued_at, t.card_name, t.card_description, t.card_capabilities, t.search_ident, t.search_content, \
    t.verification, t.seq";

/// Joins a template row `t` to its download count `d`.
pub(super) const TEMPLATE_DOWNLOADS_JOIN: &str = "LEFT JOIN template_downloads d \
    ON d.template_id = t.template_id AND d.template_version = t.template_version";

/// Template listing order (downloads, newest, id, version).
pub(super) const TEMPLATE_ANIP_ORDER: &str =
    "ORDER BY download_count DESC, t.published_at DESC, t.template_id ASC, t.template_version DESC";

/// The insert of a new template row; `seq` is the backend's next publication number.
pub(super) fn insert_template_sql(seq: &str) -> String {
    format!(
        "INSERT INTO templates (template_id, template_version, template_kind, project_type, anip_spec_version, \
         domain, industry, systems, publisher_id, publisher_type, manifest_digest, template_digest, package_digest, \
         manifest, published_at, receipt_id, registry_signature, receipt_issued_at, card_name, card_description, \
         card_capabilities, search_ident, search_content, verification, version_key, seq) VALUES ({}, {seq}) \
         ON CONFLICT DO NOTHING",
        placeholders(1, 25)
    )
}

/// The values of [`insert_template_sql`].
pub(super) fn insert_template_values(t: &StoredTemplate) -> [Option<&str>; 24] {
    let card = t.card.as_ref();
    [
        Some(t.template_id.as_str()),
        Some(t.template_version.as_str()),
        Some(t.template_kind.as_str()),
        Some(t.project_type.as_str()),
        Some(t.anip_spec_version.as_str()),
        Some(t.domain.as_str()),
        Some(t.industry.as_str()),
        Some(t.systems_json.as_str()),
        Some(t.publisher_id.as_str()),
        Some(t.publisher_type.as_str()),
        Some(t.manifest_digest.as_str()),
        Some(t.template_digest.as_str()),
        Some(t.package_digest.as_str()),
        Some(t.manifest_json.as_str()),
        Some(t.published_at.as_str()),
        Some(t.receipt.receipt_id.as_str()),
        Some(t.receipt.registry_signature.as_str()),
        Some(t.receipt.issued_at.as_str()),
        card.map(|c| c.name.as_str()),
        card.map(|c| c.description.as_str()),
        card.map(|c| c.capabilities_json.as_str()),
        card.map(|c| c.search_ident.as_str()),
        card.map(|c| c.search_content.as_str()),
        t.verification.as_deref(),
    ]
}

/// The insert of a template's documents ($1 id, $2 version, $3 template, $4 package).
pub(super) const INSERT_TEMPLATE_DOCUMENTS: &str = "INSERT INTO template_documents (template_id, template_version, \
    template, package) VALUES ($1, $2, $3, $4)";

/// Sets a version's lifecycle ($1 id, $2 version, $3 status, $4 reason, $5/$6 replacement, $7 at, $8 by).
pub(super) fn update_lifecycle_sql() -> String {
    format!(
        "UPDATE packages SET lifecycle_status = $3, lifecycle_reason = $4, replacement_package_id = $5, \
         replacement_package_version = $6, lifecycle_updated_at = $7, lifecycle_updated_by = $8 \
         WHERE package_id = $1 AND package_version = $2 RETURNING {LIFECYCLE_COLUMNS}"
    )
}

/// A version's flushed download count ($1 id, $2 version).
pub(super) const PACKAGE_COUNT: &str =
    "SELECT download_count FROM package_downloads WHERE package_id = $1 AND package_version = $2";

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

/// A search term as a `LIKE` pattern matching it anywhere.
pub(super) fn like_pattern(term: &str) -> String {
    let mut out = String::with_capacity(term.len() + 2);
    out.push('%');
    for c in term.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// The UI's recent versions of `ids` ids of `kind` ($1 the number per id, $2.. the ids): one `ORDER BY seq DESC
/// LIMIT $1` per id, each served by the `(id, seq)` index, so the rows read are at most `ids × $1` whatever the
/// number of versions an id has.
pub(super) fn recent_versions_sql(kind: Kind, ids: usize) -> String {
    let part = |n: usize| match kind {
        Kind::Package => format!(
            "SELECT * FROM (SELECT {PACKAGE_ROW}, {COUNT} FROM packages p {PACKAGE_DOWNLOADS_JOIN} \
             WHERE p.package_id = ${n} ORDER BY p.seq DESC LIMIT $1) AS x{n}"
        ),
        Kind::Template => format!(
            "SELECT * FROM (SELECT {TEMPLATE_ROW}, {COUNT}, 'null' AS template, 'null' AS package FROM templates t \
             {TEMPLATE_DOWNLOADS_JOIN} WHERE t.template_id = ${n} ORDER BY t.seq DESC LIMIT $1) AS x{n}"
        ),
    };
    (2..2 + ids)
        .map(part)
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

/// The current versions of `ids` ids of `kind` ($1..) — for packages active, superseded or deprecated, for templates
/// all — as (id, version): two narrow columns read from a covering index alone, for choosing each id's latest.
pub(super) fn current_versions_sql(kind: Kind, ids: usize) -> String {
    let (table, id, version) = versions_table(kind);
    let current = match kind {
        Kind::Package => " AND lifecycle_status IN ('active', 'superseded', 'deprecated')",
        Kind::Template => "",
    };
    format!(
        "SELECT {id}, {version} FROM {table} WHERE {id} IN ({}){current}",
        placeholders(1, ids)
    )
}

/// One version's UI row of `kind` ($1 id, $2 version).
pub(super) fn version_row_sql(kind: Kind) -> String {
    match kind {
        Kind::Package => format!(
            "SELECT {PACKAGE_ROW}, {COUNT} FROM packages p {PACKAGE_DOWNLOADS_JOIN} \
             WHERE p.package_id = $1 AND p.package_version = $2"
        ),
        Kind::Template => format!(
            "SELECT {TEMPLATE_ROW}, {COUNT}, 'null' AS template, 'null' AS package FROM templates t \
             {TEMPLATE_DOWNLOADS_JOIN} WHERE t.template_id = $1 AND t.template_version = $2"
        ),
    }
}
