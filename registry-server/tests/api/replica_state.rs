//! What a replica shows beyond the versions themselves: the owner's `publisher` summary (replayed from the log's
//! `ownership` entries, the summary checked against the logged owner) in records, listings and pages, and
//! taken-down versions answering 410 on every route as on the origin, whether the takedown came before the replica
//! first saw the version or after. Each test runs both ways round (a SQLite origin with a Postgres replica and the
//! reverse).

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, Backend, TestApp};
use crate::publishers::{insert_token, new_publisher, package_grant, publish_with, store_of};
use crate::replica::{replica_of, save_keys, wait_synced};
use crate::templates::small_template;

/// A JSON answer without what is per store by design (download counts), at any depth.
fn comparable(mut value: Value) -> Value {
    fn strip(value: &mut Value) {
        match value {
            Value::Object(map) => {
                map.remove("download_count");
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut value);
    value
}

/// Status and body (JSON made comparable; other bodies as text) of `GET <api><path>`.
async fn answer(app: &TestApp, path: &str) -> (StatusCode, Value) {
    let response = app.get(path).await;
    let status = response.status();
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).map_or(Value::String(text), comparable);
    (status, body)
}

/// A UI page's status and whether it names `text`.
async fn page(app: &TestApp, path: &str, text: &str) -> (StatusCode, bool) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap().contains(text))
}

async fn admin(app: &TestApp, method: reqwest::Method, path: &str, body: Value) {
    let response = app
        .client
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
}

async fn take_down(origin: &TestApp, id: &str, version: &str) {
    admin(
        origin,
        reqwest::Method::PATCH,
        &format!("/admin/packages/{id}/{version}/lifecycle"),
        json!({"status": "takedown", "reason": "legal request"}),
    )
    .await;
}

/// Every route that answers for one package version, API and UI, the same on both.
async fn same_version_answers(origin: &TestApp, replica: &TestApp, id: &str, version: &str) {
    let base = format!("/packages/{id}/{version}");
    for path in [
        base.clone(),
        format!("{base}?allow_yanked=true"),
        format!("{base}/receipt"),
        format!("{base}/receipt?proof=1"),
        format!("{base}/lock"),
        format!("{base}/lock?allow_yanked=true"),
        format!("{base}/download"),
        format!("{base}/download?allow_yanked=true"),
        format!("/packages/{id}"),
        "/publications".to_owned(),
        format!("/publications?q={id}"),
        "/log/receipts".to_owned(),
    ] {
        let on_origin = answer(origin, &path).await;
        let on_replica = answer(replica, &path).await;
        assert_eq!(on_replica, on_origin, "GET {path}");
    }
    let ui = format!("/registry/packages/{id}/{version}");
    assert_eq!(
        page(replica, &ui, "legal request").await,
        page(origin, &ui, "legal request").await,
        "{ui}"
    );
}

async fn publishers_and_takedowns(origin_backend: Backend, replica_backend: Backend) {
    let origin = TestApp::spawn(origin_backend).await;
    new_publisher(&origin, "acme", &[]).await;
    new_publisher(&origin, "beta", &[]).await;
    let store = store_of(&origin).await;
    let token = insert_token(
        &store,
        "acme",
        package_grant(&["demo-owned", "demo-gone"]),
        None,
    )
    .await;
    for (id, version) in [
        ("demo-owned", "1.0.0"),
        ("demo-owned", "1.1.0"),
        ("demo-gone", "1.0.0"),
    ] {
        let response = publish_with(&origin, &token, crate::helpers::demo(id, version)).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{id}@{version}");
    }
    let template = small_template("0.1.0");
    let template_id = template["template_id"].as_str().unwrap().to_owned();
    new_publisher(&origin, "studio", &[]).await;
    let studio = insert_token(
        &store,
        "studio",
        registry_server::auth::scopes::Scopes {
            operations: vec!["publish:template".into()],
            template_ids: vec![template_id.clone()],
            ..Default::default()
        },
        None,
    )
    .await;
    let response = origin
        .client
        .post(format!("{}/templates", origin.api))
        .bearer_auth(&studio)
        .json(&template)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    // Taken down before the replica ever saw it.
    take_down(&origin, "demo-gone", "1.0.0").await;

    let dir = tempfile::tempdir().unwrap();
    let keys = save_keys(&origin, &dir).await;
    let replica = replica_of(replica_backend, &origin.base, &keys).await;
    wait_synced(&replica, &origin).await;

    // Whole documents: records, listings, the publisher's page.
    let template_path = format!("/templates/{template_id}/0.1.0");
    for path in [
        "/packages/demo-owned/1.1.0",
        "/packages/demo-owned",
        &template_path,
        &format!("/templates/{template_id}"),
    ] {
        let on_origin = answer(&origin, path).await;
        assert_eq!(on_origin.0, StatusCode::OK, "{path}");
        assert_eq!(answer(&replica, path).await, on_origin, "{path}");
    }
    let record = answer(&replica, "/packages/demo-owned/1.1.0").await.1;
    assert_eq!(record["publisher"]["publisher_id"], "acme", "{record}");
    assert_eq!(record["publisher"]["display_name"], "acme Inc.", "{record}");
    let record = answer(&replica, &template_path).await.1;
    assert_eq!(record["publisher"]["publisher_id"], "studio", "{record}");
    for (path, name) in [
        ("/registry/packages/demo-owned/1.1.0", "acme Inc."),
        ("/registry/publishers/acme", "acme Inc."),
    ] {
        let shown = page(&replica, path, name).await;
        assert_eq!(shown, (StatusCode::OK, true), "{path}");
        assert_eq!(shown, page(&origin, path, name).await, "{path}");
    }
    same_version_answers(&origin, &replica, "demo-gone", "1.0.0").await;
    assert_eq!(
        answer(&replica, "/packages/demo-gone/1.0.0").await.0,
        StatusCode::GONE
    );

    // A takedown and a transfer after the replica had the versions.
    take_down(&origin, "demo-owned", "1.0.0").await;
    admin(
        &origin,
        reqwest::Method::POST,
        "/admin/artifact-transfer/package/demo-owned",
        json!({"target_publisher_id": "beta"}),
    )
    .await;
    wait_synced(&replica, &origin).await;
    same_version_answers(&origin, &replica, "demo-owned", "1.0.0").await;
    let record = answer(&origin, "/packages/demo-owned/1.1.0").await;
    assert_eq!(record.1["publisher"]["publisher_id"], "beta");
    assert_eq!(answer(&replica, "/packages/demo-owned/1.1.0").await, record);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_postgres_replica_shows_publishers_and_takedowns_as_its_sqlite_origin() {
    publishers_and_takedowns(Backend::Sqlite, Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sqlite_replica_shows_publishers_and_takedowns_as_its_postgres_origin() {
    publishers_and_takedowns(Backend::Postgres, Backend::Sqlite).await;
}
