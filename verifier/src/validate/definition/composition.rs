//! The composition of a composed capability: same-service atomic steps, input and output mappings without forward
//! references, failure and audit policies, and the empty-result contract.
//!
//! The shape, as the published fixtures write it: `composition.steps` is an array of `{id, capability,
//! empty_result_source?, step_order?}`; `composition.input_mapping` is keyed by step id, each entry mapping a child
//! input name to a JSONPath; `composition.output_mapping` maps parent output fields to JSONPaths.
//!
//! Judgement calls: `input_mapping` entries must name a declared step; `empty_result_source` counts only when it is
//! `true`; `empty_result_output` is "non-empty" when it is an object with at least one member; the four
//! `failure_policy` members are required (Go's decoder leaves a missing one empty, which is not an allowed value).

use std::collections::HashMap;

use serde_json::Value;

use super::inputs::input_name;
use super::syntax::{Source, is_identifier, parse_mapping_path, shown};
use super::{Formalized, Index};
use crate::record::Object;
use crate::validate::{Problems, index_path, key_path, str_at};

/// The only authority boundary a composition may declare.
const AUTHORITY_BOUNDARY: &str = "same_service";

/// The child outcomes a failure policy must settle.
const FAILURE_OUTCOMES: [&str; 4] = [
    "child_clarification",
    "child_denial",
    "child_approval_required",
    "child_error",
];

/// What a failure policy may do with a child outcome.
const FAILURE_ACTIONS: [&str; 2] = ["propagate", "fail_parent"];

/// The empty-result policy that needs an `empty_result_output`.
const RETURN_SUCCESS_NO_RESULTS: &str = "return_success_no_results";

/// One declared step: its id and the capability it calls, when that capability is known.
#[derive(Debug, Clone, Copy)]
struct Step<'c, 'i> {
    id: &'c str,
    child: Option<Formalized<'i>>,
}

/// The well-formed, distinct steps in declaration order, and each one's position in `steps` by id.
#[derive(Debug, Default)]
struct Steps<'c, 'i> {
    order: Vec<Step<'c, 'i>>,
    position: HashMap<&'c str, usize>,
}

impl Steps<'_, '_> {
    /// The declared position of step `id`.
    fn position(&self, id: &str) -> Option<usize> {
        self.position.get(id).copied()
    }
}

/// Checks the composition of the composed capability at `base`.
pub(super) fn check_composition(
    capability: &Object,
    base: &str,
    capability_id: Option<&str>,
    service_id: Option<&str>,
    index: &Index<'_>,
    problems: &mut Problems,
) {
    let path = key_path(base, "composition");
    let Some(Value::Object(composition)) = capability.get("composition") else {
        problems.push(
            "invalid_composition",
            path,
            "a composed capability needs a composition object",
        );
        return;
    };
    if str_at(composition, "authority_boundary") != Some(AUTHORITY_BOUNDARY) {
        problems.push(
            "invalid_composition",
            key_path(&path, "authority_boundary"),
            format!("authority_boundary must be {AUTHORITY_BOUNDARY:?}"),
        );
    }
    let [input_mapping, output_mapping, failure_policy, _audit_policy] = [
        "input_mapping",
        "output_mapping",
        "failure_policy",
        "audit_policy",
    ]
    .map(|key| {
        let member = composition.get(key).and_then(Value::as_object);
        if member.is_none() {
            problems.push(
                "invalid_composition",
                key_path(&path, key),
                format!("{key} must be an object"),
            );
        }
        member
    });
    if let Some(policy) = failure_policy {
        check_failure_policy(policy, &key_path(&path, "failure_policy"), problems);
    }
    let parent = Parent {
        capability_id,
        service_id,
    };
    let steps = check_steps(composition, &path, parent, index, problems);
    check_empty_result(composition, &path, problems);
    if let Some(mapping) = input_mapping {
        check_input_mapping(mapping, &path, &steps, problems);
    }
    if let Some(mapping) = output_mapping {
        check_output_mapping(mapping, &path, &steps, problems);
    }
}

