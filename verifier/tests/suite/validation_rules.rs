//! One case per package rule: a minimal valid package, changed once per rule, rejected with the expected code at
//! the expected path; the unchanged package accepted. (Service-definition and template rules have their own files.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common;

use serde_json::{Value, json};
use verifier::publish::{PublishRequest, normalise};
use verifier::validate::validate_package;

const H: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/// A small real package: ANIP's own smoke-test definition with the manifest and lock it needs.
fn valid() -> Value {
    let definition = common::fixture_json("work-item-fronting-definition.json");
    let capabilities: serde_json::Map<String, Value> = definition["capability_formalizations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["capability_id"].as_str().unwrap().to_owned(),
                json!({"intent": {"summary": c["summary"]}, "business_effects": {"produces": ["data.read"]}}),
            )
        })
        .collect();
    json!({
        "package_id": "work-item-fronting",
        "package_version": "1.0.0",
        "project_ref": "studio:work-item",
        "product_revision_ref": "work-item:product:r1",
        "developer_revision_ref": "work-item:developer:r1",
        "contract_signature": "fixture-signature",
        "schema_version": "anip-service-definition/v1",
        "readme": "# Work items\n\nA governed work-item service.",
        "source_links": [{"title": "ANIP", "url": "https://anip.dev"}],
        "implementation_materials": [{"title": "glue", "ref": format!("object+https://cdn.example.com/glue.tgz#sha256:{H}"), "bundle_tree_sha256": format!("sha256:{H}")}],
        "manifest": {
            "anip_spec_version": "anip/0.24",
            "agent_consumability": {"schema_version": "anip-agent-consumability/v0", "capabilities": capabilities},
            "agent_consumption_readiness": {"status": "ready", "summary": {"blockers": 0, "warnings": 0, "probes": 2}},
        },
        "service_definition": definition,
        "recommended_lock": {"lock_kind": "anip_recommended_lock"},
    })
}

fn problems_of(request: Value) -> Vec<(String, String)> {
    let request = PublishRequest::from_value(request).unwrap();
    match validate_package(&normalise(request)) {
        Ok(()) => Vec::new(),
        Err(rejection) => rejection
            .problems
            .into_iter()
            .map(|p| (p.code.to_owned(), p.path))
            .collect(),
    }
}

#[test]
fn the_minimal_package_is_valid() {
    assert_eq!(problems_of(valid()), Vec::<(String, String)>::new());
}

type Edit = Box<dyn Fn(&mut Value)>;

fn set(pointer: &'static str, value: Value) -> Edit {
    Box::new(move |v: &mut Value| {
        *v.pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{pointer}")) = value.clone()
    })
}

fn insert(pointer: &'static str, key: &'static str, value: Value) -> Edit {
    Box::new(move |v: &mut Value| {
        v.pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .insert(key.to_owned(), value.clone());
    })
}

fn remove(pointer: &'static str, key: &'static str) -> Edit {
    Box::new(move |v: &mut Value| {
        v.pointer_mut(pointer)
            .unwrap()
            .as_object_mut()
            .unwrap()
            .remove(key);
    })
}

fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("leaf"), |inner, _| json!({ "n": inner }))
}

