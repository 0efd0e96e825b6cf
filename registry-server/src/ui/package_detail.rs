//! One package version's page: identity, lifecycle banner, the receipt verified on the server with `verifier`,
//! digests, capabilities, the README as safe Markdown, links, lineage, downloads and the `registry resolve` command.

use askama::Template;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use verifier::lifecycle::LifecycleStatus;
use verifier::record::{Lifecycle, PackageRecord};

use super::html::{Html, is_http_url};
use super::packages::VERSIONS_PER_ID;
use super::verdict::{Shown, Verdict};
use super::{
    Extra, Page, Replacement, Section, TakenDown, VersionItem, api_href, artifact_href, markdown,
    origin, render, replacement_of,
};
use crate::auth::summary::PublisherSummary;
use crate::error::Error;
use crate::reads;
use crate::state::AppState;
use crate::store::{PackageState, PublicationSummary, StoredPackage};

struct Computed {
    record: PackageRecord,
    readme: Html,
    /// Its place in the transparency log (read before the page is rendered).
    log: super::log::LogStatus,
}

/// What a page shows of the documents: lineage, links, materials, manifest and definition, and the README rendered.
/// Each part is parsed from its own stored text (work proportional to this version's documents only).
fn compute(package: &StoredPackage) -> Computed {
    let record = PackageRecord {
        lineage: serde_json::from_str(&package.lineage_json).unwrap_or_default(),
        source_links: serde_json::from_str(&package.source_links_json).unwrap_or_default(),
        implementation_materials: serde_json::from_str(&package.implementation_materials_json)
            .unwrap_or_default(),
        manifest: serde_json::from_str(&package.manifest_json).unwrap_or_default(),
        service_definition: serde_json::from_str(&package.service_definition_json)
            .unwrap_or_default(),
        ..PackageRecord::default()
    };
    Computed {
        readme: markdown::render(&package.readme),
        record,
        log: super::log::LogStatus::default(),
    }
}

/// `GET /registry/packages/{id}/{version}`: bounded reads (the version, its state, its stored verdict and the
/// most recent versions of its id); the page is rendered on the UI's threads.
pub async fn detail(
    state: &AppState,
    id: &str,
    version: &str,
    headers: &HeaderMap,
) -> Result<Page, Error> {
    let Some((package, current)) = reads::current_package(state, id, version).await? else {
        return Ok(Page::not_found(&format!(
            "No package version {id}@{version} is published on this registry."
        )));
    };
    if current.lifecycle.status == LifecycleStatus::Takedown {
        return Ok(taken_down(id, version, &current.lifecycle));
    }
    let verdict = super::verdict::of_package(state, &package).await?;
    let mut siblings: Vec<PublicationSummary> = state
        .store
        .package_versions(&[id.to_owned()], VERSIONS_PER_ID)
        .await?
        .into_iter()
        .map(|v| v.summary)
        .collect();
    siblings.sort_by(|a, b| verifier::version::compare(&b.package_version, &a.package_version));
    let expected = crate::log::entry::package(&package)?;
    let log = super::log::status(state, "package", id, version, &expected).await?;
    let owner = state
        .publishers
        .get(&state.store, crate::store::Kind::Package, id)
        .await?
        .and_then(|text| serde_json::from_str(&text).ok());
    let origin = origin(state, headers);
    let worker_state = state.clone();
    state
        .ui
        .run(move || {
            let mut computed = compute(&package);
            computed.log = log;
            render_detail(
                &worker_state,
                &package,
                &current,
                &computed,
                &verdict,
                &siblings,
                Around {
                    origin: &origin,
                    owner,
                },
            )
        })
        .await
}

fn taken_down(id: &str, version: &str, lifecycle: &Lifecycle) -> Page {
    let mut page = Page::message(
        StatusCode::GONE,
        "This version has been taken down",
        &format!("{id}@{version} was taken down by the registry and is no longer available."),
        Extra::TakenDown(Box::new(TakenDown {
            id: id.to_owned(),
            version: version.to_owned(),
            lifecycle: lifecycle.clone(),
            replacement: replacement_of(lifecycle),
        })),
    );
    page.title = format!("{id}@{version} taken down");
    page.section = Section::Packages;
    page
}

