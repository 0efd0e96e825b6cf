//! Our own extractors: every rejection becomes the error envelope with a stable code, never axum's plain text.

use axum::body::{Bytes, HttpBody as _};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use serde::Deserialize;
use verifier::validate::{Problems, check_version, is_valid_artifact_id};

use crate::error::Error;
use crate::state::AppState;

/// How far past the limit a body is still read (and dropped) before answering 413, so that a client that is
/// still sending receives the answer instead of a reset connection. Larger bodies are cut off at once.
const DRAIN_BYTES: usize = 8 << 20;

/// The declared `Content-Length`, if any.
fn declared_length(request: &Request) -> Option<usize> {
    request
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Reads at most `limit` bytes into memory. Past the limit the rest is read and dropped (up to [`DRAIN_BYTES`]
/// more) so the client receives the 413; never more than `limit` bytes are held.
///
/// A body sent with a `Content-Encoding` other than `identity` is refused (415 `unsupported_content_encoding`)
/// before any of it is read: the registry reads request bodies as sent, never decompressed.
pub async fn read_bounded(request: Request, limit: usize) -> Result<Bytes, Error> {
    if let Some(encoding) = request
        .headers()
        .get(axum::http::header::CONTENT_ENCODING)
        .filter(|v| !v.as_bytes().eq_ignore_ascii_case(b"identity"))
    {
        let encoding = String::from_utf8_lossy(encoding.as_bytes()).into_owned();
        drain(request, limit).await;
        return Err(Error::Refused {
            status: axum::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            code: "unsupported_content_encoding",
            message: format!(
                "request bodies are read as sent: Content-Encoding {encoding:?} is not supported; send it unencoded"
            ),
            context: serde_json::Map::new(),
        });
    }
    if declared_length(&request).is_some_and(|n| n > limit + DRAIN_BYTES) {
        return Err(Error::PayloadTooLarge { limit });
    }
    let mut body = request.into_body();
    let mut buffer = Vec::new();
    let mut seen = 0usize;
    while let Some(frame) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        let frame = frame.map_err(|_| {
            Error::bad_request("invalid_body", "the request body could not be read")
        })?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        seen += data.len();
        if seen > limit + DRAIN_BYTES {
            return Err(Error::PayloadTooLarge { limit });
        }
        if seen <= limit {
            buffer.extend_from_slice(&data);
        }
    }
    if seen > limit {
        return Err(Error::PayloadTooLarge { limit });
    }
    Ok(Bytes::from(buffer))
}

/// Reads and drops a body (at most `limit` plus [`DRAIN_BYTES`] bytes, none kept), so a refused client that is
/// still sending gets the answer rather than a reset connection.
pub async fn drain(request: Request, limit: usize) {
    if declared_length(&request).is_some_and(|n| n > limit + DRAIN_BYTES) {
        return;
    }
    let mut body = request.into_body();
    let mut seen = 0usize;
    while let Some(Ok(frame)) =
        std::future::poll_fn(|cx| std::pin::Pin::new(&mut body).poll_frame(cx)).await
    {
        if let Ok(data) = frame.into_data() {
            seen += data.len();
            if seen > limit + DRAIN_BYTES {
                return;
            }
        }
    }
}

/// A publisher and the body they sent: the token is checked from the headers first; a refused request's body is
/// drained without being kept.
#[derive(Debug)]
pub struct Authorized<const LIMIT: usize> {
    /// Who publishes.
    pub publisher: Publisher,
    /// How they authenticated (the scoped token's scopes, or the legacy token).
    pub grant: crate::auth::Grant,
    /// The body, at most `LIMIT` bytes.
    pub body: Bytes,
}

impl<const LIMIT: usize> FromRequest<AppState> for Authorized<LIMIT> {
    type Rejection = Error;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (parts, body) = request.into_parts();
        match crate::auth::authenticate_publish(state, &parts).await {
            Ok((publisher, grant)) => {
                let body = read_bounded(Request::from_parts(parts, body), LIMIT).await?;
                Ok(Authorized {
                    publisher,
                    grant,
                    body,
                })
            }
            Err(e) => {
                let kind = if parts.uri.path().ends_with("/templates") {
                    "template"
                } else {
                    "package"
                };
                state.metrics.publish(kind, "unauthorized");
                drain(Request::from_parts(parts, body), LIMIT).await;
                Err(e)
            }
        }
    }
}

