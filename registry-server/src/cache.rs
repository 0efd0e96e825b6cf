//! An in-process cache of what never changes once a version is published (its documents, digests and receipt),
//! bounded by bytes: `quick_cache` (a scan-resistant CLOCK-Pro cache) with a weigher that approximates each entry's
//! heap size. A receipt is cached on its own (about 1 KB), so receipt reads never pull whole packages into memory.
//! The changing parts (download count, lifecycle) are always read from the store, so replicas never disagree.

use std::sync::Arc;

use quick_cache::Weighter;
use quick_cache::sync::Cache;
use verifier::receipt::Receipt;
use verifier::template_receipt::TemplateReceipt;

use crate::store::{Kind, StoredPackage, StoredTemplate};

/// What a cache key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Part {
    /// A version with its documents.
    Whole(Kind),
    /// A version's receipt only.
    Receipt(Kind),
    /// A version's receipt as its `GET …/receipt` answer (the JSON bytes and their ETag).
    ReceiptAnswer(Kind),
}

/// A cache key: what, id and version.
pub type Key = (Part, String, String);

/// A borrowed [`Key`] for lookups (no `String`s built per read). It hashes exactly as the tuple does: each field
/// in order.
#[derive(Hash)]
struct KeyRef<'a>(Part, &'a str, &'a str);

impl quick_cache::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2
    }
}

/// A cached value.
#[derive(Debug, Clone)]
pub enum Cached {
    /// A package version with its documents.
    Package(Arc<StoredPackage>),
    /// A package receipt.
    Receipt(Arc<Receipt>),
    /// A template version with its documents.
    Template(Arc<StoredTemplate>),
    /// A template receipt.
    TemplateReceipt(Arc<TemplateReceipt>),
    /// A serialised answer.
    Answer(Arc<Answer>),
}

/// A JSON answer that never changes, kept serialised: its body and its `ETag` header value (quoted).
#[derive(Debug)]
pub struct Answer {
    /// The JSON bytes.
    pub body: axum::body::Bytes,
    /// The `ETag` value, quotes included.
    pub etag: axum::http::HeaderValue,
}

/// Approximate heap bytes of an entry: its strings plus fixed overheads.
#[derive(Debug, Clone, Copy, Default)]
pub struct ByteWeigher;

/// Bookkeeping per entry beyond its strings (key, `Arc`, struct headers, table slot).
const ENTRY_OVERHEAD: u64 = 256;

fn text(parts: &[&str]) -> u64 {
    parts.iter().map(|s| s.len() as u64).sum()
}

fn card_bytes(card: Option<&crate::store::Card>) -> u64 {
    card.map_or(0, |c| {
        text(&[
            &c.name,
            &c.description,
            &c.capabilities_json,
            &c.search_ident,
            &c.search_content,
        ])
    })
}

fn receipt_bytes(r: &Receipt) -> u64 {
    text(&[
        &r.receipt_id,
        &r.package_id,
        &r.package_version,
        &r.signature_algorithm,
        &r.key_id,
        &r.registry_signature,
        &r.publisher_id,
        &r.publisher_type,
        &r.issued_at,
    ])
}

fn template_receipt_bytes(r: &TemplateReceipt) -> u64 {
    text(&[
        &r.receipt_id,
        &r.receipt_type,
        &r.template_id,
        &r.template_version,
        &r.manifest_digest,
        &r.template_digest,
        &r.package_digest,
        &r.signature_algorithm,
        &r.key_id,
        &r.registry_signature,
        &r.publisher_id,
        &r.publisher_type,
        &r.issued_at,
    ])
}

/// Approximate heap bytes of a package version.
pub fn package_bytes(p: &StoredPackage) -> u64 {
    let l = &p.lifecycle;
    text(&[
        &p.package_id,
        &p.package_version,
        &p.project_ref,
        &p.product_revision_ref,
        &p.developer_revision_ref,
        &p.contract_signature,
        &p.publisher_id,
        &p.publisher_type,
        &p.schema_version,
        &p.definition_digest,
        &p.manifest_digest,
        &p.lock_digest,
        &p.package_execution_signature,
        p.lineage_json.as_str(),
        &p.readme,
        p.source_links_json.as_str(),
        p.implementation_materials_json.as_str(),
        p.manifest_json.as_str(),
        p.service_definition_json.as_str(),
        p.recommended_lock_json.as_str(),
        &p.published_at,
        &l.reason,
        &l.updated_at,
        &l.updated_by,
    ]) + receipt_bytes(&p.receipt)
        + card_bytes(p.card.as_ref())
        + p.verification.as_ref().map_or(0, |v| v.capacity() as u64)
        + std::mem::size_of::<StoredPackage>() as u64
}

