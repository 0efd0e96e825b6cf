//! C2SP `tlog-cosignature` `cosignature/v1`: timestamped Ed25519 witness cosignatures over a checkpoint body.
//!
//! The signed message is `cosignature/v1\ntime <unix seconds>\n` followed by the checkpoint body; the signature line
//! carries `key id (4) || timestamp (8, big-endian) || Ed25519 signature (64)`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;

use crate::error::LogError;
use crate::keys::SigningKey;
use crate::tlog::checkpoint::{COSIGNATURE_TYPE, NoteSignature, SignedCheckpoint, VerifierKey};

/// The largest timestamp a cosignature may carry (2^63 - 1).
pub const MAX_TIMESTAMP: u64 = i64::MAX as u64;

/// A verified cosignature: who and when (POSIX seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// The cosigner's key name.
    pub name: String,
    /// The cosignature's timestamp, POSIX seconds.
    pub timestamp: u64,
}

/// The message a `cosignature/v1` signs for `body` at `timestamp`.
pub fn signed_message(body: &str, timestamp: u64) -> Vec<u8> {
    format!("cosignature/v1\ntime {timestamp}\n{body}").into_bytes()
}

/// Cosigns `body` as the witness `name` at `timestamp`: the note signature line (`— name base64(...)\n`) to append
/// to the signed checkpoint.
///
/// Errors: [`LogError::InvalidKey`] for an invalid name or a timestamp above 2^63 - 1.
pub fn cosign(
    body: &str,
    name: &str,
    timestamp: u64,
    key: &SigningKey,
) -> Result<String, LogError> {
    if timestamp > MAX_TIMESTAMP {
        return Err(LogError::InvalidKey(
            "cosignature timestamp above 2^63 - 1".into(),
        ));
    }
    let vkey = VerifierKey::cosigner(name, &key.public_key())?;
    let sig = key.sign(&signed_message(body, timestamp));
    let mut raw = Vec::with_capacity(76);
    raw.extend_from_slice(&vkey.id().to_be_bytes());
    raw.extend_from_slice(&timestamp.to_be_bytes());
    raw.extend_from_slice(&sig);
    Ok(format!("— {name} {}\n", B64.encode(raw)))
}

/// Checks one note signature as a cosignature of `body` by `key` (which must be a cosigner key of the same name and
/// id). Returns the timestamp.
///
/// Errors: [`LogError::BadSignature`] when the bytes are not 72 long, the timestamp is out of range or the
/// signature does not verify.
pub fn verify_one(sig: &NoteSignature, body: &str, key: &VerifierKey) -> Result<u64, LogError> {
    let bad = || LogError::BadSignature(format!("cosignature by {}+{:08x}", sig.name, sig.id));
    if key.key_type() != COSIGNATURE_TYPE || key.name() != sig.name || key.id() != sig.id {
        return Err(bad());
    }
    let (ts, ed) = sig.sig.split_first_chunk::<8>().ok_or_else(bad)?;
    let ed: [u8; 64] = ed.try_into().map_err(|_| bad())?;
    let timestamp = u64::from_be_bytes(*ts);
    if timestamp > MAX_TIMESTAMP {
        return Err(bad());
    }
    if !key
        .public_key()
        .verify_strict(&signed_message(body, timestamp), &ed)
    {
        return Err(bad());
    }
    Ok(timestamp)
}

impl SignedCheckpoint {
    /// The cosignatures by `witnesses` (type 0x04 keys) that verify. A signature line whose name and id match a
    /// witness key must verify; lines of unknown keys are ignored. A witness counts once.
    ///
    /// Errors: [`LogError::BadSignature`] when a listed witness's cosignature does not verify.
    pub fn verify_cosignatures(
        &self,
        witnesses: &[VerifierKey],
    ) -> Result<Vec<Cosignature>, LogError> {
        let mut out: Vec<Cosignature> = Vec::new();
        for sig in &self.signatures {
            let Some(key) = witnesses.iter().find(|k| {
                k.key_type() == COSIGNATURE_TYPE && k.name() == sig.name && k.id() == sig.id
            }) else {
                continue;
            };
            let timestamp = verify_one(sig, &self.body, key)?;
            if !out.iter().any(|c| c.name == sig.name) {
                out.push(Cosignature {
                    name: sig.name.clone(),
                    timestamp,
                });
            }
        }
        Ok(out)
    }

    /// Appends a cosignature line made by [`cosign`] (replacing an earlier line of the same name and id).
    ///
    /// Errors: [`LogError::InvalidCheckpoint`] when the line is not a signature line.
    pub fn add_signature_line(&mut self, line: &str) -> Result<(), LogError> {
        let sig = signed_note::Signature::from_bytes(line.trim_end_matches('\n').as_bytes())
            .map_err(|e| LogError::InvalidCheckpoint(format!("signature line: {e}")))?;
        self.signatures
            .retain(|s| !(s.name == sig.name() && s.id == sig.id()));
        self.signatures.push(NoteSignature {
            name: sig.name().to_owned(),
            id: sig.id(),
            sig: sig.signature().to_vec(),
        });
        Ok(())
    }
}
