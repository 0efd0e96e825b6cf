//! Limits of the HTTP edge and the store connection (flattened into [`crate::config::Config`]): timeouts, the
//! connection cap, the store's wait and probe, the log buffer. Each is a flag and an `ANIP_REGISTRY_*` variable.
//! Durations are written `10s`, `500ms` or a bare number of seconds (`2.5`).

use std::time::Duration;

use clap::Args;

/// The command-line / environment form.
#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// How long a client has to send a complete request head, counted from the connection's open or the end of
    /// the previous response (so also how long an idle keep-alive connection stays open).
    #[arg(long, global = true, env = "ANIP_REGISTRY_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// A connection that moves no bytes either way for this long is closed (stalled bodies, clients that stop
    /// reading).
    #[arg(long, global = true, env = "ANIP_REGISTRY_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration)]
    pub idle_timeout: Duration,

    /// Open connections at most; further clients wait in the listen backlog. Lowered to fit the open-file limit.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MAX_CONNECTIONS",
        default_value = "4096"
    )]
    pub max_connections: usize,

    /// The longest a request may take before it is answered 503 `request_timeout`.
    #[arg(long, global = true, env = "ANIP_REGISTRY_REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// How long a request waits for a store connection before its 503 `store_unavailable`.
    #[arg(long, global = true, env = "ANIP_REGISTRY_STORE_ACQUIRE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub store_acquire_timeout: Duration,

    /// Once the store is known to be down, how often it is probed (requests meanwhile get an immediate 503).
    #[arg(long, global = true, env = "ANIP_REGISTRY_STORE_PROBE_INTERVAL", default_value = "500ms", value_parser = parse_duration)]
    pub store_probe_interval: Duration,

    /// Log lines buffered for the log writer thread; beyond that a line waits for room (never dropped).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_BUFFER_LINES",
        default_value = "65536"
    )]
    pub log_buffer_lines: usize,
}

/// Checked edge limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdgeLimits {
    /// See [`LimitArgs::header_read_timeout`].
    pub header_read_timeout: Duration,
    /// See [`LimitArgs::idle_timeout`].
    pub idle_timeout: Duration,
    /// See [`LimitArgs::max_connections`].
    pub max_connections: usize,
    /// See [`LimitArgs::request_timeout`].
    pub request_timeout: Duration,
}

/// Checked store limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreLimits {
    /// See [`LimitArgs::store_acquire_timeout`].
    pub acquire_timeout: Duration,
    /// See [`LimitArgs::store_probe_interval`].
    pub probe_interval: Duration,
}

impl Default for StoreLimits {
    fn default() -> Self {
        StoreLimits {
            acquire_timeout: Duration::from_secs(3),
            probe_interval: Duration::from_millis(500),
        }
    }
}

impl LimitArgs {
    /// The checked limits: every duration and count must be positive.
    pub fn check(&self) -> Result<(EdgeLimits, StoreLimits), String> {
        for (name, value) in [
            (
                "ANIP_REGISTRY_HEADER_READ_TIMEOUT",
                self.header_read_timeout,
            ),
            ("ANIP_REGISTRY_IDLE_TIMEOUT", self.idle_timeout),
            ("ANIP_REGISTRY_REQUEST_TIMEOUT", self.request_timeout),
            (
                "ANIP_REGISTRY_STORE_ACQUIRE_TIMEOUT",
                self.store_acquire_timeout,
            ),
            (
                "ANIP_REGISTRY_STORE_PROBE_INTERVAL",
                self.store_probe_interval,
            ),
        ] {
            if value.is_zero() {
                return Err(format!("{name} must be more than zero"));
            }
        }
        if self.max_connections == 0 || self.log_buffer_lines == 0 {
            return Err(
                "ANIP_REGISTRY_MAX_CONNECTIONS and ANIP_REGISTRY_LOG_BUFFER_LINES must be at least 1".into(),
            );
        }
        Ok((
            EdgeLimits {
                header_read_timeout: self.header_read_timeout,
                idle_timeout: self.idle_timeout,
                max_connections: self.max_connections,
                request_timeout: self.request_timeout,
            },
            StoreLimits {
                acquire_timeout: self.store_acquire_timeout,
                probe_interval: self.store_probe_interval,
            },
        ))
    }
}

/// `10s`, `250ms`, `1.5` (seconds) → a duration.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (number, scale) = if let Some(ms) = text.strip_suffix("ms") {
        (ms, 1e-3)
    } else if let Some(s) = text.strip_suffix('s') {
        (s, 1.0)
    } else {
        (text, 1.0)
    };
    number
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && *n >= 0.0 && *n * scale <= 86_400.0)
        .map(|n| Duration::from_secs_f64(n * scale))
        .ok_or_else(|| {
            format!("{text:?} is not a duration (like 10s, 500ms or 2.5) of at most a day")
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1.5"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("-1s").is_err());
        assert!(parse_duration("soon").is_err());
        assert!(parse_duration("1e9").is_err());
    }
}
