//! The embedded SQLite store: one file, WAL journal, zero set-up. For a single machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use sqlx::Row as _;

use super::rows::{
    for_sqlite, lifecycle_only, package_from_row, receipt_from_row, state_from_row,
    template_from_row, version_from_row,
};
use super::{
    Card, DownloadDelta, IdPage, IdRow, IdVersion, Insert, Kind, LifecycleChange, MigrationStatus,
    PackageState, PublicationSummary, RowStream, Store, StoredPackage, StoredTemplate, VersionPage,
    VersionRow, sql,
};
use crate::error::Error;
use verifier::receipt::Receipt;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The SQLite store.
///
/// Two pools on one file: `pool` (8 connections) reads, in parallel under WAL; `writer` holds the one connection
/// every write transaction runs on. SQLite lets one writer in at a time anyway; queueing writers in process (in
/// arrival order: sqlx's pool is fair) instead of letting several connections race for the file lock keeps them out
/// of SQLite's busy handler, which sleeps in growing steps (up to 100 ms) and made publish latency and rate
/// depend on luck.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    writer: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `path`, and its directory. Durability: WAL journal with
    /// `synchronous=FULL`, so a commit (and the 201 after it) survives power loss, not only a process crash.
    /// Writes run on one connection, in `BEGIN IMMEDIATE` transactions (see [`SqliteStore`]).
    pub async fn open(path: &Path) -> Result<Self, Error> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| Error::Io {
                what: format!("creating the data directory {}", dir.display()),
                source,
            })?;
        }
        let options = SqliteConnectOptions::from_str("sqlite://")
            .map_err(|e| Error::Config(e.to_string()))?
            .filename(path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        // The writer first: it creates the file and switches it to WAL before the readers open it.
        let writer = super::released::checked(SqlitePoolOptions::new())
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options.clone())
            .await?;
        let pool = super::released::checked(SqlitePoolOptions::new())
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool, writer })
    }

    /// The durability settings in effect on the connection every write commits on: `journal_mode` and
    /// `synchronous` (0 off, 1 normal, 2 full, 3 extra).
    pub async fn durability(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let mut conn = self.writer.acquire().await?;
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut *conn)
            .await?;
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *conn)
            .await?;
        Ok(vec![
            ("journal_mode", journal),
            ("synchronous", synchronous.to_string()),
        ])
    }
}

impl SqliteStore {
    /// A write transaction on the writer (waiting for it in arrival order: sqlx's pool is fair), `BEGIN IMMEDIATE`.
    pub(super) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, Error> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// A page of versions after sequence number `after` passing `filter`, in publication order, read as one JSON
    /// row (see `sqlite_listing`).
    async fn publications_page(
        &self,
        after: Option<i64>,
        limit: u32,
        filter: &super::search::ListFilter,
    ) -> Result<Vec<(i64, PublicationSummary)>, Error> {
        super::sqlite_listing::page(&self.pool, after, limit, filter).await
    }

    /// Every version in ANIP's order, decoded a chunk at a time (see `sqlite_listing`). SQLite has no statement
    /// timeout: the statement ends when the client goes away.
    fn publication_stream(&self, _timeout: Duration) -> RowStream<PublicationSummary> {
        super::sqlite_listing::stream(self.pool.clone(), super::sqlite_listing::ROWS_PER_CHUNK)
    }
}

#[cfg(test)]
impl SqliteStore {
    /// The pool, for tests reading query plans.
    pub(super) fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// The writer pool, for the tests of how writes are taken.
    pub(super) fn writer(&self) -> &SqlitePool {
        &self.writer
    }
}

/// SQLite has no statement timeout; a listing stops when its reader (the client) goes away.
async fn prepare_listing(
    _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    _timeout: Duration,
) -> Result<(), Error> {
    Ok(())
}

