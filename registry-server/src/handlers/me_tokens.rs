//! `POST /me/tokens`: a publisher mints a token whose scopes never exceed the caller's own. Operations come from a
//! closed list and must be held by the caller; namespaces must lie within the caller's and be the publisher's
//! active namespaces; id grants must lie within the caller's reach (its own grants or namespaces, or — with
//! `manage:publisher` — ids the publisher owns or nobody holds) and never name another publisher's id.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use verifier::validate::is_valid_artifact_id;

use super::body::checked_json;
use super::json_text;
use super::me::{caller, publisher_event, require};
use crate::auth::authenticate::TokenGrant;
use crate::auth::limits::days_from_now;
use crate::auth::ownership::refusal;
use crate::auth::scopes::{
    MANAGE_PUBLISHER, MANAGE_TOKENS, OPERATIONS, Scopes, covers, fold, is_valid_namespace, prefixes,
};
use crate::auth::token;
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Claim, Kind, TokenRow};
use crate::time::now_rfc3339;

/// The most entries in one scope list.
const MAX_SCOPE_ENTRIES: usize = 64;
/// The longest label, bytes.
const MAX_LABEL_BYTES: usize = 120;

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreateToken {
    #[serde(default)]
    label: String,
    #[serde(default)]
    scopes: Scopes,
    #[serde(default)]
    expires_at: Option<String>,
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::bad_request(code, message)
}

fn escalation(what: String) -> Error {
    let mut context = serde_json::Map::new();
    context.insert("scope".into(), what.clone().into());
    Error::Refused {
        status: StatusCode::FORBIDDEN,
        code: "scope_escalation",
        message: format!("a token cannot grant more than its creator holds: {what}"),
        context,
    }
}

/// The normalised expiry: RFC 3339 seconds in UTC, in the future and within the configured maximum.
fn expiry(state: &AppState, requested: Option<&str>) -> Result<String, Error> {
    let Some(text) = requested.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(days_from_now(state.settings.tokens.default_ttl_days()));
    };
    let at = OffsetDateTime::parse(text, &Rfc3339)
        .map_err(|_| bad("invalid_expiry", "expires_at must be an RFC 3339 time"))?;
    let now = OffsetDateTime::now_utc();
    if at <= now {
        return Err(bad("invalid_expiry", "expires_at must be in the future"));
    }
    let max_days = state.settings.tokens.token_max_ttl_days;
    if at > now + time::Duration::days(i64::from(max_days)) {
        return Err(bad(
            "expiry_too_far",
            format!(
                "expires_at may be at most {max_days} days ahead (ANIP_REGISTRY_TOKEN_MAX_TTL_DAYS)"
            ),
        ));
    }
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.to_offset(time::UtcOffset::UTC)
        .format(&format)
        .map_err(|_| bad("invalid_expiry", "expires_at is out of range"))
}

fn dedup(list: &[String]) -> Vec<String> {
    let mut out: Vec<String> = list.iter().map(|s| s.trim().to_owned()).collect();
    out.sort();
    out.dedup();
    out
}

/// Checks `requested` against the caller and the store; returns the scopes to store.
async fn checked_scopes(
    state: &AppState,
    grant: &TokenGrant,
    requested: &Scopes,
) -> Result<Scopes, Error> {
    let held = &grant.token.scopes;
    let me = &grant.publisher.publisher_id;
    let scopes = Scopes {
        operations: dedup(&requested.operations),
        namespaces: dedup(&requested.namespaces),
        package_ids: dedup(&requested.package_ids),
        template_ids: dedup(&requested.template_ids),
    };
    if scopes.operations.is_empty() {
        return Err(bad(
            "invalid_scopes",
            "scopes.operations must name at least one operation",
        ));
    }
    for list in [
        &scopes.operations,
        &scopes.namespaces,
        &scopes.package_ids,
        &scopes.template_ids,
    ] {
        if list.len() > MAX_SCOPE_ENTRIES {
            return Err(bad(
                "invalid_scopes",
                format!("at most {MAX_SCOPE_ENTRIES} entries per scope list"),
            ));
        }
    }
    for op in &scopes.operations {
        if !OPERATIONS.contains(&op.as_str()) {
            return Err(bad(
                "unknown_operation",
                format!("unknown operation {op:?}; known: {}", OPERATIONS.join(", ")),
            ));
        }
        if !held.allows(op) {
            return Err(escalation(format!("operation {op}")));
        }
    }
    let mine = state.store.namespaces_of(me).await?;
    for ns in &scopes.namespaces {
        if !is_valid_namespace(ns) {
            return Err(bad(
                "invalid_namespace",
                format!("{ns:?} is not a namespace"),
            ));
        }
        if !held.namespaces.iter().any(|h| covers(h, ns)) {
            return Err(escalation(format!("namespace {ns}")));
        }
        if !mine
            .iter()
            .any(|m| m.status == "active" && covers(&m.namespace, ns))
        {
            return Err(escalation(format!(
                "namespace {ns} (not an active namespace of {me})"
            )));
        }
    }
    for (kind, ids) in [
        (Kind::Package, &scopes.package_ids),
        (Kind::Template, &scopes.template_ids),
    ] {
        for id in ids {
            if !is_valid_artifact_id(id) {
                return Err(bad("invalid_id", format!("{id:?} is not a valid id")));
            }
            check_id(state, grant, kind, id).await?;
        }
    }
    Ok(scopes)
}

