//! The store: one trait, a Postgres and an embedded SQLite implementation, chosen once from the URL scheme.

mod postgres;
mod rows;
mod shared;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use verifier::receipt::Receipt;
use verifier::record::Lifecycle;

use crate::config::StoreLocation;
use crate::error::Error;

pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

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
    pub lineage_json: String,
    /// README.
    pub readme: String,
    /// Source links, JSON array text.
    pub source_links_json: String,
    /// Implementation materials, JSON array text.
    pub implementation_materials_json: String,
    /// Manifest, canonical text.
    pub manifest_json: String,
    /// Service definition, canonical text.
    pub service_definition_json: String,
    /// Recommended lock, canonical text.
    pub recommended_lock_json: String,
    /// RFC 3339 seconds, UTC.
    pub published_at: String,
    /// Downloads so far.
    pub download_count: i64,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
    /// The signed receipt.
    pub receipt: Receipt,
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

/// Where a listing page starts: just after this row in listing order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Download count of the last row.
    pub download_count: i64,
    /// Publication time of the last row.
    pub published_at: String,
    /// Package id of the last row.
    pub package_id: String,
    /// Version of the last row.
    pub package_version: String,
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
    pub systems_json: String,
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
    pub manifest_json: String,
    /// Template, canonical text.
    pub template_json: String,
    /// Package (what `/download` serves), canonical text.
    pub package_json: String,
    /// RFC 3339.
    pub published_at: String,
    /// Downloads so far.
    pub download_count: i64,
    /// The signed template receipt.
    pub receipt: verifier::template_receipt::TemplateReceipt,
}

/// A lifecycle change requested by an admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LifecycleChange {
    /// The new state (status, reason, replacement, updated_at, updated_by).
    pub lifecycle: Lifecycle,
}

/// The parts of a stored version that change after publication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageState {
    /// Downloads so far.
    pub download_count: i64,
    /// Lifecycle.
    pub lifecycle: Lifecycle,
}

/// What a download found.
#[derive(Debug, Clone, PartialEq)]
pub enum Download {
    /// Counted; the state after this download.
    Counted(PackageState),
    /// Its lifecycle forbids downloading it.
    Refused(Lifecycle),
    /// No such version.
    NotFound,
}

/// Applied and pending migrations.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    /// Applied migrations, by description.
    pub applied: Vec<String>,
    /// Migrations this binary has that the database lacks.
    pub pending: Vec<String>,
}

/// The operations the registry needs from a database. Both implementations pass the same contract tests.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// `postgres` or `sqlite`.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations (under a lock where several replicas may race).
    async fn migrate(&self) -> Result<(), Error>;
    /// Which migrations are applied and which are pending.
    async fn migration_status(&self) -> Result<MigrationStatus, Error>;
    /// Stores a new version atomically, or returns the one already stored under its id and version.
    async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error>;
    /// One version, if present.
    async fn get_package(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<StoredPackage>, Error>;
    /// The changing parts of one version (download count and lifecycle), if present.
    async fn get_state(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<PackageState>, Error>;
    /// Counts one download, atomically with the lifecycle check, and returns the count after it.
    async fn download_package(
        &self,
        package_id: &str,
        version: &str,
        allow_yanked: bool,
    ) -> Result<Download, Error>;
    /// A page of publications in listing order (downloads, newest, id, version), after `cursor`; every row when
    /// `limit` is `None`.
    async fn list_publications(
        &self,
        cursor: Option<&Cursor>,
        limit: Option<u32>,
    ) -> Result<Vec<PublicationSummary>, Error>;
    /// How many versions are stored.
    async fn package_count(&self) -> Result<i64, Error>;
    /// Changes a version's lifecycle and records the change (who, when, from, to, reason) in one transaction;
    /// `None` when there is no such version.
    async fn set_lifecycle(
        &self,
        package_id: &str,
        version: &str,
        change: &LifecycleChange,
    ) -> Result<Option<PackageState>, Error>;
    /// Stores a new template version atomically, or returns the one already stored.
    async fn insert_template(
        &self,
        template: &StoredTemplate,
    ) -> Result<Insert<StoredTemplate>, Error>;
    /// One template version.
    async fn get_template(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error>;
    /// Counts one template download and returns the template with the new count.
    async fn download_template(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error>;
    /// Templates in listing order (downloads, newest, id, version); every row when `limit` is `None`.
    async fn list_templates(
        &self,
        offset: u32,
        limit: Option<u32>,
    ) -> Result<Vec<StoredTemplate>, Error>;
}

/// A shared store.
pub type SharedStore = Arc<dyn Store>;

/// Opens the store at `location` (creating a missing SQLite file); requests wait at most `limits.acquire_timeout`
/// for a Postgres connection.
pub async fn open(
    location: &StoreLocation,
    limits: &crate::limits::StoreLimits,
) -> Result<SharedStore, Error> {
    Ok(match location {
        StoreLocation::Postgres(url) => {
            Arc::new(PostgresStore::connect(url.expose(), limits.acquire_timeout).await?)
        }
        StoreLocation::Sqlite(path) => Arc::new(SqliteStore::open(path).await?),
    })
}

/// Lifecycle states under which `/download` and `/lock` serve a version (`yanked` only when asked).
pub fn downloadable(status: &str, allow_yanked: bool) -> bool {
    matches!(status, "active" | "superseded" | "deprecated") || (allow_yanked && status == "yanked")
}
