//! The admin lifecycle route: only the admin token changes anything, the reference's rules, gating afterwards,
//! and an audit row for every change.

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Connection as _;

use crate::helpers::{ADMIN_TOKEN, TOKEN, TestApp, demo, error_of};

async fn patch(app: &TestApp, path: &str, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = app
        .client
        .patch(format!("{}{path}/lifecycle", app.api))
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

async fn audit_rows(app: &TestApp, id: &str) -> Vec<(String, String, String, String)> {
    let sql = "SELECT from_status, to_status, reason, changed_by FROM lifecycle_events WHERE package_id = $1 \
               ORDER BY event_id";
    let rows: Vec<(String, String, String, String)> = if app.database_url.starts_with("sqlite") {
        let mut db = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(&sql.replace('$', "?"))
            .bind(id)
            .fetch_all(&mut db)
            .await
            .unwrap()
    } else {
        let mut db = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        sqlx::query_as(sql)
            .bind(id)
            .fetch_all(&mut db)
            .await
            .unwrap()
    };
    rows
}

async fn only_the_admin_token_changes_lifecycle(app: &TestApp) {
    assert_eq!(
        app.publish(demo("admin-target", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let path = "/admin/packages/admin-target/1.0.0";
    let yank = json!({"status": "yanked", "reason": "broken build"});
    for token in [None, Some(TOKEN), Some("wrong")] {
        let (status, code) = error_of(patch(app, path, token, yank.clone()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::UNAUTHORIZED, "invalid_admin_token"),
            "{token:?}"
        );
    }
    let record = app
        .get_json("/packages/admin-target/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(
        record["lifecycle"]["status"], "active",
        "a refused change changed nothing"
    );
    assert!(audit_rows(app, "admin-target").await.is_empty());

    let response = patch(app, path, Some(ADMIN_TOKEN), yank).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["package"]["lifecycle"]["status"], "yanked");
    assert_eq!(body["package"]["lifecycle"]["updated_by"], "registry-admin");
    assert_eq!(
        app.get("/packages/admin-target/1.0.0/download")
            .await
            .status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.get("/packages/admin-target/1.0.0/lock").await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.get("/packages/admin-target/1.0.0/download?allow_yanked=true")
            .await
            .status(),
        StatusCode::OK
    );

    let supersede = json!({"status": "superseded", "reason": "use 2.0.0",
                           "replacement_package_id": "admin-target", "replacement_package_version": "2.0.0"});
    assert_eq!(
        patch(app, path, Some(ADMIN_TOKEN), supersede)
            .await
            .status(),
        StatusCode::OK
    );
    let record = app
        .get_json("/packages/admin-target/1.0.0/download", StatusCode::OK)
        .await;
    assert_eq!(
        record["lifecycle"]["replacement"]["package_version"],
        "2.0.0"
    );
    let takedown = json!({"status": "takedown", "reason": "legal"});
    assert_eq!(
        patch(app, path, Some(ADMIN_TOKEN), takedown).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.get("/packages/admin-target/1.0.0").await.status(),
        StatusCode::GONE
    );
    assert_eq!(
        app.get("/packages/admin-target/1.0.0/receipt")
            .await
            .status(),
        StatusCode::OK
    );

    let audit = audit_rows(app, "admin-target").await;
    let transitions: Vec<(&str, &str)> =
        audit.iter().map(|r| (r.0.as_str(), r.1.as_str())).collect();
    assert_eq!(
        transitions,
        [
            ("active", "yanked"),
            ("yanked", "superseded"),
            ("superseded", "takedown")
        ]
    );
    assert_eq!(audit[0].2, "broken build");
    assert_eq!(audit[0].3, "registry-admin");
}

async fn invalid_changes_are_400_and_404(app: &TestApp) {
    assert_eq!(
        app.publish(demo("admin-rules", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let path = "/admin/packages/admin-rules/1.0.0";
    for body in [
        json!({}),
        json!({"status": "  "}),
        json!({"status": "retired", "reason": "x"}),
        json!({"status": "yanked"}),
        json!({"status": "superseded", "reason": "x", "replacement_package_id": "other"}),
        json!({"status": "superseded", "reason": "x", "replacement_package_id": "admin-rules",
               "replacement_package_version": "1.0.0"}),
        json!({"status": "superseded", "reason": "x", "replacement_package_id": "Bad Id",
               "replacement_package_version": "1.0.0"}),
    ] {
        let (status, code) =
            error_of(patch(app, path, Some(ADMIN_TOKEN), body.clone()).await).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::BAD_REQUEST, "invalid_lifecycle"),
            "{body}"
        );
    }
    // Our bodies name every field they take: another one is refused with its code and path.
    let response = patch(
        app,
        path,
        Some(ADMIN_TOKEN),
        json!({"status": "deprecated", "reason": "r", "extra": 1}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "unknown_field", "{body}");
    assert!(body["path"].is_string(), "{body}");
    // A version beyond u64 is one error everywhere: the path's and the replacement's, as publish says it.
    let beyond = "18446744073709551616.0.0";
    for (lifecycle_path, body, at) in [
        (
            format!("/admin/packages/admin-rules/{beyond}"),
            json!({"status": "deprecated", "reason": "r"}),
            "version",
        ),
        (
            path.to_owned(),
            json!({"status": "superseded", "reason": "x", "replacement_package_id": "other",
                   "replacement_package_version": beyond}),
            "replacement_package_version",
        ),
    ] {
        let response = patch(app, &lifecycle_path, Some(ADMIN_TOKEN), body).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(
            body["code"], "version_out_of_range",
            "{lifecycle_path}: {body}"
        );
        assert_eq!(body["path"], at, "{body}");
    }
    let (status, _) = error_of(
        app.client
            .patch(format!("{}{path}/lifecycle", app.api))
            .bearer_auth(ADMIN_TOKEN)
            .body("{\"status\":\"yanked\",\"status\":\"active\"}")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, code) = error_of(
        patch(
            app,
            "/admin/packages/nothing/1.0.0",
            Some(ADMIN_TOKEN),
            json!({"status": "active"}),
        )
        .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "package_not_found")
    );
    assert!(audit_rows(app, "admin-rules").await.is_empty());
    let back = patch(app, path, Some(ADMIN_TOKEN), json!({"status": "active"})).await;
    assert_eq!(back.status(), StatusCode::OK);
}

crate::on_both_stores!(
    only_the_admin_token_changes_lifecycle,
    invalid_changes_are_400_and_404
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_admin_token_admin_routes_are_403() {
    use clap::Parser as _;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let settings = registry_server::config::Config::try_parse_from([
        "registry-server",
        "--database-url",
        &url,
        "--publish-token",
        TOKEN,
    ])
    .unwrap()
    .settings()
    .unwrap();
    let state = registry_server::prepare(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/registry-api/v1", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::run(state, listener, async {
        let _ = rx.await;
    }));
    let response = reqwest::Client::new()
        .patch(format!("{api}/admin/packages/a/1.0.0/lifecycle"))
        .bearer_auth(TOKEN)
        .json(&json!({"status": "yanked", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "admin_disabled".to_owned())
    );
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}
