//! Integration fronting (reference §2.4, and the `integration_fronting_capabilities_formalized` and
//! `integration_fronting_raw_operations_governed` checks of §3.2 step 7): every capability mapping fronts a
//! formalised capability of its own service, and every backend binding is governed — a known backend kind, a
//! connection ref and at least one raw operation ref.
//!
//! Judgement calls: a mapping whose `backend_bindings` is absent, `null` or empty is itself the binding; the
//! "listed string-array fields" are the binding's `derived_*`/`explicit_*` backend-input lists and
//! `matched_discovery_record_ids`; a binding without a connection ref or raw operation refs is reported once, as
//! `ungoverned_fronting_binding`, never also as a malformed ref.

use std::collections::HashSet;

use serde_json::Value;

use super::syntax::{Optional, is_capability_id, is_operation_name, optional_str, shown};
use super::{Index, ROOT, check_optional_safe_text, check_string_list, required_str};
use crate::record::Object;
use crate::validate::{Problems, index_path, key_path, str_at};

/// The backends a binding may front.
const BACKEND_KINDS: [&str; 4] = ["native_api", "mcp", "database", "hybrid"];

/// How a binding may receive its backend inputs.
const BACKEND_INPUT_MODES: [&str; 3] = ["implicit", "hybrid", "explicit"];

/// A binding's fields that, when present, must be arrays of non-blank strings.
const STRING_LISTS: [&str; 5] = [
    "derived_required_backend_inputs",
    "derived_optional_backend_inputs",
    "explicit_required_backend_inputs",
    "explicit_optional_backend_inputs",
    "matched_discovery_record_ids",
];

/// Checks `integration_fronting.capability_mappings`, when present.
pub(super) fn check_integration_fronting(
    definition: &Object,
    index: &Index<'_>,
    problems: &mut Problems,
) {
    let path = key_path(ROOT, "integration_fronting");
    let fronting = match definition.get("integration_fronting") {
        None | Some(Value::Null) => return,
        Some(Value::Object(fronting)) => fronting,
        Some(_) => {
            problems.push(
                "invalid_fronting_mapping",
                path,
                "integration_fronting must be an object",
            );
            return;
        }
    };
    let list_path = key_path(&path, "capability_mappings");
    let mappings = match fronting.get("capability_mappings") {
        None | Some(Value::Null) => return,
        Some(Value::Array(mappings)) => mappings,
        Some(_) => {
            problems.push(
                "invalid_fronting_mapping",
                list_path,
                "capability_mappings must be an array",
            );
            return;
        }
    };
    let mut seen = HashSet::with_capacity(mappings.len());
    for (i, item) in mappings.iter().enumerate() {
        if problems.is_full() {
            return;
        }
        let mapping_path = index_path(&list_path, i);
        match item {
            Value::Object(mapping) => {
                check_mapping(mapping, &mapping_path, index, &mut seen, problems);
            }
            _ => problems.push(
                "invalid_fronting_mapping",
                mapping_path,
                "a capability mapping must be an object",
            ),
        }
    }
}

