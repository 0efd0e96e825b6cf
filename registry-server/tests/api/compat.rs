//! Compatibility: every accepted ANIP fixture publishes with the digests of `expected.json`, its receipt verifies
//! against `/keys`, and the served lock matches the record; rotation keeps old receipts verifiable.

use reqwest::StatusCode;
use serde_json::Value;
use verifier::bundle::Bundle;
use verifier::keys::{KeyId, SigningKey};
use verifier::lock::PackageLock;
use verifier::receipt::ReceiptOutcome;

use crate::helpers::{TestApp, fixture};
use crate::publish::{keys_of, verify};

fn expected() -> Value {
    serde_json::from_slice(&fixture("expected.json")).unwrap()
}

/// The publish body for an `expected.json` entry: a request as is, a bundle through the foundation's transform.
fn body_for(entry: &str) -> Vec<u8> {
    let name = entry.split(" (").next().unwrap();
    if name.ends_with(".anip-package.json") {
        let request = Bundle::from_json(&fixture(name))
            .unwrap()
            .to_publish_request()
            .unwrap();
        serde_json::to_vec(&request).unwrap()
    } else {
        fixture(name)
    }
}

async fn every_accepted_fixture_publishes(app: &TestApp) {
    let e = expected();
    let with_digests = e["publish_expectations"]["accepted"].as_object().unwrap();
    let mut entries: Vec<String> = with_digests.keys().cloned().collect();
    for entry in e["publish_expectations"]["accepted_without_digest_values"]
        .as_array()
        .unwrap()
    {
        entries.push(entry.as_str().unwrap().to_owned());
    }
    let keys = keys_of(app).await;
    for entry in entries {
        let response = app.publish(body_for(&entry)).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        // Bundles and requests of the same version publish the same content, so the second is a 200.
        assert!(
            status == StatusCode::CREATED || status == StatusCode::OK,
            "{entry}: {status} {body}"
        );
        let record = &body["package"];
        if let Some(want) = with_digests.get(&entry) {
            for field in [
                "definition_digest",
                "manifest_digest",
                "lock_digest",
                "package_execution_signature",
            ] {
                assert_eq!(record[field], want[field], "{entry}: {field}");
            }
        }
        let id = record["package_id"].as_str().unwrap().replace('/', "%2F");
        let version = record["package_version"].as_str().unwrap();
        let downloaded = app
            .get_json(
                &format!("/packages/{id}/{version}/download"),
                StatusCode::OK,
            )
            .await;
        let receipt = app
            .get_json(&format!("/packages/{id}/{version}/receipt"), StatusCode::OK)
            .await;
        assert!(
            matches!(
                verify(&downloaded, &receipt, &keys),
                ReceiptOutcome::Verified { .. }
            ),
            "{entry}"
        );
        let lock = app
            .get(&format!("/packages/{id}/{version}/lock"))
            .await
            .bytes()
            .await
            .unwrap();
        let lock = PackageLock::from_json(&lock).unwrap();
        assert_eq!(
            lock.manifest_digest,
            record["manifest_digest"].as_str().unwrap(),
            "{entry}"
        );
        assert_eq!(
            lock.lock_digest,
            record["lock_digest"].as_str().unwrap(),
            "{entry}"
        );
        assert_eq!(
            lock.definition_digest,
            record["definition_digest"].as_str().unwrap(),
            "{entry}"
        );
    }
}

async fn every_rejected_fixture_is_refused(app: &TestApp) {
    let e = expected();
    for (entry, _) in e["publish_expectations"]["rejected_400"]
        .as_object()
        .unwrap()
    {
        let response = app.publish(body_for(entry)).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{entry}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], "invalid_package", "{entry}");
    }
}

crate::on_both_stores!(
    every_accepted_fixture_publishes,
    every_rejected_fixture_is_refused
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_keeps_old_receipts_and_locks_valid() {
    let old = SigningKey::from_seed(KeyId::new("registry-2026-q3").unwrap(), &[3; 32]);
    let new = SigningKey::from_seed(KeyId::new("registry-2026-q4").unwrap(), &[4; 32]);
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("r.db").display());
    let before = TestApp::spawn_on(
        &url,
        &[
            "--key-id",
            "registry-2026-q3",
            "--private-key",
            &old.seed_base64(),
        ],
    )
    .await;
    let published: Value = before
        .publish(crate::helpers::demo("rotated", "1.0.0"))
        .await
        .json()
        .await
        .unwrap();
    let pinned = PackageLock::from_json(
        &before
            .get("/packages/rotated/1.0.0/lock")
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    before.stop().await;

    let extra = format!("registry-2026-q3={}", old.public_key().to_base64());
    let after = TestApp::spawn_on(
        &url,
        &[
            "--key-id",
            "registry-2026-q4",
            "--private-key",
            &new.seed_base64(),
            "--extra-public-keys",
            &extra,
        ],
    )
    .await;
    let keys = keys_of(&after).await;
    let health = after.get_json("/healthz", StatusCode::OK).await;
    assert_eq!(health["active_key_id"], "registry-2026-q4");
    let record = after
        .get_json("/packages/rotated/1.0.0/download", StatusCode::OK)
        .await;
    let receipt = after
        .get_json("/packages/rotated/1.0.0/receipt", StatusCode::OK)
        .await;
    assert_eq!(receipt, published["receipt"]);
    assert_eq!(
        verify(&record, &receipt, &keys),
        ReceiptOutcome::Verified {
            key_id: "registry-2026-q3".into()
        }
    );
    let resolved = PackageLock::from_json(
        &after
            .get("/packages/rotated/1.0.0/lock")
            .await
            .bytes()
            .await
            .unwrap(),
    )
    .unwrap();
    // Served locks never name the active key: ANIP's generator compares it with the current one, so before and
    // after the rotation the lock is the same for ANIP's tools too.
    assert!(pinned.registry_active_key_id.is_empty() && resolved.registry_active_key_id.is_empty());
    assert_eq!(
        pinned.compare(&resolved, &keys),
        vec![],
        "rotation must not break the pinned lock"
    );
    // A new publish is signed by the new key.
    let fresh: Value = after
        .publish(crate::helpers::demo("rotated", "1.1.0"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(fresh["receipt"]["key_id"], "registry-2026-q4");
}
