//! `GET /registry-api/v1`: a JSON index of the API's routes (method, path template, what it does), so a client or
//! a person can find them from the root. Built from the OpenAPI document ([`crate::openapi`]), whose routes a test
//! checks against the route table.

use axum::response::Response;
use serde_json::json;

use super::{Caching, json_with_etag, short_hash};

#[utoipa::path(
    get, path = "/", operation_id = "index_index", tag = "health", summary = "This index of the API's routes",
    responses(
        (status = 200, description = "The routes", body = crate::openapi::schemas::ApiIndex),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
    ),
)]
pub async fn index(headers: axum::http::HeaderMap) -> Response {
    let routes: Vec<_> = crate::openapi::routes()
        .into_iter()
        .map(|(methods, path, description)| {
            json!({"methods": methods, "path": format!("/registry-api/v1{path}"), "description": description})
        })
        .collect();
    let body = json!({"api": "anip-registry/v1", "base": "/registry-api/v1", "routes": routes})
        .to_string();
    let etag = short_hash(&[&body]);
    json_with_etag(&headers, body, etag, Caching::Revalidate)
}
