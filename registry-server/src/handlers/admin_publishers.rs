//! Admin publisher routes: create a publisher with its namespaces and a first token (`POST /admin/publishers`),
//! list publishers (`GET /admin/publishers`), change a publisher's status and trust level
//! (`PATCH /admin/publishers/{id}/status`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;

pub(crate) use super::admin_query::admin_filter;
pub use super::admin_query::one_path_segment;
use super::admin_query::{ADMIN_PAGE, admin_query};
use super::body::checked_json;
use super::json_text;
use crate::auth::limits::days_from_now;
use crate::auth::scopes::{
    MANAGE_LIFECYCLE, MANAGE_PUBLISHER, MANAGE_TOKENS, PUBLISH_PACKAGE, PUBLISH_TEMPLATE, Scopes,
    is_valid_namespace,
};
use crate::auth::token;
use crate::error::Error;
use crate::handlers::admin::authorise;
use crate::state::AppState;
use crate::store::{AuditEvent, NamespaceRow, NewPublisher, PublisherRow, TokenRow};
use crate::time::now_rfc3339;

/// The most namespaces one request may give a publisher.
const MAX_NAMESPACES: usize = 32;
/// The longest display name, bytes.
const MAX_DISPLAY_NAME_BYTES: usize = 120;
/// Publisher types (reference §7.2).
const PUBLISHER_TYPES: [&str; 3] = ["individual", "organization", "official"];
/// Publisher statuses.
const PUBLISHER_STATUSES: [&str; 3] = ["active", "pending_review", "suspended"];
/// Trust levels.
const TRUST_LEVELS: [&str; 3] = ["unverified", "verified", "official"];

/// `POST /admin/publishers` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CreatePublisher {
    #[serde(default)]
    publisher_id: String,
    #[serde(default)]
    publisher_type: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    website_url: String,
    #[serde(default)]
    namespaces: Vec<String>,
}

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::bad_request(code, message)
}

/// Whether `id` is a publisher id: 1–80 characters of `[a-z0-9_-]`, starting with a letter or digit.
pub fn is_valid_publisher_id(id: &str) -> bool {
    is_valid_namespace(id) && !id.contains('/') && !id.starts_with(['-', '_'])
}

/// Whether `s` is at most `max` bytes without control characters.
pub(crate) fn is_plain_text(s: &str, max: usize) -> bool {
    s.len() <= max && !s.chars().any(char::is_control)
}

/// A publisher profile's fields, trimmed and checked: 400 `invalid_display_name` (required, at most 120 bytes, no
/// control characters) or `invalid_publisher` (description and website at most 2048 bytes, website http(s)).
pub fn checked_profile(
    display_name: &str,
    description: &str,
    website_url: &str,
) -> Result<(String, String, String), Error> {
    let display_name = display_name.trim().to_owned();
    if display_name.is_empty() || !is_plain_text(&display_name, MAX_DISPLAY_NAME_BYTES) {
        return Err(bad(
            "invalid_display_name",
            format!(
                "display_name is required: at most {MAX_DISPLAY_NAME_BYTES} bytes, no control characters"
            ),
        ));
    }
    let description = description.trim().to_owned();
    let website_url = website_url.trim().to_owned();
    if !is_plain_text(&description, 2048)
        || !is_plain_text(&website_url, 2048)
        || !(website_url.is_empty()
            || website_url.starts_with("https://")
            || website_url.starts_with("http://"))
    {
        return Err(bad(
            "invalid_publisher",
            "description and website_url must be at most 2048 bytes; website_url must be an http(s) URL",
        ));
    }
    Ok((display_name, description, website_url))
}

/// An audit event by the registry admin concerning publisher `subject`.
pub fn admin_event(
    subject: &str,
    event_type: &str,
    target_type: &str,
    target_id: &str,
    metadata: serde_json::Value,
) -> AuditEvent {
    AuditEvent {
        // No subject (reports): the event is in the admin's trail only.
        subject_publisher_id: (!subject.is_empty()).then(|| subject.to_owned()),
        actor: "registry-admin".into(),
        event_type: event_type.into(),
        target_type: target_type.into(),
        target_id: target_id.into(),
        metadata: metadata.to_string(),
        created_at: now_rfc3339(),
        ip_hash: crate::auth::client::current_ip_hash(),
        ..AuditEvent::default()
    }
}

