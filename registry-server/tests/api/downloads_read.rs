//! The downloads read path, deterministically: a flush stuck on SQLite's write lock (held by another connection)
//! must not hold reads of the versions it carries. Each read answers within the counter's own bounded wait
//! (`downloads::FLUSH_WAIT` × `READ_TRIES`) while the flush is still stuck; the count shown may lag by the stuck
//! flush's deltas, never counts them twice, and is exact once the lock is released.

use clap::Parser as _;
use registry_server::config::Config;
use reqwest::StatusCode;
use serde_json::Value;
use sqlx::Connection as _;
use tokio::sync::oneshot;

use crate::helpers::{TOKEN, demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flush_stuck_on_a_locked_store_never_holds_reads_of_its_version() {
    registry_server::telemetry::init_for_test();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    // No timed flush during the test: the one flush is started below.
    let settings = Config::try_parse_from([
        "registry-server",
        "--database-url",
        &url,
        "--publish-token",
        TOKEN,
        "--download-flush-ms",
        "3600000",
        "--log-format",
        "text",
    ])
    .unwrap()
    .settings()
    .unwrap();
    let state = registry_server::prepare(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/registry-api/v1", listener.local_addr().unwrap());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::run(state.clone(), listener, async {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::new();
    let published = client
        .post(format!("{api}/publications"))
        .bearer_auth(TOKEN)
        .body(demo("stuck", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(published.status(), StatusCode::CREATED);
    let record = format!("{api}/packages/stuck/1.0.0");
    let download = format!("{record}/download");
    for _ in 0..2 {
        let response = client.get(&download).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    assert_eq!(state.downloads.pending(), 2);

    // Another connection takes the write lock and keeps it; reads still work (WAL).
    let mut blocker = sqlx::SqliteConnection::connect(&url).await.unwrap();
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut blocker)
        .await
        .unwrap();
    let flush = tokio::spawn({
        let state = state.clone();
        async move { state.downloads.flush(state.store.as_ref()).await }
    });
    // The flush has taken the two pending downloads (it is in flight, carrying this version) and now waits for
    // the lock, for up to the store's busy timeout.
    while state.downloads.pending() != 0 {
        tokio::task::yield_now().await;
    }

    let count = |body: Value| body["download_count"].as_i64().unwrap();
    let response = client.get(&record).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        !flush.is_finished(),
        "the record read waited for the stuck flush"
    );
    // The flush's two are neither stored yet nor counted twice: the count lags by them.
    assert_eq!(count(response.json().await.unwrap()), 0);
    let response = client.get(&download).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        !flush.is_finished(),
        "the download waited for the stuck flush"
    );
    assert_eq!(count(response.json().await.unwrap()), 1);

    sqlx::query("ROLLBACK").execute(&mut blocker).await.unwrap();
    flush.await.unwrap().unwrap();
    let response = client.get(&record).send().await.unwrap();
    assert_eq!(
        count(response.json().await.unwrap()),
        3,
        "exact once the flush lands"
    );
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
