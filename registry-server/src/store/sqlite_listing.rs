//! SQLite's `/publications`, unpaged and paged: ANIP's order handed over in chunks of rows (a page: one chunk), each
//! chunk one JSON array built by SQLite, so the row-by-row handover from sqlx's worker thread (a channel send and two dozen
//! value copies per row) happens once per chunk. The response is built from the same [`PublicationSummary`] values as
//! before, so its bytes do not change; memory stays one chunk per listing (plus SQLite's own sorter, which spills to
//! its temporary files).

use futures_util::StreamExt as _;
use serde::Deserialize;
use sqlx::sqlite::SqlitePool;
use verifier::record::{Lifecycle, Replacement};

use super::rows::for_sqlite;
use super::search::{self, ListFilter};
use super::{Kind, PublicationSummary, RowStream, sql};
use crate::auth::summary::PublisherSummary;
use crate::error::Error;

/// Rows per chunk: about 330 bytes of JSON each, so a chunk is ~85 KB.
pub(super) const ROWS_PER_CHUNK: u32 = 256;

/// One listing row of `packages p` (joined with its count `d` and owner `op`) as a JSON array: `order`, then the
/// columns `summary_from_row` reads (`sql::SUMMARY_ROW`, the count, `sql::OWNER_COLUMNS`); see [`Wire`].
fn row_json(order: &str) -> String {
    format!(
        "json_array({order}, p.package_id, p.package_version, p.project_ref, p.product_revision_ref, \
         p.developer_revision_ref, p.contract_signature, p.publisher_id, p.publisher_type, p.lineage, p.published_at, \
         p.lifecycle_status, p.lifecycle_reason, p.replacement_package_id, p.replacement_package_version, \
         p.lifecycle_updated_at, p.lifecycle_updated_by, COALESCE(d.download_count, 0), op.publisher_id, \
         op.publisher_type, op.display_name, op.website_url, op.status, op.trust_level)"
    )
}

/// The JSON array of the rows `r` (each a [`row_json`] text) of a subquery: concatenated as text, so SQLite does
/// not parse each row again (an aggregate's input order is SQLite's choice; [`wires`] sorts).
const ROWS_ARRAY: &str = "'[' || COALESCE(group_concat(r, ','), '') || ']'";

/// The listing's SQL: one row per chunk of `rows_per_chunk` rows, each a JSON array of [`Wire`] arrays.
fn chunked_sql(rows_per_chunk: u32) -> String {
    format!(
        "SELECT {ROWS_ARRAY} FROM (SELECT {} AS r, (row_number() OVER w - 1) / {rows_per_chunk} AS chunk \
         FROM packages p {} {} \
         WINDOW w AS (ORDER BY COALESCE(d.download_count, 0) DESC, p.published_at DESC, p.package_id ASC, \
         p.package_version DESC)) GROUP BY chunk ORDER BY chunk",
        row_json("row_number() OVER w"),
        sql::PACKAGE_DOWNLOADS_JOIN,
        sql::PACKAGE_OWNER_JOIN
    )
}

/// A paged listing's SQL (`$1` after this sequence number, then the values returned; see `search::page_sql`, whose
/// rows it gives): one row, the page's JSON array of [`Wire`] arrays led by `seq`.
pub(super) fn page_sql(filter: &ListFilter, limit: u32) -> (String, Vec<String>) {
    let (conditions, values) =
        search::listing_conditions(search::Backend::Sqlite, Kind::Package, "p", filter, 2);
    let sql = format!(
        "SELECT {ROWS_ARRAY} FROM (SELECT {} AS r FROM packages p {} {} WHERE p.seq > $1{conditions} \
         ORDER BY p.seq LIMIT {limit})",
        row_json("p.seq"),
        sql::PACKAGE_DOWNLOADS_JOIN,
        sql::PACKAGE_OWNER_JOIN
    );
    (for_sqlite(&sql), values)
}

