//! Black-box tests of the `registry` binary against a real registry served in-process (SQLite in a temp dir),
//! with a rewriting proxy in front of it where a test needs a registry that lies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    unreachable_pub
)]

mod cases;
mod support;

use std::os::unix::fs::PermissionsExt as _;

use serde_json::{Value, json};
use support::{Answer, Proxy, TOKEN, World, cli, fixture, fixture_json, unreachable_url};

/// The API prefix every registry route has.
const API: &str = "/registry-api/v1";
/// The public development key the test registries sign with.
const DEV_KEY_ID: &str = "anip-registry-dev-ed25519-v1";
const DEV_PUBLIC_KEY: &str = "NZ8bIweTW/SJ14NTpSOCV/ITzTL7TIJP/Sl0CPAQV14=";
/// A bundle whose receipt is legacy (signed before the execution signature existed) with the dev key.
const LEGACY_BUNDLE: &str = "packages/gitlab-fronting-showcase-0.2.0.anip-package.json";

/// The base64 public key of another Ed25519 key (not the registry's).
fn other_public_key() -> String {
    verifier::keys::SigningKey::from_seed(verifier::keys::KeyId::new("other").unwrap(), &[7; 32])
        .public_key()
        .to_base64()
}

/// `/keys` with every listed key's bytes replaced by another key's, ids unchanged.
fn keys_with_other_bytes(answer: &mut Answer) {
    let mut keys = answer.json();
    for item in keys["items"].as_array_mut().unwrap() {
        item["public_key"] = json!(other_public_key());
    }
    answer.set_json(&keys);
}

fn record_path(id: &str, version: &str) -> String {
    format!("{API}/packages/{id}/{version}")
}

// ---------------------------------------------------------------------------------------------------------------
// Help and offline commands
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn help_of_every_subcommand_shows_examples() {
    for sub in ["publish", "resolve", "verify", "keys"] {
        let run = cli(&[sub, "--help"]);
        run.assert_code(0);
        run.assert_stdout_contains("Examples:");
        run.assert_stdout_contains(&format!("registry {sub} "));
    }
    let run = cli(&["--help"]);
    run.assert_code(0);
    run.assert_stdout_contains(
        "Exit codes: 0 success, 1 could not run, 2 a trust or rule check failed, 3 the registry's transparency log forked",
    );
}

#[test]
fn publish_output_writes_the_request_without_the_network() {
    let dir = tempfile::tempdir().unwrap();
    let nowhere = unreachable_url();

    // A publish request file.
    let request_path = dir.path().join("request.json");
    let request = registry_server::demo::demo_request("demo-a", "1.0.0").unwrap();
    std::fs::write(&request_path, serde_json::to_vec(&request).unwrap()).unwrap();
    let out = dir.path().join("out-request.json");
    let run = cli(&[
        "publish",
        request_path.to_str().unwrap(),
        "--registry-url",
        &nowhere,
        "--token",
        TOKEN,
        "--output",
        out.to_str().unwrap(),
    ]);
    run.assert_code(0)
        .assert_stderr_contains("wrote the publish request for demo-a@1.0.0");
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["package_id"], "demo-a");
    assert_eq!(written["package_version"], "1.0.0");

    // A bundle, turned into its publish request.
    let out = dir.path().join("bundle-request.json");
    let run = cli(&[
        "publish",
        fixture(LEGACY_BUNDLE).to_str().unwrap(),
        "--registry-url",
        &nowhere,
        "--output",
        out.to_str().unwrap(),
    ]);
    run.assert_code(0)
        .assert_stderr_contains("wrote the publish request for gitlab-fronting-showcase@0.2.0");
    let written: Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(written["package_id"], "gitlab-fronting-showcase");
    assert!(written["service_definition"].is_object());
    assert!(written["manifest"].is_object());
    assert!(written.get("bundle_schema_version").is_none());
}

