//! The keys page: the signing mode, the active key first, then the retired keys that still verify old receipts, each
//! with its SHA-256 fingerprint and base64 bytes; a loud warning when the active key is the public development key.

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};

use askama::Template;

use super::{Page, Section, origin, render};
use crate::state::AppState;

/// `keys.html`.
#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage<'a> {
    dev_key: bool,
    mode: &'a str,
    active: &'a str,
    origin: String,
    /// The active key first.
    keys: Vec<KeyView>,
    /// The transparency log's origin and note verifier keys (the same keys).
    log_origin: &'a str,
    log_keys: &'a [String],
}

/// One trusted key.
#[derive(Debug)]
struct KeyView {
    id: String,
    active: bool,
    dev: bool,
    fingerprint: String,
    base64: String,
}

/// SHA-256 of the key bytes in lowercase hex, in groups of four.
pub fn fingerprint(key_bytes: &[u8]) -> String {
    let hex = hex::encode(Sha256::digest(key_bytes));
    hex.as_bytes()
        .chunks(4)
        .map(|group| String::from_utf8_lossy(group).into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /registry/keys`.
pub fn page(state: &AppState, headers: &HeaderMap) -> Page {
    let signing = &state.settings.signing;
    let active = signing.signer.key_id().as_str();
    // The key set lists the active key first; keep that order, and say which is which.
    let mut keys: Vec<KeyView> = signing
        .keys
        .iter()
        .map(|(id, key)| KeyView {
            id: id.as_str().to_owned(),
            active: id.as_str() == active,
            dev: verifier::keys::is_dev_public_key(key),
            fingerprint: fingerprint(&key.to_bytes()),
            base64: key.to_base64(),
        })
        .collect();
    keys.sort_by_key(|k| !k.active);
    let log = crate::replica::log_identity(state);
    let content = render(&KeysPage {
        dev_key: signing.dev_key,
        mode: state.settings.mode.as_str(),
        active,
        origin: origin(state, headers),
        keys,
        log_origin: log.as_ref().map_or("", |(origin, _)| origin.as_str()),
        log_keys: log.as_ref().map_or(&[], |(_, keys)| keys.as_slice()),
    });
    Page::ok("Signing keys", Section::Keys, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_are_grouped_hex() {
        let f = fingerprint(&[0u8; 32]);
        assert_eq!(f.len(), 64 + 15);
        assert!(f.starts_with("6668 7aad f862 bd77 6c8f"), "{f}");
    }
}
