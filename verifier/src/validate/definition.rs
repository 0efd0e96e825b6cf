//! Service-definition validation (reference §2.4 and the integration-fronting checks of §3.2 step 7): header,
//! topology, capability formalizations, inputs, composition, grant policy and integration fronting.
//!
//! Every problem is collected (up to the collector's cap); paths start with `service_definition`, such as
//! `service_definition.capability_formalizations[3].inputs[0].input_name`. Business effects are not checked here
//! (the effect-vocabulary rule covers them). The codes:
//!
//! | code | rule |
//! |---|---|
//! | `invalid_artifact_type` | `artifact_type` is not `anip_service_definition` |
//! | `invalid_contract_schema_version` | `contract_schema_version` is not `anip-service-definition/v1` |
//! | `missing_system_name` | `identity.system_name` is missing or blank |
//! | `invalid_topology` | `service_topology_bindings` is not a non-empty array of objects |
//! | `forbidden_key` | `ownership_mode` on a topology binding; `reference_catalog(s)` on an input |
//! | `invalid_service_id` | a topology `service_id` is missing or not `^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$` |
//! | `duplicate_service_id` | a topology `service_id` appears twice |
//! | `unsafe_text` | a title, summary, name or intent is not safe text (non-blank, ≤ 8192 bytes, no control characters but TAB/LF/CR) |
//! | `invalid_capabilities` | `capability_formalizations` is not a non-empty array of objects |
//! | `invalid_capability_id` | a capability id is not dotted lower-case (`^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)+$`) |
//! | `duplicate_capability_id` | a capability is formalised, or mapped for fronting, twice |
//! | `missing_field` | a required string (`service_id`, `title`, `kind`, …) is missing, blank or not a string |
//! | `unknown_service` | a `service_id` names no topology binding |
//! | `invalid_operation_name` | `backend_operation` or `output_shape` is not `^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$` |
//! | `invalid_path_template` | `path_template` breaks the path-template grammar |
//! | `invalid_inputs` | `inputs` is not an array of objects |
//! | `invalid_input_name` | an input has no name, or a name that is not an identifier |
//! | `duplicate_input_name` | two inputs of one capability share a name |
//! | `invalid_input_type` | `input_type` is not `T` or `T<T,…>` |
//! | `invalid_allowed_values` | `allowed_values` is not an array of non-blank strings |
//! | `invalid_validation_pattern` | `validation_pattern` does not compile as a Go RE2 expression (bounded: 8 KiB of text, 1 MiB compiled) |
//! | `too_many_validation_patterns` | more than 256 distinct validation patterns in one definition (a cost bound) |
//! | `invalid_input_format` | `input_format` is not a known format |
//! | `invalid_semantic_type` | `semantic_type` is not an identifier |
//! | `invalid_catalog_ref` | `catalog_ref` is not an operation name |
//! | `invalid_entity_reference` | `entity_reference` is not a boolean |
//! | `invalid_resolution` | `resolution` is not an object with a known mode and known fallbacks, or its mode's needs are unmet |
//! | `invalid_kind` | `kind` is neither `atomic` nor `composed` |
//! | `invalid_composition` | a composition is present on an atomic capability, or missing or malformed on a composed one |
//! | `invalid_step_id` | a step id is missing or not an identifier |
//! | `duplicate_step_id` | two steps share an id |
//! | `invalid_step_capability` | a step's capability is unknown, the parent itself, of another service or not atomic |
//! | `unmapped_required_input` | a required input of a step's capability has no `input_mapping` entry |
//! | `invalid_mapping_path` | a mapping value is not `$.input.a…` or `$.steps.<id>.output.a…`, or names no step |
//! | `forward_step_reference` | a step's input mapping reads the output of itself or a later step |
//! | `invalid_grant_policy` | a grant policy breaks the grant rules |
//! | `invalid_fronting_mapping` | `integration_fronting`, its mappings or bindings are not shaped as objects and arrays |
//! | `unformalized_capability` | a fronting mapping names a capability the definition does not formalise |
//! | `service_mismatch` | a fronting mapping's `service_id` is not the service owning its capability |
//! | `invalid_backend_kind` | `backend_kind` is not `native_api`, `mcp`, `database` or `hybrid` |
//! | `invalid_backend_input_mode` | `backend_input_mode` is not `implicit`, `hybrid` or `explicit` |
//! | `invalid_connection_ref` | `connection_ref` is not an operation name |
//! | `invalid_raw_operation_ref` | a raw operation ref is not an operation name |
//! | `invalid_string_list` | a binding's string-list field is not an array of non-blank strings |
//! | `ungoverned_fronting_binding` | a binding has no `connection_ref` or no raw operation ref (§3.2 step 7) |

