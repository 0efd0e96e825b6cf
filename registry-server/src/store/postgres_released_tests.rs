//! The Postgres pool closes a connection handed back inside a transaction (see `released`), on a real server from
//! the integration tests' throwaway-cluster harness.

use std::time::Duration;

use sqlx::Connection as _;
use sqlx::postgres::PgConnection;

use super::postgres::PostgresStore;
use super::{DownloadDelta, Kind, Store};

/// The integration tests' harness: one throwaway cluster per test process, a fresh database per test.
#[path = "../../tests/api/postgres.rs"]
mod harness;

/// The flushed download count of `pkg@1.0.0` as another connection (not the store's pool) sees it.
async fn committed_count(url: &str) -> Option<i64> {
    let mut other = PgConnection::connect(url).await.unwrap();
    sqlx::query_scalar(
        "SELECT download_count FROM package_downloads WHERE package_id = 'pkg' AND package_version = '1.0.0'",
    )
    .fetch_optional(&mut other)
    .await
    .unwrap()
}

fn delta(count: i64) -> DownloadDelta {
    DownloadDelta {
        kind: Kind::Package,
        id: "pkg".into(),
        version: "1.0.0".into(),
        count,
    }
}

/// A request cancelled between Postgres's answer to `BEGIN` and sqlx's `Transaction` leaves its connection inside
/// a transaction with nothing to roll it back (forgetting the `Transaction` makes that state here at will). Reused,
/// the next `BEGIN` on it would be a savepoint and its writes would never commit; the pool must close it instead
/// (which rolls back what the lost transaction wrote).
#[tokio::test]
async fn a_postgres_connection_left_inside_a_transaction_is_not_reused() {
    let url = harness::cluster().fresh_database();
    let connect = || PostgresStore::connect(&url, Duration::from_secs(30));
    connect().await.unwrap().migrate().await.unwrap();
    // A store whose pool holds no connection yet: the one the test leaves in a transaction is its only one, so a
    // pool that kept it would hand it out next.
    let store = connect().await.unwrap();
    let pool = store.pool();

    let mut conn = pool.acquire().await.unwrap();
    let mut tx = (*conn).begin().await.unwrap();
    sqlx::query(
        "INSERT INTO package_downloads (package_id, package_version, download_count) VALUES ('pkg', '1.0.0', 1000)",
    )
    .execute(&mut *tx)
    .await
    .unwrap();
    std::mem::forget(tx);
    assert!(conn.is_in_transaction());
    // Hand it back and wait for the pool's check to finish (what dropping it does in a spawned task).
    conn.return_to_pool().await;
    drop(conn);
    assert_eq!(pool.size(), 0, "the connection was closed, not kept idle");

    // The next connection is outside any transaction (handed back at once: the write below takes it again), and a
    // write through the store commits.
    let mut conn = pool.acquire().await.unwrap();
    assert!(!conn.is_in_transaction());
    conn.return_to_pool().await;
    drop(conn);
    store.add_downloads(&[delta(7)]).await.unwrap();
    assert_eq!(
        committed_count(&url).await,
        Some(7),
        "the write committed; the lost transaction's row was rolled back"
    );
}

/// The race as a request meets it: a write's `BEGIN` cancelled after one poll (sent, its answer not yet read), 20
/// times over, each followed by an autocommit write through the pool, which must commit (be seen from another
/// connection). With the `BEGIN` in the request's own future, the connection went back to the pool inside a
/// transaction that sqlx did not know of, and such writes stayed uncommitted.
#[tokio::test]
async fn a_begin_cancelled_in_flight_leaves_no_connection_inside_a_transaction() {
    use futures_util::FutureExt as _;
    let url = harness::cluster().fresh_database();
    let connect = || PostgresStore::connect(&url, Duration::from_secs(30));
    connect().await.unwrap().migrate().await.unwrap();
    let store = connect().await.unwrap();
    let mut other = PgConnection::connect(&url).await.unwrap();
    for round in 1..=20_i64 {
        assert!(
            store.begin_write().now_or_never().is_none(),
            "round {round}: BEGIN answered at once"
        );
        sqlx::query(
            "INSERT INTO package_downloads (package_id, package_version, download_count) VALUES ('pkg', $1, 1)",
        )
        .bind(format!("1.0.{round}"))
        .execute(store.pool())
        .await
        .unwrap();
        let seen: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM package_downloads WHERE package_id = 'pkg'")
                .fetch_one(&mut other)
                .await
                .unwrap();
        assert_eq!(
            seen, round,
            "round {round}: an autocommit write did not commit"
        );
    }
}