/// An id grant: never another publisher's id or look-alike, never inside another's namespace, and within the
/// caller's reach.
async fn check_id(state: &AppState, grant: &TokenGrant, kind: Kind, id: &str) -> Result<(), Error> {
    let held = &grant.token.scopes;
    let me = &grant.publisher.publisher_id;
    let owner = state.store.ownership(kind, id).await?;
    if let Some(row) = &owner {
        let probe = Claim {
            kind,
            artifact_id: id.to_owned(),
            publisher_id: me.clone(),
            namespace: None,
            audit: Default::default(),
        };
        if let Some(refused) = refusal(row, &probe) {
            return Err(refused);
        }
    } else if let Some(ns) = state
        .store
        .namespaces_named(&prefixes(id))
        .await?
        .into_iter()
        .find(|ns| ns.publisher_id != *me)
    {
        return Err(escalation(format!(
            "{id} lies in namespace {} of another publisher",
            ns.namespace
        )));
    }
    let granted = held.ids(kind).iter().any(|g| fold(g) == fold(id));
    let in_namespace = held.namespace_covering(id).is_some();
    // Publisher-level authority reaches the publisher's own ids and ids nobody holds (claimed on first publish).
    let publisher_wide = held.allows(MANAGE_PUBLISHER);
    if granted || in_namespace || publisher_wide {
        Ok(())
    } else {
        Err(escalation(format!("id {id}")))
    }
}

/// `POST /me/tokens` (`manage:tokens`) `{label, scopes, expires_at?}` → 201 `{token, bearer_token}` (the secret
/// shown once). 400 `invalid_label`, `invalid_scopes`, `unknown_operation`, `invalid_namespace`, `invalid_id`,
/// `invalid_expiry`, `expiry_too_far`; 403 `insufficient_scope`, `scope_escalation`, `artifact_owned`; 409
/// `similar_id_exists`.
#[utoipa::path(
    post, path = "/me/tokens", operation_id = "me_tokens_create", tag = "me", summary = "Create a token",
    request_body = CreateToken,
    responses(
        (status = 201, description = "The token; its secret shown once", body = crate::openapi::schemas::CreatedToken),
        (status = 409, description = "A similar id exists", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing, invalid, expired or revoked token, or publisher not active", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "The token lacks the scope", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (grant, body): (TokenGrant, CreateToken) =
        checked_json(request, "a token", async |parts| {
            let grant = caller(&state, parts).await?;
            require(&grant, MANAGE_TOKENS)?;
            Ok(grant)
        })
        .await?;
    let label = body.label.trim().to_owned();
    if label.is_empty() || label.len() > MAX_LABEL_BYTES || label.chars().any(char::is_control) {
        return Err(bad(
            "invalid_label",
            format!("label is required: at most {MAX_LABEL_BYTES} bytes, no control characters"),
        ));
    }
    let expires_at = expiry(&state, body.expires_at.as_deref())?;
    let scopes = checked_scopes(&state, &grant, &body.scopes).await?;
    let minted = token::mint()?;
    let now = now_rfc3339();
    let row = TokenRow {
        token_id: minted.token_id.clone(),
        publisher_id: grant.publisher.publisher_id.clone(),
        label,
        scopes,
        expires_at: Some(expires_at),
        last_used_at: None,
        revoked_at: None,
        created_at: now.clone(),
        updated_at: now,
        token_hash: minted.hash,
    };
    let mut event = publisher_event(&grant, "token.created", "token", &row.token_id);
    event.metadata =
        json!({"label": row.label, "scopes": row.scopes, "expires_at": row.expires_at}).to_string();
    state.store.insert_token(&row, &event).await?;
    tracing::info!(publisher_id = %row.publisher_id, token_id = %row.token_id, by_token = %grant.token.token_id, "registry_token_created");
    let body = json!({"token": row, "bearer_token": minted.bearer});
    Ok(json_text(StatusCode::CREATED, body.to_string()))
}
