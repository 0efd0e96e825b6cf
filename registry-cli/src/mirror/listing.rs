//! The mirror's folder layout and listing files. A version lives at `packages/<id>/<version>/` with the id's `/` as
//! folders (what a static file server maps the `%2F`-encoded API path to, as it decodes the whole path first); the
//! listings a static server must answer are written whole, every page merged, and only name versions the mirror
//! holds: `publications` (the unpaged `GET /publications` ANIP's clients call), `templates/index.html`
//! (`GET /templates`) and `<route>/<id>/index.html` (`GET /packages/{id}`, `GET /templates/{id}`, one page,
//! `next_cursor: null`). A static server ignores the query, so a paged request gets the whole listing in one page.

use std::collections::HashSet;
use std::path::Path;

use serde_json::Value;

use super::version::Key;
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};

/// Most pages of one id's versions read (1,000 versions a page).
const MAX_PAGES: usize = 10_000;

/// Checks that every logged version maps to its own folder: a valid id and version (so no path leaves the tree),
/// and no id whose folder would fall inside another version's folder or onto a listing file (`acme/1.0.0` next to
/// `acme@1.0.0`, `acme/index.html` next to `acme`) — a static server could not tell those requests apart.
///
/// Errors: the offending versions, one per line.
pub fn check_layout<'a>(
    keys: impl Iterator<Item = &'a Key> + Clone,
) -> std::result::Result<(), String> {
    let versions: HashSet<(&str, &str, &str)> = keys
        .clone()
        .map(|k| (k.route, k.id.as_str(), k.version.as_str()))
        .collect();
    let ids: HashSet<(&str, &str)> = versions.iter().map(|(r, i, _)| (*r, *i)).collect();
    let mut problems = Vec::new();
    for key in keys {
        if !verifier::validate::is_valid_artifact_id(&key.id)
            || !verifier::version::is_valid(&key.version)
        {
            problems.push(format!("{} is not a valid id and version", key.describe()));
            continue;
        }
        // Every `/` of the id splits it into a parent path and the segment after it.
        for (at, _) in key.id.match_indices('/') {
            let (parent, segment) = (&key.id[..at], key.id[at + 1..].split('/').next());
            let Some(segment) = segment else { continue };
            if versions.contains(&(key.route, parent, segment)) {
                problems.push(format!(
                    "{}: its folder lies inside the folder of {} {parent}@{segment}",
                    key.describe(),
                    key.route.trim_end_matches('s')
                ));
            } else if segment == "index.html" && ids.contains(&(key.route, parent)) {
                problems.push(format!(
                    "{}: its folder is the version listing of {parent}",
                    key.describe()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("\n"))
    }
}

/// Whether the mirror holds `route`'s version `id@version` (its folder has its record); never for a listed id or
/// version that is not valid (no path outside the tree is looked at).
fn held(api: &Path, route: &str, id: &str, version: &str) -> bool {
    verifier::validate::is_valid_artifact_id(id)
        && verifier::version::is_valid(version)
        && api
            .join(route)
            .join(id)
            .join(version)
            .join("index.html")
            .is_file()
}

fn listed(item: &Value, field: &str) -> String {
    item.get(field)
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned()
}

fn parse(bytes: &[u8], path: &str) -> Result<Value> {
    verifier::json::parse_strict(bytes)
        .map_err(|e| CliError::CouldNotRun(format!("{path} from the origin does not parse: {e}")))
}

/// Every version of `route`'s `id`, every page read and merged into one page (`next_cursor: null`) naming only
/// versions the mirror holds, written to `<route>/<id>/index.html`. An id the origin no longer lists (404) gets no
/// listing file.
///
/// Errors: the origin unreadable, a page that does not parse, too many pages; I/O (exit 1).
pub fn write_versions(origin: &Registry, api: &Path, route: &str, id: &str) -> Result<()> {
    let version_field = if route == "templates" {
        "template_version"
    } else {
        "package_version"
    };
    let base = format!("/{route}/{}?limit=1000", encode_segment(id));
    let mut merged: Option<Value> = None;
    let mut versions = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let path = match &cursor {
            Some(c) => format!("{base}&cursor={}", encode_segment(c)),
            None => base.clone(),
        };
        let page = match origin.get_bytes(&path)? {
            Ok(bytes) => parse(&bytes, &path)?,
            Err(f) if f.status == 404 && merged.is_none() => return Ok(()),
            Err(f) => return Err(CliError::CouldNotRun(format!("{path}: {}", f.describe()))),
        };
        versions.extend(
            page.get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter(|v| held(api, route, id, &listed(v, version_field)))
                .cloned(),
        );
        cursor = page
            .get("next_cursor")
            .and_then(Value::as_str)
            .map(str::to_owned);
        merged.get_or_insert(page);
        if cursor.is_none() {
            let mut merged = merged.unwrap_or_default();
            merged["versions"] = Value::Array(versions);
            merged["next_cursor"] = Value::Null;
            let bytes = serde_json::to_vec(&merged)
                .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
            let file = api.join(route).join(id).join("index.html");
            return super::write::atomic_file(&file, &bytes);
        }
    }
    Err(CliError::CouldNotRun(format!(
        "{route}/{id} lists more than {MAX_PAGES} pages of versions"
    )))
}

/// The unpaged top-level listing `path` (`/publications` or `/templates`) as ANIP's clients read it, keeping only
/// items the mirror holds, written to `file`.
///
/// Errors: the origin unreadable or its answer unparsable; I/O (exit 1).
pub fn write_top(origin: &Registry, api: &Path, path: &str, file: &Path) -> Result<()> {
    let (route, id_field, version_field) = if path == "/templates" {
        ("templates", "template_id", "template_version")
    } else {
        ("packages", "package_id", "package_version")
    };
    let bytes = origin
        .get_bytes(path)?
        .map_err(|f| CliError::CouldNotRun(format!("{path}: {}", f.describe())))?;
    let mut listing = parse(&bytes, path)?;
    let items: Vec<Value> = listing
        .get("items")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|i| held(api, route, &listed(i, id_field), &listed(i, version_field)))
        .cloned()
        .collect();
    listing["items"] = Value::Array(items);
    let bytes =
        serde_json::to_vec(&listing).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
    super::write::atomic_file(file, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(route: &'static str, id: &str, version: &str) -> Key {
        Key {
            route,
            id: id.into(),
            version: version.into(),
        }
    }

    #[test]
    fn layouts_that_a_static_server_could_not_tell_apart_are_refused() {
        let fine = [
            key("packages", "acme", "1.0.0"),
            key("packages", "acme/tool", "1.0.0"),
            key("templates", "acme/1.0.0", "2.0.0"),
        ];
        assert_eq!(check_layout(fine.iter()), Ok(()));
        for bad in [
            vec![
                key("packages", "acme", "1.0.0"),
                key("packages", "acme/1.0.0", "2.0.0"),
            ],
            vec![
                key("packages", "acme", "1.0.0"),
                key("packages", "acme/1.0.0/receipt", "2.0.0"),
            ],
            vec![
                key("packages", "acme", "1.0.0"),
                key("packages", "acme/index.html", "1.0.0"),
            ],
            vec![key("packages", "../etc", "1.0.0")],
            vec![key("packages", "acme", "../../x")],
            vec![key("packages", "Acme%2Fx", "1.0.0")],
        ] {
            assert!(check_layout(bad.iter()).is_err(), "{bad:?}");
        }
    }
}
