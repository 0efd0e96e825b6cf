//! `PATCH /me/publisher`: a token with `manage:publisher` edits its publisher's profile; refusals change nothing.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, error_of};
use crate::publishers::new_publisher;

async fn patch(app: &TestApp, token: &str, body: Value) -> reqwest::Response {
    app.client
        .patch(format!("{}/me/publisher", app.api))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn the_profile_is_edited_with_manage_publisher_only(app: &TestApp) {
    let first = new_publisher(app, "acme", &["acme"]).await;
    let minted = app
        .client
        .post(format!("{}/me/tokens", app.api))
        .bearer_auth(&first)
        .json(&json!({"label": "ci", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"]}}))
        .send()
        .await
        .unwrap();
    let ci = minted.json::<Value>().await.unwrap()["bearer_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let good = json!({"display_name": "Acme Tools", "description": "tools", "website_url": "https://acme.example"});
    let response = patch(app, &ci, good.clone()).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "insufficient_scope".into())
    );
    for (body, code) in [
        (json!({"display_name": " "}), "invalid_display_name"),
        (
            json!({"display_name": "x", "website_url": "ftp://acme.example"}),
            "invalid_publisher",
        ),
        (
            json!({"display_name": "x", "description": "d".repeat(3000)}),
            "invalid_publisher",
        ),
    ] {
        let response = patch(app, &first, body).await;
        assert_eq!(
            error_of(response).await,
            (StatusCode::BAD_REQUEST, code.into())
        );
    }
    let me = app
        .client
        .get(format!("{}/me/publisher", app.api))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(
        me["publisher"]["display_name"], "acme Inc.",
        "refusals changed nothing"
    );
    let response = patch(app, &first, good).await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["publisher"]["display_name"], "Acme Tools");
    assert_eq!(body["publisher"]["website_url"], "https://acme.example");
}

crate::on_both_stores!(the_profile_is_edited_with_manage_publisher_only);
