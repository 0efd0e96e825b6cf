//! The admin routes' shared request parts: the listing query (`search`, `status`, `limit`, `offset`) and its page,
//! one decoded path segment, status and reason checks, and the page body.

use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::admin_publishers::is_plain_text;
use super::json_text;
use crate::error::Error;

fn bad(code: &'static str, message: impl Into<String>) -> Error {
    Error::bad_request(code, message)
}

/// `GET /admin/…` query: `search`, `status`, `limit` (default 25, at most 100), `offset`.
#[derive(Debug, Default, Deserialize)]
pub struct AdminQuery {
    /// Substring of the id.
    pub search: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Page size.
    pub limit: Option<u32>,
    /// Rows skipped.
    pub offset: Option<u32>,
}

/// The default and largest admin page (ANIP's).
pub(crate) const ADMIN_PAGE: (u32, u32) = (25, 100);

/// The admin listing filter of a request's query (400 `invalid_query`).
pub(crate) fn admin_filter(
    parts: &axum::http::request::Parts,
) -> Result<crate::store::governance::ListFilter, Error> {
    let q = admin_query(parts)?;
    Ok(crate::store::governance::ListFilter {
        search: q.search.unwrap_or_default(),
        status: q.status.unwrap_or_default(),
        limit: q.limit.unwrap_or(ADMIN_PAGE.0),
        offset: q.offset.unwrap_or(0),
    })
}

/// The admin listing query of a request (400 `invalid_query`).
pub(crate) fn admin_query(parts: &axum::http::request::Parts) -> Result<AdminQuery, Error> {
    let query = parts.uri.query().unwrap_or("");
    #[allow(clippy::disallowed_types)] // wrapped: its rejection becomes our envelope
    let axum::extract::Query(q) = axum::extract::Query::<AdminQuery>::try_from_uri(
        &format!("/?{query}")
            .parse()
            .map_err(|_| bad("invalid_query", "invalid query"))?,
    )
    .map_err(|e| {
        bad(
            "invalid_query",
            format!("invalid query parameters: {}", e.body_text()),
        )
    })?;
    if q.limit.is_some_and(|l| l == 0 || l > ADMIN_PAGE.1) {
        return Err(bad(
            "invalid_query",
            format!("limit must be between 1 and {}", ADMIN_PAGE.1),
        ));
    }
    Ok(q)
}

/// The one `{…}` segment of the matched route, percent-decoded; 400 `invalid_path` when it cannot be decoded.
pub async fn one_path_segment(parts: &mut axum::http::request::Parts) -> Result<String, Error> {
    use axum::extract::FromRequestParts as _;
    #[allow(clippy::disallowed_types)] // wrapped: its rejection becomes our envelope
    let axum::extract::Path(segment) =
        axum::extract::Path::<String>::from_request_parts(parts, &())
            .await
            .map_err(|_| bad("invalid_path", "the path segment could not be decoded"))?;
    Ok(segment)
}

/// 400 `invalid_status` unless `status` is one of `allowed`.
pub fn one_of(status: &str, allowed: &[&str]) -> Result<(), Error> {
    if allowed.contains(&status) {
        return Ok(());
    }
    Err(bad(
        "invalid_status",
        format!("status must be one of {}", allowed.join(", ")),
    ))
}

/// 400 `invalid_reason` unless `reason` is at most 1024 bytes of plain text.
pub fn checked_reason(reason: &str) -> Result<String, Error> {
    let reason = reason.trim();
    if !is_plain_text(reason, 1024) {
        return Err(bad(
            "invalid_reason",
            "reason must be at most 1024 bytes without control characters",
        ));
    }
    Ok(reason.to_owned())
}

/// `{items, total, limit, offset}`.
pub fn page_json(items: Vec<Value>, total: i64, parts: &Parts) -> Response {
    let q = admin_filter(parts).unwrap_or_default();
    json_text(
        StatusCode::OK,
        json!({"items": items, "total": total, "limit": q.limit, "offset": q.offset}).to_string(),
    )
}
