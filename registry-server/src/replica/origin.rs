//! The origin as the follower reads it: `GET`s under its API base, through the record routes only (never
//! `/download`, so the origin counts no download), each bounded by the request timeout.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Characters escaped in one path segment (RFC 3986 unreserved ones stay).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// One path segment, percent-encoded.
pub fn segment(text: &str) -> String {
    utf8_percent_encode(text, SEGMENT).to_string()
}

/// An answer: status and body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// The origin registry.
#[derive(Debug, Clone)]
pub struct Origin {
    api: String,
    max_bytes: u64,
    client: reqwest::Client,
}

impl Origin {
    /// The origin at `api` (`…/registry-api/v1`), each request bounded by `timeout` and its answer by `max_bytes`.
    ///
    /// Errors: the client's, when it cannot be built.
    pub fn new(api: &str, timeout: std::time::Duration, max_bytes: u64) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .user_agent(concat!("anip-registry-replica/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("HTTP client: {e}"))?;
        Ok(Origin {
            api: api.to_owned(),
            max_bytes,
            client,
        })
    }

    /// `GET <api><path>`. Errors: the transport's (no answer), as text.
    pub async fn get(&self, path: &str) -> Result<Answer, String> {
        let url = format!("{}{path}", self.api);
        let response = self
            .client
            .get(&url)
            .send()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?;
        let status = response.status().as_u16();
        let mut response = response;
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| format!("GET {path}: {e}"))?
        {
            if (body.len() + chunk.len()) as u64 > self.max_bytes {
                return Err(format!(
                    "GET {path}: the answer is larger than {} bytes (ANIP_REGISTRY_MIRROR_MAX_RESPONSE_BYTES)",
                    self.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer { status, body })
    }

    /// [`Origin::get`] of an owned path (a future that borrows only the origin).
    pub async fn get_owned(&self, path: String) -> Result<Answer, String> {
        self.get(&path).await
    }

    /// `GET <api><path>` that must answer 200. Errors: the transport's, or `GET path: HTTP <status>`.
    pub async fn get_ok(&self, path: &str) -> Result<Vec<u8>, String> {
        let answer = self.get(path).await?;
        if answer.status == 200 {
            Ok(answer.body)
        } else {
            Err(format!("GET {path}: HTTP {}", answer.status))
        }
    }
}
