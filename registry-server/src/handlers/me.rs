//! `/me/*` (reference routes 19, 21, 23–26) for a scoped publisher token: the token's publisher, its namespaces and
//! artifacts, and its tokens (list, mint within the caller's own scopes, revoke).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::json;

use super::json_text;
use crate::auth::authenticate::TokenGrant;
use crate::auth::scopes::MANAGE_TOKENS;
use crate::auth::{authenticate_scoped, token};
use crate::error::Error;
use crate::extract::bearer;
use crate::state::AppState;
use crate::store::AuditEvent;
use crate::time::now_rfc3339;

/// The scoped token of a `/me` request: 401 `missing_token`, `invalid_token` (also for the legacy or admin
/// token: `/me` knows only publishers), and the token-state codes of [`authenticate_scoped`].
pub async fn caller(state: &AppState, parts: &Parts) -> Result<TokenGrant, Error> {
    let Some(presented) = bearer(parts) else {
        return Err(Error::Unauthorized {
            code: "missing_token",
            message: "valid scoped publisher bearer token is required".into(),
        });
    };
    authenticate_scoped(state, presented)
        .await?
        .ok_or_else(|| Error::Unauthorized {
            code: "invalid_token",
            message: "valid scoped publisher bearer token is required".into(),
        })
}

/// 403 `insufficient_scope` unless the caller's token holds `operation`.
pub fn require(grant: &TokenGrant, operation: &'static str) -> Result<(), Error> {
    if grant.token.scopes.allows(operation) {
        return Ok(());
    }
    let mut context = serde_json::Map::new();
    context.insert("required_scope".into(), operation.into());
    Err(Error::Refused {
        status: StatusCode::FORBIDDEN,
        code: "insufficient_scope",
        message: format!("the token does not include the required {operation} scope"),
        context,
    })
}

/// An audit event by the caller's publisher and token.
pub fn publisher_event(
    grant: &TokenGrant,
    event_type: &str,
    target_type: &str,
    target_id: &str,
) -> AuditEvent {
    AuditEvent {
        actor_publisher_id: Some(grant.publisher.publisher_id.clone()),
        token_id: Some(grant.token.token_id.clone()),
        actor: format!("publisher:{}", grant.publisher.publisher_id),
        event_type: event_type.into(),
        target_type: target_type.into(),
        target_id: target_id.into(),
        metadata: "{}".into(),
        subject_publisher_id: None,
        ip_hash: crate::auth::client::current_ip_hash(),
        created_at: now_rfc3339(),
    }
}

