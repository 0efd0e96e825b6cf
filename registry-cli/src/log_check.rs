//! Transparency-log checks shared by `verify`, `resolve` and `registry log`: which log keys to trust, a checkpoint's
//! signatures and quorum, a version's inclusion (its entry rebuilt from the receipt and record), and consistency
//! with the newest checkpoint this machine has seen (a checkpoint that cannot be proven consistent is a fork: the
//! evidence is printed and the command exits 3).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value;
use verifier::receipt::Receipt;
use verifier::report::Checks;
use verifier::tlog::checkpoint::{VerifierKey, log_verifier_keys};
use verifier::tlog::proof::{check_consistency, decode_hashes};
use verifier::tlog::{Entry, Policy, SignedCheckpoint, TlogProof, VerifiedCheckpoint};

use crate::check::Fetched;
use crate::client::Registry;
use crate::error::{CliError, Result};
use crate::logstate;
use crate::trust::{RegistryKeys, TrustedKeys};

/// How a log is trusted: a policy (log keys, witnesses, quorum) and whether it was pinned by the caller.
#[derive(Debug, Clone)]
pub struct LogTrust {
    /// The policy every checkpoint must pass.
    pub policy: Policy,
    /// From `--log-policy` or pinned `--trusted-keys` (otherwise from the registry's own `/keys`).
    pub pinned: bool,
}

/// The log trust: `--log-policy FILE`; else the trusted keys under the origin the registry announces; `None` when
/// the registry announces no log and no policy is given.
pub fn log_trust(
    registry_keys: &RegistryKeys,
    trusted: &TrustedKeys,
    policy_file: Option<&str>,
) -> Result<Option<LogTrust>> {
    if let Some(path) = policy_file {
        let text = std::fs::read_to_string(path)
            .map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
        let policy =
            Policy::parse(&text).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
        return Ok(Some(LogTrust {
            policy,
            pinned: true,
        }));
    }
    let Some((origin, announced)) = &registry_keys.log else {
        return Ok(None);
    };
    let vkeys = if trusted.pinned {
        log_verifier_keys(origin, &trusted.keys)
            .map_err(|e| CliError::CouldNotRun(format!("/keys log origin: {e}")))?
    } else {
        announced.clone()
    };
    let keys = vkeys
        .iter()
        .map(|v| VerifierKey::parse(v))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| CliError::CouldNotRun(format!("/keys log: {e}")))?;
    let policy = Policy::from_log_keys(keys)
        .map_err(|e| CliError::CouldNotRun(format!("/keys log: {e}")))?;
    Ok(Some(LogTrust {
        policy,
        pinned: trusted.pinned,
    }))
}

/// What a package's log check found (for locks and bundles).
#[derive(Debug, Clone)]
pub struct PackageLog {
    /// The entry's index.
    pub log_index: u64,
    /// The C2SP tlog-proof text (entry in the checkpoint).
    pub tlog_proof: String,
    /// The verified checkpoint the proof is against.
    pub checkpoint: VerifiedCheckpoint,
}

