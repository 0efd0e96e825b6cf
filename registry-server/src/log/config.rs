//! The log's flags and `ANIP_REGISTRY_LOG_*` variables, flattened into [`crate::config::Config`].

use clap::Args;

use crate::error::Error;

/// The origin prefix of a log named neither by `ANIP_REGISTRY_LOG_ORIGIN` nor by a public base URL.
pub const DEV_ORIGIN: &str = "localhost/anip-registry";

/// Sequencing, checkpoint and witness settings.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// The log's origin (checkpoint first line and note key name). Default: the public base URL without its
    /// scheme, else `localhost/anip-registry/<log id>` (the log's random id, made with the log; a log that had
    /// entries before log ids existed keeps `localhost/anip-registry`).
    #[arg(long, global = true, env = "ANIP_REGISTRY_LOG_ORIGIN")]
    pub log_origin: Option<String>,

    /// Milliseconds between integrator ticks (orphaned pending entries, e.g. of a crashed replica, are sequenced
    /// within this); a publish wakes the integrator at once.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_INTERVAL_MS",
        default_value_t = 500,
        value_parser = clap::value_parser!(u64).range(1..=1000)
    )]
    pub log_interval_ms: u64,

    /// Milliseconds a publish or lifecycle change waits for its entry to be sequenced before answering 503
    /// `log_unavailable` (the change is stored; re-sending it answers as an identical re-publish).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_SEQUENCE_TIMEOUT_MS",
        default_value_t = 10_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub log_sequence_timeout_ms: u64,

    /// Most pending entries one integrator transaction sequences (more go in the next, at once).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_BATCH_MAX",
        default_value_t = 4096,
        value_parser = clap::value_parser!(u32).range(1..=100_000)
    )]
    pub log_batch_max: u32,

    /// Witnesses to push each new checkpoint to: comma-separated `name+hash+base64=url` (C2SP vkey, then the
    /// witness's URL prefix; `add-checkpoint` is appended).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_WITNESSES",
        default_value = ""
    )]
    pub log_witnesses: String,

    /// Milliseconds a witness may take to answer one `add-checkpoint`.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_WITNESS_TIMEOUT_MS",
        default_value_t = 5_000,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub log_witness_timeout_ms: u64,

    /// A PEM file of CA certificates to trust for https witnesses, besides the built-in Mozilla roots (webpki-roots;
    /// the system store is not read): for witnesses with certificates from a private CA.
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_CA_FILE",
        value_name = "FILE"
    )]
    pub ca_file: Option<std::path::PathBuf>,

    /// Stored hashes kept in memory for proofs and tiles (they never change once written).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_HASH_CACHE",
        default_value_t = 262_144,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub log_hash_cache: u64,

    /// Bytes after which a `GET /log/records` answer stops (it then covers fewer entries than asked and says where
    /// it ended; one record is always included, whatever its size).
    #[arg(
        long,
        global = true,
        env = "ANIP_REGISTRY_LOG_RECORDS_MAX_BYTES",
        default_value_t = 8 << 20,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub log_records_max_bytes: u64,
}

/// One configured witness.
#[derive(Debug, Clone)]
pub struct Witness {
    /// Its cosignature/v1 verifier key (`name+hash+base64`, type 0x04).
    pub key: verifier::tlog::VerifierKey,
    /// Its key name.
    pub name: String,
    /// The URL prefix its `add-checkpoint` lives under.
    pub url: String,
}

impl LogArgs {
    /// The origin: configured, else from `public_base_url`, else `localhost/anip-registry/<log_id>` (or
    /// `localhost/anip-registry` for a log without an id: one created before log ids); it must be a valid note key
    /// name (no spaces or `+`).
    pub fn origin(
        &self,
        public_base_url: Option<&str>,
        log_id: Option<&str>,
    ) -> Result<String, Error> {
        let origin = match (&self.log_origin, public_base_url) {
            (Some(o), _) => o.trim().to_owned(),
            (None, Some(base)) => {
                let rest = base.split_once("://").map_or(base, |(_, r)| r);
                rest.trim_end_matches('/').to_owned()
            }
            (None, None) => match log_id {
                Some(id) => format!("{DEV_ORIGIN}/{id}"),
                None => DEV_ORIGIN.to_owned(),
            },
        };
        if !signed_note::is_key_name_valid(&origin) {
            return Err(Error::Config(format!(
                "ANIP_REGISTRY_LOG_ORIGIN: {origin:?} is not a valid note key name (non-empty, no spaces or '+')"
            )));
        }
        Ok(origin)
    }

