//! Lock files: strict parsing, writing, and comparison with a resolved package, including key rotation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // test code: failing loudly is the point

use crate::common::fixture_bytes;
use verifier::keys::{KeyId, KeySet, SigningKey};
use verifier::lock::{LOCK_SCHEMA_VERSION, PackageLock, RegistryContext};
use verifier::publish::{PublishRequest, prepare};
use verifier::receipt::{Receipt, ReceiptPayload};
use verifier::{Error, FormatKind};

fn key(id: &str, seed: u8) -> SigningKey {
    SigningKey::from_seed(KeyId::new(id).unwrap(), &[seed; 32])
}

/// A published package (the real github fixture), its receipt signed by `signer`, and the resolved lock.
fn resolved(signer: &SigningKey, active_key_id: &str) -> PackageLock {
    let stamped = prepare(
        PublishRequest::from_json(&fixture_bytes(
            "packages/github-fronting-showcase-0.2.0-publish-request.json",
        ))
        .unwrap(),
    );
    let record = stamped.to_record("studio-local", "studio", "2026-11-23T10:00:00Z");
    let receipt = Receipt::issue(
        &ReceiptPayload::from_record(&record, "2026-11-23T10:00:00Z"),
        signer,
    );
    let mut lock = PackageLock::from_resolved(
        &record,
        &receipt,
        Some(&signer.public_key()),
        &RegistryContext {
            registry_url: "http://127.0.0.1:8200/registry-api/v1".into(),
            signing_mode: "production".into(),
        },
    );
    assert!(lock.registry_active_key_id.is_empty());
    // As a lock from an older tool (or ANIP's) names it: the comparisons below must still handle it.
    lock.registry_active_key_id = active_key_id.into();
    lock
}

fn trusting(keys: &[&SigningKey]) -> KeySet {
    let mut set = KeySet::new();
    for k in keys {
        set.insert(k.key_id().clone(), k.public_key()).unwrap();
    }
    set
}

#[test]
fn written_lock_reads_back_identically() {
    let k1 = key("k1", 1);
    let lock = resolved(&k1, "k1");
    let text = lock.to_pretty_json();
    assert!(text.ends_with("}\n"));
    assert!(text.starts_with(
        "{\n  \"lock_schema_version\": \"anip-package-lock/v1\",\n  \"artifact_type\""
    ));
    let back = PackageLock::from_json(text.as_bytes()).unwrap();
    assert_eq!(back, lock);
    assert_eq!(back.lock_schema_version, LOCK_SCHEMA_VERSION);
    assert_eq!(back.receipt_key_id, "k1");
    assert_eq!(back.receipt_algorithm, "ed25519");
    assert!(lock.compare(&back, &trusting(&[&k1])).is_empty());
}

fn parse_err(text: &str) -> Error {
    PackageLock::from_json(text.as_bytes()).unwrap_err()
}

