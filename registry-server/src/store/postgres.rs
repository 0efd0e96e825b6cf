//! The Postgres store: the production and high-availability backend, shared by stateless replicas.

use std::time::Duration;

use async_trait::async_trait;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgPool, PgPoolOptions};

use super::rows::{
    AFTER_CURSOR, DOWNLOADABLE, INSERT_EVENT, LIFECYCLE_COLUMNS, LISTING_ORDER, PACKAGE_COLUMNS,
    SUMMARY_COLUMNS, TEMPLATE_COLUMNS, TEMPLATE_ORDER, TEMPLATE_SUMMARY_COLUMNS, insert_sql,
    insert_template_sql, insert_template_values, insert_values, lifecycle_only, package_from_row,
    state_from_row, summary_from_row, template_from_row, update_lifecycle_sql,
};
use super::{
    Cursor, Download, Insert, LifecycleChange, MigrationStatus, PackageState, PublicationSummary,
    Store, StoredPackage, StoredTemplate,
};
use crate::error::Error;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// The Postgres store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects lazily: the server starts (and `/readyz` reports 503) while the database is still coming up, and
    /// the pool reconnects by itself after an outage.
    pub async fn connect(url: &str) -> Result<Self, Error> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(url)?;
        Ok(PostgresStore { pool })
    }
}

/// Applied versus known migrations.
pub(super) fn status_of(migrator: &Migrator, applied: &[i64]) -> MigrationStatus {
    let mut status = MigrationStatus {
        applied: Vec::new(),
        pending: Vec::new(),
    };
    for migration in migrator.iter() {
        let name = format!("{:04}_{}", migration.version, migration.description);
        if applied.contains(&migration.version) {
            status.applied.push(name);
        } else {
            status.pending.push(name);
        }
    }
    status
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn migrate(&self) -> Result<(), Error> {
        // sqlx holds a Postgres advisory lock while migrating, so replicas starting together take turns.
        MIGRATOR.run(&self.pool).await?;
        Ok(())
    }

    async fn migration_status(&self) -> Result<MigrationStatus, Error> {
        let exists: Option<String> =
            sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
                .fetch_one(&self.pool)
                .await?;
        let applied: Vec<i64> = if exists.is_some() {
            sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success")
                .fetch_all(&self.pool)
                .await?
        } else {
            Vec::new()
        };
        Ok(status_of(&MIGRATOR, &applied))
    }

    async fn insert_package(&self, package: &StoredPackage) -> Result<Insert, Error> {
        let sql = insert_sql();
        let mut query = sqlx::query(&sql);
        for value in insert_values(package) {
            query = query.bind(value);
        }
        // ON CONFLICT DO NOTHING waits for a racing insert of the same version to commit, so the read below
        // always finds the winner: racing publishes never fail.
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
            "SELECT {PACKAGE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
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
            "SELECT download_count, {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
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
        let sql = format!(
            "UPDATE packages SET download_count = download_count + 1 \
             WHERE package_id = $1 AND package_version = $2 AND {DOWNLOADABLE} \
             RETURNING download_count, {LIFECYCLE_COLUMNS}"
        );
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
            "SELECT {LIFECYCLE_COLUMNS} FROM packages WHERE package_id = $1 AND package_version = $2"
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
        let limit = limit.map(i64::from);
        let rows = match cursor {
            None => {
                let sql =
                    format!("SELECT {SUMMARY_COLUMNS} FROM packages {LISTING_ORDER} LIMIT $1");
                sqlx::query(&sql).bind(limit).fetch_all(&self.pool).await?
            }
            Some(c) => {
                let sql = format!(
                    "SELECT {SUMMARY_COLUMNS} FROM packages WHERE {AFTER_CURSOR} {LISTING_ORDER} LIMIT $5"
                );
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
        let sql = insert_template_sql();
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
        let sql = format!(
            "SELECT {TEMPLATE_COLUMNS} FROM templates WHERE template_id = $1 AND template_version = $2"
        );
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
        let sql = format!(
            "UPDATE templates SET download_count = download_count + 1 \
             WHERE template_id = $1 AND template_version = $2 RETURNING {TEMPLATE_COLUMNS}"
        );
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
        let sql = format!(
            "SELECT {TEMPLATE_SUMMARY_COLUMNS} FROM templates {TEMPLATE_ORDER} LIMIT $1 OFFSET $2"
        );
        let rows = sqlx::query(&sql)
            .bind(limit.map(i64::from))
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
        let from: Option<String> = sqlx::query_scalar(
            "SELECT lifecycle_status FROM packages WHERE package_id = $1 AND package_version = $2 FOR UPDATE",
        )
        .bind(package_id)
        .bind(version)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(from) = from else {
            return Ok(None);
        };
        let l = &change.lifecycle;
        let replacement_id = l.replacement.as_ref().map(|r| r.package_id.as_str());
        let replacement_version = l.replacement.as_ref().map(|r| r.package_version.as_str());
        let row = sqlx::query(&update_lifecycle_sql())
            .bind(package_id)
            .bind(version)
            .bind(&l.status)
            .bind(&l.reason)
            .bind(replacement_id)
            .bind(replacement_version)
            .bind(&l.updated_at)
            .bind(&l.updated_by)
            .fetch_one(&mut *tx)
            .await?;
        let state = state_from_row(&row)?;
        sqlx::query(INSERT_EVENT)
            .bind(package_id)
            .bind(version)
            .bind(&from)
            .bind(&l.status)
            .bind(&l.reason)
            .bind(replacement_id)
            .bind(replacement_version)
            .bind(&l.updated_by)
            .bind(&l.updated_at)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Some(state))
    }
}
