//! Download counting without a write per download: each replica adds downloads up in memory and flushes them to the
//! store in one transaction (one statement per table) every `ANIP_REGISTRY_DOWNLOAD_FLUSH_MS`, and once more on a
//! clean shutdown. Replicas add their own deltas, so the stored count is exact across replicas.
//!
//! The count a replica shows is the stored count plus its own deltas not yet stored, read so that a flush never
//! makes it count twice: a read of a version that an in-flight flush carries waits a little for it (at most
//! [`FLUSH_WAIT`] per try) and retries if a flush started or ended meanwhile. A read never waits on the store for
//! long: a flush stuck on a store that went away would otherwise hold every read of its versions (a flush takes one
//! short transaction when the store is up). After [`READ_TRIES`] tries the count shown may lag by that flush's
//! deltas, never count them twice. Other replicas' unflushed downloads show up after their next flush, so a count
//! seen through another replica is at most one flush interval behind. A crash (or `kill -9`) loses the downloads of
//! at most the last interval; a failed flush keeps its deltas for the next one.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::watch;

use crate::error::Error;
use crate::store::{DownloadDelta, Kind, Store};

type Key = (Kind, String, String);

/// How long one try of a read waits for an in-flight flush that carries its version.
pub const FLUSH_WAIT: Duration = Duration::from_millis(100);

/// Tries of a read before it answers without waiting for a flush any more.
pub const READ_TRIES: u32 = 3;

#[derive(Debug, Default)]
struct Inner {
    /// Downloads not yet handed to a flush.
    pending: HashMap<Key, i64>,
    /// Versions the flush in flight carries.
    in_flight: HashSet<Key>,
}

/// The in-memory download counter of one replica.
#[derive(Debug)]
pub struct DownloadCounter {
    inner: Mutex<Inner>,
    /// Flush generation: odd while a flush is in flight, bumped when one starts and when it ends.
    generation: watch::Sender<u64>,
    /// One flush at a time.
    flushing: tokio::sync::Mutex<()>,
}

impl Default for DownloadCounter {
    fn default() -> Self {
        DownloadCounter {
            inner: Mutex::default(),
            generation: watch::Sender::new(0),
            flushing: tokio::sync::Mutex::new(()),
        }
    }
}

fn key(kind: Kind, id: &str, version: &str) -> Key {
    (kind, id.to_owned(), version.to_owned())
}

impl DownloadCounter {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Reads a version's stored state with `read`, then (atomically with seeing no flush in between) counts one
    /// download when `count(&state)` says so, and returns the state with this replica's unflushed downloads of the
    /// version (including this one). `stored_count` extracts the stored count from the state.
    pub async fn read<S, F, Fut>(
        &self,
        kind: Kind,
        id: &str,
        version: &str,
        read: F,
        count: impl Fn(&S) -> bool,
    ) -> Result<Option<(S, i64)>, Error>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Option<S>, Error>>,
    {
        let key = key(kind, id, version);
        let idle = self.generation.subscribe();
        let mut tries = 0;
        loop {
            tries += 1;
            let last_try = tries >= READ_TRIES;
            let before = *self.generation.borrow();
            let carried = before % 2 == 1 && self.lock().in_flight.contains(&key);
            if carried && !last_try {
                // A flush carrying this version is in flight: the stored count may or may not hold its deltas yet.
                let mut idle = idle.clone();
                let _ = tokio::time::timeout(FLUSH_WAIT, idle.wait_for(|g| *g != before)).await;
                continue;
            }
            let state = read().await?;
            let inner = &mut *self.lock();
            if *self.generation.borrow() != before && !last_try {
                // A flush started (or ended) while the store was read: the read may or may not include it.
                continue;
            }
            let Some(state) = state else {
                return Ok(None);
            };
            let local = if count(&state) {
                let n = inner.pending.entry(key).or_default();
                *n += 1;
                *n
            } else {
                inner.pending.get(&key).copied().unwrap_or(0)
            };
            return Ok(Some((state, local)));
        }
    }

    /// Downloads not yet stored, summed over every version.
    pub fn pending(&self) -> i64 {
        self.lock().pending.values().sum()
    }

    /// Adds this replica's pending downloads to the store in one transaction. On failure they stay pending.
    pub async fn flush(&self, store: &dyn Store) -> Result<(), Error> {
        let _one_at_a_time = self.flushing.lock().await;
        let taken = {
            let inner = &mut *self.lock();
            if inner.pending.is_empty() {
                return Ok(());
            }
            let taken = std::mem::take(&mut inner.pending);
            inner.in_flight = taken.keys().cloned().collect();
            self.generation.send_modify(|g| *g += 1);
            taken
        };
        let deltas: Vec<DownloadDelta> = taken
            .iter()
            .map(|((kind, id, version), count)| DownloadDelta {
                kind: *kind,
                id: id.clone(),
                version: version.clone(),
                count: *count,
            })
            .collect();
        let result = store.add_downloads(&deltas).await;
        let inner = &mut *self.lock();
        inner.in_flight.clear();
        if result.is_err() {
            for (key, count) in taken {
                *inner.pending.entry(key).or_default() += count;
            }
        }
        self.generation.send_modify(|g| *g += 1);
        result
    }

    /// Flushes every `interval` until the returned task is aborted; failures are logged and retried next time.
    pub fn spawn_flusher(
        self: &std::sync::Arc<Self>,
        store: crate::store::SharedStore,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let counter = std::sync::Arc::clone(self);
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(e) = counter.flush(store.as_ref()).await {
                    tracing::warn!(error = %e, pending = counter.pending(), "registry_download_flush_failed");
                }
            }
        })
    }
}
