//! The client address of a request and the API middleware that uses it: the failed-authentication limit (429
//! `rate_limited` with `Retry-After`), a log line with the address of every 401/403/429, and the hashed address
//! that audit events written while the request runs carry (`ip_hash`).
//!
//! The address is the TCP peer's; behind a proxy, and only when forwarded headers are trusted
//! (`ANIP_REGISTRY_TRUST_FORWARDED_HEADERS`), it is the last `X-Forwarded-For` entry (the address the proxy saw;
//! earlier entries are the client's own claims).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, Request};
use axum::http::header::{AUTHORIZATION, RETRY_AFTER};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};
use sha2::{Digest as _, Sha256};

use crate::error::{Error, ErrorCode};
use crate::state::AppState;

tokio::task_local! {
    /// The state and client address of the request being handled: the address is hashed only when an audit event
    /// asks for it (most requests never do, and SHA-256 per request is a measurable part of a cheap read).
    static CLIENT: (AppState, IpAddr);
}

/// The hashed client address of the request this task is handling (`None` outside a request).
pub fn current_ip_hash() -> Option<String> {
    CLIENT
        .try_with(|(state, addr)| hash_address(state.ip_salt(), *addr))
        .ok()
}

/// Hex of the first 16 bytes of SHA-256(`salt`, address): stable for one salt, not reversible without it.
pub fn hash_address(salt: &[u8], addr: IpAddr) -> String {
    let mut hasher = Sha256::new();
    hasher.update(salt);
    hasher.update([0]);
    hasher.update(addr.to_string().as_bytes());
    hex::encode(&hasher.finalize()[..16])
}

/// The request's client address (see the module docs); `0.0.0.0` when the connection's address is unknown.
pub fn client_address(state: &AppState, request: &Request) -> IpAddr {
    if state.settings.trust_forwarded_headers
        && let Some(addr) = forwarded_for(request)
    {
        return addr;
    }
    request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED), |c| c.0.ip())
}

/// The last parseable entry of the last `X-Forwarded-For` header (`ip` or `ip:port`).
fn forwarded_for(request: &Request) -> Option<IpAddr> {
    let value = request
        .headers()
        .get_all("x-forwarded-for")
        .iter()
        .next_back()?
        .to_str()
        .ok()?;
    let last = value.rsplit(',').next()?.trim();
    last.parse::<IpAddr>()
        .ok()
        .or_else(|| last.parse::<SocketAddr>().ok().map(|s| s.ip()))
}

/// Routes whose every request authenticates: publishing (`POST`), `/me/*` and `/admin/*`.
fn authenticating(method: &Method, path: &str) -> bool {
    let path = path.strip_prefix("/registry-api/v1").unwrap_or(path);
    *method == Method::POST
        || method_changes(method)
        || path.starts_with("/me/")
        || path.starts_with("/admin/")
}

fn method_changes(method: &Method) -> bool {
    matches!(*method, Method::PATCH | Method::DELETE | Method::PUT)
}

/// 429 `rate_limited` with `Retry-After: seconds`.
fn rate_limited(seconds: u64) -> Response {
    let mut context = serde_json::Map::new();
    context.insert("retry_after_seconds".into(), seconds.into());
    let mut response = Error::Refused {
        status: StatusCode::TOO_MANY_REQUESTS,
        code: "rate_limited",
        message: format!(
            "too many failed authentications from this address; try again in {seconds} s"
        ),
        context,
    }
    .into_response();
    if let Ok(v) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(RETRY_AFTER, v);
    }
    response
}

/// Every API route (called by [`crate::http::api_edge`]): runs the request with its client address in scope (for
/// audit events, see [`current_ip_hash`]); counts a 401 against the address's failure bucket and answers 429
/// `rate_limited` instead once the bucket is empty; answers an unauthenticated request to an authenticating route
/// 429 at once while the bucket is empty (a request with credentials is always let through, so a valid token is
/// never throttled); logs the address of every 401, 403 and 429 (`registry_auth_refused`).
pub async fn guard(state: &AppState, request: Request, next: Next) -> Response {
    let addr = client_address(state, &request);
    let method = request.method().clone();
    // A clone of the URI shares its bytes: the path is only needed again for a refusal's log line.
    let uri = request.uri().clone();
    let limiter = &state.auth_failures;
    let mut response = None;
    if authenticating(&method, uri.path())
        && !request.headers().contains_key(AUTHORIZATION)
        && let Some(wait) = limiter.exhausted(addr)
    {
        response = Some(rate_limited(wait));
    }
    let mut response = match response {
        Some(r) => r,
        None => CLIENT.scope((state.clone(), addr), next.run(request)).await,
    };
    if response.status() == StatusCode::UNAUTHORIZED
        && let Err(wait) = limiter.failure(addr)
    {
        response = rate_limited(wait);
    }
    let status = response.status();
    if matches!(status.as_u16(), 401 | 403 | 429) {
        let code = response.extensions().get::<ErrorCode>().map_or("", |c| c.0);
        tracing::warn!(
            client_addr = %addr,
            status = status.as_u16(),
            code,
            method = %method,
            path = uri.path(),
            "registry_auth_refused"
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_depend_on_the_salt_and_the_address() {
        let a = IpAddr::from([192, 0, 2, 1]);
        let b = IpAddr::from([192, 0, 2, 2]);
        assert_eq!(hash_address(b"s", a), hash_address(b"s", a));
        assert_ne!(hash_address(b"s", a), hash_address(b"s", b));
        assert_ne!(hash_address(b"s", a), hash_address(b"t", a));
        assert_eq!(hash_address(b"s", a).len(), 32);
    }

    #[test]
    fn authenticating_routes() {
        assert!(authenticating(&Method::POST, "/publications"));
        assert!(authenticating(&Method::GET, "/me/publisher"));
        assert!(authenticating(
            &Method::GET,
            "/registry-api/v1/admin/publishers"
        ));
        assert!(!authenticating(&Method::GET, "/publications"));
        assert!(!authenticating(&Method::GET, "/packages/a/1.0.0"));
    }
}
