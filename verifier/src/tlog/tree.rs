//! An in-memory RFC 6962 tree over `tlog_tiles`' stored hashes: append leaves, read roots and proofs, serve tiles.
//!
//! For clients that recompute a whole log (the CLI's audit) and for tests; the server keeps the same stored hashes
//! in its database.

use tlog_tiles::{Hash, HashReader};

use crate::error::LogError;
use crate::tlog::paths::{TILE_HEIGHT, TilePath};

/// Every stored hash of a tree (`tlog_tiles::stored_hashes` order), so any root, proof or tile can be read.
#[derive(Debug, Clone, Default)]
pub struct MemoryTree {
    hashes: Vec<Hash>,
    size: u64,
}

impl HashReader for MemoryTree {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.hashes.get(i).copied())
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Appends a leaf given its leaf hash (`leaf_hash(entry)`).
    pub fn push_leaf_hash(&mut self, leaf: Hash) {
        let new =
            tlog_tiles::stored_hashes_for_record_hash(self.size, leaf, self).unwrap_or_default();
        self.hashes.extend(new);
        self.size += 1;
    }

    /// The root of the first `size` leaves. Errors: [`LogError::InvalidProof`] when `size` exceeds the tree.
    pub fn root(&self, size: u64) -> Result<Hash, LogError> {
        self.check(size)?;
        tlog_tiles::tree_hash(size, self).map_err(|e| LogError::InvalidProof(e.to_string()))
    }

    /// The inclusion proof of leaf `index` in the tree of `size` leaves.
    ///
    /// Errors: [`LogError::InvalidProof`] when `index >= size` or `size` exceeds the tree.
    pub fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, LogError> {
        self.check(size)?;
        tlog_tiles::prove_record(size, index, self)
            .map_err(|e| LogError::InvalidProof(e.to_string()))
    }

    /// The consistency proof from `old` to `new` leaves (`1 <= old <= new`).
    ///
    /// Errors: [`LogError::InvalidProof`] for sizes out of order or beyond the tree.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>, LogError> {
        self.check(new)?;
        tlog_tiles::prove_tree(new, old, self).map_err(|e| LogError::InvalidProof(e.to_string()))
    }

    /// The bytes of a hash tile (width × 32 bytes). Errors: [`LogError::InvalidTilePath`] for an entry bundle or a
    /// tile beyond the tree.
    pub fn tile(&self, path: &TilePath) -> Result<Vec<u8>, LogError> {
        let Some(level) = path.level() else {
            return Err(LogError::InvalidTilePath(path.to_string()));
        };
        let span = u32::from(TILE_HEIGHT) * u32::from(level);
        // The tile spans entries up to (index * 256 + width) * 256^level.
        (path.index() << TILE_HEIGHT)
            .checked_add(u64::from(path.width()))
            .and_then(|e| e.checked_mul(1u64.checked_shl(span)?))
            .filter(|&e| e <= self.size)
            .ok_or_else(|| LogError::InvalidTilePath(path.to_string()))?;
        path.to_tile()
            .read_data(self)
            .map_err(|_| LogError::InvalidTilePath(path.to_string()))
    }

    fn check(&self, size: u64) -> Result<(), LogError> {
        if size > self.size {
            return Err(LogError::InvalidProof(format!(
                "tree size {size} is beyond the {} leaves held",
                self.size
            )));
        }
        Ok(())
    }
}
