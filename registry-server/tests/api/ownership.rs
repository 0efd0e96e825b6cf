//! Ownership: racing first publishes of one id by two publishers give one owner and one 403; look-alike ids
//! belong to that owner.

use std::sync::Arc;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, demo, error_of};
use crate::publishers::{insert_token, new_publisher, package_grant, publish_with, store_of};

async fn racing_first_publishes_give_one_owner(app: &TestApp) {
    new_publisher(app, "red", &[]).await;
    new_publisher(app, "blue", &[]).await;
    let store = store_of(app).await;
    let ids: Vec<String> = (0..6).map(|i| format!("contested-{i}")).collect();
    let id_refs: Vec<&str> = ids.iter().map(String::as_str).collect();
    let red = insert_token(&store, "red", package_grant(&id_refs), None).await;
    let blue = insert_token(&store, "blue", package_grant(&id_refs), None).await;
    // Two servers on one database (on Postgres, two replicas): each publisher races through its own.
    let apps = [
        Arc::new(TestApp::spawn_on(&app.database_url, &[]).await),
        Arc::new(TestApp::spawn_on(&app.database_url, &[]).await),
    ];
    let app = Arc::clone(&apps[0]);
    for id in &ids {
        let tasks: Vec<_> = [red.clone(), blue.clone()]
            .into_iter()
            .zip(apps.iter().cloned())
            .map(|(token, app)| {
                let body = demo(id, "1.0.0");
                tokio::spawn(async move {
                    error_or_created(publish_with(&app, &token, body).await).await
                })
            })
            .collect();
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        outcomes.sort();
        assert_eq!(
            outcomes,
            vec![
                (StatusCode::CREATED, String::new()),
                (StatusCode::FORBIDDEN, "artifact_owned".into())
            ],
            "{id}"
        );
        let owner = store
            .ownership(registry_server::store::Kind::Package, id)
            .await
            .unwrap()
            .unwrap();
        let record = app
            .get_json(&format!("/packages/{id}/1.0.0"), StatusCode::OK)
            .await;
        assert_eq!(record["publisher_id"], owner.publisher_id.as_str(), "{id}");
    }
    // A look-alike of an owned id is the owner's alone.
    let owner = store
        .ownership(registry_server::store::Kind::Package, "contested-0")
        .await
        .unwrap()
        .unwrap();
    let other = if owner.publisher_id == "red" {
        &blue
    } else {
        &red
    };
    let lookalike = insert_token(
        &store,
        if owner.publisher_id == "red" {
            "blue"
        } else {
            "red"
        },
        package_grant(&["contested_0"]),
        None,
    )
    .await;
    let response = publish_with(&app, &lookalike, demo("contested_0", "1.0.0")).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        (status, body["code"].as_str().unwrap()),
        (StatusCode::CONFLICT, "similar_id_exists")
    );
    assert_eq!(body["existing_id"], "contested-0");
    let response = publish_with(&app, other, demo("contested-0", "2.0.0")).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
}

async fn error_or_created(response: reqwest::Response) -> (StatusCode, String) {
    if response.status() == StatusCode::CREATED {
        (StatusCode::CREATED, String::new())
    } else {
        error_of(response).await
    }
}

crate::on_both_stores!(racing_first_publishes_give_one_owner);
