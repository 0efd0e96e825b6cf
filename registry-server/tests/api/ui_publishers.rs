//! The publisher page and the owner on package pages: names escaped, trust level shown, lists bounded, unknown or
//! malformed ids a 404 page; a publisher's yank reason on the version's page.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::governance::{admin, ok};
use crate::helpers::{Backend, TestApp, demo};
use crate::publishers::{create_publisher, publish_with};

async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .unwrap();
    (response.status(), response.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publisher_page_and_the_owner_on_package_pages() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let response = create_publisher(
        &app,
        json!({"publisher_id": "acme", "publisher_type": "organization", "display_name": "<b>Acme</b> & Co",
               "website_url": "javascript:alert(1)", "namespaces": ["acme"]}),
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "a non-http website is refused"
    );
    let response = create_publisher(
        &app,
        json!({"publisher_id": "acme", "publisher_type": "organization", "display_name": "<b>Acme</b> & Co",
               "website_url": "https://acme.example", "namespaces": ["acme"]}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let token = response.json::<serde_json::Value>().await.unwrap()["bearer_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        publish_with(&app, &token, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let (status, body) = page(&app, "/registry/publishers/acme").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("&lt;b&gt;Acme&lt;/b&gt; &amp; Co"),
        "escaped name: {body}"
    );
    assert!(!body.contains("<b>Acme</b>"));
    assert!(body.contains("id=\"trust-level\">unverified<"), "{body}");
    assert!(
        body.contains("<code>acme/app</code>") && body.contains("<code>acme</code>"),
        "{body}"
    );
    assert!(body.contains("acme.example\" rel=\"nofollow"), "{body}");
    for missing in [
        "/registry/publishers/nobody",
        "/registry/publishers/Not%20An%20Id",
    ] {
        assert_eq!(
            page(&app, missing).await.0,
            StatusCode::NOT_FOUND,
            "{missing}"
        );
    }
    // The package page names the owner and its trust level, which the admin raises.
    admin(
        &app,
        Method::PATCH,
        "/admin/publishers/acme/status",
        Some(json!({"status": "active", "trust_level": "verified"})),
    )
    .await;
    let (status, body) = page(&app, "/registry/packages/acme/app/1.0.0").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        body.contains("<a href=\"/registry/publishers/acme\">&lt;b&gt;Acme&lt;/b&gt; &amp; Co</a>"),
        "{body}"
    );
    assert!(body.contains(">verified</span>"), "{body}");
    // A yank by the publisher shows its reason on the version's page.
    ok(
        &app,
        Method::PATCH,
        "/me/packages/acme%2Fapp/1.0.0/lifecycle",
        &token,
        Some(json!({"status": "yanked", "reason": "<script>x</script> broken"})),
        StatusCode::OK,
    )
    .await;
    let (_, body) = page(&app, "/registry/packages/acme/app/1.0.0").await;
    assert!(
        body.contains("&lt;script&gt;x&lt;/script&gt; broken"),
        "{body}"
    );
    assert!(body.contains("by publisher&#58;acme"), "{body}");
}
