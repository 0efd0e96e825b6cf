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

use super::html::{Html, esc, fill};
use super::packages::{count, id_page, list_params, terms_of};
use super::verdict::Verdict;
use super::{
    ListView, Page, Section, api_href, artifact_href, code, kv, markdown, plural, publisher,
    render_list, time,
};
use crate::cards::text_at;
use crate::error::Error;
use crate::reads;
use crate::state::AppState;
use crate::store::{IdRow, Kind, StoredTemplate};

const LIST: &str = include_str!("../../../ui/templates/templates.html");
const DETAIL: &str = include_str!("../../../ui/templates/template.html");

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

fn tags(t: &StoredTemplate, facts: &Facts) -> Html {
    let mut out = Html::trusted("<p class=\"tags\">");
    for (label, value) in [
        ("kind", &t.template_kind),
        ("project", &t.project_type),
        ("spec", &t.anip_spec_version),
        ("domain", &t.domain),
        ("industry", &t.industry),
    ] {
        if !value.is_empty() {
            out.push_trusted(&format!(
                "<span class=\"tag\">{}: {}</span> ",
                esc(label),
                esc(value)
            ));
        }
    }
    for system in &facts.systems {
        out.push_trusted(&format!(
            "<span class=\"tag\">system: {}</span> ",
            esc(system)
        ));
    }
    out.push_trusted("</p>");
    out
}

fn card(group: &Group) -> Html {
    let latest = group.latest();
    let href = artifact_href("templates", &group.id, &latest.template_version);
    let mut out = Html::trusted(format!(
        "<li class=\"card\">\n<div class=\"card-head\"><h2><a href=\"{}\">{}</a></h2> <span class=\"version\">{}</span></div>\n",
        esc(&href),
        esc(&group.id),
        esc(&latest.template_version)
    ));
    if !group.facts.title.is_empty() && group.facts.title != group.id {
        out.push_trusted(&format!(
            "<p class=\"name\">{}</p>\n",
            esc(&group.facts.title)
        ));
    }
    if !group.facts.summary.is_empty() {
        out.push_trusted(&format!(
            "<p class=\"desc\">{}</p>\n",
            esc(&group.facts.summary)
        ));
    }
    out.push(&tags(latest, &group.facts));
    out.push_trusted(&format!(
        "<dl class=\"facts\"><div><dt>Publisher</dt><dd>{}</dd></div><div><dt>Versions</dt><dd>{}</dd></div>\
         <div><dt>Downloads</dt><dd>{}</dd></div><div><dt>Published</dt><dd>{}</dd></div></dl>\n",
        publisher(&latest.publisher_id, &latest.publisher_type),
        group.version_count,
        group.downloads,
        time(&latest.published_at)
    ));
    out.push_trusted("<p class=\"versions\">");
    for (i, v) in group.versions.iter().take(8).enumerate() {
        if i > 0 {
            out.push_trusted(" · ");
        }
        out.push_trusted(&format!(
            "<a href=\"{}\">{}</a>",
            esc(&artifact_href(
                "templates",
                &v.template_id,
                &v.template_version
            )),
            esc(&v.template_version)
        ));
    }
    out.push_trusted("</p>\n</li>\n");
    out
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
        let all = state.store.list_ids(Kind::Template, &[], 0, 0).await?;
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(count(found.total_ids), "template", "templates"),
            plural(count(found.total_versions), "version", "versions"),
            all.total_ids
        )
    };
    Ok(render_list(ListView {
        template: LIST,
        base: "/registry/templates",
        heading: "Templates",
        nouns: ("template", "templates"),
        section: Section::Templates,
        q: &q,
        count,
        cards: groups.iter().map(card).collect(),
        nothing_published: "<p class=\"empty\">No templates have been published yet.</p>",
        page: page as usize,
        pages: pages as usize,
    }))
}