fn check_mapping<'a>(
    mapping: &'a Object,
    path: &str,
    index: &Index<'_>,
    seen: &mut HashSet<&'a str>,
    problems: &mut Problems,
) {
    let mut owner = None;
    if let Some(id) = required_str(mapping, "capability_id", path, problems) {
        let at = key_path(path, "capability_id");
        if !is_capability_id(id) {
            problems.push(
                "invalid_capability_id",
                at,
                format!("capability_id {} must be dotted lower case", shown(id)),
            );
        } else if !seen.insert(id) {
            problems.push(
                "duplicate_capability_id",
                at,
                format!("capability {} is mapped twice", shown(id)),
            );
        } else if let Some(capability) = index.capabilities.get(id) {
            owner = capability.service_id;
        } else {
            problems.push(
                "unformalized_capability",
                at,
                format!("capability {} is not formalized", shown(id)),
            );
        }
    }
    if let Some(service) = required_str(mapping, "service_id", path, problems) {
        if !index.services.contains(service) {
            problems.push(
                "unknown_service",
                key_path(path, "service_id"),
                format!(
                    "service_id {} names no service_topology_bindings entry",
                    shown(service)
                ),
            );
        } else if owner.is_some_and(|owner| owner != service) {
            problems.push(
                "service_mismatch",
                key_path(path, "service_id"),
                format!(
                    "service_id {} is not the service that owns the capability",
                    shown(service)
                ),
            );
        }
    }
    for key in ["title", "intent"] {
        check_optional_safe_text(mapping, key, path, problems);
    }
    match mapping.get("backend_bindings") {
        Some(Value::Array(bindings)) if !bindings.is_empty() => {
            let list_path = key_path(path, "backend_bindings");
            for (k, item) in bindings.iter().enumerate() {
                if problems.is_full() {
                    return;
                }
                let binding_path = index_path(&list_path, k);
                match item {
                    Value::Object(binding) => check_binding(binding, &binding_path, problems),
                    _ => problems.push(
                        "invalid_fronting_mapping",
                        binding_path,
                        "a backend binding must be an object",
                    ),
                }
            }
        }
        None | Some(Value::Null | Value::Array(_)) => check_binding(mapping, path, problems),
        Some(_) => problems.push(
            "invalid_fronting_mapping",
            key_path(path, "backend_bindings"),
            "backend_bindings must be an array",
        ),
    }
}

fn check_binding(binding: &Object, path: &str, problems: &mut Problems) {
    if !str_at(binding, "backend_kind").is_some_and(|kind| BACKEND_KINDS.contains(&kind)) {
        problems.push(
            "invalid_backend_kind",
            key_path(path, "backend_kind"),
            format!("backend_kind must be one of {}", BACKEND_KINDS.join(", ")),
        );
    }
    let connection_at = key_path(path, "connection_ref");
    match binding.get("connection_ref") {
        Some(Value::String(reference)) if !reference.trim().is_empty() => {
            if !is_operation_name(reference) {
                problems.push(
                    "invalid_connection_ref",
                    connection_at,
                    format!(
                        "connection_ref {} must match ^[A-Za-z_][A-Za-z0-9_.:-]{{0,127}}$",
                        shown(reference)
                    ),
                );
            }
        }
        None | Some(Value::Null | Value::String(_)) => problems.push(
            "ungoverned_fronting_binding",
            connection_at,
            "a backend binding needs a connection_ref",
        ),
        Some(_) => problems.push(
            "invalid_connection_ref",
            connection_at,
            "connection_ref must be a string",
        ),
    }
    check_raw_operation_refs(binding, path, problems);
    match optional_str(binding, "backend_input_mode") {
        Optional::Set(mode) if BACKEND_INPUT_MODES.contains(&mode) => {}
        Optional::Unset => {}
        _ => problems.push(
            "invalid_backend_input_mode",
            key_path(path, "backend_input_mode"),
            format!(
                "backend_input_mode must be one of {}",
                BACKEND_INPUT_MODES.join(", ")
            ),
        ),
    }
    for key in STRING_LISTS {
        check_string_list(binding, key, path, "invalid_string_list", problems);
    }
}

fn check_raw_operation_refs(binding: &Object, path: &str, problems: &mut Problems) {
    let at = key_path(path, "raw_operation_refs");
    match binding.get("raw_operation_refs") {
        Some(Value::Array(refs)) if !refs.is_empty() => {
            for (i, reference) in refs.iter().enumerate() {
                if problems.is_full() {
                    return;
                }
                if !reference.as_str().is_some_and(is_operation_name) {
                    problems.push(
                        "invalid_raw_operation_ref",
                        index_path(&at, i),
                        "a raw operation ref must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$",
                    );
                }
            }
        }
        None | Some(Value::Null | Value::Array(_)) => problems.push(
            "ungoverned_fronting_binding",
            at,
            "a backend binding needs at least one raw operation ref",
        ),
        Some(_) => problems.push(
            "invalid_raw_operation_ref",
            at,
            "raw_operation_refs must be an array",
        ),
    }
}
