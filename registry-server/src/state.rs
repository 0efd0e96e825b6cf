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

/// What handlers share: one `Arc`, so the clone every middleware layer and extractor makes per request is one
/// reference count, not one per part.
#[derive(Clone, Debug)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

/// The parts of [`AppState`].
#[derive(Clone)]
pub struct Shared {
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
    /// Failed authentications by client address.
    pub auth_failures: Arc<crate::auth::rate::AuthFailureLimiter>,
    /// Salt of the audit events' client-address hash.
    ip_salt: Arc<[u8]>,
    /// The transparency log.
    pub log: Arc<crate::log::Log>,
    /// The replica's follower status (`--mirror-of`); `None` on a registry of its own.
    pub replica: Option<Arc<crate::replica::Replica>>,
    /// The `/keys` answer, serialised once the log's name is final (the keys come from the settings, which never
    /// change while the process runs).
    pub keys_body: std::sync::OnceLock<axum::body::Bytes>,
    /// SHA-256 of the publish token (the token itself is not kept).
    publish_token_hash: Option<[u8; 32]>,
    /// SHA-256 of the admin token.
    admin_token_hash: Option<[u8; 32]>,
}

impl std::fmt::Debug for Shared {
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

/// The configured audit salt, else 32 random bytes.
fn ip_salt(settings: &Settings) -> Arc<[u8]> {
    if let Some(salt) = &settings.tokens.audit_ip_salt {
        return Arc::from(salt.expose().as_bytes());
    }
    let mut salt = [0u8; 32];
    // Without randomness the salt is the fixed zero salt: the hash still hides nothing less than a log would.
    let _ = getrandom::fill(&mut salt);
    Arc::from(&salt[..])
}

impl AppState {
    /// The same state with the failed-authentication limit reading time from `clock` (tests drive the clock).
    pub fn with_auth_clock(mut self, clock: Arc<dyn crate::auth::rate::Clock>) -> Self {
        Arc::make_mut(&mut self.0).auth_failures =
            Arc::new(crate::auth::rate::AuthFailureLimiter::new(
                self.settings.tokens.auth_failures_per_minute,
                usize::try_from(self.settings.tokens.auth_failure_addresses).unwrap_or(usize::MAX),
                clock,
            ));
        self
    }

    /// The salt of the audit events' client-address hash.
    pub fn ip_salt(&self) -> &[u8] {
        &self.ip_salt
    }

    /// State for `settings` over `store`.
    pub fn new(store: SharedStore, settings: Settings) -> Result<Self, crate::error::Error> {
        let metrics = Arc::new(Metrics::default());
        let log = crate::log::Log::new(
            &settings.log,
            settings.public_base_url.as_deref(),
            settings.signing.signer.clone(),
            &settings.signing.keys,
        )?;
        let replica = match &settings.mirror {
            Some(mirror) => Some(Arc::new(crate::replica::Replica::new(mirror.clone())?)),
            None => None,
        };
        Ok(AppState(Arc::new(Shared {
            replica,
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
            auth_failures: Arc::new(crate::auth::rate::AuthFailureLimiter::new(
                settings.tokens.auth_failures_per_minute,
                usize::try_from(settings.tokens.auth_failure_addresses).unwrap_or(usize::MAX),
                Arc::new(crate::auth::rate::SystemClock::default()),
            )),
            ip_salt: ip_salt(&settings),
            keys_body: std::sync::OnceLock::new(),
            publishers: Arc::new(crate::auth::summary::Summaries::new(
                std::time::Duration::from_millis(settings.tokens.publisher_summary_ttl_ms),
            )),
            store,
            settings: Arc::new(settings),
            metrics,
        })))
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
