//! Checked settings derived from the flags: signing keys, store location, tokens and production-mode refusals.

use std::net::SocketAddr;
use std::path::PathBuf;

use verifier::keys::{KeyId, KeySet, SigningKey};

use super::parse::{parse_addr, parse_database_url, random_token};
use super::{Command, Config, MIN_PRODUCTION_TOKEN_LEN, Mode, Secret, default_addr};
use crate::error::Error as StartupError;

/// Where records live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreLocation {
    /// A Postgres URL.
    Postgres(Secret),
    /// A SQLite file (created when missing).
    Sqlite(PathBuf),
}

impl StoreLocation {
    /// Whether this is the embedded SQLite store.
    pub fn is_embedded(&self) -> bool {
        matches!(self, StoreLocation::Sqlite(_))
    }
}

/// The signing keys: the active signer and every trusted public key (active first).
#[derive(Debug, Clone)]
pub struct Signing {
    /// Signs new receipts.
    pub signer: SigningKey,
    /// Active key first, then the extra keys in order.
    pub keys: KeySet,
    /// Whether the active key is the public development key.
    pub dev_key: bool,
}

/// Checked settings, derived from a [`Config`].
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub addr: SocketAddr,
    /// The store.
    pub store: StoreLocation,
    /// Signing mode.
    pub mode: Mode,
    /// Keys.
    pub signing: Signing,
    /// Publish token (None: publishing disabled).
    pub publish_token: Option<Secret>,
    /// Whether the publish token was generated at start (dev mode, embedded store).
    pub generated_token: bool,
    /// Publisher identity for the token.
    pub publisher_id: String,
    /// Publisher type for the token.
    pub publisher_type: String,
    /// Admin token.
    pub admin_token: Option<Secret>,
    /// Public base URL, without trailing `/`.
    pub public_base_url: Option<String>,
    /// Trust forwarded headers.
    pub trust_forwarded_headers: bool,
    /// Run migrations at start.
    pub run_migrations: bool,
    /// Migrate and exit.
    pub migrate_only: bool,
    /// Seed the demo package.
    pub seed_demo: bool,
    /// Cache, download-counting, listing and UI limits.
    pub tuning: crate::tuning::Tuning,
    /// Timeouts and the connection cap of the HTTP edge.
    pub edge: crate::limits::EdgeLimits,
    /// How long requests wait for the store, and how often a down store is probed.
    pub store_limits: crate::limits::StoreLimits,
    /// Publisher token lifetimes.
    pub tokens: crate::auth::limits::TokenLimits,
    /// Transparency-log settings (origin and witnesses checked at start).
    pub log: crate::log::config::LogArgs,
    /// Read-only replica of another registry (`--mirror-of`); `None` for a registry of its own.
    pub mirror: Option<crate::replica::config::Mirror>,
}

