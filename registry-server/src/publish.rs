//! The publish pipeline: parse strictly → normalise → validate → stamp and digest → sign → persist atomically →
//! respond. Parsing and stamping run off the async executor.

use serde_json::{Map, Value};
use verifier::lifecycle::LifecycleStatus;
use verifier::publish::{PublishRequest, normalise, stamp};
use verifier::receipt::{Receipt, ReceiptPayload};
use verifier::validate::validate_package;

use crate::auth::Grant;
use crate::auth::ownership::authorize_publish;
use crate::error::Error;
use crate::extract::Publisher;
use crate::state::AppState;
use crate::store::{Claim, Insert, Kind, StoredPackage};
use crate::time::now_rfc3339;

/// How a publish ended.
#[derive(Debug)]
pub enum Published {
    /// A new version (201).
    Created(Box<StoredPackage>),
    /// The same content by the same publisher was already there (200, the stored record and receipt).
    Unchanged(Box<StoredPackage>),
}

/// Runs the pure, CPU-heavy part: strict parse, normalisation, validation, stamping and signing.
pub fn prepare(
    body: &[u8],
    publisher: &Publisher,
    state: &AppState,
) -> Result<StoredPackage, Error> {
    let mut request = PublishRequest::from_json(body)?;
    request.publisher_id = publisher.id.clone();
    request.publisher_type = publisher.kind.clone();
    let normalised = normalise(request);
    validate_package(&normalised).map_err(Error::InvalidPackage)?;
    let stamped = stamp(normalised);
    let published_at = now_rfc3339();
    // The receipt payload and the stored row are built from the stamped package directly: the documents go in as the
    // canonical text stamping produced, never cloned.
    let p = stamped.package;
    let payload = ReceiptPayload {
        package_id: p.package_id.clone(),
        package_version: p.package_version.clone(),
        contract_signature: p.contract_signature.clone(),
        definition_digest: stamped.definition_digest.clone(),
        manifest_digest: stamped.manifest_digest.clone(),
        lock_digest: stamped.lock_digest.clone(),
        package_execution_signature: stamped.package_execution_signature.clone(),
        issued_at: published_at.clone(),
        publisher_id: publisher.id.clone(),
        publisher_type: publisher.kind.clone(),
        lineage: p.lineage,
    };
    let receipt = Receipt::issue(&payload, &state.settings.signing.signer);
    let mut lineage_json = Vec::new();
    verifier::canonical::write_map(
        &mut lineage_json,
        &payload.lineage,
        verifier::canonical::Encoding::Digest,
    );
    let mut package = StoredPackage {
        lineage_json: String::from_utf8_lossy(&lineage_json).into_owned(),
        source_links_json: serde_json::to_string(&p.source_links).unwrap_or_else(|_| "[]".into()),
        implementation_materials_json: serde_json::to_string(&p.implementation_materials)
            .unwrap_or_else(|_| "[]".into()),
        package_id: payload.package_id,
        package_version: payload.package_version,
        project_ref: p.project_ref,
        product_revision_ref: p.product_revision_ref,
        developer_revision_ref: p.developer_revision_ref,
        contract_signature: payload.contract_signature,
        publisher_id: payload.publisher_id,
        publisher_type: payload.publisher_type,
        schema_version: p.schema_version,
        definition_digest: payload.definition_digest,
        manifest_digest: payload.manifest_digest,
        lock_digest: payload.lock_digest,
        package_execution_signature: payload.package_execution_signature,
        readme: p.readme,
        manifest_json: stamped.manifest_json,
        service_definition_json: stamped.service_definition_json,
        recommended_lock_json: stamped.recommended_lock_json,
        published_at,
        download_count: 0,
        lifecycle: verifier::record::Lifecycle::default(),
        receipt,
        card: None,
        verification: None,
    };
    // What the UI lists of the version, computed once here rather than on every page view.
    package.card = Some(crate::cards::package_card(&package));
    Ok(package)
}

/// Whether `stored` holds exactly what `new` would have stored, at the same version text, from the same publisher.
fn same_content(stored: &StoredPackage, new: &StoredPackage) -> bool {
    stored.package_version == new.package_version
        && stored.definition_digest == new.definition_digest
        && stored.manifest_digest == new.manifest_digest
        && stored.lock_digest == new.lock_digest
        && stored.package_execution_signature == new.package_execution_signature
        && stored.contract_signature == new.contract_signature
        && stored.project_ref == new.project_ref
        && stored.product_revision_ref == new.product_revision_ref
        && stored.developer_revision_ref == new.developer_revision_ref
        && stored.lineage_json == new.lineage_json
        && stored.publisher_id == new.publisher_id
        && stored.publisher_type == new.publisher_type
}

