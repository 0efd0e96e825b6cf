//! A publisher's page (`/registry/publishers/{id}`): display name, trust level, type, website, its namespaces and
//! the packages and templates it owns, each list bounded.

use askama::Template;

use super::html::is_http_url;
use super::{Page, Section, render};
use crate::error::Error;
use crate::state::AppState;
use crate::store::{NamespaceRow, OwnershipRow, PublisherRow};

/// The most namespaces and artifacts a page lists.
pub const LISTED: u32 = 200;

/// `publisher.html`.
#[derive(Template)]
#[template(path = "publisher.html")]
struct PublisherPage<'a> {
    publisher: &'a PublisherRow,
    website_http: bool,
    namespaces: &'a [NamespaceRow],
    artifacts: &'a [OwnershipRow],
    truncated: bool,
    limit: u32,
}

/// `GET /registry/publishers/{id}`: two bounded reads and the publisher row; 404 for an unknown id.
pub async fn page(state: &AppState, id: &str) -> Result<Page, Error> {
    let not_found = || Page::not_found("No publisher of that id is known to this registry.");
    if !crate::handlers::admin_publishers::is_valid_publisher_id(id) {
        return Ok(not_found());
    }
    let Some(publisher) = state.store.publisher(id).await? else {
        return Ok(not_found());
    };
    let (namespaces, artifacts) = state.store.publisher_page(id, LISTED).await?;
    let content = render(&PublisherPage {
        website_http: is_http_url(&publisher.website_url),
        publisher: &publisher,
        namespaces: &namespaces,
        truncated: artifacts.len() as u32 >= LISTED,
        artifacts: &artifacts,
        limit: LISTED,
    });
    Ok(Page::ok(
        format!("{} (publisher)", publisher.display_name),
        Section::Packages,
        content,
    ))
}
