//! Witness cosigning (C2SP `tlog-witness`): each new checkpoint is sent to every configured witness with
//! `add-checkpoint` (old size and consistency proof); returned `cosignature/v1` lines are added to the stored note,
//! which the checkpoint route then serves. A 409 names the size the witness holds: the push is retried from it.

use std::sync::Arc;

use super::Log;
use super::proofs::b64_hashes;
use crate::error::Error;
use crate::store::{SharedStore, StoredCheckpoint};

/// Pushes `cp` (grown from `old_size`) to every witness and stores the cosignatures that came back.
pub async fn push(log: Arc<Log>, store: SharedStore, old_size: u64, cp: Arc<StoredCheckpoint>) {
    let mut lines = Vec::new();
    for w in &log.witnesses {
        match add_checkpoint(&log, &store, w, old_size, &cp).await {
            Ok(cosignature) => lines.push(cosignature),
            Err(e) => tracing::warn!(witness = %w.name, error = %e, "registry_log_witness_failed"),
        }
    }
    if lines.is_empty() {
        return;
    }
    let mut cosigned = cp.note.clone();
    for l in lines {
        cosigned.push_str(l.trim_end_matches('\n'));
        cosigned.push('\n');
    }
    if let Err(e) = store.log_set_cosigned(cp.tree_size, &cosigned).await {
        tracing::warn!(error = %e, "registry_log_cosignature_store_failed");
        return;
    }
    log.remember(StoredCheckpoint {
        cosigned: Some(cosigned),
        ..(*cp).clone()
    });
}

/// One `add-checkpoint` exchange (retried once from the size a 409 names); the witness's signature lines.
async fn add_checkpoint(
    log: &Log,
    store: &SharedStore,
    w: &super::config::Witness,
    old_size: u64,
    cp: &StoredCheckpoint,
) -> Result<String, Error> {
    let client = reqwest::Client::builder()
        .timeout(log.witness_timeout)
        .build()
        .map_err(|e| Error::Internal(format!("witness client: {e}")))?;
    let mut old = old_size;
    for _ in 0..2 {
        let proof = if old == 0 || old == cp.tree_size {
            Vec::new()
        } else {
            log.consistency(store.as_ref(), old, cp.tree_size).await?
        };
        let mut body = format!("old {old}\n");
        for h in b64_hashes(&proof) {
            body.push_str(&h);
            body.push('\n');
        }
        body.push('\n');
        body.push_str(&cp.note);
        let answer = client
            .post(format!("{}/add-checkpoint", w.url))
            .body(body)
            .send()
            .await
            .map_err(|e| Error::Internal(format!("witness {}: {e}", w.name)))?;
        let status = answer.status();
        let text = answer
            .text()
            .await
            .map_err(|e| Error::Internal(format!("witness {}: {e}", w.name)))?;
        if status.is_success() {
            return Ok(text);
        }
        let held = text.trim().parse::<u64>().ok();
        if let Some(size) = held
            .filter(|s| status == reqwest::StatusCode::CONFLICT && *s <= cp.tree_size && *s != old)
        {
            old = size;
            continue;
        }
        return Err(Error::Internal(format!(
            "witness {} answered {status}: {}",
            w.name,
            text.trim()
        )));
    }
    Err(Error::Internal(format!(
        "witness {}: conflicting sizes",
        w.name
    )))
}
