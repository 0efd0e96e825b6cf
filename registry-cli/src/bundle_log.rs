//! The transparency-log proof a bundle may carry (`"transparency_log": {"log_index", "log_entry", "tlog_proof"}`,
//! added by `registry log proof --bundle`), checked fully offline by `registry verify --bundle`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use verifier::bundle::Bundle;
use verifier::keys::KeySet;
use verifier::report::Checks;
use verifier::tlog::checkpoint::VerifierKey;
use verifier::tlog::{Entry, Policy, SignedCheckpoint, TlogProof};

use crate::error::{CliError, Result};

/// The bundle member holding the log proof.
pub const BUNDLE_LOG_MEMBER: &str = "transparency_log";

/// Adds `log_inclusion` to `checks`: a warning when the bundle carries no proof; else the entry rebuilt from the
/// bundle's receipt and record must be the logged one, and the tlog-proof must verify under `policy_file` (a C2SP
/// tlog-policy) or, without one, under `keys` named after the checkpoint's origin.
pub fn check(
    bundle: &Bundle,
    keys: &KeySet,
    policy_file: Option<&str>,
    checks: &mut Checks,
) -> Result<()> {
    let Some(member) = bundle.root().get(BUNDLE_LOG_MEMBER) else {
        checks.warn(
            "log_inclusion",
            "the bundle carries no transparency-log proof",
        );
        return Ok(());
    };
    let index = member.get("log_index").and_then(Value::as_u64);
    let logged = member
        .get("log_entry")
        .and_then(Value::as_str)
        .and_then(|e| B64.decode(e).ok());
    let Some(text) = member.get("tlog_proof").and_then(Value::as_str) else {
        checks.fail("log_inclusion", "transparency_log has no tlog_proof");
        return Ok(());
    };
    let proof = match TlogProof::parse(text) {
        Ok(p) => p,
        Err(e) => {
            checks.fail("log_inclusion", e.to_string());
            return Ok(());
        }
    };
    let policy = match policy_file {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
            Policy::parse(&text).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?
        }
        None => {
            let origin = SignedCheckpoint::parse(&proof.checkpoint)
                .map(|c| c.checkpoint.origin)
                .unwrap_or_default();
            let vkeys = keys
                .iter()
                .filter_map(|(_, k)| VerifierKey::log(&origin, k).ok())
                .collect();
            Policy::from_log_keys(vkeys).map_err(|e| CliError::CouldNotRun(e.to_string()))?
        }
    };
    let rebuilt = bundle
        .receipt()
        .ok()
        .zip(bundle.record().ok())
        .and_then(|(receipt, record)| Entry::from_record(&receipt, &record).ok())
        .and_then(|e| e.to_bytes().ok());
    let Some(rebuilt) = rebuilt else {
        checks.fail(
            "log_inclusion",
            "no log entry can be rebuilt from the bundle's receipt and record",
        );
        return Ok(());
    };
    if logged.as_ref().is_some_and(|l| *l != rebuilt) || index.is_some_and(|i| i != proof.index) {
        checks.fail(
            "log_inclusion",
            "the bundle's log_entry or log_index is not the one rebuilt from its receipt and record",
        );
        return Ok(());
    }
    match proof.verify(&rebuilt, &policy) {
        Ok(verified) => checks.pass(
            "log_inclusion",
            format!(
                "entry {} is in the signed checkpoint of size {} of {} (offline)",
                proof.index, verified.checkpoint.size, verified.checkpoint.origin
            ),
        ),
        Err(e) => checks.fail("log_inclusion", format!("{e} ({})", e.code())),
    }
    Ok(())
}
