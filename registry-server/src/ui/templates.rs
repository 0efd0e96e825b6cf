//! The template pages: the list (grouped by id, searchable, paginated) and one version with its documents,
//! connection references, digests and the signed template receipt (verified on the server).
//!
//! Search (`?q=`) works like the package search, over a template's id, versions, title, summary, kind, project
//! type, spec version, domain, industry, systems and publisher; the store's listing carries every field, so no
//! further reads are needed.

use std::collections::BTreeMap;

use serde_json::Value;
use verifier::receipt::ReceiptOutcome;
use verifier::template_receipt::TemplatePayload;

use super::html::{Html, esc, fill, query_value};
use super::{
    ListView, Page, Section, api_href, artifact_href, code, kv, markdown, plural, publisher,
    render_list, time,
};
use crate::error::Error;
use crate::state::AppState;
use crate::store::StoredTemplate;

const LIST: &str = include_str!("../../../ui/templates/templates.html");
const DETAIL: &str = include_str!("../../../ui/templates/template.html");

/// Templates per page of the list.
pub const PAGE_SIZE: usize = 20;
const MAX_QUERY_CHARS: usize = 200;

/// What the pages read from a template's documents.
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

fn text_at(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
        .to_owned()
}

fn facts_of(t: &StoredTemplate) -> Facts {
    let manifest = parse(&t.manifest_json);
    let template = parse(&t.template_json);
    let title = [
        text_at(&manifest, "template_title"),
        text_at(&template, "title"),
    ]
    .into_iter()
    .find(|s| !s.is_empty())
    .unwrap_or_default();
    let systems = serde_json::from_str::<Vec<Value>>(&t.systems_json)
        .unwrap_or_default()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    Facts {
        title,
        summary: text_at(&template, "summary"),
        description: text_at(&template, "description"),
        systems,
    }
}

struct Group {
    id: String,
    /// Highest SemVer first; the first is the latest.
    versions: Vec<StoredTemplate>,
    downloads: i64,
    facts: Facts,
}

impl Group {
    fn latest(&self) -> &StoredTemplate {
        &self.versions[0]
    }
}

fn groups_of(rows: Vec<StoredTemplate>) -> Vec<Group> {
    let mut by_id: BTreeMap<String, Vec<StoredTemplate>> = BTreeMap::new();
    for row in rows {
        by_id.entry(row.template_id.clone()).or_default().push(row);
    }
    by_id
        .into_iter()
        .filter_map(|(id, mut versions)| {
            versions.sort_by(|a, b| {
                verifier::version::compare(&b.template_version, &a.template_version)
            });
            let facts = facts_of(versions.first()?);
            Some(Group {
                downloads: versions.iter().map(|v| v.download_count).sum(),
                id,
                versions,
                facts,
            })
        })
        .collect()
}

fn matches(group: &Group, terms: &[String]) -> bool {
    let latest = group.latest();
    let mut haystack = String::new();
    let fields = [
        &group.id,
        &group.facts.title,
        &group.facts.summary,
        &latest.template_kind,
        &latest.project_type,
        &latest.anip_spec_version,
        &latest.domain,
        &latest.industry,
        &latest.publisher_id,
        &latest.publisher_type,
    ];
    for field in fields {
        haystack.push_str(&field.to_lowercase());
        haystack.push('\n');
    }
    for v in &group.versions {
        haystack.push_str(&v.template_version.to_lowercase());
        haystack.push('\n');
    }
    for s in &group.facts.systems {
        haystack.push_str(&s.to_lowercase());
        haystack.push('\n');
    }
    terms.iter().all(|t| haystack.contains(t.as_str()))
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
        group.versions.len(),
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
    let rows = state.store.list_templates(0, None).await?;
    let all_versions = rows.len();
    let mut groups = groups_of(rows);
    let all_templates = groups.len();
    let terms: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
    if !terms.is_empty() {
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
    let count = if terms.is_empty() {
        format!(
            "{} · {}",
            plural(all_templates, "template", "templates"),
            plural(all_versions, "version", "versions")
        )
    } else {
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(groups.len(), "template", "templates"),
            plural(shown_versions, "version", "versions"),
            all_templates
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
        cards: groups
            .iter()
            .skip((page - 1) * PAGE_SIZE)
            .take(PAGE_SIZE)
            .map(card)
            .collect(),
        nothing_published: "<p class=\"empty\">No templates have been published yet.</p>",
        page,
        pages,
    }))
}

