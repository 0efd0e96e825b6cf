//! Middleware: CORS as the reference does it, request ids, one log line and metrics per request.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY,
};
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tracing::Instrument as _;

use crate::error::ErrorCode;
use crate::state::AppState;

static REQUEST_COUNTER: AtomicU64 = AtomicU64::new(1);

/// The longest a request may take before it is answered 503 `request_timeout`.
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// CORS on every API response (reference §1.1): local origins are echoed with credentials, any other origin gets
/// `*`; every `OPTIONS` request is answered 204 before routing.
pub async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(ORIGIN).cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
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
    response
}

/// Gives each request an id (echoed as `x-request-id`), a span, a `registry_http_request` log line and its
/// metrics, labelled by the matched route template (`unmatched` otherwise, so labels stay bounded).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = format!(
        "req-{:08x}",
        REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)
    );
    // Only known methods become label values: an extension method would make a new series per spelling.
    let method = match request.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS") => m.to_owned(),
        _ => "other".to_owned(),
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let mut response =
        match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request).instrument(span.clone()))
            .await
        {
            Ok(response) => response,
            Err(_) => crate::error::Error::Timeout.into_response(),
        };
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .observe_request(&method, &route, status, seconds);
    let code = response.extensions().get::<ErrorCode>().map_or("", |c| c.0);
    span.in_scope(|| {
        tracing::info!(
            method = %method,
            route = %route,
            status,
            duration_ms = seconds * 1e3,
            code,
            "registry_http_request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}
