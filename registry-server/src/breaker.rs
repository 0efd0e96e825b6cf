//! The store's circuit breaker: once a request finds the store unavailable, requests that need it are answered 503
//! at once (see [`crate::http::store_gate`]) while a background probe checks the store every probe interval; the
//! first probe that succeeds (or a `/readyz` that reaches the store) closes the breaker again.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

use crate::limits::StoreLimits;
use crate::metrics::Metrics;
use crate::store::SharedStore;

/// Whether the store is known to be down.
#[derive(Debug)]
pub struct StoreBreaker {
    down: AtomicBool,
    wake: Notify,
    metrics: Arc<Metrics>,
}

impl StoreBreaker {
    /// A closed breaker (store assumed up) that reports its state in `metrics`.
    pub fn new(metrics: Arc<Metrics>) -> Self {
        StoreBreaker {
            down: AtomicBool::new(false),
            wake: Notify::new(),
            metrics,
        }
    }

    /// Whether requests that need the store should be refused at once.
    pub fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// The store failed a request: open the breaker and wake the probe.
    pub fn report_down(&self) {
        if !self.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("registry_store_down");
            self.metrics.store_down(true);
            self.wake.notify_one();
        }
    }

    /// The store answered: close the breaker.
    pub fn report_up(&self) {
        if self.down.swap(false, Ordering::AcqRel) {
            tracing::info!("registry_store_recovered");
            self.metrics.store_down(false);
        }
    }
}

/// Probes `store` while `breaker` is open: a cheap read (the migration table) bounded by the store's acquire
/// timeout, then a pause of the probe interval, until one answers. Runs until aborted.
pub async fn probe(store: SharedStore, breaker: Arc<StoreBreaker>, limits: StoreLimits) {
    loop {
        if !breaker.is_down() {
            breaker.wake.notified().await;
        }
        while breaker.is_down() {
            match tokio::time::timeout(limits.acquire_timeout, store.migration_status()).await {
                Ok(Ok(_)) => breaker.report_up(),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "registry_store_probe_failed");
                    tokio::time::sleep(limits.probe_interval).await;
                }
                Err(_) => tokio::time::sleep(limits.probe_interval).await,
            }
        }
    }
}
