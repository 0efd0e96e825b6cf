//! Fixture bundles: receipts verify as legacy with the bundle's own key (or the dev key), tampering fails with a
//! reason naming what differs, and bundles become publish requests as ANIP's `publish-bundle` makes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common::{self, bundle_paths, fixture_bytes};
use serde_json::Value;
use verifier::bundle::Bundle;
use verifier::keys::{KeySet, SigningKey};
use verifier::publish::{PublishRequest, prepare};
use verifier::receipt::ReceiptOutcome;
use verifier::report::CheckStatus;

fn bundle(name: &str) -> Bundle {
    Bundle::from_json(&fixture_bytes(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The bundle's own keys, or the dev key when it carries none.
fn keys_for(b: &Bundle) -> KeySet {
    let keys = b.registry_keys().unwrap();
    if !keys.is_empty() {
        return keys;
    }
    let dev = SigningKey::dev();
    KeySet::of(dev.key_id().clone(), dev.public_key())
}

fn signed_bundles() -> Vec<String> {
    bundle_paths()
        .into_iter()
        .filter(|p| {
            let b = bundle(p);
            b.root()["receipt"]["registry_signature"]
                .as_str()
                .is_some_and(|s| s.starts_with("ed25519:"))
        })
        .collect()
}

#[test]
fn every_signed_bundle_verifies_as_legacy() {
    let signed = signed_bundles();
    assert_eq!(signed.len(), 6, "{signed:?}");
    for name in signed {
        let b = bundle(&name);
        let report = b.verify(&keys_for(&b)).unwrap();
        assert!(
            matches!(report.receipt, ReceiptOutcome::Legacy { .. }),
            "{name}: {:?}",
            report.receipt
        );
        let receipt_check = report.checks.get("receipt_signature_valid").unwrap();
        assert_eq!(receipt_check.status, CheckStatus::Warn, "{name}");
        assert!(receipt_check.detail.contains("legacy"), "{name}");
    }
}

#[test]
fn content_digests_of_signed_bundles() {
    // Two old bundles carry digests made by an older canonicalisation (reference §11.3); the rest recompute.
    let historical = [
        "gtm-pipeline-q2-review-0.2.0",
        "gtm-pipeline-q2-review-0.3.5",
    ];
    for name in signed_bundles() {
        let b = bundle(&name);
        let report = b.verify(&keys_for(&b)).unwrap();
        let old = historical.iter().any(|h| name.contains(h));
        for check in [
            "definition_digest_matches",
            "manifest_digest_matches",
            "lock_digest_matches",
        ] {
            let status = report.checks.get(check).unwrap().status;
            if !old {
                assert_eq!(
                    status,
                    CheckStatus::Pass,
                    "{name}: {check}: {:?}",
                    report.checks
                );
            }
        }
        if old {
            assert!(
                !report.checks.all_passed(),
                "{name} should show its stale digests"
            );
        }
        assert!(report.checks.get("bundle_copies_consistent").is_some());
    }
}

#[test]
fn unsigned_bundles_are_reported_as_unsigned() {
    for name in bundle_paths() {
        if signed_bundles().contains(&name) {
            continue;
        }
        let b = bundle(&name);
        let report = b.verify(&keys_for(&b)).unwrap();
        assert!(
            matches!(report.receipt, ReceiptOutcome::Failed { .. }),
            "{name}"
        );
        let check = report.checks.get("receipt_signature_valid").unwrap();
        assert_eq!(check.status, CheckStatus::Fail, "{name}");
    }
}

/// Applies `edit` to the gitlab bundle (a dev-key legacy receipt whose digests all recompute) and returns the
/// details of the failed checks.
fn tampered(edit: impl Fn(&mut Value)) -> (ReceiptOutcome, Vec<String>) {
    let name = "packages/gitlab-fronting-showcase-0.2.0.anip-package.json";
    let mut value = verifier::json::parse_strict(&fixture_bytes(name)).unwrap();
    edit(&mut value);
    let b = Bundle::from_value(value).unwrap();
    let report = b.verify(&keys_for(&b)).unwrap();
    let failures = report
        .checks
        .failures()
        .map(|c| format!("{}: {}", c.name, c.detail))
        .collect();
    (report.receipt, failures)
}

fn assert_fails_naming(label: &str, edit: impl Fn(&mut Value), needle: &str) {
    let (receipt, failures) = tampered(edit);
    assert!(!failures.is_empty(), "{label}: no check failed");
    assert!(
        !matches!(
            receipt,
            ReceiptOutcome::Legacy { .. } | ReceiptOutcome::Verified { .. }
        ),
        "{label}: the receipt still verifies"
    );
    // The receipt check's own reason lists every signed field, so look for a more specific check naming it (only
    // a damaged signature is named by the receipt check alone).
    let specific: Vec<&String> = failures
        .iter()
        .filter(|f| needle == "registry_signature" || !f.starts_with("receipt_signature_valid"))
        .collect();
    assert!(
        specific.iter().any(|f| f.contains(needle)),
        "{label}: no failure names {needle:?}: {failures:#?}"
    );
}

fn flip_hex(s: &str) -> String {
    let mut chars: Vec<char> = s.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == '0' { '1' } else { '0' };
    chars.into_iter().collect()
}

#[test]
fn untouched_gitlab_bundle_has_no_failures() {
    let (receipt, failures) = tampered(|_| {});
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(matches!(receipt, ReceiptOutcome::Legacy { .. }));
}

#[test]
fn tampering_with_any_signed_value_fails_naming_it() {
    for field in ["definition_digest", "manifest_digest", "lock_digest"] {
        assert_fails_naming(
            field,
            |v| {
                let old = v["package"][field].as_str().unwrap().to_owned();
                v["package"][field] = Value::from(flip_hex(&old));
            },
            field,
        );
    }
    assert_fails_naming(
        "package_id",
        |v| v["package"]["package_id"] = Value::from("gitlab-fronting-other"),
        "package_id",
    );
    assert_fails_naming(
        "package_version",
        |v| v["package"]["package_version"] = Value::from("0.2.1"),
        "package_version",
    );
    assert_fails_naming(
        "receipt package_version",
        |v| v["receipt"]["package_version"] = Value::from("0.2.1"),
        "package_version",
    );
    assert_fails_naming(
        "issued_at",
        |v| v["receipt"]["issued_at"] = Value::from("2026-05-15T00:00:01Z"),
        "issued_at",
    );
    assert_fails_naming(
        "lineage",
        |v| v["package"]["lineage"]["project_ref"] = Value::from("studio:someone-else"),
        "lineage",
    );
    assert_fails_naming(
        "contract_signature",
        |v| v["package"]["contract_signature"] = Value::from("sha256:0000"),
        "contract_signature",
    );
    for position in [0usize, 40, 85] {
        assert_fails_naming(
            "signature byte",
            |v| {
                let sig = v["receipt"]["registry_signature"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                let (head, b64) = sig.rsplit_once(':').unwrap();
                let mut chars: Vec<char> = b64.chars().collect();
                chars[position] = if chars[position] == 'A' { 'B' } else { 'A' };
                v["receipt"]["registry_signature"] =
                    Value::from(format!("{head}:{}", chars.into_iter().collect::<String>()));
            },
            "registry_signature",
        );
    }
}

#[test]
fn bundles_become_publish_requests() {
    for name in bundle_paths() {
        let b = bundle(&name);
        let request = b
            .to_publish_request()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let package = &b.root()["package"];
        assert_eq!(
            request.package_id,
            package["package_id"].as_str().unwrap(),
            "{name}"
        );
        assert!(!request.contract_signature.is_empty(), "{name}");
        assert!(!request.service_definition.is_empty(), "{name}");
    }
}

#[test]
fn bundle_request_stamps_like_the_original_request() {
    // The github bundle came back from the production registry; re-publishing it must give the same digests as
    // publishing the original request (expected.json).
    let expectations = common::expected();
    let want = &expectations["publish_expectations"]["accepted"]["packages/github-fronting-showcase-0.2.0-publish-request.json"];
    let from_bundle = prepare(
        bundle("packages/github-fronting-showcase-0.2.0.anip-package.json")
            .to_publish_request()
            .unwrap(),
    );
    assert_eq!(
        from_bundle.definition_digest,
        want["definition_digest"].as_str().unwrap()
    );
    let direct = prepare(
        PublishRequest::from_json(&fixture_bytes(
            "packages/github-fronting-showcase-0.2.0-publish-request.json",
        ))
        .unwrap(),
    );
    assert_eq!(from_bundle.definition_digest, direct.definition_digest);
    assert_eq!(from_bundle.manifest_digest, direct.manifest_digest);
    assert_eq!(from_bundle.lock_digest, direct.lock_digest);
    assert_eq!(
        from_bundle.package_execution_signature,
        direct.package_execution_signature
    );
}

#[test]
fn bundle_parse_refusals() {
    assert!(Bundle::from_json(b"[]").is_err());
    assert!(Bundle::from_json(br#"{"bundle_schema_version":"anip-package-bundle/v2"}"#).is_err());
    assert!(Bundle::from_json(br#"{}"#).is_err());
    let minimal =
        Bundle::from_json(br#"{"bundle_schema_version":"anip-package-bundle/v1"}"#).unwrap();
    assert!(minimal.record().is_err());
    assert!(minimal.to_publish_request().is_err());
    let bad_keys = Bundle::from_json(
        br#"{"bundle_schema_version":"anip-package-bundle/v1","registry_keys":[{"key_id":"a:b","algorithm":"ed25519","public_key":"x"}]}"#,
    )
    .unwrap();
    assert!(bad_keys.registry_keys().is_err());
}

#[test]
fn verification_applies_the_publish_rules() {
    // Bundles whose packages a registry accepts pass `package_rules_hold`; the ones it rejects fail it, naming why.
    let accepted = [
        "github-fronting",
        "gitlab-fronting",
        "0.4.0",
        "0.4.3",
        "0.4.5",
        "superset-fronting",
    ];
    for name in bundle_paths() {
        let b = bundle(&name);
        let report = b.verify(&keys_for(&b)).unwrap();
        let check = report.checks.get("package_rules_hold").unwrap();
        let should_pass = accepted.iter().any(|a| name.contains(a));
        let status = if should_pass {
            CheckStatus::Pass
        } else {
            CheckStatus::Fail
        };
        assert_eq!(check.status, status, "{name}: {}", check.detail);
    }
}

#[test]
fn bundle_keys_differing_only_in_case_and_aliased_keys_are_refused() {
    let name = "packages/github-fronting-showcase-0.2.0.anip-package.json";
    let original = verifier::json::parse_strict(&fixture_bytes(name)).unwrap();
    let refusal = |edit: &dyn Fn(&mut Value)| {
        let mut value = original.clone();
        edit(&mut value);
        let bundle = Bundle::from_value(value)?;
        bundle.registry_keys()?;
        bundle.record()?;
        bundle.receipt().map(|_| ())
    };
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit, &str)> = vec![
        ("root", Box::new(|v| v["Receipt"] = Value::Null), "Receipt"),
        (
            "publication",
            Box::new(|v| v["publication"]["Package_Version"] = "9.9.9".into()),
            "publication.Package_Version",
        ),
        (
            "digests",
            Box::new(|v| v["digests"]["MANIFEST"] = "sha256:00".into()),
            "digests.MANIFEST",
        ),
        (
            "package record",
            Box::new(|v| v["package"]["Package_Id"] = "other".into()),
            "package.Package_Id",
        ),
        (
            "receipt",
            Box::new(|v| v["receipt"]["KEY_ID"] = "other".into()),
            "receipt.KEY_ID",
        ),
        (
            "key item",
            Box::new(|v| v["registry_keys"][0]["Public_Key"] = "x".into()),
            "registry_keys[0].Public_Key",
        ),
    ];
    for (what, edit, at) in cases {
        let e = refusal(&*edit).unwrap_err();
        assert_eq!(
            (e.kind, e.at.as_str()),
            (verifier::FormatKind::AmbiguousKey, at),
            "{what}: {e}"
        );
    }
    // The same key bytes listed again under another id.
    let e = refusal(&|v: &mut Value| {
        let mut alias = v["registry_keys"][0].clone();
        alias["key_id"] = "alias".into();
        v["registry_keys"].as_array_mut().unwrap().push(alias);
    })
    .unwrap_err();
    assert_eq!(e.at, "registry_keys[1]");
    assert!(
        e.message.contains("key alias has the same bytes as key"),
        "{e}"
    );
    assert!(refusal(&|_: &mut Value| {}).is_ok());
}
