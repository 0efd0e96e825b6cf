//! Known answers from `fixtures/anip/expected.json`: dev key, digest vector, golden receipt and stamped digests.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common::{expected, fixture_bytes, fixture_json};
use serde_json::Value;
use verifier::canonical::digest;
use verifier::keys::{DEV_KEY_ID, KeyId, KeySet, SigningKey};
use verifier::publish::{PublishRequest, prepare};
use verifier::receipt::{Receipt, ReceiptOutcome, ReceiptPayload, receipt_id};
use verifier::record::PackageRecord;

fn text(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} missing"))
        .to_owned()
}

#[test]
fn dev_key_matches_expected() {
    let want = &expected()["dev_key"];
    let dev = SigningKey::dev();
    assert_eq!(dev.key_id().as_str(), text(want, "key_id"));
    assert_eq!(DEV_KEY_ID, text(want, "key_id"));
    assert_eq!(dev.seed_base64(), text(want, "seed_b64"));
    assert_eq!(dev.public_key().to_base64(), text(want, "public_key_b64"));
}

#[test]
fn digest_vectors() {
    for vector in expected()["digest_vectors"].as_array().unwrap() {
        assert_eq!(
            digest(&vector["value"]),
            text(vector, "digest"),
            "digest vector: {}",
            text(vector, "note")
        );
    }
}

#[test]
fn golden_receipt_reproduced_byte_for_byte() {
    for vector in expected()["receipt_vectors"].as_array().unwrap() {
        let name = text(vector, "bundle");
        let bundle = fixture_json(&name);
        let record: PackageRecord = serde_json::from_value(bundle["package"].clone()).unwrap();
        let issued_at = text(vector, "issued_at");
        assert_eq!(
            receipt_id(&issued_at, &record.package_id, &record.package_version),
            text(vector, "receipt_id"),
            "{name}: receipt_id"
        );
        // Receipts of that day signed the payload without the execution signature: reproduce that exact payload.
        let mut payload = ReceiptPayload::from_record(&record, &issued_at);
        payload.package_execution_signature.clear();
        let bytes = payload.signed_bytes(verifier::receipt::PayloadForm::Legacy);
        let key = SigningKey::dev();
        assert_eq!(key.key_id().as_str(), text(vector, "key_id"));
        let signature = verifier::signature::RegistrySignature::sign(&key, &bytes);
        assert_eq!(
            signature.to_string(),
            text(vector, "registry_signature"),
            "{name}"
        );

        let receipt: Receipt = serde_json::from_value(bundle["receipt"].clone()).unwrap();
        let keys = KeySet::of(KeyId::new(DEV_KEY_ID).unwrap(), key.public_key());
        assert_eq!(
            receipt.verify(&ReceiptPayload::from_record(&record, &issued_at), &keys),
            ReceiptOutcome::Legacy {
                key_id: DEV_KEY_ID.to_owned()
            },
            "{name}"
        );
    }
}

#[test]
fn stamped_digests_of_accepted_publish_requests() {
    let expectations = expected();
    let accepted = expectations["publish_expectations"]["accepted"]
        .as_object()
        .unwrap();
    assert_eq!(accepted.len(), 4);
    for (name, want) in accepted {
        let request = PublishRequest::from_json(&fixture_bytes(name)).unwrap();
        let stamped = prepare(request);
        for (field, got) in [
            ("definition_digest", &stamped.definition_digest),
            ("manifest_digest", &stamped.manifest_digest),
            ("lock_digest", &stamped.lock_digest),
            (
                "package_execution_signature",
                &stamped.package_execution_signature,
            ),
        ] {
            assert_eq!(got, &text(want, field), "{name}: {field}");
        }
        // The stored text is exactly what the digests cover.
        assert_eq!(
            verifier::canonical::sha256_hex(stamped.manifest_json.as_bytes()),
            stamped.manifest_digest
        );
        assert_eq!(digest(&stamped.recommended_lock), stamped.lock_digest);
    }
}

#[test]
fn issued_receipts_verify_as_current() {
    let request = PublishRequest::from_json(&fixture_bytes(
        "packages/github-fronting-showcase-0.2.0-publish-request.json",
    ))
    .unwrap();
    let stamped = prepare(request);
    let key = SigningKey::dev();
    let record = stamped.to_record("studio-local", "studio", "2026-11-23T10:00:00Z");
    let payload = ReceiptPayload::from_record(&record, "2026-11-23T10:00:00Z");
    let receipt = Receipt::issue(&payload, &key);
    let keys = KeySet::of(key.key_id().clone(), key.public_key());
    assert_eq!(
        receipt.verify(&payload, &keys),
        ReceiptOutcome::Verified {
            key_id: DEV_KEY_ID.to_owned()
        }
    );
}
