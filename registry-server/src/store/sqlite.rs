//! The embedded SQLite store: one file, WAL journal, zero set-up. For a single machine.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use super::rows::{
    AFTER_CURSOR, DOWNLOADABLE, EVENT_FROM_CURRENT, LIFECYCLE_COLUMNS, LISTING_ORDER,
    PACKAGE_COLUMNS, SUMMARY_COLUMNS, TEMPLATE_COLUMNS, TEMPLATE_ORDER, TEMPLATE_SUMMARY_COLUMNS,
    for_sqlite, insert_sql, insert_template_sql, insert_template_values, insert_values,
    lifecycle_only, package_from_row, state_from_row, summary_from_row, template_from_row,
    update_lifecycle_sql,
};
use super::{
    Cursor, Download, Insert, LifecycleChange, MigrationStatus, PackageState, PublicationSummary,
    Store, StoredPackage, StoredTemplate,
};
use crate::error::Error;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");

/// The SQLite store.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating when missing) the database file at `path`, and its directory.
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
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(10))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await?;
        Ok(SqliteStore { pool })
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn migrate(&self) -> Result<(), Error> {
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

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

    async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error> {
        let sql = for_sqlite(&insert_sql());
        let mut query = sqlx::query(&sql);
        for value in insert_values(package) {
            query = query.bind(value);
        }
        let inserted = query.execute(&self.pool).await?.rows_affected() == 1;
        if inserted {
            return Ok(Insert::Created);
        }
        match self
            .get_package(&package.package_id, &package.package_version)
            .await?
        {
            Some(existing) => Ok(Insert::Existing(Box::new(existing))),
            None => Err(Error::Internal(
                "insert conflicted but no row is there".into(),
            )),
        }
    }

    async fn get_package(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<StoredPackage>, Error> {
        let sql = format!(
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE package_id = ?1 AND package_version = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(package_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| package_from_row(&r)).transpose()?)
    }

    async fn get_state(
        &self,
        package_id: &str,
        version: &str,
    ) -> Result<Option<PackageState>, Error> {
        let sql = format!(
            "SELECT download_count, {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = ?1 AND package_version = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(package_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| state_from_row(&r)).transpose()?)
    }

    async fn download_package(
        &self,
        package_id: &str,
        version: &str,
        allow_yanked: bool,
    ) -> Result<Download, Error> {
        let sql = for_sqlite(&format!(
            "UPDATE packages SET download_count = download_count + 1 \
             WHERE package_id = $1 AND package_version = $2 AND {DOWNLOADABLE} \
             RETURNING download_count, {LIFECYCLE_COLUMNS}"
        ));
        let row = sqlx::query(&sql)
            .bind(package_id)
            .bind(version)
            .bind(allow_yanked)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = row {
            return Ok(Download::Counted(state_from_row(&row)?));
        }
        let sql = format!(
            "SELECT {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = ?1 AND package_version = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(package_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(row) => Download::Refused(lifecycle_only(&row)?),
            None => Download::NotFound,
        })
    }

    async fn list_publications(
        &self,
        cursor: Option<&Cursor>,
        limit: Option<u32>,
    ) -> Result<Vec<PublicationSummary>, Error> {
        let limit = limit.map_or(-1, i64::from);
        let rows = match cursor {
            None => {
                let sql =
                    format!("SELECT {SUMMARY_COLUMNS} FROM packages {LISTING_ORDER} LIMIT ?1");
                sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
            }
            Some(c) => {
                let sql = for_sqlite(&format!(
                    "SELECT {SUMMARY_COLUMNS} FROM packages WHERE {AFTER_CURSOR} {LISTING_ORDER} LIMIT $5"
                ));
                sqlx::query(&sql)
                    .bind(c.download_count)
                    .bind(&c.published_at)
                    .bind(&c.package_id)
                    .bind(&c.package_version)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
        };
        rows.iter()
            .map(|r| summary_from_row(r).map_err(Error::from))
            .collect()
    }

    async fn package_count(&self) -> Result<i64, Error> {
        Ok(sqlx::query_scalar("SELECT COUNT(*) FROM packages")
            .fetch_one(&self.pool)
            .await?)
    }

    async fn insert_template(
        &self,
        template: &StoredTemplate,
    ) -> Result<Insert<StoredTemplate>, Error> {
        let sql = for_sqlite(&insert_template_sql());
        let mut query = sqlx::query(&sql);
        for value in insert_template_values(template) {
            query = query.bind(value);
        }
        if query.execute(&self.pool).await?.rows_affected() == 1 {
            return Ok(Insert::Created);
        }
        match self
            .get_template(&template.template_id, &template.template_version)
            .await?
        {
            Some(existing) => Ok(Insert::Existing(Box::new(existing))),
            None => Err(Error::Internal(
                "template insert conflicted but no row is there".into(),
            )),
        }
    }

    async fn get_template(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error> {
        let sql = for_sqlite(&format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_id = $1 AND template_version = $2"
        ));
        let row = sqlx::query(&sql)
            .bind(template_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| template_from_row(&r)).transpose()?)
    }

    async fn download_template(
        &self,
        template_id: &str,
        version: &str,
    ) -> Result<Option<StoredTemplate>, Error> {
        let sql = for_sqlite(&format!(
            "UPDATE templates SET download_count = download_count + 1 \
             WHERE template_id = $1 AND template_version = $2 RETURNING {TEMPLATE_COLUMNS}"
        ));
        let row = sqlx::query(&sql)
            .bind(template_id)
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| template_from_row(&r)).transpose()?)
    }

    async fn list_templates(
        &self,
        offset: u32,
        limit: Option<u32>,
    ) -> Result<Vec<StoredTemplate>, Error> {
        let sql = for_sqlite(&format!(
            "SELECT {TEMPLATE_SUMMARY_COLUMNS} FROM templates {TEMPLATE_ORDER} LIMIT $1 OFFSET $2"
        ));
        let rows = sqlx::query(&sql)
            .bind(limit.map_or(-1, i64::from))
            .bind(i64::from(offset))
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| template_from_row(r).map_err(Error::from))
            .collect()
    }

    async fn set_lifecycle(
        &self,
        package_id: &str,
        version: &str,
        change: &LifecycleChange,
    ) -> Result<Option<PackageState>, Error> {
        let mut tx = self.pool.begin().await?;
        // The event is written first, reading the old status in the same statement: the transaction takes
        // SQLite's write lock at once, so no other writer changes the status in between.
        let recorded = sqlx::query(&for_sqlite(EVENT_FROM_CURRENT))
            .bind(package_id)
            .bind(version)
            .bind(&change.lifecycle.status)
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
        let l = &change.lifecycle;
        let row = sqlx::query(&for_sqlite(&update_lifecycle_sql()))
            .bind(package_id)
            .bind(version)
            .bind(&l.status)
            .bind(&l.reason)
            .bind(l.replacement.as_ref().map(|r| r.package_id.as_str()))
            .bind(l.replacement.as_ref().map(|r| r.package_version.as_str()))
            .bind(&l.updated_at)
            .bind(&l.updated_by)
            .fetch_one(&mut *tx)
            .await?;
        let state = state_from_row(&row)?;
        tx.commit().await?;
        Ok(Some(state))
    }
}
