//! An in-process cache of what never changes once a version is published: its documents, digests and receipt.
//! The changing parts (download count, lifecycle) are always read from the store, so replicas never disagree.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::StoredPackage;

/// How many versions are kept; past it the cache starts over (a simple bound, no bookkeeping per hit).
const CAPACITY: usize = 4096;

/// Published versions by id and version.
#[derive(Debug, Default)]
pub struct PackageCache {
    entries: Mutex<HashMap<String, Arc<StoredPackage>>>,
}

fn key(package_id: &str, version: &str) -> String {
    format!("{package_id}\u{0}{version}")
}

impl PackageCache {
    /// The cached version, if any.
    pub fn get(&self, package_id: &str, version: &str) -> Option<Arc<StoredPackage>> {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries.get(&key(package_id, version)).cloned()
    }

    /// Caches `package` and returns it shared.
    pub fn insert(&self, package: StoredPackage) -> Arc<StoredPackage> {
        let package = Arc::new(package);
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            key(&package.package_id, &package.package_version),
            Arc::clone(&package),
        );
        package
    }
}
