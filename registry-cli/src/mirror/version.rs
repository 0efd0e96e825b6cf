//! One version of the origin, fetched through the record routes (never `/download`, so no download is counted),
//! checked (every trust check `verify` runs, the entry rebuilt from the receipt is the logged one, the lock names
//! the receipt's digests and signature) and staged as a folder of the API's files.

use std::path::Path;

use serde_json::Value;
use verifier::mirror::{Artifact, Checked, Served};
use verifier::tlog::Entry;

use crate::check::Policy;
use crate::client::{ApiFailure, Registry, encode_segment};
use crate::error::{CliError, Result};
use crate::trust::{RegistryKeys, TrustedKeys};

/// A package or template version named by the log.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// `packages` or `templates` (the API's route).
    pub route: &'static str,
    /// Its id.
    pub id: String,
    /// Its version.
    pub version: String,
}

impl Key {
    /// The version a version entry names.
    pub fn of_entry(entry: &Entry) -> Option<Key> {
        let (route, f, id, version) = match entry {
            Entry::PackageVersion(f) => ("packages", f, "package_id", "package_version"),
            Entry::TemplateVersion(f) => ("templates", f, "template_id", "template_version"),
            _ => return None,
        };
        Some(Key {
            route,
            id: f.get(id)?.clone(),
            version: f.get(version)?.clone(),
        })
    }

    /// The version a lifecycle entry changes.
    pub fn of_lifecycle(entry: &Entry) -> Option<Key> {
        let Entry::Lifecycle(f) = entry else {
            return None;
        };
        let route = match f.get("artifact")?.as_str() {
            "package" => "packages",
            "template" => "templates",
            _ => return None,
        };
        Some(Key {
            route,
            id: f.get("id")?.clone(),
            version: f.get("version")?.clone(),
        })
    }

    /// `/packages/<id>/<version>` (each one percent-encoded segment).
    pub fn path(&self) -> String {
        format!(
            "/{}/{}/{}",
            self.route,
            encode_segment(&self.id),
            encode_segment(&self.version)
        )
    }

    /// Where the version's folder lies under `registry-api/v1`: `packages/<id>/<version>` with the id's `/` as
    /// folders and nothing percent-encoded — the path a static file server maps `/packages/<id %2F-encoded>/<v>`
    /// to, since it decodes the request path (`%2F` too) before it looks for a file (see [`crate::folder`]).
    pub fn dir(&self) -> String {
        format!("{}/{}/{}", self.route, self.id, self.version)
    }

    /// `package id@version` or `template id@version`.
    pub fn describe(&self) -> String {
        format!(
            "{} {}@{}",
            self.route.trim_end_matches('s'),
            self.id,
            self.version
        )
    }
}

/// What the trust checks need.
#[derive(Debug)]
pub struct Judge<'a> {
    /// The origin.
    pub origin: &'a Registry,
    /// Keys the receipts must verify against.
    pub trusted: &'a TrustedKeys,
    /// The origin's `/keys`.
    pub registry_keys: &'a RegistryKeys,
    /// Legacy receipts and the signing mode, as `verify` takes them.
    pub policy: &'a Policy,
}

/// The outcome of one version.
#[derive(Debug, Clone, Copy)]
pub enum Staged {
    /// Checked and written under the staging folder.
    Written,
    /// Withdrawn by the origin (410): removed from the mirror.
    Withdrawn,
}

fn get(origin: &Registry, path: &str) -> Result<std::result::Result<Vec<u8>, ApiFailure>> {
    origin.get_bytes(path)
}

fn json(bytes: &[u8], what: &str) -> std::result::Result<Value, String> {
    verifier::json::parse_strict(bytes).map_err(|e| format!("{what} does not parse: {e}"))
}

/// Fetches, checks and stages `key` (logged as `logged`) into `staged`. `Err(CheckFailed)` names the evidence.
/// `bulk`: the record's and receipt's bytes a bulk route served (see [`super::bulk`]), each used as its own
/// route's 200 answer would be; what is `None` is fetched from the version's route.
///
/// Errors: [`CliError::CheckFailed`] when a check fails; [`CliError::CouldNotRun`] when the origin cannot be read.
pub fn fetch_and_stage(
    judge: &Judge<'_>,
    key: &Key,
    (index, logged): (u64, &[u8]),
    (bulk_record, bulk_receipt): super::bulk::Served,
    staged: &Path,
) -> Result<Staged> {
    let index_text = index.to_string();
    let base = key.path();
    let refuse = |why: String| CliError::CheckFailed(format!("{}: {why}", key.describe()));
    let record_bytes = match bulk_record {
        Some(bytes) => bytes,
        None => match get(judge.origin, &format!("{base}?allow_yanked=true"))? {
            Ok(bytes) => bytes,
            Err(f) if f.status == 410 => return Ok(Staged::Withdrawn),
            Err(f) => return Err(refuse(format!("record: {}", f.describe()))),
        },
    };
    let receipt_bytes = match bulk_receipt {
        Some(bytes) => bytes,
        None => get(judge.origin, &format!("{base}/receipt"))?
            .map_err(|f| refuse(format!("receipt: {}", f.describe())))?,
    };
    let record_value = json(&record_bytes, "the record").map_err(&refuse)?;
    let receipt_value = json(&receipt_bytes, "the receipt").map_err(&refuse)?;
    let lock = if key.route == "templates" {
        None
    } else {
        let bytes = get(judge.origin, &format!("{base}/lock?allow_yanked=true"))?
            .map_err(|f| refuse(format!("lock: {}", f.describe())))?;
        let value = json(&bytes, "the lock").map_err(&refuse)?;
        Some((bytes, value))
    };
    let served = Served {
        artifact: if key.route == "templates" {
            Artifact::Template
        } else {
            Artifact::Package
        },
        id: &key.id,
        version: &key.version,
        record: &record_value,
        receipt: &receipt_value,
        lock: lock.as_ref().map(|(_, value)| value),
        logged,
    };
    // The pure checks (shared with the server's replica), then this command's own policy.
    let Checked {
        mut checks,
        receipt,
    } = verifier::mirror::check_version(&served, &judge.trusted.keys);
    crate::check::pin_check(judge.trusted, judge.registry_keys, &mut checks);
    if let Some(receipt) = &receipt {
        crate::check::receipt_policy(receipt, &judge.trusted.keys, judge.policy, &mut checks);
    }
    crate::check::check_mode(judge.registry_keys, judge.policy, &mut checks);
    if !checks.all_passed() {
        let failed: Vec<String> = checks
            .failures()
            .map(|c| format!("{}: {}", c.name, c.detail))
            .collect();
        return Err(refuse(failed.join("; ")));
    }
    let mut files: Vec<(&str, &[u8])> = vec![
        ("index.html", &record_bytes),
        ("receipt", &receipt_bytes),
        ("log_index", index_text.as_bytes()),
    ];
    if let Some((bytes, _)) = &lock {
        files.push(("lock", bytes));
    }
    crate::mirror::write::stage_dir(staged, &files)?;
    Ok(Staged::Written)
}