    /// The HTTP client witnesses are called with: https through rustls with the built-in roots and those of
    /// `ca_file`, each exchange bounded by the witness timeout.
    ///
    /// Errors: [`Error::Config`] when `ca_file` cannot be read or holds no PEM certificate.
    pub fn witness_client(&self) -> Result<reqwest::Client, Error> {
        let mut builder = reqwest::Client::builder().timeout(std::time::Duration::from_millis(
            self.log_witness_timeout_ms,
        ));
        if let Some(path) = &self.ca_file {
            let bad = |why: String| {
                Error::Config(format!("ANIP_REGISTRY_CA_FILE: {}: {why}", path.display()))
            };
            let pem = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
            let certs = reqwest::Certificate::from_pem_bundle(&pem)
                .map_err(|e| bad(format!("not PEM certificates ({e})")))?;
            if certs.is_empty() {
                return Err(bad("holds no PEM certificate".to_owned()));
            }
            for cert in certs {
                builder = builder.add_root_certificate(cert);
            }
        }
        builder
            .build()
            .map_err(|e| Error::Config(format!("the witness HTTP client: {e}")))
    }

    /// The configured witnesses, each checked.
    pub fn witnesses(&self) -> Result<Vec<Witness>, Error> {
        let bad = |item: &str, why: &str| {
            Error::Config(format!("ANIP_REGISTRY_LOG_WITNESSES: {item:?}: {why}"))
        };
        let mut out = Vec::new();
        for item in self
            .log_witnesses
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            // The base64 key may end in '=': the URL starts at the last "=http".
            let at = item
                .rfind("=http")
                .ok_or_else(|| bad(item, "expected name+hash+base64=url"))?;
            let (vkey, url) = (&item[..at], &item[at + 1..]);
            let key = verifier::tlog::VerifierKey::parse(vkey)
                .ok()
                .filter(|k| k.key_type() == verifier::tlog::checkpoint::COSIGNATURE_TYPE)
                .ok_or_else(|| bad(item, "not a cosignature/v1 (type 0x04) verifier key"))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(bad(item, "the URL must be http(s)"));
            }
            out.push(Witness {
                name: key.name().to_owned(),
                key,
                url: url.trim_end_matches('/').to_owned(),
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser as _;

    fn args(extra: &[&str]) -> LogArgs {
        crate::config::Config::try_parse_from([&["registry-server"], extra].concat())
            .unwrap()
            .log
    }

    #[test]
    fn origin_defaults_and_rules() {
        assert_eq!(
            args(&[]).origin(None, None).unwrap(),
            "localhost/anip-registry"
        );
        assert_eq!(
            args(&[]).origin(None, Some("0123abcd0123abcd")).unwrap(),
            "localhost/anip-registry/0123abcd0123abcd"
        );
        assert_eq!(
            args(&[])
                .origin(
                    Some("https://registry.example.com/anip/"),
                    Some("0123abcd0123abcd")
                )
                .unwrap(),
            "registry.example.com/anip"
        );
        assert_eq!(
            args(&["--log-origin", "log.example"])
                .origin(Some("https://x.example"), Some("0123abcd0123abcd"))
                .unwrap(),
            "log.example"
        );
        assert!(
            args(&["--log-origin", "has space"])
                .origin(None, None)
                .is_err()
        );
        assert!(args(&["--log-origin", "a+b"]).origin(None, None).is_err());
        assert!(args(&[]).origin(None, Some("bad id")).is_err());
    }

    #[test]
    fn witnesses_take_cosignature_keys_whose_base64_may_end_in_equals() {
        let key = verifier::keys::SigningKey::dev().public_key();
        let cosigner = verifier::tlog::VerifierKey::cosigner("w.example/1", &key)
            .unwrap()
            .to_string();
        let log_key = verifier::tlog::VerifierKey::log("w.example/1", &key)
            .unwrap()
            .to_string();
        let list = format!("{cosigner}=http://127.0.0.1:9/w/ , ");
        let parsed = args(&["--log-witnesses", &list]).witnesses().unwrap();
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            (parsed[0].name.as_str(), parsed[0].url.as_str()),
            ("w.example/1", "http://127.0.0.1:9/w")
        );
        for bad in [
            format!("{log_key}=http://127.0.0.1:9"),
            format!("{cosigner}=ftp://127.0.0.1:9"),
            cosigner.clone(),
            "nonsense=http://x".to_owned(),
        ] {
            assert!(
                args(&["--log-witnesses", &bad]).witnesses().is_err(),
                "{bad}"
            );
        }
    }
}
