//! `verifier::mirror`: what a mirror (a folder or a replica store) checks of one logged version before keeping it —
//! the served record and receipt verify, rebuild the logged entry byte for byte, and the lock names the logged
//! digests; each lie is named by its check. Also the trusted-keys file format and swapped-key detection.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use serde_json::{Value, json};
use verifier::keys::{KeyId, KeySet, SigningKey};
use verifier::mirror::{Artifact, Served, check_version, parse_trusted_keys, swapped_keys};
use verifier::publish::{PublishRequest, prepare};
use verifier::receipt::{Receipt, ReceiptPayload};
use verifier::tlog::Entry;

use crate::common::fixture_json;

fn key(id: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(KeyId::new(id).unwrap(), &[seed; 32])
}

/// A record, its receipt (signed by `signer`), its lock and its logged entry, as an origin serves them.
fn served_parts(signer: &SigningKey) -> (Value, Value, Value, Vec<u8>) {
    let request = PublishRequest::from_value(fixture_json(
        "packages/github-fronting-showcase-0.2.0-publish-request.json",
    ))
    .unwrap();
    let s = prepare(request);
    let p = &s.package;
    let payload = ReceiptPayload {
        package_id: p.package_id.clone(),
        package_version: p.package_version.clone(),
        contract_signature: p.contract_signature.clone(),
        definition_digest: s.definition_digest.clone(),
        manifest_digest: s.manifest_digest.clone(),
        lock_digest: s.lock_digest.clone(),
        package_execution_signature: s.package_execution_signature.clone(),
        issued_at: "2026-11-30T08:00:00Z".into(),
        publisher_id: "studio-local".into(),
        publisher_type: "studio".into(),
        lineage: p.lineage.clone(),
    };
    let receipt = Receipt::issue(&payload, signer);
    let record = json!({
        "package_id": p.package_id, "package_version": p.package_version, "project_ref": p.project_ref,
        "product_revision_ref": p.product_revision_ref, "developer_revision_ref": p.developer_revision_ref,
        "contract_signature": p.contract_signature, "publisher_id": "studio-local", "publisher_type": "studio",
        "lineage": p.lineage, "schema_version": p.schema_version, "manifest_digest": s.manifest_digest,
        "definition_digest": s.definition_digest, "lock_digest": s.lock_digest,
        "package_execution_signature": s.package_execution_signature, "published_at": "2026-11-30T08:00:00Z",
        "download_count": 0, "lifecycle": {"status": "active"}, "manifest": s.manifest,
        "service_definition": s.service_definition, "recommended_lock": s.recommended_lock,
    });
    let receipt_value = serde_json::to_value(&receipt).unwrap();
    let logged = Entry::from_receipt(&receipt, &payload)
        .unwrap()
        .to_bytes()
        .unwrap();
    let lock = json!({
        "package_id": p.package_id, "package_version": p.package_version,
        "definition_digest": s.definition_digest, "manifest_digest": s.manifest_digest,
        "lock_digest": s.lock_digest, "receipt_signature": receipt.registry_signature,
    });
    (record, receipt_value, lock, logged)
}

/// The names of the failed checks of `served` under `keys`.
fn failed(served: &Served<'_>, keys: &KeySet) -> Vec<String> {
    check_version(served, keys)
        .checks
        .failures()
        .map(|c| c.name.clone())
        .collect()
}

#[test]
fn an_honest_version_passes_and_each_lie_is_named() {
    let signer = key("origin-key", 3);
    let keys = KeySet::of(signer.key_id().clone(), signer.public_key());
    let (record, receipt, lock, logged) = served_parts(&signer);
    let id = record["package_id"].as_str().unwrap().to_owned();
    let version = record["package_version"].as_str().unwrap().to_owned();
    let honest = Served {
        artifact: Artifact::Package,
        id: &id,
        version: &version,
        record: &record,
        receipt: &receipt,
        lock: Some(&lock),
        logged: &logged,
    };
    assert_eq!(failed(&honest, &keys), Vec::<String>::new());

    // Another key: the receipt does not verify.
    let other = key("origin-key", 4);
    let other_keys = KeySet::of(other.key_id().clone(), other.public_key());
    assert!(failed(&honest, &other_keys).contains(&"receipt_signature_valid".to_owned()));
    // An altered record: its digest no longer recomputes, and the entry no longer rebuilds.
    let mut altered = record.clone();
    altered["definition_digest"] = json!(format!("sha256:{}", "0".repeat(64)));
    let names = failed(
        &Served {
            record: &altered,
            ..honest
        },
        &keys,
    );
    assert!(
        names.contains(&"definition_digest_matches".to_owned()),
        "{names:?}"
    );
    assert!(names.contains(&"log_entry_matches".to_owned()), "{names:?}");
    // Another entry logged under this version (a receipt swapped after logging).
    let mut entry: Value = serde_json::from_slice(&logged).unwrap();
    entry["receipt_id"] = json!("another");
    let other_entry = serde_json::to_vec(&entry).unwrap();
    assert_eq!(
        failed(
            &Served {
                logged: &other_entry,
                ..honest
            },
            &keys
        ),
        ["log_entry_matches"]
    );
    // A lock naming other digests, or none at all.
    let mut bad_lock = lock.clone();
    bad_lock["lock_digest"] = json!("sha256:00");
    assert_eq!(
        failed(
            &Served {
                lock: Some(&bad_lock),
                ..honest
            },
            &keys
        ),
        ["lock_matches_log"]
    );
    assert_eq!(
        failed(
            &Served {
                lock: None,
                ..honest
            },
            &keys
        ),
        ["lock_matches_log"]
    );
    // Another version answered for the one requested.
    assert!(
        failed(
            &Served {
                version: "9.9.9",
                ..honest
            },
            &keys
        )
        .contains(&"record_is_the_requested_package".to_owned())
    );
    // A receipt that is not a receipt.
    assert_eq!(
        failed(
            &Served {
                receipt: &json!([]),
                ..honest
            },
            &keys
        ),
        ["receipt_parses"]
    );
}

#[test]
fn trusted_keys_files_and_swapped_keys() {
    let a = key("a", 1);
    let text = format!("# saved\n\na={}\n", a.public_key().to_base64());
    let pinned = parse_trusted_keys(&text).unwrap();
    assert_eq!(pinned, KeySet::of(a.key_id().clone(), a.public_key()));
    for bad in ["", "# only comments\n", "a\n", "a=not-base64\n"] {
        assert!(parse_trusted_keys(bad).is_err(), "{bad:?}");
    }
    let swapped = key("a", 2);
    let listed = KeySet::of(swapped.key_id().clone(), swapped.public_key());
    assert_eq!(
        swapped_keys(&pinned, &listed),
        ["key a is listed with other bytes than the pinned ones"]
    );
    assert!(swapped_keys(&pinned, &pinned).is_empty());
    // A key the registry does not list at all is not a swap (rotation adds and retires keys).
    assert!(swapped_keys(&pinned, &KeySet::new()).is_empty());
}
