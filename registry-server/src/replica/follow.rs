//! One sync of the replica with its origin: the origin's keys (no pinned key swapped), its checkpoint (signed under
//! the pinned keys, never smaller than the mirrored one, the same root at the same size), the new entry bundles
//! (appended to the replica's own stored tree they must give the signed root, which proves the old log a prefix of
//! the new one), then every version and lifecycle change they name, fetched through the record routes and checked
//! by `verifier::mirror`. Only when all of it passed is anything stored, in one transaction.

use std::collections::HashMap;

use futures_util::StreamExt as _;

use verifier::mirror::Artifact;
use verifier::tlog::{Entry, SignedCheckpoint};

use super::Replica;
use super::origin::Answer;
use super::owner;
use super::status::Refusal;
use super::version::{Fetched, fetch_version, replayed_lifecycle};
use crate::log::tree;
use crate::store::{Kind, ReplicaBatch, ReplicaEntry, SharedStore, StoredCheckpoint};

/// Why a sync did not finish.
#[derive(Debug)]
pub enum Failure {
    /// The origin (or the store) could not be read: retried at the next poll.
    Transient(String),
    /// The origin proved inconsistent: the follower stops until an operator resumes.
    Refused(Refusal),
}

/// Builds a refusal (`code`, `evidence`, now).
pub(super) fn refused(code: &'static str, evidence: String) -> Failure {
    Failure::Refused(Refusal {
        code: code.to_owned(),
        evidence,
        refused_at: crate::time::now_rfc3339(),
    })
}

pub(super) fn store_failed(e: crate::error::Error) -> Failure {
    Failure::Transient(format!("the replica's store: {e}"))
}

/// What one sync did.
#[derive(Debug, Default)]
pub struct Synced {
    /// The replica's log size before.
    pub old_size: u64,
    /// The origin's (and now the replica's) log size.
    pub new_size: u64,
    /// Versions stored.
    pub versions: usize,
    /// Versions the origin no longer serves (withdrawn): logged, not stored.
    pub withdrawn: usize,
    /// Lifecycle changes replayed.
    pub lifecycles: usize,
}

/// A non-200 answer to a request that must succeed: an origin that says a logged thing is not there (404, 410)
/// or answers something else it should not is inconsistent; an origin that is down or busy (5xx, 429) is retried.
pub(super) fn unexpected(what: &str, answer: &Answer) -> Failure {
    if answer.status >= 500 || answer.status == 429 || answer.status == 408 {
        Failure::Transient(format!("{what}: HTTP {}", answer.status))
    } else {
        refused(
            "missing_from_origin",
            format!("{what}: HTTP {} for something its log holds", answer.status),
        )
    }
}

/// Runs one sync. The caller keeps the status.
pub async fn sync(
    replica: &Replica,
    store: &SharedStore,
) -> Result<Synced, (Failure, Option<u64>)> {
    let (keys_json, signed, text) = super::checkpoint::origin_checkpoint(replica)
        .await
        .map_err(|f| (f, None))?;
    let new_size = signed.checkpoint.size;
    inner(replica, store, keys_json, signed, text)
        .await
        .map_err(|f| (f, Some(new_size)))
}