#[test]
fn verify_bundle_fixture_is_legacy() {
    let bundle = fixture(LEGACY_BUNDLE);
    let bundle = bundle.to_str().unwrap();

    let run = cli(&["verify", "--bundle", bundle, "--format", "json"]);
    run.assert_code(2)
        .assert_stderr_contains("gitlab-fronting-showcase@0.2.0 failed verification")
        .assert_stderr_contains("no --trusted-keys");
    assert!(
        run.assert_check("receipt_is_current", "fail")
            .contains("--allow-legacy")
    );
    assert_eq!(run.json()["receipt_status"], "legacy");

    // The bundle's own keys prove nothing: without --trusted-keys they are refused...
    let run = cli(&[
        "verify",
        "--bundle",
        bundle,
        "--allow-legacy",
        "--format",
        "json",
    ]);
    run.assert_code(2);
    run.assert_check("keys_pinned", "fail");
    // ...unless accepted explicitly.
    let run = cli(&[
        "verify",
        "--bundle",
        bundle,
        "--allow-legacy",
        "--trust-bundle-keys",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["status"], "verified");
    assert_eq!(run.json()["receipt_status"], "legacy");
    run.assert_check("receipt_is_current", "warn");
    assert!(
        run.assert_check("receipt_signature_valid", "warn")
            .contains(DEV_KEY_ID)
    );
    assert!(
        run.assert_check("receipt_key_not_dev_key", "warn")
            .contains("development key")
    );
    run.assert_check("keys_pinned", "warn");

    // Text output, pinned keys.
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys.txt");
    std::fs::write(&keys, format!("{DEV_KEY_ID}={DEV_PUBLIC_KEY}\n")).unwrap();
    let run = cli(&[
        "verify",
        "--bundle",
        bundle,
        "--allow-legacy",
        "--trusted-keys",
        keys.to_str().unwrap(),
    ]);
    run.assert_code(0)
        .assert_stdout_contains("gitlab-fronting-showcase@0.2.0: verified (receipt legacy)");
    assert!(!run.stdout.contains("keys_pinned"), "{}", run.stdout);
}

// ---------------------------------------------------------------------------------------------------------------
// Happy paths against a real registry
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn publish_a_request_and_a_bundle_then_verify_them() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-a", "1.0.0");

    let run = cli(&[
        "publish",
        fixture(LEGACY_BUNDLE).to_str().unwrap(),
        "--registry-url",
        base,
        "--token",
        TOKEN,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let published = run.json();
    assert_eq!(published["package_id"], "gitlab-fronting-showcase");
    assert_eq!(published["package_version"], "0.2.0");
    assert!(
        published["receipt"]["registry_signature"]
            .as_str()
            .unwrap()
            .starts_with(&format!("ed25519:{DEV_KEY_ID}:"))
    );

    // One package, text and JSON.
    let run = cli(&["verify", "demo-a@1.0.0", "--registry-url", base]);
    run.assert_code(0)
        .assert_stdout_contains("demo-a@1.0.0: verified (receipt verified)")
        .assert_stderr_contains("no --trusted-keys");
    let run = cli(&[
        "verify",
        "gitlab-fronting-showcase@0.2.0",
        "--registry-url",
        &format!("{base}{API}/"),
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert_eq!(run.json()["status"], "verified");
    assert_eq!(run.json()["receipt_status"], "verified");
    for check in [
        "record_is_the_requested_package",
        "definition_digest_matches",
        "manifest_digest_matches",
        "lock_digest_matches",
        "execution_signature_matches",
        "package_rules_hold",
        "receipt_signature_valid",
        "lifecycle_allows_use",
    ] {
        run.assert_check(check, "pass");
    }

    // Every package, with a summary.
    let run = cli(&["verify", "--all", "--registry-url", base]);
    run.assert_code(0)
        .assert_stderr_contains("2 package version(s) verified")
        .assert_stdout_contains("demo-a@1.0.0")
        .assert_stdout_contains("gitlab-fronting-showcase@0.2.0");
    assert_eq!(run.stdout.matches("verified").count(), 4, "{}", run.stdout);
    let run = cli(&[
        "verify",
        "--all",
        "--registry-url",
        base,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    let summary = run.json();
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["failed"], 0);

    // Publishing the same package again is accepted, and said to be unchanged.
    let again = cli(&[
        "publish",
        &world.demo_request("demo-a", "1.0.0"),
        "--registry-url",
        base,
        "--token",
        TOKEN,
    ]);
    again
        .assert_code(0)
        .assert_stdout_contains("already published, unchanged demo-a@1.0.0");
    assert!(!again.stdout.contains("\npublished"), "{}", again.stdout);
}

#[test]
fn keys_save_writes_a_private_file_that_trusted_keys_accepts() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-a", "1.0.0");
    let keys = world.path("keys.txt");

    let run = cli(&["keys", "--registry-url", base, "--save", &keys]);
    run.assert_code(0)
        .assert_stderr_contains(&format!("saved 1 key(s) to {keys}"))
        .assert_stdout_contains("signing mode   dev")
        .assert_stdout_contains(&format!(
            "{DEV_KEY_ID}={DEV_PUBLIC_KEY}  (public development key)"
        ));
    let mode = std::fs::metadata(&keys).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode {mode:o}");
    let saved = std::fs::read_to_string(&keys).unwrap();
    assert!(
        saved.contains(&format!("{DEV_KEY_ID}={DEV_PUBLIC_KEY}\n")),
        "{saved}"
    );

    // It refuses to overwrite the file.
    let run = cli(&["keys", "--registry-url", base, "--save", &keys]);
    run.assert_code(1).assert_stderr_contains(&keys);
    assert_eq!(std::fs::read_to_string(&keys).unwrap(), saved);

    let run = cli(&["keys", "--registry-url", base, "--format", "json"]);
    run.assert_code(0);
    assert_eq!(run.json()["active_key_id"], DEV_KEY_ID);
    assert_eq!(run.json()["items"][0]["dev_key"], true);

    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--trusted-keys",
        &keys,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    assert!(!run.stderr.contains("no --trusted-keys"), "{}", run.stderr);
    run.assert_check("registry_keys_match_pins", "pass");
    assert!(
        run.assert_check("receipt_signature_valid", "pass")
            .contains(DEV_KEY_ID)
    );
    run.assert_check("receipt_key_not_dev_key", "warn");

    // A file that is not a trusted-keys file.
    let bad = world.write("bad-keys.txt", b"# nothing but\nnot a key line\n");
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--trusted-keys",
        &bad,
    ]);
    run.assert_code(1).assert_stderr_contains("line 2");
}

#[test]
fn resolve_writes_a_lock_then_resolves_and_verifies_with_it() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-a", "1.0.0");
    let lock = world.path("anip.lock.json");
    let first = world.path("first.json");

    // Without a lock and without --write-lock it refuses.
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--lock-file",
        &lock,
    ]);
    run.assert_code(1).assert_stderr_contains("--write-lock");

    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &first,
    ]);
    run.assert_code(0)
        .assert_stderr_contains(&format!("wrote lock {lock}"))
        .assert_stdout_contains("demo-a@1.0.0: verified");
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    assert_eq!(pinned["package_id"], "demo-a");
    assert_eq!(pinned["registry_url"], format!("{base}{API}"));
    assert_eq!(pinned["receipt_public_key"], DEV_PUBLIC_KEY);
    let record: Value = serde_json::from_slice(&std::fs::read(&first).unwrap()).unwrap();
    assert_eq!(record["package_id"], "demo-a");
    assert_eq!(record["lock_digest"], pinned["lock_digest"]);

    // Later: the lock alone (its registry URL), record to a file, then to stdout.
    let second = world.path("second.json");
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--lock-file",
        &lock,
        "--out",
        &second,
    ]);
    run.assert_code(0)
        .assert_stdout_contains("package_lock_matches");
    let again: Value = serde_json::from_slice(&std::fs::read(&second).unwrap()).unwrap();
    assert_eq!(again, record);
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--lock-file",
        &lock,
        "--format",
        "json",
    ]);
    run.assert_code(0)
        .assert_stderr_contains("\"package_lock_matches\"");
    let on_stdout: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(on_stdout, record);

    let run = cli(&["verify", "--lock-file", &lock, "--format", "json"]);
    run.assert_code(0);
    run.assert_check("package_lock_matches", "pass");
    run.assert_check("record_is_the_requested_package", "pass");
}

