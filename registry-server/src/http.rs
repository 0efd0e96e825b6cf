//! Middleware, two layers in all: [`observe`] on every route (request id, timeout, the store circuit breaker, one
//! log line and metrics per request) and [`api_edge`] on the API (CORS as the reference does it, ours as the
//! reference's exact echo rules are the contract; the read-only replica; the failed-authentication limit), plus
//! the panic answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY,
};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::ErrorCode;
use crate::state::AppState;

/// `x-request-id`.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(1);

/// The longest incoming `x-request-id` that is kept; longer ones are replaced.
pub const MAX_REQUEST_ID_LEN: usize = 128;

/// The one middleware of every API route: answers `OPTIONS` 204 before routing, refuses writes on a read-only
/// replica ([`crate::replica::refusal`]), runs the rest under [`crate::auth::client::guard`] (the failed
/// authentication limit), and puts the CORS headers on every answer. One layer instead of three: each `from_fn`
/// layer costs a boxed future and a clone of the inner service per request.
pub async fn api_edge(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(ORIGIN).cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else if let Some(refused) =
        crate::replica::refusal(&state, request.method(), request.uri().path())
    {
        refused
    } else {
        crate::auth::client::guard(&state, request, next).await
    };
    cors(origin, response.headers_mut());
    response
}

/// CORS on every API response (reference §1.1): local origins are echoed with credentials, any other origin (or
/// none) gets `*`.
pub fn cors(origin: Option<HeaderValue>, headers: &mut HeaderMap) {
    let local = origin
        .as_ref()
        .and_then(|o| o.to_str().ok())
        .is_some_and(|o| {
            ["http://localhost:", "http://127.0.0.1:", "http://[::1]:"]
                .iter()
                .any(|prefix| o.starts_with(prefix))
        });
    match origin {
        Some(origin) if local => {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
            headers.append(VARY, HeaderValue::from_static("Origin"));
        }
        _ => {
            headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
        }
    }
    headers.insert(
        ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, PATCH, DELETE, OPTIONS"),
    );
    headers.insert(
        ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("Authorization, Content-Type"),
    );
}

/// The request's id: the incoming `x-request-id` when it is 1–[`MAX_REQUEST_ID_LEN`] visible ASCII characters
/// (so it is safe in logs and headers), else a fresh `req-<hex>`.
pub fn request_id(request: &Request) -> HeaderValue {
    request
        .headers()
        .get(REQUEST_ID)
        .filter(|v| {
            let v = v.as_bytes();
            !v.is_empty() && v.len() <= MAX_REQUEST_ID_LEN && v.iter().all(u8::is_ascii_graphic)
        })
        .cloned()
        .unwrap_or_else(fresh_request_id)
}

/// A fresh id from the process's counter.
fn fresh_request_id() -> HeaderValue {
    numbered_request_id(REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed))
}

/// `req-<n in 8 or more hex digits>`, written without a `String`.
fn numbered_request_id(n: u64) -> HeaderValue {
    let mut buf = [0u8; 20];
    buf[..4].copy_from_slice(b"req-");
    let digits = (16 - n.leading_zeros() as usize / 4).max(8);
    for i in 0..digits {
        let nibble = (n >> (4 * (digits - 1 - i))) & 0xf;
        buf[4 + i] = b"0123456789abcdef"[nibble as usize];
    }
    HeaderValue::from_bytes(&buf[..4 + digits]).unwrap_or(HeaderValue::from_static("req-0"))
}

/// Only known methods become label values: an extension method would make a new series per spelling.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    }
}

/// Every route, API and UI alike: gives each request an id (the caller's `x-request-id` when valid, echoed on the
/// response), a span, the request timeout (503 `request_timeout`), the store circuit breaker (see
/// [`store_refusal`]), a `registry_http_request` log line and its metrics, labelled by the matched route template
/// (`unmatched` otherwise, so labels stay bounded). One layer, one clock read at each end.
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    let method = method_label(request.method());
    let matched = request.extensions().get::<MatchedPath>().cloned();
    let route = matched.as_ref().map(MatchedPath::as_str);
    // The span carries only the id (every line logged inside it shows it); method and route are on the request line.
    let span = tracing::info_span!("request", request_id = id.to_str().unwrap_or_default());
    let mut response = if let Some(refused) = store_refusal(&state, route, &request) {
        refused
    } else {
        let timeout = state.settings.edge.request_timeout;
        match tokio::time::timeout(timeout, next.run(request).instrument(span.clone())).await {
            Ok(response) => response,
            Err(_) => span.in_scope(|| crate::error::Error::Timeout.into_response()),
        }
    };
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    let route = route.unwrap_or("unmatched");
    state
        .metrics
        .observe_request(method, route, status, seconds);
    let code = response.extensions().get::<ErrorCode>().map_or("", |c| c.0);
    if code == "store_unavailable" {
        state.breaker.report_down();
    }
    span.in_scope(|| {
        tracing::info!(
            method,
            route,
            status,
            duration_ms = seconds * 1e3,
            code,
            "registry_http_request"
        );
    });
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// Routes that never touch the store: they answer whatever the store's state.
const STORE_FREE: [&str; 11] = [
    "/registry-api/v1/healthz",
    "/registry-api/v1/readyz",
    "/registry-api/v1/metrics",
    "/registry-api/v1/keys",
    "/",
    "/registry",
    "/registry/",
    "/registry/assets/style.css",
    "/registry/assets/favicon.svg",
    "/registry/keys",
    "/registry/{*page}",
];

/// The store circuit breaker at the edge: while the store is known to be down, a request to a route that needs it
/// is answered 503 `store_unavailable` at once (the API's JSON, or the UI's error page) instead of waiting for a
/// connection. Any answer `store_unavailable` marks the store down and starts the probe that brings it back (in
/// [`observe`]).
fn store_refusal(state: &AppState, route: Option<&str>, request: &Request) -> Option<Response> {
    if !state.breaker.is_down() || route.is_none_or(|r| STORE_FREE.contains(&r)) {
        return None;
    }
    let error = crate::error::Error::StoreUnavailable("known to be down".into());
    if request.uri().path().starts_with("/registry-api/") {
        return Some(error.into_response());
    }
    Some(crate::ui::respond_result(state, Err(error)))
}

/// What a panicking handler answers: a 500 `internal_error` (the panic's message is logged, never sent), so the
/// client gets a response instead of a dropped connection.
pub fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a non-text panic payload".to_owned());
    crate::error::Error::Internal(format!("handler panicked: {message}")).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_request_ids_are_req_and_at_least_eight_hex_digits() {
        for n in [
            0,
            1,
            0xf,
            0x10,
            0xdead_beef,
            0x1_0000_0000,
            0x1_2345_6789_abcd,
            u64::MAX,
        ] {
            assert_eq!(
                numbered_request_id(n),
                format!("req-{n:08x}").as_str(),
                "{n}"
            );
        }
        assert!(fresh_request_id().to_str().unwrap().starts_with("req-"));
    }
}