async fn inner(
    replica: &Replica,
    store: &SharedStore,
    keys_json: String,
    signed: SignedCheckpoint,
    text: String,
) -> Result<Synced, Failure> {
    let new_size = signed.checkpoint.size;
    let ours = store.log_latest_checkpoint().await.map_err(store_failed)?;
    let old_size = ours.as_ref().map_or(0, |c| c.tree_size);
    if let Some(ours) = &ours {
        if new_size < old_size {
            return Err(refused(
                "checkpoint_rolled_back",
                format!(
                    "the origin's checkpoint (size {new_size}) is older than the mirrored one (size {old_size}).\n\
                     origin's:\n{text}mirrored:\n{}",
                    ours.note
                ),
            ));
        }
        if new_size == old_size {
            if ours.root_hash != signed.checkpoint.root.0 {
                return Err(refused(
                    "fork",
                    format!(
                        "two signed checkpoints of size {new_size} with different roots.\norigin's:\n{text}\
                         mirrored:\n{}",
                        ours.note
                    ),
                ));
            }
            return Ok(Synced {
                old_size,
                new_size,
                ..Default::default()
            });
        }
    }
    if new_size - old_size > replica.mirror.max_batch_entries {
        return Err(Failure::Transient(format!(
            "the origin is {} entries ahead, more than one sync stores (ANIP_REGISTRY_MIRROR_MAX_BATCH_ENTRIES = {})",
            new_size - old_size,
            replica.mirror.max_batch_entries
        )));
    }
    let entries = fetch_entries(replica, old_size, new_size).await?;
    // Appending the new entries to the replica's own tree must give the signed root: the origin's log at
    // `old_size` is then the replica's (a prefix), and the entries are the ones signed.
    let frontier = tree::frontier(old_size);
    let known = store.log_hashes(&frontier).await.map_err(store_failed)?;
    let known: HashMap<u64, tlog_tiles::Hash> = known
        .into_iter()
        .map(|(i, h)| (i, tlog_tiles::Hash(h)))
        .collect();
    let (stored, root) = tree::append(old_size, &tree::Hashes::new(known), &entries)
        .map_err(|e| Failure::Transient(format!("the replica's stored tree: {e}")))?;
    if root != signed.checkpoint.root {
        let mirrored = ours.map(|c| c.note).unwrap_or_default();
        return Err(refused(
            "entries_do_not_match_checkpoint",
            format!(
                "entries {old_size}..{new_size} appended to the mirrored log do not hash to the origin's signed \
                 root (a fork, or altered entries).\norigin's:\n{text}mirrored:\n{mirrored}"
            ),
        ));
    }
    let mut batch = ReplicaBatch {
        old_size,
        entries: Vec::with_capacity(entries.len()),
        hashes: stored.into_iter().map(|(i, h)| (i, h.0)).collect(),
        checkpoint: StoredCheckpoint {
            tree_size: new_size,
            root_hash: root.0,
            note: text,
            cosigned: None,
        },
        packages: Vec::new(),
        templates: Vec::new(),
        lifecycles: Vec::new(),
        owners: Vec::new(),
        origin_url: replica.mirror.url.clone(),
        keys_json,
    };
    // What the new entries name: versions to fetch, and each version's last lifecycle change.
    let mut versions: Vec<(Artifact, String, String, usize)> = Vec::new();
    let mut changes: HashMap<(String, String), Entry> = HashMap::new();
    let mut owners = owner::Owners::default();
    for (k, bytes) in entries.into_iter().enumerate() {
        let index = old_size + k as u64;
        let entry = Entry::parse(&bytes)
            .map_err(|e| refused("malformed_entry", format!("entry {index}: {e}")))?;
        let field = |name: &str| entry.get(name).unwrap_or("").to_owned();
        let (kind, artifact, id, version) = match &entry {
            Entry::PackageVersion(_) => (
                "version",
                "package".to_owned(),
                field("package_id"),
                field("package_version"),
            ),
            Entry::TemplateVersion(_) => (
                "version",
                "template".to_owned(),
                field("template_id"),
                field("template_version"),
            ),
            Entry::Lifecycle(_) => (
                "lifecycle",
                field("artifact"),
                field("id"),
                field("version"),
            ),
            Entry::Ownership(_) => ("ownership", field("artifact"), field("id"), String::new()),
        };
        match &entry {
            Entry::PackageVersion(_) => {
                versions.push((Artifact::Package, id.clone(), version.clone(), k))
            }
            Entry::TemplateVersion(_) => {
                versions.push((Artifact::Template, id.clone(), version.clone(), k))
            }
            Entry::Lifecycle(_) if artifact == "package" => {
                changes.insert((id.clone(), version.clone()), entry.clone());
            }
            Entry::Ownership(_) => owners.logged(&artifact, &id, field("publisher_id")),
            _ => {}
        }
        batch.entries.push(ReplicaEntry {
            index,
            kind,
            artifact,
            id,
            version,
            entry: bytes,
        });
    }
    let logged = &batch.entries;
    let changes = &changes;
    let mut bulk = super::bulk::prefetch(replica, logged).await;
    // At most `jobs` versions in flight at any time, results in log order.
    // Built in a loop, not by a closure: a stream over a borrowing closure is not `Send` in the spawned follower.
    let mut fetches = Vec::with_capacity(versions.len());
    for (artifact, id, version, k) in &versions {
        let expected = match artifact {
            Artifact::Package => changes.get(&(id.clone(), version.clone())),
            Artifact::Template => None,
        };
        let index = logged[*k].index;
        let served = (bulk.records.remove(&index), bulk.receipts.remove(&index));
        fetches.push(fetch_version(
            replica,
            (*artifact, id, version),
            &logged[*k].entry,
            expected,
            served,
        ));
    }
    let results: Vec<Result<Option<Fetched>, Failure>> = futures_util::stream::iter(fetches)
        .buffered(replica.mirror.jobs.max(1))
        .collect()
        .await;
    let mut synced = Synced {
        old_size,
        new_size,
        ..Default::default()
    };
    let mut new_packages = std::collections::HashSet::new();
    for result in results {
        match result? {
            Some(Fetched::Package(p, shown)) => {
                owners.shown(Kind::Package, &p.package_id, &p.receipt.publisher_id, shown);
                new_packages.insert((p.package_id.clone(), p.package_version.clone()));
                batch.lifecycles.push((
                    p.package_id.clone(),
                    p.package_version.clone(),
                    p.lifecycle.clone(),
                ));
                batch.packages.push(p);
            }
            Some(Fetched::Template(t, shown)) => {
                owners.shown(
                    Kind::Template,
                    &t.template_id,
                    &t.receipt.publisher_id,
                    shown,
                );
                batch.templates.push(t);
            }
            None => synced.withdrawn += 1,
        }
    }
    synced.versions = batch.packages.len() + batch.templates.len();
    // Lifecycle changes of versions stored before: the state the origin serves must be the one logged last.
    for ((id, version), entry) in changes {
        if new_packages.contains(&(id.clone(), version.clone())) {
            continue;
        }
        let lifecycle = replayed_lifecycle(replica, id, version, entry).await?;
        batch
            .lifecycles
            .push((id.clone(), version.clone(), lifecycle));
        synced.lifecycles += 1;
    }
    batch.owners = owners.checked(replica, store).await?;
    store.replica_apply(&batch).await.map_err(store_failed)?;
    Ok(synced)
}

