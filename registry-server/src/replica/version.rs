//! One logged version fetched from the origin through the record routes (never `/download`) and checked by
//! `verifier::mirror` before it may be stored, and the lifecycle a batch replays onto a version stored before.

use serde_json::Value;
use verifier::mirror::{Artifact, Served};
use verifier::record::Lifecycle;
use verifier::tlog::Entry;

use super::Replica;
use super::follow::{Failure, refused, unexpected};
use super::origin::{Answer, segment};
use crate::auth::summary::PublisherSummary;
use crate::store::{StoredPackage, StoredTemplate};

/// The `publisher` summary a record showed: `Some(None)` when it showed none, `None` when the record was not served
/// (a taken-down version).
pub(super) type Shown = Option<Option<PublisherSummary>>;

/// A checked version, ready to store, with the owner its record showed.
#[derive(Debug)]
pub(super) enum Fetched {
    Package(StoredPackage, Shown),
    Template(StoredTemplate, Shown),
}

/// The record's `publisher` member. Errors: a member without the summary's shape or with values the store refuses.
fn shown(record: &Value, name: &str) -> Result<Option<PublisherSummary>, Failure> {
    let summary = match record.get("publisher") {
        None | Some(Value::Null) => return Ok(None),
        Some(value) => serde_json::from_value::<PublisherSummary>(value.clone()).map_err(|e| {
            refused(
                "version_not_verified",
                format!("{name}: the record's publisher: {e}"),
            )
        })?,
    };
    let known = [
        (
            "publisher_type",
            summary.publisher_type.as_str(),
            &["individual", "organization", "official"][..],
        ),
        (
            "status",
            summary.status.as_str(),
            &["active", "pending_review", "suspended"][..],
        ),
        (
            "trust_level",
            summary.trust_level.as_str(),
            &["unverified", "verified", "official"][..],
        ),
    ];
    for (field, value, allowed) in known {
        if !allowed.contains(&value) {
            return Err(refused(
                "version_not_verified",
                format!("{name}: the record's publisher has an unknown {field} {value:?}"),
            ));
        }
    }
    Ok(Some(summary))
}

fn version_path(artifact: Artifact, id: &str, version: &str) -> String {
    let route = match artifact {
        Artifact::Package => "packages",
        Artifact::Template => "templates",
    };
    format!("/{route}/{}/{}", segment(id), segment(version))
}

async fn get_json(replica: &Replica, path: &str, what: &str) -> Result<Value, Failure> {
    json_of(replica.origin.get(path).await, what)
}

/// An answer that must be 200 with JSON, parsed.
fn json_of(answer: Result<super::origin::Answer, String>, what: &str) -> Result<Value, Failure> {
    let answer = answer.map_err(Failure::Transient)?;
    if answer.status != 200 {
        return Err(unexpected(what, &answer));
    }
    let value = verifier::json::parse_strict(&answer.body).map_err(|e| {
        refused(
            "version_not_verified",
            format!("{what} does not parse: {e}"),
        )
    })?;
    Ok(value)
}

/// The bytes a bulk route served, as a 200 of `path`; else `path`'s answer.
async fn served(replica: &Replica, path: String, bulk: Option<Vec<u8>>) -> Result<Answer, String> {
    match bulk {
        Some(body) => Ok(Answer { status: 200, body }),
        None => replica.origin.get(&path).await,
    }
}

