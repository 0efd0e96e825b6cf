//! The store: one trait, a Postgres and an embedded SQLite implementation, chosen once from the URL scheme.

mod document;
pub mod governance;
mod log_sql;
mod log_store;
mod postgres;
#[cfg(test)]
mod postgres_released_tests;
mod publisher_types;
pub mod publishers;
mod released;
pub mod replica;
mod rows;
pub mod search;
#[cfg(test)]
mod search_plan_tests;
mod shared;
mod shared_governance;
mod shared_log;
mod shared_publisher_ops;
mod shared_publisher_reads;
mod shared_publishers;
mod shared_replica;
mod shared_reports;
mod shared_templates;
mod shared_ui;
mod shared_versions;
mod sql;
mod sqlite;
mod sqlite_listing;
#[cfg(test)]
mod sqlite_listing_tests;
#[cfg(test)]
mod sqlite_writer_tests;
mod types;
#[cfg(test)]
mod ui_plan_tests;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use verifier::receipt::Receipt;

use crate::config::StoreLocation;
use crate::error::Error;

pub use document::Document;
pub use governance::{GovernanceStore, ReportStore};
pub use log_store::{CheckpointSigner, Integrated, LogEntry, LogStore, StoredCheckpoint};
pub use postgres::PostgresStore;
pub use publisher_types::*;
pub use publishers::{AdminPage, PublisherStore};
pub use replica::{MirrorState, ReplicaBatch, ReplicaEntry, ReplicaOwner, ReplicaStore};
pub use sqlite::SqliteStore;
pub use types::*;

/// Rows of a streamed listing, read by a task that stops when the receiver is dropped (the client went away).
pub type RowStream<T> = tokio::sync::mpsc::Receiver<Result<T, Error>>;

/// The operations the registry needs from a database. Both implementations pass the same contract tests.
///
/// Layout: a version's listing row (`packages`, `templates`) holds no documents and no counts; its documents live
/// in `*_documents`, its download count in `*_downloads` (added to in batches, see `crate::downloads`), and one row
/// per id in `*_ids` carries what the UI's list pages sort by.
#[async_trait]
pub trait Store:
    PublisherStore + GovernanceStore + ReportStore + LogStore + ReplicaStore + Send + Sync + 'static
{
    /// `postgres` or `sqlite`.
    fn backend(&self) -> &'static str;
    /// Applies pending migrations (under a lock where several replicas may race).
    async fn migrate(&self) -> Result<(), Error>;
    /// Which migrations are applied and which are pending.
    async fn migration_status(&self) -> Result<MigrationStatus, Error>;
    /// Stores a new version (row, documents, id aggregate) in one transaction, or returns the one already stored
    /// under its id and version.
    async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error>;
    /// One version with its documents, if present.
    async fn get_package(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<StoredPackage>, Error>;
    /// One version's receipt only (no documents read), if present.
    async fn get_receipt(&self, package_id: &str, version: &str) -> Result<Option<Receipt>, Error>;
    /// The changing parts of one version (flushed download count and lifecycle), if present.
    async fn get_state(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<PackageState>, Error>;
    /// Adds download counts (packages and templates) in one transaction: one statement per table.
    async fn add_downloads(&self, deltas: &[DownloadDelta]) -> Result<(), Error>;
    /// Up to `limit` versions in publication order after sequence number `after` that pass `filter`, each with its
    /// sequence number.
    async fn list_publications_page(
        &self,
        after: Option<i64>,
        limit: u32,
        filter: &search::ListFilter,
    ) -> Result<Vec<(i64, PublicationSummary)>, Error>;
    /// Every version in ANIP's listing order (downloads, newest, id, version), streamed; on Postgres the statement
    /// is cancelled after `timeout`.
    async fn stream_publications(&self, timeout: Duration) -> RowStream<PublicationSummary>;
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
    /// One template version with its documents.
    async fn get_template(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error>;
    /// One template version's row without its template and package documents (enough for its receipt).
    async fn get_template_row(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error>;
    /// A template version's flushed download count, if present.
    async fn get_template_count(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<i64>, Error>;
    /// Up to `limit` template rows (no template or package document) in publication order after `after` that pass
    /// `filter` (its `lifecycle` is not used: templates have none).
    async fn list_templates_page(
        &self,
        after: Option<i64>,
        limit: u32,
        filter: &search::ListFilter,
    ) -> Result<Vec<(i64, StoredTemplate)>, Error>;
    /// Every template row in listing order (downloads, newest, id, version), streamed.
    async fn stream_templates(&self, timeout: Duration) -> RowStream<StoredTemplate>;
    /// A page of ids for the UI's list (most downloaded first), those whose search text matches `terms` when given
    /// (found through the search index, see [`search`]), and the totals of all that matched.
    async fn list_ids(
        &self,
        kind: Kind,
        terms: &search::Terms,
        offset: u32,
        limit: u32,
    ) -> Result<IdPage, Error>;
    /// The `per_id` most recently published versions of each of `ids` (listing rows and cards), plus each id's
    /// highest current (active, superseded, deprecated) version when it is not among them.
    async fn package_versions(&self, ids: &[String], per_id: u32)
    -> Result<Vec<VersionRow>, Error>;
    /// The `per_id` most recently published template rows (no template or package document) of each of `ids`, plus
    /// each id's highest version when it is not among them.
    async fn template_versions(
        &self,
        ids: &[String],
        per_id: u32,
    ) -> Result<Vec<StoredTemplate>, Error>;
    /// Stores a version's card (filling in one stored before cards existed).
    async fn set_card(&self, kind: Kind, id: &str, version: &str, card: &Card)
    -> Result<(), Error>;
    /// Stores a version's verification verdict (JSON).
    async fn set_verification(
        &self,
        kind: Kind,
        id: &str,
        version: &str,
        verdict: &str,
    ) -> Result<(), Error>;
    /// A page of `id`'s versions, highest SemVer precedence first: up to `limit` below version `below` (the
    /// cursor), with the id's latest; `None` when the id has no version. Reads the id's version texts from an index,
    /// then the page's rows only.
    async fn versions_page(
        &self,
        kind: Kind,
        id: &str,
        below: Option<&str>,
        limit: u32,
    ) -> Result<Option<VersionPage>, Error>;
    /// Up to `limit` versions that have no card yet, oldest first.
    async fn without_card(&self, kind: Kind, limit: u32) -> Result<Vec<(String, String)>, Error>;
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
pub fn downloadable(status: &verifier::lifecycle::LifecycleStatus, allow_yanked: bool) -> bool {
    status.is_usable(allow_yanked)
}
