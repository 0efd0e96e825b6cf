//! Listings shared by packages and templates: paged in publication order with an opaque cursor, or unpaged in
//! ANIP's order streamed row by row (bounded memory whatever the catalogue's size; the query stops when the client
//! goes away, and on Postgres after the listing timeout).
//!
//! **Order.** A paged listing (`limit` and/or `cursor`) runs in publication order, oldest first: a version's place
//! never changes, so paging never skips or repeats a version, and versions published while a client pages appear on
//! its later pages. (On Postgres, a version whose publish commits while a page is read can get a sequence number just
//! before that page's last one and so be missed by that client; it is there for the next full pass.) The unpaged
//! listing keeps ANIP's order: most downloaded first, then newest, id, highest version.
//!
//! Both first flush this replica's pending download counts, so they show and order by exact counts.

use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use futures_util::StreamExt as _;
use tokio::sync::OwnedSemaphorePermit;
use tokio::sync::mpsc::error::TryRecvError;

use super::json_text;
use crate::error::Error;
use crate::extract::ListQuery;
use crate::state::AppState;
use std::future::Future;
use std::time::Duration;

use crate::store::search::ListFilter;
use crate::store::{Cursor, Kind, RowStream};

/// The page size when a cursor comes without a limit (the largest `limit` allowed).
const MAX_PAGE: u32 = 1000;

/// Bytes gathered into one chunk of a streamed listing.
const CHUNK_BYTES: usize = 32 * 1024;

/// The opaque cursor for "after sequence number `after`".
pub fn encode_cursor(after: i64) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&Cursor { after }).unwrap_or_default())
}

/// The sequence number a cursor continues after; 400 `invalid_cursor` for anything this registry did not issue.
pub fn decode_cursor(text: &str) -> Result<i64, Error> {
    URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Cursor>(&bytes).ok())
        .filter(|c| c.after > 0)
        .map(|c| c.after)
        .ok_or_else(|| {
            Error::bad_request(
                "invalid_cursor",
                "the cursor is not one this registry issued",
            )
        })
}

/// What a listing request asks for.
#[derive(Debug, Clone, Copy)]
pub enum Listing {
    /// A page: up to `limit` rows after sequence number `after`.
    Page {
        /// Continue after this sequence number.
        after: Option<i64>,
        /// Page size.
        limit: u32,
    },
    /// Every row, streamed.
    All,
}

impl Listing {
    /// Reads `limit` and `cursor`; a cursor or a filter (`filtered`) without a limit pages by the largest page size.
    pub fn of(query: &ListQuery, filtered: bool) -> Result<Listing, Error> {
        let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
        Ok(match (query.limit, after) {
            (None, None) if !filtered => Listing::All,
            (limit, after) => Listing::Page {
                after,
                limit: limit.unwrap_or(MAX_PAGE),
            },
        })
    }
}

/// `{"items":[…],"next_cursor":…}` for a page of `(sequence number, row)`, each row rendered by `render`.
pub fn page_response<T>(
    rows: &[(i64, T)],
    limit: u32,
    render: impl Fn(&T, &mut Vec<u8>),
) -> Response {
    let mut out = b"{\"items\":[".to_vec();
    for (i, (_, row)) in rows.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        render(row, &mut out);
    }
    out.push(b']');
    if let (true, Some((last, _))) = (rows.len() == limit as usize, rows.last()) {
        out.extend_from_slice(b",\"next_cursor\":\"");
        out.extend_from_slice(encode_cursor(*last).as_bytes());
        out.push(b'"');
    }
    out.push(b'}');
    // Every piece is JSON text: the renderers write serde_json output.
    json_text(StatusCode::OK, String::from_utf8(out).unwrap_or_default())
}

