//! Work a serving replica does besides answering requests: flushing download counts every interval (and a last time
//! at shutdown), and filling in the UI cards of versions stored before cards existed.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::reads;
use crate::state::AppState;
use crate::store::Kind;

/// Versions filled in per round of the card backfill.
const BACKFILL_BATCH: u32 = 50;

/// The running background tasks.
#[derive(Debug)]
pub struct Background {
    tasks: Vec<JoinHandle<()>>,
}

/// Starts the download flusher and the card backfill.
pub fn start(state: &AppState) -> Background {
    let flusher = state.downloads.spawn_flusher(
        Arc::clone(&state.store),
        state.settings.tuning.download_flush(),
    );
    let backfill_state = state.clone();
    let backfill = tokio::spawn(async move {
        for kind in [Kind::Package, Kind::Template] {
            if let Err(e) = backfill_cards(&backfill_state, kind).await {
                tracing::warn!(error = %e, "registry_card_backfill_failed");
            }
        }
    });
    Background {
        tasks: vec![flusher, backfill],
    }
}

impl Background {
    /// Stops the tasks and flushes the downloads still pending (logged, not fatal, when the store is away).
    pub async fn stop(self, state: &AppState) {
        for task in &self.tasks {
            task.abort();
        }
        for task in self.tasks {
            let _ = task.await;
        }
        match state.downloads.flush(state.store.as_ref()).await {
            Ok(()) => tracing::info!("registry_downloads_flushed"),
            Err(e) => tracing::error!(
                error = %e,
                lost = state.downloads.pending(),
                "registry_download_flush_failed_at_shutdown"
            ),
        }
    }
}

/// Computes the cards of versions stored without one (on the UI's threads), a batch at a time, until none is left.
pub async fn backfill_cards(state: &AppState, kind: Kind) -> Result<(), crate::error::Error> {
    loop {
        let batch = state.store.without_card(kind, BACKFILL_BATCH).await?;
        if batch.is_empty() {
            return Ok(());
        }
        for (id, version) in batch {
            let card = match kind {
                Kind::Package => match reads::package(state, &id, &version).await? {
                    Some(p) => state.ui.run(move || crate::cards::package_card(&p)).await?,
                    None => continue,
                },
                Kind::Template => match reads::template(state, &id, &version).await? {
                    Some(t) => {
                        state
                            .ui
                            .run(move || crate::cards::template_card(&t))
                            .await?
                    }
                    None => continue,
                },
            };
            state.store.set_card(kind, &id, &version, &card).await?;
        }
    }
}