#[test]
fn each_rule_rejects_with_code_and_path() {
    let cases: Vec<(&str, Edit, &str, &str)> = vec![
        (
            "bad id",
            set("/package_id", json!("../x")),
            "invalid_id",
            "package_id",
        ),
        (
            "capital id",
            set("/package_id", json!("A Capital")),
            "invalid_id",
            "package_id",
        ),
        (
            "id with @",
            set("/package_id", json!("x@1")),
            "invalid_id",
            "package_id",
        ),
        (
            "empty id",
            set("/package_id", json!("")),
            "missing_field",
            "package_id",
        ),
        (
            "floating version",
            set("/package_version", json!("latest")),
            "invalid_version",
            "package_version",
        ),
        (
            "short version",
            set("/package_version", json!("1.0")),
            "invalid_version",
            "package_version",
        ),
        (
            "version beyond u64",
            set("/package_version", json!("18446744073709551616.0.0")),
            "version_out_of_range",
            "package_version",
        ),
        (
            "leading zero",
            set("/package_version", json!("1.0.0-rc.01")),
            "invalid_version",
            "package_version",
        ),
        (
            "control characters in the request lineage (manifest has its own)",
            Box::new(|v: &mut Value| {
                let clean =
                    json!({"project_ref": "p", "product_revision": "r", "developer_revision": "d"});
                v["manifest"]["lineage"] = clean.clone();
                v["recommended_lock"]["lineage"] = clean;
                v["lineage"] = json!({"project_ref": "proj\u{0}\u{1b}[31mred", "product_revision": "r", "developer_revision": "d"});
            }),
            "control_character",
            "lineage.project_ref",
        ),
        (
            "lineage key differing only in case",
            insert(
                "",
                "lineage",
                json!({"project_ref": "p", "product_revision": {"ref": "r", "REF": "s"}, "developer_revision": "d"}),
            ),
            "ambiguous_key",
            "lineage.product_revision.REF",
        ),
        (
            "manifest lineage key differing only in case",
            insert("/manifest", "lineage", json!({"Project_Ref": "p"})),
            "ambiguous_key",
            "manifest.lineage.Project_Ref",
        ),
        (
            "publisher with an escape",
            insert("", "publisher_id", json!("studio\u{1b}[2J")),
            "invalid_field",
            "publisher_id",
        ),
        (
            "C1 CSI in the request lineage (the rule of the top-level refs)",
            Box::new(|v: &mut Value| {
                v["lineage"] = json!({"project_ref": "p\u{9b}31m", "product_revision": "r", "developer_revision": "d"});
            }),
            "invalid_field",
            "lineage.project_ref",
        ),
        (
            "lineage string past the text limit",
            Box::new(|v: &mut Value| {
                v["lineage"] = json!({"project_ref": "p".repeat(3000), "product_revision": "r", "developer_revision": "d"});
            }),
            "invalid_field",
            "lineage.project_ref",
        ),
        (
            "bidi override deep in the lineage",
            insert(
                "",
                "lineage",
                json!({"project_ref": "p", "product_revision": {"ref": "main\u{202E}gpj.exe"}, "developer_revision": "d"}),
            ),
            "invalid_field",
            "lineage.product_revision.ref",
        ),
        (
            "bidi override in the contract signature",
            set("/contract_signature", json!("sig\u{202E}fed")),
            "invalid_field",
            "contract_signature",
        ),
        (
            "bidi isolate in project_ref",
            set("/project_ref", json!("proj\u{2066}x\u{2069}")),
            "invalid_field",
            "project_ref",
        ),
        (
            "blank project_ref",
            set("/project_ref", json!("  ")),
            "missing_field",
            "project_ref",
        ),
        (
            "no contract",
            remove("", "contract_signature"),
            "missing_field",
            "contract_signature",
        ),
        (
            "huge readme",
            set("/readme", json!("x".repeat(65_537))),
            "readme_too_large",
            "readme",
        ),
        (
            "nine links",
            set(
                "/source_links",
                json!(vec![json!({"title": "t", "url": "https://a.example"}); 9]),
            ),
            "too_many_source_links",
            "source_links",
        ),
        (
            "link without title",
            set("/source_links/0/title", json!("")),
            "invalid_source_link",
            "source_links[0].title",
        ),
        (
            "long link title",
            set("/source_links/0/title", json!("t".repeat(121))),
            "invalid_source_link",
            "source_links[0].title",
        ),
        (
            "ftp link",
            set("/source_links/0/url", json!("ftp://files.example/x")),
            "invalid_source_link",
            "source_links[0].url",
        ),
        (
            "nine materials",
            set(
                "/implementation_materials",
                json!(vec![
                    json!({"ref": format!("registry://a@1.0.0#sha256:{H}")});
                    9
                ]),
            ),
            "too_many_implementation_materials",
            "implementation_materials",
        ),
        (
            "floating material",
            set(
                "/implementation_materials/0/ref",
                json!(format!("registry://pack@latest#sha256:{H}")),
            ),
            "invalid_bundle_ref",
            "implementation_materials[0].ref",
        ),
        (
            "bad tree digest",
            set(
                "/implementation_materials/0/bundle_tree_sha256",
                json!("sha256:1234"),
            ),
            "invalid_digest",
            "implementation_materials[0].bundle_tree_sha256",
        ),
        (
            "schema version",
            set("/schema_version", json!("anip-service-definition/v2")),
            "unsupported_schema_version",
            "schema_version",
        ),
        (
            "no spec version",
            remove("/manifest", "anip_spec_version"),
            "missing_spec_version",
            "manifest.anip_spec_version",
        ),
        (
            "old spec version",
            set("/manifest/anip_spec_version", json!("anip/0.23")),
            "unsupported_spec_version",
            "manifest.anip_spec_version",
        ),
        (
            "manifest over 1 MiB",
            insert("/manifest", "notes", json!("n".repeat(1 << 20))),
            "document_too_large",
            "manifest",
        ),
        (
            "lock over 512 KiB",
            insert("/recommended_lock", "notes", json!("n".repeat(512 << 10))),
            "document_too_large",
            "recommended_lock",
        ),
        (
            "too deep",
            insert("/recommended_lock", "deep", nested(48)),
            "too_deep",
            &*Box::leak(format!("recommended_lock.deep{}", ".n".repeat(48)).into_boxed_str()),
        ),
        (
            "empty key",
            insert("/manifest", "", json!(1)),
            "invalid_key",
            "manifest[\"\"]",
        ),
        (
            "long key",
            insert(
                "/manifest",
                Box::leak("k".repeat(161).into_boxed_str()),
                json!(1),
            ),
            "invalid_key",
            &*Box::leak(format!("manifest.{}", "k".repeat(161)).into_boxed_str()),
        ),
        (
            "control in key",
            insert("/manifest", "a\u{1}b", json!(1)),
            "invalid_key",
            "manifest[\"a\\u0001b\"]",
        ),
        (
            "control in string",
            insert("/recommended_lock", "note", json!("bell\u{7}")),
            "control_character",
            "recommended_lock.note",
        ),
        (
            "delete char",
            insert("/manifest", "note", json!("del\u{7f}")),
            "control_character",
            "manifest.note",
        ),
        (
            "examples budget",
            insert(
                "/manifest",
                "examples",
                json!(["e".repeat(200_000), "e".repeat(100_000)]),
            ),
            "examples_too_large",
            "manifest.examples[1]",
        ),
        (
            "attachments budget",
            insert(
                "/recommended_lock",
                "artifact_notes",
                json!(["a".repeat(300_000), "a".repeat(300_000)]),
            ),
            "attachments_too_large",
            "recommended_lock.artifact_notes[1]",
        ),
        (
            "data uri",
            insert(
                "/manifest",
                "logo",
                json!("  data:application/octet-stream;base64,AAAA"),
            ),
            "binary_payload",
            "manifest.logo",
        ),
        (
            "binary blob",
            insert("/manifest", "payload", json!("QUJD".repeat(1200))),
            "binary_payload",
            "manifest.payload",
        ),
        (
            "prose effect",
            set(
                "/manifest/agent_consumability/capabilities/work_item.search/business_effects/produces",
                json!(["Read bounded data"]),
            ),
            "unknown_business_effect",
            "manifest.agent_consumability.capabilities[\"work_item.search\"].business_effects.produces[0]",
        ),
        (
            "effects as prose",
            insert(
                "/recommended_lock",
                "business_effects",
                json!("reads things"),
            ),
            "invalid_business_effects",
            "recommended_lock.business_effects",
        ),
        (
            "unsupported effects",
            insert(
                "/recommended_lock",
                "unsupported_effects",
                json!(["data.read", "teleport"]),
            ),
            "unknown_business_effect",
            "recommended_lock.unsupported_effects[1]",
        ),
        (
            "bundle metadata ref",
            insert(
                "/recommended_lock",
                "custom_code_bundle_ref",
                json!(format!("https://x.example/a#sha256:{H}")),
            ),
            "invalid_bundle_ref",
            "recommended_lock.custom_code_bundle_ref",
        ),
        (
            "bundle metadata tree",
            insert(
                "/manifest",
                "custom_code_bundles",
                json!([{"ref": format!("registry://a@1.0.0#sha256:{H}"), "tree_sha256": "abc"}]),
            ),
            "invalid_digest",
            "manifest.custom_code_bundles[0].tree_sha256",
        ),
        (
            "no consumability",
            remove("/manifest", "agent_consumability"),
            "missing_agent_consumability",
            "manifest.agent_consumability",
        ),
        (
            "consumability without schema",
            remove("/manifest/agent_consumability", "schema_version"),
            "missing_agent_consumability",
            "manifest.agent_consumability.schema_version",
        ),
        (
            "consumability misses a capability",
            remove(
                "/manifest/agent_consumability/capabilities",
                "work_item.search",
            ),
            "agent_consumability_mismatch",
            "manifest.agent_consumability.capabilities",
        ),
        (
            "consumability has an extra capability",
            insert(
                "/manifest/agent_consumability/capabilities",
                "work_item.delete",
                json!({}),
            ),
            "agent_consumability_mismatch",
            "manifest.agent_consumability.capabilities",
        ),
        (
            "no readiness",
            remove("/manifest", "agent_consumption_readiness"),
            "missing_agent_readiness",
            "manifest.agent_consumption_readiness",
        ),
        (
            "needs review",
            set(
                "/manifest/agent_consumption_readiness/status",
                json!("needs_review"),
            ),
            "agent_not_ready",
            "manifest.agent_consumption_readiness.status",
        ),
        (
            "blockers",
            set(
                "/manifest/agent_consumption_readiness/summary/blockers",
                json!(1),
            ),
            "readiness_blockers",
            "manifest.agent_consumption_readiness.summary.blockers",
        ),
        (
            "warnings",
            set(
                "/manifest/agent_consumption_readiness/summary/warnings",
                json!(2),
            ),
            "readiness_warnings",
            "manifest.agent_consumption_readiness.summary.warnings",
        ),
        (
            "no probes",
            set(
                "/manifest/agent_consumption_readiness/summary/probes",
                json!(0),
            ),
            "no_simulator_probes",
            "manifest.agent_consumption_readiness.summary.probes",
        ),
        (
            "unclassified required input",
            Box::new(|v: &mut Value| {
                let input = v
                    .pointer_mut("/service_definition/capability_formalizations/0/inputs/0")
                    .unwrap();
                let input = input.as_object_mut().unwrap();
                input.remove("validation_pattern");
                input.remove("clarification_hint");
            }),
            "unclassified_required_input",
            "service_definition.capability_formalizations[0].inputs[0]",
        ),
    ];
    for (label, edit, code, path) in cases {
        let mut request = valid();
        edit(&mut request);
        let problems = problems_of(request);
        assert!(
            problems.iter().any(|(c, p)| c == code && p == path),
            "{label}: expected {code} at {path}, got {problems:?}"
        );
    }
}

