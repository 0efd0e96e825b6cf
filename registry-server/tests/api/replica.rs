//! `registry-server --mirror-of`: a replica (Postgres) follows an origin (SQLite) holding the accepted fixtures,
//! serves the origin's records, receipts, keys and log byte for byte, replays new versions and a yank, refuses
//! every write with 403 `read_only_mirror`, and reports its lag (an origin that lies: `replica_lies`).

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, Backend, TOKEN, TestApp, demo, error_of, fixture};
use crate::templates::publish_template;

/// The origin's keys in the trusted-keys format, written to `dir/keys.txt`.
pub(crate) async fn save_keys(origin: &TestApp, dir: &tempfile::TempDir) -> String {
    let keys = origin.get_json("/keys", StatusCode::OK).await;
    let mut text = String::from("# test\n");
    for item in keys["items"].as_array().unwrap() {
        text.push_str(&format!(
            "{}={}\n",
            item["key_id"].as_str().unwrap(),
            item["public_key"].as_str().unwrap()
        ));
    }
    let path = dir.path().join("keys.txt");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

pub(crate) async fn replica_of(backend: Backend, origin_base: &str, keys: &str) -> TestApp {
    TestApp::spawn_with(
        backend,
        &[
            "--mirror-of",
            origin_base,
            "--mirror-trusted-keys",
            keys,
            "--mirror-interval-ms",
            "50",
        ],
    )
    .await
}

/// The origin's newest checkpoint size.
pub(crate) async fn origin_size(origin: &TestApp) -> u64 {
    let text = origin.get("/log/checkpoint").await.text().await.unwrap();
    text.lines().nth(1).unwrap().parse().unwrap()
}

/// Polls the replica's `/readyz` (bounded) until `done(status, body)`; returns the last answer.
pub(crate) async fn wait_readyz(
    replica: &TestApp,
    done: impl Fn(StatusCode, &Value) -> bool,
) -> (StatusCode, Value) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let response = replica
            .client
            .get(format!("{}/readyz", replica.api))
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        if done(status, &body) {
            return (status, body);
        }
        assert!(
            Instant::now() < deadline,
            "replica never got there: {status} {body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Waits until the replica is ready with the origin's current size mirrored.
pub(crate) async fn wait_synced(replica: &TestApp, origin: &TestApp) -> Value {
    let size = origin_size(origin).await;
    wait_readyz(replica, |status, body| {
        status == StatusCode::OK && body["mirror"]["mirrored_size"] == size
    })
    .await
    .1
}

pub(crate) async fn bytes(app: &TestApp, path: &str) -> (StatusCode, Vec<u8>) {
    let response = app.get(path).await;
    (response.status(), response.bytes().await.unwrap().to_vec())
}

/// A record without what differs between registries by design (the local download count).
fn comparable(mut record: Value) -> Value {
    let object = record.as_object_mut().unwrap();
    object.remove("download_count");
    record
}

async fn yank(origin: &TestApp, id: &str, version: &str) {
    let response = origin
        .client
        .patch(format!(
            "{}/admin/packages/{id}/{version}/lifecycle",
            origin.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .header("content-type", "application/json")
        .body(r#"{"status":"yanked","reason":"broken build"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_follows_a_sqlite_origin() {
    // The origin's log has a name of its own: the replica's pages and answers must carry it, not the replica's.
    let origin = TestApp::spawn_with(Backend::Sqlite, &["--log-origin", "origin.test/anip"]).await;
    let expected: Value = serde_json::from_slice(&fixture("expected.json")).unwrap();
    let mut versions = Vec::new();
    for name in expected["publish_expectations"]["accepted"]
        .as_object()
        .unwrap()
        .keys()
    {
        let response = origin.publish(fixture(name)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let record: Value = response.json().await.unwrap();
        let record = &record["package"];
        versions.push(format!(
            "/packages/{}/{}",
            record["package_id"].as_str().unwrap(),
            record["package_version"].as_str().unwrap()
        ));
    }
    for name in expected["template_expectations"]["accepted"]
        .as_array()
        .unwrap()
    {
        let response = publish_template(&origin, fixture(name.as_str().unwrap())).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
        let record: Value = response.json().await.unwrap();
        let record = &record["template"];
        versions.push(format!(
            "/templates/{}/{}",
            record["template_id"].as_str().unwrap(),
            record["template_version"].as_str().unwrap()
        ));
    }
    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    let replica = replica_of(Backend::Postgres, &origin.base, &keys).await;
    let ready = wait_synced(&replica, &origin).await;
    assert_eq!(ready["mirror"]["origin"], origin.base.as_str());
    assert_eq!(
        ready["mirror"]["origin_size"],
        ready["mirror"]["mirrored_size"]
    );

    // The origin's log, keys, receipts and records, as the origin serves them.
    for path in ["/log/checkpoint", "/log/tile/entries/000.p/9"] {
        assert_eq!(
            bytes(&replica, path).await,
            bytes(&origin, path).await,
            "{path}"
        );
    }
    assert_eq!(
        replica.get_json("/keys", StatusCode::OK).await,
        origin.get_json("/keys", StatusCode::OK).await
    );
    for path in &versions {
        let receipt = format!("{path}/receipt");
        assert_eq!(
            bytes(&replica, &receipt).await,
            bytes(&origin, &receipt).await,
            "{receipt}"
        );
        assert_eq!(
            comparable(replica.get_json(path, StatusCode::OK).await),
            comparable(origin.get_json(path, StatusCode::OK).await),
            "{path}"
        );
    }
    let proof = replica
        .get_json(&format!("{}/receipt?proof=1", versions[0]), StatusCode::OK)
        .await;
    assert!(
        proof["tlog_proof"]
            .as_str()
            .unwrap()
            .contains(&origin_size(&origin).await.to_string())
    );

    // More versions and a yank on the origin: the replica shows both.
    assert_eq!(
        origin.publish(demo("replicated", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        origin.publish(demo("replicated", "1.1.0")).await.status(),
        StatusCode::CREATED
    );
    yank(&origin, "replicated", "1.0.0").await;
    wait_synced(&replica, &origin).await;
    let yanked = replica
        .get_json(
            "/packages/replicated/1.0.0?allow_yanked=true",
            StatusCode::OK,
        )
        .await;
    assert_eq!(yanked["lifecycle"]["status"], "yanked");
    assert_eq!(yanked["lifecycle"]["reason"], "broken build");
    replica
        .get_json("/packages/replicated/1.1.0", StatusCode::OK)
        .await;
    let latest = replica
        .get_json("/packages/replicated", StatusCode::OK)
        .await;
    assert!(latest.to_string().contains("1.1.0"), "{latest}");
    assert_eq!(
        bytes(&replica, "/log/checkpoint").await,
        bytes(&origin, "/log/checkpoint").await
    );

    // Downloads are counted where they happen: the origin sees none of the replica's.
    assert_eq!(
        replica
            .get("/packages/replicated/1.1.0/download")
            .await
            .status(),
        StatusCode::OK
    );
    let on_origin = origin
        .get_json("/packages/replicated/1.1.0", StatusCode::OK)
        .await;
    assert_eq!(on_origin["download_count"], 0);

    // Every write is refused with the stable code, naming the origin.
    let publish = replica.publish(demo("replicated", "2.0.0")).await;
    assert_eq!(
        error_of(publish).await,
        (StatusCode::FORBIDDEN, "read_only_mirror".to_owned())
    );
    let admin = replica
        .client
        .patch(format!(
            "{}/admin/packages/replicated/1.1.0/lifecycle",
            replica.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .body(r#"{"status":"yanked","reason":"x"}"#)
        .send()
        .await
        .unwrap();
    let body: Value = admin.json().await.unwrap();
    assert_eq!(body["code"], "read_only_mirror");
    assert!(
        body["error"].as_str().unwrap().contains(&origin.base),
        "{body}"
    );
    let me = replica
        .client
        .post(format!("{}/me/tokens", replica.api))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(me).await,
        (StatusCode::FORBIDDEN, "read_only_mirror".to_owned())
    );
    let template = publish_template(&replica, b"{}".to_vec()).await;
    assert_eq!(
        error_of(template).await,
        (StatusCode::FORBIDDEN, "read_only_mirror".to_owned())
    );

    let metrics = replica
        .client
        .get(format!("{}/metrics", replica.api))
        .send()
        .await
        .unwrap();
    let metrics = metrics.text().await.unwrap();
    assert!(
        metrics.contains("anip_registry_mirror_lag_entries 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("anip_registry_mirror_last_sync_seconds "),
        "{metrics}"
    );
    assert!(
        metrics.contains("anip_registry_mirror_inconsistent 0"),
        "{metrics}"
    );
}

/// An origin that goes away: the replica keeps serving, and `/readyz` fails once the last sync is older than the
/// lag bound (with the transport error); a replica that never synced is not ready either.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replica_whose_origin_is_gone_reports_its_lag() {
    let origin = TestApp::spawn(Backend::Sqlite).await;
    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    assert_eq!(
        origin.publish(demo("demo-lag", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let replica = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            "--mirror-of",
            &origin.base,
            "--mirror-trusted-keys",
            &keys,
            "--mirror-interval-ms",
            "50",
            "--mirror-max-lag-seconds",
            "1",
        ],
    )
    .await;
    wait_synced(&replica, &origin).await;
    // An origin answer over the size bound fails the sync (retried), never read whole.
    let small = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            "--mirror-of",
            &origin.base,
            "--mirror-trusted-keys",
            &keys,
            "--mirror-max-response-bytes",
            "1024",
        ],
    )
    .await;
    let (status, body) =
        wait_readyz(&small, |_, body| body["mirror"]["last_error"].is_string()).await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        body["mirror"]["last_error"]
            .as_str()
            .unwrap()
            .contains("larger than 1024 bytes"),
        "{body}"
    );
    origin.stop().await;
    let (_, body) = wait_readyz(&replica, |status, _| {
        status == StatusCode::SERVICE_UNAVAILABLE
    })
    .await;
    assert_eq!(body["code"], "mirror_lagging", "{body}");
    assert!(body["mirror"]["last_error"].is_string(), "{body}");
    // Lagging means more than 1 s; the figure is rounded to the millisecond, so 1.0004 s shows as 1.0.
    assert!(
        body["mirror"]["seconds_since_sync"].as_f64().unwrap() >= 1.0,
        "{body}"
    );
    replica
        .get_json("/packages/demo-lag/1.0.0", StatusCode::OK)
        .await;

    // Nothing synced yet: not ready, and /keys says so rather than serving keys of its own.
    let never = replica_of(Backend::Sqlite, "http://127.0.0.1:9", &keys).await;
    let (status, body) =
        wait_readyz(&never, |_, body| body["mirror"]["last_error"].is_string()).await;
    assert_eq!(
        (status, body["code"].as_str()),
        (StatusCode::SERVICE_UNAVAILABLE, Some("mirror_not_synced"))
    );
    assert_eq!(
        error_of(never.get("/keys").await).await,
        (
            StatusCode::SERVICE_UNAVAILABLE,
            "mirror_not_synced".to_owned()
        )
    );
}
