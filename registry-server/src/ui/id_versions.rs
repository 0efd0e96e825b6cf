//! `/registry/packages/{id}` and `/registry/templates/{id}`: one id's versions, highest SemVer first, a page at a
//! time (`?below=<version>` continues below a version), read through the same bounded store query as the API's
//! `GET /packages/{id}`.

use askama::Template;

use super::html::{encode_query_value, encode_segment, query_value};
use super::parts::{VersionItem, artifact_href};
use super::{Page, Section, render};
use crate::error::Error;
use crate::state::AppState;
use crate::store::Kind;
use verifier::lifecycle::LifecycleStatus;

/// Versions shown per page.
const PAGE: u32 = 100;

/// `id_versions.html`.
#[derive(Template)]
#[template(path = "id_versions.html")]
struct IdVersionsPage<'a> {
    id: &'a str,
    heading: &'a str,
    list: &'a str,
    api: String,
    latest: Option<(String, String)>,
    versions: Vec<VersionItem>,
    more: Option<String>,
}

/// The page of `id`'s versions of `kind`; 404 when it has none.
pub async fn page(
    state: &AppState,
    kind: Kind,
    id: &str,
    query: Option<&str>,
) -> Result<Page, Error> {
    let (noun, heading, section) = match kind {
        Kind::Package => ("packages", "Packages", Section::Packages),
        Kind::Template => ("templates", "Templates", Section::Templates),
    };
    let below = query_value(query, "below").filter(|v| verifier::version::is_valid(v));
    let Some(found) = state
        .store
        .versions_page(kind, id, below.as_deref(), PAGE)
        .await?
    else {
        return Ok(Page::not_found(&format!("There is no version of {id}.")));
    };
    let base = format!(
        "/registry/{noun}/{}",
        id.split('/')
            .map(encode_segment)
            .collect::<Vec<_>>()
            .join("/")
    );
    let versions = found
        .versions
        .iter()
        .map(|v| VersionItem {
            href: Some(artifact_href(noun, id, &v.version)),
            version: v.version.clone(),
            status: v
                .lifecycle
                .as_ref()
                .map_or(LifecycleStatus::Active, |l| l.status.clone()),
            published_at: v.published_at.clone(),
            downloads: v.download_count,
        })
        .collect();
    let more = found
        .more
        .then(|| found.versions.last())
        .flatten()
        .map(|last| format!("{base}?below={}", encode_query_value(&last.version)));
    let content = render(&IdVersionsPage {
        id,
        heading,
        list: &format!("/registry/{noun}"),
        api: format!("/registry-api/v1/{noun}/{}", encode_segment(id)),
        latest: found
            .latest
            .as_ref()
            .map(|v| (v.clone(), artifact_href(noun, id, v))),
        versions,
        more,
    });
    Ok(Page::ok(id.to_owned(), section, content))
}
