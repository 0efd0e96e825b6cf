//! Template routes: publish, listing, record, download (the template package) and the signed receipt.

use axum::extract::State;
use axum::http::header::CONTENT_DISPOSITION;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::Response;
use serde_json::{Map, Value};
use verifier::template_receipt::{TemplatePayload, TemplateReceipt};
use verifier::validate::{MAX_TEMPLATE_BODY_BYTES, TemplateRequest, prepare_template};

use super::listing::{Listing, flush_counts, listing_permit, page_response, stream_response};
use super::{Caching, json_text, json_with_etag};
use crate::error::Error;
use crate::extract::{ArtifactPath, Authorized, ListQuery, Publisher};
use crate::reads;
use crate::state::AppState;
use crate::store::{Insert, StoredTemplate};
use crate::time::now_rfc3339;

/// Appends `"key":<raw>` or `"key":<json string>`.
fn push(out: &mut String, key: &str, raw: &str) {
    if !out.ends_with('{') {
        out.push(',');
    }
    out.push_str(&Value::from(key).to_string());
    out.push(':');
    out.push_str(raw);
}

fn push_text(out: &mut String, key: &str, value: &str) {
    push(out, key, &Value::from(value).to_string());
}

/// The fields a listing row and a record share (reference §1.4).
fn head(t: &StoredTemplate, download_count: i64, out: &mut String) {
    push_text(out, "template_id", &t.template_id);
    push_text(out, "template_version", &t.template_version);
    push_text(out, "template_kind", &t.template_kind);
    push_text(out, "project_type", &t.project_type);
    push_text(out, "anip_spec_version", &t.anip_spec_version);
    for (key, value) in [("domain", &t.domain), ("industry", &t.industry)] {
        if !value.is_empty() {
            push_text(out, key, value);
        }
    }
    if !matches!(t.systems_json.as_str(), "" | "[]") {
        push(out, "systems", &t.systems_json);
    }
    for (key, value) in [
        ("publisher_id", &t.publisher_id),
        ("publisher_type", &t.publisher_type),
    ] {
        if !value.is_empty() {
            push_text(out, key, value);
        }
    }
    if let Some(owner) = t.owner.as_ref().and_then(|o| serde_json::to_string(o).ok()) {
        push(out, "publisher", &owner);
    }
    push_text(out, "published_at", &t.published_at);
    push(out, "download_count", &download_count.to_string());
}

/// A `TemplateSummary` (with its manifest).
fn summary_json(t: &StoredTemplate, download_count: i64) -> String {
    let mut out = String::from("{");
    head(t, download_count, &mut out);
    push(&mut out, "manifest", &t.manifest_json);
    out.push('}');
    out
}

/// A `RegistryTemplateRecord`.
fn record_json(t: &StoredTemplate, download_count: i64) -> String {
    let mut out = String::with_capacity(
        t.manifest_json.len() + t.template_json.len() + t.package_json.len() + 1024,
    );
    out.push('{');
    head(t, download_count, &mut out);
    push_text(&mut out, "manifest_digest", &t.manifest_digest);
    push_text(&mut out, "template_digest", &t.template_digest);
    push_text(&mut out, "package_digest", &t.package_digest);
    push(&mut out, "manifest", &t.manifest_json);
    push(&mut out, "template", &t.template_json);
    push(&mut out, "package", &t.package_json);
    out.push('}');
    out
}

fn prepare(body: &[u8], publisher: &Publisher, state: &AppState) -> Result<StoredTemplate, Error> {
    let mut request = TemplateRequest::from_json(body)?;
    request.publisher_id = publisher.id.clone();
    request.publisher_type = publisher.kind.clone();
    let prepared = prepare_template(request).map_err(Error::InvalidPackage)?;
    let issued_at = now_rfc3339();
    let receipt = TemplateReceipt::issue(
        &TemplatePayload {
            template_id: prepared.template_id.clone(),
            template_version: prepared.template_version.clone(),
            manifest_digest: prepared.manifest_digest.clone(),
            template_digest: prepared.template_digest.clone(),
            package_digest: prepared.package_digest.clone(),
            issued_at: issued_at.clone(),
            publisher_id: publisher.id.clone(),
            publisher_type: publisher.kind.clone(),
        },
        &state.settings.signing.signer,
    );
    Ok(StoredTemplate {
        owner: None,
        systems_json: serde_json::to_string(&prepared.systems).unwrap_or_else(|_| "[]".into()),
        template_id: prepared.template_id,
        template_version: prepared.template_version,
        template_kind: prepared.template_kind,
        project_type: prepared.project_type,
        anip_spec_version: prepared.anip_spec_version,
        domain: prepared.domain,
        industry: prepared.industry,
        publisher_id: publisher.id.clone(),
        publisher_type: publisher.kind.clone(),
        manifest_digest: prepared.manifest_digest,
        template_digest: prepared.template_digest,
        package_digest: prepared.package_digest,
        manifest_json: prepared.manifest_json,
        template_json: prepared.template_json,
        package_json: prepared.package_json,
        published_at: issued_at,
        download_count: 0,
        receipt,
        card: None,
        verification: None,
    })
    .map(|mut template| {
        template.card = Some(crate::cards::template_card(&template));
        template
    })
}

