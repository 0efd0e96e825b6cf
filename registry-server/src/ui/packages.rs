//! The package list: grouped by id, searchable, paginated (one version's page is `package_detail`).
//!
//! Every query is bounded, so a page costs the same at ten versions or fifty thousand: one page of ids from the
//! per-id table (most downloaded first), then at most [`VERSIONS_PER_ID`] recent versions of each id shown, with
//! the card values stored at publish. No document is read.
//!
//! **Search** (`?q=`) is case-insensitive; a package matches when one of its versions holds every
//! whitespace-separated term in its id, version, project and revision refs, publisher, manifest `name`, description
//! (the README's first line of text) or capability ids and titles (the contents of a taken-down version are not
//! searched). A card shows the package's latest version: the highest SemVer among the recent versions that is not
//! yanked or taken down (else the newest); a taken-down latest version shows no contents.

use std::collections::BTreeMap;

use super::html::{Html, esc, query_value};
use super::{
    ListView, Page, Section, artifact_href, lifecycle_badge, plural, publisher, render_list, time,
};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{Card, IdRow, Kind, PublicationSummary, VersionRow};

const LIST: &str = include_str!("../../../ui/templates/packages.html");
pub(super) const DETAIL: &str = include_str!("../../../ui/templates/package.html");

/// Packages per page of the list.
pub const PAGE_SIZE: u32 = 20;
/// The longest query looked at.
const MAX_QUERY_CHARS: usize = 200;
/// Versions listed on a card.
const CARD_VERSIONS: usize = 8;
/// Capabilities listed on a card.
const CARD_CAPABILITIES: usize = 6;
/// Recent versions read per package (the card's latest is chosen among them).
pub const VERSIONS_PER_ID: u32 = 50;
/// Search terms looked at.
const MAX_TERMS: usize = 8;

/// Statuses whose versions count as the latest release.
pub(super) fn is_current(status: &str) -> bool {
    matches!(status, "active" | "superseded" | "deprecated")
}

/// The recent versions of one package id.
#[derive(Debug)]
struct Group {
    id: String,
    /// Highest SemVer first.
    versions: Vec<VersionRow>,
    /// Index of the latest version in `versions`.
    latest: usize,
    downloads: i64,
    version_count: i64,
}

impl Group {
    fn latest(&self) -> &PublicationSummary {
        &self.versions[self.latest].summary
    }

    /// The latest version's card (none for a taken-down one).
    fn brief(&self) -> Card {
        let latest = &self.versions[self.latest];
        if latest.summary.lifecycle.status == "takedown" {
            return Card::default();
        }
        latest.card.clone().unwrap_or_default()
    }
}

/// Groups `rows` under the ids of `page`, in the page's order.
fn groups_of(page: &[IdRow], rows: Vec<VersionRow>) -> Vec<Group> {
    let mut by_id: BTreeMap<String, Vec<VersionRow>> = BTreeMap::new();
    for row in rows {
        by_id
            .entry(row.summary.package_id.clone())
            .or_default()
            .push(row);
    }
    page.iter()
        .filter_map(|id| {
            let mut versions = by_id.remove(&id.id)?;
            versions.sort_by(|a, b| {
                verifier::version::compare(&b.summary.package_version, &a.summary.package_version)
            });
            let latest = latest_of(&versions);
            Some(Group {
                id: id.id.clone(),
                versions,
                latest,
                downloads: id.downloads,
                version_count: id.version_count,
            })
        })
        .collect()
}

/// The highest current version (they come highest SemVer first), else the most recently published.
pub(super) fn latest_of(versions: &[VersionRow]) -> usize {
    if let Some(i) = versions
        .iter()
        .position(|v| is_current(&v.summary.lifecycle.status))
    {
        return i;
    }
    let mut best = 0;
    for (i, v) in versions.iter().enumerate() {
        if v.summary.published_at > versions[best].summary.published_at {
            best = i;
        }
    }
    best
}

/// The query's search terms, lower-cased.
pub(super) fn terms_of(q: &str) -> Vec<String> {
    q.split_whitespace()
        .take(MAX_TERMS)
        .map(str::to_lowercase)
        .collect()
}

/// The `q` and `page` of a list URL.
pub(super) fn list_params(query: Option<&str>) -> (String, u32) {
    let q: String = query_value(query, "q")
        .unwrap_or_default()
        .trim()
        .chars()
        .take(MAX_QUERY_CHARS)
        .collect();
    let page = query_value(query, "page")
        .and_then(|p| p.trim().parse::<u32>().ok())
        .filter(|p| *p >= 1)
        .unwrap_or(1);
    (q, page)
}