#[test]
fn strict_parse_refusals() {
    let lock = resolved(&key("k1", 1), "k1");
    let good: serde_json::Value = serde_json::from_str(&lock.to_pretty_json()).unwrap();
    let with = |field: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v[field] = value;
        v.to_string()
    };
    let without = |field: &str| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(field);
        v.to_string()
    };
    // A key ANIP's decoder would read as a field (it matches names case-insensitively) is ambiguous, not unknown.
    for key in ["Package_Version", "LOCK_DIGEST", "receipt_\u{212A}ey_id"] {
        match parse_err(&with(key, "x".into())) {
            Error::Format(e) => {
                assert_eq!(
                    (e.kind, e.at.trim_matches(|c| "[]\"".contains(c))),
                    (FormatKind::AmbiguousKey, key)
                )
            }
            other => panic!("{key}: {other:?}"),
        }
    }
    match parse_err(&with("manifest_digst", "sha256:00".into())) {
        Error::Format(e) => assert!(e.message.contains("manifest_digst"), "{e}"),
        other => panic!("{other:?}"),
    }
    for field in [
        "package_id",
        "package_version",
        "definition_digest",
        "lock_digest",
    ] {
        match parse_err(&without(field)) {
            Error::Format(e) => assert_eq!(e.at, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert_eq!(
        parse_err(&with("lock_schema_version", "anip-package-lock/v2".into())).code(),
        "unsupported_lock_version"
    );
    assert_eq!(
        parse_err(&with("artifact_type", "other".into())).code(),
        "invalid_format"
    );
    for field in [
        "definition_digest",
        "manifest_digest",
        "lock_digest",
        "package_execution_signature",
    ] {
        match parse_err(&with(field, "sha256:ABCDEF".into())) {
            Error::Format(e) => assert_eq!(e.at, field),
            other => panic!("{field}: {other:?}"),
        }
    }
    assert!(matches!(
        parse_err(&with("receipt_public_key", "AAAA".into())),
        Error::Format(_)
    ));
    assert!(
        matches!(parse_err(&with("package_id", 5.into())), Error::Format(e) if e.kind == FormatKind::WrongType)
    );
    let dup = format!("{{\"package_id\":\"a\",{}", &good.to_string()[1..]);
    assert!(matches!(parse_err(&dup), Error::Format(e) if e.kind == FormatKind::DuplicateKey));
    assert!(matches!(parse_err("[]"), Error::Format(_)));
    assert!(
        matches!(parse_err("{} trailing"), Error::Format(e) if e.kind == FormatKind::TrailingData)
    );
}

#[test]
fn every_pinned_field_is_compared() {
    let k1 = key("k1", 1);
    let pinned = resolved(&k1, "k1");
    let trusted = trusting(&[&k1]);
    type Field = fn(&mut PackageLock) -> &mut String;
    let fields: [(&str, Field); 11] = [
        ("package_id", |l| &mut l.package_id),
        ("package_version", |l| &mut l.package_version),
        ("contract_signature", |l| &mut l.contract_signature),
        ("schema_version", |l| &mut l.schema_version),
        ("manifest_digest", |l| &mut l.manifest_digest),
        ("lock_digest", |l| &mut l.lock_digest),
        ("package_execution_signature", |l| {
            &mut l.package_execution_signature
        }),
        ("receipt_key_id", |l| &mut l.receipt_key_id),
        ("receipt_algorithm", |l| &mut l.receipt_algorithm),
        ("definition_digest", |l| &mut l.definition_digest),
        ("receipt_public_key", |l| &mut l.receipt_public_key),
    ];
    for (name, field) in fields {
        let mut changed = pinned.clone();
        let original = field(&mut changed).clone();
        *field(&mut changed) = format!("{original}-changed");
        let mismatches = pinned.compare(&changed, &trusted);
        assert_eq!(mismatches.len(), 1, "{name}: {mismatches:?}");
        assert_eq!(mismatches[0].field, name);
        assert_eq!(mismatches[0].expected, original);
        assert!(mismatches[0].to_string().contains(name));
        // A resolved package missing a pinned value fails too.
        let mut missing = pinned.clone();
        field(&mut missing).clear();
        assert_eq!(
            pinned.compare(&missing, &trusted).len(),
            1,
            "{name} missing"
        );
        // A lock that does not pin the field does not compare it.
        let mut unpinned = pinned.clone();
        field(&mut unpinned).clear();
        assert!(
            unpinned
                .compare(&changed, &trusted)
                .iter()
                .all(|m| m.field != name),
            "{name} unpinned"
        );
    }
    // Not compared, as in ANIP: receipt signature, issue time, authority, publisher, registry URL.
    let mut cosmetic = pinned.clone();
    cosmetic.receipt_issued_at = "2030-01-01T00:00:00Z".into();
    cosmetic.registry_url = "https://elsewhere/registry-api/v1".into();
    cosmetic.publisher_id = "someone".into();
    assert!(pinned.compare(&cosmetic, &trusted).is_empty());
}

#[test]
fn signing_mode_compared_case_insensitively_when_both_present() {
    let k1 = key("k1", 1);
    let pinned = resolved(&k1, "k1");
    let mut other = pinned.clone();
    other.registry_signing_mode = "PRODUCTION".into();
    assert!(pinned.compare(&other, &trusting(&[&k1])).is_empty());
    other.registry_signing_mode = "dev".into();
    let mismatches = pinned.compare(&other, &trusting(&[&k1]));
    assert_eq!(mismatches[0].field, "registry_signing_mode");
    other.registry_signing_mode.clear();
    assert!(pinned.compare(&other, &trusting(&[&k1])).is_empty());
}

#[test]
fn a_resolved_lock_never_names_the_registry_active_key() {
    // ANIP's generator compares registry_active_key_id with the registry's current active key: a lock carrying it
    // breaks at the first rotation. It stays readable (optional) but is never written.
    let mut lock = resolved(&key("k1", 1), "k1");
    let with_field = lock.to_pretty_json();
    assert!(with_field.contains("registry_active_key_id"));
    assert_eq!(PackageLock::from_json(with_field.as_bytes()).unwrap(), lock);
    lock.registry_active_key_id.clear();
    assert!(!lock.to_pretty_json().contains("registry_active_key_id"));
}

#[test]
fn rotating_the_active_key_keeps_locks_whose_receipt_key_is_trusted() {
    let k1 = key("k1", 1);
    let k2 = key("k2", 2);
    let pinned = resolved(&k1, "k1");
    // After rotation: same receipt (signed by k1), the registry's active key is now k2, k1 kept as an extra key.
    let mut after = pinned.clone();
    after.registry_active_key_id = "k2".into();
    assert!(pinned.compare(&after, &trusting(&[&k2, &k1])).is_empty());
    // ANIP would fail here; we fail only if the receipt's key is no longer trusted...
    let mismatches = pinned.compare(&after, &trusting(&[&k2]));
    assert_eq!(mismatches.len(), 1);
    assert_eq!(mismatches[0].field, "registry_active_key_id");
    // ...or if a key with that id is trusted but its bytes differ from the pinned ones.
    let impostor = key("k1", 9);
    let mismatches = pinned.compare(&after, &trusting(&[&k2, &impostor]));
    assert_eq!(
        mismatches.iter().map(|m| m.field).collect::<Vec<_>>(),
        ["registry_active_key_id"]
    );
}

/// The fields of ANIP's `anip-package-lock/v1` (reference §3.1), which ANIP's decoder matches case-insensitively and
/// beside which it ignores every other field.
const ANIP_LOCK_FIELDS: [&str; 21] = [
    "lock_schema_version",
    "artifact_type",
    "source_kind",
    "registry_url",
    "package_id",
    "package_version",
    "contract_signature",
    "schema_version",
    "definition_digest",
    "manifest_digest",
    "lock_digest",
    "package_execution_signature",
    "receipt_signature",
    "receipt_authority",
    "receipt_key_id",
    "receipt_algorithm",
    "receipt_issued_at",
    "registry_signing_mode",
    "registry_active_key_id",
    "publisher_id",
    "publisher_type",
];

/// A lock pinning its log position: it reads back, its log index is compared, and the fields ANIP's lock reader
/// does not know can never be taken for one it knows (it ignores unknown fields; it matches names in any case).
#[test]
fn locks_pin_their_log_position() {
    use verifier::lock::OWN_LOCK_FIELDS;
    let k1 = key("k1", 1);
    let mut lock = resolved(&k1, "");
    lock.log_index = Some(41);
    lock.log_checkpoint =
        "registry.example.com/anip\n42\nAAAA\n\n— registry.example.com/anip AAAA\n".into();
    let text = lock.to_pretty_json();
    assert!(text.contains("\n  \"log_index\": 41,\n"), "{text}");
    let back = PackageLock::from_json(text.as_bytes()).unwrap();
    assert_eq!(back, lock);
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    let object = value.as_object().unwrap();
    for key in object.keys() {
        assert!(
            ANIP_LOCK_FIELDS.contains(&key.as_str()) || OWN_LOCK_FIELDS.contains(&key.as_str()),
            "{key} is neither ANIP's nor listed as ours"
        );
    }
    for own in OWN_LOCK_FIELDS {
        assert!(
            !ANIP_LOCK_FIELDS.iter().any(|f| f.eq_ignore_ascii_case(own)),
            "{own} would be read by ANIP's decoder as one of its fields"
        );
    }
    // The pinned index must be the resolved one; a resolve that finds no log entry is a mismatch too.
    let mut moved = lock.clone();
    moved.log_index = Some(40);
    let mismatches = lock.compare(&moved, &trusting(&[&k1]));
    assert_eq!(mismatches.len(), 1);
    assert_eq!(mismatches[0].field, "log_index");
    moved.log_index = None;
    assert_eq!(
        lock.compare(&moved, &trusting(&[&k1]))[0].field,
        "log_index"
    );
    // A lock without the log fields (ANIP's, or older) compares as before.
    let plain = resolved(&k1, "");
    assert!(plain.compare(&lock, &trusting(&[&k1])).is_empty());
}
