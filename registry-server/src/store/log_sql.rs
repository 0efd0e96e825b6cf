//! SQL text and row decoding of the log tables, shared by both backends (placeholders `$n`).

use sqlx::{ColumnIndex, Decode, Row, Type};

use super::StoredCheckpoint;
use crate::error::Error;

/// Rows per multi-row statement chunk (bound values stay far under SQLite's 32,766).
pub(super) const CHUNK: usize = 512;

/// A pending entry read by the integrator (`entry` empty: build it from the stored version).
#[derive(Debug)]
pub(super) struct Pending {
    pub(super) pending_id: i64,
    pub(super) entry: Vec<u8>,
    pub(super) kind: String,
    pub(super) artifact: String,
    pub(super) id: String,
    pub(super) version: String,
}

/// `n` as a database integer.
pub(super) fn signed(n: u64) -> Result<i64, Error> {
    i64::try_from(n).map_err(|_| Error::Internal(format!("log index {n} out of range")))
}

/// A database integer as a size or index.
pub(super) fn unsigned(n: i64) -> Result<u64, Error> {
    u64::try_from(n).map_err(|_| Error::Internal(format!("negative log index {n}")))
}

fn list(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn tuples(n: usize, width: usize) -> String {
    (0..n)
        .map(|r| format!("({})", list(1 + r * width, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Reads `n` stored hashes by index.
pub(super) fn select_hashes_sql(n: usize) -> String {
    format!(
        "SELECT hash_index, hash FROM log_hashes WHERE hash_index IN ({})",
        list(1, n)
    )
}

/// Inserts `n` entries: `(idx, pending_id, entry_kind, artifact, artifact_id, artifact_version, entry)` each.
pub(super) fn insert_entries_sql(n: usize) -> String {
    format!(
        "INSERT INTO log_entries (idx, pending_id, entry_kind, artifact, artifact_id, artifact_version, entry) \
         VALUES {}",
        tuples(n, 7)
    )
}

/// Deletes `n` pending entries by id.
pub(super) fn delete_pending_sql(n: usize) -> String {
    format!(
        "DELETE FROM log_pending WHERE pending_id IN ({})",
        list(1, n)
    )
}

/// Inserts `n` stored hashes: `(hash_index, hash)` each.
pub(super) fn insert_hashes_sql(n: usize) -> String {
    format!(
        "INSERT INTO log_hashes (hash_index, hash) VALUES {}",
        tuples(n, 2)
    )
}

fn hash32(bytes: Vec<u8>) -> Result<[u8; 32], Error> {
    <[u8; 32]>::try_from(bytes.as_slice())
        .map_err(|_| Error::Internal(format!("stored log hash of {} bytes", bytes.len())))
}

/// One pending row.
pub(super) fn pending_from_row<'r, R>(row: &'r R) -> Result<Pending, Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Option<Vec<u8>>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(Pending {
        pending_id: row.try_get("pending_id")?,
        entry: row
            .try_get::<Option<Vec<u8>>, _>("entry")?
            .unwrap_or_default(),
        kind: row.try_get("entry_kind")?,
        artifact: row.try_get("artifact")?,
        id: row.try_get("artifact_id")?,
        version: row.try_get("artifact_version")?,
    })
}

/// One stored hash row.
pub(super) fn hash_from_row<'r, R>(row: &'r R) -> Result<(u64, [u8; 32]), Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok((
        unsigned(row.try_get("hash_index")?)?,
        hash32(row.try_get("hash")?)?,
    ))
}

/// One checkpoint row.
pub(super) fn checkpoint_from_row<'r, R>(row: &'r R) -> Result<StoredCheckpoint, Error>
where
    R: Row,
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i64: Decode<'r, R::Database> + Type<R::Database>,
    Vec<u8>: Decode<'r, R::Database> + Type<R::Database>,
{
    Ok(StoredCheckpoint {
        tree_size: unsigned(row.try_get("tree_size")?)?,
        root_hash: hash32(row.try_get("root_hash")?)?,
        note: row.try_get("note")?,
        cosigned: row.try_get("cosigned")?,
    })
}
