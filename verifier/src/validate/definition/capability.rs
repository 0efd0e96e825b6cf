//! One capability formalization: required fields, ids, texts, operation names, path template, kind and grant
//! policy (inputs and composition have their own modules).

use serde_json::Value;

use super::syntax::{is_capability_id, is_operation_name, path_template_problem, shown};
use super::{Index, Seen, check_safe_text, composition, inputs, required_str};
use crate::record::Object;
use crate::validate::{Problems, index_path, key_path};

/// The strings every capability must carry, non-blank.
const REQUIRED: [&str; 11] = [
    "service_id",
    "capability_id",
    "title",
    "summary",
    "intent_type",
    "operation_type",
    "side_effect_level",
    "backend_operation",
    "path_template",
    "output_shape",
    "kind",
];

/// The grant types a grant policy may allow.
const GRANT_TYPES: [&str; 2] = ["one_time", "session_bound"];

/// Integers above 2^53 are not exact in the registry's float64 round trip.
const MAX_EXACT_INTEGER: f64 = 9_007_199_254_740_992.0;

/// Checks the capability at `path`, which the index has already recorded.
pub(super) fn check_capability<'a>(
    capability: &'a Object,
    path: &str,
    index: &Index<'a>,
    seen: &mut Seen<'a>,
    problems: &mut Problems,
) {
    let [
        service_id,
        capability_id,
        title,
        summary,
        _intent_type,
        _operation_type,
        _side_effect_level,
        backend_operation,
        path_template,
        output_shape,
        kind,
    ] = REQUIRED.map(|key| required_str(capability, key, path, problems));
    if let Some(id) = capability_id {
        if !is_capability_id(id) {
            problems.push(
                "invalid_capability_id",
                key_path(path, "capability_id"),
                format!(
                    "capability_id {} must be dotted lower case, like crm.account_summary",
                    shown(id)
                ),
            );
        } else if !seen.capability_ids.insert(id) {
            problems.push(
                "duplicate_capability_id",
                key_path(path, "capability_id"),
                format!("capability {} is formalized twice", shown(id)),
            );
        }
    }
    if let Some(service) = service_id
        && !index.services.contains(service)
    {
        problems.push(
            "unknown_service",
            key_path(path, "service_id"),
            format!(
                "service_id {} names no service_topology_bindings entry",
                shown(service)
            ),
        );
    }
    for (key, text) in [("title", title), ("summary", summary)] {
        if let Some(text) = text {
            check_safe_text(text, key, path, problems);
        }
    }
    for (key, name) in [
        ("backend_operation", backend_operation),
        ("output_shape", output_shape),
    ] {
        if let Some(name) = name
            && !is_operation_name(name)
        {
            problems.push(
                "invalid_operation_name",
                key_path(path, key),
                format!(
                    "{key} {} must match ^[A-Za-z_][A-Za-z0-9_.:-]{{0,127}}$",
                    shown(name)
                ),
            );
        }
    }
    if let Some(template) = path_template
        && let Some(why) = path_template_problem(template)
    {
        problems.push(
            "invalid_path_template",
            key_path(path, "path_template"),
            format!("path_template {why}"),
        );
    }
    inputs::check_inputs(capability, path, &mut seen.patterns, problems);
    check_kind(
        capability,
        path,
        kind,
        capability_id,
        service_id,
        index,
        problems,
    );
    check_grant_policy(capability, path, problems);
}

fn check_kind(
    capability: &Object,
    path: &str,
    kind: Option<&str>,
    capability_id: Option<&str>,
    service_id: Option<&str>,
    index: &Index<'_>,
    problems: &mut Problems,
) {
    match kind {
        Some("atomic") if capability.get("composition").is_some_and(|c| !c.is_null()) => {
            problems.push(
                "invalid_composition",
                key_path(path, "composition"),
                "an atomic capability must not have a composition",
            );
        }
        Some("composed") => composition::check_composition(
            capability,
            path,
            capability_id,
            service_id,
            index,
            problems,
        ),
        // Fine, or (`None`) already reported as a missing field.
        Some("atomic") | None => {}
        Some(other) => problems.push(
            "invalid_kind",
            key_path(path, "kind"),
            format!("kind {} must be \"atomic\" or \"composed\"", shown(other)),
        ),
    }
}

fn check_grant_policy(capability: &Object, base: &str, problems: &mut Problems) {
    let path = key_path(base, "grant_policy");
    let policy = match capability.get("grant_policy") {
        None | Some(Value::Null) => return,
        Some(Value::Object(policy)) => policy,
        Some(_) => {
            problems.push(
                "invalid_grant_policy",
                path,
                "grant_policy must be an object or null",
            );
            return;
        }
    };
    let mut allowed = [false; GRANT_TYPES.len()];
    match policy.get("allowed_grant_types") {
        Some(Value::Array(types)) if !types.is_empty() => {
            for (i, grant_type) in types.iter().enumerate() {
                if problems.is_full() {
                    return;
                }
                match GRANT_TYPES
                    .iter()
                    .position(|known| grant_type.as_str() == Some(known))
                {
                    Some(at) => allowed[at] = true,
                    None => problems.push(
                        "invalid_grant_policy",
                        index_path(&key_path(&path, "allowed_grant_types"), i),
                        "an allowed grant type must be \"one_time\" or \"session_bound\"",
                    ),
                }
            }
        }
        _ => problems.push(
            "invalid_grant_policy",
            key_path(&path, "allowed_grant_types"),
            "allowed_grant_types must be a non-empty array",
        ),
    }
    let default_allowed = policy
        .get("default_grant_type")
        .and_then(Value::as_str)
        .and_then(|default| GRANT_TYPES.iter().position(|known| default == *known))
        .is_some_and(|at| allowed[at]);
    if !default_allowed {
        problems.push(
            "invalid_grant_policy",
            key_path(&path, "default_grant_type"),
            "default_grant_type must be one of allowed_grant_types",
        );
    }
    for key in ["expires_in_seconds", "max_uses"] {
        if !is_positive_integer(policy.get(key)) {
            problems.push(
                "invalid_grant_policy",
                key_path(&path, key),
                format!("{key} must be a positive integer"),
            );
        }
    }
}

/// A positive integer, also when written as a float with no fraction (the registry stores every number as a float).
fn is_positive_integer(value: Option<&Value>) -> bool {
    let Some(Value::Number(number)) = value else {
        return false;
    };
    number.as_u64().is_some_and(|n| n > 0)
        || number
            .as_f64()
            .is_some_and(|f| (1.0..=MAX_EXACT_INTEGER).contains(&f) && f.fract() == 0.0)
}
