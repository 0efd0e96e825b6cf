//! The inputs of one capability: names, types, value lists, validation patterns, formats, references and
//! resolution.
//!
//! Judgement calls: `inputs` absent or `null` means no inputs; optional strings (`input_type`, `input_format`,
//! `semantic_type`, `catalog_ref`, `validation_pattern`, resolution fallbacks) count as unset when absent, `null` or
//! empty, as Go's decoder would leave them; `summary`, when present and not `null`, must be safe text.

use std::collections::HashSet;

use serde_json::Value;

use super::pattern::{MAX_DISTINCT_PATTERNS, Patterns, Verdict};
use super::syntax::{
    Optional, is_identifier, is_input_type, is_operation_name, optional_str, shown,
};
use super::{check_optional_safe_text, check_string_list};
use crate::record::Object;
use crate::validate::{Problems, index_path, key_path, str_at};

/// The formats an input may declare.
const INPUT_FORMATS: [&str; 6] = [
    "business_quarter",
    "date",
    "date_time",
    "email",
    "url",
    "uuid",
];

/// The resolution modes.
const RESOLUTION_MODES: [&str; 7] = [
    "closed_values",
    "backend_resolved",
    "app_selected",
    "actor_policy",
    "actor_policy_or_explicit",
    "explicit_only",
    "clarify",
];

/// What a resolution may do when a value is missing, ambiguous or unresolved.
const FALLBACKS: [&str; 7] = [
    "clarify",
    "use_default",
    "use_actor_scope",
    "app_select_or_clarify",
    "deny",
    "deny_or_clarify",
    "omit",
];

/// Keys an input may not carry: catalogs are referenced through `catalog_ref`.
const FORBIDDEN_KEYS: [&str; 2] = ["reference_catalog", "reference_catalogs"];

/// An optional string member of an input and the grammar it must follow when set.
#[derive(Debug, Clone, Copy)]
struct TextRule {
    key: &'static str,
    code: &'static str,
    valid: fn(&str) -> bool,
    rule: &'static str,
}

const TEXT_RULES: [TextRule; 4] = [
    TextRule {
        key: "input_type",
        code: "invalid_input_type",
        valid: is_input_type,
        rule: "must be a type such as string, array<string> or map<string,integer>",
    },
    TextRule {
        key: "input_format",
        code: "invalid_input_format",
        valid: is_input_format,
        rule: "must be one of business_quarter, date, date_time, email, url, uuid",
    },
    TextRule {
        key: "semantic_type",
        code: "invalid_semantic_type",
        valid: is_identifier,
        rule: "must match ^[A-Za-z_][A-Za-z0-9_]*$",
    },
    TextRule {
        key: "catalog_ref",
        code: "invalid_catalog_ref",
        valid: is_operation_name,
        rule: "must match ^[A-Za-z_][A-Za-z0-9_.:-]{0,127}$",
    },
];

fn is_input_format(format: &str) -> bool {
    INPUT_FORMATS.contains(&format)
}

/// The name of an input and the key it came from: `input_name`, else `name`.
pub(super) fn input_name(input: &Object) -> Option<(&'static str, &str)> {
    ["input_name", "name"].into_iter().find_map(|key| {
        str_at(input, key)
            .filter(|name| !name.is_empty())
            .map(|name| (key, name))
    })
}

/// Checks `capability.inputs`; `patterns` compiles each distinct validation pattern once.
pub(super) fn check_inputs<'a>(
    capability: &'a Object,
    base: &str,
    patterns: &mut Patterns<'a>,
    problems: &mut Problems,
) {
    let list_path = key_path(base, "inputs");
    let items = match capability.get("inputs") {
        None | Some(Value::Null) => return,
        Some(Value::Array(items)) => items,
        Some(_) => {
            problems.push("invalid_inputs", list_path, "inputs must be an array");
            return;
        }
    };
    let mut names = HashSet::with_capacity(items.len());
    for (j, item) in items.iter().enumerate() {
        if problems.is_full() {
            return;
        }
        let path = index_path(&list_path, j);
        let Value::Object(input) = item else {
            problems.push("invalid_inputs", path, "an input must be an object");
            continue;
        };
        match input_name(input) {
            Some((key, name)) if !is_identifier(name) => problems.push(
                "invalid_input_name",
                key_path(&path, key),
                format!("{key} {} must match ^[A-Za-z_][A-Za-z0-9_]*$", shown(name)),
            ),
            Some((key, name)) => {
                if !names.insert(name) {
                    problems.push(
                        "duplicate_input_name",
                        key_path(&path, key),
                        format!("input {} is declared twice", shown(name)),
                    );
                }
            }
            None => problems.push(
                "invalid_input_name",
                key_path(&path, "input_name"),
                "an input needs an input_name (or name) string",
            ),
        }
        check_input(input, &path, patterns, problems);
    }
}