/// The receipt's verdict as stored (digests recomputed from the stored documents once).
fn verdict(t: &StoredTemplate, verification: &Verdict, state: &AppState) -> Html {
    let keys = &state.settings.signing.keys;
    let mut out = Html::new();
    let trusted = keys.get(&verification.key_id).is_some();
    if verification.outcome == "verified" && verification.all_passed() && trusted {
        out.push_trusted(&format!(
            "<p class=\"verdict verdict-ok\"><strong>✓ Receipt verifies</strong> against this registry's key \
             <code>{}</code>: the manifest, template and package digests were recomputed from the stored \
             documents on the server and match.</p>",
            esc(&verification.key_id)
        ));
    } else {
        let failures: Vec<String> = verification
            .checks
            .iter()
            .filter(|c| c.status == "fail")
            .map(|c| c.detail.clone())
            .collect();
        let reason = if !failures.is_empty() {
            failures.join("; ")
        } else if verification.outcome == "verified" && !trusted {
            format!(
                "key {} is no longer trusted by this registry",
                verification.key_id
            )
        } else {
            verification.reason.clone()
        };
        out.push_trusted(&format!(
            "<p class=\"verdict verdict-fail\"><strong>✗ Receipt does not verify</strong>: {}</p>",
            esc(&reason)
        ));
    }
    if keys
        .get(&t.receipt.key_id)
        .is_some_and(verifier::keys::is_dev_public_key)
    {
        out.push_trusted(
            "<p class=\"verdict verdict-warn\"><strong>Development key.</strong> This receipt is signed with the \
             public development key: anyone can sign with it, so it proves nothing.</p>",
        );
    }
    out
}

fn documents(template: &Value) -> (usize, Html) {
    let items = template
        .get("documents")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        return (0, Html::trusted("<p class=\"muted\">No documents.</p>"));
    }
    let mut out = Html::trusted("<ul class=\"documents\">");
    for d in items {
        let title = text_at(d, "title");
        let filename = text_at(d, "filename");
        let kind = text_at(d, "kind");
        out.push_trusted(&format!(
            "<li><details><summary><strong>{}</strong> <code>{}</code>",
            esc(if title.is_empty() { &filename } else { &title }),
            esc(&filename)
        ));
        if !kind.is_empty() {
            out.push_trusted(&format!(" <span class=\"tag\">{}</span>", esc(&kind)));
        }
        out.push_trusted("</summary><div class=\"markdown\">");
        out.push(&markdown::render(&text_at(d, "content")));
        out.push_trusted("</div></details></li>");
    }
    out.push_trusted("</ul>");
    (items.len(), out)
}

fn connections(template: &Value) -> (usize, Html) {
    let items = template
        .get("connections")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    if items.is_empty() {
        return (0, Html::trusted("<p class=\"muted\">No connections.</p>"));
    }
    let mut out = Html::trusted("<ul class=\"connections\">");
    for c in items {
        let name = text_at(c, "display_name");
        out.push_trusted(&format!(
            "<li><strong>{}</strong><dl class=\"kv compact\">",
            esc(if name.is_empty() { "(unnamed)" } else { &name })
        ));
        for (label, key) in [
            ("Backend", "backend_kind"),
            ("System", "system_kind"),
            ("Auth", "auth_mode"),
            ("Endpoint ref", "endpoint_ref"),
            ("Secret ref", "secret_ref"),
        ] {
            let value = text_at(c, key);
            if !value.is_empty() {
                out.push(&kv(label, &code(&value)));
            }
        }
        out.push_trusted("</dl></li>");
    }
    out.push_trusted("</ul>");
    (items.len(), out)
}

