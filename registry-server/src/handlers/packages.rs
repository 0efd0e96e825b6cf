//! Package routes: listing, publish, record, download, lock and receipt.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::{CONTENT_DISPOSITION, HOST};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value, json};
use verifier::lock::RegistryContext;
use verifier::record::Lifecycle;
use verifier::validate::MAX_PUBLISH_BODY_BYTES;

use super::{Caching, json_text, json_with_etag, short_hash};
use crate::error::Error;
use crate::extract::{ArtifactPath, Authorized, ListQuery, allow_yanked};
use crate::publish::{Published, publish as run_publish};
use crate::state::AppState;
use crate::store::{Cursor, Download, PackageState, StoredPackage, downloadable};
use crate::views::{lock_of, publish_response_json, record_json_at};

/// `GET /publications`: every version in listing order; `limit` and `cursor` page through it.
pub async fn list(State(state): State<AppState>, query: ListQuery) -> Result<Response, Error> {
    let cursor = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let items = state
        .store
        .list_publications(cursor.as_ref(), query.limit)
        .await?;
    let mut body = json!({ "items": items });
    if let (Some(limit), Some(last)) = (query.limit, items.last())
        && items.len() == limit as usize
    {
        body["next_cursor"] = json!(encode_cursor(&Cursor {
            download_count: last.download_count,
            published_at: last.published_at.clone(),
            package_id: last.package_id.clone(),
            package_version: last.package_version.clone(),
        }));
    }
    Ok(json_text(StatusCode::OK, body.to_string()))
}

fn encode_cursor(cursor: &Cursor) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode_cursor(text: &str) -> Result<Cursor, Error> {
    let cursor: Option<Cursor> = URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    // Only what this registry could have issued: a count, an RFC 3339 time and a valid id and version.
    let plausible = |c: &Cursor| {
        c.download_count >= 0
            && c.published_at.len() == 20
            && c.published_at
                .bytes()
                .all(|b| b.is_ascii_digit() || b"-:TZ".contains(&b))
            && verifier::validate::is_valid_artifact_id(&c.package_id)
            && verifier::validate::is_valid_version(&c.package_version)
    };
    cursor.filter(plausible).ok_or_else(|| {
        Error::bad_request(
            "invalid_cursor",
            "the cursor is not one this registry issued",
        )
    })
}

/// `POST /publications`.
pub async fn publish(
    State(state): State<AppState>,
    Authorized { publisher, body }: Authorized<MAX_PUBLISH_BODY_BYTES>,
) -> Result<Response, Error> {
    Ok(match run_publish(&state, publisher, body).await? {
        Published::Created(package) => {
            json_text(StatusCode::CREATED, publish_response_json(&package))
        }
        Published::Unchanged(package) => json_text(StatusCode::OK, publish_response_json(&package)),
    })
}

fn not_found(path: &ArtifactPath) -> Error {
    Error::not_found(
        "package_not_found",
        format!("package version not found: {}@{}", path.id, path.version),
    )
}

fn gone(package_id: &str, version: &str, lifecycle: &Lifecycle) -> Error {
    let (code, message) = if lifecycle.status == "yanked" {
        ("package_yanked", "package version has been yanked")
    } else {
        ("package_unavailable", "package version is unavailable")
    };
    let mut context = Map::new();
    context.insert("package_id".into(), Value::from(package_id));
    context.insert("version".into(), Value::from(version));
    context.insert("lifecycle".into(), json!(lifecycle));
    Error::Gone {
        code,
        message: message.into(),
        context,
    }
}

/// The version's immutable parts (from the cache when possible) and its current state.
async fn load(
    state: &AppState,
    path: &ArtifactPath,
) -> Result<(Arc<StoredPackage>, PackageState), Error> {
    if let Some(package) = state.cache.get(&path.id, &path.version) {
        let current = state
            .store
            .get_state(&path.id, &path.version)
            .await?
            .ok_or_else(|| not_found(path))?;
        return Ok((package, current));
    }
    let package = state
        .store
        .get_package(&path.id, &path.version)
        .await?
        .ok_or_else(|| not_found(path))?;
    let current = PackageState {
        download_count: package.download_count,
        lifecycle: package.lifecycle.clone(),
    };
    Ok((state.cache.insert(package), current))
}

/// `GET /packages/{id}/{version}`: the record; 410 under takedown; no download counted.
pub async fn record(
    State(state): State<AppState>,
    path: ArtifactPath,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (package, current) = load(&state, &path).await?;
    if current.lifecycle.status == "takedown" {
        return Err(gone(
            &package.package_id,
            &package.package_version,
            &current.lifecycle,
        ));
    }
    let etag = record_etag(&package, &current);
    Ok(json_with_etag(
        &headers,
        record_json_at(&package, &current),
        etag,
        Caching::Revalidate,
    ))
}