mod capability;
mod composition;
mod fronting;
mod inputs;
mod pattern;
mod syntax;

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::{Problems, index_path, key_path, str_at};
use crate::record::Object;
use syntax::{is_service_id, safe_text_problem, shown};

/// Root of every path this module reports.
const ROOT: &str = "service_definition";
/// The only artifact type accepted.
const ARTIFACT_TYPE: &str = "anip_service_definition";
/// The only contract schema accepted.
const CONTRACT_SCHEMA_VERSION: &str = "anip-service-definition/v1";

/// What the cross-reference rules need to know about one formalised capability.
#[derive(Debug, Clone, Copy)]
struct Formalized<'a> {
    service_id: Option<&'a str>,
    kind: Option<&'a str>,
    inputs: &'a [Value],
}

/// The services and capabilities a definition declares, for cross-references. Ids are recorded whether or not they
/// are well formed (their syntax is reported once, where they are declared); the first of two duplicates wins.
#[derive(Debug, Default)]
struct Index<'a> {
    services: HashSet<&'a str>,
    capabilities: HashMap<&'a str, Formalized<'a>>,
}

/// What one pass over the capabilities has met so far.
#[derive(Debug, Default)]
struct Seen<'a> {
    /// Well-formed capability ids already formalised.
    capability_ids: HashSet<&'a str>,
    /// The validation patterns met so far.
    patterns: pattern::Patterns<'a>,
}

/// Checks a service definition; paths start with `service_definition`.
pub fn check_service_definition(definition: &Object, problems: &mut Problems) {
    check_header(definition, problems);
    let mut index = Index {
        services: check_topology(definition, problems),
        ..Index::default()
    };
    let capabilities = capability_list(definition, problems);
    for capability in capabilities.iter().filter_map(Value::as_object) {
        if let Some(id) = str_at(capability, "capability_id") {
            index.capabilities.entry(id).or_insert_with(|| Formalized {
                service_id: str_at(capability, "service_id"),
                kind: str_at(capability, "kind"),
                inputs: match capability.get("inputs") {
                    Some(Value::Array(inputs)) => inputs,
                    _ => &[],
                },
            });
        }
    }
    let list_path = key_path(ROOT, "capability_formalizations");
    let mut seen = Seen::default();
    for (i, item) in capabilities.iter().enumerate() {
        if problems.is_full() {
            return;
        }
        let path = index_path(&list_path, i);
        match item {
            Value::Object(capability) => {
                capability::check_capability(capability, &path, &index, &mut seen, problems);
            }
            _ => problems.push(
                "invalid_capabilities",
                path,
                "a capability formalization must be an object",
            ),
        }
    }
    fronting::check_integration_fronting(definition, &index, problems);
}

fn check_header(definition: &Object, problems: &mut Problems) {
    if str_at(definition, "artifact_type") != Some(ARTIFACT_TYPE) {
        problems.push(
            "invalid_artifact_type",
            key_path(ROOT, "artifact_type"),
            format!("artifact_type must be {ARTIFACT_TYPE:?}"),
        );
    }
    if str_at(definition, "contract_schema_version") != Some(CONTRACT_SCHEMA_VERSION) {
        problems.push(
            "invalid_contract_schema_version",
            key_path(ROOT, "contract_schema_version"),
            format!("contract_schema_version must be {CONTRACT_SCHEMA_VERSION:?}"),
        );
    }
    let system_name = definition
        .get("identity")
        .and_then(Value::as_object)
        .and_then(|identity| str_at(identity, "system_name"));
    if system_name.is_none_or(|name| name.trim().is_empty()) {
        problems.push(
            "missing_system_name",
            format!("{ROOT}.identity.system_name"),
            "identity.system_name must be a non-blank string",
        );
    }
}

