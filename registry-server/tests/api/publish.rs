//! Publishing: created, idempotent re-publish, conflicts, receipts that verify against `/keys`.

use reqwest::StatusCode;
use serde_json::Value;
use verifier::keys::{KeyId, KeySet, PublicKey};
use verifier::receipt::{Receipt, ReceiptOutcome};
use verifier::record::PackageRecord;

use crate::helpers::{TestApp, demo, error_of};

/// The registry's trusted keys, read from `/keys`.
pub async fn keys_of(app: &TestApp) -> KeySet {
    let keys = app.get_json("/keys", StatusCode::OK).await;
    let mut set = KeySet::new();
    for item in keys["items"].as_array().unwrap() {
        set.insert(
            KeyId::new(item["key_id"].as_str().unwrap()).unwrap(),
            PublicKey::from_base64(item["public_key"].as_str().unwrap()).unwrap(),
        )
        .unwrap();
    }
    set
}

/// Verifies a record and receipt against the registry's keys with the verifier.
pub fn verify(record: &Value, receipt: &Value, keys: &KeySet) -> ReceiptOutcome {
    let record: PackageRecord = serde_json::from_value(record.clone()).unwrap();
    let receipt: Receipt = serde_json::from_value(receipt.clone()).unwrap();
    let verification = verifier::verify::verify_package(&record, &receipt, keys);
    assert!(
        verification.checks.all_passed(),
        "{:#?}",
        verification.checks
    );
    verification.receipt
}

async fn first_publish_is_created_and_verifies(app: &TestApp) {
    let response = app.publish(demo("acme/widgets", "1.0.0")).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["publication"]["package_id"], "acme/widgets");
    assert_eq!(body["package"]["download_count"], 0);
    assert_eq!(body["package"]["lifecycle"]["status"], "active");
    assert_eq!(body["receipt"]["signature_algorithm"], "ed25519");
    assert_eq!(body["package"]["publisher_id"], "studio-local");
    let keys = keys_of(app).await;
    assert!(matches!(
        verify(&body["package"], &body["receipt"], &keys),
        ReceiptOutcome::Verified { .. }
    ));
    // What is served later is what was signed.
    let record = app
        .get_json("/packages/acme%2Fwidgets/1.0.0", StatusCode::OK)
        .await;
    assert_eq!(record, body["package"]);
    let receipt = app
        .get_json("/packages/acme%2Fwidgets/1.0.0/receipt", StatusCode::OK)
        .await;
    assert_eq!(receipt, body["receipt"]);
}

async fn identical_republish_returns_the_stored_receipt(app: &TestApp) {
    let first: Value = app
        .publish(demo("repeat", "1.0.0"))
        .await
        .json()
        .await
        .unwrap();
    let again = app.publish(demo("repeat", "1.0.0")).await;
    assert_eq!(again.status(), StatusCode::OK);
    let again: Value = again.json().await.unwrap();
    assert_eq!(again["receipt"], first["receipt"]);
    assert_eq!(
        again["package"]["manifest_digest"],
        first["package"]["manifest_digest"]
    );
}

async fn different_content_conflicts_with_stored_digests(app: &TestApp) {
    let first: Value = app
        .publish(demo("conflict", "1.0.0"))
        .await
        .json()
        .await
        .unwrap();
    let mut changed: Value = serde_json::from_slice(&demo("conflict", "1.0.0")).unwrap();
    changed["readme"] = Value::from("# Something else");
    let response = app.publish(serde_json::to_vec(&changed).unwrap()).await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "version_exists");
    assert_eq!(body["error"], "package version already exists");
    assert_eq!(body["manifest_digest"], first["package"]["manifest_digest"]);
    assert_eq!(
        body["definition_digest"],
        first["package"]["definition_digest"]
    );
}

async fn invalid_packages_list_every_problem(app: &TestApp) {
    let response = app
        .publish(fixture_bytes(
            "packages/gtm-pipeline-q2-review-0.3.6-publish-request.json",
        ))
        .await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "invalid_package");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("invalid package: ")
    );
    let problems = body["problems"].as_array().unwrap();
    assert!(
        problems.iter().any(|p| p["code"] == "agent_not_ready"),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .all(|p| p["path"].is_string() && p["message"].is_string())
    );
    // Nothing was stored.
    let (status, code) = error_of(app.get("/packages/gtm-pipeline-q2-review/0.3.6").await).await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "package_not_found")
    );
}

fn fixture_bytes(name: &str) -> Vec<u8> {
    crate::helpers::fixture(name)
}

async fn publisher_identity_comes_from_configuration(app: &TestApp) {
    let mut request: Value = serde_json::from_slice(&demo("identity", "1.0.0")).unwrap();
    request["publisher_id"] = Value::from("someone-else");
    request["publisher_type"] = Value::from("impostor");
    let body: Value = app
        .publish(serde_json::to_vec(&request).unwrap())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["package"]["publisher_id"], "studio-local");
    assert_eq!(body["receipt"]["publisher_type"], "studio");
}

crate::on_both_stores!(
    first_publish_is_created_and_verifies,
    identical_republish_returns_the_stored_receipt,
    different_content_conflicts_with_stored_digests,
    invalid_packages_list_every_problem,
    publisher_identity_comes_from_configuration,
);
