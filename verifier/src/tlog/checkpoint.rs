//! C2SP `tlog-checkpoint` bodies in C2SP `signed-note`s: origins, note verifier keys, signing, parsing, verifying.
//!
//! The log's note key is the registry's Ed25519 receipt key under the key name = origin; every trusted key (active
//! and extra) yields a verifier key `origin+<8 hex key id>+<base64(0x01 || key)>`, so a rotation never makes an old
//! checkpoint unverifiable. Notes are parsed and written with the `signed_note` crate, checkpoint bodies with
//! `tlog_tiles`; signatures are checked here with strict Ed25519.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use signed_note::Note;
use tlog_tiles::Hash;

use crate::error::LogError;
use crate::keys::{KeySet, PublicKey, SigningKey};

/// Signature type byte of plain Ed25519 note signatures (the log's own).
pub const ED25519_TYPE: u8 = 0x01;
/// Signature type byte of `cosignature/v1` timestamped Ed25519 witness cosignatures.
pub const COSIGNATURE_TYPE: u8 = 0x04;
/// The longest origin (key name) accepted, bytes.
pub const MAX_ORIGIN_LEN: usize = 255;

/// Checks an origin / key name against the note-name rules: non-empty, at most 255 bytes, no Unicode space, no `+`,
/// no control character.
///
/// Errors: [`LogError::InvalidKey`] naming the rule.
pub fn validate_origin(origin: &str) -> Result<(), LogError> {
    if origin.is_empty() || origin.len() > MAX_ORIGIN_LEN {
        return Err(LogError::InvalidKey(format!(
            "origin/key name must be 1 to {MAX_ORIGIN_LEN} bytes"
        )));
    }
    if !signed_note::is_key_name_valid(origin) || origin.chars().any(char::is_control) {
        return Err(LogError::InvalidKey(format!(
            "origin/key name {origin:?} contains a space, '+' or a control character"
        )));
    }
    Ok(())
}

/// A note verifier key (`name+hash+base64`): a name, a signature type and an Ed25519 public key.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifierKey {
    name: String,
    key_type: u8,
    key: PublicKey,
    id: u32,
}

impl VerifierKey {
    /// The log key: type 0x01, name = `origin`.
    ///
    /// Errors: [`LogError::InvalidKey`] for an invalid origin.
    pub fn log(origin: &str, key: &PublicKey) -> Result<Self, LogError> {
        Self::new(origin, ED25519_TYPE, key)
    }

    /// A witness key: type 0x04 (`cosignature/v1`), name = the cosigner's name.
    ///
    /// Errors: [`LogError::InvalidKey`] for an invalid name.
    pub fn cosigner(name: &str, key: &PublicKey) -> Result<Self, LogError> {
        Self::new(name, COSIGNATURE_TYPE, key)
    }

    fn new(name: &str, key_type: u8, key: &PublicKey) -> Result<Self, LogError> {
        validate_origin(name)?;
        let id = key_id(name, key_type, key);
        Ok(VerifierKey {
            name: name.to_owned(),
            key_type,
            key: *key,
            id,
        })
    }

    /// Parses `name+<8 lowercase hex>+<base64(type || 32-byte key)>` for type 0x01 or 0x04, checking the key id.
    ///
    /// Errors: [`LogError::InvalidKey`] saying what is wrong.
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let bad = |why: &str| LogError::InvalidKey(format!("verifier key {text:?}: {why}"));
        let (name, rest) = text.split_once('+').ok_or_else(|| bad("not name+id+key"))?;
        let (id_hex, key_b64) = rest.split_once('+').ok_or_else(|| bad("not name+id+key"))?;
        validate_origin(name).map_err(|_| bad("invalid key name"))?;
        if id_hex.len() != 8 || !id_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("key id is not 8 hex digits"));
        }
        let id = u32::from_str_radix(id_hex, 16).map_err(|_| bad("key id is not hex"))?;
        let raw = B64.decode(key_b64).map_err(|_| bad("key is not base64"))?;
        let (&key_type, key) = raw.split_first().ok_or_else(|| bad("empty key"))?;
        if key_type != ED25519_TYPE && key_type != COSIGNATURE_TYPE {
            return Err(bad(
                "signature type is neither Ed25519 (0x01) nor cosignature/v1 (0x04)",
            ));
        }
        let key: [u8; 32] = key
            .try_into()
            .map_err(|_| bad("an Ed25519 key is 32 bytes"))?;
        let key = PublicKey::from_bytes(&key).map_err(|_| bad("not an Ed25519 point"))?;
        let parsed = Self::new(name, key_type, &key)?;
        if parsed.id != id {
            return Err(bad("key id does not match the name and key"));
        }
        Ok(parsed)
    }

    /// The key name (the origin for a log key).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The 32-bit key id.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// The signature type byte (0x01 log, 0x04 cosigner).
    pub fn key_type(&self) -> u8 {
        self.key_type
    }

    /// The Ed25519 public key.
    pub fn public_key(&self) -> &PublicKey {
        &self.key
    }

    /// Whether `sig` (the bytes after the key id) is this type-0x01 key's valid strict Ed25519 signature of the note
    /// text `text`. Always false for a cosigner key (see [`crate::tlog::cosignature::verify_one`]).
    pub fn verify_note(&self, text: &[u8], sig: &[u8]) -> bool {
        self.key_type == ED25519_TYPE
            && <[u8; 64]>::try_from(sig).is_ok_and(|s| self.key.verify_strict(text, &s))
    }
}

