//! Template views and preparation: the `TemplateSummary` / `RegistryTemplateRecord` JSON of a stored version, and a
//! publish request checked and signed into a [`StoredTemplate`].

use verifier::template_receipt::{TemplatePayload, TemplateReceipt};
use verifier::validate::{TemplateRequest, prepare_template};

use crate::error::Error;
use crate::extract::Publisher;
use crate::publish::document;
use crate::state::AppState;
use crate::store::{Document, StoredTemplate};
use crate::time::now_rfc3339;

/// A `TemplateSummary` or `RegistryTemplateRecord` (reference §1.4) borrowing a stored version; documents are
/// embedded as their stored text. `template`, `package` and the digests are absent from a listing row.
#[derive(Debug, serde::Serialize)]
pub(super) struct TemplateView<'a> {
    /// The owner's `PublisherSummary`, when an ownership row exists: the cached summary's text for a record, the
    /// row's joined owner for a listing row.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) publisher: Option<Owner<'a>>,
    pub(super) template_id: &'a str,
    pub(super) template_version: &'a str,
    pub(super) template_kind: &'a str,
    pub(super) project_type: &'a str,
    pub(super) anip_spec_version: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(super) domain: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(super) industry: &'a str,
    #[serde(skip_serializing_if = "is_empty_document")]
    pub(super) systems: &'a Document,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(super) publisher_id: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    pub(super) publisher_type: &'a str,
    pub(super) published_at: &'a str,
    pub(super) download_count: i64,
    #[serde(flatten)]
    pub(super) record: Option<RecordParts<'a>>,
    pub(super) manifest: &'a Document,
    #[serde(flatten)]
    pub(super) documents: Option<Documents<'a>>,
}

/// A `PublisherSummary` as the record or listing has it.
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub(super) enum Owner<'a> {
    Text(&'a serde_json::value::RawValue),
    Row(&'a crate::auth::summary::PublisherSummary),
}

/// The digests a record carries before its manifest.
#[derive(Debug, serde::Serialize)]
pub(super) struct RecordParts<'a> {
    manifest_digest: &'a str,
    template_digest: &'a str,
    package_digest: &'a str,
}

/// The documents a record carries after its manifest.
#[derive(Debug, serde::Serialize)]
pub(super) struct Documents<'a> {
    template: &'a Document,
    package: &'a Document,
}

fn is_empty_document(d: &&Document) -> bool {
    matches!(d.as_str(), "" | "[]")
}

impl<'a> TemplateView<'a> {
    pub(super) fn new(t: &'a StoredTemplate, download_count: i64, record: bool) -> Self {
        TemplateView {
            publisher: t.owner.as_ref().map(Owner::Row),
            template_id: &t.template_id,
            template_version: &t.template_version,
            template_kind: &t.template_kind,
            project_type: &t.project_type,
            anip_spec_version: &t.anip_spec_version,
            domain: &t.domain,
            industry: &t.industry,
            systems: &t.systems_json,
            publisher_id: &t.publisher_id,
            publisher_type: &t.publisher_type,
            published_at: &t.published_at,
            download_count,
            record: record.then_some(RecordParts {
                manifest_digest: &t.manifest_digest,
                template_digest: &t.template_digest,
                package_digest: &t.package_digest,
            }),
            manifest: &t.manifest_json,
            documents: record.then_some(Documents {
                template: &t.template_json,
                package: &t.package_json,
            }),
        }
    }
}

/// `{"template": RegistryTemplateRecord}`, the body of a template publish response.
pub(super) fn published_json(t: &StoredTemplate, download_count: i64) -> String {
    #[derive(serde::Serialize)]
    struct Published<'a> {
        template: TemplateView<'a>,
    }
    crate::views::to_json(&Published {
        template: TemplateView::new(t, download_count, true),
    })
}

pub(super) fn prepare(
    body: &[u8],
    publisher: &Publisher,
    state: &AppState,
) -> Result<StoredTemplate, Error> {
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
        systems_json: Document::of(&prepared.systems)
            .map_err(|e| Error::Internal(format!("template systems: {e}")))?,
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
        manifest_json: document(prepared.manifest_json)?,
        template_json: document(prepared.template_json)?,
        package_json: document(prepared.package_json)?,
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
