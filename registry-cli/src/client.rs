//! A small blocking client for a registry's API v1: base-URL handling, strict JSON answers, clear errors, and one
//! agent whose pooled connections are reused by every thread (`verify --all`).
//!
//! Credentials in a registry URL (`https://user:password@host`) are taken out when the client is made: they are sent
//! as HTTP Basic auth and appear in no URL this client prints, writes or hands to the HTTP library (whose error
//! texts include the URL).

use std::fmt;
use std::io::Read as _;
use std::time::Duration;

use base64::Engine as _;
use serde_json::Value;

use crate::error::{CliError, Result};

/// The largest answer read (records of the largest packages are a few MiB).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// The most connections kept open for reuse (at least `--jobs`' maximum).
pub const MAX_POOLED_CONNECTIONS: usize = 64;

/// A registry API.
#[derive(Debug, Clone)]
pub struct Registry {
    api: String,
    credentials: Option<Credentials>,
    agent: ureq::Agent,
    /// A registry in a folder (`file:///path` or a directory) instead of HTTP.
    folder: Option<std::sync::Arc<crate::folder::Folder>>,
    /// A static file server's copy of a mirror folder: its log, read once when a proof is needed.
    static_log: StaticLog,
}

type StaticLog =
    std::sync::Arc<std::sync::OnceLock<std::result::Result<crate::folder::FolderLog, String>>>;

/// An `Authorization: Basic …` value from a URL's user information; never shown by `Debug`.
#[derive(Clone)]
struct Credentials(String);

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Credentials(<redacted>)")
    }
}

/// A non-success answer from the registry.
#[derive(Debug, Clone)]
pub struct ApiFailure {
    /// HTTP status.
    pub status: u16,
    /// The envelope's `code` (empty when none).
    pub code: String,
    /// The envelope's `error`.
    pub message: String,
    /// The whole body, when it was JSON.
    pub body: Option<Value>,
}

