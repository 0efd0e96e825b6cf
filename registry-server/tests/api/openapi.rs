//! The OpenAPI description against the route table and the running server: every route of `routes.rs` is in the
//! document with its methods and every documented operation is served; the document is served with an ETag; no path
//! answers an empty 404. (scripts/schemathesis.sh checks the document's shapes and statuses with independent tools.)

use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{Backend, TestApp, error_of};

/// `(METHOD, path)` of every API route in the route table's source: each `.route("<path>", get(..).post(..))`
/// before the API router is nested, with `{*name}` written `{name}` as OpenAPI does.
fn route_table() -> BTreeSet<(String, String)> {
    let source = include_str!("../../src/routes.rs");
    let api = source.split("let app = Router::new()").next().unwrap();
    let mut routes = BTreeSet::new();
    for call in api.split(".route(").skip(1) {
        let path = call.split('"').nth(1).unwrap().replace("{*", "{");
        let handlers = call.split_once(',').unwrap().1;
        let handlers = &handlers[..handlers.find("))").map_or(handlers.len(), |i| i + 1)];
        for method in ["get", "post", "patch", "delete", "put"] {
            let called = handlers
                .match_indices(&format!("{method}("))
                .any(|(i, _)| i == 0 || !handlers.as_bytes()[i - 1].is_ascii_alphanumeric());
            if called {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

fn documented(document: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_is_documented_and_every_documented_operation_is_served() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = app.get_json("/openapi.json", StatusCode::OK).await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], "/registry-api/v1");
    let table = route_table();
    assert!(table.len() >= 45, "{table:?}");
    assert!(table.contains(&("PATCH".into(), "/admin/namespaces/{namespace}".into())));
    let operations = documented(&document);
    let undocumented: Vec<_> = table.difference(&operations).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    let unrouted: Vec<_> = operations.difference(&table).collect();
    assert!(
        unrouted.is_empty(),
        "documented operations with no route: {unrouted:?}"
    );

    // Served, method by method: no documented operation answers 405 or `route_not_found`.
    for (method, path) in &operations {
        let concrete = path
            .replace("{id}", "x")
            .replace("{version}", "1.0.0")
            .replace("{kind}", "package")
            .replace("{namespace}", "acme")
            .replace("{token_id}", "t")
            .replace("{path}", "0/000");
        let response = app
            .client
            .request(method.parse().unwrap(), format!("{}{concrete}", app.api))
            .send()
            .await
            .unwrap();
        assert_ne!(
            response.status(),
            StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}"
        );
        let body = response.text().await.unwrap();
        assert!(!body.contains("route_not_found"), "{method} {path}: {body}");
    }

    // Every operation names its errors with the one ErrorBody schema.
    let error_body = &document["components"]["schemas"]["ErrorBody"];
    assert_eq!(error_body["required"], serde_json::json!(["error", "code"]));
    assert!(error_body["properties"]["problems"].is_object());
    assert!(document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer");
}

/// The index lists exactly the document's routes, at `/registry-api/v1` and `/registry-api/v1/` alike.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_index_is_the_documents_routes() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let document = app.get_json("/openapi.json", StatusCode::OK).await;
    let index = app.get_json("", StatusCode::OK).await;
    assert_eq!(app.get_json("/", StatusCode::OK).await, index);
    let listed: BTreeSet<(String, String)> = index["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|route| {
            let path = route["path"]
                .as_str()
                .unwrap()
                .replace("/registry-api/v1", "");
            let path = if path.is_empty() {
                "/".to_owned()
            } else {
                path
            };
            route["methods"]
                .as_str()
                .unwrap()
                .split(", ")
                .map(move |m| (m.to_owned(), path.clone()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(listed, documented(&document));
    assert!(listed.contains(&("GET".into(), "/openapi.json".into())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_with_an_etag() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    let url = format!("{}/openapi.json", app.api);
    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()["cache-control"], "no-cache");
    assert!(
        first.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let etag = first.headers()["etag"].clone();
    let again = app
        .client
        .get(&url)
        .header("if-none-match", etag.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()["etag"], etag);
}

/// No path answers an empty 404: under `/registry-api` the error envelope, elsewhere the UI's 404 page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_paths_answer_an_error_body_never_an_empty_404() {
    let app = TestApp::spawn(Backend::Sqlite).await;
    for path in [
        "/registry-api",
        "/registry-api/v2/packages",
        "/registry-api/v1x",
    ] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(
            error_of(response).await,
            (StatusCode::NOT_FOUND, "route_not_found".into()),
            "{path}"
        );
    }
    for path in ["/nope", "/registryx", "/favicon.ico"] {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{path}"
        );
        assert!(!response.text().await.unwrap().is_empty(), "{path}");
    }
}
