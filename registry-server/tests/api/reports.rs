//! Abuse reports and takedowns, a publisher's yank and un-yank of its own versions, and the official publisher
//! bootstrap: each refusal with its status and code and nothing changed, each change audited.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::governance::{ok, refused, trail};
use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::publishers::{insert_token, new_publisher, package_grant, publish_with, store_of};

async fn reports_are_filed_resolved_and_taken_down(app: &TestApp) {
    let acme = new_publisher(app, "acme", &["acme"]).await;
    assert_eq!(
        publish_with(app, &acme, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let file = |body: Value| {
        ok(
            app,
            Method::POST,
            "/admin/abuse-reports",
            ADMIN_TOKEN,
            Some(body),
            StatusCode::CREATED,
        )
    };
    for body in [
        json!({"target_kind": "widget", "target_id": "x", "category": "spam", "reason": "r"}),
        json!({"target_kind": "package", "target_id": "", "category": "spam", "reason": "r"}),
        json!({"target_kind": "package", "target_id": "x", "category": "spam", "reason": ""}),
    ] {
        let got = refused(
            app,
            Method::POST,
            "/admin/abuse-reports",
            ADMIN_TOKEN,
            Some(body),
        )
        .await;
        assert_eq!(got, (StatusCode::BAD_REQUEST, "invalid_report".into()));
    }
    let got = refused(
        app,
        Method::POST,
        "/admin/abuse-reports",
        &acme,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        got,
        (StatusCode::UNAUTHORIZED, "invalid_admin_token".into())
    );
    let page = ok(
        app,
        Method::GET,
        "/admin/abuse-reports",
        ADMIN_TOKEN,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 0, "refused reports are not filed");
    let report = file(
        json!({"target_kind": "package", "target_id": "acme/app", "category": "malware",
        "reason": "exfiltrates keys", "reporter_contact": "sec@example.com"}),
    )
    .await["report"]
        .clone();
    assert_eq!(report["status"], "open");
    let ghost = file(json!({"target_kind": "publisher", "target_id": "ghost", "category": "spam", "reason": "r"}))
        .await["report"]["report_id"].as_str().unwrap().to_owned();
    let id = report["report_id"].as_str().unwrap();
    let page = ok(
        app,
        Method::GET,
        "/admin/abuse-reports?search=malware&status=open",
        ADMIN_TOKEN,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            page["total"].as_i64(),
            page["items"][0]["report_id"].as_str()
        ),
        (Some(1), Some(id))
    );
    // Status changes and their refusals.
    let status = format!("/admin/abuse-reports/{id}/status");
    let got = refused(
        app,
        Method::PATCH,
        &status,
        ADMIN_TOKEN,
        Some(json!({"status": "closed"})),
    )
    .await;
    assert_eq!(got, (StatusCode::BAD_REQUEST, "invalid_status".into()));
    let got = refused(
        app,
        Method::PATCH,
        "/admin/abuse-reports/not-a-uuid/status",
        ADMIN_TOKEN,
        Some(json!({"status": "resolved"})),
    )
    .await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "report_not_found".into()));
    let unknown = "/admin/abuse-reports/123e4567-e89b-42d3-a456-426614174000/takedown";
    let got = refused(app, Method::POST, unknown, ADMIN_TOKEN, Some(json!({}))).await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "report_not_found".into()));
    // A takedown of a target that does not exist suspends nothing and leaves the report open.
    let got = refused(
        app,
        Method::POST,
        &format!("/admin/abuse-reports/{ghost}/takedown"),
        ADMIN_TOKEN,
        Some(json!({})),
    )
    .await;
    assert_eq!(
        got,
        (StatusCode::BAD_REQUEST, "target_not_suspendable".into())
    );
    let page = ok(
        app,
        Method::GET,
        "/admin/abuse-reports?status=open",
        ADMIN_TOKEN,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(page["total"], 2);
    // The takedown suspends the package's ownership: no new versions; what was published stays served.
    let body = ok(
        app,
        Method::POST,
        &format!("/admin/abuse-reports/{id}/takedown"),
        ADMIN_TOKEN,
        Some(json!({"reason": "confirmed"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["report"]["status"], "reviewing");
    let response = publish_with(app, &acme, demo("acme/app", "1.1.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_suspended".into())
    );
    assert_eq!(
        app.get("/packages/acme%2Fapp/1.0.0").await.status(),
        StatusCode::OK
    );
    let body = ok(
        app,
        Method::PATCH,
        &status,
        ADMIN_TOKEN,
        Some(json!({"status": "resolved", "resolution": "removed"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        (
            body["report"]["status"].as_str(),
            body["report"]["resolution"].as_str()
        ),
        (Some("resolved"), Some("removed"))
    );
    let events: Vec<String> = trail(app)
        .await
        .into_iter()
        .map(|(e, _)| e)
        .filter(|e| e.starts_with("abuse."))
        .collect();
    assert_eq!(
        events,
        [
            "abuse.report.created",
            "abuse.report.created",
            "abuse.takedown.applied",
            "abuse.report.status.updated"
        ]
    );
    // The owner sees the takedown of its package in its own trail.
    let mine = ok(app, Method::GET, "/me/audit", &acme, None, StatusCode::OK).await;
    assert!(
        mine.to_string().contains("abuse.takedown.applied"),
        "{mine}"
    );
}

fn lifecycle(id: &str, version: &str) -> String {
    format!(
        "/me/packages/{}/{version}/lifecycle",
        id.replace('/', "%2F")
    )
}

async fn a_publisher_yanks_and_unyanks_its_own_versions(app: &TestApp) {
    let acme = new_publisher(app, "acme", &["acme"]).await;
    let beta = new_publisher(app, "beta", &["beta"]).await;
    assert_eq!(
        publish_with(app, &acme, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let store = store_of(app).await;
    let publish_only = insert_token(&store, "acme", package_grant(&["acme/app"]), None).await;
    let path = lifecycle("acme/app", "1.0.0");
    let yank = json!({"status": "yanked", "reason": "CVE-2026-0001: leaks the token"});
    for (token, body, expected) in [
        (
            publish_only.as_str(),
            yank.clone(),
            (StatusCode::FORBIDDEN, "insufficient_scope"),
        ),
        (
            beta.as_str(),
            yank.clone(),
            (StatusCode::FORBIDDEN, "not_owner"),
        ),
        (
            acme.as_str(),
            json!({"status": "yanked"}),
            (StatusCode::BAD_REQUEST, "invalid_lifecycle"),
        ),
        (
            acme.as_str(),
            json!({"status": "takedown", "reason": "x"}),
            (StatusCode::BAD_REQUEST, "invalid_lifecycle"),
        ),
        (
            acme.as_str(),
            json!({"status": "deprecated", "reason": "x"}),
            (StatusCode::BAD_REQUEST, "invalid_lifecycle"),
        ),
        (
            acme.as_str(),
            json!({"status": "active"}),
            (StatusCode::CONFLICT, "lifecycle_conflict"),
        ),
        (
            "",
            yank.clone(),
            (StatusCode::UNAUTHORIZED, "missing_token"),
        ),
        (
            ADMIN_TOKEN,
            yank.clone(),
            (StatusCode::UNAUTHORIZED, "invalid_token"),
        ),
    ] {
        let got = refused(app, Method::PATCH, &path, token, Some(body)).await;
        assert_eq!((got.0, got.1.as_str()), expected, "{token}");
    }
    let got = refused(
        app,
        Method::PATCH,
        &lifecycle("acme/app", "9.0.0"),
        &acme,
        Some(yank.clone()),
    )
    .await;
    assert_eq!(got, (StatusCode::NOT_FOUND, "package_not_found".into()));
    // The change's own transaction checks the owner again (a transfer may land after the handler's check).
    let change = registry_server::store::LifecycleChange {
        lifecycle: verifier::record::Lifecycle {
            status: verifier::lifecycle::LifecycleStatus::Yanked,
            reason: "late".into(),
            replacement: None,
            updated_at: registry_server::time::now_rfc3339(),
            updated_by: "publisher:beta".into(),
        },
        from: vec!["active"],
        audit: None,
        owner: Some("beta".into()),
    };
    let error = store
        .set_lifecycle("acme/app", "1.0.0", &change)
        .await
        .unwrap_err();
    assert_eq!(error.code(), "not_owner");
    let record = app
        .get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(
        record["lifecycle"]["status"], "active",
        "refusals change nothing"
    );
    // Yanked with a reason every reader sees; downloads refused unless asked for.
    let body = ok(
        app,
        Method::PATCH,
        &path,
        &acme,
        Some(yank.clone()),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["package"]["lifecycle"]["status"], "yanked");
    assert_eq!(body["package"]["lifecycle"]["updated_by"], "publisher:acme");
    let record = app
        .get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(
        record["lifecycle"]["reason"],
        "CVE-2026-0001: leaks the token"
    );
    assert_eq!(
        app.get("/packages/acme%2Fapp/1.0.0/download")
            .await
            .status(),
        StatusCode::GONE
    );
    // Un-yank; an admin takedown cannot be undone by the publisher.
    let body = ok(
        app,
        Method::PATCH,
        &path,
        &acme,
        Some(json!({"status": "active"})),
        StatusCode::OK,
    )
    .await;
    assert_eq!(body["package"]["lifecycle"]["status"], "active");
    assert_eq!(
        app.get("/packages/acme%2Fapp/1.0.0/download")
            .await
            .status(),
        StatusCode::OK
    );
    ok(
        app,
        Method::PATCH,
        "/admin/packages/acme%2Fapp/1.0.0/lifecycle",
        ADMIN_TOKEN,
        Some(json!({"status": "takedown", "reason": "legal"})),
        StatusCode::OK,
    )
    .await;
    for body in [yank.clone(), json!({"status": "active"})] {
        let got = refused(app, Method::PATCH, &path, &acme, Some(body)).await;
        assert_eq!(got, (StatusCode::CONFLICT, "lifecycle_conflict".into()));
    }
    let events: Vec<String> = trail(app)
        .await
        .into_iter()
        .map(|(e, _)| e)
        .filter(|e| e.starts_with("package.") && e != "package.published")
        .collect();
    assert_eq!(
        events,
        [
            "package.yanked",
            "package.unyanked",
            "package.lifecycle.updated"
        ]
    );
}

async fn the_bootstrap_assigns_legacy_artifacts_to_the_official_publisher(app: &TestApp) {
    // Published with the global token (studio-local) before any publisher existed, and one by acme.
    assert_eq!(
        app.publish(demo("legacy-app", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    assert_eq!(
        app.publish(demo("anip/tool", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let acme = new_publisher(app, "acme", &["acme"]).await;
    assert_eq!(
        publish_with(app, &acme, demo("acme/app", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let mut assigned = Vec::new();
    for _ in 0..2 {
        let again =
            TestApp::spawn_on(&app.database_url, &["--bootstrap-official-anip-publisher"]).await;
        let page = ok(
            &again,
            Method::GET,
            "/admin/artifacts?search=anip",
            ADMIN_TOKEN,
            None,
            StatusCode::OK,
        )
        .await;
        assigned.push(page["total"].clone());
        let record = again
            .get_json("/packages/legacy-app/1.0.0", StatusCode::OK)
            .await;
        assert_eq!(record["publisher"]["publisher_id"], "anip");
        assert_eq!(record["publisher"]["trust_level"], "official");
        assert_eq!(
            record["publisher_id"], "studio-local",
            "the signed identity stays"
        );
        let record = again
            .get_json("/packages/acme%2Fapp/1.0.0", StatusCode::OK)
            .await;
        assert_eq!(
            record["publisher"]["publisher_id"], "acme",
            "owned ids are not touched"
        );
        again.stop().await;
    }
    assert_eq!(assigned, [json!(2), json!(2)]);
    let page = ok(
        app,
        Method::GET,
        "/admin/artifacts?search=anip%2Ftool",
        ADMIN_TOKEN,
        None,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        page["items"][0]["namespace"], "anip",
        "an id in the namespace is claimed in it"
    );
    let bootstraps = trail(app)
        .await
        .into_iter()
        .filter(|(e, _)| e == "publisher.bootstrap")
        .count();
    assert_eq!(bootstraps, 1, "a second run changes nothing");
}

crate::on_both_stores!(
    reports_are_filed_resolved_and_taken_down,
    a_publisher_yanks_and_unyanks_its_own_versions,
    the_bootstrap_assigns_legacy_artifacts_to_the_official_publisher,
);
