//! Admin governance of namespaces and artifacts, and a publisher's namespace claim: listings with
//! search/status/limit/offset, status changes and transfers that take effect on the next publish, every refusal
//! with its status and code and nothing changed, and the audit events written with each change.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::publishers::{insert_token, new_publisher, package_grant, publish_with, store_of};

/// `method <api><path>` with `token` and an optional JSON body.
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.api))
        .bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

/// The JSON of a call that must answer `status`.
pub async fn ok(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
    status: StatusCode,
) -> Value {
    let response = call(app, method.clone(), path, token, body).await;
    let got = response.status();
    let value: Value = response.json().await.unwrap();
    assert_eq!(got, status, "{method} {path}: {value}");
    value
}

/// `(status, code)` of a call that must be refused.
pub async fn refused(
    app: &TestApp,
    method: Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (StatusCode, String) {
    error_of(call(app, method, path, token, body).await).await
}

/// The admin audit trail's `(event_type, target_id)` pairs, oldest first.
pub async fn trail(app: &TestApp) -> Vec<(String, String)> {
    let page = ok(
        app,
        Method::GET,
        "/admin/audit?limit=500",
        ADMIN_TOKEN,
        None,
        StatusCode::OK,
    )
    .await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["event_type"].as_str().unwrap().to_owned(),
                e["target_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An admin call that must answer 200.
pub async fn admin(app: &TestApp, method: Method, path: &str, body: Option<Value>) -> Value {
    ok(app, method, path, ADMIN_TOKEN, body, StatusCode::OK).await
}

async fn claim(app: &TestApp, token: &str, body: Value) -> (StatusCode, String) {
    refused(app, Method::POST, "/me/namespaces", token, Some(body)).await
}

fn ids(page: &Value, field: &str) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[field].as_str().unwrap().to_owned())
        .collect()
}

async fn namespaces_are_listed_suspended_and_transferred(app: &TestApp) {
    let acme = new_publisher(app, "acme", &["acme", "acme-labs"]).await;
    new_publisher(app, "beta", &["beta"]).await;
    let page = admin(app, Method::GET, "/admin/namespaces", None).await;
    assert_eq!(ids(&page, "namespace"), ["acme", "acme-labs", "beta"]);
    assert_eq!(
        (
            page["total"].as_i64(),
            page["limit"].as_i64(),
            page["offset"].as_i64()
        ),
        (Some(3), Some(25), Some(0))
    );
    let page = admin(
        app,
        Method::GET,
        "/admin/namespaces?search=ACME&limit=1&offset=1",
        None,
    )
    .await;
    assert_eq!(
        (ids(&page, "namespace"), page["total"].as_i64()),
        (vec!["acme-labs".to_owned()], Some(2))
    );
    // Refusals change nothing.
    let status = "/admin/namespaces/acme";
    for (token, body, expected) in [
        (
            "wrong",
            json!({"status": "suspended"}),
            (StatusCode::UNAUTHORIZED, "invalid_admin_token"),
        ),
        (
            ADMIN_TOKEN,
            json!({"status": "gone"}),
            (StatusCode::BAD_REQUEST, "invalid_status"),
        ),
        (
            ADMIN_TOKEN,
            json!({"status": "suspended", "x": 1}),
            (StatusCode::BAD_REQUEST, "unknown_field"),
        ),
        (
            ADMIN_TOKEN,
            json!({"status": "suspended", "reason": "a\u{7}"}),
            (StatusCode::BAD_REQUEST, "invalid_reason"),
        ),
    ] {
        let got = refused(app, Method::PATCH, status, token, Some(body)).await;
        assert_eq!((got.0, got.1.as_str()), expected);
    }
    let got = refused(
        app,
        Method::PATCH,
        "/admin/namespaces/Bad..NS",
        ADMIN_TOKEN,
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(got, (StatusCode::BAD_REQUEST, "invalid_namespace".into()));
    let got = refused(
        app,
        Method::PATCH,
        "/admin/namespaces/nobody",
        ADMIN_TOKEN,
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "namespace_not_found".into()));
    let page = admin(app, Method::GET, "/admin/namespaces?status=active", None).await;
    assert_eq!(page["total"], 3, "nothing changed");
    // Suspended: the namespace takes no new versions; active again: it does.
    let body = admin(
        app,
        Method::PATCH,
        status,
        Some(json!({"status": "suspended", "reason": "review"})),
    )
    .await;
    assert_eq!(body["namespace"]["status"], "suspended");
    let response = publish_with(app, &acme, demo("acme/app", "1.0.0")).await;
    assert_eq!(error_of(response).await.0, StatusCode::FORBIDDEN);
    admin(
        app,
        Method::PATCH,
        status,
        Some(json!({"status": "active"})),
    )
    .await;
    assert_eq!(
        publish_with(app, &acme, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Transfer: refusals first, then the namespace and the artifacts claimed in it go to beta.
    let transfer = "/admin/namespace-transfer/acme";
    let got = refused(
        app,
        Method::POST,
        transfer,
        ADMIN_TOKEN,
        Some(json!({"target_publisher_id": "ghost"})),
    )
    .await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "publisher_not_found".into()));
    let got = refused(
        app,
        Method::POST,
        transfer,
        ADMIN_TOKEN,
        Some(json!({"target_publisher_id": "Not An Id"})),
    )
    .await;
    assert_eq!(
        got,
        (StatusCode::BAD_REQUEST, "invalid_publisher_id".into())
    );
    let got = refused(
        app,
        Method::POST,
        "/admin/namespace-transfer/none",
        ADMIN_TOKEN,
        Some(json!({"target_publisher_id": "beta"})),
    )
    .await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "namespace_not_found".into()));
    let record = app
        .get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["publisher"]["publisher_id"], "acme", "nothing moved");
    let body = admin(
        app,
        Method::POST,
        transfer,
        Some(json!({"target_publisher_id": "beta", "reason": "sold"})),
    )
    .await;
    assert_eq!(body["namespace"]["publisher_id"], "beta");
    let record = app
        .get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["publisher"]["publisher_id"], "beta");
    assert_eq!(
        record["publisher_id"], "acme",
        "the signed identity of a published version never changes"
    );
    let response = publish_with(app, &acme, demo("acme/app", "1.1.0")).await;
    assert_eq!(error_of(response).await.0, StatusCode::FORBIDDEN);
    let events = trail(app).await;
    for expected in [
        ("namespace.status.updated", "acme"),
        ("namespace.ownership.transferred", "acme"),
    ] {
        assert!(
            events
                .iter()
                .any(|(e, t)| (e.as_str(), t.as_str()) == expected),
            "{expected:?} in {events:?}"
        );
    }
    let changes: Vec<&str> = events
        .iter()
        .map(|(e, _)| e.as_str())
        .filter(|e| e.starts_with("namespace.") && *e != "namespace.created")
        .collect();
    // Two status changes and the transfer (one event in each publisher's trail); none for the refusals.
    assert_eq!(
        changes,
        [
            "namespace.status.updated",
            "namespace.status.updated",
            "namespace.ownership.transferred",
            "namespace.ownership.transferred"
        ]
    );
}

