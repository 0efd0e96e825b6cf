//! Ed25519 keys: key ids, signing keys from base64, public keys, the extra-key list and the public development key.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signer as _, SigningKey as DalekSigningKey, VerifyingKey};
use sha2::{Digest as _, Sha256};

use crate::error::FormatError;

/// The key id of the public development key (reference §6.3).
pub const DEV_KEY_ID: &str = "anip-registry-dev-ed25519-v1";

/// The ASCII string whose SHA-256 is the development key's seed.
pub const DEV_SEED_PHRASE: &str = "anip-registry-dev-local-ed25519-v1";

/// The fields of a key listing item (`/keys` items, a bundle's `registry_keys`).
pub const KEY_FIELDS: [&str; 3] = ["key_id", "algorithm", "public_key"];

/// The fields of a `/keys` answer.
pub const KEYS_ANSWER_FIELDS: [&str; 4] = ["signing_mode", "active_key_id", "dev_key", "items"];

/// The longest key id accepted, in bytes.
pub const MAX_KEY_ID_LEN: usize = 128;

/// A key id: non-empty, at most 128 bytes, no `:`, `,`, `=`, whitespace or control characters, so it survives the
/// signature string `ed25519:<id>:<sig>` and the list `id=key,id=key`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyId(String);

impl KeyId {
    /// Checks `id` against the key-id rules.
    pub fn new(id: &str) -> Result<Self, FormatError> {
        if id.is_empty() {
            return Err(FormatError::invalid("key_id", "key id is empty"));
        }
        if id.len() > MAX_KEY_ID_LEN {
            return Err(FormatError::invalid(
                "key_id",
                format!("key id is longer than {MAX_KEY_ID_LEN} bytes"),
            ));
        }
        if let Some(c) = id
            .chars()
            .find(|c| matches!(c, ':' | ',' | '=') || c.is_whitespace() || c.is_control())
        {
            return Err(FormatError::invalid(
                "key_id",
                format!(
                    "key id {id:?} contains {c:?}; key ids may not contain ':', ',', '=', whitespace or control characters"
                ),
            ));
        }
        Ok(KeyId(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for KeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An Ed25519 public key (32 bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads a public key from standard padded base64 of exactly 32 bytes.
    pub fn from_base64(text: &str) -> Result<Self, FormatError> {
        let bytes = B64
            .decode(text.trim())
            .map_err(|e| FormatError::invalid("public_key", format!("not base64: {e}")))?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|b: Vec<u8>| {
            FormatError::invalid(
                "public_key",
                format!("an Ed25519 public key is 32 bytes, not {}", b.len()),
            )
        })?;
        Self::from_bytes(&bytes)
    }

    /// Reads a public key from its 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, FormatError> {
        VerifyingKey::from_bytes(bytes)
            .map(PublicKey)
            .map_err(|_| FormatError::invalid("public_key", "bytes are not an Ed25519 curve point"))
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Standard padded base64 of the key bytes.
    pub fn to_base64(&self) -> String {
        B64.encode(self.0.as_bytes())
    }

    /// Strict Ed25519 verification (RFC 8032, rejecting small-order keys and non-canonical signatures).
    pub fn verify_strict(&self, message: &[u8], signature: &[u8; 64]) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(signature);
        self.0.verify_strict(message, &signature).is_ok()
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({})", self.to_base64())
    }
}

/// An Ed25519 private key with its id. `Debug` never shows the secret.
#[derive(Clone)]
pub struct SigningKey {
    key_id: KeyId,
    key: DalekSigningKey,
}

impl SigningKey {
    /// A signing key from its 32-byte seed.
    pub fn from_seed(key_id: KeyId, seed: &[u8; 32]) -> Self {
        SigningKey {
            key_id,
            key: DalekSigningKey::from_bytes(seed),
        }
    }

    /// Reads a private key from standard base64 of a 32-byte seed or of the 64-byte seed‖public-key form (whose
    /// public half must match the seed).
    pub fn from_base64(key_id: KeyId, text: &str) -> Result<Self, FormatError> {
        let at = "ANIP_REGISTRY_ED25519_PRIVATE_KEY";
        let bytes = B64
            .decode(text.trim())
            .map_err(|_| FormatError::invalid(at, "private key is not standard base64"))?;
        match bytes.len() {
            32 | 64 => {
                let mut seed = [0u8; 32];
                seed.copy_from_slice(&bytes[..32]);
                let key = Self::from_seed(key_id, &seed);
                if bytes.len() == 64 && key.public_key().to_bytes()[..] != bytes[32..] {
                    return Err(FormatError::invalid(
                        at,
                        "the public half of the 64-byte private key does not belong to its seed",
                    ));
                }
                Ok(key)
            }
            n => Err(FormatError::invalid(
                at,
                format!(
                    "private key must decode to a 32-byte seed or a 64-byte key, not {n} bytes"
                ),
            )),
        }
    }

    /// The public development key's signer: anyone can sign with it, so nothing it signs proves anything.
    pub fn dev() -> Self {
        let seed: [u8; 32] = Sha256::digest(DEV_SEED_PHRASE.as_bytes()).into();
        Self::from_seed(KeyId(DEV_KEY_ID.to_owned()), &seed)
    }

    /// Whether this is the public development key (by its key bytes, whatever id it was given).
    pub fn is_dev_key(&self) -> bool {
        self.public_key() == SigningKey::dev().public_key()
    }

    /// The key's id.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The public half.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key())
    }

    /// Base64 of the 32-byte seed (for key generation output only).
    pub fn seed_base64(&self) -> String {
        B64.encode(self.key.to_bytes())
    }

    /// Base64 of the 64-byte seed‖public form.
    pub fn keypair_base64(&self) -> String {
        B64.encode(self.key.to_keypair_bytes())
    }

    /// Signs `message` (pure Ed25519, no prehash).
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.key.sign(message).to_bytes()
    }
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("key_id", &self.key_id)
            .field("public_key", &self.public_key())
            .finish_non_exhaustive()
    }
}

