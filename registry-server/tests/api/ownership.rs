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

async fn templates_are_claimed_and_signed_like_packages(app: &TestApp) {
    let body = serde_json::to_vec(&crate::templates::small_template("0.1.0")).unwrap();
    let id: Value = serde_json::from_slice(&body).unwrap();
    let id = id["template_id"].as_str().unwrap().to_owned();
    new_publisher(app, "studio-a", &[]).await;
    new_publisher(app, "studio-b", &[]).await;
    let store = store_of(app).await;
    let grant = |ops: &[&str]| registry_server::auth::scopes::Scopes {
        operations: ops.iter().map(|s| (*s).to_owned()).collect(),
        template_ids: vec![id.clone()],
        ..Default::default()
    };
    let package_only = insert_token(&store, "studio-a", grant(&["publish:package"]), None).await;
    let a = insert_token(&store, "studio-a", grant(&["publish:template"]), None).await;
    let b = insert_token(&store, "studio-b", grant(&["publish:template"]), None).await;
    let post = |token: String, body: Vec<u8>| {
        let client = app.client.clone();
        let url = format!("{}/templates", app.api);
        async move {
            client
                .post(url)
                .bearer_auth(token)
                .body(body)
                .send()
                .await
                .unwrap()
        }
    };
    let response = post(package_only, body.clone()).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "insufficient_scope".into())
    );
    let response = post(a, body.clone()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["template"]["publisher_id"], "studio-a");
    let version = created["template"]["template_version"].as_str().unwrap();
    let path = format!("/templates/{}/{version}", id.replace('/', "%2F"));
    let record = app.get_json(&path, StatusCode::OK).await;
    assert_eq!(record["publisher"]["publisher_id"], "studio-a", "{record}");
    for listing in ["/templates", "/templates?limit=10"] {
        let listing = app.get_json(listing, StatusCode::OK).await;
        let row = listing["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["template_id"] == id.as_str())
            .unwrap();
        assert_eq!(row["publisher"]["publisher_id"], "studio-a", "{row}");
    }
    let body = serde_json::to_vec(&crate::templates::small_template("0.2.0")).unwrap();
    let response = post(b, body.clone()).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
    let response = crate::templates::publish_template(app, body).await;
    assert_eq!(
        error_of(response).await,
        (StatusCode::FORBIDDEN, "artifact_owned".into())
    );
}

async fn racing_overlapping_namespaces_give_one_owner(app: &TestApp) {
    let app = Arc::new(TestApp::spawn_on(&app.database_url, &[]).await);
    for round in 0..8 {
        let tasks: Vec<_> = [("outer", format!("ns{round}")), ("inner", format!("ns{round}/sub"))]
            .into_iter()
            .map(|(who, namespace)| {
                let app = Arc::clone(&app);
                let body = serde_json::json!({"publisher_id": format!("{who}-{round}"), "publisher_type": "individual",
                    "display_name": who, "namespaces": [namespace]});
                tokio::spawn(async move { crate::publishers::create_publisher(&app, body).await.status() })
            })
            .collect();
        let mut statuses = Vec::new();
        for task in tasks {
            statuses.push(task.await.unwrap());
        }
        statuses.sort();
        assert_eq!(
            statuses,
            vec![StatusCode::CREATED, StatusCode::CONFLICT],
            "round {round}"
        );
    }
}

crate::on_both_stores!(
    racing_first_publishes_give_one_owner,
    racing_overlapping_namespaces_give_one_owner,
    templates_are_claimed_and_signed_like_packages
);
