//! Scoped publish tokens as ANIP writes them: `anip_pat_<uuid>_<64 hex>`. Only the lowercase hex SHA-256 of the
//! secret part is stored; presented secrets are compared with it in constant time.

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;

use crate::error::Error;

/// The prefix of every scoped token.
pub const PREFIX: &str = "anip_pat_";

/// A parsed bearer token: its id (a lowercase UUID) and its secret part.
#[derive(Debug, PartialEq, Eq)]
pub struct Presented<'a> {
    /// The token id (lowercase UUID, 36 characters).
    pub token_id: String,
    /// The secret part (never logged).
    pub secret: &'a str,
}

/// A newly minted token: the id, the full bearer text (shown once) and the stored hash.
#[derive(Debug)]
pub struct Minted {
    /// Token id (UUID v4).
    pub token_id: String,
    /// `anip_pat_<id>_<secret>`: returned to the client once, never stored.
    pub bearer: String,
    /// Lowercase hex SHA-256 of the secret.
    pub hash: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Lowercase hex SHA-256 of `secret`.
pub fn hash_secret(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `secret` hashes to `stored_hash` (lowercase hex), compared in constant time.
pub fn secret_matches(stored_hash: &str, secret: &str) -> bool {
    let presented = hash_secret(secret);
    presented.len() == stored_hash.len()
        && bool::from(presented.as_bytes().ct_eq(stored_hash.as_bytes()))
}

/// Whether `s` is a UUID in its 8-4-4-4-12 hex form (either case).
pub fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Parses `anip_pat_<uuid>_<secret>`; `None` for anything else (then it may still be the legacy token).
pub fn parse(token: &str) -> Option<Presented<'_>> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    (is_uuid(id) && !secret.is_empty()).then(|| Presented {
        token_id: id.to_ascii_lowercase(),
        secret,
    })
}

/// A random UUID v4, lowercase.
pub fn new_uuid() -> Result<String, Error> {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).map_err(|e| Error::Internal(format!("random: {e}")))?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// Mints a token: a fresh id and 32 random bytes of secret (64 hex characters).
pub fn mint() -> Result<Minted, Error> {
    let token_id = new_uuid()?;
    let mut secret = [0u8; 32];
    getrandom::fill(&mut secret).map_err(|e| Error::Internal(format!("random: {e}")))?;
    let secret = hex(&secret);
    Ok(Minted {
        bearer: format!("{PREFIX}{token_id}_{secret}"),
        hash: hash_secret(&secret),
        token_id,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn minted_tokens_parse_back_and_match_only_their_hash() {
        let minted = mint().unwrap();
        assert_eq!(minted.bearer.len(), PREFIX.len() + 36 + 1 + 64);
        let presented = parse(&minted.bearer).unwrap();
        assert_eq!(presented.token_id, minted.token_id);
        assert!(secret_matches(&minted.hash, presented.secret));
        assert!(!secret_matches(&minted.hash, "0"));
        let other = mint().unwrap();
        assert_ne!(other.token_id, minted.token_id);
        assert!(!secret_matches(&other.hash, presented.secret));
    }

    #[test]
    fn other_shapes_are_not_scoped_tokens() {
        for bad in [
            "",
            "anip_pat_",
            "anip_pat_not-a-uuid_abc",
            "anip_pat_123e4567-e89b-42d3-a456-426614174000",
            "anip_pat_123e4567-e89b-42d3-a456-426614174000_",
            "anip_sid_123e4567-e89b-42d3-a456-426614174000_ab",
            "legacy-token",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
        let upper = parse("anip_pat_123E4567-E89B-42D3-A456-426614174000_ab").unwrap();
        assert_eq!(upper.token_id, "123e4567-e89b-42d3-a456-426614174000");
        assert_eq!(upper.secret, "ab");
    }
}