impl Registry {
    /// A client for `url` (`https://host` or `https://host/registry-api/v1`; a trailing `/` is ignored). User
    /// information in the URL becomes Basic auth. Errors (exit 1) never repeat the URL, which may hold a password.
    pub fn new(url: &str) -> Result<Self> {
        if let Some(dir) = crate::folder::folder_path(url) {
            let folder = crate::folder::Folder::new(dir);
            return Ok(Registry {
                api: folder.api(),
                credentials: None,
                agent: ureq::AgentBuilder::new().build(),
                folder: Some(std::sync::Arc::new(folder)),
                static_log: StaticLog::default(),
            });
        }
        let invalid = |why: String| CliError::CouldNotRun(format!("the registry URL {why}"));
        let scheme = url
            .trim()
            .split_once("://")
            .map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(invalid(
                "must start with http:// or https:// (a folder: file:///path or an existing directory)"
                    .to_owned(),
            ));
        }
        let mut parsed =
            url::Url::parse(url.trim()).map_err(|e| invalid(format!("is not a URL ({e})")))?;
        if parsed.host().is_none() {
            return Err(invalid("names no host".to_owned()));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("takes no ?query or #fragment".to_owned()));
        }
        let credentials =
            (!parsed.username().is_empty() || parsed.password().is_some()).then(|| {
                let decode = |text: &str| {
                    percent_encoding::percent_decode_str(text)
                        .decode_utf8_lossy()
                        .into_owned()
                };
                let pair = format!(
                    "{}:{}",
                    decode(parsed.username()),
                    decode(parsed.password().unwrap_or(""))
                );
                Credentials(format!(
                    "Basic {}",
                    base64::engine::general_purpose::STANDARD.encode(pair)
                ))
            });
        // Cannot fail for an http(s) URL with a host.
        let _ = parsed.set_username("");
        let _ = parsed.set_password(None);
        let base = parsed.as_str().trim_end_matches('/');
        let api = if base.ends_with("/registry-api/v1") {
            base.to_owned()
        } else {
            format!("{base}/registry-api/v1")
        };
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .max_idle_connections(MAX_POOLED_CONNECTIONS)
            .max_idle_connections_per_host(MAX_POOLED_CONNECTIONS)
            .user_agent(concat!("anip-registry-cli/", env!("CARGO_PKG_VERSION")));
        if let Some(tls) = crate::tls::config() {
            agent = agent.tls_config(tls);
        }
        let agent = agent.build();
        Ok(Registry {
            api,
            credentials,
            agent,
            folder: None,
            static_log: StaticLog::default(),
        })
    }

    /// `<scheme>://<host>/registry-api/v1`, without credentials: safe to print and to write into files.
    pub fn api(&self) -> &str {
        &self.api
    }

    /// The path of a package route: the id as one `%2F`-encoded segment, as ANIP clients send it.
    pub fn package_path(id: &str, version: &str, suffix: &str) -> String {
        format!(
            "/packages/{}/{}{suffix}",
            encode_segment(id),
            encode_segment(version)
        )
    }

    /// `GET <api><path>` → the strictly parsed JSON value, or the registry's failure.
    pub fn get(&self, path: &str) -> Result<std::result::Result<Value, ApiFailure>> {
        if let Some(folder) = &self.folder {
            return folder.get(path);
        }
        let url = format!("{}{path}", self.api);
        let mut request = self.agent.get(&url);
        if let Some(Credentials(basic)) = &self.credentials {
            request = request.set("Authorization", basic);
        }
        let answer = self.answer(&url, request.call())?.map(|(_, value)| value);
        self.static_fallback(path, answer)
    }

    /// A mirror folder behind a static file server answers `receipt?proof=1` with the plain receipt and has no
    /// `/log/proof/consistency`: both are then computed from its checkpoint and entry bundles (fetched once).
    fn static_fallback(
        &self,
        path: &str,
        answer: std::result::Result<Value, ApiFailure>,
    ) -> Result<std::result::Result<Value, ApiFailure>> {
        let (plain, query) = path.split_once('?').unwrap_or((path, ""));
        let proof_wanted = plain.ends_with("/receipt") && query.split('&').any(|p| p == "proof=1");
        let needs_log = match &answer {
            Ok(value) => proof_wanted && value.get("log_entry").is_none(),
            Err(f) => plain == "/log/proof/consistency" && f.status == 404,
        };
        if !needs_log {
            return Ok(answer);
        }
        let log = self
            .static_log
            .get_or_init(|| {
                crate::folder::FolderLog::load(&|p| match self.get_bytes(p) {
                    Ok(Ok(bytes)) => Ok(bytes),
                    Ok(Err(f)) => Err(format!("{p}: {}", f.describe())),
                    Err(e) => Err(e.to_string()),
                })
            })
            .as_ref();
        let Ok(log) = log else {
            return Ok(answer);
        };
        Ok(match answer {
            Ok(receipt) => log.receipt_proof(plain, receipt, |p| self.get_bytes(p).ok()?.ok()),
            Err(_) => log.consistency(query),
        })
    }

    /// `GET <api><path>` → the raw body (checkpoints, tiles, entry bundles), or the registry's failure.
    pub fn get_bytes(&self, path: &str) -> Result<std::result::Result<Vec<u8>, ApiFailure>> {
        if let Some(folder) = &self.folder {
            return folder.get_bytes(path);
        }
        let url = format!("{}{path}", self.api);
        let mut request = self.agent.get(&url);
        if let Some(Credentials(basic)) = &self.credentials {
            request = request.set("Authorization", basic);
        }
        match request.call() {
            Ok(response) => Ok(Ok(read_body(response, &url)?)),
            Err(e) => self.answer(&url, Err(e)).map(|r| r.map(|_| Vec::new())),
        }
    }

    /// `POST <api><path>` with a JSON body and a bearer token (else the URL's Basic credentials, if any).
    pub fn post(
        &self,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> Result<std::result::Result<Value, ApiFailure>> {
        Ok(self.post_status(path, body, token)?.map(|(_, value)| value))
    }

    /// [`Registry::post`], with the success status (`201` created, `200` an identical re-publish).
    pub fn post_status(
        &self,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> Result<std::result::Result<(u16, Value), ApiFailure>> {
        let url = format!("{}{path}", self.api);
        let mut request = self
            .agent
            .post(&url)
            .set("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        } else if let Some(Credentials(basic)) = &self.credentials {
            request = request.set("Authorization", basic);
        }
        self.answer(&url, request.send_bytes(body))
    }

    /// `<method> <api><path>` with an optional JSON body and a bearer token (else the URL's Basic credentials).
    pub fn send(
        &self,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
        token: Option<&str>,
    ) -> Result<std::result::Result<Value, ApiFailure>> {
        let url = format!("{}{path}", self.api);
        let mut request = self.agent.request(method, &url);
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        } else if let Some(Credentials(basic)) = &self.credentials {
            request = request.set("Authorization", basic);
        }
        let result = match body {
            Some(body) => request
                .set("Content-Type", "application/json")
                .send_bytes(body),
            None => request.call(),
        };
        self.answer(&url, result).map(|r| r.map(|(_, value)| value))
    }

    fn answer(
        &self,
        url: &str,
        result: std::result::Result<ureq::Response, ureq::Error>,
    ) -> Result<std::result::Result<(u16, Value), ApiFailure>> {
        match result {
            Ok(response) => {
                let status = response.status();
                let bytes = read_body(response, url)?;
                let value = verifier::json::parse_strict(&bytes).map_err(|e| {
                    CliError::CouldNotRun(format!(
                        "{url} answered with JSON that does not parse: {e}"
                    ))
                })?;
                Ok(Ok((status, value)))
            }
            Err(ureq::Error::Status(status, response)) => {
                let bytes = read_body(response, url).unwrap_or_default();
                let body = verifier::json::parse_strict(&bytes).ok();
                let text = |key: &str| {
                    body.as_ref()
                        .and_then(|b| b.get(key))
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                let mut message = text("error");
                if message.is_empty() {
                    message = String::from_utf8_lossy(&bytes)
                        .trim()
                        .chars()
                        .take(200)
                        .collect();
                }
                Ok(Err(ApiFailure {
                    status,
                    code: text("code"),
                    message,
                    body,
                }))
            }
            Err(ureq::Error::Transport(e)) => {
                Err(CliError::CouldNotRun(format!("cannot reach {url}: {e}")))
            }
        }
    }
}

fn read_body(response: ureq::Response, url: &str) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    response
        .into_reader()
        .take(MAX_RESPONSE_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::CouldNotRun(format!("reading the answer of {url}: {e}")))?;
    Ok(bytes)
}

