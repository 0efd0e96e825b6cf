//! `registry search TEXT` (the registry's `?q=` search over ids, names, descriptions, capabilities and publishers)
//! and `registry info ID[@SPEC]` (an id's versions, latest, lifecycle, owner and the digests of one version).

use serde_json::{Map, Value, json};

use super::registry;
use super::rules::Kind;
use super::versions::{self, Spec};
use crate::cli::RegistryArg;
use crate::client::{Registry, encode_segment};
use crate::error::{CliError, Result};
use crate::output::{Format, safe};

/// The digest fields `info` shows of a package version, and of a template version.
const PACKAGE_DIGESTS: [&str; 4] = [
    "definition_digest",
    "manifest_digest",
    "lock_digest",
    "package_execution_signature",
];
const TEMPLATE_DIGESTS: [&str; 3] = ["manifest_digest", "template_digest", "package_digest"];

fn kind_of(template: bool) -> Kind {
    if template {
        Kind::Template
    } else {
        Kind::Request
    }
}

fn text(v: &Value, key: &str) -> String {
    v.get(key).and_then(Value::as_str).unwrap_or("").to_owned()
}

/// Runs `registry search`: one page of matching versions (`--limit`, at most 1000).
pub fn search(
    query: &str,
    registry_arg: &RegistryArg,
    template: bool,
    limit: u32,
    format: Format,
) -> Result<()> {
    let registry = registry(registry_arg, None)?;
    let (route, id_key, version_key) = if template {
        ("templates", "template_id", "template_version")
    } else {
        ("publications", "package_id", "package_version")
    };
    let path = format!("/{route}?q={}&limit={limit}", encode_segment(query));
    let page = registry
        .get(&path)?
        .map_err(|f| CliError::CouldNotRun(format!("searching for {query:?}: {}", f.describe())))?;
    let items = page
        .get("items")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if format == Format::Json {
        crate::output::print_json(&json!({
            "query": query, "items": items, "next_cursor": page.get("next_cursor").cloned().unwrap_or(Value::Null),
        }));
        return Ok(());
    }
    if items.is_empty() {
        crate::errln!("nothing matches {:?}", safe(query));
        return Ok(());
    }
    let rows: Vec<[String; 4]> = items
        .iter()
        .map(|item| {
            [
                format!("{}@{}", text(item, id_key), text(item, version_key)),
                item.pointer("/lifecycle/status")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_owned(),
                text(item, "publisher_id"),
                text(item, "published_at"),
            ]
        })
        .collect();
    let width = rows.iter().map(|r| r[0].len()).max().unwrap_or(0);
    for [name, lifecycle, publisher, published] in rows {
        crate::outln!(
            "{:<width$}  {:<10}  {:<20}  {}",
            safe(&name),
            safe(&lifecycle),
            safe(&publisher),
            safe(&published)
        );
    }
    if page.get("next_cursor").is_some_and(|c| !c.is_null()) {
        crate::errln!("more matches: raise --limit or narrow the search");
    }
    Ok(())
}

/// The record of `id@version` (yanked ones included); `None` when it was taken down.
fn record(registry: &Registry, kind: Kind, id: &str, version: &str) -> Result<Option<Value>> {
    let path = match kind {
        Kind::Template => format!(
            "/templates/{}/{}",
            encode_segment(id),
            encode_segment(version)
        ),
        Kind::Request | Kind::Bundle => format!(
            "{}?allow_yanked=true",
            Registry::package_path(id, version, "")
        ),
    };
    match registry.get(&path)? {
        Ok(record) => Ok(Some(record)),
        Err(f) if f.status == 410 => Ok(None),
        Err(f) => Err(CliError::CouldNotRun(format!(
            "{id}@{version}: {}",
            f.describe()
        ))),
    }
}

/// Runs `registry info ID` (the latest version's digests) or `registry info ID@SPEC` (that version's).
pub fn info(
    package: &str,
    registry_arg: &RegistryArg,
    template: bool,
    format: Format,
) -> Result<()> {
    let (id, spec) = versions::split(package, true)?;
    let registry = registry(registry_arg, None)?;
    let kind = kind_of(template);
    let listing = versions::listed(&registry, kind, &id)?;
    let requirement = match &spec {
        Spec::Requirement(text) => Some(
            verifier::version::parse_requirement(text)
                .map_err(|e| CliError::Usage(format!("{text:?}: {e}")))?,
        ),
        _ => None,
    };
    let chosen = match &spec {
        Spec::Exact(v) if !listing.versions.contains(v) => {
            return Err(CliError::CouldNotRun(format!(
                "{id}@{v}: no such version (listed: {})",
                listing.versions.join(", ")
            )));
        }
        // An id without a current release still has versions to show.
        Spec::Latest if listing.latest.is_none() => None,
        _ => Some(versions::choose_in(
            &listing,
            &id,
            &spec,
            requirement.as_ref(),
        )?),
    };
    let digests: &[&str] = if template {
        &TEMPLATE_DIGESTS
    } else {
        &PACKAGE_DIGESTS
    };
    let shown_record = match &chosen {
        Some(version) => record(&registry, kind, &id, version)?,
        None => None,
    };
    let shown = shown_record.as_ref().map(|r| {
        digests
            .iter()
            .map(|d| ((*d).to_owned(), r.get(*d).cloned().unwrap_or(Value::Null)))
            .collect::<Map<String, Value>>()
    });
    let owner = listing
        .entries
        .first()
        .map(|e| e.entry.get("publisher").cloned().unwrap_or(Value::Null))
        .unwrap_or(Value::Null);
    if format == Format::Json {
        let id_key = if template {
            "template_id"
        } else {
            "package_id"
        };
        let versions: Vec<Value> = listing.entries.iter().map(|e| e.entry.clone()).collect();
        let mut body = Map::new();
        body.insert(id_key.into(), json!(id));
        body.insert("latest".into(), json!(listing.latest));
        body.insert("owner".into(), owner);
        body.insert("version".into(), json!(chosen));
        body.insert("digests".into(), shown.map_or(Value::Null, Value::Object));
        body.insert("versions".into(), Value::Array(versions));
        crate::output::print_json(&body);
        return Ok(());
    }
    crate::outln!("{}", safe(&id));
    crate::outln!(
        "  latest     {}",
        safe(
            listing
                .latest
                .as_deref()
                .unwrap_or("(none: no current release)")
        )
    );
    // The id's owner when the registry names one, else who published the version shown.
    let owner_text = owner
        .get("publisher_id")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .or_else(|| {
            let publisher = text(shown_record.as_ref()?, "publisher_id");
            (!publisher.is_empty())
                .then(|| format!("(no owner recorded; published by {publisher})"))
        })
        .unwrap_or_else(|| "(none recorded)".to_owned());
    crate::outln!("  owner      {}", safe(&owner_text));
    if let Some(version) = &chosen {
        crate::outln!("  {}", safe(&format!("{id}@{version}")));
        match &shown {
            Some(digests) => {
                for (field, value) in digests {
                    crate::outln!("    {field:<28} {}", safe(value.as_str().unwrap_or("")));
                }
            }
            None => crate::outln!("    (taken down: contents no longer served)"),
        }
    }
    crate::outln!("  versions");
    for entry in &listing.entries {
        crate::outln!(
            "    {:<20} {:<11} {:<22} {} download(s)",
            safe(&entry.version),
            safe(entry.lifecycle.as_str()),
            safe(&text(&entry.entry, "published_at")),
            entry
                .entry
                .get("download_count")
                .and_then(Value::as_i64)
                .unwrap_or(0)
        );
    }
    Ok(())
}
