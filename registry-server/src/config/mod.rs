//! Configuration: one clap struct, every option a flag and its `ANIP_REGISTRY_*` variable (reference §6.2).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod parse;
mod settings;
#[cfg(test)]
mod tests;

pub use parse::{DEFAULT_PORT, Secret, default_addr, local_url, parse_bool};
pub use settings::{Settings, Signing, StoreLocation};

/// The shortest publish token production mode accepts.
pub const MIN_PRODUCTION_TOKEN_LEN: usize = 32;

/// `registry-server`: the ANIP trust registry.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "registry-server",
    version = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("REGISTRY_GIT_COMMIT"), ")"),
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

    /// Transparency log: origin, sequencing, witnesses.
    #[command(flatten)]
    pub log: crate::log::config::LogArgs,

    /// Read-only replica: origin, trusted keys, poll interval, lag bounds.
    #[command(flatten)]
    pub mirror: crate::replica::config::MirrorArgs,
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
