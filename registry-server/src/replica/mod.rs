//! A read-only replica (`registry-server --mirror-of URL`, issue #11): a follower polls the origin's checkpoint and
//! stores, checked, what its log adds (see [`follow`]); the replica serves the origin's log, keys, receipts and
//! records from its own store, refuses every write with 403 `read_only_mirror`, and reports its lag in `/readyz`
//! and `/metrics`. It signs nothing.

pub mod build;
pub mod config;
pub mod follow;
pub mod origin;
pub mod status;
pub mod version;

use std::sync::Arc;

use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::error::Error;
use crate::log::Log;
use crate::state::AppState;
use crate::store::SharedStore;

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
        Ok(Replica {
            log_identity: std::sync::RwLock::new(None),
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

/// Starts the follower: a sync at once, then one every interval, until the origin proves inconsistent (the
/// refusal is logged with its evidence and kept in the status; nothing of the bad batch is stored).
pub fn spawn(
    replica: Arc<Replica>,
    store: SharedStore,
    log: Arc<Log>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Ok(Some(cp)) = store.log_latest_checkpoint().await {
            replica.status.mirrored(cp.tree_size);
        }
        let mut ticks = tokio::time::interval(replica.mirror.interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match follow::sync(&replica, &store).await {
                Ok(synced) => {
                    if synced.new_size != synced.old_size {
                        // The log routes answer from the newest stored checkpoint.
                        let _ = log.refresh(store.as_ref()).await;
                        tracing::info!(
                            origin = %replica.mirror.url,
                            old_size = synced.old_size,
                            new_size = synced.new_size,
                            versions = synced.versions,
                            withdrawn = synced.withdrawn,
                            lifecycle_changes = synced.lifecycles,
                            "registry_mirror_synced"
                        );
                    }
                    replica.status.synced(synced.new_size, synced.new_size);
                }
                Err((follow::Failure::Transient(error), origin_size)) => {
                    tracing::warn!(origin = %replica.mirror.url, error = %error, "registry_mirror_sync_failed");
                    replica.status.failed(error, origin_size);
                }
                Err((follow::Failure::Refused(refusal), origin_size)) => {
                    tracing::error!(
                        origin = %replica.mirror.url,
                        code = refusal.code,
                        evidence = %refusal.evidence,
                        "registry_mirror_refused"
                    );
                    replica.status.refused(refusal, origin_size);
                    return;
                }
            }
        }
    })
}

/// On a replica, the refusal of a request that would change something (any method but `GET`, `HEAD`, `OPTIONS`):
/// 403 `read_only_mirror` naming the origin. `None` on a registry of its own, or for a read.
pub fn refusal(state: &AppState, method: &Method) -> Option<Response> {
    let replica = state.replica.as_ref()?;
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
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
