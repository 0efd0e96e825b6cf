//! `PublisherSummary` (`publisher` in records, reference §1.4): the owner of an artifact while its ownership row
//! is active, as JSON text, cached for a short configurable time (`ANIP_REGISTRY_PUBLISHER_SUMMARY_TTL_MS`) so
//! that record reads and downloads do not pay a database round trip each. Changes made through this process clear
//! the cache at once; other replicas see them within the time-to-live.

use std::time::{Duration, Instant};

use quick_cache::sync::Cache;
use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::store::{Kind, SharedStore};

/// The most artifacts whose summary is kept.
const ENTRIES: usize = 10_000;

/// `PublisherSummary`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublisherSummary {
    /// Id.
    pub publisher_id: String,
    /// Type.
    pub publisher_type: String,
    /// Shown name.
    pub display_name: String,
    /// Website, if any.
    #[serde(skip_serializing_if = "String::is_empty", default)]
    pub website_url: String,
    /// Status.
    pub status: String,
    /// Trust level.
    pub trust_level: String,
}

/// Summaries by artifact, each with the time it was read.
#[derive(Debug)]
pub struct Summaries {
    ttl: Duration,
    entries: Cache<(Kind, String), (Instant, Option<String>)>,
}

impl Summaries {
    /// A cache keeping each summary for `ttl` (zero: always read the store).
    pub fn new(ttl: Duration) -> Self {
        Summaries {
            ttl,
            entries: Cache::new(ENTRIES),
        }
    }

    /// The summary of `id`'s owner as JSON text, or `None` without an active ownership row.
    pub async fn get(
        &self,
        store: &SharedStore,
        kind: Kind,
        id: &str,
    ) -> Result<Option<String>, Error> {
        let key = (kind, id.to_owned());
        if let Some((at, text)) = self.entries.get(&key)
            && at.elapsed() < self.ttl
        {
            return Ok(text);
        }
        let summary = store.publisher_summary(kind, id).await?;
        let text = summary.and_then(|s| serde_json::to_string(&s).ok());
        if !self.ttl.is_zero() {
            self.entries.insert(key, (Instant::now(), text.clone()));
        }
        Ok(text)
    }

    /// Forgets `id`'s summary (after a claim of it made here).
    pub fn forget(&self, kind: Kind, id: &str) {
        self.entries.remove(&(kind, id.to_owned()));
    }

    /// Forgets every summary (after a change to publishers or ownership made here).
    pub fn clear(&self) {
        self.entries.clear();
    }
}
