//! `registry publish`: a publish request or a bundle, sent to a registry or written for offline review.

use serde_json::{Value, json};
use verifier::bundle::Bundle;
use verifier::publish::PublishRequest;

use super::{registry, write_file};
use crate::cli::RegistryArg;
use crate::error::{CliError, Result};
use crate::output::Format;

/// Reads a publish request, or a bundle turned into one (reference §11.2).
pub fn read_request(path: &str) -> Result<PublishRequest> {
    let bytes =
        std::fs::read(path).map_err(|e| CliError::CouldNotRun(format!("reading {path}: {e}")))?;
    let value = verifier::json::parse_strict(&bytes)
        .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
    if value.get("bundle_schema_version").is_some() {
        let bundle =
            Bundle::from_value(value).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))?;
        return bundle
            .to_publish_request()
            .map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")));
    }
    PublishRequest::from_value(value).map_err(|e| CliError::CouldNotRun(format!("{path}: {e}")))
}

/// Runs `registry publish`.
pub fn run(
    file: &str,
    registry_arg: &RegistryArg,
    token: Option<&str>,
    output: Option<&str>,
    format: Format,
) -> Result<()> {
    let request = read_request(file)?;
    let body =
        serde_json::to_vec_pretty(&request).map_err(|e| CliError::CouldNotRun(e.to_string()))?;
    if let Some(path) = output {
        let mut text = body;
        text.push(b'\n');
        write_file(path, &text, true)?;
        crate::errln!(
            "wrote the publish request for {}@{} to {path}",
            request.package_id,
            request.package_version
        );
        return Ok(());
    }
    let registry = registry(registry_arg, None)?;
    // --token / ANIP_REGISTRY_PUBLISH_TOKEN wins; else the token `registry login` stored for this registry.
    let token = super::credentials::token_for(&registry, token)?;
    let answer = registry.post("/publications", &body, token.as_deref())?;
    let answer = answer.map_err(|failure| {
        let mut message = format!("publish refused: {}", failure.describe());
        if let Some(problems) = failure
            .body
            .as_ref()
            .and_then(|b| b.get("problems"))
            .and_then(Value::as_array)
        {
            for problem in problems {
                let text = |k: &str| {
                    problem
                        .get(k)
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_owned()
                };
                message.push_str(&format!(
                    "\n  {}  {}: {}",
                    text("code"),
                    text("path"),
                    text("message")
                ));
            }
        }
        CliError::CouldNotRun(message)
    })?;
    let package = &answer["package"];
    let receipt = &answer["receipt"];
    match format {
        Format::Json => {
            let summary = json!({
                "package_id": package["package_id"], "package_version": package["package_version"],
                "definition_digest": package["definition_digest"], "manifest_digest": package["manifest_digest"],
                "lock_digest": package["lock_digest"],
                "package_execution_signature": package["package_execution_signature"], "receipt": receipt,
            });
            crate::outln!(
                "{}",
                serde_json::to_string_pretty(&summary).unwrap_or_default()
            );
        }
        Format::Text => {
            let text = |v: &Value| crate::output::safe(v.as_str().unwrap_or(""));
            crate::outln!(
                "published {}@{}",
                text(&package["package_id"]),
                text(&package["package_version"])
            );
            for field in [
                "definition_digest",
                "manifest_digest",
                "lock_digest",
                "package_execution_signature",
            ] {
                crate::outln!("  {field:<28} {}", text(&package[field]));
            }
            crate::outln!("  {:<28} {}", "receipt_id", text(&receipt["receipt_id"]));
            crate::outln!("  {:<28} {}", "issued_at", text(&receipt["issued_at"]));
            crate::outln!(
                "  {:<28} {}",
                "registry_signature",
                text(&receipt["registry_signature"])
            );
        }
    }
    Ok(())
}
