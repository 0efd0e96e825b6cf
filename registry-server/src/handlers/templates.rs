//! Template routes: publish, listing, record, download (the template package) and the signed receipt.

use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use verifier::validate::MAX_TEMPLATE_BODY_BYTES;

use super::{Caching, json_text, json_with_etag};
use crate::error::Error;
use crate::extract::{ArtifactPath, Authorized, ListQuery};
use crate::reads;
use crate::state::AppState;
use crate::store::{Insert, Kind, StoredTemplate};

use super::template_view::{Owner, TemplateView, prepare, published_json};

/// `POST /templates`: the template rules, atomic and idempotent like packages, and a signed receipt.
#[utoipa::path(
    post, path = "/templates", operation_id = "templates_publish", tag = "templates",
    summary = "Publish a template version", request_body = crate::openapi::schemas::AnipObject,
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
    }: Authorized<MAX_TEMPLATE_BODY_BYTES>,
) -> Result<Response, Error> {
    let worker = state.clone();
    let who = publisher.clone();
    let prepared = tokio::task::spawn_blocking(move || prepare(&body, &who, &worker))
        .await
        .map_err(|e| Error::Internal(format!("template worker: {e}")))?;
    let template = match prepared {
        Ok(template) => template,
        Err(e) => {
            let status = if matches!(e, Error::InvalidPackage(_)) {
                "invalid"
            } else {
                "invalid_request"
            };
            state.metrics.publish("template", status);
            tracing::warn!(kind = "template", reason = %e, code = e.code(), "registry_publish_rejected");
            return Err(e);
        }
    };
    let claim = crate::publish::claim_for(
        &state,
        &publisher,
        &grant,
        crate::store::Kind::Template,
        &template.template_id,
        &template.template_version,
    )
    .await?;
    match state.store.publish_template(&template, &claim).await? {
        Insert::Created => {
            state.log.sequenced().await?;
            state.metrics.publish("template", "success");
            tracing::info!(
                kind = "template",
                template_id = %template.template_id,
                template_version = %template.template_version,
                manifest_digest = %template.manifest_digest,
                template_digest = %template.template_digest,
                "registry_publish_succeeded"
            );
            Ok(json_text(StatusCode::CREATED, published_json(&template, 0)))
        }
        Insert::Existing(stored)
            if stored.template_version == template.template_version
                && stored.manifest_digest == template.manifest_digest
                && stored.template_digest == template.template_digest
                && stored.package_digest == template.package_digest
                && stored.publisher_id == template.publisher_id =>
        {
            state.log.sequenced().await?;
            state.metrics.publish("template", "unchanged");
            Ok(json_text(
                StatusCode::OK,
                published_json(&stored, stored.download_count),
            ))
        }
        Insert::Existing(stored) => {
            state.metrics.publish("template", "conflict");
            let mut context = Map::new();
            for (key, value) in [
                ("template_id", &stored.template_id),
                ("template_version", &stored.template_version),
                ("manifest_digest", &stored.manifest_digest),
                ("template_digest", &stored.template_digest),
                ("package_digest", &stored.package_digest),
            ] {
                context.insert(key.into(), Value::from(value.as_str()));
            }
            let message = if stored.template_version == template.template_version {
                "template version already exists"
            } else {
                context.insert(
                    "requested_version".into(),
                    Value::from(template.template_version.as_str()),
                );
                "a version of equal precedence (differing only in build metadata) already exists"
            };
            Err(Error::Conflict { message, context })
        }
    }
}

/// `GET /templates`: every template in listing order, streamed; with `limit` and/or `cursor`, pages in
/// publication order (see [`super::listing`]).
#[utoipa::path(
    get, path = "/templates", operation_id = "templates_list", tag = "templates",
    summary = "Template versions: all, or paged",
    params(
        ("limit" = Option<u32>, Query, description = "Page size, 1-1000"),
        ("cursor" = Option<String>, Query, description = "Opaque cursor of the next page"),
        ("q" = Option<String>, Query, description = "Search text"),
        ("publisher_id" = Option<String>, Query, description = "Only this publisher's versions"),
        ("template_id" = Option<String>, Query, description = "Exactly this id"),
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
        Kind::Template,
        move |after, limit, filter| async move {
            store.list_templates_page(after, limit, &filter).await
        },
        move |timeout| store.stream_templates(timeout),
        |row: &StoredTemplate, out: &mut Vec<u8>| {
            let _ = serde_json::to_writer(out, &TemplateView::new(row, row.download_count, false));
        },
    )
    .await
}

