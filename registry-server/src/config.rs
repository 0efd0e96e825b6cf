//! Configuration: one clap struct, every option a flag and its `ANIP_REGISTRY_*` variable (reference §6.2).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use verifier::keys::{KeyId, KeySet, SigningKey};

use crate::error::Error as StartupError;

/// The shortest publish token production mode accepts.
pub const MIN_PRODUCTION_TOKEN_LEN: usize = 32;

/// `registry-server`: the ANIP trust registry.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "registry-server",
    version,
    about = "The ANIP trust registry: validates, signs and serves ANIP packages and starter templates.",
    after_help = "Examples:\n  \
        registry-server                                   # dev mode, embedded SQLite store in ./.data, dev key\n  \
        ANIP_REGISTRY_DATABASE_URL=postgres://anip@db/anip_registry ANIP_REGISTRY_MODE=production \\\n    \
        ANIP_REGISTRY_KEY_ID=registry-2026-q4 ANIP_REGISTRY_ED25519_PRIVATE_KEY=... \\\n    \
        ANIP_REGISTRY_PUBLISH_TOKEN=... registry-server\n  \
        registry-server migrate                           # apply migrations and exit"
)]
pub struct Config {
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,

    /// Listen address: `host:port`, or `:port` for every interface. Default: `127.0.0.1:8200` in dev mode (a dev
    /// registry signs with the public key and is reachable from this machine only), `:8200` in production mode.
    #[arg(long, global = true, env = "ANIP_REGISTRY_ADDR", value_name = "ADDR")]
    pub addr: Option<String>,

    /// `postgres://…` or `sqlite://…`; unset means an embedded SQLite file in the data directory.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_DATABASE_URL",
        hide_env_values = true
    )]
    pub database_url: Option<Secret>,

    /// Where the embedded SQLite store lives when no database URL is set.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_DATA_DIR",
        default_value = ".data"
    )]
    pub data_dir: PathBuf,

    /// `dev` (the public development key is allowed) or `production` (refuses to start without a real key).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MODE",
        default_value = "dev",
        ignore_case = true
    )]
    pub mode: Mode,

    /// Id of the active signing key (required with a private key).
    #[arg(long, global = true, env = "ANIP_REGISTRY_KEY_ID")]
    pub key_id: Option<String>,

    /// Base64 of the active key's 32-byte seed or 64-byte private key.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_ED25519_PRIVATE_KEY",
        hide_env_values = true
    )]
    pub private_key: Option<Secret>,

    /// Retired public keys that stay trusted: `id=base64,id2=base64`.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS",
        default_value = ""
    )]
    pub extra_public_keys: String,

    /// Bearer token for publishing. Unset disables publishing (in dev mode on the embedded store a random token
    /// is made at start and printed once).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_PUBLISH_TOKEN",
        hide_env_values = true
    )]
    pub publish_token: Option<Secret>,

    /// Set to false to turn the publish token off (ANIP's name for it; on by default here).
    #[arg(long, global = true, env = "ANIP_REGISTRY_LEGACY_GLOBAL_PUBLISH_TOKEN_ENABLED", value_parser = parse_bool, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub legacy_global_publish_token_enabled: bool,

    /// Publisher id recorded for packages published with the token.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_PUBLISHER_ID",
        default_value = "studio-local"
    )]
    pub publisher_id: String,

    /// Publisher type recorded for packages published with the token.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_PUBLISHER_TYPE",
        default_value = "studio"
    )]
    pub publisher_type: String,

    /// Bearer token for the admin routes (lifecycle changes). Unset disables them.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_ADMIN_TOKEN",
        hide_env_values = true
    )]
    pub admin_token: Option<Secret>,

    /// Public base URL (`https://registry.example.com`), used for `registry_url` in served locks instead of the
    /// request's `Host` header.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_PUBLIC_BASE_URL",
        hide_env_values = true
    )]
    pub public_base_url: Option<String>,

    /// Trust `X-Forwarded-Proto` / `X-Forwarded-Host` (only behind a proxy that sets them).
    #[arg(long, global = true, env = "ANIP_REGISTRY_TRUST_FORWARDED_HEADERS", value_parser = parse_bool, default_value = "false", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub trust_forwarded_headers: bool,

    /// Apply pending migrations at start (under a lock, safe with several replicas).
    #[arg(long, global = true, env = "ANIP_REGISTRY_RUN_MIGRATIONS", value_parser = parse_bool, default_value = "true", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub run_migrations: bool,

    /// Apply migrations, report them and exit (same as the `migrate` command).
    #[arg(long, global = true, env = "ANIP_REGISTRY_MIGRATE_ONLY", value_parser = parse_bool, default_value = "false", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub migrate_only: bool,

    /// Publish the built-in demo package when the store is empty.
    #[arg(long, global = true, env = "ANIP_REGISTRY_SEED_DEMO", value_parser = parse_bool, default_value = "false", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub seed_demo: bool,

    /// Accepted for compatibility; the UI is embedded in the binary.
    #[arg(long, global = true, env = "ANIP_REGISTRY_UI_DIR", hide = true)]
    pub ui_dir: Option<PathBuf>,

    /// Log format on stdout.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_FORMAT",
        default_value = "json"
    )]
    pub log_format: LogFormat,

    /// Cache, download-counting, listing and UI limits.
    #[command(flatten)]
    pub tuning: crate::tuning::Tuning,
    /// Timeouts and caps of the HTTP edge and the store connection.
    #[command(flatten)]
    pub limits: crate::limits::LimitArgs,

    /// Publisher token lifetimes.
    #[command(flatten)]
    pub tokens: crate::auth::limits::TokenLimits,
}

