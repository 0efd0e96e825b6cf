//! Package routes: listing, publish, record, download, lock and receipt.

use std::sync::Arc;

use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value, json};
use verifier::lifecycle::LifecycleStatus;
use verifier::lock::RegistryContext;
use verifier::record::Lifecycle;
use verifier::validate::MAX_PUBLISH_BODY_BYTES;

use super::{Caching, json_text, json_with_etag, short_hash};
use crate::error::Error;
use crate::extract::{ArtifactPath, Authorized, ListQuery, allow_yanked};
use crate::publish::{Published, publish as run_publish};
use crate::reads;
use crate::state::AppState;
use crate::store::{Kind, PackageState, StoredPackage, downloadable};
use crate::views::{RecordView, lock_of, publish_response_json, raw_summary, to_json};

/// `GET /publications`: every version in ANIP's order, streamed; with `limit` and/or `cursor`, pages in
/// publication order (see [`super::listing`]).
#[utoipa::path(
    get, path = "/publications", operation_id = "packages_list", tag = "packages",
    summary = "Package versions: all, or paged",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1-1000"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor of the next page"),
        ("q" = Option<String>, Query, description = "Search text"),
        ("publisher_id" = Option<String>, Query, description = "Only this publisher's versions"),
        ("package_id" = Option<String>, Query, description = "Exactly this id"),
        ("lifecycle" = Option<String>, Query, description = "Versions in this lifecycle state"),
    ),
    responses(
        (status = 200, description = "Every record (no limit or cursor) or a page", body = crate::openapi::schemas::Listing),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn list(State(state): State<AppState>, query: ListQuery) -> Result<Response, Error> {
    let store = &state.store;
    super::listing::answer(
        &state,
        &query,
        Kind::Package,
        move |after, limit, filter| async move {
            store.list_publications_page(after, limit, &filter).await
        },
        move |timeout| store.stream_publications(timeout),
        |row, out: &mut Vec<u8>| {
            let _ = serde_json::to_writer(out, row);
        },
    )
    .await
}

/// `POST /publications`.
#[utoipa::path(
    post, path = "/publications", operation_id = "packages_publish", tag = "packages",
    summary = "Publish a package version", request_body = crate::openapi::schemas::AnipObject,
    responses(
        (status = 201, description = "Published: the signed receipt", body = crate::openapi::schemas::AnipObject),
        (status = 200, description = "Already published with these bytes", body = crate::openapi::schemas::AnipObject),
        (status = 400, description = "Malformed body, or a package that breaks a rule (`problems`)", body = crate::openapi::schemas::ErrorBody),
        (status = 401, description = "Missing or wrong publish token", body = crate::openapi::schemas::ErrorBody),
        (status = 403, description = "Not allowed for this token or publisher", body = crate::openapi::schemas::ErrorBody),
        (status = 409, description = "The version exists with other content, or the id is taken", body = crate::openapi::schemas::ErrorBody),
        (status = 413, description = "Body over the limit", body = crate::openapi::schemas::ErrorBody),
        (status = 415, description = "Unsupported Content-Encoding", body = crate::openapi::schemas::ErrorBody),
    ),
    security(("bearer" = [])),
)]
pub async fn publish(
    State(state): State<AppState>,
    Authorized {
        publisher,
        grant,
        body,
    }: Authorized<MAX_PUBLISH_BODY_BYTES>,
) -> Result<Response, Error> {
    Ok(match run_publish(&state, publisher, grant, body).await? {
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
    let (code, message) = if lifecycle.status == LifecycleStatus::Yanked {
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

/// The version and its current state, or 404.
async fn load(
    state: &AppState,
    path: &ArtifactPath,
) -> Result<(Arc<StoredPackage>, PackageState), Error> {
    reads::current_package(state, &path.id, &path.version)
        .await?
        .ok_or_else(|| not_found(path))
}

/// `GET /packages/{id}/{version}`: the record; 410 under takedown; no download counted.
#[utoipa::path(
    get, path = "/packages/{id}/{version}", operation_id = "packages_record", tag = "packages",
    summary = "A package version's record",
    params(
        crate::openapi::params::PackageVersion,
    ),
    responses(
        (status = 200, description = "The record", body = crate::openapi::schemas::AnipObject),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 410, description = "Withdrawn by its lifecycle", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn record(
    State(state): State<AppState>,
    path: ArtifactPath,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (package, current) = load(&state, &path).await?;
    if current.lifecycle.status == LifecycleStatus::Takedown {
        return Err(gone(
            &package.package_id,
            &package.package_version,
            &current.lifecycle,
        ));
    }
    let owner = state
        .publishers
        .get(&state.store, Kind::Package, &package.package_id)
        .await?;
    let etag = short_hash(&[
        &record_etag(&package, &current),
        owner.as_deref().unwrap_or(""),
    ]);
    Ok(json_with_etag(
        &headers,
        to_json(&RecordView::new(
            &package,
            &current,
            raw_summary(owner.as_deref()),
        )),
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

/// `GET /packages/{id}/{version}/download`: the record with its download counted, exactly once per `GET`. A
/// `HEAD` (link checkers, monitors) answers the same headers and counts nothing.
#[utoipa::path(
    get, path = "/packages/{id}/{version}/download", operation_id = "packages_download", tag = "packages",
    summary = "A package version, counted as a download",
    params(
        crate::openapi::params::PackageVersion,
        ("allow_yanked" = Option<bool>, Query, description = "Download a yanked version anyway"),
    ),
    responses(
        (status = 200, description = "The record", body = crate::openapi::schemas::AnipObject),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 410, description = "Withdrawn by its lifecycle", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn download(
    State(state): State<AppState>,
    path: ArtifactPath,
    parts: Parts,
) -> Result<Response, Error> {
    let count = parts.method == Method::GET;
    match reads::download_package(&state, &path.id, &path.version, allow_yanked(&parts), count)
        .await?
    {
        reads::Download::Served(package, current) => {
            if count {
                state.metrics.download("package");
                tracing::info!(
                    kind = "package",
                    package_id = %path.id,
                    version = %path.version,
                    download_count = current.download_count,
                    "registry_download"
                );
            }
            let owner = state
                .publishers
                .get(&state.store, Kind::Package, &package.package_id)
                .await?;
            let record = to_json(&RecordView::new(
                &package,
                &current,
                raw_summary(owner.as_deref()),
            ));
            let mut response = json_text(StatusCode::OK, record);
            super::attachment(
                &mut response,
                &format!(
                    "{}.anip-package.json",
                    super::file_stem(&path.id, &path.version)
                ),
            );
            Ok(response)
        }
        reads::Download::Refused(lifecycle) => Err(gone(&path.id, &path.version, &lifecycle)),
        reads::Download::NotFound => Err(not_found(&path)),
    }
}

/// `GET /packages/{id}/{version}/lock`: the lock a generator would write, gated like downloads.
#[utoipa::path(
    get, path = "/packages/{id}/{version}/lock", operation_id = "packages_lock", tag = "packages",
    summary = "The lock a generator would write",
    params(
        crate::openapi::params::PackageVersion,
        ("allow_yanked" = Option<bool>, Query, description = "Download a yanked version anyway"),
    ),
    responses(
        (status = 200, description = "The lock", body = crate::openapi::schemas::AnipObject),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 410, description = "Withdrawn by its lifecycle", body = crate::openapi::schemas::ErrorBody),
    ),
)]
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
    // The bytes `registry resolve --write-lock` writes: two-space indent and a final newline.
    let mut lock = lock_of(&package, &context, key);
    // The log position, as `registry resolve --write-lock` pins it.
    if let Some((index, checkpoint)) = super::log::lock_position(
        &state,
        "package",
        &package.package_id,
        &package.package_version,
    )
    .await?
    {
        lock.log_index = Some(index);
        lock.log_checkpoint = checkpoint;
    }
    let body = lock.to_pretty_json();
    let etag = short_hash(&[&body]);
    let mut response = json_with_etag(&parts.headers, body, etag, Caching::Revalidate);
    super::attachment(
        &mut response,
        &format!(
            "{}.anip.lock.json",
            super::file_stem(&path.id, &path.version)
        ),
    );
    Ok(response)
}

/// `<origin>/registry-api/v1` for locks ([`AppState::public_origin`]).
fn registry_url(state: &AppState, parts: &Parts) -> String {
    format!("{}/registry-api/v1", state.public_origin(&parts.headers))
}

/// `GET /packages/{id}/{version}/receipt[?proof=1]`: the signed receipt, read alone ([`super::log::kept_receipt`]).
#[utoipa::path(
    get, path = "/packages/{id}/{version}/receipt", operation_id = "packages_receipt", tag = "packages",
    summary = "A package version's signed receipt",
    params(
        crate::openapi::params::PackageVersion,
        ("proof" = Option<bool>, Query, description = "With the log entry and an inclusion proof"),
    ),
    responses(
        (status = 200, description = "The receipt", body = crate::openapi::schemas::Receipt),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn receipt(
    State(state): State<AppState>,
    path: ArtifactPath,
    request: axum::extract::Request,
) -> Result<Response, Error> {
    // The request itself, not `HeaderMap` and `Uri` extractors: those copy the headers and the URI.
    let parts = (request.headers(), request.uri());
    super::log::kept_receipt(&state, Kind::Package, &path, parts, || async {
        let receipt = reads::receipt(&state, &path.id, &path.version).await?;
        Ok(receipt.map(|r| (to_json(&*r), r.receipt_id.clone())))
    })
    .await
}
