//! HTTP handlers: a few lines each, translating between HTTP and the domain.

pub mod admin;
pub mod admin_publishers;
pub mod audit;
pub mod body;
pub mod health;
pub mod listing;
pub mod me;
pub mod me_tokens;
pub mod packages;
pub mod templates;
pub mod ui;

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

/// How a response may be cached.
#[derive(Debug, Clone, Copy)]
pub enum Caching {
    /// Never changes (receipts): cache for a year.
    Immutable,
    /// May change (download counts, lifecycle, active key): revalidate with the ETag every time.
    Revalidate,
}

/// A JSON response from already-serialised text, with an ETag and conditional-request handling.
pub fn json_with_etag(
    request_headers: &HeaderMap,
    body: String,
    etag: String,
    caching: Caching,
) -> Response {
    let etag = format!("\"{etag}\"");
    let cache = match caching {
        Caching::Immutable => "public, max-age=31536000, immutable",
        Caching::Revalidate => "no-cache",
    };
    let matches = request_headers
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut response = if matches {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        json_text(StatusCode::OK, body)
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// A JSON response from already-serialised text.
pub fn json_text(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// A short content hash for ETags.
pub fn short_hash(parts: &[&str]) -> String {
    use sha2::{Digest as _, Sha256};
    let mut hasher = Sha256::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hasher.finalize()[..12]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