// ---------------------------------------------------------------------------------------------------------------
// 1. An unreachable registry
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn unreachable_registry_is_exit_1() {
    let nowhere = unreachable_url();
    let dir = tempfile::tempdir().unwrap();
    let lock = dir.path().join("anip.lock.json");
    let lock = lock.to_str().unwrap();
    let request = dir.path().join("request.json");
    let request_bytes =
        serde_json::to_vec(&registry_server::demo::demo_request("demo-a", "1.0.0").unwrap())
            .unwrap();
    std::fs::write(&request, request_bytes).unwrap();

    for args in [
        vec!["verify", "demo-a@1.0.0"],
        vec!["verify", "--all"],
        vec!["keys"],
        vec![
            "resolve",
            "demo-a@1.0.0",
            "--lock-file",
            lock,
            "--write-lock",
        ],
        vec!["publish", request.to_str().unwrap(), "--token", TOKEN],
    ] {
        let mut args = args;
        args.extend(["--registry-url", &nowhere]);
        let run = cli(&args);
        run.assert_code(1)
            .assert_stderr_contains("cannot reach")
            .assert_stderr_contains(&format!("{nowhere}{API}/"));
    }
    assert!(!std::path::Path::new(lock).exists());

    // No registry at all, and a URL that is not one.
    let run = cli(&["verify", "demo-a@1.0.0"]);
    run.assert_code(1)
        .assert_stderr_contains("no registry: pass --registry-url");
    let run = cli(&["keys", "--registry-url", "registry.example.com"]);
    run.assert_code(1)
        .assert_stderr_contains("must start with http:// or https://");
    // A bad argument is a usage error (64), not a failure to run.
    let run = cli(&["verify", "demo-a", "--registry-url", &nowhere]);
    run.assert_code(64)
        .assert_stderr_contains("is not <id>@<version>");
}

// ---------------------------------------------------------------------------------------------------------------
// 2. Non-JSON or truncated answers
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn non_json_or_truncated_answers_are_exit_1() {
    let world = World::new();
    world.publish_demo("demo-a", "1.0.0");
    let record = record_path("demo-a", "1.0.0");
    let verify = |proxy: &Proxy| cli(&["verify", "demo-a@1.0.0", "--registry-url", &proxy.base]);

    let target = record.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            answer.body = b"not json".to_vec();
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains(&format!(
            "{}{record} answered with JSON that does not parse",
            proxy.base
        ));

    // Cut in half, with a Content-Length that says so.
    let target = record.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            let half = answer.body.len() / 2;
            answer.body.truncate(half);
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains(&format!("{record} answered with JSON that does not parse"));

    // Cut in half, the Content-Length still announcing the whole body: the connection ends early.
    let target = record.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            answer.declared_length = Some(answer.body.len());
            let half = answer.body.len() / 2;
            answer.body.truncate(half);
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains(&format!("reading the answer of {}{record}", proxy.base));

    // The receipt and the keys are parsed as strictly.
    let target = format!("{record}/receipt");
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            answer.body = b"{\"receipt_id\": ".to_vec();
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains(&format!(
            "{record}/receipt answered with JSON that does not parse"
        ));
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/keys") {
            answer.body = b"<html>keys</html>".to_vec();
        }
    });
    let run = cli(&["keys", "--registry-url", &proxy.base]);
    run.assert_code(1).assert_stderr_contains(&format!(
        "{API}/keys answered with JSON that does not parse"
    ));

    // JSON of the wrong shape.
    let target = record.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            answer.body = b"[1, 2, 3]".to_vec();
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains("demo-a@1.0.0: the registry's record is malformed");

    // An error page that is not the registry's JSON envelope.
    let target = record.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            answer.status = 502;
            answer.body = b"<html>Bad Gateway</html>".to_vec();
        }
    });
    verify(&proxy)
        .assert_code(1)
        .assert_stderr_contains("demo-a@1.0.0: HTTP 502: <html>Bad Gateway</html>");
}

