//! The values the store keeps and returns: stored versions (with their documents), listing rows, states, cursors.

use serde::{Deserialize, Serialize};
use verifier::receipt::Receipt;
use verifier::record::Lifecycle;

/// Everything stored about one package version: metadata, canonical documents, lifecycle and receipt.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPackage {
    /// Package id.
    pub package_id: String,
    /// Package version.
    pub package_version: String,
    /// Project reference.
    pub project_ref: String,
    /// Product revision reference.
    pub product_revision_ref: String,
    /// Developer revision reference.
    pub developer_revision_ref: String,
    /// Contract signature.
    pub contract_signature: String,
    /// Publisher id (from the authenticated identity).
    pub publisher_id: String,
    /// Publisher type.
    pub publisher_type: String,
    /// Service-definition schema version.
    pub schema_version: String,
    /// Definition digest.
    pub definition_digest: String,
    /// Manifest digest.
    pub manifest_digest: String,
    /// Lock digest.
    pub lock_digest: String,
    /// Package execution signature.
    pub package_execution_signature: String,
    /// Lineage as signed, canonical JSON object text (`{}` when none).
    pub lineage_json: super::Document,
    /// README.
    pub readme: String,
    /// Source links, JSON array text.
    pub source_links_json: super::Document,
    /// Implementation materials, JSON array text.
    pub implementation_materials_json: super::Document,
    /// Manifest, canonical text.
    pub manifest_json: super::Document,
    /// Service definition, canonical text.
    pub service_definition_json: super::Document,
    /// Recommended lock, canonical text.
    pub recommended_lock_json: super::Document,
    /// RFC 3339 seconds, UTC.
    pub published_at: String,
    /// Downloads so far.
    pub download_count: i64,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// The signed receipt.
    pub receipt: Receipt,
    /// What the UI lists of it (computed at publish; `None` when stored before cards existed and not yet filled).
    pub card: Option<Card>,
    /// The stored verification verdict (JSON, see `ui::verdict`); `None` until computed.
    pub verification: Option<String>,
}

/// One row of `/publications`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicationSummary {
    /// Package id.
    pub package_id: String,
    /// Package version.
    pub package_version: String,
    /// Project reference.
    pub project_ref: String,
    /// Product revision reference.
    pub product_revision_ref: String,
    /// Developer revision reference.
    pub developer_revision_ref: String,
    /// Contract signature.
    pub contract_signature: String,
    /// Publisher id.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub publisher_id: String,
    /// Publisher type.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub publisher_type: String,
    /// The owner (`PublisherSummary`) while an active ownership row exists.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub publisher: Option<crate::auth::summary::PublisherSummary>,
    /// Lineage.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub lineage: Option<serde_json::Value>,
    /// RFC 3339.
    pub published_at: String,
    /// Downloads so far.
    pub download_count: i64,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
}

/// Where a paged listing continues: just after the version with this publication sequence number. Paged listings
/// run in publication order (oldest first), which never changes once a version is stored: a version published
/// while a client pages appears on a later page, and no version moves between pages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Cursor {
    /// Publication sequence number of the last row served (positive).
    pub after: i64,
}

/// What the UI lists and searches of a version, computed once from its documents (at publish, or by the background
/// backfill for versions stored before these values existed).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Card {
    /// Display name (a package's manifest `name`, a template's title).
    pub name: String,
    /// One line of description (a README's first line of prose, a template's summary).
    pub description: String,
    /// JSON array of `[id, title]` pairs (package capabilities; `[]` for templates).
    pub capabilities_json: String,
    /// Lower-cased text always searchable (ids, version, refs, publisher, kinds).
    pub search_ident: String,
    /// Lower-cased text from the documents (name, description, capabilities); not searched under takedown.
    pub search_content: String,
}

/// Which kind of artifact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    /// A package version.
    Package,
    /// A template version.
    Template,
}

/// Downloads of one version not yet added to the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadDelta {
    /// Package or template.
    pub kind: Kind,
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// How many downloads to add (positive).
    pub count: i64,
}

/// One row of a UI list page: an id with its aggregates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdRow {
    /// Package or template id.
    pub id: String,
    /// Versions stored under it.
    pub version_count: i64,
    /// Downloads of all its versions (flushed ones).
    pub downloads: i64,
}

/// A page of a UI list with the totals of everything that matched.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdPage {
    /// Ids that matched.
    pub total_ids: i64,
    /// Versions of the ids that matched.
    pub total_versions: i64,
    /// This page's rows.
    pub rows: Vec<IdRow>,
}

/// A package version as the UI lists it: the listing row and its card (none until computed).
#[derive(Debug, Clone, PartialEq)]
pub struct VersionRow {
    /// The listing row.
    pub summary: PublicationSummary,
    /// Its card.
    pub card: Option<Card>,
}