fn check_failure_policy(policy: &Object, path: &str, problems: &mut Problems) {
    for key in FAILURE_OUTCOMES {
        if !str_at(policy, key).is_some_and(|action| FAILURE_ACTIONS.contains(&action)) {
            problems.push(
                "invalid_composition",
                key_path(path, key),
                format!("{key} must be \"propagate\" or \"fail_parent\""),
            );
        }
    }
}

/// The composed capability whose steps are checked.
#[derive(Debug, Clone, Copy)]
struct Parent<'p> {
    capability_id: Option<&'p str>,
    service_id: Option<&'p str>,
}

/// Checks the steps and returns the well-formed, distinct step ids.
fn check_steps<'c, 'i>(
    composition: &'c Object,
    path: &str,
    parent: Parent<'_>,
    index: &Index<'i>,
    problems: &mut Problems,
) -> Steps<'c, 'i> {
    let list_path = key_path(path, "steps");
    let items = match composition.get("steps") {
        Some(Value::Array(items)) if !items.is_empty() => items,
        _ => {
            problems.push(
                "invalid_composition",
                list_path,
                "steps must be a non-empty array",
            );
            return Steps::default();
        }
    };
    let mut steps = Steps::default();
    let mut empty_result_sources = 0usize;
    for (k, item) in items.iter().enumerate() {
        if problems.is_full() {
            break;
        }
        let step_path = index_path(&list_path, k);
        let Value::Object(step) = item else {
            problems.push("invalid_composition", step_path, "a step must be an object");
            continue;
        };
        let child = check_step_capability(step, &step_path, parent, index, problems);
        match str_at(step, "id") {
            Some(id) if is_identifier(id) => {
                if steps.position.contains_key(id) {
                    problems.push(
                        "duplicate_step_id",
                        key_path(&step_path, "id"),
                        format!("step id {} is used twice", shown(id)),
                    );
                } else {
                    steps.position.insert(id, k);
                    steps.order.push(Step { id, child });
                }
            }
            _ => problems.push(
                "invalid_step_id",
                key_path(&step_path, "id"),
                "a step needs an id matching ^[A-Za-z_][A-Za-z0-9_]*$",
            ),
        }
        if step.get("empty_result_source") == Some(&Value::Bool(true)) {
            empty_result_sources += 1;
            if empty_result_sources == 2 {
                problems.push(
                    "invalid_composition",
                    key_path(&step_path, "empty_result_source"),
                    "at most one step may be the empty_result_source",
                );
            }
        }
    }
    if empty_result_sources > 0
        && str_at(composition, "empty_result_policy").is_none_or(|p| p.trim().is_empty())
    {
        problems.push(
            "invalid_composition",
            key_path(path, "empty_result_policy"),
            "a step is the empty_result_source, so empty_result_policy is required",
        );
    }
    steps
}

/// Checks the capability a step calls and returns it when it is known. A child's missing service or kind is
/// reported on the child, not again here.
fn check_step_capability<'i>(
    step: &Object,
    step_path: &str,
    parent: Parent<'_>,
    index: &Index<'i>,
    problems: &mut Problems,
) -> Option<Formalized<'i>> {
    let at = key_path(step_path, "capability");
    let Some(id) = str_at(step, "capability") else {
        problems.push(
            "invalid_step_capability",
            at,
            "a step needs a capability string",
        );
        return None;
    };
    let Some(child) = index.capabilities.get(id).copied() else {
        problems.push(
            "invalid_step_capability",
            at,
            format!("capability {} is not formalized", shown(id)),
        );
        return None;
    };
    let why = if parent.capability_id == Some(id) {
        Some("a composed capability cannot call itself")
    } else if let (Some(child_service), Some(parent_service)) =
        (child.service_id, parent.service_id)
        && child_service != parent_service
    {
        Some("a step must call a capability of the same service")
    } else if child.kind.is_some_and(|kind| kind != "atomic") {
        Some("a step must call an atomic capability")
    } else {
        None
    };
    if let Some(why) = why {
        problems.push("invalid_step_capability", at, why);
    }
    Some(child)
}