// ---------------------------------------------------------------------------------------------------------------
// 3. Another package than the one requested
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn another_package_than_the_one_requested_is_exit_2() {
    let world = World::new();
    world.publish_demo("demo-a", "1.0.0");
    world.publish_demo("demo-b", "1.0.0");
    let (asked, served) = (
        record_path("demo-a", "1.0.0"),
        record_path("demo-b", "1.0.0"),
    );
    // The record and the receipt of b, so that everything else about it verifies.
    let proxy = Proxy::start(
        world.registry.addr,
        move |target| match target.strip_prefix(&asked) {
            Some(rest) => format!("{served}{rest}"),
            None => target.to_owned(),
        },
        |_, _| {},
    );

    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 failed verification");
    assert_eq!(run.json()["status"], "failed");
    let detail = run.assert_check("record_is_the_requested_package", "fail");
    assert_eq!(detail, "requested demo-a@1.0.0, received demo-b@1.0.0");
    run.assert_check("receipt_signature_valid", "pass");
    run.assert_check("manifest_digest_matches", "pass");

    // resolve refuses too, and writes neither the lock nor the record.
    let (lock, out) = (world.path("anip.lock.json"), world.path("record.json"));
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &out,
    ]);
    run.assert_code(2).assert_stderr_contains(
        "demo-a@1.0.0 did not resolve\n  record_is_the_requested_package: ",
    );
    assert!(!std::path::Path::new(&lock).exists());
    assert!(!std::path::Path::new(&out).exists());
}

// ---------------------------------------------------------------------------------------------------------------
// 4. A manifest altered after signing
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn manifest_altered_after_signing_is_exit_2() {
    let world = World::new();
    world.publish_demo("demo-a", "1.0.0");
    let target = record_path("demo-a", "1.0.0");
    let tamper = |answer: &mut Answer, recompute_digest: bool| {
        let mut record = answer.json();
        assert_eq!(record["manifest"]["name"], "Work Item Fronting Demo");
        record["manifest"]["name"] = json!("Work Item Fronting Demo (with a backdoor)");
        if recompute_digest {
            record["manifest_digest"] = json!(verifier::canonical::digest(&record["manifest"]));
        }
        answer.set_json(&record);
    };

    // Only the manifest changed: its digest no longer matches.
    let only_manifest = target.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == only_manifest {
            tamper(answer, false);
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 failed verification");
    let detail = run.assert_check("manifest_digest_matches", "fail");
    assert!(
        detail.starts_with("manifest_digest: the record says sha256:"),
        "{detail}"
    );
    run.assert_check("definition_digest_matches", "pass");

    // The manifest and its digest changed: the receipt no longer verifies.
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == target {
            tamper(answer, true);
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2);
    run.assert_check("manifest_digest_matches", "pass");
    let detail = run.assert_check("receipt_signature_valid", "fail");
    assert!(
        detail.contains("does not verify over the receipt payload"),
        "{detail}"
    );
    assert_eq!(run.json()["receipt_status"], "failed");

    // In text form the failure is named too.
    let run = cli(&["verify", "demo-a@1.0.0", "--registry-url", &proxy.base]);
    run.assert_code(2)
        .assert_stdout_contains("demo-a@1.0.0: FAILED (receipt failed)")
        .assert_stdout_contains("FAIL  receipt_signature_valid");
}

// ---------------------------------------------------------------------------------------------------------------
// 5. A receipt signed by a key the registry does not list
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn receipt_signed_by_a_key_the_registry_does_not_list_is_exit_2() {
    let world = World::new();
    world.publish_demo("demo-a", "1.0.0");
    let keys = format!("{API}/keys");

    // The same key id, other bytes.
    let same_id = keys.clone();
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == same_id {
            keys_with_other_bytes(answer);
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 failed verification");
    let detail = run.assert_check("receipt_signature_valid", "fail");
    assert!(
        detail.contains(&format!(
            "the signature by key {DEV_KEY_ID} does not verify"
        )),
        "{detail}"
    );
    assert_eq!(run.json()["receipt_status"], "failed");

    // The key removed; another one listed instead.
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == keys {
            answer.set_json(&json!({
                "signing_mode": "dev", "active_key_id": "other-key",
                "items": [{"key_id": "other-key", "algorithm": "ed25519", "public_key": other_public_key()}],
            }));
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2);
    let detail = run.assert_check("receipt_signature_valid", "fail");
    assert_eq!(detail, format!("no trusted key has id {DEV_KEY_ID}"));
    assert_eq!(run.json()["receipt_status"], "unknown_key");

    // Pinned keys that do not include the signer.
    let pinned = world.write(
        "keys.txt",
        format!("other-key={}\n", other_public_key()).as_bytes(),
    );
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--trusted-keys",
        &pinned,
    ]);
    run.assert_code(2)
        .assert_stdout_contains("demo-a@1.0.0: FAILED (receipt unknown_key)")
        .assert_stdout_contains(&format!("no trusted key has id {DEV_KEY_ID}"));
}