/// A page of up to `limit` versions after sequence number `after` passing `filter`, as `(seq, summary)` in
/// publication order: one statement and one row handed over by sqlx's worker thread, not one per version.
pub(super) async fn page(
    pool: &SqlitePool,
    after: Option<i64>,
    limit: u32,
    filter: &ListFilter,
) -> Result<Vec<(i64, PublicationSummary)>, Error> {
    let (text, values) = page_sql(filter, limit);
    let mut query = sqlx::query_scalar::<_, String>(&text).bind(after.unwrap_or(0));
    for value in &values {
        query = query.bind(value);
    }
    let page = query.fetch_one(pool).await?;
    Ok(wires(&page)?
        .into_iter()
        .map(|w| (w.0, w.summary()))
        .collect())
}

/// One listing row as SQLite's `json_array` writes it: its place in the order, then the columns `summary_from_row`
/// reads (`sql::SUMMARY_ROW`, the count, `sql::OWNER_COLUMNS`).
#[derive(Deserialize)]
struct Wire(
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

impl Wire {
    /// The summary `summary_from_row` makes of the same columns.
    fn summary(self) -> PublicationSummary {
        let lineage = serde_json::from_str::<serde_json::Value>(&self.9)
            .ok()
            .filter(|l| l.as_object().is_some_and(|o| !o.is_empty()));
        let publisher = self.18.map(|publisher_id| PublisherSummary {
            publisher_id,
            publisher_type: self.19.unwrap_or_default(),
            display_name: self.20.unwrap_or_default(),
            website_url: self.21.unwrap_or_default(),
            status: self.22.unwrap_or_default(),
            trust_level: self.23.unwrap_or_default(),
        });
        PublicationSummary {
            package_id: self.1,
            package_version: self.2,
            project_ref: self.3,
            product_revision_ref: self.4,
            developer_revision_ref: self.5,
            contract_signature: self.6,
            publisher_id: self.7,
            publisher_type: self.8,
            publisher,
            lineage,
            published_at: self.10,
            download_count: self.17,
            lifecycle: Lifecycle {
                status: self.11.into(),
                reason: self.12,
                replacement: match (self.13, self.14) {
                    (Some(package_id), Some(package_version)) => Some(Replacement {
                        package_id,
                        package_version,
                    }),
                    _ => None,
                },
                updated_at: self.15.unwrap_or_default(),
                updated_by: self.16.unwrap_or_default(),
            },
        }
    }
}

/// The rows of one chunk or page, sorted by their leading number (an aggregate's input order is SQLite's choice).
fn wires(chunk: &str) -> Result<Vec<Wire>, Error> {
    let mut rows: Vec<Wire> = serde_json::from_str(chunk)
        .map_err(|e| Error::Internal(format!("a listing chunk SQLite built is not rows: {e}")))?;
    rows.sort_unstable_by_key(|w| w.0);
    Ok(rows)
}

/// The rows of one chunk, in listing order.
fn decode(chunk: &str) -> Result<Vec<PublicationSummary>, Error> {
    Ok(wires(chunk)?.into_iter().map(Wire::summary).collect())
}

/// Every version in ANIP's order, read by a task that stops (and so ends the statement) when the receiver is
/// dropped; `rows_per_chunk` rows are decoded at a time.
pub(super) fn stream(pool: SqlitePool, rows_per_chunk: u32) -> RowStream<PublicationSummary> {
    let (sender, receiver) = tokio::sync::mpsc::channel(rows_per_chunk as usize);
    tokio::spawn(async move {
        let text = chunked_sql(rows_per_chunk);
        let mut chunks = sqlx::query_scalar::<_, String>(&text).fetch(&pool);
        while let Some(chunk) = chunks.next().await {
            let rows = chunk.map_err(Error::from).and_then(|c| decode(&c));
            match rows {
                Ok(rows) => {
                    for row in rows {
                        if sender.send(Ok(row)).await.is_err() {
                            return;
                        }
                    }
                }
                Err(e) => {
                    let _ = sender.send(Err(e)).await;
                    return;
                }
            }
        }
    });
    receiver
}
