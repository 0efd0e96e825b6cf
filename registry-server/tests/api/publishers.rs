//! Publishers: the admin creates one with namespaces and a first `anip_pat_` token; the token publishes inside
//! them with the publisher's identity signed into the receipt; every refusal has its status and code and writes
//! nothing; racing first publishes of one id give one owner.

use clap::Parser as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TOKEN, TestApp, demo, error_of};
use crate::publish::{keys_of, verify};
use registry_server::auth::scopes::{PUBLISH_PACKAGE, Scopes};
use registry_server::store::{AuditEvent, SharedStore, TokenRow};

/// `POST /admin/publishers` with `body`, as the admin.
pub async fn create_publisher(app: &TestApp, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}/admin/publishers", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// Creates publisher `id` (an organization) with `namespaces`; returns its first bearer token.
pub async fn new_publisher(app: &TestApp, id: &str, namespaces: &[&str]) -> String {
    let response = create_publisher(
        app,
        json!({"publisher_id": id, "publisher_type": "organization", "display_name": format!("{id} Inc."),
               "namespaces": namespaces}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    body["bearer_token"].as_str().unwrap().to_owned()
}

/// `POST /publications` with `token`.
pub async fn publish_with(app: &TestApp, token: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(format!("{}/publications", app.api))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap()
}

/// The app's store, opened a second time (for what no route does yet).
pub async fn store_of(app: &TestApp) -> SharedStore {
    let settings = registry_server::config::Config::try_parse_from([
        "registry-server",
        "--database-url",
        &app.database_url,
    ])
    .unwrap()
    .settings()
    .unwrap();
    registry_server::store::open(&settings.store, &settings.store_limits)
        .await
        .unwrap()
}

/// Stores a token for `publisher` with `scopes` and `expires_at`, returning its bearer text.
pub async fn insert_token(
    store: &SharedStore,
    publisher: &str,
    scopes: Scopes,
    expires_at: Option<&str>,
) -> String {
    let minted = registry_server::auth::token::mint().unwrap();
    let now = registry_server::time::now_rfc3339();
    let token = TokenRow {
        token_id: minted.token_id.clone(),
        publisher_id: publisher.into(),
        label: "test".into(),
        scopes,
        expires_at: expires_at.map(str::to_owned),
        last_used_at: None,
        revoked_at: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        token_hash: minted.hash,
    };
    let audit = AuditEvent {
        actor: "test".into(),
        event_type: "token.created".into(),
        target_type: "token".into(),
        target_id: minted.token_id,
        metadata: "{}".into(),
        created_at: now,
        ..AuditEvent::default()
    };
    store.insert_token(&token, &audit).await.unwrap();
    minted.bearer
}

pub fn package_grant(ids: &[&str]) -> Scopes {
    Scopes {
        operations: vec![PUBLISH_PACKAGE.into()],
        package_ids: ids.iter().map(|s| (*s).to_owned()).collect(),
        ..Scopes::default()
    }
}

async fn admin_creates_a_publisher_whose_token_publishes_signed_as_it(app: &TestApp) {
    // A body whose fields are all ours refuses a field it does not name, with its code and path.
    let refused = create_publisher(
        app,
        json!({"publisher_id": "acme", "publisher_type": "organization", "display_name": "Acme",
               "namespaces": ["acme"], "unknown_field": 1}),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["code"], "unknown_field", "{body}");
    assert!(
        body["error"].as_str().unwrap().contains("unknown_field"),
        "{body}"
    );
    let response = create_publisher(
        app,
        json!({"publisher_id": "acme", "publisher_type": "organization", "display_name": "Acme",
               "namespaces": ["acme"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["publisher"]["publisher_id"], "acme");
    assert_eq!(created["publisher"]["status"], "active");
    assert_eq!(created["publisher"]["trust_level"], "unverified");
    assert_eq!(created["namespaces"][0]["namespace"], "acme");
    assert_eq!(
        created["namespaces"][0]["artifact_kinds"],
        json!(["package", "template"])
    );
    let scopes = &created["token"]["scopes"];
    for op in [
        "publish:package",
        "publish:template",
        "manage:tokens",
        "manage:publisher",
        "manage:lifecycle",
    ] {
        assert!(
            scopes["operations"]
                .as_array()
                .unwrap()
                .contains(&json!(op)),
            "{scopes}"
        );
    }
    assert_eq!(scopes["namespaces"], json!(["acme"]));
    assert!(created["token"]["expires_at"].is_string());
    assert!(
        created["token"].get("token_hash").is_none(),
        "the hash is never served"
    );
    let bearer = created["bearer_token"].as_str().unwrap();
    let token_id = created["token"]["token_id"].as_str().unwrap();
    assert!(
        bearer.starts_with(&format!("anip_pat_{token_id}_")),
        "{bearer}"
    );

    // Nested namespaced ids are valid, and the receipt signs the token's publisher.
    let response = publish_with(app, bearer, demo("acme/tools/superset", "1.0.0")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["receipt"]["publisher_id"], "acme");
    assert_eq!(body["receipt"]["publisher_type"], "organization");
    let record = app
        .get_json("/packages/acme%2Ftools%2Fsuperset/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record["publisher_id"], "acme");
    let receipt = app
        .get_json(
            "/packages/acme%2Ftools%2Fsuperset/1.0.0/receipt",
            StatusCode::OK,
        )
        .await;
    verify(&record, &receipt, &keys_of(app).await);
    assert_eq!(
        record["publisher"],
        json!({"publisher_id": "acme", "publisher_type": "organization", "display_name": "Acme",
               "status": "active", "trust_level": "unverified"})
    );
    let first_etag = app
        .get("/packages/acme%2Ftools%2Fsuperset/1.0.0")
        .await
        .headers()["etag"]
        .clone();
    let verified = app
        .client
        .patch(format!("{}/admin/publishers/acme/status", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"status": "active", "trust_level": "verified"}))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), StatusCode::OK);
    let response = app.get("/packages/acme%2Ftools%2Fsuperset/1.0.0").await;
    assert_ne!(
        response.headers()["etag"],
        first_etag,
        "the owner's trust level is part of the record"
    );
    let record: Value = response.json().await.unwrap();
    assert_eq!(record["publisher"]["trust_level"], "verified");
    let download = app
        .get_json(
            "/packages/acme%2Ftools%2Fsuperset/1.0.0/download",
            StatusCode::OK,
        )
        .await;
    assert_eq!(download["publisher"]["publisher_id"], "acme");
    assert_eq!(
        app.publish(demo("unowned", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let unowned = app
        .get_json("/packages/unowned/1.0.0", StatusCode::OK)
        .await;
    assert!(
        unowned.get("publisher").is_none(),
        "no ownership row, no publisher: {unowned}"
    );

    // Outside its namespaces and grants the token publishes nothing; inside another's namespace nor does the
    // legacy token.
    let response = publish_with(app, bearer, demo("elsewhere", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "id_not_in_scope".into())
    );
    let response = app.publish(demo("acme/intruder", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "foreign_namespace".into())
    );
    let response = app.publish(demo("acme/tools/superset", "1.0.1")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
    for (id, version) in [
        ("elsewhere", "1.0.0"),
        ("acme/intruder", "1.0.0"),
        ("acme/tools/superset", "1.0.1"),
    ] {
        let path = format!("/packages/{}/{version}", id.replace('/', "%2F"));
        assert_eq!(
            app.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    // The admin lists it.
    let page = app
        .client
        .get(format!(
            "{}/admin/publishers?search=ACM&status=active",
            app.api
        ))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page: Value = page.json().await.unwrap();
    assert_eq!(page["total"], 1);
    assert_eq!(page["limit"], 25);
    assert_eq!(page["items"][0]["publisher_id"], "acme");
}

async fn publisher_creation_refusals_change_nothing(app: &TestApp) {
    let good = json!({"publisher_id": "beta", "publisher_type": "individual", "display_name": "Beta",
                      "namespaces": ["beta"]});
    let no_admin = app
        .client
        .post(format!("{}/admin/publishers", app.api))
        .bearer_auth(TOKEN)
        .json(&good)
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(no_admin).await,
        (StatusCode::UNAUTHORIZED, "invalid_admin_token".into())
    );
    for (change, code) in [
        (json!({"publisher_id": "Beta"}), "invalid_publisher_id"),
        (json!({"publisher_id": "a/b"}), "invalid_publisher_id"),
        (
            json!({"publisher_type": "company"}),
            "invalid_publisher_type",
        ),
        (json!({"display_name": "  "}), "invalid_display_name"),
        (json!({"namespaces": ["Beta"]}), "invalid_namespace"),
        (json!({"namespaces": ["beta//x"]}), "invalid_namespace"),
        (json!({"namespaces": ["x".repeat(81)]}), "invalid_namespace"),
    ] {
        let mut body = good.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        assert_eq!(
            error_of(create_publisher(app, body).await).await,
            (StatusCode::BAD_REQUEST, code.into())
        );
    }
    let oversized = json!({"publisher_id": "beta", "publisher_type": "individual", "display_name": "x".repeat(40_000)});
    assert_eq!(
        create_publisher(app, oversized).await.status(),
        StatusCode::PAYLOAD_TOO_LARGE
    );
    assert_eq!(
        create_publisher(app, good.clone()).await.status(),
        StatusCode::CREATED
    );
    let again = create_publisher(app, good.clone()).await;
    assert_eq!(
        error_of(again).await,
        (StatusCode::CONFLICT, "publisher_exists".into())
    );
    // A namespace inside another publisher's is taken: the whole request is refused, no publisher row is left.
    let clash = json!({"publisher_id": "gamma", "publisher_type": "individual", "display_name": "Gamma",
                       "namespaces": ["gamma", "beta/sub"]});
    let response = create_publisher(app, clash).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::CONFLICT, "namespace_taken".into())
    );
    let retry = json!({"publisher_id": "gamma", "publisher_type": "individual", "display_name": "Gamma",
                       "namespaces": ["gamma"]});
    assert_eq!(
        create_publisher(app, retry).await.status(),
        StatusCode::CREATED
    );
}

async fn token_states_answer_401_with_their_code(app: &TestApp) {
    let bearer = new_publisher(app, "delta", &["delta"]).await;
    let wrong_secret = format!("{}0", &bearer[..bearer.len() - 1]);
    let wrong_secret = if wrong_secret == bearer {
        format!("{}1", &bearer[..bearer.len() - 1])
    } else {
        wrong_secret
    };
    let response = publish_with(app, &wrong_secret, demo("delta/a", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".into())
    );
    let unknown = "anip_pat_123e4567-e89b-42d3-a456-426614174000_00";
    let response = publish_with(app, unknown, demo("delta/a", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".into())
    );

    // Suspension stops the token at once; reactivation brings it back.
    let suspend = |status: &'static str| {
        let client = app.client.clone();
        let url = format!("{}/admin/publishers/delta/status", app.api);
        async move {
            client
                .patch(url)
                .bearer_auth(ADMIN_TOKEN)
                .json(&json!({"status": status, "reason": "test"}))
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(suspend("suspended").await.status(), StatusCode::OK);
    let response = publish_with(app, &bearer, demo("delta/a", "1.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "publisher_suspended".into())
    );
    assert_eq!(
        error_of(suspend("banned").await).await,
        (StatusCode::BAD_REQUEST, "invalid_status".into())
    );
    assert_eq!(suspend("active").await.status(), StatusCode::OK);
    assert_eq!(
        publish_with(app, &bearer, demo("delta/a", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );

    // An expired token stops working without a restart; one without the publish operation is 403.
    let store = store_of(app).await;
    let expired = insert_token(
        &store,
        "delta",
        package_grant(&["delta/a"]),
        Some("2020-01-01T00:00:00Z"),
    )
    .await;
    let response = publish_with(app, &expired, demo("delta/a", "1.0.1")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "token_expired".into())
    );
    let no_op = Scopes {
        operations: vec!["manage:tokens".into()],
        ..package_grant(&["delta/a"])
    };
    let read_only = insert_token(&store, "delta", no_op, None).await;
    let response = publish_with(app, &read_only, demo("delta/a", "1.0.1")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "insufficient_scope".into())
    );
    assert_eq!(
        app.get("/packages/delta%2Fa/1.0.1").await.status(),
        StatusCode::NOT_FOUND
    );
}

crate::on_both_stores!(
    admin_creates_a_publisher_whose_token_publishes_signed_as_it,
    publisher_creation_refusals_change_nothing,
    token_states_answer_401_with_their_code,
);
