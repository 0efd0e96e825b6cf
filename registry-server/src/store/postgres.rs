//! The Postgres store: the production and high-availability backend, shared by stateless replicas.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnection, PgPool, PgPoolOptions};

use sqlx::Row as _;

use super::rows::{
    lifecycle_only, package_from_row, receipt_from_row, state_from_row, summary_from_row,
    template_from_row, version_from_row,
};
use super::{
    Card, DownloadDelta, IdPage, IdRow, IdVersion, Insert, Kind, LifecycleChange, MigrationStatus,
    PackageState, PublicationSummary, RowStream, Store, StoredPackage, StoredTemplate, VersionPage,
    VersionRow, sql,
};
use crate::error::Error;
use verifier::receipt::Receipt;

static MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// The Postgres store.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The same pool: Postgres takes concurrent writers (the SQLite store keeps a separate one-connection pool).
    writer: PgPool,
}

impl PostgresStore {
    /// Connects lazily: the server starts (and `/readyz` reports 503) while the database is still coming up, and
    /// the pool reconnects by itself after an outage. A request waits at most `acquire_timeout` for a connection.
    ///
    /// Durability: every connection commits with `synchronous_commit` at least `on` (raised from `off` for our
    /// sessions), so a 201 is on disk before it is sent; a server running with `fsync=off` is logged as not
    /// durable, once. TLS follows the URL's `sslmode` (rustls; `require` encrypts, `verify-ca`/`verify-full` also
    /// check the certificate against `sslrootcert` or the bundled web roots).
    pub async fn connect(url: &str, acquire_timeout: Duration) -> Result<Self, Error> {
        let warned = Arc::new(AtomicBool::new(false));
        let pool = super::released::checked(PgPoolOptions::new())
            .max_connections(16)
            .acquire_timeout(acquire_timeout)
            .after_connect(move |conn, _| {
                let warned = warned.clone();
                Box::pin(async move { make_durable(conn, &warned).await })
            })
            .connect_lazy(url)?;
        Ok(PostgresStore {
            writer: pool.clone(),
            pool,
        })
    }

    /// The durability settings in effect on one of the store's own connections: `synchronous_commit` and
    /// `fsync`.
    pub async fn durability(&self) -> Result<Vec<(&'static str, String)>, Error> {
        let mut conn = self.pool.acquire().await?;
        let mut settings = Vec::new();
        for name in ["synchronous_commit", "fsync"] {
            let value: String = sqlx::query_scalar(&format!("SHOW {name}"))
                .fetch_one(&mut *conn)
                .await?;
            settings.push((name, value));
        }
        Ok(settings)
    }
}

