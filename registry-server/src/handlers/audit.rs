//! The audit trail: `GET /admin/audit` (everything, admin token) and `GET /me/audit` (a publisher's own events, with
//! its scoped token), paged oldest first by `after` (the last `seq` seen) and `limit` (1–500, default 100).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde_json::json;

use super::json_text;
use crate::error::Error;
use crate::handlers::admin::authorise;
use crate::state::AppState;

/// The default and largest page.
const PAGE: (u32, u32) = (100, 500);

/// `after` and `limit` from the query: 400 `invalid_query` for anything else malformed.
fn paging(parts: &Parts) -> Result<(i64, u32), Error> {
    let mut after = 0i64;
    let mut limit = PAGE.0;
    let invalid = |m: &str| Error::bad_request("invalid_query", m.to_owned());
    for pair in parts
        .uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        match pair.split_once('=') {
            Some(("after", v)) => {
                after = v.parse().map_err(|_| invalid("after must be an integer"))?
            }
            Some(("limit", v)) => {
                limit = v
                    .parse()
                    .ok()
                    .filter(|l| (1..=PAGE.1).contains(l))
                    .ok_or_else(|| invalid("limit must be between 1 and 500"))?;
            }
            _ => {}
        }
    }
    Ok((after, limit))
}

async fn page(state: &AppState, publisher: Option<&str>, parts: &Parts) -> Result<Response, Error> {
    let (after, limit) = paging(parts)?;
    let items = state.store.audit_page(publisher, after, limit).await?;
    let next = (items.len() == limit as usize)
        .then(|| items.last().map(|e| e.seq))
        .flatten();
    Ok(json_text(
        StatusCode::OK,
        json!({"items": items, "next_after": next}).to_string(),
    ))
}

/// `GET /admin/audit?after&limit` → `{items, next_after}`.
#[utoipa::path(
    get, path = "/admin/audit", operation_id = "audit_admin", tag = "admin", summary = "The audit trail",
    params(
        ("after" = Option<i64>, Query, description = "Events after this `seq`"),
        ("limit" = Option<u32>, Query, description = "Page size"),
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AuditPage),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn admin(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    authorise(&state, &parts)?;
    page(&state, None, &parts).await
}

/// `GET /me/audit?after&limit` → `{items, next_after}`: events by the publisher or about it.
#[utoipa::path(
    get, path = "/me/audit", operation_id = "audit_me", tag = "me",
    summary = "The audit trail of the calling publisher",
    params(
        ("after" = Option<i64>, Query, description = "Events after this `seq`"),
        ("limit" = Option<u32>, Query, description = "Page size"),
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AuditPage),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn me(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    let grant = super::me::caller(&state, &parts).await?;
    page(&state, Some(&grant.publisher.publisher_id), &parts).await
}
