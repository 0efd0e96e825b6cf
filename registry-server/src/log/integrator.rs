//! The integrator: one task per process that sequences pending entries in batches whenever a change asks
//! ([`super::Log::sequenced`]) and on a tick (entries a crashed replica left behind), signing a checkpoint per run.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use tokio::task::JoinHandle;

use super::Log;
use crate::error::Error;
use crate::store::SharedStore;

/// Starts the integrator task (it runs at once, so a new log gets its first checkpoint).
pub fn spawn(log: Arc<Log>, store: SharedStore) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(log.interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = log.wake.notified() => {}
                _ = tick.tick() => {}
            }
            if let Err(e) = run(&log, &store).await {
                log.metrics.integrate_failed();
                tracing::warn!(error = %e, "registry_log_integrate_failed");
            }
        }
    })
}

/// One complete run: integrator transactions until nothing visible is left pending; waiters whose entries were
/// committed before it started are then released.
pub async fn run(log: &Arc<Log>, store: &SharedStore) -> Result<(), Error> {
    let number = log.started.fetch_add(1, Ordering::SeqCst) + 1;
    let origin = &log.resolve(store.as_ref()).await?.origin;
    let sign =
        |size: u64, root: &[u8; 32]| super::note::sign_checkpoint(origin, &log.signer, size, root);
    loop {
        let began = Instant::now();
        let done = store.log_integrate(log.batch_max, &sign).await?;
        if let Some(cp) = done.checkpoint {
            log.metrics
                .integrated(done.moved, began.elapsed().as_secs_f64(), cp.tree_size);
            let cp = log.remember(cp);
            if !log.witnesses.is_empty() {
                tokio::spawn(super::witness::push(log.clone(), store.clone(), cp));
            }
        }
        if !done.more {
            break;
        }
    }
    log.completed.send_if_modified(|c| {
        let newer = number > *c;
        if newer {
            *c = number;
        }
        newer
    });
    Ok(())
}