async fn artifacts_are_listed_suspended_and_transferred(app: &TestApp) {
    let acme = new_publisher(app, "acme", &["acme"]).await;
    let beta = new_publisher(app, "beta", &["beta"]).await;
    let store = store_of(app).await;
    let free = insert_token(&store, "acme", package_grant(&["acme-free"]), None).await;
    assert_eq!(
        publish_with(app, &acme, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        publish_with(app, &free, demo("acme-free", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("old-app", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let page = admin(app, Method::GET, "/admin/artifacts?search=acme", None).await;
    assert_eq!(ids(&page, "artifact_id"), ["acme-free", "acme/app"]);
    assert_eq!(page["items"][0]["publisher_id"], "acme");
    // Listings, streamed and paged, name the owner of each owned id and no owner for the rest.
    for path in ["/publications", "/publications?limit=10"] {
        let listing = app.get_json(path, StatusCode::OK).await;
        let owners: Vec<(String, Value)> = listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| {
                (
                    i["package_id"].as_str().unwrap().to_owned(),
                    i["publisher"]["publisher_id"].clone(),
                )
            })
            .collect();
        for (id, owner) in [
            ("acme/app", json!("acme")),
            ("acme-free", json!("acme")),
            ("old-app", Value::Null),
        ] {
            assert!(
                owners.contains(&(id.to_owned(), owner.clone())),
                "{path}: {id} {owner} in {owners:?}"
            );
        }
    }
    let status = "/admin/artifact-status/package/acme%2Fapp";
    for (path, body, expected) in [
        (
            "/admin/artifact-status/widget/acme-free",
            json!({"status": "suspended"}),
            (StatusCode::BAD_REQUEST, "invalid_artifact_kind"),
        ),
        (
            "/admin/artifact-status/package/Bad%20Id",
            json!({"status": "suspended"}),
            (StatusCode::BAD_REQUEST, "invalid_id"),
        ),
        (
            status,
            json!({"status": "deleted"}),
            (StatusCode::BAD_REQUEST, "invalid_status"),
        ),
        (
            "/admin/artifact-status/package/nobody",
            json!({"status": "suspended"}),
            (StatusCode::NOT_FOUND, "artifact_not_found"),
        ),
        (
            "/admin/artifact-transfer/package/acme-free",
            json!({"target_publisher_id": "beta", "target_namespace": "acme"}),
            (StatusCode::BAD_REQUEST, "invalid_namespace"),
        ),
        (
            "/admin/artifact-transfer/package/acme-free",
            json!({"target_publisher_id": "ghost"}),
            (StatusCode::NOT_FOUND, "publisher_not_found"),
        ),
        (
            "/admin/artifact-transfer/package/never-published",
            json!({"target_publisher_id": "beta"}),
            (StatusCode::NOT_FOUND, "artifact_not_found"),
        ),
    ] {
        let method = if path.contains("transfer") {
            Method::POST
        } else {
            Method::PATCH
        };
        let got = refused(app, method, path, ADMIN_TOKEN, Some(body)).await;
        assert_eq!((got.0, got.1.as_str()), expected, "{path}");
    }
    let page = admin(app, Method::GET, "/admin/artifacts?status=active", None).await;
    assert_eq!(page["total"], 2, "nothing changed");
    let body = admin(
        app,
        Method::PATCH,
        status,
        Some(json!({"status": "suspended", "reason": "abuse"})),
    )
    .await;
    assert_eq!(body["artifact"]["status"], "suspended");
    let response = publish_with(app, &acme, demo("acme/app", "1.1.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_suspended".into())
    );
    assert!(
        app.get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
            .await
            .get("publisher")
            .is_none(),
        "no active ownership row, no summary"
    );
    admin(
        app,
        Method::PATCH,
        status,
        Some(json!({"status": "active"})),
    )
    .await;
    // An id outside namespaces moves to beta; an id published with the global token before ownership gets one.
    let body = admin(
        app,
        Method::POST,
        "/admin/artifact-transfer/package/acme-free",
        Some(json!({"target_publisher_id": "beta"})),
    )
    .await;
    assert_eq!(body["artifact"]["publisher_id"], "beta");
    assert_eq!(
        publish_with(app, &beta, demo("acme-free", "2.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let response = publish_with(app, &free, demo("acme-free", "3.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
    let body = admin(
        app,
        Method::POST,
        "/admin/artifact-transfer/package/old-app",
        Some(json!({"target_publisher_id": "beta"})),
    )
    .await;
    assert_eq!(body["artifact"]["artifact_id"], "old-app");
    assert_eq!(
        publish_with(app, &beta, demo("old-app", "2.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let events = trail(app).await;
    assert_eq!(
        events
            .iter()
            .filter(|(e, _)| e == "artifact.status.updated")
            .count(),
        2,
        "{events:?}"
    );
    assert!(events.contains(&("artifact.ownership.transferred".into(), "old-app".into())));
}

async fn a_publisher_claims_a_namespace_pending_verification(app: &TestApp) {
    let acme = new_publisher(app, "acme", &["acme"]).await;
    new_publisher(app, "beta", &["beta"]).await;
    let got = claim(app, &acme, json!({"namespace": "beta/sub"})).await;
    assert_eq!(got, (StatusCode::CONFLICT, "namespace_taken".into()));
    let got = claim(app, &acme, json!({"namespace": "Acme Tools"})).await;
    assert_eq!(got, (StatusCode::BAD_REQUEST, "invalid_namespace".into()));
    let got = claim(
        app,
        &acme,
        json!({"namespace": "tools", "artifact_kinds": ["widget"]}),
    )
    .await;
    assert_eq!(
        got,
        (StatusCode::BAD_REQUEST, "invalid_artifact_kind".into())
    );
    let store = store_of(app).await;
    let narrow = insert_token(&store, "acme", package_grant(&[]), None).await;
    let got = claim(app, &narrow, json!({"namespace": "tools"})).await;
    assert_eq!(got, (StatusCode::FORBIDDEN, "insufficient_scope".into()));
    let got = claim(
        app,
        "anip_pat_123e4567-e89b-42d3-a456-426614174000_00",
        json!({"namespace": "tools"}),
    )
    .await;
    assert_eq!(got, (StatusCode::UNAUTHORIZED, "invalid_token".into()));
    let body = ok(
        app,
        Method::POST,
        "/me/namespaces",
        &acme,
        Some(json!({"namespace": "tools"})),
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(body["namespace"]["status"], "pending_verification");
    assert_eq!(body["namespace"]["publisher_id"], "acme");
    let got = claim(app, &acme, json!({"namespace": "tools"})).await;
    assert_eq!(got, (StatusCode::CONFLICT, "namespace_taken".into()));
    // Nobody else may publish into a claim while it waits.
    let response = app.publish(demo("tools/x", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "foreign_namespace".into())
    );
    let page = ok(
        app,
        Method::GET,
        "/me/namespaces",
        &acme,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(ids(&page, "namespace"), ["acme", "tools"]);
    assert!(
        trail(app)
            .await
            .contains(&("namespace.created".into(), "tools".into()))
    );
}

crate::on_both_stores!(
    namespaces_are_listed_suspended_and_transferred,
    artifacts_are_listed_suspended_and_transferred,
    a_publisher_claims_a_namespace_pending_verification,
);
