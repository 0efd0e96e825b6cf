//! Admin routes: package lifecycle changes (reference §5.2), with the admin bearer token, each one recorded in the
//! audit table and the log.

use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use verifier::lifecycle::LifecycleStatus;
use verifier::record::{Lifecycle, Replacement};
use verifier::validate::is_valid_artifact_id;

use super::json_text;
use crate::error::Error;
use crate::extract::{ArtifactPath, bearer, checked_version, drain, read_bounded};
use crate::state::AppState;
use crate::store::{LifecycleChange, PackageState};
use crate::time::now_rfc3339;

/// The largest lifecycle change body.
const MAX_ADMIN_BODY_BYTES: usize = 16 << 10;

/// The longest lifecycle reason, bytes.
const MAX_REASON_BYTES: usize = 1024;

/// The body of a lifecycle change.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct LifecycleRequest {
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    replacement_package_id: Option<String>,
    #[serde(default)]
    replacement_package_version: Option<String>,
}

/// The admin check: 403 when admin routes are not configured, 401 without the admin token (a publish token is
/// not an admin token).
pub(crate) fn authorise(state: &AppState, parts: &Parts) -> Result<(), Error> {
    if !state.admin_enabled() {
        return Err(Error::Forbidden {
            code: "admin_disabled",
            message: "registry admin auth is not configured (ANIP_REGISTRY_ADMIN_TOKEN)".into(),
        });
    }
    match bearer(parts) {
        Some(token) if state.is_admin_token(token) => Ok(()),
        _ => Err(Error::Unauthorized {
            code: "invalid_admin_token",
            message: "a valid registry admin bearer token is required".into(),
        }),
    }
}

fn checked(request: LifecycleRequest, path: &ArtifactPath) -> Result<Lifecycle, Error> {
    let invalid = |message: String| Error::bad_request("invalid_lifecycle", message);
    let status = request.status.unwrap_or_default().trim().to_owned();
    if status.is_empty() {
        return Err(invalid("lifecycle status is required".into()));
    }
    let status = LifecycleStatus::parse(&status);
    if !status.is_known() {
        return Err(invalid(format!(
            "unsupported lifecycle status {:?}; use one of {}",
            status.as_str(),
            LifecycleStatus::KNOWN
                .map(|s| s.as_str().to_owned())
                .join(", ")
        )));
    }
    let reason = request.reason.unwrap_or_default().trim().to_owned();
    if reason.len() > MAX_REASON_BYTES || reason.chars().any(char::is_control) {
        return Err(invalid(format!(
            "the reason must be at most {MAX_REASON_BYTES} bytes without control characters"
        )));
    }
    if status.needs_reason() && reason.is_empty() {
        return Err(invalid(format!("a {status} lifecycle needs a reason")));
    }
    let id = request
        .replacement_package_id
        .unwrap_or_default()
        .trim()
        .to_owned();
    let version = request
        .replacement_package_version
        .unwrap_or_default()
        .trim()
        .to_owned();
    let replacement = match (id.is_empty(), version.is_empty()) {
        (true, true) => None,
        (false, false) => {
            if !is_valid_artifact_id(&id) {
                return Err(invalid(format!("replacement id {id:?} is not a valid id")));
            }
            checked_version("replacement_package_version", &version)?;
            if id == path.id && version == path.version {
                return Err(invalid("a version cannot replace itself".into()));
            }
            Some(Replacement {
                package_id: id,
                package_version: version,
            })
        }
        _ => {
            return Err(invalid(
                "replacement_package_id and replacement_package_version go together".into(),
            ));
        }
    };
    Ok(Lifecycle {
        status,
        reason,
        replacement,
        updated_at: now_rfc3339(),
        updated_by: "registry-admin".into(),
    })
}

/// `PATCH /admin/packages/{id}/{version}/lifecycle` → `{package: record}`.
#[utoipa::path(
    patch, path = "/admin/packages/{id}/{version}/lifecycle", operation_id = "admin_set_lifecycle", tag = "admin",
    summary = "Change a version's lifecycle", request_body = LifecycleRequest,
    params(
        crate::openapi::params::PackageVersion,
    ),
    responses(
        (status = 200, description = "The record after the change", body = crate::openapi::schemas::PackageAnswer),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 409, description = "Not allowed from the current state", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set_lifecycle(
    State(state): State<AppState>,
    path: ArtifactPath,
    request: axum::extract::Request,
) -> Result<Response, Error> {
    let (parts, body) = request.into_parts();
    if let Err(e) = authorise(&state, &parts) {
        drain(
            axum::extract::Request::from_parts(parts, body),
            MAX_ADMIN_BODY_BYTES,
        )
        .await;
        return Err(e);
    }
    let body = read_bounded(
        axum::extract::Request::from_parts(parts, body),
        MAX_ADMIN_BODY_BYTES,
    )
    .await?;
    let value = verifier::json::parse_strict(&body)?;
    let request: LifecycleRequest = verifier::record::object_into(value, "a lifecycle change")?;
    let lifecycle = checked(request, &path)?;
    let owner = state
        .store
        .ownership(crate::store::Kind::Package, &path.id)
        .await?
        .map(|o| o.publisher_id);
    let audit = crate::store::AuditEvent {
        subject_publisher_id: owner,
        actor: "registry-admin".into(),
        event_type: "package.lifecycle.updated".into(),
        target_type: "package".into(),
        target_id: format!("{}@{}", path.id, path.version),
        metadata:
            serde_json::json!({"status": lifecycle.status.as_str(), "reason": lifecycle.reason})
                .to_string(),
        ip_hash: crate::auth::client::current_ip_hash(),
        created_at: lifecycle.updated_at.clone(),
        ..crate::store::AuditEvent::default()
    };
    let change = LifecycleChange {
        lifecycle: lifecycle.clone(),
        from: Vec::new(),
        audit: Some(audit),
        owner: None,
    };
    let Some(current) = state
        .store
        .set_lifecycle(&path.id, &path.version, &change)
        .await?
    else {
        return Err(Error::not_found(
            "package_not_found",
            format!("package version not found: {}@{}", path.id, path.version),
        ));
    };
    tracing::info!(
        package_id = %path.id,
        version = %path.version,
        status = %lifecycle.status,
        reason = %lifecycle.reason,
        by = %lifecycle.updated_by,
        "registry_lifecycle_changed"
    );
    changed(&state, &path, current).await
}

/// The answer to a lifecycle change of `path` (admin or publisher): once the change's log entry is in a signed
/// checkpoint, `{"package": record}` with the state `current` the change left.
pub(super) async fn changed(
    state: &AppState,
    path: &ArtifactPath,
    current: PackageState,
) -> Result<Response, Error> {
    state.log.sequenced().await?;
    let package = state
        .store
        .get_package(&path.id, &path.version)
        .await?
        .ok_or_else(|| Error::Internal("package vanished after its lifecycle change".into()))?;
    Ok(json_text(
        StatusCode::OK,
        crate::views::changed_package_json(&package, &current),
    ))
}
