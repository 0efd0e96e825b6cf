//! The browser UI's entry pages (a minimal server-rendered shell until the UI issue lands).

use axum::http::StatusCode;
use axum::http::header::LOCATION;
use axum::response::{Html, IntoResponse, Response};

/// A 301, as ANIP's registry answers these paths.
fn moved(to: &'static str) -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(LOCATION, to)]).into_response()
}

/// `/` → `/registry`.
pub async fn root() -> Response {
    moved("/registry")
}

/// `/registry` and `/registry/` → `/registry/packages`.
pub async fn registry() -> Response {
    moved("/registry/packages")
}

/// Any page under `/registry/`: a minimal HTML shell whose title names the registry.
pub async fn shell() -> Html<&'static str> {
    Html(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ANIP Registry</title></head>\n\
         <body><h1>ANIP Registry</h1><p>The browser UI is on its way; the API is at \
         <a href=\"/registry-api/v1/publications\">/registry-api/v1/publications</a>.</p></body></html>\n",
    )
}
