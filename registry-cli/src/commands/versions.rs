//! Which version `ID@SPEC` names: an exact version, `latest` (the highest that is not a pre-release, yanked or taken
//! down) or a SemVer requirement (`^1.2`, `~1.4`, `>=1, <2`), chosen from the registry's list of the id's versions
//! (`GET /packages/{id}`, `GET /templates/{id}`) with the verifier's pinned `semver` rules.

use serde_json::Value;

use super::rules::Kind;
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};

/// The most pages of versions read for one id.
const MAX_PAGES: usize = 100;

/// What `ID@SPEC` asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Spec {
    /// One exact version.
    Exact(String),
    /// The highest usable release.
    Latest,
    /// The highest usable version matching a requirement.
    Requirement(String),
}

/// Splits `id@spec` at the last `@`; `id` alone means `latest` when `bare_is_latest`.
pub fn split(package: &str, bare_is_latest: bool) -> Result<(String, Spec)> {
    let (id, spec) = match package.rsplit_once('@') {
        Some((id, spec)) if !id.is_empty() && !spec.is_empty() => (id, spec),
        None if bare_is_latest && !package.is_empty() => (package, "latest"),
        _ => {
            return Err(CliError::Usage(format!(
                "{package:?} is not <id>@<version> (a version, `latest` or a SemVer requirement such as ^1.2)"
            )));
        }
    };
    let spec = if spec == "latest" {
        Spec::Latest
    } else if verifier::version::parse(spec).is_ok() {
        Spec::Exact(spec.to_owned())
    } else {
        verifier::version::parse_requirement(spec).map_err(|e| {
            let exact = verifier::version::parse(spec).err().map(|v| v.code());
            CliError::Usage(format!(
                "{package:?}: {spec:?} is neither a SemVer 2.0 version ({}) nor a requirement ({e})",
                exact.unwrap_or("invalid_version")
            ))
        })?;
        Spec::Requirement(spec.to_owned())
    };
    Ok((id.to_owned(), spec))
}

/// One listed version.
#[derive(Debug, Clone)]
pub struct Listed {
    /// The version.
    pub version: String,
    /// Its lifecycle (`active` for templates, which have none).
    pub lifecycle: verifier::lifecycle::LifecycleStatus,
    /// The listing entry as served.
    pub entry: Value,
}

/// The versions of one id, as the registry lists them.
#[derive(Debug, Clone)]
pub struct Listing {
    /// The registry's `latest`.
    pub latest: Option<String>,
    /// Every version text.
    pub versions: Vec<String>,
    /// Every entry.
    pub entries: Vec<Listed>,
}

/// Reads every page of `GET /packages/{id}` (or `/templates/{id}`).
pub fn listed(registry: &Registry, kind: Kind, id: &str) -> Result<Listing> {
    let (route, version_key) = match kind {
        Kind::Template => ("templates", "template_version"),
        Kind::Request | Kind::Bundle => ("packages", "package_version"),
    };
    let mut listing = Listing {
        latest: None,
        versions: Vec::new(),
        entries: Vec::new(),
    };
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let mut path = format!("/{route}/{}", encode_segment(id));
        if let Some(c) = &cursor {
            path.push_str(&format!("?cursor={}", encode_segment(c)));
        }
        let page = registry.get(&path)?.map_err(|f| {
            if f.status == 404 {
                CliError::CouldNotRun(format!(
                    "{id}: no such {}: {}",
                    kind.artifact(),
                    f.describe()
                ))
            } else {
                CliError::CouldNotRun(format!("listing the versions of {id}: {}", f.describe()))
            }
        })?;
        if listing.latest.is_none() {
            listing.latest = page
                .get("latest")
                .and_then(Value::as_str)
                .map(str::to_owned);
        }
        for entry in page
            .get("versions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = |k: &str| {
                entry
                    .get(k)
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned()
            };
            let version = text(version_key);
            listing.versions.push(version.clone());
            listing.entries.push(Listed {
                version,
                lifecycle: verifier::lifecycle::LifecycleStatus::parse(
                    entry
                        .pointer("/lifecycle/status")
                        .and_then(Value::as_str)
                        .unwrap_or("active"),
                ),
                entry: entry.clone(),
            });
        }
        cursor = page
            .get("next_cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        if cursor.is_none() {
            return Ok(listing);
        }
    }
    Err(CliError::CouldNotRun(format!(
        "{id} lists more than {MAX_PAGES} pages of versions"
    )))
}

