//! Admin governance routes (reference §1.3 routes 27, 29, 30, 32, 33): namespace and artifact listings, status
//! changes and transfers, with the admin token; each change and its audit event in one transaction.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};
use verifier::validate::is_valid_artifact_id;

use super::admin_publishers::{admin_event, admin_filter, is_valid_publisher_id, one_path_segment};
pub use super::admin_query::{checked_reason, one_of, page_json};
use super::body::checked_json;
use super::json_text;
use crate::auth::scopes::is_valid_namespace;
use crate::error::Error;
use crate::handlers::admin::authorise;
use crate::state::AppState;
use crate::store::Kind;

/// Namespace statuses.
pub const NAMESPACE_STATUSES: [&str; 5] = [
    "pending_verification",
    "active",
    "reserved",
    "suspended",
    "rejected",
];
/// Ownership statuses.
const ARTIFACT_STATUSES: [&str; 3] = ["active", "transferred", "suspended"];

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::bad_request(code, message)
}

/// `GET /admin/namespaces?search&status&limit&offset` → `{items: [Namespace], total, limit, offset}`.
#[utoipa::path(
    get, path = "/admin/namespaces", operation_id = "admin_governance_namespaces", tag = "admin",
    summary = "List namespaces",
    params(
        crate::openapi::params::AdminList,
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AdminPage<crate::store::NamespaceRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn namespaces(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    authorise(&state, &parts)?;
    let filter = admin_filter(&parts)?;
    let page = state.store.list_namespaces(&filter).await?;
    let items = page.items.iter().map(|n| json!(n)).collect();
    Ok(page_json(items, page.total, &parts))
}

/// `GET /admin/artifacts?search&status&limit&offset` → `{items: [ArtifactOwnership + publisher_id], total, …}`.
#[utoipa::path(
    get, path = "/admin/artifacts", operation_id = "admin_governance_artifacts", tag = "admin",
    summary = "List owned artifacts",
    params(
        crate::openapi::params::AdminList,
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AdminPage<crate::openapi::schemas::Artifact>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn artifacts(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    authorise(&state, &parts)?;
    let filter = admin_filter(&parts)?;
    let page = state.store.list_artifacts(&filter).await?;
    let items = page.items.iter().map(artifact_json).collect();
    Ok(page_json(items, page.total, &parts))
}

/// An ownership row with its owner named.
pub fn artifact_json(row: &crate::store::OwnershipRow) -> Value {
    let mut value = json!(row);
    if let Some(object) = value.as_object_mut() {
        object.insert("publisher_id".into(), row.publisher_id.clone().into());
    }
    value
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TransferBody {
    #[serde(default)]
    target_publisher_id: String,
    #[serde(default)]
    target_namespace: String,
    #[serde(default)]
    reason: String,
}

fn checked_namespace(ns: &str) -> Result<(), Error> {
    if is_valid_namespace(ns) {
        return Ok(());
    }
    Err(bad(
        "invalid_namespace",
        format!(
            "{ns:?} is not a namespace: 1-80 characters of [a-z0-9_/-], no leading, trailing or double '/'"
        ),
    ))
}

fn checked_target(id: &str) -> Result<String, Error> {
    let id = id.trim();
    if is_valid_publisher_id(id) {
        return Ok(id.to_owned());
    }
    Err(bad(
        "invalid_publisher_id",
        "target_publisher_id must be a publisher id",
    ))
}

fn namespace_not_found() -> Error {
    Error::not_found("namespace_not_found", "namespace not found")
}

/// `PATCH /admin/namespaces/{namespace...}` `{status, reason?}` → `{namespace}`. 400 `invalid_namespace`,
/// `invalid_status`, `invalid_reason`; 404 `namespace_not_found`.
#[utoipa::path(
    patch, path = "/admin/namespaces/{namespace}", operation_id = "admin_governance_set_namespace_status",
    tag = "admin", summary = "Change a namespace's status", request_body = StatusBody,
    params(("namespace" = String, Path, description = "The namespace")),
    responses(
        (status = 200, description = "The namespace", body = crate::openapi::schemas::NamespaceAnswer),
        (status = 404, description = "No such namespace", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set_namespace_status(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let namespace = one_path_segment(&mut parts).await?;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), StatusBody) =
        checked_json(request, "a status change", async |p| authorise(&state, p)).await?;
    checked_namespace(&namespace)?;
    let status = body.status.trim();
    one_of(status, &NAMESPACE_STATUSES)?;
    let reason = checked_reason(&body.reason)?;
    let event = admin_event(
        "",
        "namespace.status.updated",
        "namespace",
        &namespace,
        json!({"status": status, "reason": reason}),
    );
    let row = state
        .store
        .set_namespace_status(&namespace, status, &event)
        .await?
        .ok_or_else(namespace_not_found)?;
    state.publishers.clear();
    // Answer once the transfers' log entries are in a signed checkpoint, as a publish does.
    state.log.sequenced().await?;
    tracing::info!(namespace = %namespace, status, "registry_namespace_status_changed");
    Ok(json_text(
        StatusCode::OK,
        json!({"namespace": row}).to_string(),
    ))
}

/// `POST /admin/namespace-transfer/{namespace...}` `{target_publisher_id, reason?}` → `{namespace}`: the
/// namespace and the artifacts claimed in it change owner. 400 `invalid_namespace`, `invalid_publisher_id`; 404
/// `namespace_not_found`, `publisher_not_found`.
#[utoipa::path(
    post, path = "/admin/namespace-transfer/{namespace}", operation_id = "admin_governance_transfer_namespace",
    tag = "admin", summary = "Transfer a namespace and its artifacts", request_body = TransferBody,
    params(("namespace" = String, Path, description = "The namespace")),
    responses(
        (status = 200, description = "The namespace", body = crate::openapi::schemas::NamespaceAnswer),
        (status = 404, description = "No such namespace or publisher", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn transfer_namespace(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let namespace = one_path_segment(&mut parts).await?;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), TransferBody) =
        checked_json(request, "a transfer", async |p| authorise(&state, p)).await?;
    checked_namespace(&namespace)?;
    let target = checked_target(&body.target_publisher_id)?;
    let reason = checked_reason(&body.reason)?;
    let event = admin_event(
        &target,
        "namespace.ownership.transferred",
        "namespace",
        &namespace,
        json!({"target_publisher_id": target, "reason": reason}),
    );
    let row = state
        .store
        .transfer_namespace(&namespace, &target, &event)
        .await?
        .ok_or_else(namespace_not_found)?;
    state.publishers.clear();
    // Answer once the transfers' log entries are in a signed checkpoint, as a publish does.
    state.log.sequenced().await?;
    tracing::info!(namespace = %namespace, target = %target, "registry_namespace_transferred");
    Ok(json_text(
        StatusCode::OK,
        json!({"namespace": row}).to_string(),
    ))
}

/// `{kind}/{id...}` of the artifact routes: 400 `invalid_artifact_kind`, `invalid_id`.
async fn artifact_path(parts: &mut Parts) -> Result<(Kind, String), Error> {
    use axum::extract::FromRequestParts as _;
    #[allow(clippy::disallowed_types)] // wrapped: its rejection becomes our envelope
    let axum::extract::Path((kind, id)) =
        axum::extract::Path::<(String, String)>::from_request_parts(parts, &())
            .await
            .map_err(|_| bad("invalid_path", "the path could not be decoded"))?;
    let kind = match kind.as_str() {
        "package" => Kind::Package,
        "template" => Kind::Template,
        _ => {
            return Err(bad(
                "invalid_artifact_kind",
                "the artifact kind must be package or template",
            ));
        }
    };
    if !is_valid_artifact_id(&id) {
        return Err(bad("invalid_id", format!("{id:?} is not a valid id")));
    }
    Ok((kind, id))
}

fn artifact_not_found() -> Error {
    Error::not_found("artifact_not_found", "artifact not found")
}

/// `PATCH /admin/artifact-status/{kind}/{id...}` `{status, reason?}` → `{artifact}`: a `suspended` or
/// `transferred` artifact takes no new versions. 400 `invalid_artifact_kind`, `invalid_id`, `invalid_status`,
/// `invalid_reason`; 404 `artifact_not_found` (no ownership row).
#[utoipa::path(
    patch, path = "/admin/artifact-status/{kind}/{id}", operation_id = "admin_governance_set_artifact_status",
    tag = "admin", summary = "Change an artifact's status", request_body = StatusBody,
    params(
        ("kind" = String, Path, description = "`package` or `template`"),
        ("id" = String, Path, description = "The id (one segment: a namespaced id's `/` as `%2F`)", example = "work-item-fronting-demo"),
    ),
    responses(
        (status = 200, description = "The artifact", body = crate::openapi::schemas::ArtifactAnswer),
        (status = 404, description = "No such artifact", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set_artifact_status(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let path = artifact_path(&mut parts).await;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), StatusBody) =
        checked_json(request, "a status change", async |p| authorise(&state, p)).await?;
    let (kind, id) = path?;
    let status = body.status.trim();
    one_of(status, &ARTIFACT_STATUSES)?;
    let reason = checked_reason(&body.reason)?;
    let kind_name = crate::auth::scopes::kind_name(kind);
    let event = admin_event(
        "",
        "artifact.status.updated",
        kind_name,
        &id,
        json!({"status": status, "reason": reason}),
    );
    let row = state
        .store
        .set_artifact_status(kind, &id, status, &event)
        .await?
        .ok_or_else(artifact_not_found)?;
    state.publishers.clear();
    state.log.sequenced().await?;
    tracing::info!(kind = kind_name, artifact_id = %id, status, "registry_artifact_status_changed");
    Ok(json_text(
        StatusCode::OK,
        json!({"artifact": artifact_json(&row)}).to_string(),
    ))
}

/// `POST /admin/artifact-transfer/{kind}/{id...}` `{target_publisher_id, target_namespace?, reason?}` →
/// `{artifact}`: the id (owned, or published before ownership existed) belongs to the target from now on. 400
/// `invalid_artifact_kind`, `invalid_id`, `invalid_publisher_id`, `invalid_namespace` (not the target's or not
/// covering the id); 404 `artifact_not_found`, `publisher_not_found`; 409 `similar_id_exists`.
#[utoipa::path(
    post, path = "/admin/artifact-transfer/{kind}/{id}", operation_id = "admin_governance_transfer_artifact",
    tag = "admin", summary = "Transfer an artifact to another publisher", request_body = TransferBody,
    params(
        ("kind" = String, Path, description = "`package` or `template`"),
        ("id" = String, Path, description = "The id (one segment: a namespaced id's `/` as `%2F`)", example = "work-item-fronting-demo"),
    ),
    responses(
        (status = 200, description = "The artifact", body = crate::openapi::schemas::ArtifactAnswer),
        (status = 404, description = "No such artifact or publisher", body = crate::openapi::schemas::ErrorBody),
        (status = 409, description = "A similar id exists", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn transfer_artifact(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let path = artifact_path(&mut parts).await;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), TransferBody) =
        checked_json(request, "a transfer", async |p| authorise(&state, p)).await?;
    let (kind, id) = path?;
    let target = checked_target(&body.target_publisher_id)?;
    let namespace = body.target_namespace.trim();
    if !namespace.is_empty() {
        checked_namespace(namespace)?;
    }
    let reason = checked_reason(&body.reason)?;
    let kind_name = crate::auth::scopes::kind_name(kind);
    let event = admin_event(
        &target,
        "artifact.ownership.transferred",
        kind_name,
        &id,
        json!({"target_publisher_id": target, "target_namespace": namespace, "reason": reason}),
    );
    let row = state
        .store
        .transfer_artifact(
            kind,
            &id,
            &target,
            (!namespace.is_empty()).then_some(namespace),
            &event,
        )
        .await?
        .ok_or_else(artifact_not_found)?;
    state.publishers.clear();
    state.log.sequenced().await?;
    tracing::info!(kind = kind_name, artifact_id = %id, target = %target, "registry_artifact_transferred");
    Ok(json_text(
        StatusCode::OK,
        json!({"artifact": artifact_json(&row)}).to_string(),
    ))
}
