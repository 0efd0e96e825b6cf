//! The [`super::governance::GovernanceStore`] body both backends expand, and its row helpers.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::governance::AbuseReportRow;

/// Columns of [`AbuseReportRow`].
pub(super) const REPORT_COLUMNS: &str = "report_id, target_kind, target_id, category, reason, reporter_contact, \
    status, resolution, created_at, updated_at";

/// `search` as a `LIKE` pattern body (lower case, `\`, `%` and `_` escaped).
pub(super) fn like_body(search: &str) -> String {
    search
        .to_lowercase()
        .chars()
        .flat_map(|c| match c {
            '\\' | '%' | '_' => vec!['\\', c],
            c => vec![c],
        })
        .collect()
}

/// The filter of an admin listing over `column` ($1 pattern body, $2 status).
pub(super) fn filter_sql(column: &str) -> String {
    format!(
        "WHERE ($1 = '' OR lower({column}) LIKE '%' || $1 || '%' ESCAPE '\\') AND ($2 = '' OR status = $2)"
    )
}

pub(super) fn report_from_row<'r, R>(r: &'r R) -> Result<AbuseReportRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(AbuseReportRow {
        report_id: r.try_get("report_id")?,
        target_kind: r.try_get("target_kind")?,
        target_id: r.try_get("target_id")?,
        category: r.try_get("category")?,
        reason: r.try_get("reason")?,
        reporter_contact: r.try_get("reporter_contact")?,
        status: r.try_get("status")?,
        resolution: r.try_get("resolution")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// A refusal with one context member.
pub(super) fn refused(
    status: u16,
    code: &'static str,
    message: String,
    key: &str,
    value: &str,
) -> crate::error::Error {
    let mut context = serde_json::Map::new();
    context.insert(key.into(), value.into());
    crate::error::Error::Refused {
        status: axum::http::StatusCode::from_u16(status)
            .unwrap_or(axum::http::StatusCode::BAD_REQUEST),
        code,
        message,
        context,
    }
}

/// 404 `publisher_not_found` for `id`.
pub(super) fn no_publisher(id: &str) -> crate::error::Error {
    refused(
        404,
        "publisher_not_found",
        format!("publisher {id:?} not found"),
        "publisher_id",
        id,
    )
}

/// A write transaction (each store's `begin_write`): on SQLite on its one write connection, queued in process in
/// arrival order and holding the write lock from its start (`BEGIN IMMEDIATE`), so that reads before the first write
/// see what the writes change and no other writer (another process on the file) slips in between. Every store write
/// uses it.
macro_rules! write_tx {
    ($self:ident) => {
        $self.begin_write().await?
    };
}

pub(super) use write_tx;

/// Implements `GovernanceStore` for `$store`.
macro_rules! governance_ops {
    ($store:ty, $sql:path) => {
        #[async_trait::async_trait]
        impl $crate::store::governance::GovernanceStore for $store {
            async fn list_namespaces(
                &self,
                filter: &$crate::store::governance::ListFilter,
            ) -> Result<$crate::store::AdminPage<$crate::store::NamespaceRow>, Error> {
                $crate::store::shared_governance::admin_page!(
                    $sql, &self.pool, "namespaces", "namespace || ' ' || publisher_id", "namespace",
                    $crate::store::shared_publishers::NAMESPACE_COLUMNS,
                    $crate::store::shared_publishers::namespace_from_row,
                    &filter.search, &filter.status, filter.limit, filter.offset
                )
            }

            async fn claim_namespace(
                &self,
                row: &$crate::store::NamespaceRow,
                audit: &$crate::store::AuditEvent,
            ) -> Result<(), Error> {
                use $crate::store::shared_governance as g;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                if self.backend() == "postgres" {
                    // The same lock as publisher creation: overlapping namespaces are checked one claim at a time.
                    sqlx::query("SELECT pg_advisory_xact_lock(2402402402)").execute(&mut *tx).await?;
                }
                let clash: Option<String> = sqlx::query_scalar(&$sql(
                    "SELECT namespace FROM namespaces WHERE namespace = $1 \
                     OR (publisher_id <> $2 AND (substr($1, 1, length(namespace) + 1) = namespace || '/' \
                     OR substr(namespace, 1, length($1) + 1) = $1 || '/')) LIMIT 1",
                ))
                .bind(&row.namespace)
                .bind(&row.publisher_id)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(clash) = clash {
                    return Err(g::refused(
                        409,
                        "namespace_taken",
                        format!("namespace {:?} overlaps the existing namespace {clash:?}", row.namespace),
                        "namespace",
                        &row.namespace,
                    ));
                }
                let inserted = sqlx::query(&$sql(&format!(
                    "INSERT INTO namespaces ({}) SELECT $1, $2, $3, $4, $5, $6 \
                     WHERE EXISTS (SELECT 1 FROM publishers WHERE publisher_id = $2) ON CONFLICT DO NOTHING",
                    $crate::store::shared_publishers::NAMESPACE_COLUMNS
                )))
                .bind(&row.namespace)
                .bind(&row.publisher_id)
                .bind(serde_json::to_string(&row.artifact_kinds).unwrap_or_default())
                .bind(&row.status)
                .bind(&row.created_at)
                .bind(&row.updated_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if inserted != 1 {
                    return Err(g::no_publisher(&row.publisher_id));
                }
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, audit);
                tx.commit().await?;
                Ok(())
            }

            async fn set_namespace_status(
                &self,
                namespace: &str,
                status: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::NamespaceRow>, Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let changed = sqlx::query(&$sql(
                    "UPDATE namespaces SET status = $2, updated_at = $3 WHERE namespace = $1",
                ))
                .bind(namespace)
                .bind(status)
                .bind(&audit.created_at)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if changed != 1 {
                    return Ok(None);
                }
                let owner: String = sqlx::query_scalar(&$sql("SELECT publisher_id FROM namespaces WHERE namespace = $1"))
                    .bind(namespace)
                    .fetch_one(&mut *tx)
                    .await?;
                let mut audit = audit.clone();
                audit.subject_publisher_id = Some(owner);
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &audit);
                tx.commit().await?;
                Ok($crate::store::PublisherStore::namespaces_named(self, &[namespace]).await?.into_iter().next())
            }

            async fn transfer_namespace(
                &self,
                namespace: &str,
                target: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::NamespaceRow>, Error> {
                use $crate::store::shared_governance as g;
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let known: Option<String> = sqlx::query_scalar(&$sql("SELECT publisher_id FROM publishers WHERE publisher_id = $1"))
                    .bind(target)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(g::no_publisher(target));
                }
                let from: Option<String> = sqlx::query_scalar(&$sql(&format!(
                    "SELECT publisher_id FROM namespaces WHERE namespace = $1{}",
                    if self.backend() == "postgres" { " FOR UPDATE" } else { "" }
                )))
                .bind(namespace)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(from) = from else {
                    return Ok(None);
                };
                sqlx::query(&$sql(
                    "UPDATE namespaces SET publisher_id = $2, updated_at = $3 WHERE namespace = $1",
                ))
                .bind(namespace)
                .bind(target)
                .bind(&audit.created_at)
                .execute(&mut *tx)
                .await?;
                let from = (from != target).then_some(from);
                sqlx::query(&$sql(
                    "UPDATE artifact_ownership SET publisher_id = $2, updated_at = $3 WHERE namespace = $1",
                ))
                .bind(namespace)
                .bind(target)
                .bind(&audit.created_at)
                .execute(&mut *tx)
                .await?;
                // Every artifact the namespace carries changes hands: one `ownership` entry each, in id order.
                let moved: Vec<(String, String)> = sqlx::query_as(&$sql(
                    "SELECT artifact_kind, artifact_id FROM artifact_ownership WHERE namespace = $1                      ORDER BY artifact_kind, artifact_id",
                ))
                .bind(namespace)
                .fetch_all(&mut *tx)
                .await?;
                for (artifact, id) in &moved {
                    let entry =
                        $crate::log::entry::ownership(artifact, id, target, "transfer", &audit.created_at)?;
                    $crate::store::shared_log::pending_step!($sql, tx, entry, "ownership", artifact, id, "");
                }
                for subject in from.into_iter().chain([target.to_owned()]) {
                    let mut event = audit.clone();
                    event.subject_publisher_id = Some(subject);
                    $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &event);
                }
                tx.commit().await?;
                Ok($crate::store::PublisherStore::namespaces_named(self, &[namespace]).await?.into_iter().next())
            }

            async fn publisher_page(
                &self,
                publisher_id: &str,
                limit: u32,
            ) -> Result<(Vec<$crate::store::NamespaceRow>, Vec<$crate::store::OwnershipRow>), Error> {
                use $crate::store::shared_publishers as sp;
                let namespaces = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM namespaces WHERE publisher_id = $1 ORDER BY namespace LIMIT $2",
                    sp::NAMESPACE_COLUMNS
                )))
                .bind(publisher_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| sp::namespace_from_row(r))
                .collect::<Result<_, _>>()?;
                let artifacts = sqlx::query(&$sql(&format!(
                    "SELECT {} FROM artifact_ownership WHERE publisher_id = $1 AND status = 'active' \
                     ORDER BY artifact_kind, artifact_id LIMIT $2",
                    sp::OWNERSHIP_COLUMNS
                )))
                .bind(publisher_id)
                .bind(i64::from(limit))
                .fetch_all(&self.pool)
                .await?
                .iter()
                .map(|r| sp::ownership_from_row(r))
                .collect::<Result<_, _>>()?;
                Ok((namespaces, artifacts))
            }

            async fn list_artifacts(
                &self,
                filter: &$crate::store::governance::ListFilter,
            ) -> Result<$crate::store::AdminPage<$crate::store::OwnershipRow>, Error> {
                $crate::store::shared_governance::admin_page!(
                    $sql, &self.pool, "artifact_ownership", "artifact_id || ' ' || publisher_id",
                    "artifact_kind, artifact_id",
                    $crate::store::shared_publishers::OWNERSHIP_COLUMNS,
                    $crate::store::shared_publishers::ownership_from_row,
                    &filter.search, &filter.status, filter.limit, filter.offset
                )
            }

            async fn set_artifact_status(
                &self,
                kind: Kind,
                id: &str,
                status: &str,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::OwnershipRow>, Error> {
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let owner: Option<String> = sqlx::query_scalar(&$sql(
                    "UPDATE artifact_ownership SET status = $3, updated_at = $4 \
                     WHERE artifact_kind = $1 AND artifact_id = $2 RETURNING publisher_id",
                ))
                .bind($crate::auth::scopes::kind_name(kind))
                .bind(id)
                .bind(status)
                .bind(&audit.created_at)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(owner) = owner else {
                    return Ok(None);
                };
                let mut audit = audit.clone();
                audit.subject_publisher_id = Some(owner);
                $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &audit);
                tx.commit().await?;
                $crate::store::PublisherStore::ownership(self, kind, id).await
            }

            async fn transfer_artifact(
                &self,
                kind: Kind,
                id: &str,
                target: &str,
                namespace: Option<&str>,
                audit: &$crate::store::AuditEvent,
            ) -> Result<Option<$crate::store::OwnershipRow>, Error> {
                use $crate::store::shared_governance as g;
                let kind_name = $crate::auth::scopes::kind_name(kind);
                let mut tx = $crate::store::shared_governance::write_tx!(self);
                let known: Option<String> = sqlx::query_scalar(&$sql("SELECT publisher_id FROM publishers WHERE publisher_id = $1"))
                    .bind(target)
                    .fetch_optional(&mut *tx)
                    .await?;
                if known.is_none() {
                    return Err(g::no_publisher(target));
                }
                if let Some(ns) = namespace {
                    let holder: Option<String> = sqlx::query_scalar(&$sql("SELECT publisher_id FROM namespaces WHERE namespace = $1"))
                        .bind(ns)
                        .fetch_optional(&mut *tx)
                        .await?;
                    if holder.as_deref() != Some(target) || !$crate::auth::scopes::covers(ns, id) {
                        return Err(g::refused(
                            400,
                            "invalid_namespace",
                            format!("target_namespace {ns:?} must be a namespace of {target:?} covering {id:?}"),
                            "target_namespace",
                            ns,
                        ));
                    }
                }
                let from: Option<String> = sqlx::query_scalar(&$sql(
                    "SELECT publisher_id FROM artifact_ownership WHERE artifact_kind = $1 AND artifact_id = $2",
                ))
                .bind(kind_name)
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let versions = match kind {
                    Kind::Package => "SELECT publisher_id FROM packages WHERE package_id = $1 LIMIT 1",
                    Kind::Template => "SELECT publisher_id FROM templates WHERE template_id = $1 LIMIT 1",
                };
                let from = match from {
                    Some(from) => {
                        sqlx::query(&$sql(
                            "UPDATE artifact_ownership SET publisher_id = $3, namespace = $4, status = 'active', \
                             updated_at = $5 WHERE artifact_kind = $1 AND artifact_id = $2",
                        ))
                        .bind(kind_name)
                        .bind(id)
                        .bind(target)
                        .bind(namespace)
                        .bind(&audit.created_at)
                        .execute(&mut *tx)
                        .await?;
                        Some(from)
                    }
                    None => {
                        let published: Option<String> = sqlx::query_scalar(&$sql(versions))
                            .bind(id)
                            .fetch_optional(&mut *tx)
                            .await?;
                        if published.is_none() {
                            return Ok(None);
                        }
                        // A look-alike id held by someone else keeps its owner: the unique folded id refuses.
                        let inserted = sqlx::query(&$sql(
                            "INSERT INTO artifact_ownership (artifact_kind, artifact_id, folded_id, publisher_id, \
                             namespace, status, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $6) \
                             ON CONFLICT DO NOTHING",
                        ))
                        .bind(kind_name)
                        .bind(id)
                        .bind($crate::auth::scopes::fold(id))
                        .bind(target)
                        .bind(namespace)
                        .bind(&audit.created_at)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        if inserted != 1 {
                            return Err(g::refused(
                                409,
                                "similar_id_exists",
                                format!("a look-alike of {id:?} has an owner; transfer that id instead"),
                                "artifact_id",
                                id,
                            ));
                        }
                        None
                    }
                };
                for subject in from.into_iter().chain([target.to_owned()]) {
                    let mut event = audit.clone();
                    event.subject_publisher_id = Some(subject);
                    $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, &event);
                }
                let entry = $crate::log::entry::ownership(kind_name, id, target, "transfer", &audit.created_at)?;
                $crate::store::shared_log::pending_step!($sql, tx, entry, "ownership", kind_name, id, "");
                tx.commit().await?;
                $crate::store::PublisherStore::ownership(self, kind, id).await
            }
        }
    };
}

