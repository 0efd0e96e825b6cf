//! How the server meets its store: a schema without migrations is 503 `migrations_pending` on every route that
//! needs the store (API and UI, both stores); commits are durable (the settings in effect on the store's own
//! connections); Postgres URLs with `sslmode` work, and `require` against a server without TLS is a clear 503 or
//! startup error, never a panic.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, demo, error_of};

async fn unmigrated_store_is_503_migrations_pending(app: &TestApp) {
    for path in [
        "/publications",
        "/publications?limit=2",
        "/packages/p/1.0.0",
        "/packages/p/1.0.0/download",
        "/packages/p/1.0.0/lock",
        "/packages/p/1.0.0/receipt",
        "/templates",
        "/templates/t/1.0.0",
        "/templates/t/1.0.0/download",
        "/templates/t/1.0.0/receipt",
        "/readyz",
    ] {
        let (status, code) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "migrations_pending"),
            "GET {path}"
        );
    }
    let (status, code) = error_of(app.publish(demo("p", "1.0.0")).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "migrations_pending"),
        "publish"
    );
    let lifecycle = app
        .client
        .patch(format!("{}/admin/packages/p/1.0.0/lifecycle", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"status": "yanked", "reason": "r"}))
        .send()
        .await
        .unwrap();
    let (status, code) = error_of(lifecycle).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, "migrations_pending"),
        "lifecycle"
    );
    for page in [
        "/registry/packages",
        "/registry/templates",
        "/registry/packages/p/1.0.0",
        "/registry/templates/t/1.0.0",
    ] {
        let response = app
            .client
            .get(format!("{}{page}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE, "{page}");
        assert!(
            response
                .text()
                .await
                .unwrap()
                .contains("migrations pending"),
            "{page}"
        );
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("anip_registry_store_down 0"),
        "a missing schema is not an outage"
    );
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unmigrated_store() {
        let app = TestApp::spawn_with(Backend::Sqlite, &["--run-migrations", "false"]).await;
        unmigrated_store_is_503_migrations_pending(&app).await;
    }

    #[tokio::test]
    async fn commits_are_durable() {
        let dir = tempfile::tempdir().unwrap();
        let store = registry_server::store::SqliteStore::open(&dir.path().join("r.db"))
            .await
            .unwrap();
        let settings = store.durability().await.unwrap();
        assert_eq!(
            settings,
            [
                ("journal_mode", "wal".to_owned()),
                ("synchronous", "2".to_owned())
            ],
            "WAL with synchronous=FULL"
        );
    }
}

mod postgres {
    use super::*;
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn unmigrated_store() {
        let app = TestApp::spawn_with(Backend::Postgres, &["--run-migrations", "false"]).await;
        unmigrated_store_is_503_migrations_pending(&app).await;
    }

    #[tokio::test]
    async fn commits_are_durable() {
        // The test cluster runs with synchronous_commit=off; the store's sessions raise it.
        let url = crate::postgres::cluster().fresh_database();
        let store = registry_server::store::PostgresStore::connect(&url, Duration::from_secs(3))
            .await
            .unwrap();
        let settings = store.durability().await.unwrap();
        assert_eq!(settings[0], ("synchronous_commit", "on".to_owned()));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sslmode_disable_and_prefer_work() {
        for mode in ["disable", "prefer"] {
            let url = format!(
                "{}?sslmode={mode}",
                crate::postgres::cluster().fresh_database()
            );
            let app = TestApp::spawn_on(&url, &[]).await;
            assert_eq!(
                app.publish(demo("tls", "1.0.0")).await.status(),
                StatusCode::CREATED,
                "{mode}"
            );
            app.get_json("/packages/tls/1.0.0", StatusCode::OK).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sslmode_require_without_tls_is_a_clear_error() {
        let url = format!(
            "{}?sslmode=require",
            crate::postgres::cluster().fresh_database()
        );
        let settings = <registry_server::config::Config as clap::Parser>::try_parse_from([
            "registry-server",
            "--database-url",
            &url,
        ])
        .unwrap()
        .settings()
        .unwrap();
        let error = registry_server::prepare(settings).await.unwrap_err();
        assert_eq!(error.code(), "store_unavailable", "{error}");
        let text = error.to_string().to_ascii_lowercase();
        assert!(text.contains("tls") || text.contains("ssl"), "{text}");
        // Started without migrating, it serves and answers 503 until the database speaks TLS.
        let app = TestApp::spawn_on(&url, &["--run-migrations", "false"]).await;
        let (status, code) = error_of(app.get("/publications").await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::SERVICE_UNAVAILABLE, "store_unavailable")
        );
        assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    }
}
