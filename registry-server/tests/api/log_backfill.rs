//! Log creation on a registry that already holds versions: migration 0008 appends each stored version once, in
//! publication order, with the same entry bytes its receipt gives; versions published afterwards follow.

use reqwest::StatusCode;
use sqlx::Connection as _;

use crate::helpers::{Backend, TestApp, demo};
use crate::log::{all_entries, verified_checkpoint};
use crate::templates::{publish_template, small_template};

/// Takes the log away (tables and the records of migrations 0008 and 0010), as it was before the log existed.
async fn without_log(url: &str) {
    let statements = [
        "DROP TABLE log_pending",
        "DROP TABLE log_entries",
        "DROP TABLE log_hashes",
        "DROP TABLE log_checkpoints",
        "DROP TABLE log_state",
        "DELETE FROM _sqlx_migrations WHERE version IN (8, 10)",
    ];
    if url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(url).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut db).await.unwrap();
        }
    } else {
        let mut db = sqlx::PgConnection::connect(url).await.unwrap();
        for s in statements {
            sqlx::query(s).execute(&mut db).await.unwrap();
        }
    }
}

async fn existing_versions_are_appended_once_in_publication_order(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let url = match backend {
        Backend::Sqlite => format!("sqlite://{}", dir.path().join("registry.db").display()),
        Backend::Postgres => crate::postgres::cluster().fresh_database(),
    };
    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        app.publish(demo("before-log", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("before-log", "2.0.0")).await.status(),
        StatusCode::CREATED
    );
    let template = serde_json::to_vec(&small_template("1.0.0")).unwrap();
    assert_eq!(
        publish_template(&app, template).await.status(),
        StatusCode::CREATED
    );
    let (size, _, _) = verified_checkpoint(&app).await;
    let logged = all_entries(&app, size).await;
    app.stop().await;
    without_log(&url).await;

    let app = TestApp::spawn_on(&url, &[]).await;
    assert_eq!(
        app.publish(demo("after-log", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let (size, _, _) = verified_checkpoint(&app).await;
    assert_eq!(size, 4);
    let entries = all_entries(&app, size).await;
    assert_eq!(
        entries[..3],
        logged[..],
        "the backfill rebuilt the same entries, in publication order"
    );
    let last: serde_json::Value = serde_json::from_slice(&entries[3]).unwrap();
    assert_eq!(last["package_id"], "after-log");
    let proved = app
        .get_json("/packages/before-log/2.0.0/receipt?proof=1", StatusCode::OK)
        .await;
    assert_eq!(proved["log_index"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_existing_versions_are_appended_once_in_publication_order() {
    existing_versions_are_appended_once_in_publication_order(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_existing_versions_are_appended_once_in_publication_order() {
    existing_versions_are_appended_once_in_publication_order(Backend::Postgres).await;
}
