//! The transparency log's routes: checkpoint, C2SP tiles and entry bundles, proofs, and receipts with their proof.

use axum::extract::State;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse as _, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};

use std::sync::Arc;

use super::{Caching, json_text};
use crate::cache::{Answer, Cached, Part};
use crate::error::Error;
use crate::extract::ArtifactPath;
use crate::log::proofs::{b64_hashes, entry_bundle, tlog_proof_text};
use crate::state::AppState;
use crate::store::Kind;

/// Tile height (C2SP tlog-tiles: 256-wide tiles).
const TILE_HEIGHT: u8 = 8;

fn text(
    status: StatusCode,
    body: Vec<u8>,
    content_type: &'static str,
    cache: &'static str,
) -> Response {
    let mut response = (status, body).into_response();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    response
}

/// `GET /log/checkpoint`: the newest signed checkpoint (with witness cosignatures once any), `no-cache`.
#[utoipa::path(
    get, path = "/log/checkpoint", operation_id = "log_checkpoint", tag = "log",
    summary = "The newest signed checkpoint",
    responses((status = 200, description = "A C2SP signed note", body = String, content_type = "text/plain")),
)]
pub async fn checkpoint(State(state): State<AppState>) -> Result<Response, Error> {
    let cp = state.log.refresh(state.store.as_ref()).await?;
    let body = cp.cosigned.clone().unwrap_or_else(|| cp.note.clone());
    Ok(text(
        StatusCode::OK,
        body.into_bytes(),
        "text/plain; charset=utf-8",
        "no-cache",
    ))
}

fn bad_tile(path: &str) -> Error {
    Error::bad_request(
        "invalid_tile_path",
        format!(
            "{path:?} is not a tile path: <L>/<N>[.p/<W>] or entries/<N>[.p/<W>], N as x001/x234/067"
        ),
    )
}

