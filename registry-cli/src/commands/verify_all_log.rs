//! The log checks of `registry verify --all`, made once for the whole run: one verified checkpoint, proven consistent
//! with the newest one this machine has seen (a fork exits 3), whose entry bundles are downloaded and hashed to its
//! signed root — which proves every entry included in it — so each version then only needs its entry found and
//! compared: `log_entry_matches`, `log_inclusion` and `log_consistency`, the checks a single `verify` adds.

use std::collections::HashMap;

use verifier::report::Checks;
use verifier::tlog::tree::MemoryTree;
use verifier::tlog::{Entry, VerifiedCheckpoint, leaf_hash};

use crate::check::Fetched;
use crate::client::Registry;
use crate::commands::log_audit::download_entries;
use crate::error::{CliError, Result};
use crate::log_check;
use crate::trust::{RegistryKeys, TrustedKeys};

/// One checkpoint's entries, indexed by package version.
#[derive(Debug)]
pub struct AllLog {
    verified: VerifiedCheckpoint,
    consistency: String,
    entries: Vec<Vec<u8>>,
    /// `(id, version)` → every index logging it (more than one is a second acceptance).
    index: HashMap<(String, String), Vec<u64>>,
}

/// The log of `registry` at its current checkpoint, or `None` when it announces no log (and `--log-policy` names
/// none). Call it after listing the versions, so every listed version was sequenced before this checkpoint.
///
/// Errors: [`CliError::CheckFailed`] (exit 2) for a checkpoint that does not verify or entries that do not hash to
/// its root; [`CliError::Fork`] (exit 3) when it is not consistent with the one seen before; exit 1 when the
/// registry cannot be read.
pub fn load(
    registry: &Registry,
    registry_keys: &RegistryKeys,
    trusted: &TrustedKeys,
    policy_file: Option<&str>,
    jobs: usize,
) -> Result<Option<AllLog>> {
    let Some(trust) = log_check::log_trust(registry_keys, trusted, policy_file)? else {
        return Ok(None);
    };
    let verified = log_check::current_checkpoint(registry, &trust)?;
    let consistency = log_check::consistent_with_seen(registry, &verified)?;
    let size = verified.checkpoint.size;
    let entries = download_entries(registry, size, jobs)?;
    let mut tree = MemoryTree::new();
    for entry in &entries {
        tree.push_leaf_hash(leaf_hash(entry));
    }
    if tree.root(size).ok() != Some(verified.checkpoint.root) {
        return Err(CliError::CheckFailed(format!(
            "the log's entry bundles do not hash to its signed root at size {size}"
        )));
    }
    let mut index: HashMap<(String, String), Vec<u64>> = HashMap::new();
    for (i, bytes) in entries.iter().enumerate() {
        if let Ok(Entry::PackageVersion(f)) = Entry::parse(bytes)
            && let (Some(id), Some(version)) = (f.get("package_id"), f.get("package_version"))
        {
            index
                .entry((id.clone(), version.clone()))
                .or_default()
                .push(i as u64);
        }
    }
    Ok(Some(AllLog {
        verified,
        consistency,
        entries,
        index,
    }))
}

impl AllLog {
    /// Adds `log_entry_matches`, `log_inclusion` and `log_consistency` for `fetched` to `checks`.
    pub fn check(&self, fetched: &Fetched, checks: &mut Checks) {
        let key = (
            fetched.record.package_id.clone(),
            fetched.record.package_version.clone(),
        );
        let (size, origin) = (
            self.verified.checkpoint.size,
            &self.verified.checkpoint.origin,
        );
        let logged = self.index.get(&key).map_or(&[][..], Vec::as_slice);
        let Some(&first) = logged.first() else {
            checks.fail(
                "log_inclusion",
                format!(
                    "no entry of the signed checkpoint of size {size} of {origin} logs this version"
                ),
            );
            return;
        };
        let rebuilt =
            Entry::from_record(&fetched.receipt, &fetched.record).and_then(|e| e.to_bytes());
        let entry = usize::try_from(first)
            .ok()
            .and_then(|i| self.entries.get(i));
        let matches = logged.len() == 1 && rebuilt.is_ok_and(|b| Some(&b) == entry);
        checks.check(
            "log_entry_matches",
            matches,
            if matches {
                format!("entry {first} is this receipt and record")
            } else if logged.len() > 1 {
                format!("logged more than once: entries {logged:?}")
            } else {
                format!("entry {first} is not the one rebuilt from the receipt and record served")
            },
        );
        checks.pass(
            "log_inclusion",
            format!(
                "entry {first} is in the signed checkpoint of size {size} of {origin} (every entry recomputed to its root)"
            ),
        );
        checks.pass("log_consistency", self.consistency.clone());
    }
}