/// Fetches and checks one logged version (`None`: the origin withdrew it, 410). `expected`: the last lifecycle
/// entry of this version in the batch (the record's lifecycle must be its; `active` without one). `bulk`: the
/// record's and the receipt's bytes as a bulk route served them (see [`super::bulk`]), each used as the 200 answer
/// of its own route would be; what is `None` is fetched from the version's route.
pub(super) async fn fetch_version(
    replica: &Replica,
    (artifact, id, version): (Artifact, &str, &str),
    logged: &[u8],
    expected: Option<&Entry>,
    bulk: (Option<Vec<u8>>, Option<Vec<u8>>),
) -> Result<Option<Fetched>, Failure> {
    let base = version_path(artifact, id, version);
    let name = base.clone();
    // The record, receipt and lock at once (the receipt and lock are not used when the record answers 410).
    let record_path = format!("{base}?allow_yanked=true");
    let receipt_path = format!("{base}/receipt");
    let lock_path = format!("{base}/lock?allow_yanked=true");
    let lock_fetch = async {
        match artifact {
            Artifact::Package => replica.origin.get(&lock_path).await.map(Some),
            Artifact::Template => Ok(None),
        }
    };
    let (bulk_record, bulk_receipt) = bulk;
    let (record, receipt, lock) = tokio::join!(
        served(replica, record_path, bulk_record),
        served(replica, receipt_path, bulk_receipt),
        lock_fetch
    );
    let record = record.map_err(Failure::Transient)?;
    if record.status == 410 && artifact == Artifact::Package {
        return taken_down(replica, &base, &record.body, logged, expected).await;
    }
    if record.status == 410 {
        return Ok(None);
    }
    if record.status != 200 {
        return Err(unexpected(&name, &record));
    }
    let record_value = verifier::json::parse_strict(&record.body).map_err(|e| {
        refused(
            "version_not_verified",
            format!("{name}: the record does not parse: {e}"),
        )
    })?;
    let receipt_value = json_of(receipt, &format!("{name}/receipt"))?;
    let lock = match lock.map_err(Failure::Transient)? {
        Some(answer) => Some(json_of(Ok(answer), &format!("{name}/lock"))?),
        None => None,
    };
    let served = Served {
        artifact,
        id,
        version,
        record: &record_value,
        receipt: &receipt_value,
        lock: lock.as_ref(),
        logged,
    };
    let mut checked = verifier::mirror::check_version(&served, &replica.mirror.keys);
    if let Some(receipt) = &checked.receipt {
        verifier::mirror::legacy_rule(receipt, replica.mirror.allow_legacy, &mut checked.checks);
    }
    if !checked.checks.all_passed() {
        let failed: Vec<String> = checked
            .checks
            .failures()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(refused(
            "version_not_verified",
            format!("{name}: {}", failed.join("; ")),
        ));
    }
    let malformed = |e: String| refused("version_not_verified", format!("{name}: {e}"));
    match artifact {
        Artifact::Package => {
            let receipt = verifier::record::object_into(receipt_value, "a receipt")
                .map_err(|e| malformed(e.to_string()))?;
            let p = super::build::package(&record.body, &receipt).map_err(malformed)?;
            same_lifecycle(&name, &p.lifecycle, expected)?;
            let owner = shown(&record_value, &name)?;
            Ok(Some(Fetched::Package(p, Some(owner))))
        }
        Artifact::Template => {
            let receipt = verifier::record::object_into(receipt_value, "a template receipt")
                .map_err(|e| malformed(e.to_string()))?;
            let t = super::build::template(&record.body, &receipt).map_err(malformed)?;
            let owner = shown(&record_value, &name)?;
            Ok(Some(Fetched::Template(t, Some(owner))))
        }
    }
}

/// A package version the origin answers 410 for (taken down before this replica fetched it): its receipt (served
/// still) must be the one the log holds, byte for byte in every logged value, signature included, and the 410's
/// lifecycle the one logged last. Stored without documents, so that every route answers as the origin does (410
/// for the record, lock, download and page; the receipt).
async fn taken_down(
    replica: &Replica,
    base: &str,
    gone: &[u8],
    logged: &[u8],
    expected: Option<&Entry>,
) -> Result<Option<Fetched>, Failure> {
    let gone: Value = verifier::json::parse_strict(gone).map_err(|e| {
        refused(
            "version_not_verified",
            format!("{base}: the 410 does not parse: {e}"),
        )
    })?;
    let lifecycle: Lifecycle = gone
        .get("lifecycle")
        .cloned()
        .map(serde_json::from_value)
        .transpose()
        .map_err(|e| {
            refused(
                "version_not_verified",
                format!("{base}: the 410's lifecycle: {e}"),
            )
        })?
        .unwrap_or_default();
    same_lifecycle(base, &lifecycle, expected)?;
    let receipt = get_json(
        replica,
        &format!("{base}/receipt"),
        &format!("{base}/receipt"),
    )
    .await?;
    let receipt: verifier::receipt::Receipt =
        verifier::record::object_into(receipt, "a receipt")
            .map_err(|e| refused("version_not_verified", format!("{base}/receipt: {e}")))?;
    let mut p = super::build::taken_down(&receipt, logged, lifecycle)
        .map_err(|e| refused("version_not_verified", format!("{base}: {e}")))?;
    listed_summary(replica, &mut p).await?;
    Ok(Some(Fetched::Package(p, None)))
}

