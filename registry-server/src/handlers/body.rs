//! JSON bodies of the governance routes: checked credentials first (a refused request's body is drained, never
//! kept), then at most `limit` bytes, parsed strictly into `T` (unknown fields ignored, as ANIP's decoder does).

use axum::extract::Request;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::Error;
use crate::extract::{drain, read_bounded};

/// The largest governance request body (ANIP's limit for `POST /me/tokens`).
pub const MAX_GOVERNANCE_BODY_BYTES: usize = 32 << 10;

/// Runs `check` on the request's head; on success reads and parses the body into `T` (`what` names it in errors).
pub async fn checked_json<T, C, F>(request: Request, what: &str, check: F) -> Result<(C, T), Error>
where
    T: DeserializeOwned,
    F: AsyncFnOnce(&Parts) -> Result<C, Error>,
{
    let (parts, body) = request.into_parts();
    let credential = match check(&parts).await {
        Ok(c) => c,
        Err(e) => {
            drain(Request::from_parts(parts, body), MAX_GOVERNANCE_BODY_BYTES).await;
            return Err(e);
        }
    };
    let body = read_bounded(Request::from_parts(parts, body), MAX_GOVERNANCE_BODY_BYTES).await?;
    let value = verifier::json::parse_strict(&body)?;
    Ok((credential, verifier::record::object_into(value, what)?))
}