/// `POST /admin/publishers` → 201 `{publisher, namespaces, token, bearer_token}`: the publisher, its active
/// namespaces and a first token (`publish:package`, `publish:template`, `manage:tokens`, `manage:publisher`,
/// `manage:lifecycle` in those namespaces, expiring after the default lifetime) whose bearer text is shown here
/// once. 400
/// `invalid_publisher_id` / `invalid_publisher_type` / `invalid_display_name` / `invalid_namespace`, 409
/// `publisher_exists` / `namespace_taken`; 401/403 as every admin route.
#[utoipa::path(
    post, path = "/admin/publishers", operation_id = "admin_publishers_create", tag = "admin",
    summary = "Create a publisher with its namespaces and a first token", request_body = CreatePublisher,
    responses(
        (status = 201, description = "Created; the token secret shown once", body = crate::openapi::schemas::CreatedPublisher),
        (status = 409, description = "Publisher exists or namespace taken", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn create(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let ((), body): ((), CreatePublisher) = checked_json(request, "a publisher", async |parts| {
        authorise(&state, parts)
    })
    .await?;
    let publisher_id = body.publisher_id.trim().to_owned();
    if !is_valid_publisher_id(&publisher_id) {
        return Err(bad(
            "invalid_publisher_id",
            "publisher_id must be 1-80 characters of a-z, 0-9, '_' and '-', starting with a letter or digit",
        ));
    }
    let publisher_type = body.publisher_type.trim().to_owned();
    if !PUBLISHER_TYPES.contains(&publisher_type.as_str()) {
        return Err(bad(
            "invalid_publisher_type",
            format!(
                "publisher_type must be one of {}",
                PUBLISHER_TYPES.join(", ")
            ),
        ));
    }
    let (display_name, description, website_url) =
        checked_profile(&body.display_name, &body.description, &body.website_url)?;
    let mut namespaces: Vec<String> = body
        .namespaces
        .iter()
        .map(|n| n.trim().to_owned())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    if namespaces.len() > MAX_NAMESPACES {
        return Err(bad(
            "invalid_namespace",
            format!("at most {MAX_NAMESPACES} namespaces at once"),
        ));
    }
    if let Some(wrong) = namespaces.iter().find(|n| !is_valid_namespace(n)) {
        return Err(bad(
            "invalid_namespace",
            format!(
                "{wrong:?} is not a namespace: 1-80 characters of a-z, 0-9, '_', '-' and '/', no leading, trailing \
                 or double '/'"
            ),
        ));
    }
    let now = now_rfc3339();
    let publisher = PublisherRow {
        publisher_id: publisher_id.clone(),
        publisher_type,
        display_name,
        description,
        website_url,
        status: "active".into(),
        trust_level: "unverified".into(),
        created_at: now.clone(),
        updated_at: now.clone(),
    };
    let namespace_rows: Vec<NamespaceRow> = namespaces
        .iter()
        .map(|ns| NamespaceRow {
            namespace: ns.clone(),
            publisher_id: publisher_id.clone(),
            artifact_kinds: vec!["package".into(), "template".into()],
            status: "active".into(),
            created_at: now.clone(),
            updated_at: now.clone(),
        })
        .collect();
    let minted = token::mint()?;
    let token = TokenRow {
        token_id: minted.token_id.clone(),
        publisher_id: publisher_id.clone(),
        label: "initial".into(),
        scopes: Scopes {
            operations: [
                PUBLISH_PACKAGE,
                PUBLISH_TEMPLATE,
                MANAGE_TOKENS,
                MANAGE_PUBLISHER,
                MANAGE_LIFECYCLE,
            ]
            .map(String::from)
            .to_vec(),
            namespaces: namespaces.clone(),
            ..Scopes::default()
        },
        expires_at: Some(days_from_now(state.settings.tokens.default_ttl_days())),
        last_used_at: None,
        revoked_at: None,
        created_at: now.clone(),
        updated_at: now.clone(),
        token_hash: minted.hash,
    };
    let mut audit = vec![admin_event(
        &publisher_id,
        "publisher.created",
        "publisher",
        &publisher_id,
        json!({"publisher_type": publisher.publisher_type, "namespaces": namespaces}),
    )];
    for ns in &namespaces {
        audit.push(admin_event(
            &publisher_id,
            "namespace.created",
            "namespace",
            ns,
            json!({"publisher_id": publisher_id}),
        ));
    }
    audit.push(admin_event(
        &publisher_id,
        "token.created",
        "token",
        &token.token_id,
        json!({"publisher_id": publisher_id, "scopes": token.scopes}),
    ));
    let new = NewPublisher {
        publisher,
        namespaces: namespace_rows,
        token,
        audit,
    };
    state.store.create_publisher(&new).await?;
    tracing::info!(publisher_id = %publisher_id, namespaces = ?namespaces, token_id = %new.token.token_id, "registry_publisher_created");
    let body = json!({
        "publisher": new.publisher,
        "namespaces": new.namespaces,
        "token": new.token,
        "bearer_token": minted.bearer,
    });
    Ok(json_text(StatusCode::CREATED, body.to_string()))
}

/// `GET /admin/publishers?search&status&limit&offset` → `{items, total, limit, offset}` (by id).
#[utoipa::path(
    get, path = "/admin/publishers", operation_id = "admin_publishers_list", tag = "admin",
    summary = "List publishers",
    params(
        crate::openapi::params::AdminList,
    ),
    responses(
        (status = 200, description = "A page", body = crate::openapi::schemas::AdminPage<crate::store::PublisherRow>),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn list(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    authorise(&state, &parts)?;
    let q = admin_query(&parts)?;
    let limit = q.limit.unwrap_or(ADMIN_PAGE.0);
    let offset = q.offset.unwrap_or(0);
    let page = state
        .store
        .list_publishers(q.search.as_deref(), q.status.as_deref(), limit, offset)
        .await?;
    let body = json!({"items": page.items, "total": page.total, "limit": limit, "offset": offset});
    Ok(json_text(StatusCode::OK, body.to_string()))
}

/// `PATCH /admin/publishers/{id}/status` body.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct StatusChange {
    #[serde(default)]
    status: String,
    #[serde(default)]
    trust_level: Option<String>,
    #[serde(default)]
    reason: String,
}

/// `PATCH /admin/publishers/{id}/status` `{status, trust_level?, reason?}` → `{publisher}`. A suspended
/// publisher's tokens stop working at once (401 `publisher_suspended`). 400 `invalid_status` /
/// `invalid_trust_level`, 404 `publisher_not_found`.
#[utoipa::path(
    patch, path = "/admin/publishers/{id}/status", operation_id = "admin_publishers_set_status", tag = "admin",
    summary = "Change a publisher's status", request_body = StatusChange,
    params(("id" = String, Path, description = "Publisher id")),
    responses(
        (status = 200, description = "The publisher", body = crate::openapi::schemas::PublisherAnswer),
        (status = 404, description = "No such publisher", body = crate::openapi::schemas::ErrorBody),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn set_status(
    State(state): State<AppState>,
    request: Request,
) -> Result<Response, Error> {
    let (mut parts, body) = request.into_parts();
    let publisher_id = one_path_segment(&mut parts).await?;
    let request = Request::from_parts(parts, body);
    let ((), body): ((), StatusChange) = checked_json(request, "a status change", async |parts| {
        authorise(&state, parts)
    })
    .await?;
    let status = body.status.trim();
    if !PUBLISHER_STATUSES.contains(&status) {
        return Err(bad(
            "invalid_status",
            format!("status must be one of {}", PUBLISHER_STATUSES.join(", ")),
        ));
    }
    let trust = body
        .trust_level
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty());
    if trust.is_some_and(|t| !TRUST_LEVELS.contains(&t)) {
        return Err(bad(
            "invalid_trust_level",
            format!("trust_level must be one of {}", TRUST_LEVELS.join(", ")),
        ));
    }
    if !is_plain_text(&body.reason, 1024) {
        return Err(bad(
            "invalid_reason",
            "reason must be at most 1024 bytes without control characters",
        ));
    }
    let event = admin_event(
        &publisher_id,
        "publisher.status.updated",
        "publisher",
        &publisher_id,
        json!({"status": status, "trust_level": trust, "reason": body.reason}),
    );
    let Some(publisher) = state
        .store
        .set_publisher_status(&publisher_id, status, trust, &event)
        .await?
    else {
        return Err(Error::not_found(
            "publisher_not_found",
            "publisher not found",
        ));
    };
    state.publishers.clear();
    tracing::info!(publisher_id = %publisher_id, status, trust_level = ?trust, "registry_publisher_status_changed");
    Ok(json_text(
        StatusCode::OK,
        json!({"publisher": publisher}).to_string(),
    ))
}