/// Raises `synchronous_commit` from `off` for this session; warns (once per store) when the server runs without
/// fsync, which no session setting can make durable.
async fn make_durable(conn: &mut PgConnection, warned: &AtomicBool) -> Result<(), sqlx::Error> {
    let (synchronous, fsync): (String, String) =
        sqlx::query_as("SELECT current_setting('synchronous_commit'), current_setting('fsync')")
            .fetch_one(&mut *conn)
            .await?;
    if synchronous == "off" {
        sqlx::query("SET synchronous_commit TO on")
            .execute(&mut *conn)
            .await?;
    }
    if fsync == "off" && !warned.swap(true, Ordering::Relaxed) {
        tracing::warn!("registry_store_not_durable: the Postgres server runs with fsync=off");
    }
    Ok(())
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

/// Postgres reads the `$n` placeholders as they are.
fn as_is(sql: &str) -> String {
    sql.to_owned()
}

/// Bounds a long listing's statement by `timeout` (for this transaction only): a listing whose client went away
/// stops within it instead of running on.
async fn prepare_listing(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    timeout: Duration,
) -> Result<(), Error> {
    sqlx::query("SELECT set_config('statement_timeout', $1, true)")
        .bind(format!("{}ms", timeout.as_millis().max(1)))
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
impl PostgresStore {
    /// The pool, for the test of how handed-back connections are checked.
    pub(super) fn pool(&self) -> &PgPool {
        &self.pool
    }
}

impl PostgresStore {
    /// A write transaction: Postgres takes concurrent writers, so every write just begins one.
    ///
    /// The `BEGIN` runs in a task of its own, so a request cancelled meanwhile (its client gone) cannot stop it
    /// halfway: sqlx (0.8) counts a transaction only once `BEGIN`'s answer is read, and a request dropped while
    /// waiting for it left a connection that Postgres held inside a transaction and sqlx did not (neither pool
    /// check can see that), so later autocommit statements on it never committed. Finished in its task, the
    /// `Transaction` exists, and dropping it unused rolls it back.
    pub(super) async fn begin_write(
        &self,
    ) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, Error> {
        let writer = self.writer.clone();
        tokio::spawn(async move { writer.begin().await })
            .await
            .map_err(|e| Error::Internal(format!("beginning a transaction: {e}")))?
            .map_err(Error::from)
    }

    /// A page of versions after sequence number `after` passing `filter`, in publication order (see
    /// `search::page_sql`).
    async fn publications_page(
        &self,
        after: Option<i64>,
        limit: u32,
        filter: &super::search::ListFilter,
    ) -> Result<Vec<(i64, PublicationSummary)>, Error> {
        use super::search;
        let (sql, values) =
            search::page_sql(search::Backend::Postgres, Kind::Package, filter, limit);
        let mut query = sqlx::query(&sql).bind(after.unwrap_or(0));
        for value in &values {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&self.pool).await?;
        rows.iter()
            .map(|r| Ok((r.try_get::<i64, _>("seq")?, summary_from_row(r)?)))
            .collect::<Result<_, sqlx::Error>>()
            .map_err(Error::from)
    }

    /// Every version in ANIP's order, row by row (see [`Store::stream_publications`]).
    fn publication_stream(&self, timeout: Duration) -> RowStream<PublicationSummary> {
        super::shared::spawn_row_stream!(
            self.pool,
            prepare_listing,
            timeout,
            sql::package_listing_sql(),
            256,
            summary_from_row
        )
    }
}

super::shared::impl_store!(
    PostgresStore,
    "postgres",
    as_is,
    "nextval('package_seq')",
    "nextval('template_seq')",
    prepare_listing,
    {
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

        async fn set_lifecycle(
            &self,
            package_id: &str,
            version: &str,
            change: &LifecycleChange,
        ) -> Result<Option<PackageState>, Error> {
            let mut tx = super::shared_governance::write_tx!(self);
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
            if change.owner.is_some() {
                let held: Option<String> =
                    sqlx::query_scalar(&format!("{} FOR SHARE", super::types::ACTIVE_OWNER))
                        .bind(package_id)
                        .fetch_optional(&mut *tx)
                        .await?;
                if let Some(refusal) = super::owner_refusal(change, package_id, held.as_deref()) {
                    return Err(refusal);
                }
            }
            if !change.from.is_empty() && !change.from.contains(&from.as_str()) {
                return Err(super::lifecycle_conflict(change, &from));
            }
            let l = &change.lifecycle;
            let replacement_id = l.replacement.as_ref().map(|r| r.package_id.as_str());
            let replacement_version = l.replacement.as_ref().map(|r| r.package_version.as_str());
            let row = sqlx::query(&sql::update_lifecycle_sql())
                .bind(package_id)
                .bind(version)
                .bind(l.status.as_str())
                .bind(&l.reason)
                .bind(replacement_id)
                .bind(replacement_version)
                .bind(&l.updated_at)
                .bind(&l.updated_by)
                .fetch_one(&mut *tx)
                .await?;
            let lifecycle = lifecycle_only(&row)?;
            // What the id's card shows (and so searches) may change with a takedown or its reversal.
            sqlx::query(&super::search::refresh_search_sql(Kind::Package))
                .bind(package_id)
                .execute(&mut *tx)
                .await?;
            let download_count: Option<i64> = sqlx::query_scalar(sql::PACKAGE_COUNT)
                .bind(package_id)
                .bind(version)
                .fetch_optional(&mut *tx)
                .await?;
            let state = PackageState {
                download_count: download_count.unwrap_or(0),
                lifecycle,
            };
            sqlx::query(sql::INSERT_EVENT)
                .bind(package_id)
                .bind(version)
                .bind(&from)
                .bind(l.status.as_str())
                .bind(&l.reason)
                .bind(replacement_id)
                .bind(replacement_version)
                .bind(&l.updated_by)
                .bind(&l.updated_at)
                .execute(&mut *tx)
                .await?;
            if let Some(audit) = &change.audit {
                super::shared_publishers::insert_audit!(as_is, &mut *tx, audit);
            }
            let entry =
                crate::log::entry::lifecycle("package", package_id, version, &change.lifecycle)?;
            super::shared_log::pending_step!(
                as_is,
                tx,
                entry,
                "lifecycle",
                "package",
                package_id,
                version
            );
            tx.commit().await?;
            Ok(Some(state))
        }
    }
);