/// Checks `fetched` against the log: the receipt the proof route serves is the one checked, the entry rebuilt from
/// receipt and record is the logged one, the tlog-proof verifies under `trust`, and its checkpoint is consistent
/// with the newest one seen. Adds `log_entry_matches`, `log_inclusion` and `log_consistency` to `checks`.
///
/// Errors: [`CliError::Fork`] (evidence printed) when consistency cannot be proven; [`CliError::CouldNotRun`]
/// when the registry cannot be reached.
pub fn check_package(
    registry: &Registry,
    fetched: &Fetched,
    trust: &LogTrust,
    checks: &mut Checks,
) -> Result<Option<PackageLog>> {
    let (id, version) = (&fetched.record.package_id, &fetched.record.package_version);
    let path = Registry::package_path(id, version, "/receipt?proof=1");
    let answer = match registry.get(&path)? {
        Ok(answer) => answer,
        Err(f) => {
            checks.fail("log_inclusion", format!("no log proof: {}", f.describe()));
            return Ok(None);
        }
    };
    let served: Option<Receipt> = answer
        .get("receipt")
        .cloned()
        .and_then(|r| verifier::record::object_into(r, "a receipt").ok());
    let log_index = answer.get("log_index").and_then(Value::as_u64);
    let log_entry = answer
        .get("log_entry")
        .and_then(Value::as_str)
        .and_then(|e| B64.decode(e).ok());
    let proof_text = answer.get("tlog_proof").and_then(Value::as_str);
    let (Some(served), Some(log_index), Some(log_entry), Some(proof_text)) =
        (served, log_index, log_entry, proof_text)
    else {
        checks.fail(
            "log_inclusion",
            "the proof answer lacks receipt, log_index, log_entry or tlog_proof",
        );
        return Ok(None);
    };
    let rebuilt = Entry::from_record(&fetched.receipt, &fetched.record).and_then(|e| e.to_bytes());
    let entry_ok = served == fetched.receipt && rebuilt.as_ref().is_ok_and(|b| *b == log_entry);
    checks.check(
        "log_entry_matches",
        entry_ok,
        if entry_ok {
            format!("entry {log_index} is this receipt and record")
        } else {
            "the logged entry is not the one rebuilt from the receipt and record served".to_owned()
        },
    );
    let proof = match TlogProof::parse(proof_text) {
        Ok(p) if p.index == log_index => p,
        Ok(p) => {
            checks.fail(
                "log_inclusion",
                format!("proof index {} is not log_index {log_index}", p.index),
            );
            return Ok(None);
        }
        Err(e) => {
            checks.fail("log_inclusion", e.to_string());
            return Ok(None);
        }
    };
    let Ok(rebuilt) = rebuilt else {
        checks.fail("log_inclusion", "no entry could be rebuilt");
        return Ok(None);
    };
    let verified = match proof.verify(&rebuilt, &trust.policy) {
        Ok(v) => v,
        Err(e) => {
            checks.fail("log_inclusion", format!("{} ({})", e, e.code()));
            return Ok(None);
        }
    };
    checks.pass(
        "log_inclusion",
        format!(
            "entry {log_index} is in the signed checkpoint of size {} of {}",
            verified.checkpoint.size, verified.checkpoint.origin
        ),
    );
    let detail = consistent_with_seen(registry, &verified)?;
    checks.pass("log_consistency", detail);
    Ok(Some(PackageLog {
        log_index,
        tlog_proof: proof_text.to_owned(),
        checkpoint: verified,
    }))
}

/// Fetches and verifies the registry's current checkpoint.
///
/// Errors: [`CliError::CheckFailed`] when it does not verify under `trust`.
pub fn current_checkpoint(registry: &Registry, trust: &LogTrust) -> Result<VerifiedCheckpoint> {
    let bytes = registry.get_bytes("/log/checkpoint")?.map_err(|f| {
        CliError::CouldNotRun(format!(
            "{}/log/checkpoint: {}",
            registry.api(),
            f.describe()
        ))
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::CheckFailed("the checkpoint is not UTF-8".to_owned()))?;
    trust
        .policy
        .verify_checkpoint(&text)
        .map_err(|e| CliError::CheckFailed(format!("checkpoint: {e} ({})", e.code())))
}

/// Proves `now` consistent with the newest checkpoint seen for its origin (fetching the consistency proof between
/// the two sizes) and stores `now` when it is newer. Returns a one-line description.
///
/// Errors: [`CliError::Fork`] after printing the evidence (both signed checkpoints and the failed proof).
pub fn consistent_with_seen(registry: &Registry, now: &VerifiedCheckpoint) -> Result<String> {
    let origin = &now.checkpoint.origin;
    let now_text = now.signed.to_text();
    let Some(seen_text) = logstate::load(origin)? else {
        logstate::store(origin, &now_text)?;
        return Ok(format!(
            "first checkpoint seen for {origin} (size {}), remembered",
            now.checkpoint.size
        ));
    };
    let place = format!(
        "seen before, {}",
        logstate::checkpoint_path(origin)?.display()
    );
    let seen_size = prove_consistent(registry, &seen_text, &place, now)?;
    if now.checkpoint.size > seen_size {
        logstate::store(origin, &now_text)?;
        Ok(format!(
            "size {} is consistent with size {seen_size} seen before; remembered",
            now.checkpoint.size
        ))
    } else {
        Ok(format!(
            "size {} is consistent with size {seen_size} seen before",
            now.checkpoint.size
        ))
    }
}

/// Proves `now` consistent with the earlier signed checkpoint `seen_text` (from `place`: the state file or a
/// lock), fetching the consistency proof between the two sizes. Returns the earlier size.
///
/// Errors: [`CliError::Fork`] after printing the evidence (both signed checkpoints and the failed proof);
/// [`CliError::CouldNotRun`] for an unreadable earlier checkpoint or an unreachable registry.
pub fn prove_consistent(
    registry: &Registry,
    seen_text: &str,
    place: &str,
    now: &VerifiedCheckpoint,
) -> Result<u64> {
    let origin = &now.checkpoint.origin;
    let now_text = now.signed.to_text();
    let seen = match SignedCheckpoint::parse(seen_text) {
        Ok(seen) if seen.checkpoint.origin == *origin => seen.checkpoint,
        _ => {
            return Err(CliError::CouldNotRun(format!(
                "the earlier checkpoint of {origin} ({place}) is unreadable or of another log"
            )));
        }
    };
    let (old, new) = if seen.size <= now.checkpoint.size {
        (&seen, &now.checkpoint)
    } else {
        (&now.checkpoint, &seen)
    };
    let (proof_desc, result) = if old.size == 0 {
        let ok = old.root == verifier::tlog::EMPTY_ROOT;
        (
            "(none needed from an empty tree)".to_owned(),
            ok.then_some(())
                .ok_or_else(|| "an empty tree with a non-empty root".to_owned()),
        )
    } else if old.size == new.size {
        let r = check_consistency(&[], old.size, old.root, new.size, new.root)
            .map_err(|e| e.to_string());
        ("(none: equal sizes)".to_owned(), r)
    } else {
        let path = format!("/log/proof/consistency?old={}&new={}", old.size, new.size);
        match registry.get(&path)? {
            Ok(answer) => {
                let hashes: Vec<String> = answer
                    .get("hashes")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|h| h.as_str().map(str::to_owned))
                    .collect();
                let r = decode_hashes(&hashes)
                    .and_then(|p| check_consistency(&p, old.size, old.root, new.size, new.root))
                    .map_err(|e| e.to_string());
                (
                    format!(
                        "GET {path}\n{}",
                        serde_json::to_string_pretty(&answer).unwrap_or_default()
                    ),
                    r,
                )
            }
            Err(f) if f.status < 500 => (
                format!("GET {path}"),
                Err(format!("the registry gives no proof: {}", f.describe())),
            ),
            Err(f) => {
                return Err(CliError::CouldNotRun(format!(
                    "{}{path}: {}",
                    registry.api(),
                    f.describe()
                )));
            }
        }
    };
    if let Err(why) = result {
        crate::errln!(
            "FORK: the log {origin} served a checkpoint that cannot be proven consistent with an earlier one.\n\
             --- earlier checkpoint ({place}) ---\n{seen_text}--- checkpoint served now ---\n{now_text}\
             --- consistency proof (old {} -> new {}) ---\n{proof_desc}\n--- failure ---\n{why}",
            old.size,
            new.size
        );
        return Err(CliError::Fork(format!(
            "the log {origin} forked: size {} is not consistent with size {} ({place}): {why}",
            now.checkpoint.size, seen.size
        )));
    }
    Ok(seen.size)
}

