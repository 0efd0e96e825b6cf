//! What the transparency log needs from a store: sequencing pending entries, and reading entries, stored hashes
//! and checkpoints. Both backends expand the same body (`shared_log`).

use async_trait::async_trait;

use crate::error::Error;

/// A signed checkpoint as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCheckpoint {
    /// Leaves in the tree.
    pub tree_size: u64,
    /// RFC 6962 root hash.
    pub root_hash: [u8; 32],
    /// The signed note (the registry's signature only).
    pub note: String,
    /// The note with witness cosignatures added, once any witness cosigned.
    pub cosigned: Option<String>,
}

/// What one integrator run did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Integrated {
    /// Entries given indexes by this run.
    pub moved: u64,
    /// Whether pending entries were left for the next run (the batch was full).
    pub more: bool,
    /// The checkpoint this run stored (`None`: nothing new).
    pub checkpoint: Option<StoredCheckpoint>,
    /// The tree size before the run.
    pub old_size: u64,
}

/// Signs the checkpoint of `(size, root)`: returns the signed note text.
pub type CheckpointSigner<'a> = &'a (dyn Fn(u64, &[u8; 32]) -> Result<String, Error> + Send + Sync);

/// One sequenced entry: its index and bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// Leaf index.
    pub index: u64,
    /// Entry bytes.
    pub entry: Vec<u8>,
}

/// The log's store operations.
#[async_trait]
pub trait LogStore: Send + Sync {
    /// One integrator run, in one transaction holding the coordination row: moves up to `batch_max` pending
    /// entries (pending-id order) to the next indexes, stores their stored hashes and the checkpoint `sign`
    /// makes, and deletes them from the pending table. With nothing pending it stores a checkpoint only when
    /// the current size has none.
    async fn log_integrate(
        &self,
        batch_max: u32,
        sign: CheckpointSigner<'_>,
    ) -> Result<Integrated, Error>;
    /// The newest checkpoint, if any.
    async fn log_latest_checkpoint(&self) -> Result<Option<StoredCheckpoint>, Error>;
    /// The checkpoint of exactly `tree_size`, if stored.
    async fn log_checkpoint(&self, tree_size: u64) -> Result<Option<StoredCheckpoint>, Error>;
    /// Stores the cosigned note of the checkpoint of `tree_size`.
    async fn log_set_cosigned(&self, tree_size: u64, cosigned: &str) -> Result<(), Error>;
    /// Stored hashes at `indexes` (those present; callers check completeness).
    async fn log_hashes(&self, indexes: &[u64]) -> Result<Vec<(u64, [u8; 32])>, Error>;
    /// Entries with indexes in `start..end`, in index order.
    async fn log_entries(&self, start: u64, end: u64) -> Result<Vec<Vec<u8>>, Error>;
    /// The package versions the version entries with indexes in `start..end` name (by the entry's stored artifact
    /// columns: callers compare them with the entry's bytes), with their documents and stored state (lifecycle, the
    /// flushed download count), in index order; versions no longer stored are left out. One query.
    async fn log_packages(
        &self,
        start: u64,
        end: u64,
    ) -> Result<Vec<(u64, super::StoredPackage, super::PackageState)>, Error>;
    /// The `version` entry of `artifact` (`package`/`template`) `id@version`, once sequenced.
    async fn log_version_entry(
        &self,
        artifact: &str,
        id: &str,
        version: &str,
    ) -> Result<Option<LogEntry>, Error>;
    /// How many entries wait for an index.
    async fn log_pending_count(&self) -> Result<i64, Error>;
    /// The log's random id (16 lowercase hex digits, made by migration 0010 for a log without entries); `None` for
    /// a log that had entries before that migration (its origin stays the one it signed them under). Errors when
    /// migration 0010 is not applied (see [`crate::log::Log::resolve`]).
    async fn log_id(&self) -> Result<Option<String>, Error>;
}