/// Subcommands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Serve the registry (the default).
    Serve,
    /// Apply pending migrations, report them and exit.
    Migrate,
}

/// Signing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mode {
    /// Development: the public dev key is allowed and flagged everywhere.
    Dev,
    /// Production: a real key is required.
    Production,
}

impl Mode {
    /// `dev` or `production`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Dev => "dev",
            Mode::Production => "production",
        }
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line.
    Json,
    /// Human-readable lines.
    Text,
}

/// A secret string: never shown by `Debug` or `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// The secret itself; call only where it is used.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

/// Booleans as ANIP spells them: `1|true|yes|on` and `0|false|no|off`, any case. Anything else is an error.
pub fn parse_bool(text: &str) -> Result<bool, String> {
    match text.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" | "" => Ok(false),
        other => Err(format!(
            "{other:?} is not a boolean (use true/false, 1/0, yes/no, on/off)"
        )),
    }
}

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
        let signing = self.signing()?;
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
            if signing.dev_key {
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
        if self.publish_token.is_none()
            && self.legacy_global_publish_token_enabled
            && self.mode == Mode::Dev
            && store.is_embedded()
        {
            publish_token = Some(Secret(random_token()?));
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

/// The port a registry listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 8200;

/// The listen address without `ANIP_REGISTRY_ADDR`: loopback in dev mode, every interface in production mode.
pub fn default_addr(mode: Mode) -> SocketAddr {
    match mode {
        Mode::Dev => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
        Mode::Production => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), DEFAULT_PORT),
    }
}

/// `http://host:port` that reaches a server listening on `addr` from this machine: an unspecified address
/// (`0.0.0.0`, `[::]`, which no client can connect to) becomes the loopback address of its family.
pub fn local_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn parse_addr(text: &str) -> Result<SocketAddr, StartupError> {
    let text = text.trim();
    let parsed = match text.strip_prefix(':') {
        Some(port) => port
            .parse::<u16>()
            .ok()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), p)),
        None => text.parse::<SocketAddr>().ok().or_else(|| {
            let (host, port) = text.rsplit_once(':')?;
            let port = port.parse::<u16>().ok()?;
            (host == "localhost").then(|| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port))
        }),
    };
    parsed.ok_or_else(|| {
        StartupError::Config(format!(
            "ANIP_REGISTRY_ADDR {text:?} is not host:port or :port"
        ))
    })
}

fn parse_database_url(url: &str) -> Result<StoreLocation, StartupError> {
    let url = url.trim();
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(StoreLocation::Postgres(Secret(url.to_owned())));
    }
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        let path = path.split('?').next().unwrap_or("");
        if path.is_empty() {
            return Err(StartupError::Config(
                "a sqlite:// database URL needs a file path".into(),
            ));
        }
        return Ok(StoreLocation::Sqlite(PathBuf::from(path)));
    }
    Err(StartupError::Config(
        "ANIP_REGISTRY_DATABASE_URL must start with postgres://, postgresql:// or sqlite://".into(),
    ))
}

