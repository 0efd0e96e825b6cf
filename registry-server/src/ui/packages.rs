//! The package pages: the list (grouped by id, searchable, paginated) and one version.
//!
//! **Search** (`?q=`) is case-insensitive; every whitespace-separated term must occur in one of a package's fields:
//! its id, any of its versions, project and revision refs, publisher, the latest version's lifecycle status, manifest
//! `name`, description (the README's first line of text) and the capability ids and titles of the latest version's
//! service definition. The listing rows carry no documents, so the latest version of each package is read through
//! the shared [`PackageCache`](crate::cache::PackageCache): the first search reads each latest version once from
//! the store, later ones from memory (versions are immutable). Without a query only the packages on the page shown
//! are read. A taken-down latest version contributes no contents to search or to its card.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::Value;
use verifier::receipt::ReceiptOutcome;
use verifier::record::{Lifecycle, PackageRecord};
use verifier::report::CheckStatus;
use verifier::verify::PackageVerification;

use super::html::{Html, encode_query_value, esc, external_link, fill, is_http_url, query_value};
use super::{
    Page, Section, api_href, artifact_href, code, current_package, kv, lifecycle_badge, markdown,
    origin, plural, publisher, semver, stored_package, time,
};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{PackageState, PublicationSummary, StoredPackage};

const LIST: &str = include_str!("../../../ui/templates/packages.html");
const DETAIL: &str = include_str!("../../../ui/templates/package.html");

/// Packages per page of the list.
pub const PAGE_SIZE: usize = 20;
/// The longest query looked at.
const MAX_QUERY_CHARS: usize = 200;
/// Versions listed on a card.
const CARD_VERSIONS: usize = 8;
/// Capabilities listed on a card.
const CARD_CAPABILITIES: usize = 6;

/// Statuses whose versions count as the latest release.
fn is_current(status: &str) -> bool {
    matches!(status, "active" | "superseded" | "deprecated")
}

/// What the list shows and searches of a version's documents.
#[derive(Debug, Clone, Default)]
struct Brief {
    name: String,
    description: String,
    capabilities: Vec<(String, String)>,
}

#[derive(Deserialize)]
struct ManifestBits {
    #[serde(default)]
    name: Option<Value>,
}

#[derive(Deserialize)]
struct DefinitionBits {
    #[serde(default)]
    capability_formalizations: Vec<CapabilityBits>,
}

#[derive(Deserialize)]
struct CapabilityBits {
    #[serde(default)]
    capability_id: Option<Value>,
    #[serde(default)]
    title: Option<Value>,
}

