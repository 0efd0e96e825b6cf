//! Service-definition validation: the real fixtures, one mutation per rule, and hostile inputs.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common;

use serde_json::{Value, json};
use verifier::validate::{Problem, Problems, check_service_definition};

/// Every service definition the production registry accepted.
const ACCEPTED: [&str; 13] = [
    "packages/github-fronting-showcase-0.2.0-publish-request.json",
    "packages/gtm-pipeline-q2-review-0.4.1-publish-request.json",
    "packages/gtm-pipeline-q2-review-0.4.3-publish-request.json",
    "packages/gtm-pipeline-q2-review-0.4.4-publish-request.json",
    "packages/gtm-pipeline-q2-review-0.4.5-publish-request.json",
    "packages/superset-fronting-showcase-0.2.0-publish-request.json",
    "packages/github-fronting-showcase-0.2.0.anip-package.json",
    "packages/gitlab-fronting-showcase-0.2.0.anip-package.json",
    "packages/gtm-pipeline-q2-review-0.4.0.anip-package.json",
    "packages/gtm-pipeline-q2-review-0.4.3.anip-package.json",
    "packages/gtm-pipeline-q2-review-0.4.5.anip-package.json",
    "packages/superset-fronting-showcase-0.2.0.anip-package.json",
    "work-item-fronting-definition.json",
];

/// The service definition of a publish request or bundle (top level), or the file itself.
fn definition_of(relative: &str) -> Value {
    let mut document = common::fixture_json(relative);
    match document.get_mut("service_definition") {
        Some(definition) => definition.take(),
        None => document,
    }
}

fn check(definition: &Value) -> Vec<Problem> {
    let mut problems = Problems::new();
    check_service_definition(definition.as_object().unwrap(), &mut problems);
    problems.as_slice().to_vec()
}

fn listing(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("\n  {} at {}: {}", p.code, p.path, p.message))
        .collect()
}

#[test]
fn every_accepted_definition_passes() {
    for relative in ACCEPTED {
        let problems = check(&definition_of(relative));
        assert!(problems.is_empty(), "{relative}:{}", listing(&problems));
    }
}

#[test]
fn a_capability_without_kind_is_rejected() {
    let definition = definition_of("packages/gtm-pipeline-q2-review-0.2.0-publish-request.json");
    let capabilities = definition["capability_formalizations"]
        .as_array()
        .unwrap()
        .len();
    let problems = check(&definition);
    let expected: Vec<(&str, String)> = (0..capabilities)
        .map(|i| {
            let path = format!("service_definition.capability_formalizations[{i}].kind");
            ("missing_field", path)
        })
        .collect();
    let found: Vec<(&str, String)> = problems.iter().map(|p| (p.code, p.path.clone())).collect();
    assert_eq!(found, expected, "{}", listing(&problems));
}

#[test]
fn reference_catalog_on_an_input_is_rejected() {
    let relative = "packages/gtm-pipeline-q2-review-0.3.6-publish-request.json";
    let mut definition = definition_of(relative);
    let problems = check(&definition);
    assert!(!problems.is_empty());
    assert_eq!(
        problems[0].path,
        "service_definition.capability_formalizations[0].inputs[0].reference_catalog"
    );
    for problem in &problems {
        assert_eq!(problem.code, "forbidden_key", "{}", listing(&problems));
        assert!(
            problem.path.ends_with("].reference_catalog"),
            "{}",
            problem.path
        );
    }
    // It is the only thing wrong with that definition.
    for capability in definition["capability_formalizations"]
        .as_array_mut()
        .unwrap()
    {
        for input in capability["inputs"].as_array_mut().unwrap() {
            input.as_object_mut().unwrap().remove("reference_catalog");
        }
    }
    let rest = check(&definition);
    assert!(rest.is_empty(), "{}", listing(&rest));
}

