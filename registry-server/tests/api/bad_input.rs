//! Every rejection path: the right status, a stable `code`, the envelope, never a 500 and nothing half-written.

use reqwest::StatusCode;

use crate::helpers::{TOKEN, TestApp, demo, error_of};

async fn expect(app: &TestApp, body: Vec<u8>, status: StatusCode, code: &str) {
    let (got_status, got_code) = error_of(app.publish(body).await).await;
    assert_eq!((got_status, got_code.as_str()), (status, code));
}

async fn malformed_bodies(app: &TestApp) {
    let bad_json: &[(&str, &str)] = &[
        ("{", "invalid_json"),
        ("not json", "invalid_json"),
        ("", "invalid_json"),
        ("{} trailing", "trailing_data"),
        (r#"{"package_id":"a","package_id":"b"}"#, "duplicate_key"),
        (
            r#"{"manifest":{"n":9007199254740993}}"#,
            "number_out_of_range",
        ),
        ("[1,2,3]", "wrong_type"),
        (r#"{"package_id": 5}"#, "wrong_type"),
        ("\"\\ud800\"", "invalid_utf8"),
    ];
    for (body, code) in bad_json {
        expect(app, body.as_bytes().to_vec(), StatusCode::BAD_REQUEST, code).await;
    }
    expect(
        app,
        b"{\"a\":\"\xff\"}".to_vec(),
        StatusCode::BAD_REQUEST,
        "invalid_utf8",
    )
    .await;
}

async fn oversized_body_is_413(app: &TestApp) {
    let mut big = b"{\"readme\":\"".to_vec();
    big.extend(std::iter::repeat_n(b'x', 5 * 1024 * 1024));
    big.extend(b"\"}");
    expect(app, big, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large").await;
}

async fn tokens_are_checked_and_failures_counted(app: &TestApp) {
    let url = format!("{}/publications", app.api);
    let none = app
        .client
        .post(&url)
        .body(demo("auth", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(none).await,
        (StatusCode::UNAUTHORIZED, "missing_token".to_owned())
    );
    let wrong = app
        .client
        .post(&url)
        .bearer_auth("nope")
        .body(demo("auth", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(wrong).await,
        (StatusCode::UNAUTHORIZED, "invalid_token".to_owned())
    );
    let scheme = app
        .client
        .post(&url)
        .header("authorization", format!("bearer {TOKEN}"))
        .body(demo("auth", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(scheme.status(), StatusCode::UNAUTHORIZED);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("anip_registry_publish_total{kind=\"package\",status=\"unauthorized\"} 3"),
        "{metrics}"
    );
    assert_eq!(
        app.get("/packages/auth/1.0.0").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn invalid_ids_and_versions(app: &TestApp) {
    for (id, version, code) in [
        ("../x", "1.0.0", "invalid_id"),
        ("A Capital", "1.0.0", "invalid_id"),
        ("x@1", "1.0.0", "invalid_id"),
        ("", "1.0.0", "missing_field"),
        ("fine", "latest", "invalid_version"),
        ("fine", "", "missing_field"),
    ] {
        let mut request: serde_json::Value =
            serde_json::from_slice(&demo("placeholder", "1.0.0")).unwrap();
        request["package_id"] = id.into();
        request["package_version"] = version.into();
        let response = app.publish(serde_json::to_vec(&request).unwrap()).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{id}@{version}");
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_package");
        assert_eq!(body["problems"][0]["code"], code, "{id}@{version}: {body}");
    }
    for (path, code) in [
        ("/packages/A%20Capital/1.0.0", "invalid_id"),
        ("/packages/x%401/1.0.0", "invalid_id"),
        ("/packages/fine/latest", "invalid_version"),
        ("/packages/fine/1.0/download", "invalid_version"),
        (
            "/packages/x/18446744073709551616.0.0",
            "version_out_of_range",
        ),
        (
            "/packages/x/1.18446744073709551616.0/lock",
            "version_out_of_range",
        ),
        (
            "/templates/x/18446744073709551616.0.0",
            "version_out_of_range",
        ),
        ("/packages/..%2Fx/1.0.0/receipt", "invalid_id"),
        ("/packages/%2F../1.0.0/lock", "invalid_id"),
        ("/packages/ns%2F..%2Fetc/1.0.0", "invalid_id"),
    ] {
        let (status, got) = error_of(app.get(path).await).await;
        assert_eq!(
            (status, got.as_str()),
            (StatusCode::BAD_REQUEST, code),
            "{path}"
        );
    }
}

async fn unknown_things_are_404(app: &TestApp) {
    for path in [
        "/packages/unknown/1.0.0",
        "/packages/unknown/1.0.0/download",
        "/packages/unknown/1.0.0/lock",
    ] {
        assert_eq!(
            error_of(app.get(path).await).await,
            (StatusCode::NOT_FOUND, "package_not_found".to_owned())
        );
    }
    let (status, code) = error_of(app.get("/packages/unknown/1.0.0/receipt").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "receipt_not_found")
    );
    let (status, code) = error_of(app.get("/no/such/route").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "route_not_found")
    );
    // Path tricks never escape the API.
    let response = app
        .client
        .get(format!("{}/registry-api/v1/../../etc/passwd", app.base))
        .send()
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::OK);
}

async fn wrong_methods_and_encodings_answer_the_envelope(app: &TestApp) {
    for (method, url, allow) in [
        (
            reqwest::Method::DELETE,
            format!("{}/publications", app.api),
            "POST",
        ),
        (reqwest::Method::POST, format!("{}/keys", app.api), "GET"),
        (
            reqwest::Method::PUT,
            format!("{}/admin/packages/x/1.0.0/lifecycle", app.api),
            "PATCH",
        ),
        (
            reqwest::Method::DELETE,
            format!("{}/registry/packages", app.base),
            "GET",
        ),
    ] {
        let response = app
            .client
            .request(method.clone(), &url)
            .send()
            .await
            .unwrap();
        assert_eq!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {url}"
        );
        let allowed = response.headers()["allow"].to_str().unwrap().to_owned();
        assert!(allowed.contains(allow), "{method} {url}: Allow {allowed}");
        let (_, code) = error_of(response).await;
        assert_eq!(code, "method_not_allowed", "{method} {url}");
    }
    // A compressed body is refused as such, not misread as bad UTF-8.
    for encoding in ["gzip", "br", "x-unknown"] {
        let response = app
            .client
            .post(format!("{}/publications", app.api))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .header("content-encoding", encoding)
            .body(vec![0x1f, 0x8b, 0x08, 0x00, 0xff, 0xfe])
            .send()
            .await
            .unwrap();
        let (status, code) = error_of(response).await;
        assert_eq!(
            (status, code.as_str()),
            (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_content_encoding"
            ),
            "{encoding}"
        );
    }
}

crate::on_both_stores!(
    review_findings_stay_fixed,
    malformed_bodies,
    oversized_body_is_413,
    tokens_are_checked_and_failures_counted,
    invalid_ids_and_versions,
    unknown_things_are_404,
    wrong_methods_and_encodings_answer_the_envelope,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn publishing_disabled_without_a_token_on_postgres() {
    // With no token configured publishing is off (only dev mode on the embedded store makes one).
    let url = crate::postgres::cluster().fresh_database();
    let settings = {
        use clap::Parser as _;
        registry_server::config::Config::try_parse_from(["registry-server", "--database-url", &url])
            .unwrap()
            .settings()
            .unwrap()
    };
    assert!(settings.publish_token.is_none());
    let state = registry_server::prepare(settings).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let api = format!("http://{}/registry-api/v1", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(registry_server::run(state, listener, async {
        let _ = rx.await;
    }));
    let response = reqwest::Client::new()
        .post(format!("{api}/publications"))
        .bearer_auth("anything")
        .body(demo("off", "1.0.0"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (StatusCode::UNAUTHORIZED, "publishing_disabled".to_owned())
    );
    tx.send(()).unwrap();
    server.await.unwrap().unwrap();
}

async fn review_findings_stay_fixed(app: &TestApp) {
    use base64::Engine as _;
    // A cursor this registry could not have issued (a NUL in the time) is a 400, not a store error.
    let cursor = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(
        br#"{"download_count":0,"published_at":"\u0000","package_id":"a","package_version":"1.0.0"}"#,
    );
    let (status, code) = error_of(
        app.get(&format!("/publications?limit=5&cursor={cursor}"))
            .await,
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::BAD_REQUEST, "invalid_cursor")
    );
    // Unknown HTTP methods do not become metric label values.
    let method = reqwest::Method::from_bytes(b"FOOBAR").unwrap();
    app.client
        .request(method, format!("{}/healthz", app.api))
        .send()
        .await
        .unwrap();
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(!metrics.contains("FOOBAR"), "{metrics}");
    assert!(metrics.contains("method=\"other\""), "{metrics}");
    // A re-publish with other revision references is a conflict, not "unchanged".
    assert_eq!(
        app.publish(demo("refs", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let mut moved: serde_json::Value = serde_json::from_slice(&demo("refs", "1.0.0")).unwrap();
    moved["developer_revision_ref"] = "someone-else-r9".into();
    let (status, code) = error_of(app.publish(serde_json::to_vec(&moved).unwrap()).await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::CONFLICT, "version_exists")
    );
}