fn text_of(value: Option<&Value>) -> String {
    value
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

/// The README's first line of prose (else its first heading), without Markdown markers, at most 240 characters.
fn description_of(readme: &str) -> String {
    let strip = |line: &str| {
        line.trim()
            .trim_start_matches(['#', '>', '-', '*', '+', ' '])
            .trim()
            .replace(['*', '_', '`'], "")
    };
    let lines = readme.lines().map(str::trim).filter(|l| !l.is_empty());
    let prose = lines
        .clone()
        .find(|l| !l.starts_with('#') && !l.starts_with("```") && !l.starts_with('<'));
    let chosen = prose
        .or_else(|| lines.clone().next())
        .map(strip)
        .unwrap_or_default();
    truncate(&chosen, 240)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn brief_of(package: &StoredPackage) -> Brief {
    let name = serde_json::from_str::<ManifestBits>(&package.manifest_json)
        .map(|m| text_of(m.name.as_ref()))
        .unwrap_or_default();
    let capabilities = serde_json::from_str::<DefinitionBits>(&package.service_definition_json)
        .map(|d| {
            d.capability_formalizations
                .iter()
                .map(|c| (text_of(c.capability_id.as_ref()), text_of(c.title.as_ref())))
                .filter(|(id, _)| !id.is_empty())
                .collect()
        })
        .unwrap_or_default();
    Brief {
        name,
        description: description_of(&package.readme),
        capabilities,
    }
}

/// Every version of one package id.
#[derive(Debug)]
struct Group {
    id: String,
    /// Highest SemVer first.
    versions: Vec<PublicationSummary>,
    /// Index of the latest version in `versions`.
    latest: usize,
    downloads: i64,
    brief: Option<Brief>,
}

impl Group {
    fn latest(&self) -> &PublicationSummary {
        &self.versions[self.latest]
    }
}

fn groups_of(rows: Vec<PublicationSummary>) -> Vec<Group> {
    let mut by_id: BTreeMap<String, Vec<PublicationSummary>> = BTreeMap::new();
    for row in rows {
        by_id.entry(row.package_id.clone()).or_default().push(row);
    }
    by_id
        .into_iter()
        .map(|(id, mut versions)| {
            versions.sort_by(|a, b| semver::compare(&b.package_version, &a.package_version));
            let latest = versions
                .iter()
                .position(|v| is_current(&v.lifecycle.status))
                .unwrap_or_else(|| newest(&versions));
            let downloads = versions.iter().map(|v| v.download_count).sum();
            Group {
                id,
                versions,
                latest,
                downloads,
                brief: None,
            }
        })
        .collect()
}

/// The most recently published version (ties: the highest SemVer, which comes first).
fn newest(versions: &[PublicationSummary]) -> usize {
    let mut best = 0;
    for (i, v) in versions.iter().enumerate() {
        if v.published_at > versions[best].published_at {
            best = i;
        }
    }
    best
}

/// Loads the brief of a group's latest version (none for a taken-down one).
async fn load_brief(state: &AppState, group: &mut Group) -> Result<(), Error> {
    if group.brief.is_some() {
        return Ok(());
    }
    let latest = group.latest();
    if latest.lifecycle.status == "takedown" {
        group.brief = Some(Brief::default());
        return Ok(());
    }
    let brief = stored_package(state, &latest.package_id, &latest.package_version)
        .await?
        .map(|p| brief_of(&p))
        .unwrap_or_default();
    group.brief = Some(brief);
    Ok(())
}

fn matches(group: &Group, terms: &[String]) -> bool {
    let mut haystack = String::new();
    let mut add = |s: &str| {
        haystack.push_str(&s.to_lowercase());
        haystack.push('\n');
    };
    add(&group.id);
    for v in &group.versions {
        add(&v.package_version);
    }
    let latest = group.latest();
    add(&latest.project_ref);
    add(&latest.product_revision_ref);
    add(&latest.developer_revision_ref);
    add(&latest.publisher_id);
    add(&latest.publisher_type);
    add(&latest.lifecycle.status);
    if let Some(brief) = &group.brief {
        add(&brief.name);
        add(&brief.description);
        for (id, title) in &brief.capabilities {
            add(id);
            add(title);
        }
    }
    terms.iter().all(|t| haystack.contains(t.as_str()))
}

/// `GET /registry/packages[?q=…][&page=N]`.
pub async fn list(state: &AppState, query: Option<&str>) -> Result<Page, Error> {
    let q: String = query_value(query, "q")
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let requested_page = query_value(query, "page")
        .and_then(|p| p.trim().parse::<usize>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    let rows = state.store.list_publications(None, None).await?;
    let all_versions = rows.len();
    let mut groups = groups_of(rows);
    let all_packages = groups.len();
    let terms: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    if !terms.is_empty() {
        for group in &mut groups {
            load_brief(state, group).await?;
        }
        groups.retain(|g| matches(g, &terms));
    }
    groups.sort_by(|a, b| {
        b.downloads
            .cmp(&a.downloads)
            .then_with(|| b.latest().published_at.cmp(&a.latest().published_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    let pages = groups.len().div_ceil(PAGE_SIZE).max(1);
    let page = requested_page.min(pages);
    let shown_versions: usize = groups.iter().map(|g| g.versions.len()).sum();
    let shown_packages = groups.len();
    let mut shown: Vec<Group> = groups
        .into_iter()
        .skip((page - 1) * PAGE_SIZE)
        .take(PAGE_SIZE)
        .collect();
    for group in &mut shown {
        load_brief(state, group).await?;
    }

    let count = if terms.is_empty() {
        format!(
            "{} · {}",
            plural(all_packages, "package", "packages"),
            plural(all_versions, "version", "versions")
        )
    } else {
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(shown_packages, "package", "packages"),
            plural(shown_versions, "version", "versions"),
            all_packages
        )
    };
    let mut results = Html::new();
    if shown.is_empty() {
        results.push_trusted(&if terms.is_empty() {
            "<p class=\"empty\">No packages have been published yet. Publish one with <code>registry publish \
             request.json --registry-url … --token …</code>.</p>"
                .to_owned()
        } else {
            format!(
                "<p class=\"empty\">No package matches “{}”. <a href=\"/registry/packages\">Show all packages</a>.</p>",
                esc(&q)
            )
        });
    } else {
        results.push_trusted("<ol class=\"cards\">\n");
        for group in &shown {
            results.push(&card(group));
        }
        results.push_trusted("</ol>\n");
    }
    let clear = if q.is_empty() {
        Html::new()
    } else {
        Html::trusted("<a class=\"clear\" href=\"/registry/packages\">Clear</a>")
    };
    let content = fill(
        LIST,
        &[
            ("query", &Html::text(&q)),
            ("clear", &clear),
            ("count", &Html::text(&count)),
            ("results", &results),
            ("pagination", &pagination(&q, page, pages)),
        ],
    );
    let title = if q.is_empty() {
        "Packages".to_owned()
    } else {
        format!("Packages matching “{q}”")
    };
    Ok(Page::ok(title, Section::Packages, content))
}

fn list_href(q: &str, page: usize) -> String {
    match (q.is_empty(), page) {
        (true, 1) => "/registry/packages".to_owned(),
        (true, _) => format!("/registry/packages?page={page}"),
        (false, 1) => format!("/registry/packages?q={}", encode_query_value(q)),
        (false, _) => format!("/registry/packages?q={}&page={page}", encode_query_value(q)),
    }
}

/// Previous / "Page N of M" / Next, as plain links.
pub(crate) fn pagination_links(page: usize, pages: usize, href: impl Fn(usize) -> String) -> Html {
    if pages <= 1 {
        return Html::new();
    }
    let mut out = Html::trusted("<nav class=\"pagination\" aria-label=\"Pages\">");
    if page > 1 {
        out.push_trusted(&format!(
            "<a rel=\"prev\" href=\"{}\">← Previous</a>",
            esc(&href(page - 1))
        ));
    } else {
        out.push_trusted("<span class=\"disabled\">← Previous</span>");
    }
    out.push_trusted(&format!(
        "<span class=\"where\">Page {page} of {pages}</span>"
    ));
    if page < pages {
        out.push_trusted(&format!(
            "<a rel=\"next\" href=\"{}\">Next →</a>",
            esc(&href(page + 1))
        ));
    } else {
        out.push_trusted("<span class=\"disabled\">Next →</span>");
    }
    out.push_trusted("</nav>\n");
    out
}

fn pagination(q: &str, page: usize, pages: usize) -> Html {
    pagination_links(page, pages, |p| list_href(q, p))
}

fn card(group: &Group) -> Html {
    let latest = group.latest();
    let brief = group.brief.clone().unwrap_or_default();
    let href = artifact_href("packages", &group.id, &latest.package_version);
    let badge = if latest.lifecycle.status == "active" {
        Html::new()
    } else {
        lifecycle_badge(&latest.lifecycle.status)
    };
    let mut out = Html::trusted(format!(
        "<li class=\"card\">\n<div class=\"card-head\"><h2><a href=\"{}\">{}</a></h2> <span class=\"version\">{}</span> {badge}</div>\n",
        esc(&href),
        esc(&group.id),
        esc(&latest.package_version),
    ));
    if !brief.name.is_empty() && brief.name != group.id {
        out.push_trusted(&format!("<p class=\"name\">{}</p>\n", esc(&brief.name)));
    }
    if !brief.description.is_empty() {
        out.push_trusted(&format!(
            "<p class=\"desc\">{}</p>\n",
            esc(&brief.description)
        ));
    }
    if !brief.capabilities.is_empty() {
        out.push_trusted("<ul class=\"chips\" aria-label=\"Capabilities\">");
        for (id, title) in brief.capabilities.iter().take(CARD_CAPABILITIES) {
            out.push_trusted(&format!(
                "<li title=\"{}\"><code>{}</code></li>",
                esc(title),
                esc(id)
            ));
        }
        if brief.capabilities.len() > CARD_CAPABILITIES {
            out.push_trusted(&format!(
                "<li class=\"more\">+{} more</li>",
                brief.capabilities.len() - CARD_CAPABILITIES
            ));
        }
        out.push_trusted("</ul>\n");
    }
    out.push_trusted(&format!(
        "<dl class=\"facts\"><div><dt>Publisher</dt><dd>{}</dd></div><div><dt>Versions</dt><dd>{}</dd></div>\
         <div><dt>Downloads</dt><dd>{}</dd></div><div><dt>Published</dt><dd>{}</dd></div></dl>\n",
        publisher(&latest.publisher_id, &latest.publisher_type),
        group.versions.len(),
        group.downloads,
        time(&latest.published_at),
    ));
    out.push_trusted("<p class=\"versions\">");
    for (i, v) in group.versions.iter().take(CARD_VERSIONS).enumerate() {
        if i > 0 {
            out.push_trusted(" · ");
        }
        out.push_trusted(&format!(
            "<a href=\"{}\">{}</a>",
            esc(&artifact_href(
                "packages",
                &v.package_id,
                &v.package_version
            )),
            esc(&v.package_version)
        ));
        if v.lifecycle.status != "active" {
            out.push_trusted(&format!(
                " <span class=\"muted\">({})</span>",
                esc(&v.lifecycle.status)
            ));
        }
    }
    if group.versions.len() > CARD_VERSIONS {
        out.push_trusted(&format!(
            " · <span class=\"muted\">{} more</span>",
            group.versions.len() - CARD_VERSIONS
        ));
    }
    out.push_trusted("</p>\n</li>\n");
    out
}

/// What the detail page computes off the async executor: the record, its verification, the README.
struct Computed {
    record: PackageRecord,
    verification: Option<PackageVerification>,
    readme: Html,
}

fn compute(
    package: &StoredPackage,
    current: &PackageState,
    keys: &verifier::keys::KeySet,
) -> Computed {
    let text = crate::views::record_json_at(package, current);
    let record = verifier::json::parse_strict(text.as_bytes())
        .and_then(|v| verifier::record::object_into::<PackageRecord>(v, "a package record"));
    let (record, verification) = match record {
        Ok(record) => {
            let verification = verifier::verify::verify_package(&record, &package.receipt, keys);
            (record, Some(verification))
        }
        Err(e) => {
            tracing::error!(package_id = %package.package_id, version = %package.package_version, error = %e,
                "ui: stored record does not parse");
            (PackageRecord::default(), None)
        }
    };
    Computed {
        readme: markdown::render(&package.readme),
        record,
        verification,
    }
}

/// `GET /registry/packages/{id}/{version}`.
pub async fn detail(
    state: &AppState,
    id: &str,
    version: &str,
    headers: &HeaderMap,
) -> Result<Page, Error> {
    let Some((package, current)) = current_package(state, id, version).await? else {
        return Ok(Page::not_found(&format!(
            "No package version {id}@{version} is published on this registry."
        )));
    };
    if current.lifecycle.status == "takedown" {
        return Ok(taken_down(id, version, &current.lifecycle));
    }
    let keys = state.settings.signing.keys.clone();
    let (for_task, state_for_task) = (package.clone(), current.clone());
    let computed = tokio::task::spawn_blocking(move || compute(&for_task, &state_for_task, &keys))
        .await
        .map_err(|e| Error::Internal(format!("ui page task: {e}")))?;
    let siblings: Vec<PublicationSummary> = {
        let mut rows: Vec<PublicationSummary> = state
            .store
            .list_publications(None, None)
            .await?
            .into_iter()
            .filter(|r| r.package_id == id)
            .collect();
        rows.sort_by(|a, b| semver::compare(&b.package_version, &a.package_version));
        rows
    };
    let origin = origin(state, headers);
    Ok(render_detail(
        state, &package, &current, &computed, &siblings, &origin,
    ))
}

fn taken_down(id: &str, version: &str, lifecycle: &Lifecycle) -> Page {
    let mut extra = Html::new();
    let reason = if lifecycle.reason.is_empty() {
        "No reason was recorded.".to_owned()
    } else {
        lifecycle.reason.clone()
    };
    extra.push_trusted(&format!(
        "<dl class=\"kv\"><div><dt>Package</dt><dd><code>{}@{}</code></dd></div>\
         <div><dt>Status</dt><dd>{}</dd></div><div><dt>Reason</dt><dd class=\"reason\">{}</dd></div>",
        esc(id),
        esc(version),
        lifecycle_badge(&lifecycle.status),
        esc(&reason)
    ));
    if !lifecycle.updated_at.is_empty() {
        extra.push_trusted(&format!(
            "<div><dt>Since</dt><dd>{}</dd></div>",
            time(&lifecycle.updated_at)
        ));
    }
    extra.push_trusted("</dl>");
    if let Some(link) = replacement_link(lifecycle) {
        extra.push_trusted(&format!("<p>Use {link} instead.</p>"));
    }
    extra.push_trusted(
        "<p>Its contents are no longer served. Its receipt stays available to auditors at the JSON API.</p>\
         <p><a href=\"/registry/packages\">Browse packages</a></p>",
    );
    let mut page = Page::message(
        StatusCode::GONE,
        "This version has been taken down",
        &format!("{id}@{version} was taken down by the registry and is no longer available."),
        extra,
    );
    page.title = format!("{id}@{version} taken down");
    page.section = Section::Packages;
    page
}

/// A link to the replacement a lifecycle names, when it is a well-formed id and version.
fn replacement_link(lifecycle: &Lifecycle) -> Option<Html> {
    let r = lifecycle.replacement.as_ref()?;
    if r.package_id.is_empty() {
        return None;
    }
    let label = format!("{}@{}", r.package_id, r.package_version);
    if verifier::validate::is_valid_artifact_id(&r.package_id)
        && verifier::validate::is_valid_version(&r.package_version)
    {
        Some(Html::trusted(format!(
            "<a href=\"{}\"><code>{}</code></a>",
            esc(&artifact_href(
                "packages",
                &r.package_id,
                &r.package_version
            )),
            esc(&label)
        )))
    } else {
        Some(Html::trusted(format!("<code>{}</code>", esc(&label))))
    }
}

fn lifecycle_banner(lifecycle: &Lifecycle) -> Html {
    let (class, what) = match lifecycle.status.as_str() {
        "active" => return Html::new(),
        "superseded" => ("banner-warn", "This version is superseded by a newer one."),
        "deprecated" => ("banner-warn", "This version is deprecated."),
        "yanked" => (
            "banner-danger",
            "This version has been yanked: its downloads and locks are refused unless a client explicitly \
             allows yanked versions.",
        ),
        _ => ("banner-warn", "This version is not active."),
    };
    let mut out = Html::trusted(format!(
        "<div class=\"banner {class}\" role=\"status\" id=\"lifecycle\"><p><strong>{}</strong> {}</p>",
        lifecycle_badge(&lifecycle.status),
        esc(what)
    ));
    if !lifecycle.reason.is_empty() {
        out.push_trusted(&format!(
            "<p>Reason: <span class=\"reason\">{}</span></p>",
            esc(&lifecycle.reason)
        ));
    }
    if let Some(link) = replacement_link(lifecycle) {
        out.push_trusted(&format!("<p>Use {link} instead.</p>"));
    }
    if !lifecycle.updated_at.is_empty() {
        out.push_trusted(&format!(
            "<p class=\"muted\">Since {}",
            time(&lifecycle.updated_at)
        ));
        if !lifecycle.updated_by.is_empty() {
            out.push_trusted(&format!(" by {}", esc(&lifecycle.updated_by)));
        }
        out.push_trusted("</p>");
    }
    out.push_trusted("</div>");
    out
}

fn verdict(computed: &Computed, receipt_key: &str, state: &AppState) -> (Html, Html) {
    let Some(verification) = &computed.verification else {
        return (
            Html::trusted(
                "<p class=\"verdict verdict-fail\"><strong>✗ Not verified</strong>: the stored record could not be \
                 read back.</p>",
            ),
            Html::new(),
        );
    };
    let dev_key = state
        .settings
        .signing
        .keys
        .get(receipt_key)
        .is_some_and(verifier::keys::is_dev_public_key);
    let mut out = Html::new();
    match &verification.receipt {
        ReceiptOutcome::Verified { key_id } if verification.checks.all_passed() => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-ok\"><strong>✓ Receipt verifies</strong> against this registry's key \
                 <code>{}</code>: the signature, every digest and the execution signature were recomputed from \
                 the stored documents on the server and match.</p>",
                esc(key_id)
            ));
        }
        ReceiptOutcome::Legacy { key_id } if verification.checks.all_passed() => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-warn\"><strong>Legacy receipt</strong>: key <code>{}</code> signed \
                 the digests but not the package execution signature.</p>",
                esc(key_id)
            ));
        }
        outcome => {
            let reasons: Vec<String> = verification
                .checks
                .failures()
                .map(|c| format!("{}: {}", c.name, c.detail))
                .collect();
            let reason = if reasons.is_empty() {
                outcome.to_string()
            } else {
                reasons.join("; ")
            };
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-fail\"><strong>✗ Receipt does not verify</strong>: {}</p>",
                esc(&reason)
            ));
        }
    }
    if dev_key {
        out.push_trusted(
            "<p class=\"verdict verdict-warn\"><strong>Development key.</strong> This receipt is signed with the \
             public development key: anyone can sign with it, so it proves nothing about who published this \
             package.</p>",
        );
    }
    let mut checks = Html::trusted(format!(
        "<details class=\"checks\"><summary>{} checks</summary><ul>",
        verification.checks.0.len()
    ));
    for check in &verification.checks.0 {
        let (class, mark) = match check.status {
            CheckStatus::Pass => ("pass", "✓"),
            CheckStatus::Warn => ("warn", "!"),
            CheckStatus::Fail => ("fail", "✗"),
        };
        checks.push_trusted(&format!(
            "<li class=\"{class}\"><span class=\"mark\" aria-hidden=\"true\">{mark}</span> <code>{}</code> \
             <span class=\"detail\">{}</span></li>",
            esc(&check.name),
            esc(&check.detail)
        ));
    }
    checks.push_trusted("</ul></details>");
    (out, checks)
}

