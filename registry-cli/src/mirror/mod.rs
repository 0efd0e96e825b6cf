//! `registry mirror --from URL --to DIR`: follow an origin's transparency log and keep a verified static copy of
//! it whose paths are the API's. Each run verifies the origin's checkpoint, proves it consistent with the one
//! mirrored before (a fork exits 3 with the evidence), recomputes the tree from the entry bundles, then fetches,
//! checks and stages every version the new entries name (new versions, and versions whose lifecycle changed);
//! only when everything passed is anything moved into place, the checkpoint last. A refusal exits 2 and leaves
//! the folder as it was.

mod bulk;
pub mod listing;
pub mod version;
pub mod write;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde_json::json;
use verifier::tlog::tree::MemoryTree;
use verifier::tlog::{Entry, leaf_hash};

use crate::check::Policy;
use crate::cli::TrustArgs;
use crate::client::Registry;
use crate::commands::log_audit::{in_parallel, progress_bar};
use crate::error::{CliError, Result};
use crate::folder::{API_DIR, read_entries};
use crate::log_check;
use crate::output::Format;
use crate::trust::{self, TrustedKeys};
use version::{Judge, Key, Staged};

/// What `registry mirror` was asked.
#[derive(Debug)]
pub struct MirrorArgs<'a> {
    /// The origin registry URL.
    pub from: &'a str,
    /// The mirror folder.
    pub to: &'a str,
    /// Pinned keys and the log policy.
    pub trust: &'a TrustArgs,
    /// Versions fetched at once.
    pub jobs: usize,
    /// Output format of the summary.
    pub format: Format,
}

fn refused(code: &str, why: String) -> CliError {
    crate::errln!("mirror refused ({code}): {why}\nthe mirror folder was left as it was");
    CliError::CheckFailed(format!("mirror refused: {code}"))
}

