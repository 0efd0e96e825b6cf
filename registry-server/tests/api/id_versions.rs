//! `GET /packages/{id}` and `GET /templates/{id}`: one id's versions in SemVer order, paged, with its latest.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::templates::{publish_template, small_template};

async fn set_status(app: &TestApp, id: &str, version: &str, status: &str) {
    let response = app
        .client
        .patch(format!(
            "{}/admin/packages/{}/{version}/lifecycle",
            app.api,
            id.replace('/', "%2F")
        ))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"status": status, "reason": "test"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{status}");
}

fn versions(body: &Value, field: &str) -> Vec<String> {
    body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v[field].as_str().unwrap().to_owned())
        .collect()
}

async fn lists_versions_highest_first_with_latest_and_pages(app: &TestApp) {
    let id = "acme/tools/lister";
    // Published out of order; 1.10.0 > 1.9.0 by SemVer, not by text.
    for v in ["1.9.0", "1.10.0", "2.0.0-rc.1", "1.2.0", "1.11.0", "0.1.0"] {
        assert_eq!(
            app.publish(demo(id, v)).await.status(),
            StatusCode::CREATED,
            "{v}"
        );
    }
    set_status(app, id, "1.11.0", "yanked").await;
    set_status(app, id, "0.1.0", "takedown").await;
    let path = format!("/packages/{}", id.replace('/', "%2F"));
    let body = app.get_json(&path, StatusCode::OK).await;
    assert_eq!(body["package_id"], id);
    assert_eq!(body["latest"], "1.10.0", "{body}");
    assert_eq!(
        versions(&body, "package_version"),
        ["2.0.0-rc.1", "1.11.0", "1.10.0", "1.9.0", "1.2.0", "0.1.0"]
    );
    assert_eq!(body["next_cursor"], Value::Null);
    let first = &body["versions"][0];
    assert_eq!(first["lifecycle"]["status"], "active");
    assert_eq!(body["versions"][1]["lifecycle"]["status"], "yanked");
    assert!(first["published_at"].is_string());
    assert_eq!(first["download_count"], 0);
    assert!(first.get("publisher").is_some(), "{first}");

    // Downloads show (pending counts are flushed first).
    let download = app.get(&format!("{path}/1.9.0/download")).await;
    assert_eq!(download.status(), StatusCode::OK);
    let body = app.get_json(&path, StatusCode::OK).await;
    assert_eq!(body["versions"][3]["download_count"], 1, "{body}");

    // Pages of two walk the same order; a version published between pages never shifts one.
    let mut seen = Vec::new();
    let mut next = format!("{path}?limit=2");
    let mut published_meanwhile = false;
    loop {
        let page = app.get_json(&next, StatusCode::OK).await;
        seen.extend(versions(&page, "package_version"));
        if !published_meanwhile {
            published_meanwhile = true;
            let created = app.publish(demo(id, "3.0.0")).await.status();
            assert_eq!(created, StatusCode::CREATED);
        }
        match page["next_cursor"].as_str() {
            Some(cursor) => next = format!("{path}?limit=2&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        ["2.0.0-rc.1", "1.11.0", "1.10.0", "1.9.0", "1.2.0", "0.1.0"]
    );
    let body = app.get_json(&path, StatusCode::OK).await;
    assert_eq!(body["latest"], "3.0.0");
}

async fn refuses_unknown_ids_bad_ids_and_bad_cursors(app: &TestApp) {
    assert_eq!(
        app.publish(demo("present", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    for (path, status, code) in [
        (
            "/packages/absent",
            StatusCode::NOT_FOUND,
            "package_not_found",
        ),
        (
            "/templates/absent",
            StatusCode::NOT_FOUND,
            "template_not_found",
        ),
        (
            "/packages/Not_Valid%20",
            StatusCode::BAD_REQUEST,
            "invalid_id",
        ),
        (
            "/packages/present?cursor=zzz",
            StatusCode::BAD_REQUEST,
            "invalid_cursor",
        ),
        (
            "/packages/present?limit=0",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
        (
            "/packages/present?limit=x",
            StatusCode::BAD_REQUEST,
            "invalid_query",
        ),
    ] {
        assert_eq!(
            error_of(app.get(path).await).await,
            (status, code.to_owned()),
            "{path}"
        );
    }
}

async fn lists_template_versions(app: &TestApp) {
    let id = small_template("1.0.0")["template_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for v in ["1.0.0", "1.10.0", "1.9.0", "2.0.0-beta.1"] {
        let body = serde_json::to_vec(&small_template(v)).unwrap();
        assert_eq!(
            publish_template(app, body).await.status(),
            StatusCode::CREATED,
            "{v}"
        );
    }
    let body = app
        .get_json(
            &format!("/templates/{}", id.replace('/', "%2F")),
            StatusCode::OK,
        )
        .await;
    assert_eq!(body["template_id"], id.as_str());
    assert_eq!(body["latest"], "1.10.0");
    assert_eq!(
        versions(&body, "template_version"),
        ["2.0.0-beta.1", "1.10.0", "1.9.0", "1.0.0"]
    );
    assert!(body["versions"][0].get("lifecycle").is_none());
}

crate::on_both_stores!(
    lists_versions_highest_first_with_latest_and_pages,
    refuses_unknown_ids_bad_ids_and_bad_cursors,
    lists_template_versions
);
