//! The per-entry half of `registry log audit`: the receipts of a bundle's version entries read in one request
//! (`GET /log/receipts?start=&count=`, 256 entries; a registry without the route — an older server, a static
//! mirror — is asked per version instead), then each package version's record (a bundle's at once, see
//! [`super::log_audit_records`], else one request each; parsed once), and the entry rebuilt from receipt and record
//! compared byte for byte with the logged one.

use serde_json::Value;
use verifier::receipt::Receipt;
use verifier::record::PackageRecord;
use verifier::template_receipt::TemplateReceipt;
use verifier::tlog::Entry;

use super::log_audit::{Outcome, in_parallel, version_key};
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};

/// Entries a bulk receipts request covers (an entry bundle's width).
pub(crate) const BUNDLE: usize = 256;

/// A receipt the registry served for a version entry.
#[derive(Debug)]
pub(crate) enum Served {
    /// A package receipt.
    Package(Receipt),
    /// A template receipt.
    Template(TemplateReceipt),
    /// Not parsable as its kind's receipt: the reason.
    Malformed(String),
}

fn served(kind: &str, receipt: Value) -> Served {
    let parsed = if kind == "template" {
        verifier::record::object_into::<TemplateReceipt>(receipt, "a template receipt")
            .map(Served::Template)
    } else {
        verifier::record::object_into::<Receipt>(receipt, "a receipt").map(Served::Package)
    };
    parsed.unwrap_or_else(|e| Served::Malformed(e.to_string()))
}

/// The served receipt of every version entry among `parsed`, by index (`None` where the registry's bulk route gave
/// none: [`check_entry`] then asks the version's own receipt route).
///
/// Errors: the registry unreachable or answering the bulk route with a server error (exit 1).
pub(crate) fn bulk_receipts(
    registry: &Registry,
    parsed: &[Option<Entry>],
    jobs: usize,
) -> Result<Vec<Option<Served>>> {
    let chunks: Vec<usize> = (0..parsed.len().div_ceil(BUNDLE))
        .filter(|c| {
            parsed[c * BUNDLE..parsed.len().min((c + 1) * BUNDLE)]
                .iter()
                .any(|e| e.as_ref().and_then(version_key).is_some())
        })
        .collect();
    let supported = std::sync::atomic::AtomicBool::new(true);
    let answers = in_parallel(chunks.len(), jobs, |n| {
        if !supported.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(Vec::new());
        }
        let start = chunks[n] * BUNDLE;
        let count = BUNDLE.min(parsed.len() - start);
        let path = format!("/log/receipts?start={start}&count={count}");
        let answer = match registry.get(&path)? {
            Ok(answer) => answer,
            Err(f) if f.status == 404 || f.status == 405 => {
                supported.store(false, std::sync::atomic::Ordering::Relaxed);
                return Ok(Vec::new());
            }
            Err(f) => return Err(CliError::CouldNotRun(format!("{path}: {}", f.describe()))),
        };
        let mut items = Vec::new();
        for item in answer
            .get("items")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let index = item.get("index").and_then(Value::as_u64);
            let kind = item.get("kind").and_then(Value::as_str).unwrap_or("");
            if let (Some(index), Some(receipt)) = (index, item.get("receipt")) {
                let index = usize::try_from(index).unwrap_or(usize::MAX);
                // Only the chunk asked for counts; anything else in the answer is ignored.
                if (start..start + count).contains(&index) {
                    items.push((index, served(kind, receipt.clone())));
                }
            }
        }
        Ok(items)
    });
    let mut out: Vec<Option<Served>> = (0..parsed.len()).map(|_| None).collect();
    for answer in answers {
        for (index, receipt) in answer? {
            out[index] = Some(receipt);
        }
    }
    Ok(out)
}

/// The version's receipt from its own route, for an entry the bulk route did not cover; `None` when it is gone.
fn own_receipt(registry: &Registry, kind: &str, id: &str, version: &str) -> Result<Option<Served>> {
    let path = format!(
        "/{kind}s/{}/{}/receipt",
        encode_segment(id),
        encode_segment(version)
    );
    match registry.get(&path)? {
        Ok(value) => Ok(Some(served(kind, value))),
        Err(f) if f.status == 404 || f.status == 410 => Ok(None),
        Err(f) => Err(CliError::CouldNotRun(format!("{path}: {}", f.describe()))),
    }
}

/// The record a package version's route serves now, parsed once; `None` when it is withdrawn (410).
fn record(registry: &Registry, id: &str, version: &str) -> Result<Option<PackageRecord>> {
    let path = Registry::package_path(id, version, "?allow_yanked=true");
    let value = match registry.get(&path)? {
        Ok(value) => value,
        Err(f) if f.status == 410 => return Ok(None),
        Err(f) => {
            return Err(CliError::CouldNotRun(format!(
                "{id}@{version}: {}",
                f.describe()
            )));
        }
    };
    verifier::record::object_into(value, "a package record")
        .map(Some)
        .map_err(|e| {
            CliError::CouldNotRun(format!(
                "{id}@{version}: the registry's record is malformed: {e}"
            ))
        })
}

/// Rebuilds the entry from what the registry serves now (the receipt `bulk` gave, else the version's receipt route;
/// a package's record: the one `bulk_record` gave, else its record route's) and compares bytes.
///
/// Errors: the registry unreachable or a record that does not parse (exit 1).
pub(crate) fn check_entry(
    registry: &Registry,
    entry: &Entry,
    logged: &[u8],
    (bulk, bulk_record): (Option<&Served>, Option<PackageRecord>),
) -> Result<Outcome> {
    let Some((kind, id, version)) = version_key(entry) else {
        return Ok(Outcome::Skipped);
    };
    let fetched;
    let receipt = match bulk {
        Some(receipt) => receipt,
        None => match own_receipt(registry, &kind, &id, &version)? {
            Some(receipt) => {
                fetched = receipt;
                &fetched
            }
            None => return Ok(Outcome::Unavailable),
        },
    };
    let rebuilt = match receipt {
        Served::Malformed(e) => {
            return Ok(Outcome::Mismatch(format!(
                "{kind} {id}@{version}: malformed receipt: {e}"
            )));
        }
        Served::Template(r) if kind == "template" => Entry::from_template_receipt(r).to_bytes(),
        Served::Package(r) if kind == "package" => {
            match bulk_record.map_or_else(|| record(registry, &id, &version), |r| Ok(Some(r)))? {
                Some(record) => Entry::from_record(r, &record).and_then(|e| e.to_bytes()),
                None => return Ok(Outcome::Unavailable),
            }
        }
        _ => {
            return Ok(Outcome::Mismatch(format!(
                "{kind} {id}@{version}: the registry served a receipt of another kind"
            )));
        }
    };
    Ok(match rebuilt {
        Ok(bytes) if bytes == logged => Outcome::Matches,
        Ok(_) => Outcome::Mismatch(format!(
            "{kind} {id}@{version}: the registry's record or receipt is not the logged one"
        )),
        Err(e) => Outcome::Mismatch(format!("{kind} {id}@{version}: {e}")),
    })
}