/// What an insert found.
#[derive(Debug, Clone, PartialEq)]
pub enum Insert<T = StoredPackage> {
    /// The version is new and now stored.
    Created,
    /// The version was already there (maybe from a racing publish); here it is.
    Existing(Box<T>),
}

/// Everything stored about one template version.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredTemplate {
    /// Template id.
    pub template_id: String,
    /// Template version.
    pub template_version: String,
    /// `template.kind`.
    pub template_kind: String,
    /// `template.projectType`.
    pub project_type: String,
    /// `template.anipSpecVersion`.
    pub anip_spec_version: String,
    /// `template.domain`.
    pub domain: String,
    /// `manifest.industry` or `template.industry`.
    pub industry: String,
    /// `manifest.systems`, JSON array text.
    pub systems_json: super::Document,
    /// Publisher id.
    pub publisher_id: String,
    /// Publisher type.
    pub publisher_type: String,
    /// Manifest digest.
    pub manifest_digest: String,
    /// Template digest.
    pub template_digest: String,
    /// Package digest.
    pub package_digest: String,
    /// Manifest, canonical text.
    pub manifest_json: super::Document,
    /// Template, canonical text.
    pub template_json: super::Document,
    /// Package (what `/download` serves), canonical text.
    pub package_json: super::Document,
    /// RFC 3339.
    pub published_at: String,
    /// Downloads so far.
    pub download_count: i64,
    /// The signed template receipt.
    pub receipt: verifier::template_receipt::TemplateReceipt,
    /// What the UI lists of it.
    pub card: Option<Card>,
    /// The stored verification verdict (JSON); `None` until computed.
    pub verification: Option<String>,
    /// The owner (`PublisherSummary`), read by listings only.
    pub owner: Option<crate::auth::summary::PublisherSummary>,
}

/// A lifecycle change requested by an admin or (yank, un-yank) by the version's owner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleChange {
    /// The new state (status, reason, replacement, updated_at, updated_by).
    pub lifecycle: Lifecycle,
    /// Statuses the version may be in for the change to apply (checked in the change's transaction); any when
    /// empty. Otherwise 409 `lifecycle_conflict` naming the current status.
    pub from: Vec<&'static str>,
    /// The audit event written in the same transaction.
    pub audit: Option<super::AuditEvent>,
    /// The publisher that must own the id (an active ownership row), checked in the change's transaction; else
    /// 403 `not_owner`.
    pub owner: Option<String>,
}

/// The owner check of a lifecycle change, given the id's active owner (`held`).
pub fn owner_refusal(
    change: &LifecycleChange,
    package_id: &str,
    held: Option<&str>,
) -> Option<crate::error::Error> {
    let owner = change.owner.as_deref()?;
    if held == Some(owner) {
        return None;
    }
    let mut context = serde_json::Map::new();
    context.insert("artifact_id".into(), package_id.into());
    Some(crate::error::Error::Refused {
        status: axum::http::StatusCode::FORBIDDEN,
        code: "not_owner",
        message: format!("{package_id:?} is not an active package of publisher {owner:?}"),
        context,
    })
}

/// The active owner of package `$1`.
pub(super) const ACTIVE_OWNER: &str = "SELECT publisher_id FROM artifact_ownership WHERE artifact_kind = 'package' AND artifact_id = $1 AND status = 'active'";

/// 409 `lifecycle_conflict`: the version is `current`, which `change` may not move from.
pub fn lifecycle_conflict(change: &LifecycleChange, current: &str) -> crate::error::Error {
    let mut context = serde_json::Map::new();
    context.insert("current_status".into(), current.into());
    crate::error::Error::Refused {
        status: axum::http::StatusCode::CONFLICT,
        code: "lifecycle_conflict",
        message: format!(
            "the version is {current}; this change applies only to a version that is {}",
            change.from.join(" or ")
        ),
        context,
    }
}

/// The parts of a stored version that change after publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageState {
    /// Downloads so far.
    pub download_count: i64,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
}

/// Applied and pending migrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// Applied migrations, by description.
    pub applied: Vec<String>,
    /// Migrations this binary has that the database lacks.
    pub pending: Vec<String>,
}

/// One version in an id's version list (`GET /packages/{id}`, `GET /templates/{id}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdVersion {
    /// The version.
    pub version: String,
    /// RFC 3339 seconds, UTC.
    pub published_at: String,
    /// Flushed downloads.
    pub download_count: i64,
    /// Lifecycle (packages; `None` for templates, which have none).
    pub lifecycle: Option<Lifecycle>,
}

/// A page of one id's versions, highest SemVer precedence first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VersionPage {
    /// The highest version that is not a pre-release and (packages) is current (not yanked, taken down or in a
    /// state this registry does not set), whether or not it is on this page.
    pub latest: Option<String>,
    /// This page's versions.
    pub versions: Vec<IdVersion>,
    /// Whether versions below this page's last remain.
    pub more: bool,
}
