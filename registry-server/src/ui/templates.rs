//! The template pages: the list (grouped by id, searchable, paginated) and one version with its documents,
//! connection references, digests and the signed template receipt (its verdict computed once and stored).
//!
//! Like the package list, every query is bounded: a page of ids from the per-id table, then the most recent
//! versions of those ids with their stored cards; no document is read for the list. Search (`?q=`) matches a
//! template when one of its versions holds every term in its id, version, title, summary, kind, project type, spec
//! version, domain, industry, systems or publisher.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde_json::Value;

use askama::Template;

use super::html::Html;
use super::packages::{count, id_page, list_params, terms_of};
use super::verdict::{Shown, Verdict};
use super::{
    ListHead, Page, Pagination, Section, VersionItem, api_href, artifact_href, list_href,
    list_title, markdown, plural, render,
};
use crate::cards::text_at;
use crate::error::Error;
use crate::reads;
use crate::state::AppState;
use crate::store::{IdRow, Kind, StoredTemplate};

/// Templates per page of the list.
pub const PAGE_SIZE: u32 = 20;
/// Recent versions read per template id.
const VERSIONS_PER_ID: u32 = 50;

/// What the pages show of a template's documents.
#[derive(Debug, Default)]
struct Facts {
    title: String,
    summary: String,
    description: String,
    systems: Vec<String>,
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or(Value::Null)
}

/// The facts of a version: title and summary from its stored card, systems from its row, the description (detail
/// pages only) from its template document when it is loaded.
fn facts_of(t: &StoredTemplate) -> Facts {
    let card = t
        .card
        .clone()
        .unwrap_or_else(|| crate::cards::template_card(t));
    let systems = serde_json::from_str::<Vec<Value>>(&t.systems_json)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Facts {
        title: card.name,
        summary: card.description,
        description: crate::cards::text_of(parse(&t.template_json).get("description")),
        systems,
    }
}

struct Group {
    id: String,
    /// Highest SemVer first; the first is the latest.
    versions: Vec<StoredTemplate>,
    downloads: i64,
    version_count: i64,
    facts: Facts,
}

impl Group {
    fn latest(&self) -> &StoredTemplate {
        &self.versions[0]
    }
}

fn groups_of(page: &[IdRow], rows: Vec<StoredTemplate>) -> Vec<Group> {
    let mut by_id: BTreeMap<String, Vec<StoredTemplate>> = BTreeMap::new();
    for row in rows {
        by_id.entry(row.template_id.clone()).or_default().push(row);
    }
    page.iter()
        .filter_map(|id| {
            let mut versions = by_id.remove(&id.id)?;
            versions.sort_by(|a, b| {
                verifier::version::compare(&b.template_version, &a.template_version)
            });
            let facts = facts_of(versions.first()?);
            Some(Group {
                id: id.id.clone(),
                downloads: id.downloads,
                version_count: id.version_count,
                versions,
                facts,
            })
        })
        .collect()
}

/// A template's tags: kind, project type, spec version, domain, industry (when set) and each system.
fn tags(t: &StoredTemplate, facts: &Facts) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = [
        ("kind", &t.template_kind),
        ("project", &t.project_type),
        ("spec", &t.anip_spec_version),
        ("domain", &t.domain),
        ("industry", &t.industry),
    ]
    .into_iter()
    .filter(|(_, value)| !value.is_empty())
    .map(|(label, value)| (label, value.clone()))
    .collect();
    out.extend(facts.systems.iter().map(|s| ("system", s.clone())));
    out
}

/// One template on the list (`template_card.html`).
#[derive(Debug)]
struct CardView {
    href: String,
    id: String,
    version: String,
    title: String,
    summary: String,
    tags: Vec<(&'static str, String)>,
    publisher_id: String,
    publisher_type: String,
    version_count: i64,
    downloads: i64,
    published_at: String,
    /// Links and versions of the most recent versions.
    versions: Vec<(String, String)>,
}

fn card(group: &Group) -> CardView {
    let latest = group.latest();
    CardView {
        href: artifact_href("templates", &group.id, &latest.template_version),
        id: group.id.clone(),
        version: latest.template_version.clone(),
        title: group.facts.title.clone(),
        summary: group.facts.summary.clone(),
        tags: tags(latest, &group.facts),
        publisher_id: latest.publisher_id.clone(),
        publisher_type: latest.publisher_type.clone(),
        version_count: group.version_count,
        downloads: group.downloads,
        published_at: latest.published_at.clone(),
        versions: group
            .versions
            .iter()
            .take(8)
            .map(|v| {
                (
                    artifact_href("templates", &v.template_id, &v.template_version),
                    v.template_version.clone(),
                )
            })
            .collect(),
    }
}

/// `templates.html`.
#[derive(Template)]
#[template(path = "templates.html")]
struct TemplatesPage<'a> {
    head: &'a ListHead,
    cards: Vec<CardView>,
}