fn capabilities(definition: &Value) -> (usize, Html) {
    let items = definition
        .get("capability_formalizations")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        return (
            0,
            Html::trusted("<p class=\"muted\">No capabilities are declared.</p>"),
        );
    }
    let text = |c: &Value, key: &str| c.get(key).and_then(Value::as_str).unwrap_or("").to_owned();
    let mut out = Html::trusted("<ul class=\"capabilities\">");
    for c in items {
        let kind = text(c, "kind");
        let effect = text(c, "side_effect_level");
        out.push_trusted(&format!(
            "<li><div class=\"cap-head\"><code class=\"cap-id\">{}</code> <strong>{}</strong></div>",
            esc(&text(c, "capability_id")),
            esc(&text(c, "title"))
        ));
        out.push_trusted("<p class=\"tags\">");
        if !kind.is_empty() {
            out.push_trusted(&format!("<span class=\"tag\">kind: {}</span> ", esc(&kind)));
        }
        if !effect.is_empty() {
            let class = match effect.as_str() {
                "read" | "none" => "tag",
                _ => "tag tag-warn",
            };
            out.push_trusted(&format!(
                "<span class=\"{class}\">side effect: {}</span>",
                esc(&effect)
            ));
        }
        out.push_trusted("</p>");
        let summary = text(c, "summary");
        if !summary.is_empty() {
            out.push_trusted(&format!("<p>{}</p>", esc(&summary)));
        }
        out.push_trusted("</li>");
    }
    out.push_trusted("</ul>");
    (items.len(), out)
}

