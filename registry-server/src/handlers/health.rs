//! Health, readiness, keys and metrics.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::state::AppState;

/// `GET /healthz`: the process is up (no store access).
#[utoipa::path(
    get, path = "/healthz", operation_id = "health_healthz", tag = "health", summary = "Liveness",
    responses((status = 200, description = "The process is up", body = crate::openapi::schemas::Health)),
)]
pub async fn healthz(State(state): State<AppState>) -> Json<Value> {
    let signing = &state.settings.signing;
    Json(json!({
        "status": "ok",
        "service": "anip-registry",
        "signing_mode": state.settings.mode.as_str(),
        "active_key_id": signing.signer.key_id().as_str(),
        "dev_key": signing.dev_key,
        "store": state.store.backend(),
    }))
}

/// `GET /readyz`: the store answers (within the store's acquire timeout) and no migration is pending; 503
/// otherwise. It always asks the store itself, so it also closes (or opens) the store's circuit breaker.
#[utoipa::path(
    get, path = "/readyz", operation_id = "health_readyz", tag = "health",
    summary = "Readiness (store reachable, migrations applied)",
    responses(
        (status = 200, description = "Ready", body = crate::openapi::schemas::Readiness),
        (status = 503, description = "Store unreachable or migrations pending", body = crate::openapi::schemas::Readiness),
    ),
)]
pub async fn readyz(State(state): State<AppState>) -> Response {
    let wait = state.settings.store_limits.acquire_timeout;
    let status = match tokio::time::timeout(wait, state.store.migration_status()).await {
        Ok(status) => status,
        Err(_) => Err(crate::error::Error::StoreUnavailable(
            "no answer within the acquire timeout".into(),
        )),
    };
    match &status {
        Ok(_) => state.breaker.report_up(),
        Err(_) => state.breaker.report_down(),
    }
    let (ok, body) = match status {
        Ok(status) => {
            let applied = status.applied.len();
            let expected = applied + status.pending.len();
            state
                .metrics
                .readiness(status.pending.is_empty(), applied, expected);
            let mut migration = json!({
                "applied": status.pending.is_empty(),
                "applied_count": applied,
                "expected_count": expected,
            });
            if !status.pending.is_empty() {
                migration["pending"] = json!(status.pending);
            }
            let mut body = json!({"service": "anip-registry", "store": state.store.backend(), "migration": migration});
            if status.pending.is_empty() {
                body["status"] = json!("ok");
                (true, body)
            } else {
                body["status"] = json!("error");
                body["error"] = json!(format!(
                    "registry migrations pending: {}",
                    status.pending.join(", ")
                ));
                body["code"] = json!("migrations_pending");
                (false, body)
            }
        }
        Err(e) => {
            state.metrics.readiness(false, 0, 0);
            tracing::warn!(error = %e, "registry_readiness_failed");
            (
                false,
                json!({"status": "error", "service": "anip-registry", "store": state.store.backend(),
                       "error": "the registry's store is unavailable", "code": "store_unavailable"}),
            )
        }
    };
    let (ok, body) = crate::replica::readiness(&state, ok, body);
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body)).into_response()
}

/// `GET /keys`: every trusted public key, the active one first, and the log's origin and note verifier keys (on a
/// replica: the origin's answer as last synced).
#[utoipa::path(
    get, path = "/keys", operation_id = "health_keys", tag = "health", summary = "The registry's signing keys",
    responses(
        (status = 200, description = "Every trusted key, the active one first", body = crate::openapi::schemas::Keys),
    ),
)]
pub async fn keys(State(state): State<AppState>) -> Response {
    if state.replica.is_some() {
        return crate::replica::keys(&state).await;
    }
    if let Some(body) = state.keys_body.get() {
        return json_bytes(body.clone());
    }
    let signing = &state.settings.signing;
    let items: Vec<Value> = signing
        .keys
        .iter()
        .map(|(id, key)| json!({"key_id": id.as_str(), "algorithm": "ed25519", "public_key": key.to_base64()}))
        .collect();
    let mut body = json!({
        "signing_mode": state.settings.mode.as_str(),
        "active_key_id": signing.signer.key_id().as_str(),
        "dev_key": signing.dev_key,
        "items": items,
    });
    // Without its name (a default origin while the store is unreachable) the log block is left out.
    if let Ok(name) = state.log.resolve(state.store.as_ref()).await {
        body["log"] = json!({"origin": name.origin, "verifier_keys": name.verifier_keys});
    }
    let body = Bytes::from(body.to_string());
    // Kept once the log's name is final: every later answer is these bytes.
    if state.log.name_is_final() {
        let _ = state.keys_body.set(body.clone());
    }
    json_bytes(body)
}

/// A 200 `application/json` answer of already-serialised bytes.
fn json_bytes(body: Bytes) -> Response {
    ([(CONTENT_TYPE, "application/json")], body).into_response()
}

/// `GET /metrics`: Prometheus text.
#[utoipa::path(
    get, path = "/metrics", operation_id = "health_metrics", tag = "health", summary = "Prometheus metrics",
    responses((status = 200, description = "Prometheus text exposition", body = String, content_type = "text/plain")),
)]
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut text = state.metrics.render();
    text.push_str(&state.log.metrics.render());
    if let Some(replica) = &state.replica {
        text.push_str(&replica.status.render());
    }
    let mut response = text.into_response();
    if let Ok(v) = "text/plain; version=0.0.4; charset=utf-8".parse() {
        response.headers_mut().insert(CONTENT_TYPE, v);
    }
    response
}
