//! Reads behind the proof and tile routes: stored hashes through an in-memory cache (they never change once
//! written), inclusion and consistency proofs, hash tiles, entry bundles and C2SP `tlog-proof` text.

use std::cell::RefCell;
use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use tlog_tiles::{Error as TlogError, Hash, HashReader};

use super::Log;
use crate::error::Error;
use crate::store::LogStore;

/// Reads hashes from the cache and `fetched`, recording what neither holds.
struct CacheReader<'a> {
    log: &'a Log,
    fetched: HashMap<u64, [u8; 32]>,
    missing: RefCell<Vec<u64>>,
}

impl HashReader for CacheReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        Ok(indexes
            .iter()
            .map(|i| {
                let found = self
                    .fetched
                    .get(i)
                    .copied()
                    .or_else(|| self.log.hashes.get(i));
                Hash(found.unwrap_or_else(|| {
                    self.missing.borrow_mut().push(*i);
                    [0; 32]
                }))
            })
            .collect())
    }
}

impl Log {
    /// Runs `f` over stored hashes: once from the cache, and when it read hashes the cache lacks, again after
    /// fetching them (each `tlog_tiles` operation reads one index list that depends only on sizes).
    pub async fn with_hashes<T>(
        &self,
        store: &dyn LogStore,
        f: impl Fn(&dyn HashReader) -> Result<T, TlogError>,
    ) -> Result<T, Error> {
        let mut reader = CacheReader {
            log: self,
            fetched: HashMap::new(),
            missing: RefCell::default(),
        };
        let first = f(&reader as &dyn HashReader);
        let mut missing = reader.missing.take();
        if missing.is_empty() {
            return first.map_err(internal);
        }
        missing.sort_unstable();
        missing.dedup();
        let fetched = store.log_hashes(&missing).await?;
        if fetched.len() != missing.len() {
            return Err(Error::Internal(format!(
                "log: {} of {} stored hashes found",
                fetched.len(),
                missing.len()
            )));
        }
        for (i, h) in &fetched {
            self.hashes.insert(*i, *h);
        }
        reader.fetched = fetched.into_iter().collect();
        let second = f(&reader as &dyn HashReader).map_err(internal)?;
        if reader.missing.take().is_empty() {
            Ok(second)
        } else {
            Err(Error::Internal(
                "log: a proof read hashes beyond its first read".into(),
            ))
        }
    }

    /// The inclusion proof of leaf `index` in the tree of `tree_size` (both checked by the caller).
    pub async fn inclusion(
        &self,
        store: &dyn LogStore,
        index: u64,
        tree_size: u64,
    ) -> Result<(Vec<[u8; 32]>, [u8; 32]), Error> {
        self.with_hashes(store, |r| {
            let proof = tlog_tiles::prove_record(tree_size, index, &Reader(r))?;
            let root = tlog_tiles::tree_hash(tree_size, &Reader(r))?;
            Ok((proof.into_iter().map(|h| h.0).collect(), root.0))
        })
        .await
    }

    /// The consistency proof from `old` to `new` leaves (`0 < old ≤ new`, checked by the caller).
    pub async fn consistency(
        &self,
        store: &dyn LogStore,
        old: u64,
        new: u64,
    ) -> Result<Vec<[u8; 32]>, Error> {
        self.with_hashes(store, |r| {
            Ok(tlog_tiles::prove_tree(new, old, &Reader(r))?
                .into_iter()
                .map(|h| h.0)
                .collect())
        })
        .await
    }

    /// The data of hash tile `tile` (its hashes, concatenated).
    pub async fn tile_data(
        &self,
        store: &dyn LogStore,
        tile: tlog_tiles::Tile,
    ) -> Result<Vec<u8>, Error> {
        self.with_hashes(store, |r| tile.read_data(&Reader(r)))
            .await
    }
}

/// A `&dyn HashReader` as a sized reader (`tlog_tiles` takes `&R` with `R: HashReader`).
struct Reader<'a>(&'a dyn HashReader);

impl HashReader for Reader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, TlogError> {
        self.0.read_hashes(indexes)
    }
}

fn internal(e: TlogError) -> Error {
    Error::Internal(format!("log proof: {e}"))
}

/// An entry bundle (C2SP tlog-tiles): each entry as a big-endian u16 length, then its bytes.
pub fn entry_bundle(entries: &[Vec<u8>]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.len() + 2).sum());
    for e in entries {
        let len =
            u16::try_from(e.len()).map_err(|_| Error::Internal("log entry over 64 KiB".into()))?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(e);
    }
    Ok(out)
}

/// C2SP `tlog-proof` text: entry `index` is in the tree of the checkpoint `note`, by `hashes`.
pub fn tlog_proof_text(index: u64, hashes: &[[u8; 32]], note: &str) -> String {
    let mut out = format!("c2sp.org/tlog-proof@v1\nindex {index}\n");
    for h in hashes {
        out.push_str(&B64.encode(h));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(note);
    out
}

/// Base64 of each hash.
pub fn b64_hashes(hashes: &[[u8; 32]]) -> Vec<String> {
    hashes.iter().map(|h| B64.encode(h)).collect()
}
