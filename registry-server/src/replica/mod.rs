//! A read-only replica (`registry-server --mirror-of URL`, issue #11): a follower polls the origin's checkpoint and
//! stores, checked, what its log adds (see [`follow`]); the replica serves the origin's log, keys, receipts and
//! records from its own store, refuses every write with 403 `read_only_mirror`, and reports its lag in `/readyz`
//! and `/metrics`. It signs nothing.

pub mod build;
mod bulk;
mod checkpoint;
pub mod config;
pub mod follow;
pub mod origin;
mod owner;
pub mod resume;
pub mod run;
pub mod status;
pub mod version;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::state::AppState;

/// The replica: its configuration, the origin and the follower's status.
#[derive(Debug)]
pub struct Replica {
    /// The checked configuration.
    pub mirror: config::Mirror,
    /// The follower's progress.
    pub status: status::Status,
    origin: origin::Origin,
    /// The origin's log origin and note verifier keys (under the pinned keys), once a sync read them.
    log_identity: std::sync::RwLock<Option<(String, Vec<String>)>>,
    /// Resume requests to the follower (`POST /admin/mirror/resume`), each answered with the sync it ran.
    resume: tokio::sync::mpsc::Sender<run::ResumeRequest>,
    /// The follower's end of `resume` (taken by [`run::spawn`]).
    resumed: std::sync::Mutex<Option<tokio::sync::mpsc::Receiver<run::ResumeRequest>>>,
}

impl Replica {
    /// The replica of `mirror`.
    ///
    /// Errors: [`Error::Config`] when the HTTP client cannot be built.
    pub fn new(mirror: config::Mirror) -> Result<Self, Error> {
        let origin = origin::Origin::new(
            &mirror.api,
            mirror.request_timeout,
            mirror.max_response_bytes,
        )
        .map_err(Error::Config)?;
        let (resume, resumed) = tokio::sync::mpsc::channel(4);
        Ok(Replica {
            log_identity: std::sync::RwLock::new(None),
            resume,
            resumed: std::sync::Mutex::new(Some(resumed)),
            status: status::Status::new(&mirror.url),
            mirror,
            origin,
        })
    }
}

impl Replica {
    /// The origin's log origin and note verifier keys, for the pages that show the log's identity (`None` before a
    /// sync read them).
    pub fn log_identity(&self) -> Option<(String, Vec<String>)> {
        self.log_identity.read().ok().and_then(|i| i.clone())
    }

    fn learned_log_origin(&self, origin: &str) {
        let keys = verifier::tlog::checkpoint::log_verifier_keys(origin, &self.mirror.keys)
            .unwrap_or_default();
        if let Ok(mut identity) = self.log_identity.write() {
            *identity = Some((origin.to_owned(), keys));
        }
    }
}

pub use run::spawn;

/// On a replica, the refusal of a request that would change something (any method but `GET`, `HEAD`, `OPTIONS`):
/// 403 `read_only_mirror` naming the origin. `None` on a registry of its own, for a read, or for the replica's own
/// admin call ([`resume::PATH`]).
pub fn refusal(state: &AppState, method: &Method, path: &str) -> Option<Response> {
    let replica = state.replica.as_ref()?;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
        || path.ends_with(resume::PATH)
    {
        return None;
    }
    let mut context = serde_json::Map::new();
    context.insert("origin".into(), replica.mirror.url.clone().into());
    Some(
        Error::Refused {
            status: StatusCode::FORBIDDEN,
            code: "read_only_mirror",
            message: format!(
                "this registry is a read-only mirror of {}: publish and make changes there",
                replica.mirror.url
            ),
            context,
        }
        .into_response(),
    )
}

/// `/readyz` on a replica: the store's verdict (`ok`, `body`) with a `mirror` member added (see
/// [`status::Status::readiness`]); not ready when the mirror is not. Unchanged on a registry of its own.
pub fn readiness(
    state: &AppState,
    ok: bool,
    mut body: serde_json::Value,
) -> (bool, serde_json::Value) {
    let Some(replica) = &state.replica else {
        return (ok, body);
    };
    let (ready, mirror) = replica
        .status
        .readiness(replica.mirror.max_lag, replica.mirror.max_lag_entries);
    if ok && !ready {
        body["status"] = "error".into();
        body["code"] = mirror["code"].clone();
        body["error"] = mirror["error"].clone();
    }
    body["mirror"] = mirror;
    (ok && ready, body)
}

/// `/keys` on a replica: the origin's answer as stored by the last sync; 503 `mirror_not_synced` before one.
pub async fn keys(state: &AppState) -> Response {
    match state.store.replica_state().await {
        Ok(Some(mirrored)) => (
            [(axum::http::header::CONTENT_TYPE, "application/json")],
            mirrored.keys_json,
        )
            .into_response(),
        Ok(None) => Error::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "mirror_not_synced",
            message: "this replica has not synced with its origin yet".into(),
            context: serde_json::Map::new(),
        }
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The log origin and note verifier keys the UI shows: on a replica the origin's (once synced), else this
/// registry's own.
pub fn log_identity(state: &AppState) -> Option<(String, Vec<String>)> {
    state
        .replica
        .as_ref()
        .and_then(|r| r.log_identity())
        .or_else(|| {
            state
                .log
                .name()
                .map(|n| (n.origin.clone(), n.verifier_keys.clone()))
        })
}