/// Whether `key` is the public development key.
pub fn is_dev_public_key(key: &PublicKey) -> bool {
    *key == SigningKey::dev().public_key()
}

/// An ordered set of trusted public keys in which every id and every key appears once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeySet {
    keys: Vec<(KeyId, PublicKey)>,
}

impl KeySet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// A set of one key.
    pub fn of(key_id: KeyId, key: PublicKey) -> Self {
        KeySet {
            keys: vec![(key_id, key)],
        }
    }

    /// Adds a key. Refused (an [`FormatKind::Invalid`](crate::FormatKind::Invalid) error at `key_id`), leaving the
    /// set as it was, when the id is already present or the same key bytes are present under another id: one key
    /// has one id, so a retired id can never stand for the live key.
    pub fn insert(&mut self, key_id: KeyId, key: PublicKey) -> Result<(), FormatError> {
        if self.get(key_id.as_str()).is_some() {
            return Err(FormatError::invalid(
                "key_id",
                format!("key id {key_id} is listed twice"),
            ));
        }
        if let Some((existing, _)) = self.keys.iter().find(|(_, k)| *k == key) {
            return Err(FormatError::invalid(
                "key_id",
                format!("key {key_id} has the same bytes as key {existing}: one key has one id"),
            ));
        }
        self.keys.push((key_id, key));
        Ok(())
    }

    /// The key with this id.
    pub fn get(&self, key_id: &str) -> Option<&PublicKey> {
        self.keys
            .iter()
            .find(|(id, _)| id.as_str() == key_id)
            .map(|(_, key)| key)
    }

    /// All keys in order.
    pub fn iter(&self) -> impl Iterator<Item = (&KeyId, &PublicKey)> {
        self.keys.iter().map(|(id, key)| (id, key))
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set is empty.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Parses the `ANIP_REGISTRY_EXTRA_PUBLIC_KEYS` list `id=b64,id2=b64`: comma-separated, each entry trimmed,
    /// empty entries skipped, split at the first `=`. A bad entry is an error naming it; a repeated id, or the same
    /// key bytes under two ids, is an error.
    pub fn parse_list(list: &str) -> Result<Self, FormatError> {
        let at = "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS";
        let mut set = KeySet::new();
        for (index, entry) in list
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (id, key) = entry.split_once('=').ok_or_else(|| {
                FormatError::invalid(
                    format!("{at}[{index}]"),
                    "entry is not <key_id>=<base64 public key>",
                )
            })?;
            let id = KeyId::new(id.trim())
                .map_err(|e| FormatError::invalid(format!("{at}[{index}]"), e.message))?;
            let key = PublicKey::from_base64(key)
                .map_err(|e| FormatError::invalid(format!("{at}[{index}] ({id})"), e.message))?;
            set.insert(id, key)
                .map_err(|e| FormatError::invalid(format!("{at}[{index}]"), e.message))?;
        }
        Ok(set)
    }

    /// Writes the set back as an `id=b64,id=b64` list.
    pub fn to_list(&self) -> String {
        self.keys
            .iter()
            .map(|(id, key)| format!("{id}={}", key.to_base64()))
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_id_rules() {
        for bad in ["", "a:b", "a,b", "a=b", "a b", "a\tb", "a\u{0}"] {
            assert!(KeyId::new(bad).is_err(), "{bad:?} should be refused");
        }
        assert!(KeyId::new(&"k".repeat(129)).is_err());
        assert!(KeyId::new("anip-protocol-registry-root-2026-q2").is_ok());
    }

    #[test]
    fn private_key_forms() {
        let dev = SigningKey::dev();
        let id = KeyId::new("k").unwrap();
        let from_seed = SigningKey::from_base64(id.clone(), &dev.seed_base64()).unwrap();
        let from_pair = SigningKey::from_base64(id.clone(), &dev.keypair_base64()).unwrap();
        assert_eq!(from_seed.public_key(), dev.public_key());
        assert_eq!(from_pair.public_key(), dev.public_key());
        assert!(from_seed.is_dev_key());
        let mut pair = B64.decode(dev.keypair_base64()).unwrap();
        pair[40] ^= 1;
        assert!(SigningKey::from_base64(id.clone(), &B64.encode(&pair)).is_err());
        assert!(SigningKey::from_base64(id.clone(), "not base64!").is_err());
        assert!(SigningKey::from_base64(id, &B64.encode([0u8; 31])).is_err());
        assert!(!format!("{dev:?}").contains(&dev.seed_base64()));
    }

    #[test]
    fn extra_key_list() {
        let dev = SigningKey::dev().public_key().to_base64();
        let other = SigningKey::from_seed(KeyId::new("b").unwrap(), &[9; 32])
            .public_key()
            .to_base64();
        let set = KeySet::parse_list(&format!(" a={dev} ,, b={other} ")).unwrap();
        assert_eq!(set.len(), 2);
        let same_bytes = KeySet::parse_list(&format!("a={dev},b={dev}")).unwrap_err();
        assert_eq!(same_bytes.at, "ANIP_REGISTRY_EXTRA_PUBLIC_KEYS[1]");
        assert!(
            same_bytes.message.contains("same bytes as key a"),
            "{}",
            same_bytes.message
        );
        assert_eq!(KeySet::parse_list(&set.to_list()).unwrap(), set);
        assert!(KeySet::parse_list("").unwrap().is_empty());
        for bad in [
            "a".to_owned(),
            "a=xx".to_owned(),
            format!("a:b={dev}"),
            format!("a={dev},a={dev}"),
            "a=AAAA".to_owned(),
        ] {
            assert!(
                KeySet::parse_list(&bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }
}