// ---------------------------------------------------------------------------------------------------------------
// 6. Keys that changed under a pinned key id
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn keys_changed_under_a_pinned_id_is_exit_2() {
    let world = World::new();
    world.publish_demo("demo-a", "1.0.0");
    let pins = world.path("trusted-keys.txt");
    cli(&[
        "keys",
        "--registry-url",
        &world.registry.base,
        "--save",
        &pins,
    ])
    .assert_code(0);
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--trusted-keys",
        &pins,
        "--out",
        &world.path("first.json"),
    ])
    .assert_code(0);

    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/keys") {
            keys_with_other_bytes(answer);
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--trusted-keys",
        &pins,
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 failed verification");
    let detail = run.assert_check("registry_keys_match_pins", "fail");
    assert_eq!(
        detail,
        format!("key {DEV_KEY_ID} is listed with other bytes than the pinned ones")
    );
    // The receipt itself still verifies against the pinned key: only the pin check catches the change.
    run.assert_check("receipt_signature_valid", "pass");

    // resolve with the lock through that registry fails the same way, and writes no record.
    let out = world.path("second.json");
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--lock-file",
        &lock,
        "--trusted-keys",
        &pins,
        "--out",
        &out,
    ]);
    run.assert_code(2).assert_stderr_contains(
        "registry_keys_match_pins: key anip-registry-dev-ed25519-v1 is listed with other bytes",
    );
    assert!(!std::path::Path::new(&out).exists());
}

// ---------------------------------------------------------------------------------------------------------------
// 7. A lock for another package, or with a changed digest
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn lock_for_another_package_or_with_a_changed_digest_fails() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-a", "1.0.0");
    let lock = world.path("anip.lock.json");
    cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--lock-file",
        &lock,
        "--write-lock",
        "--out",
        &world.path("first.json"),
    ])
    .assert_code(0);
    let pinned: Value = serde_json::from_slice(&std::fs::read(&lock).unwrap()).unwrap();
    let edited = |name: &str, field: &str, value: &str| {
        let mut lock = pinned.clone();
        lock[field] = json!(value);
        world.write(name, &serde_json::to_vec_pretty(&lock).unwrap())
    };

    // A lock for another package.
    let other = edited("other.lock.json", "package_id", "demo-b");
    let out = world.path("other-record.json");
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--lock-file",
        &other,
        "--out",
        &out,
    ]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 did not resolve")
        .assert_stderr_contains("package_id: the lock pins demo-b but the registry gave demo-a");
    assert!(
        !std::path::Path::new(&out).exists(),
        "resolve wrote the record of a failed check"
    );
    let run = cli(&["verify", "--lock-file", &other]);
    run.assert_code(1)
        .assert_stderr_contains("demo-b@1.0.0: HTTP 404 package_not_found");

    // A lock with a changed lock digest.
    let zero = format!("sha256:{}", "0".repeat(64));
    let changed = edited("changed.lock.json", "lock_digest", &zero);
    let actual = pinned["lock_digest"].as_str().unwrap();
    let expected_detail =
        format!("lock_digest: the lock pins {zero} but the registry gave {actual}");
    let out = world.path("changed-record.json");
    let run = cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--lock-file",
        &changed,
        "--out",
        &out,
    ]);
    run.assert_code(2).assert_stderr_contains(&expected_detail);
    assert!(
        !std::path::Path::new(&out).exists(),
        "resolve wrote the record of a failed check"
    );
    let run = cli(&["verify", "--lock-file", &changed, "--format", "json"]);
    run.assert_code(2)
        .assert_stderr_contains("demo-a@1.0.0 failed verification");
    assert_eq!(
        run.assert_check("package_lock_matches", "fail"),
        expected_detail
    );

    // A --out file that exists already is left alone when the check fails.
    let existing = world.write("existing.json", b"previous record\n");
    cli(&[
        "resolve",
        "demo-a@1.0.0",
        "--lock-file",
        &changed,
        "--out",
        &existing,
    ])
    .assert_code(2);
    assert_eq!(std::fs::read(&existing).unwrap(), b"previous record\n");

    // Locks that do not parse name the problem.
    let malformed = edited("malformed.lock.json", "lock_digest", "sha256:nothex");
    let run = cli(&["verify", "--lock-file", &malformed]);
    run.assert_code(1).assert_stderr_contains("lock_digest");
    let mut without = pinned.clone();
    without.as_object_mut().unwrap().remove("lock_digest");
    let without = world.write("without.lock.json", &serde_json::to_vec(&without).unwrap());
    let run = cli(&["resolve", "demo-a@1.0.0", "--lock-file", &without]);
    run.assert_code(1).assert_stderr_contains("lock_digest");
    let not_json = world.write("not-json.lock.json", b"{\"package_id\": ");
    cli(&["verify", "--lock-file", &not_json])
        .assert_code(1)
        .assert_stderr_contains(&not_json);
}