fn json_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => serde_json::to_string_pretty(other).unwrap_or_default(),
    }
}

fn lineage(record: &PackageRecord) -> Html {
    if record.lineage.is_empty() {
        return Html::trusted("<p class=\"muted\">No lineage recorded.</p>");
    }
    let mut out = Html::trusted("<dl class=\"kv\">");
    for (key, value) in &record.lineage {
        let shown = if value.is_string() {
            Html::text(&json_text(value))
        } else {
            Html::trusted(format!(
                "<pre class=\"json\"><code>{}</code></pre>",
                esc(&json_text(value))
            ))
        };
        out.push(&kv(key, &shown));
    }
    out.push_trusted("</dl>");
    out
}

fn sources(record: &PackageRecord) -> Html {
    if record.source_links.is_empty() {
        return Html::trusted("<p class=\"muted\">No source links.</p>");
    }
    let mut out = Html::trusted("<ul class=\"links\">");
    for link in &record.source_links {
        let title = if link.title.is_empty() {
            &link.url
        } else {
            &link.title
        };
        let shown = if is_http_url(&link.url) {
            external_link(&link.url, &Html::text(title))
        } else {
            Html::text(title)
        };
        out.push_trusted(&format!(
            "<li>{shown}<br><span class=\"url\">{}</span></li>",
            esc(&link.url)
        ));
    }
    out.push_trusted("</ul>");
    out
}