/// Runs `registry mirror`.
///
/// Errors: exit 2 when the origin is inconsistent (altered record, missing entry, swapped key, bad signature),
/// exit 3 for a fork, exit 1 when the origin or the folder cannot be read or written.
pub fn run(args: &MirrorArgs<'_>) -> Result<()> {
    let started = Instant::now();
    let origin = Registry::new(args.from)?;
    let dir = PathBuf::from(args.to);
    let api = dir.join(API_DIR);
    std::fs::create_dir_all(&api)
        .map_err(|e| CliError::CouldNotRun(format!("{}: {e}", api.display())))?;
    write::recover(&dir)?;
    let keys_bytes = origin
        .get_bytes("/keys")?
        .map_err(|f| CliError::CouldNotRun(format!("{}/keys: {}", origin.api(), f.describe())))?;
    let registry_keys = trust::fetch(&origin)?;
    let mirrored_checkpoint = std::fs::read_to_string(api.join("log/checkpoint")).ok();
    let trusted = pinned_keys(args, &dir, &registry_keys, mirrored_checkpoint.is_some())?;
    let log_trust =
        log_check::log_trust(&registry_keys, &trusted, args.trust.log_policy.as_deref())?
            .ok_or_else(|| refused("no_log", "the origin announces no transparency log".into()))?;
    let now = log_check::current_checkpoint(&origin, &log_trust).map_err(|e| match e {
        CliError::CheckFailed(why) => refused("checkpoint_not_verified", why),
        other => other,
    })?;
    let new_size = now.checkpoint.size;
    let old_size = match &mirrored_checkpoint {
        None => 0,
        Some(text) => {
            let place = format!("mirrored in {}", dir.display());
            let old = log_check::prove_consistent(&origin, text, &place, &now)?;
            if new_size < old {
                return Err(refused(
                    "checkpoint_rolled_back",
                    format!(
                        "the origin's checkpoint (size {new_size}) is older than the mirrored one (size {old})"
                    ),
                ));
            }
            old
        }
    };
    if mirrored_checkpoint.is_some() && new_size == old_size {
        summary(args.format, old_size, new_size, (0, 0, 0), started);
        return Ok(());
    }

    // Every entry: the mirrored ones from the folder, the new ones from the origin; the tree must be the signed one.
    let mut entries = read_entries(&api, old_size).map_err(|e| {
        CliError::CouldNotRun(format!("the mirror folder's log is unreadable: {e}"))
    })?;
    fetch_new_entries(&origin, &mut entries, old_size, new_size, args.jobs)?;
    let mut tree = MemoryTree::new();
    for entry in &entries {
        tree.push_leaf_hash(leaf_hash(entry));
    }
    if tree.root(new_size).ok() != Some(now.checkpoint.root) {
        return Err(refused(
            "entries_do_not_match_checkpoint",
            format!("the origin's entry bundles do not hash to its signed root at size {new_size}"),
        ));
    }

    // The versions to (re)write: new version entries, and versions a new lifecycle entry changed.
    let mut index_of: HashMap<Key, u64> = HashMap::new();
    let mut todo: BTreeSet<Key> = BTreeSet::new();
    let mut lifecycle = 0usize;
    for (i, bytes) in entries.iter().enumerate() {
        let Ok(entry) = Entry::parse(bytes) else {
            if i as u64 >= old_size {
                return Err(refused(
                    "malformed_entry",
                    format!("entry {i} does not parse"),
                ));
            }
            continue;
        };
        if let Some(key) = Key::of_entry(&entry) {
            index_of.entry(key.clone()).or_insert(i as u64);
            if i as u64 >= old_size {
                todo.insert(key);
            }
        } else if let (true, Some(key)) = (i as u64 >= old_size, Key::of_lifecycle(&entry)) {
            lifecycle += 1;
            todo.insert(key);
        }
    }
    if let Err(why) = listing::check_layout(index_of.keys()) {
        return Err(refused("unservable_path", why));
    }
    let todo: Vec<Key> = todo.into_iter().collect();
    let staging = dir.join(format!(".staging-{}", std::process::id()));
    let result = stage_all(
        args,
        &origin,
        &trusted,
        &registry_keys,
        &entries,
        &index_of,
        &todo,
        &staging,
    );
    let staged = match result {
        Ok(staged) => staged,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(e);
        }
    };
    // Everything checked: move into place, then listings, the log, the keys, and the checkpoint last.
    let mut ids: BTreeSet<(&'static str, String)> = BTreeSet::new();
    for (n, (key, outcome)) in todo.iter().zip(&staged).enumerate() {
        let target = api.join(key.dir());
        let from = staging.join(n.to_string());
        match outcome {
            Staged::Written => write::move_into_place(Some(&from), &target)?,
            Staged::Withdrawn => write::move_into_place(None, &target)?,
        }
        ids.insert((key.route, key.id.clone()));
    }
    let _ = std::fs::remove_dir_all(&staging);
    let ids: Vec<_> = ids.into_iter().collect();
    for written in in_parallel(ids.len(), args.jobs, |n| {
        listing::write_versions(&origin, &api, ids[n].0, &ids[n].1)
    }) {
        written?;
    }
    listing::write_top(&origin, &api, "/publications", &api.join("publications"))?;
    listing::write_top(
        &origin,
        &api,
        "/templates",
        &api.join("templates/index.html"),
    )?;
    write::log_tiles(&api.join("log"), &entries, &tree, new_size)?;
    write::atomic_file(&api.join("keys"), &keys_bytes)?;
    write::atomic_file(&api.join("log/checkpoint"), now.signed.to_text().as_bytes())?;
    let versions = staged
        .iter()
        .filter(|s| matches!(s, Staged::Written))
        .count();
    summary(
        args.format,
        old_size,
        new_size,
        (versions, staged.len() - versions, lifecycle),
        started,
    );
    Ok(())
}

/// `--trusted-keys`; else the keys the folder mirrored before (so a swapped key is refused); else, on a first run,
/// the origin's own keys (with a warning). A pinned key the origin lists with other bytes is refused (`key_changed`),
/// as is a key the folder holds that the origin no longer lists.
fn pinned_keys(
    args: &MirrorArgs<'_>,
    dir: &Path,
    registry_keys: &trust::RegistryKeys,
    mirrored: bool,
) -> Result<TrustedKeys> {
    // The folder's keys are the pins when no file is given: then a key it holds must still be listed.
    let from_folder = args.trust.trusted_keys.is_none() && mirrored;
    let trusted = if from_folder {
        TrustedKeys {
            keys: trust::fetch(&Registry::new(&format!("file://{}", dir.display()))?)?.keys,
            pinned: true,
        }
    } else {
        crate::commands::trusted_keys(args.trust, registry_keys)?
    };
    // Before anything is fetched: a pinned key the origin now lists with other bytes is a swapped key.
    for (id, key) in trusted.keys.iter() {
        let listed = registry_keys.keys.get(id.as_str());
        if listed.is_some_and(|k| k != key) || (listed.is_none() && from_folder) {
            return Err(refused(
                "key_changed",
                format!("the origin no longer lists key {id} with the pinned bytes"),
            ));
        }
    }
    Ok(trusted)
}

