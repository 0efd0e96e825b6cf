//! How the SQLite store writes: one connection in process, each write transaction holding SQLite's write lock from
//! its `BEGIN` (so writers queue in the pool in arrival order, never in SQLite's sleeping busy handler).

use std::str::FromStr as _;
use std::time::Duration;

use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

use super::sqlite::SqliteStore;
use super::{DownloadDelta, Kind, Store};

async fn store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = SqliteStore::open(&dir.path().join("w.db")).await.unwrap();
    store.migrate().await.unwrap();
    store
}

/// Another process's connection to the same file that does not wait for a lock.
async fn other_connection(dir: &tempfile::TempDir) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str("sqlite://")
        .unwrap()
        .filename(dir.path().join("w.db"))
        .busy_timeout(Duration::ZERO);
    SqliteConnection::connect_with(&options).await.unwrap()
}

/// Another process can take the write lock at once (nothing of ours holds it).
async fn another_process_can_write(dir: &tempfile::TempDir) {
    let mut other = other_connection(dir).await;
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_write_transaction_holds_the_write_lock_from_its_begin() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let mut other = other_connection(&dir).await;
    let tx = store.begin_write().await.unwrap();
    // Nothing written yet, but the lock is taken: another writer is refused at once (a deferred BEGIN would have
    // let it in, and the store's first write would then have waited in the busy handler).
    let refused = sqlx::query("BEGIN IMMEDIATE").execute(&mut other).await;
    let message = refused.expect_err("the lock is held").to_string();
    assert!(message.contains("locked"), "{message}");
    // Readers are not blocked (WAL).
    let read: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM packages")
        .fetch_one(&mut other)
        .await
        .unwrap();
    assert_eq!(read, 0);
    tx.rollback().await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("ROLLBACK").execute(&mut other).await.unwrap();
}

#[tokio::test]
async fn concurrent_writes_share_one_connection_and_all_land() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let writes = (0..32).map(|n| {
        let store = store.clone();
        tokio::spawn(async move {
            let delta = DownloadDelta {
                kind: Kind::Package,
                id: format!("id-{}", n % 4),
                version: "1.0.0".into(),
                count: 1,
            };
            store.add_downloads(&[delta]).await
        })
    });
    for write in futures_util::future::join_all(writes).await {
        write.unwrap().unwrap();
    }
    assert_eq!(store.writer().size(), 1, "one write connection");
    let total: i64 = sqlx::query_scalar("SELECT SUM(download_count) FROM package_downloads")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(total, 32);
}

/// A request cancelled between SQLite's answer to `BEGIN` and sqlx's `Transaction` leaves its connection inside a
/// transaction with nothing to roll it back (forgetting the `Transaction` makes that state here at will): the pool
/// must not hand that connection to the next write, which would fail at its `BEGIN IMMEDIATE` for good.
#[tokio::test]
async fn a_connection_left_inside_a_transaction_is_not_reused() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    for pool in [store.writer(), store.pool()] {
        let mut conn = pool.acquire().await.unwrap();
        let tx = (*conn).begin_with("BEGIN IMMEDIATE").await.unwrap();
        std::mem::forget(tx);
        assert!(conn.is_in_transaction());
        drop(conn);
        // Every connection a pool hands out afterwards is outside any transaction, and writes go on.
        let conn = pool.acquire().await.unwrap();
        assert!(!conn.is_in_transaction());
        drop(conn);
        let tx = store.begin_write().await.expect("the next write begins");
        tx.commit().await.unwrap();
    }
    // And the lock was given back.
    another_process_can_write(&dir).await;
}

/// A `BEGIN IMMEDIATE` cancelled while in flight (polled once, so the command is on its way to the connection's
/// worker, then dropped), its connection handed back at once, 50 times: the next write always begins. (sqlx's worker
/// rolls back a `BEGIN` whose answer finds no one waiting; when the answer came within the one poll, the state the
/// pool's checks catch is made here.)
#[tokio::test]
async fn a_begin_cancelled_in_flight_never_leaves_the_writer_in_a_transaction() {
    use futures_util::FutureExt as _;
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    for round in 0..50 {
        let mut conn = store.writer().acquire().await.unwrap();
        if let Some(tx) = (*conn).begin_with("BEGIN IMMEDIATE").now_or_never() {
            // The worker answered within the one poll: make the same state the cancelled request leaves.
            std::mem::forget(tx.unwrap());
        }
        drop(conn);
        let tx = store
            .begin_write()
            .await
            .unwrap_or_else(|e| panic!("round {round}: the next write does not begin: {e}"));
        tx.commit().await.unwrap();
    }
    another_process_can_write(&dir).await;
}