/// A small definition that uses every rule: two atomic capabilities and a composed one, a grant policy, and
/// fronting with an explicit backend binding and a mapping that is its own binding.
fn minimal() -> Value {
    let failure_policy = json!({
        "child_clarification": "propagate",
        "child_denial": "propagate",
        "child_approval_required": "propagate",
        "child_error": "fail_parent"
    });
    let grant_policy = json!({
        "allowed_grant_types": ["one_time", "session_bound"],
        "default_grant_type": "one_time",
        "expires_in_seconds": 900,
        "max_uses": 1
    });
    json!({
        "artifact_type": "anip_service_definition",
        "contract_schema_version": "anip-service-definition/v1",
        "identity": {"system_name": "Work items"},
        "service_topology_bindings": [
            {"id": "svc-1", "service_id": "work-items", "service_name": "Work item service"}
        ],
        "capability_formalizations": [
            {
                "capability_id": "work_item.search",
                "service_id": "work-items",
                "title": "Search work items",
                "summary": "Search the work items of a project.",
                "intent_type": "read",
                "operation_type": "read",
                "side_effect_level": "read",
                "backend_operation": "native.search_work_items",
                "path_template": "/work-items/{project_key}/search",
                "output_shape": "work_item_search_result",
                "kind": "atomic",
                "composition": null,
                "grant_policy": null,
                "business_effects": {"produces": ["data.read"]},
                "inputs": [
                    {
                        "input_name": "project_key",
                        "input_type": "string",
                        "required": true,
                        "summary": "Project key",
                        "semantic_type": "project_ref",
                        "catalog_ref": "work_item.project_catalog",
                        "entity_reference": true,
                        "validation_pattern": "^[A-Z][A-Z0-9_]+$",
                        "allowed_values": [],
                        "resolution": {
                            "mode": "backend_resolved",
                            "on_missing": "clarify",
                            "on_ambiguous": "clarify",
                            "on_unresolved": "deny"
                        }
                    },
                    {
                        "input_name": "status",
                        "input_type": "string",
                        "required": false,
                        "summary": "Status filter",
                        "allowed_values": ["open", "closed"],
                        "default_value": "open",
                        "resolution": {"mode": "closed_values", "on_missing": "use_default"}
                    },
                    {"name": "labels", "input_type": "array<string>", "required": false},
                    {
                        "input_name": "quarter",
                        "input_type": "string",
                        "input_format": "business_quarter",
                        "validation_pattern": "^\\d{4}-Q[1-4]$",
                        "required": false,
                        "resolution": null
                    }
                ]
            },
            {
                "capability_id": "work_item.prepare_update",
                "service_id": "work-items",
                "title": "Prepare a work item update",
                "summary": "Preview an update to one work item.",
                "intent_type": "prepare_only",
                "operation_type": "approval_gated",
                "side_effect_level": "approval_required",
                "backend_operation": "native.update_work_item",
                "path_template": "/work-items/items/{item_id}/update",
                "output_shape": "work_item_update_preview",
                "kind": "atomic",
                "grant_policy": grant_policy,
                "inputs": [
                    {"input_name": "item_id", "input_type": "string", "required": true, "summary": "Item id"},
                    {"input_name": "changes", "input_type": "map<string,string>", "required": false}
                ]
            },
            {
                "capability_id": "work_item.triage",
                "service_id": "work-items",
                "title": "Triage a project",
                "summary": "Find a work item and prepare its update.",
                "intent_type": "approval_preview",
                "operation_type": "approval_gated",
                "side_effect_level": "approval_required",
                "backend_operation": "work_item.triage",
                "path_template": "/work-items/triage",
                "output_shape": "work_item_triage_result",
                "kind": "composed",
                "grant_policy": grant_policy,
                "inputs": [
                    {"input_name": "project_key", "input_type": "string", "required": true}
                ],
                "composition": {
                    "authority_boundary": "same_service",
                    "steps": [
                        {"id": "search", "capability": "work_item.search", "empty_result_source": true},
                        {"id": "prepare", "capability": "work_item.prepare_update", "step_order": 2}
                    ],
                    "input_mapping": {
                        "search": {"project_key": "$.input.project_key"},
                        "prepare": {"item_id": "$.steps.search.output.items.first_id"}
                    },
                    "output_mapping": {
                        "result": "$.steps.prepare.output.result",
                        "found": "$.steps.search.output.items"
                    },
                    "failure_policy": failure_policy,
                    "audit_policy": {"record_child_invocations": true, "parent_task_lineage": true},
                    "empty_result_policy": "return_success_no_results",
                    "empty_result_output": {"result": null, "empty": true}
                }
            }
        ],
        "integration_fronting": {
            "project_type": "integration_fronting",
            "capability_mappings": [
                {
                    "capability_id": "work_item.search",
                    "service_id": "work-items",
                    "title": "Search work items",
                    "intent": "Search work items without exposing the raw API.",
                    "backend_bindings": [
                        {
                            "backend_kind": "native_api",
                            "connection_ref": "conn-work-items",
                            "raw_operation_refs": ["native.search_work_items"],
                            "backend_input_mode": "explicit",
                            "explicit_required_backend_inputs": ["project_key"],
                            "explicit_optional_backend_inputs": [],
                            "matched_discovery_record_ids": ["search-items"]
                        }
                    ]
                },
                {
                    "capability_id": "work_item.prepare_update",
                    "service_id": "work-items",
                    "backend_kind": "native_api",
                    "connection_ref": "conn-work-items",
                    "raw_operation_refs": ["native.update_work_item"],
                    "backend_input_mode": "implicit"
                }
            ]
        }
    })
}

#[test]
fn the_minimal_definition_is_valid() {
    let problems = check(&minimal());
    assert!(problems.is_empty(), "{}", listing(&problems));
}

