//! `GET /log/receipts?start=N&count=C`: the receipts of the version entries among log entries `[N, N+C)` in one
//! answer (C ≤ 256, an entry bundle's width), so a log auditor reads one request per bundle instead of one per
//! version. Shape: `{"start", "count", "items": [{"index", "kind": "package"|"template", "receipt": <the receipt the
//! version's receipt route serves>}]}`, in index order; lifecycle and ownership entries, and versions without a
//! receipt, are left out. 400 `invalid_proof_request` for bad parameters (C = 0 or over 256), 400
//! `tree_size_too_large` past the log's size.

use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::Response;
use serde_json::{Value, json};
use verifier::tlog::Entry;

use super::json_text;
use super::log_range::bulk_range;
use crate::error::Error;
use crate::reads;
use crate::state::AppState;

/// `GET /log/receipts?start=N&count=C`.
#[utoipa::path(
    get, path = "/log/receipts", operation_id = "log_receipts", tag = "log",
    summary = "The receipts of the version entries among log entries [start, start+count)",
    params(
        ("start" = u64, Query, description = "First log index"),
        ("count" = u64, Query, description = "How many entries, 1-256"),
    ),
    responses(
        (status = 200, description = "`{start, count, items: [{index, kind, receipt}]}` in index order", body = crate::openapi::schemas::AnipObject),
        (status = 400, description = "Bad or missing parameters, or beyond the tree", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn receipts(State(state): State<AppState>, uri: Uri) -> Result<Response, Error> {
    let (start, count, end) = bulk_range(&state, &uri).await?;
    let entries = state.store.log_entries(start, end).await?;
    let mut items = Vec::new();
    for (i, bytes) in entries.iter().enumerate() {
        let index = start + i as u64;
        let receipt = match Entry::parse(bytes) {
            Ok(Entry::PackageVersion(f)) => {
                let (Some(id), Some(version)) = (f.get("package_id"), f.get("package_version"))
                else {
                    continue;
                };
                reads::receipt(&state, id, version)
                    .await?
                    .map(|r| ("package", serde_json::to_value(r.as_ref())))
            }
            Ok(Entry::TemplateVersion(f)) => {
                let (Some(id), Some(version)) = (f.get("template_id"), f.get("template_version"))
                else {
                    continue;
                };
                reads::template_receipt(&state, id, version)
                    .await?
                    .map(|r| ("template", serde_json::to_value(r.as_ref())))
            }
            _ => None,
        };
        if let Some((kind, receipt)) = receipt {
            let receipt: Value = receipt.map_err(|e| Error::Internal(format!("receipt: {e}")))?;
            items.push(json!({"index": index, "kind": kind, "receipt": receipt}));
        }
    }
    let body = json!({"start": start, "count": count, "items": items});
    Ok(json_text(StatusCode::OK, body.to_string()))
}
