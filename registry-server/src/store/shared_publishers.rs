//! The publisher operations both backends share ([`super::publishers::PublisherStore`]), the ownership claim made
//! inside a publish transaction, and the audit insert; SQL with `$n` placeholders passed through the backend's
//! `$sql` function, as in `shared`.

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::{NamespaceRow, OwnershipRow, PublisherRow, TokenRow};

/// Columns of [`PublisherRow`].
pub(super) const PUBLISHER_COLUMNS: &str = "publisher_id, publisher_type, display_name, description, \
    website_url, status, trust_level, created_at, updated_at";
/// Columns of [`NamespaceRow`].
pub(super) const NAMESPACE_COLUMNS: &str =
    "namespace, publisher_id, artifact_kinds, status, created_at, updated_at";
/// Columns of [`OwnershipRow`].
pub(super) const OWNERSHIP_COLUMNS: &str =
    "artifact_kind, artifact_id, publisher_id, namespace, status, created_at, updated_at";
/// Columns of [`TokenRow`].
pub(super) const TOKEN_COLUMNS: &str = "token_id, publisher_id, token_hash, label, scopes, expires_at, \
    last_used_at, revoked_at, created_at, updated_at";
/// The audit insert.
pub(super) const INSERT_AUDIT: &str = "INSERT INTO audit_events (event_id, actor_publisher_id, token_id, actor, \
    event_type, target_type, target_id, metadata, ip_hash, created_at, subject_publisher_id) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

fn bad_json(e: serde_json::Error) -> sqlx::Error {
    sqlx::Error::Decode(Box::new(e))
}

pub(super) fn publisher_from_row<'r, R>(r: &'r R) -> Result<PublisherRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(PublisherRow {
        publisher_id: r.try_get("publisher_id")?,
        publisher_type: r.try_get("publisher_type")?,
        display_name: r.try_get("display_name")?,
        description: r.try_get("description")?,
        website_url: r.try_get("website_url")?,
        status: r.try_get("status")?,
        trust_level: r.try_get("trust_level")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) fn namespace_from_row<'r, R>(r: &'r R) -> Result<NamespaceRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    let kinds: String = r.try_get("artifact_kinds")?;
    Ok(NamespaceRow {
        namespace: r.try_get("namespace")?,
        publisher_id: r.try_get("publisher_id")?,
        artifact_kinds: serde_json::from_str(&kinds).map_err(bad_json)?,
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) fn ownership_from_row<'r, R>(r: &'r R) -> Result<OwnershipRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let namespace: Option<String> = r.try_get("namespace")?;
    Ok(OwnershipRow {
        artifact_kind: r.try_get("artifact_kind")?,
        artifact_id: r.try_get("artifact_id")?,
        publisher_id: r.try_get("publisher_id")?,
        namespace: namespace.unwrap_or_default(),
        status: r.try_get("status")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

pub(super) fn token_from_row<'r, R>(r: &'r R) -> Result<TokenRow, sqlx::Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    let scopes: String = r.try_get("scopes")?;
    Ok(TokenRow {
        token_id: r.try_get("token_id")?,
        publisher_id: r.try_get("publisher_id")?,
        token_hash: r.try_get("token_hash")?,
        label: r.try_get("label")?,
        scopes: serde_json::from_str(&scopes).map_err(bad_json)?,
        expires_at: r.try_get("expires_at")?,
        last_used_at: r.try_get("last_used_at")?,
        revoked_at: r.try_get("revoked_at")?,
        created_at: r.try_get("created_at")?,
        updated_at: r.try_get("updated_at")?,
    })
}

/// Inserts publisher row `$p` (a [`super::PublisherRow`]) on `$executor` unless its id exists; the rows inserted.
macro_rules! insert_publisher {
    ($sql:path, $executor:expr, $p:expr) => {{
        let p: &$crate::store::PublisherRow = $p;
        sqlx::query(&$sql(&format!(
            "INSERT INTO publishers ({}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
            $crate::store::shared_publishers::PUBLISHER_COLUMNS
        )))
        .bind(&p.publisher_id)
        .bind(&p.publisher_type)
        .bind(&p.display_name)
        .bind(&p.description)
        .bind(&p.website_url)
        .bind(&p.status)
        .bind(&p.trust_level)
        .bind(&p.created_at)
        .bind(&p.updated_at)
        .execute($executor)
        .await?
        .rows_affected()
    }};
}