/// A taken-down version's listing summary as the origin's `/publications` shows it: the references and the
/// publication time (display data the log does not hold) are taken; the logged values it repeats must agree.
async fn listed_summary(replica: &Replica, p: &mut StoredPackage) -> Result<(), Failure> {
    let path = format!(
        "/publications?package_id={}&lifecycle=takedown&limit=1000",
        segment(&p.package_id)
    );
    let listing = get_json(replica, &path, &path).await?;
    let item = listing
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|i| i.get("package_version").and_then(Value::as_str) == Some(&p.package_version));
    let Some(item) = item else {
        // The version may have changed since its record was read: retried.
        return Err(Failure::Transient(format!(
            "{path}: {}@{} is not listed as taken down",
            p.package_id, p.package_version
        )));
    };
    let text = |name: &str| {
        item.get(name)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    for (name, logged) in [
        ("contract_signature", &p.contract_signature),
        ("publisher_id", &p.publisher_id),
        ("publisher_type", &p.publisher_type),
    ] {
        if text(name) != *logged {
            return Err(refused(
                "version_not_verified",
                format!(
                    "{path}: {name} {:?} is not the logged {logged:?}",
                    text(name)
                ),
            ));
        }
    }
    p.project_ref = text("project_ref");
    p.product_revision_ref = text("product_revision_ref");
    p.developer_revision_ref = text("developer_revision_ref");
    p.published_at = text("published_at");
    p.card = Some(crate::cards::package_card(p));
    Ok(())
}

/// The served lifecycle must be the one the log last recorded (status, reason, actor and time; `active` when it
/// recorded none). A
/// mismatch is retried, not refused: the origin may have changed the version since its checkpoint was read (the
/// change's entry is then in the next checkpoint); an origin that keeps serving another status is never followed
/// past it.
fn same_lifecycle(name: &str, served: &Lifecycle, expected: Option<&Entry>) -> Result<(), Failure> {
    let logged = expected.and_then(|e| e.get("status")).unwrap_or("active");
    let same_details = expected.is_none_or(|e| {
        e.get("reason").unwrap_or("") == served.reason
            && e.get("actor").unwrap_or("") == served.updated_by
            && e.get("at").unwrap_or("") == served.updated_at
    });
    if served.status.as_str() == logged && same_details {
        Ok(())
    } else {
        Err(Failure::Transient(format!(
            "{name}: the origin serves lifecycle {:?}, its log last recorded {logged:?}",
            served.status.as_str()
        )))
    }
}

/// The lifecycle to store for an already stored version the batch changed: the served one (its status the logged
/// one), or the logged one when the origin no longer serves the version (410).
pub(super) async fn replayed_lifecycle(
    replica: &Replica,
    id: &str,
    version: &str,
    entry: &Entry,
) -> Result<Lifecycle, Failure> {
    let name = version_path(Artifact::Package, id, version);
    let answer = replica
        .origin
        .get(&format!("{name}?allow_yanked=true"))
        .await
        .map_err(Failure::Transient)?;
    if answer.status == 410 {
        let field = |k: &str| entry.get(k).unwrap_or("").to_owned();
        return Ok(Lifecycle {
            status: verifier::lifecycle::LifecycleStatus::parse(&field("status")),
            reason: field("reason"),
            replacement: None,
            updated_at: field("at"),
            updated_by: field("actor"),
        });
    }
    if answer.status != 200 {
        return Err(unexpected(&name, &answer));
    }
    let lifecycle = super::build::lifecycle(&answer.body)
        .map_err(|e| refused("version_not_verified", format!("{name}: {e}")))?;
    same_lifecycle(&name, &lifecycle, Some(entry))?;
    Ok(lifecycle)
}