super::shared::impl_store!(
    SqliteStore,
    "sqlite",
    for_sqlite,
    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM packages)",
    "(SELECT COALESCE(MAX(seq), 0) + 1 FROM templates)",
    prepare_listing,
    {
        async fn migration_status(&self) -> Result<MigrationStatus, Error> {
            let applied: Vec<i64> =
                match sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                    .fetch_all(&self.pool)
                    .await
                {
                    Ok(versions) => versions,
                    Err(sqlx::Error::Database(e)) if e.message().contains("no such table") => {
                        Vec::new()
                    }
                    Err(e) => return Err(e.into()),
                };
            Ok(super::postgres::status_of(&MIGRATOR, &applied))
        }

        async fn set_lifecycle(
            &self,
            package_id: &str,
            version: &str,
            change: &LifecycleChange,
        ) -> Result<Option<PackageState>, Error> {
            let mut tx = super::shared_governance::write_tx!(self);
            // The event is written first, reading the old status in the same statement: the transaction takes
            // SQLite's write lock at once, so no other writer changes the status in between.
            let recorded = sqlx::query(&for_sqlite(sql::EVENT_FROM_CURRENT))
                .bind(package_id)
                .bind(version)
                .bind(change.lifecycle.status.as_str())
                .bind(&change.lifecycle.reason)
                .bind(
                    change
                        .lifecycle
                        .replacement
                        .as_ref()
                        .map(|r| r.package_id.as_str()),
                )
                .bind(
                    change
                        .lifecycle
                        .replacement
                        .as_ref()
                        .map(|r| r.package_version.as_str()),
                )
                .bind(&change.lifecycle.updated_by)
                .bind(&change.lifecycle.updated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if recorded == 0 {
                return Ok(None);
            }
            if change.owner.is_some() {
                let held: Option<String> =
                    sqlx::query_scalar(&for_sqlite(super::types::ACTIVE_OWNER))
                        .bind(package_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(refusal) = super::owner_refusal(change, package_id, held.as_deref()) {
                    return Err(refusal);
                }
            }
            if !change.from.is_empty() {
                // Still the old status: the update below has not run, and the write lock is held.
                let from: String = sqlx::query_scalar(
                    "SELECT lifecycle_status FROM packages WHERE package_id = ?1 AND package_version = ?2",
                )
                .bind(package_id)
                .bind(version)
                .fetch_one(&mut *tx)
                .await?;
                if !change.from.contains(&from.as_str()) {
                    return Err(super::lifecycle_conflict(change, &from));
                }
            }
            let l = &change.lifecycle;
            let row = sqlx::query(&for_sqlite(&sql::update_lifecycle_sql()))
                .bind(package_id)
                .bind(version)
                .bind(l.status.as_str())
                .bind(&l.reason)
                .bind(l.replacement.as_ref().map(|r| r.package_id.as_str()))
                .bind(l.replacement.as_ref().map(|r| r.package_version.as_str()))
                .bind(&l.updated_at)
                .bind(&l.updated_by)
                .fetch_one(&mut *tx)
                .await?;
            let lifecycle = lifecycle_only(&row)?;
            // What the id's card shows (and so searches) may change with a takedown or its reversal.
            sqlx::query(&for_sqlite(&super::search::refresh_search_sql(
                Kind::Package,
            )))
            .bind(package_id)
            .execute(&mut *tx)
            .await?;
            let download_count: Option<i64> = sqlx::query_scalar(&for_sqlite(sql::PACKAGE_COUNT))
                .bind(package_id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(audit) = &change.audit {
                super::shared_publishers::insert_audit!(for_sqlite, &mut *tx, audit);
            }
            let entry =
                crate::log::entry::lifecycle("package", package_id, version, &change.lifecycle)?;
            super::shared_log::pending_step!(
                for_sqlite,
                tx,
                entry,
                "lifecycle",
                "package",
                package_id,
                version
            );
            tx.commit().await?;
            let state = PackageState {
                download_count: download_count.unwrap_or(0),
                lifecycle,
            };
            Ok(Some(state))
        }
    }
);
