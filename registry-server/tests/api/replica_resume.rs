//! A replica's refusal is a durable state: stored with its evidence, it survives a restart (nothing is fetched
//! from the origin until an operator resumes), shows in `/readyz` and the metrics, and `POST /admin/mirror/resume`
//! (admin token) clears it and syncs at once: refused again with fresh evidence while the origin still lies,
//! caught up once it does not.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp, demo, error_of};
use crate::replica::{bytes, save_keys, wait_readyz, wait_synced};
use crate::replica_lies::{Proxy, altered_record};

async fn resume(app: &TestApp, token: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/admin/mirror/resume", app.api));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn metrics(app: &TestApp) -> String {
    let response = app
        .client
        .get(format!("{}/metrics", app.api))
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

async fn replica_on(database_url: &str, proxy: &Proxy, keys: &str) -> TestApp {
    TestApp::spawn_on(
        database_url,
        &[
            "--mirror-of",
            &proxy.base,
            "--mirror-trusted-keys",
            keys,
            "--mirror-interval-ms",
            "50",
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refusal_survives_a_restart_and_an_operator_resumes() {
    let origin = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    assert_eq!(
        origin.publish(demo("demo-resume", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let proxy = Proxy::start(&origin.base).await;
    let database_url = crate::postgres::cluster().fresh_database();
    let replica = replica_on(&database_url, &proxy, &keys).await;
    wait_synced(&replica, &origin).await;
    let checkpoint = bytes(&replica, "/log/checkpoint").await;

    // The origin lies about the next version's record: refused, with the evidence.
    proxy.lie(altered_record("demo-resume", "1.0.1"));
    assert_eq!(
        origin.publish(demo("demo-resume", "1.0.1")).await.status(),
        StatusCode::CREATED
    );
    let (_, refused) =
        wait_readyz(&replica, |_, body| body["code"] == "version_not_verified").await;
    assert!(
        refused["mirror"]["evidence"]
            .as_str()
            .unwrap()
            .contains("1.0.1"),
        "{refused}"
    );
    replica.stop().await;

    // Restarted: still refused with the stored evidence, nothing fetched from the origin, nothing written.
    let before = proxy.requests();
    let replica = replica_on(&database_url, &proxy, &keys).await;
    let (status, body) =
        wait_readyz(&replica, |_, body| body["code"] == "version_not_verified").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(body["mirror"]["evidence"], refused["mirror"]["evidence"]);
    assert_eq!(
        body["mirror"]["refused_at"],
        refused["mirror"]["refused_at"]
    );
    assert!(
        metrics(&replica)
            .await
            .contains("anip_registry_mirror_inconsistent 1")
    );
    assert_eq!(bytes(&replica, "/log/checkpoint").await, checkpoint);
    assert_eq!(
        replica.get("/packages/demo-resume/1.0.1").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        proxy.requests(),
        before,
        "a refused replica fetched from its origin on its own"
    );

    // Only the admin resumes; still lying: refused again, with fresh evidence.
    assert_eq!(
        error_of(resume(&replica, None).await).await,
        (StatusCode::UNAUTHORIZED, "invalid_admin_token".to_owned())
    );
    let again = resume(&replica, Some(ADMIN_TOKEN)).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["code"], "version_not_verified", "{again}");
    assert!(
        again["evidence"].as_str().unwrap().contains("1.0.1"),
        "{again}"
    );
    // Fresh evidence: the resume fetched from the origin again.
    assert!(proxy.requests() > before);
    assert_eq!(bytes(&replica, "/log/checkpoint").await, checkpoint);

    // The origin stops lying: resumed, synced at once.
    proxy.honest();
    let resumed = resume(&replica, Some(ADMIN_TOKEN)).await;
    assert_eq!(resumed.status(), StatusCode::OK);
    let resumed: Value = resumed.json().await.unwrap();
    assert_eq!(resumed["status"], "synced", "{resumed}");
    replica
        .get_json("/packages/demo-resume/1.0.1", StatusCode::OK)
        .await;
    assert_eq!(
        bytes(&replica, "/log/checkpoint").await,
        bytes(&origin, "/log/checkpoint").await
    );
    wait_synced(&replica, &origin).await;
    assert!(
        metrics(&replica)
            .await
            .contains("anip_registry_mirror_inconsistent 0")
    );
    // Cleared for good: a restart follows again.
    replica.stop().await;
    let replica = replica_on(&database_url, &proxy, &keys).await;
    wait_synced(&replica, &origin).await;

    // Not a replica: the route is the admin's, and there is nothing to resume.
    assert_eq!(
        error_of(resume(&origin, Some(ADMIN_TOKEN)).await).await,
        (StatusCode::NOT_FOUND, "not_a_mirror".to_owned())
    );
    assert_eq!(
        error_of(resume(&origin, Some("wrong")).await).await,
        (StatusCode::UNAUTHORIZED, "invalid_admin_token".to_owned())
    );
}
