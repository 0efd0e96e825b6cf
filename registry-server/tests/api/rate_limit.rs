//! The failed-authentication limit: a client address that fails authentication too often is answered 429
//! `rate_limited` with `Retry-After` on publish, `/me` and admin routes alike, is let in again once the window has
//! passed (the limiter's clock is driven by the test, no sleeping), never stops a valid token, and never touches
//! anyone else's address. Audit events carry the hashed client address.

use std::sync::Arc;
use std::time::Duration;

use registry_server::auth::rate::ManualClock;
use reqwest::{RequestBuilder, StatusCode};
use serde_json::Value;

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::publishers::{new_publisher, publish_with};

const WRONG: &str = "anip_pat_123e4567-e89b-42d3-a456-426614174000_0000";

async fn spawn(per_minute: &str, extra: &[&str]) -> (TestApp, Arc<ManualClock>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("registry.db").display());
    let clock = Arc::new(ManualClock::default());
    let injected = clock.clone();
    let mut args = vec!["--auth-failures-per-minute", per_minute];
    args.extend_from_slice(extra);
    let app =
        TestApp::spawn_adjusted(&url, &args, move |state| state.with_auth_clock(injected)).await;
    (app, clock, dir)
}

/// Status, code and `Retry-After` of a request.
async fn outcome(request: RequestBuilder) -> (StatusCode, String, Option<String>) {
    let response = request.send().await.unwrap();
    let retry = response
        .headers()
        .get("retry-after")
        .map(|v| v.to_str().unwrap().to_owned());
    let (status, code) = error_of(response).await;
    (status, code, retry)
}

fn publish(app: &TestApp, token: &str) -> RequestBuilder {
    app.client
        .post(format!("{}/publications", app.api))
        .bearer_auth(token)
        .header("content-type", "application/json")
        .body(demo("rate-app", "1.0.0"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_are_limited_per_address_and_admitted_again_after_the_window() {
    let (app, clock, _dir) = spawn("3", &[]).await;
    let token = new_publisher(&app, "acme", &["acme"]).await;
    for _ in 0..3 {
        let (status, code, retry) = outcome(publish(&app, WRONG)).await;
        assert_eq!(
            (status, code.as_str(), retry),
            (StatusCode::UNAUTHORIZED, "invalid_token", None)
        );
    }
    // The bucket is empty: publish, /me and admin failures alike are 429 with Retry-After (3 a minute: 20 s).
    let limited = (
        StatusCode::TOO_MANY_REQUESTS,
        "rate_limited".to_owned(),
        Some("20".to_owned()),
    );
    assert_eq!(outcome(publish(&app, WRONG)).await, limited);
    let me = app.client.get(format!("{}/me/publisher", app.api));
    assert_eq!(outcome(me).await, limited, "no token at all");
    let admin = app
        .client
        .get(format!("{}/admin/publishers", app.api))
        .bearer_auth("not-the-admin-token");
    assert_eq!(outcome(admin).await, limited);
    // Valid tokens are never throttled, nor are public reads.
    let response = publish_with(&app, &token, demo("acme/app", "1.0.0")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let me = app
        .client
        .get(format!("{}/me/publisher", app.api))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let admin = app
        .client
        .get(format!("{}/admin/publishers", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), StatusCode::OK);
    assert_eq!(app.get("/publications").await.status(), StatusCode::OK);
    // Nothing was published by the refused requests.
    assert_eq!(
        app.get("/packages/rate-app/1.0.0").await.status(),
        StatusCode::NOT_FOUND
    );
    // 19 s on the bucket is still empty; at 20 s one failure is admitted (401) and the next is limited again.
    clock.advance(Duration::from_secs(19));
    assert_eq!(
        outcome(publish(&app, WRONG)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    clock.advance(Duration::from_secs(1));
    assert_eq!(
        outcome(publish(&app, WRONG)).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        outcome(publish(&app, WRONG)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // A whole window refills the whole bucket.
    clock.advance(Duration::from_secs(60));
    for _ in 0..3 {
        assert_eq!(
            outcome(publish(&app, WRONG)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        outcome(publish(&app, WRONG)).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zero_turns_the_limit_off() {
    let (app, _clock, _dir) = spawn("0", &[]).await;
    for _ in 0..10 {
        assert_eq!(
            outcome(publish(&app, WRONG)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
}

fn from(request: RequestBuilder, address: &str) -> RequestBuilder {
    request.header("x-forwarded-for", format!("203.0.113.9, {address}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_each_forwarded_address_has_its_own_bucket() {
    let (app, _clock, _dir) = spawn("3", &["--trust-forwarded-headers"]).await;
    for _ in 0..3 {
        assert_eq!(
            outcome(from(publish(&app, WRONG), "192.0.2.1")).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        outcome(from(publish(&app, WRONG), "192.0.2.1")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The first entry is the client's own claim: only the last (the proxy's view) counts.
    assert_eq!(
        outcome(from(publish(&app, WRONG), "192.0.2.2")).await.0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn untrusted_forwarded_headers_do_not_give_a_fresh_bucket() {
    let (app, _clock, _dir) = spawn("3", &[]).await;
    for n in 0..3 {
        let address = format!("192.0.2.{n}");
        assert_eq!(
            outcome(from(publish(&app, WRONG), &address)).await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        outcome(from(publish(&app, WRONG), "192.0.2.9")).await.0,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_events_carry_the_hashed_client_address() {
    let (app, _clock, _dir) = spawn(
        "3",
        &["--trust-forwarded-headers", "--audit-ip-salt", "pepper"],
    )
    .await;
    let token = new_publisher(&app, "acme", &["acme"]).await;
    let response = from(publish(&app, &token), "192.0.2.7")
        .body(demo("acme/app", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let page: Value = app
        .client
        .get(format!("{}/admin/audit", app.api))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let items = page["items"].as_array().unwrap();
    let published = items
        .iter()
        .find(|e| e["event_type"] == "package.published")
        .unwrap();
    let expected =
        registry_server::auth::client::hash_address(b"pepper", "192.0.2.7".parse().unwrap());
    assert_eq!(published["ip_hash"], expected.as_str());
    assert!(
        !page.to_string().contains("192.0.2.7"),
        "the address itself is never stored"
    );
    // The admin's own event came from loopback: hashed too, differently.
    let created = items
        .iter()
        .find(|e| e["event_type"] == "publisher.created")
        .unwrap();
    assert!(created["ip_hash"].is_string());
    assert_ne!(created["ip_hash"], expected.as_str());
}