/// One page of ids of `kind` matching `terms`, the page shown (clamped to the last) and the number of pages.
pub(super) async fn id_page(
    state: &AppState,
    kind: Kind,
    terms: &[String],
    requested: u32,
    page_size: u32,
) -> Result<(crate::store::IdPage, u32, u32), Error> {
    let offset = (requested - 1).saturating_mul(page_size);
    let mut found = state.store.list_ids(kind, terms, offset, page_size).await?;
    let pages = u32::try_from(found.total_ids.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(page_size);
    let page = requested.min(pages);
    if page != requested {
        found = state
            .store
            .list_ids(kind, terms, (page - 1) * page_size, page_size)
            .await?;
    }
    Ok((found, page, pages))
}

/// `GET /registry/packages[?q=…][&page=N]`.
pub async fn list(state: &AppState, query: Option<&str>) -> Result<Page, Error> {
    let (q, requested) = list_params(query);
    let terms = terms_of(&q);
    let (found, page, pages) = id_page(state, Kind::Package, &terms, requested, PAGE_SIZE).await?;
    let ids: Vec<String> = found.rows.iter().map(|r| r.id.clone()).collect();
    let rows = state.store.package_versions(&ids, VERSIONS_PER_ID).await?;
    let shown = groups_of(&found.rows, rows);
    let count = if terms.is_empty() {
        format!(
            "{} · {}",
            plural(count(found.total_ids), "package", "packages"),
            plural(count(found.total_versions), "version", "versions")
        )
    } else {
        let all = state.store.list_ids(Kind::Package, &[], 0, 0).await?;
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(count(found.total_ids), "package", "packages"),
            plural(count(found.total_versions), "version", "versions"),
            all.total_ids
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
        page: page as usize,
        pages: pages as usize,
    }))
}

/// A stored total as a `usize`.
pub(super) fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn card(group: &Group) -> Html {
    let latest = group.latest();
    let brief = group.brief();
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
    let capabilities = crate::cards::capabilities_of(&brief);
    if !capabilities.is_empty() {
        out.push_trusted("<ul class=\"chips\" aria-label=\"Capabilities\">");
        for (id, title) in capabilities.iter().take(CARD_CAPABILITIES) {
            out.push_trusted(&format!(
                "<li title=\"{}\"><code>{}</code></li>",
                esc(title),
                esc(id)
            ));
        }
        if capabilities.len() > CARD_CAPABILITIES {
            out.push_trusted(&format!(
                "<li class=\"more\">+{} more</li>",
                capabilities.len() - CARD_CAPABILITIES
            ));
        }
        out.push_trusted("</ul>\n");
    }
    out.push_trusted(&format!(
        "<dl class=\"facts\"><div><dt>Publisher</dt><dd>{}</dd></div><div><dt>Versions</dt><dd>{}</dd></div>\
         <div><dt>Downloads</dt><dd>{}</dd></div><div><dt>Published</dt><dd>{}</dd></div></dl>\n",
        publisher(&latest.publisher_id, &latest.publisher_type),
        group.version_count,
        group.downloads,
        time(&latest.published_at),
    ));
    out.push_trusted("<p class=\"versions\">");
    for (i, v) in group
        .versions
        .iter()
        .map(|v| &v.summary)
        .take(CARD_VERSIONS)
        .enumerate()
    {
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
    let shown = group.versions.len().min(CARD_VERSIONS);
    let more = usize::try_from(group.version_count)
        .unwrap_or(0)
        .saturating_sub(shown);
    if more > 0 {
        out.push_trusted(&format!(" · <span class=\"muted\">{more} more</span>"));
    }
    out.push_trusted("</p>\n</li>\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use verifier::record::Lifecycle;

    fn row(id: &str, version: &str, status: &str, published_at: &str) -> VersionRow {
        VersionRow {
            summary: PublicationSummary {
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
            },
            card: None,
        }
    }

    fn id(id: &str, downloads: i64) -> IdRow {
        IdRow {
            id: id.into(),
            version_count: 2,
            downloads,
        }
    }

    #[test]
    fn latest_is_the_highest_current_semver_else_the_newest() {
        let groups = groups_of(
            &[id("b", 9), id("a", 3)],
            vec![
                row("a", "1.10.0", "deprecated", "2026-01-01T00:00:00Z"),
                row("a", "1.9.0", "active", "2026-02-01T00:00:00Z"),
                row("a", "2.0.0", "yanked", "2026-03-01T00:00:00Z"),
                row("b", "1.0.0", "yanked", "2026-03-01T00:00:00Z"),
                row("b", "2.0.0", "takedown", "2026-01-01T00:00:00Z"),
            ],
        );
        assert_eq!(groups[0].id, "b", "the page's order is kept");
        assert_eq!(groups[0].latest().package_version, "1.0.0");
        assert_eq!(groups[1].latest().package_version, "1.10.0");
        assert_eq!(groups[1].versions[0].summary.package_version, "2.0.0");
        assert_eq!(groups[1].downloads, 3);
    }
}