fn materials(record: &PackageRecord) -> Html {
    let materials = record.effective_materials();
    if materials.is_empty() {
        return Html::trusted("<p class=\"muted\">None: the package is generated code only.</p>");
    }
    let mut out = Html::trusted("<ul class=\"links\">");
    for m in &materials {
        out.push_trusted("<li>");
        if !m.title.is_empty() {
            out.push_trusted(&format!("<strong>{}</strong><br>", esc(&m.title)));
        }
        out.push_trusted(&format!(
            "<code class=\"hash\">{}</code>",
            esc(&m.reference)
        ));
        if !m.bundle_tree_sha256.is_empty() {
            out.push_trusted(&format!(
                "<br><span class=\"muted\">tree</span> <code class=\"hash\">{}</code>",
                esc(&m.bundle_tree_sha256)
            ));
        }
        out.push_trusted("</li>");
    }
    out.push_trusted("</ul>");
    out
}

fn versions_list(siblings: &[PublicationSummary], current: &str) -> Html {
    let mut out = Html::trusted("<ul class=\"version-list\">");
    for v in siblings {
        let here = v.package_version == current;
        let link = if here {
            format!(
                "<strong aria-current=\"page\">{}</strong>",
                esc(&v.package_version)
            )
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                esc(&artifact_href(
                    "packages",
                    &v.package_id,
                    &v.package_version
                )),
                esc(&v.package_version)
            )
        };
        let badge = if v.lifecycle.status == "active" {
            Html::new()
        } else {
            lifecycle_badge(&v.lifecycle.status)
        };
        out.push_trusted(&format!(
            "<li>{link} {badge}<span class=\"muted\">{} · {}</span></li>",
            time(&v.published_at),
            esc(&plural(
                usize::try_from(v.download_count).unwrap_or(0),
                "download",
                "downloads"
            ))
        ));
    }
    out.push_trusted("</ul>");
    out
}