/// Approximate heap bytes of a template version.
pub fn template_bytes(t: &StoredTemplate) -> u64 {
    text(&[
        &t.template_id,
        &t.template_version,
        &t.template_kind,
        &t.project_type,
        &t.anip_spec_version,
        &t.domain,
        &t.industry,
        t.systems_json.as_str(),
        &t.publisher_id,
        &t.publisher_type,
        &t.manifest_digest,
        &t.template_digest,
        &t.package_digest,
        t.manifest_json.as_str(),
        t.template_json.as_str(),
        t.package_json.as_str(),
        &t.published_at,
    ]) + template_receipt_bytes(&t.receipt)
        + card_bytes(t.card.as_ref())
        + t.verification.as_ref().map_or(0, |v| v.capacity() as u64)
        + std::mem::size_of::<StoredTemplate>() as u64
}

impl Weighter<Key, Cached> for ByteWeigher {
    fn weight(&self, key: &Key, value: &Cached) -> u64 {
        let value = match value {
            Cached::Package(p) => package_bytes(p),
            Cached::Receipt(r) => receipt_bytes(r) + std::mem::size_of::<Receipt>() as u64,
            Cached::Template(t) => template_bytes(t),
            Cached::Answer(a) => {
                (a.body.len() + a.etag.len() + std::mem::size_of::<Answer>()) as u64
            }
            Cached::TemplateReceipt(r) => {
                template_receipt_bytes(r) + std::mem::size_of::<TemplateReceipt>() as u64
            }
        };
        ENTRY_OVERHEAD + key.1.capacity() as u64 + key.2.capacity() as u64 + value
    }
}

/// Published versions and receipts by id and version, at most `capacity` bytes (an entry larger than a shard's
/// share of it is not kept).
#[derive(Debug)]
pub struct VersionCache {
    entries: Cache<Key, Cached, ByteWeigher>,
    capacity: u64,
}

impl VersionCache {
    /// A cache of at most `capacity` bytes (0 keeps nothing).
    pub fn new(capacity: u64) -> Self {
        // A guess at how many entries fit, for table sizing only: receipts are ~1 KB, packages ~10-300 KB.
        let estimated = usize::try_from(capacity / 8192)
            .unwrap_or(usize::MAX)
            .clamp(16, 1 << 20);
        VersionCache {
            entries: Cache::with_weighter(estimated, capacity.max(1), ByteWeigher),
            capacity,
        }
    }

    /// The cached value under `key`, if any.
    pub fn get(&self, part: Part, id: &str, version: &str) -> Option<Cached> {
        if self.capacity == 0 {
            return None;
        }
        self.entries.get(&KeyRef(part, id, version))
    }

    /// Caches `value` under `key`.
    pub fn insert(&self, part: Part, id: &str, version: &str, value: Cached) {
        if self.capacity == 0 {
            return;
        }
        self.entries
            .insert((part, id.to_owned(), version.to_owned()), value);
    }

    /// The approximate bytes held now.
    pub fn weight(&self) -> u64 {
        self.entries.weight()
    }

    /// The bound.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether nothing is held.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(i: usize) -> Receipt {
        Receipt {
            receipt_id: format!("sha256:{i:064}"),
            package_id: format!("pkg-{i}"),
            package_version: "1.0.0".into(),
            registry_signature: "x".repeat(120),
            ..Receipt::default()
        }
    }

    #[test]
    fn the_cache_stays_within_its_byte_bound() {
        let cache = VersionCache::new(1024 * 1024);
        // 5,000 receipts of about 1 KB each: five times the bound.
        for i in 0..5000 {
            cache.insert(
                Part::Receipt(Kind::Package),
                &format!("pkg-{i}"),
                "1.0.0",
                Cached::Receipt(Arc::new(receipt(i))),
            );
        }
        assert!(cache.weight() <= cache.capacity(), "{}", cache.weight());
        assert!(cache.len() < 5000);
        assert!(cache.len() > 100, "{}", cache.len());
    }

    #[test]
    fn weights_follow_the_documents() {
        let mut small = receipt(1);
        let light = ByteWeigher.weight(
            &(Part::Receipt(Kind::Package), "a".into(), "1".into()),
            &Cached::Receipt(Arc::new(small.clone())),
        );
        small.registry_signature = "x".repeat(100_000);
        let heavy = ByteWeigher.weight(
            &(Part::Receipt(Kind::Package), "a".into(), "1".into()),
            &Cached::Receipt(Arc::new(small)),
        );
        assert!(heavy >= light + 99_000, "{light} {heavy}");
    }

    #[test]
    fn a_zero_capacity_keeps_nothing() {
        let cache = VersionCache::new(0);
        cache.insert(
            Part::Receipt(Kind::Package),
            "a",
            "1",
            Cached::Receipt(Arc::new(receipt(1))),
        );
        assert!(cache.get(Part::Receipt(Kind::Package), "a", "1").is_none());
    }
}
