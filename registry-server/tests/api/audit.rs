//! The audit trail of a scripted scenario reads back complete and in order; ids published before ownership
//! existed are not claimable by a newcomer.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{ADMIN_TOKEN, TestApp, demo, error_of};
use crate::publishers::{new_publisher, publish_with};

async fn get_as(app: &TestApp, path: &str, token: &str) -> Value {
    let response = app
        .client
        .get(format!("{}{path}", app.api))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.json().await.unwrap()
}

fn events(page: &Value) -> Vec<(String, String)> {
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

async fn the_audit_trail_of_a_scenario_is_complete_and_ordered(app: &TestApp) {
    // Published with the global token before acme existed: nobody may claim it later.
    assert_eq!(
        app.publish(demo("legacy-app", "1.0.0")).await.status(),
        StatusCode::CREATED
    );
    let first = new_publisher(app, "acme", &["acme"]).await;
    let minted = app
        .client
        .post(format!("{}/me/tokens", app.api))
        .bearer_auth(&first)
        .json(&json!({"label": "ci", "scopes": {"operations": ["publish:package"], "namespaces": ["acme"],
            "package_ids": ["legacy-app"]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(minted.status(), StatusCode::CREATED);
    let minted: Value = minted.json().await.unwrap();
    let ci = minted["bearer_token"].as_str().unwrap();
    let ci_id = minted["token"]["token_id"].as_str().unwrap();
    let response = publish_with(app, ci, demo("legacy-app", "2.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
    assert_eq!(
        publish_with(app, ci, demo("acme/tool", "1.0.0"))
            .await
            .status(),
        StatusCode::CREATED
    );
    let revoke = app
        .client
        .delete(format!("{}/me/tokens/{ci_id}", app.api))
        .bearer_auth(&first)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status(), StatusCode::OK);

    let all = get_as(app, "/admin/audit", ADMIN_TOKEN).await;
    let initial_id = all["items"][3]["target_id"].as_str().unwrap().to_owned();
    assert_eq!(
        events(&all),
        vec![
            (
                "package.published".to_owned(),
                "legacy-app@1.0.0".to_owned()
            ),
            ("publisher.created".into(), "acme".into()),
            ("namespace.created".into(), "acme".into()),
            ("token.created".into(), initial_id),
            ("token.created".into(), ci_id.into()),
            ("artifact.claimed".into(), "acme/tool".into()),
            ("package.published".into(), "acme/tool@1.0.0".into()),
            ("token.revoked".into(), ci_id.into()),
        ]
    );
    let published = &all["items"][6];
    assert_eq!(published["actor"], "publisher:acme");
    assert_eq!(published["token_id"], ci_id);
    // A publisher sees its own events only; paging walks the same trail.
    let mine = get_as(app, "/me/audit", &first).await;
    assert_eq!(events(&mine).len(), 7, "{mine}");
    let page = get_as(app, "/admin/audit?limit=3", ADMIN_TOKEN).await;
    assert_eq!(events(&page), events(&all)[..3].to_vec());
    let after = page["next_after"].as_i64().unwrap();
    let rest = get_as(
        app,
        &format!("/admin/audit?after={after}&limit=500"),
        ADMIN_TOKEN,
    )
    .await;
    assert_eq!(events(&rest), events(&all)[3..].to_vec());
    assert!(rest["next_after"].is_null());
}

crate::on_both_stores!(the_audit_trail_of_a_scenario_is_complete_and_ordered);
