//! The replica's flags and `ANIP_REGISTRY_MIRROR_*` variables, flattened into [`crate::config::Config`].

use std::time::Duration;

use clap::Args;
use verifier::keys::KeySet;

use crate::error::Error;

/// `--mirror-of` and its limits.
#[derive(Debug, Clone, Args)]
pub struct MirrorArgs {
    /// Run as a read-only replica of the registry at this URL (`https://registry.example.com`, or its
    /// `…/registry-api/v1`): its log is followed, every version checked and stored in this server's own store;
    /// every write route answers 403 `read_only_mirror`. Requires `--mirror-trusted-keys`.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_OF",
        value_name = "URL"
    )]
    pub mirror_of: Option<String>,

    /// The origin's keys this replica trusts (`registry keys --save` format: `<key_id>=<base64>` lines). Receipts
    /// and checkpoints must verify under them; an origin that lists one of them with other bytes is refused.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_TRUSTED_KEYS",
        value_name = "FILE"
    )]
    pub mirror_trusted_keys: Option<std::path::PathBuf>,

    /// Milliseconds between polls of the origin's checkpoint.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_INTERVAL_MS",
        default_value_t = 1000,
        value_parser = clap::value_parser!(u64).range(10..=3_600_000)
    )]
    pub mirror_interval_ms: u64,

    /// `/readyz` fails (503) when the last successful sync is older than this many seconds.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_MAX_LAG_SECONDS",
        default_value_t = 60,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub mirror_max_lag_seconds: u64,

    /// `/readyz` fails (503) when the replica is more than this many log entries behind the origin.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_MAX_LAG_ENTRIES",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(0..)
    )]
    pub mirror_max_lag_entries: u64,

    /// Longest wait between syncs after transport errors in a row (the interval doubles per failure up to this).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_MAX_BACKOFF_MS",
        default_value_t = 30_000,
        value_parser = clap::value_parser!(u64).range(10..=3_600_000)
    )]
    pub mirror_max_backoff_ms: u64,

    /// Milliseconds one request to the origin may take.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_REQUEST_TIMEOUT_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub mirror_request_timeout_ms: u64,

    /// Largest answer read from the origin, bytes (a bigger one fails the sync, retried at the next poll).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_MAX_RESPONSE_BYTES",
        default_value_t = 64 * 1024 * 1024,
        value_parser = clap::value_parser!(u64).range(1024..)
    )]
    pub mirror_max_response_bytes: u64,

    /// Versions fetched from the origin at once.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_JOBS",
        default_value_t = 8,
        value_parser = clap::value_parser!(u32).range(1..=256)
    )]
    pub mirror_jobs: u32,

    /// Most new log entries one sync stores (one transaction); a bigger gap waits until the origin's checkpoint is
    /// within reach (set it above the origin's size for a first sync of a large origin).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_MIRROR_MAX_BATCH_ENTRIES",
        default_value_t = 100_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub mirror_max_batch_entries: u64,

    /// Accept receipts issued before the execution signature existed (as `registry verify --allow-legacy`).
    #[arg(long, global = true, env = "ANIP_REGISTRY_MIRROR_ALLOW_LEGACY", value_parser = crate::config::parse_bool, default_value = "false", action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = false)]
    pub mirror_allow_legacy: bool,
}

/// A checked replica configuration.
#[derive(Debug, Clone)]
pub struct Mirror {
    /// The origin's API base (`…/registry-api/v1`, no trailing `/`).
    pub api: String,
    /// The origin as configured (for messages).
    pub url: String,
    /// The pinned keys.
    pub keys: KeySet,
    /// Poll interval.
    pub interval: Duration,
    /// Longest wait after transport errors in a row.
    pub max_backoff: Duration,
    /// Readiness bound on the age of the last successful sync.
    pub max_lag: Duration,
    /// Readiness bound on entries behind.
    pub max_lag_entries: u64,
    /// One origin request's timeout.
    pub request_timeout: Duration,
    /// Largest origin answer read, bytes.
    pub max_response_bytes: u64,
    /// Versions fetched at once.
    pub jobs: usize,
    /// Most entries one sync stores.
    pub max_batch_entries: u64,
    /// Legacy receipts accepted.
    pub allow_legacy: bool,
}