/// One rule broken: its name, the mutation, and the problem (code and exact path) it must produce.
type Case = (&'static str, fn(&mut Value), &'static str, &'static str);

fn cap(d: &mut Value, i: usize) -> &mut Value {
    &mut d["capability_formalizations"][i]
}

fn input(d: &mut Value, c: usize, i: usize) -> &mut Value {
    &mut d["capability_formalizations"][c]["inputs"][i]
}

fn composition(d: &mut Value) -> &mut Value {
    &mut d["capability_formalizations"][2]["composition"]
}

fn mapping(d: &mut Value, m: usize) -> &mut Value {
    &mut d["integration_fronting"]["capability_mappings"][m]
}

fn binding(d: &mut Value) -> &mut Value {
    &mut mapping(d, 0)["backend_bindings"][0]
}

fn remove(value: &mut Value, key: &str) {
    value.as_object_mut().unwrap().remove(key);
}

fn add_service(d: &mut Value, id: &str) {
    let bindings = d["service_topology_bindings"].as_array_mut().unwrap();
    bindings.push(json!({"service_id": id}));
}

const C0: &str = "service_definition.capability_formalizations[0]";

fn run(cases: &[Case]) {
    let mut failures = Vec::new();
    for (name, mutate, code, path) in cases {
        let mut definition = minimal();
        mutate(&mut definition);
        let problems = check(&definition);
        if !problems.iter().any(|p| p.code == *code && p.path == *path) {
            failures.push(format!(
                "{name}: expected {code} at {path}, got:{}",
                listing(&problems)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
#[rustfmt::skip]
fn header_and_topology_rules() {
    let t = "service_definition.service_topology_bindings";
    let cases: Vec<Case> = vec![
        ("artifact type", |d| d["artifact_type"] = json!("anip_package"), "invalid_artifact_type", "service_definition.artifact_type"),
        ("schema version", |d| d["contract_schema_version"] = json!("anip-service-definition/v2"), "invalid_contract_schema_version", "service_definition.contract_schema_version"),
        ("blank system name", |d| d["identity"]["system_name"] = json!("  "), "missing_system_name", "service_definition.identity.system_name"),
        ("no identity", |d| remove(d, "identity"), "missing_system_name", "service_definition.identity.system_name"),
        ("empty topology", |d| d["service_topology_bindings"] = json!([]), "invalid_topology", t),
        ("topology not an array", |d| d["service_topology_bindings"] = json!({}), "invalid_topology", t),
        ("binding not an object", |d| d["service_topology_bindings"][0] = json!("work-items"), "invalid_topology", "service_definition.service_topology_bindings[0]"),
        ("ownership mode", |d| d["service_topology_bindings"][0]["ownership_mode"] = json!("owned"), "forbidden_key", "service_definition.service_topology_bindings[0].ownership_mode"),
        ("service id case", |d| d["service_topology_bindings"][0]["service_id"] = json!("Work-Items"), "invalid_service_id", "service_definition.service_topology_bindings[0].service_id"),
        ("service id separators", |d| d["service_topology_bindings"][0]["service_id"] = json!("work--items"), "invalid_service_id", "service_definition.service_topology_bindings[0].service_id"),
        ("service id trailing separator", |d| d["service_topology_bindings"][0]["service_id"] = json!("work-"), "invalid_service_id", "service_definition.service_topology_bindings[0].service_id"),
        ("service id missing", |d| remove(&mut d["service_topology_bindings"][0], "service_id"), "invalid_service_id", "service_definition.service_topology_bindings[0].service_id"),
        ("duplicate service", |d| add_service(d, "work-items"), "duplicate_service_id", "service_definition.service_topology_bindings[1].service_id"),
        ("service name control", |d| d["service_topology_bindings"][0]["service_name"] = json!("Work\u{7}items"), "unsafe_text", "service_definition.service_topology_bindings[0].service_name"),
        ("service name empty", |d| d["service_topology_bindings"][0]["service_name"] = json!(""), "unsafe_text", "service_definition.service_topology_bindings[0].service_name"),
        ("service name not text", |d| d["service_topology_bindings"][0]["service_name"] = json!(7), "unsafe_text", "service_definition.service_topology_bindings[0].service_name"),
    ];
    run(&cases);
    assert!(t.starts_with("service_definition"));
}

#[test]
#[rustfmt::skip]
fn capability_rules() {
    let cases: Vec<Case> = vec![
        ("no capabilities", |d| d["capability_formalizations"] = json!([]), "invalid_capabilities", "service_definition.capability_formalizations"),
        ("capability not an object", |d| d["capability_formalizations"].as_array_mut().unwrap().push(json!(5)), "invalid_capabilities", "service_definition.capability_formalizations[3]"),
        ("id without dot", |d| cap(d, 0)["capability_id"] = json!("worksearch"), "invalid_capability_id", "service_definition.capability_formalizations[0].capability_id"),
        ("id upper case", |d| cap(d, 0)["capability_id"] = json!("Work_item.search"), "invalid_capability_id", "service_definition.capability_formalizations[0].capability_id"),
        ("id empty part", |d| cap(d, 0)["capability_id"] = json!("work_item..search"), "invalid_capability_id", "service_definition.capability_formalizations[0].capability_id"),
        ("duplicate id", |d| cap(d, 1)["capability_id"] = json!("work_item.search"), "duplicate_capability_id", "service_definition.capability_formalizations[1].capability_id"),
        ("blank title", |d| cap(d, 0)["title"] = json!("   "), "missing_field", "service_definition.capability_formalizations[0].title"),
        ("title not text", |d| cap(d, 0)["title"] = json!(5), "missing_field", "service_definition.capability_formalizations[0].title"),
        ("unknown service", |d| cap(d, 0)["service_id"] = json!("billing"), "unknown_service", "service_definition.capability_formalizations[0].service_id"),
        ("title control", |d| cap(d, 0)["title"] = json!("Search\u{0}"), "unsafe_text", "service_definition.capability_formalizations[0].title"),
        ("summary too long", |d| cap(d, 0)["summary"] = json!("s".repeat(8193)), "unsafe_text", "service_definition.capability_formalizations[0].summary"),
        ("summary C1 control", |d| cap(d, 0)["summary"] = json!("a\u{85}b"), "unsafe_text", "service_definition.capability_formalizations[0].summary"),
        ("backend operation start", |d| cap(d, 0)["backend_operation"] = json!("9search"), "invalid_operation_name", "service_definition.capability_formalizations[0].backend_operation"),
        ("backend operation length", |d| cap(d, 0)["backend_operation"] = json!("a".repeat(129)), "invalid_operation_name", "service_definition.capability_formalizations[0].backend_operation"),
        ("output shape space", |d| cap(d, 0)["output_shape"] = json!("search result"), "invalid_operation_name", "service_definition.capability_formalizations[0].output_shape"),
        ("path without slash", |d| cap(d, 0)["path_template"] = json!("work-items"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path dot dot", |d| cap(d, 0)["path_template"] = json!("/work-items/../admin"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path double slash", |d| cap(d, 0)["path_template"] = json!("/work-items//search"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path backslash", |d| cap(d, 0)["path_template"] = json!("/work-items\\search"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path variable", |d| cap(d, 0)["path_template"] = json!("/work-items/{project-key}"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path segment", |d| cap(d, 0)["path_template"] = json!("/work items"), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("path too long", |d| cap(d, 0)["path_template"] = json!(format!("/{}", "a".repeat(256))), "invalid_path_template", "service_definition.capability_formalizations[0].path_template"),
        ("unknown kind", |d| cap(d, 0)["kind"] = json!("hybrid"), "invalid_kind", "service_definition.capability_formalizations[0].kind"),
    ];
    run(&cases);
}

#[test]
fn every_required_capability_field() {
    for key in [
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
    ] {
        let mut definition = minimal();
        remove(cap(&mut definition, 0), key);
        let problems = check(&definition);
        let path = format!("{C0}.{key}");
        assert!(
            problems
                .iter()
                .any(|p| p.code == "missing_field" && p.path == path),
            "{key}:{}",
            listing(&problems)
        );
    }
}

#[test]
#[rustfmt::skip]
fn input_rules() {
    let cases: Vec<Case> = vec![
        ("inputs not an array", |d| cap(d, 0)["inputs"] = json!({}), "invalid_inputs", "service_definition.capability_formalizations[0].inputs"),
        ("input not an object", |d| cap(d, 0)["inputs"][0] = json!("project_key"), "invalid_inputs", "service_definition.capability_formalizations[0].inputs[0]"),
        ("no name", |d| remove(input(d, 0, 0), "input_name"), "invalid_input_name", "service_definition.capability_formalizations[0].inputs[0].input_name"),
        ("bad name", |d| input(d, 0, 0)["input_name"] = json!("project-key"), "invalid_input_name", "service_definition.capability_formalizations[0].inputs[0].input_name"),
        ("bad name key", |d| input(d, 0, 2)["name"] = json!("9labels"), "invalid_input_name", "service_definition.capability_formalizations[0].inputs[2].name"),
        ("duplicate name", |d| input(d, 0, 1)["input_name"] = json!("project_key"), "duplicate_input_name", "service_definition.capability_formalizations[0].inputs[1].input_name"),
        ("duplicate across keys", |d| input(d, 0, 2)["name"] = json!("status"), "duplicate_input_name", "service_definition.capability_formalizations[0].inputs[2].name"),
        ("type unclosed", |d| input(d, 0, 0)["input_type"] = json!("array<string"), "invalid_input_type", "service_definition.capability_formalizations[0].inputs[0].input_type"),
        ("type spaced", |d| input(d, 0, 0)["input_type"] = json!("map<string, integer>"), "invalid_input_type", "service_definition.capability_formalizations[0].inputs[0].input_type"),
        ("type nested", |d| input(d, 0, 0)["input_type"] = json!("array<array<string>>"), "invalid_input_type", "service_definition.capability_formalizations[0].inputs[0].input_type"),
        ("type not text", |d| input(d, 0, 0)["input_type"] = json!(3), "invalid_input_type", "service_definition.capability_formalizations[0].inputs[0].input_type"),
        ("summary empty", |d| input(d, 0, 0)["summary"] = json!(""), "unsafe_text", "service_definition.capability_formalizations[0].inputs[0].summary"),
        ("allowed values not a list", |d| input(d, 0, 1)["allowed_values"] = json!("open"), "invalid_allowed_values", "service_definition.capability_formalizations[0].inputs[1].allowed_values"),
        ("allowed value blank", |d| input(d, 0, 1)["allowed_values"] = json!(["open", " "]), "invalid_allowed_values", "service_definition.capability_formalizations[0].inputs[1].allowed_values[1]"),
        ("allowed value number", |d| input(d, 0, 1)["allowed_values"] = json!(["open", 2]), "invalid_allowed_values", "service_definition.capability_formalizations[0].inputs[1].allowed_values[1]"),
        ("pattern syntax", |d| input(d, 0, 0)["validation_pattern"] = json!("^(ab$"), "invalid_validation_pattern", "service_definition.capability_formalizations[0].inputs[0].validation_pattern"),
        ("pattern repeat", |d| input(d, 0, 0)["validation_pattern"] = json!("^a{1001}$"), "invalid_validation_pattern", "service_definition.capability_formalizations[0].inputs[0].validation_pattern"),
        ("pattern not text", |d| input(d, 0, 0)["validation_pattern"] = json!(true), "invalid_validation_pattern", "service_definition.capability_formalizations[0].inputs[0].validation_pattern"),
        ("format", |d| input(d, 0, 3)["input_format"] = json!("quarter"), "invalid_input_format", "service_definition.capability_formalizations[0].inputs[3].input_format"),
        ("reference catalog", |d| input(d, 0, 0)["reference_catalog"] = json!("projects"), "forbidden_key", "service_definition.capability_formalizations[0].inputs[0].reference_catalog"),
        ("reference catalogs", |d| input(d, 0, 0)["reference_catalogs"] = json!([]), "forbidden_key", "service_definition.capability_formalizations[0].inputs[0].reference_catalogs"),
        ("semantic type", |d| input(d, 0, 0)["semantic_type"] = json!("project ref"), "invalid_semantic_type", "service_definition.capability_formalizations[0].inputs[0].semantic_type"),
        ("catalog ref", |d| input(d, 0, 0)["catalog_ref"] = json!("project catalog"), "invalid_catalog_ref", "service_definition.capability_formalizations[0].inputs[0].catalog_ref"),
        ("entity reference", |d| input(d, 0, 0)["entity_reference"] = json!("yes"), "invalid_entity_reference", "service_definition.capability_formalizations[0].inputs[0].entity_reference"),
        ("resolution not an object", |d| input(d, 0, 0)["resolution"] = json!("clarify"), "invalid_resolution", "service_definition.capability_formalizations[0].inputs[0].resolution"),
        ("resolution mode", |d| input(d, 0, 0)["resolution"]["mode"] = json!("guess"), "invalid_resolution", "service_definition.capability_formalizations[0].inputs[0].resolution.mode"),
        ("resolution without mode", |d| remove(&mut input(d, 0, 0)["resolution"], "mode"), "invalid_resolution", "service_definition.capability_formalizations[0].inputs[0].resolution.mode"),
        ("resolution fallback", |d| input(d, 0, 0)["resolution"]["on_unresolved"] = json!("ignore"), "invalid_resolution", "service_definition.capability_formalizations[0].inputs[0].resolution.on_unresolved"),
        ("closed values without values", |d| input(d, 0, 1)["allowed_values"] = json!([]), "invalid_resolution", "service_definition.capability_formalizations[0].inputs[1].allowed_values"),
        ("use default without default", |d| input(d, 0, 1)["default_value"] = Value::Null, "invalid_resolution", "service_definition.capability_formalizations[0].inputs[1].resolution.on_missing"),
    ];
    run(&cases);
}

#[test]
#[rustfmt::skip]
fn composition_rules() {
    let c = "service_definition.capability_formalizations[2].composition";
    let cases: Vec<Case> = vec![
        ("atomic with composition", |d| cap(d, 0)["composition"] = json!({}), "invalid_composition", "service_definition.capability_formalizations[0].composition"),
        ("composed without composition", |d| cap(d, 2)["composition"] = Value::Null, "invalid_composition", "service_definition.capability_formalizations[2].composition"),
        ("authority boundary", |d| composition(d)["authority_boundary"] = json!("cross_service"), "invalid_composition", "service_definition.capability_formalizations[2].composition.authority_boundary"),
        ("no steps", |d| composition(d)["steps"] = json!([]), "invalid_composition", "service_definition.capability_formalizations[2].composition.steps"),
        ("step not an object", |d| composition(d)["steps"][1] = json!("prepare"), "invalid_composition", "service_definition.capability_formalizations[2].composition.steps[1]"),
        ("step id", |d| composition(d)["steps"][0]["id"] = json!("1st"), "invalid_step_id", "service_definition.capability_formalizations[2].composition.steps[0].id"),
        ("duplicate step id", |d| composition(d)["steps"][1]["id"] = json!("search"), "duplicate_step_id", "service_definition.capability_formalizations[2].composition.steps[1].id"),
        ("unknown step capability", |d| composition(d)["steps"][0]["capability"] = json!("work_item.archive"), "invalid_step_capability", "service_definition.capability_formalizations[2].composition.steps[0].capability"),
        ("step calls its parent", |d| composition(d)["steps"][1]["capability"] = json!("work_item.triage"), "invalid_step_capability", "service_definition.capability_formalizations[2].composition.steps[1].capability"),
        ("step of another service", |d| {
            add_service(d, "reporting");
            cap(d, 1)["service_id"] = json!("reporting");
        }, "invalid_step_capability", "service_definition.capability_formalizations[2].composition.steps[1].capability"),
        ("step not atomic", |d| cap(d, 1)["kind"] = json!("composed"), "invalid_step_capability", "service_definition.capability_formalizations[2].composition.steps[1].capability"),
        ("required input unmapped", |d| remove(&mut composition(d)["input_mapping"]["prepare"], "item_id"), "unmapped_required_input", "service_definition.capability_formalizations[2].composition.input_mapping.prepare"),
        ("no input mapping", |d| remove(composition(d), "input_mapping"), "invalid_composition", "service_definition.capability_formalizations[2].composition.input_mapping"),
        ("empty output mapping", |d| composition(d)["output_mapping"] = json!({}), "invalid_composition", "service_definition.capability_formalizations[2].composition.output_mapping"),
        ("failure policy missing", |d| remove(composition(d), "failure_policy"), "invalid_composition", "service_definition.capability_formalizations[2].composition.failure_policy"),
        ("failure action", |d| composition(d)["failure_policy"]["child_error"] = json!("retry"), "invalid_composition", "service_definition.capability_formalizations[2].composition.failure_policy.child_error"),
        ("failure outcome missing", |d| remove(&mut composition(d)["failure_policy"], "child_denial"), "invalid_composition", "service_definition.capability_formalizations[2].composition.failure_policy.child_denial"),
        ("audit policy", |d| composition(d)["audit_policy"] = json!(true), "invalid_composition", "service_definition.capability_formalizations[2].composition.audit_policy"),
        ("two empty-result sources", |d| composition(d)["steps"][1]["empty_result_source"] = json!(true), "invalid_composition", "service_definition.capability_formalizations[2].composition.steps[1].empty_result_source"),
        ("source without policy", |d| composition(d)["empty_result_policy"] = Value::Null, "invalid_composition", "service_definition.capability_formalizations[2].composition.empty_result_policy"),
        ("no-results without output", |d| composition(d)["empty_result_output"] = json!({}), "invalid_composition", "service_definition.capability_formalizations[2].composition.empty_result_output"),
        ("mapping not a JSONPath", |d| composition(d)["input_mapping"]["search"]["project_key"] = json!("input.project_key"), "invalid_mapping_path", "service_definition.capability_formalizations[2].composition.input_mapping.search.project_key"),
        ("mapping bare input", |d| composition(d)["input_mapping"]["search"]["project_key"] = json!("$.input"), "invalid_mapping_path", "service_definition.capability_formalizations[2].composition.input_mapping.search.project_key"),
        ("mapping not text", |d| composition(d)["input_mapping"]["search"]["project_key"] = json!(1), "invalid_mapping_path", "service_definition.capability_formalizations[2].composition.input_mapping.search.project_key"),
        ("output from no step", |d| composition(d)["output_mapping"]["result"] = json!("$.steps.ghost.output.result"), "invalid_mapping_path", "service_definition.capability_formalizations[2].composition.output_mapping.result"),
        ("forward reference", |d| composition(d)["input_mapping"]["search"]["project_key"] = json!("$.steps.prepare.output.key"), "forward_step_reference", "service_definition.capability_formalizations[2].composition.input_mapping.search.project_key"),
        ("self reference", |d| composition(d)["input_mapping"]["prepare"]["item_id"] = json!("$.steps.prepare.output.id"), "forward_step_reference", "service_definition.capability_formalizations[2].composition.input_mapping.prepare.item_id"),
        ("mapping for no step", |d| composition(d)["input_mapping"]["ghost"] = json!({}), "invalid_composition", "service_definition.capability_formalizations[2].composition.input_mapping.ghost"),
        ("step mapping not an object", |d| composition(d)["input_mapping"]["search"] = json!("$.input"), "invalid_composition", "service_definition.capability_formalizations[2].composition.input_mapping.search"),
    ];
    run(&cases);
    assert!(c.ends_with("composition"));
}

#[test]
#[rustfmt::skip]
fn grant_policy_rules() {
    let cases: Vec<Case> = vec![
        ("not an object", |d| cap(d, 1)["grant_policy"] = json!("one_time"), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy"),
        ("no grant types", |d| cap(d, 1)["grant_policy"]["allowed_grant_types"] = json!([]), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.allowed_grant_types"),
        ("unknown grant type", |d| cap(d, 1)["grant_policy"]["allowed_grant_types"] = json!(["one_time", "forever"]), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.allowed_grant_types[1]"),
        ("default not allowed", |d| cap(d, 1)["grant_policy"]["allowed_grant_types"] = json!(["session_bound"]), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.default_grant_type"),
        ("no default", |d| remove(&mut cap(d, 1)["grant_policy"], "default_grant_type"), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.default_grant_type"),
        ("zero expiry", |d| cap(d, 1)["grant_policy"]["expires_in_seconds"] = json!(0), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.expires_in_seconds"),
        ("expiry as text", |d| cap(d, 1)["grant_policy"]["expires_in_seconds"] = json!("900"), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.expires_in_seconds"),
        ("fractional uses", |d| cap(d, 1)["grant_policy"]["max_uses"] = json!(1.5), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.max_uses"),
        ("negative uses", |d| cap(d, 1)["grant_policy"]["max_uses"] = json!(-1), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.max_uses"),
        ("no uses", |d| remove(&mut cap(d, 1)["grant_policy"], "max_uses"), "invalid_grant_policy", "service_definition.capability_formalizations[1].grant_policy.max_uses"),
    ];
    run(&cases);
    // A whole float is a positive integer: the registry stores every number as a float.
    let mut definition = minimal();
    cap(&mut definition, 1)["grant_policy"]["expires_in_seconds"] = json!(900.0);
    assert!(check(&definition).is_empty());
}

#[test]
#[rustfmt::skip]
fn fronting_rules() {
    let m0 = "service_definition.integration_fronting.capability_mappings[0]";
    let cases: Vec<Case> = vec![
        ("fronting not an object", |d| d["integration_fronting"] = json!([]), "invalid_fronting_mapping", "service_definition.integration_fronting"),
        ("mappings not an array", |d| d["integration_fronting"]["capability_mappings"] = json!({}), "invalid_fronting_mapping", "service_definition.integration_fronting.capability_mappings"),
        ("mapping not an object", |d| *mapping(d, 0) = json!("work_item.search"), "invalid_fronting_mapping", "service_definition.integration_fronting.capability_mappings[0]"),
        ("mapping without capability", |d| remove(mapping(d, 0), "capability_id"), "missing_field", "service_definition.integration_fronting.capability_mappings[0].capability_id"),
        ("mapped capability id", |d| mapping(d, 0)["capability_id"] = json!("search"), "invalid_capability_id", "service_definition.integration_fronting.capability_mappings[0].capability_id"),
        ("mapped twice", |d| mapping(d, 1)["capability_id"] = json!("work_item.search"), "duplicate_capability_id", "service_definition.integration_fronting.capability_mappings[1].capability_id"),
        ("not formalized", |d| mapping(d, 0)["capability_id"] = json!("work_item.archive"), "unformalized_capability", "service_definition.integration_fronting.capability_mappings[0].capability_id"),
        ("mapping unknown service", |d| mapping(d, 0)["service_id"] = json!("billing"), "unknown_service", "service_definition.integration_fronting.capability_mappings[0].service_id"),
        ("mapping without service", |d| remove(mapping(d, 0), "service_id"), "missing_field", "service_definition.integration_fronting.capability_mappings[0].service_id"),
        ("mapping other service", |d| {
            add_service(d, "reporting");
            mapping(d, 0)["service_id"] = json!("reporting");
        }, "service_mismatch", "service_definition.integration_fronting.capability_mappings[0].service_id"),
        ("mapping title", |d| mapping(d, 0)["title"] = json!("\u{1b}[31m"), "unsafe_text", "service_definition.integration_fronting.capability_mappings[0].title"),
        ("mapping intent", |d| mapping(d, 0)["intent"] = json!(" "), "unsafe_text", "service_definition.integration_fronting.capability_mappings[0].intent"),
        ("bindings not an array", |d| mapping(d, 0)["backend_bindings"] = json!({}), "invalid_fronting_mapping", "service_definition.integration_fronting.capability_mappings[0].backend_bindings"),
        ("binding not an object", |d| mapping(d, 0)["backend_bindings"][0] = json!(1), "invalid_fronting_mapping", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0]"),
        ("backend kind", |d| binding(d)["backend_kind"] = json!("python_reference_adapter"), "invalid_backend_kind", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].backend_kind"),
        ("no backend kind", |d| remove(binding(d), "backend_kind"), "invalid_backend_kind", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].backend_kind"),
        ("connection ref", |d| binding(d)["connection_ref"] = json!("examples/showcase/devops"), "invalid_connection_ref", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].connection_ref"),
        ("no connection ref", |d| remove(binding(d), "connection_ref"), "ungoverned_fronting_binding", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].connection_ref"),
        ("no raw operations", |d| binding(d)["raw_operation_refs"] = json!([]), "ungoverned_fronting_binding", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].raw_operation_refs"),
        ("raw operation ref", |d| binding(d)["raw_operation_refs"] = json!(["search work items"]), "invalid_raw_operation_ref", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].raw_operation_refs[0]"),
        ("raw operations not a list", |d| binding(d)["raw_operation_refs"] = json!("native.search"), "invalid_raw_operation_ref", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].raw_operation_refs"),
        ("input mode", |d| binding(d)["backend_input_mode"] = json!("manual"), "invalid_backend_input_mode", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].backend_input_mode"),
        ("string list entry", |d| binding(d)["explicit_required_backend_inputs"] = json!([""]), "invalid_string_list", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].explicit_required_backend_inputs[0]"),
        ("string list type", |d| binding(d)["matched_discovery_record_ids"] = json!("search-items"), "invalid_string_list", "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0].matched_discovery_record_ids"),
        ("mapping as binding, ungoverned", |d| remove(mapping(d, 1), "raw_operation_refs"), "ungoverned_fronting_binding", "service_definition.integration_fronting.capability_mappings[1].raw_operation_refs"),
        ("empty bindings fall back to the mapping", |d| {
            mapping(d, 0)["backend_bindings"] = json!([]);
        }, "ungoverned_fronting_binding", "service_definition.integration_fronting.capability_mappings[0].connection_ref"),
    ];
    run(&cases);
    assert!(m0.ends_with("[0]"));
}

/// A binding without governance is reported once, not also as a malformed ref; a missing kind only as missing.
#[test]
#[rustfmt::skip]
fn one_problem_per_fault() {
    let exactly = |mutate: fn(&mut Value), code: &str, path: &str| {
        let mut definition = minimal();
        mutate(&mut definition);
        let problems = check(&definition);
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.code, p.path.as_str())).collect();
        assert_eq!(found, vec![(code, path)], "{}", listing(&problems));
    };
    let b = "service_definition.integration_fronting.capability_mappings[0].backend_bindings[0]";
    exactly(|d| binding(d)["connection_ref"] = json!(" "), "ungoverned_fronting_binding", &format!("{b}.connection_ref"));
    exactly(|d| binding(d)["raw_operation_refs"] = Value::Null, "ungoverned_fronting_binding", &format!("{b}.raw_operation_refs"));
    exactly(|d| remove(cap(d, 0), "kind"), "missing_field", &format!("{C0}.kind"));
    exactly(|d| cap(d, 0)["title"] = json!("a\u{7f}"), "unsafe_text", &format!("{C0}.title"));
}

/// Hostile inputs get their refusal (or pass) with bounded work: no pattern is expanded or compiled past its
/// budget, no problem list grows past `MAX_PROBLEMS`. How long they take is a benchmark's question, never asserted
/// here (a loaded machine would make such an assertion fail for nothing).
#[test]
fn hostile_inputs_stay_bounded() {
    let mut definition = minimal();
    cap(&mut definition, 0)["title"] = json!("t".repeat(5 << 20));
    let problems = check(&definition);
    assert!(
        problems
            .iter()
            .any(|p| p.code == "unsafe_text" && p.path == format!("{C0}.title"))
    );

    let mut definition = minimal();
    cap(&mut definition, 0)["path_template"] = json!(format!("/{}", "\u{e9}".repeat(5 << 20)));
    let problems = check(&definition);
    assert!(problems.iter().any(|p| p.code == "invalid_path_template"));

    let path = format!("{C0}.inputs[0].validation_pattern");
    for pattern in [
        "(a*)*{1000}{1000}".to_owned(),
        "(?:(?:a{1000}){1000}){1000}".to_owned(),
        "((((((((((a{10}){10}){10}){10}){10}){10}){10}){10}){10}){10})".to_owned(),
        format!("{}x", "(".repeat(100_000)),
        "a".repeat(5 << 20),
        r"\pL".repeat(2000),
    ] {
        let mut definition = minimal();
        input(&mut definition, 0, 0)["validation_pattern"] = json!(pattern);
        let problems = check(&definition);
        assert!(
            problems
                .iter()
                .any(|p| p.code == "invalid_validation_pattern" && p.path == path),
            "{}:{}",
            &pattern[..pattern.len().min(40)],
            listing(&problems)
        );
        assert!(
            problems.iter().all(|p| p.message.len() < 300),
            "{}",
            listing(&problems)
        );
    }
    // Large but legal repeats are checked without being expanded.
    let mut definition = minimal();
    input(&mut definition, 0, 0)["validation_pattern"] =
        json!(r"^\pL{1000}(?:\w{10}){100}.{0,1000}$");
    assert!(check(&definition).is_empty());

    // Distinct patterns past the budget are reported once and not compiled.
    let mut definition = minimal();
    let inputs: Vec<Value> = (0..5_000)
        .map(|i| json!({"input_name": format!("i{i}"), "validation_pattern": format!("^[a-z]{{1,64}}-{i}$")}))
        .collect();
    cap(&mut definition, 0)["inputs"] = Value::Array(inputs);
    let problems = check(&definition);
    let found: Vec<&str> = problems.iter().map(|p| p.code).collect();
    assert_eq!(
        found,
        vec!["too_many_validation_patterns"],
        "{}",
        listing(&problems)
    );

    // A capability with 100,000 extra keys, and 50,000 capabilities.
    let mut definition = minimal();
    let capability = cap(&mut definition, 0).as_object_mut().unwrap();
    for i in 0..100_000 {
        capability.insert(format!("extra_{i}"), json!(i));
    }
    assert!(check(&definition).is_empty());

    let mut definition = minimal();
    let template = cap(&mut definition, 0).clone();
    let capabilities = definition["capability_formalizations"]
        .as_array_mut()
        .unwrap();
    for i in 0..50_000 {
        let mut copy = template.clone();
        copy["capability_id"] = json!(format!("work_item.search_{i}"));
        capabilities.push(copy);
    }
    assert!(check(&definition).is_empty());
    let capabilities = definition["capability_formalizations"]
        .as_array_mut()
        .unwrap();
    for capability in capabilities.iter_mut() {
        capability["kind"] = json!("other");
    }
    let problems = check(&definition);
    assert_eq!(problems.len(), verifier::validate::MAX_PROBLEMS);

    // A composition with 100,000 steps, each mapping the one before.
    let mut definition = minimal();
    let steps: Vec<Value> = (0..100_000)
        .map(|i| json!({"id": format!("s{i}"), "capability": "work_item.prepare_update"}))
        .collect();
    let mapping: serde_json::Map<String, Value> = (0..100_000)
        .map(|i| {
            let from = if i == 0 {
                "$.input.project_key".to_owned()
            } else {
                format!("$.steps.s{}.output.id", i - 1)
            };
            (format!("s{i}"), json!({"item_id": from}))
        })
        .collect();
    composition(&mut definition)["steps"] = Value::Array(steps);
    composition(&mut definition)["input_mapping"] = Value::Object(mapping);
    composition(&mut definition)["output_mapping"] =
        json!({"result": "$.steps.s99999.output.result"});
    let problems = check(&definition);
    assert!(problems.is_empty(), "{}", listing(&problems));
}

/// `validation_pattern` compiles as Go's RE2 would have it: Perl classes are ASCII, counted repeats are checked (at
/// most 1000, nesting included) rather than expanded, and what RE2 refuses is refused.
#[test]
fn validation_patterns_follow_re2() {
    let check_pattern = |pattern: &str| {
        let mut definition = minimal();
        input(&mut definition, 0, 0)["validation_pattern"] = json!(pattern);
        check(&definition)
    };
    for accepted in [
        r"^\d{4}-Q[1-4]$",
        r"^\w{1,64}$",
        r"^[\w.+-]{1,64}@[\w.-]{1,255}$",
        r"^.{0,1000}$",
        r"^[^\n]{1,1000}$",
        r"\bword\b",
        r"(?s)a.b",
        r"(?U)a+",
        r"a{2}?",
        r"a*?",
        r"\Q1+1\E=2",
        r"{,5}",
        r"x{",
        r"a{,5}",
        r"[]a]",
        r"[a&&b]",
        r"[a~~b]",
        r"[a-]",
        r"[[:alpha:]_]+",
        r"(?i)\p{Greek}+",
        r"(?P<year>\d{4})-(?<month>\d\d)",
        r"\pL{1000}",
        r"(?:a{100}){10}",
        r"((a{10}b){10}c){10}",
        r"(?:a{1000}){0}",
        r"\012\0\x41\x{263A}\a\v",
        r"[\d\-\]\\]",
        r"\<tag\>\_\ \#",
        r"(?i)(?:ab){500}c{2}",
        r"(?i)a(?:b{10}){100}",
        r"a{2,}b{0,1000}",
    ] {
        let problems = check_pattern(accepted);
        assert!(problems.is_empty(), "{accepted}:{}", listing(&problems));
    }
    for refused in [
        r"a**",
        r"a*??",
        r"a{1001}",
        r"a{3,2}",
        r"a{2}{3}",
        r"(a*)*{1000}{1000}",
        r"(?:a{100}){11}",
        r"((a{10}b){10}c){11}",
        r"*a",
        r"(?x) a",
        r"(?=a)",
        r"[b--]",
        r"[a",
        r"(a",
        r"a\",
        r"\1",
        r"\8",
        r"\u0041",
        r"\Z",
        r"\e",
        r"(?P=name)",
        r"(?i)(?:a{100}){11}",
    ] {
        let problems = check_pattern(refused);
        let found: Vec<(&str, &str)> = problems.iter().map(|p| (p.code, p.path.as_str())).collect();
        assert_eq!(
            found,
            vec![(
                "invalid_validation_pattern",
                format!("{C0}.inputs[0].validation_pattern").as_str()
            )],
            "{refused}"
        );
    }
}
