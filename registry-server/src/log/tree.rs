//! Merkle-tree arithmetic over stored hashes (RFC 6962 via `tlog_tiles`): which stored hashes an operation reads,
//! and the operation itself over hashes already fetched. No I/O: callers fetch the indexes, then compute.

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::{Error as TlogError, Hash, HashReader};

/// Stored hashes by stored-hash index, fetched ahead of a computation; reading one that is missing records it.
#[derive(Debug, Default)]
pub struct Hashes {
    known: HashMap<u64, Hash>,
    missing: RefCell<Vec<u64>>,
}

impl Hashes {
    /// A reader over `known`.
    pub fn new(known: HashMap<u64, Hash>) -> Self {
        Hashes {
            known,
            missing: RefCell::default(),
        }
    }

    /// Adds hashes.
    pub fn extend(&mut self, hashes: impl IntoIterator<Item = (u64, Hash)>) {
        self.known.extend(hashes);
    }

    /// The indexes read but not known since the last call (sorted, deduplicated).
    pub fn take_missing(&self) -> Vec<u64> {
        let mut missing = std::mem::take(&mut *self.missing.borrow_mut());
        missing.sort_unstable();
        missing.dedup();
        missing
    }
}

impl HashReader for Hashes {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        let mut out = Vec::with_capacity(indexes.len());
        for i in indexes {
            match self.known.get(i) {
                Some(h) => out.push(*h),
                None => {
                    self.missing.borrow_mut().push(*i);
                    out.push(Hash::default());
                }
            }
        }
        Ok(out)
    }
}

/// The stored-hash indexes of the maximal complete subtrees of a tree of `size` leaves: all that appending to it
/// (and computing the new root) reads from the stored tree.
pub fn frontier(size: u64) -> Vec<u64> {
    if size == 0 {
        return Vec::new();
    }
    tlog_tiles::sub_tree_index(0, size, Vec::new())
}

/// What appending `leaves` (entry bytes) to a tree of `size` leaves stores: `(stored-hash index, hash)` pairs in
/// index order, and the new root hash. `old` must hold [`frontier`]`(size)`.
pub fn append(
    size: u64,
    old: &Hashes,
    leaves: &[Vec<u8>],
) -> Result<(Vec<(u64, Hash)>, Hash), TlogError> {
    let mut reader = Hashes::new(old.known.clone());
    let mut stored = Vec::new();
    for (i, leaf) in leaves.iter().enumerate() {
        let n = size + i as u64;
        let hashes = tlog_tiles::stored_hashes(n, leaf, &reader)?;
        let start = tlog_tiles::stored_hash_index(0, n);
        let new: Vec<(u64, Hash)> = hashes
            .into_iter()
            .enumerate()
            .map(|(k, h)| (start + k as u64, h))
            .collect();
        reader.extend(new.iter().copied());
        stored.extend(new);
    }
    let new_size = size + leaves.len() as u64;
    let root = tlog_tiles::tree_hash(new_size, &reader)?;
    if !reader.take_missing().is_empty() {
        return Err(TlogError::InvalidInput(
            "append read a hash outside the frontier".into(),
        ));
    }
    Ok((stored, root))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Appending in batches of any size stores the same hashes and root as appending one at a time.
    #[test]
    fn batches_agree_with_single_appends() {
        let leaves: Vec<Vec<u8>> = (0..300u32)
            .map(|i| format!("entry {i}").into_bytes())
            .collect();
        let mut all = HashMap::new();
        let mut roots = Vec::new();
        for (n, leaf) in leaves.iter().enumerate() {
            let mut old = Hashes::default();
            old.extend(frontier(n as u64).into_iter().map(|i| (i, all[&i])));
            let (stored, root) = append(n as u64, &old, std::slice::from_ref(leaf)).unwrap();
            all.extend(stored);
            roots.push(root);
        }
        let mut batched = HashMap::new();
        let mut size = 0u64;
        for chunk in [1usize, 2, 5, 64, 100, 128] {
            let mut old = Hashes::default();
            old.extend(frontier(size).into_iter().map(|i| (i, batched[&i])));
            let end = size as usize + chunk;
            let (stored, root) = append(size, &old, &leaves[size as usize..end]).unwrap();
            batched.extend(stored);
            size = end as u64;
            assert_eq!(root, roots[end - 1]);
        }
        assert_eq!(batched, all);
        // Known answer: the RFC 6962 root of one leaf is SHA-256(0x00 || leaf).
        assert_eq!(roots[0], tlog_tiles::record_hash(b"entry 0"));
    }
}