/// The log check of one package in a report: a warning when the registry announces no log (and no `--log-policy`
/// names one), else [`check_package`]. Marks the report failed when a check failed.
///
/// Errors: as [`check_package`].
pub fn add_to_report(
    registry: &Registry,
    fetched: &Fetched,
    registry_keys: &RegistryKeys,
    trusted: &TrustedKeys,
    policy_file: Option<&str>,
    report: &mut crate::check::Report,
) -> Result<Option<PackageLog>> {
    let found = match log_trust(registry_keys, trusted, policy_file)? {
        None => {
            report.checks.warn(
                "log_inclusion",
                "the registry announces no transparency log: this version's acceptance is not provably public",
            );
            None
        }
        Some(trust) => check_package(registry, fetched, &trust, &mut report.checks)?,
    };
    if !report.checks.all_passed() {
        report.status = "failed";
    }
    Ok(found)
}

/// `lock` with the log position found (`log_index`, and the signed checkpoint as `log_checkpoint`).
pub fn with_log(
    mut lock: verifier::lock::PackageLock,
    log: Option<&PackageLog>,
) -> verifier::lock::PackageLock {
    if let Some(log) = log {
        lock.log_index = Some(log.log_index);
        lock.log_checkpoint = log.checkpoint.signed.to_text();
    }
    lock
}

/// With a pinned lock that names a `log_checkpoint`: the checkpoint the version is proven in now must be provably
/// consistent with it (adds `log_consistent_with_lock`).
///
/// Errors: [`CliError::Fork`] (evidence printed) when it is not.
pub fn check_pinned(
    registry: &Registry,
    pinned: &verifier::lock::PackageLock,
    log: Option<&PackageLog>,
    report: &mut crate::check::Report,
) -> Result<()> {
    let (false, Some(log)) = (pinned.log_checkpoint.is_empty(), log) else {
        return Ok(());
    };
    let size = prove_consistent(
        registry,
        &pinned.log_checkpoint,
        "pinned by the lock",
        &log.checkpoint,
    )?;
    report.checks.pass(
        "log_consistent_with_lock",
        format!(
            "size {} is consistent with the lock's size {size}",
            log.checkpoint.checkpoint.size
        ),
    );
    Ok(())
}