fn not_found(path: &ArtifactPath) -> Error {
    Error::not_found(
        "template_not_found",
        format!("template version not found: {}@{}", path.id, path.version),
    )
}

/// `GET /templates/{id}/{version}`: the record, with `publisher` (its owner's summary) while an active ownership
/// row exists.
#[utoipa::path(
    get, path = "/templates/{id}/{version}", operation_id = "templates_record", tag = "templates",
    summary = "A template version's record",
    params(
        crate::openapi::params::TemplateVersion,
    ),
    responses(
        (status = 200, description = "The record", body = crate::openapi::schemas::AnipObject),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 410, description = "Taken down", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn record(
    State(state): State<AppState>,
    path: ArtifactPath,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let (template, count) = reads::current_template(&state, &path.id, &path.version, false)
        .await?
        .ok_or_else(|| not_found(&path))?;
    let owner = state
        .publishers
        .get(
            &state.store,
            crate::store::Kind::Template,
            &template.template_id,
        )
        .await?;
    let etag = super::short_hash(&[
        &template.package_digest,
        &count.to_string(),
        owner.as_deref().unwrap_or(""),
    ]);
    Ok(json_with_etag(
        &headers,
        crate::views::to_json(&TemplateView {
            publisher: crate::views::raw_summary(owner.as_deref()).map(Owner::Text),
            ..TemplateView::new(&template, count, true)
        }),
        etag,
        Caching::Revalidate,
    ))
}

/// `GET /templates/{id}/{version}/download`: the template package (equal to what was validated), counted once per
/// `GET`; a `HEAD` counts nothing.
#[utoipa::path(
    get, path = "/templates/{id}/{version}/download", operation_id = "templates_download", tag = "templates",
    summary = "A template version, counted as a download",
    params(
        crate::openapi::params::TemplateVersion,
    ),
    responses(
        (status = 200, description = "The template package", body = crate::openapi::schemas::AnipObject),
        (status = 304, description = "Not modified (If-None-Match matched the ETag)"),
        (status = 400, description = "Malformed request", body = crate::openapi::schemas::ErrorBody),
        (status = 404, description = "No such version", body = crate::openapi::schemas::ErrorBody),
        (status = 410, description = "Taken down", body = crate::openapi::schemas::ErrorBody),
    ),
)]
pub async fn download(
    State(state): State<AppState>,
    path: ArtifactPath,
    method: Method,
) -> Result<Response, Error> {
    let count = method == Method::GET;
    let (template, download_count) =
        reads::current_template(&state, &path.id, &path.version, count)
            .await?
            .ok_or_else(|| not_found(&path))?;
    if count {
        state.metrics.download("template");
        tracing::info!(
            kind = "template",
            template_id = %template.template_id,
            template_version = %template.template_version,
            download_count,
            "registry_download"
        );
    }
    let mut response = json_text(StatusCode::OK, template.package_json.as_str().to_owned());
    super::attachment(
        &mut response,
        &format!(
            "{}.anip-template.json",
            super::file_stem(&path.id, &path.version)
        ),
    );
    Ok(response)
}

/// `GET /templates/{id}/{version}/receipt[?proof=1]`: the signed template receipt (immutable), read alone
/// ([`super::log::kept_receipt`]).
#[utoipa::path(
    get, path = "/templates/{id}/{version}/receipt", operation_id = "templates_receipt", tag = "templates",
    summary = "A template version's signed receipt",
    params(
        crate::openapi::params::TemplateVersion,
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
    super::log::kept_receipt(&state, Kind::Template, &path, parts, || async {
        let receipt = reads::template_receipt(&state, &path.id, &path.version).await?;
        Ok(receipt.map(|r| (crate::views::to_json(&*r), r.receipt_id.clone())))
    })
    .await
}
