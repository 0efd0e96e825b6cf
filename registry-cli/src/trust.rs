//! Which keys to trust: a pinned trusted-keys file (key ids with key bytes), or — with a warning — whatever the
//! registry's `/keys` lists.
//!
//! The trusted-keys file is plain text, one key per line: `<key_id>=<base64 of the 32-byte Ed25519 public key>`.
//! Blank lines and lines starting with `#` are ignored. `registry keys --save FILE` writes one.

use serde_json::Value;
use verifier::casefold::check_keys;
use verifier::keys::{KEY_FIELDS, KEYS_ANSWER_FIELDS, KeyId, KeySet, PublicKey};

use crate::client::Registry;
use crate::error::{CliError, Result};

/// What the registry says about its keys (`/keys`).
#[derive(Debug, Clone, Default)]
pub struct RegistryKeys {
    /// `dev` or `production` (self-reported).
    pub signing_mode: String,
    /// The active key id.
    pub active_key_id: String,
    /// Every listed key.
    pub keys: KeySet,
    /// The transparency log the registry announces (`"log"`), if any: its origin and note verifier keys.
    pub log: Option<(String, Vec<String>)>,
}

/// The keys a check trusts.
#[derive(Debug, Clone)]
pub struct TrustedKeys {
    /// The keys.
    pub keys: KeySet,
    /// Whether they come from a pinned file (otherwise from the registry itself).
    pub pinned: bool,
}

/// Reads a trusted-keys file.
pub fn read_file(path: &str) -> Result<KeySet> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
    parse(&text).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))
}

/// Parses the trusted-keys format (`verifier::mirror::parse_trusted_keys`, shared with the server's replica).
pub fn parse(text: &str) -> std::result::Result<KeySet, String> {
    verifier::mirror::parse_trusted_keys(text)
}

/// Writes the trusted-keys format.
pub fn render(keys: &KeySet, source: &str) -> String {
    let mut out = format!(
        "# Trusted ANIP registry keys, saved from {source}\n# Format: <key_id>=<base64 Ed25519 public key>\n"
    );
    for (id, key) in keys.iter() {
        out.push_str(&format!("{id}={}\n", key.to_base64()));
    }
    out
}

/// Fetches `/keys`.
pub fn fetch(registry: &Registry) -> Result<RegistryKeys> {
    let body = registry
        .get("/keys")?
        .map_err(|f| CliError::CouldNotRun(format!("{}/keys: {}", registry.api(), f.describe())))?;
    // A key differing from a known field only in case would be read as that field by ANIP's client: refused.
    let ambiguous = |e: verifier::FormatError| CliError::CouldNotRun(format!("/keys {e}"));
    if let Some(object) = body.as_object() {
        check_keys(object, &KEYS_ANSWER_FIELDS, "").map_err(ambiguous)?;
    }
    let text = |key: &str| {
        body.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let mut keys = KeySet::new();
    for (i, item) in body
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(object) = item.as_object() {
            check_keys(object, &KEY_FIELDS, &format!("items[{i}]")).map_err(ambiguous)?;
        }
        let field = |key: &str| item.get(key).and_then(Value::as_str).unwrap_or("");
        if !field("algorithm").eq_ignore_ascii_case("ed25519") {
            continue;
        }
        let id = KeyId::new(field("key_id"))
            .map_err(|e| CliError::CouldNotRun(format!("/keys items[{i}]: {}", e.message)))?;
        let key = PublicKey::from_base64(field("public_key")).map_err(|e| {
            CliError::CouldNotRun(format!("/keys items[{i}] ({id}): {}", e.message))
        })?;
        keys.insert(id, key)
            .map_err(|e| CliError::CouldNotRun(format!("/keys items[{i}]: {}", e.message)))?;
    }
    let log = body.get("log").and_then(|log| {
        let origin = log.get("origin")?.as_str()?.to_owned();
        let vkeys = log
            .get("verifier_keys")?
            .as_array()?
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        Some((origin, vkeys))
    });
    Ok(RegistryKeys {
        signing_mode: text("signing_mode"),
        active_key_id: text("active_key_id"),
        keys,
        log,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let key = verifier::keys::SigningKey::dev();
        let keys = KeySet::of(key.key_id().clone(), key.public_key());
        assert_eq!(parse(&render(&keys, "test")).unwrap(), keys);
        let b64 = key.public_key().to_base64();
        let twice = parse(&format!("a={b64}\n# retired\nb={b64}\n")).unwrap_err();
        assert!(
            twice.starts_with("line 3: key b has the same bytes as key a"),
            "{twice}"
        );
        assert!(parse("").is_err());
        assert!(parse("a").is_err());
        assert!(parse("a=AAAA").is_err());
    }
}