// ---------------------------------------------------------------------------------------------------------------
// 8. A wrong token on publish
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn wrong_or_missing_token_on_publish_is_exit_1() {
    let world = World::new();
    let base = &world.registry.base;
    // The registry checks the token before it reads the body; a small body keeps this test clear of the lost-answer
    // race that `wrong_token_on_publish_of_a_large_package_names_invalid_token` shows (see there).
    let request = world.write(
        "small-request.json",
        br#"{"package_id": "demo-a", "package_version": "1.0.0"}"#,
    );

    let run = cli(&[
        "publish",
        &request,
        "--registry-url",
        base,
        "--token",
        "not-the-token",
    ]);
    run.assert_code(1)
        .assert_stderr_contains("publish refused: HTTP 401 invalid_token");
    let run = cli(&["publish", &request, "--registry-url", base]);
    run.assert_code(1)
        .assert_stderr_contains("publish refused: HTTP 401 missing_token");

    // Nothing was published; the right token publishes.
    cli(&["verify", "demo-a@1.0.0", "--registry-url", base])
        .assert_code(1)
        .assert_stderr_contains("demo-a@1.0.0: HTTP 404 package_not_found");
    world.publish_demo("demo-a", "1.0.0");

    // A package the registry rejects lists the registry's problems.
    let rejected = fixture("packages/travel-booking-showcase-0.1.0.anip-package.json");
    let run = cli(&[
        "publish",
        rejected.to_str().unwrap(),
        "--registry-url",
        base,
        "--token",
        TOKEN,
    ]);
    // A broken publish rule is exit 2, the headline first and each problem on its own line.
    run.assert_code(2)
        .assert_stderr_contains("publish refused: HTTP 400 invalid_package: ")
        .assert_stderr_contains(
            "\n  manifest.anip_spec_version: the manifest must declare anip_spec_version \"anip/0.24\" \
             [missing_spec_version]\n",
        );
}

/// BUG (race, seen through the CLI): with a wrong token and a request of a few hundred KB, `registry publish` often
/// (5-25% of attempts here) exits 1 with `cannot reach <api>/publications: ... Broken pipe (os error 32)` instead of
/// the registry's `HTTP 401 invalid_token`. The registry's `Publisher` extractor rejects the token before the `Body`
/// extractor reads the request body (unlike the 413 path, which drains the body so the client gets the answer), and
/// the connection is closed with the body unread; ureq 2 writes the whole body before reading any answer, so the
/// write fails with EPIPE/ECONNRESET and the 401 is never read. Fix: drain the body (bounded, like `DRAIN_BYTES`)
/// before answering 401/403 in the server, and/or make the CLI say the registry closed the connection while the
/// request was being sent. Run with `cargo test -p registry-cli --test cli -- --ignored`.
#[test]

fn wrong_token_on_publish_of_a_large_package_names_invalid_token() {
    let world = World::new();
    let request = fixture("packages/github-fronting-showcase-0.2.0-publish-request.json");
    for _ in 0..50 {
        let run = cli(&[
            "publish",
            request.to_str().unwrap(),
            "--registry-url",
            &world.registry.base,
            "--token",
            "not-the-token",
        ]);
        run.assert_code(1)
            .assert_stderr_contains("publish refused: HTTP 401 invalid_token");
    }
}