/// Whether a listed version may be chosen by `latest` or a requirement: current (not yanked, taken down or in a
/// state this registry does not set), as the registry's own `latest` is chosen.
fn usable(entry: &Listed) -> bool {
    entry.lifecycle.is_usable(false)
}

/// The exact version `spec` names for `id`: an exact version as it is; `latest` and requirements from the
/// registry's list (the highest usable match).
pub fn choose(registry: &Registry, kind: Kind, id: &str, spec: &Spec) -> Result<String> {
    let requirement = match spec {
        Spec::Exact(version) => return Ok(version.clone()),
        Spec::Latest => None,
        Spec::Requirement(text) => Some(
            verifier::version::parse_requirement(text)
                .map_err(|e| CliError::Usage(format!("{text:?}: {e}")))?,
        ),
    };
    let listing = listed(registry, kind, id)?;
    choose_in(&listing, id, spec, requirement.as_ref())
}

/// [`choose`] among the versions of `listing` (`requirement`: the parsed [`Spec::Requirement`]).
pub fn choose_in(
    listing: &Listing,
    id: &str,
    spec: &Spec,
    requirement: Option<&verifier::version::VersionReq>,
) -> Result<String> {
    if let Spec::Exact(version) = spec {
        return Ok(version.clone());
    }
    let chosen = listing
        .entries
        .iter()
        .filter(|e| usable(e))
        .filter_map(|e| verifier::version::parse(&e.version).ok().map(|v| (e, v)))
        .filter(|(_, v)| match requirement {
            // `latest`: a release, never a pre-release.
            None => v.pre.is_empty(),
            Some(req) => req.matches(v),
        })
        .max_by(|(a, _), (b, _)| verifier::version::compare(&a.version, &b.version))
        .map(|(e, _)| e.version.clone());
    chosen.ok_or_else(|| {
        let wanted = match spec {
            Spec::Requirement(text) => format!("matching {text}"),
            _ => "that is a release (not a pre-release, yanked or taken down)".to_owned(),
        };
        CliError::check_failed(
            "no_matching_version",
            format!("{id} has no usable version {wanted}"),
            vec![crate::error::Problem::text(format!(
                "listed: {}",
                if listing.versions.is_empty() {
                    "none".to_owned()
                } else {
                    listing.versions.join(", ")
                }
            ))],
        )
    })
}

/// The next patch release after `version` (`1.2.3` → `1.2.4`; `1.3.0-rc.1` → `1.3.0`).
pub fn next_patch(version: &str) -> String {
    match verifier::version::parse(version) {
        Ok(mut v) => {
            if v.pre.is_empty() {
                v.patch = v.patch.saturating_add(1);
            }
            v.pre = verifier::version::Prerelease::EMPTY;
            v.build = verifier::version::BuildMetadata::EMPTY;
            v.to_string()
        }
        Err(_) => "a higher version".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_and_next_versions() {
        assert_eq!(
            split("a@1.2.3", false).unwrap().1,
            Spec::Exact("1.2.3".into())
        );
        assert_eq!(split("a@latest", false).unwrap().1, Spec::Latest);
        assert_eq!(
            split("ns/a@^1.2", false).unwrap(),
            ("ns/a".into(), Spec::Requirement("^1.2".into()))
        );
        assert_eq!(split("a", true).unwrap().1, Spec::Latest);
        assert!(matches!(split("a", false), Err(CliError::Usage(_))));
        assert!(matches!(split("a@1.2.x.y", false), Err(CliError::Usage(_))));
        assert_eq!(next_patch("1.2.3"), "1.2.4");
        assert_eq!(next_patch("1.3.0-rc.1+b"), "1.3.0");
    }
}
