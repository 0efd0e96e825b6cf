//! The one route table, and the layers every route gets.

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{delete, get, patch, post};

use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::compression::predicate::{NotForContentType, Predicate as _, SizeAbove};

use crate::error::Error;
use crate::handlers::{
    admin, admin_governance, admin_publishers, admin_reports, audit, health, index, log, me,
    me_lifecycle, me_namespaces, me_tokens, packages, templates, ui, versions,
};
use crate::state::AppState;

/// Every route of the registry.
pub fn router(state: AppState) -> Router {
    let api = Router::new()
        .route("/", get(index::index))
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/keys", get(health::keys))
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/log/checkpoint", get(log::checkpoint))
        .route("/log/tile/{*path}", get(log::tile))
        .route("/log/proof/inclusion", get(log::inclusion))
        .route("/log/proof/consistency", get(log::consistency))
        .route(
            "/log/receipts",
            get(crate::handlers::log_receipts::receipts),
        )
        .route("/log/records", get(crate::handlers::log_records::records))
        .route("/publications", get(packages::list).post(packages::publish))
        .route("/packages/{id}", get(versions::package))
        .route("/packages/{id}/{version}", get(packages::record))
        .route("/packages/{id}/{version}/download", get(packages::download))
        .route("/packages/{id}/{version}/lock", get(packages::lock))
        .route("/packages/{id}/{version}/receipt", get(packages::receipt))
        .route("/templates", get(templates::list).post(templates::publish))
        .route("/templates/{id}", get(versions::template))
        .route("/templates/{id}/{version}", get(templates::record))
        .route(
            "/templates/{id}/{version}/download",
            get(templates::download),
        )
        .route("/templates/{id}/{version}/receipt", get(templates::receipt))
        .route(
            "/admin/packages/{id}/{version}/lifecycle",
            patch(admin::set_lifecycle),
        )
        .route(
            "/admin/publishers",
            get(admin_publishers::list).post(admin_publishers::create),
        )
        .route(
            "/admin/publishers/{id}/status",
            patch(admin_publishers::set_status),
        )
        .route("/admin/namespaces", get(admin_governance::namespaces))
        .route(
            "/admin/namespaces/{*namespace}",
            patch(admin_governance::set_namespace_status),
        )
        .route(
            "/admin/namespace-transfer/{*namespace}",
            post(admin_governance::transfer_namespace),
        )
        .route("/admin/artifacts", get(admin_governance::artifacts))
        .route(
            "/admin/artifact-status/{kind}/{*id}",
            patch(admin_governance::set_artifact_status),
        )
        .route(
            "/admin/artifact-transfer/{kind}/{*id}",
            post(admin_governance::transfer_artifact),
        )
        .route(
            "/admin/abuse-reports",
            get(admin_reports::list).post(admin_reports::create),
        )
        .route(
            "/admin/abuse-reports/{id}/status",
            patch(admin_reports::set_status),
        )
        .route(
            "/admin/abuse-reports/{id}/takedown",
            post(admin_reports::takedown),
        )
        .route("/admin/mirror/resume", post(crate::replica::resume::resume))
        .route("/admin/audit", get(audit::admin))
        .route("/me/audit", get(audit::me))
        .route(
            "/me/publisher",
            get(me::publisher).patch(me::update_publisher),
        )
        .route(
            "/me/namespaces",
            get(me::namespaces).post(me_namespaces::claim),
        )
        .route(
            "/me/packages/{id}/{version}/lifecycle",
            patch(me_lifecycle::set),
        )
        .route("/me/artifacts", get(me::artifacts))
        .route("/me/tokens", get(me::tokens).post(me_tokens::create))
        .route("/me/tokens/{token_id}", delete(me::revoke))
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.clone(), crate::http::api_edge));
    let app = Router::new()
        .nest("/registry-api/v1", api)
        .route("/registry-api/v1/", get(index::index))
        .route("/", get(ui::root))
        .route("/registry", get(ui::registry))
        .route("/registry/", get(ui::registry))
        .route("/registry/assets/style.css", get(ui::stylesheet))
        .route("/registry/assets/favicon.svg", get(ui::favicon))
        .route("/registry/packages", get(ui::packages))
        .route("/registry/packages/{*path}", get(ui::package))
        .route("/registry/templates", get(ui::templates))
        .route("/registry/templates/{*path}", get(ui::template))
        .route("/registry/publishers/{id}", get(ui::publisher))
        .route("/registry/keys", get(ui::keys))
        .route("/registry/log", get(ui::log))
        .route("/registry/{*page}", get(ui::not_found))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state.clone());
    edge(app, &state)
}

/// The layers every route gets, API and UI alike (outermost first): response compression (gzip or brotli, for
/// answers over 1 KiB that are not images, and only for clients that send `Accept-Encoding`),
/// [`crate::http::observe`] (request id, timeout, store circuit breaker, log line, metrics) and the panic catcher
/// (a 500 `internal_error`, never a dropped connection).
pub fn edge(app: Router, state: &AppState) -> Router {
    let compress = CompressionLayer::new()
        .gzip(true)
        .br(true)
        .compress_when(SizeAbove::new(1024).and(NotForContentType::IMAGES));
    app.layer(CatchPanicLayer::custom(crate::http::panic_response))
        .layer(from_fn_with_state(state.clone(), crate::http::observe))
        .layer(crate::compress::AskedCompressionLayer::new(compress))
}

/// Any other path: `route_not_found` in the error envelope under `/registry-api`, else the UI's 404 page (never an
/// empty 404).
async fn not_found(
    state: axum::extract::State<AppState>,
    uri: axum::http::Uri,
) -> axum::response::Response {
    use axum::response::IntoResponse as _;
    if uri.path().starts_with("/registry-api") {
        api_not_found().await.into_response()
    } else {
        ui::not_found(state).await
    }
}

async fn api_not_found() -> Error {
    Error::not_found("route_not_found", "no such API route")
}

/// Any route's answer to a method it does not take: 405 `method_not_allowed` in the error envelope (axum adds the
/// `Allow` header naming the methods the route takes).
async fn method_not_allowed(method: axum::http::Method) -> Error {
    Error::Refused {
        status: axum::http::StatusCode::METHOD_NOT_ALLOWED,
        code: "method_not_allowed",
        message: format!(
            "this route does not take {method}; the Allow header lists the methods it takes"
        ),
        context: serde_json::Map::new(),
    }
}