// ---------------------------------------------------------------------------------------------------------------
// 9. A bundle with missing parts
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn bundle_with_missing_parts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &Value| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path.display().to_string()
    };
    let bundle = fixture_json(LEGACY_BUNDLE);

    let mut no_definition = bundle.clone();
    no_definition
        .as_object_mut()
        .unwrap()
        .remove("service_definition");
    no_definition["package"]
        .as_object_mut()
        .unwrap()
        .remove("service_definition");
    let no_definition = write("no-definition.anip-package.json", &no_definition);

    let mut no_package = bundle.clone();
    no_package.as_object_mut().unwrap().remove("package");
    let no_package = write("no-package.anip-package.json", &no_package);

    let mut not_a_bundle = bundle;
    not_a_bundle["bundle_schema_version"] = json!("anip-package-bundle/v0");
    let not_a_bundle = write("v0.anip-package.json", &not_a_bundle);

    let output = dir.path().join("request.json");
    let output = output.to_str().unwrap();
    for (bundle, names) in [
        (
            &no_definition,
            "the bundle has no service_definition object",
        ),
        (&no_package, "the bundle has no package_id"),
        (&not_a_bundle, "bundle_schema_version"),
    ] {
        // A bundle that cannot become a request breaks a publish rule: exit 2, nothing written.
        let run = cli(&["publish", bundle, "--output", output]);
        run.assert_code(2)
            .assert_stderr_contains(bundle)
            .assert_stderr_contains(names);
        assert!(!std::path::Path::new(output).exists());
    }

    // Verified offline: a bundle without its definition fails the checks that need it.
    let run = cli(&[
        "verify",
        "--bundle",
        &no_definition,
        "--allow-legacy",
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("failed verification");
    run.assert_check("definition_digest_matches", "fail");
    assert!(
        run.assert_check("package_rules_hold", "fail")
            .contains("service_definition"),
        "{}",
        run.stdout
    );
    // A bundle without a package cannot be verified at all.
    let run = cli(&["verify", "--bundle", &no_package]);
    run.assert_code(1)
        .assert_stderr_contains(&no_package)
        .assert_stderr_contains("a bundle must carry a package object");
    let run = cli(&["verify", "--bundle", &not_a_bundle]);
    run.assert_code(1)
        .assert_stderr_contains("bundle_schema_version");
}

// ---------------------------------------------------------------------------------------------------------------
// Policy: signing mode, lifecycle, and --all with a failure
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn policy_failures_are_exit_2() {
    let world = World::new();
    let base = &world.registry.base;
    world.publish_demo("demo-a", "1.0.0");
    world.publish_demo("demo-b", "1.0.0");

    // A dev registry is not a production one.
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--require-mode",
        "production",
        "--format",
        "json",
    ]);
    run.assert_code(2);
    assert!(
        run.assert_check("signing_mode_matches", "fail")
            .contains("\"dev\"")
    );
    run.assert_check("receipt_not_signed_with_dev_key", "fail");
    cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        base,
        "--require-mode",
        "dev",
    ])
    .assert_code(0);

    // A yanked version (as served) fails unless --allow-yanked.
    let (yanked, tampered) = (
        record_path("demo-a", "1.0.0"),
        record_path("demo-b", "1.0.0"),
    );
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        let path = path.split('?').next().unwrap_or_default();
        if path == yanked {
            let mut record = answer.json();
            record["lifecycle"] = json!({"status": "yanked", "reason": "leaked credentials"});
            answer.set_json(&record);
        } else if path == tampered {
            let mut record = answer.json();
            record["lock_digest"] = json!(format!("sha256:{}", "1".repeat(64)));
            answer.set_json(&record);
        }
    });
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--format",
        "json",
    ]);
    run.assert_code(2);
    assert!(
        run.assert_check("lifecycle_allows_use", "fail")
            .contains("lifecycle yanked: leaked credentials")
    );
    let run = cli(&[
        "verify",
        "demo-a@1.0.0",
        "--registry-url",
        &proxy.base,
        "--allow-yanked",
        "--format",
        "json",
    ]);
    run.assert_code(0);
    run.assert_check("lifecycle_allows_use", "warn");

    // --all reports both failures and exits 2.
    let run = cli(&["verify", "--all", "--registry-url", &proxy.base]);
    run.assert_code(2)
        .assert_stderr_contains("2 of 2 package version(s) failed")
        .assert_stdout_contains("lifecycle_allows_use")
        .assert_stdout_contains("lock_digest_matches");
    let run = cli(&[
        "verify",
        "--all",
        "--registry-url",
        &proxy.base,
        "--allow-yanked",
        "--format",
        "json",
    ]);
    run.assert_code(2)
        .assert_stderr_contains("1 of 2 package version(s) failed");
    let summary = run.json();
    assert_eq!(summary["total"], 2);
    assert_eq!(summary["failed"], 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Known CLI bugs (ignored until fixed)
// ---------------------------------------------------------------------------------------------------------------

/// `--require-mode production` refuses a dev-key receipt in a bundle too (a bug this test found, now fixed).
#[test]
fn verify_bundle_honours_require_mode_production() {
    let bundle = fixture(LEGACY_BUNDLE);
    let run = cli(&[
        "verify",
        "--bundle",
        bundle.to_str().unwrap(),
        "--allow-legacy",
        "--trust-bundle-keys",
        "--require-mode",
        "production",
        "--format",
        "json",
    ]);
    assert_ne!(
        run.code, 0,
        "a dev-key receipt passed --require-mode production:\n{}",
        run.stdout
    );
    run.assert_check("receipt_not_signed_with_dev_key", "fail");
    run.assert_check("keys_pinned", "warn");
}

/// BUG: `registry keys --save FILE` against a registry that lists no Ed25519 key exits 0 and writes a file that
/// `--trusted-keys` then refuses ("no keys in the file"). Expected: exit 1 naming the problem, and no file.
#[test]

fn keys_save_refuses_a_registry_without_keys() {
    let world = World::new();
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/keys") {
            answer.set_json(&json!({"signing_mode": "dev", "active_key_id": "", "items": []}));
        }
    });
    let keys = world.path("keys.txt");
    let run = cli(&["keys", "--registry-url", &proxy.base, "--save", &keys]);
    run.assert_code(1).assert_stderr_contains("no keys");
    assert!(!std::path::Path::new(&keys).exists());
}

