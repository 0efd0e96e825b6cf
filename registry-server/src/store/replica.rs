//! What a read-only replica (`--mirror-of`) needs from a store: one transaction that stores a checked batch of the
//! origin's log (entries at the origin's indexes, their stored hashes, the origin's signed checkpoint) with the
//! versions and lifecycle changes those entries name, and the origin's `/keys` answer. Both backends expand the
//! same body (`shared_replica`).

use async_trait::async_trait;
use verifier::record::Lifecycle;

use crate::auth::summary::PublisherSummary;
use crate::error::Error;
use crate::replica::status::Refusal;
use crate::store::{Kind, StoredCheckpoint, StoredPackage, StoredTemplate};

/// One origin log entry with what the log tables index it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaEntry {
    /// The origin's index.
    pub index: u64,
    /// `version`, `lifecycle` or `ownership`.
    pub kind: &'static str,
    /// `package` or `template`.
    pub artifact: String,
    /// The artifact id.
    pub id: String,
    /// The artifact version (empty for ownership entries).
    pub version: String,
    /// The entry bytes.
    pub entry: Vec<u8>,
}

/// A checked batch: the origin's log from `old_size` to the checkpoint's size and what it names.
#[derive(Debug, Clone)]
pub struct ReplicaBatch {
    /// The replica's tree size the batch extends (the store refuses a batch whose base is not its size).
    pub old_size: u64,
    /// The new entries, in index order from `old_size`.
    pub entries: Vec<ReplicaEntry>,
    /// The new RFC 6962 stored hashes, `(stored-hash index, hash)`.
    pub hashes: Vec<(u64, [u8; 32])>,
    /// The origin's signed checkpoint at the new size (as the origin served it).
    pub checkpoint: StoredCheckpoint,
    /// New package versions (the origin's receipt, digests, publisher and publication time).
    pub packages: Vec<StoredPackage>,
    /// New template versions.
    pub templates: Vec<StoredTemplate>,
    /// Package lifecycles to set: `(id, version, lifecycle)` (after the inserts).
    pub lifecycles: Vec<(String, String, Lifecycle)>,
    /// Owners to set (after the inserts).
    pub owners: Vec<ReplicaOwner>,
    /// The origin URL (as configured).
    pub origin_url: String,
    /// The origin's `/keys` answer (JSON text).
    pub keys_json: String,
}

/// The owner of an artifact id as the origin shows it. The publisher id is checked: it is the one the log names
/// (the id's last `ownership` entry; before any, the receipt's publisher). The rest of the summary (type, display
/// name, website, status, trust level) is the origin's display data, which the log does not commit to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaOwner {
    /// Package or template.
    pub kind: Kind,
    /// The artifact id.
    pub id: String,
    /// The origin's `publisher` summary; `None` when it shows none (the ownership row is then not active here).
    pub summary: Option<PublisherSummary>,
}

/// The replica's own record of what it follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirrorState {
    /// The origin URL.
    pub origin_url: String,
    /// The origin's `/keys` answer at the last sync.
    pub keys_json: String,
    /// When it was stored (RFC 3339).
    pub synced_at: String,
}

/// Replica storage.
#[async_trait]
pub trait ReplicaStore: Send + Sync {
    /// Stores `batch` in one transaction: nothing of it is visible unless all of it is.
    ///
    /// Errors: [`Error::Internal`] when the store's log size is not `batch.old_size` (another writer moved it) or
    /// holds pending entries of its own; the store's errors.
    async fn replica_apply(&self, batch: &ReplicaBatch) -> Result<(), Error>;
    /// The stored origin state, if a sync ever stored one.
    async fn replica_state(&self) -> Result<Option<MirrorState>, Error>;
    /// The stored refusal, if the origin proved inconsistent and no operator resumed since.
    async fn replica_refusal(&self) -> Result<Option<Refusal>, Error>;
    /// Stores `refusal` (replacing any), or clears it with `None`.
    async fn replica_set_refusal(&self, refusal: Option<&Refusal>) -> Result<(), Error>;
    /// The bytes of the last `ownership` entry this store's log holds for `artifact` (`package`/`template`) `id`.
    async fn replica_logged_owner(
        &self,
        artifact: &str,
        id: &str,
    ) -> Result<Option<Vec<u8>>, Error>;
}
