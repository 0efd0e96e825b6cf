//! `POST /registry-api/v1/admin/mirror/resume` (admin token): an operator's answer to a refusal. The follower
//! clears the stored refusal and syncs at once; the call answers with that sync: 200 `{"status": "synced", "mirror"}`,
//! 200 `{"status": "retrying", "mirror"}` (the origin could not be read: retried with backoff), or 409 with the
//! refusal's code and fresh `evidence` when the origin is still inconsistent. On a registry that is not a replica:
//! 404 `not_a_mirror` (after the admin check: 403 `admin_disabled`, 401 `invalid_admin_token`).

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::{Map, Value, json};

use super::run::Outcome;
use crate::error::Error;
use crate::handlers::json_text;
use crate::state::AppState;

/// The route's path under the API base (exempt from the replica's read-only layer).
pub const PATH: &str = "/admin/mirror/resume";

/// `POST /admin/mirror/resume`.
#[utoipa::path(
    post, path = "/admin/mirror/resume", operation_id = "admin_mirror_resume", tag = "admin",
    summary = "Resume a replica that refused its origin, and sync at once",
    responses(
        (status = 200, description = "Synced, or retrying (the origin could not be read): `{status, mirror}`", body = crate::openapi::schemas::AnipObject),
        (status = 401, description = "Missing or wrong admin token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Admin routes not configured", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "Not a replica (`not_a_mirror`)", body = crate::openapi::schemas::ErrorBody),
        (status = 409, description = "The origin is still inconsistent: the refusal's code and fresh `evidence`", body = crate::openapi::schemas::ErrorBody),
        (status = 503, description = "The follower is not running", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn resume(State(state): State<AppState>, request: Request) -> Result<Response, Error> {
    let (parts, _) = request.into_parts();
    crate::handlers::admin::authorise(&state, &parts)?;
    let Some(replica) = &state.replica else {
        return Err(Error::not_found(
            "not_a_mirror",
            "this registry is not a replica (--mirror-of): there is nothing to resume",
        ));
    };
    let (tx, rx) = tokio::sync::oneshot::channel();
    let stopped = || Error::Refused {
        status: StatusCode::SERVICE_UNAVAILABLE,
        code: "mirror_not_running",
        message: "the replica's follower is not running".into(),
        context: Map::new(),
    };
    replica.resume.send(tx).await.map_err(|_| stopped())?;
    let outcome = rx.await.map_err(|_| stopped())?;
    let (_, mirror) = replica
        .status
        .readiness(replica.mirror.max_lag, replica.mirror.max_lag_entries);
    tracing::warn!(origin = %replica.mirror.url, outcome = ?outcome_name(&outcome), "registry_mirror_resume_called");
    match outcome {
        Outcome::Synced { .. } => Ok(json_text(
            StatusCode::OK,
            json!({"status": "synced", "mirror": mirror}).to_string(),
        )),
        Outcome::Retrying(_) => Ok(json_text(
            StatusCode::OK,
            json!({"status": "retrying", "mirror": mirror}).to_string(),
        )),
        Outcome::Refused(refusal) => {
            let mut context = Map::new();
            context.insert("evidence".into(), Value::from(refusal.evidence));
            context.insert("refused_at".into(), Value::from(refusal.refused_at));
            context.insert("mirror".into(), mirror);
            Err(Error::Refused {
                status: StatusCode::CONFLICT,
                code: leak_code(&refusal.code),
                message: "the origin is still inconsistent: the replica refused it again".into(),
                context,
            })
        }
    }
}

/// The refusal codes the follower gives (`follow`, `version`), as the static codes error answers carry; a code
/// stored by another build answers `mirror_refused`.
pub const CODES: [&str; 12] = [
    "checkpoint_not_verified",
    "checkpoint_rolled_back",
    "entries_do_not_match_checkpoint",
    "fork",
    "key_changed",
    "keys_malformed",
    "malformed_bundle",
    "malformed_entry",
    "missing_from_origin",
    "no_log",
    "version_not_verified",
    "publisher_not_logged",
];

fn leak_code(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|c| **c == code)
        .copied()
        .unwrap_or("mirror_refused")
}

fn outcome_name(outcome: &Outcome) -> &'static str {
    match outcome {
        Outcome::Synced { .. } => "synced",
        Outcome::Retrying(_) => "retrying",
        Outcome::Refused(_) => "refused",
    }
}
