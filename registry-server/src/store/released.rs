//! The check every store connection passes when a request hands it back to its pool: it must be outside any
//! transaction, or it is closed (which rolls the transaction back) rather than reused.
//!
//! Why: sqlx (0.8) rolls back a `Transaction` that is dropped, but a request cancelled (its client gone) after the
//! database answered `BEGIN` and before sqlx built the `Transaction` leaves nothing to roll back, and the connection
//! returns to the pool inside a transaction. On SQLite's single writer connection every later `BEGIN IMMEDIATE` then
//! failed ("attempted to call begin_with at non-zero transaction depth") and the registry stopped accepting
//! publishes; on a pool of connections a later `BEGIN` would have become a savepoint whose writes never commit.

use sqlx::Connection;

/// `Ok(true)` to keep the connection, `Ok(false)` to close it. The ping runs after any rollback still queued on the
/// connection (a dropped `Transaction` only queues its `ROLLBACK`), so the check sees the connection's final state.
///
/// Errors: the ping's (the pool then closes the connection too).
pub(super) async fn outside_transaction<C: Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    conn.ping().await?;
    let outside = !conn.is_in_transaction();
    if !outside {
        tracing::warn!("registry_store_connection_closed_in_transaction");
    }
    Ok(outside)
}
