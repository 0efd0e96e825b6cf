//! `registry publish`: a publish request, a bundle or a template request, checked against every publish-time rule,
//! then sent to a registry, asked about (`--dry-run`) or written for offline review (`--output`).

use serde_json::{Value, json};

use super::rules::{Checked, Kind, check_file};
use super::{registry, write_file};
use crate::cli::RegistryArg;
use crate::client::{ApiFailure, Registry};
use crate::error::{CliError, Problem, Result};
use crate::output::{Format, safe};

/// Everything `publish` takes.
#[derive(Debug)]
pub struct PublishArgs<'a> {
    /// The file.
    pub file: &'a str,
    /// Registry.
    pub registry: &'a RegistryArg,
    /// Bearer token.
    pub token: Option<&'a str>,
    /// Write the request here instead of sending it.
    pub output: Option<&'a str>,
    /// With `output`: write even a request that breaks a rule.
    pub force: bool,
    /// Check and ask whether the version is free; send nothing.
    pub dry_run: bool,
    /// The file is a template request.
    pub template: bool,
    /// Output format.
    pub format: Format,
}

/// Runs `registry publish`.
pub fn run(args: &PublishArgs<'_>) -> Result<()> {
    let checked = check_file(args.file, args.template)?;
    if let Some(path) = args.output {
        return write_output(args, &checked, path);
    }
    // A dry run stops at the first broken rule; a publish sends what parsed and lets the registry, which has the
    // last word on its rules, list the problems (the same ones `registry check` finds).
    let Some(body) = checked
        .body
        .as_deref()
        .filter(|_| checked.ok() || !args.dry_run)
    else {
        return Err(checked.refusal(args.file));
    };
    let registry = registry(args.registry, None)?;
    if args.dry_run {
        return dry_run(&registry, &checked, args.format);
    }
    // --token / ANIP_REGISTRY_PUBLISH_TOKEN wins; else the token `registry login` stored for this registry.
    let token = super::credentials::token_for(&registry, args.token)?;
    let route = match checked.kind {
        Kind::Template => "/templates",
        Kind::Request | Kind::Bundle => "/publications",
    };
    let (status, answer) = registry
        .post_status(route, body, token.as_deref())?
        .map_err(|failure| refused(&registry, &checked, &failure))?;
    let unchanged = status == 200;
    print_published(&checked, &answer, unchanged, args.format);
    Ok(())
}

/// `--output`: the request as it would be sent, refused (exit 2) when a registry would reject it, unless `--force`.
fn write_output(args: &PublishArgs<'_>, checked: &Checked, path: &str) -> Result<()> {
    if !checked.ok() && !args.force {
        let mut error = checked.refusal(args.file);
        if let CliError::Detailed(failure) = &mut error {
            failure
                .headline
                .push_str(&format!("; not writing {path} (--force writes it anyway)"));
        }
        return Err(error);
    }
    let Some(body) = &checked.body else {
        return Err(checked.refusal(args.file));
    };
    write_file(path, body, true)?;
    if !checked.ok() {
        crate::output::warn(&format!(
            "--force: wrote a request a registry would refuse ({} problem(s))",
            checked.problems.len()
        ));
    }
    let what = match checked.kind {
        Kind::Template => "template",
        Kind::Request | Kind::Bundle => "publish",
    };
    crate::errln!(
        "wrote the {what} request for {} to {path}",
        safe(&checked.name())
    );
    Ok(())
}

/// The record route of the checked id and version (`?allow_yanked=true`: a yanked version is still taken).
fn record_path(checked: &Checked) -> String {
    let (id, version) = (
        crate::client::encode_segment(&checked.id),
        crate::client::encode_segment(&checked.version),
    );
    match checked.kind {
        Kind::Template => format!("/templates/{id}/{version}"),
        Kind::Request | Kind::Bundle => format!("/packages/{id}/{version}?allow_yanked=true"),
    }
}

/// `--dry-run`: every rule held; is the version free, already this content, or taken by other content (exit 2)?
fn dry_run(registry: &Registry, checked: &Checked, format: Format) -> Result<()> {
    let stored = match registry.get(&record_path(checked))? {
        Ok(record) => Some(record),
        Err(failure) if failure.status == 404 => None,
        Err(failure) if failure.status == 410 => {
            return Err(CliError::check_failed(
                "version_unavailable",
                format!(
                    "{} was taken down; its version cannot be published again",
                    safe(&checked.name())
                ),
                vec![Problem::text(format!(
                    "publish it as {}",
                    next_version(registry, checked)
                ))],
            ));
        }
        Err(failure) => {
            return Err(CliError::CouldNotRun(format!(
                "asking the registry about {}: {}",
                checked.name(),
                failure.describe()
            )));
        }
    };
    let verdict = match &stored {
        None => "free",
        Some(record) if same_digests(checked, record) => "unchanged",
        Some(record) => return Err(conflict(registry, checked, record)),
    };
    if format == Format::Json {
        let digests: serde_json::Map<String, Value> = checked
            .digests
            .0
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::from(v.as_str())))
            .collect();
        crate::output::print_json(&json!({
            "status": verdict, "kind": checked.kind, "id": checked.id, "version": checked.version,
            "digests": digests,
        }));
    } else if verdict == "free" {
        crate::outln!(
            "dry run: {} passes every publish-time rule and its version is free; nothing was sent",
            safe(&checked.name())
        );
    } else {
        crate::outln!(
            "dry run: {} is already published with exactly this content; publishing would change nothing",
            safe(&checked.name())
        );
    }
    Ok(())
}