/// Everything but RFC 3986's unreserved characters.
const SEGMENT: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes one path segment (everything but unreserved characters; `/` becomes `%2F`).
pub fn encode_segment(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, SEGMENT).to_string()
}

impl ApiFailure {
    /// `<status> <code>: <message>`.
    pub fn describe(&self) -> String {
        if self.code.is_empty() {
            format!("HTTP {}: {}", self.status, self.message)
        } else {
            format!("HTTP {} {}: {}", self.status, self.code, self.message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_leave_the_url() {
        let registry = Registry::new("http://us%40er:s%3Acret@h:1/registry-api/v1/").unwrap();
        assert_eq!(registry.api(), "http://h:1/registry-api/v1");
        let Some(Credentials(basic)) = &registry.credentials else {
            panic!("no credentials");
        };
        let pair = base64::engine::general_purpose::STANDARD
            .decode(basic.strip_prefix("Basic ").unwrap())
            .unwrap();
        assert_eq!(pair, b"us@er:s:cret");
        assert!(!format!("{registry:?}").contains(basic.as_str()));
        for bad in [
            "ftp://u:s3cret@h",
            "http://u:s3cret@h/?q",
            "u:s3cret@h:1",
            "http://u:s3cret@:1",
        ] {
            let error = Registry::new(bad).unwrap_err().to_string();
            assert!(!error.contains("s3cret"), "{error}");
        }
    }

    #[test]
    fn base_urls() {
        for url in [
            "http://h:1",
            "http://h:1/",
            "http://h:1/registry-api/v1",
            "http://h:1/registry-api/v1/",
        ] {
            assert_eq!(
                Registry::new(url).unwrap().api(),
                "http://h:1/registry-api/v1"
            );
        }
        assert!(Registry::new("h:1").is_err());
        assert_eq!(
            Registry::package_path("ns/a", "1.0.0+b", "/lock"),
            "/packages/ns%2Fa/1.0.0%2Bb/lock"
        );
    }
}
