//! The keys page: the signing mode, the active key first, then the retired keys that still verify old receipts, each
//! with its SHA-256 fingerprint and base64 bytes; a loud warning when the active key is the public development key.

use axum::http::HeaderMap;
use sha2::{Digest as _, Sha256};

use super::html::{Html, esc, fill};
use super::{Page, Section, origin};
use crate::state::AppState;

const KEYS: &str = include_str!("../../../ui/templates/keys.html");

/// SHA-256 of the key bytes in lowercase hex, in groups of four.
pub fn fingerprint(key_bytes: &[u8]) -> String {
    let hex: Vec<String> = Sha256::digest(key_bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    hex.chunks(2)
        .map(|pair| pair.concat())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `GET /registry/keys`.
pub fn page(state: &AppState, headers: &HeaderMap) -> Page {
    let signing = &state.settings.signing;
    let active = signing.signer.key_id().as_str();
    let mode = state.settings.mode.as_str();
    let warning = if signing.dev_key {
        Html::trusted(
            "<div class=\"banner banner-danger\" role=\"alert\" id=\"dev-key-warning\"><p><strong>The active key is \
             the public development key.</strong> Its private half is published with the registry's source, so \
             anyone can sign receipts with it: receipts from this registry prove nothing. Production mode refuses \
             to start with it; make a real key with <code>registry-keygen</code>.</p></div>",
        )
    } else {
        Html::new()
    };
    let mut keys = Html::new();
    // The key set lists the active key first; keep that order, and say which is which.
    let mut entries: Vec<_> = signing.keys.iter().collect();
    entries.sort_by_key(|(id, _)| id.as_str() != active);
    for (id, key) in &entries {
        let is_active = id.as_str() == active;
        let dev = verifier::keys::is_dev_public_key(key);
        let status = if is_active {
            "<span class=\"badge badge-active\">active</span>"
        } else {
            "<span class=\"badge badge-other\">retired</span>"
        };
        let dev_badge = if dev {
            " <span class=\"badge badge-danger\">public development key</span>"
        } else {
            ""
        };
        keys.push_trusted(&format!(
            "<li class=\"card key\"><div class=\"card-head\"><h2><code>{}</code></h2> {status}{dev_badge}</div>\
             <dl class=\"kv\"><div><dt>Algorithm</dt><dd>ed25519</dd></div>\
             <div><dt>SHA-256 fingerprint</dt><dd><code class=\"hash fingerprint\">{}</code></dd></div>\
             <div><dt>Public key (base64)</dt><dd><code class=\"hash\">{}</code></dd></div></dl></li>\n",
            esc(id.as_str()),
            esc(&fingerprint(&key.to_bytes())),
            esc(&key.to_base64()),
        ));
    }
    let command = format!(
        "registry keys --registry-url {} --save trusted-keys.txt",
        origin(state, headers)
    );
    let mode_text = if mode == "production" {
        Html::trusted("<span class=\"badge badge-active\">production</span>")
    } else {
        Html::trusted(format!(
            "<span class=\"badge badge-danger\">{}</span> <span class=\"muted\">development: not for real \
             packages</span>",
            esc(mode)
        ))
    };
    let content = fill(
        KEYS,
        &[
            ("warning", &warning),
            ("mode", &mode_text),
            ("active", &Html::text(active)),
            ("count", &Html::text(&entries.len().to_string())),
            ("command", &Html::text(&command)),
            ("keys", &keys),
        ],
    );
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
