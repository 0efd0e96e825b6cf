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
