//! The owners a batch sets, so that the replica's records, listings and pages show the origin's `publisher`
//! summary. The publisher id is checked against what the log commits to: the id's last `ownership` entry (in this
//! batch, else in the replica's log), or before any, the receipt's publisher. The rest of the summary (type,
//! display name, website, status, trust level) is the origin's display data as shown with the id's newest entry:
//! the log does not commit to it, and changes to it that log nothing reach the replica with the id's next entry.
//! A summary naming another publisher than the log is retried (the transfer may be in the origin's next
//! checkpoint), never stored.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use verifier::tlog::Entry;

use super::Replica;
use super::follow::{Failure, refused, store_failed, unexpected};
use super::origin::segment;
use super::version::Shown;
use crate::auth::summary::PublisherSummary;
use crate::store::{Kind, ReplicaOwner, SharedStore};

type Key = (&'static str, String);

/// What a batch learnt of owners.
#[derive(Debug, Default)]
pub(super) struct Owners {
    /// The publisher of each id's last `ownership` entry in the batch.
    logged: BTreeMap<Key, String>,
    /// The receipt's publisher and the summary shown by each id's last fetched record.
    shown: BTreeMap<Key, (String, Option<PublisherSummary>)>,
}

fn kind_of(artifact: &str) -> (&'static str, Kind) {
    if artifact == "template" {
        ("template", Kind::Template)
    } else {
        ("package", Kind::Package)
    }
}

impl Owners {
    /// An `ownership` entry of `artifact` `id` naming `publisher_id`.
    pub(super) fn logged(&mut self, artifact: &str, id: &str, publisher_id: String) {
        self.logged
            .insert((kind_of(artifact).0, id.to_owned()), publisher_id);
    }

    /// A fetched record of `id` (signed for `receipt_publisher`) that showed `shown`.
    pub(super) fn shown(&mut self, kind: Kind, id: &str, receipt_publisher: &str, shown: Shown) {
        let name = crate::auth::scopes::kind_name(kind);
        let name = kind_of(name).0;
        if let Some(summary) = shown {
            self.shown.insert(
                (name, id.to_owned()),
                (receipt_publisher.to_owned(), summary),
            );
        }
    }

    /// The owners to store, each summary checked against the logged owner.
    pub(super) async fn checked(
        self,
        replica: &Replica,
        store: &SharedStore,
    ) -> Result<Vec<ReplicaOwner>, Failure> {
        let keys: BTreeSet<&Key> = self.logged.keys().chain(self.shown.keys()).collect();
        let mut owners = Vec::with_capacity(keys.len());
        for key in keys {
            let (artifact, id) = (key.0, key.1.as_str());
            let summary = match self.shown.get(key) {
                Some((_, summary)) => summary.clone(),
                None => listed(replica, artifact, id).await?,
            };
            let logged = match self.logged.get(key) {
                Some(publisher) => Some(publisher.clone()),
                None => store
                    .replica_logged_owner(artifact, id)
                    .await
                    .map_err(store_failed)?
                    .and_then(|bytes| Entry::parse(&bytes).ok())
                    .and_then(|e| e.get("publisher_id").map(str::to_owned)),
            };
            let logged = logged.or_else(|| self.shown.get(key).map(|(p, _)| p.clone()));
            if let Some(summary) = &summary
                && Some(&summary.publisher_id) != logged.as_ref()
            {
                return Err(Failure::Transient(format!(
                    "{artifact} {id}: the origin shows publisher {:?}, its log names {:?}",
                    summary.publisher_id,
                    logged.unwrap_or_default()
                )));
            }
            owners.push(ReplicaOwner {
                kind: kind_of(artifact).1,
                id: id.to_owned(),
                summary,
            });
        }
        Ok(owners)
    }
}

/// The summary the origin's listing of `id` shows (for an ownership change without a new version).
async fn listed(
    replica: &Replica,
    artifact: &str,
    id: &str,
) -> Result<Option<PublisherSummary>, Failure> {
    let path = format!("/{artifact}s/{}?limit=1", segment(id));
    let answer = replica
        .origin
        .get(&path)
        .await
        .map_err(Failure::Transient)?;
    if answer.status != 200 {
        return Err(unexpected(&path, &answer));
    }
    let listing: Value = serde_json::from_slice(&answer.body)
        .map_err(|e| refused("version_not_verified", format!("{path}: {e}")))?;
    match listing.pointer("/versions/0/publisher") {
        None | Some(Value::Null) => Ok(None),
        Some(value) => serde_json::from_value(value.clone())
            .map(Some)
            .map_err(|e| refused("version_not_verified", format!("{path}: publisher: {e}"))),
    }
}