pub(super) use governance_ops;

/// An admin listing page (`AdminPage { items, total }`) of `$table` rows whose lower-cased `$matched` text contains
/// `$search` and whose `status` is `$status` (each `""` for any), ordered by `$order`, `$limit` rows after `$offset`,
/// selected as `$columns` and decoded by `$from_row`.
macro_rules! admin_page {
    ($sql:path, $pool:expr, $table:literal, $matched:literal, $order:literal, $columns:expr, $from_row:path,
     $search:expr, $status:expr, $limit:expr, $offset:expr) => {{
        let search = $crate::store::shared_governance::like_body($search);
        let status: &str = $status;
        let filter_sql = $crate::store::shared_governance::filter_sql($matched);
        let total: i64 = sqlx::query_scalar(&$sql(&format!(
            concat!("SELECT COUNT(*) FROM ", $table, " {}"),
            filter_sql
        )))
        .bind(&search)
        .bind(status)
        .fetch_one($pool)
        .await?;
        let rows = sqlx::query(&$sql(&format!(
            concat!(
                "SELECT {} FROM ",
                $table,
                " {} ORDER BY ",
                $order,
                " LIMIT $3 OFFSET $4"
            ),
            $columns, filter_sql
        )))
        .bind(&search)
        .bind(status)
        .bind(i64::from($limit))
        .bind(i64::from($offset))
        .fetch_all($pool)
        .await?;
        let items = rows
            .iter()
            .map(|r| $from_row(r))
            .collect::<Result<_, _>>()?;
        Ok($crate::store::AdminPage { items, total })
    }};
}
pub(super) use admin_page;
