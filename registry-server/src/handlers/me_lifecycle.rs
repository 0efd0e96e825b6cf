//! `PATCH /me/packages/{id}/{version}/lifecycle`: a publisher yanks or un-yanks a version of a package it owns,
//! with `manage:lifecycle` (the publish operation is not enough) and a reason every reader sees. Deprecation,
//! supersession and takedown stay with the admin: a publisher can neither set them nor undo them.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use verifier::lifecycle::LifecycleStatus;
use verifier::record::Lifecycle;

use super::body::checked_json;
use super::me::{caller, publisher_event, require};
use crate::auth::scopes::MANAGE_LIFECYCLE;
use crate::error::Error;
use crate::extract::ArtifactPath;
use crate::state::AppState;
use crate::store::{Kind, LifecycleChange};
use crate::time::now_rfc3339;

/// The longest reason, bytes.
const MAX_REASON_BYTES: usize = 1024;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct OwnLifecycle {
    #[serde(default)]
    status: String,
    #[serde(default)]
    reason: String,
}

fn refused(status: StatusCode, code: &'static str, message: String, id: &str) -> Error {
    let mut context = serde_json::Map::new();
    context.insert("artifact_id".into(), id.into());
    Error::Refused {
        status,
        code,
        message,
        context,
    }
}

/// `PATCH /me/packages/{id}/{version}/lifecycle` `{status: "yanked" | "active", reason}` → `{package: record}`.
/// `yanked` (reason required) applies to an active, deprecated or superseded version; `active` (un-yank) only to
/// a yanked one, else 409 `lifecycle_conflict`. 400 `invalid_lifecycle`; 401 as every `/me` route; 403
/// `insufficient_scope` (no `manage:lifecycle`), `not_owner` (the package is not the caller's),
/// `artifact_suspended`; 404 `package_not_found`. The change and its audit event (`package.yanked`,
/// `package.unyanked`) are one transaction, which also checks the ownership again.
#[utoipa::path(
    patch, path = "/me/packages/{id}/{version}/lifecycle", operation_id = "me_lifecycle_set", tag = "me",
    summary = "Yank or un-yank an own package version", request_body = OwnLifecycle,
    params(
        crate::openapi::params::PackageVersion,
    ),
    responses(
        (status = 200, description = "The record after the change", body = crate::openapi::schemas::PackageAnswer),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 409, description = "Not allowed from the current state", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set(
    State(state): State<AppState>,
    path: ArtifactPath,
    request: Request,
) -> Result<Response, Error> {
    let (grant, body): (_, OwnLifecycle) =
        checked_json(request, "a lifecycle change", async |parts| {
            caller(&state, parts).await
        })
        .await?;
    require(&grant, MANAGE_LIFECYCLE)?;
    let invalid = |m: String| Error::bad_request("invalid_lifecycle", m);
    let reason = body.reason.trim().to_owned();
    if reason.len() > MAX_REASON_BYTES || reason.chars().any(char::is_control) {
        return Err(invalid(format!(
            "the reason must be at most {MAX_REASON_BYTES} bytes without control characters"
        )));
    }
    let (status, from, event) = match body.status.trim() {
        "yanked" if reason.is_empty() => {
            return Err(invalid("a yank needs a reason".into()));
        }
        "yanked" => (
            LifecycleStatus::Yanked,
            vec!["active", "deprecated", "superseded"],
            "package.yanked",
        ),
        "active" => (LifecycleStatus::Active, vec!["yanked"], "package.unyanked"),
        other => {
            return Err(invalid(format!(
                "a publisher may set status yanked or active (un-yank), not {other:?}"
            )));
        }
    };
    let publisher_id = &grant.publisher.publisher_id;
    let owned = state.store.ownership(Kind::Package, &path.id).await?;
    match &owned {
        Some(row) if row.publisher_id == *publisher_id && row.artifact_id == path.id => {
            if row.status != "active" {
                return Err(refused(
                    StatusCode::FORBIDDEN,
                    "artifact_suspended",
                    format!("{:?} is {} and cannot be changed", path.id, row.status),
                    &path.id,
                ));
            }
        }
        _ => {
            return Err(refused(
                StatusCode::FORBIDDEN,
                "not_owner",
                format!(
                    "{:?} is not a package of publisher {publisher_id:?}",
                    path.id
                ),
                &path.id,
            ));
        }
    }
    let now = now_rfc3339();
    let mut audit = publisher_event(
        &grant,
        event,
        "package",
        &format!("{}@{}", path.id, path.version),
    );
    audit.metadata = json!({"reason": reason}).to_string();
    let change = LifecycleChange {
        lifecycle: Lifecycle {
            status,
            reason,
            replacement: None,
            updated_at: now,
            updated_by: format!("publisher:{publisher_id}"),
        },
        from,
        audit: Some(audit),
        owner: Some(publisher_id.clone()),
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
    tracing::info!(package_id = %path.id, version = %path.version, status = %change.lifecycle.status,
        publisher_id = %publisher_id, "registry_lifecycle_changed");
    super::admin::changed(&state, &path, current).await
}