/// A listing route's answer (`GET /publications`, `GET /templates`): after flushing pending counts, a page from
/// `page(after, limit, filter)` in publication order, or (no `limit`, `cursor` or filter) every row streamed from
/// `stream(listing timeout)` under a streaming permit. Rows are rendered by `render` either way. Errors: 400 for a
/// bad cursor or filter, the store's errors.
pub async fn answer<T, P, PF, S, SF, R>(
    state: &AppState,
    query: &ListQuery,
    kind: Kind,
    page: P,
    stream: S,
    render: R,
) -> Result<Response, Error>
where
    T: Send + 'static,
    P: FnOnce(Option<i64>, u32, ListFilter) -> PF,
    PF: Future<Output = Result<Vec<(i64, T)>, Error>>,
    S: FnOnce(Duration) -> SF,
    SF: Future<Output = RowStream<T>>,
    R: Fn(&T, &mut Vec<u8>) + Send + 'static,
{
    let filter = super::filters::of(query, kind)?;
    match Listing::of(query, filter.is_some())? {
        Listing::Page { after, limit } => {
            flush_counts(state).await?;
            let rows = page(after, limit, filter.unwrap_or_default()).await?;
            Ok(page_response(&rows, limit, render))
        }
        Listing::All => {
            let permit = listing_permit(state).await?;
            flush_counts(state).await?;
            let rows = stream(state.settings.tuning.listing_timeout()).await;
            stream_response(rows, render, permit).await
        }
    }
}

/// Flushes this replica's pending downloads, so listed counts are exact.
pub async fn flush_counts(state: &AppState) -> Result<(), Error> {
    state.downloads.flush(state.store.as_ref()).await
}

/// Waits for a streaming permit.
pub async fn listing_permit(state: &AppState) -> Result<OwnedSemaphorePermit, Error> {
    std::sync::Arc::clone(&state.listings)
        .acquire_owned()
        .await
        .map_err(|_| Error::Internal("listing permits closed".into()))
}

struct Streamed<T, R> {
    rows: RowStream<T>,
    render: R,
    first: Option<T>,
    opened: bool,
    any: bool,
    done: bool,
    _permit: OwnedSemaphorePermit,
}

/// `{"items":[…]}` streamed from `rows`, each rendered by `render`. A store failure before the first row is an
/// error response; after it, the body is cut short (the client sees a broken response, never a wrong one).
pub async fn stream_response<T, R>(
    mut rows: RowStream<T>,
    render: R,
    permit: OwnedSemaphorePermit,
) -> Result<Response, Error>
where
    T: Send + 'static,
    R: Fn(&T, &mut Vec<u8>) + Send + 'static,
{
    let first = match rows.recv().await {
        Some(Err(e)) => return Err(e),
        Some(Ok(row)) => Some(row),
        None => None,
    };
    let state = Streamed {
        done: false,
        opened: false,
        any: false,
        first,
        rows,
        render,
        _permit: permit,
    };
    let body = futures_util::stream::unfold(state, |mut s| async move {
        if s.done {
            return None;
        }
        let mut out = Vec::with_capacity(CHUNK_BYTES + 1024);
        if !s.opened {
            out.extend_from_slice(b"{\"items\":[");
            s.opened = true;
        }
        let mut waited = false;
        loop {
            let next = if let Some(row) = s.first.take() {
                Some(Ok(row))
            } else if !waited {
                waited = true;
                s.rows.recv().await
            } else {
                match s.rows.try_recv() {
                    Ok(item) => Some(item),
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => None,
                }
            };
            match next {
                Some(Ok(row)) => {
                    if s.any {
                        out.push(b',');
                    }
                    s.any = true;
                    (s.render)(&row, &mut out);
                    if out.len() >= CHUNK_BYTES {
                        break;
                    }
                }
                Some(Err(e)) => {
                    tracing::error!(error = %e, "registry_listing_stream_failed");
                    s.done = true;
                    return Some((Err(e), s));
                }
                None => {
                    out.extend_from_slice(b"]}");
                    s.done = true;
                    break;
                }
            }
        }
        Some((Ok::<_, Error>(Bytes::from(out)), s))
    });
    // Fused: a body may be polled again after its end (the compression layer does), which `unfold` answers with a
    // panic and so a cut connection.
    let mut response = Body::from_stream(body.fuse()).into_response();
    response.headers_mut().insert(
        CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_what_was_not_issued() {
        assert_eq!(decode_cursor(&encode_cursor(42)).ok(), Some(42));
        for bad in [
            "",
            "not-a-cursor",
            &URL_SAFE_NO_PAD.encode(b"{\"after\":0}"),
            &URL_SAFE_NO_PAD.encode(b"{\"after\":-3}"),
            &URL_SAFE_NO_PAD.encode(b"{\"after\":1,\"x\":1}"),
        ] {
            assert!(decode_cursor(bad).is_err(), "{bad}");
        }
    }
}
