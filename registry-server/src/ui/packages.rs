//! The package list: grouped by id, searchable, paginated (one version's page is `package_detail`).
//!
//! Every query is bounded, so a page costs the same at ten versions or fifty thousand: one page of ids from the
//! per-id table (most downloaded first), then at most [`VERSIONS_PER_ID`] recent versions of each id shown, with
//! the card values stored at publish. No document is read.
//!
//! **Search** (`?q=`) is case-insensitive; a package matches when one of its versions holds every
//! whitespace-separated term in its id, version, project and revision refs, publisher, manifest `name`, description
//! (the README's first line of text) or capability ids and titles (the contents of a taken-down version are not
//! searched). A card shows the package's latest version: the highest SemVer version that is not yanked or taken down
//! (read apart from the recent versions, so it is found however many lower versions came after it; else the newest);
//! a taken-down latest version shows no contents.

use std::collections::BTreeMap;

use askama::Template;
use verifier::lifecycle::LifecycleStatus;

use super::html::query_value;
use super::{
    ListHead, Page, Pagination, Section, artifact_href, list_href, list_title, plural, render,
};
use crate::error::Error;
use crate::state::AppState;
use crate::store::search::Terms;
use crate::store::{Card, IdRow, Kind, PublicationSummary, VersionRow};

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
        if latest.summary.lifecycle.status == LifecycleStatus::Takedown {
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
        .position(|v| v.summary.lifecycle.status.is_current())
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

/// The query's search terms (the API's rules, [`crate::store::search::Terms`]).
pub(super) fn terms_of(q: &str) -> Terms {
    Terms::of(q)
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
    terms: &Terms,
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
        let all = state
            .store
            .list_ids(Kind::Package, &Terms::default(), 0, 0)
            .await?;
        format!(
            "{} · {} matching “{q}” (of {} in all)",
            plural(count(found.total_ids), "package", "packages"),
            plural(count(found.total_versions), "version", "versions"),
            all.total_ids
        )
    };
    let cards: Vec<CardView> = shown.iter().map(card).collect();
    let base = "/registry/packages";
    let head = ListHead {
        count,
        pagination: Pagination::new(page as usize, pages as usize, |p| list_href(base, &q, p)),
        q,
    };
    let content = render(&PackagesPage { head: &head, cards });
    Ok(Page::ok(
        list_title("Packages", &head.q),
        Section::Packages,
        content,
    ))
}

/// `packages.html`.
#[derive(Template)]
#[template(path = "packages.html")]
struct PackagesPage<'a> {
    head: &'a ListHead,
    cards: Vec<CardView>,
}

/// One package on the list (`package_card.html`).
#[derive(Debug)]
struct CardView {
    href: String,
    id: String,
    version: String,
    status: LifecycleStatus,
    name: String,
    description: String,
    /// Capability ids and titles shown.
    capabilities: Vec<(String, String)>,
    more_capabilities: usize,
    publisher_id: String,
    publisher_type: String,
    version_count: i64,
    downloads: i64,
    published_at: String,
    versions: Vec<VersionLink>,
    more_versions: usize,
}

/// A version linked from a card.
#[derive(Debug)]
struct VersionLink {
    href: String,
    version: String,
    status: LifecycleStatus,
}

/// A stored total as a `usize`.
pub(super) fn count(n: i64) -> usize {
    usize::try_from(n).unwrap_or(0)
}

fn card(group: &Group) -> CardView {
    let latest = group.latest();
    let brief = group.brief();
    let capabilities = crate::cards::capabilities_of(&brief);
    let versions: Vec<VersionLink> = group
        .versions
        .iter()
        .map(|v| &v.summary)
        .take(CARD_VERSIONS)
        .map(|v| VersionLink {
            href: artifact_href("packages", &v.package_id, &v.package_version),
            version: v.package_version.clone(),
            status: v.lifecycle.status.clone(),
        })
        .collect();
    let more_versions = usize::try_from(group.version_count)
        .unwrap_or(0)
        .saturating_sub(versions.len());
    CardView {
        href: artifact_href("packages", &group.id, &latest.package_version),
        id: group.id.clone(),
        version: latest.package_version.clone(),
        status: latest.lifecycle.status.clone(),
        more_capabilities: capabilities.len().saturating_sub(CARD_CAPABILITIES),
        capabilities: capabilities.into_iter().take(CARD_CAPABILITIES).collect(),
        name: brief.name,
        description: brief.description,
        publisher_id: latest.publisher_id.clone(),
        publisher_type: latest.publisher_type.clone(),
        version_count: group.version_count,
        downloads: group.downloads,
        published_at: latest.published_at.clone(),
        versions,
        more_versions,
    }
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
