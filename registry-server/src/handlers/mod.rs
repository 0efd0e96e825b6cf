//! HTTP handlers: a few lines each, translating between HTTP and the domain.

pub mod admin;
pub mod admin_governance;
pub mod admin_publishers;
pub mod admin_query;
pub mod admin_reports;
pub mod audit;
pub mod body;
pub mod filters;
pub mod health;
pub mod index;
pub mod listing;
pub mod log;
mod log_range;
pub mod log_receipts;
pub mod log_records;
pub mod me;
pub mod me_lifecycle;
pub mod me_namespaces;
pub mod me_tokens;
pub mod packages;
pub mod template_view;
pub mod templates;
pub mod ui;
pub mod versions;

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

impl Caching {
    /// The `Cache-Control` value.
    fn header(self) -> HeaderValue {
        HeaderValue::from_static(match self {
            Caching::Immutable => "public, max-age=31536000, immutable",
            Caching::Revalidate => "no-cache",
        })
    }
}

/// Whether `If-None-Match` in `request_headers` matches the (quoted) `etag`: `*`, or any listed tag by the weak
/// comparison RFC 9110 §13.1.2 asks for (`W/"x"` matches `"x"`).
pub fn etag_matches(request_headers: &HeaderMap, etag: &str) -> bool {
    let weak = |tag: &str| tag.strip_prefix("W/").unwrap_or(tag).to_owned();
    request_headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|t| t == "*" || weak(t) == weak(etag))
}

/// The ETag handling of every cacheable response, API and UI alike: `304 Not Modified` when the request's
/// `If-None-Match` matches `etag` (unquoted), else `body()`; either way with the `ETag` and `Cache-Control`.
pub fn with_etag(
    request_headers: &HeaderMap,
    etag: &str,
    caching: Caching,
    body: impl FnOnce() -> Response,
) -> Response {
    let etag = format!("\"{etag}\"");
    let mut response = if etag_matches(request_headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        body()
    };
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(ETAG, v);
    }
    headers.insert(CACHE_CONTROL, caching.header());
    response
}

/// A JSON response from already-serialised text, with an ETag and conditional-request handling.
pub fn json_with_etag(
    request_headers: &HeaderMap,
    body: String,
    etag: String,
    caching: Caching,
) -> Response {
    with_etag(request_headers, &etag, caching, || {
        json_text(StatusCode::OK, body)
    })
}

/// A kept answer ([`crate::cache::Answer`]) with conditional-request handling, as [`with_etag`] does it.
pub fn kept_answer(
    request_headers: &HeaderMap,
    answer: &crate::cache::Answer,
    caching: Caching,
) -> Response {
    let etag = answer.etag.to_str().unwrap_or_default();
    let mut response = if etag_matches(request_headers, etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        let mut response = axum::body::Body::from(answer.body.clone()).into_response();
        response
            .headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        response
    };
    let headers = response.headers_mut();
    headers.insert(ETAG, answer.etag.clone());
    headers.insert(CACHE_CONTROL, caching.header());
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
    hex::encode(&hasher.finalize()[..12])
}

/// Sets `Content-Disposition: attachment; filename="<filename>"` (skipped when the name is not a header value).
pub fn attachment(response: &mut Response, filename: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response
            .headers_mut()
            .insert(axum::http::header::CONTENT_DISPOSITION, v);
    }
}

/// The file name stem for a version: `<id with / as __>-<version>`.
pub fn file_stem(id: &str, version: &str) -> String {
    format!("{}-{version}", id.replace('/', "__"))
}
