//! The transparency log (issue #10, LOG-DESIGN): entries written with each change, an integrator that sequences
//! them and signs checkpoints, the hash reads behind tiles and proofs, and witness cosigning.

pub mod config;
pub mod entry;
pub mod integrator;
pub mod metrics;
pub mod note;
pub mod proofs;
pub mod tree;
pub mod witness;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;

use quick_cache::sync::Cache;
use verifier::keys::SigningKey;

use crate::error::Error;
use crate::store::{LogStore, StoredCheckpoint};

/// The log as one server process runs it.
pub struct Log {
    /// The origin and verifier keys, once known ([`Log::resolve`]).
    name: OnceLock<LogName>,
    /// The name of a log without an id, used while migration 0010 is not applied.
    unmigrated: OnceLock<LogName>,
    /// The settings the origin is made from.
    args: config::LogArgs,
    public_base_url: Option<String>,
    /// Every trusted registry key, active first.
    trusted: Vec<verifier::keys::PublicKey>,
    /// Witnesses to push checkpoints to.
    pub witnesses: Vec<config::Witness>,
    /// Log metrics.
    pub metrics: metrics::LogMetrics,
    /// The client witnesses are called with ([`config::LogArgs::witness_client`]).
    witness_client: reqwest::Client,
    signer: SigningKey,
    batch_max: u32,
    interval: Duration,
    sequence_timeout: Duration,
    /// Integrator runs started (numbered from 1).
    started: AtomicU64,
    /// The number of the last run that finished with nothing visible left pending.
    completed: tokio::sync::watch::Sender<u64>,
    wake: tokio::sync::Notify,
    hashes: Cache<u64, [u8; 32]>,
    /// The tree size the witnesses last cosigned (pushes take turns under this lock, newest first wins).
    witnessed: tokio::sync::Mutex<u64>,
    latest: RwLock<Option<Arc<StoredCheckpoint>>>,
}

/// The log's name: its origin and, under it, the note verifier key of every trusted registry key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogName {
    /// The origin (checkpoint first line, note key name).
    pub origin: String,
    /// Note verifier keys (`name+hash+base64`) of every trusted registry key, active first.
    pub verifier_keys: Vec<String>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("name", &self.name.get())
            .field("witnesses", &self.witnesses)
            .finish_non_exhaustive()
    }
}

impl Log {
    /// The log of a server with `args`, signing with `signer` and trusting `keys` (active first). Its name is known
    /// at once when `args` or `public_base_url` gives the origin; else [`Log::resolve`] reads the log id from the
    /// store (the default origin carries it).
    pub fn new(
        args: &config::LogArgs,
        public_base_url: Option<&str>,
        signer: SigningKey,
        keys: &verifier::keys::KeySet,
    ) -> Result<Self, Error> {
        let mut trusted = vec![signer.public_key()];
        trusted.extend(keys.iter().map(|(_, key)| *key));
        let log = Log {
            name: OnceLock::new(),
            unmigrated: OnceLock::new(),
            args: args.clone(),
            public_base_url: public_base_url.map(str::to_owned),
            trusted,
            witnesses: args.witnesses()?,
            witness_client: args.witness_client()?,
            metrics: metrics::LogMetrics::new(),
            signer,
            batch_max: args.log_batch_max,
            interval: Duration::from_millis(args.log_interval_ms),
            sequence_timeout: Duration::from_millis(args.log_sequence_timeout_ms),
            started: AtomicU64::new(0),
            completed: tokio::sync::watch::Sender::new(0),
            wake: tokio::sync::Notify::new(),
            hashes: Cache::new(usize::try_from(args.log_hash_cache).unwrap_or(usize::MAX)),
            latest: RwLock::new(None),
            witnessed: tokio::sync::Mutex::new(0),
        };
        if args.log_origin.is_some() || public_base_url.is_some() {
            let _ = log.name.set(log.name_for(None)?);
        }
        Ok(log)
    }

    /// The name under log id `log_id`.
    fn name_for(&self, log_id: Option<&str>) -> Result<LogName, Error> {
        let origin = self.args.origin(self.public_base_url.as_deref(), log_id)?;
        let mut verifier_keys = Vec::new();
        for key in &self.trusted {
            let vkey = note::verifier_key(&origin, key)?;
            if !verifier_keys.contains(&vkey) {
                verifier_keys.push(vkey);
            }
        }
        Ok(LogName {
            origin,
            verifier_keys,
        })
    }

