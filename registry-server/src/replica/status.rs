//! What the follower knows of its progress, shared with `/readyz` and `/metrics`: sizes, the last successful sync,
//! the last transient failure, and a refusal (the origin proved inconsistent) with its evidence.

use std::sync::RwLock;
use std::time::Instant;

use serde_json::{Value, json};

/// Why the follower stopped: the origin proved inconsistent. Stored (`mirror_refusal`) so that it survives a
/// restart; only an operator's resume (`POST /admin/mirror/resume`) clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// Stable code (`checkpoint_rolled_back`, `fork`, `version_not_verified`, `key_changed`, …).
    pub code: String,
    /// The evidence, as text.
    pub evidence: String,
    /// When it was refused (RFC 3339).
    pub refused_at: String,
}

#[derive(Debug, Default)]
struct Inner {
    mirrored_size: u64,
    origin_size: Option<u64>,
    last_success: Option<Instant>,
    last_error: Option<String>,
    refusal: Option<Refusal>,
}

/// The follower's status.
#[derive(Debug)]
pub struct Status {
    origin: String,
    started: Instant,
    inner: RwLock<Inner>,
}

impl Status {
    /// The status of a follower of `origin` (the URL as configured), nothing synced yet.
    pub fn new(origin: &str) -> Self {
        Status {
            origin: origin.to_owned(),
            started: Instant::now(),
            inner: RwLock::new(Inner::default()),
        }
    }

    fn update(&self, f: impl FnOnce(&mut Inner)) {
        if let Ok(mut inner) = self.inner.write() {
            f(&mut inner);
        }
    }

    /// The replica holds the origin's log up to `size` (read from the store at start and after each batch).
    pub fn mirrored(&self, size: u64) {
        self.update(|i| i.mirrored_size = size);
    }

    /// A sync finished: the origin's checkpoint was at `origin_size`, the replica now holds `mirrored_size`.
    pub fn synced(&self, origin_size: u64, mirrored_size: u64) {
        self.update(|i| {
            i.origin_size = Some(origin_size);
            i.mirrored_size = mirrored_size;
            i.last_success = Some(Instant::now());
            i.last_error = None;
        });
    }

    /// A sync could not finish (the origin is unreachable or answered an error): retried at the next poll.
    pub fn failed(&self, error: String, origin_size: Option<u64>) {
        self.update(|i| {
            i.last_error = Some(error);
            if origin_size.is_some() {
                i.origin_size = origin_size;
            }
        });
    }

    /// The origin proved inconsistent: the follower stops.
    pub fn refused(&self, refusal: Refusal, origin_size: Option<u64>) {
        self.update(|i| {
            i.refusal = Some(refusal);
            if origin_size.is_some() {
                i.origin_size = origin_size;
            }
        });
    }

    /// An operator resumed: the refusal (and the last error) is cleared.
    pub fn resumed(&self) {
        self.update(|i| {
            i.refusal = None;
            i.last_error = None;
        });
    }

    /// The refusal, if any.
    pub fn refusal(&self) -> Option<Refusal> {
        self.inner.read().ok().and_then(|i| i.refusal.clone())
    }

    /// Seconds since the last successful sync (since start when none succeeded).
    fn since_sync(&self, i: &Inner) -> f64 {
        i.last_success
            .unwrap_or(self.started)
            .elapsed()
            .as_secs_f64()
    }

    /// `/readyz`'s `mirror` member and whether the replica is ready: synced at least once, within `max_lag` seconds
    /// and `max_lag_entries` entries of the origin, and the origin never proved inconsistent. The member holds
    /// `origin`, `mirrored_size`, `origin_size`, `seconds_since_sync`, and `code`/`error` (plus `evidence` and
    /// `refused_at` after a refusal) when not ready.
    pub fn readiness(&self, max_lag: std::time::Duration, max_lag_entries: u64) -> (bool, Value) {
        let Ok(i) = self.inner.read() else {
            return (false, json!({"origin": self.origin}));
        };
        let since = self.since_sync(&i);
        let lag = i
            .origin_size
            .map_or(0, |o| o.saturating_sub(i.mirrored_size));
        let mut body = json!({
            "origin": self.origin,
            "mirrored_size": i.mirrored_size,
            "origin_size": i.origin_size,
            "seconds_since_sync": (since * 1000.0).round() / 1000.0,
        });
        if let Some(error) = &i.last_error {
            body["last_error"] = json!(error);
        }
        let problem = if let Some(r) = &i.refusal {
            body["evidence"] = json!(r.evidence);
            body["refused_at"] = json!(r.refused_at);
            Some((
                r.code.as_str(),
                "the origin proved inconsistent: the replica stopped following it and serves what it had \
                 (after fixing the origin, an operator resumes with POST /registry-api/v1/admin/mirror/resume)",
            ))
        } else if i.last_success.is_none() {
            Some((
                "mirror_not_synced",
                "the replica has not synced with its origin yet",
            ))
        } else if since > max_lag.as_secs_f64() {
            Some((
                "mirror_lagging",
                "the last successful sync is older than the lag bound",
            ))
        } else if lag > max_lag_entries {
            Some((
                "mirror_lagging",
                "the replica is more log entries behind its origin than the lag bound",
            ))
        } else {
            None
        };
        match problem {
            None => (true, body),
            Some((code, message)) => {
                body["code"] = json!(code);
                body["error"] = json!(message);
                (false, body)
            }
        }
    }

    /// The Prometheus text of the replica's gauges: `anip_registry_mirror_lag_entries`,
    /// `anip_registry_mirror_last_sync_seconds` (seconds since the last successful sync),
    /// `anip_registry_mirror_size`, `anip_registry_mirror_origin_size` and `anip_registry_mirror_inconsistent`.
    pub fn render(&self) -> String {
        let Ok(i) = self.inner.read() else {
            return String::new();
        };
        let origin = i.origin_size.unwrap_or(i.mirrored_size);
        let gauges = [
            (
                "anip_registry_mirror_lag_entries",
                "Log entries the replica is behind its origin's newest checkpoint.",
                origin.saturating_sub(i.mirrored_size).to_string(),
            ),
            (
                "anip_registry_mirror_last_sync_seconds",
                "Seconds since the replica last synced with its origin (since start when it never did).",
                format!("{:.3}", self.since_sync(&i)),
            ),
            (
                "anip_registry_mirror_size",
                "Log entries the replica holds.",
                i.mirrored_size.to_string(),
            ),
            (
                "anip_registry_mirror_origin_size",
                "The origin's newest checkpoint size the replica saw.",
                origin.to_string(),
            ),
            (
                "anip_registry_mirror_inconsistent",
                "1 when the origin proved inconsistent and the replica stopped following it.",
                u8::from(i.refusal.is_some()).to_string(),
            ),
        ];
        let mut out = String::new();
        for (name, help, value) in gauges {
            out.push_str(&format!(
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}\n"
            ));
        }
        out
    }
}
