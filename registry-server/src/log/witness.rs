//! Witness cosigning (C2SP `tlog-witness`): each new checkpoint is sent to every configured witness with
//! `add-checkpoint` (old size and consistency proof); returned `cosignature/v1` lines are added to the stored note,
//! which the checkpoint route then serves. A 409 names the size the witness holds: the push is retried from it.

use std::sync::Arc;

use super::Log;
use super::proofs::b64_hashes;
use crate::error::Error;
use crate::store::{SharedStore, StoredCheckpoint};
use verifier::tlog::SignedCheckpoint;

/// Pushes `cp` to every witness (after the size they last cosigned; pushes take turns, and one older than the
/// last cosigned is skipped) and stores the cosignatures that verify under each witness's configured key (a line
/// that does not is logged and dropped).
pub async fn push(log: Arc<Log>, store: SharedStore, cp: Arc<StoredCheckpoint>) {
    let mut witnessed = log.witnessed.lock().await;
    if *witnessed >= cp.tree_size && *witnessed > 0 {
        return;
    }
    let old_size = *witnessed;
    let Ok(mut signed) = SignedCheckpoint::parse(&cp.note) else {
        tracing::warn!("registry_log_witness_skipped: our own checkpoint does not parse");
        return;
    };
    let mut cosigned = 0;
    for w in &log.witnesses {
        let answer = match add_checkpoint(&log, &store, w, old_size, &cp).await {
            Ok(answer) => answer,
            Err(e) => {
                tracing::warn!(witness = %w.name, error = %e, "registry_log_witness_failed");
                continue;
            }
        };
        let mut trial = signed.clone();
        let added = answer
            .lines()
            .filter(|l| !l.is_empty())
            .all(|l| trial.add_signature_line(l).is_ok());
        match trial.verify_cosignatures(std::slice::from_ref(&w.key)) {
            Ok(c) if added && !c.is_empty() => {
                signed = trial;
                cosigned += 1;
            }
            _ => tracing::warn!(witness = %w.name, "registry_log_witness_bad_cosignature"),
        }
    }
    if cosigned == 0 {
        return;
    }
    *witnessed = cp.tree_size;
    let text = signed.to_text();
    if let Err(e) = store.log_set_cosigned(cp.tree_size, &text).await {
        tracing::warn!(error = %e, "registry_log_cosignature_store_failed");
        return;
    }
    log.remember(StoredCheckpoint {
        cosigned: Some(text),
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
    let client = &log.witness_client;
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
