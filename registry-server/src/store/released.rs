//! The checks a store connection passes when a request hands it back to its pool and when the next one takes it:
//! it must be outside any transaction, or it is closed (which rolls the transaction back) rather than reused; and a
//! connection that sat idle a while is pinged before use. A hot connection costs no extra round trip.
//!
//! Why: sqlx (0.8) rolls back a `Transaction` that is dropped, but a request cancelled (its client gone) after the
//! database answered `BEGIN` and before sqlx built the `Transaction` leaves nothing to roll back, and the connection
//! returns to the pool inside a transaction. On SQLite's single writer connection every later `BEGIN IMMEDIATE` then
//! failed ("attempted to call begin_with at non-zero transaction depth") and the registry stopped accepting
//! publishes; on a pool of connections a later `BEGIN` would have become a savepoint whose writes never commit.
//!
//! Where: sqlx pings every connection handed back, after [`handed_back`] runs, which reads any answer still on its
//! way. So [`handed_back`] closes what sqlx already counts as inside a transaction, and [`taken`] sees sqlx's final
//! count. Both read sqlx's count, not the database's state: a `BEGIN` whose answer was never read is not counted.
//! sqlx-sqlite rolls such a `BEGIN` back itself (its worker finds no one waiting for the answer); on Postgres a write
//! transaction's `BEGIN` runs in a task of its own (`PostgresStore::begin_write`), so it is never cut short. sqlx's
//! own ping before every acquire is turned off
//! (`test_before_acquire`): the hand-back ping has just tested a hot connection, and [`taken`] pings one idle for
//! [`PING_WHEN_IDLE_FOR`] or more. Together that was two extra round trips per statement outside a transaction.

use std::time::Duration;

use sqlx::pool::PoolOptions;
use sqlx::{Connection, Database};

/// A connection idle this long or longer is pinged when taken (a broken one is then replaced, not handed out).
pub(super) const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

/// `options` with the checks of this module.
pub(super) fn checked<DB: Database>(options: PoolOptions<DB>) -> PoolOptions<DB> {
    options
        .test_before_acquire(false)
        .after_release(|conn, _| Box::pin(handed_back(conn)))
        .before_acquire(|conn, meta| Box::pin(taken(conn, meta.idle_for)))
}

/// On hand-back: `Ok(true)` to keep the connection, `Ok(false)` to close it. One that sqlx knows to be inside a
/// transaction is pinged first, which runs any rollback still queued on it (a dropped `Transaction` only queues its
/// `ROLLBACK`), and kept only if that ended the transaction; any other costs nothing here.
///
/// Errors: the ping's (the pool then closes the connection too).
pub(super) async fn handed_back<C: Connection>(conn: &mut C) -> Result<bool, sqlx::Error> {
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    conn.ping().await?;
    Ok(outside(conn))
}

/// On take, after `idle_for` in the pool: `Ok(false)` (close it, take another) for a connection inside a
/// transaction; one idle for [`PING_WHEN_IDLE_FOR`] or more is pinged.
///
/// Errors: the ping's (the pool then closes the connection and takes another).
pub(super) async fn taken<C: Connection>(
    conn: &mut C,
    idle_for: Duration,
) -> Result<bool, sqlx::Error> {
    if !outside(conn) {
        return Ok(false);
    }
    if idle_for >= PING_WHEN_IDLE_FOR {
        conn.ping().await?;
    }
    Ok(true)
}

/// Whether the connection is outside any transaction (logged when not: the pool closes it).
fn outside<C: Connection>(conn: &mut C) -> bool {
    let outside = !conn.is_in_transaction();
    if !outside {
        tracing::warn!("registry_store_connection_closed_in_transaction");
    }
    outside
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::SqliteConnection;

    async fn connection() -> SqliteConnection {
        SqliteConnection::connect("sqlite::memory:").await.unwrap()
    }

    #[tokio::test]
    async fn a_connection_inside_a_transaction_is_refused_when_taken_and_when_handed_back() {
        let mut conn = connection().await;
        std::mem::forget(conn.begin().await.unwrap());
        assert!(!taken(&mut conn, Duration::ZERO).await.unwrap());
        assert!(!taken(&mut conn, PING_WHEN_IDLE_FOR).await.unwrap());
        assert!(!handed_back(&mut conn).await.unwrap());
    }

    #[tokio::test]
    async fn a_dropped_transaction_is_rolled_back_by_the_hand_back_ping_and_the_connection_kept() {
        let mut conn = connection().await;
        drop(conn.begin().await.unwrap());
        assert!(handed_back(&mut conn).await.unwrap());
        assert!(!conn.is_in_transaction());
        assert!(taken(&mut conn, Duration::ZERO).await.unwrap());
    }

    #[tokio::test]
    async fn a_connection_outside_is_kept_and_an_idle_one_pinged() {
        let mut conn = connection().await;
        assert!(handed_back(&mut conn).await.unwrap());
        assert!(taken(&mut conn, Duration::ZERO).await.unwrap());
        assert!(taken(&mut conn, PING_WHEN_IDLE_FOR * 3).await.unwrap());
    }
}