fn check_empty_result(composition: &Object, path: &str, problems: &mut Problems) {
    if str_at(composition, "empty_result_policy") != Some(RETURN_SUCCESS_NO_RESULTS) {
        return;
    }
    let has_output = composition
        .get("empty_result_output")
        .and_then(Value::as_object)
        .is_some_and(|output| !output.is_empty());
    if !has_output {
        problems.push(
            "invalid_composition",
            key_path(path, "empty_result_output"),
            "return_success_no_results needs a non-empty empty_result_output object",
        );
    }
}

/// `input_mapping`: one object per declared step, JSONPaths reading the parent input or earlier steps, and every
/// required input of the step's capability mapped.
fn check_input_mapping(
    mapping: &Object,
    path: &str,
    steps: &Steps<'_, '_>,
    problems: &mut Problems,
) {
    let mapping_path = key_path(path, "input_mapping");
    for (step_id, entry) in mapping {
        if problems.is_full() {
            return;
        }
        let entry_path = key_path(&mapping_path, step_id);
        let Some(position) = steps.position(step_id) else {
            problems.push(
                "invalid_composition",
                entry_path,
                format!(
                    "input_mapping names {}, which is not a step id",
                    shown(step_id)
                ),
            );
            continue;
        };
        let Value::Object(fields) = entry else {
            problems.push(
                "invalid_composition",
                entry_path,
                "a step's input mapping must be an object",
            );
            continue;
        };
        for (field, value) in fields {
            let here = key_path(&entry_path, field);
            match check_mapping_value(value, &here, steps, problems) {
                Some(source) if source >= position => problems.push(
                    "forward_step_reference",
                    here,
                    "a step's input may only read the output of an earlier step",
                ),
                _ => {}
            }
        }
    }
    for step in &steps.order {
        if problems.is_full() {
            return;
        }
        let Some(child) = step.child else { continue };
        let step_id = step.id;
        let mapped = mapping.get(step_id).and_then(Value::as_object);
        for input in child.inputs.iter().filter_map(Value::as_object) {
            if input.get("required") != Some(&Value::Bool(true)) {
                continue;
            }
            let Some((_, name)) = input_name(input) else {
                continue;
            };
            if !mapped.is_some_and(|fields| fields.contains_key(name)) {
                problems.push(
                    "unmapped_required_input",
                    key_path(&mapping_path, step_id),
                    format!(
                        "required input {} of step {} is not mapped",
                        shown(name),
                        shown(step_id)
                    ),
                );
            }
        }
    }
}

/// `output_mapping`: non-empty, JSONPaths reading the parent input or any step.
fn check_output_mapping(
    mapping: &Object,
    path: &str,
    steps: &Steps<'_, '_>,
    problems: &mut Problems,
) {
    let mapping_path = key_path(path, "output_mapping");
    if mapping.is_empty() {
        problems.push(
            "invalid_composition",
            mapping_path,
            "output_mapping must not be empty",
        );
        return;
    }
    for (field, value) in mapping {
        if problems.is_full() {
            return;
        }
        check_mapping_value(value, &key_path(&mapping_path, field), steps, problems);
    }
}

/// Checks one mapping value and returns the position of the step it reads, if it reads a declared step.
fn check_mapping_value(
    value: &Value,
    here: &str,
    steps: &Steps<'_, '_>,
    problems: &mut Problems,
) -> Option<usize> {
    let source = value.as_str().and_then(parse_mapping_path);
    match source {
        Some(Source::Input) => None,
        Some(Source::Step(id)) => {
            let step = steps.position(id);
            if step.is_none() {
                problems.push(
                    "invalid_mapping_path",
                    here,
                    format!("{} names no step of this composition", shown(id)),
                );
            }
            step
        }
        None => {
            problems.push(
                "invalid_mapping_path",
                here,
                "a mapping value must be a JSONPath like $.input.a or $.steps.<id>.output.a",
            );
            None
        }
    }
}