#[test]
fn depth_48_is_allowed() {
    let mut request = valid();
    request["recommended_lock"]["deep"] = nested(47);
    assert!(problems_of(request).is_empty());
}

#[test]
fn lock_metadata_is_taken_when_the_manifest_has_none() {
    let mut request = valid();
    let manifest = request["manifest"].as_object_mut().unwrap();
    let consumability = manifest.remove("agent_consumability").unwrap();
    let readiness = manifest.remove("agent_consumption_readiness").unwrap();
    request["recommended_lock"]["agent_consumability"] = consumability;
    request["recommended_lock"]["agent_consumption_readiness"] = readiness;
    assert!(problems_of(request).is_empty());
}

#[test]
fn strings_mentioning_typescript_are_fine() {
    // ANIP rejects any string containing "typescript"; that rejected harmless READMEs (reference §13.4 item 29).
    let mut request = valid();
    request["readme"] = json!("Generated clients exist for Go, Python and TypeScript.");
    request["recommended_lock"]["build_packs"] = json!(["anip-build-pack-typescript"]);
    assert!(problems_of(request).is_empty());
}

#[test]
fn problems_are_collected_and_capped() {
    let mut request = valid();
    let many: serde_json::Map<String, Value> = (0..200)
        .map(|i| (format!("k{i}"), json!("\u{1}")))
        .collect();
    request["manifest"]["junk"] = Value::Object(many);
    request["package_id"] = json!("BAD");
    let rejection =
        validate_package(&normalise(PublishRequest::from_value(request).unwrap())).unwrap_err();
    assert_eq!(rejection.problems.len(), verifier::validate::MAX_PROBLEMS);
    assert!(rejection.truncated);
    assert_eq!(rejection.problems[0].path, "package_id");
    assert!(
        rejection
            .to_string()
            .starts_with("invalid package: package_id: ")
    );
}