/// Splits a signed note (C2SP `signed-note`) into its text (ending in a newline, split at the last blank line) and
/// its signature lines, with `signed_note`'s checks (UTF-8, no control characters but newline, at most 100
/// signatures, 1 MB). No signature is verified.
///
/// Errors: [`LogError::InvalidCheckpoint`].
pub fn split_note(text: &str) -> Result<(String, Vec<NoteSignature>), LogError> {
    let note = Note::from_bytes(text.as_bytes())
        .map_err(|e| LogError::InvalidCheckpoint(format!("signed note: {e}")))?;
    let body = std::str::from_utf8(note.text())
        .map_err(|_| LogError::InvalidCheckpoint("not UTF-8".into()))?
        .to_owned();
    let sig_block = text.get(body.len() + 1..).unwrap_or_default();
    let mut signatures = Vec::new();
    for line in sig_block.lines() {
        let sig = signed_note::Signature::from_bytes(line.as_bytes())
            .map_err(|e| LogError::InvalidCheckpoint(format!("signature line: {e}")))?;
        signatures.push(NoteSignature {
            name: sig.name().to_owned(),
            id: sig.id(),
            sig: sig.signature().to_vec(),
        });
    }
    Ok((body, signatures))
}

impl fmt::Display for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = Vec::with_capacity(33);
        raw.push(self.key_type);
        raw.extend_from_slice(&self.key.to_bytes());
        write!(f, "{}+{:08x}+{}", self.name, self.id, B64.encode(raw))
    }
}

impl fmt::Debug for VerifierKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifierKey({self})")
    }
}

/// `SHA-256(name || 0x0A || type || key)[:4]` as a big-endian u32.
pub fn key_id(name: &str, key_type: u8, key: &PublicKey) -> u32 {
    let mut raw = Vec::with_capacity(33);
    raw.push(key_type);
    raw.extend_from_slice(&key.to_bytes());
    signed_note::key_id(name, &raw)
}

/// The log verifier keys (`name+hash+b64`) of every key in `keys`, in order, for `origin`.
///
/// Errors: [`LogError::InvalidKey`] for an invalid origin.
pub fn log_verifier_keys(origin: &str, keys: &KeySet) -> Result<Vec<String>, LogError> {
    keys.iter()
        .map(|(_, key)| VerifierKey::log(origin, key).map(|k| k.to_string()))
        .collect()
}

/// A checkpoint body: origin, tree size, root hash (no extension lines are written; parsed ones are refused).
#[derive(Debug, Clone, PartialEq)]
pub struct Checkpoint {
    /// The log's origin line.
    pub origin: String,
    /// Number of entries in the tree.
    pub size: u64,
    /// RFC 6962 root hash of the tree.
    pub root: Hash,
}

