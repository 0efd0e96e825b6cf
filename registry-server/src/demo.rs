//! The demo package: ANIP's own smoke-test service definition with the manifest and lock it needs to pass every
//! publish rule for real (ANIP's seed shipped without agent metadata and failed its own validation, §13.4 item 32).

use serde_json::{Map, Value, json};
use verifier::publish::PublishRequest;

/// The definition ANIP's smoke test publishes (about 10 KB).
const DEFINITION: &str =
    include_str!("../../tests/fixtures/anip/work-item-fronting-definition.json");

/// The demo package's id.
pub const DEMO_PACKAGE_ID: &str = "work-item-fronting-demo";
/// The demo package's version.
pub const DEMO_VERSION: &str = "0.1.0";

/// The business effect a capability produces, judged from its declared side effects.
fn produced_effect(capability: &Value) -> &'static str {
    let text = |key: &str| capability.get(key).and_then(Value::as_str).unwrap_or("");
    match (text("side_effect_level"), text("operation_type")) {
        ("read", _) | (_, "read") => "data.read",
        _ => "system.preview_mutation",
    }
}

/// The demo publish request under `package_id` / `version`.
pub fn demo_request(
    package_id: &str,
    version: &str,
) -> Result<PublishRequest, verifier::FormatError> {
    let definition = verifier::json::parse_strict(DEFINITION.as_bytes())?;
    let capabilities = definition
        .get("capability_formalizations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut hints = Map::new();
    let mut probes = Vec::new();
    for capability in &capabilities {
        let Some(id) = capability.get("capability_id").and_then(Value::as_str) else {
            continue;
        };
        hints.insert(
            id.to_owned(),
            json!({
                "intent": {"category": id, "summary": capability.get("summary").cloned().unwrap_or(Value::Null)},
                "business_effects": {
                    "produces": [produced_effect(capability)],
                    "does_not_produce": ["raw_data_export", "system.mutation"],
                },
            }),
        );
        probes.push(json!({"id": format!("{id}:demo-probe"), "expected_outcome": "success", "target_capability_id": id}));
    }
    let readiness = json!({
        "artifact_type": "agent_consumption_readiness",
        "status": "ready",
        "score": 100,
        "findings": [],
        "required_app_glue": [],
        "summary": {"blockers": 0, "warnings": 0, "info": 0, "probes": probes.len(), "required_app_glue": 0},
        "probes": probes,
    });
    let consumability = json!({
        "artifact_type": "agent_consumability_metadata",
        "schema_version": "anip-agent-consumability/v0",
        "capabilities": hints,
    });
    let contract_signature = definition
        .pointer("/compiled_contract_identity/signature")
        .and_then(Value::as_str)
        .unwrap_or("demo-contract")
        .to_owned();
    let request = json!({
        "package_id": package_id,
        "package_version": version,
        "project_ref": format!("demo:{package_id}"),
        "product_revision_ref": "work-item-product-r1",
        "developer_revision_ref": "work-item-developer-r1",
        "contract_signature": contract_signature,
        "schema_version": "anip-service-definition/v1",
        "readme": "# Work item fronting (demo)\n\nA governed work-item service: search a backlog and prepare \
                   updates that stop for approval. Published by the registry as its demo package.",
        "manifest": {
            "package_kind": "anip_service_blueprint",
            "blueprint_id": "work-item-fronting",
            "name": "Work Item Fronting Demo",
            "version": version,
            "anip_spec_version": "anip/0.24",
            "agent_consumption_readiness": readiness,
            "agent_consumability": consumability,
        },
        "service_definition": definition,
        "recommended_lock": {
            "lock_kind": "publisher_recommended_lock",
            "blueprint_id": "work-item-fronting",
            "blueprint_version": version,
            "build_packs": ["anip-build-pack@local"],
            "verifier_packs": ["anip-verifier@local"],
            "runtime_packages": [],
        },
    });
    PublishRequest::from_value(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_package_passes_every_rule() {
        let request = demo_request(DEMO_PACKAGE_ID, DEMO_VERSION).unwrap();
        let normalised = verifier::publish::normalise(request);
        assert_eq!(verifier::validate::validate_package(&normalised), Ok(()));
    }
}
