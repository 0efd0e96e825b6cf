//! A small blocking client for a registry's API v1: base-URL handling, strict JSON answers, clear errors.

use std::io::Read as _;
use std::time::Duration;

use serde_json::Value;

use crate::error::{CliError, Result};

/// The largest answer read (records of the largest packages are a few MiB).
const MAX_RESPONSE_BYTES: u64 = 64 << 20;

/// A registry API.
#[derive(Debug, Clone)]
pub struct Registry {
    api: String,
    agent: ureq::Agent,
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
    /// A client for `url` (`https://host` or `https://host/registry-api/v1`; a trailing `/` is ignored).
    pub fn new(url: &str) -> Result<Self> {
        let base = url.trim().trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CliError::CouldNotRun(format!(
                "registry URL {url:?} must start with http:// or https://"
            )));
        }
        let api = if base.ends_with("/registry-api/v1") {
            base.to_owned()
        } else {
            format!("{base}/registry-api/v1")
        };
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(120))
            .user_agent(concat!("anip-registry-cli/", env!("CARGO_PKG_VERSION")))
            .build();
        Ok(Registry { api, agent })
    }

    /// `<scheme>://<host>/registry-api/v1`.
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
        let url = format!("{}{path}", self.api);
        self.answer(&url, self.agent.get(&url).call())
    }

    /// `POST <api><path>` with a JSON body and an optional bearer token.
    pub fn post(
        &self,
        path: &str,
        body: &[u8],
        token: Option<&str>,
    ) -> Result<std::result::Result<Value, ApiFailure>> {
        let url = format!("{}{path}", self.api);
        let mut request = self
            .agent
            .post(&url)
            .set("Content-Type", "application/json");
        if let Some(token) = token {
            request = request.set("Authorization", &format!("Bearer {token}"));
        }
        self.answer(&url, request.send_bytes(body))
    }

    fn answer(
        &self,
        url: &str,
        result: std::result::Result<ureq::Response, ureq::Error>,
    ) -> Result<std::result::Result<Value, ApiFailure>> {
        match result {
            Ok(response) => {
                let bytes = read_body(response, url)?;
                let value = verifier::json::parse_strict(&bytes).map_err(|e| {
                    CliError::CouldNotRun(format!(
                        "{url} answered with JSON that does not parse: {e}"
                    ))
                })?;
                Ok(Ok(value))
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

/// Percent-encodes one path segment (everything but unreserved characters).
pub fn encode_segment(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
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