fn check_input<'a>(
    input: &'a Object,
    path: &str,
    patterns: &mut Patterns<'a>,
    problems: &mut Problems,
) {
    for key in FORBIDDEN_KEYS {
        if input.contains_key(key) {
            problems.push(
                "forbidden_key",
                key_path(path, key),
                format!("{key} is not allowed on an input; use catalog_ref"),
            );
        }
    }
    for TextRule {
        key,
        code,
        valid,
        rule,
    } in TEXT_RULES
    {
        match optional_str(input, key) {
            Optional::Unset => {}
            Optional::Set(value) if valid(value) => {}
            Optional::Set(value) => {
                problems.push(
                    code,
                    key_path(path, key),
                    format!("{key} {} {rule}", shown(value)),
                );
            }
            Optional::NotText => {
                problems.push(code, key_path(path, key), format!("{key} must be a string"));
            }
        }
    }
    check_optional_safe_text(input, "summary", path, problems);
    check_string_list(
        input,
        "allowed_values",
        path,
        "invalid_allowed_values",
        problems,
    );
    check_validation_pattern(input, path, patterns, problems);
    if input
        .get("entity_reference")
        .is_some_and(|flag| !flag.is_boolean())
    {
        problems.push(
            "invalid_entity_reference",
            key_path(path, "entity_reference"),
            "entity_reference must be true or false",
        );
    }
    check_resolution(input, path, problems);
}

fn check_validation_pattern<'a>(
    input: &'a Object,
    path: &str,
    patterns: &mut Patterns<'a>,
    problems: &mut Problems,
) {
    let at = key_path(path, "validation_pattern");
    match optional_str(input, "validation_pattern") {
        Optional::Unset => {}
        Optional::NotText => problems.push(
            "invalid_validation_pattern",
            at,
            "validation_pattern must be a string",
        ),
        Optional::Set(pattern) => match patterns.check(pattern) {
            Verdict::Fine => {}
            Verdict::Refused(why) => problems.push(
                "invalid_validation_pattern",
                at,
                format!("validation_pattern {why}"),
            ),
            Verdict::OverBudget => problems.push(
                "too_many_validation_patterns",
                at,
                format!(
                    "a definition may use at most {MAX_DISTINCT_PATTERNS} distinct validation patterns; \
                     the rest are not checked"
                ),
            ),
        },
    }
}

fn check_resolution(input: &Object, base: &str, problems: &mut Problems) {
    let path = key_path(base, "resolution");
    let resolution = match input.get("resolution") {
        None | Some(Value::Null) => return,
        Some(Value::Object(resolution)) => resolution,
        Some(_) => {
            problems.push(
                "invalid_resolution",
                path,
                "resolution must be an object or null",
            );
            return;
        }
    };
    let mode = str_at(resolution, "mode").filter(|mode| RESOLUTION_MODES.contains(mode));
    if mode.is_none() {
        problems.push(
            "invalid_resolution",
            key_path(&path, "mode"),
            format!("mode must be one of {}", RESOLUTION_MODES.join(", ")),
        );
    }
    for key in ["on_missing", "on_ambiguous", "on_unresolved"] {
        match optional_str(resolution, key) {
            Optional::Unset => {}
            Optional::Set(fallback) if FALLBACKS.contains(&fallback) => {}
            _ => problems.push(
                "invalid_resolution",
                key_path(&path, key),
                format!("{key} must be one of {}", FALLBACKS.join(", ")),
            ),
        }
    }
    let no_allowed_values = match input.get("allowed_values") {
        None | Some(Value::Null) => true,
        Some(Value::Array(values)) => values.is_empty(),
        // Not an array: already reported as invalid_allowed_values.
        Some(_) => false,
    };
    if mode == Some("closed_values") && no_allowed_values {
        problems.push(
            "invalid_resolution",
            key_path(base, "allowed_values"),
            "a closed_values resolution needs a non-empty allowed_values",
        );
    }
    let has_default = ["default_value", "default"]
        .iter()
        .any(|key| input.get(*key).is_some_and(|value| !value.is_null()));
    if str_at(resolution, "on_missing") == Some("use_default") && !has_default {
        problems.push(
            "invalid_resolution",
            key_path(&path, "on_missing"),
            "on_missing use_default needs a non-null default_value (or default)",
        );
    }
}
