//! Middleware: CORS as the reference does it (ours, as the reference's exact echo rules are the contract), request
//! ids, the request timeout, one log line and metrics per request, the store circuit breaker and the panic answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ORIGIN, VARY,
};
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
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

/// The request's id: the incoming `x-request-id` when it is 1–[`MAX_REQUEST_ID_LEN`] visible ASCII characters
/// (so it is safe in logs and headers), else a fresh `req-<hex>`.
pub fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .map(HeaderValue::as_bytes)
        .filter(|v| !v.is_empty() && v.len() <= MAX_REQUEST_ID_LEN)
        .filter(|v| v.iter().all(|b| b.is_ascii_graphic()))
        .and_then(|v| std::str::from_utf8(v).ok())
        .map_or_else(
            || {
                format!(
                    "req-{:08x}",
                    REQUEST_COUNTER.fetch_add(1, Ordering::Relaxed)
                )
            },
            str::to_owned,
        )
}

/// Every route, API and UI alike: gives each request an id (the caller's `x-request-id` when valid, echoed on the
/// response), a span, the request timeout (503 `request_timeout`), a `registry_http_request` log line and its
/// metrics, labelled by the matched route template (`unmatched` otherwise, so labels stay bounded).
pub async fn observe(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let id = request_id(&request);
    // Only known methods become label values: an extension method would make a new series per spelling.
    let method = match request.method().as_str() {
        "GET" => "GET",
        "HEAD" => "HEAD",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "OPTIONS" => "OPTIONS",
        _ => "other",
    };
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    // The span carries only the id (every line logged inside it shows it); method and route are on the request line.
    let span = tracing::info_span!("request", request_id = %id);
    let timeout = state.settings.edge.request_timeout;
    let mut response =
        match tokio::time::timeout(timeout, next.run(request).instrument(span.clone())).await {
            Ok(response) => response,
            Err(_) => span.in_scope(|| crate::error::Error::Timeout.into_response()),
        };
    let status = response.status().as_u16();
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .observe_request(method, &route, status, seconds);
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
        response.headers_mut().insert(REQUEST_ID, v);
    }
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
/// connection; any answer `store_unavailable` marks the store down and starts the probe that brings it back.
pub async fn store_gate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let needs_store = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| !STORE_FREE.contains(&p.as_str()));
    if needs_store && state.breaker.is_down() {
        let error = crate::error::Error::StoreUnavailable("known to be down".into());
        if request.uri().path().starts_with("/registry-api/") {
            return error.into_response();
        }
        return crate::ui::respond_result(&state, Err(error));
    }
    let response = next.run(request).await;
    if response
        .extensions()
        .get::<ErrorCode>()
        .is_some_and(|c| c.0 == "store_unavailable")
    {
        state.breaker.report_down();
    }
    response
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