fn count_of(template: &Value, key: &str) -> usize {
    template
        .get(key)
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
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
    let (document_count, document_list) = documents(&template);
    let (connection_count, connection_list) = connections(&template);
    let title = if facts.title.is_empty() {
        id.clone()
    } else {
        facts.title.clone()
    };
    let summary = if facts.summary.is_empty() {
        Html::new()
    } else {
        Html::trusted(format!("<p class=\"lede\">{}</p>", esc(&facts.summary)))
    };
    let description = if facts.description.is_empty() {
        Html::new()
    } else {
        Html::trusted(format!("<p>{}</p>", esc(&facts.description)))
    };
    let links = Html::trusted(format!(
        "<a class=\"button\" id=\"download-link\" href=\"{}\">Download template package</a> \
         <a class=\"button secondary\" href=\"{}\">Record (JSON)</a> \
         <a class=\"button secondary\" href=\"{}\">Receipt (JSON)</a>",
        esc(&format!("{}/download", api_href("templates", id, version))),
        esc(&api_href("templates", id, version)),
        esc(&format!("{}/receipt", api_href("templates", id, version))),
    ));
    let mut receipt = Html::new();
    for (label, value) in [
        ("Key id", code(&t.receipt.key_id)),
        ("Issued at", time(&t.receipt.issued_at)),
        ("Receipt id", code(&t.receipt.receipt_id)),
        ("Signature", code(&t.receipt.registry_signature)),
    ] {
        receipt.push(&kv(label, &value));
    }
    let mut digests = Html::new();
    for (label, value) in [
        ("Manifest digest", &t.manifest_digest),
        ("Template digest", &t.template_digest),
        ("Package digest", &t.package_digest),
    ] {
        digests.push(&kv(label, &code(value)));
    }
    let mut overview = Html::new();
    for (label, value) in [
        ("Kind", &t.template_kind),
        ("Project type", &t.project_type),
        ("Spec version", &t.anip_spec_version),
        ("Domain", &t.domain),
        ("Industry", &t.industry),
    ] {
        let shown = if value.is_empty() {
            Html::trusted("<span class=\"muted\">none</span>")
        } else {
            Html::text(value)
        };
        overview.push(&kv(label, &shown));
    }
    let systems = if facts.systems.is_empty() {
        Html::trusted("<span class=\"muted\">none</span>")
    } else {
        Html::text(&facts.systems.join(", "))
    };
    overview.push(&kv("Systems", &systems));
    overview.push(&kv(
        "Discovery records",
        &Html::text(&count_of(&template, "discoveryRecords").to_string()),
    ));
    overview.push(&kv(
        "Capability mappings",
        &Html::text(&count_of(&template, "capabilityMappings").to_string()),
    ));
    let mut versions = Html::trusted("<ul class=\"version-list\">");
    for v in siblings {
        let link = if v.template_version == *version {
            format!(
                "<strong aria-current=\"page\">{}</strong>",
                esc(&v.template_version)
            )
        } else {
            format!(
                "<a href=\"{}\">{}</a>",
                esc(&artifact_href(
                    "templates",
                    &v.template_id,
                    &v.template_version
                )),
                esc(&v.template_version)
            )
        };
        versions.push_trusted(&format!(
            "<li>{link} <span class=\"muted\">{} · {}</span></li>",
            time(&v.published_at),
            esc(&plural(
                usize::try_from(v.download_count).unwrap_or(0),
                "download",
                "downloads"
            ))
        ));
    }
    versions.push_trusted("</ul>");
    let content = fill(
        DETAIL,
        &[
            ("crumb", &Html::text(&format!("{id}@{version}"))),
            ("title", &Html::text(&title)),
            ("id", &Html::text(id)),
            ("version", &Html::text(version)),
            ("summary", &summary),
            ("publisher", &publisher(&t.publisher_id, &t.publisher_type)),
            ("published", &time(&t.published_at)),
            ("downloads", &Html::text(&download_count.to_string())),
            ("document_count", &Html::text(&document_count.to_string())),
            (
                "connection_count",
                &Html::text(&connection_count.to_string()),
            ),
            ("description", &description),
            ("links", &links),
            ("verdict", &verdict(t, verification, state)),
            ("receipt", &receipt),
            ("digests", &digests),
            ("documents", &document_list),
            ("connections", &connection_list),
            ("overview", &overview),
            ("versions", &versions),
        ],
    );
    Page::ok(
        format!("{id}@{version} template"),
        Section::Templates,
        content,
    )
}
