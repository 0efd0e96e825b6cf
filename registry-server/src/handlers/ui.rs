//! The browser UI's routes: a few lines each; the pages are built in [`crate::ui`]. Every answer is a full registry
//! page (errors too: 404, 410 for a takedown, 503 when the store is away), never the API's JSON envelope.

use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;
use crate::store::Kind;
use crate::ui::{self, Page};

/// Builds a page that reads the store while holding one of the UI's page permits (`ANIP_REGISTRY_UI_CONCURRENCY`
/// × 2), so a flood of page requests queues here rather than taking every store connection from publishes.
async fn bounded(
    state: &AppState,
    page: impl Future<Output = Result<Page, Error>>,
) -> Result<Page, Error> {
    let _permit = state.ui.enter().await?;
    page.await
}

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

/// `GET /registry/assets/style.css`.
pub async fn stylesheet(headers: HeaderMap) -> Response {
    ui::stylesheet(&headers)
}

/// `GET /registry/assets/favicon.svg`.
pub async fn favicon(headers: HeaderMap) -> Response {
    ui::favicon(&headers)
}

/// `GET /registry/packages[?q=…&page=N]`.
pub async fn packages(State(state): State<AppState>, uri: Uri) -> Response {
    let page = bounded(&state, ui::packages::list(&state, uri.query())).await;
    ui::respond_result(&state, page)
}

/// `GET /registry/packages/{id}/{version}` (a version's page) and `/registry/packages/{id}` (the id's versions),
/// the id namespaced at any depth (`acme/tools/superset`) as segments or `%2F`. A path that reads both ways
/// (`acme/1.0.0`) is the version's page; the id's versions are then at `acme%2F1.0.0`.
pub async fn package(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    const PREFIX: &str = "/registry/packages/";
    let page = if let Some((id, version)) = ui::artifact_from_path(uri.path(), PREFIX) {
        bounded(
            &state,
            ui::package_detail::detail(&state, &id, &version, &headers),
        )
        .await
    } else if let Some(id) = ui::id_from_path(uri.path(), PREFIX) {
        let versions = ui::id_versions::page(&state, Kind::Package, &id, uri.query());
        bounded(&state, versions).await
    } else {
        Ok(Page::not_found("That is not a package id or version."))
    };
    ui::respond_result(&state, page)
}

/// `GET /registry/templates[?q=…&page=N]`.
pub async fn templates(State(state): State<AppState>, uri: Uri) -> Response {
    let page = bounded(&state, ui::templates::list(&state, uri.query())).await;
    ui::respond_result(&state, page)
}

/// `GET /registry/templates/{id}/{version}` and `/registry/templates/{id}`, as [`package`].
pub async fn template(State(state): State<AppState>, uri: Uri) -> Response {
    const PREFIX: &str = "/registry/templates/";
    let page = if let Some((id, version)) = ui::artifact_from_path(uri.path(), PREFIX) {
        bounded(&state, ui::templates::detail(&state, &id, &version)).await
    } else if let Some(id) = ui::id_from_path(uri.path(), PREFIX) {
        let versions = ui::id_versions::page(&state, Kind::Template, &id, uri.query());
        bounded(&state, versions).await
    } else {
        Ok(Page::not_found("That is not a template id or version."))
    };
    ui::respond_result(&state, page)
}

/// `GET /registry/publishers/{id}`.
pub async fn publisher(State(state): State<AppState>, uri: Uri) -> Response {
    let id = uri
        .path()
        .strip_prefix("/registry/publishers/")
        .unwrap_or_default()
        .to_owned();
    let page = bounded(&state, ui::publisher::page(&state, &id)).await;
    ui::respond_result(&state, page)
}

/// `GET /registry/keys`.
pub async fn keys(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let page = ui::keys::page(&state, &headers);
    ui::respond(&state, page)
}

/// `GET /registry/log`: the transparency log's checkpoint, size and witnesses.
pub async fn log(State(state): State<AppState>) -> Response {
    let page = bounded(&state, ui::log::page(&state)).await;
    ui::respond_result(&state, page)
}

/// Anything else under `/registry/`: the 404 page.
pub async fn not_found(State(state): State<AppState>) -> Response {
    ui::respond(&state, Page::not_found("There is no page at this address."))
}
