//! The values pages are made of, shared by several templates: message extras (a takedown and its replacement),
//! version lists, list heads and pagination, UI and API paths, and how badges and times are shown.

use verifier::lifecycle::LifecycleStatus;
use verifier::record::Lifecycle;

use super::html;

/// What follows a message page's text.
#[derive(Debug, Clone)]
pub enum Extra {
    /// Nothing.
    None,
    /// Links to the package and template lists.
    Browse,
    /// What a takedown page says about the version.
    TakenDown(Box<TakenDown>),
}

/// A taken-down version, as its 410 page shows it.
#[derive(Debug, Clone)]
pub struct TakenDown {
    /// Package id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Its lifecycle (status, reason, since when).
    pub lifecycle: Lifecycle,
    /// The replacement it names, if any.
    pub replacement: Option<Replacement>,
}

/// A replacement version a lifecycle names: `id@version`, linked when both are well formed.
#[derive(Debug, Clone)]
pub struct Replacement {
    /// `id@version`.
    pub label: String,
    /// Its UI page.
    pub href: Option<String>,
}

/// The replacement `lifecycle` names, if any.
pub fn replacement_of(lifecycle: &Lifecycle) -> Option<Replacement> {
    let r = lifecycle.replacement.as_ref()?;
    if r.package_id.is_empty() {
        return None;
    }
    let linkable = verifier::validate::is_valid_artifact_id(&r.package_id)
        && verifier::validate::is_valid_version(&r.package_version);
    Some(Replacement {
        label: format!("{}@{}", r.package_id, r.package_version),
        href: linkable.then(|| artifact_href("packages", &r.package_id, &r.package_version)),
    })
}

/// The `{id}/{version}` after `prefix` in a UI path: two segments (a namespaced id as one `%2F`-encoded segment) or
/// three (`{ns}/{name}/{version}`), percent-decoded and checked against the id and version grammar.
pub fn artifact_from_path(path: &str, prefix: &str) -> Option<(String, String)> {
    let rest = path.strip_prefix(prefix)?;
    let segments: Vec<String> = rest
        .split('/')
        .map(|s| html::percent_decode(s, false))
        .collect();
    let (version, id) = segments.split_last()?;
    if id.is_empty() {
        return None;
    }
    let id = id.join("/");
    (verifier::validate::is_valid_artifact_id(&id) && verifier::validate::is_valid_version(version))
        .then(|| (id, version.clone()))
}

/// The id a UI path names on its own (`/registry/<kind>/{id}` with a namespaced id as several segments, or one
/// `%2F`-encoded segment), when it is a valid id.
pub fn id_from_path(path: &str, prefix: &str) -> Option<String> {
    let id = path
        .strip_prefix(prefix)?
        .split('/')
        .map(|s| html::percent_decode(s, false))
        .collect::<Vec<_>>()
        .join("/");
    verifier::validate::is_valid_artifact_id(&id).then_some(id)
}

/// Where a UI page of an artifact lives: `/registry/<kind>/{id}/{version}` (a namespaced id as two segments).
pub fn artifact_href(kind: &str, id: &str, version: &str) -> String {
    let id = id
        .split('/')
        .map(html::encode_segment)
        .collect::<Vec<_>>()
        .join("/");
    format!("/registry/{kind}/{id}/{}", html::encode_segment(version))
}

/// Where the API serves an artifact: `/registry-api/v1/<kind>/{id}/{version}` (a namespaced id as one `%2F`
/// segment, as ANIP's clients send it).
pub fn api_href(kind: &str, id: &str, version: &str) -> String {
    format!(
        "/registry-api/v1/{kind}/{}/{}",
        html::encode_segment(id),
        html::encode_segment(version)
    )
}

/// The badge class of a lifecycle status (`superseded`, `deprecated`, `yanked`, `takedown`; anything unknown is
/// shown as it is).
pub fn badge_class(status: &LifecycleStatus) -> &'static str {
    match status {
        LifecycleStatus::Active => "badge-active",
        LifecycleStatus::Superseded | LifecycleStatus::Deprecated => "badge-warn",
        LifecycleStatus::Yanked | LifecycleStatus::Takedown => "badge-danger",
        LifecycleStatus::Other(_) => "badge-other",
    }
}

/// `1 package`, `2 packages`.
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// An RFC 3339 timestamp as shown: `YYYY-MM-DD HH:MM UTC` (anything else as it is).
pub fn shown_time(rfc3339: &str) -> String {
    match (rfc3339.get(..10), rfc3339.get(11..16)) {
        (Some(day), Some(clock)) if rfc3339.ends_with('Z') => format!("{day} {clock} UTC"),
        _ => rfc3339.to_owned(),
    }
}

/// One version in a detail page's version list (`version_list.html`).
#[derive(Debug)]
pub struct VersionItem {
    /// Its page; none for the version shown.
    pub href: Option<String>,
    /// The version.
    pub version: String,
    /// Its lifecycle status (a badge unless `active`).
    pub status: LifecycleStatus,
    /// When it was published (RFC 3339).
    pub published_at: String,
    /// Its download count.
    pub downloads: i64,
}

impl VersionItem {
    /// `1 download`, `2 downloads`.
    pub fn downloads_text(&self) -> String {
        plural(
            usize::try_from(self.downloads).unwrap_or(0),
            "download",
            "downloads",
        )
    }
}

/// What a list page (packages or templates) shows above and below its cards.
#[derive(Debug)]
pub(crate) struct ListHead {
    /// The search query (empty for none).
    pub(crate) q: String,
    /// The count line.
    pub(crate) count: String,
    /// Previous / next links.
    pub(crate) pagination: Pagination,
}

/// The link to `page` of a list at `base` for query `q`.
pub(crate) fn list_href(base: &str, q: &str, page: usize) -> String {
    match (q.is_empty(), page) {
        (true, 1) => base.to_owned(),
        (true, _) => format!("{base}?page={page}"),
        (false, 1) => format!("{base}?q={}", html::encode_query_value(q)),
        (false, _) => format!("{base}?q={}&page={page}", html::encode_query_value(q)),
    }
}

/// A list page's title: its heading, and the query when there is one.
pub(crate) fn list_title(heading: &str, q: &str) -> String {
    if q.is_empty() {
        heading.to_owned()
    } else {
        format!("{heading} matching “{q}”")
    }
}

/// Previous / "Page N of M" / Next (`pagination.html`).
#[derive(Debug, Clone)]
pub struct Pagination {
    /// This page (from 1).
    pub page: usize,
    /// Number of pages.
    pub pages: usize,
    /// The previous page's link, if there is one.
    pub prev: Option<String>,
    /// The next page's link, if there is one.
    pub next: Option<String>,
}

impl Pagination {
    /// Page `page` of `pages`, with links made by `href`.
    pub fn new(page: usize, pages: usize, href: impl Fn(usize) -> String) -> Self {
        Pagination {
            page,
            pages,
            prev: (page > 1).then(|| href(page - 1)),
            next: (page < pages).then(|| href(page + 1)),
        }
    }
}