fn same_digests(checked: &Checked, stored: &Value) -> bool {
    checked
        .digests
        .0
        .iter()
        .all(|(field, value)| stored.get(*field).and_then(Value::as_str) == Some(value.as_str()))
}

/// A 409: the version holds other content. Lists the stored digests and suggests the next free version.
fn conflict(registry: &Registry, checked: &Checked, stored: &Value) -> CliError {
    let mut problems: Vec<Problem> = checked
        .digests
        .0
        .iter()
        .map(|(field, ours)| {
            let theirs = stored.get(*field).and_then(Value::as_str).unwrap_or("");
            Problem::text(format!(
                "{field}: stored {theirs}{}",
                if theirs == ours {
                    String::new()
                } else {
                    format!(", yours {ours}")
                }
            ))
        })
        .collect();
    if let Some(at) = stored.get("published_at").and_then(Value::as_str) {
        problems.push(Problem::text(format!("published_at: {at}")));
    }
    let next = next_version(registry, checked);
    problems.push(Problem::text(format!(
        "a published version never changes: bump the version (for example to {next}) and publish again"
    )));
    CliError::check_failed(
        "version_exists",
        format!(
            "{} is already published with other content",
            safe(&checked.name())
        ),
        problems,
    )
}

/// The next patch version after the highest the registry lists for the id (or after the requested one).
fn next_version(registry: &Registry, checked: &Checked) -> String {
    let highest = super::versions::listed(registry, checked.kind, &checked.id)
        .ok()
        .and_then(|listing| {
            listing
                .versions
                .into_iter()
                .max_by(|a, b| verifier::version::compare(a, b))
        });
    let base = match highest {
        Some(h) if verifier::version::compare(&h, &checked.version).is_gt() => h,
        _ => checked.version.clone(),
    };
    super::versions::next_patch(&base)
}

/// A refused publish: the registry's problems one per line; a 409 with the stored digests and the next version.
fn refused(registry: &Registry, checked: &Checked, failure: &ApiFailure) -> CliError {
    if failure.status == 409
        && let Some(body) = &failure.body
    {
        return conflict(registry, checked, body);
    }
    let problems: Vec<Problem> = failure
        .body
        .as_ref()
        .and_then(|b| b.get("problems"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|p| {
            let text = |k: &str| p.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
            Problem {
                code: text("code"),
                path: text("path"),
                message: text("message"),
            }
        })
        .collect();
    let code = if failure.code.is_empty() {
        "publish_refused".to_owned()
    } else {
        failure.code.clone()
    };
    let headline = if problems.is_empty() {
        format!("publish refused: {}", failure.describe())
    } else {
        format!(
            "publish refused: HTTP {} {}: {} problem(s)",
            failure.status,
            failure.code,
            problems.len()
        )
    };
    if failure.status == 400 || failure.status == 422 {
        CliError::check_failed(&code, headline, problems)
    } else {
        CliError::could_not_run(&code, headline, problems)
    }
}

fn print_published(checked: &Checked, answer: &Value, unchanged: bool, format: Format) {
    let verdict = if unchanged {
        "already published, unchanged"
    } else {
        "published"
    };
    let record = match checked.kind {
        Kind::Template => &answer["template"],
        Kind::Request | Kind::Bundle => &answer["package"],
    };
    let receipt = &answer["receipt"];
    let fields: Vec<&str> = checked.digests.0.iter().map(|(k, _)| *k).collect();
    match format {
        Format::Json => {
            let mut summary = serde_json::Map::new();
            summary.insert(
                "status".into(),
                json!(if unchanged { "unchanged" } else { "published" }),
            );
            summary.insert("kind".into(), json!(checked.kind));
            for key in [
                "package_id",
                "package_version",
                "template_id",
                "template_version",
            ] {
                if let Some(v) = record.get(key) {
                    summary.insert(key.into(), v.clone());
                }
            }
            for field in &fields {
                summary.insert((*field).into(), record[*field].clone());
            }
            if !receipt.is_null() {
                summary.insert("receipt".into(), receipt.clone());
            }
            crate::output::print_json(&summary);
        }
        Format::Text => {
            let text = |v: &Value| safe(v.as_str().unwrap_or(""));
            crate::outln!("{verdict} {}", safe(&checked.name()));
            for field in &fields {
                crate::outln!("  {field:<28} {}", text(&record[*field]));
            }
            if !receipt.is_null() {
                for field in ["receipt_id", "issued_at", "registry_signature"] {
                    crate::outln!("  {field:<28} {}", text(&receipt[field]));
                }
            }
        }
    }
}
