//! The package list: grouped by id, searchable, paginated (one version's page is `package_detail`).
//!
//! **Search** (`?q=`) is case-insensitive; every whitespace-separated term must occur in one of a package's fields:
//! its id, any of its versions, project and revision refs, publisher, the latest version's lifecycle status, manifest
//! `name`, description (the README's first line of text) and the capability ids and titles of the latest version's
//! service definition. The listing rows carry no documents, so the latest version of each package is read through
//! the shared [`PackageCache`](crate::cache::PackageCache): the first search reads each latest version once from
//! the store, later ones from memory (versions are immutable). Without a query only the packages on the page shown
//! are read. A taken-down latest version contributes no contents to search or to its card.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use super::html::{Html, esc, query_value};
use super::{
    ListView, Page, Section, artifact_href, lifecycle_badge, plural, publisher, render_list,
    stored_package, time,
};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{PublicationSummary, StoredPackage};

const LIST: &str = include_str!("../../../ui/templates/packages.html");
pub(super) const DETAIL: &str = include_str!("../../../ui/templates/package.html");

/// Packages per page of the list.
pub const PAGE_SIZE: usize = 20;
/// The longest query looked at.
const MAX_QUERY_CHARS: usize = 200;
/// Versions listed on a card.
const CARD_VERSIONS: usize = 8;
/// Capabilities listed on a card.
const CARD_CAPABILITIES: usize = 6;

/// Statuses whose versions count as the latest release.
pub(super) fn is_current(status: &str) -> bool {
    matches!(status, "active" | "superseded" | "deprecated")
}

/// What the list shows and searches of a version's documents.
#[derive(Debug, Clone, Default)]
pub(super) struct Brief {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) capabilities: Vec<(String, String)>,
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

pub(super) fn text_of(value: Option<&Value>) -> String {
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

pub(super) fn brief_of(package: &StoredPackage) -> Brief {
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
            versions
                .sort_by(|a, b| verifier::version::compare(&b.package_version, &a.package_version));
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
    Ok(render_list(ListView {
        template: LIST,
        base: "/registry/packages",
        heading: "Packages",
        nouns: ("package", "packages"),
        section: Section::Packages,
        q: &q,
        count,
        cards: shown.iter().map(card).collect(),
        nothing_published: "<p class=\"empty\">No packages have been published yet. Publish one with <code>registry \
                            publish request.json --registry-url … --token …</code>.</p>",
        page,
        pages,
    }))
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
#[cfg(test)]
mod tests {
    use super::*;
    use verifier::record::Lifecycle;

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
