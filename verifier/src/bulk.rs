//! The answers of the bulk log reads, as a follower reads them: `GET /registry-api/v1/log/receipts?start=&count=`
//! (`{"items": [{"index", "kind", "receipt"}]}`) and `GET /registry-api/v1/log/records?start=&count=`
//! (`{"end", "items": [{"index", "record"}]}`, `end` the index after the last entry covered). Each receipt and record
//! is kept as the bytes served (a borrowed [`RawValue`]), so it is checked exactly as the version's own route's
//! answer would be. Shared by the replica (`registry-server --mirror-of`) and `registry mirror`, which read an answer
//! with [`take_receipts`] and [`take_records`] (what it serves of the range asked) and keep only their requests.

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

/// One served item: its log index and its JSON text as served.
pub type Served = (u64, Vec<u8>);

/// The receipts a `/log/receipts` answer `body`, asked for the entries `[start, end)`, serves for that range:
/// `(index, kind, receipt JSON text as served)` in the answer's order; items outside the range are dropped.
///
/// `None` when `body` is not such an answer (the caller reads each version's own route instead).
pub fn take_receipts(body: &[u8], start: u64, end: u64) -> Option<Vec<(u64, String, Vec<u8>)>> {
    let answer = serde_json::from_slice::<Receipts<'_>>(body).ok()?;
    Some(
        answer
            .items
            .into_iter()
            .filter(|i| (start..end).contains(&i.index))
            .map(|i| (i.index, i.kind, i.receipt.get().as_bytes().to_vec()))
            .collect(),
    )
}

/// The records a `/log/records` answer `body`, asked for the entries `[from, end)`, serves: `(next, items)` with
/// `next` the answer's `end` (where to ask again; `next == end` when the range is covered) and `items` the
/// `(index, record JSON text as served)` of the indexes in `[from, next)`, in the answer's order (others dropped).
///
/// `None` when `body` is not such an answer or its `end` is not in `from+1..=end` (it would not move the reader
/// forward, or claims entries not asked for): the caller stops there and reads the rest per version.
pub fn take_records(body: &[u8], from: u64, end: u64) -> Option<(u64, Vec<Served>)> {
    let answer = serde_json::from_slice::<Records<'_>>(body).ok()?;
    let next = answer.end;
    if !(from.checked_add(1)?..=end).contains(&next) {
        return None;
    }
    let items = answer
        .items
        .into_iter()
        .filter(|i| (from..next).contains(&i.index))
        .map(|i| (i.index, i.record.get().as_bytes().to_vec()))
        .collect();
    Some((next, items))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A record as the records route serves it (what `GET /packages/{id}/{version}` serves), spacing kept.
    fn record(id: &str) -> String {
        format!(
            "{{\"package_id\": \"{id}\", \"package_version\": \"1.0.0\", \"lifecycle\": {{\"status\": \"active\"}}}}"
        )
    }

    fn records_body(start: u64, count: u64, end: u64, items: &[(u64, &str)]) -> Vec<u8> {
        let items: Vec<String> = items
            .iter()
            .map(|(i, id)| format!("{{\"index\":{i},\"record\":{}}}", record(id)))
            .collect();
        format!(
            "{{\"start\":{start},\"count\":{count},\"end\":{end},\"items\":[{}]}}",
            items.join(",")
        )
        .into_bytes()
    }

    #[test]
    fn a_whole_answer_gives_every_record_as_served() {
        let body = records_body(256, 256, 512, &[(256, "a"), (300, "b"), (511, "c")]);
        let (next, items) = take_records(&body, 256, 512).unwrap();
        assert_eq!(next, 512);
        let want: Vec<(u64, Vec<u8>)> = [(256, "a"), (300, "b"), (511, "c")]
            .iter()
            .map(|(i, id)| (*i, record(id).into_bytes()))
            .collect();
        assert_eq!(items, want);
    }

    #[test]
    fn an_answer_cut_short_says_where_to_ask_again() {
        // The body limit stopped it after entry 3: items up to there, and 4 to ask from.
        let body = records_body(0, 10, 4, &[(1, "a"), (3, "b")]);
        let (next, items) = take_records(&body, 0, 10).unwrap();
        assert_eq!(next, 4);
        assert_eq!(items.iter().map(|(i, _)| *i).collect::<Vec<_>>(), [1, 3]);
        // Asked again from there: the rest.
        let body = records_body(4, 6, 10, &[(9, "c")]);
        let (next, items) = take_records(&body, 4, 10).unwrap();
        assert_eq!((next, items.len()), (10, 1));
    }

    #[test]
    fn an_end_that_does_not_advance_or_overshoots_is_refused() {
        for end in [0, 4, 11, u64::MAX] {
            let body = records_body(4, 6, end, &[]);
            assert_eq!(take_records(&body, 4, 10), None, "end {end}");
        }
        // At the top of the index space there is nothing to move to.
        let body = records_body(u64::MAX, 1, u64::MAX, &[]);
        assert_eq!(take_records(&body, u64::MAX, u64::MAX), None);
    }

    #[test]
    fn items_outside_the_range_covered_are_dropped() {
        // Before `from`, at or past the answer's `end` (inside the range asked), and past the range asked.
        let body = records_body(
            10,
            10,
            15,
            &[
                (9, "before"),
                (10, "first"),
                (14, "last"),
                (15, "at-end"),
                (25, "past"),
            ],
        );
        let (next, items) = take_records(&body, 10, 20).unwrap();
        assert_eq!(next, 15);
        assert_eq!(
            items,
            [
                (10, record("first").into_bytes()),
                (14, record("last").into_bytes())
            ]
        );
    }

    #[test]
    fn bytes_that_are_not_an_answer_give_nothing() {
        for body in [
            &b""[..],
            b"not json",
            b"{\"error\":\"not found\",\"code\":\"not_found\"}",
            b"{\"end\":5}",
            b"{\"end\":5,\"items\":[{\"index\":1}]}",
            b"{\"end\":5,\"items\":[{\"index\":1,\"record\":{]}",
            b"{\"end\":5,\"items\":[]",
        ] {
            assert_eq!(
                take_records(body, 0, 5),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(
                take_receipts(body, 0, 5),
                None,
                "{}",
                String::from_utf8_lossy(body)
            );
        }
        // An `end` that is not an index.
        for end in ["-1", "1.5", "\"5\"", "null"] {
            let body = format!("{{\"end\":{end},\"items\":[]}}");
            assert_eq!(take_records(body.as_bytes(), 0, 5), None, "{end}");
        }
    }

    #[test]
    fn receipts_of_the_range_are_kept_as_served() {
        let receipt = "{\"receipt_id\": \"sha256:ab\",  \"registry_signature\": \"ed25519:k:sig\"}";
        let body = format!(
            "{{\"start\":0,\"count\":4,\"items\":[{{\"index\":0,\"kind\":\"package\",\"receipt\":{receipt}}},\
             {{\"index\":2,\"kind\":\"template\",\"receipt\":{receipt}}},\
             {{\"index\":4,\"kind\":\"package\",\"receipt\":{receipt}}}]}}"
        );
        let items = take_receipts(body.as_bytes(), 0, 4).unwrap();
        assert_eq!(
            items,
            [
                (0, "package".to_owned(), receipt.as_bytes().to_vec()),
                (2, "template".to_owned(), receipt.as_bytes().to_vec())
            ]
        );
        // Nothing of the range: an empty answer, not a failure.
        assert_eq!(take_receipts(body.as_bytes(), 5, 9), Some(Vec::new()));
    }
}
