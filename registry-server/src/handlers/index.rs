//! `GET /registry-api/v1`: a JSON index of the API's routes (method, path template, what it does), so a client or
//! a person can find them from the root. A test checks that every route listed here is served.

use axum::response::Response;
use serde_json::json;

use super::{Caching, json_with_etag, short_hash};

/// Every API route: (methods, path under `/registry-api/v1`, description).
pub const ROUTES: &[(&str, &str, &str)] = &[
    ("GET", "/healthz", "liveness"),
    (
        "GET",
        "/readyz",
        "readiness (store reachable, migrations applied)",
    ),
    ("GET", "/metrics", "Prometheus metrics"),
    ("GET", "/keys", "the registry's signing keys"),
    (
        "GET",
        "/publications",
        "package versions: all in ANIP's order, or paged (limit, cursor) with q, package_id, publisher_id, lifecycle",
    ),
    ("POST", "/publications", "publish a package version"),
    (
        "GET",
        "/packages/{id}",
        "one package's versions, highest SemVer first, with its latest",
    ),
    (
        "GET",
        "/packages/{id}/{version}",
        "a package version's record",
    ),
    (
        "GET",
        "/packages/{id}/{version}/download",
        "a package version's record, counted as a download",
    ),
    (
        "GET",
        "/packages/{id}/{version}/lock",
        "the lock a generator would write",
    ),
    (
        "GET",
        "/packages/{id}/{version}/receipt",
        "a package version's signed receipt",
    ),
    (
        "GET",
        "/templates",
        "template versions: all, or paged (limit, cursor) with q, template_id, publisher_id",
    ),
    ("POST", "/templates", "publish a template version"),
    (
        "GET",
        "/templates/{id}",
        "one template's versions, highest SemVer first, with its latest",
    ),
    (
        "GET",
        "/templates/{id}/{version}",
        "a template version's record",
    ),
    (
        "GET",
        "/templates/{id}/{version}/download",
        "a template version's package, counted as a download",
    ),
    (
        "GET",
        "/templates/{id}/{version}/receipt",
        "a template version's signed receipt",
    ),
    (
        "PATCH",
        "/admin/packages/{id}/{version}/lifecycle",
        "change a version's lifecycle (admin)",
    ),
    (
        "GET, POST",
        "/admin/publishers",
        "list or create publishers (admin)",
    ),
    (
        "PATCH",
        "/admin/publishers/{id}/status",
        "change a publisher's status (admin)",
    ),
    ("GET", "/admin/audit", "the audit trail (admin)"),
    (
        "GET",
        "/me/audit",
        "the audit trail of the calling publisher",
    ),
    (
        "GET, PATCH",
        "/me/publisher",
        "the calling publisher's profile",
    ),
    (
        "GET",
        "/me/namespaces",
        "the calling publisher's namespaces",
    ),
    (
        "GET",
        "/me/artifacts",
        "the calling publisher's packages and templates",
    ),
    (
        "GET, POST",
        "/me/tokens",
        "the calling publisher's publish tokens",
    ),
    ("DELETE", "/me/tokens/{token_id}", "revoke a publish token"),
];

/// `GET /registry-api/v1`: `{"api": "anip-registry/v1", "base": "/registry-api/v1", "routes": [{"methods", "path",
/// "description"}]}`. Ids in paths are one segment (a namespaced id's `/` as `%2F`).
pub async fn index(headers: axum::http::HeaderMap) -> Response {
    let routes: Vec<_> = ROUTES
        .iter()
        .map(|(methods, path, description)| {
            json!({"methods": methods, "path": format!("/registry-api/v1{path}"), "description": description})
        })
        .collect();
    let body = json!({"api": "anip-registry/v1", "base": "/registry-api/v1", "routes": routes})
        .to_string();
    let etag = short_hash(&[&body]);
    json_with_etag(&headers, body, etag, Caching::Revalidate)
}