fn render_detail(
    state: &AppState,
    package: &StoredPackage,
    current: &PackageState,
    computed: &Computed,
    siblings: &[PublicationSummary],
    origin: &str,
) -> Page {
    let record = &computed.record;
    let id = &package.package_id;
    let version = &package.package_version;
    let brief = brief_of(package);
    let name = if brief.name.is_empty() {
        id.clone()
    } else {
        brief.name.clone()
    };
    let description = if brief.description.is_empty() {
        Html::new()
    } else {
        Html::trusted(format!("<p class=\"lede\">{}</p>", esc(&brief.description)))
    };
    let badge = lifecycle_badge(&current.lifecycle.status);
    let resolve = format!(
        "registry resolve {id}@{version} --registry-url {origin} --lock-file anip.lock.json --write-lock"
    );
    let yanked = current.lifecycle.status == "yanked";
    let gate = if yanked { "?allow_yanked=true" } else { "" };
    let lock_href = format!("{}/lock{gate}", api_href("packages", id, version));
    let record_href = format!("{}/download{gate}", api_href("packages", id, version));
    let suffix = if yanked { " (yanked)" } else { "" };
    let downloads_links = Html::trusted(format!(
        "<a class=\"button\" id=\"lock-link\" href=\"{}\">Download lock{suffix}</a> \
         <a class=\"button secondary\" id=\"record-link\" href=\"{}\">Download record{suffix}</a> \
         <a class=\"button secondary\" href=\"{}\">Receipt (JSON)</a>",
        esc(&lock_href),
        esc(&record_href),
        esc(&format!("{}/receipt", api_href("packages", id, version))),
    ));
    let receipt = &package.receipt;
    let (verdict, checks) = verdict(computed, &receipt.key_id, state);
    let mut receipt_rows = Html::new();
    for (label, value) in [
        ("Key id", code(&receipt.key_id)),
        ("Issued at", time(&receipt.issued_at)),
        ("Algorithm", code(&receipt.signature_algorithm)),
        ("Receipt id", code(&receipt.receipt_id)),
        ("Signature", code(&receipt.registry_signature)),
    ] {
        receipt_rows.push(&kv(label, &value));
    }
    let mut digests = Html::new();
    for (label, value) in [
        ("Definition digest", &package.definition_digest),
        ("Manifest digest", &package.manifest_digest),
        ("Lock digest", &package.lock_digest),
        ("Execution signature", &package.package_execution_signature),
        ("Contract signature", &package.contract_signature),
    ] {
        digests.push(&kv(label, &code(value)));
    }
    let mut project = Html::new();
    for (label, value) in [
        ("Project", &package.project_ref),
        ("Product revision", &package.product_revision_ref),
        ("Developer revision", &package.developer_revision_ref),
    ] {
        project.push(&kv(label, &code(value)));
    }
    let (capability_count, capability_list) = capabilities(&record.service_definition);
    let readme = if package.readme.trim().is_empty() {
        Html::trusted("<p class=\"muted\">No README.</p>")
    } else {
        computed.readme.clone()
    };
    let crumb = Html::text(&format!("{id}@{version}"));
    let content = fill(
        DETAIL,
        &[
            ("crumb", &crumb),
            ("name", &Html::text(&name)),
            ("id", &Html::text(id)),
            ("version", &Html::text(version)),
            ("badge", &badge),
            ("description", &description),
            (
                "publisher",
                &publisher(&package.publisher_id, &package.publisher_type),
            ),
            ("published", &time(&package.published_at)),
            (
                "downloads",
                &Html::text(&current.download_count.to_string()),
            ),
            (
                "capability_count",
                &Html::text(&capability_count.to_string()),
            ),
            ("schema", &Html::text(&package.schema_version)),
            ("lifecycle", &lifecycle_banner(&current.lifecycle)),
            ("resolve", &Html::text(&resolve)),
            ("downloads_links", &downloads_links),
            ("verdict", &verdict),
            ("receipt", &receipt_rows),
            ("checks", &checks),
            ("digests", &digests),
            ("capabilities", &capability_list),
            ("readme", &readme),
            ("versions", &versions_list(siblings, version)),
            ("sources", &sources(record)),
            ("project", &project),
            ("lineage", &lineage(record)),
            ("materials", &materials(record)),
        ],
    );
    Page::ok(format!("{id}@{version}"), Section::Packages, content)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(id: &str, version: &str, status: &str, published_at: &str) -> PublicationSummary {
        PublicationSummary {
            package_id: id.into(),
            package_version: version.into(),
            project_ref: String::new(),
            product_revision_ref: String::new(),
            developer_revision_ref: String::new(),
            contract_signature: String::new(),
            publisher_id: String::new(),
            publisher_type: String::new(),
            lineage: None,
            published_at: published_at.into(),
            download_count: 1,
            lifecycle: Lifecycle {
                status: status.into(),
                ..Lifecycle::default()
            },
        }
    }

    #[test]
    fn latest_is_the_highest_current_semver_else_the_newest() {
        let groups = groups_of(vec![
            summary("a", "1.10.0", "deprecated", "2026-01-01T00:00:00Z"),
            summary("a", "1.9.0", "active", "2026-02-01T00:00:00Z"),
            summary("a", "2.0.0", "yanked", "2026-03-01T00:00:00Z"),
            summary("b", "1.0.0", "yanked", "2026-03-01T00:00:00Z"),
            summary("b", "2.0.0", "takedown", "2026-01-01T00:00:00Z"),
        ]);
        assert_eq!(groups[0].latest().package_version, "1.10.0");
        assert_eq!(groups[0].versions[0].package_version, "2.0.0");
        assert_eq!(groups[0].downloads, 3);
        assert_eq!(groups[1].latest().package_version, "1.0.0");
    }

    #[test]
    fn descriptions_come_from_the_readme() {
        assert_eq!(
            description_of("# Title\n\nA *governed* service.\nMore."),
            "A governed service."
        );
        assert_eq!(description_of("# Only a title"), "Only a title");
        assert_eq!(description_of(""), "");
        assert_eq!(description_of(&"x".repeat(300)).chars().count(), 241);
    }
}