/// `GET /registry/templates[?q=…][&page=N]`.
pub async fn list(state: &AppState, query: Option<&str>) -> Result<Page, Error> {
    let (q, requested) = list_params(query);
    let terms = terms_of(&q);
    let (found, page, pages) = id_page(state, Kind::Template, &terms, requested, PAGE_SIZE).await?;
    let ids: Vec<String> = found.rows.iter().map(|r| r.id.clone()).collect();
    let rows = state.store.template_versions(&ids, VERSIONS_PER_ID).await?;
    let groups = groups_of(&found.rows, rows);
    let count = if terms.is_empty() {
        format!(
            "{} · {}",
            plural(count(found.total_ids), "template", "templates"),
            plural(count(found.total_versions), "version", "versions")
        )
    } else {
        let all = state
            .store
            .list_ids(
                Kind::Template,
                &crate::store::search::Terms::default(),
                0,
                0,
            )
            .await?;
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(count(found.total_ids), "template", "templates"),
            plural(count(found.total_versions), "version", "versions"),
            all.total_ids
        )
    };
    let base = "/registry/templates";
    let head = ListHead {
        count,
        pagination: Pagination::new(page as usize, pages as usize, |p| list_href(base, &q, p)),
        q,
    };
    let content = render(&TemplatesPage {
        head: &head,
        cards: groups.iter().map(card).collect(),
    });
    Ok(Page::ok(
        list_title("Templates", &head.q),
        Section::Templates,
        content,
    ))
}

/// A document of a template, its content rendered as Markdown.
#[derive(Debug)]
struct Document {
    title: String,
    filename: String,
    kind: String,
    content: Html,
}

fn documents(template: &Value) -> Vec<Document> {
    items(template, "documents")
        .iter()
        .map(|d| Document {
            title: text_at(d, "title"),
            filename: text_at(d, "filename"),
            kind: text_at(d, "kind"),
            content: markdown::render(&text_at(d, "content")),
        })
        .collect()
}

/// A connection reference: its name and the references it holds (label, value; set ones only).
#[derive(Debug)]
struct Connection {
    name: String,
    refs: Vec<(&'static str, String)>,
}

fn connections(template: &Value) -> Vec<Connection> {
    items(template, "connections")
        .iter()
        .map(|c| Connection {
            name: text_at(c, "display_name"),
            refs: [
                ("Backend", "backend_kind"),
                ("System", "system_kind"),
                ("Auth", "auth_mode"),
                ("Endpoint ref", "endpoint_ref"),
                ("Secret ref", "secret_ref"),
            ]
            .into_iter()
            .map(|(label, key)| (label, text_at(c, key)))
            .filter(|(_, value)| !value.is_empty())
            .collect(),
        })
        .collect()
}

fn items<'a>(template: &'a Value, key: &str) -> &'a [Value] {
    template
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// `GET /registry/templates/{id}/{version}`: bounded reads, rendered on the UI's threads.
pub async fn detail(state: &AppState, id: &str, version: &str) -> Result<Page, Error> {
    let Some((t, download_count)) = reads::current_template(state, id, version, false).await?
    else {
        return Ok(Page::not_found(&format!(
            "No template version {id}@{version} is published on this registry."
        )));
    };
    let verification = super::verdict::of_template(state, &t).await?;
    let mut siblings = state
        .store
        .template_versions(&[id.to_owned()], VERSIONS_PER_ID)
        .await?;
    siblings.sort_by(|a, b| verifier::version::compare(&b.template_version, &a.template_version));
    let worker_state = state.clone();
    state
        .ui
        .run(move || render_detail(&worker_state, &t, download_count, &verification, &siblings))
        .await
}

/// `template.html`.
#[derive(Template)]
#[template(path = "template.html")]
struct TemplatePage<'a> {
    t: &'a StoredTemplate,
    title: &'a str,
    facts: &'a Facts,
    downloads: i64,
    api: String,
    verdict: Shown,
    documents: Vec<Document>,
    connections: Vec<Connection>,
    overview: Vec<(&'static str, String)>,
    versions: Vec<VersionItem>,
}

fn render_detail(
    state: &AppState,
    t: &Arc<StoredTemplate>,
    download_count: i64,
    verification: &Verdict,
    siblings: &[StoredTemplate],
) -> Page {
    let id = &t.template_id;
    let version = &t.template_version;
    let facts = facts_of(t);
    let template = parse(&t.template_json);
    let title = if facts.title.is_empty() {
        id.clone()
    } else {
        facts.title.clone()
    };
    let mut overview: Vec<(&'static str, String)> = [
        ("Kind", &t.template_kind),
        ("Project type", &t.project_type),
        ("Spec version", &t.anip_spec_version),
        ("Domain", &t.domain),
        ("Industry", &t.industry),
    ]
    .into_iter()
    .map(|(label, value)| (label, value.clone()))
    .collect();
    overview.push(("Systems", facts.systems.join(", ")));
    overview.push((
        "Discovery records",
        items(&template, "discoveryRecords").len().to_string(),
    ));
    overview.push((
        "Capability mappings",
        items(&template, "capabilityMappings").len().to_string(),
    ));
    let content = render(&TemplatePage {
        t,
        title: &title,
        facts: &facts,
        downloads: download_count,
        api: api_href("templates", id, version),
        verdict: Shown::template(
            verification,
            &t.receipt.key_id,
            &state.settings.signing.keys,
        ),
        documents: documents(&template),
        connections: connections(&template),
        overview,
        versions: siblings
            .iter()
            .map(|v| VersionItem {
                href: (v.template_version != *version)
                    .then(|| artifact_href("templates", &v.template_id, &v.template_version)),
                version: v.template_version.clone(),
                status: verifier::lifecycle::LifecycleStatus::Active,
                published_at: v.published_at.clone(),
                downloads: v.download_count,
            })
            .collect(),
    });
    Page::ok(
        format!("{id}@{version} template"),
        Section::Templates,
        content,
    )
}