impl Checkpoint {
    /// The body text `origin\nsize\nbase64(root)\n`.
    pub fn body(&self) -> String {
        format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root.0)
        )
    }

    /// Parses a checkpoint body (with `tlog_tiles`).
    ///
    /// Errors: [`LogError::InvalidCheckpoint`] for a malformed body or an extension line.
    pub fn parse_body(body: &[u8]) -> Result<Self, LogError> {
        let cp = tlog_tiles::Checkpoint::from_bytes(body)
            .map_err(|_| LogError::InvalidCheckpoint("malformed checkpoint body".into()))?;
        if !cp.extension().is_empty() {
            return Err(LogError::InvalidCheckpoint(
                "checkpoint has extension lines".into(),
            ));
        }
        validate_origin(cp.origin())
            .map_err(|e| LogError::InvalidCheckpoint(format!("origin line: {e}")))?;
        Ok(Checkpoint {
            origin: cp.origin().to_owned(),
            size: cp.size(),
            root: *cp.hash(),
        })
    }

    /// Signs the body with the log key `key` under the name `self.origin`, giving the signed note text.
    ///
    /// Errors: [`LogError::InvalidKey`] for an invalid origin.
    pub fn sign(&self, key: &SigningKey) -> Result<String, LogError> {
        let vkey = VerifierKey::log(&self.origin, &key.public_key())?;
        let signer = NoteSigner {
            name: &self.origin,
            id: vkey.id,
            sign: |msg: &[u8]| key.sign(msg).to_vec(),
        };
        let mut note = Note::new(self.body().as_bytes(), &[])
            .map_err(|e| LogError::InvalidCheckpoint(e.to_string()))?;
        note.add_sigs(&[&signer])
            .map_err(|e| LogError::InvalidCheckpoint(e.to_string()))?;
        String::from_utf8(note.to_bytes())
            .map_err(|_| LogError::InvalidCheckpoint("note is not UTF-8".into()))
    }
}

/// A `signed_note` signer over any signing function (the log key or a witness key).
pub(crate) struct NoteSigner<'a, F: Fn(&[u8]) -> Vec<u8>> {
    pub(crate) name: &'a str,
    pub(crate) id: u32,
    pub(crate) sign: F,
}

impl<F: Fn(&[u8]) -> Vec<u8>> signed_note::Signer for NoteSigner<'_, F> {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        self.id
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        Ok((self.sign)(msg))
    }
}

/// One signature line of a note: key name, key id, signature bytes (after the id).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key id.
    pub id: u32,
    /// The signature bytes after the 4-byte id.
    pub sig: Vec<u8>,
}

/// A parsed signed checkpoint: the note text, its body and all its signature lines (none verified yet).
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    /// The checkpoint body as parsed.
    pub checkpoint: Checkpoint,
    /// The body bytes exactly as signed.
    pub body: String,
    /// Every signature line, in order.
    pub signatures: Vec<NoteSignature>,
}

impl SignedCheckpoint {
    /// Parses a signed note holding a checkpoint (with `signed_note`: UTF-8, no control characters, at most 100
    /// signatures, 1 MB).
    ///
    /// Errors: [`LogError::InvalidCheckpoint`].
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let (body, signatures) = split_note(text)?;
        let checkpoint = Checkpoint::parse_body(body.as_bytes())?;
        Ok(SignedCheckpoint {
            checkpoint,
            body,
            signatures,
        })
    }

    /// Verifies the log signature: at least one signature from a key in `log_keys` (type 0x01, name = origin)
    /// verifies, and every signature from a listed key verifies. Returns the key that verified first.
    ///
    /// Errors: [`LogError::OriginMismatch`] when no listed key is named after the origin,
    /// [`LogError::BadSignature`] when a signature of a listed key fails, [`LogError::UnverifiedCheckpoint`] when
    /// no listed key signed.
    pub fn verify_log<'k>(&self, log_keys: &'k [VerifierKey]) -> Result<&'k VerifierKey, LogError> {
        let origin = &self.checkpoint.origin;
        let named: Vec<&VerifierKey> = log_keys
            .iter()
            .filter(|k| k.key_type == ED25519_TYPE && &k.name == origin)
            .collect();
        if named.is_empty() {
            let expected = log_keys.first().map(|k| k.name.clone()).unwrap_or_default();
            return Err(LogError::OriginMismatch {
                expected,
                found: origin.clone(),
            });
        }
        let mut first = None;
        for sig in &self.signatures {
            let Some(key) = named.iter().find(|k| k.name == sig.name && k.id == sig.id) else {
                continue;
            };
            if !key.verify_note(self.body.as_bytes(), &sig.sig) {
                return Err(LogError::BadSignature(format!(
                    "signature by {}+{:08x}",
                    sig.name, sig.id
                )));
            }
            first.get_or_insert(*key);
        }
        first.ok_or_else(|| {
            LogError::UnverifiedCheckpoint(format!(
                "no signature by any of {} trusted key(s) for {origin}",
                named.len()
            ))
        })
    }

    /// The note text again: body, blank line, signature lines (the same bytes [`SignedCheckpoint::parse`] read
    /// when they were canonical).
    pub fn to_text(&self) -> String {
        let mut out = self.body.clone();
        out.push('\n');
        for sig in &self.signatures {
            let mut raw = sig.id.to_be_bytes().to_vec();
            raw.extend_from_slice(&sig.sig);
            out.push_str(&format!("— {} {}\n", sig.name, B64.encode(raw)));
        }
        out
    }
}
