//! Bearer authentication for publishing and `/me`: the scoped token first (looked up by its id, the secret's
//! SHA-256 compared in constant time), then — for publishing only — the legacy global token.

use axum::http::request::Parts;

use super::token;
use crate::error::Error;
use crate::extract::{Publisher, bearer};
use crate::state::AppState;
use crate::store::{PublisherRow, TokenRow};
use crate::time::now_rfc3339;

/// A valid scoped token and its publisher.
#[derive(Debug, Clone)]
pub struct TokenGrant {
    /// The token (scopes, expiry).
    pub token: TokenRow,
    /// Its publisher (active).
    pub publisher: PublisherRow,
}

/// How a publish was authenticated.
#[derive(Debug, Clone)]
pub enum Grant {
    /// The legacy global token (identity from `ANIP_REGISTRY_PUBLISHER_ID` / `_TYPE`).
    Legacy,
    /// A scoped publisher token.
    Token(Box<TokenGrant>),
}

fn unauthorized(code: &'static str, message: &str) -> Error {
    Error::Unauthorized {
        code,
        message: message.into(),
    }
}

/// Checks a scoped token: `None` when `bearer` is not shaped `anip_pat_<uuid>_<secret>`. 401 `invalid_token`
/// (unknown id or wrong secret), `token_revoked`, `token_expired`, `publisher_suspended` (or
/// `publisher_not_active` while pending review). A valid token's `last_used_at` is updated.
pub async fn authenticate_scoped(
    state: &AppState,
    bearer: &str,
) -> Result<Option<TokenGrant>, Error> {
    let Some(presented) = token::parse(bearer) else {
        return Ok(None);
    };
    let invalid = || {
        unauthorized(
            "invalid_token",
            "valid scoped publisher bearer token is required",
        )
    };
    let Some(row) = state.store.token(&presented.token_id).await? else {
        // Hash anyway so that unknown ids and wrong secrets take the same time.
        let _ = token::secret_matches(&"0".repeat(64), presented.secret);
        return Err(invalid());
    };
    if !token::secret_matches(&row.token_hash, presented.secret) {
        return Err(invalid());
    }
    if row.revoked_at.is_some() {
        return Err(unauthorized(
            "token_revoked",
            "this publisher token has been revoked",
        ));
    }
    let now = now_rfc3339();
    // Both sides are RFC 3339 seconds in UTC (`…Z`), so text order is time order.
    if row
        .expires_at
        .as_deref()
        .is_some_and(|at| at <= now.as_str())
    {
        return Err(unauthorized(
            "token_expired",
            "this publisher token has expired",
        ));
    }
    let Some(publisher) = state.store.publisher(&row.publisher_id).await? else {
        return Err(invalid());
    };
    match publisher.status.as_str() {
        "active" => {}
        "suspended" => {
            return Err(unauthorized(
                "publisher_suspended",
                "the token's publisher is suspended",
            ));
        }
        _ => {
            return Err(unauthorized(
                "publisher_not_active",
                "the token's publisher is not active (pending review)",
            ));
        }
    }
    state.store.touch_token(&row.token_id, &now).await?;
    Ok(Some(TokenGrant {
        token: row,
        publisher,
    }))
}

/// Authenticates a publish: a scoped token, else the legacy global token when it is enabled. 401
/// `missing_token`, `invalid_token`, `publishing_disabled` (a non-scoped token while the legacy token is off),
/// and the scoped-token codes of [`authenticate_scoped`].
pub async fn authenticate_publish(
    state: &AppState,
    parts: &Parts,
) -> Result<(Publisher, Grant), Error> {
    let Some(token) = bearer(parts) else {
        return Err(unauthorized(
            "missing_token",
            "a publish bearer token is required",
        ));
    };
    if let Some(grant) = authenticate_scoped(state, token).await? {
        let publisher = Publisher {
            id: grant.publisher.publisher_id.clone(),
            kind: grant.publisher.publisher_type.clone(),
        };
        return Ok((publisher, Grant::Token(Box::new(grant))));
    }
    if !state.publishing_enabled() {
        return Err(unauthorized(
            "publishing_disabled",
            "the global publish token is not enabled on this registry: use a scoped anip_pat_ token",
        ));
    }
    if state.is_publish_token(token) {
        return Ok((
            Publisher {
                id: state.settings.publisher_id.clone(),
                kind: state.settings.publisher_type.clone(),
            },
            Grant::Legacy,
        ));
    }
    Err(unauthorized(
        "invalid_token",
        "the publish bearer token is not valid",
    ))
}