fn record_etag(p: &StoredPackage, current: &PackageState) -> String {
    let lifecycle = serde_json::to_string(&current.lifecycle).unwrap_or_default();
    short_hash(&[
        &p.manifest_digest,
        &p.receipt.receipt_id,
        &current.download_count.to_string(),
        &lifecycle,
    ])
}

fn attachment(response: &mut Response, filename: &str) {
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
}

fn file_stem(id: &str, version: &str) -> String {
    format!("{}-{version}", id.replace('/', "__"))
}

/// `GET /packages/{id}/{version}/download`: the record with its download counted, exactly once per call.
pub async fn download(
    State(state): State<AppState>,
    path: ArtifactPath,
    parts: Parts,
) -> Result<Response, Error> {
    // The immutable part is loaded first, so a download is never counted for a response that then fails.
    let package = match state.cache.get(&path.id, &path.version) {
        Some(package) => package,
        None => match state.store.get_package(&path.id, &path.version).await? {
            Some(package) => state.cache.insert(package),
            None => return Err(not_found(&path)),
        },
    };
    match state
        .store
        .download_package(&path.id, &path.version, allow_yanked(&parts))
        .await?
    {
        Download::Counted(current) => {
            state.metrics.download("package");
            tracing::info!(
                kind = "package",
                package_id = %path.id,
                version = %path.version,
                download_count = current.download_count,
                "registry_download"
            );
            let mut response = json_text(StatusCode::OK, record_json_at(&package, &current));
            attachment(
                &mut response,
                &format!("{}.anip-package.json", file_stem(&path.id, &path.version)),
            );
            Ok(response)
        }
        Download::Refused(lifecycle) => Err(gone(&path.id, &path.version, &lifecycle)),
        Download::NotFound => Err(not_found(&path)),
    }
}

/// `GET /packages/{id}/{version}/lock`: the lock a generator would write, gated like downloads.
pub async fn lock(
    State(state): State<AppState>,
    path: ArtifactPath,
    parts: Parts,
) -> Result<Response, Error> {
    let (package, current) = load(&state, &path).await?;
    if !downloadable(&current.lifecycle.status, allow_yanked(&parts)) {
        return Err(gone(
            &package.package_id,
            &package.package_version,
            &current.lifecycle,
        ));
    }
    let settings = &state.settings;
    let context = RegistryContext {
        registry_url: registry_url(&state, &parts),
        signing_mode: settings.mode.as_str().to_owned(),
    };
    let key = settings.signing.keys.get(&package.receipt.key_id);
    let body = serde_json::to_string(&lock_of(&package, &context, key))
        .map_err(|e| Error::Internal(format!("lock: {e}")))?;
    let etag = short_hash(&[&body]);
    let mut response = json_with_etag(&parts.headers, body, etag, Caching::Revalidate);
    attachment(
        &mut response,
        &format!("{}.anip.lock.json", file_stem(&path.id, &path.version)),
    );
    Ok(response)
}

/// `<scheme>://<host>/registry-api/v1` for locks: the configured public URL, else the request's host (forwarded
/// headers only when trusted).
fn registry_url(state: &AppState, parts: &Parts) -> String {
    if let Some(base) = &state.settings.public_base_url {
        return format!("{base}/registry-api/v1");
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let trusted = state.settings.trust_forwarded_headers;
    let scheme = trusted
        .then(|| header("x-forwarded-proto"))
        .flatten()
        .unwrap_or_else(|| "http".to_owned());
    let host = trusted
        .then(|| header("x-forwarded-host"))
        .flatten()
        .or_else(|| header(HOST.as_str()))
        .unwrap_or_else(|| "localhost".to_owned());
    format!("{scheme}://{host}/registry-api/v1")
}

/// `GET /packages/{id}/{version}/receipt`: never gated by lifecycle; immutable.
pub async fn receipt(
    State(state): State<AppState>,
    path: ArtifactPath,
    headers: HeaderMap,
) -> Result<Response, Error> {
    // Receipts never change and are never gated: a cached one is served without touching the store.
    let package = match state.cache.get(&path.id, &path.version) {
        Some(package) => package,
        None => {
            let package = state
                .store
                .get_package(&path.id, &path.version)
                .await?
                .ok_or_else(|| {
                    Error::not_found(
                        "receipt_not_found",
                        format!("package receipt not found: {}@{}", path.id, path.version),
                    )
                })?;
            state.cache.insert(package)
        }
    };
    let body = serde_json::to_string(&package.receipt)
        .map_err(|e| Error::Internal(format!("receipt: {e}")))?;
    let etag = package
        .receipt
        .receipt_id
        .trim_start_matches("sha256:")
        .to_owned();
    Ok(json_with_etag(&headers, body, etag, Caching::Immutable))
}
