//! Receipt signature strings `ed25519:<key_id>:<base64 of 64 bytes>`: parse, format and verify.

use std::fmt;
use std::str::FromStr;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::SignatureError;
use crate::keys::{KeyId, KeySet, SigningKey};

/// The only algorithm ANIP registries sign with.
pub const ED25519: &str = "ed25519";

/// A parsed signature string.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistrySignature {
    key_id: KeyId,
    bytes: [u8; 64],
}

impl RegistrySignature {
    /// Signs `message` with `key`.
    pub fn sign(key: &SigningKey, message: &[u8]) -> Self {
        RegistrySignature {
            key_id: key.key_id().clone(),
            bytes: key.sign(message),
        }
    }

    /// The id of the key that made it.
    pub fn key_id(&self) -> &KeyId {
        &self.key_id
    }

    /// The 64 signature bytes.
    pub fn bytes(&self) -> &[u8; 64] {
        &self.bytes
    }

    /// The algorithm (always `ed25519`).
    pub fn algorithm(&self) -> &'static str {
        ED25519
    }

    /// Verifies strictly against the key with this signature's id in `keys`.
    pub fn verify(&self, keys: &KeySet, message: &[u8]) -> Result<(), SignatureError> {
        let key = keys
            .get(self.key_id.as_str())
            .ok_or_else(|| SignatureError::UnknownKey(self.key_id.to_string()))?;
        if key.verify_strict(message, &self.bytes) {
            Ok(())
        } else {
            Err(SignatureError::Invalid(format!(
                "the Ed25519 signature by key {} does not match the signed bytes",
                self.key_id
            )))
        }
    }
}

impl FromStr for RegistrySignature {
    type Err = SignatureError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.split(':');
        let (Some(algorithm), Some(key_id), Some(encoded), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(SignatureError::Malformed(
                "expected exactly three ':'-separated parts, ed25519:<key_id>:<base64>".to_owned(),
            ));
        };
        if algorithm != ED25519 {
            return Err(SignatureError::UnsupportedAlgorithm(algorithm.to_owned()));
        }
        let key_id = KeyId::new(key_id).map_err(|e| SignatureError::Malformed(e.message))?;
        if encoded.len() != 88 {
            return Err(SignatureError::Malformed(format!(
                "signature is {} base64 characters; a padded Ed25519 signature is 88",
                encoded.len()
            )));
        }
        let decoded = B64
            .decode(encoded)
            .map_err(|e| SignatureError::Malformed(format!("signature is not base64: {e}")))?;
        let bytes: [u8; 64] = decoded.try_into().map_err(|_| {
            SignatureError::Malformed("signature does not decode to 64 bytes".to_owned())
        })?;
        Ok(RegistrySignature { key_id, bytes })
    }
}

impl fmt::Display for RegistrySignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ED25519}:{}:{}", self.key_id, B64.encode(self.bytes))
    }
}

impl fmt::Debug for RegistrySignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegistrySignature({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_verify() {
        let key = SigningKey::dev();
        let sig = RegistrySignature::sign(&key, b"hello");
        let text = sig.to_string();
        assert!(text.starts_with("ed25519:anip-registry-dev-ed25519-v1:"));
        let parsed: RegistrySignature = text.parse().unwrap();
        assert_eq!(parsed, sig);
        let keys = KeySet::of(key.key_id().clone(), key.public_key());
        assert!(parsed.verify(&keys, b"hello").is_ok());
        assert!(matches!(
            parsed.verify(&keys, b"hellO"),
            Err(SignatureError::Invalid(_))
        ));
        assert!(matches!(
            parsed.verify(&KeySet::new(), b"hello"),
            Err(SignatureError::UnknownKey(_))
        ));
    }

    #[test]
    fn malformed_strings() {
        let good = RegistrySignature::sign(&SigningKey::dev(), b"x").to_string();
        let b64 = good.rsplit(':').next().unwrap();
        for bad in [
            String::new(),
            "ed25519".to_owned(),
            format!("ed25519::{b64}"),
            format!("ed25519:a:b:{b64}"),
            format!("rsa:k:{b64}"),
            format!("ed25519:k:{}", &b64[..87]),
            format!("ed25519:k:{}!", &b64[..87]),
        ] {
            assert!(bad.parse::<RegistrySignature>().is_err(), "{bad:?}");
        }
        assert!(matches!(
            format!("rsa:k:{b64}").parse::<RegistrySignature>(),
            Err(SignatureError::UnsupportedAlgorithm(_))
        ));
    }
}
