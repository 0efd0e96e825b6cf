//! The records half of `registry log audit`'s bulk reads: the records of a bundle's package version entries in one
//! request or a few (`GET /log/records?start=&count=`, which may stop early at its body limit and says where:
//! `end`). Only what the answer covers counts; a version it leaves out (taken down, an older server, a static
//! mirror) is read from its own record route by [`super::log_audit_check::check_entry`], so the bulk route can
//! only save requests, never change a verdict.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value;
use verifier::record::PackageRecord;

use crate::client::Registry;
use crate::error::{CliError, Result};

/// The records `/log/records` serves for the package version entries in `[start, end)`, parsed, by log index.
/// An empty map, and `supported` cleared, when the registry has no such route (404/405); an item that does not
/// parse as a record is left out (its own route is then read, and judged, as without the bulk route).
///
/// Errors: the registry unreachable, a server error, or an answer that does not move forward (exit 1).
pub(crate) fn bulk_records(
    registry: &Registry,
    (start, end): (usize, usize),
    supported: &AtomicBool,
) -> Result<HashMap<usize, PackageRecord>> {
    let mut records = HashMap::new();
    let mut from = start;
    while from < end && supported.load(Ordering::Relaxed) {
        let path = format!("/log/records?start={from}&count={}", end - from);
        let mut answer = match registry.get(&path)? {
            Ok(answer) => answer,
            Err(f) if f.status == 404 || f.status == 405 => {
                supported.store(false, Ordering::Relaxed);
                break;
            }
            Err(f) => return Err(CliError::CouldNotRun(format!("{path}: {}", f.describe()))),
        };
        // The answer covers [from, covered); anything outside it is ignored.
        let covered = answer
            .get("end")
            .and_then(Value::as_u64)
            .and_then(|e| usize::try_from(e).ok())
            .filter(|e| (from + 1..=end).contains(e))
            .ok_or_else(|| {
                CliError::CouldNotRun(format!(
                    "{path}: the answer's end is missing or does not move forward"
                ))
            })?;
        let items = answer.get_mut("items").map(Value::take);
        for mut item in items
            .and_then(|i| match i {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .into_iter()
            .flatten()
        {
            let index = item
                .get("index")
                .and_then(Value::as_u64)
                .and_then(|i| usize::try_from(i).ok());
            let (Some(index), Some(record)) = (index, item.get_mut("record").map(Value::take))
            else {
                continue;
            };
            if (from..covered).contains(&index)
                && let Ok(record) = verifier::record::object_into(record, "a package record")
            {
                records.insert(index, record);
            }
        }
        from = covered;
    }
    Ok(records)
}
