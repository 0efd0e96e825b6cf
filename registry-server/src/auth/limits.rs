//! Publisher token lifetimes and the publisher-summary cache: flags and `ANIP_REGISTRY_*` variables, flattened into [`crate::config::Config`].

use clap::Args;

/// How long write tokens live, and how long a record's publisher summary is cached.
#[derive(Debug, Clone, Args)]
pub struct TokenLimits {
    /// Days a publisher token lives when its creator names no `expires_at` (the first token of a publisher too).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_TOKEN_DEFAULT_TTL_DAYS",
        default_value_t = 90,
        value_parser = clap::value_parser!(u32).range(1..=36_500)
    )]
    pub token_default_ttl_days: u32,

    /// The longest lifetime a publisher token may be given, in days (a later `expires_at` is refused).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_TOKEN_MAX_TTL_DAYS",
        default_value_t = 365,
        value_parser = clap::value_parser!(u32).range(1..=36_500)
    )]
    pub token_max_ttl_days: u32,

    /// Milliseconds a record's `publisher` summary is reused before the store is asked again (0: every read asks).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_PUBLISHER_SUMMARY_TTL_MS",
        default_value_t = 5000,
        value_parser = clap::value_parser!(u64).range(0..=3_600_000)
    )]
    pub publisher_summary_ttl_ms: u64,

    /// Failed authentications (401s) a client address may make per minute before it is answered 429
    /// `rate_limited` (a token bucket refilled evenly over the minute; 0 turns the limit off).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_AUTH_FAILURES_PER_MINUTE",
        default_value_t = 30,
        value_parser = clap::value_parser!(u32).range(0..=1_000_000)
    )]
    pub auth_failures_per_minute: u32,

    /// The most client addresses whose failures are tracked at once (beyond it, new addresses share one bucket).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_AUTH_FAILURE_ADDRESSES",
        default_value_t = 65_536,
        value_parser = clap::value_parser!(u64).range(1..=16_777_216)
    )]
    pub auth_failure_addresses: u64,

    /// Salt of the client-address hash in audit events (`ip_hash`); unset: a random salt per process, so hashes
    /// match only within one run of one replica.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_AUDIT_IP_SALT",
        hide_env_values = true
    )]
    pub audit_ip_salt: Option<crate::config::Secret>,

    /// At start, create publisher and namespace `anip` (official) if missing and assign to it every package and
    /// template without an owner whose versions were all published under one of the legacy publisher ids.
    #[arg(long, global = true, env = "ANIP_REGISTRY_BOOTSTRAP_OFFICIAL_ANIP_PUBLISHER", value_parser = crate::config::parse_bool, default_value = "false", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub bootstrap_official_anip_publisher: bool,

    /// The publisher ids (comma-separated) whose artifacts the bootstrap assigns to `anip`.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_OFFICIAL_ANIP_LEGACY_PUBLISHER_IDS",
        default_value = "anip,studio-local,studio-dev,local-registry,local-dev-registry,local-dev"
    )]
    pub official_anip_legacy_publisher_ids: String,
}

impl TokenLimits {
    /// The default lifetime, never above the maximum.
    pub fn default_ttl_days(&self) -> u32 {
        self.token_default_ttl_days.min(self.token_max_ttl_days)
    }
}

/// RFC 3339 seconds (UTC) `days` from now.
pub fn days_from_now(days: u32) -> String {
    let at = time::OffsetDateTime::now_utc() + time::Duration::days(i64::from(days));
    let format =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    at.format(&format)
        .unwrap_or_else(|_| "9999-12-31T23:59:59Z".to_owned())
}