/// `GET /log/tile/{path}`: a hash tile `<L>/<N>[.p/<W>]` or an entry bundle `entries/<N>[.p/<W>]` (C2SP paths);
/// full tiles are immutable, partial ones short-lived; 404 `tile_not_found` beyond the tree.
#[utoipa::path(
    get, path = "/log/tile/{path}", operation_id = "log_tile", tag = "log",
    summary = "A hash tile or an entry bundle (C2SP tlog-tiles paths)",
    params(("path" = String, Path, description = "`<L>/<N>[.p/<W>]` or `entries/<N>[.p/<W>]`")),
    responses(
        (status = 200, description = "The tile", body = String, content_type = "application/octet-stream"),
        (status = 400, description = "Not a tile path", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "Beyond the tree", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn tile(State(state): State<AppState>, uri: Uri) -> Result<Response, Error> {
    let path = uri
        .path()
        .split_once("/log/tile/")
        .map_or("", |(_, p)| p)
        .to_owned();
    let parsed =
        verifier::tlog::TilePath::parse(&format!("tile/{path}")).map_err(|_| bad_tile(&path))?;
    // Levels past 7 hold nothing in a tree of at most 2^63 entries (and `tlog_tiles` reads level × 8 as a u8).
    if parsed
        .level()
        .is_some_and(|l| u32::from(l) * u32::from(TILE_HEIGHT) >= 64)
    {
        return Err(bad_tile(&path));
    }
    let data = parsed.level().is_none();
    let tile = parsed.to_tile();
    let width = u64::from(tile.width());
    let end = tile
        .level_index()
        .checked_mul(1 << TILE_HEIGHT)
        .and_then(|start| start.checked_add(width));
    let cp = state.log.checkpoint(state.store.as_ref(), 0).await?;
    let mut available = cp.tree_size >> (u32::from(tile.level()) * u32::from(TILE_HEIGHT));
    if end.is_none_or(|end| end > available) {
        // Another replica may have grown the log since this one last looked.
        let cp = state.log.refresh(state.store.as_ref()).await?;
        available = cp.tree_size >> (u32::from(tile.level()) * u32::from(TILE_HEIGHT));
    }
    let Some(end) = end.filter(|end| *end <= available) else {
        return Err(Error::not_found(
            "tile_not_found",
            format!("tile {path:?} is beyond the log's tree"),
        ));
    };
    let body = if data {
        let entries = state.store.log_entries(end - width, end).await?;
        if entries.len() as u64 != width {
            return Err(Error::Internal(format!(
                "log: {} of {width} entries stored",
                entries.len()
            )));
        }
        entry_bundle(&entries)?
    } else {
        state.log.tile_data(state.store.as_ref(), tile).await?
    };
    let cache = if width == 1 << TILE_HEIGHT {
        "public, max-age=31536000, immutable"
    } else {
        "public, max-age=60"
    };
    Ok(text(
        StatusCode::OK,
        body,
        "application/octet-stream",
        cache,
    ))
}

pub(super) fn bad_proof(message: String) -> Error {
    Error::bad_request("invalid_proof_request", message)
}

/// The query's `names` as numbers; anything else (unknown, repeated, missing, not a u64) is 400.
pub(super) fn numbers<const N: usize>(uri: &Uri, names: [&str; N]) -> Result<[u64; N], Error> {
    let mut out = [None; N];
    for pair in uri
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
    {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let at = names.iter().position(|n| *n == name).ok_or_else(|| {
            bad_proof(format!(
                "unknown parameter {name:?}; this route takes {}",
                names.join(", ")
            ))
        })?;
        if out[at].is_some() {
            return Err(bad_proof(format!("parameter {name} is repeated")));
        }
        let n = value
            .parse::<u64>()
            .ok()
            .filter(|_| value.bytes().all(|b| b.is_ascii_digit()))
            .ok_or_else(|| bad_proof(format!("{name} must be a non-negative integer")))?;
        out[at] = Some(n);
    }
    let mut values = [0u64; N];
    for (i, v) in out.iter().enumerate() {
        values[i] = v.ok_or_else(|| bad_proof(format!("parameter {} is required", names[i])))?;
    }
    Ok(values)
}

/// A tree size the log has reached (400 `tree_size_too_large` otherwise).
pub(super) async fn reached(state: &AppState, size: u64) -> Result<(), Error> {
    let cp = state.log.checkpoint(state.store.as_ref(), size).await?;
    if size > cp.tree_size {
        let mut context = serde_json::Map::new();
        context.insert("tree_size".into(), Value::from(cp.tree_size));
        return Err(Error::BadRequest {
            code: "tree_size_too_large",
            message: format!("the log has {} entries, fewer than {size}", cp.tree_size),
            context,
        });
    }
    Ok(())
}

/// `GET /log/proof/inclusion?index=N&tree_size=T` → `{"index","tree_size","root_hash","hashes":[b64…]}`.
#[utoipa::path(
    get, path = "/log/proof/inclusion", operation_id = "log_inclusion", tag = "log", summary = "An inclusion proof",
    params(("index" = u64, Query, description = "Leaf index"), ("tree_size" = u64, Query, description = "Tree size")),
    responses(
        (status = 200, description = "The proof", body = crate::openapi::schemas::InclusionProof),
        (status = 400, description = "Bad or missing parameters, or beyond the tree", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn inclusion(State(state): State<AppState>, uri: Uri) -> Result<Response, Error> {
    let [index, tree_size] = numbers(&uri, ["index", "tree_size"])?;
    if index >= tree_size {
        return Err(bad_proof(format!(
            "index {index} is not below tree_size {tree_size}"
        )));
    }
    reached(&state, tree_size).await?;
    let (hashes, root) = state
        .log
        .inclusion(state.store.as_ref(), index, tree_size)
        .await?;
    let body = json!({
        "index": index, "tree_size": tree_size, "root_hash": B64.encode(root), "hashes": b64_hashes(&hashes),
    });
    Ok(json_text(StatusCode::OK, body.to_string()))
}

/// `GET /log/proof/consistency?old=M&new=N` → `{"old","new","hashes":[b64…]}` (`0 < old ≤ new`).
#[utoipa::path(
    get, path = "/log/proof/consistency", operation_id = "log_consistency", tag = "log",
    summary = "A consistency proof",
    params(
        ("old" = u64, Query, description = "Older tree size (> 0)"),
        ("new" = u64, Query, description = "Newer tree size"),
    ),
    responses(
        (status = 200, description = "The proof", body = crate::openapi::schemas::ConsistencyProof),
        (status = 400, description = "Bad or missing parameters, or beyond the tree", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn consistency(State(state): State<AppState>, uri: Uri) -> Result<Response, Error> {
    let [old, new] = numbers(&uri, ["old", "new"])?;
    if old == 0 || old > new {
        return Err(bad_proof(format!(
            "need 0 < old ≤ new, got old={old} new={new}"
        )));
    }
    reached(&state, new).await?;
    let hashes = state
        .log
        .consistency(state.store.as_ref(), old, new)
        .await?;
    let body = json!({"old": old, "new": new, "hashes": b64_hashes(&hashes)});
    Ok(json_text(StatusCode::OK, body.to_string()))
}

/// Whether the receipt route was asked for its proof (`?proof=1`); other parameters are 400.
pub fn wants_proof(uri: &Uri) -> Result<bool, Error> {
    match uri.query() {
        None | Some("") => Ok(false),
        Some("proof=1" | "proof=true") => Ok(true),
        Some("proof=0" | "proof=false") => Ok(false),
        Some(other) => Err(bad_proof(format!(
            "unsupported query {other:?}; use ?proof=1"
        ))),
    }
}

/// Where a version sits in the log, for its lock: `(log_index, signed checkpoint text)` of a checkpoint that holds
/// it (cosigned when witnesses signed it), or `None` while its entry is not sequenced.
pub async fn lock_position(
    state: &AppState,
    artifact: &str,
    id: &str,
    version: &str,
) -> Result<Option<(u64, String)>, Error> {
    let Some(entry) = state.store.log_version_entry(artifact, id, version).await? else {
        return Ok(None);
    };
    let cp = state
        .log
        .checkpoint(state.store.as_ref(), entry.index + 1)
        .await?;
    let note = cp.cosigned.as_deref().unwrap_or(&cp.note).to_owned();
    Ok(Some((entry.index, note)))
}

/// The receipt routes of packages and templates: a plain request (no query) answers bytes kept in the version cache
/// with their ETag ([`crate::cache::Part::ReceiptAnswer`]), so a repeated read neither reads nor serialises the
/// receipt; anything else goes through [`receipt_answer`]. `read` gives the stored receipt as JSON text and its receipt id.
pub async fn kept_receipt<F, Fut>(
    state: &AppState,
    kind: Kind,
    path: &ArtifactPath,
    parts: (&HeaderMap, &Uri),
    read: F,
) -> Result<Response, Error>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Option<(String, String)>, Error>>,
{
    let (headers, uri) = parts;
    let part = Part::ReceiptAnswer(kind);
    let plain = uri.query().is_none();
    if plain && let Some(Cached::Answer(kept)) = state.cache.get(part, &path.id, &path.version) {
        return Ok(super::kept_answer(headers, &kept, Caching::Immutable));
    }
    let receipt = read().await?;
    if plain && let Some((text, receipt_id)) = &receipt {
        let etag = format!("\"{}\"", receipt_id.trim_start_matches("sha256:"));
        if let Ok(etag) = HeaderValue::from_str(&etag) {
            let kept = Arc::new(Answer {
                body: text.clone().into(),
                etag,
            });
            let value = Cached::Answer(Arc::clone(&kept));
            state.cache.insert(part, &path.id, &path.version, value);
            return Ok(super::kept_answer(headers, &kept, Caching::Immutable));
        }
    }
    let artifact = match kind {
        Kind::Package => "package",
        Kind::Template => "template",
    };
    let text = receipt
        .as_ref()
        .map(|(text, id)| (text.clone(), id.as_str()));
    receipt_answer(state, artifact, path, (headers, uri), text).await
}

/// `GET /{packages|templates}/{id}/{version}/receipt`: the signed receipt, never gated by lifecycle, immutable
/// (ETag: its receipt id). With `?proof=1`: `{"receipt", "log_index", "log_entry", "tlog_proof"}` against the
/// newest checkpoint (503 while the entry is not sequenced). `receipt` is the stored receipt as JSON text and its
/// receipt id; `None` is 404 `receipt_not_found`. Other query parameters are 400.
pub async fn receipt_answer(
    state: &AppState,
    artifact: &str,
    path: &ArtifactPath,
    parts: (&HeaderMap, &Uri),
    receipt: Option<(String, &str)>,
) -> Result<Response, Error> {
    let (headers, uri) = parts;
    let proof = wants_proof(uri)?;
    let (receipt, receipt_id) = receipt.ok_or_else(|| {
        Error::not_found(
            "receipt_not_found",
            format!("{artifact} receipt not found: {}@{}", path.id, path.version),
        )
    })?;
    if !proof {
        let etag = receipt_id.trim_start_matches("sha256:").to_owned();
        return Ok(super::json_with_etag(
            headers,
            receipt,
            etag,
            super::Caching::Immutable,
        ));
    }
    let receipt = serde_json::value::RawValue::from_string(receipt)
        .map_err(|e| Error::Internal(format!("receipt: {e}")))?;
    let (id, version) = (path.id.as_str(), path.version.as_str());
    let entry = state
        .store
        .log_version_entry(artifact, id, version)
        .await?
        .ok_or_else(|| crate::log::unavailable("this version's log entry is not sequenced yet"))?;
    let cp = state
        .log
        .checkpoint(state.store.as_ref(), entry.index + 1)
        .await?;
    let (hashes, _) = state
        .log
        .inclusion(state.store.as_ref(), entry.index, cp.tree_size)
        .await?;
    /// The answer, with the stored receipt text embedded as it is (not parsed again).
    #[derive(serde::Serialize)]
    struct WithProof<'a> {
        receipt: &'a serde_json::value::RawValue,
        log_index: u64,
        log_entry: String,
        tlog_proof: String,
    }
    let note = cp.cosigned.as_deref().unwrap_or(&cp.note);
    let body = crate::views::to_json(&WithProof {
        receipt: &receipt,
        log_index: entry.index,
        log_entry: B64.encode(&entry.entry),
        tlog_proof: tlog_proof_text(entry.index, &hashes, note),
    });
    Ok(json_text(StatusCode::OK, body))
}