    /// The log's name, if known yet (see [`Log::resolve`]).
    pub fn name(&self) -> Option<&LogName> {
        self.name.get().or_else(|| self.unmigrated.get())
    }

    /// The log's name, reading the log id from `store` the first time when the origin is the default one. While
    /// migration 0010 is not applied it is the name of a log without an id, asked again each time (another replica
    /// may migrate: an empty log then gets its id).
    ///
    /// Errors: the store's (e.g. unreachable: the name is read again next time).
    pub async fn resolve(&self, store: &dyn crate::store::Store) -> Result<&LogName, Error> {
        if let Some(name) = self.name.get() {
            return Ok(name);
        }
        if !log_ids_migrated(store).await? {
            let name = self.name_for(None)?;
            return Ok(self.unmigrated.get_or_init(|| name));
        }
        let name = self.name_for(store.log_id().await?.as_deref())?;
        Ok(self.name.get_or_init(|| name))
    }

    /// Whether [`Log::resolve`] has found the log's final name (from then on it never changes).
    pub fn name_is_final(&self) -> bool {
        self.name.get().is_some()
    }

    /// Waits until every entry committed before this call is sequenced (an integrator run that started after it
    /// finished); 503 `log_unavailable` after the sequence timeout. The change itself is stored either way.
    pub async fn sequenced(&self) -> Result<(), Error> {
        let after = self.started.load(Ordering::SeqCst);
        let mut done = self.completed.subscribe();
        self.wake.notify_one();
        match tokio::time::timeout(self.sequence_timeout, done.wait_for(|c| *c > after)).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(unavailable(
                "the change is stored but its log entry was not sequenced in time; send it again to get its answer",
            )),
        }
    }

    /// The newest checkpoint this process knows, reading the store when it knows none or `at_least` is newer.
    pub async fn checkpoint(
        &self,
        store: &dyn LogStore,
        at_least: u64,
    ) -> Result<Arc<StoredCheckpoint>, Error> {
        if let Some(cp) = self.cached().filter(|cp| cp.tree_size >= at_least) {
            return Ok(cp);
        }
        self.refresh(store).await
    }

    /// Reads the newest checkpoint from the store (and remembers it).
    pub async fn refresh(&self, store: &dyn LogStore) -> Result<Arc<StoredCheckpoint>, Error> {
        let cp = store
            .log_latest_checkpoint()
            .await?
            .ok_or_else(|| unavailable("the log has no checkpoint yet"))?;
        Ok(self.remember(cp))
    }

    fn cached(&self) -> Option<Arc<StoredCheckpoint>> {
        self.latest.read().ok().and_then(|l| l.clone())
    }

    /// Keeps `cp` as the newest checkpoint unless a newer one is known; returns the newest.
    fn remember(&self, cp: StoredCheckpoint) -> Arc<StoredCheckpoint> {
        let cp = Arc::new(cp);
        let Ok(mut latest) = self.latest.write() else {
            return cp;
        };
        match &*latest {
            Some(known) if known.tree_size > cp.tree_size => known.clone(),
            Some(known) if known.tree_size == cp.tree_size && cp.cosigned.is_none() => {
                known.clone()
            }
            _ => {
                *latest = Some(cp.clone());
                cp
            }
        }
    }
}

/// The name migration 0010 (which gives each log its id) has in [`crate::store::MigrationStatus`].
const LOG_ID_MIGRATION: &str = "0010_log id";

/// Whether `store` has migration 0010 (log ids) applied.
async fn log_ids_migrated(store: &dyn crate::store::Store) -> Result<bool, Error> {
    Ok(store
        .migration_status()
        .await?
        .applied
        .iter()
        .any(|m| m == LOG_ID_MIGRATION))
}

/// 503 `log_unavailable` with `message`.
pub fn unavailable(message: &str) -> Error {
    Error::Refused {
        status: axum::http::StatusCode::SERVICE_UNAVAILABLE,
        code: "log_unavailable",
        message: message.to_owned(),
        context: serde_json::Map::new(),
    }
}
