//! One logged version fetched from the origin through the record routes (never `/download`) and checked by
//! `verifier::mirror` before it may be stored, and the lifecycle a batch replays onto a version stored before.

use serde_json::Value;
use verifier::mirror::{Artifact, Served};
use verifier::record::Lifecycle;
use verifier::tlog::Entry;

use super::Replica;
use super::follow::{Failure, refused, unexpected};
use super::origin::segment;
use crate::store::{StoredPackage, StoredTemplate};

/// A checked version, ready to store.
#[derive(Debug)]
pub(super) enum Fetched {
    Package(StoredPackage),
    Template(StoredTemplate),
}

fn version_path(artifact: Artifact, id: &str, version: &str) -> String {
    let route = match artifact {
        Artifact::Package => "packages",
        Artifact::Template => "templates",
    };
    format!("/{route}/{}/{}", segment(id), segment(version))
}

async fn get_json(replica: &Replica, path: &str, what: &str) -> Result<(Vec<u8>, Value), Failure> {
    let answer = replica.origin.get(path).await.map_err(Failure::Transient)?;
    if answer.status != 200 {
        return Err(unexpected(what, &answer));
    }
    let value = verifier::json::parse_strict(&answer.body).map_err(|e| {
        refused(
            "version_not_verified",
            format!("{what} does not parse: {e}"),
        )
    })?;
    Ok((answer.body, value))
}

/// Fetches and checks one logged version (`None`: the origin withdrew it, 410). `expected`: the last lifecycle
/// entry of this version in the batch (the record's lifecycle must be its; `active` without one).
pub(super) async fn fetch_version(
    replica: &Replica,
    artifact: Artifact,
    id: &str,
    version: &str,
    logged: &[u8],
    expected: Option<&Entry>,
) -> Result<Option<Fetched>, Failure> {
    let base = version_path(artifact, id, version);
    let name = base.clone();
    let record = replica
        .origin
        .get(&format!("{base}?allow_yanked=true"))
        .await
        .map_err(Failure::Transient)?;
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
    let (_, receipt_value) = get_json(
        replica,
        &format!("{base}/receipt"),
        &format!("{name}/receipt"),
    )
    .await?;
    let lock = match artifact {
        Artifact::Package => Some(
            get_json(
                replica,
                &format!("{base}/lock?allow_yanked=true"),
                &format!("{name}/lock"),
            )
            .await?
            .1,
        ),
        Artifact::Template => None,
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
            Ok(Some(Fetched::Package(p)))
        }
        Artifact::Template => {
            let receipt = verifier::record::object_into(receipt_value, "a template receipt")
                .map_err(|e| malformed(e.to_string()))?;
            let t = super::build::template(&record.body, &receipt).map_err(malformed)?;
            Ok(Some(Fetched::Template(t)))
        }
    }
}

/// The served lifecycle's status must be the one the log last recorded (`active` when it recorded none). A
/// mismatch is retried, not refused: the origin may have changed the version since its checkpoint was read (the
/// change's entry is then in the next checkpoint); an origin that keeps serving another status is never followed
/// past it.
fn same_lifecycle(name: &str, served: &Lifecycle, expected: Option<&Entry>) -> Result<(), Failure> {
    let logged = expected.and_then(|e| e.get("status")).unwrap_or("active");
    if served.status.as_str() == logged {
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