fn fetch_new_entries(
    origin: &Registry,
    entries: &mut Vec<Vec<u8>>,
    old_size: u64,
    new_size: u64,
    jobs: usize,
) -> Result<()> {
    let bundles: Vec<_> = verifier::tlog::paths::bundles_for_size(new_size)
        .into_iter()
        .filter(|p| p.start_entry() + u64::from(p.width()) > old_size)
        .collect();
    let fetched = in_parallel(bundles.len(), jobs, |i| {
        let path = bundles[i];
        let bytes = origin
            .get_bytes(&format!("/log/{path}"))?
            .map_err(|f| refused("missing_entries", format!("/log/{path}: {}", f.describe())))?;
        let parsed = verifier::tlog::entry::parse_bundle(&bytes, path.width() as usize)
            .map_err(|e| refused("malformed_bundle", format!("/log/{path}: {e}")))?;
        Ok((
            path.start_entry(),
            parsed.into_iter().map(<[u8]>::to_vec).collect::<Vec<_>>(),
        ))
    });
    for bundle in fetched {
        let (start, bundle) = bundle?;
        for (k, entry) in bundle.into_iter().enumerate() {
            if start + k as u64 >= old_size {
                entries.push(entry);
            }
        }
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
fn stage_all(
    args: &MirrorArgs<'_>,
    origin: &Registry,
    trusted: &TrustedKeys,
    registry_keys: &trust::RegistryKeys,
    entries: &[Vec<u8>],
    index_of: &HashMap<Key, u64>,
    todo: &[Key],
    staging: &Path,
) -> Result<Vec<Staged>> {
    let policy = Policy {
        allow_legacy: args.trust.allow_legacy,
        allow_yanked: true,
        require_mode: args.trust.require_mode,
    };
    let judge = Judge {
        origin,
        trusted,
        registry_keys,
        policy: &policy,
    };
    let wanted: HashMap<u64, &str> = todo
        .iter()
        .filter_map(|key| {
            let kind = if key.route == "templates" {
                "template"
            } else {
                "package"
            };
            index_of.get(key).map(|i| (*i, kind))
        })
        .collect();
    let prefetched = std::sync::Mutex::new(bulk::prefetch(
        origin,
        &wanted,
        entries.len() as u64,
        args.jobs,
    ));
    let progress = progress_bar(todo.len() as u64, "versions mirrored");
    let results = in_parallel(todo.len(), args.jobs, |n| {
        let key = &todo[n];
        let Some(&index) = index_of.get(key) else {
            return Err(refused(
                "missing_entry",
                format!(
                    "{} changed lifecycle but has no version entry in the log",
                    key.describe()
                ),
            ));
        };
        let logged = &entries[usize::try_from(index).unwrap_or(usize::MAX)];
        let served = prefetched
            .lock()
            .ok()
            .and_then(|mut p| p.remove(&index))
            .unwrap_or_default();
        let outcome = version::fetch_and_stage(
            &judge,
            key,
            (index, logged),
            served,
            &staging.join(n.to_string()),
        );
        progress.inc(1);
        outcome
    });
    progress.finish_and_clear();
    let mut staged = Vec::with_capacity(results.len());
    let mut failures = Vec::new();
    for result in results {
        match result {
            Ok(s) => staged.push(s),
            Err(CliError::CheckFailed(why)) => failures.push(why),
            Err(e) => return Err(e),
        }
    }
    if !failures.is_empty() {
        return Err(refused("version_not_verified", failures.join("\n")));
    }
    Ok(staged)
}

fn summary(
    format: Format,
    old: u64,
    new: u64,
    (versions, withdrawn, lifecycle): (usize, usize, usize),
    started: Instant,
) {
    let seconds = started.elapsed().as_secs_f64();
    match format {
        Format::Json => crate::outln!(
            "{}",
            json!({"status": "mirrored", "old_size": old, "new_size": new, "versions_written": versions,
                   "versions_withdrawn": withdrawn, "lifecycle_entries": lifecycle, "seconds": seconds})
        ),
        Format::Text => crate::outln!(
            "mirrored log entries {old}..{new}: {versions} version(s) written, {withdrawn} withdrawn, \
             {lifecycle} lifecycle change(s) replayed in {seconds:.2} s{}",
            if new == old { " (up to date)" } else { "" }
        ),
    }
}
