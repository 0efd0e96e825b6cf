//! `GET /log/records?start=N&count=C`: the records of the package version entries among log entries `[N, N+C)` in
//! one answer (C ≤ 256, an entry bundle's width), so a log auditor reads one request per bundle instead of one per
//! version. Shape: `{"start", "count", "end", "items": [{"index", "record": <the record the version's route
//! `GET /packages/{id}/{version}` serves>}]}`, in index order. The answer stops early once its body passes
//! `ANIP_REGISTRY_LOG_RECORDS_MAX_BYTES` (at least one version is always included): it covers `[start, end)` and
//! the client asks again from `end`. Template, lifecycle and ownership entries, and versions the record route would
//! not serve (taken down, gone), are left out. 400 `invalid_proof_request` for bad parameters (C = 0 or over 256),
//! 400 `tree_size_too_large` past the log's size.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use verifier::lifecycle::LifecycleStatus;
use verifier::tlog::Entry;

use super::json_text;
use super::log_range::bulk_range;
use crate::error::Error;
use crate::state::AppState;
use crate::store::Kind;
use crate::views::{RecordView, raw_summary, to_json};

/// `GET /log/records?start=N&count=C`.
#[utoipa::path(
    get, path = "/log/records", operation_id = "log_records", tag = "log",
    summary = "The records of the package version entries among log entries [start, start+count)",
    params(
        ("start" = u64, Query, description = "First log index"),
        ("count" = u64, Query, description = "How many entries, 1-256"),
    ),
    responses(
        (status = 200, description = "`{start, count, end, items: [{index, record}]}` in index order; the answer \
            covers [start, end) (end < start+count when the body limit cut it short)", body = crate::openapi::schemas::AnipObject),
        (status = 400, description = "Bad or missing parameters, or beyond the tree", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn records(State(state): State<AppState>, uri: Uri) -> Result<Response, Error> {
    let (start, count, end) = bulk_range(&state, &uri).await?;
    let limit = usize::try_from(state.settings.log.log_records_max_bytes).unwrap_or(usize::MAX);
    // The range's entries and, in one query, the package versions their rows name.
    let entries = state.store.log_entries(start, end).await?;
    let mut packages = state
        .store
        .log_packages(start, end)
        .await?
        .into_iter()
        .peekable();
    // The items' JSON text, written as it goes; `covered` is the first index not looked at.
    let mut items = String::new();
    let mut covered = end;
    for (i, bytes) in entries.iter().enumerate() {
        let index = start + i as u64;
        if !items.is_empty() && items.len() >= limit {
            covered = index;
            break;
        }
        let Some((_, package, stored)) = packages.next_if(|(at, _, _)| *at == index) else {
            continue;
        };
        // Only the version the entry's own bytes name.
        let Ok(Entry::PackageVersion(f)) = Entry::parse(bytes) else {
            continue;
        };
        if f.get("package_id") != Some(&package.package_id)
            || f.get("package_version") != Some(&package.package_version)
        {
            continue;
        }
        // The stored state plus this replica's unflushed downloads, as the record route reads it.
        let read = || std::future::ready(Ok(Some(stored.clone())));
        let Some((mut current, local)) = state
            .downloads
            .read(
                Kind::Package,
                &package.package_id,
                &package.package_version,
                read,
                |_| false,
            )
            .await?
        else {
            continue;
        };
        current.download_count += local;
        if current.lifecycle.status == LifecycleStatus::Takedown {
            continue;
        }
        // The same bytes as `GET /packages/{id}/{version}` (see `packages::record`).
        let owner = state
            .publishers
            .get(&state.store, Kind::Package, &package.package_id)
            .await?;
        let record = to_json(&RecordView::new(
            &package,
            &current,
            raw_summary(owner.as_deref()),
        ));
        if !items.is_empty() {
            items.push(',');
        }
        items.push_str(&format!("{{\"index\":{index},\"record\":{record}}}"));
    }
    let body =
        format!("{{\"start\":{start},\"count\":{count},\"end\":{covered},\"items\":[{items}]}}");
    Ok(json_text(StatusCode::OK, body))
}
