//! `POST /me/namespaces` (reference route 22): a publisher claims a namespace with `manage:publisher`. The claim
//! waits as `pending_verification` (publishing into it needs the admin to make it `active`), and nobody may claim
//! a namespace that is, covers or lies in another publisher's.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

use super::body::checked_json;
use super::json_text;
use super::me::{caller, publisher_event, require};
use crate::auth::scopes::{MANAGE_PUBLISHER, is_valid_namespace};
use crate::error::Error;
use crate::state::AppState;
use crate::store::NamespaceRow;
use crate::time::now_rfc3339;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Claim {
    #[serde(default)]
    namespace: String,
    #[serde(default)]
    artifact_kinds: Option<Vec<String>>,
}

/// `POST /me/namespaces` `{namespace, artifact_kinds?}` → 201 `{namespace}` (status `pending_verification`;
/// kinds default to both). 400 `invalid_namespace`, `invalid_artifact_kind`; 401 as every `/me` route; 403
/// `insufficient_scope`; 409 `namespace_taken`.
#[utoipa::path(
    post, path = "/me/namespaces", operation_id = "me_namespaces_claim", tag = "me", summary = "Claim a namespace",
    request_body = Claim,
    responses(
        (status = 201, description = "The claimed namespace", body = crate::openapi::schemas::NamespaceAnswer),
        (status = 409, description = "Namespace taken", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn claim(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (grant, body): (_, Claim) = checked_json(request, "a namespace claim", async |parts| {
        caller(&state, parts).await
    })
    .await?;
    require(&grant, MANAGE_PUBLISHER)?;
    let namespace = body.namespace.trim().to_owned();
    if !is_valid_namespace(&namespace) {
        return Err(Error::bad_request(
            "invalid_namespace",
            format!(
                "{namespace:?} is not a namespace: 1-80 characters of [a-z0-9_/-], no leading, trailing or double '/'"
            ),
        ));
    }
    let mut kinds = body
        .artifact_kinds
        .unwrap_or_else(|| vec!["package".into(), "template".into()]);
    kinds.sort();
    kinds.dedup();
    if kinds.is_empty() || kinds.iter().any(|k| k != "package" && k != "template") {
        return Err(Error::bad_request(
            "invalid_artifact_kind",
            "artifact_kinds must list package and/or template",
        ));
    }
    let now = now_rfc3339();
    let row = NamespaceRow {
        namespace: namespace.clone(),
        publisher_id: grant.publisher.publisher_id.clone(),
        artifact_kinds: kinds,
        status: "pending_verification".into(),
        created_at: now.clone(),
        updated_at: now,
    };
    let event = publisher_event(&grant, "namespace.created", "namespace", &namespace);
    state.store.claim_namespace(&row, &event).await?;
    tracing::info!(publisher_id = %row.publisher_id, namespace = %namespace, "registry_namespace_claimed");
    Ok(json_text(
        StatusCode::CREATED,
        json!({"namespace": row}).to_string(),
    ))
}