/// The entries `old_size..new_size` from the origin's entry bundles.
async fn fetch_entries(
    replica: &Replica,
    old_size: u64,
    new_size: u64,
) -> Result<Vec<Vec<u8>>, Failure> {
    let bundles: Vec<_> = verifier::tlog::paths::bundles_for_size(new_size)
        .into_iter()
        .filter(|p| p.start_entry() + u64::from(p.width()) > old_size)
        .collect();
    let gets = bundles
        .iter()
        .map(|path| replica.origin.get_owned(format!("/log/{path}")))
        .collect::<Vec<_>>();
    let answers: Vec<_> = futures_util::stream::iter(gets)
        .buffered(replica.mirror.jobs.max(1))
        .collect()
        .await;
    let answers = bundles.iter().zip(answers);
    let mut entries = Vec::new();
    for (path, answer) in answers {
        let answer = answer.map_err(Failure::Transient)?;
        if answer.status != 200 {
            return Err(unexpected(&format!("/log/{path}"), &answer));
        }
        let parsed = verifier::tlog::entry::parse_bundle(&answer.body, path.width() as usize)
            .map_err(|e| refused("malformed_bundle", format!("/log/{path}: {e}")))?;
        for (k, entry) in parsed.into_iter().enumerate() {
            if path.start_entry() + k as u64 >= old_size {
                entries.push(entry.to_vec());
            }
        }
    }
    Ok(entries)
}
