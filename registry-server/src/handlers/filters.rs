//! The paged listings' search and filters (`?q=`, `?package_id=` / `?template_id=`, `?publisher_id=`,
//! `?lifecycle=`), checked into a [`ListFilter`]: 400 `invalid_search` (over [`MAX_QUERY_CHARS`] characters or a
//! control character), `invalid_id`, `invalid_publisher_id`, `invalid_lifecycle` (not one of the states this registry
//! sets; templates have no lifecycle). A filter without `limit` or `cursor` pages by the largest page size: the
//! unpaged listing stays ANIP's whole catalogue.

use verifier::lifecycle::LifecycleStatus;

use crate::error::Error;
use crate::extract::{ListQuery, checked_id};
use crate::store::Kind;
use crate::store::search::{ListFilter, Terms};

/// The longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// The longest publisher id accepted as a filter, in bytes.
const MAX_PUBLISHER_ID: usize = 128;

/// The filter `query` asks for on a listing of `kind`; `None` when it asks for none.
pub fn of(query: &ListQuery, kind: Kind) -> Result<Option<ListFilter>, Error> {
    let mut filter = ListFilter::default();
    if let Some(q) = &query.q {
        if q.chars().count() > MAX_QUERY_CHARS || q.chars().any(char::is_control) {
            return Err(Error::bad_request(
                "invalid_search",
                format!(
                    "q must be at most {MAX_QUERY_CHARS} characters without control characters"
                ),
            ));
        }
        filter.terms = Terms::of(q);
    }
    let (id, other) = match kind {
        Kind::Package => (
            &query.package_id,
            query.template_id.as_ref().map(|_| "template_id"),
        ),
        Kind::Template => (
            &query.template_id,
            query.package_id.as_ref().map(|_| "package_id"),
        ),
    };
    if let Some(other) = other {
        return Err(Error::bad_request(
            "invalid_query",
            format!("{other} does not filter this listing"),
        ));
    }
    if let Some(id) = id {
        checked_id(id)?;
        filter.id = Some(id.clone());
    }
    if let Some(publisher) = &query.publisher_id {
        if publisher.is_empty()
            || publisher.len() > MAX_PUBLISHER_ID
            || publisher.chars().any(char::is_control)
        {
            return Err(Error::bad_request(
                "invalid_publisher_id",
                format!(
                    "publisher_id must be 1–{MAX_PUBLISHER_ID} bytes without control characters"
                ),
            ));
        }
        filter.publisher_id = Some(publisher.clone());
    }
    if let Some(lifecycle) = &query.lifecycle {
        let status = LifecycleStatus::parse(lifecycle);
        if kind == Kind::Template || lifecycle.is_empty() || !status.is_known() {
            return Err(Error::bad_request(
                "invalid_lifecycle",
                match kind {
                    Kind::Template => "templates have no lifecycle".to_owned(),
                    Kind::Package => format!(
                        "{lifecycle:?} is not a lifecycle state: active, superseded, deprecated, yanked or takedown"
                    ),
                },
            ));
        }
        filter.lifecycle = Some(status.as_str().to_owned());
    }
    Ok((filter != ListFilter::default()).then_some(filter))
}