/// `GET /me/publisher` → `{publisher, scopes}`.
#[utoipa::path(
    get, path = "/me/publisher", operation_id = "me_publisher", tag = "me",
    summary = "The calling publisher's profile",
    responses(
        (status = 200, description = "The publisher and the token scopes", body = crate::openapi::schemas::MePublisher),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn publisher(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    let grant = caller(&state, &parts).await?;
    let body = json!({"publisher": grant.publisher, "scopes": grant.token.scopes});
    Ok(json_text(StatusCode::OK, body.to_string()))
}

/// `GET /me/namespaces` → `{items: [Namespace]}`.
#[utoipa::path(
    get, path = "/me/namespaces", operation_id = "me_namespaces", tag = "me",
    summary = "The calling publisher's namespaces",
    responses(
        (status = 200, description = "Its namespaces", body = crate::openapi::schemas::MeItems<crate::store::NamespaceRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn namespaces(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    let grant = caller(&state, &parts).await?;
    let items = state
        .store
        .namespaces_of(&grant.publisher.publisher_id)
        .await?;
    Ok(json_text(
        StatusCode::OK,
        json!({"items": items}).to_string(),
    ))
}

/// `GET /me/artifacts` → `{items: [ArtifactOwnership]}`.
#[utoipa::path(
    get, path = "/me/artifacts", operation_id = "me_artifacts", tag = "me",
    summary = "The calling publisher's packages and templates",
    responses(
        (status = 200, description = "Its artifacts", body = crate::openapi::schemas::MeItems<crate::store::OwnershipRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn artifacts(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    let grant = caller(&state, &parts).await?;
    let items = state
        .store
        .artifacts_of(&grant.publisher.publisher_id)
        .await?;
    Ok(json_text(
        StatusCode::OK,
        json!({"items": items}).to_string(),
    ))
}

/// `GET /me/tokens` (`manage:tokens`) → `{items: [TokenSummary]}`, newest first, never a secret.
#[utoipa::path(
    get, path = "/me/tokens", operation_id = "me_tokens", tag = "me", summary = "The calling publisher's tokens",
    responses(
        (status = 200, description = "Its tokens, newest first", body = crate::openapi::schemas::MeItems<crate::store::TokenRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn tokens(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    let grant = caller(&state, &parts).await?;
    require(&grant, MANAGE_TOKENS)?;
    let items = state.store.tokens_of(&grant.publisher.publisher_id).await?;
    Ok(json_text(
        StatusCode::OK,
        json!({"items": items}).to_string(),
    ))
}

/// `DELETE /me/tokens/{token_id}` (`manage:tokens`) → `{token}` with `revoked_at` (idempotent); 404
/// `token_not_found` for an id that is not one of the publisher's tokens (a non-UUID id included).
#[utoipa::path(
    delete, path = "/me/tokens/{token_id}", operation_id = "me_revoke", tag = "me", summary = "Revoke a token",
    params(("token_id" = String, Path, description = "Token id (UUID)")),
    responses(
        (status = 200, description = "The revoked token", body = crate::openapi::schemas::TokenAnswer),
        (status = 404, description = "No such token", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn revoke(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (mut parts, _) = request.into_parts();
    let grant = caller(&state, &parts).await?;
    require(&grant, MANAGE_TOKENS)?;
    let token_id = super::admin_publishers::one_path_segment(&mut parts)
        .await?
        .to_ascii_lowercase();
    let not_found = || Error::not_found("token_not_found", "token not found");
    if !token::is_uuid(&token_id) {
        return Err(not_found());
    }
    let event = publisher_event(&grant, "token.revoked", "token", &token_id);
    let revoked = state
        .store
        .revoke_token(&grant.publisher.publisher_id, &token_id, &event)
        .await?
        .ok_or_else(not_found)?;
    tracing::info!(publisher_id = %grant.publisher.publisher_id, token_id = %token_id, "registry_token_revoked");
    Ok(json_text(
        StatusCode::OK,
        json!({"token": revoked}).to_string(),
    ))
}

/// `PATCH /me/publisher` body.
#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Profile {
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    website_url: String,
}

/// `PATCH /me/publisher` (`manage:publisher`) `{display_name, description, website_url}` → `{publisher}`. 400
/// `invalid_display_name` / `invalid_publisher`; 403 `insufficient_scope`. (A publisher that is not active cannot
/// authenticate at all: 401 `publisher_suspended` / `publisher_not_active`.)
#[utoipa::path(
    patch, path = "/me/publisher", operation_id = "me_update_publisher", tag = "me",
    summary = "Change the calling publisher's profile", request_body = Profile,
    responses(
        (status = 200, description = "The publisher", body = crate::openapi::schemas::PublisherAnswer),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn update_publisher(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (grant, body): (TokenGrant, Profile) =
        super::body::checked_json(request, "a publisher profile", async |parts| {
            let grant = caller(&state, parts).await?;
            require(&grant, crate::auth::scopes::MANAGE_PUBLISHER)?;
            Ok(grant)
        })
        .await?;
    let (display_name, description, website_url) = super::admin_publishers::checked_profile(
        &body.display_name,
        &body.description,
        &body.website_url,
    )?;
    let id = &grant.publisher.publisher_id;
    let mut event = publisher_event(&grant, "publisher.updated", "publisher", id);
    event.metadata = json!({"display_name": display_name, "website_url": website_url}).to_string();
    let publisher = state
        .store
        .update_profile(id, &display_name, &description, &website_url, &event)
        .await?
        .ok_or_else(|| Error::Unauthorized {
            code: "publisher_not_active",
            message: "the token's publisher is not active".into(),
        })?;
    state.publishers.clear();
    Ok(json_text(
        StatusCode::OK,
        json!({"publisher": publisher}).to_string(),
    ))
}