/// `{id}/{version}` of a package or template: percent-decoded (namespaced ids arrive as one `%2F` segment) and
/// checked against the id and version grammar.
#[derive(Debug, Clone)]
pub struct ArtifactPath {
    /// The id.
    pub id: String,
    /// The version.
    pub version: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ArtifactPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[allow(clippy::disallowed_types)] // the one place the raw extractor is wrapped
        let axum::extract::Path((id, version)) =
            axum::extract::Path::<(String, String)>::from_request_parts(parts, state)
                .await
                .map_err(|_| {
                    Error::bad_request("invalid_path", "the path does not name an id and a version")
                })?;
        checked_id(&id)?;
        checked_version("version", &version)?;
        Ok(ArtifactPath { id, version })
    }
}

/// `{id}` of a package or template alone: percent-decoded (a namespaced id arrives as one segment with `%2F`) and
/// checked against the id grammar (400 `invalid_id`).
#[derive(Debug, Clone)]
pub struct IdPath {
    /// The id.
    pub id: String,
}

impl<S: Send + Sync> FromRequestParts<S> for IdPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[allow(clippy::disallowed_types)] // the one place the raw extractor is wrapped
        let axum::extract::Path(id) =
            axum::extract::Path::<String>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::bad_request("invalid_path", "the path does not name an id"))?;
        checked_id(&id)?;
        Ok(IdPath { id })
    }
}

/// 400 `invalid_id` unless `id` follows the id grammar.
pub fn checked_id(id: &str) -> Result<(), Error> {
    if is_valid_artifact_id(id) {
        return Ok(());
    }
    Err(Error::bad_request(
        "invalid_id",
        format!(
            "{id:?} is not a valid id: lowercase letters, digits, '.', '_' and '-', optionally under \
             'namespace/' prefixes"
        ),
    ))
}

/// The one mapping of a version text to its 400, the publish rule's ([`verifier::validate::check_version`]):
/// `invalid_version`, `version_out_of_range` (a core number beyond `u64`) or `missing_field`, with `path: field`.
pub fn checked_version(field: &str, version: &str) -> Result<(), Error> {
    let mut problems = Problems::new();
    check_version(field, version, &mut problems);
    match problems.as_slice().first() {
        None => Ok(()),
        Some(problem) => {
            let mut context = serde_json::Map::new();
            context.insert("path".into(), problem.path.clone().into());
            Err(Error::BadRequest {
                code: problem.code,
                message: problem.message.clone(),
                context,
            })
        }
    }
}

/// Query parameters of a listing: `limit` (1–1000), an opaque `cursor`, and the paged listings' search and filters
/// (checked by [`crate::handlers::filters`]).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListQuery {
    /// Page size; absent means every row.
    pub limit: Option<u32>,
    /// Where to continue.
    pub cursor: Option<String>,
    /// Search text.
    pub q: Option<String>,
    /// Exactly this package id.
    pub package_id: Option<String>,
    /// Exactly this template id.
    pub template_id: Option<String>,
    /// Versions published by this publisher.
    pub publisher_id: Option<String>,
    /// Versions in this lifecycle state.
    pub lifecycle: Option<String>,
}

impl<S: Send + Sync> FromRequestParts<S> for ListQuery {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        #[allow(clippy::disallowed_types)] // the one place the raw extractor is wrapped
        let axum::extract::Query(query) =
            axum::extract::Query::<ListQuery>::from_request_parts(parts, state)
                .await
                .map_err(|e| {
                    Error::bad_request(
                        "invalid_query",
                        format!("invalid query parameters: {}", e.body_text()),
                    )
                })?;
        if query.limit.is_some_and(|l| l == 0 || l > 1000) {
            return Err(Error::bad_request(
                "invalid_query",
                "limit must be between 1 and 1000",
            ));
        }
        Ok(query)
    }
}

/// Whether the request asks to download a yanked version anyway (`?allow_yanked=true` or the ANIP header).
pub fn allow_yanked(parts: &Parts) -> bool {
    let header = parts
        .headers
        .get("x-anip-allow-yanked-package")
        .is_some_and(|v| v.as_bytes() == b"true");
    let query = parts
        .uri
        .query()
        .is_some_and(|q| q.split('&').any(|pair| pair == "allow_yanked=true"));
    header || query
}

/// The bearer token of a request, if it carries one (`Authorization: Bearer <token>`, case-sensitive scheme).
pub fn bearer(parts: &Parts) -> Option<&str> {
    let value = parts.headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then_some(token)
}

/// The identity a publish is made under, from a valid publish token.
#[derive(Debug, Clone)]
pub struct Publisher {
    /// Publisher id.
    pub id: String,
    /// Publisher type.
    pub kind: String,
}
