//! The log in the UI: the log page (current checkpoint, size, witnesses) and each version's log status, whose
//! inclusion proof is checked here with `verifier::tlog` against the signed checkpoint, not taken from the store.

use askama::Template;
use verifier::tlog::{SignedCheckpoint, VerifierKey, check_inclusion, leaf_hash};

use super::{Page, Section, render};
use crate::error::Error;
use crate::state::AppState;

/// A version's place in the log, as shown on its page.
#[derive(Debug, Clone, Default)]
pub struct LogStatus {
    /// Its entry's index, once sequenced.
    pub index: Option<u64>,
    /// The size of the checkpoint its proof was checked against.
    pub tree_size: u64,
    /// Whether the entry matches the stored receipt and its inclusion proof verifies under the log key.
    pub verified: bool,
    /// Why it does not verify (empty when it does or when not yet sequenced).
    pub problem: String,
}

/// The log status of `artifact` `id@version` whose stored record gives the entry `expected`.
pub async fn status(
    state: &AppState,
    artifact: &str,
    id: &str,
    version: &str,
    expected: &[u8],
) -> Result<LogStatus, Error> {
    let Some(entry) = state.store.log_version_entry(artifact, id, version).await? else {
        return Ok(LogStatus::default());
    };
    let cp = state
        .log
        .checkpoint(state.store.as_ref(), entry.index + 1)
        .await?;
    let (proof, _) = state
        .log
        .inclusion(state.store.as_ref(), entry.index, cp.tree_size)
        .await?;
    let mut shown = LogStatus {
        index: Some(entry.index),
        tree_size: cp.tree_size,
        ..LogStatus::default()
    };
    let keys: Vec<VerifierKey> = state
        .log
        .resolve(state.store.as_ref())
        .await?
        .verifier_keys
        .iter()
        .filter_map(|k| VerifierKey::parse(k).ok())
        .collect();
    let checked = SignedCheckpoint::parse(&cp.note)
        .and_then(|signed| signed.verify_log(&keys).map(|_| signed))
        .and_then(|signed| {
            let proof: Vec<verifier::tlog::Hash> =
                proof.iter().map(|h| verifier::tlog::Hash(*h)).collect();
            check_inclusion(
                &proof,
                entry.index,
                leaf_hash(&entry.entry),
                signed.checkpoint.size,
                signed.checkpoint.root,
            )
        });
    match checked {
        Ok(()) if entry.entry == expected => shown.verified = true,
        Ok(()) => shown.problem = "the logged entry differs from this version's receipt".into(),
        Err(e) => shown.problem = e.to_string(),
    }
    Ok(shown)
}

/// `log.html`.
#[derive(Template)]
#[template(path = "log.html")]
struct LogPage<'a> {
    origin: &'a str,
    size: u64,
    checkpoint: &'a str,
    verifier_keys: &'a [String],
    /// Name, and whether the served checkpoint carries its cosignature.
    witnesses: Vec<(String, bool)>,
}

/// `GET /registry/log`.
pub async fn page(state: &AppState) -> Result<Page, Error> {
    let cp = state.log.refresh(state.store.as_ref()).await?;
    let text = cp.cosigned.as_deref().unwrap_or(&cp.note);
    let signed = SignedCheckpoint::parse(text).ok();
    let witnesses = state
        .log
        .witnesses
        .iter()
        .map(|w| {
            let cosigned = signed
                .as_ref()
                .and_then(|s| s.verify_cosignatures(std::slice::from_ref(&w.key)).ok())
                .is_some_and(|c| !c.is_empty());
            (w.name.clone(), cosigned)
        })
        .collect();
    // This registry's log name is read on first use; a replica shows its origin's.
    state.log.resolve(state.store.as_ref()).await?;
    let (origin, verifier_keys) = crate::replica::log_identity(state).unwrap_or_default();
    let content = render(&LogPage {
        origin: &origin,
        size: cp.tree_size,
        checkpoint: text,
        verifier_keys: &verifier_keys,
        witnesses,
    });
    Ok(Page::ok("Transparency log", Section::Log, content))
}
