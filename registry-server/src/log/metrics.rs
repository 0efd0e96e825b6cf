//! The log's Prometheus metrics: size, integrate batch size and latency, checkpoint age, failed runs.

use std::sync::atomic::{AtomicU64, Ordering};

use prometheus::{
    Encoder as _, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder,
};

/// The log's metrics, in a registry of their own (rendered after the server's).
#[derive(Debug)]
pub struct LogMetrics {
    registry: Registry,
    size: IntGauge,
    batch: Histogram,
    latency: Histogram,
    failed: IntCounter,
    checkpoint_at: AtomicU64,
}

fn must<T>(r: Result<T, prometheus::Error>) -> Option<T> {
    r.map_err(|e| tracing::error!(error = %e, "registry_log_metric_failed"))
        .ok()
}

impl LogMetrics {
    /// Registers the metrics.
    pub fn new() -> Self {
        let registry = Registry::new();
        let size = IntGauge::new(
            "anip_registry_log_size",
            "Entries in the transparency log (newest checkpoint).",
        )
        .unwrap_or_else(|_| unreachable_metric());
        let batch = Histogram::with_opts(
            HistogramOpts::new(
                "anip_registry_log_integrate_batch_entries",
                "Entries sequenced per integrator transaction.",
            )
            .buckets(vec![
                1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 512.0, 4096.0,
            ]),
        )
        .unwrap_or_else(|_| unreachable_metric());
        let latency = Histogram::with_opts(HistogramOpts::new(
            "anip_registry_log_integrate_seconds",
            "Time of one integrator transaction (lock, sequence, hash, sign, commit).",
        ))
        .unwrap_or_else(|_| unreachable_metric());
        let failed = IntCounter::new(
            "anip_registry_log_integrate_failures_total",
            "Integrator runs that failed.",
        )
        .unwrap_or_else(|_| unreachable_metric());
        for c in [
            Box::new(size.clone()) as Box<dyn prometheus::core::Collector>,
            Box::new(batch.clone()),
            Box::new(latency.clone()),
            Box::new(failed.clone()),
        ] {
            must(registry.register(c));
        }
        LogMetrics {
            registry,
            size,
            batch,
            latency,
            failed,
            checkpoint_at: AtomicU64::new(0),
        }
    }

    /// One integrator transaction stored a checkpoint of `size` after sequencing `moved` entries in `seconds`.
    pub fn integrated(&self, moved: u64, seconds: f64, size: u64) {
        self.batch.observe(moved as f64);
        self.latency.observe(seconds);
        self.size.set(i64::try_from(size).unwrap_or(i64::MAX));
        self.checkpoint_at.store(unix_now(), Ordering::Relaxed);
    }

    /// An integrator run failed.
    pub fn integrate_failed(&self) {
        self.failed.inc();
    }

    /// The text exposition, with the checkpoint age (seconds since this process stored one) computed now.
    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        let at = self.checkpoint_at.load(Ordering::Relaxed);
        if at > 0 {
            let age = unix_now().saturating_sub(at);
            out.extend_from_slice(
                format!(
                    "# HELP anip_registry_log_checkpoint_age_seconds Seconds since this process stored a checkpoint.\n\
                     # TYPE anip_registry_log_checkpoint_age_seconds gauge\nanip_registry_log_checkpoint_age_seconds {age}\n"
                )
                .as_bytes(),
            );
        }
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for LogMetrics {
    fn default() -> Self {
        Self::new()
    }
}

/// The metric names above are constants: failing to build one is a programming error.
#[allow(clippy::panic)]
fn unreachable_metric() -> ! {
    panic!("log metric definition")
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
