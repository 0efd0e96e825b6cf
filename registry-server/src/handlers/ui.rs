//! The browser UI's entry pages (a minimal server-rendered shell until the UI issue lands).

use axum::response::{Html, IntoResponse, Redirect, Response};

/// `/` → `/registry`.
pub async fn root() -> Response {
    Redirect::permanent("/registry").into_response()
}

/// `/registry` and `/registry/` → `/registry/packages`.
pub async fn registry() -> Response {
    Redirect::permanent("/registry/packages").into_response()
}

/// Any page under `/registry/`: a minimal HTML shell whose title names the registry.
pub async fn shell() -> Html<&'static str> {
    Html(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ANIP Registry</title></head>\n\
         <body><h1>ANIP Registry</h1><p>The browser UI is on its way; the API is at \
         <a href=\"/registry-api/v1/publications\">/registry-api/v1/publications</a>.</p></body></html>\n",
    )
}