impl Config {
    /// Checks the configuration and derives the settings, refusing what production mode forbids.
    pub fn settings(&self) -> Result<Settings, StartupError> {
        let addr = match self.addr.as_deref().filter(|a| !a.trim().is_empty()) {
            Some(addr) => parse_addr(addr)?,
            None => default_addr(self.mode),
        };
        let (edge, store_limits) = self.limits.check().map_err(StartupError::Config)?;
        let store = match &self.database_url {
            Some(url) if !url.expose().trim().is_empty() => parse_database_url(url.expose())?,
            _ => StoreLocation::Sqlite(self.data_dir.join("registry.db")),
        };
        let mut signing = self.signing()?;
        let mirror = self.mirror.check()?;
        // ANIP's registry ignores the token unless this is true; an operator who set it to false meant "off".
        let mut publish_token = self
            .publish_token
            .clone()
            .filter(|t| !t.expose().trim().is_empty())
            .filter(|_| self.legacy_global_publish_token_enabled);
        let admin_token = self
            .admin_token
            .clone()
            .filter(|t| !t.expose().trim().is_empty());
        if let (Some(admin), Some(publish)) = (&admin_token, &publish_token)
            && admin == publish
        {
            return Err(StartupError::Config(
                "ANIP_REGISTRY_ADMIN_TOKEN must differ from ANIP_REGISTRY_PUBLISH_TOKEN".into(),
            ));
        }
        if self.mode == Mode::Production {
            // A replica signs nothing: its key is never used.
            if signing.dev_key && mirror.is_none() {
                return Err(StartupError::Config(
                    "production mode refuses the public development key: set ANIP_REGISTRY_KEY_ID and \
                     ANIP_REGISTRY_ED25519_PRIVATE_KEY to a key made with registry-keygen"
                        .into(),
                ));
            }
            if let Some(token) = &publish_token
                && token.expose().len() < MIN_PRODUCTION_TOKEN_LEN
            {
                return Err(StartupError::Config(format!(
                    "production mode needs a publish token of at least {MIN_PRODUCTION_TOKEN_LEN} characters"
                )));
            }
            if let Some(token) = &admin_token
                && token.expose().len() < MIN_PRODUCTION_TOKEN_LEN
            {
                return Err(StartupError::Config(format!(
                    "production mode needs an admin token of at least {MIN_PRODUCTION_TOKEN_LEN} characters"
                )));
            }
            if signing
                .keys
                .iter()
                .any(|(_, key)| verifier::keys::is_dev_public_key(key))
            {
                return Err(StartupError::Config(
                    "production mode refuses to trust the public development key (listed in \
                     ANIP_REGISTRY_EXTRA_PUBLIC_KEYS): anyone can sign with it"
                        .into(),
                ));
            }
        }
        let mut generated_token = false;
        if let Some(mirror) = &mirror {
            // A replica takes no publish: every receipt it serves is the origin's, checked under the pinned keys.
            publish_token = None;
            signing.keys = mirror.keys.clone();
            signing.dev_key = mirror
                .keys
                .iter()
                .any(|(_, key)| verifier::keys::is_dev_public_key(key));
        } else if self.publish_token.is_none()
            && self.legacy_global_publish_token_enabled
            && self.mode == Mode::Dev
            && store.is_embedded()
        {
            publish_token = Some(Secret::from(random_token()?));
            generated_token = true;
        }
        let public_base_url = self
            .public_base_url
            .as_ref()
            .map(|u| u.trim().trim_end_matches('/').to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &public_base_url {
            // The value is not echoed: it could carry a password.
            let Some(rest) = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"))
            else {
                return Err(StartupError::Config(
                    "ANIP_REGISTRY_PUBLIC_BASE_URL must start with http:// or https://".into(),
                ));
            };
            if rest
                .split(['/', '?', '#'])
                .next()
                .unwrap_or("")
                .contains('@')
            {
                return Err(StartupError::Config(
                    "ANIP_REGISTRY_PUBLIC_BASE_URL must not carry credentials (user:password@): it is written \
                     into every lock the registry serves"
                        .into(),
                ));
            }
        }
        // The publisher identity is signed into every receipt: the text rules of every signed field.
        for (var, value) in [
            ("ANIP_REGISTRY_PUBLISHER_ID", &self.publisher_id),
            ("ANIP_REGISTRY_PUBLISHER_TYPE", &self.publisher_type),
        ] {
            if !verifier::validate::is_valid_text_field(value.trim()) {
                return Err(StartupError::Config(format!(
                    "{var} must be at most {} bytes with no control characters",
                    verifier::validate::MAX_TEXT_FIELD_BYTES
                )));
            }
        }
        self.log.origin(public_base_url.as_deref(), None)?;
        self.log.witnesses()?;
        self.log.witness_client()?;
        Ok(Settings {
            addr,
            store,
            mode: self.mode,
            signing,
            publish_token,
            generated_token,
            publisher_id: self.publisher_id.trim().to_owned(),
            publisher_type: self.publisher_type.trim().to_owned(),
            admin_token,
            public_base_url,
            trust_forwarded_headers: self.trust_forwarded_headers,
            run_migrations: self.run_migrations,
            migrate_only: self.migrate_only || matches!(self.command, Some(Command::Migrate)),
            seed_demo: self.seed_demo,
            tuning: self.tuning.clone(),
            edge,
            store_limits,
            tokens: self.tokens.clone(),
            log: self.log.clone(),
            mirror,
        })
    }

    fn signing(&self) -> Result<Signing, StartupError> {
        let private_key = self
            .private_key
            .as_ref()
            .filter(|k| !k.expose().trim().is_empty());
        let signer = match (
            private_key,
            self.key_id
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty()),
        ) {
            (Some(key), Some(id)) => {
                let id = KeyId::new(id).map_err(|e| {
                    StartupError::Config(format!("ANIP_REGISTRY_KEY_ID: {}", e.message))
                })?;
                SigningKey::from_base64(id, key.expose())
                    .map_err(|e| StartupError::Config(e.to_string()))?
            }
            (Some(_), None) => {
                return Err(StartupError::Config(
                    "ANIP_REGISTRY_KEY_ID is required when ANIP_REGISTRY_ED25519_PRIVATE_KEY is set".into(),
                ));
            }
            (None, _) if self.mode == Mode::Production => {
                return Err(StartupError::Config(
                    "ANIP_REGISTRY_ED25519_PRIVATE_KEY is required when ANIP_REGISTRY_MODE=production".into(),
                ));
            }
            (None, _) => SigningKey::dev(),
        };
        let extras = KeySet::parse_list(&self.extra_public_keys)
            .map_err(|e| StartupError::Config(e.to_string()))?;
        let mut keys = KeySet::of(signer.key_id().clone(), signer.public_key());
        for (id, key) in extras.iter() {
            if id == signer.key_id() {
                if *key != signer.public_key() {
                    return Err(StartupError::Config(format!(
                        "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS lists key id {id} with bytes that differ from the active key"
                    )));
                }
                continue;
            }
            keys.insert(id.clone(), *key).map_err(|e| {
                StartupError::Config(format!(
                    "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS: {} (the active key is {})",
                    e.message,
                    signer.key_id()
                ))
            })?;
        }
        Ok(Signing {
            dev_key: signer.is_dev_key(),
            signer,
            keys,
        })
    }
}