#[test]
fn lifecycle_set_by_the_admin_route_is_judged() {
    let world = World::new();
    world.publish_demo("life-deprecated", "1.0.0");
    world.publish_demo("life-takedown", "1.0.0");
    let api = format!("{}/registry-api/v1", world.registry.base);
    for (id, body) in [
        (
            "life-deprecated",
            r#"{"status":"deprecated","reason":"use 2.x"}"#,
        ),
        ("life-takedown", r#"{"status":"takedown","reason":"legal"}"#),
    ] {
        let (status, answer) = support::http(
            "PATCH",
            &format!("{api}/admin/packages/{id}/1.0.0/lifecycle"),
            support::ADMIN_TOKEN,
            body.as_bytes(),
        );
        assert_eq!(status, 200, "{answer}");
    }
    let deprecated = cli(&[
        "verify",
        "life-deprecated@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--format",
        "json",
    ]);
    deprecated.assert_code(0);
    let detail = deprecated.assert_check("lifecycle_allows_use", "warn");
    assert!(detail.contains("deprecated"), "{detail}");
    cli(&[
        "verify",
        "life-takedown@1.0.0",
        "--registry-url",
        &world.registry.base,
    ])
    .assert_code(2)
    .assert_stderr_contains("package_unavailable");
}

#[test]
fn template_receipts_verify() {
    let world = World::new();
    let template = std::fs::read(fixture(
        "templates/github-fronting-starter-0.2.0.anip-template.json",
    ))
    .unwrap();
    let (status, answer) = support::http(
        "POST",
        &format!("{}/registry-api/v1/templates", world.registry.base),
        support::TOKEN,
        &template,
    );
    assert_eq!(status, 201, "{answer}");
    let run = cli(&[
        "verify",
        "--template",
        "github-fronting-starter@0.2.0",
        "--registry-url",
        &world.registry.base,
        "--format",
        "json",
    ]);
    run.assert_code(0);
    run.assert_check("receipt_signature_valid", "pass");
    run.assert_check("package_is_the_validated_template", "pass");
    cli(&[
        "verify",
        "--template",
        "github-fronting-starter@9.9.9",
        "--registry-url",
        &world.registry.base,
    ])
    .assert_code(1)
    .assert_stderr_contains("template_not_found");
}

// ---------------------------------------------------------------------------------------------------------------
// One key, one id; keys that differ from a known field only in case; one SemVer rule
// ---------------------------------------------------------------------------------------------------------------

#[test]
fn one_key_has_one_id_in_pins_and_in_keys_answers() {
    let world = World::new();
    world.publish_demo("demo-ids", "1.0.0");
    let pins = world.write(
        "aliased-keys.txt",
        format!("{DEV_KEY_ID}={DEV_PUBLIC_KEY}\n# the same key again\nalias={DEV_PUBLIC_KEY}\n")
            .as_bytes(),
    );
    cli(&[
        "verify",
        "demo-ids@1.0.0",
        "--registry-url",
        &world.registry.base,
        "--trusted-keys",
        &pins,
    ])
    .assert_code(1)
    .assert_stderr_contains(&format!(
        "line 3: key alias has the same bytes as key {DEV_KEY_ID}: one key has one id"
    ));
    // A registry listing its key a second time under another id is not trusted either.
    let proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/keys") {
            let mut keys = answer.json();
            let mut alias = keys["items"][0].clone();
            alias["key_id"] = json!("alias");
            keys["items"].as_array_mut().unwrap().push(alias);
            answer.set_json(&keys);
        }
    });
    cli(&["verify", "demo-ids@1.0.0", "--registry-url", &proxy.base])
        .assert_code(1)
        .assert_stderr_contains("/keys items[1]: key alias has the same bytes as key");
}

#[test]
fn keys_differing_only_in_case_are_refused_in_answers_and_files() {
    let world = World::new();
    world.publish_demo("demo-case", "1.0.0");
    let record = record_path("demo-case", "1.0.0");
    let proxy = Proxy::rewriting(world.registry.addr, move |path, answer| {
        if path == record {
            let mut value = answer.json();
            value["PACKAGE_ID"] = json!("something-else");
            answer.set_json(&value);
        }
    });
    let keys_proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/keys") {
            let mut keys = answer.json();
            keys["items"][0]["Public_Key"] = json!(other_public_key());
            answer.set_json(&keys);
        }
    });
    // The record: read by ANIP's client as another package id.
    cli(&[
        "verify",
        "demo-case@1.0.0",
        "--registry-url",
        &proxy.base,
        "--trusted-keys",
        &world.write(
            "pins.txt",
            format!("{DEV_KEY_ID}={DEV_PUBLIC_KEY}\n").as_bytes(),
        ),
    ])
    .assert_code(1)
    .assert_stderr_contains(
        "PACKAGE_ID: key \"PACKAGE_ID\" differs from the field \"package_id\" only in case",
    );
    // The keys answer.
    cli(&["keys", "--registry-url", &keys_proxy.base])
        .assert_code(1)
        .assert_stderr_contains("items[0].Public_Key");
    // A bundle, offline.
    let mut bundle = fixture_json(LEGACY_BUNDLE);
    bundle["Receipt"] = json!({});
    let path = world.write(
        "cased.anip-package.json",
        &serde_json::to_vec(&bundle).unwrap(),
    );
    cli(&["verify", "--bundle", &path, "--allow-legacy"])
        .assert_code(1)
        .assert_stderr_contains(
            "Receipt: key \"Receipt\" differs from the field \"receipt\" only in case",
        );
    // A template record (read by hand, checked against the record's fields).
    let template = std::fs::read(fixture(
        "templates/github-fronting-starter-0.2.0.anip-template.json",
    ))
    .unwrap();
    let (status, answer) = support::http(
        "POST",
        &format!("{}{API}/templates", world.registry.base),
        support::TOKEN,
        &template,
    );
    assert_eq!(status, 201, "{answer}");
    let template_proxy = Proxy::rewriting(world.registry.addr, |path, answer| {
        if path == format!("{API}/templates/github-fronting-starter/0.2.0") {
            let mut value = answer.json();
            value["Template_Version"] = json!("9.9.9");
            answer.set_json(&value);
        }
    });
    cli(&[
        "verify",
        "--template",
        "github-fronting-starter@0.2.0",
        "--registry-url",
        &template_proxy.base,
    ])
    .assert_code(1)
    .assert_stderr_contains("Template_Version: key \"Template_Version\" differs");
}

#[test]
fn versions_follow_the_one_semver_rule() {
    let world = World::new();
    cli(&[
        "verify",
        "demo@18446744073709551616.0.0",
        "--registry-url",
        &world.registry.base,
    ])
    .assert_code(64)
    .assert_stderr_contains("version_out_of_range");
    cli(&[
        "verify",
        "demo@1.02.0",
        "--registry-url",
        &world.registry.base,
    ])
    .assert_code(64)
    .assert_stderr_contains("invalid_version");
}
