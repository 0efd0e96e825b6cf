//! The receipts and records of a batch's version entries read a bundle at a time (`GET /log/receipts` and
//! `GET /log/records?start=&count=`, ≤ 256 entries each, the records answer possibly cut short at its `end`), so a
//! sync asks the origin two requests per 256 entries instead of two per version. Each item's bytes are kept exactly
//! as served (raw JSON text) and go through the same parse and the same `verifier::mirror` checks as an answer of
//! the version's own route would; the bulk routes can only save requests, never change a verdict. Anything they
//! leave out — an index outside the range asked, a receipt of the other kind, a template's record (the records route
//! serves packages only), a taken-down version, an answer that is not 200 or does not parse, an origin without the
//! routes (404) — is read from the version's own routes, as before.

use std::collections::HashMap;

use futures_util::StreamExt as _;

use super::Replica;
use crate::store::ReplicaEntry;

/// Entries one bulk request covers (an entry bundle's width).
const BUNDLE: u64 = 256;

/// Raw bytes the bulk routes served, by log index.
#[derive(Debug, Default)]
pub(super) struct Prefetched {
    /// Receipt JSON text per version entry.
    pub receipts: HashMap<u64, Vec<u8>>,
    /// Package record JSON text per package version entry.
    pub records: HashMap<u64, Vec<u8>>,
}

/// The receipts and package records of `entries`' version entries (`entries` is the batch, in log order), read a
/// bundle at a time, at most `jobs` requests in flight. Never fails: whatever is not here is read per version.
pub(super) async fn prefetch(replica: &Replica, entries: &[ReplicaEntry]) -> Prefetched {
    // Ranges of at most 256 entries from the batch's first index, each holding a version entry.
    let kinds: HashMap<u64, &str> = entries
        .iter()
        .filter(|e| e.kind == "version")
        .map(|e| (e.index, e.artifact.as_str()))
        .collect();
    let (Some(first), Some(last)) = (entries.first(), entries.last()) else {
        return Prefetched::default();
    };
    let (first, last) = (first.index, last.index + 1);
    let chunks: Vec<(u64, u64)> = (first..last)
        .step_by(BUNDLE as usize)
        .map(|s| (s, (s + BUNDLE).min(last)))
        .filter(|(s, e)| kinds.keys().any(|i| (*s..*e).contains(i)))
        .collect();
    let jobs = replica.mirror.jobs.max(1);
    let mut out = Prefetched::default();
    // Built in loops, not by closures: a stream over a borrowing closure is not `Send` in the spawned follower.
    let mut gets = Vec::with_capacity(chunks.len());
    for chunk in &chunks {
        gets.push(receipts(replica, *chunk));
    }
    let receipts: Vec<_> = futures_util::stream::iter(gets)
        .buffered(jobs)
        .collect()
        .await;
    for (index, kind, bytes) in receipts.into_iter().flatten() {
        if kinds.get(&index) == Some(&kind.as_str()) {
            out.receipts.insert(index, bytes);
        }
    }
    if kinds.values().any(|k| *k == "package") {
        let mut gets = Vec::with_capacity(chunks.len());
        for chunk in &chunks {
            gets.push(records(replica, *chunk));
        }
        let records: Vec<_> = futures_util::stream::iter(gets)
            .buffered(jobs)
            .collect()
            .await;
        for (index, bytes) in records.into_iter().flatten() {
            if kinds.get(&index) == Some(&"package") {
                out.records.insert(index, bytes);
            }
        }
    }
    out
}

/// One bulk GET's body when it answered 200 (`None`: no answer, another status, or too large: read per version).
async fn body(replica: &Replica, path: &str) -> Option<Vec<u8>> {
    match replica.origin.get(path).await {
        Ok(answer) if answer.status == 200 => Some(answer.body),
        _ => None,
    }
}

/// `(index, kind, receipt bytes)` of `/log/receipts` over `[start, end)`, only indexes in that range.
async fn receipts(replica: &Replica, (start, end): (u64, u64)) -> Vec<(u64, String, Vec<u8>)> {
    let path = format!("/log/receipts?start={start}&count={}", end - start);
    body(replica, &path)
        .await
        .and_then(|body| verifier::bulk::take_receipts(&body, start, end))
        .unwrap_or_default()
}

/// `(index, record bytes)` of `/log/records` over `[start, end)`, asked again from each answer's `end` until the
/// range is covered; an answer whose `end` does not move forward within the range stops it (the rest per version).
async fn records(replica: &Replica, (start, end): (u64, u64)) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let path = format!("/log/records?start={from}&count={}", end - from);
        let Some(body) = body(replica, &path).await else {
            break;
        };
        let Some((next, items)) = verifier::bulk::take_records(&body, from, end) else {
            break;
        };
        out.extend(items);
        from = next;
    }
    out
}
