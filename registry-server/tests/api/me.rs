//! `/me/*` with a scoped token: the publisher, its namespaces and artifacts, and its tokens (list, mint within
//! the caller's scopes, revoke); every refusal writes no token.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TOKEN, TestApp, demo, error_of};
use crate::publishers::{new_publisher, publish_with};

async fn me(
    app: &TestApp,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> reqwest::Response {
    let mut request = app.client.request(method, format!("{}/me{path}", app.api));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    request.send().await.unwrap()
}

async fn ok_json(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    response.json().await.unwrap()
}

async fn mint(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    me(app, Method::POST, "/tokens", Some(token), Some(body)).await
}

async fn me_reads_and_the_token_lifecycle(app: &TestApp) {
    let first = new_publisher(app, "acme", &["acme"]).await;
    let body = ok_json(
        me(app, Method::GET, "/publisher", Some(&first), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["publisher"]["publisher_id"], "acme");
    assert_eq!(body["scopes"]["namespaces"], json!(["acme"]));
    let body = ok_json(
        me(app, Method::GET, "/namespaces", Some(&first), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["items"][0]["namespace"], "acme");
    assert_eq!(
        publish_with(app, &first, demo("acme/x", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let body = ok_json(
        me(app, Method::GET, "/artifacts", Some(&first), None).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        body["items"],
        json!([{"artifact_kind": "package", "artifact_id": "acme/x", "namespace": "acme",
        "status": "active", "created_at": body["items"][0]["created_at"], "updated_at": body["items"][0]["updated_at"]}])
    );

    let created = ok_json(
        mint(app, &first, json!({"label": "ci", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}))
            .await,
        StatusCode::CREATED,
    )
    .await;
    let ci = created["bearer_token"].as_str().unwrap().to_owned();
    let ci_id = created["token"]["token_id"].as_str().unwrap().to_owned();
    assert!(
        created["token"]["expires_at"].is_string(),
        "write tokens expire by default"
    );
    assert_eq!(
        publish_with(app, &ci, demo("acme/x", "1.0.1"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let response = me(app, Method::GET, "/tokens", Some(&ci), None).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "insufficient_scope".into())
    );

    let list = ok_json(
        me(app, Method::GET, "/tokens", Some(&first), None).await,
        StatusCode::OK,
    )
    .await;
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    let text = list.to_string();
    assert!(
        !text.contains(&ci[ci.len() - 64..]) && !text.contains("token_hash"),
        "{text}"
    );
    assert!(
        items.iter().all(|t| t["last_used_at"].is_string()),
        "both were used: {text}"
    );

    let revoked = ok_json(
        me(
            app,
            Method::DELETE,
            &format!("/tokens/{ci_id}"),
            Some(&first),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    let at = revoked["token"]["revoked_at"].clone();
    assert!(at.is_string());
    let again = ok_json(
        me(
            app,
            Method::DELETE,
            &format!("/tokens/{ci_id}"),
            Some(&first),
            None,
        )
        .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(again["token"]["revoked_at"], at, "revoking is idempotent");
    let response = publish_with(app, &ci, demo("acme/x", "1.0.2")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "token_revoked".into())
    );
    for id in ["not-a-uuid", "123e4567-e89b-42d3-a456-426614174000"] {
        let response = me(
            app,
            Method::DELETE,
            &format!("/tokens/{id}"),
            Some(&first),
            None,
        )
        .await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::NOT_FOUND, "token_not_found".into())
        );
    }
    // Another publisher cannot revoke acme's token.
    let other = new_publisher(app, "other", &["other"]).await;
    let first_id = items
        .iter()
        .find(|t| t["token_id"] != ci_id.as_str())
        .unwrap()["token_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = me(
        app,
        Method::DELETE,
        &format!("/tokens/{first_id}"),
        Some(&other),
        None,
    )
    .await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::NOT_FOUND, "token_not_found".into())
    );
}

async fn me_refusals_write_no_token(app: &TestApp) {
    for (token, code) in [
        (None, "missing_token"),
        (Some(TOKEN), "invalid_token"),
        (Some(ADMIN_TOKEN), "invalid_token"),
    ] {
        let response = me(app, Method::GET, "/publisher", token, None).await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::UNAUTHORIZED, code.into()),
            "{token:?}"
        );
    }
    let first = new_publisher(app, "acme", &["acme"]).await;
    let rival = new_publisher(app, "rival", &["rival"]).await;
    assert_eq!(
        publish_with(app, &rival, demo("rival/owned", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    // Claimed outside any namespace by the rival (its first token holds manage:publisher).
    let grant = mint(
        app,
        &rival,
        json!({"label": "x", "scopes": {"operations": ["publish:package"], "namespaces": [],
        "package_ids": ["free-id"]}}),
    )
    .await;
    let rival_x = ok_json(grant, StatusCode::CREATED).await["bearer_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        publish_with(app, &rival_x, demo("free-id", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );

    let narrow = ok_json(
        mint(
            app,
            &first,
            json!({"label": "narrow", "scopes": {"operations": ["publish:package", "manage:tokens"],
            "namespaces": ["acme"]}}),
        )
        .await,
        StatusCode::CREATED,
    )
    .await["bearer_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let before = ok_json(
        me(app, Method::GET, "/tokens", Some(&first), None).await,
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .len();
    let ops =
        |ops: Value| json!({"label": "t", "scopes": {"operations": ops, "namespaces": ["acme"]}});
    let cases: Vec<(&str, Value, StatusCode, &str)> = vec![
        (
            &narrow,
            ops(json!(["manage:publisher"])),
            StatusCode::FORBIDDEN,
            "scope_escalation",
        ),
        (
            &narrow,
            ops(json!(["publish:template"])),
            StatusCode::FORBIDDEN,
            "scope_escalation",
        ),
        (
            &first,
            ops(json!(["admin:everything"])),
            StatusCode::BAD_REQUEST,
            "unknown_operation",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]},
                   "expires_in": 5}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"],
                   "all_namespaces": true}}),
            StatusCode::BAD_REQUEST,
            "unknown_field",
        ),
        (
            &first,
            ops(json!([])),
            StatusCode::BAD_REQUEST,
            "invalid_scopes",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": ["rival"]}}),
            StatusCode::FORBIDDEN,
            "scope_escalation",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": ["Acme"]}}),
            StatusCode::BAD_REQUEST,
            "invalid_namespace",
        ),
        (
            &narrow,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": [],
            "package_ids": ["elsewhere"]}}),
            StatusCode::FORBIDDEN,
            "scope_escalation",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": [],
            "package_ids": ["rival/owned"]}}),
            StatusCode::FORBIDDEN,
            "artifact_owned",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": [],
            "package_ids": ["free_id"]}}),
            StatusCode::CONFLICT,
            "similar_id_exists",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": [],
            "package_ids": ["rival/unpublished"]}}),
            StatusCode::FORBIDDEN,
            "scope_escalation",
        ),
        (
            &first,
            json!({"label": "t", "scopes": {"operations": ["publish:package"], "namespaces": [],
            "package_ids": ["Bad Id"]}}),
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            &first,
            json!({"label": "", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}),
            StatusCode::BAD_REQUEST,
            "invalid_label",
        ),
        (
            &first,
            json!({"label": "t", "expires_at": "2020-01-01T00:00:00Z",
            "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}),
            StatusCode::BAD_REQUEST,
            "invalid_expiry",
        ),
        (
            &first,
            json!({"label": "t", "expires_at": "yesterday",
            "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}),
            StatusCode::BAD_REQUEST,
            "invalid_expiry",
        ),
        (
            &first,
            json!({"label": "t", "expires_at": "2999-01-01T00:00:00Z",
            "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}),
            StatusCode::BAD_REQUEST,
            "expiry_too_far",
        ),
        (
            &first,
            json!({"label": "x".repeat(40_000), "scopes": {}}),
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ];
    for (token, body, status, code) in cases {
        let response = mint(app, token, body.clone()).await;
        assert_eq!(error_of(response).await, (status, code.into()), "{body}");
    }
    let after = ok_json(
        me(app, Method::GET, "/tokens", Some(&first), None).await,
        StatusCode::OK,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(before, after, "no refused mint left a token");
    // The narrow token may narrow further; the first may grant an id nobody holds.
    let narrower = json!({"label": "n", "scopes": {"operations": ["publish:package"], "namespaces": ["acme/sub"]}});
    assert_eq!(
        mint(app, &narrow, narrower).await.status(),
        StatusCode::CREATED
    );
    let free = json!({"label": "f", "scopes": {"operations": ["publish:package"], "namespaces": [],
        "package_ids": ["acme-free"]}, "expires_at": "2030-01-01T00:00:00+02:00"});
    let response = mint(app, &first, free).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    // Within the maximum lifetime from now, or too far: either way an answer with a code, never a 500.
    assert!(
        status == StatusCode::CREATED || body["code"] == "expiry_too_far",
        "{status} {body}"
    );
}

crate::on_both_stores!(me_reads_and_the_token_lifecycle, me_refusals_write_no_token);
