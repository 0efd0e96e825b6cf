//! Limits of the read path, the download counter and the UI: flags and `ANIP_REGISTRY_*` variables, flattened into
//! [`crate::config::Config`] (kept here so the store's knobs live beside each other).

use std::time::Duration;

use clap::Args;

/// The read-path, counting and UI limits.
#[derive(Debug, Clone, Args)]
pub struct Tuning {
    /// Bytes of immutable version data (documents, receipts) kept in memory; weighed by approximate heap size.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_CACHE_BYTES",
        default_value_t = 64 * 1024 * 1024
    )]
    pub cache_bytes: u64,

    /// Milliseconds between flushes of the download counts aggregated in memory (a crash loses at most this
    /// long's downloads; a clean shutdown loses none).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_DOWNLOAD_FLUSH_MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(1..=3_600_000)
    )]
    pub download_flush_ms: u64,

    /// Milliseconds an unpaged listing may run in the database before it is cancelled (Postgres).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LISTING_TIMEOUT_MS",
        default_value_t = 30_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub listing_timeout_ms: u64,

    /// Unpaged listings streamed at once (each holds a database connection while its client reads); more wait.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MAX_CONCURRENT_LISTINGS",
        default_value_t = 4,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub max_concurrent_listings: u32,

    /// UI pages rendered at once (threads of the UI's own pool; publishes never wait for them). 0: half the cores.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_UI_CONCURRENCY",
        default_value_t = 0
    )]
    pub ui_concurrency: u32,
}

impl Tuning {
    /// The flush interval.
    pub fn download_flush(&self) -> Duration {
        Duration::from_millis(self.download_flush_ms)
    }

    /// The listing statement timeout.
    pub fn listing_timeout(&self) -> Duration {
        Duration::from_millis(self.listing_timeout_ms)
    }

    /// UI threads: the configured number, else half the cores (at least one).
    pub fn ui_threads(&self) -> usize {
        match self.ui_concurrency {
            0 => (std::thread::available_parallelism().map_or(2, usize::from) / 2).max(1),
            n => n as usize,
        }
    }
}