/// `package.html`.
#[derive(Template)]
#[template(path = "package.html")]
struct PackagePage<'a> {
    id: &'a str,
    version: &'a str,
    name: String,
    description: String,
    lifecycle: &'a Lifecycle,
    replacement: Option<Replacement>,
    publisher_id: &'a str,
    publisher_type: &'a str,
    /// The owner while the id has an active one.
    owner: Option<PublisherSummary>,
    published_at: &'a str,
    downloads: i64,
    schema: &'a str,
    origin: &'a str,
    /// The API path of this version.
    api: String,
    /// `?allow_yanked=true` for a yanked version.
    gate: &'static str,
    yanked: bool,
    verdict: Shown,
    receipt: &'a verifier::receipt::Receipt,
    digests: [(&'static str, &'a str); 5],
    capabilities: Vec<Capability>,
    /// The rendered README (none when it is blank).
    readme: Option<&'a Html>,
    versions: Vec<VersionItem>,
    sources: Vec<Source>,
    project: [(&'static str, &'a str); 3],
    /// Key, text, and whether the value is a plain string (else pretty JSON).
    lineage: Vec<(String, String, bool)>,
    materials: Vec<verifier::record::ImplementationMaterial>,
    /// Its place in the transparency log.
    log: &'a super::log::LogStatus,
}

/// A declared capability.
#[derive(Debug)]
struct Capability {
    id: String,
    title: String,
    kind: String,
    effect: String,
    summary: String,
}

/// A source link (a link only for an absolute `http(s)` URL).
#[derive(Debug)]
struct Source {
    url: String,
    title: String,
    http: bool,
}

fn capabilities(definition: &Value) -> Vec<Capability> {
    let text = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    definition
        .get("capability_formalizations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(|c| Capability {
            id: text(c, "capability_id"),
            title: text(c, "title"),
            kind: text(c, "kind"),
            effect: text(c, "side_effect_level"),
            summary: text(c, "summary"),
        })
        .collect()
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

/// What a version page shows beyond the version: the registry's origin and the id's owner.
struct Around<'a> {
    origin: &'a str,
    owner: Option<PublisherSummary>,
}

fn render_detail(
    state: &AppState,
    package: &StoredPackage,
    current: &PackageState,
    computed: &Computed,
    verification: &Verdict,
    siblings: &[PublicationSummary],
    around: Around<'_>,
) -> Page {
    let Around { origin, owner } = around;
    let record = &computed.record;
    let id = &package.package_id;
    let version = &package.package_version;
    let brief = package
        .card
        .clone()
        .unwrap_or_else(|| crate::cards::package_card(package));
    let yanked = current.lifecycle.status == LifecycleStatus::Yanked;
    let receipt = &package.receipt;
    let content = render(&PackagePage {
        id,
        version,
        name: if brief.name.is_empty() {
            id.clone()
        } else {
            brief.name
        },
        description: brief.description,
        lifecycle: &current.lifecycle,
        replacement: replacement_of(&current.lifecycle),
        publisher_id: &package.publisher_id,
        publisher_type: &package.publisher_type,
        owner,
        published_at: &package.published_at,
        downloads: current.download_count,
        schema: &package.schema_version,
        origin,
        api: api_href("packages", id, version),
        gate: if yanked { "?allow_yanked=true" } else { "" },
        yanked,
        verdict: Shown::package(verification, &receipt.key_id, &state.settings.signing.keys),
        receipt,
        digests: [
            ("Definition digest", &package.definition_digest),
            ("Manifest digest", &package.manifest_digest),
            ("Lock digest", &package.lock_digest),
            ("Execution signature", &package.package_execution_signature),
            ("Contract signature", &package.contract_signature),
        ],
        capabilities: capabilities(&record.service_definition),
        readme: (!package.readme.trim().is_empty()).then_some(&computed.readme),
        versions: siblings
            .iter()
            .map(|v| VersionItem {
                href: (v.package_version != *version)
                    .then(|| artifact_href("packages", &v.package_id, &v.package_version)),
                version: v.package_version.clone(),
                status: v.lifecycle.status.clone(),
                published_at: v.published_at.clone(),
                downloads: v.download_count,
            })
            .collect(),
        sources: record
            .source_links
            .iter()
            .map(|link| Source {
                url: link.url.clone(),
                title: if link.title.is_empty() {
                    link.url.clone()
                } else {
                    link.title.clone()
                },
                http: is_http_url(&link.url),
            })
            .collect(),
        project: [
            ("Project", &package.project_ref),
            ("Product revision", &package.product_revision_ref),
            ("Developer revision", &package.developer_revision_ref),
        ],
        lineage: record
            .lineage
            .iter()
            .map(|(key, value)| (key.clone(), json_text(value), value.is_string()))
            .collect(),
        materials: record.effective_materials(),
        log: &computed.log,
    });
    Page::ok(format!("{id}@{version}"), Section::Packages, content)
}