/// Checks the topology and returns every service id it declares.
fn check_topology<'a>(definition: &'a Object, problems: &mut Problems) -> HashSet<&'a str> {
    let list_path = key_path(ROOT, "service_topology_bindings");
    let bindings = match definition.get("service_topology_bindings") {
        Some(Value::Array(bindings)) if !bindings.is_empty() => bindings,
        _ => {
            problems.push(
                "invalid_topology",
                list_path,
                "service_topology_bindings must be a non-empty array of objects",
            );
            return HashSet::new();
        }
    };
    let mut services = HashSet::with_capacity(bindings.len());
    for (i, item) in bindings.iter().enumerate() {
        if problems.is_full() {
            break;
        }
        let path = index_path(&list_path, i);
        let Value::Object(binding) = item else {
            problems.push(
                "invalid_topology",
                path,
                "a topology binding must be an object",
            );
            continue;
        };
        if binding.contains_key("ownership_mode") {
            problems.push(
                "forbidden_key",
                key_path(&path, "ownership_mode"),
                "ownership_mode is not allowed on a topology binding",
            );
        }
        match str_at(binding, "service_id") {
            Some(id) if is_service_id(id) => {
                if !services.insert(id) {
                    problems.push(
                        "duplicate_service_id",
                        key_path(&path, "service_id"),
                        format!("service_id {} is declared twice", shown(id)),
                    );
                }
            }
            Some(id) => {
                services.insert(id);
                problems.push(
                    "invalid_service_id",
                    key_path(&path, "service_id"),
                    format!(
                        "service_id {} must match ^[a-z][a-z0-9]*(?:[-_][a-z0-9]+)*$",
                        shown(id)
                    ),
                );
            }
            None => problems.push(
                "invalid_service_id",
                key_path(&path, "service_id"),
                "a topology binding needs a service_id string",
            ),
        }
        check_optional_safe_text(binding, "service_name", &path, problems);
    }
    services
}

/// The capability formalizations, reporting when they are not a non-empty array.
fn capability_list<'a>(definition: &'a Object, problems: &mut Problems) -> &'a [Value] {
    match definition.get("capability_formalizations") {
        Some(Value::Array(capabilities)) if !capabilities.is_empty() => capabilities,
        _ => {
            problems.push(
                "invalid_capabilities",
                key_path(ROOT, "capability_formalizations"),
                "capability_formalizations must be a non-empty array of objects",
            );
            &[]
        }
    }
}

/// A required string: reported as `missing_field` when absent, blank or not a string.
fn required_str<'a>(
    object: &'a Object,
    key: &str,
    base: &str,
    problems: &mut Problems,
) -> Option<&'a str> {
    match object.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s),
        _ => {
            problems.push(
                "missing_field",
                key_path(base, key),
                format!("{key} must be a non-blank string"),
            );
            None
        }
    }
}

/// Safe text, when the member is present and not `null`.
fn check_optional_safe_text(object: &Object, key: &str, base: &str, problems: &mut Problems) {
    match object.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::String(text)) => check_safe_text(text, key, base, problems),
        Some(_) => problems.push(
            "unsafe_text",
            key_path(base, key),
            format!("{key} must be a string"),
        ),
    }
}

fn check_safe_text(text: &str, key: &str, base: &str, problems: &mut Problems) {
    if let Some(why) = safe_text_problem(text) {
        problems.push("unsafe_text", key_path(base, key), format!("{key} {why}"));
    }
}

/// An array of non-blank strings, when the member is present and not `null`.
fn check_string_list(
    object: &Object,
    key: &str,
    base: &str,
    code: &'static str,
    problems: &mut Problems,
) {
    match object.get(key) {
        None | Some(Value::Null) => {}
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if problems.is_full() {
                    return;
                }
                if item.as_str().is_none_or(|s| s.trim().is_empty()) {
                    problems.push(
                        code,
                        index_path(&key_path(base, key), i),
                        format!("every entry of {key} must be a non-blank string"),
                    );
                }
            }
        }
        Some(_) => problems.push(
            code,
            key_path(base, key),
            format!("{key} must be an array of non-blank strings"),
        ),
    }
}