impl MirrorArgs {
    /// The replica configuration, `None` without `--mirror-of`.
    ///
    /// Errors: [`Error::Config`] for a URL that is not `http(s)://…`, a missing or unreadable keys file.
    pub fn check(&self) -> Result<Option<Mirror>, Error> {
        let Some(url) = self
            .mirror_of
            .as_deref()
            .map(str::trim)
            .filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let base = url.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.contains('?') {
            return Err(Error::Config(
                "ANIP_REGISTRY_MIRROR_OF must be an http(s) URL without a query".into(),
            ));
        }
        // The URL is shown in `/readyz`, errors and logs: it must not carry a password.
        let authority = base
            .split("://")
            .nth(1)
            .unwrap_or("")
            .split('/')
            .next()
            .unwrap_or("");
        if authority.contains('@') {
            return Err(Error::Config(
                "ANIP_REGISTRY_MIRROR_OF must not carry credentials (user:password@)".into(),
            ));
        }
        let api = if base.ends_with("/registry-api/v1") {
            base.to_owned()
        } else {
            format!("{base}/registry-api/v1")
        };
        let path = self.mirror_trusted_keys.as_ref().ok_or_else(|| {
            Error::Config(
                "ANIP_REGISTRY_MIRROR_OF needs ANIP_REGISTRY_MIRROR_TRUSTED_KEYS (the origin's keys, \
                 `registry keys --save FILE`)"
                    .into(),
            )
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("reading {}: {e}", path.display())))?;
        let keys = verifier::mirror::parse_trusted_keys(&text)
            .map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        Ok(Some(Mirror {
            api,
            url: url.to_owned(),
            keys,
            interval: Duration::from_millis(self.mirror_interval_ms),
            max_backoff: Duration::from_millis(self.mirror_max_backoff_ms),
            max_lag: Duration::from_secs(self.mirror_max_lag_seconds),
            max_lag_entries: self.mirror_max_lag_entries,
            request_timeout: Duration::from_millis(self.mirror_request_timeout_ms),
            max_response_bytes: self.mirror_max_response_bytes,
            jobs: self.mirror_jobs as usize,
            max_batch_entries: self.mirror_max_batch_entries,
            allow_legacy: self.mirror_allow_legacy,
        }))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use clap::Parser as _;

    use crate::config::Config;

    fn settings(args: &[&str]) -> Result<crate::config::Settings, crate::error::Error> {
        let mut all = vec!["registry-server", "--data-dir", "/tmp/x"];
        all.extend_from_slice(args);
        Config::try_parse_from(all).unwrap().settings()
    }

    #[test]
    fn a_replica_needs_pinned_keys_and_a_url_without_credentials() {
        let missing = settings(&["--mirror-of", "http://origin.example"]).unwrap_err();
        assert!(
            missing
                .to_string()
                .contains("ANIP_REGISTRY_MIRROR_TRUSTED_KEYS"),
            "{missing}"
        );
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys.txt");
        let key = verifier::keys::SigningKey::from_seed(
            verifier::keys::KeyId::new("origin-key").unwrap(),
            &[9; 32],
        );
        std::fs::write(
            &keys,
            format!("origin-key={}\n", key.public_key().to_base64()),
        )
        .unwrap();
        let keys = keys.display().to_string();
        let secret = settings(&[
            "--mirror-of",
            "https://user:hunter2@origin.example",
            "--mirror-trusted-keys",
            &keys,
        ])
        .unwrap_err()
        .to_string();
        assert!(
            secret.contains("credentials") && !secret.contains("hunter2"),
            "{secret}"
        );
        let bad = settings(&[
            "--mirror-of",
            "ftp://origin.example",
            "--mirror-trusted-keys",
            &keys,
        ]);
        assert!(bad.is_err());

        let ok = settings(&[
            "--mirror-of",
            "https://origin.example/",
            "--mirror-trusted-keys",
            &keys,
        ])
        .unwrap();
        let mirror = ok.mirror.unwrap();
        assert_eq!(mirror.api, "https://origin.example/registry-api/v1");
        // The replica trusts the origin's keys (UI verdicts, locks) and takes no publish.
        assert_eq!(ok.signing.keys, mirror.keys);
        assert!(ok.signing.keys.get("origin-key").is_some());
        assert!(ok.publish_token.is_none());
        assert!(settings(&[]).unwrap().mirror.is_none());
    }
}