/// A fresh random publish token (`anip_dev_` + 64 hex digits).
fn random_token() -> Result<String, StartupError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| StartupError::Config(format!("no randomness for a token: {e}")))?;
    Ok(format!("anip_dev_{}", hex::encode(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(args: &[&str]) -> Config {
        let mut all = vec!["registry-server"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap()
    }

    #[test]
    fn a_dev_registry_listens_on_loopback_unless_told_otherwise() {
        let dev = config(&["--data-dir", "/tmp/x"]).settings().unwrap();
        assert_eq!(dev.addr, "127.0.0.1:8200".parse().unwrap());
        let told = config(&["--data-dir", "/tmp/x", "--addr", ":9"])
            .settings()
            .unwrap();
        assert_eq!(told.addr, "0.0.0.0:9".parse().unwrap());
        assert_eq!(
            default_addr(Mode::Production),
            "0.0.0.0:8200".parse().unwrap()
        );
    }

    #[test]
    fn the_announced_url_is_one_a_client_can_reach() {
        for (addr, url) in [
            ("0.0.0.0:8200", "http://127.0.0.1:8200"),
            ("[::]:8200", "http://[::1]:8200"),
            ("127.0.0.1:0", "http://127.0.0.1:0"),
            ("192.0.2.7:80", "http://192.0.2.7:80"),
        ] {
            assert_eq!(local_url(addr.parse().unwrap()), url);
        }
    }

    #[test]
    fn a_public_base_url_with_credentials_is_refused_without_echoing_them() {
        for url in [
            "https://user:s3cret-pw@registry.example.com",
            "http://s3cret-pw@registry.example.com:8200/x",
        ] {
            let error = config(&["--data-dir", "/tmp/x", "--public-base-url", url])
                .settings()
                .unwrap_err()
                .to_string();
            assert!(error.contains("credentials"), "{error}");
            assert!(!error.contains("s3cret-pw"), "{error}");
        }
        let error = config(&[
            "--data-dir",
            "/tmp/x",
            "--public-base-url",
            "ftp://u:s3cret-pw@h",
        ])
        .settings()
        .unwrap_err()
        .to_string();
        assert!(!error.contains("s3cret-pw"), "{error}");
        let ok = config(&[
            "--data-dir",
            "/tmp/x",
            "--public-base-url",
            "https://h/p?a=b@c",
        ]);
        assert!(ok.settings().is_ok());
    }

    #[test]
    fn addresses() {
        assert_eq!(parse_addr(":8200").unwrap().port(), 8200);
        assert_eq!(parse_addr("127.0.0.1:0").unwrap().port(), 0);
        assert!(parse_addr("localhost:9").is_ok());
        assert!(parse_addr("nonsense").is_err());
    }

    #[test]
    fn database_urls() {
        assert!(matches!(
            parse_database_url("postgres://u@h/db"),
            Ok(StoreLocation::Postgres(_))
        ));
        assert_eq!(
            parse_database_url("sqlite:///tmp/x.db").unwrap(),
            StoreLocation::Sqlite(PathBuf::from("/tmp/x.db"))
        );
        assert!(parse_database_url("mysql://x").is_err());
        assert!(parse_database_url("sqlite://").is_err());
    }

    #[test]
    fn dev_mode_on_the_embedded_store_makes_a_token() {
        let settings = config(&["--data-dir", "/tmp/x"]).settings().unwrap();
        assert!(settings.generated_token);
        assert!(settings.signing.dev_key);
        assert!(
            settings
                .publish_token
                .unwrap()
                .expose()
                .starts_with("anip_dev_")
        );
    }

    #[test]
    fn production_refusals() {
        let key = SigningKey::from_seed(KeyId::new("k").unwrap(), &[7; 32]);
        let seed = key.seed_base64();
        let dev_seed = SigningKey::dev().seed_base64();
        let token = "t".repeat(32);
        assert!(config(&["--mode", "production"]).settings().is_err());
        assert!(
            config(&[
                "--mode",
                "PRODUCTION",
                "--key-id",
                "k",
                "--private-key",
                &dev_seed
            ])
            .settings()
            .is_err()
        );
        assert!(
            config(&[
                "--mode",
                "production",
                "--key-id",
                "k",
                "--private-key",
                &seed,
                "--publish-token",
                "short"
            ])
            .settings()
            .is_err()
        );
        assert!(
            config(&["--mode", "production", "--private-key", &seed])
                .settings()
                .is_err()
        );
        let ok = config(&[
            "--mode",
            "production",
            "--key-id",
            "k",
            "--private-key",
            &seed,
            "--publish-token",
            &token,
        ])
        .settings()
        .unwrap();
        assert!(!ok.signing.dev_key && !ok.generated_token);
        assert!(!format!("{ok:?}").contains(&seed));
        assert!(!format!("{ok:?}").contains(&token));
    }

    #[test]
    fn more_production_refusals_and_the_legacy_switch() {
        let key = SigningKey::from_seed(KeyId::new("k").unwrap(), &[7; 32]);
        let seed = key.seed_base64();
        let token = "t".repeat(32);
        let dev_extra = format!("old={}", SigningKey::dev().public_key().to_base64());
        let base = [
            "--mode",
            "production",
            "--key-id",
            "k",
            "--private-key",
            &seed,
            "--publish-token",
            &token,
        ];
        let with = |extra: &[&str]| {
            let mut args = base.to_vec();
            args.extend_from_slice(extra);
            config(&args).settings()
        };
        assert!(
            with(&["--extra-public-keys", &dev_extra]).is_err(),
            "dev key trusted in production"
        );
        assert!(
            with(&["--admin-token", "short"]).is_err(),
            "short admin token"
        );
        assert!(
            with(&["--admin-token", &token]).is_err(),
            "admin token equal to the publish token"
        );
        assert!(with(&["--admin-token", &"a".repeat(40)]).is_ok());
        let off = with(&["--legacy-global-publish-token-enabled", "false"]).unwrap();
        assert!(
            off.publish_token.is_none(),
            "the switch turns the token off"
        );
        let dev_off = config(&[
            "--data-dir",
            "/tmp/x",
            "--legacy-global-publish-token-enabled=false",
        ])
        .settings()
        .unwrap();
        assert!(dev_off.publish_token.is_none() && !dev_off.generated_token);
    }

    #[test]
    fn extra_keys_follow_the_active_key() {
        let old = SigningKey::from_seed(KeyId::new("old").unwrap(), &[1; 32]);
        let new = SigningKey::from_seed(KeyId::new("new").unwrap(), &[2; 32]);
        let extras = format!(
            "old={},new={}",
            old.public_key().to_base64(),
            new.public_key().to_base64()
        );
        let settings = config(&[
            "--key-id",
            "new",
            "--private-key",
            &new.seed_base64(),
            "--extra-public-keys",
            &extras,
        ])
        .settings()
        .unwrap();
        let ids: Vec<String> = settings
            .signing
            .keys
            .iter()
            .map(|(id, _)| id.to_string())
            .collect();
        assert_eq!(ids, ["new", "old"]);
        let clash = format!("new={}", old.public_key().to_base64());
        assert!(
            config(&[
                "--key-id",
                "new",
                "--private-key",
                &new.seed_base64(),
                "--extra-public-keys",
                &clash
            ])
            .settings()
            .is_err()
        );
    }

    #[test]
    fn publisher_identity_follows_the_text_rules() {
        for args in [
            ["--publisher-id", "studio\u{0}\u{1b}[31mred"],
            ["--publisher-type", "studio\nofficial"],
            ["--publisher-type", "org\u{85}x"],
        ] {
            let mut all = vec!["--data-dir", "/tmp/x"];
            all.extend_from_slice(&args);
            let error = config(&all).settings().unwrap_err().to_string();
            assert!(error.contains("no control characters"), "{args:?}: {error}");
        }
        let long = "p".repeat(verifier::validate::MAX_TEXT_FIELD_BYTES + 1);
        assert!(config(&["--publisher-id", &long]).settings().is_err());
        let ok = config(&[
            "--data-dir",
            "/tmp/x",
            "--publisher-id",
            " acme ",
            "--publisher-type",
            "org",
        ]);
        assert_eq!(ok.settings().unwrap().publisher_id, "acme");
    }

    #[test]
    fn an_extra_key_with_the_active_key_bytes_is_refused() {
        let active = SigningKey::from_seed(KeyId::new("active").unwrap(), &[3; 32]);
        let other = SigningKey::from_seed(KeyId::new("other").unwrap(), &[4; 32]);
        let b64 = |k: &SigningKey| k.public_key().to_base64();
        let with = |extras: String| {
            config(&[
                "--key-id",
                "active",
                "--private-key",
                &active.seed_base64(),
                "--extra-public-keys",
                &extras,
            ])
            .settings()
        };
        let error = with(format!("alias={}", b64(&active)))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("key alias has the same bytes as key active"),
            "{error}"
        );
        let error = with(format!("old={},older={}", b64(&other), b64(&other)))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("key older has the same bytes as key old"),
            "{error}"
        );
        // The active key listed under its own id stays accepted, once.
        let same = with(format!("active={},old={}", b64(&active), b64(&other))).unwrap();
        assert_eq!(same.signing.keys.len(), 2);
        let dev_alias = format!("alias={}", SigningKey::dev().public_key().to_base64());
        assert!(
            config(&["--data-dir", "/tmp/x", "--extra-public-keys", &dev_alias])
                .settings()
                .is_err()
        );
    }

    #[test]
    fn booleans() {
        assert_eq!(parse_bool("YES"), Ok(true));
        assert_eq!(parse_bool("off"), Ok(false));
        assert!(parse_bool("maybe").is_err());
    }
}
