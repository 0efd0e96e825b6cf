//! The receipts and package records of the versions a mirror run stages, read a bundle at a time
//! (`GET /log/receipts` and `GET /log/records?start=&count=`, ≤ 256 entries, the records answer possibly cut short
//! at its `end`): two requests per 256 entries instead of two per version. Each item's bytes are kept exactly as
//! served (raw JSON text: the same bytes as the version's own route) and go through the same parse, checks and
//! files as that route's answer would; anything the bulk answers leave out (an origin or folder without the routes,
//! an answer that is not 200 or does not parse, an index outside the range asked, a receipt of the other kind, a
//! template's record, a taken-down version) is read from the version's own routes.

use std::collections::{BTreeSet, HashMap};

use crate::client::Registry;
use crate::commands::log_audit::in_parallel;

/// Entries one bulk request covers (an entry bundle's width).
const BUNDLE: u64 = 256;

/// What the bulk routes served for one log index: the record's and the receipt's bytes.
pub(super) type Served = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The bulk-served bytes of the versions at `wanted` (log index → `package` or `template`) in a log of `size`
/// entries, `jobs` requests at a time. Never fails: what is missing is read per version.
pub(super) fn prefetch(
    origin: &Registry,
    wanted: &HashMap<u64, &str>,
    size: u64,
    jobs: usize,
) -> HashMap<u64, Served> {
    let bundles: Vec<u64> = wanted
        .keys()
        .map(|i| i - i % BUNDLE)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let answers = in_parallel(bundles.len(), jobs, |n| {
        let (start, end) = (bundles[n], (bundles[n] + BUNDLE).min(size));
        let packages = wanted
            .iter()
            .any(|(i, kind)| (start..end).contains(i) && *kind == "package");
        let records = if packages {
            records(origin, (start, end))
        } else {
            Vec::new()
        };
        Ok((receipts(origin, (start, end)), records))
    });
    let mut out: HashMap<u64, Served> = HashMap::new();
    for (receipts, records) in answers.into_iter().flatten() {
        for (index, kind, bytes) in receipts {
            if wanted.get(&index) == Some(&kind.as_str()) {
                out.entry(index).or_default().1 = Some(bytes);
            }
        }
        for (index, bytes) in records {
            if wanted.get(&index) == Some(&"package") {
                out.entry(index).or_default().0 = Some(bytes);
            }
        }
    }
    out
}

fn body(origin: &Registry, path: &str) -> Option<Vec<u8>> {
    match origin.get_bytes(path) {
        Ok(Ok(body)) => Some(body),
        _ => None,
    }
}

/// `(index, kind, receipt bytes)` of `/log/receipts` over `[start, end)`, only indexes in that range.
fn receipts(origin: &Registry, (start, end): (u64, u64)) -> Vec<(u64, String, Vec<u8>)> {
    let path = format!("/log/receipts?start={start}&count={}", end - start);
    body(origin, &path)
        .and_then(|body| verifier::bulk::take_receipts(&body, start, end))
        .unwrap_or_default()
}

/// `(index, record bytes)` of `/log/records` over `[start, end)`, asked again from each answer's `end`; an answer
/// whose `end` does not move forward within the range stops it (the rest per version).
fn records(origin: &Registry, (start, end): (u64, u64)) -> Vec<(u64, Vec<u8>)> {
    let mut out = Vec::new();
    let mut from = start;
    while from < end {
        let path = format!("/log/records?start={from}&count={}", end - from);
        let Some(body) = body(origin, &path) else {
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
