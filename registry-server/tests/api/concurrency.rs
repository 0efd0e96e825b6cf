//! Races: concurrent publishes of one version, concurrent downloads, and two servers sharing one Postgres.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;
use verifier::receipt::ReceiptOutcome;

use crate::helpers::{TestApp, demo};
use crate::publish::{keys_of, verify};

async fn statuses(app: &Arc<TestApp>, bodies: Vec<Vec<u8>>) -> Vec<StatusCode> {
    let tasks: Vec<_> = bodies
        .into_iter()
        .map(|body| {
            let app = Arc::clone(app);
            tokio::spawn(async move { app.publish(body).await.status() })
        })
        .collect();
    let mut out = Vec::new();
    for task in tasks {
        out.push(task.await.unwrap());
    }
    out
}

fn count(statuses: &[StatusCode], status: StatusCode) -> usize {
    statuses.iter().filter(|s| **s == status).count()
}

async fn racing_identical_publishes(app: &TestApp) {
    let app = Arc::new(TestApp::spawn_on(&app.database_url, &[]).await);
    let results = statuses(&app, vec![demo("race", "1.0.0"); 32]).await;
    assert_eq!(count(&results, StatusCode::CREATED), 1, "{results:?}");
    assert_eq!(count(&results, StatusCode::OK), 31, "{results:?}");
}

async fn racing_different_publishes(app: &TestApp) {
    let app = Arc::new(TestApp::spawn_on(&app.database_url, &[]).await);
    let bodies = (0..32)
        .map(|i| {
            let mut request: Value = serde_json::from_slice(&demo("race-diff", "1.0.0")).unwrap();
            request["readme"] = Value::from(format!("# variant {i}"));
            serde_json::to_vec(&request).unwrap()
        })
        .collect();
    let results = statuses(&app, bodies).await;
    assert_eq!(count(&results, StatusCode::CREATED), 1, "{results:?}");
    assert_eq!(count(&results, StatusCode::CONFLICT), 31, "{results:?}");
}

async fn concurrent_downloads_count_exactly(app: &TestApp) {
    // Exact counting is the point here, not overload: 500 requests queue for the store's few connections, which on a
    // busy machine can take longer than the default 3 s wait (that refusal, 503 `store_unavailable`, has its own test).
    let app = &TestApp::spawn_on(&app.database_url, &["--store-acquire-timeout", "60s"]).await;
    assert_eq!(
        app.publish(demo("popular", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let client = app.client.clone();
    let url = format!("{}/packages/popular/1.0.0/download", app.api);
    let tasks: Vec<_> = (0..500)
        .map(|_| {
            let client = client.clone();
            let url = url.clone();
            tokio::spawn(async move { client.get(&url).send().await.unwrap().status() })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::OK);
    }
    let record = app
        .get_json("/packages/popular/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["download_count"], 500);
}

async fn kept_count(app: &TestApp) -> i64 {
    app.get_json("/packages/kept/1.0.0", StatusCode::OK).await["download_count"]
        .as_i64()
        .unwrap()
}

/// Downloads are counted in memory and flushed in batches: each replica shows the stored count plus its own pending
/// downloads, and a clean shutdown stores them, so the counts of several replicas add up exactly.
async fn counts_survive_shutdown_and_add_up_across_replicas(app: &TestApp) {
    assert_eq!(
        app.publish(demo("kept", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    // No periodic flush during the test: only shutdown stores the counts.
    let never = ["--download-flush-ms", "3600000"];
    let a = TestApp::spawn_on(&app.database_url, &never).await;
    let b = TestApp::spawn_on(&app.database_url, &never).await;
    for _ in 0..7 {
        a.get_json("/packages/kept/1.0.0/download", StatusCode::OK)
            .await;
    }
    for _ in 0..5 {
        b.get_json("/packages/kept/1.0.0/download", StatusCode::OK)
            .await;
    }
    assert_eq!(
        kept_count(&a).await,
        7,
        "a replica shows its own pending downloads"
    );
    assert_eq!(kept_count(&b).await, 5);
    a.stop().await;
    assert_eq!(
        kept_count(&b).await,
        12,
        "a's downloads were stored when it stopped"
    );
    b.stop().await;
    assert_eq!(kept_count(app).await, 12);
    // The unpaged listing flushes first, so it orders by exact counts.
    let listed = app.get_json("/publications", StatusCode::OK).await;
    assert_eq!(listed["items"][0]["download_count"], 12);
}

crate::on_both_stores!(
    racing_identical_publishes,
    racing_different_publishes,
    concurrent_downloads_count_exactly,
    counts_survive_shutdown_and_add_up_across_replicas
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_share_one_postgres() {
    let url = crate::postgres::cluster().fresh_database();
    // Both start at once and race to migrate the empty database.
    let (a, b) = tokio::join!(TestApp::spawn_on(&url, &[]), TestApp::spawn_on(&url, &[]));
    let (a, b) = (Arc::new(a), Arc::new(b));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let app = if i % 2 == 0 {
                Arc::clone(&a)
            } else {
                Arc::clone(&b)
            };
            tokio::spawn(async move {
                app.publish(demo(&format!("shared-{i}"), "1.0.0"))
                    .await
                    .status()
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), StatusCode::CREATED);
    }
    for app in [&a, &b] {
        let keys = keys_of(app).await;
        let list = app.get_json("/publications", StatusCode::OK).await;
        assert_eq!(list["items"].as_array().unwrap().len(), 20);
        for i in 0..20 {
            let record = app
                .get_json(&format!("/packages/shared-{i}/1.0.0"), StatusCode::OK)
                .await;
            let receipt = app
                .get_json(
                    &format!("/packages/shared-{i}/1.0.0/receipt"),
                    StatusCode::OK,
                )
                .await;
            assert!(matches!(
                verify(&record, &receipt, &keys),
                ReceiptOutcome::Verified { .. }
            ));
        }
    }
}