/// Runs `$statement` with `$bind`s in a write transaction of `$store`; when it changed exactly one row, writes
/// `$audit` (an [`super::AuditEvent`]) and commits. Evaluates to whether it did (otherwise nothing is written).
macro_rules! audited_update {
    ($sql:path, $store:expr, $audit:expr, $statement:expr, $($bind:expr),+ $(,)?) => {{
        let mut tx = $store.begin_write().await?;
        let changed = sqlx::query(&$sql($statement))
            $(.bind($bind))+
            .execute(&mut *tx)
            .await?
            .rows_affected()
            == 1;
        if changed {
            $crate::store::shared_publishers::insert_audit!($sql, &mut *tx, $audit);
            tx.commit().await?;
        }
        changed
    }};
}

/// Writes `$event` (an [`super::AuditEvent`]) on `$executor`.
macro_rules! insert_audit {
    ($sql:path, $executor:expr, $event:expr) => {{
        let e: &$crate::store::AuditEvent = $event;
        sqlx::query(&$sql($crate::store::shared_publishers::INSERT_AUDIT))
            .bind($crate::auth::token::new_uuid()?)
            .bind(e.actor_publisher_id.as_deref())
            .bind(e.token_id.as_deref())
            .bind(&e.actor)
            .bind(&e.event_type)
            .bind(&e.target_type)
            .bind(&e.target_id)
            .bind(&e.metadata)
            .bind(e.ip_hash.as_deref())
            .bind(&e.created_at)
            .bind(
                e.subject_publisher_id
                    .as_deref()
                    .or(e.actor_publisher_id.as_deref()),
            )
            .execute($executor)
            .await?;
    }};
}

/// Inside an open transaction `$tx`, as its first statement: claims `$claim`'s id for its publisher when nobody
/// holds it or a look-alike (the unique folded-id index makes racing claims wait for each other and admit one),
/// then checks the row that holds it. Returns early with the refusal (the dropped transaction rolls back).
/// `$versions` / `$id_column` name the version table, to refuse a fresh claim of an id that already has versions
/// by another publisher.
macro_rules! claim_step {
    ($sql:path, $tx:ident, $claim:expr, $versions:literal, $id_column:literal) => {
        if let Some(c) = $claim {
            let c: &$crate::store::Claim = c;
            let kind = $crate::auth::scopes::kind_name(c.kind);
            let folded = $crate::auth::scopes::fold(&c.artifact_id);
            let at = &c.audit.created_at;
            let claimed = sqlx::query(&$sql(
                "INSERT INTO artifact_ownership (artifact_kind, artifact_id, folded_id, publisher_id, namespace, \
                 status, created_at, updated_at) SELECT $1, $2, $3, $4, $5, 'active', $6, $6 \
                 WHERE EXISTS (SELECT 1 FROM publishers WHERE publisher_id = $4) ON CONFLICT DO NOTHING",
            ))
            .bind(kind)
            .bind(&c.artifact_id)
            .bind(&folded)
            .bind(&c.publisher_id)
            .bind(c.namespace.as_deref())
            .bind(at)
            .execute(&mut *$tx)
            .await?
            .rows_affected()
                == 1;
            if claimed {
                // The claim is public: an `ownership` entry in the log, in this transaction.
                let entry =
                    $crate::log::entry::ownership(kind, &c.artifact_id, &c.publisher_id, "claim", at)?;
                $crate::store::shared_log::pending_step!($sql, $tx, entry, "ownership", kind, &c.artifact_id, "");
            }
            let held = sqlx::query(&$sql(&format!(
                "SELECT {} FROM artifact_ownership WHERE artifact_kind = $1 AND folded_id = $2",
                $crate::store::shared_publishers::OWNERSHIP_COLUMNS
            )))
            .bind(kind)
            .bind(&folded)
            .fetch_optional(&mut *$tx)
            .await?;
            if let Some(row) = held {
                let row = $crate::store::shared_publishers::ownership_from_row(&row)?;
                if let Some(refusal) = $crate::auth::ownership::refusal(&row, c) {
                    return Err(refusal);
                }
            }
            if claimed {
                let other: Option<String> = sqlx::query_scalar(&$sql(concat!(
                    "SELECT publisher_id FROM ", $versions, " WHERE ", $id_column,
                    " = $1 AND publisher_id <> $2 LIMIT 1"
                )))
                .bind(&c.artifact_id)
                .bind(&c.publisher_id)
                .fetch_optional(&mut *$tx)
                .await?;
                if other.is_some() {
                    return Err($crate::auth::ownership::published_by_other(c));
                }
                let mut event = c.audit.clone();
                event.event_type = "artifact.claimed".into();
                event.target_type = kind.into();
                event.target_id = c.artifact_id.clone();
                event.metadata = serde_json::json!({ "namespace": c.namespace }).to_string();
                $crate::store::shared_publishers::insert_audit!($sql, &mut *$tx, &event);
            }
        }
    };
}

pub(super) use audited_update;
pub(super) use claim_step;
pub(super) use insert_audit;
pub(super) use insert_publisher;
