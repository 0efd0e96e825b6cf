//! The follower's loop: a sync at once, then one every interval; transport errors are retried with exponential
//! backoff (up to `ANIP_REGISTRY_MIRROR_MAX_BACKOFF_MS`); a refusal (the origin proved inconsistent) is stored with
//! its evidence and stops the loop, across restarts too, until an operator resumes ([`super::resume`]).

use std::sync::Arc;
use std::time::Duration;

use super::Replica;
use super::follow::{self, Failure};
use super::status::Refusal;
use crate::log::Log;
use crate::state::AppState;
use crate::store::SharedStore;

/// What one sync did, as a resume call reports it.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// Synced: the replica holds the origin's log up to `size`.
    Synced {
        /// The mirrored log size.
        size: u64,
    },
    /// The origin could not be read (or the store could not be written): retried with backoff.
    Retrying(String),
    /// The origin proved inconsistent (again): stored, not retried.
    Refused(Refusal),
}

/// A resume request: the follower clears the refusal, syncs at once and answers with the outcome.
pub type ResumeRequest = tokio::sync::oneshot::Sender<Outcome>;

/// The wait before the next sync after `failures` transient failures in a row: the poll interval, doubled per
/// failure, at most `max`.
pub fn backoff(interval: Duration, max: Duration, failures: u32) -> Duration {
    interval
        .saturating_mul(1u32 << failures.min(20))
        .min(max.max(interval))
}

/// Starts the follower (see the module doc). A refusal stored before a restart stands: nothing is fetched until
/// an operator resumes.
pub fn spawn(replica: Arc<Replica>, state: &AppState) -> tokio::task::JoinHandle<()> {
    let (store, log, publishers) = (
        state.store.clone(),
        state.log.clone(),
        state.publishers.clone(),
    );
    tokio::spawn(async move {
        let taken = replica.resumed.lock().ok().and_then(|mut r| r.take());
        let Some(mut resumes) = taken else {
            return;
        };
        if let Ok(Some(cp)) = store.log_latest_checkpoint().await {
            replica.status.mirrored(cp.tree_size);
        }
        let mut failures = 0u32;
        loop {
            match store.replica_refusal().await {
                Ok(Some(refusal)) => {
                    tracing::error!(origin = %replica.mirror.url, code = %refusal.code,
                        refused_at = %refusal.refused_at, "registry_mirror_still_refused");
                    replica.status.refused(refusal, None);
                    break;
                }
                Ok(None) => break,
                Err(e) => {
                    replica
                        .status
                        .failed(format!("the replica's store: {e}"), None);
                    failures += 1;
                    let wait = backoff(
                        replica.mirror.interval,
                        replica.mirror.max_backoff,
                        failures,
                    );
                    tokio::time::sleep(wait).await;
                }
            }
        }
        failures = 0;
        let mut first = true;
        loop {
            let reply = if replica.status.refusal().is_some() {
                // A proven inconsistency is not retried on its own.
                match resumes.recv().await {
                    Some(reply) => Some(reply),
                    None => return,
                }
            } else if first {
                None
            } else {
                let wait = backoff(
                    replica.mirror.interval,
                    replica.mirror.max_backoff,
                    failures,
                );
                tokio::select! {
                    () = tokio::time::sleep(wait) => None,
                    reply = resumes.recv() => match reply {
                        Some(reply) => Some(reply),
                        None => return,
                    },
                }
            };
            first = false;
            if reply.is_some() {
                if let Err(e) = store.replica_set_refusal(None).await {
                    let error = format!("the replica's store: {e}");
                    if let Some(reply) = reply {
                        let _ = reply.send(Outcome::Retrying(error));
                    }
                    continue;
                }
                tracing::warn!(origin = %replica.mirror.url, "registry_mirror_resumed");
                replica.status.resumed();
            }
            let outcome = once(&replica, &store, &log).await;
            if matches!(outcome, Outcome::Synced { .. }) {
                // Owners may have changed: the records read them afresh.
                publishers.clear();
            }
            failures = match outcome {
                Outcome::Retrying(_) => failures.saturating_add(1),
                _ => 0,
            };
            if let Some(reply) = reply {
                let _ = reply.send(outcome);
            }
        }
    })
}

/// One sync, its status and log lines; a refusal is stored.
async fn once(replica: &Replica, store: &SharedStore, log: &Log) -> Outcome {
    match follow::sync(replica, store).await {
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
            Outcome::Synced {
                size: synced.new_size,
            }
        }
        Err((Failure::Transient(error), origin_size)) => {
            tracing::warn!(origin = %replica.mirror.url, error = %error, "registry_mirror_sync_failed");
            replica.status.failed(error.clone(), origin_size);
            Outcome::Retrying(error)
        }
        Err((Failure::Refused(refusal), origin_size)) => {
            tracing::error!(
                origin = %replica.mirror.url,
                code = %refusal.code,
                evidence = %refusal.evidence,
                "registry_mirror_refused"
            );
            if let Err(e) = store.replica_set_refusal(Some(&refusal)).await {
                // Held in memory still: the follower stops either way.
                tracing::error!(error = %e, "registry_mirror_refusal_not_stored");
            }
            replica.status.refused(refusal.clone(), origin_size);
            Outcome::Refused(refusal)
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    #[test]
    fn backoff_doubles_up_to_the_bound() {
        let (i, max) = (Duration::from_millis(100), Duration::from_secs(1));
        assert_eq!(super::backoff(i, max, 0), i);
        assert_eq!(super::backoff(i, max, 2), Duration::from_millis(400));
        assert_eq!(super::backoff(i, max, 4), max);
        assert_eq!(super::backoff(i, max, 60), max);
        // A bound below the interval never shortens the poll.
        assert_eq!(super::backoff(i, Duration::from_millis(10), 3), i);
    }
}
