//! The agent-metadata gate (consumability and readiness) and the checks ANIP applies only at verify time
//! (simulator probes, classified required inputs), applied here at publish too so an accepted package always
//! passes `anip verify` (reference §13.4 item 28).

use std::collections::BTreeSet;

use serde_json::Value;

use super::{Problems, index_path, key_path, str_at};
use crate::record::Object;

/// Takes the manifest's value of `key`, else the lock's, with the path it came from.
fn from_manifest_or_lock<'a>(
    manifest: &'a Object,
    lock: &'a Object,
    key: &str,
) -> (String, Option<&'a Value>) {
    match manifest.get(key).filter(|v| !v.is_null()) {
        Some(value) => (key_path("manifest", key), Some(value)),
        None => match lock.get(key).filter(|v| !v.is_null()) {
            Some(value) => (key_path("recommended_lock", key), Some(value)),
            None => (key_path("manifest", key), None),
        },
    }
}

/// Checks agent consumability and readiness against the service definition's capabilities, and that every required
/// input is classified.
pub fn check_agent_metadata(
    manifest: &Object,
    lock: &Object,
    definition: &Object,
    problems: &mut Problems,
) {
    check_consumability(manifest, lock, definition, problems);
    check_readiness(manifest, lock, problems);
    check_required_inputs(definition, problems);
}

fn capability_ids(definition: &Object) -> BTreeSet<&str> {
    definition
        .get("capability_formalizations")
        .and_then(Value::as_array)
        .map(|caps| {
            caps.iter()
                .filter_map(|c| c.get("capability_id").and_then(Value::as_str))
                .filter(|id| !id.trim().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

fn check_consumability(
    manifest: &Object,
    lock: &Object,
    definition: &Object,
    problems: &mut Problems,
) {
    let (path, value) = from_manifest_or_lock(manifest, lock, "agent_consumability");
    let Some(Value::Object(consumability)) =
        value.filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
    else {
        problems.push(
            "missing_agent_consumability",
            path,
            "the manifest (or lock) must carry agent_consumability, an object describing how agents use each capability",
        );
        return;
    };
    if str_at(consumability, "schema_version").is_none_or(|s| s.trim().is_empty()) {
        problems.push(
            "missing_agent_consumability",
            key_path(&path, "schema_version"),
            "agent_consumability needs a schema_version",
        );
    }
    let declared: BTreeSet<&str> = consumability
        .get("capabilities")
        .and_then(Value::as_object)
        .map(|caps| caps.keys().map(String::as_str).collect())
        .unwrap_or_default();
    let defined = capability_ids(definition);
    if defined.is_empty() {
        problems.push(
            "agent_consumability_mismatch",
            "service_definition.capability_formalizations",
            "the service definition formalises no capability, so agents have nothing to consume",
        );
        return;
    }
    let missing: Vec<&str> = defined.difference(&declared).copied().collect();
    let extra: Vec<&str> = declared.difference(&defined).copied().collect();
    if !missing.is_empty() || !extra.is_empty() {
        let mut parts = Vec::new();
        if !missing.is_empty() {
            parts.push(format!("no agent hints for {}", missing.join(", ")));
        }
        if !extra.is_empty() {
            parts.push(format!(
                "hints for capabilities the definition lacks: {}",
                extra.join(", ")
            ));
        }
        problems.push(
            "agent_consumability_mismatch",
            key_path(&path, "capabilities"),
            format!(
                "agent_consumability.capabilities must cover exactly the definition's capabilities: {}",
                parts.join("; ")
            ),
        );
    }
}

fn check_readiness(manifest: &Object, lock: &Object, problems: &mut Problems) {
    let (path, value) = from_manifest_or_lock(manifest, lock, "agent_consumption_readiness");
    let Some(Value::Object(readiness)) = value else {
        problems.push(
            "missing_agent_readiness",
            path,
            "the manifest (or lock) must carry agent_consumption_readiness with status ready",
        );
        return;
    };
    let status = str_at(readiness, "status").unwrap_or("");
    if !status.eq_ignore_ascii_case("ready") {
        problems.push(
            "agent_not_ready",
            key_path(&path, "status"),
            format!("agent readiness is {status:?}; only \"ready\" packages are publishable"),
        );
    }
    let summary = readiness.get("summary").and_then(Value::as_object);
    let summary_path = key_path(&path, "summary");
    let count = |key: &str| summary.and_then(|s| s.get(key)).filter(|v| !v.is_null());
    for (key, code) in [
        ("blockers", "readiness_blockers"),
        ("warnings", "readiness_warnings"),
    ] {
        match count(key) {
            None => {}
            Some(v) if v.as_f64() == Some(0.0) => {}
            Some(v) => problems.push(
                code,
                key_path(&summary_path, key),
                format!("agent readiness reports {v} {key}; a publishable package has none"),
            ),
        }
    }
    if !count("probes")
        .and_then(Value::as_f64)
        .is_some_and(|n| n > 0.0)
    {
        problems.push(
            "no_simulator_probes",
            key_path(&summary_path, "probes"),
            "agent readiness must come from at least one simulator probe (summary.probes > 0)",
        );
    }
}

/// Whether a required input tells an agent how to fill it in.
fn is_classified(input: &Object) -> bool {
    let text = |key: &str| str_at(input, key).is_some_and(|s| !s.trim().is_empty());
    text("semantic_type")
        || text("input_format")
        || text("validation_pattern")
        || text("clarification_hint")
        || input.get("entity_reference") == Some(&Value::Bool(true))
        || input
            .get("allowed_values")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
}

fn check_required_inputs(definition: &Object, problems: &mut Problems) {
    let Some(Value::Array(capabilities)) = definition.get("capability_formalizations") else {
        return;
    };
    for (i, capability) in capabilities.iter().enumerate() {
        let Some(Value::Array(inputs)) = capability.get("inputs") else {
            continue;
        };
        for (j, input) in inputs.iter().enumerate() {
            let Value::Object(input) = input else {
                continue;
            };
            if input.get("required") == Some(&Value::Bool(true)) && !is_classified(input) {
                let path = index_path(
                    &format!(
                        "{}.inputs",
                        index_path("service_definition.capability_formalizations", i)
                    ),
                    j,
                );
                problems.push(
                    "unclassified_required_input",
                    path,
                    "a required input needs one of semantic_type, input_format, validation_pattern, \
                     clarification_hint, entity_reference: true or allowed_values, so an agent knows how to fill it",
                );
            }
        }
    }
}