/// `POST /templates`: the template rules, atomic and idempotent like packages, and a signed receipt.
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
            state.metrics.publish("template", "success");
            tracing::info!(
                kind = "template",
                template_id = %template.template_id,
                template_version = %template.template_version,
                manifest_digest = %template.manifest_digest,
                template_digest = %template.template_digest,
                "registry_publish_succeeded"
            );
            Ok(json_text(
                StatusCode::CREATED,
                format!("{{\"template\":{}}}", record_json(&template, 0)),
            ))
        }
        Insert::Existing(stored)
            if stored.template_version == template.template_version
                && stored.manifest_digest == template.manifest_digest
                && stored.template_digest == template.template_digest
                && stored.package_digest == template.package_digest
                && stored.publisher_id == template.publisher_id =>
        {
            state.metrics.publish("template", "unchanged");
            Ok(json_text(
                StatusCode::OK,
                format!(
                    "{{\"template\":{}}}",
                    record_json(&stored, stored.download_count)
                ),
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
pub async fn list(State(state): State<AppState>, query: ListQuery) -> Result<Response, Error> {
    let listing = Listing::of(&query)?;
    let permit = match listing {
        Listing::All => Some(listing_permit(&state).await?),
        Listing::Page { .. } => None,
    };
    flush_counts(&state).await?;
    match (listing, permit) {
        (Listing::Page { after, limit }, _) => {
            let rows = state.store.list_templates_page(after, limit).await?;
            let rows = rows
                .into_iter()
                .map(|(seq, row)| (seq, summary_json(&row, row.download_count)))
                .collect();
            Ok(page_response(rows, limit))
        }
        (Listing::All, Some(permit)) => {
            let rows = state
                .store
                .stream_templates(state.settings.tuning.listing_timeout())
                .await;
            stream_response(
                rows,
                |row: &StoredTemplate, out: &mut Vec<u8>| {
                    out.extend_from_slice(summary_json(row, row.download_count).as_bytes());
                },
                permit,
            )
            .await
        }
        (Listing::All, None) => Err(Error::Internal("listing without a permit".into())),
    }
}

fn not_found(path: &ArtifactPath) -> Error {
    Error::not_found(
        "template_not_found",
        format!("template version not found: {}@{}", path.id, path.version),
    )
}

/// `GET /templates/{id}/{version}`: the record, with `publisher` (its owner's summary) while an active ownership
/// row exists.
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
        crate::auth::summary::with_publisher(record_json(&template, count), owner.as_deref()),
        etag,
        Caching::Revalidate,
    ))
}

/// `GET /templates/{id}/{version}/download`: the template package (equal to what was validated), counted once per
/// `GET`; a `HEAD` counts nothing.
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
    let mut response = json_text(StatusCode::OK, template.package_json.clone());
    let filename = format!(
        "{}-{}.anip-template.json",
        path.id.replace('/', "__"),
        path.version
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        response.headers_mut().insert(CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// `GET /templates/{id}/{version}/receipt`: the signed template receipt (immutable), read alone.
pub async fn receipt(
    State(state): State<AppState>,
    path: ArtifactPath,
    headers: HeaderMap,
) -> Result<Response, Error> {
    let receipt = reads::template_receipt(&state, &path.id, &path.version)
        .await?
        .ok_or_else(|| {
            Error::not_found(
                "receipt_not_found",
                format!("template receipt not found: {}@{}", path.id, path.version),
            )
        })?;
    let body = serde_json::to_string(receipt.as_ref())
        .map_err(|e| Error::Internal(format!("receipt: {e}")))?;
    let etag = receipt.receipt_id.trim_start_matches("sha256:").to_owned();
    Ok(json_with_etag(&headers, body, etag, Caching::Immutable))
}
