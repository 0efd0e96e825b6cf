//! The entry range of the bulk log routes (`/log/receipts`, `/log/records`): `?start=N&count=C`, read and checked once.

use axum::http::Uri;

use super::log::{bad_proof, numbers, reached};
use crate::error::Error;
use crate::state::AppState;

/// The most entries one request covers: an entry bundle's width.
const MAX_COUNT: u64 = 256;

/// The range `?start=N&count=C` asks for, as `(start, count, end)` with `end = start + count`, within the log.
///
/// Errors: 400 `invalid_proof_request` for a parameter missing, repeated, unknown or not a non-negative integer,
/// `count` outside `1..=256`, or `start + count` past `u64`; 400 `tree_size_too_large` when `end` is past the log's
/// size.
pub(super) async fn bulk_range(state: &AppState, uri: &Uri) -> Result<(u64, u64, u64), Error> {
    let [start, count] = numbers(uri, ["start", "count"])?;
    if count == 0 || count > MAX_COUNT {
        return Err(bad_proof(format!("count must be 1 to {MAX_COUNT}")));
    }
    let end = start
        .checked_add(count)
        .ok_or_else(|| bad_proof("start + count overflows".to_owned()))?;
    reached(state, end).await?;
    Ok((start, count, end))
}