/// The 409 body's context: what is stored under the id and version, or under the version of equal precedence (one
/// that differs only in build metadata), which the context names.
fn conflict(stored: &StoredPackage, requested_version: &str) -> Error {
    let mut context = Map::new();
    for (key, value) in [
        ("package_id", &stored.package_id),
        ("package_version", &stored.package_version),
        ("definition_digest", &stored.definition_digest),
        ("manifest_digest", &stored.manifest_digest),
        ("lock_digest", &stored.lock_digest),
        (
            "package_execution_signature",
            &stored.package_execution_signature,
        ),
        ("publisher_id", &stored.publisher_id),
        ("published_at", &stored.published_at),
    ] {
        context.insert(key.into(), Value::from(value.as_str()));
    }
    let message = if stored.package_version == requested_version {
        "package version already exists"
    } else {
        context.insert("requested_version".into(), Value::from(requested_version));
        "a version of equal precedence (differing only in build metadata) already exists"
    };
    Error::Conflict { message, context }
}

/// The ownership claim for publishing `id@version` of `kind` under `grant` (see
/// [`crate::auth::ownership::authorize_publish`]); a refusal is counted as `forbidden` and logged.
pub async fn claim_for(
    state: &AppState,
    publisher: &Publisher,
    grant: &Grant,
    kind: Kind,
    id: &str,
    version: &str,
) -> Result<Claim, Error> {
    match authorize_publish(state, publisher, grant, kind, id).await {
        Ok(mut claim) => {
            claim.audit.target_id = format!("{id}@{version}");
            Ok(claim)
        }
        Err(e) => {
            let kind = crate::auth::scopes::kind_name(kind);
            state.metrics.publish(kind, "forbidden");
            tracing::warn!(kind, artifact_id = %id, publisher_id = %publisher.id, code = e.code(), "registry_publish_refused");
            Err(e)
        }
    }
}

/// Publishes `body` for `publisher`, authorised by `grant`.
pub async fn publish(
    state: &AppState,
    publisher: Publisher,
    grant: Grant,
    body: axum::body::Bytes,
) -> Result<Published, Error> {
    let worker_state = state.clone();
    let who = publisher.clone();
    let prepared = tokio::task::spawn_blocking(move || prepare(&body, &who, &worker_state))
        .await
        .map_err(|e| Error::Internal(format!("publish worker: {e}")))?;
    let package = match prepared {
        Ok(package) => package,
        Err(e) => {
            let status = if matches!(e, Error::InvalidPackage(_)) {
                "invalid"
            } else {
                "invalid_request"
            };
            state.metrics.publish("package", status);
            tracing::warn!(kind = "package", reason = %e, code = e.code(), "registry_publish_rejected");
            return Err(e);
        }
    };
    let claim = claim_for(
        state,
        &publisher,
        &grant,
        Kind::Package,
        &package.package_id,
        &package.package_version,
    )
    .await?;
    match state.store.publish_package(&package, &claim).await {
        Ok(Insert::Created) => {
            state.publishers.forget(Kind::Package, &package.package_id);
            // Acknowledged only once its log entry is sequenced (a timeout answers 503; the retry is the
            // identical re-publish below, which waits again and finds the entry already in the log).
            state.log.sequenced().await?;
            state.metrics.publish("package", "success");
            tracing::info!(
                kind = "package",
                package_id = %package.package_id,
                version = %package.package_version,
                manifest_digest = %package.manifest_digest,
                definition_digest = %package.definition_digest,
                receipt_id = %package.receipt.receipt_id,
                key_id = %package.receipt.key_id,
                publisher_id = %package.publisher_id,
                publisher_type = %package.publisher_type,
                "registry_publish_succeeded"
            );
            Ok(Published::Created(Box::new(package)))
        }
        Ok(Insert::Existing(stored)) if stored.lifecycle.status == LifecycleStatus::Takedown => {
            state.metrics.publish("package", "conflict");
            let mut context = Map::new();
            context.insert("package_id".into(), Value::from(stored.package_id.as_str()));
            context.insert(
                "version".into(),
                Value::from(stored.package_version.as_str()),
            );
            Err(Error::Gone {
                code: "package_unavailable",
                message: "package version is unavailable".into(),
                context,
            })
        }
        Ok(Insert::Existing(stored)) if same_content(&stored, &package) => {
            state.log.sequenced().await?;
            state.metrics.publish("package", "unchanged");
            Ok(Published::Unchanged(stored))
        }
        Ok(Insert::Existing(stored)) => {
            state.metrics.publish("package", "conflict");
            tracing::warn!(
                kind = "package",
                package_id = %package.package_id,
                version = %package.package_version,
                reason = "version_exists",
                "registry_publish_rejected"
            );
            Err(conflict(&stored, &package.package_version))
        }
        Err(e @ Error::Refused { .. }) => {
            state.metrics.publish("package", "forbidden");
            tracing::warn!(kind = "package", package_id = %package.package_id, code = e.code(), "registry_publish_refused");
            Err(e)
        }
        Err(e) => {
            state.metrics.publish("package", "error");
            tracing::error!(kind = "package", package_id = %package.package_id, error = %e, "registry_publish_failed");
            Err(e)
        }
    }
}
