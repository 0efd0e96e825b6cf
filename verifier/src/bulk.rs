//! The answers of the bulk log reads, as a follower reads them: `GET /registry-api/v1/log/receipts?start=&count=`
//! (`{"items": [{"index", "kind", "receipt"}]}`) and `GET /registry-api/v1/log/records?start=&count=`
//! (`{"end", "items": [{"index", "record"}]}`, `end` the index after the last entry covered). Each receipt and record
//! is kept as the bytes served (a borrowed [`RawValue`]), so it is checked exactly as the version's own route's
//! answer would be. Shared by the replica (`registry-server --mirror-of`) and `registry mirror`.

use serde::Deserialize;
use serde_json::value::RawValue;

/// A `/log/receipts` answer.
#[derive(Debug, Deserialize)]
pub struct Receipts<'a> {
    /// One receipt per version entry of the range, in log order.
    #[serde(borrow)]
    pub items: Vec<ReceiptItem<'a>>,
}

/// One receipt of a `/log/receipts` answer.
#[derive(Debug, Deserialize)]
pub struct ReceiptItem<'a> {
    /// The entry's log index.
    pub index: u64,
    /// `package` or `template`.
    pub kind: String,
    /// The receipt's JSON text as served.
    #[serde(borrow)]
    pub receipt: &'a RawValue,
}

/// A `/log/records` answer.
#[derive(Debug, Deserialize)]
pub struct Records<'a> {
    /// The log index after the last entry this answer covers (less than the range's end when the body limit cut it).
    pub end: u64,
    /// One record per package version entry served, in log order.
    #[serde(borrow)]
    pub items: Vec<RecordItem<'a>>,
}

/// One record of a `/log/records` answer.
#[derive(Debug, Deserialize)]
pub struct RecordItem<'a> {
    /// The entry's log index.
    pub index: u64,
    /// The record's JSON text as served (what `GET /packages/{id}/{version}` serves).
    #[serde(borrow)]
    pub record: &'a RawValue,
}