/// The receipt's verdict, from digests recomputed from the stored documents.
fn verdict(t: &StoredTemplate, state: &AppState) -> Html {
    let digest_of = |text: &str| {
        verifier::json::parse_strict(text.as_bytes())
            .map(|v| verifier::canonical::digest(&v))
            .unwrap_or_default()
    };
    let computed = [
        (
            "manifest_digest",
            digest_of(&t.manifest_json),
            &t.manifest_digest,
        ),
        (
            "template_digest",
            digest_of(&t.template_json),
            &t.template_digest,
        ),
        (
            "package_digest",
            digest_of(&t.package_json),
            &t.package_digest,
        ),
    ];
    let mismatches: Vec<String> = computed
        .iter()
        .filter(|(_, computed, stored)| computed != *stored)
        .map(|(name, computed, stored)| {
            format!("{name}: the record says {stored}, the content computes {computed}")
        })
        .collect();
    let payload = TemplatePayload {
        template_id: t.template_id.clone(),
        template_version: t.template_version.clone(),
        manifest_digest: computed[0].1.clone(),
        template_digest: computed[1].1.clone(),
        package_digest: computed[2].1.clone(),
        issued_at: t.receipt.issued_at.clone(),
        publisher_id: t.publisher_id.clone(),
        publisher_type: t.publisher_type.clone(),
    };
    let keys = &state.settings.signing.keys;
    let outcome = t.receipt.verify(&payload, keys);
    let mut out = Html::new();
    match outcome {
        ReceiptOutcome::Verified { key_id } if mismatches.is_empty() => {
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-ok\"><strong>✓ Receipt verifies</strong> against this registry's key \
                 <code>{}</code>: the manifest, template and package digests were recomputed from the stored \
                 documents on the server and match.</p>",
                esc(&key_id)
            ));
        }
        outcome => {
            let reason = if mismatches.is_empty() {
                outcome.to_string()
            } else {
                mismatches.join("; ")
            };
            out.push_trusted(&format!(
                "<p class=\"verdict verdict-fail\"><strong>✗ Receipt does not verify</strong>: {}</p>",
                esc(&reason)
            ));
        }
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

/// `GET /registry/templates/{id}/{version}`.
pub async fn detail(state: &AppState, id: &str, version: &str) -> Result<Page, Error> {
    let Some(t) = state.store.get_template(id, version).await? else {
        return Ok(Page::not_found(&format!(
            "No template version {id}@{version} is published on this registry."
        )));
    };
    let mut siblings: Vec<StoredTemplate> = state
        .store
        .list_templates(0, None)
        .await?
        .into_iter()
        .filter(|r| r.template_id == id)
        .collect();
    siblings.sort_by(|a, b| verifier::version::compare(&b.template_version, &a.template_version));
    let worker_state = state.clone();
    let page = tokio::task::spawn_blocking(move || render_detail(&worker_state, &t, &siblings))
        .await
        .map_err(|e| Error::Internal(format!("ui page task: {e}")))?;
    Ok(page)
}

fn render_detail(state: &AppState, t: &StoredTemplate, siblings: &[StoredTemplate]) -> Page {
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
            ("downloads", &Html::text(&t.download_count.to_string())),
            ("document_count", &Html::text(&document_count.to_string())),
            (
                "connection_count",
                &Html::text(&connection_count.to_string()),
            ),
            ("description", &description),
            ("links", &links),
            ("verdict", &verdict(t, state)),
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
