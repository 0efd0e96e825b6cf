//! Shared state handed to every handler: the store and its breaker, the settings, the signer and the metrics.

use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::breaker::StoreBreaker;
use crate::cache::VersionCache;
use crate::config::{Secret, Settings};
use crate::downloads::DownloadCounter;
use crate::metrics::Metrics;
use crate::store::SharedStore;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: SharedStore,
    /// Checked settings.
    pub settings: Arc<Settings>,
    /// Metrics.
    pub metrics: Arc<Metrics>,
    /// Immutable parts of published versions, bounded by bytes.
    pub cache: Arc<VersionCache>,
    /// Downloads counted in memory, flushed to the store in batches.
    pub downloads: Arc<DownloadCounter>,
    /// Permits for unpaged listings streamed at once.
    pub listings: Arc<tokio::sync::Semaphore>,
    /// The UI's own threads and concurrency bound.
    pub ui: Arc<crate::ui::pool::UiPool>,
    /// Whether the store is known to be down.
    pub breaker: Arc<StoreBreaker>,
    /// Owners' summaries for records, briefly cached.
    pub publishers: Arc<crate::auth::summary::Summaries>,
    /// The transparency log.
    pub log: Arc<crate::log::Log>,
    /// SHA-256 of the publish token (the token itself is not kept).
    publish_token_hash: Option<[u8; 32]>,
    /// SHA-256 of the admin token.
    admin_token_hash: Option<[u8; 32]>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.store.backend())
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}

fn hash(secret: &Secret) -> [u8; 32] {
    Sha256::digest(secret.expose().as_bytes()).into()
}

/// Whether `presented` hashes to `expected`, compared in constant time.
fn matches(expected: Option<&[u8; 32]>, presented: &str) -> bool {
    let Some(expected) = expected else {
        return false;
    };
    let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
    bool::from(expected.ct_eq(&presented))
}

impl AppState {
    /// `<scheme>://<host>` of this registry as its users reach it, the one rule the served locks and the UI share:
    /// the configured public URL, else the request's `Host` (`x-forwarded-proto` / `x-forwarded-host` only when
    /// forwarded headers are trusted); `http` and `localhost` when nothing says otherwise.
    pub fn public_origin(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(base) = &self.settings.public_base_url {
            return base.clone();
        }
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        let trusted = self.settings.trust_forwarded_headers;
        let scheme = trusted
            .then(|| header("x-forwarded-proto"))
            .flatten()
            .unwrap_or("http");
        let host = trusted
            .then(|| header("x-forwarded-host"))
            .flatten()
            .or_else(|| header(axum::http::header::HOST.as_str()))
            .unwrap_or("localhost");
        format!("{scheme}://{host}")
    }
}

impl AppState {
    /// State for `settings` over `store`.
    pub fn new(store: SharedStore, settings: Settings) -> Result<Self, crate::error::Error> {
        let metrics = Arc::new(Metrics::default());
        let log = crate::log::Log::new(
            &settings.log,
            settings.public_base_url.as_deref(),
            settings.signing.signer.clone(),
            &settings.signing.keys,
        )?;
        Ok(AppState {
            log: Arc::new(log),
            breaker: Arc::new(StoreBreaker::new(metrics.clone())),
            publish_token_hash: settings.publish_token.as_ref().map(hash),
            admin_token_hash: settings.admin_token.as_ref().map(hash),
            cache: Arc::new(VersionCache::new(settings.tuning.cache_bytes)),
            downloads: Arc::new(DownloadCounter::default()),
            listings: Arc::new(tokio::sync::Semaphore::new(
                settings.tuning.max_concurrent_listings as usize,
            )),
            ui: Arc::new(crate::ui::pool::UiPool::new(settings.tuning.ui_threads())),
            publishers: Arc::new(crate::auth::summary::Summaries::new(
                std::time::Duration::from_millis(settings.tokens.publisher_summary_ttl_ms),
            )),
            store,
            settings: Arc::new(settings),
            metrics,
        })
    }

    /// Whether publishing is possible at all.
    pub fn publishing_enabled(&self) -> bool {
        self.publish_token_hash.is_some()
    }

    /// Whether `token` is the publish token.
    pub fn is_publish_token(&self, token: &str) -> bool {
        matches(self.publish_token_hash.as_ref(), token)
    }

    /// Whether admin routes are enabled.
    pub fn admin_enabled(&self) -> bool {
        self.admin_token_hash.is_some()
    }

    /// Whether `token` is the admin token.
    pub fn is_admin_token(&self, token: &str) -> bool {
        matches(self.admin_token_hash.as_ref(), token)
    }
}
