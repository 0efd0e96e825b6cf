//! Inclusion and consistency checks (RFC 6962, via `tlog_tiles`) and the C2SP `tlog-proof` text format.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tlog_tiles::Hash;

use crate::error::LogError;
use crate::tlog::checkpoint::SignedCheckpoint;
use crate::tlog::entry::leaf_hash;
use crate::tlog::policy::{Policy, VerifiedCheckpoint};

/// The first line of a C2SP `tlog-proof`.
pub const TLOG_PROOF_HEADER: &str = "c2sp.org/tlog-proof@v1";
/// The most hashes an inclusion proof can need (a tree of up to 2^64 entries).
pub const MAX_INCLUSION_HASHES: usize = 64;
/// The most hashes a consistency proof can need.
pub const MAX_CONSISTENCY_HASHES: usize = 128;

/// Decodes one base64 SHA-256 hash. Errors: [`LogError::InvalidProof`].
pub fn decode_hash(text: &str) -> Result<Hash, LogError> {
    let raw = B64
        .decode(text)
        .map_err(|_| LogError::InvalidProof(format!("{text:?} is not base64")))?;
    let raw: [u8; 32] = raw
        .try_into()
        .map_err(|_| LogError::InvalidProof(format!("{text:?} is not a 32-byte hash")))?;
    Ok(Hash(raw))
}

/// Base64 of a hash.
pub fn encode_hash(hash: &Hash) -> String {
    B64.encode(hash.0)
}

/// Decodes a list of base64 hashes. Errors: [`LogError::InvalidProof`].
pub fn decode_hashes<S: AsRef<str>>(texts: &[S]) -> Result<Vec<Hash>, LogError> {
    texts.iter().map(|t| decode_hash(t.as_ref())).collect()
}

/// Checks that `proof` shows the leaf `leaf` at `index` in the tree of `size` entries with root `root`.
///
/// Errors: [`LogError::InclusionFailed`] (index outside the tree, too many hashes, or wrong proof).
pub fn check_inclusion(
    proof: &[Hash],
    index: u64,
    leaf: Hash,
    size: u64,
    root: Hash,
) -> Result<(), LogError> {
    if index >= size {
        return Err(LogError::InclusionFailed(format!(
            "index {index} is not inside a tree of {size}"
        )));
    }
    if proof.len() > MAX_INCLUSION_HASHES {
        return Err(LogError::InclusionFailed(
            "proof has too many hashes".into(),
        ));
    }
    tlog_tiles::check_record(&proof.to_vec(), size, root, index, leaf)
        .map_err(|e| LogError::InclusionFailed(format!("entry {index} in tree of {size}: {e}")))
}

/// Checks that `proof` shows the tree (`old_size`, `old_root`) is a prefix of (`new_size`, `new_root`). Equal sizes
/// need equal roots and an empty proof; an empty old tree has no proof (a caller that trusts nothing yet skips
/// the check instead).
///
/// Errors: [`LogError::ConsistencyFailed`].
pub fn check_consistency(
    proof: &[Hash],
    old_size: u64,
    old_root: Hash,
    new_size: u64,
    new_root: Hash,
) -> Result<(), LogError> {
    let fail =
        |why: String| LogError::ConsistencyFailed(format!("{old_size} -> {new_size}: {why}"));
    if old_size > new_size {
        return Err(fail("the old tree is larger than the new one".into()));
    }
    if old_size == new_size {
        if !proof.is_empty() {
            return Err(fail("equal sizes need an empty proof".into()));
        }
        if old_root != new_root {
            return Err(fail("equal sizes with different roots".into()));
        }
        return Ok(());
    }
    if old_size == 0 {
        return Err(fail("an empty tree has no consistency proof".into()));
    }
    if proof.len() > MAX_CONSISTENCY_HASHES {
        return Err(fail("proof has too many hashes".into()));
    }
    tlog_tiles::check_tree(&proof.to_vec(), new_size, new_root, old_size, old_root)
        .map_err(|e| fail(e.to_string()))
}

/// A C2SP `tlog-proof`: optional extra data, the entry index, the inclusion proof and the signed checkpoint text.
#[derive(Debug, Clone, PartialEq)]
pub struct TlogProof {
    /// Opaque, unauthenticated extra data (the `extra` line), if any.
    pub extra: Option<Vec<u8>>,
    /// The entry's index in the log.
    pub index: u64,
    /// The inclusion proof, leaf sibling first.
    pub hashes: Vec<Hash>,
    /// The signed checkpoint note, verbatim.
    pub checkpoint: String,
}

impl TlogProof {
    /// The proof text.
    pub fn encode(&self) -> String {
        let mut out = String::with_capacity(64 + self.hashes.len() * 45 + self.checkpoint.len());
        out.push_str(TLOG_PROOF_HEADER);
        out.push('\n');
        if let Some(extra) = &self.extra {
            out.push_str("extra ");
            out.push_str(&B64.encode(extra));
            out.push('\n');
        }
        out.push_str(&format!("index {}\n", self.index));
        for h in &self.hashes {
            out.push_str(&encode_hash(h));
            out.push('\n');
        }
        out.push('\n');
        out.push_str(&self.checkpoint);
        out
    }

    /// Parses proof text. The checkpoint part is parsed as a signed checkpoint but not verified.
    ///
    /// Errors: [`LogError::InvalidProof`] for a bad header, index or hash line, or a bad checkpoint.
    pub fn parse(text: &str) -> Result<Self, LogError> {
        let bad = |why: &str| LogError::InvalidProof(format!("tlog-proof: {why}"));
        let (head, checkpoint) = text
            .split_once("\n\n")
            .ok_or_else(|| bad("no blank line before the checkpoint"))?;
        let mut lines = head.split('\n');
        if lines.next() != Some(TLOG_PROOF_HEADER) {
            return Err(bad("first line is not c2sp.org/tlog-proof@v1"));
        }
        let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
        let mut extra = None;
        if let Some(b64) = line.strip_prefix("extra ") {
            extra = Some(B64.decode(b64).map_err(|_| bad("extra is not base64"))?);
            line = lines.next().ok_or_else(|| bad("no index line"))?;
        }
        let index_str = line
            .strip_prefix("index ")
            .ok_or_else(|| bad("no index line"))?;
        let index: u64 = index_str
            .parse()
            .map_err(|_| bad("index is not a number"))?;
        if index.to_string() != index_str {
            return Err(bad("index is not canonical decimal"));
        }
        let mut hashes = Vec::new();
        for line in lines {
            if hashes.len() == MAX_INCLUSION_HASHES {
                return Err(bad("too many proof hashes"));
            }
            hashes.push(decode_hash(line)?);
        }
        SignedCheckpoint::parse(checkpoint)
            .map_err(|e| LogError::InvalidProof(format!("tlog-proof checkpoint: {e}")))?;
        Ok(TlogProof {
            extra,
            index,
            hashes,
            checkpoint: checkpoint.to_owned(),
        })
    }

    /// Verifies the proof fully offline: the checkpoint against `policy` (log key, witnesses, quorum), then the
    /// inclusion of `entry` (the entry bytes) at `index`. Returns the verified checkpoint.
    ///
    /// Errors: any checkpoint or policy error, or [`LogError::InclusionFailed`].
    pub fn verify(&self, entry: &[u8], policy: &Policy) -> Result<VerifiedCheckpoint, LogError> {
        let verified = policy.verify_checkpoint(&self.checkpoint)?;
        let cp = &verified.checkpoint;
        check_inclusion(&self.hashes, self.index, leaf_hash(entry), cp.size, cp.root)?;
        Ok(verified)
    }
}
